// sluice's Avro codec against python3-avro's IPC (tests/support/avro_peer.py, which adds Netty
// framing and Java's stateful handshake to it): byte captures of what its client sends and its
// server answers, and live runs over loopback TCP in both directions, plain and with deflate.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "protocols/avro/ipc_client_session.h"
#include "protocols/avro/ipc_server_session.h"
#include "protocols/avro/netty_frame.h"
#include "protocols/avro/zlib_stream.h"

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using Kind = ServerSession::Call::Kind;

constexpr const char* kPython = "/usr/bin/python3";

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string data_file(const std::string& name) { return read_file(std::string(SLUICE_AVRO_TEST_DATA) + "/" + name); }

// Decodes the one frame a capture file holds.
struct OneFrame {
  int32_t serial = 0;
  std::string payload;
  size_t buffers = 0;
};
OneFrame decode_one(const std::string& bytes) {
  FrameDecoder d;
  const auto r = d.decode(bytes);
  EXPECT_EQ(r.status, FrameDecoder::Status::frame);
  EXPECT_EQ(r.consumed, bytes.size());
  return {d.frame().serial, std::string(d.frame().payload), d.frame().buffers.size()};
}

std::string header_value(const FlumeEvent& e, std::string_view key) {
  for (const auto& h : e.headers)
    if (h.key == key) return std::string(h.value);
  return "<missing>";
}

TEST(AvroInteropCapture, PythonClientRequestsDecode) {
  ProtocolRegistry registry;
  ServerSession session(registry);

  // 1: python3-avro's own protocol hash, no protocol text: NONE, no call.
  const OneFrame r1 = decode_one(data_file("request-1.bin"));
  EXPECT_EQ(r1.serial, 1);
  const auto& c1 = session.on_request(r1.payload);
  EXPECT_EQ(c1.kind, Kind::reply);
  EXPECT_FALSE(c1.malformed) << c1.problem;
  EXPECT_FALSE(session.established());

  // 2: again with its protocol text (python3-avro's rendering) and our hash: BOTH + 3 events.
  const OneFrame r2 = decode_one(data_file("request-2.bin"));
  const auto& c2 = session.on_request(r2.payload);
  ASSERT_EQ(c2.kind, Kind::events) << c2.problem;
  EXPECT_TRUE(c2.handshake);
  EXPECT_EQ(c2.message, FlumeMessage::append_batch);
  ASSERT_EQ(c2.events.size(), 3u);
  EXPECT_EQ(header_value(c2.events[0], "seq"), "0");
  EXPECT_EQ(header_value(c2.events[2], "seq"), "2");
  EXPECT_EQ(header_value(c2.events[1], "host"), "peer");
  EXPECT_EQ(header_value(c2.events[1], "k\xc3\xa9y"), "v\xc3\xa4lue");
  EXPECT_EQ(c2.events[1].body.size(), 200u);
  EXPECT_TRUE(c2.events[1].body.starts_with("event 1 xxx"));
  // Our answer is byte for byte what python3-avro's Responder answered.
  const OneFrame p2 = decode_one(data_file("response-2.bin"));
  EXPECT_EQ(p2.serial, r2.serial);
  EXPECT_EQ(session.respond(FlumeStatus::ok), p2.payload);
  EXPECT_TRUE(session.established());

  // 3: 100 events split over several 8 KiB buffers, no handshake.
  const OneFrame r3 = decode_one(data_file("request-3.bin"));
  EXPECT_GT(r3.buffers, 2u);
  const auto& c3 = session.on_request(r3.payload);
  ASSERT_EQ(c3.kind, Kind::events) << c3.problem;
  EXPECT_FALSE(c3.handshake);
  ASSERT_EQ(c3.events.size(), 100u);
  EXPECT_EQ(header_value(c3.events[99], "seq"), "102");
  const OneFrame p3 = decode_one(data_file("response-3.bin"));
  EXPECT_EQ(session.respond(FlumeStatus::ok), p3.payload);

  // 4: append.
  const OneFrame r4 = decode_one(data_file("request-4.bin"));
  const auto& c4 = session.on_request(r4.payload);
  ASSERT_EQ(c4.kind, Kind::events) << c4.problem;
  EXPECT_EQ(c4.message, FlumeMessage::append);
  ASSERT_EQ(c4.events.size(), 1u);
  EXPECT_EQ(header_value(c4.events[0], "seq"), "103");
  const OneFrame p4 = decode_one(data_file("response-4.bin"));
  EXPECT_EQ(session.respond(FlumeStatus::ok), p4.payload);
}

