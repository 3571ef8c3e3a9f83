#include "server/sources/syslog_tcp_source.h"

namespace sluice::sources {

class SyslogConnection final : public StreamConnection {
 public:
  SyslogConnection(SyslogTcpSource& source, int fd)
      : StreamConnection(source, fd), source_(source), framer_(source.options_.event_bytes_max) {}

 private:
  bool store(std::string_view frame, bool truncated) { return source_.ingest_.ingest(frame, truncated, peer_ip()); }

  Progress consume(std::string_view chunk, size_t& consumed) override {
    auto result =
        framer_.feed(chunk, [this](std::string_view frame, bool truncated) { return store(frame, truncated); });
    switch (result.status) {
      case syslog::TcpFramer::Status::ok: consumed = chunk.size(); return Progress::running;
      case syslog::TcpFramer::Status::paused:
        consumed = result.consumed;
        wait_for_space();
        return Progress::paused;
      case syslog::TcpFramer::Status::garbage:
        server().probe().framing_error();
        if (server().rate_limited_log().allow(now_ms()))
          base::log_warn("source {}: closing a connection from {}: garbage framing: {}", source_.options_.name,
                         peer_name(), result.error);
        close("garbage framing");
        return Progress::closed;
    }
    SLUICE_UNREACHABLE("bad framer status");
  }

  // Closes a connection that sent nothing for idleTimeout. One paused for channel space is not
  // idle: its sender waits for sluice. A message begun without its newline is kept, as at the
  // end of a stream.
  void check_timeouts(int64_t now) override {
    const int64_t idle_ms = source_.options_.idle_timeout_ms;
    if (idle_ms <= 0 || paused() || now - last_activity_ms() <= idle_ms) return;
    auto result = framer_.finish([this](std::string_view frame, bool truncated) { return store(frame, truncated); });
    if (result.status == syslog::TcpFramer::Status::paused) return;  // channel full: next check
    server().probe().connection_timed_out(SourceProbe::Timeout::idle);
    if (server().rate_limited_log().allow(now))
      base::log_info("source {}: closing a connection from {}: nothing received within idleTimeout",
                     source_.options_.name, peer_name());
    close("idle timeout");
  }

  Progress end_of_stream() override {
    auto result = framer_.finish([this](std::string_view frame, bool truncated) { return store(frame, truncated); });
    if (result.status == syslog::TcpFramer::Status::paused) {
      wait_for_space();
      return Progress::paused;
    }
    close("end of stream");
    return Progress::closed;
  }

  void wait_for_space() {
    // Count each time reading stops, not each retry while it stays stopped.
    if (!paused() && receive_armed()) server().probe().paused_for_space();
    pause(PauseReason::channel_full);
  }

  SyslogTcpSource& source_;
  syslog::TcpFramer framer_;
};

SyslogTcpSource::SyslogTcpSource(const SyslogSourceOptions& options, int listen_fd, EventWriter writer,
                                 SourceProbe& probe)
    : StreamServer({.name = options.name,
                    .connections_max = options.connections_max,
                    .resolve_peer_ip = !options.event.client_ip_header.empty(),
                    .send_timeout_ms = 0},  // syslog sends nothing
                   listen_fd, probe),
      options_(options),
      ingest_(options, std::move(writer), probe) {}

StreamConnection* SyslogTcpSource::make_connection(int fd) { return new SyslogConnection(*this, fd); }

}  // namespace sluice::sources
