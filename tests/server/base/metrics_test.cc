#include "server/base/metrics.h"

#include <gtest/gtest.h>

namespace sluice::base {
namespace {

TEST(MetricsWriter, GroupsFamiliesWithHelpAndType) {
  MetricsWriter w;
  w.counter("sluice_a_total", "A things.", {{"shard", "0"}}, 3);
  w.gauge("sluice_b", "B level.", {}, 0.5);
  w.counter("sluice_a_total", "A things.", {{"shard", "1"}}, 4);
  EXPECT_EQ(w.text(),
            "# HELP sluice_a_total A things.\n# TYPE sluice_a_total counter\n"
            "sluice_a_total{shard=\"0\"} 3\nsluice_a_total{shard=\"1\"} 4\n"
            "# HELP sluice_b B level.\n# TYPE sluice_b gauge\nsluice_b 0.5\n");
  EXPECT_EQ(w.sum("sluice_a_total"), 7);
  EXPECT_EQ(w.sum("sluice_a_total", {{"shard", "1"}}), 4);
  EXPECT_EQ(w.sum("missing"), 0);
}

TEST(MetricsWriter, EscapesLabelValues) {
  MetricsWriter w;
  w.gauge("g", "h", {{"component", "a\"b\\c\nd"}}, 1);
  EXPECT_NE(w.text().find("g{component=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << w.text();
}

TEST(MetricsRegistry, CollectsEveryRegisteredSource) {
  MetricsRegistry r;
  r.add([](MetricsWriter& w) { w.counter("x_total", "x", {}, 1); });
  r.add([](MetricsWriter& w) { w.counter("x_total", "x", {{"k", "v"}}, 2); });
  MetricsWriter w;
  r.collect_all(w);
  EXPECT_EQ(w.sum("x_total"), 3);
}

}  // namespace
}  // namespace sluice::base
