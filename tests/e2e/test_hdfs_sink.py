"""End to end: the HDFS sink, webhdfs:// against the WebHDFS test server
(tests/support/webhdfs_server.py, which follows Hadoop 3's REST API) and file:// against a
temporary directory. Events come in over syslog TCP and HTTP; files are read back with real
tools: zcat, zstdcat, and python3-avro for Avro containers.

Bucketing by time and header, rolling by count, size, interval and idleness, the in-use suffix
and the rename on close; name node errors and timeouts mid-file, a data node that drops an
upload halfway; kill -9 while files are open: after a restart nothing is lost, nothing is left
in use, no event is torn."""

import glob
import json
import os
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
from support.sluice_harness import Sluice, free_port, wait_until  # noqa: E402
from support.webhdfs_server import WebHdfsServer  # noqa: E402

AVRO_DUMP = os.path.join(os.path.dirname(__file__), "..", "support", "avro_container_dump.py")
# 2026-11-21T05:10:00.123Z
TS_MS = 1795237800123


def config(path, sources="tcp", sink_extra="", channel="a1.channels.c1.type = memory", tcp_port=None,
           http_port=None):
    lines = [f"a1.sources = {sources}", "a1.channels = c1", "a1.sinks = k1", channel]
    if tcp_port:
        lines += ["a1.sources.tcp.type = syslogtcp", "a1.sources.tcp.host = 127.0.0.1",
                  f"a1.sources.tcp.port = {tcp_port}", "a1.sources.tcp.channels = c1"]
    if http_port:
        lines += ["a1.sources.web.type = http", "a1.sources.web.bind = 127.0.0.1",
                  f"a1.sources.web.port = {http_port}", "a1.sources.web.channels = c1"]
    lines += ["a1.sinks.k1.type = hdfs", "a1.sinks.k1.channel = c1", f"a1.sinks.k1.hdfs.path = {path}",
              "a1.sinks.k1.hdfs.filePrefix = events", "a1.sinks.k1.hdfs.timeZone = UTC",
              "a1.sinks.k1.hdfs.rollCount = 0", "a1.sinks.k1.hdfs.rollSize = 0", "a1.sinks.k1.hdfs.rollInterval = 0",
              "a1.sinks.k1.hdfs.stateDir = ./state"]
    # sink_extra overrides the defaults above (sluice refuses a key set twice).
    extra = [l.strip() for l in sink_extra.strip().splitlines() if l.strip()]
    overridden = {l.split("=", 1)[0].strip() for l in extra}
    lines = [l for l in lines if l.split("=", 1)[0].strip() not in overridden] + extra
    return "\n".join(lines) + "\n"


def syslog_lines(first, count, host="host1", app="app"):
    return b"".join(f"<134>1 2026-11-21T05:10:00.123Z {host} {app} 7 - - seq={i}\n".encode()
                    for i in range(first, first + count))


def send_tcp(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)


def post(port, events):
    body = json.dumps(events).encode()
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "-H",
                        "Content-Type: application/json", "--data-binary", "@-", f"http://127.0.0.1:{port}/"],
                       input=body, capture_output=True, timeout=60)
    return int(p.stdout or 0)


def files_under(root):
    """Relative path -> bytes, for every file under root."""
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            full = os.path.join(dirpath, n)
            with open(full, "rb") as f:
                out[os.path.relpath(full, root)] = f.read()
    return out


def seqs_in_text(data):
    """The seq= numbers of every complete line; raises on a torn line."""
    seqs = []
    for line in data.decode().split("\n"):
        if not line:
            continue
        if "seq=" not in line:
            raise AssertionError(f"a line that is not a whole event: {line!r}")
        seqs.append(int(line.rsplit("seq=", 1)[1]))
    return seqs


