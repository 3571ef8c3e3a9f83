"""End to end: the HTTP source with curl and raw sockets. Every status code a client can get
(200, 400, 404, 405, 408, 413, 415, 503), keep-alive and pipelining, gzip bodies, and what an
acknowledgement means: every event of every request answered 200 is delivered, after kill -9
and, for a channel in fsync mode, after a power cut."""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support import power_cut  # noqa: E402
from support.sluice_harness import Sluice, free_port, read_json_events, read_lines, wait_until  # noqa: E402


def config(port, out, channel="a1.channels.c1.type = memory", source_extra="", sink_dir=None):
    return f"""a1.sources = web
a1.channels = c1
a1.sinks = k1
a1.sources.web.type = http
a1.sources.web.bind = 127.0.0.1
a1.sources.web.port = {port}
a1.sources.web.channels = c1
{source_extra}
{channel}
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {sink_dir or out}
a1.sinks.k1.sink.serializer = json
a1.sinks.k1.sink.rollInterval = 0
"""


def curl(*args, data=None):
    p = subprocess.run(["curl", "-s", "-i", "--max-time", "30", *args], input=data, capture_output=True, timeout=60)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 1"):  # interim answers (100 Continue) come first
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    fields = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    return status, fields, body


def can_mount():
    d = tempfile.mkdtemp()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", d])
    os.rmdir(d)
    return ok


