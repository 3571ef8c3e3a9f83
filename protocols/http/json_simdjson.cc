// Flume JSON events with simdjson On-Demand: the tests' oracle for the Boost.JSON path (see
// event_decoders.cc for why it is not the production path). Strings are read from their raw
// JSON text: escape-free ones are not copied, the others are unescaped by read_json_string.
#include <simdjson.h>

#include "protocols/http/json_events.h"
#include "protocols/http/padded_buffer.h"

static_assert(sluice::http::kBodyPaddingBytes >= simdjson::SIMDJSON_PADDING, "bodies must carry simdjson's padding");

namespace sluice::http::detail {

namespace od = simdjson::ondemand;

namespace {

JsonKind kind_of(od::json_type type) {
  switch (type) {
    case od::json_type::object: return JsonKind::object;
    case od::json_type::array: return JsonKind::array;
    case od::json_type::string: return JsonKind::string;
    case od::json_type::number: return JsonKind::number;
    case od::json_type::boolean: return JsonKind::boolean;
    case od::json_type::null: return JsonKind::null;
  }
  return JsonKind::null;
}

// A scalar's JSON text (to the next structural character: trailing blanks included).
simdjson::error_code raw_token(od::value& v, std::string_view& out) {
  out = v.raw_json_token();
  return simdjson::SUCCESS;
}
simdjson::error_code raw_token(od::document& doc, std::string_view& out) { return doc.raw_json_token().get(out); }

// Nesting accepted inside ignored fields (an event object is at depth 2 of the document).
constexpr size_t kDepthMax = 64;

std::string_view trim_json_space(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// One decode: the document and the input, for error positions.
class Reader {
 public:
  Reader(std::string_view json, EventBuilder& out) : json_(json), out_(out) {}

  HttpError syntax(simdjson::error_code code) {
    if (code == simdjson::CAPACITY) return out_.error(kStatusPayloadTooLarge, "request body too large");
    const char* where = nullptr;
    if (doc_ != nullptr) {
      auto location = doc_->current_location();
      if (!location.error()) where = location.value_unsafe();
    }
    return invalid_json(where, simdjson::error_message(code));
  }

  HttpError invalid_json(const char* where, std::string_view what) {
    const size_t line = out_.line_for_messages();
    if (where != nullptr && where >= json_.data() && where <= json_.data() + json_.size()) {
      const auto at = static_cast<size_t>(where - json_.data());
      if (line > 0) return out_.error(kStatusBadRequest, "line {}: invalid JSON at column {}: {}", line, at + 1, what);
      return out_.error(kStatusBadRequest, "invalid JSON at byte {}: {}", at, what);
    }
    if (line > 0) return out_.error(kStatusBadRequest, "line {}: invalid JSON: {}", line, what);
    return out_.error(kStatusBadRequest, "invalid JSON: {}", what);
  }

  // The type of a value the caller is about to refuse as the wrong kind. On-Demand decides the
  // type from the first byte only: "nope" would be "null". Validate atoms first, so that bad
  // JSON is reported as bad JSON.
  template <typename Value>
  HttpError checked_kind(Value& v, od::json_type type, JsonKind& kind) {
    kind = kind_of(type);
    if (type == od::json_type::null) {
      bool is_null = false;
      if (auto code = v.is_null().get(is_null)) return syntax(code);
      if (!is_null) return syntax(simdjson::N_ATOM_ERROR);
    } else if (type == od::json_type::boolean) {
      bool b = false;
      if (auto code = v.get_bool().get(b)) return syntax(code);
    } else if (type == od::json_type::number) {
      std::string_view token;
      if (auto code = raw_token(v, token)) return syntax(code);
      token = trim_json_space(token);
      if (!is_json_number(token)) return invalid_json(token.data(), "invalid number");
      return consume_number(v);
    }
    return {};
  }

  // Consumes a number whose text is valid JSON (see string()). Numbers beyond a double's range
  // are still valid JSON: their NUMBER_ERROR is not an error here.
  template <typename Value>
  HttpError consume_number(Value& v) {
    double ignored = 0;
    const auto code = v.get_double().get(ignored);
    if (code && code != simdjson::NUMBER_ERROR) return syntax(code);
    return {};
  }

  // Reads a value that is not used (an unknown field's), checking it as a full parser would:
  // On-Demand would skip it without looking at its atoms or its separators.
  HttpError skip_checked(od::value& v, size_t depth) {
    if (depth > kDepthMax) return invalid_json(nullptr, "nesting too deep");
    od::json_type type;
    if (auto code = v.type().get(type)) return syntax(code);
    switch (type) {
      case od::json_type::string: {
        std::string_view ignored;
        return string(v, ignored);
      }
      case od::json_type::array: {
        od::array array;
        if (auto code = v.get_array().get(array)) return syntax(code);
        for (auto element_result : array) {
          od::value element;
          if (auto code = std::move(element_result).get(element)) return syntax(code);
          if (HttpError e = skip_checked(element, depth + 1)) return e;
        }
        return {};
      }
      case od::json_type::object: {
        od::object object;
        if (auto code = v.get_object().get(object)) return syntax(code);
        for (auto field_result : object) {
          od::field field;
          if (auto code = std::move(field_result).get(field)) return syntax(code);
          std::string_view ignored;
          if (HttpError e = string_at(field.key().raw(), ignored)) return e;
          if (HttpError e = skip_checked(field.value(), depth + 1)) return e;
        }
        return {};
      }
      default: {
        JsonKind kind;
        return checked_kind(v, type, kind);
      }
    }
  }

  // A string value, consumed: On-Demand checks the separator after a value only when the value
  // was consumed (a value it has to skip, like one only peeked at, is skipped unchecked).
  HttpError string(od::value& v, std::string_view& value) {
    od::raw_json_string raw;
    if (auto code = v.get_raw_json_string().get(raw)) return syntax(code);
    return string_at(raw.raw(), value);
  }

  HttpError string_at(const char* p, std::string_view& value) {
    const char* error_at = nullptr;
    std::string_view error;
    if (read_json_string(p, out_, value, error_at, error) == nullptr) return invalid_json(error_at, error);
    return {};
  }

  HttpError header_value(od::value& v, std::string_view key, std::string_view& value) {
    od::json_type type;
    if (auto code = v.type().get(type)) return syntax(code);
    switch (type) {
      case od::json_type::string: return string(v, value);
      case od::json_type::number: {
        value = trim_json_space(v.raw_json_token());
        if (!is_json_number(value)) return invalid_json(value.data(), "invalid number");
        return consume_number(v);
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto code = v.get_bool().get(b)) return syntax(code);
        value = b ? "true" : "false";
        return {};
      }
      default: {
        JsonKind kind;
        if (HttpError e = checked_kind(v, type, kind)) return e;
        return out_.error_here(kStatusBadRequest, "header \"{}\": value must be a string, number or boolean, not {}",
                               message_excerpt(key), json_kind_article(kind));
      }
    }
  }

  HttpError headers(od::value& v) {
    od::json_type type;
    if (auto code = v.type().get(type)) return syntax(code);
    if (type == od::json_type::null) {
      bool is_null = false;
      if (auto code = v.is_null().get(is_null)) return syntax(code);
      if (!is_null) return syntax(simdjson::N_ATOM_ERROR);
      out_.clear_headers();
      return {};
    }
    if (type != od::json_type::object) {
      JsonKind kind;
      if (HttpError e = checked_kind(v, type, kind)) return e;
      return out_.error_here(kStatusBadRequest, "\"headers\" must be an object, not {}", json_kind_article(kind));
    }
    od::object object;
    if (auto code = v.get_object().get(object)) return syntax(code);
    out_.clear_headers();
    for (auto field_result : object) {
      od::field field;
      if (auto code = std::move(field_result).get(field)) return syntax(code);
      std::string_view key;
      if (HttpError e = string_at(field.key().raw(), key)) return e;
      std::string_view value;
      if (HttpError e = header_value(field.value(), key, value)) return e;
      if (HttpError e = out_.add_header(key, value)) return e;
    }
    return {};
  }

  HttpError body(od::value& v) {
    od::json_type type;
    if (auto code = v.type().get(type)) return syntax(code);
    if (type == od::json_type::string) {
      std::string_view body;
      if (HttpError e = string(v, body)) return e;
      out_.set_body(body);
      return {};
    }
    if (type == od::json_type::null) {
      bool is_null = false;
      if (auto code = v.is_null().get(is_null)) return syntax(code);
      if (!is_null) return syntax(simdjson::N_ATOM_ERROR);
      out_.set_body({});
      return {};
    }
    JsonKind kind;
    if (HttpError e = checked_kind(v, type, kind)) return e;
    return out_.error_here(kStatusBadRequest, "\"body\" must be a string, not {}", json_kind_article(kind));
  }

  template <typename Object>
  HttpError event(Object& object) {
    if (HttpError e = out_.begin_event()) return e;
    for (auto field_result : object) {
      od::field field;
      if (auto code = std::move(field_result).get(field)) return syntax(code);
      std::string_view key;
      if (HttpError e = string_at(field.key().raw(), key)) return e;
      if (key == "headers") {
        if (HttpError e = headers(field.value())) return e;
      } else if (key == "body") {
        if (HttpError e = body(field.value())) return e;
      } else if (HttpError e = skip_checked(field.value(), 2)) {  // ignored, as Gson ignores it
        return e;
      }
    }
    return out_.end_event();
  }

  HttpError element(od::value& v) {
    od::json_type type;
    if (auto code = v.type().get(type)) return syntax(code);
    if (type != od::json_type::object) {
      JsonKind kind;
      if (HttpError e = checked_kind(v, type, kind)) return e;
      return out_.error_here(kStatusBadRequest, "an event must be an object, not {}", json_kind_article(kind));
    }
    od::object object;
    if (auto code = v.get_object().get(object)) return syntax(code);
    return event(object);
  }

  // A document: an array of events or one event (`line` false), or one event (NDJSON).
  HttpError document(od::parser& parser, bool line) {
    od::document doc;
    if (auto code = parser.iterate(json_.data(), json_.size(), json_.size() + simdjson::SIMDJSON_PADDING).get(doc))
      return syntax(code);
    doc_ = &doc;
    od::json_type type;
    if (auto code = doc.type().get(type)) return syntax(code);
    if (type == od::json_type::array && !line) {
      od::array array;
      if (auto code = doc.get_array().get(array)) return syntax(code);
      for (auto element_result : array) {
        od::value v;
        if (auto code = std::move(element_result).get(v)) return syntax(code);
        if (HttpError e = element(v)) return e;
      }
    } else if (type == od::json_type::object) {
      od::object object;
      if (auto code = doc.get_object().get(object)) return syntax(code);
      if (HttpError e = event(object)) return e;
    } else if (JsonKind kind; HttpError e = checked_kind(doc, type, kind)) {
      return e;
    } else if (line) {
      return out_.error(kStatusBadRequest, "line {}: an event must be an object, not {}", out_.line_for_messages(),
                        json_kind_article(kind));
    } else {
      return out_.error(kStatusBadRequest, "the body must be a JSON array of events or one event object, not {}",
                        json_kind_article(kind));
    }
    // Anything after the value (the iteration stops at its end).
    auto rest = doc.current_location();
    if (!rest.error()) return invalid_json(rest.value_unsafe(), "unexpected text after the JSON value");
    if (rest.error() != simdjson::OUT_OF_BOUNDS) return syntax(rest.error());
    return {};
  }

 private:
  std::string_view json_;
  EventBuilder& out_;
  od::document* doc_ = nullptr;
};

}  // namespace

struct SimdjsonEvents::Impl {
  explicit Impl(size_t body_bytes_max) : parser(body_bytes_max) {}
  od::parser parser;
};

SimdjsonEvents::SimdjsonEvents(size_t body_bytes_max) : impl_(std::make_unique<Impl>(body_bytes_max)) {}
SimdjsonEvents::~SimdjsonEvents() = default;

HttpError SimdjsonEvents::decode_document(std::string_view json, EventBuilder& out) {
  return Reader(json, out).document(impl_->parser, false);
}

HttpError SimdjsonEvents::decode_line(std::string_view json, EventBuilder& out) {
  return Reader(json, out).document(impl_->parser, true);
}

}  // namespace sluice::http::detail
