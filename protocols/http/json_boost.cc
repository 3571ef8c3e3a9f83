// Flume JSON events with Boost.JSON's SAX parser (basic_parser and a handler: no DOM). The
// production path (see event_decoders.cc for the numbers). Strings without escapes are handed
// over by Boost as views of the input and kept in place; others are gathered in the arena.
#include <boost/json/basic_parser_impl.hpp>

#include "protocols/http/json_events.h"

namespace sluice::http::detail {

namespace bj = boost::json;

namespace {

// Where the handler is in the Flume shape.
enum class Place : uint8_t {
  top,      // before the document's value
  array,    // in the top-level array: the next value is an event
  event,    // in an event object: the next thing is a key, or the value of `field_`
  headers,  // in "headers": a key, or a header value
  skip,     // inside the value of an unknown field (depth in skip_depth_)
  done,     // after the document's value
};

enum class Field : uint8_t { none, headers, body, other };

struct Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  EventBuilder* out = nullptr;
  const char* input_begin = nullptr;
  const char* input_end = nullptr;
  bool line = false;  // NDJSON: the value must be one object
  Place place = Place::top;
  bool single = false;  // the top level is one event object
  Field field = Field::none;
  size_t skip_depth = 0;
  std::string_view header_key;
  // A key or string that arrived in parts (escapes): gathered in the arena.
  char* part_begin = nullptr;
  size_t part_bytes = 0;
  HttpError error;

  bool fail(HttpError e, bj::error_code& ec) {
    error = e;
    ec = bj::error::exception;  // any code: the handler's error is what counts
    return false;
  }

  // A string's text: in place when Boost handed it over whole from the input, else gathered.
  std::string_view finish_string(bj::string_view s) {
    if (part_bytes == 0 && s.data() >= input_begin && s.data() + s.size() <= input_end)
      return std::string_view(s.data(), s.size());
    append_part(s);
    const std::string_view value = out->arena_commit(part_bytes);
    part_bytes = 0;
    part_begin = nullptr;
    return value;
  }
  void append_part(bj::string_view s) {
    if (part_bytes == 0) part_begin = out->arena_tail();
    // Unescaped text is never longer than its JSON text, and the arena holds the whole input.
    SLUICE_ASSERT(part_bytes + s.size() <= out->arena_room(), "event arena overflow");
    std::memcpy(part_begin + part_bytes, s.data(), s.size());
    part_bytes += s.size();
  }

  bool wrong_kind(JsonKind kind, bj::error_code& ec) {
    switch (place) {
      case Place::top:
        if (line)
          return fail(out->error(kStatusBadRequest, "line {}: an event must be an object, not {}",
                                 out->line_for_messages(), json_kind_article(kind)),
                      ec);
        return fail(out->error(kStatusBadRequest, "the body must be a JSON array of events or one event object, not {}",
                               json_kind_article(kind)),
                    ec);
      case Place::array:
        return fail(out->error_here(kStatusBadRequest, "an event must be an object, not {}", json_kind_article(kind)),
                    ec);
      case Place::event:
        if (field == Field::headers)
          return fail(
              out->error_here(kStatusBadRequest, "\"headers\" must be an object, not {}", json_kind_article(kind)), ec);
        return fail(out->error_here(kStatusBadRequest, "\"body\" must be a string, not {}", json_kind_article(kind)),
                    ec);
      case Place::headers:
        return fail(
            out->error_here(kStatusBadRequest, "header \"{}\": value must be a string, number or boolean, not {}",
                            message_excerpt(header_key), json_kind_article(kind)),
            ec);
      default: SLUICE_UNREACHABLE("wrong_kind in skip/done");
    }
  }

  // A scalar value (string/number/boolean text, or null when `text` has no data).
  bool scalar(JsonKind kind, std::string_view text, bj::error_code& ec) {
    switch (place) {
      case Place::skip: return true;
      case Place::event:
        if (field == Field::other) {
          field = Field::none;
          return true;
        }
        if (field == Field::body && (kind == JsonKind::string || kind == JsonKind::null)) {
          out->set_body(text);
          field = Field::none;
          return true;
        }
        if (field == Field::headers && kind == JsonKind::null) {
          out->clear_headers();
          field = Field::none;
          return true;
        }
        return wrong_kind(kind, ec);
      case Place::headers:
        if (kind == JsonKind::null) return wrong_kind(kind, ec);
        if (HttpError e = out->add_header(header_key, text)) return fail(e, ec);
        return true;
      default: return wrong_kind(kind, ec);
    }
  }

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }

