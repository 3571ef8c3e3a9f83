"""End to end: Flume's TAILDIR source (by its short and its class name) tailing real files into
a channel and a file_roll sink (JSON), checked on what the sink wrote.

- two file groups: static headers per group, the file and byte offset headers; a file name
  the pattern does not match as a whole is left alone; files created after start are found;
- lines: a last line without LF waits for its LF, CR before LF dropped, an over-long line cut
  into pieces with nothing lost;
- rotation by logrotate while a writer appends: `create` (the renamed file keeps its position,
  whether or not its new name matches), `copytruncate` (the truncated file starts again at 0; a
  copy whose name matches is recognised and not sent again), delete and recreate;
- kill -9 during writing and rotation with a file channel: nothing written is lost, and the
  duplicates (events whose position was not committed yet) are few;
- a Flume agent's position file is taken over; the position file sluice leaves at a clean stop;
- skipToEnd; a file group without its pattern is refused by --check with its line.

Every file lives under the test's temporary directory; the only network use is the admin port
on 127.0.0.1. logrotate (/usr/sbin/logrotate) runs with a config and a state file of the test's."""

import bisect
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, run_sluice, wait_until  # noqa: E402

LOGROTATE = "/usr/sbin/logrotate"
SOURCE = "tail"
WRITE_POS_INTERVAL_MS = 200
LINE = re.compile(r"^(\d{7}) seq line (x+)$")
PAD = 40


def prop(value):
    """A value as the properties file spells it: a backslash is written \\\\ (so the regex
    app\\.log is written app\\\\.log, as in a Flume agent's file)."""
    return value.replace("\\", "\\\\")


def numbered(seq):
    return f"{seq:07d} seq line {'x' * PAD}\n".encode()


def seq_of(body):
    m = LINE.match(body)
    if not m or len(m.group(2)) != PAD:
        raise AssertionError(f"not a line the test wrote: {body[:200]!r}")
    return int(m.group(1))


def taildir_config(out, position_file, groups, source_type="TAILDIR", source_extra=(), channel_lines=None,
                   sink_extra=()):
    """Agent a1: a TAILDIR source `tail` with the file groups {name: directory/regex}, a
    channel c1 (memory unless channel_lines say otherwise) and a JSON file_roll sink into out."""
    lines = ["a1.sources = tail", "a1.channels = c1", "a1.sinks = k1",
             f"a1.sources.tail.type = {source_type}", "a1.sources.tail.channels = c1",
             f"a1.sources.tail.filegroups = {' '.join(groups)}"]
    lines += [f"a1.sources.tail.filegroups.{name} = {prop(pattern)}" for name, pattern in groups.items()]
    lines += [f"a1.sources.tail.positionFile = {position_file}",
              f"a1.sources.tail.writePosInterval = {WRITE_POS_INTERVAL_MS}"]
    lines += [f"a1.sources.tail.{l}" for l in source_extra]
    lines += channel_lines or ["a1.channels.c1.type = memory"]
    lines += ["a1.sinks.k1.type = file_roll", "a1.sinks.k1.channel = c1", f"a1.sinks.k1.sink.directory = {out}",
              "a1.sinks.k1.sink.serializer = JSON", "a1.sinks.k1.sink.rollInterval = 0"]
    lines += [f"a1.sinks.k1.{l}" for l in sink_extra]
    return "\n".join(lines) + "\n"


def natural(name):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def read_events(directory):
    """(events, torn): the JSON events of every file_roll file in order; a file's last line
    without its newline (being written now, or cut by kill -9) is not an event but counted."""
    events, torn = [], 0
    if not os.path.isdir(directory):
        return events, torn
    for name in sorted(os.listdir(directory), key=natural):
        with open(os.path.join(directory, name), "rb") as f:
            parts = f.read().split(b"\n")
        if parts[-1]:
            torn += 1
        for raw in parts[:-1]:
            if raw:
                events.append(json.loads(raw))
    return events, torn


def bodies(directory):
    return [e["body"] for e in read_events(directory)[0]]


