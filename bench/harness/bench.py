#!/usr/bin/python3
"""Side-by-side benchmark: each system in turn on the same loopback load, same client, same run.

For every (workload, client, system) it runs the client `--runs` times against a freshly started
server, sending a fixed number of events, and measures
  - events/s: events the server processed divided by the time from the first send until the
    server's own counter reached the total (so a client that finishes early into kernel
    buffers does not flatter anyone);
  - server CPU-µs/event: the server process's user+system CPU time over the same window
    (/proc/PID/stat), which holds even when the client is the bottleneck.
Each cell is the median of the runs with min-max. Started by scripts/bench."""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from clients import CLIENTS  # noqa: E402
from latency import latency_run, print_latency_table  # noqa: E402
from systems import SYSTEMS  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

# The Kafka workloads run librdkafka's mock cluster (tests/support/kafka-mock-cluster, built in
# release builds too) through the tests' harness.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wait_processed(system, target, timeout_s, stall_s=10):
    """Polls the server's processed counter until it reaches `target`; returns the time it did,
    or the time of the last increase if it stalled for `stall_s` (then the run counts what
    arrived)."""
    last_value, last_change = system.processed(), time.monotonic()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = system.processed()
        now = time.monotonic()
        if value != last_value:
            last_value, last_change = value, now
        if value >= target:
            return now, value
        if now - last_change > stall_s:
            break
        time.sleep(0.02)
    return last_change, last_value


def one_request_run(workload, client, system_cls, args, workdir):
    """Request/response workloads: the client runs for --duration; every answer it counts
    means the events were stored, so its rate is the server's."""
    system = system_cls(workdir, workload, args)
    system.start()
    try:
        cpu_before = cpu_seconds(system.pid)
        result = client.run_requests(workload, system.port, args)
        cpu_used = cpu_seconds(system.pid) - cpu_before
        events = result["events_per_s"] * result["elapsed_s"]
        result["server_cpu_us_per_event"] = cpu_used * 1e6 / max(events, 1)
        result["client_cpu_us_per_event"] = result.pop("client_cpu_s") * 1e6 / max(events, 1)
        result["events"] = int(events)
        result["sent"] = int(events)
        return result
    finally:
        system.stop()


WEBHDFS_SERVER = os.path.join(os.path.dirname(__file__), "../../tests/support/webhdfs_server.py")


