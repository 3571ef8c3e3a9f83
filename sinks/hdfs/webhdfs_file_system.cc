#include "sinks/hdfs/webhdfs_file_system.h"

#include <utility>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "sinks/hdfs/webhdfs_client.h"

namespace sluice::sinks::hdfs {

struct WebHdfsCall {
  std::string_view op;      // "MKDIRS"
  std::string_view method;  // "PUT"
  RetryStale retry;
};

namespace {

constexpr std::string_view kPrefix = "/webhdfs/v1";
constexpr size_t kExcerptMax = 200;

using Call = WebHdfsCall;
constexpr Call kMkdirs{"MKDIRS", "PUT", RetryStale::yes};
constexpr Call kCreate{"CREATE", "PUT", RetryStale::yes};  // the name node only redirects
constexpr Call kAppend{"APPEND", "POST", RetryStale::yes};
constexpr Call kStatus{"GETFILESTATUS", "GET", RetryStale::yes};
// A repeated cut to the same length changes nothing more, and answers as the first did.
constexpr Call kTruncate{"TRUNCATE", "POST", RetryStale::yes};
// Repeated after it took effect, these would answer false (source or path gone).
constexpr Call kRename{"RENAME", "PUT", RetryStale::no};
constexpr Call kDelete{"DELETE", "DELETE", RetryStale::no};

std::optional<boost::json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) return std::nullopt;
  return value;
}

std::string text_of(const boost::json::string& s) { return std::string(s.data(), s.size()); }

// A short single line from a body that is not JSON (a proxy's or Jetty's HTML page): the text
// outside the tags, spaces folded, cut on a UTF-8 character boundary.
std::string excerpt(std::string_view body) {
  std::string out;
  bool in_tag = false;
  bool space = false;
  for (char c : body) {
    if (c == '<' || c == '>') {
      in_tag = c == '<';
      space = true;
      continue;
    }
    if (in_tag) continue;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    if (out.size() >= kExcerptMax) {
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
      out += "...";
      break;
    }
  }
  return out.empty() ? "(no text)" : out;
}

struct RemoteException {
  std::string exception;  // the simple name
  std::string message;
};

// {"RemoteException":{"exception":"...","javaClassName":"...","message":"..."}}
std::optional<RemoteException> remote_exception(std::string_view body) {
  auto value = parse_json(body);
  const boost::json::object* root = value ? value->if_object() : nullptr;
  const boost::json::value* inner = root ? root->if_contains("RemoteException") : nullptr;
  const boost::json::object* fields = inner ? inner->if_object() : nullptr;
  if (fields == nullptr) return std::nullopt;
  RemoteException r;
  if (const auto* e = fields->if_contains("exception"); e && e->is_string()) r.exception = text_of(e->get_string());
  if (const auto* j = fields->if_contains("javaClassName"); r.exception.empty() && j && j->is_string()) {
    std::string name = text_of(j->get_string());
    r.exception = name.substr(name.rfind('.') + 1);
  }
  if (const auto* m = fields->if_contains("message"); m && m->is_string()) r.message = text_of(m->get_string());
  if (r.exception.empty()) r.exception = "RemoteException";
  return r;
}

FsErrorKind remote_kind(const RemoteException& r, int status, std::string_view method) {
  const std::string_view e = r.exception;
  if (e == "FileNotFoundException") return FsErrorKind::not_found;
  if (e == "FileAlreadyExistsException") return FsErrorKind::already_exists;
  if (e == "AccessControlException" || e == "SecurityException" || e == "AuthorizationException" || status == 401)
    return FsErrorKind::denied;
  if (e == "UnsupportedOperationException") return FsErrorKind::unsupported;
  // A name node older than the op (TRUNCATE before Hadoop 2.7) fails parsing op= itself.
  if (e == "IllegalArgumentException" &&
      r.message.find(fmt::format(" is not a valid {} operation", method)) != std::string::npos)
    return FsErrorKind::unsupported;
  return FsErrorKind::remote;
}

