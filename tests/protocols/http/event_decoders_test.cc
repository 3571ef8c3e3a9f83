#include "protocols/http/event_decoders.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/protocols/http/captured_requests.h"
#include "tests/protocols/http/http_test_support.h"

namespace sluice::http {
namespace {

using namespace std::string_literals;
using testing::PaddedText;

struct Ev {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  os << "{";
  for (const auto& [k, v] : e.headers) os << k << "=" << v << ",";
  return os << " body=\"" << e.body << "\"}";
}

std::vector<Ev> events_of(const EventDecoder& d) {
  std::vector<Ev> out;
  for (const DecodedEvent& e : d.events()) {
    Ev ev;
    for (const ringbuf::Header& h : e.headers) ev.headers.emplace_back(h.key, h.value);
    ev.body = std::string(e.body);
    out.push_back(std::move(ev));
  }
  return out;
}

struct Outcome {
  HttpError error;
  std::string message;
  std::vector<Ev> events;
};

// Every JSON test runs once per library: Boost.JSON (production) and simdjson (oracle).
class JsonDecoding : public ::testing::TestWithParam<JsonLibrary> {
 protected:
  EventDecoder::options opts() const {
    EventDecoder::options o;
    o.json_library = GetParam();
    return o;
  }

  Outcome run(BodyFormat format, std::string_view body, EventDecoder::options o,
              std::span<const ringbuf::Header> extra = {}) {
    EventDecoder d(o);
    const PaddedText padded(body);
    Outcome out;
    out.error = d.decode(format, padded, extra);
    out.message = std::string(out.error.message);
    out.events = events_of(d);
    if (out.error) {
      EXPECT_TRUE(out.events.empty());
    }
    return out;
  }
  Outcome json(std::string_view body) { return run(BodyFormat::flume_json, body, opts()); }
  Outcome ndjson(std::string_view body) { return run(BodyFormat::ndjson, body, opts()); }

  // A body that must be refused with `status` and exactly `message`.
  void refused(std::string_view body, uint16_t status, std::string_view message) {
    const Outcome o = json(body);
    EXPECT_EQ(o.error.status, status) << body;
    EXPECT_EQ(o.message, message) << body;
  }
  // Invalid JSON: 400 and a message starting "invalid JSON" (the rest is the library's).
  void invalid(std::string_view body) {
    const Outcome o = json(body);
    EXPECT_EQ(o.error.status, 400) << body;
    EXPECT_EQ(o.message.rfind("invalid JSON", 0), 0u) << body << " -> " << o.message;
  }
  std::vector<Ev> accepted(std::string_view body) {
    const Outcome o = json(body);
    EXPECT_TRUE(o.error.ok()) << body << " -> " << o.message;
    return o.events;
  }
};

INSTANTIATE_TEST_SUITE_P(Libraries, JsonDecoding, ::testing::Values(JsonLibrary::boost_json, JsonLibrary::simdjson),
                         [](const auto& info) {
                           return info.param == JsonLibrary::simdjson ? "simdjson" : "boost_json";
                         });

// ---- Flume JSONHandler ----

TEST_P(JsonDecoding, FlumeBatch) {
  EXPECT_EQ(
      accepted(
          R"([{"headers" : {"a":"b", "c":"d"},"body": "random_body"}, {"headers" : {"e": "f"},"body": "random_body2"}])"),
      (std::vector<Ev>{{{{"a", "b"}, {"c", "d"}}, "random_body"}, {{{"e", "f"}}, "random_body2"}}));
}

TEST_P(JsonDecoding, CurlCapturedBody) {
  const std::string_view request = testing::kCurlJson;
  const std::string_view body = request.substr(request.find("\r\n\r\n") + 4);
  EXPECT_EQ(accepted(body), (std::vector<Ev>{{{{"host", "web-01"}, {"app", "checkout"}}, "hello \"world\""}}));
}

TEST_P(JsonDecoding, EightEventsOfFourHeaders) {
  const auto events = accepted(testing::kBigJson);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(
      events[7].headers,
      (std::vector<std::pair<std::string, std::string>>{
          {"host", "web-07"}, {"app", "checkout"}, {"level", "info"}, {"trace", "00000000000000000000000000000007"}}));
}

TEST_P(JsonDecoding, Escapes) {
  EXPECT_EQ(accepted(R"([{"body":"q\" b\\ s\/ \b\f\n\r\t e\u00e9 \u20AC \u0000."}])"),
            (std::vector<Ev>{{{}, "q\" b\\ s/ \b\f\n\r\t e\xC3\xA9 \xE2\x82\xAC "s + '\0' + "."}}));
}