class FileScheme(unittest.TestCase):
    """file:// into a temporary directory, bucketed by host and day."""

    def test_bucketing_rolling_and_rename(self):
        work = tempfile.mkdtemp(prefix="sluice-hdfs-file-")
        out = os.path.join(work, "out")
        port = free_port()
        s = Sluice(config(f"file://{out}/%{{host}}/%Y-%m-%d", tcp_port=port,
                          sink_extra="a1.sinks.k1.hdfs.rollCount = 100"), workdir=work)
        with s:
            send_tcp(port, syslog_lines(0, 250, host="alpha") + syslog_lines(250, 50, host="beta"))
            s.wait_metric("sluice_sink_hdfs_written_events_total", 300)
            while_open = files_under(out)
            self.assertTrue(any(n.endswith(".tmp") for n in while_open), while_open.keys())
            self.assertEqual(s.stop(), 0, s.stderr())
        written = files_under(out)
        self.assertFalse([n for n in written if n.endswith(".tmp")], "a clean stop leaves no file in use")
        alpha = sorted(n for n in written if n.startswith("alpha/2026-11-21/events."))
        beta = [n for n in written if n.startswith("beta/2026-11-21/events.")]
        self.assertEqual(len(alpha), 3, written.keys())  # 100 + 100 + 50
        self.assertEqual(len(beta), 1)
        self.assertEqual([len(seqs_in_text(written[n])) for n in alpha], [100, 100, 50])
        all_seqs = sorted(q for n in written for q in seqs_in_text(written[n]))
        self.assertEqual(all_seqs, list(range(300)))
        shutil.rmtree(work, ignore_errors=True)

    def test_time_buckets_roll_size_and_max_open_files(self):
        work = tempfile.mkdtemp(prefix="sluice-hdfs-file-")
        out = os.path.join(work, "out")
        port = free_port()
        # Bodies are "app 7 - - seq=N" (15-16 bytes): 60 bytes roll a file after four events. One
        # file open at a time: host b's first event closes a's last file (maxOpenFiles).
        s = Sluice(config(f"file://{out}/%Y%m%d/%H", tcp_port=port,
                          sink_extra="a1.sinks.k1.hdfs.filePrefix = %{host}\na1.sinks.k1.hdfs.rollSize = 60\n"
                                     "a1.sinks.k1.hdfs.maxOpenFiles = 1"), workdir=work)
        with s:
            early = syslog_lines(0, 42, host="a")
            late = b"".join(f"<134>1 2026-11-21T06:59:59.999Z b app 7 - - seq={i}\n".encode() for i in range(42, 80))
            send_tcp(port, early + late)
            s.wait_metric("sluice_sink_hdfs_written_events_total", 80)
            self.assertGreaterEqual(s.metric("sluice_sink_hdfs_rolls_total", reason="size"), 18)
            self.assertEqual(s.metric("sluice_sink_hdfs_rolls_total", reason="max_open_files"), 1)
            self.assertEqual(s.stop(), 0, s.stderr())
        written = files_under(out)
        self.assertFalse([n for n in written if n.endswith(".tmp")])
        self.assertTrue(all(n.startswith(("20261121/05/a.", "20261121/06/b.")) for n in written), written.keys())
        for name, data in written.items():  # rolled once 60 bytes of bodies are in
            self.assertLessEqual(len(seqs_in_text(data)), 4, f"{name} rolled late")
        self.assertEqual(sorted(q for d in written.values() for q in seqs_in_text(d)), list(range(80)))
        shutil.rmtree(work, ignore_errors=True)

    def test_missing_timestamp_is_counted_not_stalling(self):
        work = tempfile.mkdtemp(prefix="sluice-hdfs-file-")
        out = os.path.join(work, "out")
        port = free_port()
        s = Sluice(config(f"file://{out}/%Y", sources="web", http_port=port), workdir=work)
        with s:
            self.assertEqual(post(port, [{"body": "no time"},
                                         {"headers": {"timestamp": str(TS_MS)}, "body": "has time"}]), 200)
            s.wait_metric("sluice_sink_hdfs_unplaceable_events_total", 1)
            s.wait_metric("sluice_sink_rejected_events_total", 1)
            s.wait_metric("sluice_sink_hdfs_written_events_total", 1)
            self.assertIn("an event cannot be written (dropped)", s.stderr())
            self.assertEqual(s.stop(), 0, s.stderr())
        written = files_under(out)
        self.assertEqual(list(written.values()), [b"has time\n"])
        self.assertTrue(list(written)[0].startswith("2026/events."))
        shutil.rmtree(work, ignore_errors=True)


