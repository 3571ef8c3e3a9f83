#include "server/sources/http_source.h"

#include "protocols/http/response.h"
#include "server/sources/answering_connection.h"

namespace sluice::sources {
namespace {

// Answers a connection may owe before it stops reading requests.
constexpr size_t kAnswersMax = 32;

enum class Route : uint8_t { events, health, not_found, wrong_method };

}  // namespace

// ---------------------------------------------------------------------------------------------
// HttpProbe

void HttpProbe::responded(uint16_t status) {
  size_t i = 0;
  while (i + 1 < kStatuses.size() && kStatuses[i] != status) ++i;
  responses_[i].add();
}

void HttpProbe::collect(base::MetricsWriter& out, const base::Labels& labels) const {
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    base::Labels l = labels;
    l.emplace_back("code", kStatuses[i] ? std::to_string(kStatuses[i]) : std::string("other"));
    out.counter("sluice_source_http_responses_total", "HTTP responses by status code.", l, responses_[i].value());
  }
  out.gauge("sluice_source_http_buffer_bytes",
            "Memory held now by HTTP request buffers: bodies being received, buffers kept between "
            "requests (64 KiB at most each), the shard's gzip output.",
            labels, static_cast<double>(buffer_bytes_.value()));
}

// ---------------------------------------------------------------------------------------------
// HttpConnection

// One response owed, as it will be written.
struct HttpAnswer {
  uint16_t status = 200;
  bool close = false;  // close the connection after this answer
  uint32_t retry_after_s = 0;
  std::string_view content_type = "application/json";
  std::string_view allow;  // for 405: the methods the path takes
  std::string body;
};

class HttpConnection final : public AnsweringConnection<HttpAnswer, kAnswersMax> {
 public:
  HttpConnection(HttpSource& source, int fd)
      : AnsweringConnection(source, fd, source.writer_),
        source_(source),
        reader_(
            {.header_bytes_max = source.options_.header_bytes_max, .body_bytes_max = source.options_.body_bytes_max}) {
    request_started_ms_ = now_ms();
  }
  ~HttpConnection() override {
    reader_ = http::RequestReader(reader_.limits());
    account_memory();
  }

  void check_timeouts(int64_t now) override {
    if (closing() || stopped_reading_) return;
    bool in_request = !reader_.idle() || resume_pending_;
    if (in_request && !resume_pending_ && now - request_started_ms_ > source_.options_.request_timeout_ms) {
      // Slowloris (a header trickled in) or a stalled body: answer and close, and give back
      // what the partial request holds now rather than after the linger.
      server().probe().connection_timed_out(SourceProbe::Timeout::partial_input);
      queue_error(408, "the request did not arrive in time", true);
      stop_reading();
      discard_reader();
      flush_ready();
      return;
    }
    if (!in_request && answers().empty() && unsent_bytes() == 0 &&
        now - last_activity_ms() > source_.options_.idle_timeout_ms) {
      server().probe().connection_timed_out(SourceProbe::Timeout::idle);
      close("idle timeout");
    }
  }

 private:
  Progress consume(std::string_view chunk, size_t& consumed) override {
    if (stopped_reading_) {
      consumed = chunk.size();
      return Progress::running;
    }
    if (resume_pending_) {  // a reported request is not finished with yet
      consumed = 0;
      pause(PauseReason::waiting);
      return Progress::paused;
    }
    if (reader_.idle()) request_started_ms_ = now_ms();
    consumed = chunk.size();
    return run(reader_.feed(chunk));
  }

  Progress continue_work() override {
    flush_ready();
    if (stopped_reading_) return Progress::running;
    if (blocked()) {
      pause(PauseReason::waiting);
      return Progress::paused;
    }
    if (resume_pending_) {
      resume_pending_ = false;
      return run(reader_.resume());
    }
    return Progress::running;
  }