// An error answer from the name node or a data node.
FsError answer_error(const Call& call, const std::string& path, const HttpAnswer& a) {
  if (auto r = remote_exception(a.body)) {
    return FsError{remote_kind(*r, a.status, call.method),
                   fmt::format("{} {}: {} {}: {}", call.op, path, a.status, r->exception, r->message), r->exception,
                   a.status};
  }
  const FsErrorKind kind = a.status == 401 || a.status == 403 ? FsErrorKind::denied : FsErrorKind::protocol;
  const std::string auth = a.www_authenticate.empty() ? "" : ", WWW-Authenticate: " + a.www_authenticate;
  return FsError{kind,
                 fmt::format("{} {}: {} {}, not a WebHDFS answer ({}{}): {}", call.op, path, a.status, a.reason,
                             a.content_type.empty() ? "no Content-Type" : a.content_type, auth, excerpt(a.body)),
                 {},
                 a.status};
}

// A success status with something WebHDFS does not answer.
FsError unexpected_answer(const Call& call, const std::string& path, const HttpAnswer& a, std::string_view expected) {
  return FsError{FsErrorKind::protocol,
                 fmt::format("{} {}: {} {}, where WebHDFS answers {}: {}", call.op, path, a.status, a.reason, expected,
                             excerpt(a.body)),
                 {},
                 a.status};
}

FsError in_context(FsError error, const Call& call, const std::string& path, int64_t timeout_ms) {
  if (error.kind == FsErrorKind::timeout)
    error.message = fmt::format("{} {}: {} (call timeout {} ms)", call.op, path, error.message, timeout_ms);
  else error.message = fmt::format("{} {}: {}", call.op, path, error.message);
  return error;
}

bool is_success(int status) { return status >= 200 && status < 300; }

}  // namespace

WebHdfsFileSystem::WebHdfsFileSystem(WebHdfsOptions options)
    : options_(std::move(options)), client_(std::make_unique<WebHdfsClient>(options_.host, options_.port)) {
  SLUICE_ASSERT(!options_.host.empty(), "WebHdfsOptions::host is empty");
  SLUICE_ASSERT(options_.call_timeout_ms > 0, "WebHdfsOptions::call_timeout_ms must be positive");
  if (!options_.delegation.empty()) identity_ = "&delegation=" + percent_encode_value(options_.delegation);
  else if (!options_.user.empty()) identity_ = "&user.name=" + percent_encode_value(options_.user);
}

WebHdfsFileSystem::~WebHdfsFileSystem() = default;

std::string WebHdfsFileSystem::describe() const {
  return fmt::format("webhdfs://{}", host_port(options_.host, options_.port));
}

FsResult<HttpAnswer> WebHdfsFileSystem::namenode(const Call& call, const std::string& path, std::string_view params,
                                                 Deadline deadline) {
  SLUICE_ASSERT(!path.empty() && path.front() == '/', "WebHDFS paths are absolute");
  const std::string target =
      fmt::format("{}{}?op={}{}{}", kPrefix, percent_encode_path(path), call.op, identity_, params);
  auto answer = client_->namenode_request(call.method, target, deadline, call.retry);
  if (!answer.ok()) return in_context(answer.error(), call, path, options_.call_timeout_ms);
  return answer;
}

FsResult<bool> WebHdfsFileSystem::boolean_op(const Call& call, const std::string& path, std::string_view params) {
  const Deadline deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.call_timeout_ms);
  auto answer = namenode(call, path, params, deadline);
  if (!answer.ok()) return answer.error();
  const HttpAnswer& a = answer.value();
  if (!is_success(a.status)) return answer_error(call, path, a);
  auto value = parse_json(a.body);
  const boost::json::object* root = value ? value->if_object() : nullptr;
  const boost::json::value* b = root ? root->if_contains("boolean") : nullptr;
  if (a.status != 200 || b == nullptr || !b->is_bool())
    return unexpected_answer(call, path, a, R"(200 {"boolean": true|false})");
  return b->get_bool();
}

