// The part of the syslog sources that TCP and UDP share: parse one message, build its event and
// store it in every channel of the source. One per source per shard; shard thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/logger.h"
#include "protocols/syslog/syslog_event.h"
#include "protocols/syslog/syslog_parser.h"
#include "server/sources/event_writer.h"
#include "server/sources/source_probe.h"

namespace sluice::sources {

struct SyslogSourceOptions {
  std::string name;  // the source's name in the config ("r1")
  std::string type;  // syslogtcp | syslogudp
  std::string host;
  uint16_t port = 0;
  size_t event_bytes_max = 65536;  // eventSize: longer messages are truncated, marked Incomplete
  syslog::EventOptions event;
  uint32_t connections_max = 10000;   // per shard (TCP)
  int64_t idle_timeout_ms = 600'000;  // TCP: a connection that sends nothing this long is closed; 0: never
};

class SyslogIngest {
 public:
  SyslogIngest(const SyslogSourceOptions& options, EventWriter writer, SourceProbe& probe);

  void set_now(int64_t now_ms);
  // Stores one message (already cut to event_bytes_max; `truncated` says it was), after the
  // source's interceptors (which may drop it). False when a channel is full: nothing was stored
  // and the caller should offer the same message again later.
  bool ingest(std::string_view message, bool truncated, std::string_view client_ip);

  SourceProbe& probe() { return probe_; }
  const SyslogSourceOptions& options() const { return options_; }
  base::RateLimitedLog& rate_limited_log() { return noisy_log_; }
  int64_t now_ms() const { return now_ms_; }

 private:
  const SyslogSourceOptions& options_;
  EventWriter writer_;
  SourceProbe& probe_;
  syslog::SyslogParser parser_;
  syslog::SyslogEventBuilder builder_;
  syslog::SyslogMessage message_{};
  base::RateLimitedLog noisy_log_;
  int64_t now_ms_ = 0;
};

}  // namespace sluice::sources
