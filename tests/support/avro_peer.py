#!/usr/bin/python3
"""A Flume-style Avro RPC peer built on python3-avro's IPC, for interoperability tests.

python3-avro implements Avro IPC (handshake, call encoding) but only HTTP framing; this script
puts Netty's framing around it (int32 serial, int32 buffer count, int32 length + bytes per
buffer, big-endian) and Java's stateful handshake (only until a connection has one), which is
what Flume's NettyAvroRpcClient and AvroSource speak. Run with Debian's /usr/bin/python3.

  avro_peer.py client --port P [--message appendBatch] [--events 3] [--calls 2] [--deflate]
      [--stateless]
      sends calls on one connection, prints one line per call: "<message> <STATUS>" or
      "<message> ERROR <text>"; --stateless sends a handshake with every call (python3-avro's
      stock Requestor) instead of only until one succeeded (Java's)
  avro_peer.py server [--port 0] [--port-file F] [--status OK] [--python-hash] [--deflate]
      serves AvroSourceProtocol; prints each received event as a JSON line
      {"headers": {...}, "body": "..."} and a line {"handshake": "BOTH"|...} per handshake;
      --python-hash answers with python3-avro's own protocol hash (a server that does not know
      Flume's hash: clients get NONE first). Stops after --max-connections connections.
  avro_peer.py capture --out DIR
      runs a client and a server in-process and writes the framed bytes of every request and
      response (request-N.bin, response-N.bin) for byte-level tests.
"""

import argparse
import io
import json
import os
import socket
import struct
import sys
import zlib

import avro.io
import avro.ipc
import avro.protocol

# Flume's protocol text as Java's Protocol.toString() prints it (protocols/avro/flume_protocol.h
# has the same string and explains it); python3-avro hashes its own rendering instead.
FLUME_PROTOCOL_JSON = (
    '{"protocol":"AvroSourceProtocol","namespace":"org.apache.flume.source.avro","doc":"* Licensed to'
    ' the Apache Software Foundation (ASF) under one\\n * or more contributor license agreements.  See'
    ' the NOTICE file\\n * distributed with this work for additional information\\n * regarding copyrig'
    'ht ownership.  The ASF licenses this file\\n * to you under the Apache License, Version 2.0 (the\\'
    'n * \\"License\\"); you may not use this file except in compliance\\n * with the License.  You may '
    'obtain a copy of the License at\\n *\\n * http://www.apache.org/licenses/LICENSE-2.0\\n *\\n * Unles'
    's required by applicable law or agreed to in writing,\\n * software distributed under the License'
    ' is distributed on an\\n * \\"AS IS\\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY\\n * KIND, eit'
    'her express or implied.  See the License for the\\n * specific language governing permissions and'
    ' limitations\\n * under the License.","types":[{"type":"enum","name":"Status","symbols":["OK","FA'
    'ILED","UNKNOWN"]},{"type":"record","name":"AvroFlumeEvent","fields":[{"name":"headers","type":{"'
    'type":"map","values":"string"}},{"name":"body","type":"bytes"}]}],"messages":{"append":{"request'
    '":[{"name":"event","type":"AvroFlumeEvent"}],"response":"Status"},"appendBatch":{"request":[{"na'
    'me":"events","type":{"type":"array","items":"AvroFlumeEvent"}}],"response":"Status"}}}'
)
FLUME_MD5 = bytes.fromhex("86aadae2c45474c0fe93ffd0f2350a65")
PROTOCOL = avro.protocol.parse(FLUME_PROTOCOL_JSON)
# Java's ByteBufferOutputStream hands out 8 KiB buffers: split messages the same way.
BUFFER_BYTES = 8192


def frame(serial, message):
    buffers = [message[i:i + BUFFER_BYTES] for i in range(0, len(message), BUFFER_BYTES)] or [b""]
    out = [struct.pack(">ii", serial, len(buffers))]
    for b in buffers:
        out.append(struct.pack(">i", len(b)))
        out.append(b)
    return b"".join(out)


