// Micro-benchmarks of the HTTP source's pure path on one core: framing a request (Beast's parser
// behind RequestReader) and decoding its body into events, per body format and JSON library.
// Build Release and pin to one core:
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rel --target http_bench
//   taskset -c 1 build-rel/bin/http_bench --benchmark_min_time=1 --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// items/s counts events; bytes/s counts request bytes (head and body).
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "base/assert.h"
#include "protocols/http/body_decoding.h"
#include "protocols/http/event_decoders.h"
#include "protocols/http/request_reader.h"

namespace sluice::http {
namespace {

enum Kind : int64_t { kJsonSimdjson, kJsonBoost, kNdjsonSimdjson, kNdjsonBoost, kText };

const char* kind_label(int64_t kind) {
  switch (kind) {
    case kJsonSimdjson: return "json/simdjson";
    case kJsonBoost: return "json/boost";
    case kNdjsonSimdjson: return "ndjson/simdjson";
    case kNdjsonBoost: return "ndjson/boost";
    default: return "text";
  }
}

BodyFormat format_of(int64_t kind) {
  if (kind == kJsonSimdjson || kind == kJsonBoost) return BodyFormat::flume_json;
  if (kind == kNdjsonSimdjson || kind == kNdjsonBoost) return BodyFormat::ndjson;
  return BodyFormat::text;
}

JsonLibrary library_of(int64_t kind) {
  return kind == kJsonBoost || kind == kNdjsonBoost ? JsonLibrary::boost_json : JsonLibrary::simdjson;
}

// A ~200-byte body. With escapes: quotes, backslashes, newlines and \u escapes throughout.
std::string body_text(int i, bool escapes) {
  std::string s = "GET /api/v1/items?id=" + std::to_string(i) + " status=200 bytes=1532 upstream=10.0.4.17:8080";
  if (escapes) {
    while (s.size() < 200) s += R"( \"quoted\" C:\\path\\to \u00e9t\u00e9\n)";
  } else {
    while (s.size() < 200) s += " request completed in 12.5 ms user_agent=Mozilla/5.0";
  }
  return s.substr(0, 200);
}

std::string event_json(int i, bool escapes) {
  return R"({"headers":{"host":"web-frontend-)" + std::to_string(i % 10) +
         R"(.example.com","app":"checkout","level":"info","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"},"body":")" +
         body_text(i, escapes) + R"("})";
}

std::string body_for(int64_t kind, int events, bool escapes) {
  std::string body;
  const BodyFormat format = format_of(kind);
  if (format == BodyFormat::flume_json) body += "[";
  for (int i = 0; i < events; ++i) {
    if (format == BodyFormat::flume_json) {
      if (i) body += ",";
      body += event_json(i, escapes);
    } else if (format == BodyFormat::ndjson) {
      body += event_json(i, escapes) + "\n";
    } else {
      body += body_text(i, false) + "\n";
    }
  }
  if (format == BodyFormat::flume_json) body += "]";
  return body;
}

