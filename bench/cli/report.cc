#include "bench/cli/report.h"

#include <cmath>

#include <fmt/format.h>

namespace sluice::bench {
namespace {

// JSON has no NaN or infinity; a rate over an empty window is reported as 0.
double finite(double v) { return std::isfinite(v) ? v : 0; }

std::string json_number_or_null(const std::optional<double>& v) {
  return v ? fmt::format("{:.3f}", finite(*v)) : "null";
}

std::string json_string_or_null(const std::string& s) { return s.empty() ? "null" : json_quote(s); }

// "200-byte", or with --size-dist "uniform:100-2000 (mean 1050 bytes)".
std::string size_text(const RunSummary& s) {
  if (s.size_dist.empty()) return fmt::format("{}-byte", s.size);
  return fmt::format("{} (mean {} bytes)", s.size_dist, s.size);
}

}  // namespace

std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += json_quote(items[i]);
  }
  return out + ']';
}

std::string unit_for(uint64_t n, std::string_view unit) {
  if (n != 1) return std::string(unit);
  if (unit.ends_with("ches")) return std::string(unit.substr(0, unit.size() - 2));
  if (unit.ends_with('s')) return std::string(unit.substr(0, unit.size() - 1));
  return std::string(unit);
}

std::string group_thousands(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out += c;
    }
  }
  return out + '"';
}

namespace {

std::string rate_text(const RunSummary& s) {
  return s.rate_target ? fmt::format("{} events/s", group_thousands(s.rate_target)) : "unlimited rate";
}

std::string uint_text(double v) { return group_thousands(static_cast<uint64_t>(finite(v))); }

// The lines for what the server accepted; `reference` is what it should have accepted.
std::string server_lines(const RunSummary& s, uint64_t reference, std::string_view reference_name) {
  std::string out;
  if (s.server_events_accepted) {
    double share =
        reference ? 100.0 * static_cast<double>(*s.server_events_accepted) / static_cast<double>(reference) : 0;
    out += fmt::format("server  {:>15} events accepted ({:.2f}% of {})", group_thousands(*s.server_events_accepted),
                       share, reference_name);
    if (s.server_events_per_s && s.server_window_s)
      out += fmt::format(", {} events/s over {:.2f} s", uint_text(*s.server_events_per_s), *s.server_window_s);
    out += '\n';
  }
  if (!s.server_note.empty()) out += fmt::format("server  {}\n", s.server_note);
  return out;
}

// One delivery percentile: "1.2 ms"; "< 1 ms" within the first bucket, where the histogram
// says no more; "> 600 s" beyond its largest bound.
std::string delivery_ms_text(double ms, const DeliveryLatency& d) {
  if (!std::isfinite(ms)) return fmt::format("> {} s", d.largest_bound_ms / 1000);
  if (ms < d.resolution_ms) return fmt::format("< {} ms", d.resolution_ms);
  return fmt::format("{:.1f} ms", ms);
}

// The latency to sink delivery, from the server's histogram.
std::string delivery_lines(const RunSummary& s) {
  std::string out;
  if (s.delivery) {
    const DeliveryLatency& d = *s.delivery;
    auto ms = [&](double v) { return delivery_ms_text(v, d); };
    // The mean comes from the histogram's sum, not its buckets: a measurement at any size.
    out += fmt::format("delivery p50 {}  p90 {}  p99 {}  p99.9 {}  mean {:.2f} ms  ({} events, {} to sink)\n",
                       ms(d.p50_ms), ms(d.p90_ms), ms(d.p99_ms), ms(d.p999_ms), d.mean_ms, group_thousands(d.events),
                       s.delivery_from);
  }
  if (!s.delivery_note.empty()) out += fmt::format("delivery {}\n", s.delivery_note);
  return out;
}

std::string request_text(const RunSummary& s) {
  const RequestSummary& r = *s.requests;
  std::string out;
  std::string format = r.format.empty() ? "" : fmt::format(", {}", r.format);
  std::string compression = r.compression == "none" ? "" : fmt::format(", {}", r.compression);
  std::string pipeline = r.pipeline > 1 ? fmt::format(", {} in flight", r.pipeline) : "";
  out += fmt::format("{} to {}: {} connection{}, {} of {} {} events{}{}{}, {}\n", s.subcommand, s.target, s.connections,
                     s.connections == 1 ? "" : "s", r.unit, r.batch, size_text(s), format, compression, pipeline,
                     rate_text(s));
  out += fmt::format("sent    {:>15} events  {:>12.1f} MB      in {:.2f} s (stopped by {}), {} {}\n",
                     group_thousands(s.events_sent), static_cast<double>(s.bytes_sent) / 1e6, s.elapsed_s,
                     s.stop_reason, group_thousands(r.requests_sent), unit_for(r.requests_sent, r.unit));
  out += fmt::format("acked   {:>15} events  {:>12} events/s  {} {}/s\n", group_thousands(r.events_acked),
                     uint_text(s.acked_events_per_s()), uint_text(s.requests_per_s()), r.unit);
  if (r.latency_samples)
    out += fmt::format("latency p50 {:.3f} ms  p99 {:.3f} ms  p99.9 {:.3f} ms  max {:.3f} ms  mean {:.3f} ms\n",
                       r.latency_p50_ms, r.latency_p99_ms, r.latency_p999_ms, r.latency_max_ms, r.latency_mean_ms);
  if (r.retries) out += fmt::format("retried {:>15} {}\n", group_thousands(r.retries), unit_for(r.retries, r.unit));
  if (r.requests_failed)
    out += fmt::format("failed  {:>15} events  in {} {} answered with an error\n", group_thousands(r.events_failed),
                       group_thousands(r.requests_failed), unit_for(r.requests_failed, r.unit));
  if (r.requests_abandoned)
    out += fmt::format("unacked {:>15} events  in {} {} with no final answer\n", group_thousands(r.events_abandoned),
                       group_thousands(r.requests_abandoned), unit_for(r.requests_abandoned, r.unit));
  if (r.reconnects) out += fmt::format("reconnected {} times\n", group_thousands(r.reconnects));
  out += server_lines(s, r.events_acked, "acknowledged");
  out += delivery_lines(s);
  return out;
}

}  // namespace

