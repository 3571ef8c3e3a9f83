"""End to end: syslog over TCP carrying raw bytes that are not UTF-8 into a file_roll sink with the
JSON serializer, read back with Python's json module. JSON text is UTF-8, so each maximal
ill-formed subsequence becomes U+FFFD (a raw 0xFF must not read back as the "ÿ" a real C3 BF
is), the sink counts the events it repaired, and invalidUtf8 = base64 keeps the raw body."""

import base64
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_json_events, syslog_config, wait_until  # noqa: E402

PAYLOADS = [b"raw \xff", b"real \xc3\xbf", b"cut \xe2\x82", b"surrogate \xed\xa0\x80", b"emoji \xf0\x9f\x98\x80"]


class SinkJsonUtf8(unittest.TestCase):
    def run_sluice(self, sink_extra=""):
        port = free_port()
        s = Sluice(None)
        self.addCleanup(s.cleanup)
        out = os.path.join(s.workdir, "out")
        with open(s.config_path, "w") as f:
            f.write(syslog_config(out, tcp_port=port, sink_extra=sink_extra))
        with s:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
                c.sendall(b"".join(b"<134>1 2026-11-21T05:10:00.123Z host1 app 7 - - " + p + b"\n" for p in PAYLOADS))
            wait_until(lambda: len(read_json_events(out)) >= len(PAYLOADS), 60, what="the events in the output",
                       details=s.diagnostics)
            invalid = s.metric("sluice_sink_invalid_utf8_events_total")
            self.assertEqual(s.stop(), 0, s.stderr())
        events = read_json_events(out)  # json.loads of bytes: must be valid UTF-8
        self.assertEqual(len(events), len(PAYLOADS))
        return events, invalid

    def test_invalid_sequences_read_back_as_replacement_characters(self):
        events, invalid = self.run_sluice()
        bodies = [e["body"] for e in events]
        self.assertTrue(bodies[0].endswith("raw \ufffd"), bodies[0])
        self.assertTrue(bodies[1].endswith("real \u00ff"), bodies[1])
        self.assertTrue(bodies[2].endswith("cut \ufffd"), bodies[2])
        self.assertTrue(bodies[3].endswith("surrogate \ufffd\ufffd\ufffd"), bodies[3])
        self.assertTrue(bodies[4].endswith("emoji \U0001F600"), bodies[4])
        self.assertEqual(invalid, 3)

    def test_base64_mode_keeps_the_raw_body(self):
        events, invalid = self.run_sluice("sink.serializer.invalidUtf8 = base64")
        raw = [base64.b64decode(e["bodyBase64"]) if "bodyBase64" in e else e["body"].encode() for e in events]
        for got, payload in zip(raw, PAYLOADS):
            self.assertTrue(got.endswith(payload), (got, payload))
        self.assertEqual(["bodyBase64" in e for e in events], [True, False, True, True, False])
        self.assertEqual(invalid, 3)


if __name__ == "__main__":
    unittest.main()
