"""End to end: the Kafka test tooling, proven with real clients before a Kafka sink relies on it.
kafka-mock-cluster (librdkafka's mock cluster in its own process) takes kcat's produce requests
and serves them back to kcat's consumer over the real Kafka protocol; brokers go down and come
back, errors are injected, responses are delayed, and the idempotent producer works. What the
mock can and cannot do is summed up in tests/support/kafka_harness.py; the tests below pin it."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.kafka_harness import (KAFKA_MOCK_CLUSTER_BIN, MockCluster, consume, leaders,  # noqa: E402
                                   metadata, produce, produce_values)

# Clients reconnect quickly once a broker is back (librdkafka's default backoff grows to 10 s).
FAST_RECONNECT = {"reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 300}


def by_partition(records):
    parts = {}
    for r in records:
        parts.setdefault(r.partition, []).append(r)
    return parts


def port_of(hostport):
    return int(hostport.rsplit(":", 1)[1])


class BackgroundProducer:
    """kcat -P sending `data` ("key:value" lines) while the test changes the cluster; -E keeps
    kcat going through broker errors until each message is delivered or times out."""

    def __init__(self, bootstrap, topic, data, args):
        self.stderr_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(["kcat", "-P", "-E", "-b", bootstrap, "-t", topic, "-K", ":"] + args,
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.stderr_file)
        self.process.stdin.write(data)
        self.process.stdin.close()

    def __enter__(self):
        return self

    def wait(self, timeout_s):
        """(exit code, stderr); raises if kcat is still running after timeout_s."""
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"kcat -P still running after {timeout_s}s:\n{self.stderr()}")
        return code, self.stderr()

    def stderr(self):
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode(errors="replace")[-4000:]

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stderr_file.close()
        return False


class ProduceAndConsume(unittest.TestCase):
    def test_keys_headers_values_partitions_and_timestamps_come_back(self):
        with MockCluster(brokers=3, topics=["events:3"]) as kafka:
            self.assertEqual(len(kafka.brokers), 3)
            lines = [f"k{i}:value {i} with spaces" for i in range(30)]
            before_ms = int(time.time() * 1000)
            produce(kafka.bootstrap, "events", lines, key_delimiter=":",
                    headers=[("source", "kcat"), ("trace", "a=b,c"), ("source", "again")])
            after_ms = int(time.time() * 1000)
            records = consume(kafka.bootstrap, "events", count=30)

            self.assertEqual(sorted((r.key, r.value) for r in records),
                             sorted((f"k{i}".encode(), f"value {i} with spaces".encode()) for i in range(30)))
            for r in records:
                self.assertEqual(r.topic, "events")
                self.assertEqual(r.headers, [("source", b"kcat"), ("trace", b"a=b,c"), ("source", b"again")],
                                 "headers keep their order, repeated names and '=' in values")
                self.assertEqual(r.header("source"), b"again")
                self.assertEqual(r.timestamp_type, "create")
                self.assertTrue(before_ms - 1000 <= r.timestamp_ms <= after_ms + 1000, r)
                self.assertIn(r.broker, kafka.brokers)
            parts = by_partition(records)
            self.assertEqual(set(parts), {0, 1, 2}, "30 keys spread over the 3 partitions")
            for p, rs in parts.items():
                self.assertEqual([r.offset for r in rs], list(range(len(rs))), f"partition {p}: offsets from 0")
                seqs = [int(r.value.split()[1]) for r in rs]
                self.assertEqual(seqs, sorted(seqs), f"partition {p} keeps the send order")

            # The same keys land on the same partitions again (the key decides, not chance).
            first = {r.key: r.partition for r in records}
            produce(kafka.bootstrap, "events", lines, key_delimiter=":")
            everything = consume(kafka.bootstrap, "events")
            self.assertEqual(len(everything), 60, "a consumer without count reads to the end")
            for r in everything:
                self.assertEqual(r.partition, first[r.key], r)

    def test_binary_empty_and_null_values_come_back_exactly(self):
        with MockCluster(brokers=1, topics=["bin:1"]) as kafka:
            values = [bytes(range(256)),
                      b"\xc3\x28 invalid utf-8 \xed\xa0\x80 \xff\xfe",
                      "h\u00e9llo \U0001F600 \"quoted\" \\ / \x00 \n\r\t\x7f".encode(),
                      os.urandom(4096)]
            produce_values(kafka.bootstrap, "bin", values, key=b"bin\xffkey",
                           headers=[("h", b"\xc3\xa9\xff?")])  # argv: no NUL
            produce(kafka.bootstrap, "bin", ["kempty:"], key_delimiter=":")
            produce(kafka.bootstrap, "bin", ["knull:"], key_delimiter=":", extra_args=["-Z"])
            records = consume(kafka.bootstrap, "bin")
            self.assertEqual([r.value for r in records], values + [b"", None])
            self.assertEqual([r.key for r in records], [b"bin\xffkey"] * 4 + [b"kempty", b"knull"])
            self.assertEqual(records[0].headers, [("h", b"\xc3\xa9\xff?")])
            self.assertEqual(records[4].headers, [])

    def test_metadata_names_three_brokers_and_the_partition_leaders(self):
        with MockCluster(brokers=3, topics=["m:5:2"]) as kafka:
            md = metadata(kafka.bootstrap, "m")
            self.assertEqual(sorted(b["id"] for b in md["brokers"]), [1, 2, 3])
            self.assertEqual({b["id"]: b["name"] for b in md["brokers"]}, kafka.brokers)
            [topic] = md["topics"]
            self.assertEqual(len(topic["partitions"]), 5)
            # librdkafka 2.0.2's mock does not model the replication factor: min(3, brokers).
            self.assertEqual({len(p["replicas"]) for p in topic["partitions"]}, {3})
            kafka.set_leader("m", 4, 2)
            self.assertEqual(leaders(kafka.bootstrap, "m")[4], 2)
            kafka.set_leader("m", 4, None)
            self.assertEqual(leaders(kafka.bootstrap, "m")[4], -1)


class BrokersDownAndUp(unittest.TestCase):
    def test_all_brokers_down_nothing_is_delivered_then_everything_after_they_are_back(self):
        with MockCluster(brokers=3, topics=["events:3"]) as kafka:
            produce(kafka.bootstrap, "events", [f"a{i}:before {i}" for i in range(10)], key_delimiter=":")
            kafka.all_down()
            for hostport in kafka.brokers.values():
                with self.assertRaises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", port_of(hostport)), timeout=5).close()
            # -E: kcat would otherwise give up on "all brokers down" before the message times out.
            failed = produce(kafka.bootstrap, "events", ["lost:never delivered"], key_delimiter=":",
                             config={"message.timeout.ms": 2000}, extra_args=["-E"], check=False)
            self.assertNotEqual(failed.returncode, 0)
            self.assertIn("Delivery failed for message: Local: Message timed out", failed.stderr)
            kafka.all_up()
            produce(kafka.bootstrap, "events", [f"b{i}:after {i}" for i in range(10)], key_delimiter=":",
                    config=FAST_RECONNECT)
            records = consume(kafka.bootstrap, "events")
            self.assertEqual(sorted(r.value for r in records),
                             sorted([f"before {i}".encode() for i in range(10)]
                                    + [f"after {i}".encode() for i in range(10)]))

    def test_a_down_broker_drops_connections_refuses_new_ones_and_its_partitions_wait_for_it(self):
        with MockCluster(brokers=3, topics=["events:3"]) as kafka:
            kafka.set_leader("events", 0, 2)
            port = port_of(kafka.brokers[2])
            before = socket.create_connection(("127.0.0.1", port), timeout=10)
            kafka.broker_down(2)
            before.settimeout(10)
            try:
                self.assertEqual(before.recv(1), b"", "the broker closes the connections it had")
            except ConnectionResetError:
                pass  # closed before the mock accepted it: reset, which says the same
            before.close()
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            self.assertEqual(leaders(kafka.bootstrap, "events")[0], 2, "a broker going down moves no leader")

            config = dict(FAST_RECONNECT, **{"message.timeout.ms": 60000})
            what = "kcat -P -p 0 while partition 0's leader is down"
            args = ["-p", "0"] + [a for k, v in config.items() for a in ("-X", f"{k}={v}")]
            with BackgroundProducer(kafka.bootstrap, "events", b"k:waited for broker 2\n", args) as producer:
                time.sleep(2)
                self.assertIsNone(producer.process.poll(), f"{what}: nothing can be delivered yet")
                kafka.broker_up(2)
                code, stderr = producer.wait(60)
                self.assertEqual(code, 0, stderr)
                self.assertIn("Connection refused", stderr)
            [record] = consume(kafka.bootstrap, "events", partition=0)
            self.assertEqual(record.value, b"waited for broker 2")
            self.assertEqual(record.broker, 2)
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_moving_the_leader_off_a_down_broker_lets_the_producer_go_on(self):
        with MockCluster(brokers=3, topics=["fo:1"]) as kafka:
            kafka.set_leader("fo", 0, 2)
            kafka.broker_down(2)
            with BackgroundProducer(kafka.bootstrap, "fo", b"k:failed over\n",
                                    ["-X", "message.timeout.ms=60000"]) as producer:
                time.sleep(1)
                self.assertIsNone(producer.process.poll(), "nothing can be delivered yet")
                kafka.set_leader("fo", 0, 3)
                code, stderr = producer.wait(60)
                self.assertEqual(code, 0, stderr)
            [record] = consume(kafka.bootstrap, "fo")
            self.assertEqual(record.value, b"failed over")
            self.assertEqual(record.broker, 3)


class InjectedErrors(unittest.TestCase):
    def test_topic_and_produce_errors_fail_deliveries_with_the_expected_error(self):
        with MockCluster(brokers=3, topics=["gone:2", "t:1"]) as kafka:
            kafka.topic_error("gone", "UNKNOWN_TOPIC_OR_PART")
            failed = produce(kafka.bootstrap, "gone", ["k:v"], key_delimiter=":", check=False,
                             config={"message.timeout.ms": 30000, "topic.metadata.propagation.max.ms": 200})
            self.assertNotEqual(failed.returncode, 0)
            self.assertIn("Delivery failed for message: Broker: Unknown topic or partition", failed.stderr)

            for error, text in [("TOPIC_AUTHORIZATION_FAILED", "Broker: Topic authorization failed"),
                                ("MSG_SIZE_TOO_LARGE", "Broker: Message size too large")]:
                kafka.push_errors("Produce", error)
                failed = produce(kafka.bootstrap, "t", ["k:v"], key_delimiter=":", check=False,
                                 config={"message.timeout.ms": 30000})
                self.assertNotEqual(failed.returncode, 0, error)
                self.assertIn(f"Delivery failed for message: {text}", failed.stderr)

            # Only the injected requests failed: the topic takes messages again.
            produce(kafka.bootstrap, "t", ["k:fine"], key_delimiter=":")
            self.assertEqual([r.value for r in consume(kafka.bootstrap, "t")], [b"fine"])

    def test_a_topic_authorization_error_in_metadata_is_ignored_by_the_2_0_2_client(self):
        # The mock still lists the topic's partitions with the error, and librdkafka 2.0.2 then
        # keeps the topic usable: messages wait and time out instead of failing with the error.
        # A Kafka sink test that wants TOPIC_AUTHORIZATION_FAILED must inject it on Produce.
        with MockCluster(brokers=1, topics=["secret:1"]) as kafka:
            kafka.topic_error("secret", "TOPIC_AUTHORIZATION_FAILED")
            failed = produce(kafka.bootstrap, "secret", ["k:v"], key_delimiter=":", check=False,
                             config={"message.timeout.ms": 1500})
            self.assertIn("Local: Message timed out", failed.stderr)
            kafka.topic_error("secret", "NO_ERROR")
            produce(kafka.bootstrap, "secret", ["k:v"], key_delimiter=":")

    def test_retriable_errors_and_dropped_connections_are_retried_by_an_idempotent_producer(self):
        with MockCluster(brokers=3, topics=["idem:3"]) as kafka:
            kafka.push_errors("Produce", "NOT_ENOUGH_REPLICAS", "REQUEST_TIMED_OUT", "_TRANSPORT",
                              "NOT_LEADER_FOR_PARTITION", "LEADER_NOT_AVAILABLE")
            count = 1000
            result = produce(kafka.bootstrap, "idem", [f"k{i % 17}:{i}" for i in range(count)], key_delimiter=":",
                             config=dict(FAST_RECONNECT, **{"enable.idempotence": "true", "acks": "all",
                                                            "retry.backoff.ms": 10}))
            self.assertIn("Broker transport failure", result.stderr, "the injected _TRANSPORT dropped a connection")
            records = consume(kafka.bootstrap, "idem")
            self.assertEqual(sorted(int(r.value) for r in records), list(range(count)), "each message exactly once")
            for p, rs in by_partition(records).items():
                seqs = [int(r.value) for r in rs]
                self.assertEqual(seqs, sorted(seqs), f"partition {p}: the idempotent producer keeps the order")

    def test_errors_and_delays_on_one_broker(self):
        with MockCluster(brokers=3, topics=["one:1"]) as kafka:
            kafka.set_leader("one", 0, 3)
            kafka.broker_push_errors(3, "Produce", "NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT@300", "NO_ERROR@1000")
            self.assertEqual(kafka.broker_error_count(3, "Produce"), 3)
            self.assertEqual(kafka.broker_error_count(1, "Produce"), 0)
            start = time.monotonic()
            produce(kafka.bootstrap, "one", ["k:late"], key_delimiter=":",
                    config={"enable.idempotence": "true", "retry.backoff.ms": 10})
            self.assertGreaterEqual(time.monotonic() - start, 1.3, "the two delays were served")
            self.assertEqual(kafka.broker_error_count(3, "Produce"), 0, "every queued error was used")
            self.assertEqual([r.value for r in consume(kafka.bootstrap, "one")], [b"late"])

            kafka.set_rtt("all", 700)
            start = time.monotonic()
            produce(kafka.bootstrap, "one", ["k:slow"], key_delimiter=":")
            self.assertGreaterEqual(time.monotonic() - start, 0.7)
            kafka.set_rtt("all", 0)

            kafka.push_errors("Produce", "MSG_SIZE_TOO_LARGE")
            kafka.clear_errors("Produce")
            produce(kafka.bootstrap, "one", ["k:cleared"], key_delimiter=":")


class IdempotentProducer(unittest.TestCase):
    def test_idempotent_producer_with_acks_all_delivers_every_message_once_in_order(self):
        with MockCluster(brokers=3, topics=["idem:3"]) as kafka:
            count = 2000
            result = produce(kafka.bootstrap, "idem", [f"k{i % 5}:{i}" for i in range(count)], key_delimiter=":",
                             config={"enable.idempotence": "true", "acks": "all"}, extra_args=["-d", "eos"])
            self.assertIn("Idempotent producer state change WaitPID -> Assigned", result.stderr,
                          "the mock hands out a producer id")
            records = consume(kafka.bootstrap, "idem")
            self.assertEqual(sorted(int(r.value) for r in records), list(range(count)))
            for p, rs in by_partition(records).items():
                seqs = [int(r.value) for r in rs]
                self.assertEqual(seqs, sorted(seqs), f"partition {p}")

    def test_the_mock_stores_a_retried_idempotent_request_twice_where_kafka_would_not(self):
        # librdkafka 2.0.2's mock checks producer ids and sequence numbers only for
        # transactional producers. Here the first Produce is stored but its response is held
        # back 3 s; the client gives up after socket.timeout.ms (1 s), reconnects and resends
        # the same sequence number, which Kafka would acknowledge without storing it again.
        with MockCluster(brokers=1, topics=["d:1"]) as kafka:
            kafka.broker_push_errors(1, "Produce", "NO_ERROR@3000")
            produce(kafka.bootstrap, "d", ["k:once"], key_delimiter=":", extra_args=["-E"],
                    config={"enable.idempotence": "true", "acks": "all", "socket.timeout.ms": 1000,
                            "message.timeout.ms": 30000})
            records = consume(kafka.bootstrap, "d")
            self.assertEqual([(r.offset, r.value) for r in records], [(0, b"once"), (1, b"once")])


class ControlProtocolAndProcess(unittest.TestCase):
    def test_bad_commands_are_answered_with_errors_and_the_cluster_keeps_serving(self):
        with MockCluster(brokers=3, topics=["t:1"]) as kafka:
            for line, expected in [
                    ("broker-down 4", "error bad broker id '4': brokers are 1..3"),
                    ("frobnicate", "error unknown command 'frobnicate' (see kafka-mock-cluster --help)"),
                    ("push-errors Produce BOGUS", "error unknown error 'BOGUS'"),
                    ("push-errors Metadata REQUEST_TIMED_OUT", "error Metadata requests ignore injected errors"),
                    ("topic-create t 1 1", "error topic-create t 1 1: TOPIC_ALREADY_EXISTS"),
                    ("leader t 5 1", "error leader t 5 1: UNKNOWN_TOPIC_OR_PART"),
                    ("", "error empty command"),
                    ("x" * 5000, "error line longer than 4096 bytes")]:
                answer = kafka.command(line, expect_ok=False)
                self.assertTrue(answer.startswith(expected), f"{line[:40]!r}: {answer!r}")
            self.assertEqual(kafka.ping(), "ok pong")
            self.assertEqual(kafka.command("broker-down 1"), "ok broker-down 1")
            self.assertEqual(kafka.command("broker-down 1"), "ok broker-down 1", "twice is harmless")
            self.assertEqual(kafka.command("all-up"), "ok broker-up all")
            produce(kafka.bootstrap, "t", ["k:v"], key_delimiter=":", config=FAST_RECONNECT)

    def test_stops_cleanly_on_quit_stdin_eof_and_sigterm(self):
        kafka = MockCluster(brokers=2, topics=["t:1"]).start()
        self.assertEqual(kafka.command("quit"), "ok quit")
        self.assertEqual(kafka.process.wait(timeout=30), 0)
        kafka.kill()
        kafka.cleanup()

        kafka = MockCluster(brokers=2).start()
        self.assertEqual(kafka.stop(), 0)
        self.assertIn("stopping: stdin closed", kafka.stderr())
        kafka.cleanup()

        kafka = MockCluster(brokers=2, extra_args=["--no-stdin"]).start()
        kafka.process.stdin.close()
        time.sleep(0.5)
        self.assertIsNone(kafka.process.poll(), "--no-stdin: serves on after stdin closed")
        self.assertEqual(kafka.terminate(), 0)
        self.assertIn("stopping on Terminated", kafka.stderr())
        kafka.cleanup()

    def test_port_file_and_sigint(self):
        with tempfile.TemporaryDirectory() as d:
            port_file = os.path.join(d, "bootstrap")
            kafka = MockCluster(brokers=3, extra_args=["--port-file", port_file]).start()
            try:
                with open(port_file) as f:
                    self.assertEqual(f.read(), f"bootstrap={kafka.bootstrap}\n")
                self.assertEqual(os.listdir(d), ["bootstrap"], "no temporary file left behind")
                kafka.process.send_signal(signal.SIGINT)
                self.assertEqual(kafka.process.wait(timeout=30), 0)
            finally:
                kafka.kill()
                kafka.cleanup()

    def test_bad_arguments_exit_2_with_a_message(self):
        for args, message in [(["--brokers", "0"], "bad --brokers '0': 1..32"),
                              (["--topic", "t:1:4"], "bad replication factor '4'"),
                              (["--topic", "bad/name:1"], "bad topic name 'bad/name'"),
                              (["--wat"], "unknown argument '--wat'")]:
            p = subprocess.run([KAFKA_MOCK_CLUSTER_BIN] + args, capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(message, p.stderr.decode())
            self.assertIn("usage: kafka-mock-cluster", p.stderr.decode())
            self.assertEqual(p.stdout, b"")
        p = subprocess.run([KAFKA_MOCK_CLUSTER_BIN, "--help"], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"broker-down ID", p.stdout)

    def test_a_failing_start_is_reported(self):
        with tempfile.TemporaryDirectory() as d:
            unwritable = os.path.join(d, "no-such-dir", "bootstrap")
            kafka = MockCluster(extra_args=["--port-file", unwritable])
            with self.assertRaises(AssertionError) as e:
                kafka.start()
            self.assertIn("cannot write", str(e.exception))
            kafka.cleanup()

    def test_a_consumer_that_cannot_get_its_records_times_out_instead_of_hanging(self):
        with MockCluster(brokers=1, topics=["t:1"]) as kafka:
            produce(kafka.bootstrap, "t", ["k:only one"], key_delimiter=":")
            start = time.monotonic()
            with self.assertRaises(AssertionError) as e:
                consume(kafka.bootstrap, "t", count=2, timeout_s=3)
            self.assertLess(time.monotonic() - start, 20)
            self.assertIn("read 1 of 2 records", str(e.exception))


if __name__ == "__main__":
    unittest.main()
