#include "server/config/reference.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "server/app/components/component_type.h"
#include "server/config/agent_config.h"
#include "server/config/schema.h"

namespace sluice::config {
namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(Reference, DocumentsEveryTypeAndOption) {
  std::string md = config_reference_markdown(app::component_catalog());
  for (const ComponentSpec* listed : app::component_catalog().specs()) {
    const ComponentSpec& spec = *listed;
    EXPECT_TRUE(contains(md, fmt::format("\n### {} {}\n", spec.type, kind_name(spec.kind)))) << spec.type;
    for (std::string_view alias : spec.type_aliases) EXPECT_TRUE(contains(md, fmt::format("`{}`", alias))) << alias;
    for (const OptionSpec& o : spec.options) {
      EXPECT_TRUE(contains(
          md, (o.type == OptionType::prefixed ? fmt::format("| `{}*`", o.name) : fmt::format("| `{}`", o.name))))
          << spec.type << " " << o.name;
      for (std::string_view alias : o.aliases) EXPECT_TRUE(contains(md, fmt::format("`{}`", alias))) << alias;
    }
    for (std::string_view key : spec.flume_options_not_supported) {
      EXPECT_TRUE(contains(md, fmt::format("`{}`", key))) << key;
    }
  }
  for (ComponentKind kind : {ComponentKind::source, ComponentKind::sink}) {
    for (const OptionSpec& o : common_options(kind))
      EXPECT_TRUE(contains(
          md, (o.type == OptionType::prefixed ? fmt::format("| `{}*`", o.name) : fmt::format("| `{}`", o.name))))
          << o.name;
  }
}

TEST(Reference, RowsCarryTypeRangeDefaultAndDescription) {
  std::string md = config_reference_markdown(app::component_catalog());
  EXPECT_TRUE(contains(md, "| `port` | int, 1 to 65535 | **required** | Port to listen on. |\n")) << md;
  EXPECT_TRUE(contains(md, "| `host` | string | `0.0.0.0` | Address to listen on. |\n")) << md;
  EXPECT_TRUE(contains(md, "| `eventSize` | bytes, 64 to 16m | `64k` |")) << md;
  EXPECT_TRUE(contains(md, "| `eventSize` | bytes, 64 to 65507 | `65507` |")) << md;
  EXPECT_TRUE(contains(md, "| `sink.rollInterval` | duration, bare number in seconds | `30s` |")) << md;
  EXPECT_TRUE(contains(md, "| `sink.serializer` | enum: `TEXT`, `HEADER_AND_TEXT`, `JSON` | `TEXT` |")) << md;
  EXPECT_TRUE(contains(md, "| `sink.batchSize` (also `batchSize`) | int, 1 to 1000000 | `1000` |")) << md;
  EXPECT_TRUE(contains(md, "| `clientIPHeader` | string | (empty) |")) << md;
  EXPECT_TRUE(contains(md, "| `type` | string | **required** | The sink type: one of the names below. |\n")) << md;
  // Flume users must see where sluice differs.
  EXPECT_TRUE(contains(md, "Flume's default is 100: sluice bounds channels by bytes instead.")) << md;
  EXPECT_TRUE(contains(md, "Accepted for Flume compatibility; no effect")) << md;
}

TEST(Reference, EscapesTableCells) {
  std::string md = config_reference_markdown(app::component_catalog());
  EXPECT_TRUE(contains(md, "&lt;prefix&gt;&lt;start time in ms&gt;-&lt;n&gt;[.&lt;extension&gt;]")) << md;
  EXPECT_FALSE(contains(md, "<prefix>"));
}

// The example in the reference's introduction must itself be a valid configuration.
TEST(Reference, TheExampleLoads) {
  std::string md = config_reference_markdown(app::component_catalog());
  size_t start = md.find("```properties\n");
  ASSERT_NE(start, std::string::npos);
  start += std::string_view("```properties\n").size();
  size_t end = md.find("```", start);
  ASSERT_NE(end, std::string::npos);
  Result<AgentConfig> c = load_agent_config(md.substr(start, end - start), "a1", "CONFIG.md", app::component_catalog());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->channels[0].get_bytes("byteCapacity"), 1ull << 30);
}

}  // namespace
}  // namespace sluice::config
