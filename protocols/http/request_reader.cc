#include "protocols/http/request_reader.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>

#include "base/ascii.h"

namespace sluice::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Method method_of(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get: return Method::get;
    case bhttp::verb::head: return Method::head;
    case bhttp::verb::post: return Method::post;
    case bhttp::verb::put: return Method::put;
    case bhttp::verb::delete_: return Method::delete_;
    case bhttp::verb::options: return Method::options;
    case bhttp::verb::patch: return Method::patch;
    default: return Method::other;
  }
}

// Beast's parse errors as answers. Messages are static.
HttpError error_for(const boost::system::error_code& ec) {
  using E = bhttp::error;
  if (ec == E::header_limit) return {kStatusHeaderFieldsTooLarge, "request header too large"};
  if (ec == E::bad_method) return {kStatusBadRequest, "malformed request line: bad method"};
  if (ec == E::bad_target) return {kStatusBadRequest, "malformed request line: bad target"};
  if (ec == E::bad_version) return {kStatusBadRequest, "malformed request line: bad HTTP version"};
  if (ec == E::bad_line_ending) return {kStatusBadRequest, "malformed request: bad line ending"};
  if (ec == E::bad_field) return {kStatusBadRequest, "malformed header field name"};
  if (ec == E::bad_value) return {kStatusBadRequest, "malformed header field value"};
  if (ec == E::bad_obs_fold) return {kStatusBadRequest, "malformed header: obsolete line folding"};
  if (ec == E::bad_content_length) return {kStatusBadRequest, "bad Content-Length"};
  if (ec == E::multiple_content_length) return {kStatusBadRequest, "conflicting Content-Length fields"};
  if (ec == E::bad_transfer_encoding)
    return {kStatusBadRequest, "bad Transfer-Encoding (repeated, or together with Content-Length)"};
  if (ec == E::bad_chunk) return {kStatusBadRequest, "malformed chunked body"};
  if (ec == E::bad_chunk_extension) return {kStatusBadRequest, "malformed chunk extension"};
  return {kStatusBadRequest, "malformed request"};
}

// A chunk-size line (with extensions) or a trailer longer than this is refused; Beast keeps
// asking for more bytes until it sees the line's end, and those bytes wait in `pending_`.
constexpr size_t kChunkLineBytesMax = 4096;

}  // namespace

std::string_view method_name(Method method) {
  switch (method) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::delete_: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::patch: return "PATCH";
    case Method::other: return "other";
  }
  return "other";
}

std::optional<std::string_view> RequestHead::field(std::string_view name) const {
  for (const Field& f : fields_)
    if (base::equals_ignoring_case(f.name, name)) return f.value;
  return std::nullopt;
}

// Beast's parser is single-use: a fresh one is emplaced for every request (no allocation: it
// lives inside this object). Its callbacks go straight to the reader.
class RequestReader::Parser {
 public:
  class Beast final : public bhttp::basic_parser<true> {
   public:
    explicit Beast(RequestReader* reader) : reader_(reader) {}
    void rebind(RequestReader* reader) { reader_ = reader; }

   private:
    void on_request_impl(bhttp::verb verb, beast::string_view method_text, beast::string_view target, int version,
                         boost::system::error_code&) override {
      reader_->on_request_line(method_of(verb), method_text, target, version);
    }
    void on_response_impl(int, beast::string_view, int, boost::system::error_code&) override {
      SLUICE_UNREACHABLE("request parser saw a status line");
    }
    void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                       boost::system::error_code& ec) override {
      reader_->on_field(name, value);
      if (reader_->callback_error_) ec = bhttp::error::bad_value;
    }
    void on_header_impl(boost::system::error_code& ec) override {
      std::optional<uint64_t> length;
      if (auto l = content_length()) length = *l;
      reader_->on_header_complete(length, chunked(), keep_alive());
      if (reader_->callback_error_) ec = bhttp::error::body_limit;
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::system::error_code&) override {}
    std::size_t on_body_impl(beast::string_view body, boost::system::error_code&) override {
      reader_->on_body(body);
      return body.size();
    }
    void on_chunk_header_impl(std::uint64_t size, beast::string_view, boost::system::error_code& ec) override {
      if (!reader_->on_chunk(size)) ec = bhttp::error::body_limit;
    }
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, boost::system::error_code&) override {
      reader_->on_body(body);
      return body.size();
    }
    void on_finish_impl(boost::system::error_code&) override {}

    RequestReader* reader_;
  };

  std::optional<Beast> beast;
};

RequestReader::RequestReader(options opts) : options_(opts), parser_(std::make_unique<Parser>()) {
  SLUICE_ASSERT(options_.header_bytes_max > 0 && options_.header_bytes_max <= UINT32_MAX, "bad header_bytes_max");
  SLUICE_ASSERT(options_.body_bytes_max > 0, "bad body_bytes_max");
}

RequestReader::~RequestReader() = default;
// The parser's callbacks hold the reader's address: a moved reader points them at itself.
RequestReader::RequestReader(RequestReader&& other) noexcept { *this = std::move(other); }

