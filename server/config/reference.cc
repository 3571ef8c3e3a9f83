#include "server/config/reference.h"

#include <string_view>

#include <fmt/format.h>

#include "server/config/schema.h"

namespace sluice::config {
namespace {

constexpr std::string_view kIntro = R"(# sluice configuration reference

<!-- Generated from the option tables in server/app/components/ by
     config_reference_markdown(); edit those, not this file. -->

sluice reads Apache Flume's properties format, so a Flume agent's file works unchanged for the
component types below. Start it with `sluice -f FILE -n AGENT`: only the keys that start with
`AGENT.` are read, and other agents' keys in the same file are ignored, as Flume does.

```properties
a1.sources = r1
a1.channels = c1
a1.sinks = k1

a1.sources.r1.type = syslogtcp
a1.sources.r1.port = 5514
a1.sources.r1.channels = c1

a1.channels.c1.type = memory
a1.channels.c1.byteCapacity = 1g

a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = /var/log/sluice
```

## File format

- One entry per line: `key = value`, `key: value` or `key value`. Blanks around keys and values
  are dropped. A line whose first non-blank character is `#` or `!` is a comment.
- A backslash at the end of a line continues the entry on the next line (whose leading blanks
  are dropped). Errors name the line the entry starts on.
- Escapes: `\\` `\t` `\n` `\r` `\f` `\=` `\:` `\#` `\!` `\ ` (a kept blank) and `\uXXXX`. Any
  other backslash sequence is an error (Java would drop the backslash without a word).
- `AGENT.sources`, `AGENT.channels` and `AGENT.sinks` list the agent's components, separated by
  blanks; `AGENT.sources.NAME.KEY` (and likewise for channels and sinks) configures one. Every
  component needs a `type`; type names are matched ignoring case, and Flume's class names work
  too.
- Everything is checked before anything starts, and every problem is reported, each with its
  line: a key set twice, an unknown key (with the closest known one), a bad value, a missing
  required key, an unknown type, a component listed but not configured or configured but not
  listed, a reference to a channel that does not exist, and a channel that no sink reads (it
  would fill up and then block its sources).
- Not supported yet, and reported as such: sink groups (sink processors), config filters.
- Channel selectors (`selector.*`, in the source table below) are checked against the source's
  channels: a mapping, default or optional channel the source does not write to, a channel
  listed twice, or a key of another selector type is an error (Flume accepts the first and
  drops the source when it starts, or fails at run time). sluice keeps the order of the
  `channels` key where Flume reorders it through a hash set, and the `load_balancing`
  selector, which Flume's own properties loader refuses, works.

## Value types

| Type | Written as |
|---|---|
| string | any text, possibly empty |
| int | a decimal integer, within the range the table gives |
| bytes | `65536`, `64k` (also `64K`, `64KB`, `64KiB`), `16m`, `1g`, `1t`: 1024-based, any case |
| duration | `30s`, `500ms`, `5m`, `1h`; a bare number is in the unit the table gives |
| bool | `true` or `false`, any case |
| enum | one of the listed values, any case |
| list | names separated by blanks |

## Limits and timeouts

Every limit a client can meet, with its default; each is checked where the input is decoded,
answers that client only, and is counted in /metrics (`sluice_source_limit_rejections_total`,
`sluice_source_timed_out_connections_total{reason=idle|partial_input|send}`,
`sluice_source_refused_connections_total`, `sluice_source_accept_fd_exhausted_total`).

| Where | Key | Default | When it is reached |
|---|---|---|---|
| every TCP source | `maxConnections` | `10000` per shard | the connection is closed at once |
| every TCP source | (open files) | soft limit raised to the hard one | accepted connections may hold all descriptors but a reserve (an eighth of the limit, 64 to 4096) kept for channel segments, checkpoints, sinks and the admin endpoint; past it a connection is closed at once; accept pauses 100 ms on EMFILE/ENFILE |
| syslogtcp, syslogudp | `eventSize` | `64k` / `65507` | the message is truncated and marked Incomplete |
| syslogtcp | `idleTimeout` | `10m` | closed (a message begun is kept) |
| http | `maxHeaderBytes` | `16k` | 431 |
| http | `maxBodyBytes` | `16m` | 413 (gzip bodies: counted inflated) |
| http | `maxEventsPerRequest` | `100000` | 413 |
| http | `requestTimeout` | `30s` | 408, closed |
| http | `idleTimeout` | `60s` | closed |
| http, avro | `sendTimeout` | `30s` | closed when its answers are not read |
| http | `maxPendingBodyBytes` | `256m` per shard | 503 with Retry-After |
| avro | `maxFrameBytes` | `64m` | closed before anything is allocated (deflate: inflated bytes count) |
| avro | `maxEventsPerCall` | `20000` | error answer, nothing stored |
| avro | `frameTimeout` | `30s` | closed |
| avro | `idleTimeout` | `0` (never, as Flume) | closed |
| avro | `maxPartialBytesPerShard` | `256m` | closed |
| every source | (record format) | header keys up to 32767 bytes | 400 / Avro error answer |
| admin endpoint | (fixed) | 64 clients, 2 s to send a request, 10 s to take the answer | 503 / closed |
)";

constexpr std::string_view kInterceptorsIntro =
    R"(A source's interceptors see every event it decodes, in the order its `interceptors` key lists
them, on the shard that decoded it and before the event is written to any channel; each may
change the event's headers or body, or drop it (counted in
`sluice_source_filtered_events_total`). They are configured under the source, as in Flume:

