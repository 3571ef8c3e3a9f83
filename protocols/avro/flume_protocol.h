// Flume's AvroSourceProtocol (flume-ng-sdk/src/main/avro/flume.avdl) as Avro IPC sees it: the
// protocol text and MD5 hash that Flume's Java clients and servers put in their handshakes, the
// Status enum, and a check of the protocol text a client sends when its hash is not one of
// Flume's.
//
// Threads: constants and pure functions; ProtocolRegistry belongs to one shard thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::avro {

using Md5 = std::array<uint8_t, 16>;

// The protocol exactly as Java's Protocol.toString() prints it in a Flume agent, and its MD5
// (Java's Protocol.getMD5() is the MD5 of the UTF-8 bytes of toString()).
//
// How it was obtained: Debian's libavro-java and libavro-compiler-java 1.8.2 compiled
// flume.avdl (Idl.CompilationUnit()), the result was printed with toString(), parsed again with
// Protocol.parse() and printed and hashed with toString() and getMD5(); both prints are equal
// (a Java program doing this is tests/support/avro_java/FlumeProtocolMd5.java). The "doc" is
// the Apache license comment that opens flume.avdl: the IDL compiler takes the last "/** */"
// comment before `protocol` as its doc, trims it and keeps its inner " * " prefixes.
//
// The same text (hence hash) comes from the Avro versions Flume releases are built with:
// Flume 1.9 uses Avro 1.7.4, Flume 1.10 and 1.11.0 use Avro 1.11.0. Between 1.7.4 and 1.11.0
// neither the IDL's doc handling (setDoc(doc.trim())) nor the JSON that Protocol.toJson and
// Schema.toJson write for these types (enum, record, map, array, primitives in the protocol's
// own namespace) changed, which reading the sources of those three releases confirms.
inline constexpr std::string_view kFlumeProtocolJson =
    R"json({"protocol":"AvroSourceProtocol","namespace":"org.apache.flume.source.avro","doc":"* Licensed to)json"
    R"json( the Apache Software Foundation (ASF) under one\n * or more contributor license agreements.  See)json"
    R"json( the NOTICE file\n * distributed with this work for additional information\n * regarding copyrig)json"
    R"json(ht ownership.  The ASF licenses this file\n * to you under the Apache License, Version 2.0 (the\)json"
    R"json(n * \"License\"); you may not use this file except in compliance\n * with the License.  You may )json"
    R"json(obtain a copy of the License at\n *\n * http://www.apache.org/licenses/LICENSE-2.0\n *\n * Unles)json"
    R"json(s required by applicable law or agreed to in writing,\n * software distributed under the License)json"
    R"json( is distributed on an\n * \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY\n * KIND, eit)json"
    R"json(her express or implied.  See the License for the\n * specific language governing permissions and)json"
    R"json( limitations\n * under the License.","types":[{"type":"enum","name":"Status","symbols":["OK","FA)json"
    R"json(ILED","UNKNOWN"]},{"type":"record","name":"AvroFlumeEvent","fields":[{"name":"headers","type":{")json"
    R"json(type":"map","values":"string"}},{"name":"body","type":"bytes"}]}],"messages":{"append":{"request)json"
    R"json(":[{"name":"event","type":"AvroFlumeEvent"}],"response":"Status"},"appendBatch":{"request":[{"na)json"
    R"json(me":"events","type":{"type":"array","items":"AvroFlumeEvent"}}],"response":"Status"}}})json";
inline constexpr Md5 kFlumeProtocolMd5 = {0x86, 0xaa, 0xda, 0xe2, 0xc4, 0x54, 0x74, 0xc0,
                                          0xfe, 0x93, 0xff, 0xd0, 0xf2, 0x35, 0x0a, 0x65};

// Avro 1.11.1 changed the IDL compiler (AVRO-3294): a doc comment loses its leading " * " on
// every line. A Flume built with it (Flume's main branch after 1.11.0) hashes this variant:
// kFlumeProtocolJson with the doc's lines stripped of "^[ \t]*\*[ \t]?", else identical
// (derived, and checked by re-parsing with Java's Protocol.parse/toString/getMD5 1.8.2). The
// server knows it too, so such a client is not sent a NONE either.
inline constexpr Md5 kFlumeProtocolMd5Avro1111 = {0x80, 0x76, 0xc5, 0x37, 0x14, 0xe0, 0x1f, 0x6e,
                                                  0x2c, 0x1d, 0xeb, 0x95, 0x44, 0xe7, 0xb1, 0xfe};

// AvroSourceProtocol's Status enum, by symbol index.
enum class FlumeStatus : uint8_t { ok = 0, failed = 1, unknown = 2 };
inline constexpr uint32_t kFlumeStatusSymbols = 3;
std::string_view flume_status_name(FlumeStatus status);

enum class FlumeMessage : uint8_t { append, append_batch };
std::string_view flume_message_name(FlumeMessage message);

// What a client's protocol declares, as far as the server cares: which of Flume's messages it
// has with Flume's request layout (one AvroFlumeEvent record {headers: map<string>, body:
// bytes}, or an array of them). Java's Responder would resolve the client's schemas against
// its own; only wire-identical layouts are accepted here, which every Flume version and every
// client generated from flume.avdl (in any language) has.
struct RemoteProtocol {
  bool append = false;
  bool append_batch = false;
  // Messages the client declares (by name), whatever their layout: calls to a message the
  // client's protocol lacks are answered as Java does ("No such remote message").
  bool declares_append = false;
  bool declares_append_batch = false;

  bool supports(FlumeMessage m) const { return m == FlumeMessage::append ? append : append_batch; }
  bool declares(FlumeMessage m) const { return m == FlumeMessage::append ? declares_append : declares_append_batch; }
};

inline constexpr RemoteProtocol kFlumeRemoteProtocol{true, true, true, true};

// Parses a protocol's JSON text. Returns false (with a short static reason) when the text is
// not a JSON protocol at all; a protocol without Flume's messages is valid and declares none.
bool check_client_protocol(std::string_view json, RemoteProtocol& out, std::string_view& error);

// The client protocols a shard has seen, by hash: Flume's two variants from the start, and
// those of clients that sent their protocol text (at most `entries_max`; when full, a new
// protocol is still accepted for its connection, only not remembered).
class ProtocolRegistry {
 public:
  explicit ProtocolRegistry(size_t entries_max = 64);

  const RemoteProtocol* find(const Md5& hash) const;
  // Remembers `protocol` for `hash`; returns the stored entry or nullptr when full.
  const RemoteProtocol* remember(const Md5& hash, const RemoteProtocol& protocol);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Md5 hash;
    RemoteProtocol protocol;
  };
  size_t entries_max_;
  std::vector<Entry> entries_;
};

}  // namespace sluice::avro
