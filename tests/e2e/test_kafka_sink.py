"""End to end: the Kafka sink against librdkafka's mock cluster (the real Kafka protocol on
loopback ports, 3 brokers, partitioned topics), read back with a real consumer (kcat).

Every event arrives with its headers, key, topic and timestamp; routing by header; the brokers
going away mid-stream and coming back loses nothing; kill -9 of sluice with a file channel loses
nothing either; a record Kafka refuses for good goes to the dead-letter file instead of blocking
the channel."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.kafka_harness import MockCluster, consume  # noqa: E402
from support.sluice_harness import Sluice, free_port, wait_until  # noqa: E402


def config(boot, tcp_port, http_port, data, sink_extra="", channel="file", topic="events"):
    channel_lines = (f"a1.channels.c1.type = file\na1.channels.c1.dataDirs = {data}\n"
                     "a1.channels.c1.durability = os\na1.channels.c1.segmentSize = 1m\n"
                     "a1.channels.c1.byteCapacity = 64m") if channel == "file" else "a1.channels.c1.type = memory"
    return f"""a1.sources = tcp web
a1.channels = c1
a1.sinks = k1
a1.sources.tcp.type = syslogtcp
a1.sources.tcp.host = 127.0.0.1
a1.sources.tcp.port = {tcp_port}
a1.sources.tcp.channels = c1
a1.sources.web.type = http
a1.sources.web.bind = 127.0.0.1
a1.sources.web.port = {http_port}
a1.sources.web.channels = c1
{channel_lines}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.bootstrap.servers = {boot}
a1.sinks.k1.kafka.topic = {topic}
a1.sinks.k1.kafka.producer.linger.ms = 2
{sink_extra}
"""


def send_syslog(port, first, count, conn=0):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"".join(f"<134>1 2026-11-21T05:10:00.123Z host1 app 7 - - conn={conn} seq={i}\n".encode()
                           for i in range(first, first + count)))


def post(port, events):
    body = json.dumps(events).encode()
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                        "Content-Type: application/json", "--data-binary", "@-", f"http://127.0.0.1:{port}/"],
                       input=body, capture_output=True, timeout=60)
    return int(p.stdout)


def seqs(records, conn=None):
    out = []
    for r in records:
        m = re.search(rb"conn=(\d+) seq=(\d+)", r.value or b"")
        if m and (conn is None or int(m.group(1)) == conn):
            out.append(int(m.group(2)))
    return out


class KafkaSink(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="sluice-kafka-")
        self.cluster = MockCluster(brokers=3, topics=["events:3", "audit:2", "other:1"])
        self.cluster.start()
        self.tcp_port, self.http_port = free_port(), free_port()
        self.data = os.path.join(self.work, "data")

    def tearDown(self):
        self.cluster.__exit__(None, None, None)
        self.cluster.cleanup()

    def sluice(self, sink_extra="", channel="file", topic="events"):
        return Sluice(config(self.cluster.bootstrap, self.tcp_port, self.http_port, self.data, sink_extra, channel,
                             topic), workdir=tempfile.mkdtemp(dir=self.work))

    def test_events_headers_keys_topics_partitions_and_timestamps(self):
        with self.sluice("a1.sinks.k1.partitionIdHeader = part\na1.sinks.k1.allowTopicOverride = true") as s:
            send_syslog(self.tcp_port, 0, 500)
            self.assertEqual(post(self.http_port, [
                {"headers": {"key": "user-42", "kind": "login", "timestamp": "1700000000123"}, "body": "keyed"},
                {"headers": {"topic": "audit"}, "body": "to audit"},
                {"headers": {"part": "2"}, "body": "to partition 2"}]), 200)
            s.wait_metric("sluice_sink_kafka_acked_events_total", 503)
            self.assertEqual(s.stop(), 0, s.stderr())
        events = consume(self.cluster.bootstrap, "events", count=502)
        self.assertEqual(sorted(seqs(events)), list(range(500)))
        syslog = next(r for r in events if b"seq=0" in r.value)
        h = syslog.headers_dict()
        self.assertEqual((h["Facility"], h["Severity"], h["host"]), ("16", "6", "host1"))
        self.assertEqual(syslog.timestamp_ms, 1795237800123)  # the message's own time, 2026-11-21T05:10:00.123Z
        keyed = next(r for r in events if r.value == b"keyed")
        self.assertEqual(keyed.key, b"user-42")
        self.assertEqual(keyed.headers_dict()["kind"], "login")
        self.assertEqual(keyed.timestamp_ms, 1700000000123)
        self.assertEqual(next(r for r in events if r.value == b"to partition 2").partition, 2)
        self.assertGreater(len({r.partition for r in events}), 1, "keyless events spread over partitions")
        [audit] = consume(self.cluster.bootstrap, "audit", count=1)
        self.assertEqual(audit.value, b"to audit")

    def test_topic_from_a_header_template(self):
        with self.sluice("a1.sinks.k1.allowTopicOverride = false", topic="%{dest}") as s:
            self.assertEqual(post(self.http_port, [{"headers": {"dest": "other", "topic": "audit"}, "body": "x"}]), 200)
            s.wait_metric("sluice_sink_kafka_acked_events_total", 1)
            self.assertEqual(s.stop(), 0)
            self.assertNotIn("allowTopicOverride is on", s.stderr(), "said only when it is on")
        [r] = consume(self.cluster.bootstrap, "other", count=1)
        self.assertEqual(r.value, b"x")

    def test_topic_header_is_ignored_by_default_unlike_flume(self):
        # Any HTTP or Avro client can set a `topic` header: by default (unlike Flume) it does not
        # choose the topic; with allowTopicOverride = true it does, and start-up says so once.
        for extra, topic in (("", "events"), ("a1.sinks.k1.allowTopicOverride = true", "audit")):
            with self.subTest(extra=extra), self.sluice(extra) as s:
                self.assertEqual(post(self.http_port, [{"headers": {"topic": "audit"}, "body": "to " + topic}]), 200)
                s.wait_metric("sluice_sink_kafka_acked_events_total", 1)
                self.assertEqual(s.stop(), 0, s.stderr())
                self.assertEqual(s.stderr().count("allowTopicOverride is on"), 1 if extra else 0, s.stderr())
            [r] = consume(self.cluster.bootstrap, topic, count=1)
            self.assertEqual(r.value, b"to " + topic.encode())
            self.assertEqual(r.headers_dict()["topic"], "audit", "the header itself is kept")

    def test_flume_event_format(self):
        with self.sluice("a1.sinks.k1.useFlumeEventFormat = true") as s:
            self.assertEqual(post(self.http_port, [{"headers": {"a": "b"}, "body": "avro body"}]), 200)
            s.wait_metric("sluice_sink_kafka_acked_events_total", 1)
            self.assertEqual(s.stop(), 0)
        [r] = consume(self.cluster.bootstrap, "events", count=1)
        # AvroFlumeEvent: a map block of 1 (zigzag 2), "a" (len 1 -> 2), "b", end of map, bytes.
        self.assertEqual(r.value, b"\x02\x02a\x02b\x00\x12avro body")

    def test_brokers_down_mid_stream_then_back_loses_nothing(self):
        with self.sluice() as s:
            send_syslog(self.tcp_port, 0, 2000, conn=1)
            s.wait_metric("sluice_sink_kafka_acked_events_total", 2000)
            self.cluster.all_down()
            send_syslog(self.tcp_port, 2000, 3000, conn=1)
            wait_until(lambda: s.metric("sluice_sink_kafka_connection_failures_total") > 0, 60,
                       what="the sink to notice", details=s.diagnostics)
            time.sleep(1)
            self.assertGreater(s.metric("sluice_channel_size_events"), 0, "events wait in the channel")
            cpu_before = self.cpu(s)
            time.sleep(2)
            self.assertLess(self.cpu(s) - cpu_before, 1.0, "the sink must back off, not spin")
            self.cluster.all_up()
            s.wait_metric("sluice_sink_kafka_acked_events_total", 5000, timeout_s=120)
            wait_until(lambda: s.metric("sluice_channel_size_events") == 0, 60, what="the channel to drain")
            self.assertIn("events wait in the channel until it is back", s.stderr())
            self.assertEqual(s.stop(), 0, s.stderr())
        got = seqs(consume(self.cluster.bootstrap, "events", count=5000), conn=1)
        self.assertEqual(set(got), set(range(5000)))

    @staticmethod
    def cpu(s):
        with open(f"/proc/{s.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def test_kill9_with_a_file_channel_then_everything_arrives(self):
        s = self.sluice()
        s.start()
        self.cluster.all_down()  # events pile up in the channel
        send_syslog(self.tcp_port, 0, 4000, conn=2)
        s.wait_metric("sluice_source_accepted_events_total", 4000)
        s.process.send_signal(signal.SIGKILL)
        s.process.wait()
        s.close_files()
        self.cluster.all_up()
        with self.sluice() as again:
            again.wait_metric("sluice_sink_kafka_acked_events_total", 4000, timeout_s=120)
            self.assertEqual(again.stop(), 0, again.stderr())
        got = seqs(consume(self.cluster.bootstrap, "events", count=4000), conn=2)
        self.assertEqual(set(got), set(range(4000)))

    def test_refused_records_go_to_the_dead_letter_file(self):
        dead = os.path.join(self.work, "dead.jsonl")
        with self.sluice(f"a1.sinks.k1.deadLetter = file\na1.sinks.k1.deadLetterFile = {dead}\n"
                         "a1.sinks.k1.allowTopicOverride = true") as s:
            # Produce requests fail for good: the first batch is refused.
            self.cluster.push_errors("Produce", "TOPIC_AUTHORIZATION_FAILED")
            self.assertEqual(post(self.http_port, [{"headers": {"n": "1"}, "body": "refused"}]), 200)
            s.wait_metric("sluice_sink_kafka_dead_lettered_events_total", 1)
            s.wait_metric("sluice_sink_rejected_events_total", 1)
            # The channel is not blocked: later events flow. (librdkafka remembers the topic's
            # authorization failure for a while, so they go to another topic.)
            self.cluster.clear_errors("Produce")
            self.assertEqual(post(self.http_port, [{"headers": {"topic": "other"}, "body": "after"}]), 200)
            s.wait_metric("sluice_sink_kafka_acked_events_total", 1)
            self.assertIn("refused for good, not retried: Kafka refused the event for topic 'events'", s.stderr())
            self.assertEqual(s.stop(), 0)
        with open(dead) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual(lines[0]["event"]["body"], "refused")
        self.assertEqual(lines[0]["topic"], "events")
        self.assertIn("authorization", lines[0]["error"].lower())

    def test_unknown_librdkafka_setting_is_a_start_error(self):
        s = self.sluice("a1.sinks.k1.kafka.producer.max.request.size = 10")
        with open(s.config_path, "w") as f:
            f.write(config(self.cluster.bootstrap, self.tcp_port, self.http_port, self.data,
                           "a1.sinks.k1.kafka.producer.max.request.size = 10"))
        from support.sluice_harness import run_sluice
        code, _, err = run_sluice(s.command()[1:])
        self.assertEqual(code, 1)
        self.assertIn("kafka setting max.request.size=10: No such configuration property", err)


if __name__ == "__main__":
    unittest.main()
