#include "server/sources/source_probe.h"

#include <iterator>

namespace sluice::sources {

void SourceProbe::collect(base::MetricsWriter& out) const {
  base::Labels labels = {{"component", component_}, {"type", type_}, {"shard", std::to_string(shard_)}};
  out.counter("sluice_source_received_events_total", "Events received (accepted or rejected).", labels,
              received_events_.value());
  out.counter("sluice_source_received_bytes_total", "Bytes of the events received.", labels, received_bytes_.value());
  out.counter("sluice_source_accepted_events_total", "Events stored in every channel of the source.", labels,
              accepted_events_.value());
  out.counter("sluice_source_accepted_bytes_total", "Bytes of the events stored.", labels, accepted_bytes_.value());
  out.counter("sluice_source_rejected_bytes_total", "Bytes of the events received but not stored.", labels,
              rejected_bytes_.value());
  out.counter("sluice_source_rejected_events_total",
              "Events received but not stored (UDP while the channel was full); lost.", labels,
              rejected_events_.value());
  out.counter("sluice_source_filtered_events_total", "Events received that an interceptor dropped (regex_filter).",
              labels, filtered_events_.value());
  out.counter("sluice_source_unrouted_events_total",
              "Events a multiplexing selector sent to no channel (no mapping for the header's value and no "
              "selector.default): dropped, as in Flume.",
              labels, unrouted_events_.value());
  out.counter("sluice_source_optional_dropped_events_total",
              "Copies of events an optional channel could not take (full or failed); the required channels have them.",
              labels, optional_dropped_events_.value());
  out.counter("sluice_source_invalid_events_total", "Events kept but marked flume.syslog.status=Invalid.", labels,
              invalid_events_.value());
  out.counter("sluice_source_truncated_events_total", "Events cut to the size limit and marked Incomplete.", labels,
              truncated_events_.value());
  out.counter("sluice_source_framing_errors_total", "Connections closed for garbage framing.", labels,
              framing_errors_.value());
  out.counter("sluice_source_accepted_connections_total", "Connections accepted.", labels,
              connections_accepted_.value());
  out.counter("sluice_source_refused_connections_total",
              "Connections closed at once: maxConnections reached, or refused by ipFilterRules.", labels,
              connections_refused_.value());
  out.gauge("sluice_source_active_connections", "Connections open now.", labels,
            static_cast<double>(connections_active_.value()));
  out.counter("sluice_source_receive_errors_total", "Socket receive errors (resets and the like).", labels,
              receive_errors_.value());
  if (type_ == "syslogudp")
    out.counter("sluice_source_kernel_drops_total",
                "Datagrams the kernel dropped because the socket's receive buffer was full (SO_RXQ_OVFL); lost.",
                labels, kernel_drops_.value());
  out.counter("sluice_source_backpressure_pauses_total",
              "Times reading stopped because a channel was full (TCP pushes back on senders).", labels,
              backpressure_pauses_.value());
  static constexpr const char* kTimeoutNames[] = {"idle", "partial_input", "send"};
  static_assert(std::size(kTimeoutNames) == static_cast<size_t>(Timeout::count_));
  for (size_t i = 0; i < std::size(kTimeoutNames); ++i) {
    base::Labels with_reason = labels;
    with_reason.emplace_back("reason", kTimeoutNames[i]);
    out.counter("sluice_source_timed_out_connections_total",
                "Connections closed by a timeout: idle, partial_input (a frame or request not finished "
                "in time), send (answers not read by the peer).",
                with_reason, timeouts_[i].value());
  }
  out.counter("sluice_source_limit_rejections_total",
              "Requests or frames refused for breaking a limit (sizes, header keys, inflated bytes, the "
              "shard's budget for partial input); the error went to that client only.",
              labels, limit_rejections_.value());
  out.counter("sluice_source_accept_fd_exhausted_total",
              "Accepts that failed for lack of file descriptors (EMFILE/ENFILE) or were closed at once to "
              "keep descriptors in reserve.",
              labels, accept_fd_exhausted_.value());
  out.gauge("sluice_source_partial_input_bytes", "Bytes held now for frames and requests not yet complete.", labels,
            static_cast<double>(partial_bytes_.value()));
}

}  // namespace sluice::sources
