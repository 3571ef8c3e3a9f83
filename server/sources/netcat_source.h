// Flume's `netcat` source (NetcatSource) on one shard: a StreamServer whose connections send
// text lines, one event per line (only LF ends a line; a CR before it stays in the body, as in
// Flume), and get "OK\n" for each line once it is stored (durable, for a channel in fsync
// mode) when ack-every-event is on.
//
// A line of max-line-length bytes or more without its LF (Flume counts the LF in the length)
// is answered "FAILED: Event exceeds the maximum length (N chars, including newline)\n" and
// the connection is closed, as in Flume; lines before it stay stored. Where Flume answers
// "FAILED" to a line a full channel refused (and the line is lost unless the client sends it
// again), sluice stops reading the connection until there is room: the line is stored late,
// never lost. A last line without LF at the end of the stream is stored too (Flume drops it).
//
// What a connection holds is bounded: one partial line (under max-line-length) and the
// answers it has not sent yet (reading stops while too many are owed).
//
// Threads: constructed on the main thread; everything else on the shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringbuf/append.h"
#include "server/sources/event_writer.h"
#include "server/sources/stream_server.h"

namespace sluice::sources {

class NetcatConnection;

struct NetcatSourceOptions {
  std::string name;
  std::string host;
  uint16_t port = 0;
  // Flume's max-line-length: the longest line, its LF included.
  size_t max_line_bytes = 512;
  bool ack_every_event = true;
  uint32_t connections_max = 10000;
  // Nothing received for this long closes a connection (a line begun is stored first). 0: never.
  int64_t idle_timeout_ms = 600'000;
  int64_t send_timeout_ms = 30'000;
};

class NetcatSource final : public StreamServer {
 public:
  NetcatSource(const NetcatSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe);

 private:
  friend class NetcatConnection;
  StreamConnection* make_connection(int fd) override;

  const NetcatSourceOptions& options_;
  EventWriter writer_;
  std::vector<ringbuf::PreparedEvent> prepared_;  // one line's event, capacity kept
};

}  // namespace sluice::sources
