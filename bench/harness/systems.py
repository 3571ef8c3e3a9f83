"""The servers scripts/bench compares. Each starts from its committed config under bench/peers/,
reports how many events it has processed (its own counter), and stops."""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

PEERS = os.path.join(os.path.dirname(__file__), "../peers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout_s=30, transport="tcp"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if transport == "udp":
            if udp_bound(port):
                return
        else:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {transport} port {port}")


def wait_until(ready, process, name, stderr_path, timeout_s=30):
    """Polls ready() until it is true; fails when `process` exited or after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start-up: " + open(stderr_path, errors="replace").read())
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not come up in {timeout_s} s")


def udp_bound(port):
    """Whether a UDP socket is bound to `port` (UDP has no handshake to try)."""
    with open("/proc/net/udp") as f:
        return any(line.split()[1].endswith(f":{port:04X}") for line in f.readlines()[1:])


def render(peer, workload, **values):
    with open(os.path.join(PEERS, peer, f"{workload.name}.conf")) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("{" + k + "}", str(v))
    return text


class Sluice:
    name = "sluice"

    @staticmethod
    def supports(workload):
        return os.path.exists(os.path.join(PEERS, "sluice", f"{workload.name}.conf"))

    def __init__(self, workdir, workload, args):
        self.dir = os.path.join(workdir, "sluice")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        self.admin_port = free_port()
        self.workload = workload
        self.args = args

    def start(self):
        conf = os.path.join(self.dir, "sluice.conf")
        with open(conf, "w") as f:
            f.write(render("sluice", self.workload, port=self.port, dir=self.dir,
                           bootstrap=getattr(self.args, "kafka_bootstrap", ""),
                           tail_dir=getattr(self.args, "tail_dir", ""),
                           namenode=getattr(self.args, "webhdfs_namenode", "")))
        cmd = [os.path.join(self.args.bin_dir, "sluice"), "-f", conf, "-n", "a1", "--admin",
               f"127.0.0.1:{self.admin_port}"]
        if self.args.shards:
            cmd += ["--shards", str(self.args.shards)]
        self.process = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                                        stderr=open(os.path.join(self.dir, "stderr"), "wb"))
        while b"ready" not in self.process.stdout.readline():
            if self.process.poll() is not None:
                raise RuntimeError("sluice failed to start: " + open(os.path.join(self.dir, "stderr")).read())
        self.pid = self.process.pid

    def metric_sum(self, name):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/metrics", timeout=10) as r:
            text = r.read().decode()
        return sum(float(v) for v in re.findall(rf"^{name}\{{[^}}]*\}} (\S+)$", text, re.M))

    def processed(self):
        if self.workload.output == "kafka":  # what Kafka confirmed, not what arrived
            return int(self.metric_sum("sluice_sink_kafka_acked_events_total"))
        if self.workload.output.startswith("hdfs"):  # what the file system acknowledged
            return int(self.metric_sum("sluice_sink_hdfs_written_events_total"))
        return int(self.metric_sum("sluice_source_accepted_events_total"))

    def stored_bytes(self):
        """Bytes stored, for MB/s: the channel's log positions, or the HDFS sink's file bytes."""
        if self.workload.output.startswith("hdfs"):
            return self.metric_sum("sluice_sink_hdfs_written_bytes_total")
        return self.metric_sum("sluice_channel_position_bytes")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=120)
        self.process.stdout.close()


class SluiceBaseline(Sluice):
    """An older sluice build (--baseline-bin-dir), measured in the same run for a before/after
    table. It may expose the metric names from before docs/METRICS.md's renames."""
    name = "sluice-before"
    OLD_NAMES = {
        "sluice_sink_hdfs_written_events_total": "sluice_sink_hdfs_events_written_total",
        "sluice_sink_hdfs_written_bytes_total": "sluice_sink_hdfs_bytes_written_total",
    }

    def __init__(self, workdir, workload, args):
        if not getattr(args, "baseline_bin_dir", None):
            raise RuntimeError("the sluice-before system needs --baseline-bin-dir")
        super().__init__(os.path.join(workdir, "before"), workload, args)

    def start(self):
        current = self.args.bin_dir
        self.args.bin_dir = self.args.baseline_bin_dir
        try:
            super().start()
        finally:
            self.args.bin_dir = current

    def metric_sum(self, name):
        value = super().metric_sum(name)
        if value == 0 and name in self.OLD_NAMES:
            value = super().metric_sum(self.OLD_NAMES[name])
        return value


class SyslogNg:
    name = "syslog-ng"

    @staticmethod
    def supports(workload):
        return shutil.which("syslog-ng") and os.path.exists(os.path.join(PEERS, "syslog-ng", f"{workload.name}.conf"))

    def __init__(self, workdir, workload, args):
        self.dir = os.path.join(workdir, "syslog-ng")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        self.workload = workload
        self.args = args
        self.ctl = os.path.join(self.dir, "ctl")
        self.ctl_socket = None
        self.sink = None

    def start(self):
        conf = os.path.join(self.dir, "syslog-ng.conf")
        with open(conf, "w") as f:
            text = render("syslog-ng", self.workload, port=self.port, dir=self.dir,
                          bootstrap=getattr(self.args, "kafka_bootstrap", ""),
                          tail_dir=getattr(self.args, "tail_dir", ""))
            if "{sink_port}" in text:  # a network destination (the durable config's disk-buffer)
                self.sink = TcpSink(self.dir, self.args)
                text = text.replace("{sink_port}", str(self.sink.port))
            f.write(text)
        self.process = subprocess.Popen(
            ["syslog-ng", "-F", "--no-caps", "-f", conf, "-R", os.path.join(self.dir, "persist"),
             "-p", os.path.join(self.dir, "pid"), "-c", self.ctl],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "stderr"), "wb"))
        if self.workload.transport == "file":
            # No port: up once its control socket answers with the source's counter.
            wait_until(lambda: self.stats_line() is not None, self.process, "syslog-ng",
                       os.path.join(self.dir, "stderr"))
        else:
            wait_for_port(self.port, transport=self.workload.transport)
        self.pid = self.process.pid

    def stats(self):
        """`syslog-ng-ctl stats`'s text. file-tail asks the control socket itself, over one
        connection: syslog-ng-ctl costs about 13 ms of CPU per call (a shell wrapper, then a
        process loading glib), which polled every 20 ms took a third of a core from a server
        that reads files for a second or more."""
        if self.workload.transport != "file":
            return subprocess.run(["syslog-ng-ctl", "stats", "-c", self.ctl], capture_output=True, text=True).stdout
        try:
            if self.ctl_socket is None:
                self.ctl_socket = socket.socket(socket.AF_UNIX)
                self.ctl_socket.settimeout(10)
                self.ctl_socket.connect(self.ctl)
            self.ctl_socket.sendall(b"STATS\n")
            data = b""
            while not data.endswith(b"\n.\n"):  # the answer ends with a line of one dot
                chunk = self.ctl_socket.recv(1 << 16)
                if not chunk:
                    raise OSError("syslog-ng closed its control socket")
                data += chunk
            return data.decode(errors="replace")
        except OSError:
            self.close_ctl()
            return ""

    def close_ctl(self):
        if self.ctl_socket is not None:
            self.ctl_socket.close()
            self.ctl_socket = None

    def stats_line(self):
        """The source's processed counter (source s_net, or s_files for file-tail), or None
        while the control socket gives no answer."""
        out = self.stats()
        source = "s_files" if self.workload.transport == "file" else "s_net"
        m = re.search(rf"^source;{source};;a;processed;(\d+)$", out, re.M)
        return int(m.group(1)) if m else None

    def processed(self):
        if self.workload.output == "kafka":  # what Kafka confirmed (kafka-c's written counter)
            out = self.stats()
            m = re.search(r"^dst\.kafka;d_kafka#0;kafka,events;a;written;(\d+)$", out, re.M)
            return int(m.group(1)) if m else 0
        return self.stats_line() or 0

    def stop(self):
        self.close_ctl()
        self.process.terminate()
        self.process.wait(timeout=120)
        if self.sink:
            self.sink.stop()