class WebHdfsTestServer:
    """tests/support/webhdfs_server.py as its own process (not in this one, whose interpreter
    is busy polling), storing under `root`."""

    def __init__(self, root):
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        self.root = root
        self.process = subprocess.Popen(["/usr/bin/python3", WEBHDFS_SERVER, "--root", root], stdout=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()  # "namenode=HOST:PORT datanode=HOST:PORT"
        if not line.startswith("namenode="):
            raise RuntimeError(f"the WebHDFS test server did not start: {line!r}")
        self.namenode = line.split()[0].split("=", 1)[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def in_environment(workload, args, workdir, run):
    """Calls run() with what the workload's output needs running: a WebHDFS test server or a
    Kafka mock cluster, fresh for every run."""
    if workload.output == "hdfs-webhdfs":
        with WebHdfsTestServer(os.path.join(workdir, "webhdfs")) as server:
            args.webhdfs_namenode = server.namenode
            return run()
    if workload.output == "kafka":
        # A fresh mock cluster per run, so that no run inherits another's topic contents.
        with MockCluster(brokers=3, topics=["events:6"]) as cluster:
            args.kafka_bootstrap = cluster.bootstrap
            return run()
    return run()


def one_run(workload, client, system_cls, args, workdir):
    return in_environment(workload, args, workdir, lambda: measured_run(workload, client, system_cls, args, workdir))


# file-tail: after the server is up (and before the files appear), this long for its directory
# watches to be in place; not measured.
FILE_TAIL_SETTLE_S = 0.5


def file_tail_run(workload, client, system_cls, args, workdir):
    """file-tail: the server starts on an empty directory; once it is up, the 8 complete files
    (written once per invocation, see clients.TailedFiles) are renamed into it. Measured from
    the renames until the server's counter reached every line: elapsed time, and the server's
    CPU over the same window. Start-up and shut-down are not measured."""
    events = client.prepare(workdir)
    args.tail_dir = client.tail_dir
    if getattr(system_cls, "standalone", False):
        result = system_cls(workdir, workload, args).measure_files(client.paths(), events)
    else:
        system = system_cls(workdir, workload, args)
        system.start()
        try:
            time.sleep(FILE_TAIL_SETTLE_S)
            base = system.processed()
            cpu_before = cpu_seconds(system.pid)
            started = time.monotonic()
            client_cpu = client.run(workload, None, events, args)
            done_at, processed = wait_processed(system, base + events, timeout_s=600, stall_s=10)
            cpu_used = cpu_seconds(system.pid) - cpu_before
            got = processed - base
            elapsed = max(done_at - started, 1e-9)
            result = {"events": got, "sent": events, "elapsed_s": elapsed, "events_per_s": got / elapsed,
                      "server_cpu_us_per_event": cpu_used * 1e6 / max(got, 1),
                      "client_cpu_us_per_event": client_cpu * 1e6 / max(events, 1)}
        finally:
            try:
                system.stop()
            finally:
                client.take_back()
    result["read_mb_per_s"] = result["events"] * args.size / result["elapsed_s"] / 1e6
    return result


def measured_run(workload, client, system_cls, args, workdir):
    if workload.transport == "file":
        return file_tail_run(workload, client, system_cls, args, workdir)
    if getattr(system_cls, "standalone", False):
        count = args.count or client.default_count
        return system_cls(workdir, workload, args).measure(count - count % args.connections)
    if workload.request_response:
        return one_request_run(workload, client, system_cls, args, workdir)
    system = system_cls(workdir, workload, args)
    system.start()
    try:
        base = system.processed()
        stored_before = system.stored_bytes() if hasattr(system, "stored_bytes") else None
        received_before = system.received_bytes() if hasattr(system, "received_bytes") else None
        cpu_before = cpu_seconds(system.pid)
        udp = workload.transport == "udp"
        # UDP is sent at --udp-rate: by default for 10 s.
        count = args.count or (args.udp_rate * 10 if udp else client.default_count)
        count -= count % args.connections  # clients split it evenly over connections
        started = time.monotonic()
        client_cpu = client.run(workload, system.port, count, args)
        # Lost datagrams never arrive: a short stall ends a UDP run.
        done_at, processed = wait_processed(system, base + count, timeout_s=600, stall_s=2 if udp else 10)
        cpu_used = cpu_seconds(system.pid) - cpu_before
        events = processed - base
        elapsed = max(done_at - started, 1e-9)
        result = {"events": events, "sent": count, "elapsed_s": elapsed, "events_per_s": events / elapsed,
                  "server_cpu_us_per_event": cpu_used * 1e6 / max(events, 1),
                  "client_cpu_us_per_event": client_cpu * 1e6 / max(count, 1)}
        if udp:
            result["drop_pct"] = (count - events) * 100 / count
        if received_before is not None:
            result["received_mb_per_s"] = (system.received_bytes() - received_before) / elapsed / 1e6
        if stored_before is not None and workload.output.startswith(("durable", "hdfs")):
            # In fsync mode the position counts durable bytes only: wait for the last group commit.
            time.sleep(0.5)
            result["stored_mb_per_s"] = (system.stored_bytes() - stored_before) / elapsed / 1e6
        return result
    finally:
        system.stop()


def cell(values, fmt):
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def rate_fmt(v):
    return f"{v / 1e6:.2f}M" if v >= 1e5 else f"{v / 1e3:.0f}k"


def cpu_fmt(v):
    return f"{v:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: " + ", ".join(WORKLOADS))
    parser.add_argument("--systems", default=",".join(s for s in SYSTEMS if s != "sluice-before"),
                        help="comma-separated: " + ", ".join(SYSTEMS))
    parser.add_argument("--baseline-bin-dir", help="an older build's bin/ (its sluice is the system sluice-before), "
                        "for a before/after table in one run")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated: " + ", ".join(CLIENTS))
    parser.add_argument("--runs", type=int, default=3, help="runs per cell (median reported)")
    parser.add_argument("--count", type=int, default=0, help="events per run (default: per client)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--shards", type=int, default=0, help="sluice shards (default: one per core)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run of request/response workloads")
    parser.add_argument("--udp-rate", type=int, default=300_000,
                        help="events/s offered in total over UDP (default 300000; --count defaults to 10 s of it)")
    parser.add_argument("--bin-dir", default=os.path.join(os.path.dirname(__file__), "../../build/bin"))
    parser.add_argument("--json", help="also write every run as JSON to this file")
    parser.add_argument("--ceilings", action="store_true",
                        help="also measure the disk's sequential write rate with dd (page cache + fdatasync, "
                             "and O_DIRECT) in the work directory")
    parser.add_argument("--latency", metavar="RATE,...",
                        help="instead of the side-by-side table: sluice alone at these offered rates (events/s, "
                             "for --duration each), latency from send to sink delivery per workload")
    args = parser.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)
    if args.baseline_bin_dir:
        args.baseline_bin_dir = os.path.abspath(args.baseline_bin_dir)
    os.environ.setdefault("KAFKA_MOCK_CLUSTER_BIN", os.path.join(args.bin_dir, "kafka-mock-cluster"))
    global MockCluster
    from support.kafka_harness import MockCluster  # noqa: E402 (reads KAFKA_MOCK_CLUSTER_BIN)

    workdir = os.path.abspath(os.path.join(args.bin_dir, "../bench-work"))
    os.makedirs(workdir, exist_ok=True)
    if args.latency:
        return latency_main(args, workdir)
    results = []
    # Runs are the outer loop: every cell gets its first run, then its second..., so that the
    # machine's drift over the session (other tenants, thermal) spreads over all cells alike.
    cells = []
    clients = []
    for wname in args.workloads.split(","):
        workload = WORKLOADS[wname]
        for cname in args.clients.split(","):
            client = CLIENTS[cname](args)
            if not client.supports(workload):
                continue
            clients.append(client)
            for sname in args.systems.split(","):
                if SYSTEMS[sname].supports(workload):
                    cells.append((wname, workload, cname, client, sname, SYSTEMS[sname]))
    # The ceilings are measured in the same loop, once per run, for the same reason.
    ceilings = {}
    wants_webhdfs = any(w.output == "hdfs-webhdfs" for _, w, *_ in cells)
    # Stopped by SIGTERM too, the servers are stopped and file-tail's files deleted (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        run_cells(cells, args, workdir, wants_webhdfs, results, ceilings)
    finally:
        for client in clients:  # file-tail's files
            if hasattr(client, "close"):
                client.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": results, "ceilings": ceilings}, f, indent=1)
    print_table(results, args)
    for name, values in ceilings.items():
        tool = "dd" if name.startswith("disk") else "webhdfs-ceiling"
        print(f"| ceiling: {name} | {tool} | {cell(values, lambda v: f'{v:.0f} MB/s')} |")


