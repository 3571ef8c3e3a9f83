// Syslog message parsing: RFC 5424 and RFC 3164 (as real senders emit it) into views of the
// raw bytes. Pure code, no I/O, no allocation.
//
// Threads: a SyslogParser belongs to one shard thread (it keeps time-conversion caches).
// SyslogMessage is a plain value; its views are valid while the raw bytes are.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::syslog {

enum class SyslogFormat : uint8_t { rfc5424, rfc3164, invalid };

std::string_view syslog_format_name(SyslogFormat format);

// One parsed message. Every view points into the raw message.
struct SyslogMessage {
  SyslogFormat format = SyslogFormat::invalid;
  uint8_t facility = 0;  // 0,0 when invalid
  uint8_t severity = 0;
  std::string_view priority;  // the digits inside <...>
  std::string_view version;   // "1" for 5424, empty otherwise
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;         // ms since the epoch, when has_timestamp
  std::string_view timestamp_text;  // as sent ("Nov  1 05:10:00", "2026-11-21T05:10:00.1Z")
  // Empty when absent or nil ("-").
  std::string_view host;
  std::string_view app_name;         // 5424 APP-NAME, 3164 TAG
  std::string_view proc_id;          // 5424 PROCID, 3164 the PID in TAG[PID]
  std::string_view msg_id;           // 5424 only
  std::string_view structured_data;  // 5424 only: all SD elements, "[id k=\"v\"][id2]"
  std::string_view message;          // MSG; a leading UTF-8 BOM is not part of it
  // What Flume puts in the event body with keepFields=none: 5424 -> everything after the
  // host and its space; 3164 -> everything after the host (or after the timestamp when there
  // is no host); a header that matches neither, or an invalid message -> the whole raw message.
  std::string_view flume_body;
  // The whole message as given to parse().
  std::string_view raw;
};

// Parses syslog messages. One per shard thread.
//
// Timestamps without a UTC offset (every RFC 3164 stamp, RFC 3339 stamps without Z/offset)
// are local time of the process's TZ, as read by the C library at the first conversion: call
// tzset() before creating parsers if TZ changes. RFC 3164 stamps carry no year; it is chosen
// by Flume's rule relative to set_now(): the stamp in the current year, moved one year back
// when that is more than one month ahead of now, or one year forward when more than eleven
// months behind.
class SyslogParser {
 public:
  // Starts with now = the wall clock.
  SyslogParser();

  // The time RFC 3164 years are inferred against; called once per batch.
  void set_now(int64_t now_ms);

  // Never fails: input that is not syslog comes back as format invalid (facility and severity
  // 0, flume_body = raw). Rules, in order:
  //  - invalid: no '<' first, PRI not 1-3 digits, no '>' after them, or PRI > 191;
  //  - rfc5424: "<PRI>VERSION SP TIMESTAMP SP HOST SP" with TIMESTAMP RFC 3339 or "-". The
  //    rest ("APP PROCID MSGID SD [SP MSG]") is parsed field by field: when APP, PROCID or MSGID
  //    is missing they stay empty and message is all of the rest; when SD is malformed it
  //    stays empty and message starts where SD should have been.
  //  - rfc3164: "<PRI>Mmm dd hh:mm:ss[.frac] " or "<PRI>RFC3339 " (no version), then HOST
  //    unless the next token looks like a tag (ends with ':' or contains '['), then
  //    "TAG[PID]: MSG" when it is one ("TAG: MSG", "TAG[PID] MSG" too), else MSG alone;
  //  - rfc3164 without timestamp or host: a valid PRI followed by anything else; message is
  //    what follows '>' and flume_body the whole raw message (as Flume does).
  void parse(std::string_view raw, SyslogMessage& out);

 private:
  struct OffsetCacheEntry {
    int64_t hour_key = INT64_MIN;  // seconds / 3600 of the local (or, for now, UTC) time
    int32_t offset_s = 0;
  };
  static constexpr size_t kOffsetCacheEntries = 8;

  // UTC offset (seconds east) in effect at a local wall-clock time given as seconds since the
  // epoch "as if UTC".
  int32_t offset_for_local(int64_t local_s);
  // UTC offset at an instant.
  int32_t offset_for_utc(int64_t utc_s);

  bool parse_rfc5424(const char* p, const char* end, SyslogMessage& out);
  bool parse_rfc3164(const char* p, const char* end, SyslogMessage& out);
  // Converts a parsed stamp to ms since the epoch (local time when it has no offset).
  int64_t to_epoch_ms(int64_t wall_s, int32_t ms, bool has_offset, int32_t offset_s);
  int64_t infer_year_local_s(int month, int day, int32_t time_of_day_s) const;

  int64_t now_local_s_ = 0;  // now as local wall-clock seconds "as if UTC"
  int now_local_year_ = 1970;
  OffsetCacheEntry local_cache_[kOffsetCacheEntries];
  OffsetCacheEntry utc_cache_;
};

}  // namespace sluice::syslog
