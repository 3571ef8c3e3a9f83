#include "server/interceptors/chain.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::interceptors {
namespace {

using ringbuf::Header;
using ringbuf::PreparedEvent;

// Sets header `key` to "<previous value or empty>+<tag>", so the order interceptors ran in shows.
class Tagger final : public Interceptor {
 public:
  Tagger(std::string key, std::string tag) : key_text_(std::move(key)), tag_(std::move(tag)), key_(key_text_) {}
  bool intercept(EventEdit& event) override {
    std::string value = event.find(key_.name) ? std::string(*event.find(key_.name)) : std::string();
    value += "+" + tag_;
    event.set(key_, event.arena().copy(value));
    return true;
  }

 private:
  std::string key_text_, tag_;
  HeaderKey key_;
};

// Drops events whose body starts with "drop".
class Dropper final : public Interceptor {
 public:
  bool intercept(EventEdit& event) override {
    ++seen;
    return !event.body().starts_with("drop");
  }
  int seen = 0;
};

class BodyUpper final : public Interceptor {
 public:
  bool intercept(EventEdit& event) override {
    std::span<char> out = event.arena().allocate(event.body().size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(std::toupper(event.body()[i]));
    event.set_body({out.data(), out.size()});
    return true;
  }
};

std::string header(const PreparedEvent& e, std::string_view key) {
  for (const Header& h : e.headers)
    if (h.key == key) return std::string(h.value);
  return "<none>";
}

TEST(Chain, RunsInterceptorsInOrderOnEveryEvent) {
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(std::make_unique<Tagger>("order", "a"));
  list.push_back(std::make_unique<Tagger>("order", "b"));
  list.push_back(std::make_unique<BodyUpper>());
  Chain chain(std::move(list));
  const Header original[] = {{"order", "x"}, {"other", "kept"}};
  std::vector<PreparedEvent> in = {{5, original, "one"}, {6, {}, "two"}};
  auto out = chain.run(in, 1000);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(header(out[0], "order"), "x+a+b");
  EXPECT_EQ(header(out[0], "other"), "kept");
  EXPECT_EQ(out[0].body, "ONE");
  EXPECT_EQ(header(out[1], "order"), "+a+b");
  EXPECT_EQ(out[1].body, "TWO");
  EXPECT_EQ(out[0].timestamp_ms, 5);
  EXPECT_EQ(out[1].timestamp_ms, 6);
  EXPECT_EQ(in[0].headers[0].value, "x") << "the input is never written to";
}

TEST(Chain, ADroppedEventSkipsTheRestOfTheChainAndTheOthersKeepTheirOrder) {
  std::vector<std::unique_ptr<Interceptor>> list;
  auto dropper = std::make_unique<Dropper>();
  auto* first = dropper.get();
  list.push_back(std::move(dropper));
  auto second_dropper = std::make_unique<Dropper>();
  auto* second = second_dropper.get();
  list.push_back(std::move(second_dropper));
  Chain chain(std::move(list));
  std::vector<PreparedEvent> in = {{1, {}, "keep 1"}, {2, {}, "drop 2"}, {3, {}, "keep 3"}, {4, {}, "drop 4"}};
  auto out = chain.run(in, 0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].body, "keep 1");
  EXPECT_EQ(out[1].body, "keep 3");
  EXPECT_EQ(first->seen, 4);
  EXPECT_EQ(second->seen, 2) << "a dropped event goes no further";
  std::vector<PreparedEvent> all_dropped = {{1, {}, "drop"}};
  EXPECT_TRUE(chain.run(all_dropped, 0).empty());
}

TEST(Chain, ATimestampHeaderInMillisecondsBecomesTheRecordTime) {
  class SetTimestamp final : public Interceptor {
   public:
    bool intercept(EventEdit& event) override {
      event.set(key_, "1350611220000");
      return true;
    }
    HeaderKey key_{"timestamp"};
  };
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(std::make_unique<SetTimestamp>());
  Chain chain(std::move(list));
  std::vector<PreparedEvent> in = {{42, {}, "x"}};
  auto out = chain.run(in, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].timestamp_ms, 1350611220000);
}

TEST(Chain, KeptHeadersStayValidAcrossManyEventsInOneBatch) {
  std::vector<std::unique_ptr<Interceptor>> list;
  list.push_back(std::make_unique<Tagger>("t", "z"));
  Chain chain(std::move(list));
  std::vector<std::string> bodies;
  for (int i = 0; i < 2000; ++i) bodies.push_back("event " + std::to_string(i));
  std::vector<PreparedEvent> in;
  for (const std::string& b : bodies) in.push_back({0, {}, b});
  auto out = chain.run(in, 0);
  ASSERT_EQ(out.size(), bodies.size());
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i].body, bodies[i]);
    ASSERT_EQ(header(out[i], "t"), "+z");
    ASSERT_EQ(out[i].headers.size(), 1u);
  }
}

}  // namespace
}  // namespace sluice::interceptors
