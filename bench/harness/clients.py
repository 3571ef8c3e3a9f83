"""Load clients: sluice-bench and syslog-ng's loggen, both sending RFC 5424 with octet counting
over the same number of TCP connections. run() returns the client's CPU seconds."""

import os
import resource
import subprocess


def child_cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


class SluiceBench:
    default_count = 20_000_000

    def __init__(self, args):
        self.args = args

    @staticmethod
    def supports(workload):
        return workload.transport in ("tcp", "udp")

    def run(self, workload, port, count, args):
        before = child_cpu_seconds()
        subprocess.run([os.path.join(args.bin_dir, "sluice-bench"), "syslog", f"--{workload.transport}",
                        f"127.0.0.1:{port}", "--connections", str(args.connections), "--size", str(args.size),
                        "--count", str(count), "--duration", "600", "--no-metrics", "--quiet"],
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
                        "127.0.0.1", str(port)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return child_cpu_seconds() - before


CLIENTS = {"sluice-bench": SluiceBench, "loggen": Loggen}