def run_cells(cells, args, workdir, wants_webhdfs, results, ceilings):
    for run in range(args.runs):
        if args.ceilings:
            for name, value in measure_disk(workdir, args.bin_dir).items():
                ceilings.setdefault(name, []).append(value)
            if wants_webhdfs:
                for name, value in measure_webhdfs(workdir, args).items():
                    ceilings.setdefault(name, []).append(value)
        for wname, workload, cname, client, sname, system_cls in cells:
            r = one_run(workload, client, system_cls, args, workdir)
            r.update(workload=wname, client=cname, system=sname, run=run)
            results.append(r)
            print(f"  {wname} / {cname} / {sname} run {run + 1}: {rate_fmt(r['events_per_s'])} events/s, "
                  f"{r['server_cpu_us_per_event']:.3f} server CPU-µs/event, "
                  f"{r['events']}/{r['sent']} events", file=sys.stderr, flush=True)


def latency_main(args, workdir):
    rates = [int(float(r.rstrip("kM")) * (1000 if r.endswith("k") else 1_000_000 if r.endswith("M") else 1))
             for r in args.latency.split(",")]
    system_cls = SYSTEMS["sluice"]
    workloads = [WORKLOADS[w] for w in args.workloads.split(",") if system_cls.supports(WORKLOADS[w])]
    results = []
    # Runs outermost, as in the side-by-side table: drift spreads over every cell alike.
    for run in range(args.runs):
        for workload in workloads:
            for rate in rates:
                r = in_environment(workload, args, workdir,
                                   lambda: latency_run(workload, rate, system_cls, args, workdir))
                r.update(workload=workload.name, run=run)
                results.append(r)
                print(f"  {workload.name} at {rate:,}/s run {run + 1}: delivery p50 {r['delivery_p50_ms']} ms, "
                      f"p99 {r['delivery_p99_ms']} ms ({r['events']} events)", file=sys.stderr, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"latency_runs": results}, f, indent=1)
    print_latency_table(results, args, cell)


