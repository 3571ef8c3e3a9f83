"""End to end: what an operator relies on. The embedded default configuration, the admin
endpoint, clean shutdown that delivers what was accepted, bad input kept and marked rather than
dropped, garbage framing closing the connection, and backpressure: a stalled sink fills the
channel, TCP senders are pushed back (nothing lost), UDP drops are counted."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import (Sluice, free_port, read_json_events, read_lines, syslog_config,  # noqa: E402
                                    wait_until)


def send_tcp(port, data, close=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(data)
    if close:
        s.close()
    return s


def rfc5424(seq, conn=0, body_pad=""):
    return f"<134>1 2026-11-21T05:10:00.000Z testhost app 77 - - conn={conn} seq={seq}{body_pad}".encode()


class Operations(unittest.TestCase):
    def start(self, **config_args):
        self.sluice = Sluice(None)
        self.out = os.path.join(self.sluice.workdir, "out")
        with open(self.sluice.config_path, "w") as f:
            f.write(syslog_config(self.out, **config_args))
        self.sluice.start()
        return self.sluice

    def tearDown(self):
        if hasattr(self, "sluice"):
            self.sluice.__exit__(None, None, None)
            self.sluice.cleanup()

    def test_event_age_histogram_in_prometheus_format(self):
        """Every sink exposes the age of the events it delivered (delivery time minus the event's
        timestamp) as a Prometheus histogram; Prometheus's own parser reads the whole /metrics."""
        from prometheus_client.parser import text_string_to_metric_families
        port = free_port()
        s = self.start(tcp_port=port)
        now = time.time()
        stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
        messages = [f"<134>1 {stamp(now)} host app - - - fresh",         # sent now
                    f"<134>1 {stamp(now - 3600)} host app - - - old",    # an hour old: beyond 600 s
                    "<134>1 - host app - - - no time of its own"]       # aged from its receipt
        send_tcp(port, "".join(f"{len(m)} {m}" for m in messages).encode())
        wait_until(lambda: len(read_json_events(self.out)) == 3, 30, what="3 events delivered")
        families = {f.name: f for f in text_string_to_metric_families(s.metrics_text())}
        ages = families["sluice_sink_event_age_seconds"]
        self.assertEqual(ages.type, "histogram")
        samples = {(x.name, float(x.labels["le"]) if "le" in x.labels else None): x.value
                   for x in ages.samples if x.labels.get("component") == "k1"}
        self.assertEqual(samples[("sluice_sink_event_age_seconds_count", None)], 3)
        self.assertEqual(samples[("sluice_sink_event_age_seconds_bucket", float("inf"))], 3)
        self.assertEqual(samples[("sluice_sink_event_age_seconds_bucket", 600.0)], 2)
        self.assertEqual(samples[("sluice_sink_event_age_seconds_bucket", 60.0)], 2)
        self.assertGreaterEqual(samples[("sluice_sink_event_age_seconds_sum", None)], 3600)

    def test_admin_endpoint(self):
        s = self.start(tcp_port=free_port())
        base = f"http://127.0.0.1:{s.admin_port}"
        with urllib.request.urlopen(base + "/health", timeout=10) as r:
            self.assertEqual(r.read(), b"ok\n")
        with urllib.request.urlopen(base + "/", timeout=10) as r:
            page = r.read().decode()
        self.assertIn("source tcp (syslogtcp) listening on 127.0.0.1", page)
        text = s.metrics_text()
        for family in ["sluice_source_received_events_total", "sluice_source_accepted_events_total",
                       "sluice_source_rejected_events_total", "sluice_channel_size_events",
                       "sluice_channel_capacity_bytes", "sluice_channel_fill_ratio", "sluice_sink_drained_events_total",
                       "sluice_sink_errors_total"]:
            self.assertIn(f"# TYPE {family} ", text)
        self.assertIn('sluice_source_accepted_events_total{component="tcp",type="syslogtcp",shard="1"} 0', text)
        with urllib.request.urlopen(base + "/flume/metrics", timeout=10) as r:
            flume = json.loads(r.read())
        self.assertEqual(flume["SOURCE.tcp"]["Type"], "SOURCE")
        self.assertEqual(flume["SOURCE.tcp"]["EventReceivedCount"], "0")
        self.assertIn("ChannelSize", flume["CHANNEL.c1"])
        self.assertEqual(flume["SINK.k1"]["EventDrainSuccessCount"], "0")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/nope", timeout=10)
        self.assertEqual(e.exception.code, 404)

    def test_sigterm_delivers_everything_accepted(self):
        port = free_port()
        s = self.start(tcp_port=port)
        total = 0
        for conn in range(4):
            payload = b"".join(rfc5424(i, conn) + b"\n" for i in range(5000))
            send_tcp(port, payload)
            total += 5000
        s.wait_metric("sluice_source_accepted_events_total", total)
        self.assertEqual(s.stop(), 0, s.stderr())
        events = read_json_events(self.out)
        self.assertEqual(len(events), total)
        self.assertEqual(len({e["body"] for e in events}), total)
        self.assertIn("stopping; sinks drain the channels", s.stderr())

    def test_invalid_and_oversized_messages_are_kept_and_marked(self):
        port = free_port()
        s = self.start(tcp_port=port, source_extra="eventSize = 100")
        long_one = rfc5424(1, body_pad=" " + "x" * 300)
        send_tcp(port, b"this is not syslog\n" + long_one + b"\n" + b"<999>bad priority\n")
        events = wait_until(lambda: len(read_json_events(self.out)) >= 3 and read_json_events(self.out), 30,
                            what="3 events", details=s.diagnostics)
        by_body = {e["body"]: e["headers"] for e in events}
        self.assertEqual(by_body["this is not syslog"]["flume.syslog.status"], "Invalid")
        self.assertEqual(by_body["<999>bad priority"]["flume.syslog.status"], "Invalid")
        [truncated] = [e for e in events if e["headers"].get("flume.syslog.status") == "Incomplete"]
        self.assertTrue(long_one[:100].decode().endswith(truncated["body"]), truncated)
        self.assertEqual(s.metric("sluice_source_invalid_events_total"), 2)
        self.assertEqual(s.metric("sluice_source_truncated_events_total"), 1)

    def test_garbage_framing_closes_the_connection_with_a_log_line(self):
        port = free_port()
        s = self.start(tcp_port=port)
        conn = send_tcp(port, rfc5424(1) + b"\n" + b"12345678901234 not a frame length\n", close=False)
        conn.settimeout(20)
        self.assertEqual(conn.recv(10), b"", "sluice should close the connection")
        conn.close()
        s.wait_metric("sluice_source_framing_errors_total", 1)
        wait_until(lambda: "garbage framing" in s.stderr(), 10, what="a log line")
        self.assertEqual(s.stop(), 0)
        self.assertEqual(len(read_json_events(self.out)), 1, "the good message before the garbage is kept")


