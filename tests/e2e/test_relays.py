"""End to end: syslog-ng (Debian's syslog-ng-core) as a relay in front of sluice, forwarding
with both of its TCP drivers: network() sends BSD syslog framed by LF, syslog() sends RFC 5424
with octet counting. Every message a client gives the relay must arrive in sluice once, with the
original host and program."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_json_events, syslog_config, wait_until  # noqa: E402

SYSLOG_NG_CONFIG = """@version: 3.38
options {{ threaded(yes); keep_hostname(yes); use_dns(no); stats_freq(0); }};
source s_in {{ syslog(ip("127.0.0.1") port({in_port}) transport("tcp")); }};
destination d_out {{ {driver}("127.0.0.1" port({out_port}) transport("tcp")); }};
log {{ source(s_in); destination(d_out); }};
"""


@unittest.skipUnless(shutil.which("syslog-ng"), "syslog-ng-core is not installed")
class SyslogNgRelay(unittest.TestCase):
    def relay(self, driver):
        tcp_port = free_port()
        in_port = free_port()
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        with open(sluice.config_path, "w") as f:
            f.write(syslog_config(out, tcp_port=tcp_port))
        work = tempfile.mkdtemp(prefix="syslog-ng-")
        conf = os.path.join(work, "syslog-ng.conf")
        with open(conf, "w") as f:
            f.write(SYSLOG_NG_CONFIG.format(in_port=in_port, out_port=tcp_port, driver=driver))
        relay = None
        try:
            sluice.start()
            relay = subprocess.Popen(
                ["syslog-ng", "-F", "--no-caps", "-f", conf, "-R", os.path.join(work, "persist"),
                 "-p", os.path.join(work, "pid"), "-c", os.path.join(work, "ctl"), "-e"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wait_until(lambda: subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(in_port), "-T", "--octet-count",
                                               "-t", "probe", "probe"], capture_output=True).returncode == 0,
                       30, interval_s=0.2, what="syslog-ng to listen")
            subprocess.run(["loggen", "--inet", "--stream", "-P", "--active-connections=2", "--rate=5000",
                            "--number=500", "--size=200", "127.0.0.1", str(in_port)], check=True, capture_output=True,
                           timeout=120)
            # 1 probe + 2 x 500 from loggen.
            wait_until(lambda: len(read_json_events(out)) >= 1001, 60, what="1001 relayed events",
                       details=sluice.diagnostics)
            time.sleep(0.5)
            self.assertEqual(sluice.stop(), 0, sluice.stderr())
            return read_json_events(out)
        finally:
            if relay:
                relay.terminate()
                relay.wait(timeout=30)
            sluice.__exit__(None, None, None)
            sluice.cleanup()
            shutil.rmtree(work, ignore_errors=True)

    def check(self, events):
        loggen = [e for e in events if "seq:" in e["body"]]
        keys = {(int(m.group(2)), int(m.group(1))) for m in
                (re.search(r"seq: (\d+), thread: (\d+)", e["body"]) for e in loggen)}
        self.assertEqual(len(loggen), 1000)
        self.assertEqual(len(keys), 1000, "no duplicates")
        for e in loggen:
            h = e["headers"]
            self.assertNotIn("flume.syslog.status", h)
            self.assertEqual(h["host"], "localhost")
            self.assertEqual(h["syslog.appname"], "prg00000")
            self.assertEqual((h["Facility"], h["Severity"]), ("4", "6"))
            self.assertRegex(h["timestamp"], r"^\d{13}$")

    def test_network_driver_bsd_with_lf_framing(self):
        self.check(self.relay("network"))

    def test_syslog_driver_rfc5424_with_octet_counting(self):
        events = self.relay("syslog")
        self.check(events)
        probe = [e for e in events if e["body"].endswith("probe")]
        self.assertEqual(len(probe), 1)
        self.assertEqual(probe[0]["headers"]["syslog.appname"], "probe")


if __name__ == "__main__":
    unittest.main()
