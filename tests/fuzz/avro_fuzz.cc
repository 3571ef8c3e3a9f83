// libFuzzer target: one Avro source connection as AvroConnection (server/sources/avro_source.cc)
// runs it: optional inflating of the whole stream (deflate), the Netty frame decoder, the Avro
// IPC server session (handshake, append / appendBatch) and the all-or-nothing append of a
// call's events to an in-memory channel log, whose records are read back and compared with
// what the session decoded. Single-threaded.
//
// Input: byte 0 bit 0: the connection is deflated. Bytes 1-4: four chunk sizes, cycled (a byte
// b gives b+1 bytes; 0xFF gives the whole rest), so that frames, headers and zlib blocks split
// at any point. The rest: the bytes the client sends.
//
// The limits are small (a few KiB) so that every limit is reachable; breaking one must come
// back as a value (a decoder error, an error reply), never as an abort.
//
// With SLUICE_FUZZ_WRITE_SEED=DIR in the environment the binary writes valid inputs, made with
// the project's own Avro client (ClientSession), into DIR and exits: that is how
// tests/fuzz/corpus/avro was made.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/avro/byte_budget.h"
#include "protocols/avro/ipc_client_session.h"
#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"
#include "ringbuf/append.h"
#include "ringbuf/log.h"
#include "ringbuf/record.h"
#include "ringbuf/segment_store.h"
#include "server/sources/answer_queue.h"

namespace {

using namespace sluice;

constexpr int64_t kNowMs = 1700000000000;
constexpr avro::FrameLimits kFrameLimits{
    .buffers_max = 64, .buffer_bytes_max = 16 * 1024, .frame_bytes_max = 64 * 1024};
// Room for one frame and a little: a second connection's frame would not fit.
constexpr size_t kPartialBytesMax = 96 * 1024;
// The protocol text of a client (Flume's is about 2 KiB) must fit client_protocol_bytes_max.
constexpr avro::ServerOptions kServerOptions{.events_max = 64,
                                             .headers_per_event_max = 16,
                                             .headers_per_request_max = 256,
                                             .value_bytes_max = 8 * 1024,
                                             .client_protocol_bytes_max = 8 * 1024};
// Inflated bytes one input may produce (a bomb only costs time up to here).
constexpr size_t kInflatedBytesMax = 1 << 20;
constexpr size_t kScratchBytes = 4096;

using HeaderPairs = std::vector<std::pair<std::string_view, std::string_view>>;

// The memory channel one source appends to: capacity small enough that FAILED (full) and
// too_large answers happen too.
ringbuf::Log& channel() {
  static ringbuf::Doorbell bell;
  static ringbuf::Log log({.capacity_bytes = 64 * 1024, .capacity_events = 200, .readers = 1},
                          std::make_unique<ringbuf::MemorySegmentStore>(16 * 1024), &bell);
  return log;
}

class Connection {
 public:
  explicit Connection(bool deflate)
      : deflate_(deflate),
        budget_(kPartialBytesMax),
        decoder_(kFrameLimits, &budget_),
        session_(registry(), kServerOptions) {}

  // False once the connection is closed (as AvroConnection closes it).
  bool receive(std::string_view chunk) {
    if (!deflate_) return decode(chunk);
    size_t used = 0;
    while (true) {
      const auto r = inflater_.inflate(chunk.substr(used), std::span<char>(scratch_, kScratchBytes));
      if (r.consumed > chunk.size() - used || r.produced > kScratchBytes) __builtin_trap();
      used += r.consumed;
      inflated_bytes_ += r.produced;
      if (r.status == avro::Inflater::Status::error) {
        if (r.error.empty()) __builtin_trap();
        return false;
      }
      if (!decode(std::string_view(scratch_, r.produced))) return false;
      if (inflated_bytes_ > kInflatedBytesMax) return false;
      if (r.status == avro::Inflater::Status::finished) return true;  // bytes after the end are ignored
      if (used == chunk.size() && r.produced < kScratchBytes) return true;
      if (r.consumed == 0 && r.produced == 0) return false;  // the source closes: "no progress"
    }
  }

  // The peer closed its side: nothing must be left over that a check would miss.
  void finish() const { (void)decoder_.idle(); }

 private:
  static avro::ProtocolRegistry& registry() {
    // Per shard in the source, shared by its connections: remembered protocols persist.
    static avro::ProtocolRegistry r(4);
    return r;
  }

