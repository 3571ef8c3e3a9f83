// WebHdfsFileSystem against the WebHDFS test server (tests/support/webhdfs_server.py, which
// answers as Hadoop 3's name node and data node do), one server process per test: every
// operation read back from the server's disk, the errors Hadoop gives, authentication, faults
// injected through the server's admin API, time limits, dropped and refused connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "sinks/hdfs/webhdfs_client.h"
#include "sinks/hdfs/webhdfs_file_system.h"

extern char** environ;

namespace sluice::sinks::hdfs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPython = "/usr/bin/python3";

// One HTTP/1.1 exchange with "Connection: close". -> (status, body); status 0 when it failed.
std::pair<int, std::string> http_exchange(uint16_t port, const std::string& method, const std::string& target,
                                          const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return {0, ""};
  }
  const std::string request = fmt::format(
      "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\n\r\n{}",
      method, target, body.size(), body);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char chunk[65536];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) answer.append(chunk, static_cast<size_t>(n));
  ::close(fd);
  const size_t head_end = answer.find("\r\n\r\n");
  if (answer.size() < 12 || head_end == std::string::npos) return {0, answer};
  return {std::stoi(answer.substr(9, 3)), answer.substr(head_end + 4)};
}

// tests/support/webhdfs_server.py as a child process, in a temporary root.
class WebHdfsServer {
 public:
  explicit WebHdfsServer(std::vector<std::string> extra_args = {}) {
    char root_template[] = "/tmp/webhdfs-test-XXXXXX";
    root_ = ::mkdtemp(root_template);
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    std::vector<std::string> args = {kPython, SLUICE_WEBHDFS_SERVER, "--root", root_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    EXPECT_EQ(::posix_spawn(&pid_, kPython, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    // "namenode=127.0.0.1:PORT datanode=127.0.0.1:PORT\n"
    std::string line;
    const auto give_up = Clock::now() + 20s;
    while (line.find('\n') == std::string::npos && Clock::now() < give_up) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::read(out[0], &c, 1) != 1) break;
      line += c;
    }
    ::close(out[0]);
    unsigned nn = 0, dn = 0;
    EXPECT_EQ(std::sscanf(line.c_str(), "namenode=127.0.0.1:%u datanode=127.0.0.1:%u", &nn, &dn), 2) << line;
    namenode_port = static_cast<uint16_t>(nn);
    datanode_port = static_cast<uint16_t>(dn);
  }

  ~WebHdfsServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto give_up = Clock::now() + 20s;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > give_up) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        ADD_FAILURE() << "the WebHDFS test server did not stop on SIGTERM";
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
  }

  std::string local_path(const std::string& path) const { return root_ + path; }
  bool exists(const std::string& path) const { return std::filesystem::exists(local_path(path)); }
  std::string read(const std::string& path) const {
    std::ifstream f(local_path(path), std::ios::binary);
    EXPECT_TRUE(f.good()) << path;
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }

  boost::json::value admin(const std::string& method, const std::string& name, const std::string& body = "") {
    auto [status, answer] = http_exchange(namenode_port, method, "/_test/" + name, body);
    EXPECT_EQ(status, 200) << method << " " << name << ": " << answer;
    return boost::json::parse(answer);
  }
  void fault(const std::string& json) { admin("POST", "faults", json); }
  boost::json::value stats() { return admin("GET", "stats"); }
  // The requests `node` ("namenode", "datanode") received, oldest first.
  std::vector<boost::json::object> requests(std::string_view node) {
    std::vector<boost::json::object> out;
    // Kept in a variable: a range-for over a member of a temporary would read freed memory.
    const boost::json::value log = admin("GET", "log");
    for (const auto& entry : log.at("requests").as_array())
      if (entry.at("node").as_string() == node) out.push_back(entry.as_object());
    return out;
  }

  uint16_t namenode_port = 0;
  uint16_t datanode_port = 0;

 private:
  std::string root_;
  pid_t pid_ = -1;
};

