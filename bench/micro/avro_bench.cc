// Micro-benchmarks of the Avro RPC codec on one core: decoding a Flume appendBatch of 100
// events (~200-byte bodies, 4 headers) into event views, with and without Netty framing (one
// buffer, or Java's 8 KiB buffers gathered) and deflate; encoding the response; encoding a
// batch as a sink would. Build Release and pin to one core:
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rel --target avro_bench
//   taskset -c 1 build-rel/bin/avro_bench --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "base/assert.h"
#include "protocols/avro/ipc_client_session.h"
#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"

namespace sluice::avro {
namespace {

constexpr size_t kBatchEvents = 100;
constexpr size_t kBodyBytes = 200;
constexpr size_t kJavaBufferBytes = 8192;

// What a Flume agent's Avro sink sends: 4 headers, a ~200-byte body.
struct Batch {
  std::vector<std::string> bodies;
  std::vector<std::string> seqs;
  std::vector<std::vector<ringbuf::Header>> headers;
  std::vector<FlumeEvent> events;

  // `first`: the number of the batch's first event (bodies and seq headers differ per batch).
  explicit Batch(size_t first = 0) {
    for (size_t n = first; n < first + kBatchEvents; ++n) {
      std::string body = "2026-11-21T05:10:00.123Z web-frontend-01 nginx GET /api/v1/items?id=" + std::to_string(n);
      while (body.size() < kBodyBytes) body += " status=200 bytes=1532 upstream=10.0.4.17:8080";
      body.resize(kBodyBytes);
      bodies.push_back(std::move(body));
      seqs.push_back(std::to_string(1000000 + n));
    }
    for (size_t i = 0; i < kBatchEvents; ++i) {
      headers.push_back({{"timestamp", "1795239201702"},
                         {"host", "web-frontend-01.example.com"},
                         {"seq", seqs[i]},
                         {"topic", "access-logs"}});
    }
    for (size_t i = 0; i < kBatchEvents; ++i) events.push_back({headers[i], bodies[i]});
  }
};

// The request payload on an established connection (no handshake), as a Flume client sends it.
std::string batch_payload(const Batch& batch) {
  ClientSession client;
  std::string warm;
  client.encode_append(FlumeEvent{{}, "x"}, warm);
  const std::string both("\x00\x00\x00\x00\x00\x00\x00", 7);
  SLUICE_ASSERT(client.decode_response(both).kind == ClientSession::Response::Kind::status, "handshake");
  std::string payload;
  client.encode_append_batch(batch.events, payload);
  return payload;
}

// A session that has had its handshake.
ServerSession established_session(ProtocolRegistry& registry) {
  ServerSession session(registry);
  ClientSession client;
  std::string req;
  client.encode_append(FlumeEvent{{}, "x"}, req);
  SLUICE_ASSERT(session.on_request(req).kind == ServerSession::Call::Kind::events, "handshake call");
  session.respond(FlumeStatus::ok);
  SLUICE_ASSERT(session.established(), "established");
  return session;
}

void set_counters(benchmark::State& state, size_t wire_bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBatchEvents));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire_bytes));
}

// Request payload -> event views -> response payload.
void BM_DecodeAppendBatch(benchmark::State& state) {
  const Batch batch;
  const std::string payload = batch_payload(batch);
  ProtocolRegistry registry;
  ServerSession session = established_session(registry);
  for (auto _ : state) {
    const auto& call = session.on_request(payload);
    benchmark::DoNotOptimize(call.events.data());
    benchmark::DoNotOptimize(session.respond(FlumeStatus::ok).data());
  }
  SLUICE_ASSERT(session.on_request(payload).events.size() == kBatchEvents, "batch did not decode");
  state.SetLabel("100 events, payload " + std::to_string(payload.size()) + " B");
  set_counters(state, payload.size());
}
BENCHMARK(BM_DecodeAppendBatch);

