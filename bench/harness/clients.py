"""Load clients: sluice-bench and syslog-ng's loggen, both sending RFC 5424 with octet counting
over the same number of TCP connections; wrk for HTTP; for file-tail, files the harness writes.
run() returns the client's CPU seconds."""

import atexit
import os
import resource
import shutil
import subprocess
import sys
import time


def child_cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


class SluiceBench:
    """sluice-bench: syslog over TCP/UDP (octet counting), or HTTP / Avro RPC batches with one
    request in flight per connection."""
    default_count = 20_000_000

    def __init__(self, args):
        self.args = args

    @staticmethod
    def supports(workload):
        return workload.transport in ("tcp", "udp", "avro", "http")

    def run_requests(self, workload, port, args):
        """Request/response (http, avro): sluice-bench for --duration; every acknowledged
        request means its events were stored."""
        import json
        before = child_cpu_seconds()
        target = f"http://127.0.0.1:{port}/" if workload.transport == "http" else f"127.0.0.1:{port}"
        p = subprocess.run([os.path.join(args.bin_dir, "sluice-bench"), workload.transport, target,
                            "--connections", str(args.connections), "--batch", str(workload.batch), "--size",
                            str(args.size), "--duration", str(args.duration), "--no-metrics", "--quiet", "--json"],
                           check=True, capture_output=True, text=True)
        r = json.loads(p.stdout)
        if r["errors"] or r["requests_failed"]:
            raise RuntimeError(f"sluice-bench {workload.transport} saw errors: {r['errors']}")
        return {"requests_per_s": r["requests_per_s"], "events_per_s": r["acked_events_per_s"],
                "elapsed_s": r["elapsed_s"], "latency_p50_ms": r["latency_p50_ms"],
                "latency_p99_ms": r["latency_p99_ms"], "client_cpu_s": child_cpu_seconds() - before}

    def run(self, workload, port, count, args):
        before = child_cpu_seconds()
        rate = ["--rate", str(args.udp_rate)] if workload.transport == "udp" else []  # else as fast as it can
        subprocess.run([os.path.join(args.bin_dir, "sluice-bench"), "syslog", f"--{workload.transport}",
                        f"127.0.0.1:{port}", "--connections", str(args.connections), "--size", str(args.size),
                        "--count", str(count), "--duration", "600", "--no-metrics", "--quiet"] + rate,
                       check=True, stdout=subprocess.DEVNULL)
        return child_cpu_seconds() - before


