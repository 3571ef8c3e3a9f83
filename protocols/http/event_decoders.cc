#include "protocols/http/event_decoders.h"

#include <cstring>

#include "base/ascii.h"
#include "base/assert.h"
#include "protocols/http/event_builder.h"
#include "protocols/http/json_events.h"

namespace sluice::http {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The value of parameter `name` in "type/subtype; a=b; c="d"" (quotes removed, escapes inside
// quotes are not expected in charset names and left as they are). Empty when absent.
std::string_view media_parameter(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view param = trim_blanks(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (!base::equals_ignoring_case(trim_blanks(param.substr(0, eq)), name)) continue;
    std::string_view value = trim_blanks(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

const char* const kNdjsonTypes[] = {"application/x-ndjson", "application/ndjson", "application/jsonl",
                                    "application/x-jsonlines"};

}  // namespace

std::string_view body_format_name(BodyFormat format) {
  switch (format) {
    case BodyFormat::flume_json: return "json";
    case BodyFormat::ndjson: return "ndjson";
    case BodyFormat::text: return "text";
  }
  return "?";
}

HttpError select_body_format(std::string_view content_type, BodyFormat default_format, BodyFormat& out) {
  const size_t semi = content_type.find(';');
  const std::string_view media = trim_blanks(content_type.substr(0, semi));
  const std::string_view params = semi == std::string_view::npos ? std::string_view() : content_type.substr(semi + 1);
  BodyFormat format;
  if (media.empty() || base::equals_ignoring_case(media, "application/x-www-form-urlencoded")) {
    format = default_format;
  } else if (base::equals_ignoring_case(media, "application/json")) {
    format = BodyFormat::flume_json;
  } else if (base::equals_ignoring_case(media, "text/plain")) {
    format = BodyFormat::text;
  } else {
    bool ndjson = false;
    for (const char* type : kNdjsonTypes) ndjson = ndjson || base::equals_ignoring_case(media, type);
    if (!ndjson)
      return {kStatusUnsupportedMediaType,
              "unsupported Content-Type (use application/json, application/x-ndjson or text/plain)"};
    format = BodyFormat::ndjson;
  }
  const std::string_view charset = media_parameter(params, "charset");
  if (!charset.empty() && !base::equals_ignoring_case(charset, "utf-8") &&
      !base::equals_ignoring_case(charset, "utf8") && !base::equals_ignoring_case(charset, "us-ascii")) {
    const bool latin1 =
        base::equals_ignoring_case(charset, "iso-8859-1") || base::equals_ignoring_case(charset, "latin1");
    if (!(latin1 && format == BodyFormat::text))
      return {kStatusUnsupportedMediaType, format == BodyFormat::text
                                               ? "unsupported charset (use utf-8, us-ascii or iso-8859-1)"
                                               : "unsupported charset (JSON must be utf-8)"};
  }
  out = format;
  return {};
}

// Which JSON library decodes Flume JSON, by measurement: bench/micro/http_bench.cc, Release,
// one core of the 2-vCPU development VM, medians of 5 runs (CPU time), Boost 1.81 against
// simdjson 3.0.1, 4 headers and a ~200-byte body per event (docs/BENCHMARKS.md has the command):
//
//   BM_Decode (body -> events)        Boost.JSON SAX   simdjson On-Demand   same, -march=haswell
//   1 event                              134 ns           177 ns              177 ns
//   100 events (32 KiB)                  9.8 us           14.2 us             14.1 us
//   100 events, escape-heavy bodies      22.2 us          26.5 us             26.5 us
//   NDJSON, 100 lines                    12.2 us          18.7 us             -
//
// simdjson's stage 1 is dispatched at run time (the profile shows its icelake kernel) and is
// only ~11% of its time; the On-Demand walk (value types, field iteration, string extents)
// costs more than Boost's whole SAX parse of these small documents, and compiling it for
// haswell changes nothing. So Boost.JSON is the production path. The simdjson reader stays,
// unused in production, as the tests' oracle: an independent parse (with its own unescaping)
// that must agree with Boost's on every verdict and every accepted input
// (event_decoders_test.cc, JsonLibrariesAgree).
struct EventDecoder::Backends {
  explicit Backends(size_t body_bytes_max) : simdjson(body_bytes_max), boost_json(body_bytes_max) {}
  detail::SimdjsonEvents simdjson;
  detail::BoostJsonEvents boost_json;
};

EventDecoder::EventDecoder(options opts)
    : options_(opts),
      builder_(std::make_unique<detail::EventBuilder>(options_)),
      backends_(std::make_unique<Backends>(opts.body_bytes_max)) {
  SLUICE_ASSERT(options_.headers_per_event_max <= UINT16_MAX, "headers_per_event_max past the record format's u16");
  SLUICE_ASSERT(options_.events_max > 0, "events_max must be positive");
}

EventDecoder::~EventDecoder() = default;

std::span<const DecodedEvent> EventDecoder::events() const { return builder_->events(); }

HttpError EventDecoder::decode(BodyFormat format, std::string_view body,
                               std::span<const ringbuf::Header> extra_headers) {
  detail::EventBuilder& b = *builder_;
  b.reset(body, extra_headers);
  HttpError error;
  switch (format) {
    case BodyFormat::flume_json: error = decode_json(body); break;
    case BodyFormat::ndjson: error = decode_ndjson(body); break;
    case BodyFormat::text: error = decode_text(body); break;
  }
  if (error) {
    b.reset({}, {});
    return error;
  }
  b.finish();
  return {};
}

HttpError EventDecoder::decode_json(std::string_view body) {
  detail::EventBuilder& b = *builder_;
  if (body.size() > options_.body_bytes_max) return {kStatusPayloadTooLarge, "request body too large"};
  if (trim_json_whitespace(body).empty()) return {kStatusBadRequest, "empty body: expected a JSON array of events"};
  if (options_.json_library == JsonLibrary::simdjson) return backends_->simdjson.decode_document(body, b);
  return backends_->boost_json.decode_document(body, b);
}

HttpError EventDecoder::decode_ndjson(std::string_view body) {
  detail::EventBuilder& b = *builder_;
  if (body.size() > options_.body_bytes_max) return {kStatusPayloadTooLarge, "request body too large"};
  size_t line_number = 0;
  while (!body.empty()) {
    ++line_number;
    const size_t lf = body.find('\n');
    const std::string_view line = body.substr(0, lf);
    body = lf == std::string_view::npos ? std::string_view() : body.substr(lf + 1);
    if (trim_json_whitespace(line).empty()) continue;
    b.set_line(line_number);
    const HttpError error = options_.json_library == JsonLibrary::simdjson ? backends_->simdjson.decode_line(line, b)
                                                                           : backends_->boost_json.decode_line(line, b);
    if (error) return error;
  }
  return {};
}

HttpError EventDecoder::decode_text(std::string_view body) {
  detail::EventBuilder& b = *builder_;
  while (!body.empty()) {
    const auto* lf = static_cast<const char*>(std::memchr(body.data(), '\n', body.size()));
    std::string_view line = lf ? body.substr(0, static_cast<size_t>(lf - body.data())) : body;
    body.remove_prefix(lf ? line.size() + 1 : body.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (HttpError e = b.begin_event()) return e;
    b.set_body(line);
    if (HttpError e = b.end_event()) return e;
  }
  return {};
}

std::string_view EventDecoder::trim_json_whitespace(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace sluice::http