RSYSLOG_ROOT = os.path.join(os.path.dirname(__file__), "../../.cache/peers/rsyslog")  # scripts/bench unpacks it


class Rsyslog:
    """rsyslogd from Debian's package, unpacked by scripts/bench (it conflicts with syslog-ng's
    package): its own modules (-M), pid file and work directory, no imuxsock or imklog, so it
    touches neither /dev/log nor the system's configuration. Every config counts processed
    events by writing one byte per event to {dir}/count (see bench/peers/rsyslog/)."""
    name = "rsyslog"

    @staticmethod
    def supports(workload):
        return (os.access(os.path.join(RSYSLOG_ROOT, "usr/sbin/rsyslogd"), os.X_OK)
                and os.path.exists(os.path.join(PEERS, "rsyslog", f"{workload.name}.conf")))

    def __init__(self, workdir, workload, args):
        self.dir = os.path.join(workdir, "rsyslog")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "work"))
        self.port = free_port()
        self.workload = workload
        self.count_file = os.path.join(self.dir, "count")
        self.args = args
        self.stats_read = 0  # kafka: bytes of stats.json already read, and the acked seen there
        self.acked = 0

    def start(self):
        conf = os.path.join(self.dir, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(render("rsyslog", self.workload, port=self.port, dir=self.dir,
                           bootstrap=getattr(self.args, "kafka_bootstrap", ""),
                           tail_dir=getattr(self.args, "tail_dir", "")))
        self.process = subprocess.Popen(
            [os.path.join(RSYSLOG_ROOT, "usr/sbin/rsyslogd"), "-n", "-f", conf, "-i", os.path.join(self.dir, "pid"),
             "-M", os.path.join(RSYSLOG_ROOT, "usr/lib/x86_64-linux-gnu/rsyslog")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "stderr"), "wb"))
        if self.workload.transport == "file":
            # No port: up once it logged its start message (after its inputs were started).
            wait_until(self.logged_start, self.process, "rsyslogd", os.path.join(self.dir, "stderr"))
        else:
            wait_for_port(self.port, transport=self.workload.transport)
        self.pid = self.process.pid

    def logged_start(self):
        try:
            with open(os.path.join(self.dir, "rsyslogd.log"), "rb") as f:
                return b"] start" in f.read()  # [origin software="rsyslogd" ...] start
        except FileNotFoundError:
            return False

    def processed(self):
        if self.workload.output == "kafka":  # what Kafka confirmed: omkafka's acked, via impstats
            return self.kafka_acked()
        try:
            return os.stat(self.count_file).st_size
        except FileNotFoundError:  # before the first event
            return 0

    def kafka_acked(self):
        """The last "acked" impstats wrote for the omkafka action named "kafka" (once a second;
        each line is "DATE: {json}"). Reads only what was appended since the last call."""
        import json
        try:
            with open(os.path.join(self.dir, "stats.json"), "rb") as f:
                f.seek(self.stats_read)
                for line in f:
                    if not line.endswith(b"\n"):  # a line being written: read it next time
                        break
                    self.stats_read += len(line)
                    if b'"omkafka"' not in line:
                        continue
                    entry = json.loads(line[line.index(b"{"):])
                    if entry.get("name") == "kafka" and entry.get("origin") == "omkafka":
                        self.acked = int(entry.get("acked", self.acked))
        except FileNotFoundError:
            pass
        return self.acked

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=120)