RequestReader& RequestReader::operator=(RequestReader&& other) noexcept {
  options_ = other.options_;
  state_ = other.state_;
  parser_ = std::move(other.parser_);
  pending_ = std::move(other.pending_);
  pending_at_ = other.pending_at_;
  request_started_ = other.request_started_;
  head_text_ = std::move(other.head_text_);
  field_offsets_ = std::move(other.field_offsets_);
  fields_ = std::move(other.fields_);
  head_ = other.head_;
  head_complete_ = other.head_complete_;
  body_ = std::move(other.body_);
  error_ = other.error_;
  callback_error_ = other.callback_error_;
  // A short head text may have lived inside the other string (small-string storage).
  if (head_complete_) build_head_views();
  if (parser_ && parser_->beast) parser_->beast->rebind(this);
  return *this;
}

void RequestReader::start_request() {
  parser_->beast.emplace(this);
  auto& beast = *parser_->beast;
  beast.header_limit(static_cast<std::uint32_t>(options_.header_bytes_max));
  beast.body_limit(boost::none);  // enforced here, so that 413 comes with a complete head
  beast.eager(false);             // stop when the header is complete: the head event
  head_text_.clear();
  field_offsets_.clear();
  fields_.clear();
  head_ = RequestHead{};
  head_complete_ = false;
  body_.clear();
  callback_error_ = {};
  request_started_ = true;
}

RequestReader::Event RequestReader::feed(std::string_view chunk) {
  if (state_ == State::failed) return Event::error;
  SLUICE_ASSERT(state_ == State::reading_head || state_ == State::reading_body,
                "RequestReader::feed() while a head or request is being reported");
  if (buffered_bytes() == 0) {
    // The common case: parse straight from the chunk, keep only what is left over.
    pending_.clear();
    pending_at_ = 0;
    size_t used = 0;
    const Event event = parse(chunk, used);
    if (event != Event::error) pending_.assign(chunk.substr(used));
    return event;
  }
  if (pending_at_ > 0) {
    pending_.erase(0, pending_at_);
    pending_at_ = 0;
  }
  pending_.append(chunk);
  return run();
}

RequestReader::Event RequestReader::resume() {
  switch (state_) {
    case State::failed: return Event::error;
    case State::head_ready:
      state_ = State::reading_body;
      // Allocated only now, so that a head refused by its owner cost nothing (413 was checked
      // at the head: the length is within body_bytes_max).
      if (head_.content_length) body_.reserve(static_cast<size_t>(*head_.content_length), options_.body_bytes_max);
      parser_->beast->eager(true);  // the whole body in as few put() calls as possible
      if (parser_->beast->is_done()) {
        state_ = State::request_ready;
        return Event::request;
      }
      return run();
    case State::request_ready:
      state_ = State::reading_head;
      request_started_ = false;
      trim_memory();
      return run();
    case State::reading_head:
    case State::reading_body: SLUICE_UNREACHABLE("RequestReader::resume() after need_more: feed() instead");
  }
  SLUICE_UNREACHABLE("RequestReader state");
}

RequestReader::Event RequestReader::finish() {
  if (state_ == State::failed) return Event::error;
  SLUICE_ASSERT(state_ == State::reading_head || state_ == State::reading_body,
                "RequestReader::finish() while a head or request is being reported");
  if (idle()) return Event::need_more;
  return fail({kStatusBadRequest, "connection closed in the middle of a request"});
}

bool RequestReader::idle() const { return state_ == State::reading_head && !request_started_ && buffered_bytes() == 0; }

void RequestReader::release_memory() {
  if (state_ == State::reading_head && !request_started_) body_.release();
}

void RequestReader::trim_memory() {
  SLUICE_ASSERT(!reading_body(), "RequestReader::trim_memory() while a body is read");
  if (state_ == State::reading_head && request_started_) return;  // a head is being read
  if (body_.capacity() > options_.body_bytes_kept_max) body_.release();
  if (buffered_bytes() == 0 && pending_.capacity() > options_.body_bytes_kept_max) {
    pending_ = std::string();
    pending_at_ = 0;
  }
}

const RequestHead& RequestReader::head() const {
  SLUICE_ASSERT(state_ == State::head_ready || state_ == State::request_ready || state_ == State::reading_body ||
                    (state_ == State::failed && request_started_),
                "RequestReader::head() without a head");
  return head_;
}

std::string_view RequestReader::body() const {
  SLUICE_ASSERT(state_ == State::request_ready, "RequestReader::body() without a request");
  return body_.view();
}

RequestReader::Event RequestReader::run() {
  size_t used = 0;
  const Event event = parse(std::string_view(pending_).substr(pending_at_), used);
  if (event == Event::error) return event;  // fail() dropped the pending bytes
  pending_at_ += used;
  if (pending_at_ == pending_.size()) {
    pending_.clear();
    pending_at_ = 0;
  }
  return event;
}

