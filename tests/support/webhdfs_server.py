#!/usr/bin/python3
"""A WebHDFS test server: a name node port and a data node port that answer the WebHDFS REST API
the way Hadoop 3's NameNode (Jetty + Jersey) and DataNode (Netty) do, with fault injection.
Stdlib only; run with Debian's /usr/bin/python3. The HDFS sink's tests run against it because
no HDFS can be installed here.

Command line:
    webhdfs_server.py --root DIR [--namenode-port 0] [--datanode-port 0] [--host 127.0.0.1]
        [--require-user NAME] [--require-delegation TOKEN] [--delegation-user NAME]
        [--superuser hdfs] [--root-permission 777] [--request-log FILE] [--idle-timeout 60]
        [--json-framing chunked|length] [--verbose]
  prints "namenode=127.0.0.1:PORT datanode=127.0.0.1:PORT" as its first stdout line, serves
  until SIGTERM or SIGINT, exits 0. The name node keeps connections alive (HTTP/1.1) and sends
  its JSON chunked, as WebHDFS.md shows; the data node closes after every answer.

In a test:
    with WebHdfsServer() as hdfs:               # temporary root, free ports
        hdfs.namenode                           # "127.0.0.1:PORT" (also .datanode, *_port)
        hdfs.url("/a/b", op="CREATE", **{"user.name": "u"})
        hdfs.faults({"node": "datanode", "op": "CREATE", "action": "error",
                     "exception": "RetriableException", "message": "try later"})
        hdfs.stats(); hdfs.log(); hdfs.read("/a/b"); hdfs.local_path("/a/b"); hdfs.stop()

Storage: files live on disk under the root (HDFS path /a/b is ROOT/a/b), so tests read them with
zcat, zstdcat or python3-avro; owners, permissions, replication, block size, file ids and
leases are kept in memory. A root that already holds files is indexed at start-up (owned by
the superuser). Data reaches the disk as it arrives; the length HDFS reports (GETFILESTATUS,
LISTSTATUS, OPEN) moves only when the write's connection ends, as HDFS's visible length does.

Admin endpoints, on the name node port only (JSON in and out):
    POST   /_test/faults   a fault, a list of faults or {"faults": [...]} -> {"ids": [...]}
    GET    /_test/faults   the faults still armed
    DELETE /_test/faults   disarm every fault
    GET    /_test/stats    counters: requests, connections, ops, statuses, bytes, faults fired
    GET    /_test/log      the request log (the newest 5000 requests)
    POST   /_test/reset    forget faults, counters and the log (not the files)
    POST   /_test/config   {"require_user": NAME|null, "require_delegation": TOKEN|null,
                            "delegation_user": NAME}
A fault: {"action": "error"|"delay"|"drop"|"hang"|"recovery",   (required)
          "node": "namenode"|"datanode",  "op": "CREATE",  "method": "PUT",  "path": "/a/b",
          "path_prefix": "/a/",           (what it matches; absent means any)
          "count": 1 (times it fires; -1 forever),  "skip": 0 (matching requests let through first),
          "when": "before"|"mid"|"after",
              before: before anything (the data node's 100 Continue included),
              mid:    after "after_bytes" bytes of a data node upload were stored (drop, hang),
              after:  after the operation took effect (data stored, directory made, ...)
                      and before the answer: the client cannot tell what happened,
          error:  "status", "exception" (e.g. "RetriableException"; its Java class and, when
                  "status" is absent, its status come from Hadoop's mapping), "message",
                  "java_class"; or a raw "body" with "content_type" (a proxy's HTML page),
          delay:  "delay_ms" (then the request goes on normally),
          drop:   "rst": true (a reset; false closes with a FIN); no answer,
          hang:   "hang_ms": the answer never comes; the connection is closed after hang_ms,
                  when the client goes away, or at stop(),
          recovery: (op TRUNCATE only, "when" before) "recovery_ms": a cut off a block boundary
                  answers {"boolean": false} as Hadoop does, and the file keeps its old length
                  and stays leased (APPEND gets RecoveryInProgressException) until the block
                  recovery ends recovery_ms later; a cut on a boundary (newlength 0) stays true.}

What it mirrors, and the Hadoop 3 source it was checked against (apache/hadoop):
- NamenodeWebHdfsMethods.java: CREATE is redirected without looking at the namespace, so an
  existing file (FileAlreadyExistsException) or a denied write (AccessControlException) fail
  only at the data node; APPEND and OPEN look the file up first, so a missing file is a 404
  FileNotFoundException "File /p not found." from the name node; OPEN checks the offset there
  (403 IOException "Offset=N out of the range [0, LEN); OPEN, path=/p"); the Location query is
  op, user.name (or delegation), namenoderpcaddress, then the op's parameters sorted by name
  with the unset ones left out (Param.toSortedString: "createflag=&createparent=true&
  overwrite=false"); noredirect=true answers 200 {"Location": ...}; GETFILESTATUS of a
  missing path is 404 "File does not exist: /p"; LISTSTATUS streams
  {"FileStatuses":{"FileStatus":[ one status a line ]}}; a RENAME without destination is 400
  "Required param destination for op: RENAME is null or empty"; a missing op is 400
  UnsupportedOperationException "op=NULL is not supported"; TRUNCATE (POST, newlength
  required) answers {"boolean": b} from ClientProtocol.truncate, as a new client
  "DFSClient_<random long>" each time.
- datanode/web/webhdfs/WebHdfsHandler.java, HdfsWriter.java, ExceptionHandler.java: the data
  node writes "100 Continue" before every CREATE and APPEND body whether or not the client sent
  Expect; it answers CREATE with 201, "Location: hdfs://<namenoderpcaddress><path>" (not
  webhdfs://, whatever WebHDFS.md says) and Content-Length 0, APPEND with 200, and every
  answer, errors included, with "Connection: close"; an unknown op is 400 "Invalid operation
  X"; a connection that ends mid-upload still closes the HDFS stream, so the bytes that
  arrived stay in the file.
- web/resources/ExceptionHandler.java, web/JsonUtil.java: RemoteException JSON with sorted keys
  and no spaces; IllegalArgumentException and UnsupportedOperationException 400,
  FileNotFoundException 404, other IOExceptions (AccessControlException,
  FileAlreadyExistsException, ...) and SecurityException 403 (not 401 as WebHDFS.md's table
  says), anything else 500. Bad parameters: "Invalid value for webhdfs parameter \"p\": ..."
  with the messages of hdfs-client's *Param classes ("X is not a valid PUT operation.",
  "Failed to parse \"9\" as a radix-8 short integer.", "Invalid parameter range: ...").
- hadoop-auth AuthenticationFilter / PseudoAuthenticationHandler, hdfs web/AuthFilter.java:
  with anonymous users refused, a request without user.name gets 401 "WWW-Authenticate:
  PseudoAuth" and Jetty's HTML error page, not JSON; with security on, a request without
  delegation= goes to SPNEGO: 401 "WWW-Authenticate: Negotiate"; a bad token is 403
  SecurityException "Failed to obtain user group information: ...InvalidToken...".
  Without a user.name the user is hadoop.http.staticuser.user, "dr.who".
- namenode FSDirMkdirOp, FSDirWriteFileOp, FSDirAppendOp, FSDirRenameOp, FSDirDeleteOp,
  FSPermissionChecker, FSNamesystem.recoverLeaseInternal: mkdirs makes parents (u+wx added)
  and is true for an existing directory; "Path is not a directory: /p"; a file in the middle of
  a path is ParentNotDirectoryException "/p (is not a directory)"; CREATE without overwrite on
  a file is "/p for client 127.0.0.1 already exists"; APPEND to a directory is
  FileAlreadyExistsException; a file being written is leased: APPEND or CREATE to it gets
  AlreadyBeingCreatedException "Failed to APPEND_FILE /p for DFSClient_... on 127.0.0.1
  because this file lease is currently owned by DFSClient_... on 127.0.0.1"; RENAME is false
  (not an error) when the source is missing, the destination exists or its parent is missing,
  moves into an existing destination directory, and with renameoptions= follows rename2's
  exceptions; DELETE of a missing path is false and of a non-empty directory without
  recursive is 403 PathIsNotEmptyDirectoryException "`/d is non empty': Directory is not
  empty"; "Permission denied: user=bob, access=WRITE, inode=\"/d\":alice:supergroup:drwxr-xr-x";
  new inodes take their parent's group; the superuser (and the supergroup) skip checks.
- namenode FSDirTruncateOp, INodeFile.valueOf: TRUNCATE needs WRITE on the file; a missing path
  is 404 FileNotFoundException "File does not exist: /p", a directory 404 "Path is not a file:
  /p"; a leased file is AlreadyBeingCreatedException "Failed to TRUNCATE_FILE /p for
  DFSClient_N on 127.0.0.1 because this file lease is currently owned by ..."; a longer
  newlength is 400 HadoopIllegalArgumentException "Cannot truncate to a larger file size.
  Current size: X, truncate size: Y."; the same length is true at once; true means the cut is
  done (on a block boundary), false that the last block is being recovered: the length HDFS
  reports stays the old one until then, a second TRUNCATE to the same length is false again
  and to another one AlreadyBeingCreatedException "... because /p is being truncated.".

Operations: MKDIRS, CREATE, APPEND, OPEN, RENAME (with and without renameoptions), DELETE,
TRUNCATE, GETFILESTATUS, LISTSTATUS, GETCONTENTSUMMARY, GETHOMEDIRECTORY, SETPERMISSION,
SETOWNER. Every other op Hadoop knows (GETFILECHECKSUM, snapshots, ACLs, xattrs, symlinks,
quotas, storage policies, CONCAT, tokens...) answers 400 UnsupportedOperationException "op=X is
not supported"; one it does not know is 400 "X is not a valid PUT operation.".

Deliberate differences, for tests' sake: error answers on the data node drain the request body
(bounded) before closing, where Hadoop closes at once and the client may see a reset instead of
the error (inject "drop" to test that); a data node request without namenoderpcaddress is 400
(Hadoop fails building its DFSClient); excludedatanodes is ignored (there is one data node);
doas (proxy users) is ignored; the sticky bit is not enforced; groups are only those given to
WebHdfsServer(groups=...); --require-user also turns away other users with 403
SecurityException (a real cluster with simple auth accepts any name); TRUNCATE cuts at once and
answers true wherever the cut falls (Hadoop: false off a block boundary) unless a "recovery"
fault asks for Hadoop's slow path.
"""

