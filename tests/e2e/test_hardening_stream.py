"""End to end, hardening of what every TCP source shares: syslog TCP connections that send
nothing are closed after idleTimeout (a message begun is kept) and the per-shard connection cap
refuses, counted; the soft open-files limit is raised to the hard one; accepted connections
cannot take the descriptors a file channel needs for its next segment; accept pauses instead of
spinning when the process is out of descriptors; and an HTTP client that never reads its answers
is closed by sendTimeout."""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, http_config, read_lines, syslog_config, wait_until  # noqa: E402


def message(seq):
    return f"<134>1 2026-12-07T05:10:00.000Z host app 7 - - seq={seq}\n".encode()


def connect(port, timeout_s=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed_by_peer(s, timeout_s=5):
    """True when the server closed `s` (EOF or reset) within the time."""
    s.settimeout(timeout_s)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def soft_nofile(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no open files limit in /proc/pid/limits")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class LimitedSluice(Sluice):
    """sluice started under `prlimit --nofile=SOFT:HARD`."""

    def __init__(self, config, nofile, **kwargs):
        super().__init__(config, **kwargs)
        self.nofile = nofile

    def command(self):
        return ["prlimit", f"--nofile={self.nofile}"] + super().command()


def file_channel_config(port, data, out):
    return syslog_config(out, tcp_port=port, channel_type="file",
                         channel_extra=f"dataDirs = {data}\nsegmentSize = 1m\nbyteCapacity = 64m")


def setUpModule():
    # The tests open a few hundred sockets of their own.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))


class SyslogTcpIdleTimeoutAndCap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sluice-stream-")
        cls.out = os.path.join(cls.dir, "out")
        cls.port = free_port()
        cls.sluice = Sluice(syslog_config(cls.out, tcp_port=cls.port, source_extra="idleTimeout = 2s\nmaxConnections = 300"),
                            shards=1)
        cls.sluice.start()

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.sluice.cleanup()

    def test_idle_connections_are_closed_and_counted_and_a_message_begun_is_kept(self):
        before = self.sluice.metric("sluice_source_timed_out_connections_total", reason="idle")
        idle = [connect(self.port) for _ in range(200)]
        partial = connect(self.port)
        partial.sendall(b"<13>1 2026-12-07T05:10:00Z host app - - - begun without its newline")
        busy = connect(self.port)
        started = time.monotonic()
        # A connection that keeps sending stays open past the timeout.
        while time.monotonic() - started < 3.5:
            busy.sendall(message(0))
            time.sleep(0.3)
        self.sluice.wait_metric("sluice_source_timed_out_connections_total", before + 201, timeout_s=10, reason="idle")
        for s in idle + [partial]:
            self.assertTrue(closed_by_peer(s, 2))
            s.close()
        self.assertFalse(closed_by_peer(busy, 0.2), "a connection that sends was closed")
        busy.close()
        wait_until(lambda: any(b"begun without its newline" in l for l in read_lines(self.out)), 10,
                   what="the unfinished message delivered")
        wait_until(lambda: self.sluice.metric("sluice_source_active_connections") == 0, 10,
                   what="no connection left", details=self.sluice.diagnostics)

    def test_connections_past_max_connections_are_refused_and_counted(self):
        before = self.sluice.metric("sluice_source_refused_connections_total")
        held = [connect(self.port) for _ in range(300)]
        self.sluice.wait_metric("sluice_source_active_connections", 300, timeout_s=10)
        extra = [connect(self.port) for _ in range(5)]
        for s in extra:
            self.assertTrue(closed_by_peer(s, 5), "a connection past maxConnections was kept")
            s.close()
        self.assertEqual(self.sluice.metric("sluice_source_refused_connections_total"), before + 5)
        for s in held:
            s.close()
        wait_until(lambda: self.sluice.metric("sluice_source_active_connections") == 0, 10, what="connections closed")
        again = connect(self.port)
        again.sendall(message(7))
        self.assertFalse(closed_by_peer(again, 0.3))
        again.close()


class FileDescriptors(unittest.TestCase):
    def test_the_soft_limit_is_raised_to_the_hard_one(self):
        with tempfile.TemporaryDirectory(prefix="sluice-stream-") as d:
            sluice = LimitedSluice(syslog_config(os.path.join(d, "out"), tcp_port=free_port()), "256:4096", shards=1)
            with sluice:
                self.assertEqual(soft_nofile(sluice.process.pid), 4096)
                self.assertEqual(sluice.metric("sluice_process_open_files_limit"), 4096)
                self.assertIn("open files limit raised from 256 to 4096", sluice.stderr())
                sluice.stop()

    def test_connections_cannot_take_the_descriptors_the_file_channel_needs(self):
        with tempfile.TemporaryDirectory(prefix="sluice-stream-") as d:
            out, data, port = os.path.join(d, "out"), os.path.join(d, "data"), free_port()
            sluice = LimitedSluice(file_channel_config(port, data, out), "256:256", shards=1)
            with sluice:
                budget = sluice.metric("sluice_process_connection_fds_max")
                self.assertGreater(budget, 50)
                self.assertLess(budget, 256 - 64 + 1)
                flood = [connect(port) for _ in range(300)]  # more than the limit itself
                sluice.wait_metric("sluice_source_accept_fd_exhausted_total", 300 - budget, timeout_s=10)
                self.assertEqual(sluice.metric("sluice_process_connection_fds"), budget)
                # /metrics is served while connections hold the budget.
                started = time.monotonic()
                sluice.metrics_text()
                self.assertLess(time.monotonic() - started, 1.0)
                # A held connection writes enough for several new WAL segments (1 MiB each).
                kept = [s for s in flood if not closed_by_peer(s, 0.01)]
                self.assertEqual(len(kept), budget)
                events = 40000
                batch = b"".join(message(i) for i in range(events))
                kept[0].sendall(batch)
                wait_until(lambda: len(read_lines(out)) >= events, 60, what="every event delivered",
                           details=sluice.diagnostics)
                self.assertEqual(sluice.metric("sluice_channel_store_errors_total"), 0)
                self.assertEqual(sluice.metric("sluice_channel_checkpoint_errors_total"), 0)
                for s in flood:
                    s.close()
                wait_until(lambda: sluice.metric("sluice_process_connection_fds") == 0, 10, what="descriptors back")
                late = connect(port)
                late.sendall(message(events))
                wait_until(lambda: len(read_lines(out)) == events + 1, 20, what="a new connection served")
                late.close()
                self.assertEqual(sluice.stop(), 0)

    def test_accept_pauses_without_spinning_when_the_process_is_out_of_descriptors(self):
        # With no reserve, connections themselves run the process out of descriptors.
        with tempfile.TemporaryDirectory(prefix="sluice-stream-") as d:
            out, port = os.path.join(d, "out"), free_port()
            sluice = LimitedSluice(syslog_config(out, tcp_port=port), "64:64", shards=1, args=["--fd-reserve", "0"])
            with sluice:
                pid = sluice.process.pid
                # Connections served and closed first: the sanitizers' runtime needs a descriptor
                # the first time it checks a type, which it would not get at the limit.
                first = connect(port)
                first.sendall(message(0))
                with connect(port) as warm_up:
                    warm_up.sendall(message(0))
                wait_until(lambda: len(read_lines(out)) == 2, 10, what="the first messages")
                wait_until(lambda: sluice.metric("sluice_source_active_connections") == 1, 10, what="one left")
                held = [first] + [connect(port) for _ in range(79)]
                wait_until(lambda: "pausing accept" in sluice.stderr(), 10, what="accept paused")
                time.sleep(0.5)
                cpu_before = cpu_seconds(pid)
                time.sleep(2)
                self.assertLess(cpu_seconds(pid) - cpu_before, 0.5, "the shard spins on a failing accept")
                for s in held[1:41]:
                    s.close()
                for i, s in enumerate(held[41:]):
                    s.sendall(message(1 + i))  # the last ones were waiting in the backlog
                wait_until(lambda: len(read_lines(out)) == 41, 20, what="the waiting clients served",
                           details=sluice.stderr)
                self.assertGreater(sluice.metric("sluice_source_accept_fd_exhausted_total"), 0)
                for s in [first] + held[41:]:
                    s.close()
                self.assertEqual(sluice.stop(), 0)


class SendTimeout(unittest.TestCase):
    def test_an_http_client_that_never_reads_its_answers_is_closed_and_counted(self):
        port = free_port()
        conf = http_config(port, "a1.sources.web.sendTimeout = 1s")
        with Sluice(conf, shards=1) as sluice:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            request = b"GET /not-here HTTP/1.1\r\nHost: x\r\n\r\n" * 100
            deadline = time.monotonic() + 20
            closed = False
            while time.monotonic() < deadline:  # write requests, read nothing
                try:
                    s.send(request)
                except BlockingIOError:
                    time.sleep(0.05)
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if sluice.metric("sluice_source_timed_out_connections_total", reason="send") >= 1:
                    closed = True
                    break
            self.assertTrue(closed, "the connection was not closed by sendTimeout\n" + sluice.diagnostics())
            s.close()
            sluice.wait_metric("sluice_source_timed_out_connections_total", 1, timeout_s=10, reason="send")
            wait_until(lambda: sluice.metric("sluice_source_active_connections") == 0, 10, what="connection gone")
            # Another client is served normally.
            with connect(port) as other:
                other.sendall(b"GET /not-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertIn(b"HTTP/1.1 40", other.recv(4096))
            self.assertEqual(sluice.stop(), 0)


if __name__ == "__main__":
    unittest.main()