def can_mount_tmpfs():
    with_dir = "/tmp/sluice-mount-probe"
    os.makedirs(with_dir, exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", with_dir], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", with_dir])
    return ok


@unittest.skipUnless(can_mount_tmpfs(), "needs root to mount a tmpfs (a disk that can fill up)")
class Backpressure(unittest.TestCase):
    """The sink writes to a 256 KiB tmpfs: it fills, writes fail with ENOSPC, the sink retries
    and the channel fills. Then the tmpfs grows and everything drains."""

    def setUp(self):
        self.tcp_port = free_port()
        self.udp_port = free_port()
        self.sluice = Sluice(None, shards=1)
        self.out = os.path.join(self.sluice.workdir, "out")
        os.makedirs(self.out)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", self.out], check=True)
        with open(self.sluice.config_path, "w") as f:
            f.write(syslog_config(self.out, tcp_port=self.tcp_port, udp_port=self.udp_port,
                                  channel_extra="byteCapacity = 1m\nsegmentSize = 256k", serializer="text"))
        self.sluice.start()

    def tearDown(self):
        self.sluice.__exit__(None, None, None)
        subprocess.run(["umount", "-l", self.out])
        self.sluice.cleanup()

    def grow_disk(self):
        subprocess.run(["mount", "-o", "remount,size=64m", self.out], check=True)

    def test_tcp_senders_are_pushed_back_and_nothing_is_lost(self):
        s = self.sluice
        # ~20 MB of events: far more than the disk (256k), the channel (1m) and the kernel's
        # socket buffers on both ends (a few MB) hold.
        count = 200000
        payload = b"".join(rfc5424(i, body_pad=" " + "p" * 40) + b"\n" for i in range(count))
        done = threading.Event()

        def sender():
            send_tcp(self.tcp_port, payload)
            done.set()

        threading.Thread(target=sender, daemon=True).start()
        s.wait_metric("sluice_source_backpressure_pauses_total", 1, timeout_s=60)
        s.wait_metric("sluice_sink_errors_total", 1, timeout_s=60)
        time.sleep(1)
        self.assertFalse(done.is_set(), "the sender should be blocked by TCP backpressure")
        self.assertGreater(s.metric("sluice_channel_fill_ratio"), 0.5)
        self.grow_disk()
        self.assertTrue(done.wait(120), "the sender should finish once the sink drains")
        s.wait_metric("sluice_source_accepted_events_total", count, timeout_s=120)
        self.assertEqual(s.stop(), 0, s.stderr())
        seqs = [int(line.rsplit(b"seq=", 1)[1].split(b" ")[0]) for line in read_lines(self.out)]
        # A batch that failed half-written is cut off and written again whole: every event
        # exactly once, in order, no torn lines.
        self.assertEqual(seqs, list(range(count)))
        self.assertIn("delivery failed", s.stderr())
        self.assertIn("No space left on device", s.stderr())

    def test_udp_drops_are_counted_when_the_channel_is_full(self):
        s = self.sluice
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent = 0
        deadline = time.monotonic() + 60
        # Keep sending until sluice reports drops (bounded by count and time).
        while s.metric("sluice_source_rejected_events_total") == 0 and sent < 200000 and time.monotonic() < deadline:
            for _ in range(2000):
                u.sendto(rfc5424(sent, body_pad=" " + "u" * 100), ("127.0.0.1", self.udp_port))
                sent += 1
            time.sleep(0.01)
        u.close()
        rejected = s.metric("sluice_source_rejected_events_total")
        self.assertGreater(rejected, 0)
        self.grow_disk()
        wait_until(lambda: s.metric("sluice_channel_size_events") == 0, 60, what="the channel to drain",
                   details=s.diagnostics)
        accepted = s.metric("sluice_source_accepted_events_total")
        self.assertEqual(s.stop(), 0)
        lines = read_lines(self.out)
        self.assertEqual(len(lines), accepted, "every accepted datagram is delivered once")
        self.assertTrue(all(line.startswith(b"app 77 - - conn=0 seq=") for line in lines), "no torn lines")


if __name__ == "__main__":
    unittest.main()
