"""End to end: sinks that share a channel, and sink groups, with Flume's keys.
- Two file_roll sinks on one channel outside any group share its events: each event lands in
  exactly one of the two directories.
- The user guide's failover group (priority.k1 = 5, priority.k2 = 10): k2's Avro collector
  (a second sluice) takes everything; it is killed with SIGKILL mid-stream, k1's collector
  takes over, k2's collector is restarted and takes over again; every event arrives (at least
  once) and the failover is counted.
- The user guide's load_balance group (backoff, random) spreads batches over two collectors.
- kill -9 of the agent whose two sinks share a file channel: after the restart every event
  arrives, and what arrives twice is within what was in flight."""

import json
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, free_port, read_lines, wait_until  # noqa: E402


def seqs_in(directory):
    """The seq=N of every event in a file_roll directory, with repeats (a list)."""
    out = []
    for line in read_lines(directory):
        try:
            out.append(int(json.loads(line)["body"].split("seq=")[1]))
        except (ValueError, KeyError, IndexError):
            continue  # a line torn by kill -9
    return out


def send(port, first, count, pause_s=0.0, step=500):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        for start in range(first, first + count, step):
            n = min(step, first + count - start)
            s.sendall(b"".join(f"<134>1 2026-12-07T05:10:00.123Z host1 app 7 - - seq={i}\n".encode()
                               for i in range(start, start + n)))
            if pause_s:
                time.sleep(pause_s)


def syslog_head(port, channel_lines):
    return "\n".join(["a1.sources = tcp", "a1.channels = c1", "a1.sources.tcp.type = syslogtcp",
                      "a1.sources.tcp.host = 127.0.0.1", f"a1.sources.tcp.port = {port}",
                      "a1.sources.tcp.channels = c1"] + channel_lines) + "\n"


def avro_sink(name, port):
    return "\n".join([f"a1.sinks.{name}.type = avro", f"a1.sinks.{name}.channel = c1",
                      f"a1.sinks.{name}.hostname = 127.0.0.1", f"a1.sinks.{name}.port = {port}",
                      f"a1.sinks.{name}.batch-size = 100", f"a1.sinks.{name}.connect-timeout = 500",
                      f"a1.sinks.{name}.request-timeout = 3000"]) + "\n"


def file_roll_sink(name, directory):
    return "\n".join([f"a1.sinks.{name}.type = file_roll", f"a1.sinks.{name}.channel = c1",
                      f"a1.sinks.{name}.sink.directory = {directory}", f"a1.sinks.{name}.sink.serializer = json",
                      f"a1.sinks.{name}.sink.rollInterval = 0", f"a1.sinks.{name}.sink.batchSize = 50"]) + "\n"


def collector_config(port, out):
    """An Avro collector: avro source -> memory channel -> file_roll into `out`."""
    return "\n".join(["a1.sources = r1", "a1.channels = c1", "a1.sinks = k1", "a1.sources.r1.type = avro",
                      "a1.sources.r1.bind = 127.0.0.1", f"a1.sources.r1.port = {port}", "a1.sources.r1.channels = c1",
                      "a1.channels.c1.type = memory"]) + "\n" + file_roll_sink("k1", out)


def group_agent(test, processor_lines, channel_lines):
    """sluice `agent` (syslog -> c1 -> group g1 of avro sinks k1, k2) and the two collectors
    they forward to, each its own sluice writing to out1 / out2; returns them unstarted."""
    port, p1, p2 = free_port(), free_port(), free_port()
    agent = Sluice(None)
    work = agent.workdir
    dirs = [os.path.join(work, "c1"), os.path.join(work, "c2")]
    for d in dirs:
        os.makedirs(d)
    with open(agent.config_path, "w") as f:
        f.write(syslog_head(port, ["a1.sinks = k1 k2"] + channel_lines(work)) + avro_sink("k1", p1) +
                avro_sink("k2", p2) + "\n".join(["a1.sinkgroups = g1", "a1.sinkgroups.g1.sinks = k1 k2"] +
                                               processor_lines) + "\n")
    test.outs = [os.path.join(work, "out1"), os.path.join(work, "out2")]
    test.port = port
    collectors = [Sluice(collector_config(p, out), workdir=d) for p, out, d in zip((p1, p2), test.outs, dirs)]
    return agent, collectors, dirs


