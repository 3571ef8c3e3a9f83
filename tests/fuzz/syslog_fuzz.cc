// libFuzzer target: the syslog TCP framer -> parser -> record encoder, as the syslog source
// runs them on one connection. Single-threaded. The first input byte picks the chunk size, so
// that frames split across feed() calls (the carry buffer) are exercised too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/syslog/syslog_parser.h"
#include "protocols/syslog/tcp_framer.h"
#include "ringbuf/record.h"

using sluice::ringbuf::Header;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk_bytes = size_t{data[0]} + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  static sluice::syslog::SyslogParser parser;
  parser.set_now(1700000000000);
  sluice::syslog::TcpFramer framer(256);
  std::vector<uint64_t> storage;

  auto on_frame = [&](std::string_view frame, bool truncated) {
    sluice::syslog::SyslogMessage msg;
    parser.parse(frame, msg);
    // Encode what the parser made into a record and read it back: the views the parser
    // returns must lie inside the frame and round-trip through the record format.
    std::vector<Header> headers;
    if (!msg.host.empty()) headers.push_back({"host", msg.host});
    if (!msg.app_name.empty()) headers.push_back({"app", msg.app_name});
    const std::string_view body = msg.flume_body;
    const size_t need = sluice::ringbuf::align_record(sluice::ringbuf::record_size(headers, body.size()));
    storage.assign(need / 8 + 1, 0);
    auto* bytes = reinterpret_cast<std::byte*>(storage.data());
    sluice::ringbuf::encode_record(std::span(bytes, need), 1, 1700000000000, headers, body);
    sluice::ringbuf::EventView view(bytes);
    if (view.body() != body) __builtin_trap();
    (void)truncated;
    return true;
  };

  while (!input.empty()) {
    const auto chunk = input.substr(0, chunk_bytes);
    const auto r = framer.feed(chunk, on_frame);
    if (r.status == sluice::syslog::TcpFramer::Status::garbage) return 0;
    if (r.consumed == 0 && !chunk.empty()) __builtin_trap();  // on_frame never refuses
    input.remove_prefix(r.consumed);
  }
  framer.finish(on_frame);
  return 0;
}
