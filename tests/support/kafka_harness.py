"""Kafka for end-to-end tests, with real clients and the real protocol: `MockCluster` runs
kafka-mock-cluster (librdkafka's mock cluster as its own process, tests/support/
kafka_mock_cluster.cc) and drives it over its stdin; `consume` reads a topic back with kcat;
`produce` and `produce_values` write with kcat; `metadata` and `leaders` ask the cluster.

    with MockCluster(topics=["events:3"]) as kafka:
        produce(kafka.bootstrap, "events", ["k1:v1"], key_delimiter=":", headers={"h": "x"})
        kafka.all_down()
        ...
        kafka.all_up()
        records = consume(kafka.bootstrap, "events", count=1)
        assert records[0].key == b"k1" and records[0].headers == [("h", b"x")]

Every wait is bounded: a control command that is not answered, a consumer that does not get
its records, a process that does not stop, each raises AssertionError (with the process's
stderr) instead of hanging; on any failure the processes are killed.

What librdkafka 2.0.2's mock cluster does and does not do (read in its source, and pinned by
tests/e2e/test_kafka_mock.py):
- broker-down closes the broker's connections and refuses new ones (connect() gets
  ECONNREFUSED: the port stays bound, not listening); broker-up listens on the same port again.
  Neither moves partition leaders: Metadata keeps naming the downed broker as leader, so its
  partitions take no writes until it is back or `set_leader` moves them (clients follow a
  move at once: a down leader makes them refresh metadata).
- Partitions have one log each, held by the cluster, not per broker: nothing is lost or
  diverges when a broker goes down or a leader moves. The replication factor is not modelled
  (Metadata reports min(3, brokers) replicas, all in sync, whatever was asked); acks=all is
  answered like acks=1. A partition keeps its last ~5 MiB (older message sets are dropped).
- Idempotent producers work (InitProducerId, acks=all; retries after injected errors deliver
  each message once, since a failed request is not stored), but the mock checks producer ids
  and sequence numbers only for transactional producers: a request that was stored but whose
  response the client gave up on (socket.timeout.ms) is stored again when the client resends
  it, where Kafka would acknowledge it as a duplicate; OUT_OF_ORDER_SEQUENCE_NUMBER and
  DUPLICATE_SEQUENCE_NUMBER never come back (unless injected).
- Injected errors (push_errors, broker_push_errors) work on Produce, Fetch, ListOffsets,
  InitProducerId, the group and transaction requests, not on Metadata. _TRANSPORT makes the
  broker drop the connection instead of answering. A broker's own queue (broker_push_errors)
  comes before the cluster's; clear_errors empties only the cluster's.
- topic_error only changes Metadata answers. UNKNOWN_TOPIC_OR_PART there makes a 2.0.2
  producer fail its messages with "Broker: Unknown topic or partition" once
  topic.metadata.propagation.max.ms has passed; other topic errors (TOPIC_AUTHORIZATION_FAILED)
  are ignored by the client because the mock still lists the partitions: messages just time
  out. To fail produces with a topic error, inject it on Produce (push_errors("Produce", ...)).
- Topics the cluster does not know are created when a client asks for their metadata (4
  partitions; librdkafka producers ask to auto-create by default) and by topic_error (4
  partitions) and set_leader (PARTITION + 1 partitions): create them explicitly first.
- Ports are the kernel's choice (no fixed ports); brokers listen on 127.0.0.1 only.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

_HERE = os.path.dirname(os.path.abspath(__file__))
KAFKA_MOCK_CLUSTER_BIN = os.path.abspath(os.environ.get(
    "KAFKA_MOCK_CLUSTER_BIN", os.path.join(_HERE, "../../build-debug/bin/kafka-mock-cluster")))
KCAT = os.environ.get("KCAT", "kcat")

# Sanitizer builds start slowly; every wait is generous but bounded.
START_TIMEOUT_S = 30
COMMAND_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
CLIENT_TIMEOUT_S = 60


class _LineReader:
    """Reads a pipe's lines on a thread, so that the test can wait for one with a timeout."""

    def __init__(self, pipe):
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.thread.start()

    def _run(self, pipe):
        try:
            for line in iter(pipe.readline, b""):
                self.lines.put(line)
        except (OSError, ValueError):
            pass
        self.lines.put(None)  # end of stream

    def next_line(self, timeout_s):
        """The next line (bytes, with its newline), None at end of stream; raises queue.Empty."""
        return self.lines.get(timeout=timeout_s)