std::string format_summary_text(const RunSummary& s) {
  std::string out;
  if (s.requests) {
    out = request_text(s);
  } else {
    std::string framing = s.framing.empty() ? "" : fmt::format(", {} framing", s.framing);
    out += fmt::format("{} over {} to {}: {} connection{}, {} messages{}, {}\n", s.subcommand, s.transport, s.target,
                       s.connections, s.connections == 1 ? "" : "s", size_text(s), framing, rate_text(s));
    out += fmt::format("sent    {:>15} events  {:>12.1f} MB      in {:.2f} s (stopped by {})\n",
                       group_thousands(s.events_sent), static_cast<double>(s.bytes_sent) / 1e6, s.elapsed_s,
                       s.stop_reason);
    out += fmt::format("client  {:>15} events/s{:>12.1f} MB/s\n", uint_text(s.events_per_s()), s.mb_per_s());
    out += server_lines(s, s.events_sent, "sent");
    out += delivery_lines(s);
  }
  for (const auto& w : s.warnings) out += fmt::format("warning: {}\n", w);
  for (const auto& e : s.errors) out += fmt::format("error: {}\n", e);
  return out;
}

namespace {

// The request fields of http and avro, each followed by a comma; empty for syslog.
std::string request_json(const RunSummary& s) {
  if (!s.requests) return "";
  const RequestSummary& r = *s.requests;
  auto latency = [&](double ms) { return r.latency_samples ? fmt::format("{:.3f}", finite(ms)) : std::string("null"); };
  return fmt::format(
      "\"batch\":{},\"pipeline\":{},\"format\":{},\"compression\":{},\"requests_sent\":{},\"requests_acked\":{},"
      "\"events_acked\":{},\"acked_events_per_s\":{:.3f},\"requests_per_s\":{:.3f},\"retries\":{},"
      "\"requests_failed\":{},\"events_failed\":{},\"requests_abandoned\":{},\"events_abandoned\":{},"
      "\"reconnects\":{},\"latency_samples\":{},\"latency_p50_ms\":{},\"latency_p99_ms\":{},"
      "\"latency_p999_ms\":{},\"latency_max_ms\":{},\"latency_mean_ms\":{},",
      r.batch, r.pipeline, json_string_or_null(r.format), json_quote(r.compression), r.requests_sent, r.requests_acked,
      r.events_acked, finite(s.acked_events_per_s()), finite(s.requests_per_s()), r.retries, r.requests_failed,
      r.events_failed, r.requests_abandoned, r.events_abandoned, r.reconnects, r.latency_samples,
      latency(r.latency_p50_ms), latency(r.latency_p99_ms), latency(r.latency_p999_ms), latency(r.latency_max_ms),
      latency(r.latency_mean_ms));
}

// The delivery fields, each followed by a comma; percentiles beyond the largest bucket are null.
std::string delivery_json(const RunSummary& s) {
  auto ms = [&](double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("null"); };
  if (!s.delivery)
    return fmt::format(
        "\"delivery_from\":{},\"delivery_events\":null,\"delivery_p50_ms\":null,\"delivery_p90_ms\":null,"
        "\"delivery_p99_ms\":null,\"delivery_p999_ms\":null,\"delivery_mean_ms\":null,"
        "\"delivery_resolution_ms\":null,\"delivery_note\":{},",
        json_quote(s.delivery_from), json_string_or_null(s.delivery_note));
  const DeliveryLatency& d = *s.delivery;
  return fmt::format(
      "\"delivery_from\":{},\"delivery_events\":{},\"delivery_p50_ms\":{},\"delivery_p90_ms\":{},"
      "\"delivery_p99_ms\":{},\"delivery_p999_ms\":{},\"delivery_mean_ms\":{},\"delivery_resolution_ms\":{},"
      "\"delivery_note\":{},",
      json_quote(s.delivery_from), d.events, ms(d.p50_ms), ms(d.p90_ms), ms(d.p99_ms), ms(d.p999_ms), ms(d.mean_ms),
      ms(d.resolution_ms), json_string_or_null(s.delivery_note));
}

}  // namespace