class Writer(threading.Thread):
    """Appends numbered lines to `path`, `chunk` lines per write(2) with a pause between writes,
    as a program logging with a buffer does. Like a program told to reopen its log after
    logrotate's `create`, it reopens the path when the path names another file (and keeps
    writing to the old one until the new one exists). `segments` records, per file written, the
    first sequence number it got: each file holds a contiguous run of numbers."""

    def __init__(self, path, total, chunk=100, pause_s=0.01, start=0):
        super().__init__(daemon=True)
        self.path, self.total, self.chunk, self.pause_s = path, total, chunk, pause_s
        self.next = start
        self.segments = []  # (first seq, inode)
        self.error = None
        self.started_at = self.ended_at = None

    def run(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            inode = os.fstat(fd).st_ino
            self.segments.append((self.next, inode))
            self.started_at = time.monotonic()
            while self.next < self.total:
                try:
                    if os.stat(self.path).st_ino != inode:
                        new_fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
                        os.close(fd)
                        fd, inode = new_fd, os.fstat(new_fd).st_ino
                        self.segments.append((self.next, inode))
                except FileNotFoundError:
                    pass  # renamed, not created again yet: keep writing to the old file
                n = min(self.chunk, self.total - self.next)
                data = b"".join(numbered(self.next + i) for i in range(n))
                while data:
                    data = data[os.write(fd, data):]
                self.next += n
                time.sleep(self.pause_s)
            self.ended_at = time.monotonic()
            os.close(fd)
        except Exception as e:  # reported by the test
            self.error = e

    def lines_per_second(self):
        end = self.ended_at or time.monotonic()
        return self.next / max(end - self.started_at, 1e-3)


class TaildirTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="sluice-taildir-")
        self.logs = os.path.join(self.work, "logs")
        self.out = os.path.join(self.work, "out")
        self.position_file = os.path.join(self.work, "state", "taildir_position.json")
        os.makedirs(self.logs)
        os.makedirs(os.path.dirname(self.position_file))
        self.running = []

    def tearDown(self):
        for s in self.running:
            if s.process and s.process.poll() is None:
                s.process.kill()
                s.process.wait()
            s.close_files()
        shutil.rmtree(self.work, ignore_errors=True)

    def start(self, config):
        sluice = Sluice(config, workdir=tempfile.mkdtemp(dir=self.work, prefix="run-"))
        self.running.append(sluice)
        return sluice.start()

    def kill9(self, sluice):
        sluice.process.send_signal(signal.SIGKILL)
        sluice.process.wait()
        sluice.close_files()

    def stop(self, sluice):
        self.assertEqual(sluice.stop(), 0, sluice.stderr()[-3000:])

    def write(self, path, data, mode="ab"):
        with open(path, mode) as f:
            f.write(data)

    def wait_bodies(self, sluice, count, timeout_s=30):
        return wait_until(lambda: len(bodies(self.out)) >= count and bodies(self.out), timeout_s,
                          interval_s=0.1, what=f"{count} events in {self.out}",
                          details=lambda: f"got {bodies(self.out)[:20]}\n" + sluice.diagnostics())

    def wait_seqs(self, sluice, total, timeout_s=60):
        """Waits until every number below total was delivered at least once."""
        def have_all():
            seen = {seq_of(b) for b in bodies(self.out)}
            return len(seen & set(range(total))) == total
        wait_until(have_all, timeout_s, interval_s=0.2, what=f"every line 0..{total - 1} delivered",
                   details=lambda: self.missing_report(total) + "\n" + sluice.diagnostics())

    def missing_report(self, total):
        seen = {seq_of(b) for b in bodies(self.out)}
        missing = sorted(set(range(total)) - seen)
        return f"{len(missing)} lines missing, first ones {missing[:20]}; log files: " + \
            ", ".join(f"{n} ({os.path.getsize(os.path.join(self.logs, n))} bytes)" for n in sorted(os.listdir(self.logs)))

    def metric(self, sluice, name):
        return sluice.metric(name, component=SOURCE)

    def logrotate(self, mode):
        """One forced logrotate run over logs/app.log with `mode` (create or copytruncate); its
        config and state file are outside the tailed directory."""
        conf = os.path.join(self.work, f"logrotate-{mode}.conf")
        if not os.path.exists(conf):
            with open(conf, "w") as f:
                f.write(f"{self.logs}/app.log {{\n  rotate 20\n  {mode}\n  nocompress\n  missingok\n}}\n")
        p = subprocess.run([LOGROTATE, "-f", "-s", os.path.join(self.work, "logrotate.state"), conf],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))

    def assert_exactly_once_in_order(self, total, segments, what, log=""):
        """Every number below total delivered once; within each file the writer wrote (a
        contiguous run of numbers), in the order written."""
        seqs = [seq_of(b) for b in bodies(self.out)]
        counts = {}
        for s in seqs:
            counts[s] = counts.get(s, 0) + 1
        dups = sorted(s for s, c in counts.items() if c > 1)
        missing = sorted(set(range(total)) - set(counts))
        extra = sorted(s for s in counts if s >= total)
        self.assertEqual((missing[:20], dups[:20], extra[:20]), ([], [], []),
                         f"{what}: {len(missing)} missing, {len(dups)} sent more than once, {len(extra)} never written "
                         f"(first ones of each shown); segments {segments}\n{log}")
        starts = [first for first, _ in segments]
        last_in_segment = {}
        for s in seqs:
            k = bisect.bisect_right(starts, s) - 1
            if k in last_in_segment:
                self.assertGreater(s, last_in_segment[k], f"{what}: line {s} delivered after line "
                                   f"{last_in_segment[k]} of the same file (segment {segments[k]})")
            last_in_segment[k] = s