class MockCluster:
    """A running kafka-mock-cluster. `topics`: "NAME:PARTITIONS[:REPLICATION]" strings or
    (name, partitions[, replication]) tuples. Attributes once started: `bootstrap`
    ("127.0.0.1:P1,..."), `brokers` ({id: "127.0.0.1:port"}, ids 1..N)."""

    def __init__(self, brokers=3, topics=(), debug=None, extra_args=()):
        self.broker_count = brokers
        self.topics = [t if isinstance(t, str) else ":".join(str(x) for x in t) for t in topics]
        self.debug = debug
        self.extra_args = list(extra_args)
        self.workdir = tempfile.mkdtemp(prefix="kafka-mock-")
        self.stderr_path = os.path.join(self.workdir, "kafka-mock-cluster.stderr")
        self.process = None
        self.bootstrap = None
        self.brokers = {}
        self.answers = []  # every (command, answer), for failure messages

    def command_line(self):
        cmd = [KAFKA_MOCK_CLUSTER_BIN, "--brokers", str(self.broker_count)]
        for t in self.topics:
            cmd += ["--topic", t]
        if self.debug:
            cmd += ["--debug", self.debug]
        return cmd + self.extra_args

    def start(self):
        if not os.path.exists(KAFKA_MOCK_CLUSTER_BIN):
            raise AssertionError(f"{KAFKA_MOCK_CLUSTER_BIN} is missing: build the tests first")
        self._stderr_file = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(self.command_line(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr_file)
        self._reader = _LineReader(self.process.stdout)
        try:
            line = self._reader.next_line(START_TIMEOUT_S)
        except queue.Empty:
            self.kill()
            raise AssertionError(f"kafka-mock-cluster printed no bootstrap line in {START_TIMEOUT_S}s:\n"
                                 + self.stderr())
        if not line or not line.startswith(b"bootstrap="):
            code = self.process.wait(timeout=STOP_TIMEOUT_S) if not line else None
            self.kill()
            raise AssertionError(f"kafka-mock-cluster did not start (first line {line!r}, exit code {code}):\n"
                                 + self.stderr())
        self.bootstrap = line.decode().strip().split("=", 1)[1]
        self.brokers = {i + 1: hostport for i, hostport in enumerate(self.bootstrap.split(","))}
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                code = self.stop()
            finally:
                self.cleanup()
            if code != 0:
                raise AssertionError(f"kafka-mock-cluster exited with {code}:\n{self.stderr()}")
        else:
            self.kill()
            self.cleanup()
        return False

    # --- the control protocol -------------------------------------------------------------

    def command(self, line, expect_ok=True, timeout_s=COMMAND_TIMEOUT_S):
        """Sends one control line and returns its answer line (without the newline). Raises
        unless it starts with "ok" when `expect_ok` (with "error" when expect_ok is False)."""
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"kafka-mock-cluster is not running (command {line!r}):\n{self.stderr()}")
        try:
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
            answer = self._reader.next_line(timeout_s)
        except (BrokenPipeError, queue.Empty) as e:
            self.kill()
            raise AssertionError(f"kafka-mock-cluster did not answer {line!r} ({type(e).__name__}):\n"
                                 + self.stderr())
        if answer is None:
            raise AssertionError(f"kafka-mock-cluster exited on {line!r} (code {self.process.wait()}):\n"
                                 + self.stderr())
        answer = answer.decode(errors="replace").rstrip("\n")
        self.answers.append((line, answer))
        wanted = "ok" if expect_ok else "error"
        if not answer.startswith(wanted + " ") and answer != wanted:
            raise AssertionError(f"kafka-mock-cluster answered {answer!r} to {line!r}, expected {wanted}")
        return answer

    def broker_down(self, broker_id):
        return self.command(f"broker-down {broker_id}")

    def broker_up(self, broker_id):
        return self.command(f"broker-up {broker_id}")

    def all_down(self):
        return self.command("all-down")

    def all_up(self):
        return self.command("all-up")

    def set_rtt(self, broker_id, rtt_ms):
        """Delays every response of a broker ("all": every broker) by rtt_ms."""
        return self.command(f"rtt {broker_id} {rtt_ms}")

    def create_topic(self, name, partitions, replication=None):
        return self.command(f"topic-create {name} {partitions} {replication or min(3, self.broker_count)}")

    def topic_error(self, name, error):
        """Metadata answers `error` for the topic ("NO_ERROR" clears it); see the module notes."""
        return self.command(f"topic-error {name} {error}")

    def push_errors(self, api_key, *errors):
        """The next requests of `api_key` ("Produce", ...) on any broker fail with `errors`, in order."""
        return self.command(f"push-errors {api_key} {' '.join(str(e) for e in errors)}")

    def broker_push_errors(self, broker_id, api_key, *errors):
        """Like push_errors on one broker; an error may carry a delay: "REQUEST_TIMED_OUT@1500",
        "NO_ERROR@500" (only a delay)."""
        return self.command(f"broker-push-errors {broker_id} {api_key} {' '.join(str(e) for e in errors)}")

    def clear_errors(self, api_key):
        return self.command(f"clear-errors {api_key}")

    def broker_error_count(self, broker_id, api_key):
        """How many errors broker_push_errors queued on the broker for `api_key` are still unused."""
        return int(self.command(f"broker-error-count {broker_id} {api_key}").split()[1])

    def set_leader(self, topic, partition, broker_id):
        """Moves a partition's leader; broker_id None makes it leader-less."""
        return self.command(f"leader {topic} {partition} {'none' if broker_id is None else broker_id}")

    def ping(self):
        return self.command("ping")

    # --- process ----------------------------------------------------------------------------

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """Closes stdin (the utility's signal to stop) and waits; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"kafka-mock-cluster did not stop in {timeout_s}s:\n{self.stderr()}")
        self._close_files()
        return self.process.returncode

    def terminate(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM and wait; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"kafka-mock-cluster did not stop on SIGTERM:\n{self.stderr()}")
        self._close_files()
        return code

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_files()

    def _close_files(self):
        if self.process:
            for f in (self.process.stdin, self.process.stdout):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
        if getattr(self, "_stderr_file", None):
            self._stderr_file.close()

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")[-5000:]
        except OSError:
            return ""

    def cleanup(self):
        shutil.rmtree(self.workdir, ignore_errors=True)


# --- reading back -----------------------------------------------------------------------------

@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list = field(default_factory=list)  # [(name: str, value: bytes | None)], in order
    timestamp_ms: int = -1
    timestamp_type: str = "unknown"  # "create", "logappend" or "unknown"
    broker: int = -1  # the broker that served the fetch

    def header(self, name):
        """The last value of header `name` (bytes), or None."""
        found = None
        for n, v in self.headers:
            if n == name:
                found = v
        return found

    def headers_dict(self):
        """{name: text} (UTF-8, last one wins): Flume-style string headers."""
        return {n: (None if v is None else v.decode()) for n, v in self.headers}


def _raw(text):
    """kcat -J writes payload bytes as they are (JSON-escaping only '"', '\\' and control
    characters), so a line is not always UTF-8: it is decoded with surrogateescape, and the
    strings are encoded back the same way to get the exact bytes."""
    return None if text is None else text.encode("utf-8", "surrogateescape")


def _record(line):
    d = json.loads(line.decode("utf-8", "surrogateescape"))
    flat = d.get("headers") or []
    headers = [(flat[i].encode("utf-8", "surrogateescape").decode(errors="replace"), _raw(flat[i + 1]))
               for i in range(0, len(flat) - 1, 2)]
    if "key_error" in d or "payload_error" in d:
        raise AssertionError(f"kcat could not decode a record: {d}")
    return Record(topic=d["topic"], partition=d["partition"], offset=d["offset"], key=_raw(d.get("key")),
                  value=_raw(d.get("payload")), headers=headers, timestamp_ms=d.get("ts", -1),
                  timestamp_type=d.get("tstype", "unknown"), broker=d.get("broker", -1))


def consume(bootstrap, topic, count=None, timeout_s=CLIENT_TIMEOUT_S, partition=None, offset="beginning",
            config=None):
    """Reads `topic` with `kcat -C -J` from `offset` and returns its records (in the order
    kcat printed them: by partition, not globally ordered). With `count`, waits until that
    many arrived (more may exist: call again without count to see everything); without it,
    returns everything up to the end of every partition (kcat -e). Raises AssertionError
    with what arrived and kcat's stderr if that takes longer than timeout_s."""
    cmd = [KCAT, "-C", "-b", bootstrap, "-t", topic, "-J", "-u", "-q", "-o", str(offset)]
    if partition is not None:
        cmd += ["-p", str(partition)]
    cmd += ["-c", str(count)] if count is not None else ["-e"]
    for k, v in (config or {}).items():
        cmd += ["-X", f"{k}={v}"]
    records = []
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        reader = _LineReader(process.stdout)
        deadline = time.monotonic() + timeout_s
        try:
            while count is None or len(records) < count:
                try:
                    line = reader.next_line(max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise AssertionError(
                        f"kcat read {len(records)} of {count if count is not None else 'all'} records of {topic} "
                        f"in {timeout_s}s; got {records[-5:]}\nkcat stderr:\n{_tail(err)}")
                if line is None:
                    break
                if line.strip():
                    records.append(_record(line))
            try:
                code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise AssertionError(f"kcat did not exit after {len(records)} records:\n{_tail(err)}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        if code != 0 or (count is not None and len(records) < count):
            raise AssertionError(f"kcat -C exited with {code} after {len(records)} records of {topic}:\n{_tail(err)}")
    return records


def _tail(f, limit=4000):
    f.seek(0)
    return f.read().decode(errors="replace")[-limit:]


# --- writing ----------------------------------------------------------------------------------

@dataclass
class Produced:
    returncode: int
    stderr: str

    @property
    def ok(self):
        return self.returncode == 0


def _producer_args(bootstrap, topic, headers, partition, key, config):
    cmd = [KCAT, "-P", "-b", bootstrap, "-t", topic]
    for name, value in (headers.items() if isinstance(headers, dict) else headers or ()):
        # kcat splits -H at the first '=': a name cannot hold one, a value can.
        cmd += ["-H", (name.encode() if isinstance(name, str) else name) + b"="
                + (value.encode() if isinstance(value, str) else value)]
    if partition is not None:
        cmd += ["-p", str(partition)]
    if key is not None:
        cmd += ["-k", key]
    for k, v in (config or {}).items():
        cmd += ["-X", f"{k}={v}"]
    return cmd


def produce(bootstrap, topic, lines, key_delimiter=None, headers=(), partition=None, key=None, config=None,
            extra_args=(), timeout_s=CLIENT_TIMEOUT_S, check=True):
    """Sends `lines` (str or bytes, one message each; "key<delimiter>value" with key_delimiter)
    with `kcat -P`; headers ({name: value} or [(name, value)]) go on every message. kcat exits
    once every message was delivered or failed. With `check`, raises unless all were delivered;
    returns Produced(returncode, stderr) either way. kcat gives up at the first client error
    (all brokers down, a request timed out) unless extra_args holds "-E"."""
    cmd = _producer_args(bootstrap, topic, headers, partition, key, config)
    if key_delimiter is not None:
        cmd += ["-K", key_delimiter]
    cmd += list(extra_args)
    raw = [line.encode() if isinstance(line, str) else line for line in lines]
    if any(b"\n" in line for line in raw):
        raise ValueError("a line holds a newline: use produce_values for arbitrary bytes")
    return _run_producer(cmd, b"".join(line + b"\n" for line in raw), timeout_s, check)


def produce_values(bootstrap, topic, values, headers=(), partition=None, key=None, config=None,
                   timeout_s=CLIENT_TIMEOUT_S, check=True):
    """Sends each of `values` (arbitrary non-empty bytes) as one message, through files (kcat
    -P sends a whole file as one message, and skips empty files)."""
    if any(len(v) == 0 for v in values):
        raise ValueError("kcat skips empty files: send empty values with produce()")
    with tempfile.TemporaryDirectory(prefix="kcat-values-") as d:
        paths = []
        for i, value in enumerate(values):
            path = os.path.join(d, f"{i:06d}")
            with open(path, "wb") as f:
                f.write(value)
            paths.append(path)
        cmd = _producer_args(bootstrap, topic, headers, partition, key, config) + paths
        return _run_producer(cmd, b"", timeout_s, check)


def _run_producer(cmd, data, timeout_s, check):
    try:
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"kcat -P did not finish in {timeout_s}s:\n"
                             + (e.stderr or b"").decode(errors="replace")[-4000:])
    result = Produced(p.returncode, p.stderr.decode(errors="replace"))
    if check and not result.ok:
        raise AssertionError(f"kcat -P failed ({p.returncode}):\n{result.stderr[-4000:]}")
    return result


# --- metadata ---------------------------------------------------------------------------------

def metadata(bootstrap, topic=None, timeout_s=CLIENT_TIMEOUT_S):
    """kcat -L -J: {"brokers": [...], "topics": [{"topic", "partitions": [{"partition",
    "leader", "replicas", "isrs"}]}]}. Asking for an unknown topic creates it in the mock."""
    cmd = [KCAT, "-L", "-J", "-b", bootstrap, "-m", str(min(timeout_s, 30))]
    if topic:
        cmd += ["-t", topic]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout_s)
    if p.returncode != 0:
        raise AssertionError(f"kcat -L failed ({p.returncode}):\n{p.stderr.decode(errors='replace')[-4000:]}")
    return json.loads(p.stdout)


def leaders(bootstrap, topic, timeout_s=CLIENT_TIMEOUT_S):
    """{partition: leader broker id} of `topic`."""
    for t in metadata(bootstrap, topic, timeout_s)["topics"]:
        if t["topic"] == topic:
            return {p["partition"]: p["leader"] for p in t["partitions"]}
    raise AssertionError(f"no metadata for topic {topic}")
