#include "sinks/hdfs/webhdfs_client.h"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace sluice::sinks::hdfs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Stream = beast::tcp_stream;
using Parser = http::response_parser<http::string_body>;

constexpr std::string_view kUserAgent = "sluice";
// 1xx answers read past before the final one; Hadoop sends at most one (100 Continue).
constexpr int kInterimAnswersMax = 4;

// What an asynchronous operation left for the code waiting on it. The handler shares it, so a
// handler that runs late (a resolve given up at the deadline) touches nothing else.
struct Completion {
  bool done = false;
  error_code ec;
  size_t bytes = 0;
};
using CompletionPtr = std::shared_ptr<Completion>;

CompletionPtr started() { return std::make_shared<Completion>(); }

auto on_transfer(const CompletionPtr& c) {
  return [c](error_code ec, size_t bytes) {
    c->done = true;
    c->ec = ec;
    c->bytes = bytes;
  };
}

// Runs handlers until done() holds. Only for waits on stream operations and cancelled timers,
// which end by themselves (the stream closes itself at its deadline).
template <typename Done>
void run_until(asio::io_context& io, Done done) {
  while (!done()) {
    if (io.stopped()) io.restart();
    const size_t ran = io.run_one();
    SLUICE_ASSERT(ran > 0 || done(), "WebHdfsClient: waiting while nothing is under way");
  }
}

// Likewise, but gives up at `deadline`. -> whether done() holds.
template <typename Done>
bool run_until(asio::io_context& io, Done done, Deadline deadline) {
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    const size_t ran = io.run_one_until(deadline);
    SLUICE_ASSERT(ran > 0 || done() || std::chrono::steady_clock::now() >= deadline,
                  "WebHdfsClient: waiting while nothing is under way");
  }
  return true;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Bytes a URL from a peer may not put into our request line or Host header.
bool has_unsafe_byte(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7f;
  });
}

bool is_interim(const Parser& parser) {
  const unsigned status = parser.get().result_int();
  return status >= 100 && status < 200 && status != 101;
}

void limit(Parser& parser) {
  parser.header_limit(WebHdfsClient::answer_header_max);
  parser.body_limit(WebHdfsClient::answer_body_max);
}

HttpAnswer answer_of(http::response<http::string_body>&& message) {
  HttpAnswer answer;
  answer.status = static_cast<int>(message.result_int());
  answer.reason = std::string(message.reason());
  answer.content_type = std::string(message[http::field::content_type]);
  answer.location = std::string(message[http::field::location]);
  answer.www_authenticate = std::string(message[http::field::www_authenticate]);
  answer.body = std::move(message.body());
  return answer;
}

// A failed exchange with `node`, while `doing` ("reading the answer of") it.
FsError transport_error(const error_code& ec, std::string_view doing, std::string_view node) {
  if (ec == beast::error::timeout)
    return FsError{FsErrorKind::timeout, fmt::format("timed out {} {}", doing, node), {}, 0};
  if (ec == http::error::end_of_stream)
    return FsError{FsErrorKind::io, fmt::format("{} closed the connection without an answer", node), {}, 0};
  if (ec == http::error::partial_message)
    return FsError{FsErrorKind::io, fmt::format("{} closed the connection in the middle of its answer", node), {}, 0};
  if (ec == http::error::body_limit)
    return FsError{FsErrorKind::protocol,
                   fmt::format("{} sent an answer body over {} bytes", node, WebHdfsClient::answer_body_max),
                   {},
                   0};
  if (ec.category() == http::make_error_code(http::error::bad_version).category())
    return FsError{FsErrorKind::protocol, fmt::format("{} does not answer HTTP/1.1: {}", node, ec.message()), {}, 0};
  return FsError{FsErrorKind::io, fmt::format("{} {}: {}", doing, node, ec.message()), {}, 0};
}

// Whether a kept-alive connection is still usable: nothing to read (no FIN, no stray bytes).
bool idle_and_open(Stream& stream) {
  if (!stream.socket().is_open()) return false;
  pollfd p{};
  p.fd = stream.socket().native_handle();
  p.events = POLLIN | POLLRDHUP;
  return ::poll(&p, 1, 0) == 0;
}

struct NamenodeExchange {
  std::optional<HttpAnswer> answer;
  error_code ec;  // when there is no answer
  std::string_view doing;
  bool answer_started = false;  // a byte of an answer arrived
  bool keep_alive = false;
};

