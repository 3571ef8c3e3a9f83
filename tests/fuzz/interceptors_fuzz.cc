// libFuzzer target: what interceptors do with hostile event bodies (server/interceptors/).
// Input: "PATTERN\nVALUE": PATTERN (up to 64 bytes) is compiled as a Joda time pattern and as a
// Java regex (errors are fine); VALUE is read through the time pattern, and through a fixed
// chain of search_replace, regex_filter and regex_extractor with a millis serializer, as a
// source's shard would run them on a body. Single-threaded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/interceptors/body_interceptors.h"
#include "server/interceptors/chain.h"
#include "server/interceptors/joda_time.h"

using namespace sluice::interceptors;

namespace {

Chain& fixed_chain() {
  static Chain* chain = [] {
    std::vector<std::unique_ptr<Interceptor>> list;
    auto search = JavaRegex::compile(R"(([a-z]+)=(\S*)|x*)").value();
    auto replacement = Replacement::compile(search, "$2<$1>\\$").value();
    list.push_back(std::make_unique<SearchReplaceInterceptor>(std::move(search), std::move(replacement)));
    list.push_back(std::make_unique<RegexExtractorInterceptor>(
        "fuzz", JavaRegex::compile(R"((\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?[^ ]*)\s+(\w+)?)").value(),
        std::vector<ExtractorSerializer>{{"when", JodaPattern::compile("yyyy-MM-dd HH:mm:ss.SSSZZ").value()},
                                         {"level", std::nullopt}}));
    list.push_back(std::make_unique<RegexFilterInterceptor>(JavaRegex::compile("DROP").value(), true));
    return new Chain(std::move(list));
  }();
  return *chain;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string_view pattern = in.substr(0, nl == std::string_view::npos ? 0 : std::min<size_t>(nl, 64));
  const std::string_view value = nl == std::string_view::npos ? in : in.substr(nl + 1);

  if (auto joda = JodaPattern::compile(pattern); joda.ok()) (void)joda.value().parse_ms(value);
  (void)JodaPattern::compile("yyyy-MM-dd'T'HH:mm:ss.SSSZZ").value().parse_ms(value);
  if (auto regex = JavaRegex::compile(pattern); regex.ok())
    (void)Replacement::compile(regex.value(), value.substr(0, 64));

  const sluice::ringbuf::Header headers[] = {{"level", "x"}};
  const sluice::ringbuf::PreparedEvent event{0, headers, value};
  for (const sluice::ringbuf::PreparedEvent& out : fixed_chain().run({&event, 1}, 0)) {
    // Touch every byte the chain hands on, so a dangling view shows under ASan.
    size_t sum = out.body.size();
    for (const sluice::ringbuf::Header& h : out.headers)
      sum += h.key.size() + h.value.size() + (h.value.empty() ? 0 : h.value[0]);
    if (!out.body.empty()) sum += static_cast<unsigned char>(out.body.back());
    if (sum == 1) return 0;
  }
  return 0;
}
