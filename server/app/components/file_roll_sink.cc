// The file_roll sink (Flume's RollingFileSink): its options and its builder.
#include <fmt/format.h>

#include "server/app/components/component_type.h"
#include "server/config/option_blocks.h"
#include "sinks/file_roll/file_roll_sink.h"

namespace sluice::app {
namespace {

using config::ComponentKind;
using config::ComponentSpec;
using config::invalid_utf8_option;
using config::OptionType;

ComponentSpec spec() {
  return ComponentSpec{
      .kind = ComponentKind::sink,
      .type = "file_roll",
      .type_aliases = {"org.apache.flume.sink.RollingFileSink"},
      .description =
          "Writes events to files in a local directory, starting a new file every "
          "rollInterval.",
      .options =
          {
              {.name = "sink.directory", .description = "Directory the files are written to.", .required = true},
              {.name = "sink.rollInterval",
               .type = OptionType::duration,
               .default_value = "30s",
               .description = "Start a new file this often; 0 never rolls (one file).",
               .min = 0},
              {.name = "sink.serializer",
               .type = OptionType::enumeration,
               .default_value = "TEXT",
               .description = "How an event is written: TEXT is the body and a newline; "
                              "HEADER_AND_TEXT the headers as Flume prints them ({k=v, ...}), a space, "
                              "the body and a newline; JSON (sluice) one object per line with headers "
                              "and body. JSON text is UTF-8: valid UTF-8 passes unchanged, and each maximal "
                              "ill-formed subsequence of a header or body (a stray byte such as 0xFF, a "
                              "truncated, overlong or surrogate sequence, a value above U+10FFFF) becomes "
                              "one U+FFFD, as Unicode and WHATWG decoders do: a raw 0xFF never reads back "
                              "as the character U+00FF. Such events are counted in "
                              "sluice_sink_invalid_utf8_events_total.",
               .values = {"TEXT", "HEADER_AND_TEXT", "JSON"},
               .values_not_supported = {"AVRO_EVENT"}},
              invalid_utf8_option("sink.serializer.invalidUtf8"),
              {.name = "sink.batchSize",
               .type = OptionType::integer,
               .default_value = "1000",
               .description = "Most events taken from the channel per write. Flume's default is 100.",
               .aliases = {"batchSize"},
               .min = 1,
               .max = 1'000'000},
              {.name = "sink.pathManager",
               .type = OptionType::enumeration,
               .default_value = "DEFAULT",
               .description = "How files are named: DEFAULT names them "
                              "<prefix><start time in ms>-<n>[.<extension>], as Flume does.",
               .values = {"DEFAULT"},
               .values_not_supported = {"ROLLTIME"}},
              {.name = "sink.pathManager.prefix", .description = "Start of every file name."},
              {.name = "sink.pathManager.extension",
               .description = "File name extension, without the dot; none when empty."},
          },
      .flume_options_not_supported = {"sink.serializer.appendNewline"},
  };
}

sinks::LineFormat line_format(std::string_view serializer) {
  if (serializer == "HEADER_AND_TEXT") return sinks::LineFormat::header_and_text;
  if (serializer == "JSON") return sinks::LineFormat::json;
  return sinks::LineFormat::text;
}

Result<BuiltSink> build_file_roll_sink(const config::ComponentConfig& c, uint32_t shards) {
  sinks::file_roll::FileRollOptions o;
  o.name = c.name();
  o.directory = c.get_string("sink.directory");
  o.roll_interval_ms = c.get_duration_ms("sink.rollInterval");
  o.format = line_format(c.get_enum("sink.serializer"));
  o.invalid_utf8 = sinks::invalid_utf8_named(c.get_enum("sink.serializer.invalidUtf8"));
  o.prefix = c.get_string("sink.pathManager.prefix");
  o.extension = c.get_string("sink.pathManager.extension");
  BuiltSink built;
  built.batch_events_max = static_cast<size_t>(c.get_int("sink.batchSize"));
  built.description =
      fmt::format("sink {} (file_roll) writes {} lines to {}, {}", c.name(), c.get_enum("sink.serializer"), o.directory,
                  o.roll_interval_ms ? "a new file every " + config::format_duration_ms(o.roll_interval_ms)
                                     : std::string("one file (never rolled)"));
  built.sink = std::make_unique<sinks::file_roll::FileRollSink>(std::move(o));
  return built;
}

}  // namespace

ComponentType file_roll_sink_type() { return {spec(), &build_file_roll_sink}; }

}  // namespace sluice::app
