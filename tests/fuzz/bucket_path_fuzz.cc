// libFuzzer target: the HDFS bucket path compiler and formatter (sinks/hdfs/bucket_path.h).
// Input: "TEMPLATE\nHOST_HEADER\nTIMESTAMP_HEADER"; the template is compiled (errors are fine),
// then formatted for one event with those headers. Single-threaded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sinks/hdfs/bucket_path.h"
#include "tests/support/event_builder.h"

using namespace sluice::sinks::hdfs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto next = [&in] {
    const size_t nl = in.find('\n');
    std::string_view part = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    return std::string(part);
  };
  const std::string text = next(), host = next(), timestamp = next();

  BucketPathOptions o;
  // Loaded once: reading a zone file per input would dominate the run (2k execs/s).
  static const TimeZone::Ptr zone =
      TimeZone::load("America/New_York").ok() ? TimeZone::load("America/New_York").value() : TimeZone::utc();
  o.zone = zone;
  o.host_names = HostNames{"fuzzhost", "127.0.0.1", "fuzzhost.example"};
  const uint8_t flags = data[0];
  o.round_unit = static_cast<RoundUnit>(flags % 4);
  o.round_value = 1 + (flags >> 2) % 24;
  o.use_local_time_stamp = (flags & 0x80) != 0;
  o.path_bytes_max = 512;
  auto path = BucketPath::compile(text, o);
  if (!path.ok()) return 0;

  sluice::testing::EventBuffer events;
  const auto event = events.add({{"host", host}, {"timestamp", timestamp}}, "body");
  std::string out;
  const PathErrc rc = path.value().format(event, 1700000000000, out);
  if (rc == PathErrc::ok && out.size() > o.path_bytes_max) __builtin_trap();
  (void)path_errc_message(rc);
  return 0;
}