  bool decode(std::string_view data) {
    while (!data.empty()) {
      const auto r = decoder_.decode(data);
      if (r.consumed > data.size()) __builtin_trap();
      if (budget_.held() > budget_.bytes_max()) __builtin_trap();
      if (decoder_.buffer_capacity() > kFrameLimits.frame_bytes_max + 4096) __builtin_trap();
      switch (r.status) {
        case avro::FrameDecoder::Status::error:
          if (r.error.empty()) __builtin_trap();
          if (decoder_.decode("x").status != avro::FrameDecoder::Status::error) __builtin_trap();  // stays dead
          return false;
        case avro::FrameDecoder::Status::need_more:
          if (r.consumed != data.size()) __builtin_trap();
          return true;
        case avro::FrameDecoder::Status::frame:
          if (r.consumed == 0) __builtin_trap();  // a frame is at least its 8-byte header
          if (!serve(decoder_.frame())) return false;
          decoder_.release_buffer();
          data.remove_prefix(r.consumed);
          break;
      }
    }
    return true;
  }

  // AvroConnection::serve: one call. False when the connection closes after its answer.
  bool serve(const avro::Frame& frame) {
    size_t buffer_bytes = 0;
    for (std::string_view b : frame.buffers) buffer_bytes += b.size();
    if (buffer_bytes != frame.payload.size() || frame.payload.size() > kFrameLimits.frame_bytes_max) __builtin_trap();
    const auto& call = session_.on_request(frame.payload);
    if (call.kind == avro::ServerSession::Call::Kind::reply) {
      // Every call is answered; only a ping on an established connection with nothing (as Java).
      if (session_.reply().empty() && !(call.problem == "ping" && !call.handshake)) __builtin_trap();
      if (call.over_limit && call.problem.empty()) __builtin_trap();
      answer(frame.serial, session_.reply());
      return !call.malformed;
    }
    check_limits(call);
    prepared_.clear();
    for (const auto& e : call.events) prepared_.push_back({sources::event_time(e.headers, kNowMs), e.headers, e.body});
    ringbuf::Log* logs[] = {&channel()};
    const ringbuf::AppendRefusal refusal = ringbuf::append_batch(logs, prepared_);
    if (refusal == ringbuf::AppendRefusal::store_error) __builtin_trap();  // memory segments
    if (refusal == ringbuf::AppendRefusal::none) {
      read_back(call);
      answer(frame.serial, session_.respond(avro::FlumeStatus::ok));
    } else {
      answer(frame.serial, session_.respond(avro::FlumeStatus::failed));
    }
    return true;
  }

  void check_limits(const avro::ServerSession::Call& call) const {
    if (call.events.size() > kServerOptions.events_max) __builtin_trap();
    if (call.message == avro::FlumeMessage::append && call.events.size() != 1) __builtin_trap();
    size_t headers = 0;
    size_t body_bytes = 0;
    for (const auto& e : call.events) {
      if (e.headers.size() > kServerOptions.headers_per_event_max) __builtin_trap();
      if (e.body.size() > kServerOptions.value_bytes_max) __builtin_trap();
      for (const auto& h : e.headers)
        if (h.key.size() > ringbuf::kHeaderKeyBytesMax || h.value.size() > kServerOptions.value_bytes_max)
          __builtin_trap();
      headers += e.headers.size();
      body_bytes += e.body.size();
    }
    if (headers > kServerOptions.headers_per_request_max || body_bytes != call.body_bytes) __builtin_trap();
  }

  // The records the channel holds now are the call's events, in order, with the same headers
  // (as a multiset: a folded timestamp header reads back first) and body.
  void read_back(const avro::ServerSession::Call& call) {
    ringbuf::Log& log = channel();
    log.publish();
    ringbuf::LogReader& reader = log.reader(0);
    views_.clear();
    reader.read(views_, SIZE_MAX, SIZE_MAX);
    if (views_.size() != call.events.size()) __builtin_trap();
    for (size_t i = 0; i < views_.size(); ++i) {
      const auto& want = call.events[i];
      const ringbuf::EventView& got = views_[i];
      if (got.body() != want.body) __builtin_trap();
      if (got.timestamp_ms() != sources::event_time(want.headers, kNowMs)) __builtin_trap();
      HeaderPairs a, b;
      for (const auto& h : want.headers) a.emplace_back(h.key, h.value);
      got.for_each_header([&](std::string_view k, std::string_view v) { b.emplace_back(k, v); });
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (a != b) __builtin_trap();
    }
    reader.commit();
    log.maintain();
  }

  void answer(int32_t serial, std::string_view payload) {
    out_.clear();
    avro::encode_frame(serial, payload, out_);
    if (deflate_) {
      deflated_.clear();
      deflater_.deflate(out_, deflated_);
    }
  }

