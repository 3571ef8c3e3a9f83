// The loopback ceiling for the syslog-over-TCP benchmarks: a server that accepts connections and
// reads them into a buffer, looking at nothing (no framing, no parsing, no storage). Whatever
// rate it sustains is what the kernel's loopback copy and the client cost on this machine, the
// upper bound for any syslog server on the same load.
//
// One thread per connection, each recv()ing into its own 1 MiB buffer. The bytes received in
// total are kept in the first 8 bytes of --counter-file (mapped shared), updated after every
// recv, so that the harness reads an exact count at any moment without asking this process.
//
//   tcp-ceiling --port P --counter-file PATH     (SIGTERM or Ctrl-C stops it)
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <string_view>
#include <thread>

namespace {

constexpr size_t recv_buffer_bytes = 1 << 20;

int fail(const char* what) {
  std::perror(what);
  return 1;
}

void drain(int fd, std::atomic<uint64_t>* received_bytes) {
  auto buffer = std::make_unique<char[]>(recv_buffer_bytes);
  for (;;) {
    ssize_t n = recv(fd, buffer.get(), recv_buffer_bytes, 0);
    if (n <= 0) break;
    received_bytes->fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  const char* counter_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    std::string_view value = argv[i + 1];
    if (flag == "--port") std::from_chars(value.data(), value.data() + value.size(), port);
    else if (flag == "--counter-file") counter_path = argv[i + 1];
  }
  if (port == 0 || counter_path == nullptr) {
    std::fprintf(stderr, "usage: tcp-ceiling --port P --counter-file PATH\n");
    return 2;
  }

  int counter_fd = open(counter_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (counter_fd < 0 || ftruncate(counter_fd, sizeof(uint64_t)) != 0) return fail(counter_path);
  void* mapped = mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, counter_fd, 0);
  if (mapped == MAP_FAILED) return fail("mmap");
  auto* received_bytes = new (mapped) std::atomic<uint64_t>(0);
  static_assert(std::atomic<uint64_t>::is_always_lock_free);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return fail("bind");
  if (listen(listener, 4096) != 0) return fail("listen");
  std::printf("tcp-ceiling listening on 127.0.0.1:%u\n", port);
  std::fflush(stdout);
  for (;;) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) return fail("accept");
    std::thread(drain, fd, received_bytes).detach();
  }
}
