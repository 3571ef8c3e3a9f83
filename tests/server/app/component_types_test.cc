// The registry of component types: every type the config accepts has a builder of its kind,
// and a loaded component finds its own type.
#include "server/app/components/component_type.h"

#include <gtest/gtest.h>

#include <string>

#include "server/config/agent_config.h"

namespace sluice::app {
namespace {

TEST(ComponentTypes, EveryTypeInTheCatalogHasABuilderOfItsKind) {
  const auto& specs = component_catalog().specs();
  ASSERT_EQ(specs.size(), component_types().size());
  for (const ComponentType& t : component_types()) {
    switch (t.spec().kind) {
      case config::ComponentKind::source: EXPECT_NE(t.source_builder(), nullptr) << t.spec().type; break;
      case config::ComponentKind::channel: EXPECT_NE(t.channel_builder(), nullptr) << t.spec().type; break;
      case config::ComponentKind::sink: EXPECT_NE(t.sink_builder(), nullptr) << t.spec().type; break;
    }
  }
}

TEST(ComponentTypes, ALoadedComponentFindsItsTypeByAnyOfItsNames) {
  const std::string text =
      "a1.sources = r1\n"
      "a1.sources.r1.type = org.apache.flume.source.SyslogTcpSource\n"
      "a1.sources.r1.port = 5140\n"
      "a1.sources.r1.channels = c1\n"
      "a1.channels = c1\n"
      "a1.channels.c1.type = MEMORY\n"
      "a1.sinks = k1\n"
      "a1.sinks.k1.type = null\n"
      "a1.sinks.k1.channel = c1\n";
  auto config = config::load_agent_config(text, "a1", "f.conf", component_catalog());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(component_type_of(config->sources[0]).spec().type, "syslogtcp");
  EXPECT_EQ(component_type_of(config->channels[0]).spec().type, "memory");
  EXPECT_EQ(component_type_of(config->sinks[0]).spec().type, "null");
}

TEST(ComponentTypesDeathTest, ATypeWithABuilderOfAnotherKindIsAProgrammerError) {
  config::ComponentSpec spec{.kind = config::ComponentKind::sink, .type = "wrong", .description = "x"};
  SourceBuilder source = [](const config::ComponentConfig&, Assembly&) -> Status { return {}; };
  EXPECT_DEATH(ComponentType(spec, source), "a source type needs its builder");
  EXPECT_DEATH(ComponentType(spec, SinkBuilder{nullptr}), "a sink type needs its builder");
}

}  // namespace
}  // namespace sluice::app
