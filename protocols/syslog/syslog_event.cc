#include "protocols/syslog/syslog_event.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "base/assert.h"

namespace sluice::syslog {
namespace {

using ringbuf::Header;
using ringbuf::WellKnownKey;

constexpr auto kDecimals = [] {
  std::array<std::array<char, 3>, 192> table{};
  for (int i = 0; i < 192; ++i) {
    if (i >= 100)
      table[i] = {static_cast<char>('0' + i / 100), static_cast<char>('0' + i / 10 % 10),
                  static_cast<char>('0' + i % 10)};
    else if (i >= 10) table[i] = {static_cast<char>('0' + i / 10), static_cast<char>('0' + i % 10), 0};
    else table[i] = {static_cast<char>('0' + i), 0, 0};
  }
  return table;
}();

// A kept-fields body never outgrows the raw message by more than this: an RFC 3164 message that
// ends right after its stamp gains the stamp's trailing space.
constexpr size_t kKeptFieldsSlackBytes = 8;

// Appends to a fixed buffer, dropping what does not fit.
class BoundedWriter {
 public:
  BoundedWriter(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  void append(std::string_view s) {
    const size_t n = std::min(s.size(), capacity_ - size_);
    std::memcpy(buffer_ + size_, s.data(), n);
    size_ += n;
  }
  std::string_view text() const { return {buffer_, size_}; }

 private:
  char* const buffer_;
  const size_t capacity_;
  size_t size_ = 0;
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string_view small_decimal(uint8_t value) {
  SLUICE_ASSERT(value < kDecimals.size(), "small_decimal covers 0..191");
  const auto& digits = kDecimals[value];
  return {digits.data(), value >= 100 ? 3u : value >= 10 ? 2u : 1u};
}

Result<KeepFields> parse_keep_fields(std::string_view text) {
  const std::string lower = lowercase(text);
  constexpr std::string_view kSeparators = " \t,";
  std::string_view words[8];
  size_t count = 0;
  for (size_t i = lower.find_first_not_of(kSeparators); i != std::string::npos;
       i = lower.find_first_not_of(kSeparators, i)) {
    size_t stop = std::min(lower.find_first_of(kSeparators, i), lower.size());
    if (count == std::size(words)) return make_error("keepFields: too many words in '" + std::string(text) + "'");
    words[count++] = std::string_view(lower).substr(i, stop - i);
    i = stop;
  }
  KeepFields fields;
  for (size_t w = 0; w < count; ++w) {
    const std::string_view word = words[w];
    if (word == "none" || word == "false" || word == "all" || word == "true") {
      if (count != 1)
        return make_error("keepFields: '" + std::string(word) + "' must stand alone, not in a list of fields");
      fields.all = word == "all" || word == "true";
    } else if (word == "priority") {
      fields.priority = true;
    } else if (word == "version") {
      fields.version = true;
    } else if (word == "timestamp") {
      fields.timestamp = true;
    } else if (word == "hostname") {
      fields.hostname = true;
    } else {
      return make_error("keepFields: unknown field '" + std::string(word) +
                        "' (expected none, all, or a list of priority, version, timestamp, hostname)");
    }
  }
  return fields;
}

Status EventOptions::validate() const {
  if (body_bytes_max == 0) return make_error("syslog: eventSize must be at least 1 byte");
  if (client_ip_header.size() > ringbuf::kHeaderKeyBytesMax)
    return make_error("syslog: clientIPHeader is longer than " + std::to_string(ringbuf::kHeaderKeyBytesMax) +
                      " bytes");
  return Status::success();
}

SyslogEventBuilder::SyslogEventBuilder(EventOptions options)
    : options_(std::move(options)),
      scratch_(options_.keep_fields.none() || options_.keep_fields.all
                   ? nullptr
                   : std::make_unique_for_overwrite<char[]>(options_.body_bytes_max + kKeptFieldsSlackBytes)),
      scratch_bytes_(scratch_ ? options_.body_bytes_max + kKeptFieldsSlackBytes : 0) {
  SLUICE_ASSERT(options_.body_bytes_max > 0, "body_bytes_max must be positive");
  SLUICE_ASSERT(options_.client_ip_header.size() <= ringbuf::kHeaderKeyBytesMax, "client IP header name too long");
}

std::string_view SyslogEventBuilder::kept_fields_body(const SyslogMessage& msg) {
  const KeepFields& keep = options_.keep_fields;
  // Invalid messages and headers Flume's patterns do not match keep the raw message as body;
  // "all" is the raw message too, and needs no copy.
  if (keep.all || msg.flume_body.data() == msg.raw.data()) return msg.raw;
  if (keep.none()) return msg.flume_body;
  const bool is_5424 = msg.format == SyslogFormat::rfc5424;
  BoundedWriter out(scratch_.get(), scratch_bytes_);
  if (keep.priority) {
    out.append("<");
    out.append(msg.priority);
    out.append(">");
  }
  if (keep.version && !msg.version.empty()) {
    out.append(msg.version);
    out.append(" ");
  }
  if (keep.timestamp) {
    out.append(msg.has_timestamp ? msg.timestamp_text : std::string_view("-"));
    out.append(" ");
  }
  if (keep.hostname && (is_5424 || !msg.host.empty())) {
    out.append(msg.host.empty() ? std::string_view("-") : msg.host);
    out.append(" ");
  }
  out.append(msg.flume_body);
  return out.text();
}

ringbuf::PreparedEvent SyslogEventBuilder::build(const SyslogMessage& msg, bool incomplete, int64_t receive_ms,
                                                 std::string_view client_ip) {
  size_t n = 0;
  // Field by field: building a Header temporary and copying it makes the compiler store 8-byte
  // halves and reload them as 16 bytes, a store-forwarding stall per header.
  auto add = [&](std::string_view key, WellKnownKey id, std::string_view value) {
    Header& h = headers_[n++];
    h.key = key;
    h.value = value;
    h.id = id;
  };
  add("Facility", WellKnownKey::facility, small_decimal(msg.facility));
  add("Severity", WellKnownKey::severity, small_decimal(msg.severity));
  if (options_.priority_version_headers) {
    if (!msg.priority.empty()) add("priority", WellKnownKey::priority, msg.priority);
    if (!msg.version.empty()) add("version", WellKnownKey::version, msg.version);
  }
  ringbuf::PreparedEvent event;
  event.timestamp_ms = receive_ms;
  if (msg.has_timestamp) {
    event.timestamp_ms = msg.timestamp_ms;
    const auto [end, ec] = std::to_chars(timestamp_text_, timestamp_text_ + sizeof timestamp_text_, msg.timestamp_ms);
    SLUICE_ASSERT(ec == std::errc(), "an int64 always fits 24 characters");
    add("timestamp", WellKnownKey::timestamp,
        std::string_view(timestamp_text_, static_cast<size_t>(end - timestamp_text_)));
  }
  if (!msg.host.empty()) add("host", WellKnownKey::host, msg.host);
  if (msg.format == SyslogFormat::invalid) add("flume.syslog.status", WellKnownKey::syslog_status, "Invalid");
  else if (incomplete) add("flume.syslog.status", WellKnownKey::syslog_status, "Incomplete");
  if (options_.syslog_headers) {
    if (!msg.app_name.empty()) add("syslog.appname", WellKnownKey::syslog_appname, msg.app_name);
    if (!msg.proc_id.empty()) add("syslog.procid", WellKnownKey::syslog_procid, msg.proc_id);
    if (!msg.msg_id.empty()) add("syslog.msgid", WellKnownKey::syslog_msgid, msg.msg_id);
    if (!msg.structured_data.empty()) add("syslog.sd", WellKnownKey::syslog_sd, msg.structured_data);
  }
  if (!options_.client_ip_header.empty()) add(options_.client_ip_header, WellKnownKey::none, client_ip);
  event.headers = std::span<const ringbuf::Header>(headers_.data(), n);
  event.body = kept_fields_body(msg);
  return event;
}

}  // namespace sluice::syslog
