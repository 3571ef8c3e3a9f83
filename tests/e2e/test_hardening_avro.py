"""End to end: the Avro source against hostile clients (issue 14), as raw sockets.

- A header key of 32767 bytes (the record format's limit) is stored; one of 32768 bytes is
  answered with an error (Flume's client raises it), nothing of that batch is stored, the
  connection and the process go on.
- Connections that send part of a large frame and stall: the shard's budget for partial frames
  (maxPartialBytesPerShard) refuses those that would pass it, frameTimeout closes the others,
  idleTimeout fires in the middle of a frame too; the memory comes back (the gauge
  sluice_source_partial_input_bytes returns to 0 and VmRSS falls back near where it was).
- Deflate bombs (a few KiB of zlib that inflate to 30 MiB frames): inflated a slice at a time
  against the budget, never whole.
- In both attacks a well-behaved client is answered promptly; the time is printed, not
  asserted beyond a generous bound (this runs on a sanitizer build).
"""

import os
import socket
import struct
import sys
import tempfile
import time
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_json_events, wait_until  # noqa: E402

FLUME_MD5 = bytes.fromhex("86aadae2c45474c0fe93ffd0f2350a65")
KEY_BYTES_MAX = 0x7FFF
MIB = 1 << 20
# A generous bound for "answered promptly" on a debug + ASan build on 2 shared cores; the time
# measured is printed.
PROMPT_S = 1.0


def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def avro_string(s):
    if isinstance(s, str):
        s = s.encode()
    return zigzag(len(s)) + s


def append_batch(events, handshake=True):
    """The payload of an appendBatch call; events are (headers dict, body bytes)."""
    out = bytearray()
    if handshake:
        # HandshakeRequest: clientHash, clientProtocol null, serverHash, meta null.
        out += FLUME_MD5 + b"\x00" + FLUME_MD5 + b"\x00"
    out += b"\x00" + avro_string("appendBatch")  # empty call metadata, message name
    if events:
        out += zigzag(len(events))
        for headers, body in events:
            if headers:
                out += zigzag(len(headers))
                for k, v in headers.items():
                    out += avro_string(k) + avro_string(v)
            out += b"\x00" + avro_string(body)
    out += b"\x00"
    return bytes(out)


def frame(serial, payload):
    return struct.pack(">iii", serial, 1, len(payload)) + payload