  Progress end_of_stream() override {
    if (eof_) return Progress::running;
    eof_ = true;
    if (!stopped_reading_ && reader_.finish() == http::RequestReader::Event::error) {
      close("closed in the middle of a request");
      return Progress::closed;
    }
    stop_reading();
    flush_ready();  // closes once every answer is sent
    return Progress::running;
  }

  // Runs the reader, then accounts for the memory it holds and enforces the shard's budget
  // for bodies being received (a chunked body grows as it arrives: checked here, after each
  // piece, so the budget can be passed by at most one piece's growth).
  Progress run(http::RequestReader::Event event) {
    const int64_t before = partial_reported_;
    Progress p = run_events(event);
    account_memory();
    // Content-Length bodies were checked whole at their head; a chunked one that grew is
    // checked now.
    if (!stopped_reading_ && reader_.reading_body() && reader_.head().chunked && partial_reported_ > before &&
        source_.pending_body_bytes_ > static_cast<int64_t>(source_.options_.pending_body_bytes_max)) {
      refuse_for_budget();
      account_memory();
    }
    return p;
  }

  // Runs the reader until it needs more bytes, has to wait, or fails.
  Progress run_events(http::RequestReader::Event event) {
    using Event = http::RequestReader::Event;
    for (;;) {
      switch (event) {
        case Event::need_more: return Progress::running;
        case Event::error:
          queue_error(reader_.error().status, reader_.error().message, true);
          stop_reading();
          flush_ready();
          return Progress::running;
        case Event::head:
          if (!on_head()) {
            stop_reading();
            flush_ready();
            return Progress::running;
          }
          event = reader_.resume();
          continue;
        case Event::request:
          on_request();
          // The body is stored (or refused): a large buffer goes back now, not when the
          // connection closes (keep-alive connections live long).
          reader_.trim_memory();
          source_.body_decoder_.trim_memory();
          source_.account_decoder_memory();
          flush_ready();
          if (stopped_reading_) return Progress::running;
          if (blocked()) {
            resume_pending_ = true;
            pause(PauseReason::waiting);
            return Progress::paused;
          }
          event = reader_.resume();
          if (!reader_.idle()) request_started_ms_ = now_ms();
          continue;
      }
    }
  }

  Route route(const http::RequestHead& head) const {
    if (head.path == "/health")
      return head.method == http::Method::get || head.method == http::Method::head ? Route::health
                                                                                   : Route::wrong_method;
    if (head.path == "/" || head.path == source_.options_.path)
      return head.method == http::Method::post ? Route::events : Route::wrong_method;
    return Route::not_found;
  }

  // Headers are in: decide now whether the body is wanted. False when the connection answers
  // and closes without reading it.
  bool on_head() {
    const http::RequestHead& head = reader_.head();
    rejection_ = {};
    rejection_allow_ = {};
    switch (route(head)) {
      case Route::health: break;
      case Route::not_found:
        rejection_ = {404, "no such path; events are POSTed to / or to the configured path"};
        break;
      case Route::wrong_method:
        rejection_ = {405, head.path == "/health" ? "use GET" : "events are sent with POST"};
        rejection_allow_ = head.path == "/health" ? "GET, HEAD" : "POST";
        break;
      case Route::events: {
        http::BodyFormat format;
        http::ContentEncoding encoding;
        if (http::HttpError e = http::select_body_format(head.content_type, source_.options_.default_format, format))
          rejection_ = e;
        else if (http::HttpError e2 = http::parse_content_encoding(head.content_encoding, encoding)) rejection_ = e2;
        break;
      }
    }
    const bool has_body = head.chunked || head.content_length.value_or(0) > 0;
    if (rejection_ && has_body) {
      // Do not read a body that will be refused: answer now and close.
      queue_rejection(true);
      return false;
    }
    if (!rejection_ && head.content_length && !fits_budget(*head.content_length)) {
      refuse_for_budget();
      return false;
    }
    if (!rejection_ && head.expect_continue) {
      source_.scratch_.clear();
      http::write_continue(source_.scratch_);
      send(source_.scratch_);
    }
    return true;
  }

