"""End to end: the file channel as an operator meets it. A clean restart delivers nothing twice;
a full disk stops the sources (TCP senders wait) and says so in the log and in /metrics, and
everything resumes by itself when space returns; bad data directories are start-up errors."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_lines, run_sluice, wait_until  # noqa: E402


def config(port, data, out, extra=""):
    return f"""a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = syslogtcp
a1.sources.r1.host = 127.0.0.1
a1.sources.r1.port = {port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.dataDirs = {data}
a1.channels.c1.segmentSize = 1m
a1.channels.c1.byteCapacity = 64m
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out}
a1.sinks.k1.sink.rollInterval = 0
{extra}"""


def message(seq):
    return f"<134>1 2026-11-21T05:10:00.000Z host app 7 - - seq={seq} {'q' * 80}\n".encode()


def send(port, first, count):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.settimeout(300)
        for start in range(first, first + count, 500):
            s.sendall(b"".join(message(i) for i in range(start, min(start + 500, first + count))))


def seqs(out):
    return [int(line.split(b"seq=")[1].split(b" ")[0]) for line in read_lines(out)]


def can_mount():
    d = tempfile.mkdtemp()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", d])
    os.rmdir(d)
    return ok


class FileChannel(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="sluice-file-channel-")
        self.data = os.path.join(self.work, "data")
        self.out = os.path.join(self.work, "out")
        self.port = free_port()
        self.mounts = []

    def tearDown(self):
        for m in self.mounts:
            subprocess.run(["umount", "-l", m])
        shutil.rmtree(self.work, ignore_errors=True)

    def sluice(self, extra="", shards=2):
        return Sluice(config(self.port, self.data, self.out, extra), shards=shards,
                      workdir=tempfile.mkdtemp(dir=self.work))

    def test_clean_restart_repeats_nothing_and_continues(self):
        for durability in ("os", "fsync"):
            with self.subTest(durability=durability):
                shutil.rmtree(self.data, ignore_errors=True)
                shutil.rmtree(self.out, ignore_errors=True)
                extra = f"a1.channels.c1.durability = {durability}"
                with self.sluice(extra) as s:
                    send(self.port, 0, 20000)
                    s.wait_metric("sluice_sink_drained_events_total", 20000)
                    self.assertEqual(s.stop(), 0, s.stderr())
                with self.sluice(extra) as s:
                    self.assertEqual(s.metric("sluice_channel_recovered_undelivered_events"), 0)
                    send(self.port, 20000, 5000)
                    s.wait_metric("sluice_sink_drained_events_total", 5000)
                    self.assertEqual(s.stop(), 0, s.stderr())
                self.assertEqual(sorted(seqs(self.out)), list(range(25000)))

    @unittest.skipUnless(can_mount(), "needs root to mount a tmpfs (a disk that can fill up)")
    def test_full_disk_pushes_back_and_recovers_by_itself(self):
        os.makedirs(self.data)
        os.makedirs(self.out)
        # 3 MiB for the channel (1 MiB segments) and 256 KiB for the sink: both fill up fast.
        for path, size in ((self.data, "3m"), (self.out, "256k")):
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True)
            self.mounts.append(path)
        s = self.sluice("a1.channels.c1.durability = os", shards=1)
        with s:
            count = 100000  # ~13 MB: far more than both disks and the kernel's socket buffers
            done = threading.Event()
            threading.Thread(target=lambda: (send(self.port, 0, count), done.set()), daemon=True).start()
            s.wait_metric("sluice_channel_store_failing", 1, timeout_s=60)
            s.wait_metric("sluice_channel_store_errors_total", 1)
            s.wait_metric("sluice_source_backpressure_pauses_total", 1)
            wait_until(lambda: "No space left on device" in s.stderr(), 30, what="a log line about the disk",
                       details=s.diagnostics)
            time.sleep(1)
            self.assertFalse(done.is_set(), "the sender must be held back while the disk is full")
            for path in (self.data, self.out):
                subprocess.run(["mount", "-o", "remount,size=256m", path], check=True)
            self.assertTrue(done.wait(180), "the sender finishes once space returns")
            s.wait_metric("sluice_sink_drained_events_total", count, timeout_s=180)
            wait_until(lambda: s.metric("sluice_channel_store_failing") == 0, 30, what="the store to recover")
            self.assertIn("segments can be created again", s.stderr())
            self.assertEqual(s.stop(), 0, s.stderr())
        self.assertEqual(seqs(self.out), list(range(count)))

    def test_unwritable_data_directory_is_a_start_error(self):
        os.makedirs(self.work, exist_ok=True)
        with open(os.path.join(self.work, "not-a-dir"), "w") as f:
            f.write("x")
        self.data = os.path.join(self.work, "not-a-dir", "data")
        s = self.sluice()
        code, _, err = run_sluice(s.command()[1:])
        self.assertEqual(code, 1)
        self.assertIn("channel c1 shard 0: cannot create data directory", err)

    def test_incompatible_format_is_a_start_error(self):
        with self.sluice() as s:
            send(self.port, 0, 100)
            s.wait_metric("sluice_sink_drained_events_total", 100)
            self.assertEqual(s.stop(), 0)
        shard = os.path.join(self.data, "c1", "shard-0")
        [segment] = [f for f in os.listdir(shard) if f.startswith("seg-")]
        with open(os.path.join(shard, segment), "r+b") as f:
            f.seek(8)
            f.write((99).to_bytes(4, "little"))  # a future format version (its CRC is fixed below)
            f.seek(0)
            header = bytearray(f.read(60))
            f.seek(60)
            f.write(crc32c(bytes(header)).to_bytes(4, "little"))
        code, _, err = run_sluice(self.sluice().command()[1:])
        self.assertEqual(code, 1)
        self.assertIn("was written in segment format version 99, this sluice reads version 1", err)

    def test_fewer_shards_than_undelivered_data_is_a_start_error(self):
        # Everything delivered and checkpointed: fewer shards are fine.
        with self.sluice(shards=2) as s:
            for i in range(16):
                send(self.port, i * 100, 100)
            s.wait_metric("sluice_sink_drained_events_total", 1600)
            self.assertEqual(s.stop(), 0)
        with self.sluice(shards=1) as s:
            self.assertEqual(s.stop(), 0)
        # Killed before any checkpoint: shard 1's events are undelivered as far as it knows.
        extra = "a1.channels.c1.checkpointInterval = 600000"
        with self.sluice(extra, shards=2) as s:
            for i in range(16):  # 16 connections: the kernel spreads them over both shards
                send(self.port, i * 100, 100)
            s.wait_metric("sluice_sink_drained_events_total", 1600)
            s.process.kill()
            s.process.wait()
        code, _, err = run_sluice(self.sluice(extra, shards=1).command()[1:])
        self.assertEqual(code, 1)
        self.assertRegex(err, r"holds \d+ undelivered events of shard 1, but sluice runs 1 shard now: start it "
                              r"with --shards 2")


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


if __name__ == "__main__":
    unittest.main()
