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

std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += json_quote(items[i]);
  }
  return out + ']';
}

}  // namespace

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

std::string format_summary_text(const RunSummary& s) {
  std::string out;
  std::string rate = s.rate_target ? fmt::format("{} events/s", group_thousands(s.rate_target)) : "unlimited rate";
  std::string framing = s.framing.empty() ? "" : fmt::format(", {} framing", s.framing);
  out += fmt::format("{} over {} to {}: {} connection{}, {}-byte messages{}, {}\n", s.subcommand, s.transport,
                     s.target, s.connections, s.connections == 1 ? "" : "s", s.size, framing, rate);
  out += fmt::format("sent    {:>15} events  {:>12.1f} MB      in {:.2f} s (stopped by {})\n",
                     group_thousands(s.events_sent), static_cast<double>(s.bytes_sent) / 1e6, s.elapsed_s,
                     s.stop_reason);
  out += fmt::format("client  {:>15} events/s{:>12.1f} MB/s\n",
                     group_thousands(static_cast<uint64_t>(finite(s.events_per_s()))), s.mb_per_s());
  if (s.server_events_accepted) {
    double share = s.events_sent ? 100.0 * static_cast<double>(*s.server_events_accepted) /
                                       static_cast<double>(s.events_sent)
                                 : 0;
    out += fmt::format("server  {:>15} events accepted ({:.2f}% of sent)", group_thousands(*s.server_events_accepted),
                       share);
    if (s.server_events_per_s && s.server_window_s)
      out += fmt::format(", {} events/s over {:.2f} s",
                         group_thousands(static_cast<uint64_t>(finite(*s.server_events_per_s))), *s.server_window_s);
    out += '\n';
  }
  if (!s.server_note.empty()) out += fmt::format("server  {}\n", s.server_note);
  for (const auto& w : s.warnings) out += fmt::format("warning: {}\n", w);
  for (const auto& e : s.errors) out += fmt::format("error: {}\n", e);
  return out;
}

std::string format_summary_json(const RunSummary& s) {
  return fmt::format(
      "{{\"subcommand\":{},\"transport\":{},\"target\":{},\"framing\":{},\"connections\":{},\"size\":{},"
      "\"rate_target\":{},\"duration_target_s\":{},\"count_target\":{},\"events_sent\":{},\"bytes_sent\":{},"
      "\"elapsed_s\":{:.3f},\"events_per_s\":{:.3f},\"mb_per_s\":{:.3f},\"stop_reason\":{},"
      "\"server_events_accepted\":{},\"server_events_per_s\":{},\"server_window_s\":{},\"server_note\":{},"
      "\"errors\":{},\"warnings\":{}}}\n",
      json_quote(s.subcommand), json_quote(s.transport), json_quote(s.target), json_string_or_null(s.framing),
      s.connections, s.size, s.rate_target, finite(s.duration_target_s),
      s.count_target ? std::to_string(s.count_target) : "null", s.events_sent, s.bytes_sent, finite(s.elapsed_s),
      finite(s.events_per_s()), finite(s.mb_per_s()), json_quote(s.stop_reason),
      s.server_events_accepted ? std::to_string(*s.server_events_accepted) : "null",
      json_number_or_null(s.server_events_per_s), json_number_or_null(s.server_window_s),
      json_string_or_null(s.server_note), json_string_array(s.errors), json_string_array(s.warnings));
}

}  // namespace sluice::bench
