// libFuzzer target: one HTTP source connection's request path as HttpConnection
// (server/sources/http_source.cc) runs it: the RequestReader (framing, chunked bodies,
// pipelining), the Content-Type and Content-Encoding choice, the BodyDecoder (gzip, deflate)
// and the EventDecoder, run twice on every body: once on Boost.JSON (production) and once on
// simdjson (the oracle). The two must agree; a disagreement traps. Single-threaded.
//
// What "agree" means (docs/FUZZING.md):
// - both accept, with the same events: the same headers in the same order, the same bodies;
// - or both refuse with the same HTTP status, and with the same message unless one of them is
//   a JSON syntax error ("invalid JSON ..."): a syntax error's wording and position are each
//   library's, and on text that is not JSON which of a syntax and a shape error is met first
//   depends on how far the parser looks ahead (`[0"` is "an event must be an object, not a
//   number" to Boost.JSON, which reports a number when its token ends, and "invalid number" to
//   simdjson, which checks the token's text first);
// - one exception, a known limit of Boost.JSON: it refuses a number whose exponent overflows
//   ("exponent overflow"), which simdjson accepts as text.
//
// Input: byte 0: the size of the chunks fed to the reader (b+1 bytes; 0xFF: the whole rest in
// one chunk). The rest: the bytes the client sends (any number of pipelined requests).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/http/body_decoding.h"
#include "protocols/http/event_decoders.h"
#include "protocols/http/request_reader.h"
#include "ringbuf/record.h"

namespace {

using namespace sluice;

// Small limits, so that each is reachable from a short input.
constexpr http::RequestReader::options kReaderLimits{
    .header_bytes_max = 2048, .body_bytes_max = 16 * 1024, .body_bytes_kept_max = 1024};
constexpr size_t kDecodedBytesMax = 64 * 1024;

http::EventDecoder::options decoder_options(http::JsonLibrary library) {
  return {.events_max = 64, .headers_per_event_max = 16, .body_bytes_max = kDecodedBytesMax, .json_library = library};
}

// The source's `requestHeaders`: request fields copied onto every event.
const std::string_view kRequestHeaders[] = {"X-Id", "Host"};

using Events = std::vector<std::pair<std::vector<std::pair<std::string_view, std::string_view>>, std::string_view>>;

Events events_of(const http::EventDecoder& d) {
  Events out;
  for (const http::DecodedEvent& e : d.events()) {
    out.emplace_back();
    for (const ringbuf::Header& h : e.headers) out.back().first.emplace_back(h.key, h.value);
    out.back().second = e.body;
  }
  return out;
}

// The back ends disagree: say how (for triage), then crash.
[[noreturn]] void disagree(const char* what, std::string_view body, const http::HttpError& b,
                           const http::HttpError& s) {
  std::fprintf(
      stderr,
      "http_fuzz: JSON back ends disagree (%s) on a body of %zu bytes\n  boost:    %d %.*s\n  simdjson: %d %.*s\n",
      what, body.size(), b.status, static_cast<int>(b.message.size()), b.message.data(), s.status,
      static_cast<int>(s.message.size()), s.message.data());
  __builtin_trap();
}

bool is_syntax_error(std::string_view message) { return message.find("invalid JSON") != std::string_view::npos; }

struct Decoders {
  http::BodyDecoder body{{.decoded_bytes_max = kDecodedBytesMax, .buffer_bytes_kept_max = 1024}};
  http::EventDecoder boost{decoder_options(http::JsonLibrary::boost_json)};
  http::EventDecoder simd{decoder_options(http::JsonLibrary::simdjson)};
  std::vector<ringbuf::Header> extra;
};

// HttpConnection::on_request for a request that reached the events route.
void decode_request(Decoders& d, const http::RequestHead& head, std::string_view sent_body) {
  http::BodyFormat format;
  http::ContentEncoding encoding;
  if (http::select_body_format(head.content_type, http::BodyFormat::flume_json, format)) return;  // 415
  if (http::parse_content_encoding(head.content_encoding, encoding)) return;                      // 415
  std::string_view body;
  if (http::HttpError e = d.body.decode(encoding, sent_body, body)) {
    if (e.message.empty() || (e.status != 400 && e.status != 413)) __builtin_trap();
    return;
  }
  if (body.size() > kDecodedBytesMax) __builtin_trap();
  if (encoding == http::ContentEncoding::identity && body != sent_body) __builtin_trap();
  d.extra.clear();
  for (std::string_view name : kRequestHeaders)
    if (auto value = head.field(name)) d.extra.push_back({name, *value});

  const http::HttpError b = d.boost.decode(format, body, d.extra);
  const http::HttpError s = d.simd.decode(format, body, d.extra);
  if (!b.ok() && b.message.ends_with("exponent overflow")) return;  // Boost.JSON's own limit
  if (b.ok() != s.ok()) disagree("accept/refuse", body, b, s);
  if (b.ok()) {
    if (events_of(d.boost) != events_of(d.simd)) disagree("events", body, b, s);
    const auto limits = d.boost.limits();
    if (d.boost.events().size() > limits.events_max) __builtin_trap();
    for (const http::DecodedEvent& e : d.boost.events())
      if (e.headers.size() > limits.headers_per_event_max) __builtin_trap();
    return;
  }
  if (b.status != s.status || b.message.empty() || s.message.empty()) disagree("status", body, b, s);
  if (!events_of(d.boost).empty() || !events_of(d.simd).empty()) __builtin_trap();
  if (!is_syntax_error(b.message) && !is_syntax_error(s.message) && b.message != s.message)
    disagree("message", body, b, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk_bytes = data[0] == 0xFF ? size : size_t{data[0]} + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  static Decoders decoders;  // per shard in the source: shared by its connections
  http::RequestReader reader(kReaderLimits);
  using Event = http::RequestReader::Event;
  Event e = Event::need_more;
  bool at_end = false;
  while (true) {
    if (e == Event::need_more) {
      if (at_end) break;
      if (stream.empty()) {
        e = reader.finish();
        at_end = true;
        continue;
      }
      const std::string_view chunk = stream.substr(0, chunk_bytes);
      stream.remove_prefix(chunk.size());
      e = reader.feed(chunk);
      continue;
    }
    if (e == Event::error) {
      const http::HttpError& err = reader.error();
      if (err.ok() || err.message.empty()) __builtin_trap();
      if (reader.resume() != Event::error) __builtin_trap();  // the reader stays dead
      break;
    }
    const http::RequestHead& head = reader.head();
    if (head.version != 10 && head.version != 11) __builtin_trap();
    if (head.chunked && head.content_length) __builtin_trap();
    if (e == Event::request) {
      const std::string_view body = reader.body();
      if (body.size() > kReaderLimits.body_bytes_max) __builtin_trap();
      if (head.content_length && body.size() != *head.content_length) __builtin_trap();
      decode_request(decoders, head, body);
      if (!head.keep_alive) break;  // the connection closes after the answer
    }
    e = reader.resume();
  }
  decoders.body.trim_memory();
  return 0;
}