```properties
a1.sources.r1.interceptors = i1 i2
a1.sources.r1.interceptors.i1.type = timestamp
a1.sources.r1.interceptors.i2.type = static
a1.sources.r1.interceptors.i2.key = datacenter
a1.sources.r1.interceptors.i2.value = NEW_YORK
```

An interceptor that sets the `timestamp` header to a number of milliseconds also sets the
event's record time, which the HDFS sink's `%Y`-style escapes and /metrics' event age read.
Unlike Flume, each interceptor sees one event at a time (all of Flume's built-in interceptors
do too), and an interceptor listed but not configured, or configured but not listed, is an
error.

)";

constexpr std::string_view kSinkGroupsIntro =
    R"(Sinks on the same channel share its events, as in Flume: each event is delivered by one of
them (that is how Flume users run several HDFS or Kafka writers at once). Earlier sluice
versions gave every sink on a channel every event; sluice now warns at start-up about a config
with several sinks on one channel outside a group. For a copy per sink, give each sink its own
channel and list them all in the source's `channels`. A sink group makes
several sinks one consumer of their channel, with a processor that picks the sink for each
batch, under `AGENT.sinkgroups`:

```properties
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 5
a1.sinkgroups.g1.processor.priority.k2 = 10
a1.sinkgroups.g1.processor.maxpenalty = 10000
```

A group runs on one thread, as in Flume. A batch a sink fails is offered again, to the next
sink, before any later event of its shard: nothing is lost or reordered within a shard.
Unlike Flume, a group's sinks must read one channel, a sink listed in two groups or a
priority given twice is an error (Flume silently drops one), `processor.type` defaults to
`default` as Flume's guide says (Flume's code drops the group), and a pipelined sink (kafka)
cannot be in a group.

)";

// Table cells: a '|' would end the cell and '<...>' would be taken for HTML.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string code_list(const std::vector<std::string_view>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("`{}`", items[i]);
  }
  return out;
}

std::string type_cell(const OptionSpec& o) {
  std::string out(option_type_name(o.type));
  std::string range = describe_range(o);
  switch (o.type) {
    case OptionType::integer:
    case OptionType::bytes:
      if (!range.empty()) out += fmt::format(", {}", range);
      break;
    case OptionType::duration:
      out += fmt::format(", bare number in {}", duration_unit_name(o.unit));
      if (!range.empty()) out += fmt::format(", {}", range);
      break;
    case OptionType::enumeration: out += ": " + code_list(o.values); break;
    default: break;
  }
  return out;
}

std::string default_cell(const OptionSpec& o) {
  if (o.required) return "**required**";
  if (o.default_value.empty()) return "(empty)";
  return fmt::format("`{}`", o.default_value);
}

void append_table(std::string& out, const std::vector<OptionSpec>& options, std::string_view type_row) {
  out += "| Key | Type | Default | Description |\n|---|---|---|---|\n";
  if (!type_row.empty()) out += type_row;
  for (const OptionSpec& o : options) {
    std::string key = o.type == OptionType::prefixed ? fmt::format("`{}*`", o.name) : fmt::format("`{}`", o.name);
    if (!o.aliases.empty()) key += " (also " + code_list(o.aliases) + ")";
    out += fmt::format("| {} | {} | {} | {} |\n", key, cell(type_cell(o)), default_cell(o), cell(o.description));
  }
}

std::string_view kind_title(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::source: return "Sources";
    case ComponentKind::channel: return "Channels";
    case ComponentKind::sink: return "Sinks";
    case ComponentKind::interceptor: return "Interceptors";
    case ComponentKind::sink_group: return "Sink groups";
  }
  return {};
}

}  // namespace

std::string config_reference_markdown(const Catalog& catalog) {
  std::string out(kIntro);
  for (ComponentKind kind : {ComponentKind::source, ComponentKind::channel, ComponentKind::sink,
                             ComponentKind::interceptor, ComponentKind::sink_group}) {
    out += fmt::format("\n## {}\n\n", kind_title(kind));
    if (kind == ComponentKind::interceptor) out += kInterceptorsIntro;
    if (kind == ComponentKind::sink_group) out += kSinkGroupsIntro;
    out += fmt::format("Every {} takes these keys:\n\n", kind_name(kind));
    append_table(
        out, common_options(kind),
        kind == ComponentKind::sink_group
            ? std::string("| `processor.type` | string | `default` | The sink processor: one of the names below. |\n")
            : fmt::format("| `type` | string | **required** | The {} type: one of the names below. |\n",
                          kind_name(kind)));
    for (const ComponentSpec* listed : catalog.specs()) {
      const ComponentSpec& spec = *listed;
      if (spec.kind != kind) continue;
      std::vector<std::string_view> names = {spec.type};
      names.insert(names.end(), spec.type_aliases.begin(), spec.type_aliases.end());
      out += fmt::format("\n### {} {}\n\n{}\n\nType names: {} (any case).\n\n", spec.type, kind_name(kind),
                         spec.description, code_list(names));
      append_table(out, spec.options, {});
      if (!spec.flume_options_not_supported.empty()) {
        out += fmt::format("\nFlume keys not supported yet: {}.\n", code_list(spec.flume_options_not_supported));
      }
    }
  }
  return out;
}

}  // namespace sluice::config
