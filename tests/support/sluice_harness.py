"""Runs the real sluice binary for end-to-end tests: writes a config, starts the server on free
loopback ports, waits until it is ready, reads its metrics and its file_roll output, and stops
it with SIGTERM. Used by the tests under tests/e2e (run by ctest with /usr/bin/python3)."""

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

SLUICE_BIN = os.path.abspath(os.environ.get("SLUICE_BIN", os.path.join(os.path.dirname(__file__), "../../build-debug/bin/sluice")))
SLUICE_BENCH_BIN = os.path.abspath(os.environ.get(
    "SLUICE_BENCH_BIN", os.path.join(os.path.dirname(__file__), "../../build-debug/bin/sluice-bench")))

# Sanitizer builds are slow to start and to run; every wait below is generous but bounded.
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 90


def die_with_parent():
    """For Popen(preexec_fn=...): the child gets SIGKILL when the test process dies, so that a
    test killed midway (a timeout, Ctrl-C) leaves no server running."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_PORTS_HANDED_OUT = set()


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1, below the kernel's ephemeral range: ports
    the kernel hands out (to every client's connect, too) could be taken again between this
    check and the server's bind; a random one outside that range practically never is. Never
    the same port twice in one test process: a port handed out but not bound yet (a server's
    admin port, say) looks free to the next call."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, _ = (int(x) for x in f.read().split())
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, min(low, 32768))
        if port in _PORTS_HANDED_OUT:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                t.bind(("127.0.0.1", port))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
        except OSError:
            continue
        _PORTS_HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port")


def wait_until(predicate, timeout_s, interval_s=0.05, what="condition", details=None):
    """Polls `predicate` until it is truthy. On timeout the error carries `details()` (say, the
    server's metrics and log) so that a failure in CI can be understood from its output."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = ""
            if details:
                try:
                    extra = "\n" + details()
                except Exception as e:  # the details are a courtesy; never hide the timeout
                    extra = f"\n(no details: {e})"
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}{extra}")
        time.sleep(interval_s)


def parse_metrics(text):
    """Prometheus text -> list of (name, labels dict, value)."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m:
            raise AssertionError(f"malformed metrics line: {line!r}")
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def read_lines(directory):
    """Every line of every file in `directory` (file_roll output), in file order."""
    lines = []
    if not os.path.isdir(directory):
        return lines
    for name in sorted(os.listdir(directory), key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r'(\d+)', n)]):
        with open(os.path.join(directory, name), "rb") as f:
            for raw in f.read().split(b"\n"):
                if raw:
                    lines.append(raw)
    return lines


def read_json_events(directory):
    return [json.loads(line) for line in read_lines(directory)]


class Sluice:
    """One sluice process. Use as a context manager; it is killed if a test fails midway."""

    def __init__(self, config, agent="a1", shards=2, args=(), workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="sluice-e2e-")
        self.agent = agent
        self.admin_port = free_port()
        self.config_path = os.path.join(self.workdir, "sluice.conf")
        if config is not None:
            with open(self.config_path, "w") as f:
                f.write(config)
        self.shards = shards
        self.args = list(args)
        self.process = None
        self.stdout_lines = []
        self.stderr_path = os.path.join(self.workdir, "sluice.stderr")

    def command(self):
        cmd = [SLUICE_BIN]
        if os.path.exists(self.config_path):
            cmd += ["-f", self.config_path, "-n", self.agent]
        cmd += ["--shards", str(self.shards), "--admin", f"127.0.0.1:{self.admin_port}", "--no-pin"]
        return cmd + self.args

    def start(self):
        self.stderr_file = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(self.command(), cwd=self.workdir, stdout=subprocess.PIPE, preexec_fn=die_with_parent,
                                        stderr=self.stderr_file)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"sluice exited before it was ready (code {self.process.wait()}):\n"
                                     f"{self.stderr()}")
            self.stdout_lines.append(line.decode())
            if b"ready" in line:
                return self
        raise AssertionError("sluice did not become ready in time:\n" + self.stderr())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.close_files()
        return False

    def close_files(self):
        if self.process and self.process.stdout:
            self.process.stdout.close()
        if getattr(self, "stderr_file", None):
            self.stderr_file.close()

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def metrics_text(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/metrics", timeout=10) as r:
                return r.read().decode()
        except OSError as e:
            # Say whether sluice is still there and what it logged, so a failed scrape explains itself.
            state = "running" if self.process.poll() is None else f"exited with {self.process.returncode}"
            raise AssertionError(f"/metrics scrape failed ({e}); sluice {state}; its stderr ends with:\n"
                                 + self.stderr()[-4000:]) from e

    def metric(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels`."""
        total = 0.0
        for sample, sample_labels, value in parse_metrics(self.metrics_text()):
            if sample == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                total += value
        return total

    def diagnostics(self):
        """The server's counters that matter and the end of its log, for failure messages."""
        lines = []
        try:
            for name, labels, value in parse_metrics(self.metrics_text()):
                if value and ("_total" in name or "size" in name):
                    lines.append(f"  {name}{labels} {value:g}")
        except Exception as e:
            lines.append(f"  (metrics unavailable: {e})")
        return "sluice metrics:\n" + "\n".join(lines) + "\nsluice log (tail):\n" + self.stderr()[-3000:]

    def wait_metric(self, name, at_least, timeout_s=60, **labels):
        return wait_until(lambda: self.metric(name, **labels) >= at_least, timeout_s,
                          what=f"{name}{labels} >= {at_least}", details=self.diagnostics)

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM, then wait; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("sluice did not stop after SIGTERM:\n" + self.stderr())
        rest = self.process.stdout.read()
        if rest:
            self.stdout_lines.extend(rest.decode().splitlines(True))
        self.close_files()
        return code

    def cleanup(self):
        shutil.rmtree(self.workdir, ignore_errors=True)