std::string format_summary_json(const RunSummary& s) {
  return fmt::format(
      "{{\"subcommand\":{},\"transport\":{},\"target\":{},\"framing\":{},\"connections\":{},\"size\":{},"
      "\"size_dist\":{},\"rate_target\":{},\"duration_target_s\":{},\"count_target\":{},\"events_sent\":{},\"bytes_sent\":{},"
      "\"elapsed_s\":{:.3f},\"events_per_s\":{:.3f},\"mb_per_s\":{:.3f},\"stop_reason\":{},"
      "\"server_events_accepted\":{},\"server_events_per_s\":{},\"server_window_s\":{},\"server_note\":{},"
      "{}{}\"errors\":{},\"warnings\":{}}}\n",
      json_quote(s.subcommand), json_quote(s.transport), json_quote(s.target), json_string_or_null(s.framing),
      s.connections, s.size, json_string_or_null(s.size_dist), s.rate_target, finite(s.duration_target_s),
      s.count_target ? std::to_string(s.count_target) : "null", s.events_sent, s.bytes_sent, finite(s.elapsed_s),
      finite(s.events_per_s()), finite(s.mb_per_s()), json_quote(s.stop_reason),
      s.server_events_accepted ? std::to_string(*s.server_events_accepted) : "null",
      json_number_or_null(s.server_events_per_s), json_number_or_null(s.server_window_s),
      json_string_or_null(s.server_note), delivery_json(s), request_json(s), json_string_array(s.errors),
      json_string_array(s.warnings));
}

}  // namespace sluice::bench
