"""Latency from send to sink delivery: sluice alone, driven by sluice-bench at fixed rates, after
a warm-up (WARM_UP_EVENTS) that is not counted.

sluice-bench stamps every event with its send time; every sluice sink records each event's age
at delivery (sluice_sink_event_age_seconds); sluice-bench reads that histogram's growth over the
run and reports its percentiles (docs/BENCH_TOOLS.md, "Latency to sink delivery"). The peers keep no
such histogram, so this table has sluice's rows only. Used by bench.py --latency."""

import json
import os
import subprocess


# Before each measured run: this many events at 1,000/s, delivered and not counted. A freshly
# started sink connects first (Kafka: metadata and a producer id, about a second with the mock
# cluster), and what waits for that is start-up, not the steady state this table is about.
WARM_UP_EVENTS = 1000


def bench_command(workload, port, admin_port, rate, args, duration=None, count=None):
    """sluice-bench for `workload` at `rate` events/s for --duration, reading sluice's metrics."""
    common = ["--connections", str(args.connections), "--size", str(args.size), "--rate", str(rate),
              "--duration", str(duration or args.duration), "--metrics", f"http://127.0.0.1:{admin_port}/metrics",
              "--json", "--quiet"]
    if count:
        common += ["--count", str(count)]
    tool = os.path.join(args.bin_dir, "sluice-bench")
    if workload.transport in ("tcp", "udp"):
        return [tool, "syslog", f"--{workload.transport}", f"127.0.0.1:{port}"] + common
    if workload.transport == "http":
        return [tool, "http", f"http://127.0.0.1:{port}/", "--batch", str(workload.batch)] + common
    return [tool, "avro", f"127.0.0.1:{port}", "--batch", str(workload.batch)] + common


def latency_run(workload, rate, system_cls, args, workdir):
    """One run: a fresh sluice, sluice-bench at `rate`; the summary's latency fields."""
    system = system_cls(workdir, workload, args)
    system.start()
    try:
        warm_up = bench_command(workload, system.port, system.admin_port, 1000, args, duration=60, count=WARM_UP_EVENTS)
        subprocess.run(warm_up, capture_output=True, check=True, timeout=900)
        p = subprocess.run(bench_command(workload, system.port, system.admin_port, rate, args),
                           capture_output=True, text=True, timeout=args.duration + 900)
        if p.returncode != 0:
            raise RuntimeError(f"sluice-bench failed ({p.returncode}): {p.stderr.strip() or p.stdout.strip()}")
        r = json.loads(p.stdout)
    finally:
        system.stop()
    if r["delivery_events"] is None:
        raise RuntimeError(f"no delivery latency for {workload.name}: {r['delivery_note']}")
    out = {"rate": rate, "events": r["delivery_events"], "achieved_per_s": r["events_per_s"],
           "delivery_note": r["delivery_note"]}
    for q in ("p50", "p99", "p999"):
        out[f"delivery_{q}_ms"] = r[f"delivery_{q}_ms"]
        if r.get(f"latency_{q}_ms") is not None:  # http, avro: the acknowledgement's latency
            out[f"ack_{q}_ms"] = r[f"latency_{q}_ms"]
    return out


def ms_fmt(v):
    # Below the histogram's first bound (1 ms) sluice-bench's number is an interpolation within
    # that bucket, not a measurement: all the histogram says is "under 1 ms".
    return f"{v:.1f}" if v >= 1 else "<1"


def print_latency_table(results, args, cell):
    """One row per (workload, rate): medians of the runs (min–max), in milliseconds."""
    rows = []
    for r in results:
        key = (r["workload"], r["rate"])
        if key not in rows:
            rows.append(key)
    print(f"\nlatency in ms from send to sink delivery (acknowledgement for http/avro), median of "
          f"{args.runs} runs (min–max); {args.connections} connections, {args.size}-byte events, "
          f"{args.duration} s per run\n")
    print("| workload | offered events/s | delivery p50 | delivery p99 | delivery p99.9 | ack p50 | ack p99 |")
    print("|---|---|---|---|---|---|---|")
    for workload, rate in rows:
        runs = [r for r in results if (r["workload"], r["rate"]) == (workload, rate)]

        def column(name, fmt=ms_fmt):
            values = [r[name] for r in runs if r.get(name) is not None]
            if any(name in r and r[name] is None for r in runs):
                return "> 600000"  # beyond the histogram's largest bound
            if fmt is ms_fmt and values and max(values) < 1:
                return "<1"
            return cell(values, fmt) if values else "–"

        ack_fmt = lambda v: f"{v:.2f}"  # noqa: E731 (the client's own histogram: fine-grained)
        print(f"| {workload} | {rate:,} | {column('delivery_p50_ms')} | {column('delivery_p99_ms')} | "
              f"{column('delivery_p999_ms')} | {column('ack_p50_ms', ack_fmt)} | {column('ack_p99_ms', ack_fmt)} |")
    notes = {r["delivery_note"] for r in results if r.get("delivery_note")}
    for note in sorted(notes):
        print(f"\nnote: {note}")