class HeadersAndGroups(TaildirTest):
    def run_two_groups(self, source_type, file_key):
        d1, d2 = os.path.join(self.logs, "d1"), os.path.join(self.logs, "d2")
        os.makedirs(d1)
        os.makedirs(d2)
        app, other = os.path.join(d1, "app.log"), os.path.join(d2, "b.txt")
        # 10 characters and LF each; other contents in each file (identical files are the next test's)
        contents = {app: [f"line{i}.....\n".encode() for i in (1, 2, 3)],
                    other: [f"othr{i}-----\n".encode() for i in (1, 2, 3)]}
        self.write(app, b"".join(contents[app]))
        self.write(os.path.join(d1, "app.log.old"), b"not matched as a whole name\n")
        extra = ["headers.g1.origin = first", "headers.g1.tier = web", "headers.g2.origin = second",
                 "fileHeader = true", "byteOffsetHeader = true"]
        if file_key != "file":
            extra.append(f"fileHeaderKey = {file_key}")
        config = taildir_config(self.out, self.position_file, {"g1": d1 + r"/app\.log", "g2": d2 + r"/.*\.txt"},
                                source_type=source_type, source_extra=extra)
        sluice = self.start(config)
        self.wait_bodies(sluice, 3)
        self.write(other, b"".join(contents[other]))  # created after start: found by inotify or the rescan
        self.wait_bodies(sluice, 6)
        time.sleep(0.5)
        self.assertEqual(self.metric(sluice, "sluice_source_accepted_events_total"), 6, sluice.diagnostics())
        self.stop(sluice)
        events, torn = read_events(self.out)
        self.assertEqual(torn, 0)
        got = sorted(((e["headers"].get(file_key), e["body"]), e["headers"]) for e in events)
        want = []
        for path, group in ((app, {"origin": "first", "tier": "web"}), (other, {"origin": "second"})):
            for i, line in enumerate(contents[path]):
                headers = dict(group, **{file_key: path, "byteoffset": str(11 * i)})
                want.append(((path, line.decode().rstrip("\n")), headers))
        self.assertEqual(got, sorted(want))

    def test_two_groups_static_file_and_offset_headers(self):
        self.run_two_groups("TAILDIR", "file")

    def test_flume_class_name_and_file_header_key(self):
        self.run_two_groups("org.apache.flume.source.taildir.TaildirSource", "path")

    def test_identical_files_in_two_groups_are_both_sent(self):
        # Two services whose logs start alike (the same banner): a file of another group, in
        # another directory, is no copy of the first one, and its events carry its own group's
        # headers. Both files are new, so both are read from 0.
        d1, d2 = os.path.join(self.logs, "d1"), os.path.join(self.logs, "d2")
        os.makedirs(d1)
        os.makedirs(d2)
        banner = b"service starting\nlistening on 8080\n"
        self.write(os.path.join(d1, "a.log"), banner)
        config = taildir_config(self.out, self.position_file, {"g1": d1 + r"/.*\.log", "g2": d2 + r"/.*\.log"},
                                source_extra=["headers.g1.service = one", "headers.g2.service = two"])
        sluice = self.start(config)
        self.wait_bodies(sluice, 2)
        # Put in place whole (written under a name no group matches, then renamed), so that the
        # source never sees it empty.
        self.write(os.path.join(d2, ".b.tmp"), banner)
        os.rename(os.path.join(d2, ".b.tmp"), os.path.join(d2, "b.log"))
        self.wait_bodies(sluice, 4, timeout_s=10)
        time.sleep(0.5)
        self.stop(sluice)
        got = sorted((e["headers"].get("service"), e["body"]) for e in read_events(self.out)[0])
        self.assertEqual(got, [("one", "listening on 8080"), ("one", "service starting"),
                               ("two", "listening on 8080"), ("two", "service starting")])