WebHdfsOptions options_for(const WebHdfsServer& hdfs, std::string user = "alice", int64_t call_timeout_ms = 5000) {
  WebHdfsOptions options;
  options.host = "127.0.0.1";
  options.port = hdfs.namenode_port;
  options.user = std::move(user);
  options.call_timeout_ms = call_timeout_ms;
  return options;
}

template <typename R>
std::string why(const R& r) {
  return r.ok() ? std::string("ok") : r.error().message;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen());
  return out;
}

// Waits until the length the name node reports is `expected` (HDFS shows the bytes of a broken
// upload once the data node closed its stream, just after the connection ended).
void expect_length_soon(WebHdfsFileSystem& fs, const std::string& path, uint64_t expected) {
  std::optional<uint64_t> last;
  const auto give_up = Clock::now() + 10s;
  while (Clock::now() < give_up) {
    auto length = fs.length(path);
    ASSERT_TRUE(length.ok()) << why(length);
    last = length.value();
    if (last == expected) return;
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << path << ": length " << (last ? std::to_string(*last) : "none") << ", not " << expected;
}

#define ASSERT_OK(expr)                        \
  do {                                         \
    const auto& result_ = (expr);              \
    ASSERT_TRUE(result_.ok()) << why(result_); \
  } while (0)

TEST(WebHdfsUrl, PercentEncoding) {
  EXPECT_EQ(percent_encode_path("/logs/2026/a-b_c.d~e"), "/logs/2026/a-b_c.d~e");
  EXPECT_EQ(percent_encode_path("/a b/c%d?e#f+g;h&i=j"), "/a%20b/c%25d%3Fe%23f%2Bg%3Bh%26i%3Dj");
  EXPECT_EQ(percent_encode_path("/\xC3\xA9t\xC3\xA9"), "/%C3%A9t%C3%A9");
  EXPECT_EQ(percent_encode_value("/a b/c+d"), "%2Fa%20b%2Fc%2Bd");
  EXPECT_EQ(percent_encode_value(""), "");
}

TEST(WebHdfsUrl, LocationParts) {
  auto url = parse_http_url("http://127.0.0.1:9864/webhdfs/v1/a%20b?op=CREATE&namenoderpcaddress=nn:8020");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9864);
  EXPECT_EQ(url->target, "/webhdfs/v1/a%20b?op=CREATE&namenoderpcaddress=nn:8020");
  url = parse_http_url("HTTP://[::1]:1/x#fragment");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 1);
  EXPECT_EQ(url->target, "/x");
  url = parse_http_url("http://dn.example.com?op=APPEND");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "dn.example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/?op=APPEND");
  EXPECT_FALSE(parse_http_url("https://dn:9865/webhdfs/v1/a"));
  EXPECT_FALSE(parse_http_url("hdfs://nn:8020/a"));
  EXPECT_FALSE(parse_http_url("http://:80/a"));
  EXPECT_FALSE(parse_http_url("http://dn:0/a"));
  EXPECT_FALSE(parse_http_url("http://dn:70000/a"));
  EXPECT_FALSE(parse_http_url("http://dn:9864/a b"));
  EXPECT_FALSE(parse_http_url("http://dn:9864/a\r\nX-Evil: 1"));
  EXPECT_EQ(host_port("::1", 9870), "[::1]:9870");
  EXPECT_EQ(host_port("nn", 9870), "nn:9870");
}

