"""The workloads scripts/bench runs. Each names its transport and what the servers do with the
events; systems and clients say which workloads they support."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    name: str
    transport: str     # tcp | udp | http | avro | file (lines the harness wrote, tailed by the server)
    output: str        # discard: receive, parse, throw away; durable-*: into a durable channel;
                       # kafka: produced to a Kafka cluster (librdkafka's mock cluster);
                       # hdfs-file / hdfs-webhdfs: the HDFS sink on file:// / WebHDFS
    description: str
    batch: int = 1     # events per request (request workloads)

    @property
    def request_response(self):
        """Measured by the client over a fixed time (every answer means the events are stored),
        not by a server counter over a fixed count."""
        return self.transport in ("http", "avro")


WORKLOADS = {
    "syslog-tcp-discard": Workload("syslog-tcp-discard", "tcp", "discard",
                                   "RFC 5424 over TCP (octet counting), parsed, then discarded "
                                   "(sluice: memory channel + null sink; syslog-ng: file(/dev/null); rsyslog: one byte "
                                   "per event to a counter file; ceiling: tcp-ceiling, a server that only "
                                   "reads)"),
    "syslog-udp-discard": Workload("syslog-udp-discard", "udp", "discard",
                                   "RFC 5424 over UDP (one message per datagram) at a fixed offered rate "
                                   "(--udp-rate), parsed, then discarded; what the server missed is lost "
                                   "(drop %)"),
    "syslog-tcp-interceptors": Workload("syslog-tcp-interceptors", "tcp", "discard",
                                        "syslog-tcp-discard with a timestamp, a host and a static interceptor "
                                        "(syslog-ng: rewrite set() of three values; rsyslog: three set statements)"),
    "syslog-tcp-regex-filter": Workload("syslog-tcp-regex-filter", "tcp", "discard",
                                        "syslog-tcp-discard through a regex_filter that keeps every 200-byte body "
                                        "(syslog-ng: a message() filter; rsyslog: re_match)"),
    "syslog-tcp-multiplexing": Workload("syslog-tcp-multiplexing", "tcp", "discard",
                                        "syslog-tcp-discard split by severity over 4 channels (sluice: a "
                                        "multiplexing selector over 4 memory channels + null sinks; syslog-ng: "
                                        "four filtered log paths to /dev/null)"),
    "syslog-tcp-file-os": Workload("syslog-tcp-file-os", "tcp", "durable-os",
                                   "the same into a durable channel that survives a crash of the process "
                                   "(sluice: file channel, durability os; syslog-ng: reliable disk-buffer; "
                                   "rsyslog: disk queue with a checkpoint per batch)"),
    "syslog-tcp-file-fsync": Workload("syslog-tcp-file-fsync", "tcp", "durable-fsync",
                                      "the same into a channel that survives a power cut "
                                      "(sluice: file channel, durability fsync, group commit)"),
    "syslog-tcp-kafka": Workload("syslog-tcp-kafka", "tcp", "kafka",
                                 "the same, produced to Kafka (librdkafka's mock cluster, 3 brokers, topic of "
                                 "6 partitions, acks=all, idempotence, linger 5 ms); counted when Kafka "
                                 "confirmed them (sluice: file channel in os mode + kafka sink; syslog-ng: "
                                 "kafka-c(); ceiling: a bare librdkafka producer)"),
    "syslog-tcp-hdfs-file": Workload("syslog-tcp-hdfs-file", "tcp", "hdfs-file",
                                     "the same into the HDFS sink on file:// (DataStream text, default batch, "
                                     "group commit of 8 MiB ended by fdatasync); counted when fdatasync returned "
                                     "(sluice: memory channel + hdfs sink; ceiling: dd to the same disk)"),
    "syslog-tcp-webhdfs": Workload("syslog-tcp-webhdfs", "tcp", "hdfs-webhdfs",
                                   "the same over WebHDFS to the test server (tests/support/webhdfs_server.py); "
                                   "counted when the data node answered 200 (ceiling: webhdfs-ceiling, a client "
                                   "that only uploads 8 MiB APPENDs to the same server)"),
    "http-batch-1": Workload("http-batch-1", "http", "discard",
                             "Flume JSON POSTs of 1 event over keep-alive HTTP (sluice: memory channel + null sink; "
                             "ceiling: the simplest Beast server answering 200)", batch=1),
    "http-batch-100": Workload("http-batch-100", "http", "discard",
                               "the same with batches of 100 events", batch=100),
    "avro-batch-100": Workload("avro-batch-100", "avro", "discard",
                               "Flume Avro RPC appendBatch of 100 events, one call in flight per connection, "
                               "as Flume's Avro sink sends (sluice: memory channel + null sink); compare with "
                               "syslog-tcp-discard / sluice-bench in the same run", batch=100),
    "file-tail": Workload("file-tail", "file", "discard",
                          "--count lines of --size bytes (LF included; by default 8 × 128 MiB of 200-byte "
                          "lines, 5,368,704 lines) in 8 files the harness writes once per invocation, moved "
                          "into the tailed directory once the server is up; read from their start, one event "
                          "per line, discarded (sluice: TAILDIR + memory channel + null sink; rsyslog: imfile "
                          "on a wildcard in inotify mode; syslog-ng: wildcard-file(); ceiling: wc -l over "
                          "the same files)"),
}