class Lines(TaildirTest):
    def test_partial_last_line_waits_for_its_newline(self):
        app = os.path.join(self.logs, "app.log")
        self.write(app, b"first\n")
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log"}))
        self.wait_bodies(sluice, 1)
        self.write(app, b"abc")
        time.sleep(2)
        self.assertEqual(bodies(self.out), ["first"], "a line without its LF must not be sent early")
        self.write(app, b"def\n")
        self.wait_bodies(sluice, 2)
        self.write(app, b"crlf\r\n" + b"lone\rcr\n" + b"\n" + b"last\n")
        self.wait_bodies(sluice, 6)
        time.sleep(0.5)
        self.stop(sluice)
        self.assertEqual(bodies(self.out), ["first", "abcdef", "crlf", "lone\rcr", "", "last"])

    def test_over_long_line_is_cut_into_pieces_with_nothing_lost(self):
        app = os.path.join(self.logs, "app.log")
        long_line = "".join(chr(ord("a") + i % 26) for i in range(150000))
        self.write(app, b"before\n" + long_line.encode() + b"\nafter\n")
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log"},
                                           channel_lines=["a1.channels.c1.type = memory",
                                                          "a1.channels.c1.segmentSize = 1m"]))
        self.wait_bodies(sluice, 5)
        time.sleep(0.5)
        cut = self.metric(sluice, "sluice_source_taildir_cut_lines_total")
        self.stop(sluice)
        self.assertGreaterEqual(cut, 1, "the cut line is counted")
        got = bodies(self.out)
        self.assertEqual(got[0], "before")
        self.assertEqual(got[-1], "after")
        pieces = got[1:-1]
        self.assertEqual([len(p) for p in pieces], [65536, 65536, 150000 - 2 * 65536])
        self.assertEqual("".join(pieces), long_line)