TEST(WebHdfsFileSystem, EveryOperationOnOneKeptAliveConnection) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  EXPECT_EQ(fs.describe(), fmt::format("webhdfs://127.0.0.1:{}", hdfs.namenode_port));

  ASSERT_OK(fs.make_directories("/logs/2026"));
  ASSERT_OK(fs.make_directories("/logs/2026"));  // there already: fine
  ASSERT_OK(fs.create("/logs/2026/a.tmp", "hello\n"));
  EXPECT_EQ(hdfs.read("/logs/2026/a.tmp"), "hello\n");
  ASSERT_OK(fs.append("/logs/2026/a.tmp", "world\n"));
  EXPECT_EQ(hdfs.read("/logs/2026/a.tmp"), "hello\nworld\n");
  auto length = fs.length("/logs/2026/a.tmp");
  ASSERT_OK(length);
  EXPECT_EQ(length.value(), 12u);

  auto renamed = fs.rename("/logs/2026/a.tmp", "/logs/2026/a.log");
  ASSERT_OK(renamed);
  EXPECT_TRUE(renamed.value());
  EXPECT_FALSE(hdfs.exists("/logs/2026/a.tmp"));
  EXPECT_EQ(hdfs.read("/logs/2026/a.log"), "hello\nworld\n");
  length = fs.length("/logs/2026/a.tmp");
  ASSERT_OK(length);
  EXPECT_EQ(length.value(), std::nullopt);

  auto cut = fs.truncate("/logs/2026/a.log", 6);
  ASSERT_OK(cut);
  EXPECT_TRUE(cut.value());
  EXPECT_EQ(hdfs.read("/logs/2026/a.log"), "hello\n");

  auto removed = fs.remove("/logs/2026/a.log");
  ASSERT_OK(removed);
  EXPECT_TRUE(removed.value());
  EXPECT_FALSE(hdfs.exists("/logs/2026/a.log"));
  removed = fs.remove("/logs/2026/a.log");
  ASSERT_OK(removed);
  EXPECT_FALSE(removed.value());

  const auto namenode = hdfs.requests("namenode");
  ASSERT_EQ(namenode.size(), 10u);
  for (const auto& r : namenode) {
    EXPECT_EQ(r.at("conn"), namenode.front().at("conn")) << "one connection to the name node";
    EXPECT_NE(std::string_view(r.at("target").as_string()).find("user.name=alice"), std::string_view::npos);
  }
  EXPECT_EQ(std::string_view(namenode[2].at("target").as_string()),
            "/webhdfs/v1/logs/2026/a.tmp?op=CREATE&user.name=alice&overwrite=false&createparent=false");
  const auto datanode = hdfs.requests("datanode");
  ASSERT_EQ(datanode.size(), 2u);
  EXPECT_NE(datanode[0].at("conn"), datanode[1].at("conn")) << "a new connection per upload";
  EXPECT_EQ(datanode[0].at("status"), 201);
  EXPECT_EQ(datanode[1].at("status"), 200);
}

TEST(WebHdfsFileSystem, EmptyFilesAndLargeAppends) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/big"));
  ASSERT_OK(fs.create("/big/f", ""));
  EXPECT_TRUE(hdfs.exists("/big/f"));
  EXPECT_EQ(hdfs.read("/big/f"), "");
  const std::string data = random_bytes(2 * 1024 * 1024, 1);
  ASSERT_OK(fs.append("/big/f", data));
  ASSERT_OK(fs.append("/big/f", "tail"));
  EXPECT_TRUE(hdfs.read("/big/f") == data + "tail");
  auto length = fs.length("/big/f");
  ASSERT_OK(length);
  EXPECT_EQ(length.value(), data.size() + 4);
}