TEST_P(JsonDecoding, EscapesInKeysAndHeaderValues) {
  EXPECT_EQ(accepted(R"([{"h\u0065aders":{"k\"1":"v\n1","\u00e9":"\ud83d\ude00"},"bod\u0079":"x"}])"),
            (std::vector<Ev>{{{{"k\"1", "v\n1"}, {"\xC3\xA9", "\xF0\x9F\x98\x80"}}, "x"}}));
}

TEST_P(JsonDecoding, SurrogatePairs) {
  EXPECT_EQ(accepted(R"([{"body":"\uD83D\uDE00\uDBFF\uDFFF\uD800\uDC00"}])"),
            (std::vector<Ev>{{{}, "\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\xF0\x90\x80\x80"}}));
}

TEST_P(JsonDecoding, RawUnicodePassesThrough) {
  EXPECT_EQ(
      accepted("[{\"headers\":{\"city\":\"K\xC3\xB6ln\"},\"body\":\"\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}]"),
      (std::vector<Ev>{{{{"city", "K\xC3\xB6ln"}}, "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"}}));
}

TEST_P(JsonDecoding, LoneSurrogatesRefused) {
  for (const char* body :
       {R"([{"body":"\uD800"}])", R"([{"body":"\uDC00"}])", R"([{"body":"a\uD83Dx"}])", R"([{"body":"\uD83D\u0041"}])",
        R"([{"body":"\uDE00\uD83D"}])", R"([{"headers":{"k":"\uD800"}}])"})
    invalid(body);
}