class Loggen:
    default_count = 4_000_000

    def __init__(self, args):
        self.args = args

    @staticmethod
    def supports(workload):
        return workload.transport == "tcp"

    def run(self, workload, port, count, args):
        before = child_cpu_seconds()
        per_connection = count // args.connections
        subprocess.run(["loggen", "--inet", "--stream", "-P", f"--active-connections={args.connections}",
                        f"--number={per_connection}", "--rate=100000000", f"--size={args.size}", "-Q",
                        # loggen stops after --interval seconds (10 by default) even before --number
                        "--interval=600",
                        "127.0.0.1", str(port)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return child_cpu_seconds() - before


class Wrk:
    """wrk with a Lua script that POSTs one fixed Flume JSON batch; runs for --duration."""

    def __init__(self, args):
        self.args = args

    @staticmethod
    def supports(workload):
        return workload.transport == "http"

    def run_requests(self, workload, port, args):
        import json
        import re
        import tempfile
        body = json.dumps([{"headers": {"host": "bench-host", "app": "bench"}, "body": "x" * args.size}] * workload.batch)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(body)
        before = child_cpu_seconds()
        script = os.path.join(os.path.dirname(__file__), "wrk_post.lua")
        p = subprocess.run(["wrk", "-t", "2", "-c", str(args.connections * 4), "-d", f"{args.duration}s",
                            "--latency", "-s", script, f"http://127.0.0.1:{port}/"],
                           capture_output=True, text=True, env={**os.environ, "BODY_FILE": f.name}, check=True)
        os.unlink(f.name)
        out = p.stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if non2xx:
            raise RuntimeError(f"wrk got {non2xx.group(1)} error responses:\n{out}")

        def latency(q):
            m = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)$", out, re.M)
            if not m:
                return None
            return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

        return {"requests_per_s": rps, "events_per_s": rps * workload.batch, "elapsed_s": args.duration,
                "latency_p50_ms": latency(50), "latency_p99_ms": latency(99),
                "client_cpu_s": child_cpu_seconds() - before}


class TailedFiles:
    """The file-tail workload's load: FILES files of whole lines, each --size bytes with its LF,
    --count lines in all (by default 8 × 128 MiB). They are written once per invocation, on first
    use, into <work dir>/file-tail/staging (the disk the servers' own work directories are on)
    and fsynced, so that no writeback runs during a measurement and every system reads the same
    bytes from the page cache. A run moves them (rename, same file system: inodes and cached
    pages are kept) into <work dir>/file-tail/tail, the directory the server under test
    watches, once it is up; afterwards they are moved back for the next system. So each server
    finds 8 complete files it has never seen and reads them from their start; its start-up is
    not measured. close() deletes everything."""
    FILES = 8

    def __init__(self, args):
        self.args = args
        self.default_count = self.FILES * ((128 << 20) // args.size)
        self.root = None
        self.events = 0

    @staticmethod
    def supports(workload):
        return workload.transport == "file"

    @property
    def staging(self):
        return os.path.join(self.root, "staging")

    @property
    def tail_dir(self):
        return os.path.join(self.root, "tail")

    def names(self):
        return [f"f{k}.log" for k in range(self.FILES)]

    def prepare(self, workdir):
        """Writes the files unless this invocation already did; returns the lines in all."""
        if self.root:
            return self.events
        if self.args.size < 24:
            raise RuntimeError("file-tail needs --size of at least 24 bytes per line")
        self.root = os.path.join(workdir, "file-tail")
        shutil.rmtree(self.root, ignore_errors=True)  # what an interrupted run left
        os.makedirs(self.staging)
        os.makedirs(self.tail_dir)
        atexit.register(self.close)
        lines = max((self.args.count or self.default_count) // self.FILES, 1)
        filler = b"abcdefghijklmnopqrstuvwxyz0123456789" * (self.args.size // 36 + 1)
        started = time.monotonic()
        for k, name in enumerate(self.names()):
            # "<file> <line number> <filler>\n": every line distinct, every file's first bytes too
            # (tailers that tell files apart by a fingerprint of their start see 8 files).
            tail = filler[:self.args.size - 1 - len(b"%d %010d " % (k, 0))] + b"\n"
            with open(os.path.join(self.staging, name), "wb") as f:
                for start in range(0, lines, 8192):
                    f.write(b"".join([b"%d %010d %s" % (k, i, tail) for i in range(start, min(start + 8192, lines))]))
                f.flush()
                os.fsync(f.fileno())
        self.events = lines * self.FILES
        print(f"  file-tail: wrote {self.FILES} files of {lines} lines of {self.args.size} bytes "
              f"({self.events * self.args.size / 1e6:.0f} MB) in {time.monotonic() - started:.1f} s",
              file=sys.stderr, flush=True)
        return self.events

    def paths(self):
        """Where the files are now (staging between runs)."""
        return [os.path.join(self.staging, n) for n in self.names()]

    def run(self, workload, port, count, args):
        """The load: the complete files appear in the tailed directory, one rename each."""
        before = time.process_time()
        for name in self.names():
            os.rename(os.path.join(self.staging, name), os.path.join(self.tail_dir, name))
        return time.process_time() - before

    def take_back(self):
        """After a run, with the server stopped: the files back into staging for the next one.
        Anything else a server left in the tailed directory goes."""
        for name in os.listdir(self.tail_dir):
            path = os.path.join(self.tail_dir, name)
            if name in self.names():
                os.rename(path, os.path.join(self.staging, name))
            elif os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)

    def close(self):
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


CLIENTS = {"sluice-bench": SluiceBench, "loggen": Loggen, "wrk": Wrk, "files": TailedFiles}
