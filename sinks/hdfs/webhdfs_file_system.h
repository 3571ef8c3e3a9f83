// WebHDFS as the HDFS sink's FileSystem: Hadoop's REST API on the name node's HTTP port,
// http://HOST:PORT/webhdfs/v1<path>?op=...&user.name=... (or delegation=...), as Hadoop 3
// answers it (tests/support/webhdfs_server.py describes how).
//  - CREATE (overwrite=false, createparent=false: the FileSystem contract wants a missing parent
//    to fail with not_found, as file:// does; the sink makes directories first) and APPEND go
//    to the name node, which redirects (307) to a data node; the data goes there. An upload is
//    never repeated: after a failure the sink asks length() what the data node kept.
//  - MKDIRS, GETFILESTATUS, TRUNCATE, RENAME and DELETE are answered by the name node.
//  - A RemoteException answer becomes an FsError: "OP PATH: STATUS EXCEPTION: MESSAGE", the
//    exception's simple name in FsError::exception, its kind from the exception
//    (FileNotFoundException: not_found, FileAlreadyExistsException: already_exists,
//    AccessControlException / SecurityException / AuthorizationException: denied,
//    UnsupportedOperationException or an op the name node does not know: unsupported, any other:
//    remote). Any other error answer (a proxy's page, Jetty's 401 for a missing user.name) is
//    protocol, or denied for 401 and 403, with a short excerpt of its body.
//  - Every call ends within call_timeout_ms, the redirect included; there are no retries but
//    webhdfs_client.h's resend of a request a stale kept-alive connection lost.
//
// Threads: one thread uses an instance (the sink's).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sinks/hdfs/file_system.h"

namespace sluice::sinks::hdfs {

class WebHdfsClient;
struct HttpAnswer;
struct WebHdfsCall;  // an operation's name, method and retry rule (webhdfs_file_system.cc)

struct WebHdfsOptions {
  std::string host;                  // the name node's HTTP host
  uint16_t port = 9870;              // its HTTP port (Hadoop 3's default; Hadoop 2 used 50070)
  std::string user;                  // sent as user.name=; empty: not sent (Hadoop acts as dr.who)
  std::string delegation;            // a delegation token, sent as delegation=; wins over user
  int64_t call_timeout_ms = 10'000;  // the whole call, the redirect to the data node included
};

class WebHdfsFileSystem final : public FileSystem {
 public:
  explicit WebHdfsFileSystem(WebHdfsOptions options);
  ~WebHdfsFileSystem() override;
  WebHdfsFileSystem(const WebHdfsFileSystem&) = delete;
  WebHdfsFileSystem& operator=(const WebHdfsFileSystem&) = delete;

  // "webhdfs://HOST:PORT".
  std::string describe() const override;
  FsStatus make_directories(const std::string& dir) override;
  FsStatus create(const std::string& path, std::string_view data) override;
  FsStatus append(const std::string& path, std::string_view data) override;
  FsResult<std::optional<uint64_t>> length(const std::string& path) override;
  FsResult<bool> truncate(const std::string& path, uint64_t new_length) override;
  FsResult<bool> rename(const std::string& from, const std::string& to) override;
  FsResult<bool> remove(const std::string& path) override;

 private:
  using Call = WebHdfsCall;
  using Deadline = std::chrono::steady_clock::time_point;

  // One request to the name node; transport errors come back with "OP PATH: " in front.
  FsResult<HttpAnswer> namenode(const Call& call, const std::string& path, std::string_view params, Deadline deadline);
  // A name node operation that answers {"boolean": b}.
  FsResult<bool> boolean_op(const Call& call, const std::string& path, std::string_view params);
  // CREATE or APPEND: the name node's redirect, then the data to the data node it names.
  FsStatus upload(const Call& call, const std::string& path, std::string_view params, std::string_view data);

  WebHdfsOptions options_;
  std::string identity_;  // "&user.name=U", "&delegation=T" or ""
  std::unique_ptr<WebHdfsClient> client_;
};

}  // namespace sluice::sinks::hdfs
