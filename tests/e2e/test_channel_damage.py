"""End to end: a file channel whose segment file was damaged while sluice was down. The
events before the damage and in the later segments are delivered after a restart; the rest of
the damaged segment is kept in a quarantine file, said in the log and counted in /metrics,
and the process does not abort."""

import os
import re
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_lines, wait_until  # noqa: E402

EVENTS = 30000
SEQ = re.compile(rb"seq=(\d+) ")


def message(seq):
    return f"<134>1 2026-12-07T05:10:00.000Z host app 7 - - seq={seq} {'d' * 60}\n".encode()


def channel_config(port, data, sink_lines):
    return "\n".join([
        "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
        "a1.sources.r1.type = syslogtcp", "a1.sources.r1.host = 127.0.0.1", f"a1.sources.r1.port = {port}",
        "a1.sources.r1.channels = c1",
        "a1.channels.c1.type = file", f"a1.channels.c1.dataDirs = {data}", "a1.channels.c1.segmentSize = 1m",
        "a1.channels.c1.byteCapacity = 64m",
        "a1.sinks.k1.channel = c1"] + sink_lines) + "\n"


class DamagedSegment(unittest.TestCase):
    def test_later_segments_are_delivered_and_the_damaged_rest_is_quarantined(self):
        with tempfile.TemporaryDirectory(prefix="sluice-damage-") as d:
            data, out, port = os.path.join(d, "data"), os.path.join(d, "out"), free_port()
            # First run: the sink's peer is not there, so every event stays in the channel.
            stalled = ["a1.sinks.k1.type = avro", "a1.sinks.k1.hostname = 127.0.0.1", f"a1.sinks.k1.port = {free_port()}"]
            with Sluice(channel_config(port, data, stalled), shards=1, args=["--drain-timeout", "1"]) as s:
                with socket.create_connection(("127.0.0.1", port)) as c:
                    c.sendall(b"".join(message(i) for i in range(EVENTS)))
                s.wait_metric("sluice_channel_size_events", EVENTS, timeout_s=60)
                s.stop()
            shard = os.path.join(data, "c1", "shard-0")
            segments = sorted(f for f in os.listdir(shard) if f.endswith(".wal"))
            self.assertGreaterEqual(len(segments), 3, segments)
            # Damage the middle of the second segment (record headers and bodies alike).
            with open(os.path.join(shard, segments[1]), "r+b") as f:
                f.seek(512 * 1024)
                f.write(b"\xa5" * 4096)

            file_roll = ["a1.sinks.k1.type = file_roll", f"a1.sinks.k1.sink.directory = {out}",
                         "a1.sinks.k1.sink.rollInterval = 0"]
            with Sluice(channel_config(port, data, file_roll), shards=1) as s:
                self.assertGreaterEqual(s.metric("sluice_channel_corrupt_records_total"), 1)
                quarantined = s.metric("sluice_channel_quarantined_bytes_total")
                self.assertGreater(quarantined, 4096)
                wait_until(lambda: s.metric("sluice_channel_size_events") == 0, 60, what="the channel drained",
                           details=s.diagnostics)
                seqs = sorted(int(SEQ.search(l).group(1)) for l in read_lines(out))
                self.assertEqual(len(seqs), len(set(seqs)), "an event delivered twice")
                missing = sorted(set(range(EVENTS)) - set(seqs))
                self.assertTrue(missing, "the damage lost nothing?")
                # What is lost is one run inside the damaged segment; the third segment is all there.
                self.assertEqual(missing, list(range(missing[0], missing[-1] + 1)))
                self.assertIn(EVENTS - 1, seqs)
                self.assertGreater(missing[0], 0)
                files = os.listdir(os.path.join(shard, "quarantine"))
                self.assertEqual(len(files), 1)
                self.assertTrue(files[0].startswith(segments[1] + "."), files)
                self.assertEqual(os.path.getsize(os.path.join(shard, "quarantine", files[0])), quarantined)
                self.assertIn("quarantine", s.stderr())
                self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    unittest.main()