NamenodeExchange exchange(asio::io_context& io, Stream& stream, beast::flat_buffer& buffer, const std::string& request,
                          Deadline deadline) {
  NamenodeExchange x;
  stream.expires_at(deadline);
  auto sent = started();
  asio::async_write(stream, asio::buffer(request), on_transfer(sent));
  run_until(io, [&] { return sent->done; });
  if (sent->ec) {
    x.ec = sent->ec;
    x.doing = "sending the request to";
    return x;
  }
  for (int interim = 0; interim <= kInterimAnswersMax; ++interim) {
    Parser parser;
    limit(parser);
    stream.expires_at(deadline);
    auto got = started();
    http::async_read(stream, buffer, parser, on_transfer(got));
    run_until(io, [&] { return got->done; });
    x.answer_started = x.answer_started || parser.got_some() || buffer.size() > 0;
    if (got->ec) {
      x.ec = got->ec;
      x.doing = "reading the answer of";
      return x;
    }
    if (is_interim(parser)) continue;
    // Bytes beyond the answer would be the start of an answer to nothing: do not reuse.
    x.keep_alive = parser.get().keep_alive() && buffer.size() == 0;
    x.answer = answer_of(parser.release());
    return x;
  }
  x.ec = http::make_error_code(http::error::bad_status);
  x.doing = "reading the answer of";
  return x;
}

}  // namespace

std::string percent_encode_path(std::string_view path) { return percent_encode(path, true); }

std::string percent_encode_value(std::string_view value) { return percent_encode(value, false); }

std::string host_port(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(url[i]))) != kScheme[i]) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const size_t authority_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authority_end);
  std::string_view rest = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);

  HttpUrl out;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty() || has_unsafe_byte(out.host)) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return std::nullopt;
    out.port = static_cast<uint16_t>(port);
  }
  if (rest.empty()) out.target = "/";
  else if (rest.front() == '?') out.target = "/" + std::string(rest);
  else out.target = std::string(rest);
  if (has_unsafe_byte(out.target)) return std::nullopt;
  return out;
}

WebHdfsClient::WebHdfsClient(std::string namenode_host, uint16_t namenode_port)
    : namenode_host_(std::move(namenode_host)),
      namenode_port_(namenode_port),
      namenode_name_(fmt::format("the name node {}", host_port(namenode_host_, namenode_port_))) {}

WebHdfsClient::~WebHdfsClient() { close_namenode(); }

void WebHdfsClient::close_namenode() {
  if (namenode_) namenode_->close();
  namenode_.reset();
  namenode_buffer_.clear();
}

FsStatus WebHdfsClient::connect(Stream& stream, const std::string& host, uint16_t port, Deadline deadline,
                                std::string_view node) {
  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoints.emplace_back(address, port);
  } else {
    struct Resolved {
      bool done = false;
      error_code ec;
      tcp::resolver::results_type results;
    };
    auto resolved = std::make_shared<Resolved>();
    resolver_.async_resolve(host, std::to_string(port), [resolved](error_code e, tcp::resolver::results_type r) {
      resolved->done = true;
      resolved->ec = e;
      resolved->results = std::move(r);
    });
    if (!run_until(
            io_, [&] { return resolved->done; }, deadline)) {
      resolver_.cancel();  // its handler comes later (getaddrinfo cannot be stopped) and sees only `resolved`
      return FsError{FsErrorKind::timeout, fmt::format("timed out resolving {}", node), {}, 0};
    }
    if (resolved->ec)
      return FsError{FsErrorKind::connect, fmt::format("cannot resolve {}: {}", node, resolved->ec.message()), {}, 0};
    for (const auto& entry : resolved->results) endpoints.push_back(entry.endpoint());
  }
  auto connected = started();
  stream.expires_at(deadline);
  stream.async_connect(endpoints, [connected](error_code e, const tcp::endpoint&) {
    connected->done = true;
    connected->ec = e;
  });
  run_until(io_, [&] { return connected->done; });
  if (connected->ec == beast::error::timeout)
    return FsError{FsErrorKind::timeout, fmt::format("timed out connecting to {}", node), {}, 0};
  if (connected->ec)
    return FsError{FsErrorKind::connect, fmt::format("cannot connect to {}: {}", node, connected->ec.message()), {}, 0};
  stream.socket().set_option(tcp::no_delay(true), ec);
  return {};
}

FsResult<HttpAnswer> WebHdfsClient::namenode_request(std::string_view method, std::string_view target,
                                                     Deadline deadline, RetryStale retry) {
  const std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n{}\r\n", method, target,
                                          host_port(namenode_host_, namenode_port_), kUserAgent,
                                          method == "GET" ? "" : "Content-Length: 0\r\n");
  for (int attempt = 1;; ++attempt) {
    const bool reused = namenode_.has_value() && idle_and_open(*namenode_);
    if (!reused) {
      close_namenode();
      namenode_.emplace(io_);
      if (FsStatus s = connect(*namenode_, namenode_host_, namenode_port_, deadline, namenode_name_); !s) {
        close_namenode();
        return s.error();
      }
    }
    NamenodeExchange x = exchange(io_, *namenode_, namenode_buffer_, request, deadline);
    if (x.answer) {
      if (!x.keep_alive) close_namenode();
      return std::move(*x.answer);
    }
    close_namenode();
    // The name node closed a reused connection as we sent on it: the request never got there.
    const bool lost_on_stale = reused && !x.answer_started && x.ec != beast::error::timeout;
    if (lost_on_stale && retry == RetryStale::yes && attempt == 1) continue;
    return transport_error(x.ec, x.doing, namenode_name_);
  }
}

