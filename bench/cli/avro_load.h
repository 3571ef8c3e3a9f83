// `sluice-bench avro`: Flume appendBatch calls over Avro IPC with Netty framing, as Flume's Avro
// sink (NettyAvroRpcClient) sends them.
//
// Each connection has its own thread and one pre-built request (AvroBatchRequest) that it
// moves on from batch to batch by patching digits. The first call of a connection carries the
// Avro handshake (avro::ClientSession encodes it, and resends with the protocol text if the
// server answers NONE); later calls are the template as is. One call at a time: the next batch
// goes after the answer to the last.
//
// Answers: OK acknowledges the batch; FAILED (the server's channel is full) sends it again
// after a backoff of 10 ms, doubling up to 1 s, at most --retries times; UNKNOWN or an error
// answer counts the events as failed and goes on; anything that is not a valid answer (a
// wrong serial, malformed Avro) ends the connection.
//
// Threads: run_avro() on the main thread.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "bench/cli/avro_request.h"
#include "bench/cli/request_load.h"

namespace sluice::bench {

// The whole subcommand: arguments after "avro"; returns the process exit status.
int run_avro(std::span<const std::string_view> args);

struct AvroConnectionOptions {
  uint32_t index = 0;
  AvroBatchOptions batch;  // conn and first_seq are set per connection
  uint32_t retries_max = 100;
  uint64_t quota = UINT64_MAX;
  uint64_t rate_milli = 0;
};

// One connection, with its request built. Exposed for tests.
Result<std::unique_ptr<RequestConnection>> make_avro_connection(const AvroConnectionOptions& options, UniqueFd fd);

}  // namespace sluice::bench