TEST_P(JsonDecoding, BadEscapesRefused) {
  for (const char* body :
       {R"([{"body":"\x41"}])", R"([{"body":"\u12"}])", R"([{"body":"\u12G4"}])", R"([{"body":"\'"}])"})
    invalid(body);
}

TEST_P(JsonDecoding, InvalidUtf8AndControlCharactersRefused) {
  invalid("[{\"body\":\"\xFF\"}]");
  invalid("[{\"body\":\"\xC3\"}]");
  invalid("[{\"body\":\"\xED\xA0\x80\"}]");  // a surrogate encoded in UTF-8
  invalid("[{\"body\":\"a\x01\"}]");
  invalid("[{\"body\":\"tab\there\"}]");
}

TEST_P(JsonDecoding, EmptyArrayIsZeroEvents) {
  EXPECT_TRUE(accepted("[]").empty());
  EXPECT_TRUE(accepted(" \r\n[ ]\n").empty());
}

TEST_P(JsonDecoding, EmptyBodyRefused) {
  refused("", 400, "empty body: expected a JSON array of events");
  refused(" \r\n\t", 400, "empty body: expected a JSON array of events");
}

TEST_P(JsonDecoding, MissingAndNullFields) {
  EXPECT_EQ(accepted(R"([{"body":"only body"},{"headers":{"k":"v"}},{},{"headers":null,"body":null}])"),
            (std::vector<Ev>{{{}, "only body"}, {{{"k", "v"}}, ""}, {{}, ""}, {{}, ""}}));
}

TEST_P(JsonDecoding, SingleObjectIsOneEvent) {
  EXPECT_EQ(accepted(R"({"headers":{"a":"1"},"body":"one"})"), (std::vector<Ev>{{{{"a", "1"}}, "one"}}));
}

TEST_P(JsonDecoding, NumberAndBooleanHeaderValuesBecomeText) {
  EXPECT_EQ(
      accepted(R"([{"headers":{"n":42,"neg":-1.5e3,"z":0,"big":123456789012345678901234567890,"t":true,"f":false}}])"),
      (std::vector<Ev>{{{{"n", "42"},
                         {"neg", "-1.5e3"},
                         {"z", "0"},
                         {"big", "123456789012345678901234567890"},
                         {"t", "true"},
                         {"f", "false"}},
                        ""}}));
}

TEST(BoostJsonDecoding, ExponentOverflowRefused) {
  EventDecoder d({});
  const PaddedText body(R"([{"headers":{"n":1e99999999999999999999}}])");
  const HttpError e = d.decode(BodyFormat::flume_json, body);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "invalid JSON at byte 28: exponent overflow");
}

TEST_P(JsonDecoding, WrongTypesNamed) {
  refused(R"([{"headers":{"a":{"x":1}}}])", 400,
          R"(event 0: header "a": value must be a string, number or boolean, not an object)");
  refused(R"([{"body":"ok"},{"headers":{"b":[1]}}])", 400,
          R"(event 1: header "b": value must be a string, number or boolean, not an array)");
  refused(R"([{"headers":{"c":null}}])", 400,
          R"(event 0: header "c": value must be a string, number or boolean, not null)");
  refused(R"([{"headers":["a"]}])", 400, R"(event 0: "headers" must be an object, not an array)");
  refused(R"([{"headers":"a"}])", 400, R"(event 0: "headers" must be an object, not a string)");
  refused(R"([{"headers":1}])", 400, R"(event 0: "headers" must be an object, not a number)");
  refused(R"([{"body":12}])", 400, R"(event 0: "body" must be a string, not a number)");
  refused(R"([{"body":true}])", 400, R"(event 0: "body" must be a string, not a boolean)");
  refused(R"([{"body":{"a":"b"}}])", 400, R"(event 0: "body" must be a string, not an object)");
  refused(R"([{"body":["a"]}])", 400, R"(event 0: "body" must be a string, not an array)");
  refused(R"([{},{},"x"])", 400, R"(event 2: an event must be an object, not a string)");
  refused(R"([[]])", 400, R"(event 0: an event must be an object, not an array)");
  refused(R"([null])", 400, R"(event 0: an event must be an object, not null)");
  refused(R"("text")", 400, "the body must be a JSON array of events or one event object, not a string");
  refused(R"(42)", 400, "the body must be a JSON array of events or one event object, not a number");
  refused(R"(null)", 400, "the body must be a JSON array of events or one event object, not null");
}

TEST_P(JsonDecoding, UnknownFieldsIgnored) {
  EXPECT_EQ(accepted(R"([{"id":7,"headers":{"a":"b"},"meta":{"x":[1,{"y":null}],"z":"w"},"body":"b","tags":["t"]}])"),
            (std::vector<Ev>{{{{"a", "b"}}, "b"}}));
}

TEST_P(JsonDecoding, RepeatedFieldsLastWins) {
  EXPECT_EQ(accepted(R"([{"body":"first","headers":{"a":"1"},"body":"second","headers":{"b":"2"}}])"),
            (std::vector<Ev>{{{{"b", "2"}}, "second"}}));
}

TEST_P(JsonDecoding, DuplicateHeaderKeysRefused) {
  refused(R"([{"headers":{"a":"1","b":"2","a":"3"}}])", 400, R"(event 0: duplicate header "a")");
  // Many headers: the sorted check.
  std::string many = R"([{"headers":{)";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":\"v\",";
  many += R"("k17":"again"}}])";
  refused(many, 400, R"(event 0: duplicate header "k17")");
}

TEST_P(JsonDecoding, SyntaxErrors) {
  for (const char* body :
       {"[", "[{", R"([{"body":"a"})", R"([{"body":"a)", R"([{"body":"a"}]])", R"([{"body":"a"}] x)",
        R"([{"body":"a"} {"body":"b"}])", R"([{"body":"a",}])", R"([{"body" "a"}])", R"([{body:"a"}])",
        R"([{'body':'a'}])", "[{\"body\":\"a\"}] // comment", R"({"body":"a"}{"body":"b"})", "not json",
        R"([{"headers":{"n":01}}])", R"([{"headers":{"n":1.}}])", R"([{"headers":{"n":-}}])",
        R"([{"headers":{"t":tru}}])", R"([{"body":nul}])", R"([{"headers":nul}])", R"([nul])", "nope",
        // Values of ignored fields are checked like the rest (On-Demand alone would skip them).
        R"([{"x":tru,"body":"a"}])", R"([{"x":01,"body":"a"}])", R"([{"x":"\q","body":"a"}])",
        R"([{"x":[1,,2],"body":"a"}])", R"({"x":"a":"b","body":"c"})", R"([{"x":{"a" "b"},"body":"c"}])"})
    invalid(body);
}

TEST_P(JsonDecoding, DeepNestingInIgnoredFields) {
  std::string ok = R"([{"x":)" + std::string(60, '[') + std::string(60, ']') + R"(,"body":"a"}])";
  EXPECT_EQ(accepted(ok).size(), 1u);
  invalid(R"([{"x":)" + std::string(100, '[') + std::string(100, ']') + R"(,"body":"a"}])");
}

