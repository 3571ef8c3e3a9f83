#include "bench/cli/http_response.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/ascii.h"
#include "base/assert.h"

namespace sluice::bench {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `value` holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (base::equals_ignoring_case(trim(value.substr(0, comma)), token)) return true;
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return false;
}

template <typename T>
bool parse_number(std::string_view text, T& out, int base = 10) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

HttpResponseReader::HttpResponseReader(HttpResponseLimits limits) : limits_(limits) {}

void HttpResponseReader::reset() {
  begin_ = end_ = 0;
  response_ = {};
  error_.clear();
}

std::span<char> HttpResponseReader::prepare(size_t bytes) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < bytes) {
    // Move the unparsed rest to the front, then grow if that is not enough.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < bytes) buffer_.resize(end_ + bytes);
  }
  return std::span<char>(buffer_).subspan(end_);
}

void HttpResponseReader::commit(size_t bytes) {
  SLUICE_ASSERT(end_ + bytes <= buffer_.size(), "commit beyond prepare");
  end_ += bytes;
}

HttpResponseReader::Status HttpResponseReader::fail(std::string message) {
  error_ = std::move(message);
  return Status::error;
}

bool HttpResponseReader::parse_head(std::string_view head) {
  response_ = {};
  content_length_.reset();
  chunked_ = false;
  size_t eol = head.find('\n');
  std::string_view status_line = trim(head.substr(0, eol));
  // "HTTP/1.1 200 OK"
  int status = 0;
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ' ||
      !parse_number(status_line.substr(9, 3), status) || status < 100 || status > 999 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    error_ = fmt::format("not an HTTP/1.x response: '{}'", status_line.substr(0, 80));
    return false;
  }
  response_.status = status;
  response_.reason = status_line.size() > 13 ? status_line.substr(13) : std::string_view{};
  const bool http10 = status_line[7] == '0';
  bool keep_alive = false;
  std::string_view fields = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 1);
  while (!fields.empty()) {
    eol = fields.find('\n');
    std::string_view line = trim(fields.substr(0, eol));
    fields = eol == std::string_view::npos ? std::string_view{} : fields.substr(eol + 1);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error_ = fmt::format("malformed response field '{}'", line.substr(0, 80));
      return false;
    }
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (base::equals_ignoring_case(name, "Content-Length")) {
      size_t length = 0;
      if (!parse_number(value, length) || (content_length_ && *content_length_ != length)) {
        error_ = fmt::format("malformed Content-Length '{}'", value);
        return false;
      }
      content_length_ = length;
    } else if (base::equals_ignoring_case(name, "Transfer-Encoding")) {
      if (!base::equals_ignoring_case(value, "chunked")) {
        error_ = fmt::format("unsupported Transfer-Encoding '{}'", value);
        return false;
      }
      chunked_ = true;
    } else if (base::equals_ignoring_case(name, "Connection")) {
      if (has_token(value, "close")) response_.close = true;
      if (has_token(value, "keep-alive")) keep_alive = true;
    } else if (base::equals_ignoring_case(name, "Retry-After")) {
      uint64_t seconds = 0;
      if (parse_number(value, seconds)) response_.retry_after_s = seconds;
    }
  }
  if (http10 && !keep_alive) response_.close = true;
  return true;
}

bool HttpResponseReader::parse_chunked(size_t at, size_t& end) {
  body_.clear();
  std::string_view data(buffer_.data() + at, end_ - at);
  size_t pos = 0;
  while (true) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (data.size() - pos > 1024) error_ = "malformed chunk size line";
      return false;
    }
    std::string_view size_text = trim(data.substr(pos, eol - pos));
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    size_t size = 0;
    if (!parse_number(trim(size_text), size, 16)) {
      error_ = fmt::format("malformed chunk size '{}'", size_text.substr(0, 40));
      return false;
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer fields, then an empty line.
      while (true) {
        size_t line_end = data.find("\r\n", pos);
        if (line_end == std::string_view::npos) return false;
        bool empty = line_end == pos;
        pos = line_end + 2;
        if (empty) {
          end = at + pos;
          return true;
        }
      }
    }
    if (body_.size() + size > limits_.body_bytes_max) {
      error_ = fmt::format("response body above {} bytes", limits_.body_bytes_max);
      return false;
    }
    if (data.size() - pos < size + 2) return false;
    body_.append(data.substr(pos, size));
    if (data.substr(pos + size, 2) != "\r\n") {
      error_ = "malformed chunk (no CRLF after its data)";
      return false;
    }
    pos += size + 2;
  }
}

HttpResponseReader::Status HttpResponseReader::next() {
  if (!error_.empty()) return Status::error;
  while (true) {
    std::string_view data(buffer_.data() + begin_, end_ - begin_);
    size_t head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      if (data.size() > limits_.head_bytes_max)
        return fail(fmt::format("response head above {} bytes", limits_.head_bytes_max));
      return Status::need_more;
    }
    if (head_end > limits_.head_bytes_max)
      return fail(fmt::format("response head above {} bytes", limits_.head_bytes_max));
    if (!parse_head(data.substr(0, head_end))) return Status::error;
    const size_t body_at = begin_ + head_end + 4;
    const int status = response_.status;
    if (status < 200) {  // interim: 100 Continue and the like have no body
      begin_ = body_at;
      continue;
    }
    if (status == 204 || status == 304) {
      begin_ = body_at;
      return Status::response;
    }
    if (chunked_) {
      size_t end = 0;
      if (!parse_chunked(body_at, end)) {
        if (!error_.empty()) return Status::error;
        return Status::need_more;
      }
      response_.body = body_;
      begin_ = end;
      return Status::response;
    }
    if (!content_length_)
      return fail(
          fmt::format("HTTP {} response without Content-Length or chunked encoding: cannot keep the "
                      "connection",
                      status));
    if (*content_length_ > limits_.body_bytes_max)
      return fail(fmt::format("response body of {} bytes, above {}", *content_length_, limits_.body_bytes_max));
    if (end_ - body_at < *content_length_) return Status::need_more;
    response_.body = std::string_view(buffer_.data() + body_at, *content_length_);
    begin_ = body_at + *content_length_;
    return Status::response;
  }
}

}  // namespace sluice::bench