def measure_disk(workdir, bin_dir):
    """The disk's sequential write rate (MB/s), the two ways that bound what a log can do."""
    out = {}
    path = os.path.join(workdir, "dd.test")
    for name, flag in (("disk write, page cache + fdatasync (1 GiB)", "conv=fdatasync"),
                       ("disk write, O_DIRECT (1 GiB)", "oflag=direct")):
        p = subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", "count=1024", flag],
                           capture_output=True, text=True)
        m = re.search(r"copied, ([\d.]+) s", p.stderr)
        if m:
            out[name] = 1024 * 1024 * 1024 / float(m.group(1)) / 1e6
        os.remove(path)
    # The HDFS sink's file:// writer alone (no events): 8 MiB appends, each O_DIRECT + fdatasync.
    p = subprocess.run([os.path.join(bin_dir, "webhdfs-ceiling"), "--local", path, "--bytes", str(1 << 30), "--chunk", str(8 << 20),
                        "--json"], capture_output=True, text=True)
    if p.returncode == 0:
        out["sluice's file:// writer alone, 8 MiB appends (1 GiB)"] = json.loads(p.stdout)["mb_per_s"]
    if os.path.exists(path):
        os.remove(path)
    return out


def measure_webhdfs(workdir, args):
    """The WebHDFS test server's own ceiling (MB/s): webhdfs-ceiling uploads 1 GiB in 8 MiB
    APPENDs (the HDFS sink's group commit) to a fresh server, nothing else."""
    with WebHdfsTestServer(os.path.join(workdir, "webhdfs")) as server:
        p = subprocess.run([os.path.join(args.bin_dir, "webhdfs-ceiling"), "--namenode", server.namenode,
                            "--bytes", str(1 << 30), "--chunk", str(8 << 20), "--json"],
                           check=True, capture_output=True, text=True)
    return {"WebHDFS test server, upload-only client (1 GiB in 8 MiB APPENDs)": json.loads(p.stdout)["mb_per_s"]}


def print_table(results, args):
    systems = [s for s in args.systems.split(",") if any(r["system"] == s for r in results)]
    rows = []
    for r in results:
        key = (r["workload"], r["client"])
        if key not in rows:
            rows.append(key)
    print(f"\nevents/s, median of {args.runs} runs (min–max); {args.connections} connections, {args.size}-byte events\n")
    columns = ["workload", "client"] + systems + [f"sluice ÷ {s}" for s in systems if s != "sluice"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for metric, fmt, title, better in (("events_per_s", rate_fmt, "events/s", max),
                                       ("server_cpu_us_per_event", cpu_fmt, "server CPU-µs/event", min),
                                       ("requests_per_s", rate_fmt, "requests/s", max),
                                       ("latency_p99_ms", lambda v: f"{v:.2f}", "p99 latency ms", min),
                                       ("stored_mb_per_s", lambda v: f"{v:.0f}", "MB/s stored", max),
                                       ("received_mb_per_s", lambda v: f"{v:.0f}", "MB/s received", max),
                                       ("read_mb_per_s", lambda v: f"{v:.0f}", "MB/s read", max),
                                       ("drop_pct", lambda v: f"{v:.2f}", "drop %", min)):
        for workload, client in rows:
            cells, medians = [], {}
            if not any(r.get(metric) is not None for r in results if (r["workload"], r["client"]) == (workload, client)):
                continue
            for s in systems:
                values = [r[metric] for r in results
                          if (r["workload"], r["client"], r["system"]) == (workload, client, s)
                          and r.get(metric) is not None]
                cells.append(cell(values, fmt))
                if values:
                    medians[s] = statistics.median(values)
            ratios = []
            for s in systems:
                if s == "sluice":
                    continue
                if "sluice" in medians and s in medians and medians[s] > 0 and medians["sluice"] > 0:
                    higher_is_better = better is max
                    ratio = medians["sluice"] / medians[s] if higher_is_better else medians[s] / medians["sluice"]
                    ratios.append(f"{ratio:.1f}×")
                else:
                    ratios.append("n/a")
            print("| " + " | ".join([f"{workload} ({title})", client] + cells + ratios) + " |")
    print("\nRatios: how many times sluice's events/s, and how many times less CPU per event sluice uses.")


if __name__ == "__main__":
    main()