TEST_P(JsonDecoding, TruncatedAnywhere) {
  const std::string_view full = testing::kBigJson;
  for (size_t cut = 0; cut < full.size(); cut += 7) {
    const Outcome o = json(full.substr(0, cut));
    EXPECT_EQ(o.error.status, 400) << cut;
  }
}

TEST_P(JsonDecoding, TooManyEvents) {
  EventDecoder::options o = opts();
  o.events_max = 3;
  EXPECT_TRUE(run(BodyFormat::flume_json, "[{},{},{}]", o).error.ok());
  const Outcome out = run(BodyFormat::flume_json, "[{},{},{},{}]", o);
  EXPECT_EQ(out.error.status, 413);
  EXPECT_EQ(out.message, "more than 3 events in one request");
}

TEST_P(JsonDecoding, HugeBatchAtTheDefaultLimit) {
  std::string body = "[";
  for (int i = 0; i < 100'000; ++i) body += i ? ",{}" : "{}";
  body += "]";
  EXPECT_EQ(json(body).events.size(), 100'000u);
  body.back() = ',';
  body += "{}]";
  EXPECT_EQ(json(body).error.status, 413);
}

TEST_P(JsonDecoding, TooManyHeaders) {
  EventDecoder::options o = opts();
  o.headers_per_event_max = 2;
  EXPECT_TRUE(run(BodyFormat::flume_json, R"([{"headers":{"a":"1","b":"2"}}])", o).error.ok());
  const Outcome out = run(BodyFormat::flume_json, R"([{"body":"x"},{"headers":{"a":"1","b":"2","c":"3"}}])", o);
  EXPECT_EQ(out.error.status, 413);
  EXPECT_EQ(out.message, "event 1: more than 2 headers");
}

TEST_P(JsonDecoding, HeaderKeyTooLong) {
  const std::string at_limit(ringbuf::kHeaderKeyBytesMax, 'k');
  EXPECT_TRUE(json(R"([{"headers":{")" + at_limit + R"(":"v"}}])").error.ok());
  refused(R"([{"headers":{")" + at_limit + R"(k":"v"}}])", 400, "event 0: header key longer than 32767 bytes");
}

TEST_P(JsonDecoding, ExtraHeadersAddedUnlessPresent) {
  const ringbuf::Header extra[] = {{"source", "http-1"}, {"a", "from-source"}};
  const Outcome o = run(BodyFormat::flume_json, R"([{"headers":{"a":"mine"},"body":"x"},{"body":"y"}])", opts(), extra);
  ASSERT_TRUE(o.error.ok());
  EXPECT_EQ(o.events, (std::vector<Ev>{{{{"a", "mine"}, {"source", "http-1"}}, "x"},
                                       {{{"source", "http-1"}, {"a", "from-source"}}, "y"}}));
}

TEST_P(JsonDecoding, DecoderReusedAcrossRequests) {
  EventDecoder d(opts());
  const PaddedText first(R"([{"headers":{"k":"v\u0041"},"body":"one\n"},{"body":"two"}])");
  ASSERT_TRUE(d.decode(BodyFormat::flume_json, first).ok());
  EXPECT_EQ(events_of(d), (std::vector<Ev>{{{{"k", "vA"}}, "one\n"}, {{}, "two"}}));
  const PaddedText bad(R"([{"body":1}])");
  EXPECT_EQ(d.decode(BodyFormat::flume_json, bad).status, 400);
  EXPECT_TRUE(d.events().empty());
  const PaddedText second(R"({"body":"three"})");
  ASSERT_TRUE(d.decode(BodyFormat::flume_json, second).ok());
  EXPECT_EQ(events_of(d), (std::vector<Ev>{{{}, "three"}}));
}

// ---- NDJSON ----

TEST_P(JsonDecoding, NdjsonLines) {
  const Outcome o = ndjson("{\"headers\":{\"a\":\"1\"},\"body\":\"x\"}\n\n  \r\n{\"body\":\"y\"}\r\n{}");
  ASSERT_TRUE(o.error.ok()) << o.message;
  EXPECT_EQ(o.events, (std::vector<Ev>{{{{"a", "1"}}, "x"}, {{}, "y"}, {{}, ""}}));
}

TEST_P(JsonDecoding, NdjsonErrorsNameTheLine) {
  Outcome o = ndjson("{\"body\":\"x\"}\n\n{\"body\":3}\n");
  EXPECT_EQ(o.error.status, 400);
  EXPECT_EQ(o.message, "line 3: \"body\" must be a string, not a number");
  o = ndjson("{\"body\":\"x\"}\n[{\"body\":\"y\"}]\n");
  EXPECT_EQ(o.message, "line 2: an event must be an object, not an array");
  o = ndjson("{\"body\":\"x\"}\n{\"body\":\"y\"\n");
  EXPECT_EQ(o.error.status, 400);
  EXPECT_EQ(o.message.rfind("line 2: invalid JSON", 0), 0u) << o.message;
  o = ndjson("{\"body\":\"x\"} {\"body\":\"y\"}\n");
  EXPECT_EQ(o.message.rfind("line 1: invalid JSON", 0), 0u) << o.message;
  o = ndjson("\"just a string\"");
  EXPECT_EQ(o.message, "line 1: an event must be an object, not a string");
}

TEST_P(JsonDecoding, NdjsonEmptyBodyIsZeroEvents) {
  EXPECT_TRUE(ndjson("").error.ok());
  EXPECT_TRUE(ndjson("\n\r\n \n").events.empty());
}

// ---- both libraries agree (simdjson as the oracle) ----

TEST(JsonLibrariesAgree, OnMutatedInputs) {
  const std::string seeds[] = {
      std::string(testing::kBigJson),
      R"([{"headers":{"k\u00e9":"v\"\\","n":-0.5e-3,"b":false},"body":"\ud83d\ude00 \/\t"},{"body":null},{}])",
      R"({"headers":{"a":"b"},"body":"single"})",
      R"([{"id":12,"headers":{"n":1,"big":123456789012345678901234567890,"f":1e300},"x":[true,null,{"y":-1}],"body":"b"}])",
  };
  EventDecoder::options so;
  so.json_library = JsonLibrary::simdjson;
  EventDecoder::options bo;
  bo.json_library = JsonLibrary::boost_json;
  EventDecoder simd(so);
  EventDecoder boost(bo);
  std::mt19937 rng(11);
  const std::string alphabet = "{}[],:\"\\ ux0.-eE9ntfalsr\x80\xC3\xFF";
  size_t both_accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string input = seeds[rng() % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      const size_t at = rng() % input.size();
      switch (rng() % 3) {
        case 0: input[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: input.erase(at, 1 + rng() % 4); break;
        case 2: input.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    const PaddedText padded(input);
    const HttpError s = simd.decode(BodyFormat::flume_json, padded);
    const HttpError b = boost.decode(BodyFormat::flume_json, padded);
    // Same verdict, same events; messages of syntax errors are each library's own. One known
    // difference: Boost.JSON 1.81 refuses numbers whose exponent overflows (1e99999999999999).
    if (!b.ok() && b.message.ends_with("exponent overflow")) continue;
    if (b.ok()) {
      ASSERT_TRUE(s.ok()) << input << " -> " << s.message;
      ASSERT_EQ(events_of(simd), events_of(boost)) << input;
      ++both_accepted;
    } else {
      ASSERT_EQ(s.status, b.status) << input << "\n simdjson: " << s.message << "\n boost: " << b.message;
    }
  }
  EXPECT_GT(both_accepted, 1000u);
}

// ---- plain text ----

TEST(TextDecoding, Lines) {
  EventDecoder d({});
  const PaddedText body("first\r\nsecond\n\n\r\nthird");
  ASSERT_TRUE(d.decode(BodyFormat::text, body).ok());
  EXPECT_EQ(events_of(d), (std::vector<Ev>{{{}, "first"}, {{}, "second"}, {{}, "third"}}));
  // Zero copy: bodies point into the request body.
  EXPECT_EQ(d.events()[0].body.data(), body.view().data());
}

TEST(TextDecoding, TrailingNewlineAndEmptyBody) {
  EventDecoder d({});
  const PaddedText one("only\n");
  ASSERT_TRUE(d.decode(BodyFormat::text, one).ok());
  EXPECT_EQ(events_of(d), (std::vector<Ev>{{{}, "only"}}));
  const PaddedText empty("");
  ASSERT_TRUE(d.decode(BodyFormat::text, empty).ok());
  EXPECT_TRUE(d.events().empty());
}

TEST(TextDecoding, ExtraHeadersOnEveryLine) {
  EventDecoder d({});
  const ringbuf::Header extra[] = {{"host", "10.0.0.1"}};
  const PaddedText body("a\nb\n");
  ASSERT_TRUE(d.decode(BodyFormat::text, body, extra).ok());
  EXPECT_EQ(events_of(d), (std::vector<Ev>{{{{"host", "10.0.0.1"}}, "a"}, {{{"host", "10.0.0.1"}}, "b"}}));
}

TEST(TextDecoding, TooManyLines) {
  EventDecoder::options o;
  o.events_max = 2;
  EventDecoder d(o);
  const PaddedText body("a\nb\nc\n");
  const HttpError e = d.decode(BodyFormat::text, body);
  EXPECT_EQ(e.status, 413);
  EXPECT_EQ(e.message, "more than 2 events in one request");
}

TEST(TextDecoding, BytesPassUnchanged) {
  EventDecoder d({});
  const PaddedText body("caf\xE9 \xFF\x00z"s);
  ASSERT_TRUE(d.decode(BodyFormat::text, body).ok());
  EXPECT_EQ(events_of(d), (std::vector<Ev>{{{}, "caf\xE9 \xFF\x00z"s}}));
}

TEST_P(JsonDecoding, EscapeFreeStringsAreNotCopied) {
  EventDecoder d(opts());
  const PaddedText body(R"([{"headers":{"host":"web"},"body":"plain text"},{"body":"esc\naped"}])");
  ASSERT_TRUE(d.decode(BodyFormat::flume_json, body).ok());
  const std::string_view in = body.view();
  auto inside = [&](std::string_view s) {
    return s.data() >= in.data() && s.data() + s.size() <= in.data() + in.size();
  };
  EXPECT_TRUE(inside(d.events()[0].body));
  EXPECT_TRUE(inside(d.events()[0].headers[0].key));
  EXPECT_TRUE(inside(d.events()[0].headers[0].value));
  EXPECT_FALSE(inside(d.events()[1].body));
  EXPECT_EQ(d.events()[1].body, "esc\naped");
}

// ---- Content-Type ----

TEST(SelectBodyFormat, Table) {
  struct Case {
    const char* content_type;
    uint16_t status;
    BodyFormat format;
  };
  const Case cases[] = {
      {"application/json", 0, BodyFormat::flume_json},
      {"Application/JSON; charset=UTF-8", 0, BodyFormat::flume_json},
      {"application/json;charset=\"utf-8\"", 0, BodyFormat::flume_json},
      {"application/json; boundary=x; charset=us-ascii", 0, BodyFormat::flume_json},
      {"application/json; charset=utf8", 0, BodyFormat::flume_json},
      {"application/json; charset=UTF-16", 415, BodyFormat::flume_json},
      {"application/json; charset=iso-8859-1", 415, BodyFormat::flume_json},
      {"application/x-ndjson", 0, BodyFormat::ndjson},
      {"application/ndjson", 0, BodyFormat::ndjson},
      {"application/jsonl", 0, BodyFormat::ndjson},
      {"application/x-jsonlines; charset=utf-8", 0, BodyFormat::ndjson},
      {"text/plain", 0, BodyFormat::text},
      {"text/plain; charset=ISO-8859-1", 0, BodyFormat::text},
      {"text/plain; charset=latin1", 0, BodyFormat::text},
      {"text/plain; charset=koi8-r", 415, BodyFormat::text},
      {"", 0, BodyFormat::ndjson},                                   // the configured default
      {"application/x-www-form-urlencoded", 0, BodyFormat::ndjson},  // curl -d: the default too
      {"application/xml", 415, BodyFormat::text},
      {"text/html", 415, BodyFormat::text},
      {"application/jsonx", 415, BodyFormat::text},
  };
  for (const Case& c : cases) {
    BodyFormat format = BodyFormat::text;
    const HttpError e = select_body_format(c.content_type, BodyFormat::ndjson, format);
    EXPECT_EQ(e.status, c.status) << c.content_type;
    if (e.ok()) {
      EXPECT_EQ(format, c.format) << c.content_type;
    } else {
      EXPECT_FALSE(e.message.empty());
    }
  }
}

TEST(SelectBodyFormat, Messages) {
  BodyFormat f;
  EXPECT_EQ(select_body_format("image/png", BodyFormat::flume_json, f).message,
            "unsupported Content-Type (use application/json, application/x-ndjson or text/plain)");
  EXPECT_EQ(select_body_format("application/json; charset=utf-16", BodyFormat::flume_json, f).message,
            "unsupported charset (JSON must be utf-8)");
  EXPECT_EQ(select_body_format("text/plain; charset=utf-32", BodyFormat::flume_json, f).message,
            "unsupported charset (use utf-8, us-ascii or iso-8859-1)");
}

}  // namespace
}  // namespace sluice::http
