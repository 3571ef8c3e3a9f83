"""End to end: Flume's interceptors on real sources. A chain of timestamp, host, static,
remove_header and UUID on syslog TCP fed by util-linux `logger`; the same types by Flume's class
names on the HTTP source fed by curl; regex_filter, search_replace and regex_extractor (the
user guide's examples, its millis serializer in the guide's time zone) on HTTP, with what was
filtered counted; interceptors on the Avro source fed by python3-avro; and a bad interceptor
setting refused by --check with its line."""

import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, post_json, read_json_events, run_sluice, syslog_config, wait_until  # noqa: E402

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def canonical_host_name():
    name = socket.gethostname()
    try:
        return socket.getaddrinfo(name, None, flags=socket.AI_CANONNAME)[0][3] or name
    except OSError:
        return name


class SyslogChain(unittest.TestCase):
    """The user guide's kind of chain, on syslog TCP."""

    def test_chain_runs_in_order_on_every_event(self):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        chain = "\n".join([
            "interceptors = ts host dc strip id",
            "interceptors.ts.type = timestamp",
            "interceptors.ts.headerName = received",
            "interceptors.host.type = host",
            "interceptors.host.useIP = false",
            "interceptors.host.hostHeader = relay",
            "interceptors.dc.type = static",
            "interceptors.dc.key = datacenter",
            "interceptors.dc.value = NEW_YORK",
            "interceptors.strip.type = remove_header",
            "interceptors.strip.fromList = Facility, Severity",
            "interceptors.strip.matching = syslog\\\\..*",
            "interceptors.id.type = org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder",
            "interceptors.id.prefix = evt-",
        ])
        with open(sluice.config_path, "w") as f:
            f.write(syslog_config(out, tcp_port=port, source_extra=chain))
        with sluice:
            before_ms = int(time.time() * 1000)
            count = 50
            for i in range(count):
                subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(port), "-T", "--rfc5424", "-t", "app",
                                "--msgid", "M1", f"message {i}"], check=True, timeout=30)
            wait_until(lambda: len(read_json_events(out)) >= count, 60, what="events in the sink",
                       details=sluice.diagnostics)
            after_ms = int(time.time() * 1000)
            self.assertEqual(sluice.stop(), 0, sluice.stderr())
            self.assertIn("interceptors ts (timestamp), host (host), dc (static), strip (remove_header), id (uuid)",
                          "".join(sluice.stdout_lines))
        events = read_json_events(out)
        self.assertEqual(len(events), count)
        ids = set()
        for e in events:
            h = e["headers"]
            self.assertTrue(before_ms <= int(h["received"]) <= after_ms, h)
            self.assertEqual(h["relay"], canonical_host_name())
            self.assertEqual(h["datacenter"], "NEW_YORK")
            for gone in ("Facility", "Severity", "syslog.appname", "syslog.msgid"):
                self.assertNotIn(gone, h)
            self.assertIn("host", h, "the syslog host header is not in the list")
            self.assertRegex(h["timestamp"], r"^\d{13}$")
            self.assertTrue(h["id"].startswith("evt-"), h)
            self.assertRegex(h["id"][4:], UUID)
            ids.add(h["id"])
        self.assertEqual(len(ids), count, "every event has its own UUID")
        # The body is what follows the syslog host (logger adds its timeQuality element).
        self.assertEqual(sorted(int(e["body"].rsplit(" ", 1)[1]) for e in events), list(range(count)))
        self.assertTrue(all(e["body"].startswith("app - M1 ") for e in events))
        sluice.cleanup()