TEST(WebHdfsFileSystem, PathsWithSpacesReservedAndUtf8Characters) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  const std::string dir = "/dir with space/\xC3\xBCn\xC3\xAF \xE2\x9C\x93";
  const std::string file = dir + "/a b%c?d#e+f&g=h;i.txt";
  ASSERT_OK(fs.make_directories(dir));
  ASSERT_OK(fs.create(file, "x"));
  ASSERT_OK(fs.append(file, "y"));
  EXPECT_EQ(hdfs.read(file), "xy");
  auto length = fs.length(file);
  ASSERT_OK(length);
  EXPECT_EQ(length.value(), 2u);
  const std::string renamed = dir + "/r\xC3\xA9 +%20.txt";
  auto moved = fs.rename(file, renamed);
  ASSERT_OK(moved);
  EXPECT_TRUE(moved.value());
  EXPECT_EQ(hdfs.read(renamed), "xy");
  auto cut = fs.truncate(renamed, 1);
  ASSERT_OK(cut);
  EXPECT_EQ(hdfs.read(renamed), "x");
  auto removed = fs.remove(renamed);
  ASSERT_OK(removed);
  EXPECT_TRUE(removed.value());
  EXPECT_FALSE(hdfs.exists(renamed));
}

TEST(WebHdfsFileSystem, CreateFailsOnAnExistingFileAndWithoutItsParent) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/e"));
  ASSERT_OK(fs.create("/e/f", "one"));
  FsStatus again = fs.create("/e/f", "two");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, FsErrorKind::already_exists);
  EXPECT_EQ(again.error().exception, "FileAlreadyExistsException");
  EXPECT_EQ(again.error().http_status, 403);
  EXPECT_EQ(again.error().message,
            "CREATE /e/f: 403 FileAlreadyExistsException: /e/f for client 127.0.0.1 already exists");
  EXPECT_EQ(hdfs.read("/e/f"), "one");

  FsStatus orphan = fs.create("/no/such/f", "x");
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().kind, FsErrorKind::not_found);
  EXPECT_EQ(orphan.error().message,
            "CREATE /no/such/f: 404 FileNotFoundException: Parent directory doesn't exist: /no/such");
  EXPECT_FALSE(hdfs.exists("/no"));

  ASSERT_OK(fs.create("/e/g", "file"));
  FsStatus under_file = fs.make_directories("/e/g");
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().kind, FsErrorKind::already_exists);
  EXPECT_EQ(under_file.error().message, "MKDIRS /e/g: 403 FileAlreadyExistsException: Path is not a directory: /e/g");
}

TEST(WebHdfsFileSystem, MissingFilesAndDirectories) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  FsStatus appended = fs.append("/nope", "x");
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().kind, FsErrorKind::not_found);
  EXPECT_EQ(appended.error().http_status, 404);
  EXPECT_EQ(appended.error().message, "APPEND /nope: 404 FileNotFoundException: File /nope not found.");
  EXPECT_TRUE(hdfs.requests("datanode").empty()) << "the name node refuses before any redirect";

  auto length = fs.length("/nope");
  ASSERT_OK(length);
  EXPECT_EQ(length.value(), std::nullopt);

  ASSERT_OK(fs.make_directories("/d"));
  length = fs.length("/d");
  ASSERT_FALSE(length.ok());
  EXPECT_EQ(length.error().kind, FsErrorKind::remote);
  EXPECT_EQ(length.error().message, "GETFILESTATUS /d: is a DIRECTORY, not a file");
}

TEST(WebHdfsFileSystem, RenameAnswersFalseAsHdfsDoes) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/r"));
  ASSERT_OK(fs.create("/r/a", "a"));
  ASSERT_OK(fs.create("/r/b", "b"));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"/r/missing", "/r/c"}, {"/r/a", "/r/b"}, {"/r/a", "/no/parent/a"}}) {
    auto renamed = fs.rename(from, to);
    ASSERT_OK(renamed);
    EXPECT_FALSE(renamed.value()) << from << " -> " << to;
  }
  EXPECT_EQ(hdfs.read("/r/a"), "a");
  EXPECT_EQ(hdfs.read("/r/b"), "b");
  EXPECT_NE(std::string_view(hdfs.requests("namenode").back().at("target").as_string())
                .find("op=RENAME&user.name=alice&destination=%2Fno%2Fparent%2Fa"),
            std::string_view::npos);
}

