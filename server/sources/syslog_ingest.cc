#include "server/sources/syslog_ingest.h"

namespace sluice::sources {

SyslogIngest::SyslogIngest(const SyslogSourceOptions& options, EventWriter writer, SourceProbe& probe)
    : options_(options), writer_(std::move(writer)), probe_(probe), builder_(options.event) {}

void SyslogIngest::set_now(int64_t now_ms) {
  now_ms_ = now_ms;
  parser_.set_now(now_ms);
}

bool SyslogIngest::ingest(std::string_view message, bool truncated, std::string_view client_ip) {
  parser_.parse(message, message_);
  const ringbuf::PreparedEvent event = builder_.build(message_, truncated, now_ms_, client_ip);
  const EventWriter::Written written = writer_.write({&event, 1}, now_ms_);
  if (written.refusal != ringbuf::AppendRefusal::none) {
    if (written.refusal != ringbuf::AppendRefusal::too_large) return false;
    // Start-up validation sizes segments for eventSize, so this is a misconfiguration that
    // slipped through; the event cannot be stored anywhere, and waiting would block forever.
    probe_.event_rejected(message.size());
    if (noisy_log_.allow(now_ms_))
      base::log_error("source {}: dropped a {} byte event: larger than its channel can hold", options_.name,
                      message.size());
    return true;
  }
  if (written.filtered > 0) {
    probe_.event_filtered(message.size());
    return true;
  }
  probe_.event_accepted(message.size());
  probe_.routed(written.unrouted, written.optional_dropped);
  if (message_.format == syslog::SyslogFormat::invalid) probe_.event_invalid();
  if (truncated) probe_.event_truncated();
  return true;
}

}  // namespace sluice::sources
