// HTTP/1.1 for the WebHDFS file system (webhdfs_file_system.h), with Beast on a private
// io_context: one kept-alive connection to the name node, and a fresh connection per upload to
// the data node a redirect names (Hadoop's data node closes after every answer). Every exchange
// ends by the deadline it is given, a hung peer included; answers are read up to
// answer_body_max bytes.
//
// Nothing is retried here but one case: a request to the name node that a reused connection
// lost before any byte of its answer (the name node had closed it as idle) is sent once more on
// a new connection, when the caller says the request may be repeated. An upload is never
// repeated: the data node keeps whatever part of it arrived.
//
// Also the URL pieces WebHDFS needs: percent-encoding, and the parts of a redirect's Location.
//
// Threads: one thread uses an instance (the HDFS sink's); the io_context runs on it during calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "sinks/hdfs/file_system.h"

namespace sluice::sinks::hdfs {

// RFC 3986 percent-encoding of every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~),
// and '/' in a path: spaces, '%', '?', '#', '+', ';' and UTF-8 sequences are encoded.
std::string percent_encode_path(std::string_view path);
std::string percent_encode_value(std::string_view value);

// "host:port", with brackets around an IPv6 address.
std::string host_port(std::string_view host, uint16_t port);

struct HttpUrl {
  std::string host;  // without brackets
  uint16_t port = 80;
  std::string target;  // path and query, as the URL has them ("/" when it has neither)
};
// The parts of "http://host[:port][/path][?query]"; nullopt for another scheme or a URL that
// is not well formed.
std::optional<HttpUrl> parse_http_url(std::string_view url);

// A final answer (interim 1xx answers are read past).
struct HttpAnswer {
  int status = 0;
  std::string reason;
  std::string content_type;
  std::string location;
  std::string www_authenticate;
  std::string body;
};

using Deadline = std::chrono::steady_clock::time_point;

// Whether a name node request may be sent again when a reused connection lost it before any
// answer came: yes for requests that change nothing or change nothing more when repeated.
enum class RetryStale : bool { no, yes };

class WebHdfsClient {
 public:
  static constexpr size_t answer_body_max = 1024 * 1024;
  static constexpr uint32_t answer_header_max = 16 * 1024;
  // How long an upload waits for "100 Continue" before it sends its body anyway.
  static constexpr std::chrono::milliseconds continue_wait_max{1000};

  WebHdfsClient(std::string namenode_host, uint16_t namenode_port);
  ~WebHdfsClient();
  WebHdfsClient(const WebHdfsClient&) = delete;
  WebHdfsClient& operator=(const WebHdfsClient&) = delete;

  // A request without a body to the name node: `target` is the path and query
  // ("/webhdfs/v1/a?op=MKDIRS&user.name=u"). Errors (connect, timeout, io, protocol) say what
  // failed with which node; the caller adds the operation and the path.
  FsResult<HttpAnswer> namenode_request(std::string_view method, std::string_view target, Deadline deadline,
                                        RetryStale retry);

  // `data` as the body of a request to `url`, on a new connection closed after the answer. It
  // sends "Expect: 100-continue" and the body once "100 Continue" came (or continue_wait_max
  // passed), while it reads the answer: an early answer (an error) stops the upload.
  FsResult<HttpAnswer> upload(std::string_view method, const HttpUrl& url, std::string_view data, Deadline deadline);

 private:
  using Stream = boost::beast::tcp_stream;

  // Resolves `host` (by the deadline) and connects `stream` to it.
  FsStatus connect(Stream& stream, const std::string& host, uint16_t port, Deadline deadline, std::string_view node);
  void close_namenode();

  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::resolver resolver_{io_};
  std::string namenode_host_;
  uint16_t namenode_port_;
  std::string namenode_name_;  // "the name node HOST:PORT", for messages
  std::optional<Stream> namenode_;
  boost::beast::flat_buffer namenode_buffer_;
};

}  // namespace sluice::sinks::hdfs