// The same from the socket's bytes: framing (0: one buffer, in place; 1: Java's 8 KiB buffers,
// gathered), optionally inflated first (2), then the framed response.
void BM_FrameDecodeRespond(benchmark::State& state) {
  const Batch batch;
  const std::string payload = batch_payload(batch);
  std::string wire;
  if (state.range(0) == 0) {
    encode_frame(1, payload, wire);
  } else {
    std::vector<std::string_view> buffers;
    for (size_t at = 0; at < payload.size(); at += kJavaBufferBytes)
      buffers.push_back(std::string_view(payload).substr(at, kJavaBufferBytes));
    encode_frame(1, buffers, wire);
  }
  const bool deflate = state.range(0) == 2;
  // Deflate: one long compressed stream, as Flume's client writes it (a sync flush per frame),
  // cut at the frames; chunk 0 carries the zlib header, so the stream restarts at its top.
  constexpr size_t kChunks = 256;
  std::vector<std::string> chunks;
  if (deflate) {
    // Distinct batches: the same one repeated would compress to a back-reference.
    Deflater client_deflater;
    for (size_t i = 0; i < kChunks; ++i) {
      std::string frame;
      encode_frame(1, batch_payload(Batch(i * kBatchEvents)), frame);
      std::string c;
      client_deflater.deflate(frame, c);
      chunks.push_back(std::move(c));
    }
  }
  ProtocolRegistry registry;
  ServerSession session = established_session(registry);
  FrameDecoder decoder;
  Inflater inflater;
  // The response stream: tiny responses need no big window.
  Deflater response_deflater(DeflateOptions{.level = 6, .window_bits = 9, .mem_level = 1});
  std::vector<char> plain(64 * 1024);
  std::string out;
  std::string z;
  auto on_bytes = [&](std::string_view bytes) {
    while (!bytes.empty()) {
      const auto r = decoder.decode(bytes);
      SLUICE_ASSERT(r.status != FrameDecoder::Status::error, "frame error");
      bytes.remove_prefix(r.consumed);
      if (r.status != FrameDecoder::Status::frame) break;
      const auto& call = session.on_request(decoder.frame().payload);
      SLUICE_ASSERT(call.events.size() == kBatchEvents, "batch did not decode");
      out.clear();
      encode_frame(decoder.frame().serial, session.respond(FlumeStatus::ok), out);
      if (deflate) {
        z.clear();
        response_deflater.deflate(out, z);
        benchmark::DoNotOptimize(z.data());
      }
      benchmark::DoNotOptimize(out.data());
    }
  };
  size_t next = 0;
  size_t compressed_bytes = 0;
  for (auto _ : state) {
    if (!deflate) {
      on_bytes(wire);
      continue;
    }
    if (next == kChunks) {
      state.PauseTiming();
      inflater = Inflater();
      next = 0;
      state.ResumeTiming();
    }
    std::string_view in = chunks[next++];
    compressed_bytes += in.size();
    while (true) {
      const auto r = inflater.inflate(in, plain);
      SLUICE_ASSERT(r.status == Inflater::Status::ok, "inflate error");
      in.remove_prefix(r.consumed);
      on_bytes(std::string_view(plain.data(), r.produced));
      if (in.empty() && r.produced < plain.size()) break;
    }
  }
  SLUICE_ASSERT(decoder.idle(), "a frame was left half decoded");
  static const char* const kLabels[] = {"one buffer", "8 KiB buffers", "deflate, one buffer"};
  state.SetLabel(kLabels[state.range(0)]);
  set_counters(state, deflate ? (state.iterations() ? compressed_bytes / state.iterations() : 0) : wire.size());
}
BENCHMARK(BM_FrameDecodeRespond)->Arg(0)->Arg(1)->Arg(2);

// The response alone: status, framed.
void BM_EncodeResponse(benchmark::State& state) {
  const Batch batch;
  const std::string payload = batch_payload(batch);
  ProtocolRegistry registry;
  ServerSession session = established_session(registry);
  session.on_request(payload);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_frame(7, session.respond(FlumeStatus::ok), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeResponse);

// A sink's side: encoding an appendBatch of 100 events.
void BM_ClientEncodeAppendBatch(benchmark::State& state) {
  const Batch batch;
  const std::string payload = batch_payload(batch);
  ClientSession client;
  std::string warm;
  client.encode_append(FlumeEvent{{}, "x"}, warm);
  const std::string both("\x00\x00\x00\x00\x00\x00\x00", 7);
  client.decode_response(both);
  std::string out;
  for (auto _ : state) {
    out.clear();
    client.encode_append_batch(batch.events, out);
    benchmark::DoNotOptimize(out.data());
  }
  SLUICE_ASSERT(out == payload, "encoding differs");
  set_counters(state, out.size());
}
BENCHMARK(BM_ClientEncodeAppendBatch);

}  // namespace
}  // namespace sluice::avro

BENCHMARK_MAIN();
