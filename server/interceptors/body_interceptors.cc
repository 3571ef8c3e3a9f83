#include "server/interceptors/body_interceptors.h"

#include <charconv>

#include <fmt/format.h>

namespace sluice::interceptors {

// --- Replacement ---

Result<Replacement> Replacement::compile(const JavaRegex& regex, std::string_view java_replacement) {
  auto rewrite = regex.to_rewrite(java_replacement);
  if (!rewrite.ok()) return rewrite.error();
  // RE2's rewrite syntax: \N a group (0-9), \\ a backslash, anything else itself.
  Replacement out;
  const std::string& r = rewrite.value();
  std::string literal;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] == '\\' && i + 1 < r.size()) {
      const char next = r[++i];
      if (next >= '0' && next <= '9') {
        if (!literal.empty()) out.parts_.push_back(Part{std::move(literal)});
        literal.clear();
        const int group = next - '0';
        out.parts_.push_back(Part{{}, group});
        out.groups_needed_ = std::max(out.groups_needed_, group);
        continue;
      }
      literal += next;
      continue;
    }
    literal += r[i];
  }
  if (!literal.empty()) out.parts_.push_back(Part{std::move(literal)});
  return out;
}

void Replacement::append(const re2::StringPiece* groups, std::string& out) const {
  for (const Part& p : parts_) {
    if (p.group < 0) out += p.literal;
    else out.append(groups[p.group].data(), groups[p.group].size());  // a group that took no part: empty
  }
}

// --- search_replace ---

bool SearchReplaceInterceptor::replace_all(std::string_view text, std::string& out) const {
  out.clear();
  const re2::RE2& re = search_.re2();
  const re2::StringPiece input(text.data(), text.size());
  re2::StringPiece groups[10];
  const int group_count = replacement_.groups_needed() + 1;
  size_t search_from = 0;  // where the next match may start
  size_t copied_to = 0;    // text before this is in `out` already
  bool matched = false;
  while (search_from <= text.size() &&
         re.Match(input, search_from, text.size(), re2::RE2::UNANCHORED, groups, group_count)) {
    matched = true;
    const size_t start = static_cast<size_t>(groups[0].data() - text.data());
    const size_t end = start + groups[0].size();
    out.append(text.data() + copied_to, start - copied_to);
    replacement_.append(groups, out);
    copied_to = end;
    if (end > start) {
      search_from = end;
      continue;
    }
    // An empty match: keep the next character (a whole UTF-8 sequence) and search after it.
    if (end == text.size()) break;
    size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    out.append(text.data() + end, next - end);
    copied_to = next;
    search_from = next;
  }
  if (!matched) return false;
  out.append(text.data() + copied_to, text.size() - copied_to);
  return true;
}

bool SearchReplaceInterceptor::intercept(EventEdit& event) {
  if (replace_all(event.body(), scratch_)) event.set_body(event.arena().copy(scratch_));
  return true;
}

// --- regex_filter ---

bool RegexFilterInterceptor::intercept(EventEdit& event) {
  const std::string_view body = event.body();
  const bool found = re2::RE2::PartialMatch(re2::StringPiece(body.data(), body.size()), regex_.re2());
  return found != exclude_;
}

// --- regex_extractor ---

RegexExtractorInterceptor::RegexExtractorInterceptor(std::string name, JavaRegex regex,
                                                     std::vector<ExtractorSerializer> serializers)
    : name_(std::move(name)), regex_(std::move(regex)), serializers_(std::move(serializers)) {
  for (const ExtractorSerializer& s : serializers_) keys_.emplace_back(s.header);
  groups_ = std::min({regex_.re2().NumberOfCapturingGroups(), static_cast<int>(serializers_.size()), kGroupsMax});
}

bool RegexExtractorInterceptor::intercept(EventEdit& event) {
  const std::string_view body = event.body();
  re2::StringPiece groups[kGroupsMax + 1];
  if (!regex_.re2().Match(re2::StringPiece(body.data(), body.size()), 0, body.size(), re2::RE2::UNANCHORED, groups,
                          groups_ + 1))
    return true;  // no match: the event as it was, never dropped
  for (int g = 1; g <= groups_; ++g) {
    const ExtractorSerializer& s = serializers_[g - 1];
    const std::string_view value(groups[g].data(), groups[g].size());
    if (groups[g].data() == nullptr) continue;  // the group took no part in the match
    if (!s.millis) {
      event.set(keys_[g - 1], value);
      continue;
    }
    std::optional<int64_t> ms = s.millis->parse_ms(value);
    if (!ms) {
      // Flume throws here and the whole batch fails; sluice keeps the event without the header.
      if (unreadable_log_.allow(event.now_ms()))
        base::log_warn("interceptor {}: '{}' does not fit the millis serializer's pattern; {} not set", name_,
                       value.substr(0, 200), s.header);
      continue;
    }
    std::span<char> digits = event.arena().allocate(20);
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), *ms);
    event.set(keys_[g - 1], std::string_view(digits.data(), static_cast<size_t>(end - digits.data())));
  }
  return true;
}

}  // namespace sluice::interceptors