TEST(WebHdfsFileSystem, Truncate) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/t"));
  ASSERT_OK(fs.create("/t/f", "0123456789"));
  auto cut = fs.truncate("/t/f", 4);
  ASSERT_OK(cut);
  EXPECT_TRUE(cut.value());
  EXPECT_EQ(hdfs.read("/t/f"), "0123");

  cut = fs.truncate("/t/f", 9);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, FsErrorKind::remote);
  EXPECT_EQ(cut.error().exception, "HadoopIllegalArgumentException");
  EXPECT_EQ(cut.error().http_status, 400);
  EXPECT_EQ(cut.error().message,
            "TRUNCATE /t/f: 400 HadoopIllegalArgumentException: Cannot truncate to a larger file size. "
            "Current size: 4, truncate size: 9.");
  cut = fs.truncate("/t/nope", 0);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, FsErrorKind::not_found);

  // A name node without TRUNCATE (Hadoop before 2.7 fails parsing op=, routers refuse it).
  hdfs.fault(R"({"node": "namenode", "op": "TRUNCATE", "action": "error",
                 "exception": "UnsupportedOperationException", "message": "op=TRUNCATE is not supported"})");
  cut = fs.truncate("/t/f", 2);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, FsErrorKind::unsupported);
  EXPECT_EQ(cut.error().message, "TRUNCATE /t/f: 400 UnsupportedOperationException: op=TRUNCATE is not supported");
  hdfs.fault(R"({"node": "namenode", "op": "TRUNCATE", "action": "error", "exception": "IllegalArgumentException",
                 "message": "Invalid value for webhdfs parameter \"op\": TRUNCATE is not a valid POST operation."})");
  cut = fs.truncate("/t/f", 2);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, FsErrorKind::unsupported);
  EXPECT_EQ(hdfs.read("/t/f"), "0123");

  // Off a block boundary Hadoop answers false and recovers the last block first.
  hdfs.fault(R"({"op": "TRUNCATE", "action": "recovery", "recovery_ms": 300})");
  cut = fs.truncate("/t/f", 2);
  ASSERT_OK(cut);
  EXPECT_FALSE(cut.value());
  auto length = fs.length("/t/f");
  ASSERT_OK(length);
  EXPECT_EQ(length.value(), 4u);
  expect_length_soon(fs, "/t/f", 2);
  EXPECT_EQ(hdfs.read("/t/f"), "01");
}

TEST(WebHdfsFileSystem, PermissionDenied) {
  WebHdfsServer hdfs({"--root-permission", "755"});
  WebHdfsFileSystem fs(options_for(hdfs, "bob"));
  FsStatus made = fs.make_directories("/x");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, FsErrorKind::denied);
  EXPECT_EQ(made.error().exception, "AccessControlException");
  EXPECT_EQ(made.error().http_status, 403);
  EXPECT_EQ(made.error().message,
            "MKDIRS /x: 403 AccessControlException: Permission denied: user=bob, "
            "access=WRITE, inode=\"/\":hdfs:supergroup:drwxr-xr-x");
  // CREATE is refused by the data node, after the redirect.
  FsStatus created = fs.create("/y", "data");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, FsErrorKind::denied);
  EXPECT_FALSE(hdfs.exists("/y"));
}