  bool deflate_;
  avro::ByteBudget budget_;
  avro::FrameDecoder decoder_;
  avro::ServerSession session_;
  avro::Inflater inflater_;
  avro::Deflater deflater_{{.level = 6, .window_bits = 9, .mem_level = 1}};
  char scratch_[kScratchBytes];
  size_t inflated_bytes_ = 0;
  std::vector<ringbuf::PreparedEvent> prepared_;
  std::vector<ringbuf::EventView> views_;
  std::string out_;
  std::string deflated_;
};

// ---- seeds ----

void write_seed(const std::string& dir, const char* name, uint8_t flags, std::string_view chunks,
                std::string_view stream) {
  std::string input(1, static_cast<char>(flags));
  input.append(chunks);
  input.append(stream);
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(input.data(), 1, input.size(), f) != input.size() || std::fclose(f) != 0) std::exit(1);
}

void write_seeds(const std::string& dir) {
  const ringbuf::Header h1[] = {{"host", "web-1"}, {"timestamp", "1700000000123"}};
  const ringbuf::Header h2[] = {{"app", "x"}};
  const avro::FlumeEvent batch[] = {{h1, "first event"}, {h2, "second"}, {{}, ""}};
  const std::string whole(4, '\xFF');              // every chunk is the whole rest
  const std::string small("\x02\x06\x00\x0C", 4);  // 3, 7, 1, 13 bytes

  // A Flume client: handshake + appendBatch, then (established) an append.
  avro::ClientSession client;
  std::string payload, stream;
  client.encode_append_batch(batch, payload);
  avro::encode_frame(1, payload, stream);
  // The server answers BOTH: the client is established from here on.
  std::string response;
  {
    avro::Writer w(response);
    avro::encode_handshake_response({.match = avro::HandshakeMatch::both}, w);
    w.write_end_of_blocks();  // meta: an empty map
    w.write_boolean(false);   // not an error
    w.write_enum(0);          // Status OK
  }
  if (client.decode_response(response).kind != avro::ClientSession::Response::Kind::status) std::exit(1);
  payload.clear();
  client.encode_append(batch[0], payload);
  avro::encode_frame(2, payload, stream);
  write_seed(dir, "batch_then_append", 0, whole, stream);
  write_seed(dir, "batch_then_append_small_chunks", 0, small, stream);

  // A client whose protocol hash the server does not know: without its text it is answered
  // NONE, then it sends the text (which the server parses and remembers) with the call.
  {
    std::string call;  // an established client's request: no handshake
    client.encode_append_batch(batch, call);
    std::string two;
    for (bool with_text : {false, true}) {
      std::string pl;
      avro::Writer w(pl);
      avro::HandshakeRequest hs;
      hs.client_hash.fill(0x5A);
      if (with_text) hs.client_protocol = avro::kFlumeProtocolJson;
      hs.server_hash = avro::kFlumeProtocolMd5;
      avro::encode_handshake_request(hs, w);
      pl.append(call);
      avro::encode_frame(with_text ? 4 : 3, pl, two);
    }
    write_seed(dir, "unknown_protocol", 0, whole, two);
  }

  // The same split into several buffers, as Java sends large messages.
  {
    std::string multi;
    avro::ClientSession c2;
    std::string pl;
    c2.encode_append_batch(batch, pl);
    const std::string_view pv(pl);
    const std::string_view bufs[] = {pv.substr(0, 16), pv.substr(16, 1), pv.substr(17)};
    avro::encode_frame(7, bufs, multi);
    write_seed(dir, "multi_buffer", 0, small, multi);
  }

  // Deflated: the whole connection one zlib stream, sync-flushed after each frame.
  {
    avro::Deflater deflater;
    std::string deflated;
    std::string first;
    avro::ClientSession c3;
    std::string pl;
    c3.encode_append_batch(batch, pl);
    avro::encode_frame(1, pl, first);
    deflater.deflate(first, deflated);
    write_seed(dir, "deflate_batch", 1, small, deflated);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("SLUICE_FUZZ_WRITE_SEED")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const bool deflate = (data[0] & 1) != 0;
  const uint8_t chunk_codes[4] = {data[1], data[2], data[3], data[4]};
  std::string_view stream(reinterpret_cast<const char*>(data) + 5, size - 5);

  Connection connection(deflate);
  size_t turn = 0;
  while (!stream.empty()) {
    const uint8_t code = chunk_codes[turn++ % 4];
    const size_t n = code == 0xFF ? stream.size() : std::min<size_t>(size_t{code} + 1, stream.size());
    if (!connection.receive(stream.substr(0, n))) break;
    stream.remove_prefix(n);
  }
  connection.finish();
  return 0;
}
