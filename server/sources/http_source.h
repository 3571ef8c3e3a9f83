// The HTTP POST source (Flume's `http`), on one shard: a StreamServer whose connections speak
// HTTP/1.1 (keep-alive, pipelining, Content-Length and chunked bodies, gzip), decode each
// request's body into events (Flume's JSONHandler format, NDJSON or text lines) and store all
// of them in every channel of the source, or none.
//
// Answers: 200 once every event of the request is in the channel and, for a channel in fsync
// mode, durable; 400 malformed (nothing stored), 413 too large, 415 unknown content type or
// encoding, 503 with Retry-After when a channel is full, 404/405 for other paths and methods,
// 408 for a client that does not finish its request in time (requestTimeout: slowloris
// headers, a stalled body), 503 with Retry-After when the shard's budget for bodies being
// received (pending_body_bytes_max) would be passed. GET /health answers 200.
// Memory: a body buffer larger than 64 KiB is freed as soon as its request is done, so a
// keep-alive connection does not keep its largest body (the shard's gzip output likewise).
// Responses go out in request order; a connection with too many answers outstanding stops
// reading until they are sent.
//
// Threads: constructed on the main thread; everything else on the shard's thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/counter.h"
#include "protocols/http/body_decoding.h"
#include "protocols/http/event_decoders.h"
#include "protocols/http/request_reader.h"
#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "server/sources/event_writer.h"
#include "server/sources/stream_server.h"

namespace sluice::sources {

class HttpConnection;

struct HttpSourceOptions {
  std::string name;
  std::string host;
  uint16_t port = 0;
  std::string path = "/";  // besides "/", the path that takes events
  http::BodyFormat default_format = http::BodyFormat::flume_json;
  std::vector<std::string> request_headers;  // request header fields copied into every event
  size_t header_bytes_max = 16 << 10;
  size_t body_bytes_max = 16 << 20;
  size_t events_per_request_max = 100'000;
  uint32_t connections_max = 10000;
  int64_t idle_timeout_ms = 60'000;
  int64_t request_timeout_ms = 30'000;
  int64_t send_timeout_ms = 30'000;
  // Per shard: the most bytes held at once for request bodies being received (a Content-Length
  // body counts whole from its head on). At least body_bytes_max.
  size_t pending_body_bytes_max = 256 << 20;
  uint32_t retry_after_s = 1;
};

// Responses by status, for /metrics.
class HttpProbe {
 public:
  static constexpr std::array<uint16_t, 12> kStatuses = {200, 400, 404, 405, 408, 413, 415, 431, 500, 501, 503, 0};
  void responded(uint16_t status);
  // Memory held by the shard's request buffers (bodies, kept bytes, gzip output) changed.
  void buffer_bytes_changed(int64_t delta) { buffer_bytes_.add(delta); }
  void collect(base::MetricsWriter& out, const base::Labels& labels) const;

 private:
  std::array<base::Counter, kStatuses.size()> responses_;
  base::Gauge buffer_bytes_;
};

class HttpSource final : public StreamServer {
 public:
  HttpSource(const HttpSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe,
             HttpProbe& http_probe);

  void begin_batch(int64_t now_ms) override { now_ms_ = now_ms; }

 private:
  friend class HttpConnection;
  StreamConnection* make_connection(int fd) override;
  // Reports the shared decoder's buffer to the buffer gauge.
  void account_decoder_memory();

  const HttpSourceOptions& options_;
  EventWriter writer_;
  HttpProbe& http_probe_;
  // Decoding is synchronous, so one decoder of each kind serves every connection of the shard.
  http::BodyDecoder body_decoder_;
  http::EventDecoder event_decoder_;
  std::vector<ringbuf::PreparedEvent> prepared_;
  std::vector<ringbuf::Header> extra_headers_;
  std::string scratch_;
  int64_t now_ms_ = 0;
  // Sum of the connections' partial input (bodies being received), for the budget.
  int64_t pending_body_bytes_ = 0;
  int64_t decoder_bytes_reported_ = 0;
};

}  // namespace sluice::sources