TEST(WebHdfsFileSystem, RequiredUser) {
  WebHdfsServer hdfs({"--require-user", "alice"});
  WebHdfsFileSystem alice(options_for(hdfs, "alice"));
  ASSERT_OK(alice.make_directories("/a"));
  ASSERT_OK(alice.create("/a/f", "x"));
  for (const auto& r : hdfs.requests("datanode"))
    EXPECT_NE(std::string_view(r.at("target").as_string()).find("user.name=alice"), std::string_view::npos);

  // No user.name: Hadoop's PseudoAuthenticationHandler answers 401 with an HTML page.
  WebHdfsFileSystem anonymous(options_for(hdfs, ""));
  FsStatus made = anonymous.make_directories("/b");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, FsErrorKind::denied);
  EXPECT_EQ(made.error().http_status, 401);
  EXPECT_EQ(made.error().exception, "");
  EXPECT_EQ(made.error().message,
            "MKDIRS /b: 401 Authentication required, not a WebHDFS answer (text/html;charset=iso-8859-1, "
            "WWW-Authenticate: PseudoAuth): Error 401 Authentication required HTTP ERROR 401 Problem accessing "
            "/webhdfs/v1/b. Reason: Authentication required");
  EXPECT_EQ(std::string_view(hdfs.requests("namenode").back().at("target").as_string()), "/webhdfs/v1/b?op=MKDIRS");

  WebHdfsFileSystem bob(options_for(hdfs, "bob"));
  made = bob.make_directories("/b");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, FsErrorKind::denied);
  EXPECT_EQ(made.error().exception, "SecurityException");
}

TEST(WebHdfsFileSystem, DelegationTokenWinsOverUser) {
  WebHdfsServer hdfs({"--require-delegation", "tok/en+1", "--delegation-user", "alice"});
  WebHdfsOptions options = options_for(hdfs, "bob");
  options.delegation = "tok/en+1";
  WebHdfsFileSystem fs(options);
  ASSERT_OK(fs.make_directories("/d"));
  ASSERT_OK(fs.create("/d/f", "x"));
  ASSERT_OK(fs.append("/d/f", "y"));
  EXPECT_EQ(hdfs.read("/d/f"), "xy");
  for (const char* node : {"namenode", "datanode"}) {
    for (const auto& r : hdfs.requests(node)) {
      std::string_view target = r.at("target").as_string();
      EXPECT_NE(target.find("delegation=tok%2Fen%2B1"), std::string_view::npos) << target;
      EXPECT_EQ(target.find("user.name"), std::string_view::npos) << target;
    }
  }
  options.delegation = "stolen";
  WebHdfsFileSystem thief(options);
  FsStatus made = thief.make_directories("/e");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, FsErrorKind::denied);
  EXPECT_EQ(made.error().exception, "SecurityException");
}

TEST(WebHdfsFileSystem, RemoteExceptionsAndOtherErrorAnswers) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  hdfs.fault(R"({"node": "namenode", "op": "MKDIRS", "action": "error", "exception": "RetriableException",
                 "message": "NameNode still not started"})");
  FsStatus made = fs.make_directories("/d");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, FsErrorKind::remote);
  EXPECT_EQ(made.error().exception, "RetriableException");
  EXPECT_EQ(made.error().http_status, 403);
  EXPECT_EQ(made.error().message, "MKDIRS /d: 403 RetriableException: NameNode still not started");
  ASSERT_OK(fs.make_directories("/d"));  // the next call goes through: no retries inside

  hdfs.fault(R"({"op": "GETFILESTATUS", "action": "error", "status": 502,
                 "body": "<html><body><h1>502 Bad Gateway</h1>\n<p>upstream   went away</p></body></html>"})");
  auto length = fs.length("/d");
  ASSERT_FALSE(length.ok());
  EXPECT_EQ(length.error().kind, FsErrorKind::protocol);
  EXPECT_EQ(length.error().http_status, 502);
  EXPECT_EQ(length.error().message,
            "GETFILESTATUS /d: 502 Bad Gateway, not a WebHDFS answer "
            "(text/html;charset=iso-8859-1): 502 Bad Gateway upstream went away");

  // An error from the data node before its 100 Continue: the body is never sent.
  hdfs.fault(R"({"node": "datanode", "op": "CREATE", "action": "error", "exception": "IOException",
                 "message": "No space left on device"})");
  FsStatus created = fs.create("/d/f", random_bytes(100000, 2));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, FsErrorKind::remote);
  EXPECT_EQ(created.error().message, "CREATE /d/f: 403 IOException: No space left on device");
  EXPECT_EQ(hdfs.requests("datanode").back().at("bytes_in"), 0);
  EXPECT_FALSE(hdfs.exists("/d/f"));

  // After the data was stored: the data node's word is what counts.
  hdfs.fault(R"({"node": "datanode", "op": "CREATE", "action": "error", "when": "after", "status": 500,
                 "exception": "RuntimeException", "message": "lost the ack"})");
  created = fs.create("/d/g", "stored");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, FsErrorKind::remote);
  EXPECT_EQ(created.error().http_status, 500);
  EXPECT_EQ(hdfs.read("/d/g"), "stored");
}

