// `sluice-bench http`: batches of events POSTed over keep-alive HTTP/1.1 connections.
//
// Each connection has its own thread and --pipeline pre-built requests (HttpBatchRequest); a
// request is sent, answered, and moved on to the connection's next events by patching its
// digits, so the client formats nothing and allocates nothing per request. With --pipeline 1
// (the default) a connection waits for each answer before the next request; with D it keeps
// up to D requests in flight (HTTP/1.1 pipelining: the answers come in order).
//
// Answers: 2xx acknowledges the request's events; 503 puts the request aside until its
// Retry-After (default 1 s, at most 60 s) has passed, holds back new requests meanwhile, and
// sends it again, at most --retries times; any other status counts the events as failed and
// goes on. A server that closes the connection after an answer (Connection: close) or while
// idle gets a new connection, and the requests it left unanswered are sent again.
//
// Threads: run_http() on the main thread.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "bench/cli/http_request.h"
#include "bench/cli/request_load.h"

namespace sluice::bench {

// The whole subcommand: arguments after "http"; returns the process exit status.
int run_http(std::span<const std::string_view> args);

struct HttpConnectionOptions {
  uint32_t index = 0;
  HttpBatchOptions batch;  // conn and first_seq are set per connection
  uint32_t pipeline = 1;
  uint32_t retries_max = 100;
  uint64_t quota = UINT64_MAX;
  uint64_t rate_milli = 0;
  Reconnect reconnect;
};

// One connection, with its requests built. Exposed for tests.
Result<std::unique_ptr<RequestConnection>> make_http_connection(const HttpConnectionOptions& options, UniqueFd fd);

}  // namespace sluice::bench
