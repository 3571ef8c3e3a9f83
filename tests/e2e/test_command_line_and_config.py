"""End to end: the command line and configuration errors of the real binary. Every error names
what is wrong and where (file, line, key) and exits non-zero; --help, --version, --check and the
printing options work."""

import os
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, run_sluice, syslog_config  # noqa: E402


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class CommandLine(unittest.TestCase):
    def test_help_and_version(self):
        code, out, _ = run_sluice(["--help"])
        self.assertEqual(code, 0)
        self.assertIn("Usage: sluice", out)
        self.assertIn("--conf-file", out)
        code, out, _ = run_sluice(["--version"])
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^sluice \d+\.\d+\.\d+\nallocator: ")

    def test_unknown_option_and_bad_values(self):
        code, _, err = run_sluice(["--frobnicate"])
        self.assertEqual(code, 2)
        self.assertIn("unknown option '--frobnicate'", err)
        code, _, err = run_sluice(["--shards", "zero"])
        self.assertEqual(code, 2)
        self.assertIn("--shards takes a number from 1 to 1024, not 'zero'", err)
        code, _, err = run_sluice(["-f", "x.conf"])
        self.assertEqual(code, 2)
        self.assertIn("-f needs -n AGENT", err)

    def test_print_default_config_is_loadable(self):
        code, out, _ = run_sluice(["--print-default-config"])
        self.assertEqual(code, 0)
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "default.conf", out)
            code, out, err = run_sluice(["-f", path, "-n", "sluice", "--check"])
            self.assertEqual(code, 0, err)
            self.assertIn("is valid", out)

    def test_example_configs_are_valid(self):
        for name, agent in (("example.conf", "a1"), ("tier-agent.conf", "agent"),
                            ("tier-collector.conf", "collector"), ("hdfs.conf", "a1")):
            example = os.path.join(os.path.dirname(__file__), "../../conf", name)
            code, out, err = run_sluice(["-f", example, "-n", agent, "--check"])
            self.assertEqual(code, 0, f"{name}: {err}")

    def test_config_reference_matches_docs(self):
        code, out, _ = run_sluice(["--print-config-reference"])
        self.assertEqual(code, 0)
        docs = os.path.join(os.path.dirname(__file__), "../../docs/CONFIG.md")
        with open(docs) as f:
            self.assertEqual(f.read(), out, "docs/CONFIG.md is stale: regenerate it with "
                             "build/bin/sluice --print-config-reference > docs/CONFIG.md")


class ConfigErrors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sluice-config-")

    def run_config(self, text, *extra):
        path = write(self.dir, "agent.conf", text)
        return run_sluice(["-f", path, "-n", "a1", *extra])

    def test_every_error_names_its_line_and_key(self):
        code, _, err = self.run_config(
            "a1.sources = r1\n"
            "a1.channels = c1\n"
            "a1.sinks = k1\n"
            "a1.sources.r1.type = syslogtcp\n"
            "a1.sources.r1.prot = 5514\n"
            "a1.sources.r1.channels = c2\n"
            "a1.channels.c1.type = memory\n"
            "a1.channels.c1.byteCapacity = lots\n"
            "a1.sinks.k1.type = file_rol\n"
            "a1.sinks.k1.channel = c1\n")
        self.assertEqual(code, 2)
        self.assertIn("agent.conf: line 4: source 'r1' (syslogtcp) is missing the required key a1.sources.r1.port",
                      err)
        self.assertIn("agent.conf: line 5: a1.sources.r1.prot: unknown key for a syslogtcp source (did you mean 'port'?)",
                      err)
        self.assertIn("agent.conf: line 6: a1.sources.r1.channels: channel 'c2' does not exist", err)
        self.assertIn("agent.conf: line 8: a1.channels.c1.byteCapacity:", err)
        self.assertIn("agent.conf: line 9: a1.sinks.k1.type: sink type 'file_rol' is unknown", err)

    def test_missing_file_and_missing_agent(self):
        code, _, err = run_sluice(["-f", os.path.join(self.dir, "nope.conf"), "-n", "a1"])
        self.assertEqual(code, 2)
        self.assertIn("nope.conf: No such file or directory", err)
        code, _, err = self.run_config("b1.sources = r1\n")
        self.assertEqual(code, 2)
        self.assertIn("no agent 'a1' in the file (agents found: b1)", err)

    def test_not_supported_yet_features(self):
        base = syslog_config(os.path.join(self.dir, "out"), tcp_port=free_port())
        code, _, err = self.run_config(base + "a1.configfilters = f1\n")
        self.assertEqual(code, 2)
        self.assertIn("config filters", err)
        self.assertIn("not supported yet", err)

    def test_port_in_use_names_the_source_and_line(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        try:
            code, _, err = self.run_config(syslog_config(os.path.join(self.dir, "out"), tcp_port=port),
                                           "--no-admin")
        finally:
            blocker.close()
        self.assertEqual(code, 1)
        self.assertIn(f"source tcp: cannot bind TCP 127.0.0.1:{port}: Address already in use", err)
        self.assertIn("line 7: a1.sources.tcp.port", err)

    def test_second_sluice_on_the_same_port_is_refused(self):
        port = free_port()
        first = Sluice(syslog_config(os.path.join(self.dir, "out1"), tcp_port=port))
        with first:
            code, _, err = self.run_config(syslog_config(os.path.join(self.dir, "out2"), tcp_port=port), "--no-admin")
            self.assertEqual(code, 1)
            self.assertIn("Address already in use (is another sluice or syslog server running?)", err)
            self.assertEqual(first.stop(), 0)
        first.cleanup()

    def test_unwritable_sink_directory_is_a_start_error(self):
        blocker = write(self.dir, "blocker", "x")
        code, _, err = self.run_config(syslog_config(os.path.join(blocker, "out"), tcp_port=free_port()),
                                       "--no-admin")
        self.assertEqual(code, 1)
        self.assertIn("sink k1: cannot create directory", err)

    def test_check_does_not_bind(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        try:
            code, out, err = self.run_config(
                syslog_config(os.path.join(self.dir, "out"), tcp_port=blocker.getsockname()[1]), "--check")
        finally:
            blocker.close()
        self.assertEqual(code, 0, err)
        self.assertIn("configuration of agent 'a1'", out)


if __name__ == "__main__":
    unittest.main()