TEST(WebHdfsFileSystem, ConnectionDroppedInTheMiddleOfAnUpload) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/m"));
  const std::string data = random_bytes(300000, 3);
  hdfs.fault(R"({"node": "datanode", "op": "CREATE", "action": "drop", "when": "mid", "after_bytes": 100000})");
  FsStatus created = fs.create("/m/f", data);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, FsErrorKind::io) << created.error().message;
  EXPECT_EQ(created.error().message.rfind("CREATE /m/f: ", 0), 0u) << created.error().message;
  expect_length_soon(fs, "/m/f", 100000);
  EXPECT_TRUE(hdfs.read("/m/f") == data.substr(0, 100000));

  hdfs.fault(R"({"node": "datanode", "op": "APPEND", "action": "drop", "when": "mid", "after_bytes": 1000,
                 "rst": false})");
  FsStatus appended = fs.append("/m/f", data.substr(0, 5000));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().kind, FsErrorKind::io) << appended.error().message;
  expect_length_soon(fs, "/m/f", 101000);
  EXPECT_EQ(hdfs.requests("datanode").size(), 2u) << "an upload is never sent again";
}

TEST(WebHdfsFileSystem, EveryCallEndsWithinItsTimeout) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs, "alice", 500));
  ASSERT_OK(fs.make_directories("/h"));
  ASSERT_OK(fs.create("/h/f", "0"));

  auto timed = [](auto call) {
    const auto start = Clock::now();
    auto result = call();
    return std::make_pair(std::move(result), Clock::now() - start);
  };
  hdfs.fault(R"({"node": "namenode", "op": "GETFILESTATUS", "action": "hang", "hang_ms": 10000})");
  auto [length, took] = timed([&] { return fs.length("/h/f"); });
  ASSERT_FALSE(length.ok());
  EXPECT_EQ(length.error().kind, FsErrorKind::timeout);
  EXPECT_EQ(length.error().message,
            fmt::format("GETFILESTATUS /h/f: timed out reading the answer of the name node 127.0.0.1:{} "
                        "(call timeout 500 ms)",
                        hdfs.namenode_port));
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 1500ms);
  ASSERT_OK(fs.length("/h/f"));  // a new connection

  // The data node stops reading in the middle of the body: the redirect's time counts too.
  hdfs.fault(R"({"node": "namenode", "op": "APPEND", "action": "delay", "delay_ms": 200})");
  hdfs.fault(R"({"node": "datanode", "op": "APPEND", "action": "hang", "when": "mid", "after_bytes": 10,
                 "hang_ms": 10000})");
  auto [appended, append_took] = timed([&] { return fs.append("/h/f", std::string(16 * 1024 * 1024, 'x')); });
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().kind, FsErrorKind::timeout) << appended.error().message;
  EXPECT_GE(append_took, 450ms);
  EXPECT_LT(append_took, 1500ms);

  // The data is stored but the answer never comes.
  hdfs.fault(R"({"node": "datanode", "op": "CREATE", "action": "hang", "when": "after", "hang_ms": 10000})");
  auto [created, create_took] = timed([&] { return fs.create("/h/g", "kept"); });
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, FsErrorKind::timeout);
  EXPECT_NE(created.error().message.find("the data node"), std::string::npos) << created.error().message;
  EXPECT_LT(create_took, 1500ms);
  EXPECT_EQ(hdfs.read("/h/g"), "kept");
}

