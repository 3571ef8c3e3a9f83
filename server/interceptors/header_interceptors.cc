#include "server/interceptors/header_interceptors.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <memory>

#include <fmt/format.h>

namespace sluice::interceptors {

bool TimestampInterceptor::intercept(EventEdit& event) {
  if (options_.preserve_existing && event.find(key_.name) != nullptr) return true;
  if (event.now_ms() != digits_ms_) {
    auto [end, ec] = std::to_chars(digits_, digits_ + sizeof digits_, event.now_ms());
    digits_size_ = static_cast<size_t>(end - digits_);
    digits_ms_ = event.now_ms();
  }
  event.set(key_, std::string_view(digits_, digits_size_));
  return true;
}

bool HostInterceptor::intercept(EventEdit& event) {
  if (!value_) return true;
  if (options_.preserve_existing && event.find(key_.name) != nullptr) return true;
  event.set(key_, *value_);
  return true;
}

Result<std::string> HostInterceptor::local_host_value(bool use_ip) {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) return make_error("cannot read this machine's host name");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(name, nullptr, &hints, &found); rc != 0)
    return make_error(fmt::format("cannot resolve this machine's host name '{}': {}", name, gai_strerror(rc)));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, &freeaddrinfo);
  if (!use_ip) return std::string(found->ai_canonname != nullptr ? found->ai_canonname : name);
  char text[INET6_ADDRSTRLEN] = {};
  const void* address = found->ai_family == AF_INET6
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  if (inet_ntop(found->ai_family, address, text, sizeof text) == nullptr)
    return make_error(fmt::format("cannot print the address of '{}'", name));
  return std::string(text);
}

bool StaticInterceptor::intercept(EventEdit& event) {
  if (options_.preserve_existing && event.find(key_.name) != nullptr) return true;
  event.set(key_, options_.value);
  return true;
}

bool RemoveHeaderInterceptor::intercept(EventEdit& event) {
  event.remove_if([&](std::string_view key) {
    if (!options_.with_name.empty() && key == options_.with_name) return true;
    for (const std::string& name : options_.from_list) {
      if (key == name) return true;
    }
    return options_.matching && re2::RE2::FullMatch(re2::StringPiece(key.data(), key.size()), options_.matching->re2());
  });
  return true;
}

std::vector<std::string> RemoveHeaderInterceptor::split_list(std::string_view list, const JavaRegex& separator) {
  std::vector<std::string> items;
  re2::StringPiece input(list.data(), list.size());
  size_t start = 0;
  re2::StringPiece match;
  while (start <= list.size() && separator.re2().Match(input, start, list.size(), re2::RE2::UNANCHORED, &match, 1) &&
         !match.empty()) {
    const size_t at = static_cast<size_t>(match.data() - list.data());
    items.emplace_back(list.substr(start, at - start));
    start = at + match.size();
  }
  items.emplace_back(list.substr(start));
  while (!items.empty() && items.back().empty()) items.pop_back();
  return items;
}

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

UuidInterceptor::UuidInterceptor(const Options& options, uint64_t seed)
    : options_(options), key_(options_.header_name) {
  for (uint64_t& s : state_) s = splitmix64(seed);
}

uint64_t UuidInterceptor::next_random() {
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

bool UuidInterceptor::intercept(EventEdit& event) {
  if (options_.preserve_existing && event.find(key_.name) != nullptr) return true;
  uint8_t bytes[16];
  const uint64_t high = next_random();
  const uint64_t low = next_random();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::span<char> out = event.arena().allocate(options_.prefix.size() + 36);
  char* p = std::copy(options_.prefix.begin(), options_.prefix.end(), out.data());
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[bytes[i] >> 4];
    *p++ = kHex[bytes[i] & 0x0F];
  }
  event.set(key_, std::string_view(out.data(), out.size()));
  return true;
}

}  // namespace sluice::interceptors