TEST(AvroInteropCapture, PythonServerResponsesDecode) {
  // response-1 is python3-avro's NONE (its protocol rendering and Flume's hash).
  ClientSession client;
  const OneFrame p1 = decode_one(data_file("response-1.bin"));
  const auto none = client.decode_response(p1.payload);
  EXPECT_EQ(none.kind, ClientSession::Response::Kind::resend);
  const OneFrame p2 = decode_one(data_file("response-2.bin"));
  const auto ok = client.decode_response(p2.payload);
  EXPECT_EQ(ok.kind, ClientSession::Response::Kind::status);
  EXPECT_EQ(ok.status, FlumeStatus::ok);
  EXPECT_TRUE(client.established());
  const OneFrame p3 = decode_one(data_file("response-3.bin"));
  const auto ok3 = client.decode_response(p3.payload);
  EXPECT_EQ(ok3.kind, ClientSession::Response::Kind::status);
}

// ---------------------------------------------------------------------------------------------
// Live peers

bool python_avro_available() {
  return access(kPython, X_OK) == 0 &&
         std::system((std::string(kPython) + " -c 'import avro.ipc' 2>/dev/null").c_str()) == 0;
}

// A child process whose output is collected when it ends.
class Peer {
 public:
  explicit Peer(const std::string& args) {
    const std::string cmd = std::string(kPython) + " " + SLUICE_AVRO_PEER + " " + args + " 2>&1";
    pipe_ = popen(cmd.c_str(), "r");
    EXPECT_NE(pipe_, nullptr);
  }
  ~Peer() {
    if (pipe_) finish();
  }
  // Waits for the process to exit; returns everything it printed.
  std::string finish() {
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe_)) > 0) out.append(buf, n);
    status_ = pclose(pipe_);
    pipe_ = nullptr;
    return out;
  }
  int status() const { return status_; }

 private:
  FILE* pipe_ = nullptr;
  int status_ = -1;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string line;
  while (std::getline(s, line)) out.push_back(line);
  return out;
}

// One end of a TCP connection with optional deflate, speaking frames.
class Conn {
 public:
  Conn(int fd, bool deflate) : fd_(fd), deflate_(deflate) {}
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  void send_frame(int32_t serial, std::string_view payload) {
    std::string framed;
    encode_frame(serial, payload, framed);
    std::string wire;
    if (deflate_) deflater_.deflate(framed, wire);
    else wire = framed;
    size_t at = 0;
    while (at < wire.size()) {
      const ssize_t n = ::send(fd_, wire.data() + at, wire.size() - at, MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      at += static_cast<size_t>(n);
    }
  }
  // The next frame's (serial, payload), or nullopt at the end of the stream or after 20 s.
  std::optional<std::pair<int32_t, std::string>> next_frame() {
    while (true) {
      if (!plain_.empty()) {
        const auto r = decoder_.decode(plain_);
        EXPECT_NE(r.status, FrameDecoder::Status::error) << r.error;
        if (r.status == FrameDecoder::Status::error) return std::nullopt;
        if (r.status == FrameDecoder::Status::frame) {
          auto result = std::make_pair(decoder_.frame().serial, std::string(decoder_.frame().payload));
          plain_.erase(0, r.consumed);
          return result;
        }
        plain_.clear();  // all consumed into the decoder
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20'000) <= 0) return std::nullopt;
      char buf[16384];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      if (!deflate_) {
        plain_.append(buf, static_cast<size_t>(n));
        continue;
      }
      std::string_view in(buf, static_cast<size_t>(n));
      char out[4096];
      while (!in.empty()) {
        const auto r = inflater_.inflate(in, out);
        EXPECT_EQ(r.status, Inflater::Status::ok) << r.error;
        if (r.status != Inflater::Status::ok) return std::nullopt;
        plain_.append(out, r.produced);
        in.remove_prefix(r.consumed);
        if (r.consumed == 0 && r.produced == 0) break;
      }
      // Drain what zlib still holds for a full output buffer.
      while (true) {
        const auto r = inflater_.inflate({}, out);
        plain_.append(out, r.produced);
        if (r.produced < sizeof out) break;
      }
    }
  }

 private:
  int fd_;
  bool deflate_;
  Deflater deflater_;
  Inflater inflater_;
  FrameDecoder decoder_;
  std::string plain_;
};

int listen_loopback(uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

int accept_within(int listener, int timeout_ms) {
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return -1;
  return accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

int connect_loopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

class AvroInteropLive : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!python_avro_available()) GTEST_SKIP() << "python3-avro is not installed (scripts/setup installs it)";
  }
};

// python3-avro's client (Flume-style: stateful handshake, Netty framing) -> sluice's server.
TEST_P(AvroInteropLive, PythonClientToSluiceServer) {
  const bool deflate = GetParam();
  for (const std::string message : {"appendBatch", "append", "appendBatch --stateless"}) {
    uint16_t port = 0;
    const int listener = listen_loopback(port);
    Peer client("client --port " + std::to_string(port) + " --message " + message + " --events 50 --calls 3" +
                " --body-bytes 300" + (deflate ? " --deflate" : ""));
    const int fd = accept_within(listener, 20'000);
    close(listener);
    ASSERT_GE(fd, 0) << client.finish();
    Conn conn(fd, deflate);
    ProtocolRegistry registry;
    ServerSession session(registry);
    std::vector<std::string> seqs;
    std::vector<std::string> matches;
    int calls = 0;
    while (auto frame = conn.next_frame()) {
      const auto& call = session.on_request(frame->second);
      if (call.kind == Kind::reply) {
        EXPECT_FALSE(call.malformed) << call.problem;
        conn.send_frame(frame->first, session.reply());
        continue;
      }
      ++calls;
      for (const auto& e : call.events) seqs.push_back(header_value(e, "seq"));
      conn.send_frame(frame->first, session.respond(calls == 2 ? FlumeStatus::failed : FlumeStatus::ok));
    }
    const auto out = lines(client.finish());
    EXPECT_EQ(client.status(), 0);
    const std::string m = message.substr(0, message.find(' '));
    EXPECT_EQ(out, (std::vector<std::string>{m + " OK", m + " FAILED", m + " OK"}));
    const size_t per_call = m == "append" ? 1 : 50;
    ASSERT_EQ(seqs.size(), 3 * per_call);
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], std::to_string(i));
  }
}

