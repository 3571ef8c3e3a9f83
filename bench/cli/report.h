// The end-of-run summary: client-side totals and, when the server's metrics could be read,
// what the server accepted. Printed as text for people or as one JSON object for scripts.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cli/delivery_latency.h"

namespace sluice::bench {

// What the request/response subcommands (http, avro) add: the server's answers and how long
// they took. A "request" is one HTTP POST or one Avro appendBatch call of `batch` events.
struct RequestSummary {
  std::string unit = "requests";  // what the text calls a request: "requests", "batches"
  uint32_t batch = 0;             // events per request
  uint32_t pipeline = 1;          // requests in flight per connection
  std::string format;             // http: "json", "ndjson", "text"; empty for avro
  std::string compression;        // "none", "gzip", "deflate"
  uint64_t requests_sent = 0;     // distinct requests written whole (retries not counted again)
  uint64_t requests_acked = 0;    // answered 2xx / OK
  uint64_t events_acked = 0;
  uint64_t retries = 0;          // sent again: after 503 / FAILED, or unanswered when the server closed
  uint64_t requests_failed = 0;  // answered with an error (not retried)
  uint64_t events_failed = 0;
  uint64_t requests_abandoned = 0;  // sent, never acknowledged nor refused: waiting to retry at the
  uint64_t events_abandoned = 0;    // stop, unanswered within the drain time, or on a failed connection
  uint64_t reconnects = 0;
  // Send to response of acknowledged requests, one sample per attempt; 0 samples: no numbers.
  uint64_t latency_samples = 0;
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  double latency_p999_ms = 0;
  double latency_max_ms = 0;
  double latency_mean_ms = 0;
};

struct RunSummary {
  std::string subcommand;  // "syslog", "http", "avro"
  std::string transport;   // "tcp", "udp"
  std::string target;      // "127.0.0.1:5514", "http://127.0.0.1:8080/"
  std::string framing;     // "octet", "lf", "netty"; empty where it does not apply (UDP, HTTP)
  uint32_t connections = 0;
  uint64_t size = 0;         // message (syslog) or event body (http, avro) bytes, framing excluded;
                             // with size_dist, the mean of the sizes drawn
  std::string size_dist;     // --size-dist as given ("uniform:100-2000"); empty for a fixed size
  uint64_t rate_target = 0;  // events/s; 0: unlimited
  double duration_target_s = 0;
  uint64_t count_target = 0;  // 0: none
  uint64_t events_sent = 0;
  uint64_t bytes_sent = 0;  // framing included
  double elapsed_s = 0;
  std::string stop_reason;  // "duration", "count", "interrupted", "error"
  // Set when the server's metrics were read before and after the run.
  std::optional<uint64_t> server_events_accepted;
  std::optional<double> server_events_per_s;  // from the first send to the last increase seen
  std::optional<double> server_window_s;      // that span
  std::string server_note;                    // why the server numbers are missing or may be off
  // From the sinks' event-age histogram, once the channels were empty: latency to delivery.
  std::optional<DeliveryLatency> delivery;
  // What the ages are measured from: "send" (sluice-bench stamped every event with its send
  // time) or "receipt" (the server's time of receipt).
  std::string delivery_from = "send";
  std::string delivery_note;  // why delivery numbers are missing or may be off
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::optional<RequestSummary> requests;  // http and avro only

  double events_per_s() const { return elapsed_s > 0 ? static_cast<double>(events_sent) / elapsed_s : 0; }
  double mb_per_s() const { return elapsed_s > 0 ? static_cast<double>(bytes_sent) / 1e6 / elapsed_s : 0; }
  double acked_events_per_s() const {
    return requests && elapsed_s > 0 ? static_cast<double>(requests->events_acked) / elapsed_s : 0;
  }
  double requests_per_s() const {
    return requests && elapsed_s > 0 ? static_cast<double>(requests->requests_acked) / elapsed_s : 0;
  }
};

std::string format_summary_text(const RunSummary& summary);
// One line: a JSON object with a fixed set of fields; missing server numbers are null.
std::string format_summary_json(const RunSummary& summary);

// `unit` ("requests", "batches") for `n` of them: singular for one.
std::string unit_for(uint64_t n, std::string_view unit);
// "12,345,678"
std::string group_thousands(uint64_t value);
// A JSON string literal, quotes included.
std::string json_quote(std::string_view text);
// A JSON array of string literals.
std::string json_string_array(const std::vector<std::string>& items);

}  // namespace sluice::bench
