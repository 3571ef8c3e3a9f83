// The TAILDIR source (Flume's TaildirSource): its options and its builder.
#include <climits>
#include <functional>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "ringbuf/record.h"
#include "server/app/assembly.h"
#include "server/app/components/component_type.h"
#include "server/sources/taildir_source.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentProblem;
using config::ComponentSpec;
using config::DurationUnit;
using config::OptionType;

constexpr std::string_view kNoEffect =
    "Accepted for Flume compatibility; no effect: sluice does not poll, it reads when inotify says "
    "a file changed (and rescans every second).";

// Every group in `filegroups` has its pattern, and every filegroups.<fg> or headers.<fg>.<key>
// names a listed group.
std::vector<ComponentProblem> check_groups(const config::ComponentConfig& c) {
  std::vector<ComponentProblem> problems;
  const auto& groups = c.get_list("filegroups");
  const std::set<std::string> listed(groups.begin(), groups.end());
  std::set<std::string> with_pattern;
  for (const auto& [key, value] : c.get_prefixed("filegroups.")) {
    if (listed.count(key) == 0)
      problems.push_back({"filegroups." + key, fmt::format("file group '{}' is not listed in filegroups", key)});
    with_pattern.insert(key);
  }
  for (const std::string& g : groups)
    if (with_pattern.count(g) == 0)
      problems.push_back({"filegroups", fmt::format("file group '{}' has no filegroups.{} (<directory>/<file name "
                                                    "regex>)",
                                                    g, g)});
  for (const auto& [key, value] : c.get_prefixed("headers.")) {
    const size_t dot = key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) {
      problems.push_back({"headers." + key, "expected headers.<file group>.<header name>"});
      continue;
    }
    if (listed.count(key.substr(0, dot)) == 0)
      problems.push_back(
          {"headers." + key, fmt::format("file group '{}' is not listed in filegroups", key.substr(0, dot))});
  }
  return problems;
}

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::source,
      .type = "TAILDIR",
      .type_aliases = {"org.apache.flume.source.taildir.TaildirSource"},
      .description =
          "Flume's TAILDIR: follows the files its file groups match, one event per line (LF ends a "
          "line; a CR before it is dropped), and keeps how far each file's events are stored in a "
          "position file in Flume's JSON format (a Flume agent's is taken over). A position is "
          "written only once its events are durable in the channels, so kill -9 loses nothing. "
          "Files are followed by inode and a fingerprint of their first bytes through rename "
          "rotation, copytruncate, delete and recreate (docs/FILE_SOURCES.md). A last line without "
          "its LF waits for it (Flume sends it early). Each TAILDIR source runs on one shard.",
      .options =
          {
              {.name = "filegroups",
               .type = OptionType::list,
               .description = "Names of the file groups, separated by spaces.",
               .required = true},
              {.name = "filegroups.",
               .type = OptionType::prefixed,
               .description = "filegroups.<fg> = <absolute directory>/<Java regex of the whole file name>, e.g. "
                              "/var/log/app/.*\\.log. The directory must exist; only the file name is a regex."},
              {.name = "positionFile",
               .type = OptionType::string,
               .default_value = "~/.flume/taildir_position.json",
               .description = "The position file (Flume's JSON, plus a \"fingerprint\" per entry). Its directory is "
                              "created when missing; a file that cannot be parsed stops start-up (delete it to "
                              "read every file from its start)."},
              {.name = "headers.",
               .type = OptionType::prefixed,
               .description = "headers.<fg>.<name> = <value>: a header set on every event of the group."},
              {.name = "byteOffsetHeader",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Put the byte offset of each line's start in the header \"byteoffset\"."},
              {.name = "skipToEnd",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "At start, files the position file does not list are read from their end, not their "
                              "start."},
              {.name = "idleTimeout",
               .type = OptionType::duration,
               .default_value = "120000",
               .description = "Close a file that has not grown for this long (reopened when it changes).",
               .min = 1,
               .unit = DurationUnit::milliseconds},
              {.name = "writePosInterval",
               .type = OptionType::duration,
               .default_value = "3000",
               .description = "How often the position file is written (when it changed), and at stop.",
               .min = 1,
               .unit = DurationUnit::milliseconds},
              {.name = "batchSize",
               .type = OptionType::integer,
               .default_value = "100",
               .description = "Lines per channel put, stored all or none.",
               .min = 1,
               .max = 100'000},
              {.name = "maxBatchCount",
               .type = OptionType::integer,
               .default_value = "9223372036854775807",
               .description = "Batches read from one file before the next file's turn (0 or less: no limit, as "
                              "Flume's Long.MAX_VALUE)."},
              {.name = "backoffSleepIncrement",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = kNoEffect},
              {.name = "maxBackoffSleep",
               .type = OptionType::integer,
               .default_value = "5000",
               .description = kNoEffect},
              {.name = "cachePatternMatching",
               .type = OptionType::boolean,
               .default_value = "true",
               .description = "Accepted for Flume compatibility; no effect: directories are listed again only when "
                              "inotify says a name changed, and every second."},
              {.name = "fileHeader",
               .type = OptionType::boolean,
               .default_value = "false",
               .description = "Put the file's absolute path in the header named by fileHeaderKey."},
              {.name = "fileHeaderKey",
               .type = OptionType::string,
               .default_value = "file",
               .description = "The header of the file's path (with fileHeader)."},
              {.name = "maxLineLength",
               .type = OptionType::bytes,
               .default_value = "64k",
               .description = "sluice: a longer line is cut into pieces of this size, each an event (counted in "
                              "sluice_source_taildir_cut_lines_total); no byte is dropped. Flume has no limit.",
               .min = 1,
               .max = 16 << 20},
          },
      .check = &check_groups,
  };
}

