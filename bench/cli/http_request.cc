#include "bench/cli/http_request.h"

#include <zlib.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/bytes.h"
#include "bench/cli/patchable_deflate.h"

namespace sluice::bench {
namespace {

// RFC 1952: magic, CM deflate, no flags, MTIME 0 (none), XFL 0, OS 3 (Unix).
constexpr char kGzipHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, 3};

uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; bodies are far below 4 GiB, but stay correct regardless.
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

// {"headers":{"seq":"0000000042","conn":"003","timestamp":"1795237800123"},"body":"conn=003 seq=0000000042 xxx"}
void append_json_event(std::string& out, const HttpBatchOptions& o, uint64_t seq, size_t body_bytes, SeqFields& fields,
                       TimestampFields& stamps) {
  out += R"({"headers":{")";
  out += kSeqHeader;
  out += R"(":")";
  fields.add(out.size());
  out += format_seq(seq);
  out += R"(",")";
  out += kConnHeader;
  out += R"(":")";
  out += format_conn(o.conn);
  out += R"(",")";
  out += kTimestampHeader;
  out += R"(":")";
  stamps.add(out.size());
  out += format_timestamp_ms(o.timestamp_ms);
  out += R"("},"body":")";
  // The body is [a-z0-9= ]: nothing to escape.
  const size_t body_start = out.size();
  fields.add(body_start + append_event_body(out, o.conn, seq, body_bytes));
  out += R"("})";
}

}  // namespace

std::string_view http_format_name(HttpFormat format) {
  switch (format) {
    case HttpFormat::json: return "json";
    case HttpFormat::ndjson: return "ndjson";
    case HttpFormat::text: return "text";
  }
  return "";
}

std::string_view http_content_type(HttpFormat format) {
  switch (format) {
    case HttpFormat::json: return "application/json";
    case HttpFormat::ndjson: return "application/x-ndjson";
    case HttpFormat::text: return "text/plain; charset=utf-8";
  }
  return "";
}

std::string build_http_body(const HttpBatchOptions& o, SeqFields& fields, TimestampFields& stamps) {
  SLUICE_ASSERT(o.events >= 1, "batch options unchecked");
  SLUICE_ASSERT(o.first_seq + o.events <= kSeqEnd, "sequence numbers wider than their field");
  std::string out;
  if (o.format == HttpFormat::json) out += '[';
  for (uint32_t i = 0; i < o.events; ++i) {
    const uint64_t seq = o.first_seq + i;
    const size_t body_bytes = body_size_of(o.body_sizes, o.size_index, i, o.body_bytes);
    switch (o.format) {
      case HttpFormat::json:
        if (i) out += ',';
        append_json_event(out, o, seq, body_bytes, fields, stamps);
        break;
      case HttpFormat::ndjson:
        append_json_event(out, o, seq, body_bytes, fields, stamps);
        out += '\n';
        break;
      case HttpFormat::text: {
        const size_t body_start = out.size();
        fields.add(body_start + append_event_body(out, o.conn, seq, body_bytes));
        out += '\n';
        break;
      }
    }
  }
  if (o.format == HttpFormat::json) out += ']';
  return out;
}

Result<HttpBatchRequest> HttpBatchRequest::build(const HttpBatchOptions& o) {
  if (o.events == 0) return make_error("a batch needs at least one event");
  if (Status sizes = check_body_sizes(o.body_sizes, o.body_bytes); !sizes) return make_error(sizes.message());
  if (o.first_seq + o.events > kSeqEnd) return make_error(fmt::format("sequence numbers above {} digits", kSeqDigits));

  HttpBatchRequest r;
  r.events_ = o.events;
  r.first_seq_ = o.first_seq;
  r.gzip_ = o.gzip;
  SeqFields plain_fields;
  TimestampFields plain_stamps;
  std::string plain = build_http_body(o, plain_fields, plain_stamps);

  std::string body;
  SeqFields body_fields;
  TimestampFields body_stamps;
  if (o.gzip) {
    // Both kinds of field, in the order they lie in the body, each remembering its kind.
    struct Field {
      size_t offset;
      bool is_stamp;
    };
    std::vector<Field> all;
    for (size_t offset : plain_fields.offsets()) all.push_back({offset, false});
    for (size_t offset : plain_stamps.offsets()) all.push_back({offset, true});
    std::sort(all.begin(), all.end(), [](const Field& a, const Field& b) { return a.offset < b.offset; });
    std::vector<ByteRange> ranges;
    for (const Field& f : all) ranges.push_back({f.offset, f.offset + (f.is_stamp ? kTimestampDigits : kSeqDigits)});
    std::vector<size_t> wire_offsets;
    body.append(kGzipHeader, sizeof kGzipHeader);
    Status deflated = deflate_patchable(plain, ranges, {}, body, wire_offsets);
    if (!deflated) return Error{deflated.message()};
    append_final_stored_block(body);
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].is_stamp) body_stamps.add(wire_offsets[i]);
      else body_fields.add(wire_offsets[i]);
    }
    r.crc_offset_ = body.size();
    char trailer[8];
    base::store_le<uint32_t>(trailer, crc32_of(plain));
    base::store_le<uint32_t>(trailer + 4, static_cast<uint32_t>(plain.size()));  // ISIZE: the length mod 2^32
    body.append(trailer, sizeof trailer);
    r.plain_ = std::move(plain);
    r.plain_fields_ = std::move(plain_fields);
    r.plain_stamps_ = std::move(plain_stamps);
  } else {
    body = std::move(plain);
    body_fields = std::move(plain_fields);
    body_stamps = std::move(plain_stamps);
  }

  r.wire_ = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: sluice-bench\r\nContent-Type: {}\r\n{}"
      "Content-Length: {}\r\n\r\n",
      o.path, o.host, http_content_type(o.format), o.gzip ? "Content-Encoding: gzip\r\n" : "", body.size());
  r.body_offset_ = r.wire_.size();
  r.crc_offset_ += r.body_offset_;
  r.wire_ += body;
  body_fields.shift(r.body_offset_);
  body_stamps.shift(r.body_offset_);
  r.wire_fields_ = std::move(body_fields);
  r.wire_stamps_ = std::move(body_stamps);
  return r;
}

bool HttpBatchRequest::move_to(uint64_t first_seq) {
  if (first_seq < first_seq_ || first_seq > kSeqEnd - events_) return false;
  const uint64_t delta = first_seq - first_seq_;
  if (delta == 0) return true;
  wire_fields_.advance(wire_, delta);
  if (gzip_) {
    plain_fields_.advance(plain_, delta);
    crc_stale_ = true;
  }
  first_seq_ = first_seq;
  return true;
}

void HttpBatchRequest::stamp(int64_t ms) {
  if (wire_stamps_.size() == 0) return;
  const std::string digits = format_timestamp_ms(ms);
  wire_stamps_.write(wire_, digits);
  if (gzip_) {
    plain_stamps_.write(plain_, digits);
    crc_stale_ = true;
  }
}

void HttpBatchRequest::update_crc() {
  base::store_le<uint32_t>(wire_.data() + crc_offset_, crc32_of(plain_));
  crc_stale_ = false;
}

}  // namespace sluice::bench