std::string request_for(const std::string& body, BodyFormat format, std::string_view encoding = {}) {
  const char* type = format == BodyFormat::flume_json ? "application/json"
                     : format == BodyFormat::ndjson   ? "application/x-ndjson"
                                                      : "text/plain";
  std::string r = "POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nContent-Type: ";
  r += type;
  if (!encoding.empty()) r += "\r\nContent-Encoding: " + std::string(encoding);
  r += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

std::string bench_gzip(std::string_view data) {
  z_stream z{};
  SLUICE_ASSERT(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  SLUICE_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Reader and decoder together, one request per iteration, as a connection runs them.
void BM_Request(benchmark::State& state) {
  const int64_t kind = state.range(0);
  const int events = static_cast<int>(state.range(1));
  const bool escapes = state.range(2) != 0;
  const BodyFormat format = format_of(kind);
  const std::string request = request_for(body_for(kind, events, escapes), format);
  RequestReader reader({});
  EventDecoder::options options;
  options.json_library = library_of(kind);
  EventDecoder decoder(options);
  for (auto _ : state) {
    RequestReader::Event e = reader.feed(request);
    SLUICE_ASSERT(e == RequestReader::Event::head, "no head");
    e = reader.resume();
    SLUICE_ASSERT(e == RequestReader::Event::request, "no request");
    BodyFormat f;
    SLUICE_ASSERT(select_body_format(reader.head().content_type, BodyFormat::flume_json, f).ok(), "content type");
    const HttpError error = decoder.decode(f, reader.body());
    SLUICE_ASSERT(error.ok(), "decode failed");
    benchmark::DoNotOptimize(decoder.events().data());
    SLUICE_ASSERT(reader.resume() == RequestReader::Event::need_more, "leftover bytes");
  }
  SLUICE_ASSERT(decoder.events().size() == static_cast<size_t>(events), "wrong event count");
  state.SetLabel(std::string(kind_label(kind)) + (escapes ? " escapes" : ""));
  state.SetItemsProcessed(state.iterations() * events);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size()));
}

// Body decoding alone (the JSON library comparison without the framing).
void BM_Decode(benchmark::State& state) {
  const int64_t kind = state.range(0);
  const int events = static_cast<int>(state.range(1));
  const bool escapes = state.range(2) != 0;
  std::string body = body_for(kind, events, escapes);
  const size_t size = body.size();
  body.append(kBodyPaddingBytes, '\0');
  EventDecoder::options options;
  options.json_library = library_of(kind);
  EventDecoder decoder(options);
  for (auto _ : state) {
    const HttpError error = decoder.decode(format_of(kind), std::string_view(body.data(), size));
    SLUICE_ASSERT(error.ok(), "decode failed");
    benchmark::DoNotOptimize(decoder.events().data());
  }
  state.SetLabel(std::string(kind_label(kind)) + (escapes ? " escapes" : ""));
  state.SetItemsProcessed(state.iterations() * events);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

// Framing alone: 100 back-to-back small requests per iteration (wrk-style pipelining).
void BM_ReaderPipelined(benchmark::State& state) {
  const std::string one = request_for(body_for(kJsonSimdjson, 1, false), BodyFormat::flume_json);
  std::string chunk;
  for (int i = 0; i < 100; ++i) chunk += one;
  RequestReader reader({});
  for (auto _ : state) {
    int requests = 0;
    for (RequestReader::Event e = reader.feed(chunk); e != RequestReader::Event::need_more; e = reader.resume())
      requests += e == RequestReader::Event::request;
    SLUICE_ASSERT(requests == 100, "wrong request count");
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(chunk.size()));
}

// A gzip'd 100-event batch: framing, inflating and decoding.
void BM_GzipRequest(benchmark::State& state) {
  const std::string body = body_for(kJsonSimdjson, 100, false);
  const std::string request = request_for(bench_gzip(body), BodyFormat::flume_json, "gzip");
  RequestReader reader({});
  BodyDecoder inflater({});
  EventDecoder decoder({});
  for (auto _ : state) {
    SLUICE_ASSERT(reader.feed(request) == RequestReader::Event::head, "no head");
    SLUICE_ASSERT(reader.resume() == RequestReader::Event::request, "no request");
    ContentEncoding encoding;
    SLUICE_ASSERT(parse_content_encoding(reader.head().content_encoding, encoding).ok(), "encoding");
    std::string_view plain;
    SLUICE_ASSERT(inflater.decode(encoding, reader.body(), plain).ok(), "inflate");
    SLUICE_ASSERT(decoder.decode(BodyFormat::flume_json, plain).ok(), "decode");
    benchmark::DoNotOptimize(decoder.events().data());
    SLUICE_ASSERT(reader.resume() == RequestReader::Event::need_more, "leftover");
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));  // decompressed bytes
}

void Args(benchmark::internal::Benchmark* b) {
  for (int64_t kind : {kJsonSimdjson, kJsonBoost, kNdjsonSimdjson, kNdjsonBoost, kText})
    for (int64_t events : {1, 100}) b->Args({kind, events, 0});
  for (int64_t kind : {kJsonSimdjson, kJsonBoost}) b->Args({kind, 100, 1});
}

BENCHMARK(BM_Request)->Apply(Args);
BENCHMARK(BM_Decode)->Apply(Args);
BENCHMARK(BM_ReaderPipelined);
BENCHMARK(BM_GzipRequest);

}  // namespace

}  // namespace sluice::http

BENCHMARK_MAIN();