FsStatus WebHdfsFileSystem::upload(const Call& call, const std::string& path, std::string_view params,
                                   std::string_view data) {
  const Deadline deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.call_timeout_ms);
  auto redirect = namenode(call, path, params, deadline);
  if (!redirect.ok()) return redirect.error();
  const HttpAnswer& r = redirect.value();
  if (!is_success(r.status) && r.status != 307) return answer_error(call, path, r);
  if (r.status != 307 || r.location.empty())
    return unexpected_answer(call, path, r, "307 with a Location (the data node to send the data to)");
  auto url = parse_http_url(r.location);
  if (!url) {
    return FsError{FsErrorKind::protocol,
                   fmt::format("{} {}: the name node redirects to \"{}\", not an http:// URL this client follows",
                               call.op, path, excerpt(r.location)),
                   {},
                   r.status};
  }
  auto answer = client_->upload(call.method, *url, data, deadline);
  if (!answer.ok()) return in_context(answer.error(), call, path, options_.call_timeout_ms);
  if (!is_success(answer.value().status)) return answer_error(call, path, answer.value());
  return {};
}

FsStatus WebHdfsFileSystem::make_directories(const std::string& dir) {
  auto made = boolean_op(kMkdirs, dir, "");
  if (!made.ok()) return made.error();
  if (!made.value())
    return FsError{FsErrorKind::remote, fmt::format("MKDIRS {}: the name node answered false", dir), {}, 200};
  return {};
}

FsStatus WebHdfsFileSystem::create(const std::string& path, std::string_view data) {
  return upload(kCreate, path, "&overwrite=false&createparent=false", data);
}

FsStatus WebHdfsFileSystem::append(const std::string& path, std::string_view data) {
  return upload(kAppend, path, "", data);
}

FsResult<std::optional<uint64_t>> WebHdfsFileSystem::length(const std::string& path) {
  const Deadline deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.call_timeout_ms);
  auto answer = namenode(kStatus, path, "", deadline);
  if (!answer.ok()) return answer.error();
  const HttpAnswer& a = answer.value();
  if (a.status == 404) {
    auto r = remote_exception(a.body);
    if (r && r->exception == "FileNotFoundException") return std::optional<uint64_t>();
  }
  if (!is_success(a.status)) return answer_error(kStatus, path, a);
  // {"FileStatus":{"length":N,"type":"FILE",...}}
  auto value = parse_json(a.body);
  const boost::json::object* root = value ? value->if_object() : nullptr;
  const boost::json::value* status_value = root ? root->if_contains("FileStatus") : nullptr;
  const boost::json::object* status = status_value ? status_value->if_object() : nullptr;
  const boost::json::value* type = status ? status->if_contains("type") : nullptr;
  const boost::json::value* length = status ? status->if_contains("length") : nullptr;
  if (type == nullptr || !type->is_string() || length == nullptr)
    return unexpected_answer(kStatus, path, a, R"(200 {"FileStatus": {"length": N, "type": "FILE", ...}})");
  if (type->get_string() != "FILE") {
    return FsError{FsErrorKind::remote,
                   fmt::format("GETFILESTATUS {}: is a {}, not a file", path, text_of(type->get_string())),
                   {},
                   a.status};
  }
  if (const int64_t* n = length->if_int64(); n != nullptr && *n >= 0) return std::optional<uint64_t>(*n);
  if (const uint64_t* n = length->if_uint64(); n != nullptr) return std::optional<uint64_t>(*n);
  return unexpected_answer(kStatus, path, a, "a length of 0 or more");
}

FsResult<bool> WebHdfsFileSystem::truncate(const std::string& path, uint64_t new_length) {
  return boolean_op(kTruncate, path, fmt::format("&newlength={}", new_length));
}

FsResult<bool> WebHdfsFileSystem::rename(const std::string& from, const std::string& to) {
  return boolean_op(kRename, from, "&destination=" + percent_encode_value(to));
}

FsResult<bool> WebHdfsFileSystem::remove(const std::string& path) {
  return boolean_op(kDelete, path, "&recursive=false");
}

}  // namespace sluice::sinks::hdfs