class TcpSink:
    """bench/ceilings/tcp_ceiling.cc on a free port: reads whatever arrives and forgets it,
    keeping the byte count in a file it maps (read by received_bytes())."""

    def __init__(self, workdir, args):
        self.port = free_port()
        self.counter_file = os.path.join(workdir, "tcp-ceiling.count")
        self.process = subprocess.Popen([os.path.join(args.bin_dir, "tcp-ceiling"), "--port", str(self.port),
                                         "--counter-file", self.counter_file], stdout=subprocess.DEVNULL)
        wait_for_port(self.port)

    def received_bytes(self):
        with open(self.counter_file, "rb") as f:
            return int.from_bytes(f.read(8), "little")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


class TcpCeiling:
    """The loopback TCP ceiling: tcp-ceiling reads every connection into a buffer and looks at
    nothing, so its rate is the kernel's loopback copy (with the client), the bound for any
    syslog server on the same load. Events are counted as bytes over the framed message size
    (RFC 6587 octet counting: "200 " + 200 bytes), which is exact once whole messages arrived."""
    name = "tcp-ceiling"

    @staticmethod
    def supports(workload):
        return workload.transport == "tcp" and workload.output == "discard"

    def __init__(self, workdir, workload, args):
        self.dir = os.path.join(workdir, "tcp-ceiling")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.args = args
        self.frame_bytes = len(str(args.size)) + 1 + args.size

    def start(self):
        self.sink = TcpSink(self.dir, self.args)
        self.port = self.sink.port
        self.pid = self.sink.process.pid

    def received_bytes(self):
        return self.sink.received_bytes()

    def processed(self):
        return self.received_bytes() // self.frame_bytes

    def stop(self):
        self.sink.stop()