import argparse
import collections
import ctypes
import http.server
import io
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import socketserver
import struct
import sys
import tempfile
import threading
import time
import urllib.parse

PREFIX = "/webhdfs/v1"
ADMIN_PREFIX = "/_test/"
DEFAULT_WEB_USER = "dr.who"             # hadoop.http.staticuser.user
SUPERGROUP = "supergroup"               # dfs.permissions.superusergroup
DEFAULT_BLOCK_SIZE = 134217728          # dfs.blocksize
DEFAULT_REPLICATION = 3                 # dfs.replication
ROOT_INODE_ID = 16385                   # INodeId.ROOT_INODE_ID; new inodes count up from here
USER_PATTERN = r"^[A-Za-z_][A-Za-z0-9._-]*[$]?$"   # dfs.webhdfs.user.provider.user.pattern
REQUEST_LOG_MAX = 5000
DRAIN_BYTES_MAX = 256 * 1024 * 1024     # a body we refuse is read and dropped up to this much
DRAIN_TIME_MAX_S = 10
HANG_MS_DEFAULT = 120000
IO_CHUNK = 64 * 1024
TCP_ESTABLISHED = 1                     # linux/tcp_states.h
ADMIN_BODY_MAX = 1024 * 1024

# Exception simple name -> (Java class, status as Hadoop's ExceptionHandler maps it).
EXCEPTIONS = {
    "IllegalArgumentException": ("java.lang.IllegalArgumentException", 400),
    "HadoopIllegalArgumentException": ("org.apache.hadoop.HadoopIllegalArgumentException", 400),
    "UnsupportedOperationException": ("java.lang.UnsupportedOperationException", 400),
    "InvalidPathException": ("org.apache.hadoop.fs.InvalidPathException", 400),
    "SecurityException": ("java.lang.SecurityException", 403),
    "AuthorizationException": ("org.apache.hadoop.security.authorize.AuthorizationException", 403),
    "AccessControlException": ("org.apache.hadoop.security.AccessControlException", 403),
    "FileNotFoundException": ("java.io.FileNotFoundException", 404),
    "FileAlreadyExistsException": ("org.apache.hadoop.fs.FileAlreadyExistsException", 403),
    "ParentNotDirectoryException": ("org.apache.hadoop.fs.ParentNotDirectoryException", 403),
    "PathIsNotEmptyDirectoryException": ("org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", 403),
    "AlreadyBeingCreatedException": ("org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException", 403),
    "RecoveryInProgressException": ("org.apache.hadoop.hdfs.protocol.RecoveryInProgressException", 403),
    "LeaseExpiredException": ("org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException", 403),
    "RetriableException": ("org.apache.hadoop.ipc.RetriableException", 403),
    "StandbyException": ("org.apache.hadoop.ipc.StandbyException", 403),
    "SafeModeException": ("org.apache.hadoop.hdfs.server.namenode.SafeModeException", 403),
    "NSQuotaExceededException": ("org.apache.hadoop.hdfs.protocol.NSQuotaExceededException", 403),
    "DSQuotaExceededException": ("org.apache.hadoop.hdfs.protocol.DSQuotaExceededException", 403),
    "IOException": ("java.io.IOException", 403),
    "EOFException": ("java.io.EOFException", 403),
    "RuntimeException": ("java.lang.RuntimeException", 500),
    "NullPointerException": ("java.lang.NullPointerException", 500),
}

FS_ACTION = {1: "EXECUTE", 2: "WRITE", 3: "WRITE_EXECUTE", 4: "READ", 5: "READ_EXECUTE", 6: "READ_WRITE",
             7: "ALL"}
READ, WRITE, EXECUTE, ALL = 4, 2, 1, 7

PUT_OPS = ["CREATE", "MKDIRS", "CREATESYMLINK", "RENAME", "SETREPLICATION", "SETOWNER", "SETPERMISSION",
           "SETTIMES", "RENEWDELEGATIONTOKEN", "CANCELDELEGATIONTOKEN", "MODIFYACLENTRIES", "REMOVEACLENTRIES",
           "REMOVEDEFAULTACL", "REMOVEACL", "SETACL", "SETXATTR", "REMOVEXATTR", "ENABLEECPOLICY",
           "DISABLEECPOLICY", "SETECPOLICY", "ALLOWSNAPSHOT", "DISALLOWSNAPSHOT", "CREATESNAPSHOT",
           "RENAMESNAPSHOT", "SETSTORAGEPOLICY", "SETQUOTA", "SETQUOTABYSTORAGETYPE", "NULL"]
POST_OPS = ["APPEND", "CONCAT", "TRUNCATE", "UNSETSTORAGEPOLICY", "UNSETECPOLICY", "SATISFYSTORAGEPOLICY", "NULL"]
GET_OPS = ["OPEN", "GETFILESTATUS", "LISTSTATUS", "GETCONTENTSUMMARY", "GETQUOTAUSAGE", "GETFILECHECKSUM",
           "GETHOMEDIRECTORY", "GETDELEGATIONTOKEN", "GETTRASHROOT", "GETXATTRS", "LISTXATTRS", "CHECKACCESS",
           "LISTSTATUS_BATCH", "GETALLSTORAGEPOLICY", "GETSTORAGEPOLICY", "GETSNAPSHOTDIFF",
           "GETSNAPSHOTTABLEDIRECTORYLIST", "GETFILEBLOCKLOCATIONS", "GET_BLOCK_LOCATIONS", "GETACLSTATUS",
           "GETECPOLICY", "GETSERVERDEFAULTS", "GETSTATUS", "NULL"]
DELETE_OPS = ["DELETE", "DELETESNAPSHOT", "NULL"]
OPS_BY_METHOD = {"PUT": PUT_OPS, "POST": POST_OPS, "GET": GET_OPS, "DELETE": DELETE_OPS}

CREATE_FLAGS = ["CREATE", "OVERWRITE", "APPEND", "SYNC_BLOCK", "LAZY_PERSIST", "NEW_BLOCK", "NO_LOCAL_WRITE",
                "SHOULD_REPLICATE", "IGNORE_CLIENT_LOCALITY", "NO_LOCAL_RACK"]
RENAME_OPTIONS = ["NONE", "OVERWRITE", "TO_TRASH"]