class Rotation(TaildirTest):
    TOTAL = 20000

    def run_create_rotation(self, pattern):
        app = os.path.join(self.logs, "app.log")
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + "/" + pattern}))
        writer = Writer(app, self.TOTAL, chunk=100, pause_s=0.01)
        writer.start()
        for at in (5000, 10000, 15000):
            wait_until(lambda: writer.next >= at or writer.error, 30, what=f"the writer at line {at}")
            self.logrotate("create")
        writer.join(60)
        self.assertIsNone(writer.error)
        self.assertEqual(len(writer.segments), 4, f"the writer should have followed 3 rotations: {writer.segments}")
        self.wait_seqs(sluice, self.TOTAL)
        time.sleep(1.5)  # room for duplicates to show
        accepted = self.metric(sluice, "sluice_source_accepted_events_total")
        rotations = self.metric(sluice, "sluice_source_taildir_rotated_files_total")
        diagnostics = sluice.diagnostics()
        if pattern == r"app\.log":
            # app.log.1..3 do not match: each was read to its end, then let go.
            wait_until(lambda: self.metric(sluice, "sluice_source_taildir_open_files") == 1, 15,
                       what="the renamed files released (sluice_source_taildir_open_files == 1)", details=sluice.diagnostics)
        self.stop(sluice)
        self.assertEqual(read_events(self.out)[1], 0)
        self.assert_exactly_once_in_order(self.TOTAL, writer.segments, f"create rotation, pattern {pattern}",
                                          diagnostics)
        self.assertEqual(accepted, self.TOTAL, diagnostics)
        if pattern == r"app\.log":
            # The metric counts files that left their matching name; a rename to a name the
            # pattern matches is not one of those (the file is simply followed under its new name).
            self.assertGreaterEqual(rotations, 3, diagnostics)

    def test_create_rotation_renamed_file_not_matching(self):
        self.run_create_rotation(r"app\.log")

    def test_create_rotation_renamed_file_matching(self):
        self.run_create_rotation(r"app\.log.*")

    def run_copytruncate(self, pattern):
        app = os.path.join(self.logs, "app.log")
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + "/" + pattern}))
        # Bursts of different sizes: after a truncation the next burst may be longer or shorter
        # than what the file held before.
        bursts = [3000, 1000, 4000, 2000]
        total = 0
        writer = None
        for i, n in enumerate(bursts):
            if i:
                # During the pause: everything so far was read; copy, truncate, then a pause
                # before writing again (copytruncate loses lines written between its copy and its
                # truncation, whoever tails the file).
                self.wait_seqs(sluice, total)
                self.logrotate("copytruncate")
                self.assertEqual(os.path.getsize(app), 0)
                time.sleep(1.5)
            writer = Writer(app, total + n, chunk=100, pause_s=0.002, start=total)
            writer.start()
            writer.join(60)
            self.assertIsNone(writer.error)
            total += n
        self.wait_seqs(sluice, total)
        time.sleep(1.5)
        rotations = len(bursts) - 1
        truncations = self.metric(sluice, "sluice_source_taildir_truncated_files_total")
        copies = self.metric(sluice, "sluice_source_taildir_recognised_copies_total")
        diagnostics = sluice.diagnostics()
        self.stop(sluice)
        self.assertEqual(read_events(self.out)[1], 0)
        # One file throughout (copytruncate keeps the inode): one segment.
        self.assert_exactly_once_in_order(total, [(0, os.stat(app).st_ino)], f"copytruncate, pattern {pattern}",
                                          diagnostics)
        self.assertGreaterEqual(truncations, rotations, diagnostics)
        if pattern != r"app\.log":
            self.assertGreaterEqual(copies, rotations, diagnostics)

    def test_copytruncate_copy_not_matching(self):
        self.run_copytruncate(r"app\.log")

    def test_copytruncate_copy_matching_is_recognised(self):
        self.run_copytruncate(r"app\.log.*")

    def test_copy_seen_while_being_written_is_recognised(self):
        # What logrotate's copytruncate does (strace shows it): create app.log.1 with O_EXCL,
        # copy 8 KiB at a time, then ftruncate app.log. Here the copy is slow (a large log, a
        # busy disk): the source sees it empty, then partly written, and must still take it for
        # a copy and not send its lines again.
        app, copy = os.path.join(self.logs, "app.log"), os.path.join(self.logs, "app.log.1")
        first = 2000
        self.write(app, b"".join(numbered(i) for i in range(first)))
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log.*"}))
        self.wait_seqs(sluice, first)
        with open(app, "rb") as f:
            data = f.read()
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        time.sleep(0.5)
        for i in range(0, len(data), 8192):
            os.write(fd, data[i:i + 8192])
            time.sleep(0.02)
        os.close(fd)
        os.truncate(app, 0)
        time.sleep(1.5)
        writer = Writer(app, first + 500, chunk=100, pause_s=0.002, start=first)
        writer.start()
        writer.join(30)
        self.assertIsNone(writer.error)
        self.wait_seqs(sluice, first + 500)
        time.sleep(1.5)
        copies = self.metric(sluice, "sluice_source_taildir_recognised_copies_total")
        diagnostics = sluice.diagnostics()
        self.stop(sluice)
        self.assert_exactly_once_in_order(first + 500, [(0, os.stat(app).st_ino)], "slow copy, then truncate",
                                          diagnostics)
        self.assertGreaterEqual(copies, 1, diagnostics)

    def test_delete_and_recreate_is_read_from_the_start(self):
        app = os.path.join(self.logs, "app.log")
        self.write(app, b"old 1\nold 2\n")
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log"}))
        self.wait_bodies(sluice, 2)
        time.sleep(0.5)
        # Deleted and at once created again (possibly with the same inode number), longer than
        # the old file: the new file is read from 0.
        os.remove(app)
        self.write(app, b"new file, line one\nnew file, line two\n", mode="wb")
        self.wait_bodies(sluice, 4)
        time.sleep(1)
        self.stop(sluice)
        self.assertEqual(bodies(self.out), ["old 1", "old 2", "new file, line one", "new file, line two"])


