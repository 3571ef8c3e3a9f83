#include "bench/cli/metrics_scrape.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "base/ascii.h"
#include "base/time.h"
#include "bench/cli/net.h"

namespace sluice::bench {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The position just past the '}' closing a label set that starts at text[0] == '{', or npos.
size_t skip_labels(std::string_view text) {
  bool in_quotes = false;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '\\') ++i;
      else if (c == '"') in_quotes = false;
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == '}') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

Result<double> parse_sample_value(std::string_view token) {
  if (token.starts_with('+')) token.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size())
    return make_error(fmt::format("malformed sample value '{}'", token));
  if (!std::isfinite(value)) return make_error(fmt::format("sample value '{}' is not finite", token));
  return value;
}

Status send_all(int fd, std::string_view data, int64_t deadline_ms) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return make_error(errno_text(errno));
    int64_t left_ms = deadline_ms - base::monotonic_ms();
    if (left_ms <= 0) return make_error("timed out sending the request");
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left_ms));
  }
  return {};
}

}  // namespace

Result<std::string_view> http_response_body(std::string_view response) {
  size_t header_end = response.find("\r\n\r\n");
  size_t body_start = header_end == std::string_view::npos ? std::string_view::npos : header_end + 4;
  if (header_end == std::string_view::npos) {
    header_end = response.find("\n\n");
    if (header_end != std::string_view::npos) body_start = header_end + 2;
  }
  if (header_end == std::string_view::npos) return make_error("incomplete HTTP response (no end of headers)");
  std::string_view head = response.substr(0, header_end);
  size_t status_end = head.find('\n');
  std::string_view status_line = trim(head.substr(0, status_end));
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ')
    return make_error(fmt::format("not an HTTP response: '{}'", status_line.substr(0, 60)));
  std::string_view status = status_line.substr(9, 3);
  if (status != "200") return make_error(fmt::format("HTTP status {}", trim(status_line.substr(9))));

  std::string_view body = response.substr(body_start);
  std::string_view headers = status_end == std::string_view::npos ? std::string_view{} : head.substr(status_end + 1);
  while (!headers.empty()) {
    size_t eol = headers.find('\n');
    std::string_view line = trim(headers.substr(0, eol));
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (base::equals_ignoring_case(name, "Transfer-Encoding") && !base::equals_ignoring_case(value, "identity"))
      return make_error(fmt::format("unsupported Transfer-Encoding '{}'", value));
    if (base::equals_ignoring_case(name, "Content-Length")) {
      size_t length = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || end != value.data() + value.size())
        return make_error(fmt::format("malformed Content-Length '{}'", value));
      if (body.size() < length)
        return make_error(fmt::format("truncated HTTP response ({} of {} body bytes)", body.size(), length));
      body = body.substr(0, length);
    }
  }
  return body;
}

Status for_each_prometheus_sample(std::string_view text, std::string_view name, const SampleFn& fn) {
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    if (!line.starts_with(name)) continue;
    std::string_view rest = line.substr(name.size());
    // The name must end here: sluice_x_total is not sluice_x_total_bytes.
    if (rest.empty() || (rest.front() != '{' && rest.front() != ' ' && rest.front() != '\t')) continue;
    std::string_view labels;
    if (rest.front() == '{') {
      size_t end = skip_labels(rest);
      if (end == std::string_view::npos) return make_error(fmt::format("line {}: unterminated label set", line_number));
      labels = rest.substr(0, end);
      rest = rest.substr(end);
    }
    rest = trim(rest);
    std::string_view value_token = rest.substr(0, rest.find_first_of(" \t"));  // a timestamp may follow
    auto value = parse_sample_value(value_token);
    if (!value) return make_error(fmt::format("line {}: {}", line_number, value.error().message));
    Status accepted = fn(labels, value.value());
    if (!accepted) return make_error(fmt::format("line {}: {}", line_number, accepted.message()));
  }
  return {};
}