class Client:
    """One connection speaking Flume's Avro RPC: a handshake on the first call only."""

    def __init__(self, port, deflate=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, 15) if deflate else None
        self.inflater = zlib.decompressobj(15) if deflate else None
        self.pending = b""
        self.serial = 0
        self.established = False

    def send(self, data):
        if self.deflater:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def read_exact(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            if self.inflater:
                chunk = self.inflater.decompress(chunk)
            self.pending += chunk
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def call(self, events):
        """Returns "OK", "FAILED" or "ERROR <text>"."""
        self.serial += 1
        self.send(frame(self.serial, append_batch(events, handshake=not self.established)))
        serial, count = struct.unpack(">ii", self.read_exact(8))
        payload = b""
        for _ in range(count):
            (length,) = struct.unpack(">i", self.read_exact(4))
            payload += self.read_exact(length)
        assert serial == self.serial, (serial, self.serial)
        at = 0
        if not self.established:
            # HandshakeResponse BOTH: match 0, serverProtocol null, serverHash null, meta null.
            assert payload[:4] == b"\x00\x00\x00\x00", payload[:40]
            at = 4
            self.established = True
        assert payload[at] == 0, payload  # empty response metadata
        if payload[at + 1] == 0:
            return {0: "OK", 2: "FAILED", 4: "UNKNOWN"}[payload[at + 2]]
        # Error: union branch 0 (string), then the string.
        text_at = at + 3
        length = payload[text_at]  # zigzag; texts here are short
        shift, value, i = 0, 0, text_at
        while True:
            b = payload[i]
            value |= (b & 0x7F) << shift
            i += 1
            if not b & 0x80:
                break
            shift += 7
        del length
        n = value >> 1
        return "ERROR " + payload[i:i + n].decode(errors="replace")

    def timed_call(self, events):
        start = time.monotonic()
        status = self.call(events)
        return status, time.monotonic() - start

    def close(self):
        self.sock.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def closed_by_server(sock, timeout_s):
    sock.settimeout(timeout_s)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def config(port, out, extra=""):
    return f"""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
{extra}
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.serializer = JSON
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
"""


class AvroHardening(unittest.TestCase):
    def sluice(self, extra=""):
        self.port = free_port()
        self.out = tempfile.mkdtemp(prefix="sluice-avro-hard-out-")
        return Sluice(config(self.port, self.out, extra), shards=1)

    def metric(self, s, name, **labels):
        return s.metric(name, component="r1", **labels)

    def test_header_key_at_the_record_limit_is_stored_one_more_is_an_error(self):
        with self.sluice() as s:
            c = Client(self.port)
            self.assertEqual(c.call([({"k" * KEY_BYTES_MAX: "at-max"}, b"one")]), "OK")
            status = c.call([({"a": "b"}, b"not stored"), ({"k" * (KEY_BYTES_MAX + 1): "over"}, b"two")])
            self.assertTrue(status.startswith("ERROR "), status)
            self.assertIn("header key longer than 32767 bytes", status)
            # The same connection goes on; so does the process.
            self.assertEqual(c.call([({"x": "y"}, b"three")]), "OK")
            c.close()
            wait_until(lambda: len(read_json_events(self.out)) >= 2, 20, what="2 events in the sink")
            time.sleep(0.3)
            bodies = sorted(e["body"] for e in read_json_events(self.out))
            self.assertEqual(bodies, ["one", "three"])
            self.assertEqual(self.metric(s, "sluice_source_limit_rejections_total"), 1)
            self.assertIsNone(s.process.poll())

    def test_stalled_partial_frames_are_bounded_timed_out_and_given_back(self):
        budget = 64 * MIB
        with self.sluice(f"a1.sources.r1.frameTimeout = 2\na1.sources.r1.maxPartialBytesPerShard = {budget}") as s:
            good = Client(self.port)
            self.assertEqual(good.call([({}, b"warm")]), "OK")
            rss_before = rss_kib(s.process.pid)
            stalled = []
            for i in range(24):
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
                # One buffer of a declared 60 MiB frame, 4 MiB of it sent.
                sock.sendall(struct.pack(">iii", i, 1, 60 * MIB))
                try:
                    sock.sendall(b"\x00" * (4 * MIB))
                except (ConnectionResetError, BrokenPipeError):
                    pass  # refused: the budget was spent
                stalled.append(sock)
            wait_until(lambda: self.metric(s, "sluice_source_partial_input_bytes") > 32 * MIB, 20,
                       what="partial frames held", details=s.diagnostics)
            held = self.metric(s, "sluice_source_partial_input_bytes")
            self.assertLessEqual(held, budget)
            # 24 x 4 MiB cannot fit 64 MiB: some were refused as over the limit.
            s.wait_metric("sluice_source_limit_rejections_total", 1, timeout_s=20, component="r1")
            peak = rss_kib(s.process.pid)
            status, took = good.timed_call([({}, b"during the stall")])
            print(f"\nstall: good client answered {status} in {took * 1000:.1f} ms; partial bytes {held / MIB:.1f} MiB; "
                  f"RSS {rss_before // 1024} -> {peak // 1024} MiB", file=sys.stderr)
            self.assertEqual(status, "OK")
            self.assertLess(took, PROMPT_S)
            # frameTimeout (2 s, checked about once a second) closes every stalled connection.
            for sock in stalled:
                self.assertTrue(closed_by_server(sock, 10), "a stalled connection stayed open")
                sock.close()
            wait_until(lambda: self.metric(s, "sluice_source_partial_input_bytes") == 0, 10,
                       what="partial bytes given back", details=s.diagnostics)
            timed_out = self.metric(s, "sluice_source_timed_out_connections_total", reason="partial_input")
            refused = self.metric(s, "sluice_source_limit_rejections_total")
            self.assertGreaterEqual(timed_out, 1)
            self.assertEqual(timed_out + refused, 24, s.diagnostics())
            rss_after = rss_kib(s.process.pid)
            print(f"stall: {timed_out:g} timed out, {refused:g} refused; RSS after close {rss_after // 1024} MiB",
                  file=sys.stderr)
            # The partial frames lived in their own mappings: unmapped, they leave RSS at once (the
            # gauge above says so exactly). What stays is the shard's receive buffer ring, now
            # touched, and ASan's bookkeeping: a fixed cost, well under the 96 MiB the stalled
            # connections held.
            self.assertLess(rss_after, rss_before + 64 * 1024, f"RSS {rss_before} -> {peak} -> {rss_after} KiB")
            self.assertEqual(good.call([({}, b"after")]), "OK")
            good.close()
            self.assertIsNone(s.process.poll())

    def test_idle_timeout_fires_in_the_middle_of_a_frame(self):
        with self.sluice("a1.sources.r1.idleTimeout = 1\na1.sources.r1.frameTimeout = 0") as s:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
            sock.sendall(struct.pack(">iii", 1, 1, 1000) + b"\x00" * 100)
            self.assertTrue(closed_by_server(sock, 10))
            sock.close()
            self.assertEqual(self.metric(s, "sluice_source_timed_out_connections_total", reason="idle"), 1)
            self.assertEqual(self.metric(s, "sluice_source_partial_input_bytes"), 0)

    def test_deflate_bombs_are_inflated_against_the_budget(self):
        budget = 64 * MIB
        with self.sluice("a1.sources.r1.compression-type = deflate\n"
                         f"a1.sources.r1.maxPartialBytesPerShard = {budget}") as s:
            good = Client(self.port, deflate=True)
            self.assertEqual(good.call([({}, b"warm")]), "OK")
            rss_before = rss_kib(s.process.pid)
            # One frame of 30 MiB of zeros: a valid Netty header, then what inflates to the rest.
            z = zlib.compressobj(9, zlib.DEFLATED, 15)
            bomb = z.compress(struct.pack(">iii", 7, 1, 30 * MIB))
            zeros = b"\x00" * MIB
            for _ in range(30):
                bomb += z.compress(zeros)
            bomb += z.flush(zlib.Z_SYNC_FLUSH)
            self.assertLess(len(bomb), 64 * 1024)
            bombers = []
            for _ in range(20):
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
                sock.sendall(bomb)
                bombers.append(sock)
            worst = 0.0
            peak_held = 0
            peak_rss = rss_before
            for i in range(10):
                status, took = good.timed_call([({}, f"during {i}".encode())])
                self.assertEqual(status, "OK")
                worst = max(worst, took)
                peak_held = max(peak_held, self.metric(s, "sluice_source_partial_input_bytes"))
                peak_rss = max(peak_rss, rss_kib(s.process.pid))
            print(f"\nbomb: {len(bomb)} bytes each inflating to 30 MiB; good client worst {worst * 1000:.1f} ms; "
                  f"partial bytes peak seen {peak_held / MIB:.1f} MiB; RSS {rss_before // 1024} -> {peak_rss // 1024} MiB",
                  file=sys.stderr)
            self.assertLess(worst, PROMPT_S)
            self.assertLessEqual(peak_held, budget)
            # 20 x 30 MiB cannot fit a 64 MiB budget: refused as over the limit, not inflated.
            s.wait_metric("sluice_source_limit_rejections_total", 1, timeout_s=20, component="r1")
            for sock in bombers:
                sock.close()
            wait_until(lambda: self.metric(s, "sluice_source_partial_input_bytes") == 0, 10,
                       what="partial bytes given back", details=s.diagnostics)
            rss_after = rss_kib(s.process.pid)
            print(f"bomb: RSS after close {rss_after // 1024} MiB", file=sys.stderr)
            # Never the whole bombs (20 x 30 MiB = 600 MiB): at most the budget and some slack.
            self.assertLess(peak_rss, rss_before + (budget + 64 * MIB) // 1024)
            self.assertLess(rss_after, rss_before + 64 * 1024)
            self.assertEqual(good.call([({}, b"after")]), "OK")
            good.close()
            self.assertIsNone(s.process.poll())


if __name__ == "__main__":
    unittest.main()