class HttpChain(unittest.TestCase):
    """Class names as types, preserveExisting, and the timestamp interceptor setting the time a
    sink buckets by."""

    def test_http_events_keep_or_get_headers(self):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        with open(sluice.config_path, "w") as f:
            f.write(agent("http", port, out, """
interceptors = ts env
interceptors.ts.type = org.apache.flume.interceptor.TimestampInterceptor$Builder
interceptors.ts.preserveExisting = true
interceptors.env.type = org.apache.flume.interceptor.StaticInterceptor$Builder
interceptors.env.key = env
interceptors.env.value = prod
"""))
        with sluice:
            self.assertEqual(post_json(port, [
                {"headers": {"timestamp": "1350611220000", "env": "dev"}, "body": "has both"},
                {"headers": {}, "body": "has none"},
            ]), "200")
            wait_until(lambda: len(read_json_events(out)) >= 2, 60, what="events", details=sluice.diagnostics)
            self.assertEqual(sluice.metric("sluice_source_accepted_events_total", component="r1"), 2)
            self.assertEqual(sluice.metric("sluice_source_filtered_events_total", component="r1"), 0)
            self.assertEqual(sluice.stop(), 0, sluice.stderr())
        events = {e["body"]: e["headers"] for e in read_json_events(out)}
        self.assertEqual(events["has both"], {"timestamp": "1350611220000", "env": "dev"},
                         "static and timestamp both preserve existing values here")
        self.assertEqual(events["has none"]["env"], "prod")
        self.assertRegex(events["has none"]["timestamp"], r"^\d{13}$")
        sluice.cleanup()


def agent(source_type, port, out, source_lines):
    """One source `r1` of `source_type` on 127.0.0.1:`port` with `source_lines` (its keys, one per
    line, without the a1.sources.r1. prefix), a memory channel and a JSON file_roll sink into `out`."""
    lines = "\n".join(f"a1.sources.r1.{l}" for l in source_lines.strip().splitlines())
    bind = "bind" if source_type != "syslogtcp" else "host"
    return f"""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = {source_type}
a1.sources.r1.{bind} = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
{lines}
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.serializer = json
a1.sinks.k1.sink.rollInterval = 0
"""


class BodyInterceptors(unittest.TestCase):
    def test_filter_rewrite_and_extract(self):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        # The user guide's regex_extractor example 2 reads 18:47 in the JVM's zone; its result,
        # 1350611220000, is 18:47 in US Pacific daylight time.
        os.environ["TZ"] = "America/Los_Angeles"
        with open(sluice.config_path, "w") as f:
            f.write(agent("http", port, out, r"""
interceptors = nodebug mask when
interceptors.nodebug.type = regex_filter
interceptors.nodebug.regex = .*DEBUG.*
interceptors.nodebug.excludeEvents = true
interceptors.mask.type = search_replace
interceptors.mask.searchPattern = password=\\S+
interceptors.mask.replaceString = password=***
interceptors.when.type = regex_extractor
interceptors.when.regex = ^(?:\\n)?(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)
interceptors.when.serializers = s1
interceptors.when.serializers.s1.type = org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer
interceptors.when.serializers.s1.name = timestamp
interceptors.when.serializers.s1.pattern = yyyy-MM-dd HH:mm
"""))
        try:
            with sluice:
                status = post_json(port, [
                    {"headers": {}, "body": "2012-10-18 18:47:57,614 some log line"},
                    {"headers": {}, "body": "2012-10-18 18:48:00,001 DEBUG chatter"},
                    {"headers": {}, "body": "login user=bob password=hunter2 ok"},
                    {"headers": {}, "body": "DEBUG again"},
                ])
                self.assertEqual(status, "200")
                wait_until(lambda: len(read_json_events(out)) >= 2, 60, what="events", details=sluice.diagnostics)
                sluice.wait_metric("sluice_source_filtered_events_total", 2, component="r1")
                self.assertEqual(sluice.metric("sluice_source_accepted_events_total", component="r1"), 2)
                self.assertEqual(sluice.metric("sluice_source_received_events_total", component="r1"), 4)
                self.assertEqual(sluice.stop(), 0, sluice.stderr())
        finally:
            del os.environ["TZ"]
        events = {e["body"]: e["headers"] for e in read_json_events(out)}
        self.assertEqual(set(events), {"2012-10-18 18:47:57,614 some log line", "login user=bob password=*** ok"})
        self.assertEqual(events["2012-10-18 18:47:57,614 some log line"], {"timestamp": "1350611220000"})
        self.assertEqual(events["login user=bob password=*** ok"], {}, "no match: no header")
        sluice.cleanup()

    def test_user_guide_regex_extractor_example_1(self):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        with open(sluice.config_path, "w") as f:
            f.write(agent("http", port, out, r"""
interceptors = i1
interceptors.i1.type = regex_extractor
interceptors.i1.regex = (\\d):(\\d):(\\d)
interceptors.i1.serializers = s1 s2 s3
interceptors.i1.serializers.s1.name = one
interceptors.i1.serializers.s2.name = two
interceptors.i1.serializers.s3.name = three
"""))
        with sluice:
            self.assertEqual(post_json(port, [{"headers": {}, "body": "1:2:3.4foobar5"}]), "200")
            wait_until(lambda: len(read_json_events(out)) >= 1, 60, what="events", details=sluice.diagnostics)
            self.assertEqual(sluice.stop(), 0, sluice.stderr())
        [event] = read_json_events(out)
        self.assertEqual(event, {"headers": {"one": "1", "two": "2", "three": "3"}, "body": "1:2:3.4foobar5"})
        sluice.cleanup()


