#include "server/admin/admin_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "server/admin/flume_metrics.h"
#include "server/base/log.h"
#include "server/base/net.h"

namespace sluice::admin {
namespace http = boost::beast::http;

namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
  }
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void send_response(int fd, const AdminResponse& r, bool head_only) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
      r.status, reason(r.status), r.content_type, r.body.size());
  if (!head_only) out += r.body;
  send_all(fd, out);
}

}  // namespace

AdminResponse route_admin_request(std::string_view method, std::string_view target,
                                  const base::MetricsRegistry& registry, const AdminServer::StatusPage& status_page) {
  std::string_view path = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") return {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
  if (path == "/metrics") {
    base::MetricsWriter writer;
    registry.collect_all(writer);
    return {200, "text/plain; version=0.0.4; charset=utf-8", writer.text()};
  }
  if (path == "/flume/metrics") {
    base::MetricsWriter writer;
    registry.collect_all(writer);
    return {200, "application/json", flume_metrics_json(writer)};
  }
  if (path == "/health") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/") return {200, "text/plain; charset=utf-8", status_page ? status_page() : std::string("sluice\n")};
  return {404, "text/plain; charset=utf-8", "not found; try /metrics, /flume/metrics, /health or /\n"};
}

AdminServer::AdminServer(const AdminOptions& options, const base::MetricsRegistry& registry, StatusPage status_page)
    : options_(options), registry_(registry), status_page_(std::move(status_page)) {}

Result<std::unique_ptr<AdminServer>> AdminServer::start(const AdminOptions& options,
                                                        const base::MetricsRegistry& registry, StatusPage status_page) {
  std::unique_ptr<AdminServer> self(new AdminServer(options, registry, std::move(status_page)));
  auto fd = base::open_listener(base::Transport::tcp, options.host, options.port);
  if (!fd.ok()) return make_error(fmt::format("admin endpoint: {}", fd.error().message));
  self->listen_fd_ = fd.value();
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(self->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  self->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  self->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (self->stop_fd_ < 0) return make_error(fmt::format("admin endpoint: eventfd: {}", std::strerror(errno)));
  self->thread_ = std::thread([s = self.get()] {
    pthread_setname_np(pthread_self(), "admin");
    s->run();
  });
  return self;
}

AdminServer::~AdminServer() {
  stop();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void AdminServer::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      base::log_error("admin endpoint: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    serve(client);
    close(client);
  }
}

void AdminServer::serve(int client) {
  timeval timeout{static_cast<time_t>(options_.client_timeout_ms / 1000),
                  static_cast<suseconds_t>((options_.client_timeout_ms % 1000) * 1000)};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);

  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options_.request_bytes_max));
  std::string buffer;
  buffer.reserve(4096);
  char chunk[4096];
  while (!parser.is_header_done()) {
    ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) send_response(client, {408, "text/plain", "timeout\n"}, false);
      return;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    boost::beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(buffer), ec);
    buffer.erase(0, used);
    if (ec == http::error::need_more) continue;
    if (ec == http::error::header_limit) {
      send_response(client, {431, "text/plain", "request headers too large\n"}, false);
      return;
    }
    if (ec) {
      send_response(client, {400, "text/plain", fmt::format("bad request: {}\n", ec.message())}, false);
      return;
    }
  }
  const auto& request = parser.get();
  std::string_view method(request.method_string().data(), request.method_string().size());
  std::string_view target(request.target().data(), request.target().size());
  send_response(client, route_admin_request(method, target, registry_, status_page_), method == "HEAD");
}

}  // namespace sluice::admin