class Kill9(TaildirTest):
    TOTAL = 40000
    CHECKPOINT_MS = 100
    BATCH = 100
    SINK_BATCH = 100

    def test_kill9_during_writing_and_rotation_loses_nothing(self):
        seed = int(os.environ.get("SLUICE_TAILDIR_SEED", time.time()))
        rnd = random.Random(seed)
        app = os.path.join(self.logs, "app.log")
        channel = ["a1.channels.c1.type = file", f"a1.channels.c1.dataDirs = {self.work}/channel-data",
                   f"a1.channels.c1.checkpointDir = {self.work}/channel-checkpoint",
                   "a1.channels.c1.segmentSize = 1m", "a1.channels.c1.byteCapacity = 64m",
                   f"a1.channels.c1.checkpointInterval = {self.CHECKPOINT_MS}"]
        config = taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log.*"},
                                source_extra=[f"batchSize = {self.BATCH}"], channel_lines=channel,
                                sink_extra=[f"sink.batchSize = {self.SINK_BATCH}"])
        sluice = self.start(config)
        writer = Writer(app, self.TOTAL, chunk=50, pause_s=0.01)
        writer.start()

        def at(line):
            wait_until(lambda: writer.next >= line or writer.error, 60, what=f"the writer at line {line}")

        kills = 0
        restarted_at = time.monotonic()

        def settle():
            # A restarted source first catches up with what was written while it was down, and
            # all of that is uncommitted until its next position write: a kill during the
            # catch-up would re-send more than the steady-state bound below. Kill in steady state.
            time.sleep(max(0.0, restarted_at + 1.0 - time.monotonic()))

        def kill_and_restart(before_restart=lambda: None):
            nonlocal sluice, kills, restarted_at
            self.kill9(sluice)
            kills += 1
            before_restart()
            time.sleep(rnd.uniform(0.2, 0.8))  # the writer goes on while sluice is down
            sluice = self.start(config)
            restarted_at = time.monotonic()

        at(4000)
        self.logrotate("create")
        at(rnd.randrange(7000, 11000))
        settle()
        kill_and_restart()  # anywhere in the writing
        at(14000)
        settle()
        self.logrotate("create")
        kill_and_restart()  # just after a rotation, before the source may have seen it
        at(rnd.randrange(20000, 24000))
        settle()
        kill_and_restart(lambda: self.logrotate("create"))  # a rotation while sluice is down
        writer.join(120)
        self.assertIsNone(writer.error)
        rate = writer.lines_per_second()
        self.wait_seqs(sluice, self.TOTAL, timeout_s=90)
        time.sleep(1.5)
        self.stop(sluice)

        events, torn = read_events(self.out)
        self.assertLessEqual(torn, kills, "at most one line cut by each kill -9 (the sink's, redelivered)")
        seqs = [seq_of(e["body"]) for e in events]
        self.assertEqual(sorted(set(seqs)), list(range(self.TOTAL)), self.missing_report(self.TOTAL))
        duplicates = len(seqs) - self.TOTAL
        # file_roll starts a file per run: the duplicates each restart brought.
        per_restart, seen = [], set()
        for name in sorted(os.listdir(self.out), key=natural):
            with open(os.path.join(self.out, name), "rb") as f:
                run = [seq_of(json.loads(raw)["body"]) for raw in f.read().split(b"\n")[:-1] if raw]
            per_restart.append(len(run) - len(set(run) - seen))
            seen.update(run)
        # Re-read after a kill: what was read since the last position write, plus a batch; the
        # file channel redelivers what the sink wrote since its last checkpoint, plus a batch.
        # 100 ms more for what is read but not durable yet when a position is written (the
        # channel's group commit) and for scheduling: measured, a restart re-reads up to ~240 ms
        # of writing and redelivers ~100 ms.
        window_s = (WRITE_POS_INTERVAL_MS + self.CHECKPOINT_MS + 100) / 1000
        bound = kills * int(rate * window_s + self.BATCH + self.SINK_BATCH)
        sys.stderr.write(f"\n  kill -9 x{kills} (seed {seed}): {self.TOTAL} lines at {rate:.0f} lines/s, "
                         f"{duplicates} duplicates (bound {bound}; per run {per_restart}), {len(writer.segments) - 1} "
                         f"rotations followed by the writer\n")
        self.assertLessEqual(duplicates, bound, f"seed {seed}: too many duplicates")