  bool on_array_begin(bj::error_code& ec) {
    if (place == Place::skip) {
      ++skip_depth;
      return true;
    }
    if (place == Place::top && !line) {
      place = Place::array;
      return true;
    }
    if (place == Place::event && field == Field::other) {
      place = Place::skip;
      skip_depth = 1;
      return true;
    }
    return wrong_kind(JsonKind::array, ec);
  }
  bool on_array_end(std::size_t, bj::error_code&) {
    if (place == Place::skip) {
      if (--skip_depth == 0) {
        place = Place::event;
        field = Field::none;
      }
      return true;
    }
    place = Place::done;  // the top-level array
    return true;
  }

  bool on_object_begin(bj::error_code& ec) {
    switch (place) {
      case Place::skip: ++skip_depth; return true;
      case Place::top: single = true; [[fallthrough]];
      case Place::array:
        if (HttpError e = out->begin_event()) return fail(e, ec);
        place = Place::event;
        field = Field::none;
        return true;
      case Place::event:
        if (field == Field::headers) {
          out->clear_headers();
          place = Place::headers;
          return true;
        }
        if (field == Field::other) {
          place = Place::skip;
          skip_depth = 1;
          return true;
        }
        return wrong_kind(JsonKind::object, ec);
      default: return wrong_kind(JsonKind::object, ec);
    }
  }
  bool on_object_end(std::size_t, bj::error_code& ec) {
    switch (place) {
      case Place::skip:
        if (--skip_depth == 0) {
          place = Place::event;
          field = Field::none;
        }
        return true;
      case Place::headers:
        place = Place::event;
        field = Field::none;
        return true;
      case Place::event:
        if (HttpError e = out->end_event()) return fail(e, ec);
        place = single ? Place::done : Place::array;
        return true;
      default: SLUICE_UNREACHABLE("object end outside an object");
    }
  }

  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    if (place != Place::skip) append_part(s);
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    if (place == Place::skip) return true;
    const std::string_view key = finish_string(s);
    if (place == Place::headers) {
      header_key = key;
    } else if (key == "headers") {
      field = Field::headers;
    } else if (key == "body") {
      field = Field::body;
    } else {
      field = Field::other;
    }
    return true;
  }

  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    if (place != Place::skip) append_part(s);
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code& ec) {
    if (place == Place::skip) return true;
    return scalar(JsonKind::string, finish_string(s), ec);
  }

  bool on_number_part(bj::string_view s, bj::error_code&) {
    if (place != Place::skip) append_part(s);
    return true;
  }
  bool number(bj::string_view s, bj::error_code& ec) {
    if (place == Place::skip) return true;
    return scalar(JsonKind::number, finish_string(s), ec);
  }
  bool on_int64(int64_t, bj::string_view s, bj::error_code& ec) { return number(s, ec); }
  bool on_uint64(uint64_t, bj::string_view s, bj::error_code& ec) { return number(s, ec); }
  bool on_double(double, bj::string_view s, bj::error_code& ec) { return number(s, ec); }
  bool on_bool(bool b, bj::error_code& ec) { return scalar(JsonKind::boolean, b ? "true" : "false", ec); }
  bool on_null(bj::error_code& ec) { return scalar(JsonKind::null, std::string_view(), ec); }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }
};

}  // namespace

struct BoostJsonEvents::Impl {
  static bj::parse_options options() {
    bj::parse_options o;
    o.max_depth = 64;  // as the simdjson path allows inside ignored fields
    return o;
  }
  Impl() : parser(options()) {}
  bj::basic_parser<Handler> parser;

  HttpError decode(std::string_view json, EventBuilder& out, bool line) {
    parser.reset();
    Handler& h = parser.handler();
    h = Handler{};
    h.out = &out;
    h.input_begin = json.data();
    h.input_end = json.data() + json.size();
    h.line = line;
    bj::error_code ec;
    const size_t used = parser.write_some(false, json.data(), json.size(), ec);
    if (h.error) return h.error;
    if (!ec && used != json.size()) return syntax(out, used, "unexpected text after the JSON value");
    if (ec) {
      const std::string message = ec.message();
      return syntax(out, used, message);
    }
    return {};
  }

  static HttpError syntax(EventBuilder& out, size_t at, std::string_view what) {
    if (out.line_for_messages() > 0)
      return out.error(kStatusBadRequest, "line {}: invalid JSON at column {}: {}", out.line_for_messages(), at + 1,
                       what);
    return out.error(kStatusBadRequest, "invalid JSON at byte {}: {}", at, what);
  }
};

BoostJsonEvents::BoostJsonEvents(size_t) : impl_(std::make_unique<Impl>()) {}
BoostJsonEvents::~BoostJsonEvents() = default;

HttpError BoostJsonEvents::decode_document(std::string_view json, EventBuilder& out) {
  return impl_->decode(json, out, false);
}

HttpError BoostJsonEvents::decode_line(std::string_view json, EventBuilder& out) {
  return impl_->decode(json, out, true);
}

}  // namespace sluice::http::detail