class BeastCeiling:
    """The HTTP ceiling: bench/ceilings/beast_ceiling.cc answers 200 to every request, storing
    nothing."""
    name = "beast-ceiling"

    @staticmethod
    def supports(workload):
        return workload.transport == "http"

    def __init__(self, workdir, workload, args):
        self.port = free_port()
        self.args = args

    def start(self):
        self.process = subprocess.Popen([os.path.join(self.args.bin_dir, "beast-ceiling"), "--port", str(self.port),
                                         "--threads", str(self.args.shards or os.cpu_count())],
                                        stdout=subprocess.DEVNULL)
        wait_for_port(self.port)
        self.pid = self.process.pid

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


class KafkaCeiling:
    """The Kafka ceiling: bench/ceilings/kafka_ceiling.cc, a bare librdkafka producer with the
    same producer settings, message size and (with --headers 5) as many record headers as
    sluice's syslog events carry, sending as fast as it can to the same mock cluster. No server
    and no client: it measures itself (standalone)."""
    name = "kafka-ceiling"
    standalone = True

    @staticmethod
    def supports(workload):
        return workload.output == "kafka"

    def __init__(self, workdir, workload, args):
        self.args = args

    def measure(self, count):
        import json
        import resource
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([os.path.join(self.args.bin_dir, "kafka-ceiling"), "--bootstrap", self.args.kafka_bootstrap,
                            "--topic", "events", "--count", str(count), "--size", str(self.args.size),
                            "--headers", "5", "--json"], check=True, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = json.loads(p.stdout)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return {"events": r["delivered"], "sent": count, "elapsed_s": r["seconds"], "events_per_s": r["events_per_s"],
                "server_cpu_us_per_event": cpu * 1e6 / max(r["delivered"], 1), "client_cpu_us_per_event": 0.0}


class FileTailCeiling:
    """The file-tail ceiling: `wc -l` over the same 8 files (in the page cache, as for the
    servers), one process reading them one after the other and counting LFs. No server: it
    measures itself (standalone), wall time and its CPU (user+sys)."""
    name = "file-tail-ceiling"
    standalone = True

    @staticmethod
    def supports(workload):
        return workload.transport == "file"

    def __init__(self, workdir, workload, args):
        self.args = args

    def measure_files(self, paths, events):
        import resource
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        p = subprocess.run(["wc", "-l"] + paths, check=True, capture_output=True, text=True,
                           env={**os.environ, "LC_ALL": "C"})
        elapsed = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        counted = int(p.stdout.strip().splitlines()[-1].split()[0])
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return {"events": counted, "sent": events, "elapsed_s": elapsed, "events_per_s": counted / elapsed,
                "server_cpu_us_per_event": cpu * 1e6 / max(counted, 1), "client_cpu_us_per_event": 0.0}


SYSTEMS = {"sluice": Sluice, "sluice-before": SluiceBaseline, "syslog-ng": SyslogNg, "rsyslog": Rsyslog, "tcp-ceiling": TcpCeiling,
           "beast-ceiling": BeastCeiling, "kafka-ceiling": KafkaCeiling, "file-tail-ceiling": FileTailCeiling}