class Stream:
    """A socket with optional zlib (Flume's compression-type deflate) in both directions."""

    def __init__(self, sock, deflate):
        self.sock = sock
        self.pending = b""
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, 15) if deflate else None
        self.inflater = zlib.decompressobj(15) if deflate else None

    def send(self, data):
        if self.deflater:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def read_exact(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            if self.inflater:
                chunk = self.inflater.decompress(chunk)
            self.pending += chunk
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def read_frame(self):
        header = self.read_exact(8)
        if header is None:
            return None
        serial, count = struct.unpack(">ii", header)
        parts = []
        for _ in range(count):
            (length,) = struct.unpack(">i", self.read_exact(4))
            parts.append(self.read_exact(length))
        return serial, b"".join(parts)


class NettyTransceiver:
    """python3-avro transceiver over Netty framing; one connection, serials counting up."""

    def __init__(self, stream, remote_name, log=None):
        self.stream = stream
        self.remote_name = remote_name
        self.serial = 0
        self.log = log

    def transceive(self, request):
        self.serial += 1
        framed = frame(self.serial, request)
        if self.log is not None:
            self.log.append(("request", framed))
        self.stream.send(framed)
        serial, response = self.stream.read_frame()
        if self.log is not None:
            self.log.append(("response", frame(serial, response)))
        if serial != self.serial:
            raise RuntimeError(f"response serial {serial} for request {self.serial}")
        return response


class StatefulRequestor(avro.ipc.Requestor):
    """Java's Requestor: a handshake only until the connection has established one."""

    established = False

    def write_handshake_request(self, encoder):
        if not self.established:
            super().write_handshake_request(encoder)

    def read_handshake_response(self, decoder):
        if self.established:
            return True
        self.established = super().read_handshake_response(decoder)
        return self.established


class StatefulResponder(avro.ipc.Responder):
    """Java's Responder with a NettyServer connection: handshake until one matched; prints
    events. One per connection."""

    def __init__(self, status, python_hash, out):
        super().__init__(PROTOCOL)
        if not python_hash:
            # Answer as a Java Flume agent does: Flume's hash is the server's hash and the only
            # protocol it knows from the start.
            self._local_hash = FLUME_MD5
            self._protocol_cache = {FLUME_MD5: PROTOCOL}
        self.remote = None
        self.status = status
        self.out = out

    def process_handshake(self, decoder, encoder):
        if self.remote is not None:
            return self.remote
        position = encoder.writer.tell()
        self.remote = super().process_handshake(decoder, encoder)
        match = avro.io.BinaryDecoder(io.BytesIO(encoder.writer.getvalue()[position:])).read_int()
        self.emit({"handshake": ["BOTH", "CLIENT", "NONE"][match]})
        return self.remote

    def invoke(self, message, request):
        events = [request["event"]] if message.name == "append" else request["events"]
        for e in events:
            self.emit({"headers": e["headers"], "body": e["body"].decode("utf-8", "replace")})
        return self.status

    def emit(self, obj):
        self.out.write(json.dumps(obj, sort_keys=True) + "\n")
        self.out.flush()


def make_events(count, body_bytes, start):
    events = []
    for i in range(count):
        body = f"event {start + i} " + "x" * body_bytes
        events.append({"headers": {"seq": str(start + i), "host": "peer", "timestamp": "1700000000000",
                                   "k\u00e9y": "v\u00e4lue"},
                       "body": body[:max(body_bytes, len(f"event {start + i}"))].encode()})
    return events


def run_client(args):
    sock = socket.create_connection((args.host, args.port), timeout=30)
    transceiver = NettyTransceiver(Stream(sock, args.deflate), f"{args.host}:{args.port}")
    # --stateless: python3-avro's stock Requestor, a handshake with every call.
    requestor = (avro.ipc.Requestor if args.stateless else StatefulRequestor)(PROTOCOL, transceiver)
    sent = 0
    for _ in range(args.calls):
        if args.message == "append":
            datum = {"event": make_events(1, args.body_bytes, sent)[0]}
            sent += 1
        else:
            datum = {"events": make_events(args.events, args.body_bytes, sent)}
            sent += args.events
        try:
            status = requestor.request(args.message, datum)
            print(f"{args.message} {status}", flush=True)
        except avro.errors.AvroRemoteException as e:
            print(f"{args.message} ERROR {e}", flush=True)
    sock.close()


def run_server(args):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(4)
    listener.settimeout(args.timeout)
    port = listener.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    for _ in range(args.max_connections):
        conn, _ = listener.accept()
        conn.settimeout(args.timeout)
        stream = Stream(conn, args.deflate)
        responder = StatefulResponder(args.status, args.python_hash, sys.stdout)
        while True:
            request = stream.read_frame()
            if request is None:
                break
            serial, payload = request
            stream.send(frame(serial, responder.respond(payload)))
        conn.close()


class LoopbackStream:
    """Requests go straight to an in-process responder (for capture)."""

    def __init__(self, responder):
        self.responder = responder
        self.reply = b""

    def send(self, data):
        serial, count = struct.unpack(">ii", data[:8])
        parts, p = [], 8
        for _ in range(count):
            (length,) = struct.unpack(">i", data[p:p + 4])
            parts.append(data[p + 4:p + 4 + length])
            p += 4 + length
        self.reply = (serial, self.responder.respond(b"".join(parts)))

    def read_frame(self):
        return self.reply


def run_capture(args):
    os.makedirs(args.out, exist_ok=True)
    # A server that does not know python3-avro's hash: the client gets NONE, then resends with
    # its protocol text; then a second call on the established connection carries no handshake.
    responder = StatefulResponder("OK", False, open(os.devnull, "w"))
    log = []
    transceiver = NettyTransceiver(LoopbackStream(responder), "capture", log)
    requestor = StatefulRequestor(PROTOCOL, transceiver)
    requestor.request("appendBatch", {"events": make_events(3, 200, 0)})
    # A large batch: several 8 KiB buffers in one frame.
    requestor.request("appendBatch", {"events": make_events(100, 200, 3)})
    requestor.request("append", {"event": make_events(1, 20, 103)[0]})
    counts = {"request": 0, "response": 0}
    for kind, data in log:
        counts[kind] += 1
        with open(os.path.join(args.out, f"{kind}-{counts[kind]}.bin"), "wb") as f:
            f.write(data)
    print(f"wrote {counts['request']} requests and {counts['response']} responses to {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("client")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--message", choices=["append", "appendBatch"], default="appendBatch")
    c.add_argument("--events", type=int, default=3)
    c.add_argument("--body-bytes", type=int, default=20)
    c.add_argument("--calls", type=int, default=2)
    c.add_argument("--deflate", action="store_true")
    c.add_argument("--stateless", action="store_true")
    s = sub.add_parser("server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file")
    s.add_argument("--status", choices=["OK", "FAILED", "UNKNOWN"], default="OK")
    s.add_argument("--python-hash", action="store_true")
    s.add_argument("--deflate", action="store_true")
    s.add_argument("--max-connections", type=int, default=1)
    s.add_argument("--timeout", type=float, default=30)
    k = sub.add_parser("capture")
    k.add_argument("--out", required=True)
    args = parser.parse_args()
    {"client": run_client, "server": run_server, "capture": run_capture}[args.mode](args)


if __name__ == "__main__":
    main()
