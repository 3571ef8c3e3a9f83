// Checks every sink's probe test runs on its metric table: each name follows the naming rule
// (sinks/common/metric_table.h) and collect() writes a family for every row, with its type.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <string>
#include <string_view>

#include "sinks/common/event_format.h"
#include "sinks/common/metric_table.h"

namespace sluice::sinks::testing {

template <typename Probe>
void expect_metric_table_follows_the_rules(const Probe& probe, std::string_view type) {
  std::set<std::string_view> names;
  for (const MetricRow<Probe>& row : Probe::metric_table()) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_TRUE(names.insert(row.name).second) << "listed twice";
    EXPECT_FALSE(row.help.empty());
    EXPECT_NE(row.value == nullptr, row.series == nullptr) << "a row has a value or series, not both";
    // The metrics every sink shares have no type in their names.
    const std::string_view owner = row.name == kInvalidUtf8EventsMetric ? std::string_view() : type;
    EXPECT_EQ(metric_name_problem(row.name, owner, row.type), "");
  }
  base::MetricsWriter out;
  probe.collect(out, {{"component", "k1"}});
  const std::string text = out.text();
  for (const MetricRow<Probe>& row : Probe::metric_table()) {
    const std::string type_line =
        fmt::format("# TYPE {} {}\n", row.name, row.type == base::MetricType::counter ? "counter" : "gauge");
    EXPECT_NE(text.find(type_line), std::string::npos) << row.name << " not written by collect():\n" << text;
  }
}

}  // namespace sluice::sinks::testing