class HttpStatuses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.sluice = Sluice(None)
        cls.out = os.path.join(cls.sluice.workdir, "out")
        with open(cls.sluice.config_path, "w") as f:
            f.write(config(cls.port, cls.out, source_extra="""
a1.sources.web.maxBodyBytes = 4k
a1.sources.web.requestHeaders = X-Source
a1.sources.web.path = /events
a1.sources.web.requestTimeout = 1s
a1.sources.web.idleTimeout = 2s"""))
        cls.sluice.start()
        cls.url = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.sluice.__exit__(None, None, None)
        cls.sluice.cleanup()

    def post(self, body, content_type="application/json", path="/", *extra):
        return curl("-X", "POST", "-H", f"Content-Type: {content_type}", *extra, "--data-binary", "@-",
                    self.url + path, data=body)

    def events(self, at_least):
        return wait_until(lambda: len(read_json_events(self.out)) >= at_least and read_json_events(self.out), 30,
                          what=f"{at_least} events", details=self.sluice.diagnostics)

    def test_flume_json_ndjson_text_and_gzip(self):
        before = len(read_json_events(self.out))
        status, _, body = self.post(b'[{"headers":{"app":"a","timestamp":"1700000000000"},"body":"json \\u00e9"},'
                                    b'{"body":"two"}]', "application/json", "/", "-H", "X-Source: curl")
        self.assertEqual((status, body), (200, b""))
        status, _, _ = self.post(b'{"headers":{"n":"1"},"body":"nd one"}\n\n{"body":"nd two"}\n', "application/x-ndjson",
                                 "/events")
        self.assertEqual(status, 200)
        gz = subprocess.run(["gzip", "-c"], input=b"text one\r\ntext two\n", capture_output=True).stdout
        status, _, _ = self.post(gz, "text/plain; charset=utf-8", "/", "-H", "Content-Encoding: gzip")
        self.assertEqual(status, 200)
        events = self.events(before + 6)[before:]
        bodies = [e["body"] for e in events]
        self.assertEqual(bodies, ["json é", "two", "nd one", "nd two", "text one", "text two"])
        self.assertEqual(events[0]["headers"], {"timestamp": "1700000000000", "app": "a", "X-Source": "curl"})
        self.assertEqual(events[2]["headers"], {"n": "1"})

    def test_malformed_requests_store_nothing(self):
        before = self.sluice.metric("sluice_source_accepted_events_total")
        for body, fragment in ((b'[{"body":"ok"},{"body":', b"incomplete"), (b'[{"body":1}]', b"body"),
                               (b'{"headers":[1]}', b"headers"), (b'not json', b"JSON")):
            status, fields, reply = self.post(body)
            self.assertEqual(status, 400, reply)
            self.assertEqual(fields["content-type"], "application/json")
            self.assertIn(fragment, json.loads(reply)["error"].encode())
        self.assertEqual(self.sluice.metric("sluice_source_accepted_events_total"), before)

    def test_too_large_unknown_type_paths_and_methods(self):
        status, fields, reply = self.post(b'[{"body":"' + b"x" * 5000 + b'"}]')
        self.assertEqual(status, 413)
        self.assertIn("error", json.loads(reply))
        status, _, _ = self.post(b"x", "application/x-bogus")
        self.assertEqual(status, 415)
        status, _, _ = self.post(b"[]", "application/json", "/nowhere")
        self.assertEqual(status, 404)
        status, fields, _ = curl(self.url + "/")
        self.assertEqual((status, fields.get("allow")), (405, "POST"))
        status, _, body = curl(self.url + "/health")
        self.assertEqual((status, body), (200, b"ok\n"))
        status, _, _ = self.post(b'{"body":"x"}', "application/json", "/", "-H", "Content-Encoding: br")
        self.assertEqual(status, 415)

    def test_keep_alive_and_pipelining_answer_in_order(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        requests = b""
        for i, body in enumerate([b'[{"body":"p0"}]', b'garbage', b'[{"body":"p2"}]']):
            requests += (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                         str(len(body)).encode() + b"\r\n\r\n" + body)
        s.sendall(requests)
        data = b""
        while data.count(b"HTTP/1.1 ") < 3:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        statuses = [int(part.split(b" ", 1)[0]) for part in data.split(b"HTTP/1.1 ")[1:]]
        self.assertEqual(statuses, [200, 400, 200])
        # The connection is still usable.
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"200 OK", s.recv(65536))
        s.close()

    def test_slow_client_gets_408_and_idle_connections_close(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[{")
        reply = s.recv(65536)
        self.assertTrue(reply.startswith(b"HTTP/1.1 408"), reply)
        s.close()
        idle = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        started = time.monotonic()
        self.assertEqual(idle.recv(10), b"")  # closed by sluice
        self.assertGreater(time.monotonic() - started, 1.5)
        idle.close()

    def test_http_1_0_and_expect_continue(self):
        status, _, _ = curl("-0", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                            '[{"body":"old client"}]', self.url + "/")
        self.assertEqual(status, 200)
        big = json.dumps([{"body": "e" * 100}] * 10).encode()
        status, _, _ = curl("-X", "POST", "-H", "Content-Type: application/json", "-H", "Expect: 100-continue",
                            "--data-binary", "@-", self.url + "/", data=big)
        self.assertEqual(status, 200)


@unittest.skipUnless(can_mount(), "needs root to mount a tmpfs (a sink disk that fills up)")
class FullChannel(unittest.TestCase):
    def test_503_with_retry_after_when_the_channel_is_full_then_200(self):
        port = free_port()
        s = Sluice(None, shards=1)
        out = os.path.join(s.workdir, "out")
        os.makedirs(out)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", out], check=True)
        try:
            with open(s.config_path, "w") as f:
                f.write(config(port, out, channel="a1.channels.c1.type = memory\na1.channels.c1.byteCapacity = 256k"))
            with s:
                batch = json.dumps([{"body": "f" * 200}] * 50).encode()
                statuses = []
                for _ in range(200):
                    status, fields, body = curl("-X", "POST", "-H", "Content-Type: application/json",
                                                "--data-binary", "@-", f"http://127.0.0.1:{port}/", data=batch)
                    statuses.append(status)
                    if status == 503:
                        self.assertEqual(fields.get("retry-after"), "1")
                        self.assertIn("full", json.loads(body)["error"])
                        break
                self.assertEqual(statuses[-1], 503, "the channel should fill up")
                accepted = s.metric("sluice_source_accepted_events_total")
                self.assertEqual(accepted, 50 * (len(statuses) - 1), "a refused request stores nothing")
                subprocess.run(["mount", "-o", "remount,size=64m", out], check=True)
                wait_until(lambda: curl("-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                                        "@-", f"http://127.0.0.1:{port}/", data=batch)[0] == 200, 60,
                           interval_s=0.5, what="a 200 once the sink drains")
                self.assertEqual(s.stop(), 0, s.stderr())
        finally:
            subprocess.run(["umount", "-l", out])
            s.cleanup()


class Poster(threading.Thread):
    """Posts sequence-numbered batches over one keep-alive connection; remembers which were
    answered 200 (acknowledged)."""

    def __init__(self, port, conn, batch=20):
        super().__init__(daemon=True)
        self.port, self.conn, self.batch = port, conn, batch
        self.acked, self.next = [], 0
        self.stopping = threading.Event()

    def run(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            while not self.stopping.is_set() and self.next < 1_000_000:
                events = [{"headers": {"conn": str(self.conn), "seq": str(self.next + i)},
                           "body": f"conn={self.conn} seq={self.next + i}"} for i in range(self.batch)]
                c.request("POST", "/", json.dumps(events), {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    self.acked.extend(range(self.next, self.next + self.batch))
                self.next += self.batch
        except (OSError, http.client.HTTPException):
            pass

    def stop(self):
        self.stopping.set()
        self.join(15)


class AcknowledgedMeansStored(unittest.TestCase):
    rounds = 3

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="sluice-http-ack-")
        self.out = os.path.join(self.work, "out")
        self.port = free_port()
        self.acked = {}
        self.random = random.Random(int(os.environ.get("SLUICE_CRASH_SEED", time.time())))

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def rounds_then_verify(self, data, after_kill=lambda: None):
        channel = (f"a1.channels.c1.type = file\na1.channels.c1.dataDirs = {data}\n"
                   "a1.channels.c1.durability = fsync\na1.channels.c1.segmentSize = 1m\n"
                   "a1.channels.c1.byteCapacity = 64m")
        for r in range(self.rounds):
            s = Sluice(config(self.port, self.out, channel=channel), workdir=tempfile.mkdtemp(dir=self.work))
            s.start()
            posters = [Poster(self.port, r * 10 + i) for i in range(4)]
            for p in posters:
                p.start()
            time.sleep(self.random.uniform(0.7, 2.0))
            s.process.send_signal(signal.SIGKILL)
            s.process.wait()
            s.close_files()
            for p in posters:
                p.stop()
                self.acked[p.conn] = p.acked
            after_kill()
        s = Sluice(config(self.port, self.out, channel=channel), workdir=tempfile.mkdtemp(dir=self.work))
        with s:
            wait_until(lambda: s.metric("sluice_channel_size_events") == 0, 120, what="the channel to drain",
                       details=s.diagnostics)
            self.assertEqual(s.stop(), 0, s.stderr())
        delivered = {}
        for line in read_lines(self.out):
            try:
                e = json.loads(line)
            except ValueError:
                continue  # the sink's last line, torn by kill -9
            delivered.setdefault(int(e["headers"]["conn"]), set()).add(int(e["headers"]["seq"]))
        total = 0
        for conn, acked in self.acked.items():
            missing = set(acked) - delivered.get(conn, set())
            self.assertFalse(missing, f"conn {conn}: {len(missing)} acknowledged events never delivered, "
                                      f"e.g. {sorted(missing)[:5]}")
            total += len(acked)
        self.assertGreater(total, 200, "the test should have acknowledged real traffic")

    def test_kill9_rounds(self):
        self.rounds_then_verify(os.path.join(self.work, "data"))

    @unittest.skipUnless(power_cut.supported(), "needs root, loop devices, ext4 and vm sysctls")
    def test_power_cut_rounds(self):
        try:
            disk = power_cut.PowerCutDisk(self.work)
            disk.__enter__()
        except RuntimeError as e:
            self.skipTest(str(e))
        try:
            self.rounds_then_verify(os.path.join(disk.mount_point, "data"), after_kill=disk.cut)
        finally:
            disk.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
