// Turning a parsed syslog message into a channel event with Flume's headers and body.
//
// Threads: a SyslogEventBuilder belongs to one shard thread. parse_keep_fields() is pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "protocols/syslog/syslog_parser.h"
#include "ringbuf/append.h"
#include "ringbuf/record.h"

namespace sluice::syslog {

// Which header fields Flume's keepFields puts back in front of the body.
struct KeepFields {
  // "all"/"true": the body is the raw message, unchanged.
  bool all = false;
  // A list: each kept field is prepended as Flume's addFieldsToBody does, "<PRI>" then
  // "VERSION " then "TIMESTAMP " then "HOST " (nil 5424 fields as "-"; an RFC 3164 message
  // without a host gets no host).
  bool priority = false;
  bool version = false;
  bool timestamp = false;
  bool hostname = false;

  bool none() const { return !all && !priority && !version && !timestamp && !hostname; }
};

// Parses Flume's keepFields value, case-insensitively: "none" or "false" (also ""), "all" or
// "true", or a list of priority, version, timestamp, hostname separated by spaces or commas.
// Unknown words are an error (Flume ignores them, which hides typos).
Result<KeepFields> parse_keep_fields(std::string_view text);

struct EventOptions {
  // Flume keepFields (see KeepFields). Default none: the body is SyslogMessage::flume_body.
  KeepFields keep_fields;
  // Adds syslog.appname, syslog.procid, syslog.msgid and syslog.sd when they are present.
  bool syslog_headers = true;
  // Adds Flume's "priority" (the PRI digits) and "version" (5424's VERSION) headers, which
  // Flume's SyslogUtils sets on every parsed message. Off: sinks rarely use them and they cost
  // two headers per event; turn on where a Flume pipeline downstream reads them.
  bool priority_version_headers = false;
  // Flume clientIPHeader: the header that receives the sender's address. Empty: off.
  std::string client_ip_header;
  // The source's eventSize: the longest raw message the source passes in. Sizes the scratch
  // buffer that keepFields bodies are built in; longer inputs are cut to it.
  size_t body_bytes_max = 2500;

  // Why these options cannot build a builder, for the source's configuration check.
  Status validate() const;
};

// Header values for numbers 0..191: Facility and Severity never format anything.
std::string_view small_decimal(uint8_t value);

class SyslogEventBuilder {
 public:
  // The most headers one event can get.
  static constexpr size_t kHeadersMax = 12;

  // `options` must be valid (validate()).
  explicit SyslogEventBuilder(EventOptions options);
  SyslogEventBuilder(SyslogEventBuilder&&) = default;
  SyslogEventBuilder& operator=(SyslogEventBuilder&&) = default;

  // The event for `msg`, headers in this order: Facility, Severity, [priority, version],
  // timestamp (when the message has one; the event time is receive_ms otherwise), host,
  // flume.syslog.status ("Invalid" for invalid messages, else "Incomplete" when `incomplete`:
  // the framer cut the message), syslog.appname/procid/msgid/sd, the client IP header. The result refers to msg's bytes
  // and to this builder's buffers until the next build(). Never allocates.
  ringbuf::PreparedEvent build(const SyslogMessage& msg, bool incomplete, int64_t receive_ms,
                               std::string_view client_ip);

  const EventOptions& options() const { return options_; }

 private:
  std::string_view kept_fields_body(const SyslogMessage& msg);

  EventOptions options_;
  std::array<ringbuf::Header, kHeadersMax> headers_{};
  char timestamp_text_[24] = {};
  std::unique_ptr<char[]> scratch_;
  size_t scratch_bytes_;
};

}  // namespace sluice::syslog
