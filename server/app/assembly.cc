#include "server/app/assembly.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "base/logger.h"
#include "server/app/components/component_type.h"
#include "server/config/selector.h"

namespace sluice::app {

std::vector<ringbuf::Channel*> Assembly::channels_of(const config::ComponentConfig& c) const {
  std::vector<ringbuf::Channel*> channels;
  for (const std::string& name : c.get_list("channels"))
    for (const auto& ch : channels_)
      if (ch->name() == name) channels.push_back(ch.get());
  return channels;
}

std::vector<ringbuf::Log*> Assembly::logs_of(const std::vector<ringbuf::Channel*>& channels, uint32_t shard) {
  std::vector<ringbuf::Log*> logs;
  for (ringbuf::Channel* ch : channels) logs.push_back(&ch->log(shard));
  return logs;
}

namespace {

// The source's selector as masks over its channels (in the order of its `channels` key); none
// for the plain replicating selector (every channel required: the writer's default).
std::optional<sources::ChannelSelector::Options> selector_options(const config::ComponentConfig& c) {
  const config::SelectorSpec spec = config::parse_selector(c, nullptr);
  const std::vector<std::string>& channels = c.get_list("channels");
  auto mask_of = [&](const std::vector<std::string>& names) {
    ringbuf::LogMask mask = 0;
    for (const std::string& name : names)
      for (size_t i = 0; i < channels.size(); ++i)
        if (channels[i] == name) mask |= ringbuf::LogMask{1} << i;
    return mask;
  };
  sources::ChannelSelector::Options o;
  o.channels = static_cast<uint32_t>(channels.size());
  switch (spec.type) {
    case config::SelectorType::replicating:
      if (spec.optional.empty()) return std::nullopt;
      o.type = sources::ChannelSelector::Type::replicating;
      o.optional = mask_of(spec.optional);
      break;
    case config::SelectorType::load_balancing:
      o.type = sources::ChannelSelector::Type::load_balancing;
      o.random = spec.random;
      break;
    case config::SelectorType::multiplexing:
      o.type = sources::ChannelSelector::Type::multiplexing;
      o.header = spec.header;
      o.default_choice = {mask_of(spec.default_channels), 0};
      for (const config::SelectorMapping& m : spec.mappings)
        o.mappings.push_back({m.value, {mask_of(m.required), mask_of(m.optional)}});
      break;
  }
  return o;
}

}  // namespace

Result<std::vector<sources::EventWriter>> Assembly::writers_of(const config::ComponentConfig& c) {
  const std::vector<ringbuf::Channel*> channels = channels_of(c);
  if (channels.size() > ringbuf::kLogsPerEventMax)
    return make_error(
        fmt::format("{}: a source writes to at most {} channels", c.locate("channels"), ringbuf::kLogsPerEventMax));
  const std::optional<sources::ChannelSelector::Options> selector = selector_options(c);
  if (selector && selector->type == sources::ChannelSelector::Type::multiplexing &&
      selector->default_choice.required == 0)
    base::log_warn(
        "source {}: its multiplexing selector has no selector.default: events whose {} header is missing "
        "or has no mapping go to no channel (as in Flume; counted in sluice_source_unrouted_events_total)",
        c.name(), selector->header);
  std::vector<sources::EventWriter> writers;
  for (uint32_t shard = 0; shard < shards_; ++shard) {
    sources::ChannelSelector* shard_selector = nullptr;
    if (selector) {
      shard_selector =
          &keep(std::make_unique<sources::ChannelSelector>(*selector, 0x9E3779B97F4A7C15ull * (shard + 1)));
    }
    interceptors::Chain* chain = nullptr;
    if (!c.interceptors().empty()) {
      std::vector<std::unique_ptr<interceptors::Interceptor>> built;
      for (const config::ComponentConfig& i : c.interceptors()) {
        auto interceptor = component_type_of(i).interceptor_builder()(i, shard);
        if (!interceptor.ok())
          return make_error(
              fmt::format("source {}: interceptor {}: {}", c.name(), i.name(), interceptor.error().message));
        built.push_back(std::move(interceptor).value());
      }
      chain = &keep(std::make_unique<interceptors::Chain>(std::move(built)));
    }
    writers.emplace_back(logs_of(channels, shard), chain, shard_selector);
  }
  if (!c.interceptors().empty()) {
    std::string names;
    for (const config::ComponentConfig& i : c.interceptors())
      names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", i.name(), i.type());
    describe(fmt::format("source {}: interceptors {}", c.name(), names));
  }
  return writers;
}

Status Assembly::check_record_size(const config::ComponentConfig& c, std::string_view option, uint64_t event_bytes,
                                   uint64_t record_bytes) const {
  for (ringbuf::Channel* ch : channels_of(c)) {
    if (record_bytes > ch->record_bytes_max())
      return make_error(fmt::format(
          "{}: events up to {} bytes need records of up to {} bytes, but channel {} holds at most {}; raise its "
          "segmentSize/byteCapacity or lower {}",
          c.locate(option), event_bytes, record_bytes, ch->name(), ch->record_bytes_max(), option));
  }
  return {};
}

Status Assembly::open_listeners(const config::ComponentConfig& c, base::Transport transport, const std::string& host,
                                uint16_t port, std::vector<int>& fds) {
  std::string_view port_key = "port";
  if (Status free = base::check_address_free(transport, host, port); !free)
    return make_error(fmt::format("source {}: {} ({})", c.name(), free.message(), c.locate(port_key)));
  for (uint32_t shard = 0; shard < shards_; ++shard) {
    auto fd = base::open_listener(transport, host, port, base::PortSharing::shared);
    if (!fd.ok()) {
      for (int open : fds) ::close(open);
      return make_error(fmt::format("source {}: {} ({})", c.name(), fd.error().message, c.locate(port_key)));
    }
    fds.push_back(fd.value());
  }
  describe(fmt::format("source {} ({}) listening on {}:{}/{} on {} shard{}", c.name(), c.type(), host, port,
                       transport == base::Transport::tcp ? "tcp" : "udp", shards_, shards_ == 1 ? "" : "s"));
  return {};
}

sources::SourceProbe& Assembly::add_source_probe(const std::string& name, std::string_view type, uint32_t shard) {
  return *source_probes_.emplace_back(std::make_unique<sources::SourceProbe>(name, std::string(type), shard));
}

void Assembly::add_shard_source(uint32_t shard, std::unique_ptr<sources::ShardSource> source) {
  shard_sources_.at(shard).push_back(std::move(source));
}

void Assembly::need_datagram_buffers(uint32_t bytes) {
  datagram_buffer_bytes_ = std::max(datagram_buffer_bytes_, (bytes + 4095) / 4096 * 4096);
}

}  // namespace sluice::app