class SharedChannel(unittest.TestCase):
    def test_two_sinks_outside_a_group_share_the_events(self):
        port = free_port()
        sluice = Sluice(None)
        out_a, out_b = (os.path.join(sluice.workdir, d) for d in ("a", "b"))
        with open(sluice.config_path, "w") as f:
            f.write(syslog_head(port, ["a1.sinks = ka kb", "a1.channels.c1.type = memory"]) +
                    file_roll_sink("ka", out_a) + file_roll_sink("kb", out_b))
        with sluice:
            self.assertIn("share its events", sluice.stderr(), "the start-up warning for configs that relied on copies")
            send(port, 0, 20000, pause_s=0.01)
            wait_until(lambda: len(seqs_in(out_a)) + len(seqs_in(out_b)) >= 20000, 60, what="every event",
                       details=sluice.diagnostics)
            self.assertEqual(sluice.stop(), 0, sluice.stderr())
        a, b = seqs_in(out_a), seqs_in(out_b)
        self.assertEqual(sorted(a + b), list(range(20000)), "each event delivered once, by one of the two")
        self.assertGreater(len(a), 0)
        self.assertGreater(len(b), 0, "both sinks took part")
        sluice.cleanup()

    def test_kill_minus_9_with_a_shared_file_channel_loses_nothing(self):
        port = free_port()
        sluice = Sluice(None)
        work = sluice.workdir
        out_a, out_b = os.path.join(work, "a"), os.path.join(work, "b")
        config = syslog_head(port, ["a1.sinks = ka kb", "a1.channels.c1.type = file",
                                    f"a1.channels.c1.dataDirs = {work}/data", "a1.channels.c1.durability = fsync",
                                    "a1.channels.c1.segmentSize = 1m"]) + \
            file_roll_sink("ka", out_a) + file_roll_sink("kb", out_b)
        with open(sluice.config_path, "w") as f:
            f.write(config)
        total = 30000
        with sluice:
            sender = threading.Thread(target=send, args=(port, 0, total, 0.02), daemon=True)
            sender.start()
            wait_until(lambda: len(seqs_in(out_a)) + len(seqs_in(out_b)) > total // 4, 60, what="a quarter",
                       details=sluice.diagnostics)
            sluice.process.send_signal(signal.SIGKILL)
            sluice.process.wait()
            sluice.close_files()
            sender.join(60)
        # The client saw its connection die; what it sent after the kill is not expected. What the
        # channel accepted (fsync: acknowledged means stored) must all arrive after the restart.
        restarted = Sluice(None, workdir=work)
        with restarted:
            send(port, total, 1000)  # a marker batch after the restart
            wait_until(lambda: set(range(total, total + 1000)) <= set(seqs_in(out_a) + seqs_in(out_b)), 60,
                       what="the marker batch", details=restarted.diagnostics)
            replayed = restarted.metric("sluice_channel_recovered_undelivered_events", component="c1")
            self.assertEqual(restarted.stop(), 0, restarted.stderr())
        got = seqs_in(out_a) + seqs_in(out_b)
        seen = set(got)
        highest = max(s for s in seen if s < total)
        missing = [s for s in range(highest + 1) if s not in seen]
        # TCP syslog has no acknowledgements: events in the kernel's buffers at the kill may be
        # gone, but not events before ones that arrived (they were stored in order per connection).
        self.assertFalse(missing, f"{len(missing)} events lost before seq {highest}, e.g. {missing[:5]}")
        # Delivered again: what the sinks had delivered after the last checkpoint of the shared
        # position, which the restart counts among the events it recovered to deliver.
        duplicates = len(got) - len(seen)
        self.assertLessEqual(duplicates, replayed, "duplicates only among what recovery counted as replayed")
        restarted.cleanup()