TEST(WebHdfsFileSystem, IdleConnectionClosedByTheNameNode) {
  WebHdfsServer hdfs({"--idle-timeout", "0.3"});
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/a"));
  std::this_thread::sleep_for(700ms);
  ASSERT_OK(fs.make_directories("/b"));
  auto requests = hdfs.requests("namenode");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].at("conn"), requests[1].at("conn"));
}

TEST(WebHdfsFileSystem, RequestLostOnAKeptAliveConnection) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/a"));
  // Closed just as the request went out (no answer byte): sent once more on a new connection,
  // when repeating it is harmless.
  hdfs.fault(R"({"node": "namenode", "op": "MKDIRS", "action": "drop", "rst": false})");
  ASSERT_OK(fs.make_directories("/c"));
  EXPECT_TRUE(hdfs.exists("/c"));
  EXPECT_EQ(hdfs.requests("namenode").size(), 3u);
  hdfs.fault(R"({"node": "namenode", "op": "MKDIRS", "action": "drop", "rst": false, "count": 2})");
  FsStatus made = fs.make_directories("/d");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, FsErrorKind::io);
  EXPECT_EQ(
      made.error().message,
      fmt::format("MKDIRS /d: the name node 127.0.0.1:{} closed the connection without an answer", hdfs.namenode_port));
  EXPECT_EQ(hdfs.requests("namenode").size(), 5u) << "once more, not twice";

  ASSERT_OK(fs.create("/c/f", "x"));
  hdfs.fault(R"({"node": "namenode", "op": "RENAME", "action": "drop", "rst": false})");
  auto renamed = fs.rename("/c/f", "/c/g");
  ASSERT_FALSE(renamed.ok());
  EXPECT_EQ(renamed.error().kind, FsErrorKind::io);
  EXPECT_EQ(hdfs.requests("namenode").size(), 7u) << "a rename is not sent again";
  EXPECT_EQ(hdfs.requests("namenode").back().at("op"), "RENAME");

  // A new connection that breaks is not tried again either.
  WebHdfsFileSystem fresh(options_for(hdfs));
  hdfs.fault(R"({"node": "namenode", "op": "GETFILESTATUS", "action": "drop"})");
  auto length = fresh.length("/c/f");
  ASSERT_FALSE(length.ok());
  EXPECT_EQ(length.error().kind, FsErrorKind::io);
  EXPECT_EQ(hdfs.requests("namenode").size(), 8u);
}

TEST(WebHdfsFileSystem, RefusedConnections) {
  WebHdfsServer hdfs;
  WebHdfsFileSystem fs(options_for(hdfs));
  WebHdfsFileSystem fresh(options_for(hdfs));
  ASSERT_OK(fs.make_directories("/a"));
  hdfs.stop();
  for (WebHdfsFileSystem* f : {&fs, &fresh}) {
    FsStatus made = f->make_directories("/b");
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().kind, FsErrorKind::connect);
    EXPECT_EQ(made.error().message, fmt::format("MKDIRS /b: cannot connect to the name node 127.0.0.1:{}: "
                                                "Connection refused",
                                                hdfs.namenode_port));
  }
}

TEST(WebHdfsFileSystem, HostNamesAreResolved) {
  WebHdfsServer hdfs;
  WebHdfsOptions options = options_for(hdfs);
  options.host = "localhost";
  WebHdfsFileSystem fs(options);
  EXPECT_EQ(fs.describe(), fmt::format("webhdfs://localhost:{}", hdfs.namenode_port));
  ASSERT_OK(fs.make_directories("/by/name"));
  EXPECT_TRUE(hdfs.exists("/by/name"));
}

}  // namespace
}  // namespace sluice::sinks::hdfs