// sluice's client -> python3-avro's server (a Flume-style Avro source).
TEST_P(AvroInteropLive, SluiceClientToPythonServer) {
  const bool deflate = GetParam();
  for (bool python_hash : {false, true}) {
    const auto dir = std::filesystem::temp_directory_path() / ("avro_peer_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto port_file = dir / "port";
    std::filesystem::remove(port_file);
    Peer server("server --port-file " + port_file.string() + (python_hash ? " --python-hash" : "") +
                (deflate ? " --deflate" : "") + " --status OK --timeout 20");
    for (int i = 0; i < 200 && !std::filesystem::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(std::filesystem::exists(port_file)) << server.finish();
    const auto port = static_cast<uint16_t>(std::stoi(read_file(port_file.string())));
    std::filesystem::remove_all(dir);

    auto conn = std::make_unique<Conn>(connect_loopback(port), deflate);
    ClientSession client;
    std::vector<ringbuf::Header> headers{{"host", "sluice"}, {"n", "0"}};
    int32_t serial = 0;
    int resends = 0;
    for (int call = 0; call < 3; ++call) {
      const std::string n = std::to_string(call);
      headers[1].value = n;
      const std::string body = "event " + n + " from sluice " + std::string(100, 'y');
      const std::string second = "second " + n;
      const std::vector<FlumeEvent> events{{headers, body}, {{}, second}};
      for (int attempt = 0; attempt < 2; ++attempt) {
        std::string req;
        client.encode_append_batch(events, req);
        conn->send_frame(++serial, req);
        auto frame = conn->next_frame();
        ASSERT_TRUE(frame) << server.finish();
        EXPECT_EQ(frame->first, serial);
        const auto r = client.decode_response(frame->second);
        if (r.kind == ClientSession::Response::Kind::resend) {
          ++resends;
          continue;
        }
        ASSERT_EQ(r.kind, ClientSession::Response::Kind::status) << r.error;
        EXPECT_EQ(r.status, FlumeStatus::ok);
        break;
      }
    }
    conn.reset();  // the server sees the end of the connection and exits
    const auto out = lines(server.finish());
    EXPECT_EQ(server.status(), 0);
    // A server that knows Flume's hash answers BOTH at once; one with python3-avro's hash
    // answers NONE, then BOTH once the protocol text came.
    EXPECT_EQ(resends, python_hash ? 1 : 0);
    std::vector<std::string> want;
    if (python_hash) want.push_back(R"({"handshake": "NONE"})");
    want.push_back(R"({"handshake": "BOTH"})");
    for (int call = 0; call < 3; ++call) {
      const std::string n = std::to_string(call);
      want.push_back(R"({"body": "event )" + n + " from sluice " + std::string(100, 'y') +
                     R"(", "headers": {"host": "sluice", "n": ")" + n + R"("}})");
      want.push_back(R"({"body": "second )" + n + R"(", "headers": {}})");
    }
    EXPECT_EQ(out, want);
  }
}

INSTANTIATE_TEST_SUITE_P(Compression, AvroInteropLive, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "deflate" : "plain"; });

}  // namespace
}  // namespace sluice::avro
