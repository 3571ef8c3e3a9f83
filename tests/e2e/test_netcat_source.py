"""End to end: Flume's netcat and netcatudp sources with a real client (`nc` from netcat-openbsd) and plain
sockets: every line is an event in file_roll, each answered "OK" once stored; a line over
max-line-length is answered with Flume's FAILED message and the connection closes; a bad
setting is refused by --check with its line."""

import json
import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_lines, run_sluice, wait_until  # noqa: E402


def netcat_config(out_dir, port, source_type="netcat", extra=""):
    return f"""a1.sources = nc
a1.channels = c1
a1.sinks = k1
a1.sources.nc.type = {source_type}
a1.sources.nc.bind = 127.0.0.1
a1.sources.nc.port = {port}
a1.sources.nc.channels = c1
{extra}
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out_dir}
a1.sinks.k1.sink.serializer = text
a1.sinks.k1.sink.rollInterval = 0
"""


def receive_until(sock, done, limit=1 << 16):
    got = b""
    while not done(got) and len(got) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


class NetcatSource(unittest.TestCase):
    def start(self, source_type="netcat", extra=""):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        with open(sluice.config_path, "w") as f:
            f.write(netcat_config(out, port, source_type, extra))
        return sluice, out, port

    def test_nc_lines_are_stored_and_each_answered_ok(self):
        sluice, out, port = self.start()
        with sluice:
            lines = [f"line {i} from nc" for i in range(200)]
            # -q 5: wait for the answers after the input ends, then quit.
            done = subprocess.run(["nc", "-q", "5", "127.0.0.1", str(port)], input="\n".join(lines) + "\n",
                                  capture_output=True, text=True, timeout=30)
            self.assertEqual(done.stdout, "OK\n" * 200, done.stderr)
            wait_until(lambda: len(read_lines(out)) >= 200, 30, what="200 lines in file_roll")
            self.assertEqual(sluice.metric("sluice_source_accepted_events_total", component="nc"), 200)
            sluice.stop()
        self.assertEqual(read_lines(out), [line.encode() for line in lines])

    def test_flume_class_name_and_a_line_over_the_limit(self):
        sluice, out, port = self.start("org.apache.flume.source.NetcatSource",
                                       "a1.sources.nc.max-line-length = 10")
        with sluice:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"123456789\n" + b"x" * 50 + b"\nnever read\n")
                got = receive_until(s, lambda g: b"newline)\n" in g)
                self.assertEqual(got, b"OK\nFAILED: Event exceeds the maximum length (10 chars, including newline)\n")
                self.assertEqual(s.recv(100), b"")  # closed
            wait_until(lambda: len(read_lines(out)) >= 1, 30, what="the short line in file_roll")
            sluice.stop()
        self.assertEqual(read_lines(out), [b"123456789"])

    def test_without_acks_nothing_is_answered(self):
        sluice, out, port = self.start(extra="a1.sources.nc.ack-every-event = false")
        with sluice:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"a\nb\n")
                s.shutdown(socket.SHUT_WR)
                self.assertEqual(s.recv(100), b"")
            wait_until(lambda: len(read_lines(out)) >= 2, 30, what="2 lines in file_roll")
            sluice.stop()
        self.assertEqual(read_lines(out), [b"a", b"b"])

    def test_netcatudp_one_event_per_datagram_from_nc(self):
        port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        config = netcat_config(out, port, "netcatudp", "a1.sources.nc.remoteAddress = from")
        config = config.replace("a1.sinks.k1.sink.serializer = text", "a1.sinks.k1.sink.serializer = JSON")
        with open(sluice.config_path, "w") as f:
            f.write(config)
        with sluice:
            # nc -u sends each line it reads as a datagram of its own (-w1: quit a second after
            # its input ends); a sleep between lines keeps them apart.
            script = "for i in 1 2 3; do echo \"datagram $i\"; sleep 0.2; done"
            subprocess.run(["bash", "-c", f"({script}) | nc -u -w1 127.0.0.1 {port}"], timeout=30, check=True)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"kept\ndropped after the newline", ("127.0.0.1", port))
                sender = s.getsockname()
            wait_until(lambda: len(read_lines(out)) >= 4, 30, what="4 events in file_roll")
            sluice.stop()
        events = [json.loads(line) for line in read_lines(out)]
        self.assertEqual([e["body"] for e in events], ["datagram 1", "datagram 2", "datagram 3", "kept"])
        self.assertEqual(events[3]["headers"], {"from": f"/127.0.0.1:{sender[1]}"})

    def test_bad_max_line_length_is_refused_with_its_line(self):
        config = netcat_config("/tmp/unused", free_port(), extra="a1.sources.nc.max-line-length = 1")
        sluice = Sluice(config)
        code, _, err = run_sluice(["-f", sluice.config_path, "-n", "a1", "--check"])
        self.assertEqual(code, 2, err)
        line = config.splitlines().index("a1.sources.nc.max-line-length = 1") + 1
        self.assertIn(f"line {line}: a1.sources.nc.max-line-length", err)


if __name__ == "__main__":
    unittest.main()