// The largest record one of this source's events needs: a line of maxLineLength with every
// header a group may add (a path of up to PATH_MAX bytes, an offset of 20 digits).
uint64_t record_bytes_max(const sources::TaildirOptions& o) {
  uint64_t most = 0;
  const std::string path(PATH_MAX, 'p');
  for (const auto& g : o.groups) {
    std::vector<ringbuf::Header> headers;
    if (o.byte_offset_header) headers.push_back({"byteoffset", "18446744073709551615"});
    for (const auto& [k, v] : g.headers) headers.push_back({k, v});
    if (o.file_header) headers.push_back({o.file_header_key, path});
    most = std::max<uint64_t>(most, ringbuf::record_size(headers, o.max_line_bytes));
  }
  return most;
}

Status build_taildir_source(const config::ComponentConfig& c, Assembly& assembly) {
  auto o = std::make_unique<sources::TaildirOptions>();
  o->name = c.name();
  const config::KeyValues& patterns = c.get_prefixed("filegroups.");
  for (const std::string& g : c.get_list("filegroups")) {
    auto p = std::find_if(patterns.begin(), patterns.end(), [&](const auto& kv) { return kv.first == g; });
    SLUICE_ASSERT(p != patterns.end(), "check_groups saw every group's pattern");
    auto pattern = tailing::FilePattern::parse(p->second);
    if (!pattern.ok())
      return make_error(fmt::format("{}: {}", c.locate_key("filegroups." + g), pattern.error().message));
    sources::TaildirOptions::Group group{g, std::move(pattern).value(), {}};
    for (const auto& [key, value] : c.get_prefixed("headers."))
      if (key.compare(0, g.size() + 1, g + ".") == 0) group.headers.emplace_back(key.substr(g.size() + 1), value);
    o->groups.push_back(std::move(group));
  }
  std::string position_file = c.get_string("positionFile");
  if (position_file.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0')
      return make_error(fmt::format("{}: '~' needs HOME, which is not set", c.locate("positionFile")));
    position_file = std::string(home) + position_file.substr(1);
  }
  if (position_file.empty() || position_file.back() == '/')
    return make_error(fmt::format("{}: not a file name", c.locate("positionFile")));
  o->position_file = position_file;
  o->skip_to_end = c.get_bool("skipToEnd");
  o->byte_offset_header = c.get_bool("byteOffsetHeader");
  o->file_header = c.get_bool("fileHeader");
  o->file_header_key = c.get_string("fileHeaderKey");
  o->idle_timeout_ms = c.get_duration_ms("idleTimeout");
  o->write_pos_interval_ms = c.get_duration_ms("writePosInterval");
  o->batch_size = static_cast<uint32_t>(c.get_int("batchSize"));
  const int64_t max_batch_count = c.get_int("maxBatchCount");
  o->max_batch_count = max_batch_count <= 0 ? UINT64_MAX : static_cast<uint64_t>(max_batch_count);
  o->max_line_bytes = static_cast<size_t>(c.get_bytes("maxLineLength"));
  o->read_buffer_bytes = std::max<size_t>(o->read_buffer_bytes, o->max_line_bytes + 4096);
  if (Status s = assembly.check_record_size(c, "maxLineLength", o->max_line_bytes, record_bytes_max(*o)); !s) return s;
  auto writers = assembly.writers_of(c);
  if (!writers.ok()) return writers.error();
  const sources::TaildirOptions& options = assembly.keep(std::move(o));
  // One reader per source, as Flume's: its files' events stay in order, and several TAILDIR
  // sources spread over the shards by name.
  const uint32_t shard = static_cast<uint32_t>(std::hash<std::string>()(options.name) % assembly.shards());
  auto& probe = assembly.add_source_probe(options.name, "TAILDIR", shard);
  auto& taildir_probe = assembly.keep(std::make_unique<sources::TaildirProbe>());
  base::Labels labels = {{"component", options.name}, {"type", "TAILDIR"}, {"shard", std::to_string(shard)}};
  assembly.metrics().add([&taildir_probe, labels](base::MetricsWriter& out) { taildir_probe.collect(out, labels); });
  auto source = sources::TaildirSource::create(options, std::move(writers.value()[shard]), probe, taildir_probe);
  if (!source.ok()) return make_error(fmt::format("{}: {}", c.locate("positionFile"), source.error().message));
  assembly.add_shard_source(shard, std::move(source).value());
  return {};
}

}  // namespace

ComponentType taildir_source_type() { return {spec(), &build_taildir_source}; }

}  // namespace sluice::app
