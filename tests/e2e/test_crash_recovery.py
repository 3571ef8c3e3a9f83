"""End to end: the file channel survives crashes.

os mode: stream sequence-numbered syslog over several TCP connections into the real binary with
a file channel and a sink that keeps stalling (its disk is a small tmpfs that fills up), kill -9
the server at a random moment, restart it, and repeat. At the end everything drains. Checks:
every line the sink wrote is an intact event; per connection, the delivered sequence numbers
have no gaps (what the server read before the kill is a prefix of what was sent, and all of it
is delivered at least once); after every restart the channel holds every event it had published
before the kill.

fsync mode with a simulated power cut: the channel lives on an ext4 file system in a loop
device whose dirty pages are never written back on their own (vm.dirty_writeback_centisecs=0,
long expiry, ext4 commit=600). After kill -9 the loop device's backing file is copied: the copy
holds exactly what reached the "disk" (what sluice fdatasync'd, plus metadata the journal had
committed), not what was only in the page cache. The server restarts on the copy. Checks: every
event the channel had made durable (its published sequence in fsync mode) before the cut is
recovered, per shard; delivered output has no corruption and no gaps.

What the power-cut test cannot prove: a real disk's write cache and reordering (the loop
device writes through to the host page cache in order), torn sector writes, or firmware lying
about flushes. It proves that sluice makes events visible only after fdatasync returned and that
recovery copes with whatever a file system keeps after losing its page cache."""

import os
import random
import re
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
from support.sluice_harness import Sluice, free_port, parse_metrics, wait_until  # noqa: E402

LINE = re.compile(rb"^app 7 - - conn=(\d+) seq=(\d+) (p+)$")
PAD = 60


def message(conn, seq):
    return f"<134>1 2026-11-21T05:10:00.000Z crashhost app 7 - - conn={conn} seq={seq} {'p' * PAD}\n".encode()


class Sender(threading.Thread):
    """Streams messages with consecutive sequence numbers over one TCP connection until the
    server goes away or stop() is called; counts what it handed to the kernel."""

    def __init__(self, port, conn):
        super().__init__(daemon=True)
        self.port, self.conn, self.sent = port, conn, 0
        self.stopping = threading.Event()

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        except OSError:
            return
        s.settimeout(2)
        try:
            while not self.stopping.is_set() and self.sent < 2_000_000:
                chunk = b"".join(message(self.conn, self.sent + i) for i in range(200))
                s.sendall(chunk)
                self.sent += 200
        except OSError:
            pass
        finally:
            s.close()

    def stop(self):
        self.stopping.set()
        self.join(10)


def mount(*args):
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def read_output(directory):
    """(events by conn, torn lines): every complete line must be an intact event."""
    by_conn, torn = {}, 0
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1]:
            torn += 1  # the last line of a file cut by kill -9 mid-write (not the channel's doing)
        for line in lines[:-1]:
            m = LINE.match(line)
            if not m or len(m.group(3)) != PAD:
                raise AssertionError(f"corrupt event in {name}: {line[:200]!r}")
            by_conn.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    return by_conn, torn


def shard_sequences(sluice):
    seqs = {}
    for name, labels, value in parse_metrics(sluice.metrics_text()):
        if name == "sluice_channel_next_sequence":
            seqs[labels["shard"]] = int(value)
    return seqs


def config(port, data, out, durability):
    return f"""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = syslogtcp
a1.sources.r1.host = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {data}
a1.channels.c1.durability = {durability}
a1.channels.c1.segmentSize = 1m
a1.channels.c1.byteCapacity = 64m
a1.channels.c1.checkpointInterval = 200
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 500
"""