class PositionFile(TaildirTest):
    def test_flume_position_file_is_taken_over(self):
        app, other = os.path.join(self.logs, "app.log"), os.path.join(self.logs, "other.log")
        lines = [f"line {i}\n".encode() for i in range(1, 6)]
        self.write(app, b"".join(lines))
        self.write(other, b"other 1\nother 2\n")  # not in the position file: read from 0
        pos = len(b"".join(lines[:3]))
        inode = os.stat(app).st_ino
        with open(self.position_file, "w") as f:  # as a Flume agent writes it: no fingerprint
            f.write(json.dumps([{"inode": inode, "pos": pos, "file": app}], separators=(",", ":")))
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + r"/.*\.log"}))
        self.wait_bodies(sluice, 4)
        time.sleep(1)
        self.stop(sluice)
        got = bodies(self.out)
        self.assertEqual(sorted(got), ["line 4", "line 5", "other 1", "other 2"])
        self.assertEqual([b for b in got if b.startswith("line")], ["line 4", "line 5"])
        with open(self.position_file) as f:
            positions = json.load(f)
        by_inode = {p["inode"]: p for p in positions}
        self.assertIn(inode, by_inode, positions)
        self.assertEqual((by_inode[inode]["pos"], by_inode[inode]["file"]), (os.path.getsize(app), app))
        other_inode = os.stat(other).st_ino
        self.assertIn(other_inode, by_inode, positions)
        self.assertEqual((by_inode[other_inode]["pos"], by_inode[other_inode]["file"]),
                         (os.path.getsize(other), other))
        for p in positions:
            if "fingerprint" in p:
                self.assertRegex(p["fingerprint"], r"^\d+:[0-9a-f]{8}$")

    def test_skip_to_end_starts_unknown_files_at_their_end(self):
        app = os.path.join(self.logs, "app.log")
        self.write(app, b"written before the first start\n")
        sluice = self.start(taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log"},
                                           source_extra=["skipToEnd = true"]))
        time.sleep(1.5)
        self.write(app, b"written after\n")
        self.wait_bodies(sluice, 1)
        time.sleep(0.5)
        self.stop(sluice)
        self.assertEqual(bodies(self.out), ["written after"])


class BadConfig(TaildirTest):
    def test_good_config_passes_check(self):
        for source_type in ("TAILDIR", "org.apache.flume.source.taildir.TaildirSource"):
            config = taildir_config(self.out, self.position_file, {"g": self.logs + r"/app\.log"},
                                    source_type=source_type)
            path = os.path.join(self.work, "good.conf")
            with open(path, "w") as f:
                f.write(config)
            code, _, err = run_sluice(["-f", path, "-n", "a1", "--check"])
            self.assertEqual(code, 0, f"{source_type}: {err}")

    def test_file_group_without_its_pattern_is_refused_with_its_line(self):
        config = taildir_config(self.out, self.position_file, {"g1": self.logs + r"/app\.log"})
        config = config.replace("a1.sources.tail.filegroups = g1", "a1.sources.tail.filegroups = g1 g2")
        path = os.path.join(self.work, "bad.conf")
        with open(path, "w") as f:
            f.write(config)
        code, _, err = run_sluice(["-f", path, "-n", "a1", "--check"])
        self.assertEqual(code, 2, err)
        line = config.splitlines().index("a1.sources.tail.filegroups = g1 g2") + 1
        self.assertIn(f"line {line}: a1.sources.tail.filegroups", err)
        self.assertIn("g2", err)


if __name__ == "__main__":
    unittest.main()