  void on_request() {
    const http::RequestHead& head = reader_.head();
    const bool close_after = !head.keep_alive;
    http10_keep_alive_ = head.version == 10 && head.keep_alive;
    if (rejection_) {
      queue_rejection(close_after);
      return;
    }
    if (route(head) == Route::health) {
      HttpAnswer& a = push_answer(200, close_after);
      a.content_type = "text/plain; charset=utf-8";
      a.body = head.method == http::Method::head ? "" : "ok\n";
      return;
    }
    http::BodyFormat format;
    http::ContentEncoding encoding;
    http::select_body_format(head.content_type, source_.options_.default_format, format);
    http::parse_content_encoding(head.content_encoding, encoding);
    std::string_view body;
    if (http::HttpError e = source_.body_decoder_.decode(encoding, reader_.body(), body)) {
      queue_error(e.status, e.message, close_after);
      return;
    }
    auto& extra = source_.extra_headers_;
    extra.clear();
    for (const std::string& name : source_.options_.request_headers)
      if (auto value = head.field(name)) extra.push_back({name, *value});
    if (http::HttpError e = source_.event_decoder_.decode(format, body, extra)) {
      queue_error(e.status, e.message, close_after);
      return;
    }
    switch (store_events(source_.event_decoder_.events(), source_.prepared_, source_.now_ms_)) {
      case ringbuf::AppendRefusal::none: push_answer(200, close_after, /*after_durable=*/true); return;
      case ringbuf::AppendRefusal::too_large:
        queue_error(413, "an event is larger than the channel can store", close_after);
        return;
      case ringbuf::AppendRefusal::full_bytes:
      case ringbuf::AppendRefusal::full_events:
      case ringbuf::AppendRefusal::store_error:
        queue_error(503, "the channel is full; nothing of this request was stored, retry later", close_after);
        answers().back().retry_after_s = source_.options_.retry_after_s;
        return;
    }
  }

  HttpAnswer& push_answer(uint16_t status, bool close_after, bool after_durable = false) {
    HttpAnswer& a = after_durable ? answers().push_after_durable() : answers().push();
    a.status = status;
    a.close = close_after;
    a.retry_after_s = 0;
    a.content_type = "application/json";
    a.allow = {};
    a.body.clear();
    return a;
  }

  void queue_rejection(bool close_after) {
    queue_error(rejection_.status, rejection_.message, close_after);
    if (rejection_.status == 405) answers().back().allow = rejection_allow_;
  }

  void queue_error(uint16_t status, std::string_view message, bool close_after) {
    HttpAnswer& a = push_answer(status, close_after);
    http::write_error_body(message, a.body);
  }

  void send_answer(const HttpAnswer& a) override {
    http::Response r;
    r.status = a.status;
    r.connection = a.close ? http::ConnectionHeader::close
                           : (http10_keep_alive_ ? http::ConnectionHeader::keep_alive : http::ConnectionHeader::none);
    r.retry_after_s = a.retry_after_s;
    r.content_type = a.content_type;
    r.body = a.body;
    http::ResponseField allow{"Allow", a.allow};
    if (!a.allow.empty()) r.extra_fields = std::span(&allow, 1);
    source_.scratch_.clear();
    http::write_response(r, source_.scratch_);
    send(source_.scratch_);
    source_.http_probe_.responded(a.status);
  }

  bool closes_after(const HttpAnswer& a) const override { return a.close; }

  void answer_never_durable() override {
    // The events of this request and of those after it were not stored durably: an error for
    // the first, then the connection closes (the client resends them elsewhere or later).
    answers().clear();
    stop_reading();
    queue_error(503, "a channel failed to write these events to disk; they were not stored", true);
  }

  bool reading_done() const override { return stopped_reading_; }

