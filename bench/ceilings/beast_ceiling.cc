// The ceiling for the HTTP source's benchmark: the simplest Boost.Beast server that reads each
// request whole (keep-alive, pipelining) and answers 200 with an empty body, storing nothing.
// One thread per core, each with its own io_context and SO_REUSEPORT acceptor, like sluice's
// shards. Whatever it sustains is what HTTP parsing and the loopback cost on this machine.
//
//   beast-ceiling [--port P] [--threads N]     (Ctrl-C stops it)
#include <sys/socket.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {
    response_.result(http::status::ok);
    response_.keep_alive(true);
    response_.content_length(0);
  }
  void start() { read(); }

 private:
  void read() {
    request_.emplace();
    request_->body_limit(64 << 20);
    http::async_read(stream_, buffer_, *request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->write();
    });
  }
  void write() {
    response_.keep_alive(request_->get().keep_alive());
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->request_->get().keep_alive()) return;
      self->read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> request_;
  http::response<http::empty_body> response_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept(acceptor);
  });
}

unsigned number(const char* text) {
  unsigned v = 0;
  std::from_chars(text, text + std::string_view(text).size(), v);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 18181;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--port") port = static_cast<unsigned short>(number(argv[i + 1]));
    else if (flag == "--threads") threads = number(argv[i + 1]);
  }
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([port] {
      asio::io_context io(1);
      tcp::acceptor acceptor(io);
      tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
      acceptor.open(endpoint.protocol());
      int one = 1;
      setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      acceptor.set_option(tcp::acceptor::reuse_address(true));
      acceptor.bind(endpoint);
      acceptor.listen(4096);
      accept(acceptor);
      io.run();
    });
  }
  std::printf("beast-ceiling listening on 127.0.0.1:%u with %u threads\n", port, threads);
  std::fflush(stdout);
  for (auto& w : workers) w.join();
}
