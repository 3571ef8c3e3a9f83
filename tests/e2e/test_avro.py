"""End to end: the Avro RPC source and sink against an independent implementation of Avro IPC
(Debian's python3-avro, with Netty framing around it: tests/support/avro_peer.py), and sluice
talking to sluice in two tiers.

- python3-avro's requestor calls append and appendBatch (Java's stateful handshake and the
  stock stateless one, plain and deflated): the events arrive with their headers.
- A full channel answers FAILED; malformed and oversized frames close the connection and are
  counted; ipFilterRules refuses connections.
- sluice's avro sink forwards to python3-avro's responder, including one that does not know
  Flume's protocol hash (NONE, then the sink resends with its protocol).
- What OK means: every event of every call answered OK is delivered after kill -9.
- Two tiers: syslog into sluice A -> avro sink -> sluice B's avro source -> file; B is killed
  with SIGKILL mid-stream and restarted; every event arrives at least once."""

import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support import avro_peer  # noqa: E402
from support.sluice_harness import Sluice, free_port, read_json_events, read_lines, wait_until  # noqa: E402

AVRO_PEER = os.path.join(os.path.dirname(__file__), "..", "support", "avro_peer.py")
PYTHON = "/usr/bin/python3"


def avro_source_config(port, out, channel="a1.channels.c1.type = memory", source_extra="", sink=None):
    sink = sink or f"""a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.serializer = JSON
a1.sinks.k1.sink.rollInterval = 0"""
    return f"""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
{source_extra}
{channel}
{sink}
a1.sinks.k1.channel = c1
"""


def avro_client(port, *args):
    """Runs avro_peer.py client; returns its lines ("appendBatch OK", ...)."""
    p = subprocess.run([PYTHON, AVRO_PEER, "client", "--port", str(port), *args], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"avro client failed ({p.returncode}):\n{p.stderr.decode()}")
    return p.stdout.decode().split()


