"""The workloads scripts/bench runs. Each names its transport and what the servers do with the
events; systems and clients say which workloads they support."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    name: str
    transport: str     # tcp | udp
    output: str        # discard: receive, parse, throw away
    description: str


WORKLOADS = {
    "syslog-tcp-discard": Workload("syslog-tcp-discard", "tcp", "discard",
                                   "RFC 5424 over TCP (octet counting), parsed, then discarded "
                                   "(sluice: memory channel + null sink; syslog-ng: file(/dev/null))"),
    "syslog-tcp-file-os": Workload("syslog-tcp-file-os", "tcp", "durable-os",
                                   "the same into a durable channel that survives a crash of the process "
                                   "(sluice: file channel, durability os)"),
    "syslog-tcp-file-fsync": Workload("syslog-tcp-file-fsync", "tcp", "durable-fsync",
                                      "the same into a channel that survives a power cut "
                                      "(sluice: file channel, durability fsync, group commit)"),
}
