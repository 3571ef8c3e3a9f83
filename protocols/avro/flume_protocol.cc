#include "protocols/avro/flume_protocol.h"

#include <boost/json.hpp>

#include <string>

#include "base/assert.h"

namespace sluice::avro {

namespace json = boost::json;

std::string_view flume_status_name(FlumeStatus status) {
  switch (status) {
    case FlumeStatus::ok: return "OK";
    case FlumeStatus::failed: return "FAILED";
    case FlumeStatus::unknown: return "UNKNOWN";
  }
  return "?";
}

std::string_view flume_message_name(FlumeMessage message) {
  return message == FlumeMessage::append ? "append" : "appendBatch";
}

namespace {

// Named types of one protocol, by short and by full name. Protocols are small (a handshake
// carries one): a linear list is enough.
class Names {
 public:
  void add(const json::object& type, std::string_view enclosing_ns) {
    const auto* name = type.if_contains("name");
    if (name == nullptr || !name->is_string()) return;
    std::string full(name->as_string());
    std::string ns(enclosing_ns);
    if (const auto* n = type.if_contains("namespace"); n != nullptr && n->is_string()) ns = std::string(n->as_string());
    std::string short_name = full;
    if (const auto dot = full.rfind('.'); dot != std::string::npos) {
      short_name = full.substr(dot + 1);
    } else if (!ns.empty()) {
      full = ns + "." + full;
    }
    entries_.push_back({full, &type});
    entries_.push_back({short_name, &type});
  }
  const json::object* find(std::string_view name) const {
    for (const auto& [n, t] : entries_)
      if (n == name) return t;
    return nullptr;
  }

 private:
  std::vector<std::pair<std::string, const json::object*>> entries_;
};

// A primitive type given as "name" or {"type": "name", ...properties}.
bool is_primitive(const json::value& type, std::string_view name) {
  if (type.is_string()) return type.as_string() == name;
  if (!type.is_object()) return false;
  const auto* t = type.as_object().if_contains("type");
  return t != nullptr && t->is_string() && t->as_string() == name;
}

const json::object* resolve(const json::value& type, const Names& names) {
  if (type.is_string()) return names.find(type.as_string());
  if (type.is_object()) return &type.as_object();
  return nullptr;
}

// {"type":"record", "fields":[{"name":"headers","type":map<string>},{"name":"body","type":"bytes"}]}
bool is_flume_event(const json::value& type, const Names& names) {
  const json::object* record = resolve(type, names);
  if (record == nullptr) return false;
  const auto* kind = record->if_contains("type");
  if (kind == nullptr || !kind->is_string() || kind->as_string() != "record") return false;
  const auto* fields = record->if_contains("fields");
  if (fields == nullptr || !fields->is_array() || fields->as_array().size() != 2) return false;
  const auto& f = fields->as_array();
  if (!f[0].is_object() || !f[1].is_object()) return false;
  const auto* headers_name = f[0].as_object().if_contains("name");
  const auto* headers_type = f[0].as_object().if_contains("type");
  const auto* body_name = f[1].as_object().if_contains("name");
  const auto* body_type = f[1].as_object().if_contains("type");
  if (headers_name == nullptr || headers_type == nullptr || body_name == nullptr || body_type == nullptr) return false;
  if (!headers_name->is_string() || headers_name->as_string() != "headers") return false;
  if (!body_name->is_string() || body_name->as_string() != "body") return false;
  if (!is_primitive(*body_type, "bytes") || !headers_type->is_object()) return false;
  const auto& map = headers_type->as_object();
  const auto* map_kind = map.if_contains("type");
  const auto* values = map.if_contains("values");
  return map_kind != nullptr && map_kind->is_string() && map_kind->as_string() == "map" && values != nullptr &&
         is_primitive(*values, "string");
}

// The single parameter of a message's request, or nullptr.
const json::value* single_parameter(const json::object& message) {
  const auto* request = message.if_contains("request");
  if (request == nullptr || !request->is_array() || request->as_array().size() != 1) return nullptr;
  const auto& param = request->as_array()[0];
  if (!param.is_object()) return nullptr;
  return param.as_object().if_contains("type");
}

}  // namespace

bool check_client_protocol(std::string_view text, RemoteProtocol& out, std::string_view& error) {
  out = RemoteProtocol{};
  boost::system::error_code ec;
  // Boost.JSON bounds the nesting depth (32 by default; protocols nest a handful of levels),
  // so a hostile text cannot recurse deeply; its size is bounded by the caller.
  const json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) {
    error = "client protocol is not JSON";
    return false;
  }
  if (!root.is_object()) {
    error = "client protocol is not a JSON object";
    return false;
  }
  const auto& protocol = root.as_object();
  const auto* name = protocol.if_contains("protocol");
  if (name == nullptr || !name->is_string()) {
    error = "client protocol has no name";
    return false;
  }
  std::string_view ns;
  if (const auto* n = protocol.if_contains("namespace"); n != nullptr && n->is_string()) ns = n->as_string();
  Names names;
  if (const auto* types = protocol.if_contains("types"); types != nullptr && types->is_array()) {
    for (const auto& t : types->as_array())
      if (t.is_object()) names.add(t.as_object(), ns);
  }
  const auto* messages = protocol.if_contains("messages");
  if (messages == nullptr || !messages->is_object()) return true;  // a protocol without messages
  for (const auto& [key, value] : messages->as_object()) {
    if (!value.is_object()) continue;
    const json::value* param = single_parameter(value.as_object());
    if (key == "append") {
      out.declares_append = true;
      out.append = param != nullptr && is_flume_event(*param, names);
    } else if (key == "appendBatch") {
      out.declares_append_batch = true;
      const json::object* array = param != nullptr && param->is_object() ? &param->as_object() : nullptr;
      if (array != nullptr) {
        const auto* kind = array->if_contains("type");
        const auto* items = array->if_contains("items");
        out.append_batch = kind != nullptr && kind->is_string() && kind->as_string() == "array" && items != nullptr &&
                           is_flume_event(*items, names);
      }
    }
  }
  return true;
}

ProtocolRegistry::ProtocolRegistry(size_t entries_max) : entries_max_(entries_max) {
  SLUICE_ASSERT(entries_max >= 2, "the registry holds Flume's two hashes");
  entries_.reserve(entries_max);
  entries_.push_back({kFlumeProtocolMd5, kFlumeRemoteProtocol});
  entries_.push_back({kFlumeProtocolMd5Avro1111, kFlumeRemoteProtocol});
}

const RemoteProtocol* ProtocolRegistry::find(const Md5& hash) const {
  for (const auto& e : entries_)
    if (e.hash == hash) return &e.protocol;
  return nullptr;
}

const RemoteProtocol* ProtocolRegistry::remember(const Md5& hash, const RemoteProtocol& protocol) {
  if (const RemoteProtocol* known = find(hash)) return known;
  if (entries_.size() >= entries_max_) return nullptr;
  entries_.push_back({hash, protocol});
  return &entries_.back().protocol;
}

}  // namespace sluice::avro
