"""End to end: Flume's seq source (by its short and its class name) into a memory channel and a
file_roll sink: every number from 0 to totalEvents - 1 arrives once and in order, the
source's counters say so, and a bad setting is refused by --check with its line."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.sluice_harness import Sluice, read_lines, run_sluice, wait_until  # noqa: E402


def seq_config(out_dir, source_type="seq", extra=""):
    return f"""a1.sources = gen
a1.channels = c1
a1.sinks = k1
a1.sources.gen.type = {source_type}
a1.sources.gen.channels = c1
{extra}
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = {out_dir}
a1.sinks.k1.sink.serializer = text
a1.sinks.k1.sink.rollInterval = 0
"""


class SeqSource(unittest.TestCase):
    def run_seq(self, source_type, total, batch):
        sluice = Sluice(None)
        out = os.path.join(sluice.workdir, "out")
        extra = f"a1.sources.gen.totalEvents = {total}\na1.sources.gen.batchSize = {batch}"
        with open(sluice.config_path, "w") as f:
            f.write(seq_config(out, source_type, extra))
        with sluice:
            # A channel of 1000 events and 20000 to store: the generator waits for the sink.
            wait_until(lambda: len(read_lines(out)) >= total, 60, what=f"{total} lines in {out}")
            self.assertEqual(sluice.metric("sluice_source_accepted_events_total", component="gen"), total)
            sluice.stop()
        lines = read_lines(out)
        self.assertEqual(lines, [str(i).encode() for i in range(total)])

    def test_every_number_once_and_in_order(self):
        self.run_seq("seq", 20000, 100)

    def test_flume_class_name_and_single_event_batches(self):
        self.run_seq("org.apache.flume.source.SequenceGeneratorSource", 3000, 1)

    def test_bad_batch_size_is_refused_with_its_line(self):
        config = seq_config("/tmp/unused", extra="a1.sources.gen.batchSize = 0")
        sluice = Sluice(config)
        code, _, err = run_sluice(["-f", sluice.config_path, "-n", "a1", "--check"])
        self.assertEqual(code, 2, err)
        line = config.splitlines().index("a1.sources.gen.batchSize = 0") + 1
        self.assertIn(f"line {line}: a1.sources.gen.batchSize", err)


if __name__ == "__main__":
    unittest.main()