def connection_closed_by_peer(sock, timeout_s=20):
    """True once the server closed `sock` (EOF or reset), False if it stays open."""
    sock.settimeout(timeout_s)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class AvroSourceWithPythonAvro(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.sluice = Sluice(None)
        cls.out = os.path.join(cls.sluice.workdir, "out")
        with open(cls.sluice.config_path, "w") as f:
            f.write(avro_source_config(cls.port, cls.out, source_extra="a1.sources.r1.maxFrameBytes = 1m\n"
                                                                        "a1.sources.r1.maxEventsPerCall = 500"))
        cls.sluice.start()

    @classmethod
    def tearDownClass(cls):
        cls.sluice.__exit__(None, None, None)
        cls.sluice.cleanup()

    def events_after(self, before, count):
        return wait_until(lambda: len(read_json_events(self.out)) >= before + count and read_json_events(self.out),
                          30, what=f"{count} more events", details=self.sluice.diagnostics)[before:]

    def test_append_batch_and_append_arrive_with_headers(self):
        before = len(read_json_events(self.out))
        self.assertEqual(avro_client(self.port, "--message", "appendBatch", "--events", "3", "--calls", "2"),
                         ["appendBatch", "OK", "appendBatch", "OK"])
        self.assertEqual(avro_client(self.port, "--message", "append", "--calls", "2", "--body-bytes", "5"),
                         ["append", "OK", "append", "OK"])
        events = self.events_after(before, 8)
        batch = sorted(events[:6], key=lambda e: int(e["headers"]["seq"]))
        self.assertEqual([e["headers"]["seq"] for e in batch], ["0", "1", "2", "3", "4", "5"])
        self.assertEqual(batch[0]["headers"], {"seq": "0", "host": "peer", "timestamp": "1700000000000",
                                               "k\u00e9y": "v\u00e4lue"})
        self.assertTrue(batch[0]["body"].startswith("event 0 xxxx"))
        self.assertEqual(sorted(e["body"] for e in events[6:]), ["event 0", "event 1"])

    def test_stateless_client_handshakes_every_call(self):
        # python3-avro's stock Requestor sends a handshake with every call.
        before = len(read_json_events(self.out))
        self.assertEqual(avro_client(self.port, "--stateless", "--calls", "3", "--events", "2"),
                         ["appendBatch", "OK"] * 3)
        self.assertEqual(len(self.events_after(before, 6)), 6)

    def test_large_batches_span_many_netty_buffers(self):
        before = len(read_json_events(self.out))
        # 200 events of 2000 bytes: a 400 KB call in 8 KiB buffers.
        self.assertEqual(avro_client(self.port, "--events", "200", "--body-bytes", "2000", "--calls", "2"),
                         ["appendBatch", "OK"] * 2)
        events = self.events_after(before, 400)
        self.assertTrue(all(len(e["body"]) == 2000 for e in events))

    def test_malformed_frames_close_the_connection_and_are_counted(self):
        # Oversized buffers are limit rejections, the rest framing errors; every case is one of them.
        def refused():
            return (self.sluice.metric("sluice_source_framing_errors_total")
                    + self.sluice.metric("sluice_source_limit_rejections_total"))
        errors = refused()
        cases = [
            struct.pack(">ii", 1, -5),                              # negative buffer count
            struct.pack(">iii", 1, 1, 0x7FFFFFF0) + b"x" * 100,     # a 2 GB buffer: refused, not allocated
            struct.pack(">ii", 1, 3) + struct.pack(">i", 600_000) + b"y" * 600_000
            + struct.pack(">i", 600_000),                           # buffers adding up over maxFrameBytes
            struct.pack(">ii", 1, 1) + struct.pack(">i", 20) + b"\xff" * 20,  # a frame, but not Avro IPC
        ]
        for i, data in enumerate(cases):
            with socket.create_connection(("127.0.0.1", self.port), timeout=20) as s:
                try:
                    s.sendall(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.assertTrue(connection_closed_by_peer(s), f"case {i}: the connection stayed open")
        wait_until(lambda: refused() >= errors + len(cases), 20,
                   what="framing errors and limit rejections counted", details=self.sluice.diagnostics)
        self.assertIn("closing a connection from 127.0.0.1", self.sluice.stderr())
        # The server is fine afterwards.
        self.assertEqual(avro_client(self.port, "--calls", "1"), ["appendBatch", "OK"])

    def test_a_call_over_the_event_limit_is_answered_with_an_error(self):
        accepted = self.sluice.metric("sluice_source_accepted_events_total")
        lines = avro_client(self.port, "--events", "501", "--calls", "1", "--body-bytes", "5")
        self.assertEqual(lines[:2], ["appendBatch", "ERROR"], lines)
        self.assertIn("request over a limit of this server", " ".join(lines))
        self.assertEqual(self.sluice.metric("sluice_source_accepted_events_total"), accepted)
        self.assertIn("answered a call from 127.0.0.1 with an error", self.sluice.stderr())
        self.assertEqual(avro_client(self.port, "--events", "500", "--calls", "1", "--body-bytes", "5"),
                         ["appendBatch", "OK"])

    def test_a_client_ending_mid_frame_is_counted(self):
        errors = self.sluice.metric("sluice_source_framing_errors_total")
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as s:
            s.sendall(struct.pack(">ii", 1, 1) + struct.pack(">i", 1000) + b"z" * 10)
        wait_until(lambda: self.sluice.metric("sluice_source_framing_errors_total") > errors, 20,
                   what="a framing error", details=self.sluice.diagnostics)


class DeflatedAvroSource(unittest.TestCase):
    def test_deflate_clients_and_a_mismatch(self):
        port = free_port()
        s = Sluice(None)
        out = os.path.join(s.workdir, "out")
        with open(s.config_path, "w") as f:
            f.write(avro_source_config(port, out, source_extra="a1.sources.r1.compression-type = deflate"))
        with s:
            self.assertEqual(avro_client(port, "--deflate", "--calls", "3", "--events", "50", "--body-bytes", "300"),
                             ["appendBatch", "OK"] * 3)
            events = wait_until(lambda: len(read_json_events(out)) >= 150 and read_json_events(out), 30,
                                what="150 events", details=s.diagnostics)
            self.assertEqual(sorted(int(e["headers"]["seq"]) for e in events), list(range(150)))
            # A client that does not deflate is not a zlib stream: closed and counted.
            with socket.create_connection(("127.0.0.1", port), timeout=20) as c:
                c.sendall(avro_peer.frame(1, b"\x00" * 40))
                self.assertTrue(connection_closed_by_peer(c))
            s.wait_metric("sluice_source_framing_errors_total", 1)
            self.assertEqual(s.stop(), 0, s.stderr())
        s.cleanup()


class FullChannelAndIpFilter(unittest.TestCase):
    def test_full_channel_answers_failed(self):
        port, dead = free_port(), free_port()
        s = Sluice(None, shards=1, args=["--drain-timeout", "1"])
        # The sink forwards to nowhere, so the channel fills up and stays full.
        with open(s.config_path, "w") as f:
            f.write(avro_source_config(
                port, None, channel="a1.channels.c1.type = memory\na1.channels.c1.byteCapacity = 256k\n"
                                    "a1.channels.c1.segmentSize = 64k",
                sink=f"a1.sinks.k1.type = avro\na1.sinks.k1.hostname = 127.0.0.1\na1.sinks.k1.port = {dead}\n"
                     "a1.sinks.k1.connect-timeout = 200"))
        with s:
            lines = avro_client(port, "--calls", "12", "--events", "50", "--body-bytes", "1000")
            statuses = lines[1::2]
            self.assertIn("FAILED", statuses, lines)
            self.assertEqual(statuses[0], "OK")
            accepted = s.metric("sluice_source_accepted_events_total")
            self.assertEqual(accepted, 50 * statuses.count("OK"))
            self.assertEqual(s.metric("sluice_source_rejected_events_total"), 50 * statuses.count("FAILED"))
            self.assertIn("cannot connect to 127.0.0.1:", s.stderr())
            # What could not be forwarded stays in the channel, and the exit status says so.
            self.assertEqual(s.stop(), 1, s.stderr())
            self.assertIn("events are left undelivered", s.stderr())
        s.cleanup()

    def test_ip_filter_refuses_by_address(self):
        port = free_port()
        s = Sluice(None)
        out = os.path.join(s.workdir, "out")
        with open(s.config_path, "w") as f:
            f.write(avro_source_config(port, out, source_extra="a1.sources.r1.ipFilter = true\n"
                                                               "a1.sources.r1.ipFilterRules = allow:ip:10.*,deny:ip:*"))
        with s:
            with socket.create_connection(("127.0.0.1", port), timeout=20) as c:
                self.assertTrue(connection_closed_by_peer(c))
            s.wait_metric("sluice_source_refused_connections_total", 1)
            self.assertIn("refused a connection from 127.0.0.1: ipFilterRules", s.stderr())
        s.cleanup()
        # Rules that allow loopback let the client in.
        port = free_port()
        s = Sluice(None)
        with open(s.config_path, "w") as f:
            f.write(avro_source_config(port, os.path.join(s.workdir, "out"),
                                       source_extra="a1.sources.r1.ipFilter = true\n"
                                                    "a1.sources.r1.ipFilterRules = deny:ip:10.*, allow:ip:127.0.0.?"))
        with s:
            self.assertEqual(avro_client(port, "--calls", "1"), ["appendBatch", "OK"])
        s.cleanup()

    def test_bad_ip_filter_rules_are_a_config_error(self):
        s = Sluice(None)
        with open(s.config_path, "w") as f:
            f.write(avro_source_config(free_port(), "/tmp/x", source_extra="a1.sources.r1.ipFilter = true\n"
                                                                           "a1.sources.r1.ipFilterRules = allow:name:localhost"))
        p = subprocess.run(s.command() + ["--check"], capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("line 9: a1.sources.r1.ipFilterRules: expected rules like allow:ip:127.*,deny:ip:* "
                      "(rule 'allow:name:localhost': name rules need reverse DNS", p.stderr.decode())
        s.cleanup()


class AvroSinkToPythonAvro(unittest.TestCase):
    def forward(self, peer_args, sink_extra=""):
        work = tempfile.mkdtemp(prefix="sluice-avro-sink-")
        port_file = os.path.join(work, "port")
        peer = subprocess.Popen([PYTHON, AVRO_PEER, "server", "--port-file", port_file, "--max-connections", "5",
                                 "--timeout", "60", *peer_args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: os.path.exists(port_file), 30, what="the python3-avro server")
            with open(port_file) as f:
                peer_port = int(f.read())
            tcp = free_port()
            config = f"""a1.sources = tcp
a1.channels = c1
a1.sinks = k1
a1.sources.tcp.type = syslogtcp
a1.sources.tcp.host = 127.0.0.1
a1.sources.tcp.port = {tcp}
a1.sources.tcp.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = avro
a1.sinks.k1.channel = c1
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = {peer_port}
a1.sinks.k1.batch-size = 100
{sink_extra}
"""
            with Sluice(config) as s:
                with socket.create_connection(("127.0.0.1", tcp), timeout=30) as c:
                    c.sendall(b"".join(f"<134>1 2026-11-21T05:10:00.123Z host1 app 7 - - seq={i}\n".encode()
                                       for i in range(250)))
                s.wait_metric("sluice_sink_avro_sent_events_total", 250)
                self.assertEqual(s.stop(), 0, s.stderr())
                s.cleanup()
        finally:
            peer.kill()
            out, err = peer.communicate(timeout=30)
            shutil.rmtree(work, ignore_errors=True)
        records = [json.loads(l) for l in out.decode().splitlines()]
        return [r for r in records if "body" in r], [r["handshake"] for r in records if "handshake" in r], err

    def check_events(self, events):
        self.assertEqual(sorted(int(e["body"].split("seq=")[1]) for e in events), list(range(250)))
        e = events[0]
        self.assertEqual(e["headers"]["host"], "host1")
        self.assertEqual(e["headers"]["timestamp"], "1795237800123")
        self.assertEqual(e["headers"]["syslog.appname"], "app")

    def test_forwards_to_a_flume_speaking_server(self):
        events, handshakes, err = self.forward([])
        self.check_events(events)
        self.assertEqual(handshakes, ["BOTH"], err.decode())

    def test_a_server_that_does_not_know_flumes_hash_gets_our_protocol(self):
        events, handshakes, err = self.forward(["--python-hash"])
        self.check_events(events)
        # NONE first (the server did not know our hash, and tells us its own), then BOTH: the
        # resent request carried our protocol text and the server's right hash.
        self.assertEqual(handshakes[:2], ["NONE", "BOTH"], err.decode())

    def test_deflate(self):
        events, handshakes, err = self.forward(["--deflate"], "a1.sinks.k1.compression-type = deflate")
        self.check_events(events)


class CallerThread(threading.Thread):
    """A python3-avro client calling appendBatch until stopped or the server goes away; remembers
    which events were answered OK."""

    def __init__(self, port, conn, batch=25):
        super().__init__(daemon=True)
        self.port, self.conn, self.batch = port, conn, batch
        self.acked, self.next = [], 0
        self.stopping = threading.Event()

    def run(self):
        sock = None
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            transceiver = avro_peer.NettyTransceiver(avro_peer.Stream(sock, False), "sluice")
            requestor = avro_peer.StatefulRequestor(avro_peer.PROTOCOL, transceiver)
            while not self.stopping.is_set() and self.next < 1_000_000:
                events = [{"headers": {"conn": str(self.conn), "seq": str(self.next + i)},
                           "body": f"conn={self.conn} seq={self.next + i}".encode()} for i in range(self.batch)]
                if requestor.request("appendBatch", {"events": events}) == "OK":
                    self.acked.extend(range(self.next, self.next + self.batch))
                self.next += self.batch
        except Exception:  # the server was killed: whatever was not answered OK does not count
            pass
        finally:
            if sock:
                sock.close()

    def stop(self):
        self.stopping.set()
        self.join(15)


class OkMeansStored(unittest.TestCase):
    rounds = 3

    def test_kill9_rounds(self):
        work = tempfile.mkdtemp(prefix="sluice-avro-ack-")
        out, port = os.path.join(work, "out"), free_port()
        channel = (f"a1.channels.c1.type = file\na1.channels.c1.dataDirs = {work}/data\n"
                   "a1.channels.c1.durability = fsync\na1.channels.c1.segmentSize = 1m\n"
                   "a1.channels.c1.byteCapacity = 64m")
        rng = random.Random(int(os.environ.get("SLUICE_CRASH_SEED", time.time())))
        acked = {}
        try:
            for r in range(self.rounds):
                s = Sluice(avro_source_config(port, out, channel=channel), workdir=tempfile.mkdtemp(dir=work))
                s.start()
                callers = [CallerThread(port, r * 10 + i) for i in range(3)]
                for c in callers:
                    c.start()
                time.sleep(rng.uniform(0.7, 2.0))
                s.process.send_signal(signal.SIGKILL)
                s.process.wait()
                s.close_files()
                for c in callers:
                    c.stop()
                    acked[c.conn] = c.acked
            s = Sluice(avro_source_config(port, out, channel=channel), workdir=tempfile.mkdtemp(dir=work))
            with s:
                wait_until(lambda: s.metric("sluice_channel_size_events") == 0, 120, what="the channel to drain",
                           details=s.diagnostics)
                self.assertEqual(s.stop(), 0, s.stderr())
            delivered = {}
            for line in read_lines(out):
                try:
                    e = json.loads(line)
                except ValueError:
                    continue  # the sink's last line, torn by kill -9
                delivered.setdefault(int(e["headers"]["conn"]), set()).add(int(e["headers"]["seq"]))
            total = 0
            for conn, ok in acked.items():
                missing = set(ok) - delivered.get(conn, set())
                self.assertFalse(missing, f"conn {conn}: {len(missing)} events answered OK never delivered, "
                                          f"e.g. {sorted(missing)[:5]}")
                total += len(ok)
            self.assertGreater(total, 200, "the test should have acknowledged real traffic")
        finally:
            shutil.rmtree(work, ignore_errors=True)


class TwoTiers(unittest.TestCase):
    """syslog -> sluice A (file channel) -> avro -> sluice B (file channel) -> file_roll."""

    events = 30_000

    def test_collector_killed_mid_stream(self):
        work = tempfile.mkdtemp(prefix="sluice-tiers-")
        try:
            self.run_tiers(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def run_tiers(self, work):
        syslog_port, avro_port = free_port(), free_port()
        out = os.path.join(work, "out")
        a_config = f"""a1.sources = tcp
a1.channels = c1
a1.sinks = fwd
a1.sources.tcp.type = syslogtcp
a1.sources.tcp.host = 127.0.0.1
a1.sources.tcp.port = {syslog_port}
a1.sources.tcp.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {work}/a-data
a1.channels.c1.durability = os
a1.channels.c1.segmentSize = 1m
a1.sinks.fwd.type = avro
a1.sinks.fwd.channel = c1
a1.sinks.fwd.hostname = 127.0.0.1
a1.sinks.fwd.port = {avro_port}
a1.sinks.fwd.batch-size = 200
a1.sinks.fwd.connect-timeout = 500
a1.sinks.fwd.request-timeout = 5000
"""
        b_config = avro_source_config(
            avro_port, out, channel=f"a1.channels.c1.type = file\na1.channels.c1.dataDirs = {work}/b-data\n"
                                    "a1.channels.c1.durability = fsync\na1.channels.c1.segmentSize = 1m")
        a_dir, b_dir = os.path.join(work, "a"), os.path.join(work, "b")
        os.makedirs(a_dir)
        os.makedirs(b_dir)
        a = Sluice(a_config, workdir=a_dir)
        b = Sluice(b_config, workdir=b_dir)
        with a, b:
            sender = threading.Thread(target=self.send, args=(syslog_port,), daemon=True)
            sender.start()
            wait_until(lambda: self.delivered_count(out) > self.events // 10, 120, what="events at B",
                       details=b.diagnostics)
            b.process.send_signal(signal.SIGKILL)
            b.process.wait()
            b.close_files()
            time.sleep(1.0)  # A's sink now fails and backs off; events wait in A's channel
            b = Sluice(None, workdir=b_dir)
            with b:
                sender.join(120)
                self.assertFalse(sender.is_alive())
                wait_until(lambda: self.delivered_count(out) >= self.events, 180, what="every event at B",
                           details=lambda: a.diagnostics() + "\n" + b.diagnostics())
                self.assertEqual(b.stop(), 0, b.stderr())
            self.assertEqual(a.stop(), 0, a.stderr())
        seqs = self.delivered(out)
        missing = set(range(self.events)) - seqs
        self.assertFalse(missing, f"{len(missing)} events lost, e.g. {sorted(missing)[:5]}")

    def send(self, port):
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            step = 1000
            for first in range(0, self.events, step):
                s.sendall(b"".join(f"<134>1 2026-11-21T05:10:00.123Z host1 app 7 - - seq={i}\n".encode()
                                   for i in range(first, first + step)))
                time.sleep(0.05)

    @staticmethod
    def delivered(out):
        seqs = set()
        for line in read_lines(out):
            try:
                seqs.add(int(json.loads(line)["body"].split("seq=")[1]))
            except (ValueError, KeyError, IndexError):
                continue  # a line torn by kill -9
        return seqs

    def delivered_count(self, out):
        return len(self.delivered(out))


if __name__ == "__main__":
    unittest.main()