def post_json(port, events, path="/"):
    """POSTs `events` (Flume's JSON: [{"headers": {...}, "body": "..."}]) with curl to the
    http source on 127.0.0.1:`port`; returns the status code as text ("200")."""
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@-",
                        "-H", "Content-Type: application/json", f"http://127.0.0.1:{port}{path}"],
                       input=json.dumps(events).encode(), capture_output=True, timeout=30)
    return p.stdout.decode()


def run_sluice(args, cwd=None, timeout_s=60):
    """Runs sluice to completion (for --check, --help, bad configs): (code, stdout, stderr)."""
    p = subprocess.run([SLUICE_BIN] + list(args), cwd=cwd, capture_output=True, timeout=timeout_s)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def syslog_config(out_dir, tcp_port=None, udp_port=None, channel_extra="", sink_extra="", source_extra="",
                  serializer="json", channel_type="memory"):
    """A one-channel agent a1 with syslog TCP and/or UDP sources and a file_roll sink."""
    sources = []
    lines = []
    if tcp_port:
        sources.append("tcp")
        lines += [f"a1.sources.tcp.type = syslogtcp", "a1.sources.tcp.host = 127.0.0.1",
                  f"a1.sources.tcp.port = {tcp_port}", "a1.sources.tcp.channels = c1"]
        lines += [f"a1.sources.tcp.{l}" for l in source_extra.split("\n") if l.strip()]
    if udp_port:
        sources.append("udp")
        lines += [f"a1.sources.udp.type = syslogudp", "a1.sources.udp.host = 127.0.0.1",
                  f"a1.sources.udp.port = {udp_port}", "a1.sources.udp.channels = c1"]
        lines += [f"a1.sources.udp.{l}" for l in source_extra.split("\n") if l.strip()]
    head = [f"a1.sources = {' '.join(sources)}", "a1.channels = c1", "a1.sinks = k1",
            f"a1.channels.c1.type = {channel_type}"]
    head += [f"a1.channels.c1.{l}" for l in channel_extra.split("\n") if l.strip()]
    sink = ["a1.sinks.k1.type = file_roll", "a1.sinks.k1.channel = c1", f"a1.sinks.k1.sink.directory = {out_dir}",
            f"a1.sinks.k1.sink.serializer = {serializer}", "a1.sinks.k1.sink.rollInterval = 0"]
    sink += [f"a1.sinks.k1.{l}" for l in sink_extra.split("\n") if l.strip()]
    return "\n".join(head + lines + sink) + "\n"


def http_config(port, source_extra="", channel_extra=""):
    """A one-channel agent a1 with an http source `web` on 127.0.0.1, a memory channel and a null
    sink; the extras are whole lines (`a1.sources.web.KEY = VALUE`)."""
    return f"""a1.sources = web
a1.channels = c1
a1.sinks = k1
a1.sources.web.type = http
a1.sources.web.bind = 127.0.0.1
a1.sources.web.port = {port}
a1.sources.web.channels = c1
{source_extra}
a1.channels.c1.type = memory
{channel_extra}
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
"""