class WebHdfs(unittest.TestCase):
    """webhdfs:// against the test server; formats read back with real tools."""

    def run_http(self, hdfs, sink_extra, events, path="/logs/%{app}"):
        work = tempfile.mkdtemp(prefix="sluice-hdfs-web-")
        port = free_port()
        s = Sluice(config(f"webhdfs://{hdfs.namenode}{path}", sources="web", http_port=port,
                          sink_extra=sink_extra), workdir=work)
        with s:
            for i in range(0, len(events), 100):
                self.assertEqual(post(port, events[i:i + 100]), 200)
            s.wait_metric("sluice_sink_hdfs_written_events_total", len(events))
            self.assertEqual(s.stop(), 0, s.stderr())
            log = s.stderr()
        shutil.rmtree(work, ignore_errors=True)
        return log

    @staticmethod
    def http_events(n, app="web"):
        return [{"headers": {"app": app, "seq": str(i), "timestamp": str(TS_MS)}, "body": f"event seq={i}"}
                for i in range(n)]

    def test_text_with_user_and_rename(self):
        with WebHdfsServer(require_user="flume") as hdfs:
            self.run_http(hdfs, "a1.sinks.k1.hdfs.user = flume\na1.sinks.k1.hdfs.rollCount = 150",
                          self.http_events(400))
            names = sorted(os.listdir(hdfs.local_path("/logs/web")))
            self.assertEqual(len(names), 3, names)
            self.assertFalse([n for n in names if n.endswith(".tmp")])
            seqs = []
            for n in names:
                seqs += seqs_in_text(hdfs.read(f"/logs/web/{n}"))
                self.assertEqual(hdfs.status(f"/logs/web/{n}")["owner"], "flume")
            self.assertEqual(sorted(seqs), list(range(400)))
            ops = {e["op"] for e in hdfs.log() if e.get("op")}
            self.assertTrue({"MKDIRS", "CREATE", "APPEND", "RENAME"} <= ops, ops)

    def test_gzip_and_zstd_read_back_with_zcat_and_zstdcat(self):
        for codec, tool, ext in (("gzip", "zcat", ".gz"), ("zstd", "zstdcat", ".zst")):
            with WebHdfsServer() as hdfs:
                self.run_http(hdfs, f"a1.sinks.k1.hdfs.fileType = CompressedStream\na1.sinks.k1.hdfs.codeC = {codec}",
                              self.http_events(300))
                names = os.listdir(hdfs.local_path("/logs/web"))
                self.assertEqual(len(names), 1)
                self.assertTrue(names[0].endswith(ext), names)
                p = subprocess.run([tool, hdfs.local_path(f"/logs/web/{names[0]}")], capture_output=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(sorted(seqs_in_text(p.stdout)), list(range(300)))

    def test_avro_read_back_with_python_avro(self):
        with WebHdfsServer() as hdfs:
            events = self.http_events(250)
            events[7]["headers"]["k\u00e9y"] = "v\u00e4lue"
            self.run_http(hdfs, "a1.sinks.k1.serializer = avro_event\n"
                                "a1.sinks.k1.serializer.compressionCodec = deflate\n"
                                "a1.sinks.k1.hdfs.fileSuffix = .avro", events)
            names = os.listdir(hdfs.local_path("/logs/web"))
            self.assertEqual(len(names), 1)
            self.assertTrue(names[0].endswith(".avro"), names)
            p = subprocess.run(["/usr/bin/python3", AVRO_DUMP, hdfs.local_path(f"/logs/web/{names[0]}")],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = [json.loads(l) for l in p.stdout.splitlines()]
            self.assertEqual(lines[0]["codec"], "deflate")
            records = lines[1:]
            self.assertEqual(len(records), 250)
            by_seq = {int(r["headers"]["seq"]): r for r in records}
            self.assertEqual(sorted(by_seq), list(range(250)))
            self.assertEqual(bytes.fromhex(by_seq[7]["body_hex"]).decode(), "event seq=7")
            self.assertEqual(by_seq[7]["headers"]["k\u00e9y"], "v\u00e4lue")
            self.assertEqual(by_seq[7]["headers"]["timestamp"], str(TS_MS))

    def test_roll_interval_and_idle_timeout(self):
        with WebHdfsServer() as hdfs:
            work = tempfile.mkdtemp(prefix="sluice-hdfs-web-")
            port = free_port()
            s = Sluice(config(f"webhdfs://{hdfs.namenode}/logs/%{{app}}", sources="web", http_port=port,
                              sink_extra="a1.sinks.k1.hdfs.rollInterval = 2\na1.sinks.k1.hdfs.idleTimeout = 1"),
                       workdir=work)
            with s:
                self.assertEqual(post(port, self.http_events(5, app="busy")), 200)
                self.assertEqual(post(port, self.http_events(5, app="quiet")), 200)
                s.wait_metric("sluice_sink_hdfs_written_events_total", 10)
                # Closed by idleTimeout (1 s) well before anything else could close them.
                wait_until(lambda: s.metric("sluice_sink_hdfs_closed_files_total") >= 2, 20, what="idle closes",
                           details=s.diagnostics)
                self.assertEqual(s.metric("sluice_sink_hdfs_rolls_total", reason="idle"), 2)
                for app in ("busy", "quiet"):
                    names = os.listdir(hdfs.local_path(f"/logs/{app}"))
                    self.assertEqual(len(names), 1)
                    self.assertFalse(names[0].endswith(".tmp"))
                # A file that keeps getting events is closed by rollInterval.
                deadline = time.monotonic() + 20
                while s.metric("sluice_sink_hdfs_rolls_total", reason="interval") < 1 and time.monotonic() < deadline:
                    self.assertEqual(post(port, self.http_events(1, app="steady")), 200)
                    time.sleep(0.3)
                self.assertGreaterEqual(s.metric("sluice_sink_hdfs_rolls_total", reason="interval"), 1)
                self.assertEqual(s.stop(), 0, s.stderr())
            shutil.rmtree(work, ignore_errors=True)

    def test_name_node_errors_and_a_torn_upload_lose_nothing(self):
        with WebHdfsServer() as hdfs:
            work = tempfile.mkdtemp(prefix="sluice-hdfs-web-")
            port = free_port()
            s = Sluice(config(f"webhdfs://{hdfs.namenode}/logs/%{{app}}", sources="web", http_port=port,
                              sink_extra="a1.sinks.k1.hdfs.callTimeout = 1000"), workdir=work)
            with s:
                self.assertEqual(post(port, self.http_events(100)[:50]), 200)
                s.wait_metric("sluice_sink_hdfs_written_events_total", 50)
                hdfs.faults({"node": "namenode", "op": "APPEND", "action": "error", "exception": "RetriableException",
                             "message": "Name node is in safe mode", "count": 2},
                            {"node": "datanode", "op": "APPEND", "action": "drop", "when": "mid", "after_bytes": 20,
                             "count": 1},
                            {"node": "namenode", "op": "APPEND", "action": "hang", "hang_ms": 5000, "count": 1,
                             "skip": 3})
                events = self.http_events(100)[50:]
                self.assertEqual(post(port, events[:25]), 200)
                self.assertEqual(post(port, events[25:]), 200)
                s.wait_metric("sluice_sink_hdfs_written_events_total", 100, timeout_s=90)
                self.assertGreaterEqual(s.metric("sluice_sink_hdfs_errors_total", kind="remote"), 2)
                self.assertIn("RetriableException", s.stderr())
                self.assertEqual(s.stop(), 0, s.stderr())
            names = os.listdir(hdfs.local_path("/logs/web"))
            self.assertEqual(len(names), 1)
            seqs = seqs_in_text(hdfs.read(f"/logs/web/{names[0]}"))
            self.assertEqual(sorted(seqs), list(range(100)), "every event once, none torn")
            shutil.rmtree(work, ignore_errors=True)


class KillNine(unittest.TestCase):
    """kill -9 while files are open, then restart: nothing lost, nothing in use, nothing torn."""

    rounds = 3

    def test_kill9_rounds_webhdfs(self):
        with WebHdfsServer() as hdfs:
            self.kill9_rounds(f"webhdfs://{hdfs.namenode}/logs/%{{host}}", hdfs.local_path("/logs"))

    def test_kill9_rounds_file(self):
        # file:// writes whole blocks with O_DIRECT and the partial last block through the page
        # cache: after kill -9 both must hold what was acknowledged.
        out = tempfile.mkdtemp(prefix="sluice-hdfs-kill-out-")
        self.kill9_rounds(f"file://{out}/logs/%{{host}}", os.path.join(out, "logs"))
        shutil.rmtree(out, ignore_errors=True)

    def kill9_rounds(self, path_uri, logs_dir):
        work = tempfile.mkdtemp(prefix="sluice-hdfs-kill-")
        port = free_port()
        conf = config(path_uri, tcp_port=port,
                      channel=f"a1.channels.c1.type = file\na1.channels.c1.dataDirs = {work}/data\n"
                              "a1.channels.c1.durability = os\na1.channels.c1.segmentSize = 1m",
                      # 2777 events per file: never a multiple of the 500-event chunks a host gets,
                      # so files are open at every kill.
                      sink_extra="a1.sinks.k1.hdfs.rollCount = 2777\na1.sinks.k1.hdfs.groupCommitInterval = 20ms")
        sent = 0
        for r in range(self.rounds):
            s = Sluice(conf, workdir=work)
            s.start()
            stop = threading.Event()

            def sender(first):
                n = first
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
                        while not stop.is_set() and n < first + 200_000:
                            c.sendall(syslog_lines(n, 500, host=f"h{n % 3}"))
                            n += 500
                            time.sleep(0.01)
                except OSError:
                    pass
                counts.append(n - first)

            counts = []
            t = threading.Thread(target=sender, args=(sent,), daemon=True)
            t.start()
            wait_until(lambda: s.metric("sluice_sink_hdfs_written_events_total") > 2000, 60,
                       what="events in HDFS", details=s.diagnostics)
            stop.set()
            t.join(30)
            # Everything the client wrote reached the channel before the kill: wait for it.
            total = sent + counts[0]
            wait_until(lambda: s.metric("sluice_source_accepted_events_total") >= counts[0], 60,
                       what="the channel to hold what was sent", details=s.diagnostics)
            s.process.send_signal(signal.SIGKILL)
            s.process.wait()
            s.close_files()
            sent = total
        s = Sluice(conf, workdir=work)
        with s:
            wait_until(lambda: s.metric("sluice_channel_size_events") == 0, 120, what="the channel to drain",
                       details=s.diagnostics)
            # The files open at the last kill were closed by this start.
            self.assertGreaterEqual(s.metric("sluice_sink_hdfs_closed_leftover_files_total"), 1, s.stderr())
            self.assertEqual(s.stop(), 0, s.stderr())
        seqs = []
        for path in glob.glob(os.path.join(logs_dir, "*", "*")):
            self.assertFalse(path.endswith(".tmp"), f"left in use: {path}")
            with open(path, "rb") as f:
                seqs += seqs_in_text(f.read())
        missing = set(range(sent)) - set(seqs)
        self.assertFalse(missing, f"{len(missing)} events lost, e.g. {sorted(missing)[:5]}")
        self.assertGreater(sent, 5000)
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    unittest.main()
