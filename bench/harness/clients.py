"""Load clients: sluice-bench and syslog-ng's loggen, both sending RFC 5424 with octet counting
over the same number of TCP connections. run() returns the client's CPU seconds."""

import os
import resource
import subprocess


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


CLIENTS = {"sluice-bench": SluiceBench, "loggen": Loggen, "wrk": Wrk}
