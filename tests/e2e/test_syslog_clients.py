"""End to end: real syslog clients (util-linux logger, syslog-ng's loggen) send to the real
sluice binary over TCP and UDP; the file_roll sink's JSON lines must hold every event exactly
once with Flume's headers and body."""

import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_json_events, syslog_config, wait_until  # noqa: E402

HOST = socket.gethostname()


def logger(*args):
    subprocess.run(["logger", *args], check=True, timeout=30)


def loggen(*args):
    p = subprocess.run(["loggen", *args], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"loggen failed: {p.stderr.decode()}")


class SyslogClients(unittest.TestCase):
    def setUp(self):
        self.tcp_port = free_port()
        self.udp_port = free_port()
        self.sluice = Sluice(None)
        self.out = os.path.join(self.sluice.workdir, "out")
        with open(self.sluice.config_path, "w") as f:
            f.write(syslog_config(self.out, tcp_port=self.tcp_port, udp_port=self.udp_port))
        self.sluice.start()

    def tearDown(self):
        self.sluice.__exit__(None, None, None)
        self.sluice.cleanup()

    def events_after_stop(self, expected_count):
        wait_until(lambda: len(read_json_events(self.out)) >= expected_count, 60,
                   what=f"{expected_count} events in the sink's output", details=self.sluice.diagnostics)
        self.assertEqual(self.sluice.stop(), 0, self.sluice.stderr())
        return read_json_events(self.out)

    def test_logger_rfc5424_over_tcp(self):
        logger("-n", "127.0.0.1", "-P", str(self.tcp_port), "-T", "--rfc5424", "-t", "myapp", "-p", "local3.warning",
               "--msgid", "ID47", "--sd-id", "foo@32473", "--sd-param", 'k="v"', "hello tcp 5424")
        [event] = self.events_after_stop(1)
        h = event["headers"]
        self.assertEqual(h["Facility"], "19")
        self.assertEqual(h["Severity"], "4")
        self.assertEqual(h["host"], HOST)
        self.assertEqual(h["syslog.appname"], "myapp")
        self.assertEqual(h["syslog.msgid"], "ID47")
        self.assertEqual(h["syslog.sd"], '[timeQuality tzKnown="1" isSynced="0"][foo@32473 k="v"]')
        self.assertNotIn("syslog.procid", h)
        self.assertNotIn("flume.syslog.status", h)
        self.assertRegex(h["timestamp"], r"^\d{13}$")
        # Flume's body: everything after the hostname.
        self.assertEqual(event["body"], 'myapp - ID47 [timeQuality tzKnown="1" isSynced="0"][foo@32473 k="v"] hello tcp 5424')

    def test_logger_rfc3164_over_udp(self):
        logger("-n", "127.0.0.1", "-P", str(self.udp_port), "-d", "--rfc3164", "-t", "bsdapp", "-i", "-p", "user.info",
               "hello udp 3164")
        [event] = self.events_after_stop(1)
        h = event["headers"]
        self.assertEqual((h["Facility"], h["Severity"]), ("1", "6"))
        self.assertEqual(h["host"], HOST)
        self.assertEqual(h["syslog.appname"], "bsdapp")
        self.assertRegex(h["syslog.procid"], r"^\d+$")
        self.assertRegex(event["body"], r"^bsdapp\[\d+\]: hello udp 3164$")

    def test_logger_octet_counting_and_lf_on_tcp(self):
        logger("-n", "127.0.0.1", "-P", str(self.tcp_port), "-T", "--octet-count", "-t", "oct", "octet counted")
        logger("-n", "127.0.0.1", "-P", str(self.tcp_port), "-T", "-t", "lf", "lf framed")
        events = self.events_after_stop(2)
        bodies = sorted(e["body"] for e in events)
        self.assertEqual(len(events), 2)
        self.assertTrue(bodies[0].endswith("lf framed"), bodies)
        self.assertTrue(bodies[1].endswith("octet counted"), bodies)

    def check_loggen_output(self, events, count, connections):
        seen = set()
        for e in events:
            m = re.search(r"seq: (\d+), thread: (\d+)", e["body"])
            self.assertIsNotNone(m, e)
            key = (int(m.group(2)), int(m.group(1)))
            self.assertNotIn(key, seen, "duplicate event")
            seen.add(key)
            self.assertEqual(e["headers"]["host"], "localhost")
            self.assertNotIn("flume.syslog.status", e["headers"])
        self.assertEqual(len(seen), count)
        self.assertEqual({k[0] for k in seen}, set(range(connections)))

    def test_loggen_tcp_lf_four_connections(self):
        # loggen's default format: BSD header with an ISO timestamp, LF framed (as rsyslog forwards).
        # --number is per connection.
        loggen("--inet", "--stream", "--active-connections=4", "--rate=20000", "--number=500", "--size=200",
               "127.0.0.1", str(self.tcp_port))
        events = self.events_after_stop(2000)
        self.check_loggen_output(events, 2000, 4)
        self.assertEqual(events[0]["headers"]["syslog.appname"], "prg00000")

    def test_loggen_tcp_rfc5424_octet_counting(self):
        loggen("--inet", "--stream", "-P", "--active-connections=2", "--rate=20000", "--number=1000", "--size=200",
               "127.0.0.1", str(self.tcp_port))
        events = self.events_after_stop(2000)
        self.check_loggen_output(events, 2000, 2)
        # loggen puts a BOM before the message; the body keeps the bytes as sent.
        self.assertIn("\ufeffseq:", events[0]["body"])

    def test_loggen_udp(self):
        loggen("--inet", "--dgram", "--rate=5000", "--number=1000", "--size=200", "127.0.0.1", str(self.udp_port))
        events = self.events_after_stop(1000)
        self.check_loggen_output(events, 1000, 1)


if __name__ == "__main__":
    unittest.main()