class FailoverGroup(unittest.TestCase):
    def test_user_guide_failover_loses_nothing_when_the_primary_dies_and_comes_back(self):
        agent, (secondary, primary), dirs = group_agent(self, [
            "a1.sinkgroups.g1.processor.type = failover",
            "a1.sinkgroups.g1.processor.priority.k1 = 5",
            "a1.sinkgroups.g1.processor.priority.k2 = 10",
            "a1.sinkgroups.g1.processor.maxpenalty = 2000"],
            lambda work: ["a1.channels.c1.type = file", f"a1.channels.c1.dataDirs = {work}/data",
                          "a1.channels.c1.durability = os"])
        (out1, out2), port, dir2 = self.outs, self.port, dirs[1]
        total = 20000
        with secondary, primary, agent:
            self.assertIn("sink group g1 (failover): k1, k2, active k2", "".join(agent.stdout_lines))
            send(port, 0, 5000, pause_s=0.02)
            wait_until(lambda: len(set(seqs_in(out2))) >= 5000, 60, what="the primary takes the first 5000",
                       details=agent.diagnostics)
            self.assertEqual(seqs_in(out1), [], "the secondary is idle while the primary works")
            primary.process.send_signal(signal.SIGKILL)
            primary.process.wait()
            primary.close_files()
            send(port, 5000, 10000, pause_s=0.02)
            wait_until(lambda: set(range(5000, 15000)) <= set(seqs_in(out1) + seqs_in(out2)), 60,
                       what="the secondary takes over", details=agent.diagnostics)
            self.assertGreater(len(seqs_in(out1)), 0)
            primary = Sluice(None, workdir=dir2)
            with primary:
                time.sleep(3)  # k2's penalty (at most maxpenalty) runs out; it is tried first again
                before = len(seqs_in(out2))
                send(port, 15000, 5000, pause_s=0.02)
                wait_until(lambda: set(range(total)) <= set(seqs_in(out1) + seqs_in(out2)), 60,
                           what="every event", details=agent.diagnostics)
                self.assertGreater(len(seqs_in(out2)), before, "the primary took over again")
                failed = agent.metric("sluice_sink_group_failed_batches_total", component="g1", sink="k2")
                self.assertGreater(failed, 0)
                self.assertEqual(agent.stop(), 0, agent.stderr())
        got = set(seqs_in(out1) + seqs_in(out2))
        self.assertEqual(set(range(total)) - got, set(), "nothing lost")
        agent.cleanup()


class LoadBalanceGroup(unittest.TestCase):
    def test_user_guide_load_balance_spreads_over_both(self):
        agent, (c1, c2), _ = group_agent(self, [
            "a1.sinkgroups.g1.processor.type = load_balance",
            "a1.sinkgroups.g1.processor.backoff = true",
            "a1.sinkgroups.g1.processor.selector = random"], lambda work: ["a1.channels.c1.type = memory"])
        (out1, out2), port = self.outs, self.port
        with c1, c2, agent:
            send(port, 0, 10000, pause_s=0.01, step=100)
            wait_until(lambda: len(seqs_in(out1)) + len(seqs_in(out2)) >= 10000, 60, what="every event",
                       details=agent.diagnostics)
            self.assertEqual(agent.stop(), 0, agent.stderr())
        a, b = seqs_in(out1), seqs_in(out2)
        self.assertEqual(sorted(a + b), list(range(10000)))
        self.assertGreater(len(a), 1000)
        self.assertGreater(len(b), 1000)
        agent.cleanup()


if __name__ == "__main__":
    unittest.main()
