#include "server/admin/admin_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <boost/beast/http.hpp>

#include "base/logger.h"
#include "base/net.h"
#include "base/time.h"
#include "server/admin/flume_metrics.h"

namespace sluice::admin {
namespace http = boost::beast::http;

namespace {

// Connections taken per wake-up, so that a flood of connects cannot starve the clients already
// being served.
constexpr int kAcceptsPerRoundMax = 16;
constexpr size_t kReceiveChunkBytes = 4096;

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string response_text(int status, std::string_view content_type, std::string_view body, bool head_only) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n{}\r\n",
      status, reason(status), content_type, body.size(), status == 503 ? "Retry-After: 1\r\n" : "");
  if (!head_only) out += body;
  return out;
}

// For answers written once on the way out (408, 503): small enough for any socket buffer; a
// client that cannot take even that loses it.
void send_once(int fd, std::string_view data) {
  ssize_t ignored = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

// Reads and drops what the client still sends (a pipelined request), so that closing does not
// reset the connection before it read the answer. Bounded: one socket buffer's worth at most.
void discard_input(int fd) {
  char sink[kReceiveChunkBytes];
  for (int i = 0; i < 16; ++i)
    if (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0) return;
}

}  // namespace

struct AdminServer::Client {
  explicit Client(int f) : fd(f) {}
  ~Client() { ::close(fd); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  int fd;
  int64_t deadline_ms = 0;  // read deadline while reading, write deadline while writing
  bool writing = false;
  std::optional<http::request_parser<http::empty_body>> parser;
  std::string in;   // received, not yet taken by the parser
  std::string out;  // the answer, sent from out_at on
  size_t out_at = 0;
};

AdminResponse route_admin_request(std::string_view method, std::string_view target,
                                  const base::MetricsRegistry& registry, const AdminServer::StatusPage& status_page,
                                  const base::MetricsRegistry::CollectFn& own) {
  std::string_view path = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") return {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
  if (path == "/metrics") {
    base::MetricsWriter writer;
    registry.collect_all(writer);
    if (own) own(writer);
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
    : options_(options), registry_(registry), status_page_(std::move(status_page)) {
  SLUICE_ASSERT(options_.clients_max > 0 && options_.read_timeout_ms > 0 && options_.write_timeout_ms > 0 &&
                    options_.request_bytes_max > 0 && options_.accept_backoff_ms > 0,
                "bad AdminOptions");
}

Result<std::unique_ptr<AdminServer>> AdminServer::start(const AdminOptions& options,
                                                        const base::MetricsRegistry& registry, StatusPage status_page) {
  std::unique_ptr<AdminServer> self(new AdminServer(options, registry, std::move(status_page)));
  auto fd = base::open_listener(base::Transport::tcp, options.host, options.port);
  if (!fd.ok()) return make_error(fmt::format("admin endpoint: {}", fd.error().message));
  self->listen_fd_ = fd.value();  // nonblocking
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(self->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  self->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  self->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (self->stop_fd_ < 0) return make_error(fmt::format("admin endpoint: eventfd: {}", std::strerror(errno)));
  self->clients_.reserve(options.clients_max);
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
  std::vector<pollfd> fds;
  fds.reserve(options_.clients_max + 2);
  for (;;) {
    int64_t now = base::monotonic_ms();
    const bool accepting = now >= accept_resume_ms_;
    fds.clear();
    fds.push_back({stop_fd_, POLLIN, 0});
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});  // poll() skips a negative fd
    int64_t wake_ms = accepting ? INT64_MAX : accept_resume_ms_;
    for (const auto& c : clients_) {
      fds.push_back({c->fd, static_cast<short>(c->writing ? POLLOUT : POLLIN), 0});
      wake_ms = std::min(wake_ms, c->deadline_ms);
    }
    const int timeout = wake_ms == INT64_MAX ? -1 : static_cast<int>(std::clamp<int64_t>(wake_ms - now, 0, 60'000));
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      base::log_error("admin endpoint: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[0].revents) break;
    now = base::monotonic_ms();
    // Clients first (the vector is compacted in place: fds[i + 2] belongs to clients_[i]).
    size_t kept = 0;
    for (size_t i = 0; i < clients_.size(); ++i) {
      Client& c = *clients_[i];
      const short revents = fds[i + 2].revents;
      bool keep = true;
      if (revents) keep = c.writing ? on_writable(c) : on_readable(c, now);
      if (keep && now >= c.deadline_ms) keep = on_deadline(c);
      if (keep) clients_[kept++] = std::move(clients_[i]);
    }
    clients_.resize(kept);
    stats_.active.set(static_cast<int64_t>(clients_.size()));
    if (accepting && (fds[1].revents & POLLIN)) accept_clients(now);
  }
  clients_.clear();
  stats_.active.set(0);
}

void AdminServer::accept_clients(int64_t now) {
  for (int i = 0; i < kAcceptsPerRoundMax; ++i) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) return;
      if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;  // that client is gone; others may wait
      // Out of descriptors (or memory): the connection stays in the backlog and the listener
      // stays readable, so retrying now would spin. Pause accepting for a moment.
      if (e == EMFILE || e == ENFILE) stats_.accept_fd_exhausted.add();
      accept_resume_ms_ = now + options_.accept_backoff_ms;
      if (noisy_log_.allow(now))
        base::log_warn("admin endpoint: accept failed: {}; retrying in {} ms", std::strerror(e),
                       options_.accept_backoff_ms);
      return;
    }
    if (clients_.size() >= options_.clients_max) {
      stats_.refused.add();
      send_once(fd, response_text(503, "text/plain; charset=utf-8", "too many admin clients; retry later\n", false));
      ::close(fd);
      if (noisy_log_.allow(now))
        base::log_warn("admin endpoint: refused a client: {} clients are being served", options_.clients_max);
      continue;
    }
    stats_.accepted.add();
    auto& c = *clients_.emplace_back(std::make_unique<Client>(fd));
    stats_.active.set(static_cast<int64_t>(clients_.size()));
    c.deadline_ms = now + options_.read_timeout_ms;
    c.parser.emplace();
    c.parser->header_limit(static_cast<std::uint32_t>(options_.request_bytes_max));
  }
}

bool AdminServer::on_readable(Client& c, int64_t now) {
  char chunk[kReceiveChunkBytes];
  for (;;) {
    ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
    if (n == 0) return false;  // gone before its request was complete
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    c.in.append(chunk, static_cast<size_t>(n));
    boost::beast::error_code ec;
    size_t used = c.parser->put(boost::asio::buffer(c.in), ec);
    c.in.erase(0, used);
    if (ec == http::error::header_limit || (ec == http::error::need_more && c.in.size() > options_.request_bytes_max)) {
      respond(c, 431, "text/plain", "request headers too large\n", false, now);
      return on_writable(c);
    }
    if (ec && ec != http::error::need_more) {
      respond(c, 400, "text/plain", fmt::format("bad request: {}\n", ec.message()), false, now);
      return on_writable(c);
    }
    if (c.parser->is_header_done()) {
      const auto& request = c.parser->get();
      std::string_view method(request.method_string().data(), request.method_string().size());
      std::string_view target(request.target().data(), request.target().size());
      AdminResponse r = route_admin_request(method, target, registry_, status_page_,
                                            [this](base::MetricsWriter& out) { collect_own(out); });
      respond(c, r.status, r.content_type, std::move(r.body), method == "HEAD", now);
      return on_writable(c);
    }
  }
}

void AdminServer::respond(Client& c, int status, std::string_view content_type, std::string body, bool head_only,
                          int64_t now) {
  c.out = response_text(status, content_type, body, head_only);
  c.out_at = 0;
  c.writing = true;
  c.in.clear();
  c.in.shrink_to_fit();
  c.parser.reset();
  c.deadline_ms = now + options_.write_timeout_ms;
}

bool AdminServer::on_writable(Client& c) {
  while (c.out_at < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;  // the rest when it is writable again
    }
    c.out_at += static_cast<size_t>(n);
  }
  ::shutdown(c.fd, SHUT_WR);
  discard_input(c.fd);
  return false;
}

bool AdminServer::on_deadline(Client& c) {
  if (c.writing) {
    stats_.write_timeouts.add();  // it does not read its answer: drop it
    return false;
  }
  stats_.read_timeouts.add();
  send_once(c.fd, response_text(408, "text/plain", "timeout\n", false));
  return false;
}

void AdminServer::collect_own(base::MetricsWriter& out) const {
  out.counter("sluice_admin_accepted_clients_total", "Connections the admin endpoint accepted.", {},
              static_cast<double>(stats_.accepted.value()));
  out.counter("sluice_admin_refused_clients_total",
              "Connections answered 503 and closed at once: that many admin clients were being served.", {},
              static_cast<double>(stats_.refused.value()));
  out.counter("sluice_admin_client_timeouts_total",
              "Admin clients closed by a timeout: read (request not sent in time), write (answer not read).",
              {{"reason", "read"}}, static_cast<double>(stats_.read_timeouts.value()));
  out.counter("sluice_admin_client_timeouts_total",
              "Admin clients closed by a timeout: read (request not sent in time), write (answer not read).",
              {{"reason", "write"}}, static_cast<double>(stats_.write_timeouts.value()));
  out.counter("sluice_admin_accept_fd_exhausted_total",
              "Times the admin endpoint's accept() failed for lack of file descriptors and paused.", {},
              static_cast<double>(stats_.accept_fd_exhausted.value()));
  out.gauge("sluice_admin_active_clients", "Admin clients being served now.", {},
            static_cast<double>(stats_.active.value()));
}

}  // namespace sluice::admin