FsResult<HttpAnswer> WebHdfsClient::upload(std::string_view method, const HttpUrl& url, std::string_view data,
                                           Deadline deadline) {
  const std::string node = fmt::format("the data node {}", host_port(url.host, url.port));
  Stream stream(io_);
  if (FsStatus s = connect(stream, url.host, url.port, deadline, node); !s) return s.error();

  // No Expect on an empty body: there is nothing to hold back (the data node sends its 100
  // Continue all the same, and it is read past).
  const std::string head = fmt::format(
      "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: {}\r\n{}\r\n",
      method, url.target, host_port(url.host, url.port), kUserAgent, data.size(),
      data.empty() ? "" : "Expect: 100-continue\r\n");
  stream.expires_at(deadline);
  auto sent = started();
  asio::async_write(stream, asio::buffer(head), on_transfer(sent));
  run_until(io_, [&] { return sent->done; });
  if (sent->ec) return transport_error(sent->ec, "sending the request to", node);

  beast::flat_buffer buffer;
  std::optional<Parser> parser;
  CompletionPtr got;
  auto read_answer = [&] {
    parser.emplace();
    limit(*parser);
    got = started();
    http::async_read(stream, buffer, *parser, on_transfer(got));
  };
  CompletionPtr body;  // the body's write, once started
  auto send_body = [&] {
    stream.expires_at(deadline);  // sets the write side only: a read is under way
    body = started();
    asio::async_write(stream, asio::buffer(data.data(), data.size()), on_transfer(body));
  };
  stream.expires_at(deadline);
  read_answer();

  if (!data.empty()) {
    asio::steady_timer timer(io_, std::min(deadline, std::chrono::steady_clock::now() + continue_wait_max));
    auto waited = started();
    timer.async_wait([waited](error_code ec) {
      waited->done = true;
      waited->ec = ec;
    });
    run_until(io_, [&] { return got->done || waited->done; });
    timer.cancel();
    run_until(io_, [&] { return waited->done; });
    // 100 Continue, or no word yet: send. A final answer (an error) before it: keep the body.
    if (!got->done || (!got->ec && is_interim(*parser))) send_body();
  }

  for (int interim = 0;; ++interim) {
    run_until(io_, [&] { return got->done; });
    if (got->ec || !is_interim(*parser)) break;
    if (interim == kInterimAnswersMax) {
      got->ec = http::make_error_code(http::error::bad_status);
      break;
    }
    read_answer();
  }
  const bool succeeded = !got->ec && parser->get().result_int() / 100 == 2;
  if (body && !body->done) {
    // An answer came before the whole body went out. A success means the data node read it
    // all, and the write's end is on its way; anything else ends the upload here.
    if (!succeeded) stream.close();
    run_until(io_, [&] { return body->done; });
  }
  stream.close();

  const bool body_whole = data.empty() || (body && !body->ec && body->bytes == data.size());
  if (got->ec == beast::error::timeout || (body && body->ec == beast::error::timeout)) {
    if (!body_whole)
      return FsError{FsErrorKind::timeout,
                     fmt::format("timed out sending the data to {} ({} of {} bytes sent)", node, body ? body->bytes : 0,
                                 data.size()),
                     {},
                     0};
    return transport_error(beast::error::timeout, "waiting for the answer of", node);
  }
  if (got->ec) {
    if (body && body->ec && body->ec != asio::error::operation_aborted)
      return FsError{FsErrorKind::io,
                     fmt::format("the connection to {} broke after {} of {} bytes were sent: {}", node, body->bytes,
                                 data.size(), body->ec.message()),
                     {},
                     0};
    return transport_error(got->ec, "reading the answer of", node);
  }
  HttpAnswer answer = answer_of(parser->release());
  if (succeeded && !body_whole)
    return FsError{FsErrorKind::io,
                   fmt::format("{} answered {} {} before it had the whole body ({} of {} bytes sent)", node,
                               answer.status, answer.reason, body ? body->bytes : 0, data.size()),
                   {},
                   answer.status};
  return answer;
}

}  // namespace sluice::sinks::hdfs