  // Partial input: what an unfinished request holds (its body buffer and kept bytes).
  int64_t partial_bytes() const {
    return reader_.idle() ? 0 : static_cast<int64_t>(reader_.body_capacity() + reader_.buffered_bytes());
  }

  // Reports changes of this connection's memory to the probes and the shard's budget.
  void account_memory() {
    const int64_t partial = partial_bytes();
    if (partial != partial_reported_) {
      server().probe().partial_bytes_changed(partial - partial_reported_);
      source_.pending_body_bytes_ += partial - partial_reported_;
      partial_reported_ = partial;
    }
    const auto held = static_cast<int64_t>(reader_.memory_bytes());
    if (held != held_reported_) {
      source_.http_probe_.buffer_bytes_changed(held - held_reported_);
      held_reported_ = held;
    }
  }

  // Whether a body of `bytes` fits the shard's budget besides what the other connections hold.
  bool fits_budget(uint64_t bytes) const {
    const int64_t others = source_.pending_body_bytes_ - partial_reported_;
    return others >= 0 && bytes <= source_.options_.pending_body_bytes_max &&
           static_cast<uint64_t>(others) + bytes <= source_.options_.pending_body_bytes_max;
  }

  // The shard holds too much for bodies in progress: 503 with Retry-After, the body unread,
  // the connection closed after the answer, and its buffers freed at once.
  void refuse_for_budget() {
    server().probe().limit_exceeded();
    if (server().rate_limited_log().allow(now_ms()))
      base::log_warn(
          "source {}: refused a request: the shard's budget for request bodies being received "
          "(maxPendingBodyBytes, {} bytes) is spent",
          source_.options_.name, source_.options_.pending_body_bytes_max);
    queue_error(503, "the server holds too many request bodies being received; retry later", true);
    answers().back().retry_after_s = source_.options_.retry_after_s;
    stop_reading();
    discard_reader();
    flush_ready();
  }

  // For a connection that reads no more requests: frees the reader's buffers now.
  void discard_reader() {
    reader_ = http::RequestReader(reader_.limits());
    account_memory();
  }

  void stop_reading() {
    stopped_reading_ = true;
    resume_pending_ = false;
  }

  HttpSource& source_;
  http::RequestReader reader_;
  http::HttpError rejection_;
  std::string_view rejection_allow_;
  int64_t request_started_ms_ = 0;
  int64_t partial_reported_ = 0;  // partial_bytes() as last reported
  int64_t held_reported_ = 0;     // reader_.memory_bytes() as last reported
  bool resume_pending_ = false;   // a reported request is done with but the reader not resumed
  bool stopped_reading_ = false;  // answering what is queued, then closing
  bool http10_keep_alive_ = false;
  bool eof_ = false;
};

// ---------------------------------------------------------------------------------------------
// HttpSource

HttpSource::HttpSource(const HttpSourceOptions& options, int listen_fd, EventWriter writer, SourceProbe& probe,
                       HttpProbe& http_probe)
    : StreamServer({.name = options.name,
                    .connections_max = options.connections_max,
                    .resolve_peer_ip = false,
                    .send_timeout_ms = options.send_timeout_ms},
                   listen_fd, probe),
      options_(options),
      writer_(std::move(writer)),
      http_probe_(http_probe),
      body_decoder_({.decoded_bytes_max = options.body_bytes_max}),
      event_decoder_({.events_max = options.events_per_request_max,
                      .headers_per_event_max = 1000,
                      .body_bytes_max = options.body_bytes_max}) {}

StreamConnection* HttpSource::make_connection(int fd) { return new HttpConnection(*this, fd); }

void HttpSource::account_decoder_memory() {
  const auto held = static_cast<int64_t>(body_decoder_.buffer_capacity());
  http_probe_.buffer_bytes_changed(held - decoder_bytes_reported_);
  decoder_bytes_reported_ = held;
}

}  // namespace sluice::sources
