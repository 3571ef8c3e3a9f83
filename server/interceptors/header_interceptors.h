// Flume's interceptors that set or remove headers without looking at the body: timestamp, host,
// static, remove_header and the morphline module's UUIDInterceptor. Each keeps its options (the
// header names it sets live there) and is built once per shard.
//
// Threads: options and construction on the main thread; intercept() on the owning shard only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "server/interceptors/interceptor.h"
#include "server/interceptors/java_regex.h"

namespace sluice::interceptors {

// Sets a header (default `timestamp`) to the time of interception in ms since the epoch.
class TimestampInterceptor final : public Interceptor {
 public:
  struct Options {
    std::string header_name = "timestamp";
    bool preserve_existing = false;
  };
  explicit TimestampInterceptor(const Options& options) : options_(options), key_(options_.header_name) {}
  bool intercept(EventEdit& event) override;

 private:
  const Options options_;
  const HeaderKey key_;
  // The digits of the last time set: a batch's events share it, and a new time comes only with
  // a later batch, after the earlier one was written.
  int64_t digits_ms_ = -1;
  char digits_[20] = {};
  size_t digits_size_ = 0;
};

// Sets a header (default `host`) to this machine's address or name, looked up once when built.
class HostInterceptor final : public Interceptor {
 public:
  struct Options {
    std::string host_header = "host";
    bool use_ip = true;
    bool preserve_existing = false;
  };
  // `host_value` is what the header is set to; none: the lookup failed and, as in Flume, no
  // header is set (local_host_value() finds it).
  HostInterceptor(const Options& options, std::optional<std::string> host_value)
      : options_(options), value_(std::move(host_value)), key_(options_.host_header) {}
  bool intercept(EventEdit& event) override;

  // This machine's first address (use_ip) or canonical name, as Java's
  // InetAddress.getLocalHost() gives them; an error when the name does not resolve.
  static Result<std::string> local_host_value(bool use_ip);

 private:
  const Options options_;
  const std::optional<std::string> value_;
  const HeaderKey key_;
};

// Sets one header to a fixed value.
class StaticInterceptor final : public Interceptor {
 public:
  struct Options {
    std::string key = "key";
    std::string value = "value";
    bool preserve_existing = true;
  };
  explicit StaticInterceptor(const Options& options) : options_(options), key_(options_.key) {}
  bool intercept(EventEdit& event) override;

 private:
  const Options options_;
  const HeaderKey key_;
};

// Removes headers by exact name, by a list of names, or by a regular expression matching the
// whole name.
class RemoveHeaderInterceptor final : public Interceptor {
 public:
  struct Options {
    std::string with_name;               // empty: none
    std::vector<std::string> from_list;  // already split
    std::optional<JavaRegex> matching;   // must match the whole key
  };
  explicit RemoveHeaderInterceptor(Options options) : options_(std::move(options)) {}
  bool intercept(EventEdit& event) override;

  // Flume's fromList split with its separator regex (Java's String.split: trailing empty
  // items dropped). The separator must not match an empty string.
  static std::vector<std::string> split_list(std::string_view list, const JavaRegex& separator);

 private:
  const Options options_;
};

// Sets a header (default `id`) to `prefix` plus a random (version 4) UUID, 36 lowercase
// characters.
class UuidInterceptor final : public Interceptor {
 public:
  struct Options {
    std::string header_name = "id";
    std::string prefix;
    bool preserve_existing = true;
  };
  // `seed` starts this shard's generator (from the kernel's random source in the server).
  UuidInterceptor(const Options& options, uint64_t seed);
  bool intercept(EventEdit& event) override;

 private:
  uint64_t next_random();

  const Options options_;
  const HeaderKey key_;
  uint64_t state_[4];  // xoshiro256**
};

}  // namespace sluice::interceptors