class AvroSourceInterceptors(unittest.TestCase):
    def test_python_avro_batches_pass_through_the_chain(self):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        with open(sluice.config_path, "w") as f:
            f.write(agent("avro", port, out, """
interceptors = tier odd
interceptors.tier.type = static
interceptors.tier.key = tier
interceptors.tier.value = collector
interceptors.odd.type = regex_filter
interceptors.odd.regex = ^event [0-9]*[13579]( |$)
"""))
        peer = os.path.join(os.path.dirname(__file__), "..", "support", "avro_peer.py")
        with sluice:
            p = subprocess.run(["/usr/bin/python3", peer, "client", "--port", str(port), "--message", "appendBatch",
                                "--events", "10", "--calls", "2"], capture_output=True, timeout=120)
            self.assertEqual(p.stdout.decode().split(), ["appendBatch", "OK"] * 2, p.stderr.decode())
            wait_until(lambda: len(read_json_events(out)) >= 10, 60, what="events", details=sluice.diagnostics)
            self.assertEqual(sluice.metric("sluice_source_filtered_events_total", component="r1"), 10)
            self.assertEqual(sluice.stop(), 0, sluice.stderr())
        events = read_json_events(out)
        self.assertEqual(sorted(int(e["headers"]["seq"]) for e in events), list(range(1, 20, 2)))
        self.assertTrue(all(e["headers"]["tier"] == "collector" and e["headers"]["host"] == "peer" for e in events))
        sluice.cleanup()


class InterceptorConfigErrors(unittest.TestCase):
    def test_check_names_the_line_of_a_bad_interceptor_setting(self):
        sluice = Sluice(None)
        config = syslog_config(os.path.join(sluice.workdir, "out"), tcp_port=free_port(),
                               source_extra="interceptors = i1\ninterceptors.i1.type = remove_header\n"
                                            "interceptors.i1.matching = (a)\\\\1")
        with open(sluice.config_path, "w") as f:
            f.write(config)
        code, _, err = run_sluice(["-f", sluice.config_path, "-n", "a1", "--check"])
        self.assertEqual(code, 2, err)
        line = config.splitlines().index("a1.sources.tcp.interceptors.i1.matching = (a)\\\\1") + 1
        self.assertIn(f"line {line}: a1.sources.tcp.interceptors.i1.matching: expected a regular expression sluice "
                      "can run", err)
        self.assertIn("backreference", err)
        sluice.cleanup()


if __name__ == "__main__":
    unittest.main()