class CrashTest:
    """Shared by both modes: rounds of stream, crash, restart; then drain and verify."""

    rounds = 4
    durability = "os"

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="sluice-crash-")
        self.out = os.path.join(self.work, "out")
        os.makedirs(self.out)
        self.port = free_port()
        self.random = random.Random(int(os.environ.get("SLUICE_CRASH_SEED", time.time())))
        self.sent = {}
        self.mounted_out = False

    def tearDown(self):
        if self.mounted_out:
            subprocess.run(["umount", "-l", self.out])
        shutil.rmtree(self.work, ignore_errors=True)

    def start(self, data):
        s = Sluice(config(self.port, data, self.out, self.durability), workdir=tempfile.mkdtemp(dir=self.work))
        s.start()
        return s

    def stall_sink(self, size):
        """The sink's disk: a tmpfs that fills up, so the channel keeps a backlog."""
        if not self.mounted_out:
            self.mounted_out = mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", self.out)
        else:
            mount("-o", f"remount,size={size}", self.out)

    def crash_rounds(self, data, before_restart=lambda: None):
        grew = 512 * 1024
        for r in range(self.rounds):
            self.stall_sink(grew * (r + 1))
            sluice = self.start(data)
            if r > 0:
                recovered = shard_sequences(sluice)
                for shard, seq in self.published_before_crash.items():
                    self.assertGreaterEqual(
                        recovered.get(shard, 0), seq,
                        f"round {r}: shard {shard} recovered up to sequence {recovered.get(shard)} but had "
                        f"{'made durable' if self.durability == 'fsync' else 'published'} {seq} before the crash\n"
                        + sluice.stderr())
            senders = [Sender(self.port, r * 100 + i) for i in range(3)]
            for s in senders:
                s.start()
            time.sleep(self.random.uniform(0.5, 2.0))
            self.published_before_crash = shard_sequences(sluice)
            sluice.process.send_signal(signal.SIGKILL)
            sluice.process.wait()
            sluice.close_files()
            for s in senders:
                s.stop()
                self.sent[s.conn] = s.sent
            before_restart()
        # Final run: room for everything, drain, stop cleanly.
        self.stall_sink(256 * 1024 * 1024)
        sluice = self.start(data)
        wait_until(lambda: sluice.metric("sluice_channel_size_events") == 0, 180, what="the channel to drain",
                   details=sluice.diagnostics)
        self.assertEqual(sluice.stop(), 0, sluice.stderr())
        self.verify()
        return sluice

    def verify(self):
        by_conn, torn = read_output(self.out)
        self.assertLessEqual(torn, self.rounds, "at most one torn line per kill")
        delivered_total = 0
        for conn, sent in self.sent.items():
            seqs = by_conn.get(conn, set())
            if not seqs:
                continue
            top = max(seqs)
            self.assertLess(top, sent, f"conn {conn}: delivered more than was sent")
            missing = set(range(top + 1)) - seqs
            self.assertFalse(missing, f"conn {conn}: {len(missing)} events missing below {top}, "
                                      f"e.g. {sorted(missing)[:10]}")
            delivered_total += len(seqs)
        self.assertGreater(delivered_total, 1000, "the test should have moved real traffic")


@unittest.skipUnless(mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", tempfile.mkdtemp()) or False,
                     "needs root to mount a tmpfs")
class OsModeKill9(CrashTest, unittest.TestCase):
    durability = "os"

    def test_kill9_rounds_lose_nothing_published(self):
        data = os.path.join(self.work, "data")
        self.crash_rounds(data)


@unittest.skipUnless(power_cut.supported(), "needs root, loop devices, ext4 and vm sysctls")
class FsyncModePowerCut(CrashTest, unittest.TestCase):
    durability = "fsync"
    rounds = 3

    def test_power_cut_rounds_keep_every_durable_event(self):
        try:
            disk = power_cut.PowerCutDisk(self.work)
            disk.__enter__()
        except RuntimeError as e:
            self.skipTest(str(e))
        try:
            self.crash_rounds(os.path.join(disk.mount_point, "data"), before_restart=disk.cut)
        finally:
            disk.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