def json_bytes(value):
    """Jackson over a TreeMap, as JsonUtil writes: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def now_ms():
    return int(time.time() * 1000)


class RemoteError(Exception):
    """An exception Hadoop turns into {"RemoteException": {...}} with its mapped status."""

    def __init__(self, exception, message, status=None, java_class=None):
        super().__init__(message)
        known = EXCEPTIONS.get(exception)
        self.exception = exception
        self.java_class = java_class or (known[0] if known else exception)
        self.status = int(status) if status else (known[1] if known else 500)
        self.message = message

    def body(self):
        return json_bytes({"RemoteException": {"exception": self.exception, "javaClassName": self.java_class,
                                               "message": self.message}})


class HtmlError(Exception):
    """An answer from Jetty itself (the auth filter, an unknown path): an HTML error page."""

    def __init__(self, status, reason, headers=()):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = list(headers)


def jetty_error_page(status, reason, uri):
    page = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
            f'<title>Error {status} {reason}</title>\n</head>\n<body><h2>HTTP ERROR {status}</h2>\n'
            f'<p>Problem accessing {uri}. Reason:\n<pre>    {reason}</pre></p>\n</body>\n</html>\n')
    return page.encode("utf-8", "replace")


def format_permission(perm):
    """FsPermission.toString: rwxr-xr-x, with t/T for the sticky bit."""
    text = ""
    for shift in (6, 3, 0):
        bits = (perm >> shift) & 7
        text += ("r" if bits & 4 else "-") + ("w" if bits & 2 else "-") + ("x" if bits & 1 else "-")
    if perm & 0o1000:
        text = text[:-1] + ("t" if perm & 1 else "T")
    return text


# ---------------------------------------------------------------------------------------------
# Query parameters, parsed and validated as hdfs-client's *Param classes do.

class Params:
    """Query parameters. Names are case-insensitive on the name node (ParamFilter lower-cases
    them) and case-sensitive on the data node (Netty's QueryStringDecoder); the first value
    of a repeated name wins on both."""

    def __init__(self, query, lower_names):
        self.values = {}
        for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            self.values.setdefault(name.lower() if lower_names else name, value)

    def raw(self, name):
        return self.values.get(name)


_JAVA_INT_RANGE = {"short": (-(1 << 15), (1 << 15) - 1), "integer": (-(1 << 31), (1 << 31) - 1),
                   "long": (-(1 << 63), (1 << 63) - 1)}


def _java_number(text, radix, kind):
    """Short/Integer/Long.parseX(text, radix): optional sign, digits, nothing else."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:radix]
    body = text[1:] if text[:1] in "+-" else text
    if not body or any(c not in digits for c in body.lower()):
        raise ValueError(text)
    value = int(text, radix)
    low, high = _JAVA_INT_RANGE[kind]
    if not low <= value <= high:
        raise ValueError(text)
    return value


def parse_number(name, text, kind, radix=10, minimum=None, maximum=None):
    """ShortParam/IntegerParam/LongParam: None (or "null") means unset."""
    if text is None or text == "null":
        return None
    try:
        value = _java_number(text, radix, kind)
    except ValueError:
        words = {"short": "short integer", "integer": "integer", "long": "long integer"}[kind]
        raise ValueError(f'Failed to parse "{text}" as a radix-{radix} {words}.') from None
    shown = (lambda n: format(n, "o")) if radix == 8 else str
    if minimum is not None and value < minimum:
        raise ValueError(f"Invalid parameter range: {name} = {shown(value)} < {shown(minimum)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"Invalid parameter range: {name} = {shown(value)} > {shown(maximum)}")
    return value


def parse_bool(text, default):
    """BooleanParam: true/false in any case; an empty value is an error, absence the default."""
    if text is None:
        return default
    if text.lower() == "true":
        return True
    if text.lower() == "false":
        return False
    raise ValueError(f'Failed to parse "{text}" to Boolean.')


def parse_enum_set(text, enum_class, allowed):
    """EnumSetParam: comma-separated names in any case; "" is the empty set."""
    chosen = []
    for token in (text or "").split(","):
        if not token.strip():
            continue
        value = token.strip().upper()
        if value not in allowed:
            raise ValueError(f"No enum constant {enum_class}.{value}")
        chosen.append(value)
    return chosen


def parse_destination(text):
    if text is None or text == "":
        return None
    if not text.startswith("/"):
        raise ValueError(f'Invalid parameter value: destination = "{text}" is not an absolute path.')
    return normalize_path(text)


def parse_user(text):
    if text is None or text == "":
        return None
    if not re.match(USER_PATTERN, text):
        raise ValueError(f'Invalid value: "{text}" does not belong to the domain {USER_PATTERN}')
    return text


def normalize_path(path):
    """What a Hadoop Path keeps: one leading slash, no empty or trailing components."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


def valid_hdfs_name(path):
    """DFSUtil.isValidName: absolute, no "." ".." or ":" components, no "//" inside."""
    if not path.startswith("/"):
        return False
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part in (".", "..") or ":" in part:
            return False
        if part == "" and i not in (0, len(parts) - 1):
            return False
    return True


# The parameters Jersey parses for each method, in its declaration order: any of them badly
# formed fails the request, whatever the op. name -> (kind, extra)
NN_PARAMS = {
    "PUT": [("destination", "destination"), ("permission", "permission"), ("unmaskedpermission", "permission"),
            ("overwrite", ("bool", False)), ("buffersize", ("integer", 1)), ("replication", ("short", 1)),
            ("blocksize", ("long", 1)), ("modificationtime", ("long", None)), ("accesstime", ("long", None)),
            ("renameoptions", ("enumset", "org.apache.hadoop.fs.Options.Rename", RENAME_OPTIONS)),
            ("createparent", ("bool", True)),
            ("createflag", ("enumset", "org.apache.hadoop.fs.CreateFlag", CREATE_FLAGS)),
            ("noredirect", ("bool", False))],
    "POST": [("buffersize", ("integer", 1)), ("newlength", ("long", 0)), ("noredirect", ("bool", False))],
    "GET": [("offset", ("long", 0)), ("length", ("long", 0)), ("buffersize", ("integer", 1)),
            ("noredirect", ("bool", False))],
    "DELETE": [("recursive", ("bool", False))],
}


def parse_param(name, kind, text):
    if kind == "destination":
        return parse_destination(text)
    if kind == "permission":
        return parse_number(name, text, "short", radix=8, minimum=0, maximum=0o1777)
    if kind[0] == "bool":
        return parse_bool(text, kind[1])
    if kind[0] == "enumset":
        return parse_enum_set(text, kind[1], kind[2])
    return parse_number(name, text, kind[0], minimum=kind[1])


def parse_params(method, params, name_node):
    """-> {name: value}. A bad value is a 400 IllegalArgumentException; the name node's message
    is Jersey's ParamException wording, the data node's the bare Param message."""
    parsed = {}
    for name, kind in NN_PARAMS.get(method, []):
        text = params.raw(name)
        try:
            parsed[name] = parse_param(name, kind, text)
        except ValueError as e:
            message = f'Invalid value for webhdfs parameter "{name}": {e}' if name_node else str(e)
            raise RemoteError("IllegalArgumentException", message) from None
    return parsed


def param_string(name, value):
    """Param.getValueString for the values the redirect carries."""
    if name in ("permission", "unmaskedpermission"):
        return format(value, "o")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


# ---------------------------------------------------------------------------------------------
# The namespace: inodes in memory, file data on disk.

class Inode:
    __slots__ = ("name", "parent", "is_dir", "owner", "group", "perm", "mtime", "atime", "replication",
                 "block_size", "file_id", "children", "length", "lease", "deleted", "recovery")

    def __init__(self, name, parent, is_dir, owner, group, perm, file_id, replication=0, block_size=0):
        self.name = name
        self.parent = parent
        self.is_dir = is_dir
        self.owner = owner
        self.group = group
        self.perm = perm
        self.mtime = now_ms()
        self.atime = 0 if is_dir else self.mtime
        self.replication = replication
        self.block_size = block_size
        self.file_id = file_id
        self.children = {} if is_dir else None
        self.length = 0              # the visible length: what was there when the last write ended
        self.lease = None            # (client name, client machine) while a write is open
        self.deleted = False
        self.recovery = None         # (client, machine, new length) while a truncate recovers


class Namespace:
    """Only one thread at a time touches the inodes (self.lock); file data streams outside it.
    Path arguments are normalized absolute paths."""

    def __init__(self, root_dir, superuser, root_owner, root_permission, groups):
        self.lock = threading.RLock()
        self.root_dir = os.path.abspath(root_dir)
        self.superuser = superuser
        self.groups = {user: set(g) for user, g in (groups or {}).items()}
        self.next_id = ROOT_INODE_ID + 1
        self.root = Inode("", None, True, root_owner or superuser, SUPERGROUP, root_permission, ROOT_INODE_ID)
        self.recovery_timers = set()
        os.makedirs(self.root_dir, exist_ok=True)
        self._index_disk(self.root, self.root_dir)

    # -- helpers ------------------------------------------------------------------------------

    def _index_disk(self, directory, disk_dir):
        for name in sorted(os.listdir(disk_dir)):
            full = os.path.join(disk_dir, name)
            is_dir = os.path.isdir(full)
            node = Inode(name, directory, is_dir, self.superuser, SUPERGROUP, 0o755 if is_dir else 0o644,
                         self._new_id(), 0 if is_dir else DEFAULT_REPLICATION, 0 if is_dir else DEFAULT_BLOCK_SIZE)
            node.mtime = int(os.path.getmtime(full) * 1000)
            if is_dir:
                self._index_disk(node, full)
            else:
                node.atime = node.mtime
                node.length = os.path.getsize(full)
            directory.children[name] = node

    def _new_id(self):
        self.next_id += 1
        return self.next_id - 1

    def disk_path(self, path):
        return os.path.join(self.root_dir, *[p for p in path.split("/") if p])

    @staticmethod
    def path_of(inode):
        parts = []
        while inode is not None and inode.parent is not None:
            parts.append(inode.name)
            inode = inode.parent
        return "/" + "/".join(reversed(parts))

    def is_super(self, user):
        return user == self.superuser or SUPERGROUP in self.groups.get(user, ())

    def _resolve(self, path):
        """-> (components, inodes): inodes[i] is the inode of the first i components, None from
        the first missing one on. A file before the last component is ParentNotDirectoryException
        (FSPermissionChecker.checkSimpleTraverse), for every user."""
        comps = [c for c in path.split("/") if c]
        inodes = [self.root]
        current = self.root
        for i, name in enumerate(comps):
            if current is not None and not current.is_dir:
                raise RemoteError("ParentNotDirectoryException", f"{self._join(comps[:i])} (is not a directory)")
            current = current.children.get(name) if current is not None else None
            inodes.append(current)
        return comps, inodes

    @staticmethod
    def _join(comps):
        return "/" + "/".join(comps)

    def _check(self, user, inode, path, access):
        if self.is_super(user):
            return
        if user == inode.owner:
            bits = (inode.perm >> 6) & 7
        elif inode.group in self.groups.get(user, ()):
            bits = (inode.perm >> 3) & 7
        else:
            bits = inode.perm & 7
        if bits & access != access:
            kind = "d" if inode.is_dir else "-"
            raise RemoteError("AccessControlException",
                              f'Permission denied: user={user}, access={FS_ACTION[access]}, '
                              f'inode="{path}":{inode.owner}:{inode.group}:{kind}{format_permission(inode.perm)}')

    def _check_path(self, user, comps, inodes, ancestor=None, parent=None, access=None, sub=None):
        """FSPermissionChecker.checkPermission: traverse (x on every existing directory above
        the last component), then the deepest existing ancestor, the parent, the inode, and
        every directory below it."""
        last = len(inodes) - 1
        for i in range(last):
            if inodes[i] is None:
                break
            self._check(user, inodes[i], self._join(comps[:i]), EXECUTE)
        if ancestor is not None:
            i = max(j for j in range(last) if inodes[j] is not None) if last > 0 else 0
            self._check(user, inodes[i], self._join(comps[:i]), ancestor)
        if parent is not None and last > 0 and inodes[last - 1] is not None:
            self._check(user, inodes[last - 1], self._join(comps[:last - 1]), parent)
        if access is not None and inodes[last] is not None:
            self._check(user, inodes[last], self._join(comps), access)
        if sub is not None and inodes[last] is not None and inodes[last].is_dir:
            self._check_sub(user, inodes[last], self._join(comps), sub)

    def _check_sub(self, user, directory, path, access):
        if directory.children:      # FSPermissionChecker.checkSubAccess skips empty directories
            self._check(user, directory, path, access)
        for name, child in directory.children.items():
            if child.is_dir:
                self._check_sub(user, child, path.rstrip("/") + "/" + name, access)

    def _add_child(self, parent, name, is_dir, owner, perm, replication=0, block_size=0):
        node = Inode(name, parent, is_dir, owner, parent.group, perm, self._new_id(), replication, block_size)
        parent.children[name] = node
        parent.mtime = node.mtime
        return node

    def _make_dirs(self, comps, inodes, owner, last_perm, ancestor_perm):
        """Creates the missing directories of comps (all of them when last_perm is set, all but
        the last otherwise), on disk too. -> the inodes, completed."""
        end = len(comps) if last_perm is not None else len(comps) - 1
        for i in range(1, end + 1):
            if inodes[i] is None:
                perm = last_perm if i == len(comps) else ancestor_perm
                os.makedirs(self.disk_path(self._join(comps[:i])), exist_ok=True)
                inodes[i] = self._add_child(inodes[i - 1], comps[i - 1], True, owner, perm)
        return inodes

    def _remove(self, inode):
        parent = inode.parent
        del parent.children[inode.name]
        parent.mtime = now_ms()
        stack = [inode]
        while stack:
            node = stack.pop()
            node.deleted = True
            if node.is_dir:
                stack.extend(node.children.values())

    def _remove_disk(self, path, is_dir):
        try:
            if is_dir:
                shutil.rmtree(self.disk_path(path))
            else:
                os.remove(self.disk_path(path))
        except FileNotFoundError:
            pass

    @staticmethod
    def _ensure_valid(path):
        if not valid_hdfs_name(path):
            raise RemoteError("InvalidPathException", f"Invalid path name {path}")

    # -- operations ---------------------------------------------------------------------------

    def mkdirs(self, user, path, perm):
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            self._check_path(user, comps, inodes)
            last = inodes[-1]
            if last is not None:
                if not last.is_dir:
                    raise RemoteError("FileAlreadyExistsException", f"Path is not a directory: {path}")
                return True
            self._check_path(user, comps, inodes, ancestor=WRITE)
            self._make_dirs(comps, inodes, user, perm, perm | 0o300)
            return True

    def start_create(self, user, path, overwrite, perm, replication, block_size, create_parent, client, machine):
        """FSDirWriteFileOp.startFile. -> (inode, open file)"""
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            if not comps:
                raise RemoteError("FileAlreadyExistsException", "/ already exists as a directory")
            self._check_path(user, comps, inodes, ancestor=WRITE)
            existing = inodes[-1]
            if existing is not None:
                if existing.is_dir:
                    raise RemoteError("FileAlreadyExistsException", f"{path} already exists as a directory")
                if overwrite:
                    self._check(user, existing, path, WRITE)
                    self._remove(existing)
                    self._remove_disk(path, False)
                    inodes[-1] = None
                else:
                    self._check_lease("CREATE_FILE", existing, path, client, machine)
                    raise RemoteError("FileAlreadyExistsException", f"{path} for client {machine} already exists")
            elif not create_parent and inodes[-2] is None:
                raise RemoteError("FileNotFoundException", f"Parent directory doesn't exist: {self._join(comps[:-1])}")
            ancestor = max(i for i in range(len(comps)) if inodes[i] is not None)
            self._make_dirs(comps, inodes, user, None, inodes[ancestor].perm | 0o300)
            node = self._add_child(inodes[-2], comps[-1], False, user, perm, replication, block_size)
            node.lease = (client, machine)
            return node, open(self.disk_path(path), "wb")

    def start_append(self, user, path, client, machine):
        """FSDirAppendOp.appendFile. -> (inode, open file)"""
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            self._check_path(user, comps, inodes)
            node = inodes[-1]
            if node is not None and node.is_dir:
                raise RemoteError("FileAlreadyExistsException",
                                  f"Cannot append to directory {path}; already exists as a directory.")
            if node is not None:
                self._check(user, node, path, WRITE)
            if node is None:
                raise RemoteError("FileNotFoundException",
                                  f"Failed to append to non-existent file {path} for client {machine}")
            self._check_lease("APPEND_FILE", node, path, client, machine)
            node.lease = (client, machine)
            return node, open(self.disk_path(path), "ab")

    @staticmethod
    def _check_lease(op, node, path, client, machine):
        """FSNamesystem.recoverLeaseInternal for a file under construction (soft limit not
        expired): a block under recovery, or a lease held by another client."""
        if node.recovery is not None:
            holder, holder_machine, _ = node.recovery
            raise RemoteError("RecoveryInProgressException",
                              f"Failed to {op} {path} for {client} on {machine} because another recovery is in "
                              f"progress by {holder} on {holder_machine}")
        if node.lease is not None:
            holder, holder_machine = node.lease
            raise RemoteError("AlreadyBeingCreatedException",
                              f"Failed to {op} {path} for {client} on {machine} because this file lease is "
                              f"currently owned by {holder} on {holder_machine}")

    def finish_write(self, node, handle):
        """Closes the HDFS stream: the data written so far becomes visible. -> None or the
        RemoteError the close would get (the file was deleted or overwritten meanwhile)."""
        with self.lock:
            handle.flush()
            size = os.fstat(handle.fileno()).st_size
            handle.close()
            holder = node.lease[0] if node.lease else "?"
            node.lease = None
            if node.deleted:
                return RemoteError("FileNotFoundException",
                                   f"File does not exist: {self.path_of(node)} (inode {node.file_id}) Holder "
                                   f"{holder} does not have any open files.")
            node.length = size
            node.mtime = now_ms()
            return None

    def truncate(self, user, path, new_length, client, machine, recovery_ms=0):
        """FSDirTruncateOp.truncate. -> True when the cut is done, False when the last block is
        being recovered (only with recovery_ms, off a block boundary)."""
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            self._check_path(user, comps, inodes, access=WRITE)
            node = inodes[-1]
            if node is None:
                raise RemoteError("FileNotFoundException", f"File does not exist: {path}")
            if node.is_dir:
                raise RemoteError("FileNotFoundException", f"Path is not a file: {path}")
            if node.recovery is not None:
                if node.recovery[2] == new_length:
                    return False
                raise RemoteError("AlreadyBeingCreatedException",
                                  f"Failed to TRUNCATE_FILE {path} for {client} on {machine} because {path} is being "
                                  "truncated.")
            self._check_lease("TRUNCATE_FILE", node, path, client, machine)
            if node.length == new_length:
                return True
            if node.length < new_length:
                raise RemoteError("HadoopIllegalArgumentException",
                                  f"Cannot truncate to a larger file size. Current size: {node.length}, truncate "
                                  f"size: {new_length}.")
            node.mtime = now_ms()
            if recovery_ms <= 0 or new_length % node.block_size == 0:
                os.truncate(self.disk_path(path), new_length)
                node.length = new_length
                return True
            node.lease = (client, machine)
            node.recovery = (client, machine, new_length)
            timer = threading.Timer(recovery_ms / 1000, self._end_recovery, (node,))
            timer.daemon = True
            self.recovery_timers.add(timer)
            timer.start()
            return False

    def _end_recovery(self, node):
        """The data nodes cut the last block: the new length shows and the lease goes."""
        with self.lock:
            self.recovery_timers.discard(threading.current_thread())
            new_length = node.recovery[2]
            node.recovery = None
            node.lease = None
            if node.deleted:
                return
            try:
                os.truncate(self.disk_path(self.path_of(node)), new_length)
            except OSError:
                return      # the root went away (the server stopped)
            node.length = new_length

    def stop_recoveries(self):
        with self.lock:
            for timer in self.recovery_timers:
                timer.cancel()
            self.recovery_timers = set()

    def rename(self, user, src, dst):
        """The old rename (FSDirRenameOp.renameTo): false rather than an error in most cases."""
        with self.lock:
            self._ensure_valid(src)
            if not valid_hdfs_name(dst):
                raise RemoteError("IOException", f"Invalid name: {dst}")
            comps, inodes = self._resolve(src)
            actual = dst
            dst_comps, dst_inodes = self._resolve(dst)
            if dst_inodes[-1] is not None and dst_inodes[-1].is_dir and comps:
                actual = normalize_path(dst + "/" + comps[-1])
                dst_comps, dst_inodes = self._resolve(actual)
            self._check_path(user, comps, inodes, parent=WRITE)
            self._check_path(user, dst_comps, dst_inodes, ancestor=WRITE)
            node = inodes[-1]
            if node is None or not comps:
                return False
            if actual == src:
                return True
            if actual.startswith(src + "/"):
                return False
            if dst_inodes[-1] is not None or dst_inodes[-2] is None:
                return False
            self._move(src, node, dst_inodes[-2], dst_comps[-1], actual)
            return True

    def rename2(self, user, src, dst, overwrite):
        """The rename with options (FSDirRenameOp.unprotectedRenameTo with Options.Rename)."""
        with self.lock:
            self._ensure_valid(src)
            if not valid_hdfs_name(dst):
                raise RemoteError("InvalidPathException", f"Invalid path name Invalid name: {dst}")
            comps, inodes = self._resolve(src)
            dst_comps, dst_inodes = self._resolve(dst)
            self._check_path(user, comps, inodes, parent=WRITE)
            self._check_path(user, dst_comps, dst_inodes, ancestor=WRITE)
            node = inodes[-1]
            if node is None:
                raise RemoteError("FileNotFoundException", f"rename source {src} is not found.")
            if not comps:
                raise RemoteError("IOException", "rename source cannot be the root")
            if dst == src:
                raise RemoteError("FileAlreadyExistsException", f"The source {src} and destination {dst} are the same")
            if dst.startswith(src + "/"):
                raise RemoteError("IOException", f"Rename destination {dst} is a directory or file under source {src}")
            if not dst_comps:
                raise RemoteError("IOException", "rename destination cannot be the root")
            target = dst_inodes[-1]
            if target is not None:
                if target.is_dir != node.is_dir:
                    raise RemoteError("IOException", f"Source {src} and destination {dst} must both be directories")
                if not overwrite:
                    raise RemoteError("FileAlreadyExistsException", f"rename destination {dst} already exists")
                if target.is_dir and target.children:
                    raise RemoteError("IOException", f"rename destination directory is not empty: {dst}")
            if dst_inodes[-2] is None:
                raise RemoteError("FileNotFoundException", f"rename destination parent {dst} not found.")
            if target is not None:
                self._remove(target)
                self._remove_disk(dst, target.is_dir)
            self._move(src, node, dst_inodes[-2], dst_comps[-1], dst)

    def _move(self, src, node, new_parent, new_name, dst):
        os.rename(self.disk_path(src), self.disk_path(dst))
        old_parent = node.parent
        del old_parent.children[node.name]
        node.name = new_name
        node.parent = new_parent
        new_parent.children[new_name] = node
        old_parent.mtime = new_parent.mtime = now_ms()

    def delete(self, user, path, recursive):
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            self._check_path(user, comps, inodes, parent=WRITE, sub=ALL)
            node = inodes[-1]
            if node is None or not comps:
                return False
            if node.is_dir and node.children and not recursive:
                raise RemoteError("PathIsNotEmptyDirectoryException", f"`{path} is non empty': Directory is not empty")
            self._remove(node)
            self._remove_disk(path, node.is_dir)
            return True

    def lookup(self, user, path):
        """getFileInfo: traverse checks only. -> the inode or None."""
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            self._check_path(user, comps, inodes)
            return inodes[-1]

    def status(self, node, suffix):
        """JsonUtil.toJsonMap(HdfsFileStatus)."""
        with self.lock:
            return {"accessTime": 0 if node.is_dir else node.atime,
                    "blockSize": 0 if node.is_dir else node.block_size,
                    "childrenNum": len(node.children) if node.is_dir else 0,
                    "fileId": node.file_id, "group": node.group, "length": 0 if node.is_dir else node.length,
                    "modificationTime": node.mtime, "owner": node.owner, "pathSuffix": suffix,
                    "permission": format(node.perm, "o"), "replication": 0 if node.is_dir else node.replication,
                    "storagePolicy": 0, "type": "DIRECTORY" if node.is_dir else "FILE"}

    def listing(self, user, path):
        """getListing: a directory's children by name, or the file itself with an empty suffix."""
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            node = inodes[-1]
            if node is not None and node.is_dir:
                self._check_path(user, comps, inodes, access=READ | EXECUTE)
            else:
                self._check_path(user, comps, inodes)
            if node is None:
                raise RemoteError("FileNotFoundException", f"File {path} does not exist.")
            if not node.is_dir:
                return [self.status(node, "")]
            names = sorted(node.children, key=lambda n: n.encode())
            return [self.status(node.children[n], n) for n in names]

    def open_read(self, user, path):
        """getBlockLocations as the data node's DFSClient.open calls it. -> (disk path, length)"""
        with self.lock:
            self._ensure_valid(path)
            comps, inodes = self._resolve(path)
            node = inodes[-1]
            self._check_path(user, comps, inodes, access=READ)
            if node is None:
                raise RemoteError("FileNotFoundException", f"File does not exist: {path}")
            if node.is_dir:
                raise RemoteError("FileNotFoundException", f"Path is not a file: {path}")
            return self.disk_path(path), node.length

    def _owned(self, user, path):
        comps, inodes = self._resolve(path)
        self._check_path(user, comps, inodes)
        node = inodes[-1]
        if not self.is_super(user) and (node is None or node.owner != user):
            raise RemoteError("AccessControlException",
                              f"Permission denied. user={user} is not the owner of inode={path}")
        if node is None:
            raise RemoteError("FileNotFoundException", f"File does not exist: {path}")
        return node

    def set_permission(self, user, path, perm):
        with self.lock:
            self._ensure_valid(path)
            self._owned(user, path).perm = perm

    def set_owner(self, user, path, owner, group):
        with self.lock:
            self._ensure_valid(path)
            node = self._owned(user, path)
            if not self.is_super(user):
                if owner is not None and owner != user:
                    raise RemoteError("AccessControlException",
                                      f"User {user} is not a super user (non-super user cannot change owner).")
                if group is not None and group not in self.groups.get(user, ()):
                    raise RemoteError("AccessControlException", f"User {user} does not belong to {group}")
            if owner is not None:
                node.owner = owner
            if group is not None:
                node.group = group

    def content_summary(self, user, path):
        with self.lock:
            node = self.lookup(user, path)
            if node is None:
                raise RemoteError("FileNotFoundException", f"File does not exist: {path}")
            counts = {"directoryCount": 0, "fileCount": 0, "length": 0, "spaceConsumed": 0}
            stack = [node]
            while stack:
                n = stack.pop()
                if n.is_dir:
                    counts["directoryCount"] += 1
                    stack.extend(n.children.values())
                else:
                    counts["fileCount"] += 1
                    counts["length"] += n.length
                    counts["spaceConsumed"] += n.length * n.replication
            counts.update(quota=-1, spaceQuota=-1)
            return counts


# ---------------------------------------------------------------------------------------------
# Faults, counters, request log.

FAULT_FIELDS = {"action", "node", "op", "method", "path", "path_prefix", "count", "skip", "when", "status",
                "exception", "message", "java_class", "body", "content_type", "delay_ms", "rst", "hang_ms",
                "after_bytes", "recovery_ms"}


class Fault:
    def __init__(self, spec, fault_id):
        unknown = set(spec) - FAULT_FIELDS
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        self.id = fault_id
        self.action = spec.get("action")
        if self.action not in ("error", "delay", "drop", "hang", "recovery"):
            raise ValueError(f"fault action must be error, delay, drop, hang or recovery, not {self.action!r}")
        self.node = spec.get("node")
        if self.node not in (None, "namenode", "datanode"):
            raise ValueError(f"fault node must be namenode or datanode, not {self.node!r}")
        self.op = spec["op"].upper() if spec.get("op") else None
        self.method = spec["method"].upper() if spec.get("method") else None
        self.path = spec.get("path")
        self.path_prefix = spec.get("path_prefix")
        self.count = int(spec.get("count", 1))
        self.skip = int(spec.get("skip", 0))
        self.when = spec.get("when", "before")
        if self.when not in ("before", "mid", "after"):
            raise ValueError(f"fault when must be before, mid or after, not {self.when!r}")
        if self.action in ("error", "delay") and self.when == "mid":
            raise ValueError("error and delay faults happen before or after, not mid")
        if self.action == "recovery" and (self.op != "TRUNCATE" or self.when != "before"):
            raise ValueError("a recovery fault is for op TRUNCATE, when before")
        self.exception = spec.get("exception")
        self.status = spec.get("status")
        if self.action == "error" and not self.exception and not self.status and "body" not in spec:
            self.exception = "RuntimeException"
        self.message = spec.get("message", "injected fault")
        self.java_class = spec.get("java_class")
        self.body = spec.get("body")
        self.content_type = spec.get("content_type", "text/html;charset=iso-8859-1")
        self.delay_ms = int(spec.get("delay_ms", 1000))
        self.rst = bool(spec.get("rst", True))
        self.hang_ms = int(spec.get("hang_ms", HANG_MS_DEFAULT))
        self.after_bytes = int(spec.get("after_bytes", 0))
        self.recovery_ms = int(spec.get("recovery_ms", 1000))
        self.spec = dict(spec)

    def matches(self, node, method, op, path):
        return ((self.node is None or self.node == node) and (self.method is None or self.method == method)
                and (self.op is None or self.op == op) and (self.path is None or self.path == path)
                and (self.path_prefix is None or (path or "").startswith(self.path_prefix)))

    def error(self):
        if self.body is not None:
            return None
        return RemoteError(self.exception or "RuntimeException", self.message, self.status, self.java_class)

    def describe(self):
        return dict(self.spec, id=self.id, count=self.count, skip=self.skip)


class State:
    """Faults, counters and the request log, shared by both ports."""

    def __init__(self, request_log_path=None):
        self.lock = threading.Lock()
        # Requests to the name and data node being handled and not yet in the log: reading the
        # log waits for them, so a client that got its answer finds its request there.
        self.unlogged = 0
        self.all_logged = threading.Condition(self.lock)
        self.faults = []
        self.next_fault_id = 1
        self.log = collections.deque(maxlen=REQUEST_LOG_MAX)
        self.log_file = open(request_log_path, "a", buffering=1) if request_log_path else None
        self.next_request_id = 1
        self.reset_counters()

    def reset_counters(self):
        with self.lock:
            self.counters = {node: {"requests": 0, "connections": 0, "ops": collections.Counter(),
                                    "status": collections.Counter()} for node in ("namenode", "datanode")}
            self.counters["datanode"].update(bytes_written=0, bytes_read=0, continues_sent=0)
            self.counters["faults_fired"] = 0
            self.counters["admin_requests"] = 0

    def add_faults(self, specs):
        with self.lock:
            created = []
            for spec in specs:
                fault = Fault(spec, self.next_fault_id)
                created.append(fault)
                self.next_fault_id += 1
            self.faults.extend(created)
            return [f.id for f in created]

    def take_fault(self, node, method, op, path):
        """The first armed fault matching the request, spent once; None when there is none."""
        with self.lock:
            for fault in self.faults:
                if not fault.matches(node, method, op, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                self.counters["faults_fired"] += 1
                return fault
            return None

    def clear_faults(self):
        with self.lock:
            n = len(self.faults)
            self.faults = []
            return n

    def count(self, node, key, n=1):
        with self.lock:
            self.counters[node][key] += n

    def begin(self):
        with self.lock:
            self.unlogged += 1

    def record(self, entry, counted=False):
        with self.lock:
            if counted:
                self.unlogged -= 1
                self.all_logged.notify_all()
            entry["id"] = self.next_request_id
            self.next_request_id += 1
            node = entry["node"]
            if node == "admin":
                self.counters["admin_requests"] += 1
            else:
                self.counters[node]["requests"] += 1
                self.counters[node]["ops"][entry.get("op") or "(none)"] += 1
                self.counters[node]["status"][str(entry.get("status"))] += 1
            self.log.append(entry)
            if self.log_file:
                self.log_file.write(json.dumps(entry) + "\n")

    def stats(self):
        with self.lock:
            out = {}
            for key, value in self.counters.items():
                if isinstance(value, dict):
                    out[key] = {k: dict(v) if isinstance(v, collections.Counter) else v for k, v in value.items()}
                else:
                    out[key] = value
            return out

    def entries(self, wait_s=2.0):
        """The log, once every request being handled is in it (or after wait_s: a hung one)."""
        with self.lock:
            self.all_logged.wait_for(lambda: self.unlogged == 0, timeout=wait_s)
            return list(self.log)


# ---------------------------------------------------------------------------------------------
# HTTP.

class BodyReader:
    """The request body, framed by Content-Length or chunked (extensions and trailers
    accepted). read() gives b"" at its end; a broken body raises ValueError, a client gone
    away ConnectionError."""

    def __init__(self, rfile, headers):
        self.rfile = rfile
        self.consumed = 0
        self.done = False
        self.broken = False
        self.chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        self.remaining = 0
        if self.chunked:
            self.chunk_left = 0
        else:
            length = headers.get("Content-Length")
            if length is not None:
                if not length.strip().isdigit():
                    raise ValueError(f"bad Content-Length {length!r}")
                self.remaining = int(length)
            self.done = self.remaining == 0

    def read(self, n=IO_CHUNK):
        if self.done:
            return b""
        if not self.chunked:
            data = self.rfile.read1(min(n, self.remaining)) if self.remaining else b""
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            self.remaining -= len(data)
            self.consumed += len(data)
            self.done = self.remaining == 0
            return data
        if self.chunk_left == 0:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionError("client closed the connection mid-body")
            size_text = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,15}", size_text):
                self.broken = True
                raise ValueError(f"bad chunk size line {line!r}")
            size = int(size_text, 16)
            if size == 0:
                while True:     # trailers, up to the empty line
                    trailer = self.rfile.readline(8192)
                    if not trailer:
                        raise ConnectionError("client closed the connection in the trailers")
                    if trailer in (b"\r\n", b"\n"):
                        break
                self.done = True
                return b""
            self.chunk_left = size
        data = self.rfile.read1(min(n, self.chunk_left))
        if not data:
            raise ConnectionError("client closed the connection mid-chunk")
        self.chunk_left -= len(data)
        self.consumed += len(data)
        if self.chunk_left == 0:
            if self.rfile.readline(16).strip():
                self.broken = True
                raise ValueError("chunk data not followed by CRLF")
        return data

    def drain(self, deadline, limit=DRAIN_BYTES_MAX):
        """Reads and drops the rest. -> True when the whole body was read."""
        if self.broken:
            return False
        try:
            while not self.done:
                if time.monotonic() > deadline or self.consumed > limit:
                    return False
                self.read()
            return True
        except (ValueError, OSError):
            return False


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True

    def __init__(self, address, app, node):
        self.app = app
        self.node = node
        self.connections = set()
        self.handler_threads = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Closed(Exception):
    """The connection was closed on purpose (a fault); nothing more to send."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # -- plumbing -----------------------------------------------------------------------------

    def setup(self):
        super().setup()
        self.app = self.server.app
        self.node = self.server.node
        self.connection.settimeout(self.app.idle_timeout_s)
        self.conn_id = f"{self.node[0]}{self.client_address[1]}"
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
            self.server.handler_threads.add(threading.current_thread())
        self.app.state.count(self.node, "connections")

    def finish(self):
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
            self.server.handler_threads.discard(threading.current_thread())
        try:
            super().finish()
        except OSError:
            pass

    def handle_expect_100(self):
        # Hadoop decides itself when to send 100 Continue (the data node always does, Jetty
        # only when the body is read), so BaseHTTPRequestHandler must not send it first.
        self.expect_continue = True
        return True

    def log_message(self, fmt, *args):
        if not self.app.quiet:
            sys.stderr.write(f"webhdfs {self.node} {self.address_string()} {fmt % args}\n")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = lambda self: self.dispatch()

    def dispatch(self):
        self.expect_continue = getattr(self, "expect_continue", False)
        self.started = time.monotonic()
        self.continue_sent = False
        self.bytes_out = 0
        self.status_sent = None
        self.body = None
        self.entry_logged = False
        self.entry = {"node": self.node, "conn": self.conn_id, "method": self.command, "target": self.path,
                      "time_ms": now_ms()}
        url = urllib.parse.urlsplit(self.path)
        self.url_path = urllib.parse.unquote(url.path)
        self.query = url.query
        self.counted = not (self.node == "namenode" and self.url_path.startswith(ADMIN_PREFIX))
        if self.counted:
            self.app.state.begin()
        try:
            self.body = BodyReader(self.rfile, self.headers)
        except ValueError as e:
            self.send_plain(400, "Bad Request", str(e).encode(), close=True)
            self.entry["note"] = str(e)
            self.expect_continue = False
            self.log_entry()
            return
        try:
            if self.node == "namenode" and self.url_path.startswith(ADMIN_PREFIX):
                self.entry["node"] = "admin"
                self.admin()
            elif self.node == "namenode":
                self.namenode()
            else:
                self.datanode()
        except _Closed:
            self.close_connection = True
        except (ConnectionError, TimeoutError, OSError) as e:
            self.entry.setdefault("note", f"connection: {e}")
            self.close_connection = True
        except Exception as e:   # a bug here: answer like a Java server would, and say what it was
            self.entry["note"] = f"server error: {e!r}"
            sys.stderr.write(f"webhdfs_server: {self.command} {self.path}: {e!r}\n")
            try:
                if self.status_sent is None:
                    self.send_error_json(RemoteError("RuntimeException", f"test server error: {e!r}"))
            except OSError:
                pass
            self.close_connection = True
        finally:
            self.expect_continue = False
            self.log_entry()

    def log_entry(self):
        """Records this request once (drop() records it before the client can see the close)."""
        if self.entry_logged:
            return
        self.entry_logged = True
        self.entry.update(status=self.status_sent, bytes_in=self.body.consumed if self.body else 0,
                          bytes_out=self.bytes_out, ms=int((time.monotonic() - self.started) * 1000))
        self.app.state.record(self.entry, counted=self.counted)
        self.counted = False

    def write(self, data):
        self.wfile.write(data)
        self.bytes_out += len(data)

    def send(self, status, reason, headers, body=b"", chunked=False, close=False):
        """One answer. Chunked only for HTTP/1.1 clients."""
        if close:
            self.close_connection = True
        chunked = chunked and self.request_version == "HTTP/1.1" and self.command != "HEAD"
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            payload = b""
        elif chunked:
            payload = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
        else:
            payload = body
        self.write(head + payload)
        self.wfile.flush()
        self.status_sent = status

    def send_plain(self, status, reason, body, close=False):
        self.send(status, reason, [("Content-Type", "text/plain")], body, close=close)

    def drop(self, rst, note=None):
        """Closes the connection without an answer: a reset, or a plain FIN."""
        self.entry["note"] = note or ("dropped (reset)" if rst else "dropped")
        # In the log before the client sees the connection end, so a test reading the log right
        # after its call failed finds it there.
        self.log_entry()
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        # The socket really closes (and resets) only once its file objects are closed too.
        for f in (self.rfile, self.wfile, self.connection):
            try:
                f.close()
            except OSError:
                pass
        self.wfile = io.BytesIO()   # BaseHTTPRequestHandler flushes it after the request
        raise _Closed()

    def client_gone(self):
        """Whether the client closed its end. The kernel's TCP state tells even when unread
        body bytes sit before the FIN (a hang 'mid' upload)."""
        try:
            state = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
            return state != TCP_ESTABLISHED
        except (OSError, AttributeError):
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""

    def hang(self, fault):
        """Never answers: waits until hang_ms passed, the client went away, or stop()."""
        deadline = time.monotonic() + fault.hang_ms / 1000
        while time.monotonic() < deadline and not self.app.stopping.is_set():
            try:
                if self.client_gone():
                    break
            except OSError:
                break
            self.app.stopping.wait(0.05)
        self.drop(rst=False, note="hung")

    def delay(self, fault):
        self.entry["note"] = f"delayed {fault.delay_ms} ms"
        self.app.stopping.wait(fault.delay_ms / 1000)

    def apply(self, fault, when):
        """Runs `fault` if it is due at `when`. -> True when it answered (an error)."""
        if fault is None or fault.when != when:
            return False
        self.entry["fault"] = fault.id
        if fault.action == "delay":
            self.delay(fault)
            return False
        if fault.action == "recovery":     # the operation itself looks at it
            return False
        if fault.action == "drop":
            self.drop(fault.rst)
        if fault.action == "hang":
            self.hang(fault)
        error = fault.error()
        if error is None:
            status = int(fault.status or 500)
            self.send(status, http_reason(status), [("Content-Type", fault.content_type)], fault.body.encode(),
                      close=self.node == "datanode")
        else:
            self.send_error_json(error)
        return True

    def finish_body(self):
        """After an answer: a body the client still sends is read and dropped so the connection
        stays usable; a client waiting for 100 Continue sends nothing, and the connection is
        closed after the answer (as Jetty closes it)."""
        if self.body.done:
            return
        if self.expect_continue and not self.continue_sent:
            self.close_connection = True
            return
        # A client that stops sending must not hold the drain longer than its own limit.
        self.connection.settimeout(DRAIN_TIME_MAX_S)
        try:
            if not self.body.drain(time.monotonic() + DRAIN_TIME_MAX_S):
                self.close_connection = True
        finally:
            self.connection.settimeout(self.app.idle_timeout_s)

    def will_close_for_body(self):
        return not self.body.done and self.expect_continue and not self.continue_sent

    def send_error_json(self, error):
        self.entry["exception"] = error.exception
        if self.node == "namenode":
            close = self.will_close_for_body()
            self.send(error.status, http_reason(error.status), nn_headers("application/json"), error.body(),
                      chunked=self.app.json_chunked, close=close)
        else:
            self.send(error.status, http_reason(error.status), [("Content-Type", "application/json; charset=utf-8")],
                      error.body(), close=True)

    def send_html_error(self, error):
        body = jetty_error_page(error.status, error.reason, self.url_path)
        headers = (list(error.headers) + nn_headers("text/html;charset=iso-8859-1") if self.node == "namenode"
                   else [("Content-Type", "text/html;charset=iso-8859-1")])
        self.send(error.status, error.reason, headers, body, close=self.will_close_for_body())

    # -- identity -----------------------------------------------------------------------------

    def identify(self, params, name_node):
        """-> the user the request acts as. Raises HtmlError (the auth filter's answers, name
        node only) or RemoteError."""
        app = self.app
        if app.require_delegation is not None:
            token = params.raw("delegation")
            if token is None:
                if name_node:
                    # No token: the request goes to Kerberos SPNEGO, which asks for it.
                    raise HtmlError(401, "Authentication required", [("WWW-Authenticate", "Negotiate"),
                                                                     ("Set-Cookie", "hadoop.auth=; Path=/; HttpOnly")])
                raise RemoteError("SecurityException", "Failed to obtain user group information: "
                                  "java.io.IOException: Security enabled but user not authenticated by filter")
            if token != app.require_delegation:
                raise RemoteError("SecurityException", "Failed to obtain user group information: "
                                  "org.apache.hadoop.security.token.SecretManager$InvalidToken: "
                                  f"token ({token}) can't be found in cache")
            return app.delegation_user or app.require_user or "webuser"
        text = params.raw("user.name")
        if (text is None or text == "") and app.require_user is not None and name_node:
            raise HtmlError(401, "Authentication required", [("WWW-Authenticate", "PseudoAuth"),
                                                             ("Set-Cookie", "hadoop.auth=; Path=/; HttpOnly")])
        try:
            user = parse_user(text)
        except ValueError as e:
            message = f'Invalid value for webhdfs parameter "user.name": {e}' if name_node else str(e)
            raise RemoteError("IllegalArgumentException", message) from None
        user = user or DEFAULT_WEB_USER
        if app.require_user is not None and user != app.require_user:
            raise RemoteError("SecurityException", "Failed to obtain user group information: "
                              f"org.apache.hadoop.security.authorize.AuthorizationException: User: {user} is not "
                              f"allowed on this cluster (the test server requires user {app.require_user})")
        return user

    # -- name node ----------------------------------------------------------------------------

    def hdfs_path(self):
        """The HDFS path of a /webhdfs/v1 URL, or None for any other URL."""
        if self.url_path == PREFIX or self.url_path.startswith(PREFIX + "/"):
            rest = self.url_path[len(PREFIX):]
            return "/" + rest.lstrip("/") if rest.strip("/") else "/"
        return None

    def namenode(self):
        params = Params(self.query, lower_names=True)
        path = self.hdfs_path()
        op_text = params.raw("op")
        op = op_text.upper() if op_text else None
        self.entry.update(op=op, path=path)
        fault = self.app.state.take_fault("namenode", self.command, op, path) if path is not None else None
        try:
            self.nn_answer(params, path, op_text, op, fault)
        except HtmlError as e:
            self.send_html_error(e)
        except RemoteError as e:
            if not self.apply(fault, "after"):
                self.send_error_json(e)
        self.finish_body()

    def nn_answer(self, params, path, op_text, op, fault):
        """Jetty's filters, then Jersey's parameters, then the operation: the order in which
        Hadoop finds what is wrong with a request."""
        if path is None:
            raise HtmlError(404, "Not Found")
        if self.command not in OPS_BY_METHOD:
            self.send(405, "Method Not Allowed", [("Allow", "DELETE,POST,GET,OPTIONS,PUT,HEAD")],
                      close=self.will_close_for_body())
            return
        if self.apply(fault, "before"):
            return
        user = self.identify(params, name_node=True)
        self.entry["user"] = user
        op_value = op if op_text is not None else "NULL"
        if op_value not in OPS_BY_METHOD[self.command]:
            raise RemoteError("IllegalArgumentException", f'Invalid value for webhdfs parameter "op": '
                              f"{op_text} is not a valid {self.command} operation.")
        values = parse_params(self.command, params, name_node=True)
        status, reason, headers, body, chunked = self.nn_op(op_value, path, user, params, values, fault)
        if self.apply(fault, "after"):
            return
        self.send(status, reason, headers, body, chunked=chunked, close=self.will_close_for_body())

    def nn_op(self, op, path, user, params, values, fault):
        """-> (status, reason, headers, body, chunked)"""
        ns = self.app.namespace
        ok_json = lambda value: (200, "OK", nn_headers("application/json"), json_bytes(value), self.app.json_chunked)
        ok_empty = (200, "OK", nn_headers("application/octet-stream"), b"", False)
        if op in ("CREATE", "APPEND", "OPEN"):
            if op == "APPEND" or op == "OPEN":
                node = ns.lookup(user, path)
                if node is None:
                    raise RemoteError("FileNotFoundException", f"File {path} not found.")
                if op == "OPEN":
                    offset = values["offset"] if values["offset"] is not None else 0
                    length = ns.status(node, "")["length"]
                    if offset < 0 or (offset >= length > 0):
                        raise RemoteError("IOException",
                                          f"Offset={offset} out of the range [0, {length}); OPEN, path={path}")
            location = self.redirect_uri(op, path, user, params, values)
            if values["noredirect"]:
                return ok_json({"Location": location})
            return (307, "Temporary Redirect", nn_headers("application/octet-stream") + [("Location", location)],
                    b"", False)
        if op == "MKDIRS":
            perm = values["permission"] if values["permission"] is not None else 0o755
            return ok_json({"boolean": ns.mkdirs(user, path, perm)})
        if op == "RENAME":
            dest = values["destination"]
            if dest is None:
                raise RemoteError("IllegalArgumentException",
                                  "Required param destination for op: RENAME is null or empty")
            options = values["renameoptions"]
            if not options:
                return ok_json({"boolean": ns.rename(user, path, dest)})
            ns.rename2(user, path, dest, "OVERWRITE" in options)
            return ok_empty
        if op == "DELETE":
            return ok_json({"boolean": ns.delete(user, path, values["recursive"])})
        if op == "TRUNCATE":
            if values["newlength"] is None:
                raise RemoteError("IllegalArgumentException",
                                  "Required param newlength for op: TRUNCATE is null or empty")
            client = f"DFSClient_{random.randrange(-(1 << 63), 1 << 63)}"
            recovery_ms = fault.recovery_ms if fault is not None and fault.action == "recovery" else 0
            return ok_json({"boolean": ns.truncate(user, path, values["newlength"], client, self.client_address[0],
                                                   recovery_ms)})
        if op == "GETFILESTATUS":
            node = ns.lookup(user, path)
            if node is None:
                raise RemoteError("FileNotFoundException", f"File does not exist: {path}")
            return ok_json({"FileStatus": ns.status(node, "")})
        if op == "LISTSTATUS":
            entries = ns.listing(user, path)
            # getListingStream prints the array one status a line with a PrintWriter.
            text = '{"FileStatuses":{"FileStatus":[\n' + ",\n".join(json_bytes(e).decode() for e in entries) \
                + "\n]}}\n"
            return 200, "OK", nn_headers("application/json"), text.encode(), self.app.json_chunked
        if op == "GETHOMEDIRECTORY":
            return ok_json({"Path": f"/user/{user}"})
        if op == "GETCONTENTSUMMARY":
            return ok_json({"ContentSummary": ns.content_summary(user, path)})
        if op == "SETPERMISSION":
            ns.set_permission(user, path, values["permission"] if values["permission"] is not None else 0o755)
            return ok_empty
        if op == "SETOWNER":
            owner, group = params.raw("owner") or None, params.raw("group") or None
            if owner is None and group is None:
                raise RemoteError("IllegalArgumentException", "Both owner and group are empty.")
            ns.set_owner(user, path, owner, group)
            return ok_empty
        raise RemoteError("UnsupportedOperationException", f"op={op} is not supported")

    def redirect_uri(self, op, path, user, params, values):
        """NamenodeWebHdfsMethods.redirectURI: op, the identity, namenoderpcaddress, then the
        op's set parameters sorted by name."""
        query = f"op={op}"
        if self.app.require_delegation is not None:
            query += "&delegation=" + urllib.parse.quote_plus(params.raw("delegation"))
        elif params.raw("user.name"):
            query += "&user.name=" + urllib.parse.quote_plus(params.raw("user.name"))
        query += "&namenoderpcaddress=" + self.app.namenode_rpc_address
        carried = {"CREATE": ["permission", "unmaskedpermission", "overwrite", "buffersize", "replication",
                              "blocksize", "createparent", "createflag"],
                   "APPEND": ["buffersize"],
                   "OPEN": ["offset", "length", "buffersize"]}[op]
        for name in sorted(carried):
            value = values[name]
            if name == "offset" and value is None:
                value = 0
            if value is not None:
                query += f"&{name}=" + urllib.parse.quote_plus(param_string(name, value))
        host, port = self.app.datanode_address
        return f"http://{host}:{port}{PREFIX}{urllib.parse.quote(path)}?{query}"

    # -- data node ----------------------------------------------------------------------------

    def datanode(self):
        params = Params(self.query, lower_names=False)
        path = self.hdfs_path()
        op_text = params.raw("op")
        op = op_text.upper() if op_text else None
        self.entry.update(op=op, path=path)
        if path is None:
            self.send(404, "Not Found", [("Content-Type", "text/html;charset=iso-8859-1")],
                      jetty_error_page(404, "Not Found", self.url_path), close=True)
            self.finish_body()
            return
        fault = self.app.state.take_fault("datanode", self.command, op, path)
        try:
            if self.apply(fault, "before"):
                self.finish_body()
                return
            user = self.identify(params, name_node=False)
            self.entry["user"] = user
            if op == "CREATE" and self.command == "PUT":
                self.dn_write(path, user, params, fault, create=True)
            elif op == "APPEND" and self.command == "POST":
                self.dn_write(path, user, params, fault, create=False)
            elif op == "OPEN" and self.command == "GET":
                self.dn_open(path, user, params, fault)
            elif op == "CREATE" and self.command == "OPTIONS":
                self.send(200, "OK", [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "accept"),
                                      ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Max-Age", "1728000")],
                          close=True)
            else:
                raise RemoteError("IllegalArgumentException", f"Invalid operation {op_text}")
        except RemoteError as e:
            self.send_error_json(e)
        self.finish_body()

    def send_continue(self):
        # WebHdfsHandler.writeContinueHeader: sent before every CREATE and APPEND body.
        self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.wfile.flush()
        self.continue_sent = True
        self.app.state.count("datanode", "continues_sent")

    def dn_write(self, path, user, params, fault, create):
        self.send_continue()
        ns = self.app.namespace
        nn_address = params.raw("namenoderpcaddress")
        if not nn_address:
            raise RemoteError("IllegalArgumentException", "namenoderpcaddress is missing: the data node cannot "
                              "reach a name node (Hadoop fails to build its DFSClient here)")
        values = parse_params("PUT" if create else "POST", params, name_node=False)
        client = f"DFSClient_NONMAPREDUCE_{random.randrange(1 << 31)}_1"
        machine = self.client_address[0]
        if create:
            flags = values["createflag"]
            overwrite = values["overwrite"] or "OVERWRITE" in flags
            perm = values["permission"] if values["permission"] is not None else 0o644
            node, handle = ns.start_create(user, path, overwrite, perm, values["replication"] or DEFAULT_REPLICATION,
                                           values["blocksize"] or DEFAULT_BLOCK_SIZE, values["createparent"],
                                           client, machine)
        else:
            node, handle = ns.start_append(user, path, client, machine)
        written = 0
        try:
            while True:
                if fault is not None and fault.when == "mid" and written >= fault.after_bytes:
                    handle.flush()
                    self.apply(fault, "mid")
                want = IO_CHUNK
                if fault is not None and fault.when == "mid":
                    want = max(1, min(IO_CHUNK, fault.after_bytes - written))
                data = self.body.read(want)
                if not data:
                    break
                handle.write(data)
                written += len(data)
                self.app.state.count("datanode", "bytes_written", len(data))
        except ValueError as e:
            # A broken chunked body: Netty's decoder fails the channel.
            self.close_connection = True
            ns.finish_write(node, handle)
            raise RemoteError("IllegalArgumentException", f"bad request body: {e}") from None
        except BaseException:
            # The connection ended (or a fault closed it): HdfsWriter.channelInactive closes
            # the stream, so what arrived stays in the file.
            ns.finish_write(node, handle)
            raise
        error = ns.finish_write(node, handle)
        self.entry["bytes_stored"] = written
        if error is not None:
            raise error
        if self.apply(fault, "after"):
            return
        if create:
            headers = [("Location", f"hdfs://{nn_address}{urllib.parse.quote(path)}"),
                       ("Access-Control-Allow-Origin", "*")]
            self.send(201, "Created", headers, close=True)
        else:
            self.send(200, "OK", [], close=True)

    def dn_open(self, path, user, params, fault):
        values = parse_params("GET", params, name_node=False)
        disk, length = self.app.namespace.open_read(user, path)
        offset = values["offset"] or 0
        if offset > length:
            raise RemoteError("EOFException", "Cannot seek after EOF")
        count = length - offset
        if values["length"] is not None:
            count = min(count, values["length"])
        with open(disk, "rb") as f:
            f.seek(offset)
            data = f.read(count)
        if self.apply(fault, "after"):
            return
        headers = [("Access-Control-Allow-Methods", "GET"), ("Access-Control-Allow-Origin", "*"),
                   ("Content-Type", "application/octet-stream")]
        self.send(200, "OK", headers, data, close=True)
        self.app.state.count("datanode", "bytes_read", len(data))

    # -- admin --------------------------------------------------------------------------------

    def admin(self):
        state = self.app.state
        chunks = []
        deadline = time.monotonic() + DRAIN_TIME_MAX_S
        try:
            while not self.body.done:
                if time.monotonic() > deadline or self.body.consumed > ADMIN_BODY_MAX:
                    self.send_plain(400, "Bad Request", b"admin request body too large or too slow\n", close=True)
                    return
                chunks.append(self.body.read())
        except ValueError as e:
            self.send_plain(400, "Bad Request", f"broken body: {e}\n".encode(), close=True)
            return
        raw = b"".join(chunks)
        name = self.url_path[len(ADMIN_PREFIX):]
        try:
            request = json.loads(raw) if raw.strip() else None
        except ValueError as e:
            self.send_admin(400, {"error": f"bad JSON: {e}"})
            return
        try:
            if name == "faults" and self.command == "POST":
                specs = request.get("faults", [request]) if isinstance(request, dict) else request
                if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
                    raise ValueError("POST /_test/faults takes a fault object, a list, or {\"faults\": [...]}")
                self.send_admin(200, {"ids": state.add_faults(specs)})
            elif name == "faults" and self.command == "GET":
                with state.lock:
                    self.send_admin(200, {"faults": [f.describe() for f in state.faults]})
            elif name == "faults" and self.command == "DELETE":
                self.send_admin(200, {"cleared": state.clear_faults()})
            elif name == "stats" and self.command == "GET":
                self.send_admin(200, state.stats())
            elif name == "log" and self.command == "GET":
                self.send_admin(200, {"requests": state.entries()})
            elif name == "reset" and self.command == "POST":
                self.app.reset()
                self.send_admin(200, {"reset": True})
            elif name == "config" and self.command == "POST":
                self.app.configure(**(request or {}))
                self.send_admin(200, self.app.config())
            else:
                self.send_admin(404, {"error": f"no admin endpoint {self.command} {self.url_path}"})
        except (ValueError, TypeError) as e:
            self.send_admin(400, {"error": str(e)})

    def send_admin(self, status, value):
        self.send(status, http_reason(status), [("Content-Type", "application/json")],
                  json.dumps(value, indent=1, sort_keys=True).encode() + b"\n")


def nn_headers(content_type):
    """The headers Hadoop's HttpServer2 puts on every name node answer."""
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    return [("Date", stamp), ("Cache-Control", "no-cache"), ("Expires", stamp), ("Pragma", "no-cache"),
            ("X-Content-Type-Options", "nosniff"), ("X-FRAME-OPTIONS", "SAMEORIGIN"),
            ("X-XSS-Protection", "1; mode=block"), ("Content-Type", content_type)]


def http_reason(status):
    return {200: "OK", 201: "Created", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "Status")


# ---------------------------------------------------------------------------------------------
# The server.

class WebHdfsServer:
    """A name node and a data node on two loopback ports. Usable as a context manager: a
    server made without `root` works in a temporary directory removed when the block ends.
    Start/stop from one thread; everything else may be called from any thread."""

    def __init__(self, root=None, namenode_port=0, datanode_port=0, host="127.0.0.1", require_user=None,
                 require_delegation=None, delegation_user=None, superuser="hdfs", root_owner=None,
                 root_permission=0o777, groups=None, namenode_rpc_address=None, idle_timeout_s=60,
                 json_chunked=True, request_log=None, quiet=True):
        self.own_root = root is None
        self.root = os.path.abspath(root or tempfile.mkdtemp(prefix="webhdfs-"))
        self.host = host
        self.require_user = require_user
        self.require_delegation = require_delegation
        self.delegation_user = delegation_user
        self.idle_timeout_s = idle_timeout_s
        self.json_chunked = json_chunked
        self.quiet = quiet
        self.stopping = threading.Event()
        self.state = State(request_log)
        self.namespace = Namespace(self.root, superuser, root_owner, root_permission, groups)
        self._requested_ports = (namenode_port, datanode_port)
        self._rpc_address = namenode_rpc_address
        self._servers = []
        self._threads = []

    # -- life cycle ---------------------------------------------------------------------------

    def start(self):
        nn = _Server((self.host, self._requested_ports[0]), self, "namenode")
        dn = _Server((self.host, self._requested_ports[1]), self, "datanode")
        self._servers = [nn, dn]
        self.namenode_port = nn.server_address[1]
        self.datanode_port = dn.server_address[1]
        self.datanode_address = (self.host, self.datanode_port)
        # The RPC address a real name node puts in namenoderpcaddress; nothing listens there.
        self.namenode_rpc_address = self._rpc_address or f"{self.host}:8020"
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name=f"webhdfs-{server.node}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        """Stops both ports; hung and delayed requests end, open connections are closed."""
        if not self._servers:
            return
        self.stopping.set()
        self.namespace.stop_recoveries()
        for server in self._servers:
            server.shutdown()
            with server.connections_lock:
                for conn in list(server.connections):
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            server.server_close()
        deadline = time.monotonic() + 10
        for server in self._servers:
            with server.connections_lock:
                threads = list(server.handler_threads)
            for thread in threads + self._threads:
                thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self._servers = []
        if self.state.log_file:
            self.state.log_file.close()
            self.state.log_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        return False

    # -- addresses ----------------------------------------------------------------------------

    @property
    def namenode(self):
        return f"{self.host}:{self.namenode_port}"

    @property
    def datanode(self):
        return f"{self.host}:{self.datanode_port}"

    def url(self, path, op=None, node="namenode", **params):
        """http://NAMENODE/webhdfs/v1<path>?op=OP&k=v... (use **{"user.name": "u"})."""
        query = ([("op", op)] if op else []) + [(k, "true" if v is True else "false" if v is False else v)
                                                 for k, v in params.items()]
        address = self.namenode if node == "namenode" else self.datanode
        q = urllib.parse.urlencode(query)
        return f"http://{address}{PREFIX}{urllib.parse.quote(path)}" + (f"?{q}" if q else "")

    # -- control ------------------------------------------------------------------------------

    def faults(self, *specs):
        """Arms faults (see the module docstring). -> their ids"""
        flat = []
        for spec in specs:
            flat.extend(spec if isinstance(spec, list) else [spec])
        return self.state.add_faults(flat)

    def clear_faults(self):
        return self.state.clear_faults()

    def armed_faults(self):
        with self.state.lock:
            return [f.describe() for f in self.state.faults]

    def stats(self):
        return self.state.stats()

    def log(self):
        return self.state.entries()

    def reset(self):
        self.state.clear_faults()
        self.state.reset_counters()
        with self.state.lock:
            self.state.log.clear()

    def configure(self, **settings):
        for key, value in settings.items():
            if key not in ("require_user", "require_delegation", "delegation_user"):
                raise ValueError(f"unknown setting {key!r}")
            setattr(self, key, value)

    def config(self):
        return {"require_user": self.require_user, "require_delegation": self.require_delegation,
                "delegation_user": self.delegation_user}

    # -- files --------------------------------------------------------------------------------

    def local_path(self, path):
        return self.namespace.disk_path(normalize_path(path))

    def read(self, path):
        with open(self.local_path(path), "rb") as f:
            return f.read()

    def exists(self, path):
        return self.namespace.lookup(self.namespace.superuser, normalize_path(path)) is not None

    def status(self, path):
        """The FileStatus GETFILESTATUS would give, or None."""
        node = self.namespace.lookup(self.namespace.superuser, normalize_path(path))
        return None if node is None else self.namespace.status(node, "")


def main(argv=None):
    parser = argparse.ArgumentParser(description="WebHDFS test server (name node + data node ports)")
    parser.add_argument("--root", required=True, help="directory the files are stored in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--namenode-port", type=int, default=0)
    parser.add_argument("--datanode-port", type=int, default=0)
    parser.add_argument("--require-user", help="refuse anonymous requests (401) and other users (403)")
    parser.add_argument("--require-delegation", metavar="TOKEN", help="security on: require delegation=TOKEN")
    parser.add_argument("--delegation-user", help="the user the delegation token stands for")
    parser.add_argument("--superuser", default="hdfs")
    parser.add_argument("--root-permission", default="777", help="octal permission of / (default 777)")
    parser.add_argument("--request-log", help="append one JSON line per request to this file")
    parser.add_argument("--idle-timeout", type=float, default=60, help="seconds a keep-alive connection may idle")
    parser.add_argument("--json-framing", choices=["chunked", "length"], default="chunked",
                        help="how the name node frames JSON answers (Hadoop's are chunked)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    server = WebHdfsServer(root=args.root, namenode_port=args.namenode_port, datanode_port=args.datanode_port,
                           host=args.host, require_user=args.require_user, require_delegation=args.require_delegation,
                           delegation_user=args.delegation_user, superuser=args.superuser,
                           root_permission=int(args.root_permission, 8), idle_timeout_s=args.idle_timeout,
                           json_chunked=args.json_framing == "chunked", request_log=args.request_log,
                           quiet=not args.verbose)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    # A test that crashes or is killed must not leave its server behind: SIGTERM when the
    # process that started this one ends.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    server.start()
    print(f"namenode={server.namenode} datanode={server.datanode}", flush=True)
    while not done.wait(1):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