RequestReader::Event RequestReader::parse(std::string_view data, size_t& used) {
  used = 0;
  for (;;) {
    if (!request_started_) {
      // RFC 9112 2.2: ignore empty lines before a request line (some clients send a CRLF
      // after a body).
      while (used < data.size() && (data[used] == '\r' || data[used] == '\n')) ++used;
      if (used == data.size()) return Event::need_more;
      start_request();
      state_ = State::reading_head;
    }
    if (used == data.size()) return Event::need_more;
    auto& beast = *parser_->beast;
    boost::system::error_code ec;
    used += beast.put(boost::asio::const_buffer(data.data() + used, data.size() - used), ec);
    if (callback_error_) return fail(callback_error_);
    if (ec == bhttp::error::need_more) {
      // Beast wants the rest of a header or chunk line; the unconsumed bytes wait. Beast bounds
      // the header (header_limit); chunk lines and trailers are bounded here.
      if (state_ == State::reading_body && data.size() - used > kChunkLineBytesMax)
        return fail({kStatusBadRequest, "chunk size line or trailer too long"});
      return Event::need_more;
    }
    if (ec) return fail(error_for(ec));
    if (state_ == State::reading_head) {
      if (!beast.is_header_done()) continue;
      state_ = State::head_ready;
      return Event::head;
    }
    if (beast.is_done()) {
      state_ = State::request_ready;
      return Event::request;
    }
    if (used == data.size()) return Event::need_more;
  }
}

RequestReader::Event RequestReader::fail(HttpError error) {
  state_ = State::failed;
  error_ = error;
  pending_.clear();
  pending_at_ = 0;
  return Event::error;
}

void RequestReader::on_request_line(Method method, std::string_view method_text, std::string_view target, int version) {
  // Beast accepts only HTTP/1.x versions (bad_version otherwise).
  head_.method = method;
  head_.version = static_cast<uint8_t>(version);
  head_text_.append(method_text);
  head_text_.append(target);
  // Offsets of the two texts are implied: [0, method) and [method, method + target).
  field_offsets_.push_back({0, static_cast<uint32_t>(method_text.size()), static_cast<uint32_t>(method_text.size()),
                            static_cast<uint32_t>(target.size())});
}

void RequestReader::on_field(std::string_view name, std::string_view value) {
  if (state_ != State::reading_head) return;  // a trailer after a chunked body: ignored
  value = trim_blanks(value);
  if (base::equals_ignoring_case(name, "transfer-encoding") && !base::equals_ignoring_case(value, "chunked")) {
    // Beast would treat an unknown coding as "no body" and read the body as the next
    // request; RFC 9112 6.1 asks for 501.
    callback_error_ = {kStatusNotImplemented, "only Transfer-Encoding: chunked is supported"};
    return;
  }
  const auto at = static_cast<uint32_t>(head_text_.size());
  head_text_.append(name);
  head_text_.append(value);
  field_offsets_.push_back({at, static_cast<uint32_t>(name.size()), static_cast<uint32_t>(at + name.size()),
                            static_cast<uint32_t>(value.size())});
}

void RequestReader::build_head_views() {
  const std::string_view text = head_text_;
  const FieldOffsets& line = field_offsets_.front();
  head_.method_text = text.substr(line.name_at, line.name_len);
  head_.target = text.substr(line.value_at, line.value_len);
  head_.path = head_.target.substr(0, head_.target.find('?'));
  fields_.clear();
  for (size_t i = 1; i < field_offsets_.size(); ++i) {
    const FieldOffsets& f = field_offsets_[i];
    fields_.push_back({text.substr(f.name_at, f.name_len), text.substr(f.value_at, f.value_len)});
  }
  head_.fields_ = fields_;
  head_.content_type = {};
  head_.content_encoding = {};
  for (const auto& f : fields_) {
    if (head_.content_type.data() == nullptr && base::equals_ignoring_case(f.name, "content-type"))
      head_.content_type = f.value;
    else if (head_.content_encoding.data() == nullptr && base::equals_ignoring_case(f.name, "content-encoding"))
      head_.content_encoding = f.value;
  }
}

void RequestReader::on_header_complete(std::optional<uint64_t> content_length, bool chunked, bool keep_alive) {
  // head_text_ is complete: turn offsets into views.
  head_complete_ = true;
  build_head_views();
  for (const auto& f : fields_)
    if (base::equals_ignoring_case(f.name, "expect") && base::equals_ignoring_case(f.value, "100-continue"))
      head_.expect_continue = head_.version >= 11;
  head_.chunked = chunked;
  head_.content_length = chunked ? std::nullopt : content_length;
  head_.keep_alive = keep_alive;
  if (head_.content_length && *head_.content_length > options_.body_bytes_max) {
    callback_error_ = {kStatusPayloadTooLarge, "request body too large"};
    return;
  }
}

bool RequestReader::on_chunk(uint64_t size) {
  if (size > options_.body_bytes_max - body_.size()) {
    callback_error_ = {kStatusPayloadTooLarge, "request body too large"};
    return false;
  }
  body_.reserve(body_.size() + static_cast<size_t>(size), options_.body_bytes_max);
  return true;
}

void RequestReader::on_body(std::string_view bytes) {
  // Content-Length bodies were reserved whole, chunks one at a time: never past the limit.
  body_.append(bytes.data(), bytes.size());
}

}  // namespace sluice::http
