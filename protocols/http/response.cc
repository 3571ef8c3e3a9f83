#include "protocols/http/response.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::http {

std::string_view reason_phrase(uint16_t status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

void write_response(const Response& response, std::string& out) {
  SLUICE_ASSERT(response.status >= 200 && response.status <= 599, "final responses only (write_continue for 100)");
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", response.status, reason_phrase(response.status));
  if (!response.body.empty()) append_field(out, "Content-Type", response.content_type);
  fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", response.body.size());
  if (response.connection == ConnectionHeader::close) append_field(out, "Connection", "close");
  if (response.connection == ConnectionHeader::keep_alive) append_field(out, "Connection", "keep-alive");
  if (response.retry_after_s > 0)
    fmt::format_to(std::back_inserter(out), "Retry-After: {}\r\n", response.retry_after_s);
  for (const ResponseField& f : response.extra_fields) {
    SLUICE_ASSERT(!has_line_break(f.name) && !has_line_break(f.value), "response field with a line break");
    append_field(out, f.name, f.value);
  }
  out.append("\r\n");
  out.append(response.body);
}

void write_continue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

void write_error_body(std::string_view message, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("{\"error\":\"");
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (u < 0x20 || u == 0x7F) {
          const char escaped[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
          out.append(escaped, sizeof escaped);
        } else {
          out.push_back(c);
        }
    }
  }
  out.append("\"}");
}

void write_error_response(uint16_t status, std::string_view message, ConnectionHeader connection,
                          uint32_t retry_after_s, std::string& body_scratch, std::string& out) {
  body_scratch.clear();
  write_error_body(message, body_scratch);
  Response r;
  r.status = status;
  r.connection = connection;
  r.retry_after_s = retry_after_s;
  r.body = body_scratch;
  write_response(r, out);
}

}  // namespace sluice::http