std::optional<std::string_view> prometheus_label(std::string_view labels, std::string_view key) {
  // {a="1",le="0.5"}: label values here never hold escaped quotes worth unescaping.
  size_t i = labels.starts_with('{') ? 1 : 0;
  while (i < labels.size()) {
    size_t eq = labels.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= labels.size() || labels[eq + 1] != '"') return std::nullopt;
    size_t close = eq + 2;
    while (close < labels.size() && labels[close] != '"') close += labels[close] == '\\' ? 2 : 1;
    if (close >= labels.size()) return std::nullopt;
    if (trim(labels.substr(i, eq - i)) == key) return labels.substr(eq + 2, close - eq - 2);
    i = close + 1;
    while (i < labels.size() && (labels[i] == ',' || labels[i] == ' ')) ++i;
    if (i < labels.size() && labels[i] == '}') break;
  }
  return std::nullopt;
}

Result<double> sum_prometheus_samples(std::string_view text, std::string_view name) {
  double total = 0;
  size_t samples = 0;
  Status read = for_each_prometheus_sample(text, name, [&](std::string_view, double value) -> Status {
    total += value;
    ++samples;
    return {};
  });
  if (!read) return make_error(read.message());
  if (samples == 0) return make_error(fmt::format("no {} samples", name));
  return total;
}

Result<std::string> http_get(const HttpUrl& url, int64_t timeout_ms) {
  int64_t deadline_ms = base::monotonic_ms() + timeout_ms;
  std::string shown = url.text();
  auto addresses = resolve(url.host, url.port, SOCK_STREAM, shown);
  if (!addresses) return addresses.error();
  auto connected = connect_first(addresses.value(), SOCK_STREAM, timeout_ms, shown);
  if (!connected) return connected.error();
  int fd = connected->fd.get();

  std::string host_header = url.host.find(':') != std::string::npos ? fmt::format("[{}]", url.host) : url.host;
  std::string request = fmt::format(
      "GET {} HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: sluice-bench\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
      url.path, host_header, url.port);
  Status sent = send_all(fd, request, deadline_ms);
  if (!sent) return make_error(fmt::format("{}: {}", shown, sent.message()));

  // HTTP/1.0: the response ends when the server closes the connection.
  std::string response;
  char chunk[64 * 1024];
  while (true) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      if (response.size() + static_cast<size_t>(n) > kHttpResponseBytesMax)
        return make_error(fmt::format("{}: response larger than {} bytes", shown, kHttpResponseBytesMax));
      response.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno != EAGAIN && errno != EINTR) return make_error(fmt::format("{}: {}", shown, errno_text(errno)));
    int64_t left_ms = deadline_ms - base::monotonic_ms();
    if (left_ms <= 0) return make_error(fmt::format("{}: timed out after {} ms", shown, timeout_ms));
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left_ms));
  }
  auto body = http_response_body(response);
  if (!body) return make_error(fmt::format("{}: {}", shown, body.error().message));
  return std::string(body.value());
}

Result<double> scrape_metric_sum(const HttpUrl& url, std::string_view name, int64_t timeout_ms) {
  auto body = http_get(url, timeout_ms);
  if (!body) return body.error();
  auto sum = sum_prometheus_samples(body.value(), name);
  if (!sum) return make_error(fmt::format("{}: {}", url.text(), sum.error().message));
  return sum;
}

SettleResult wait_for_settle(const SettleOptions& options, double first_value, int64_t first_ns,
                             const SettleHooks& hooks) {
  SettleResult out;
  out.value = first_value;
  out.last_increase_ns = first_ns;
  int64_t last_change_ns = first_ns;
  while (true) {
    if (options.falling ? out.value <= options.target : out.value >= options.target) {
      out.reached_target = true;
      return out;
    }
    int64_t now = hooks.now_ns();
    if (now - last_change_ns >= options.unchanged_ns_max || now - first_ns >= options.wait_ns_max) return out;
    if (hooks.interrupted()) {
      out.interrupted = true;
      return out;
    }
    hooks.sleep_ns(options.poll_interval_ns);
    auto value = hooks.scrape();
    now = hooks.now_ns();
    if (!value) {
      out.last_error = value.error().message;
      continue;
    }
    if (value.value() != out.value) last_change_ns = now;
    if (value.value() > out.value) out.last_increase_ns = now;
    out.value = value.value();
  }
}

}  // namespace sluice::bench
