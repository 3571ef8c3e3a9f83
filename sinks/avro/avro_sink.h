// Flume's Avro sink (`avro`): forwards batches to the next tier — another sluice, or a Flume
// Avro source — with Avro IPC over Netty framing (protocols/avro), optionally deflated, exactly as
// Flume's NettyAvroRpcClient does. A batch is committed only once the next tier answered OK;
// FAILED, a timeout or a broken connection is retried (the runner backs off; the connection is
// made again with its own timeout). reset-connection-interval reconnects periodically so that a
// load balancer in front of several collectors spreads the agents.
//
// Threads: the sink runner's thread only (blocking sockets with poll() timeouts: the sink has a
// thread of its own); collect() may run on the admin thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/counter.h"
#include "protocols/avro/ipc_client_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"
#include "sinks/avro/avro_sink_probe.h"
#include "sinks/common/sink.h"

namespace sluice::sinks::avro {

struct AvroSinkOptions {
  std::string name;
  std::string host;
  uint16_t port = 0;
  int64_t connect_timeout_ms = 20'000;
  int64_t request_timeout_ms = 20'000;
  int64_t reset_connection_interval_ms = 0;  // 0: never
  bool deflate = false;
  int compression_level = 6;
};

class AvroSink final : public Sink {
 public:
  explicit AvroSink(AvroSinkOptions options);
  ~AvroSink() override;

  Delivery deliver(std::span<const ringbuf::EventView> events) override;
  void interrupt() override { interrupted_.store(true, std::memory_order_release); }
  void close() override { disconnect(); }
  void collect(base::MetricsWriter& out, const base::Labels& labels) const override;

 private:
  Status connect();
  void disconnect();
  // Sends one request and reads its response payload into `payload`.
  Status call(std::string_view request, std::string_view& payload);
  Status send_all(std::string_view bytes, int64_t deadline_ms);
  Status read_frame(int64_t deadline_ms, std::string_view& payload);
  // poll() on `fd` until `events` or the deadline, in short slices so that
  // interrupt() is seen: 1 ready, 0 timed out, -1 interrupted or failed.
  int wait_for(int fd, short events, int64_t deadline_ms);

  const AvroSinkOptions options_;
  int fd_ = -1;
  int64_t connected_at_ms_ = 0;
  int32_t serial_ = 0;
  sluice::avro::ClientSession session_;
  std::unique_ptr<sluice::avro::FrameDecoder> decoder_;
  std::unique_ptr<sluice::avro::Deflater> deflater_;
  std::unique_ptr<sluice::avro::Inflater> inflater_;
  std::string request_, framed_, wire_, received_, inflated_;
  size_t received_at_ = 0;

  std::atomic<bool> interrupted_{false};
  AvroSinkProbe probe_;
};

}  // namespace sluice::sinks::avro
