"""End to end: Flume's channel selectors with the user guide's own lines. Multiplexing by a
`state` header (CZ/US/default) and by `State` with an optional channel, replicating with an
optional channel that is full (its sink cannot deliver) while the required ones get every
event, and load_balancing round robin over four channels. Events come from curl (HTTP) and
util-linux logger (syslog); each channel drains to its own file_roll directory."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, post_json, read_json_events, wait_until  # noqa: E402


def http_source(port, channels, selector_lines):
    return "\n".join([
        "a1.sources = r1",
        "a1.sources.r1.type = http",
        "a1.sources.r1.bind = 127.0.0.1",
        f"a1.sources.r1.port = {port}",
        f"a1.sources.r1.channels = {' '.join(channels)}",
    ] + [l.strip() for l in selector_lines.strip().splitlines()]) + "\n"


def drains(workdir, channels, channel_extra=None):
    """A memory channel and a file_roll sink per channel (sink k_<channel> into out/<channel>)."""
    lines = [f"a1.channels = {' '.join(channels)}", f"a1.sinks = {' '.join('k_' + c for c in channels)}"]
    for c in channels:
        lines += [f"a1.channels.{c}.type = memory"]
        lines += (channel_extra or {}).get(c, [])
        lines += [f"a1.sinks.k_{c}.type = file_roll", f"a1.sinks.k_{c}.channel = {c}",
                  f"a1.sinks.k_{c}.sink.directory = {os.path.join(workdir, 'out', c)}",
                  f"a1.sinks.k_{c}.sink.serializer = json", f"a1.sinks.k_{c}.sink.rollInterval = 0"]
    return "\n".join(lines) + "\n"


class Selectors(unittest.TestCase):
    def setUp(self):
        self.sluice = Sluice(None)
        self.port = free_port()

    def tearDown(self):
        self.sluice.__exit__(None, None, None)
        self.sluice.cleanup()

    def start(self, config):
        with open(self.sluice.config_path, "w") as f:
            f.write(config)
        self.sluice.start()

    def bodies(self, channel):
        return sorted(e["body"] for e in read_json_events(os.path.join(self.sluice.workdir, "out", channel)))

    def wait_total(self, channels, count):
        wait_until(lambda: sum(len(self.bodies(c)) for c in channels) >= count, 60,
                   what=f"{count} events over {channels}", details=self.sluice.diagnostics)

    def test_user_guide_multiplexing_by_state(self):
        channels = ["c1", "c2", "c3", "c4"]
        self.start(http_source(self.port, channels, """
            a1.sources.r1.selector.type = multiplexing
            a1.sources.r1.selector.header = state
            a1.sources.r1.selector.mapping.CZ = c1
            a1.sources.r1.selector.mapping.US = c2 c3
            a1.sources.r1.selector.default = c4
        """) + drains(self.sluice.workdir, channels))
        events = [{"headers": {"state": s}, "body": f"{s}-{i}"} for i in range(5) for s in ("CZ", "US", "DE")]
        events.append({"headers": {}, "body": "no-state"})
        self.assertEqual(post_json(self.port, events), "200")
        self.wait_total(channels, 5 + 10 + 6)
        self.assertEqual(self.bodies("c1"), sorted(f"CZ-{i}" for i in range(5)))
        self.assertEqual(self.bodies("c2"), sorted(f"US-{i}" for i in range(5)))
        self.assertEqual(self.bodies("c3"), sorted(f"US-{i}" for i in range(5)))
        self.assertEqual(self.bodies("c4"), sorted([f"DE-{i}" for i in range(5)] + ["no-state"]))
        self.assertEqual(self.sluice.stop(), 0, self.sluice.stderr())

    def test_user_guide_state_example_with_an_optional_channel(self):
        channels = ["mem-channel-1", "file-channel-2"]
        self.start(http_source(self.port, channels, """
            a1.sources.r1.selector.type = multiplexing
            a1.sources.r1.selector.header = State
            a1.sources.r1.selector.mapping.CA = mem-channel-1
            a1.sources.r1.selector.mapping.AZ = file-channel-2
            a1.sources.r1.selector.mapping.NY = mem-channel-1 file-channel-2
            a1.sources.r1.selector.optional.CA = mem-channel-1 file-channel-2
            a1.sources.r1.selector.default = mem-channel-1
        """) + drains(self.sluice.workdir, channels))
        events = [{"headers": {"State": s}, "body": s} for s in ("CA", "AZ", "NY", "TX")]
        self.assertEqual(post_json(self.port, events), "200")
        self.wait_total(channels, 6)
        self.assertEqual(self.bodies("mem-channel-1"), ["CA", "NY", "TX"])
        self.assertEqual(self.bodies("file-channel-2"), ["AZ", "CA", "NY"], "CA's optional channel gets it too")
        self.assertEqual(self.sluice.stop(), 0, self.sluice.stderr())

    def test_replicating_with_a_full_optional_channel(self):
        # c3's sink forwards to a port nobody listens on, so c3 fills after 10 events; c1 and
        # c2 must still get every one, and nothing is refused to the client.
        dead_port = free_port()
        channels = ["c1", "c2", "c3"]
        config = http_source(self.port, channels, """
            a1.sources.r1.selector.type = replicating
            a1.sources.r1.selector.optional = c3
        """) + drains(self.sluice.workdir, ["c1", "c2"]).replace("a1.channels = c1 c2", "a1.channels = c1 c2 c3")
        config = config.replace("a1.sinks = k_c1 k_c2", "a1.sinks = k_c1 k_c2 k_c3")
        config += "\n".join(["a1.channels.c3.type = memory", "a1.channels.c3.capacity = 10",
                             "a1.sinks.k_c3.type = avro", "a1.sinks.k_c3.channel = c3",
                             "a1.sinks.k_c3.hostname = 127.0.0.1", f"a1.sinks.k_c3.port = {dead_port}"]) + "\n"
        self.start(config)
        for batch in range(10):
            events = [{"headers": {}, "body": f"e{batch * 10 + i}"} for i in range(10)]
            self.assertEqual(post_json(self.port, events), "200")
        self.wait_total(["c1", "c2"], 200)
        want = sorted(f"e{i}" for i in range(100))
        self.assertEqual(self.bodies("c1"), want)
        self.assertEqual(self.bodies("c2"), want)
        dropped = self.sluice.metric("sluice_source_optional_dropped_events_total", component="r1")
        self.assertGreaterEqual(dropped, 80, "c3 holds at most 10 (per shard: 5) of the 100")
        self.assertEqual(self.sluice.metric("sluice_source_accepted_events_total", component="r1"), 100)

    def test_load_balancing_round_robin(self):
        channels = ["c1", "c2", "c3", "c4"]
        self.start(http_source(self.port, channels, """
            a1.sources.r1.selector.type = load_balancing
            a1.sources.r1.selector.policy = round_robin
        """) + drains(self.sluice.workdir, channels))
        # One request: one shard's selector takes the four channels in turn, event by event.
        self.assertEqual(post_json(self.port, [{"headers": {}, "body": f"e{i}"} for i in range(40)]), "200")
        self.wait_total(channels, 40)
        counts = [len(self.bodies(c)) for c in channels]
        self.assertEqual(counts, [10, 10, 10, 10])
        self.assertEqual(sorted(b for c in channels for b in self.bodies(c)), sorted(f"e{i}" for i in range(40)),
                         "each event once")

    def test_multiplexing_by_a_header_an_interceptor_set(self):
        # The selector sees the headers after the interceptors: regex_extractor picks the level.
        channels = ["errors", "rest"]
        self.start(http_source(self.port, channels, r"""
            a1.sources.r1.interceptors = level
            a1.sources.r1.interceptors.level.type = regex_extractor
            a1.sources.r1.interceptors.level.regex = ^(ERROR|WARN|INFO)
            a1.sources.r1.interceptors.level.serializers = s1
            a1.sources.r1.interceptors.level.serializers.s1.name = level
            a1.sources.r1.selector.type = multiplexing
            a1.sources.r1.selector.header = level
            a1.sources.r1.selector.mapping.ERROR = errors
            a1.sources.r1.selector.default = rest
        """) + drains(self.sluice.workdir, channels))
        self.assertEqual(post_json(self.port, [{"headers": {}, "body": b} for b in
                                          ("ERROR disk full", "INFO started", "WARN slow", "ERROR again")]), "200")
        self.wait_total(channels, 4)
        self.assertEqual(self.bodies("errors"), ["ERROR again", "ERROR disk full"])
        self.assertEqual(self.bodies("rest"), ["INFO started", "WARN slow"])


if __name__ == "__main__":
    unittest.main()
