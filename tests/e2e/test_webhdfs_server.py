"""The WebHDFS test server (tests/support/webhdfs_server.py) against the WebHDFS REST API and
Hadoop's own behaviour, driven by real clients: curl step by step as WebHDFS.md shows it, curl
--location, Python's http.client for keep-alive, and raw sockets for chunked bodies and
100-continue. The HDFS sink's tests trust this server, so it is proven here first."""

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from support.webhdfs_server import WebHdfsServer  # noqa: E402

SERVER_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "support", "webhdfs_server.py")
CURL_TIMEOUT_S = 30
SOCKET_TIMEOUT_S = 20


def curl(*args, timeout_s=CURL_TIMEOUT_S):
    """curl -sS with a time limit. -> (exit code, stdout bytes, stderr text)"""
    p = subprocess.run(["curl", "-sS", "--max-time", str(timeout_s), *args], capture_output=True,
                       timeout=timeout_s + 15)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # lower-case name -> value (the last one)
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers} {self.body[:300]!r}>"


def parse_responses(raw):
    """The responses `curl -i` printed, interim (100 Continue) and redirects included."""
    responses = []
    pos = 0
    while raw.startswith(b"HTTP/", pos):
        end = raw.index(b"\r\n\r\n", pos)
        lines = raw[pos:end].decode("latin-1").split("\r\n")
        _, status, *reason = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        pos = end + 4
        responses.append(Response(int(status), reason[0] if reason else "", headers, b""))
    responses[-1].body = raw[pos:] if responses else raw
    return responses


def curl_i(*args, timeout_s=CURL_TIMEOUT_S):
    """curl -i: -> the list of responses; fails the test when curl itself fails."""
    code, out, err = curl("-i", *args, timeout_s=timeout_s)
    if code != 0:
        raise AssertionError(f"curl {' '.join(args)} failed ({code}): {err}")
    return parse_responses(out)


def remote_exception(exception, java_class, message):
    return {"RemoteException": {"exception": exception, "javaClassName": java_class, "message": message}}


def wait_until(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


def raw_exchange(address, request, until=b"", timeout_s=SOCKET_TIMEOUT_S):
    """Sends raw bytes; reads until `until` is seen, the peer closes, or the time is up."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout_s) as s:
        s.sendall(request)
        data = b""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not (until and until in data):
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        return data


class WebHdfsTestCase(unittest.TestCase):
    server_args = {}

    def setUp(self):
        self.hdfs = WebHdfsServer(**self.server_args).start()
        self.addCleanup(self.hdfs.__exit__, None, None, None)
        self.tmp = tempfile.mkdtemp(prefix="webhdfs-test-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))

    def url(self, path, op=None, user="alice", **params):
        if user is not None:
            params["user.name"] = user
        return self.hdfs.url(path, op, **params)

    def local_file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def create(self, path, data, user="alice", **params):
        """The two steps of CREATE with curl, as WebHDFS.md shows them. -> the data node's answer"""
        [redirect] = curl_i("-X", "PUT", self.url(path, "CREATE", user=user, **params))
        self.assertEqual(redirect.status, 307, redirect)
        answers = curl_i("-X", "PUT", "-T", self.local_file("upload", data), redirect.headers["location"])
        return answers[-1]

    def assert_remote_exception(self, response, status, exception, java_class, message):
        self.assertEqual(response.status, status, response)
        self.assertEqual(response.json(), remote_exception(exception, java_class, message))

    def status_of(self, path, user="alice"):
        [r] = curl_i(self.url(path, "GETFILESTATUS", user=user))
        self.assertEqual(r.status, 200, r)
        return r.json()["FileStatus"]


class CommandLine(unittest.TestCase):
    def test_prints_its_addresses_serves_and_stops_on_sigterm(self):
        root = tempfile.mkdtemp(prefix="webhdfs-cli-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", root]))
        p = subprocess.Popen(["/usr/bin/python3", SERVER_SCRIPT, "--root", root], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(timeout=10)))
        ready, _, _ = select.select([p.stdout], [], [], 20)
        self.assertTrue(ready, "no address line within 20 s")
        line = p.stdout.readline().decode()
        m = re.fullmatch(r"namenode=127\.0\.0\.1:(\d+) datanode=127\.0\.0\.1:(\d+)\n", line)
        self.assertTrue(m, line)
        [r] = curl_i("-X", "PUT", f"http://127.0.0.1:{m.group(1)}/webhdfs/v1/made/here?op=MKDIRS&user.name=u")
        self.assertEqual((r.status, r.json()), (200, {"boolean": True}))
        self.assertTrue(os.path.isdir(os.path.join(root, "made", "here")))
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0, p.stderr.read().decode())
        p.stdout.close()
        p.stderr.close()

    def test_indexes_files_already_in_its_root(self):
        root = tempfile.mkdtemp(prefix="webhdfs-cli-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", root]))
        os.makedirs(os.path.join(root, "old"))
        with open(os.path.join(root, "old", "f"), "wb") as f:
            f.write(b"12345")
        with WebHdfsServer(root=root) as hdfs:
            status = hdfs.status("/old/f")
            self.assertEqual((status["length"], status["owner"], status["type"]), (5, "hdfs", "FILE"))
            self.assertEqual(hdfs.status("/old")["childrenNum"], 1)


class Create(WebHdfsTestCase):
    def test_two_steps_by_hand_as_the_webhdfs_document_shows(self):
        [redirect] = curl_i("-X", "PUT", self.url("/logs/2026/a.log", "CREATE"))
        self.assertEqual((redirect.status, redirect.reason), (307, "Temporary Redirect"))
        self.assertEqual(redirect.headers["content-length"], "0")
        self.assertEqual(redirect.body, b"")
        self.assertEqual(redirect.headers["location"],
                         f"http://{self.hdfs.datanode}/webhdfs/v1/logs/2026/a.log?op=CREATE&user.name=alice"
                         "&namenoderpcaddress=127.0.0.1:8020&createflag=&createparent=true&overwrite=false")
        self.assertFalse(self.hdfs.exists("/logs"), "the name node step creates nothing")

        data = b"line one\nline two\n" * 100
        answers = curl_i("-X", "PUT", "-T", self.local_file("a.log", data), redirect.headers["location"])
        self.assertEqual([a.status for a in answers], [100, 201], "the data node always sends 100 Continue")
        created = answers[-1]
        self.assertEqual(created.reason, "Created")
        self.assertEqual(created.headers["location"], "hdfs://127.0.0.1:8020/logs/2026/a.log")
        self.assertEqual(created.headers["content-length"], "0")
        self.assertEqual(created.headers["connection"], "close")
        self.assertEqual(created.body, b"")
        self.assertEqual(self.hdfs.read("/logs/2026/a.log"), data)
        with open(os.path.join(self.hdfs.root, "logs", "2026", "a.log"), "rb") as f:
            self.assertEqual(f.read(), data, "files live on disk under the root")

        status = self.status_of("/logs/2026/a.log")
        self.assertEqual((status["owner"], status["group"], status["permission"], status["length"]),
                         ("alice", "supergroup", "644", len(data)))
        parent = self.status_of("/logs")
        self.assertEqual((parent["type"], parent["owner"], parent["permission"]), ("DIRECTORY", "alice", "777"),
                         "parents take their parent's permission plus u+wx (root is 777 here)")

    def test_parameters_travel_to_the_data_node_sorted(self):
        [redirect] = curl_i("-X", "PUT", self.url("/p/f", "CREATE", permission="600", replication="2",
                                                  blocksize="1048576", buffersize="8192", overwrite="true"))
        query = urllib.parse.urlsplit(redirect.headers["location"]).query
        self.assertEqual(query, "op=CREATE&user.name=alice&namenoderpcaddress=127.0.0.1:8020&blocksize=1048576"
                                "&buffersize=8192&createflag=&createparent=true&overwrite=true&permission=600"
                                "&replication=2")
        answers = curl_i("-X", "PUT", "-T", self.local_file("f", b"x"), redirect.headers["location"])
        self.assertEqual(answers[-1].status, 201)
        status = self.status_of("/p/f")
        self.assertEqual((status["permission"], status["replication"], status["blockSize"]), ("600", 2, 1048576))

    def test_curl_location_small_and_large_uploads(self):
        small = b"small body\n"
        answers = curl_i("-L", "-X", "PUT", "-T", self.local_file("s", small), self.url("/l/small", "CREATE"))
        self.assertEqual([a.status for a in answers], [307, 100, 201])
        self.assertEqual(self.hdfs.read("/l/small"), small)

        large = os.urandom(3 * 1024 * 1024)     # curl asks Expect: 100-continue above 1 MiB
        code, out, err = curl("-v", "-i", "-L", "-X", "PUT", "-T", self.local_file("l", large),
                              self.url("/l/large", "CREATE"))
        self.assertEqual(code, 0, err)
        self.assertEqual(err.count("> Expect: 100-continue"), 2, err)
        self.assertEqual([a.status for a in parse_responses(out)], [307, 100, 201])
        self.assertEqual(self.hdfs.read("/l/large"), large)
        redirect = parse_responses(out)[0]
        self.assertEqual(redirect.headers.get("connection"), "close",
                         "the name node never reads a body it was asked to wait for, so it closes")

    def test_noredirect_answers_the_location_in_json(self):
        [r] = curl_i("-X", "PUT", self.url("/n/f", "CREATE", noredirect="true"))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        location = r.json()["Location"]
        self.assertTrue(location.startswith(f"http://{self.hdfs.datanode}/webhdfs/v1/n/f?op=CREATE&"), location)
        answers = curl_i("-X", "PUT", "-T", self.local_file("f", b"data"), location)
        self.assertEqual(answers[-1].status, 201)
        self.assertEqual(self.hdfs.read("/n/f"), b"data")

    def test_existing_file_fails_at_the_data_node_unless_overwrite(self):
        self.assertEqual(self.create("/e/f", b"first").status, 201)
        [redirect] = curl_i("-X", "PUT", self.url("/e/f", "CREATE"))
        self.assertEqual(redirect.status, 307, "the name node does not look at the namespace for CREATE")
        answers = curl_i("-X", "PUT", "-T", self.local_file("f", b"second"), redirect.headers["location"])
        self.assertEqual([a.status for a in answers], [100, 403])
        self.assertEqual(answers[-1].body,
                         b'{"RemoteException":{"exception":"FileAlreadyExistsException","javaClassName":'
                         b'"org.apache.hadoop.fs.FileAlreadyExistsException","message":'
                         b'"/e/f for client 127.0.0.1 already exists"}}')
        self.assertEqual(answers[-1].headers["connection"], "close")
        self.assertEqual(self.hdfs.read("/e/f"), b"first")

        self.assertEqual(self.create("/e/f", b"second", overwrite="true").status, 201)
        self.assertEqual(self.hdfs.read("/e/f"), b"second")

    def test_directory_and_file_in_the_way(self):
        curl_i("-X", "PUT", self.url("/d", "MKDIRS"))
        self.assert_remote_exception(self.create("/d", b"x"), 403, "FileAlreadyExistsException",
                                     "org.apache.hadoop.fs.FileAlreadyExistsException",
                                     "/d already exists as a directory")
        self.create("/f", b"x")
        self.assert_remote_exception(self.create("/f/x", b"x"), 403, "ParentNotDirectoryException",
                                     "org.apache.hadoop.fs.ParentNotDirectoryException", "/f (is not a directory)")

    def test_empty_file(self):
        answers = curl_i("-L", "-X", "PUT", "-H", "Content-Length: 0", self.url("/empty", "CREATE"))
        self.assertEqual(answers[-1].status, 201)
        self.assertEqual(self.hdfs.read("/empty"), b"")
        self.assertEqual(self.status_of("/empty")["length"], 0)


class Append(WebHdfsTestCase):
    def test_two_steps_by_hand(self):
        self.create("/a/f", b"one\n")
        [redirect] = curl_i("-X", "POST", self.url("/a/f", "APPEND", buffersize="4096"))
        self.assertEqual(redirect.status, 307)
        self.assertEqual(redirect.headers["location"],
                         f"http://{self.hdfs.datanode}/webhdfs/v1/a/f?op=APPEND&user.name=alice"
                         "&namenoderpcaddress=127.0.0.1:8020&buffersize=4096")
        answers = curl_i("-X", "POST", "-T", self.local_file("two", b"two\n"), redirect.headers["location"])
        self.assertEqual([a.status for a in answers], [100, 200])
        self.assertEqual((answers[-1].headers["content-length"], answers[-1].body), ("0", b""))
        self.assertEqual(self.hdfs.read("/a/f"), b"one\ntwo\n")
        self.assertEqual(self.status_of("/a/f")["length"], 8)

        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("three", b"three\n"), self.url("/a/f", "APPEND"))
        self.assertEqual([a.status for a in answers], [307, 100, 200])
        self.assertEqual(self.hdfs.read("/a/f"), b"one\ntwo\nthree\n")

    def test_missing_file_fails_at_the_name_node(self):
        [r] = curl_i("-X", "POST", self.url("/nope/f", "APPEND"))
        self.assertEqual(r.body, b'{"RemoteException":{"exception":"FileNotFoundException","javaClassName":'
                                 b'"java.io.FileNotFoundException","message":"File /nope/f not found."}}')
        self.assertEqual(r.status, 404)
        # A client that goes to the data node directly meets the name node's append check.
        dn_url = (f"http://{self.hdfs.datanode}/webhdfs/v1/nope/f?op=APPEND&user.name=alice"
                  "&namenoderpcaddress=127.0.0.1:8020")
        answers = curl_i("-X", "POST", "-T", self.local_file("x", b"x"), dn_url)
        self.assert_remote_exception(answers[-1], 404, "FileNotFoundException", "java.io.FileNotFoundException",
                                     "Failed to append to non-existent file /nope/f for client 127.0.0.1")
        self.assertFalse(self.hdfs.exists("/nope/f"))

    def test_directory(self):
        curl_i("-X", "PUT", self.url("/dir", "MKDIRS"))
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("x", b"x"), self.url("/dir", "APPEND"))
        self.assertEqual(answers[0].status, 307)
        self.assert_remote_exception(answers[-1], 403, "FileAlreadyExistsException",
                                     "org.apache.hadoop.fs.FileAlreadyExistsException",
                                     "Cannot append to directory /dir; already exists as a directory.")


class Rename(WebHdfsTestCase):
    def rename(self, src, dst, user="alice", **params):
        [r] = curl_i("-X", "PUT", self.url(src, "RENAME", user=user, destination=dst, **params))
        return r

    def test_boolean_answers_as_hdfs_gives_them(self):
        self.create("/r/a.tmp", b"a")
        self.create("/r/b", b"b")
        r = self.rename("/r/a.tmp", "/r/a")
        self.assertEqual((r.status, r.body), (200, b'{"boolean":true}'))
        self.assertEqual(self.hdfs.read("/r/a"), b"a")
        self.assertFalse(os.path.exists(self.hdfs.local_path("/r/a.tmp")))

        self.assertEqual(self.rename("/r/missing", "/r/c").json(), {"boolean": False}, "source missing")
        self.assertEqual(self.rename("/r/a", "/r/b").json(), {"boolean": False}, "destination exists")
        self.assertEqual((self.hdfs.read("/r/a"), self.hdfs.read("/r/b")), (b"a", b"b"))
        self.assertEqual(self.rename("/r/a", "/no/such/dir/a").json(), {"boolean": False}, "no parent")
        self.assertEqual(self.rename("/r/a", "/r/a").json(), {"boolean": True}, "onto itself")

        curl_i("-X", "PUT", self.url("/into", "MKDIRS"))
        self.assertEqual(self.rename("/r/a", "/into").json(), {"boolean": True})
        self.assertEqual(self.hdfs.read("/into/a"), b"a", "an existing directory receives the source")
        self.assertEqual(self.rename("/r", "/r/sub").json(), {"boolean": False}, "into itself")

    def test_rename_options_follow_rename2(self):
        self.create("/o/a", b"a")
        self.create("/o/b", b"b")
        r = self.rename("/o/a", "/o/b", renameoptions="NONE")
        self.assert_remote_exception(r, 403, "FileAlreadyExistsException",
                                     "org.apache.hadoop.fs.FileAlreadyExistsException",
                                     "rename destination /o/b already exists")
        r = self.rename("/o/a", "/o/b", renameoptions="OVERWRITE")
        self.assertEqual((r.status, r.body, r.headers["content-type"]), (200, b"", "application/octet-stream"))
        self.assertEqual(self.hdfs.read("/o/b"), b"a")
        r = self.rename("/o/gone", "/o/c", renameoptions="OVERWRITE")
        self.assert_remote_exception(r, 404, "FileNotFoundException", "java.io.FileNotFoundException",
                                     "rename source /o/gone is not found.")

    def test_destination_must_be_given_and_absolute(self):
        self.create("/d/a", b"a")
        [r] = curl_i("-X", "PUT", self.url("/d/a", "RENAME"))
        self.assert_remote_exception(r, 400, "IllegalArgumentException", "java.lang.IllegalArgumentException",
                                     "Required param destination for op: RENAME is null or empty")
        self.assert_remote_exception(self.rename("/d/a", "relative"), 400, "IllegalArgumentException",
                                     "java.lang.IllegalArgumentException",
                                     'Invalid value for webhdfs parameter "destination": Invalid parameter value: '
                                     'destination = "relative" is not an absolute path.')


class Truncate(WebHdfsTestCase):
    def truncate(self, path, user="alice", **params):
        [r] = curl_i("-X", "POST", self.url(path, "TRUNCATE", user=user, **params))
        return r

    def test_cuts_at_once_and_answers_true(self):
        self.create("/t/f", b"0123456789")
        r = self.truncate("/t/f", newlength="4")
        self.assertEqual((r.status, r.headers["content-type"], r.body), (200, "application/json", b'{"boolean":true}'))
        self.assertEqual(self.hdfs.read("/t/f"), b"0123")
        self.assertEqual(self.status_of("/t/f")["length"], 4)
        self.assertEqual(self.truncate("/t/f", newlength="4").json(), {"boolean": True}, "the same length")
        self.assert_remote_exception(self.truncate("/t/f", newlength="9"), 400, "HadoopIllegalArgumentException",
                                     "org.apache.hadoop.HadoopIllegalArgumentException",
                                     "Cannot truncate to a larger file size. Current size: 4, truncate size: 9.")
        self.assertEqual(self.truncate("/t/f", newlength="0").json(), {"boolean": True})
        self.assertEqual((self.hdfs.read("/t/f"), self.status_of("/t/f")["length"]), (b"", 0))
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("a", b"again"), self.url("/t/f", "APPEND"))
        self.assertEqual(answers[-1].status, 200, "no lease is left behind")
        self.assertEqual(self.hdfs.read("/t/f"), b"again")

    def test_paths_parameters_and_permissions(self):
        self.create("/t/f", b"0123456789")
        self.assert_remote_exception(self.truncate("/t/nope", newlength="0"), 404, "FileNotFoundException",
                                     "java.io.FileNotFoundException", "File does not exist: /t/nope")
        self.assert_remote_exception(self.truncate("/t", newlength="0"), 404, "FileNotFoundException",
                                     "java.io.FileNotFoundException", "Path is not a file: /t")
        self.assert_remote_exception(self.truncate("/t/f"), 400, "IllegalArgumentException",
                                     "java.lang.IllegalArgumentException",
                                     "Required param newlength for op: TRUNCATE is null or empty")
        self.assert_remote_exception(self.truncate("/t/f", newlength="-1"), 400, "IllegalArgumentException",
                                     "java.lang.IllegalArgumentException",
                                     'Invalid value for webhdfs parameter "newlength": Invalid parameter range: '
                                     'newlength = -1 < 0')
        self.assert_remote_exception(self.truncate("/t/f", user="bob", newlength="1"), 403, "AccessControlException",
                                     "org.apache.hadoop.security.AccessControlException",
                                     'Permission denied: user=bob, access=WRITE, inode="/t/f":alice:supergroup:'
                                     '-rw-r--r--')
        [r] = curl_i("-X", "PUT", self.url("/t/f", "TRUNCATE", newlength="1"))
        self.assert_remote_exception(r, 400, "IllegalArgumentException", "java.lang.IllegalArgumentException",
                                     'Invalid value for webhdfs parameter "op": TRUNCATE is not a valid PUT operation.')
        self.assertEqual(self.hdfs.read("/t/f"), b"0123456789")

    def test_a_file_being_written_is_leased(self):
        self.hdfs.faults({"node": "datanode", "op": "CREATE", "action": "hang", "when": "mid", "after_bytes": 4,
                          "hang_ms": 30000})
        uploader = subprocess.Popen(["curl", "-sS", "--max-time", "40", "-L", "-X", "PUT", "-T",
                                     self.local_file("u", b"0123456789"), self.url("/lease", "CREATE")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (uploader.poll() is None and uploader.kill(), uploader.wait(timeout=10)))
        wait_until(lambda: self.hdfs.exists("/lease") and os.path.getsize(self.hdfs.local_path("/lease")) == 4, 20,
                   "4 bytes stored")
        r = self.truncate("/lease", newlength="0")
        self.assertEqual((r.status, r.json()["RemoteException"]["exception"]), (403, "AlreadyBeingCreatedException"))
        self.assertRegex(r.json()["RemoteException"]["message"],
                         r"^Failed to TRUNCATE_FILE /lease for DFSClient_-?\d+ on 127\.0\.0\.1 because this file "
                         r"lease is currently owned by DFSClient_NONMAPREDUCE_\d+_1 on 127\.0\.0\.1$")
        uploader.terminate()
        uploader.wait(timeout=10)
        wait_until(lambda: self.hdfs.status("/lease")["length"] == 4, 10, "the stream to close")
        self.assertEqual(self.truncate("/lease", newlength="2").json(), {"boolean": True})
        self.assertEqual(self.hdfs.read("/lease"), b"01")

    def test_recovery_fault_answers_false_until_the_block_is_recovered(self):
        self.create("/r/f", b"0123456789")
        self.hdfs.faults({"op": "TRUNCATE", "action": "recovery", "recovery_ms": 1500})
        self.assertEqual(self.truncate("/r/f", newlength="4").json(), {"boolean": False})
        self.assertEqual(self.status_of("/r/f")["length"], 10, "the old length shows until the recovery ends")
        self.assertEqual(self.truncate("/r/f", newlength="4").json(), {"boolean": False}, "the same cut again")
        r = self.truncate("/r/f", newlength="3")
        self.assertEqual((r.status, r.json()["RemoteException"]["exception"]), (403, "AlreadyBeingCreatedException"))
        self.assertRegex(r.json()["RemoteException"]["message"],
                         r"^Failed to TRUNCATE_FILE /r/f for DFSClient_-?\d+ on 127\.0\.0\.1 because /r/f is being "
                         r"truncated\.$")
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("a", b"x"), self.url("/r/f", "APPEND"))
        self.assertEqual(answers[-1].json()["RemoteException"]["exception"], "RecoveryInProgressException")
        self.assertRegex(answers[-1].json()["RemoteException"]["message"],
                         r"^Failed to APPEND_FILE /r/f for DFSClient_NONMAPREDUCE_\d+_1 on 127\.0\.0\.1 because "
                         r"another recovery is in progress by DFSClient_-?\d+ on 127\.0\.0\.1$")
        wait_until(lambda: self.status_of("/r/f")["length"] == 4, 10, "the recovery to end")
        self.assertEqual(self.hdfs.read("/r/f"), b"0123")
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("a", b"x"), self.url("/r/f", "APPEND"))
        self.assertEqual(answers[-1].status, 200)
        self.assertEqual(self.hdfs.read("/r/f"), b"0123x")

        self.hdfs.faults({"op": "TRUNCATE", "action": "recovery"})
        self.assertEqual(self.truncate("/r/f", newlength="0").json(), {"boolean": True}, "0 is a block boundary")
        self.assertEqual(self.hdfs.armed_faults(), [], "the fault was spent all the same")
        with self.assertRaisesRegex(ValueError, "a recovery fault is for op TRUNCATE, when before"):
            self.hdfs.faults({"op": "APPEND", "action": "recovery"})


class StatusListOpenDelete(WebHdfsTestCase):
    FIELDS = {"accessTime", "blockSize", "childrenNum", "fileId", "group", "length", "modificationTime", "owner",
              "pathSuffix", "permission", "replication", "storagePolicy", "type"}

    def test_getfilestatus_fields(self):
        before = int(time.time() * 1000) - 1000
        self.create("/s/f", b"12345")
        [r] = curl_i(self.url("/s/f", "GETFILESTATUS"))
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.headers["transfer-encoding"], "chunked")
        self.assertEqual(r.body, json.dumps(r.json(), sort_keys=True, separators=(",", ":")).encode(),
                         "JSON as Jackson writes a TreeMap: sorted keys, no spaces")
        f = r.json()["FileStatus"]
        self.assertEqual(set(f), self.FIELDS)
        self.assertEqual({k: f[k] for k in ("blockSize", "childrenNum", "group", "length", "owner", "pathSuffix",
                                            "permission", "replication", "storagePolicy", "type")},
                         {"blockSize": 134217728, "childrenNum": 0, "group": "supergroup", "length": 5,
                          "owner": "alice", "pathSuffix": "", "permission": "644", "replication": 3,
                          "storagePolicy": 0, "type": "FILE"})
        self.assertGreater(f["fileId"], 16385)
        self.assertGreaterEqual(f["modificationTime"], before)
        self.assertGreaterEqual(f["accessTime"], before)

        d = self.status_of("/s")
        self.assertEqual(set(d), self.FIELDS)
        self.assertEqual({k: d[k] for k in ("accessTime", "blockSize", "childrenNum", "length", "replication",
                                            "type")},
                         {"accessTime": 0, "blockSize": 0, "childrenNum": 1, "length": 0, "replication": 0,
                          "type": "DIRECTORY"})
        self.assertLess(d["fileId"], f["fileId"])

        [r] = curl_i(self.url("/s/missing", "GETFILESTATUS"))
        self.assertEqual(r.body, b'{"RemoteException":{"exception":"FileNotFoundException","javaClassName":'
                                 b'"java.io.FileNotFoundException","message":"File does not exist: /s/missing"}}')
        self.assertEqual(r.status, 404)

    def test_liststatus(self):
        self.create("/ls/b", b"bb")
        self.create("/ls/a", b"a")
        curl_i("-X", "PUT", self.url("/ls/c", "MKDIRS", permission="700"))
        [r] = curl_i(self.url("/ls", "LISTSTATUS"))
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.startswith(b'{"FileStatuses":{"FileStatus":[\n{"accessTime":'), r.body)
        entries = r.json()["FileStatuses"]["FileStatus"]
        self.assertEqual([(e["pathSuffix"], e["type"], e["length"], e["permission"]) for e in entries],
                         [("a", "FILE", 1, "644"), ("b", "FILE", 2, "644"), ("c", "DIRECTORY", 0, "700")])
        [r] = curl_i(self.url("/ls/b", "LISTSTATUS"))
        self.assertEqual([e["pathSuffix"] for e in r.json()["FileStatuses"]["FileStatus"]], [""])
        [r] = curl_i(self.url("/ls/missing", "LISTSTATUS"))
        self.assert_remote_exception(r, 404, "FileNotFoundException", "java.io.FileNotFoundException",
                                     "File /ls/missing does not exist.")

    def test_open(self):
        self.create("/o/f", b"hello world")
        code, out, err = curl("-L", self.url("/o/f", "OPEN"))
        self.assertEqual((code, out), (0, b"hello world"), err)

        [redirect] = curl_i(self.url("/o/f", "OPEN", offset="6", length="3"))
        self.assertEqual(redirect.status, 307)
        self.assertEqual(urllib.parse.urlsplit(redirect.headers["location"]).query,
                         "op=OPEN&user.name=alice&namenoderpcaddress=127.0.0.1:8020&length=3&offset=6")
        [data] = curl_i(redirect.headers["location"])
        self.assertEqual((data.status, data.body, data.headers["content-type"], data.headers["connection"]),
                         (200, b"wor", "application/octet-stream", "close"))

        [r] = curl_i(self.url("/o/missing", "OPEN"))
        self.assert_remote_exception(r, 404, "FileNotFoundException", "java.io.FileNotFoundException",
                                     "File /o/missing not found.")
        [r] = curl_i(self.url("/o/f", "OPEN", offset="11"))
        self.assert_remote_exception(r, 403, "IOException", "java.io.IOException",
                                     "Offset=11 out of the range [0, 11); OPEN, path=/o/f")
        answers = curl_i("-L", self.url("/o", "OPEN"))
        self.assert_remote_exception(answers[-1], 404, "FileNotFoundException", "java.io.FileNotFoundException",
                                     "Path is not a file: /o")

    def test_delete(self):
        self.create("/del/sub/f", b"x")
        self.create("/del/g", b"x")
        [r] = curl_i("-X", "DELETE", self.url("/del/g", "DELETE"))
        self.assertEqual((r.status, r.json()), (200, {"boolean": True}))
        self.assertFalse(os.path.exists(self.hdfs.local_path("/del/g")))
        [r] = curl_i("-X", "DELETE", self.url("/del/g", "DELETE"))
        self.assertEqual(r.json(), {"boolean": False}, "a missing path is false, not an error")
        [r] = curl_i("-X", "DELETE", self.url("/del", "DELETE"))
        self.assert_remote_exception(r, 403, "PathIsNotEmptyDirectoryException",
                                     "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException",
                                     "`/del is non empty': Directory is not empty")
        [r] = curl_i("-X", "DELETE", self.url("/del", "DELETE", recursive="true"))
        self.assertEqual(r.json(), {"boolean": True})
        self.assertFalse(os.path.exists(self.hdfs.local_path("/del")))

    def test_mkdirs(self):
        [r] = curl_i("-X", "PUT", self.url("/m/a/b", "MKDIRS", permission="700"))
        self.assertEqual((r.status, r.headers["transfer-encoding"], r.body), (200, "chunked", b'{"boolean":true}'))
        self.assertEqual(self.status_of("/m/a/b")["permission"], "700")
        self.assertEqual(self.status_of("/m/a")["permission"], "700", "ancestors: the permission plus u+wx")
        [r] = curl_i("-X", "PUT", self.url("/m/a/b", "MKDIRS"))
        self.assertEqual(r.json(), {"boolean": True}, "an existing directory is true")
        self.create("/m/f", b"x")
        [r] = curl_i("-X", "PUT", self.url("/m/f", "MKDIRS"))
        self.assert_remote_exception(r, 403, "FileAlreadyExistsException",
                                     "org.apache.hadoop.fs.FileAlreadyExistsException", "Path is not a directory: /m/f")


class BadRequests(WebHdfsTestCase):
    def expect_400(self, args, exception, message, java_class=None):
        [r] = curl_i(*args)
        java_class = java_class or f"java.lang.{exception}"
        self.assert_remote_exception(r, 400, exception, java_class, message)

    def test_ops(self):
        self.expect_400(["-X", "PUT", self.url("/x", "FOO")], "IllegalArgumentException",
                        'Invalid value for webhdfs parameter "op": FOO is not a valid PUT operation.')
        self.expect_400([self.url("/x", "MKDIRS")], "IllegalArgumentException",
                        'Invalid value for webhdfs parameter "op": MKDIRS is not a valid GET operation.')
        self.expect_400(["-X", "PUT", self.url("/x")], "UnsupportedOperationException", "op=NULL is not supported")
        self.expect_400(["-X", "PUT", self.url("/x", "SETXATTR")], "UnsupportedOperationException",
                        "op=SETXATTR is not supported")
        [r] = curl_i("-X", "PUT", f"http://{self.hdfs.namenode}/webhdfs/v1/lower?OP=mkdirs&User.Name=alice")
        self.assertEqual(r.json(), {"boolean": True}, "names and op values are case-insensitive")
        self.assertEqual(self.status_of("/lower")["owner"], "alice")

    def test_parameters(self):
        prefix = 'Invalid value for webhdfs parameter '
        self.expect_400(["-X", "PUT", self.url("/x", "MKDIRS", permission="999")], "IllegalArgumentException",
                        prefix + '"permission": Failed to parse "999" as a radix-8 short integer.')
        self.expect_400(["-X", "PUT", self.url("/x", "MKDIRS", permission="2000")], "IllegalArgumentException",
                        prefix + '"permission": Invalid parameter range: permission = 2000 > 1777')
        self.expect_400(["-X", "PUT", self.url("/x", "MKDIRS", overwrite="maybe")], "IllegalArgumentException",
                        prefix + '"overwrite": Failed to parse "maybe" to Boolean.')
        self.expect_400(["-X", "PUT", self.url("/x", "CREATE", replication="0")], "IllegalArgumentException",
                        prefix + '"replication": Invalid parameter range: replication = 0 < 1')
        self.expect_400([self.url("/x", "OPEN", offset="-1")], "IllegalArgumentException",
                        prefix + '"offset": Invalid parameter range: offset = -1 < 0')
        self.expect_400(["-X", "PUT", self.url("/x", "MKDIRS", user="1bad")], "IllegalArgumentException",
                        prefix + '"user.name": Invalid value: "1bad" does not belong to the domain '
                                 '^[A-Za-z_][A-Za-z0-9._-]*[$]?$')

    def test_other_urls_and_the_data_node(self):
        [r] = curl_i(f"http://{self.hdfs.namenode}/nothing/here")
        self.assertEqual((r.status, r.headers["content-type"]), (404, "text/html;charset=iso-8859-1"))
        [r] = curl_i("-X", "PUT", f"http://{self.hdfs.datanode}/webhdfs/v1/x?op=MKDIRS&user.name=alice")
        self.assert_remote_exception(r, 400, "IllegalArgumentException", "java.lang.IllegalArgumentException",
                                     "Invalid operation MKDIRS")
        self.assertEqual(r.headers["content-type"], "application/json; charset=utf-8")
        self.assertEqual(r.headers["connection"], "close")


class Permissions(WebHdfsTestCase):
    def setUp(self):
        super().setUp()
        curl_i("-X", "PUT", self.url("/home/alice", "MKDIRS", permission="755"))
        self.create("/home/alice/f", b"alice's")

    def denied(self, user, access, inode, owner_group_mode):
        return remote_exception("AccessControlException", "org.apache.hadoop.security.AccessControlException",
                                f'Permission denied: user={user}, access={access}, inode="{inode}":{owner_group_mode}')

    def test_writes_into_another_users_directory(self):
        [r] = curl_i("-X", "PUT", self.url("/home/alice/sub", "MKDIRS", user="bob"))
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json(), self.denied("bob", "WRITE", "/home/alice", "alice:supergroup:drwxr-xr-x"))

        [redirect] = curl_i("-X", "PUT", self.url("/home/alice/g", "CREATE", user="bob"))
        self.assertEqual(redirect.status, 307, "CREATE is checked at the data node")
        answers = curl_i("-X", "PUT", "-T", self.local_file("g", b"bob's"), redirect.headers["location"])
        self.assertEqual([a.status for a in answers], [100, 403])
        self.assertEqual(answers[-1].json(), self.denied("bob", "WRITE", "/home/alice", "alice:supergroup:drwxr-xr-x"))
        self.assertFalse(self.hdfs.exists("/home/alice/g"))

        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("g", b"bob's"),
                         self.url("/home/alice/f", "APPEND", user="bob"))
        self.assertEqual(answers[-1].json(),
                         self.denied("bob", "WRITE", "/home/alice/f", "alice:supergroup:-rw-r--r--"))
        self.assertEqual(self.hdfs.read("/home/alice/f"), b"alice's")

        [r] = curl_i("-X", "PUT", self.url("/home/alice/f", "RENAME", user="bob", destination="/stolen"))
        self.assertEqual(r.json(), self.denied("bob", "WRITE", "/home/alice", "alice:supergroup:drwxr-xr-x"))
        [r] = curl_i("-X", "DELETE", self.url("/home/alice/f", "DELETE", user="bob"))
        self.assertEqual(r.json(), self.denied("bob", "WRITE", "/home/alice", "alice:supergroup:drwxr-xr-x"))
        [r] = curl_i("-X", "DELETE", self.url("/home/alice/f", "DELETE", user=None))
        self.assertEqual(r.json(), self.denied("dr.who", "WRITE", "/home/alice", "alice:supergroup:drwxr-xr-x"),
                         "without user.name the request is the static web user")

        self.assertEqual(self.create("/home/alice/h", b"hdfs's", user="hdfs").status, 201, "the superuser may")
        self.assertEqual(self.status_of("/home/alice/h")["owner"], "hdfs")

    def test_traverse_and_read(self):
        [r] = curl_i("-X", "PUT", self.url("/home/alice", "SETPERMISSION", permission="700"))
        self.assertEqual((r.status, r.body), (200, b""))
        [r] = curl_i(self.url("/home/alice/f", "GETFILESTATUS", user="bob"))
        self.assertEqual(r.json(), self.denied("bob", "EXECUTE", "/home/alice", "alice:supergroup:drwx------"))
        [r] = curl_i("-X", "PUT", self.url("/home/alice", "SETPERMISSION", user="bob", permission="777"))
        self.assert_remote_exception(r, 403, "AccessControlException",
                                     "org.apache.hadoop.security.AccessControlException",
                                     "Permission denied. user=bob is not the owner of inode=/home/alice")
        curl_i("-X", "PUT", self.url("/home/alice", "SETPERMISSION", permission="755"))
        curl_i("-X", "PUT", self.url("/home/alice/f", "SETPERMISSION", permission="600"))
        answers = curl_i("-L", self.url("/home/alice/f", "OPEN", user="bob"))
        self.assertEqual(answers[-1].json(), self.denied("bob", "READ", "/home/alice/f", "alice:supergroup:-rw-------"))


class Authentication(WebHdfsTestCase):
    server_args = {"require_user": "alice"}

    def test_simple_auth_without_anonymous(self):
        [r] = curl_i("-X", "PUT", self.url("/x", "MKDIRS", user=None))
        self.assertEqual((r.status, r.headers["www-authenticate"]), (401, "PseudoAuth"))
        self.assertTrue(r.headers["content-type"].startswith("text/html"), "Jetty's error page, not JSON")
        self.assertIn(b"Authentication required", r.body)
        [r] = curl_i("-X", "PUT", self.url("/x", "MKDIRS", user="bob"))
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["RemoteException"]["exception"], "SecurityException")
        self.assertTrue(r.json()["RemoteException"]["message"].startswith("Failed to obtain user group information:"))
        self.assertEqual(self.create("/x/f", b"ok").status, 201, "the right user goes through both steps")
        dn_url = f"http://{self.hdfs.datanode}/webhdfs/v1/x/g?op=CREATE&namenoderpcaddress=127.0.0.1:8020"
        answers = curl_i("-X", "PUT", "-T", self.local_file("g", b"g"), dn_url)
        self.assertEqual(answers[-1].status, 403, "the data node turns away dr.who too")

    def test_delegation_tokens(self):
        self.hdfs.configure(require_user=None, require_delegation="TOKEN123", delegation_user="svc")
        [r] = curl_i("-X", "PUT", self.url("/t", "MKDIRS", user="alice"))
        self.assertEqual((r.status, r.headers["www-authenticate"]), (401, "Negotiate"),
                         "no token: SPNEGO asks for Kerberos")
        [r] = curl_i("-X", "PUT", self.url("/t", "MKDIRS", user=None, delegation="WRONG"))
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["RemoteException"]["exception"], "SecurityException")
        self.assertIn("InvalidToken", r.json()["RemoteException"]["message"])

        [redirect] = curl_i("-X", "PUT", self.url("/t/f", "CREATE", user=None, delegation="TOKEN123"))
        self.assertIn("&delegation=TOKEN123&namenoderpcaddress=", redirect.headers["location"])
        self.assertNotIn("user.name", redirect.headers["location"])
        answers = curl_i("-X", "PUT", "-T", self.local_file("f", b"f"), redirect.headers["location"])
        self.assertEqual(answers[-1].status, 201)
        self.assertEqual(self.hdfs.status("/t/f")["owner"], "svc", "the token's user owns what it writes")
        stripped = redirect.headers["location"].replace("&delegation=TOKEN123", "")
        answers = curl_i("-X", "PUT", "-T", self.local_file("f", b"f"), stripped)
        self.assertEqual(answers[-1].status, 403)

    def test_configure_over_http(self):
        code, out, err = curl("-X", "POST", "-d", '{"require_user": null}', f"http://{self.hdfs.namenode}/_test/config")
        self.assertEqual(json.loads(out)["require_user"], None, err)
        [r] = curl_i("-X", "PUT", self.url("/anon", "MKDIRS", user=None))
        self.assertEqual(r.status, 200)
        self.assertEqual(self.hdfs.status("/anon")["owner"], "dr.who")


class Faults(WebHdfsTestCase):
    def admin(self, method, name, body=None):
        args = ["-X", method, f"http://{self.hdfs.namenode}/_test/{name}"]
        if body is not None:
            args[0:0] = ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        [r] = curl_i(*args)
        return r

    def test_error_next_n_requests_then_normal(self):
        r = self.admin("POST", "faults", {"node": "namenode", "op": "MKDIRS", "action": "error", "status": 503,
                                          "exception": "RetriableException", "message": "NameNode still starting",
                                          "count": 2, "skip": 1})
        self.assertEqual(r.json(), {"ids": [1]})
        statuses = []
        for _ in range(4):
            [r] = curl_i("-X", "PUT", self.url("/f", "MKDIRS"))
            statuses.append(r.status)
            if r.status == 503:
                self.assertEqual(r.json(), remote_exception("RetriableException",
                                                            "org.apache.hadoop.ipc.RetriableException",
                                                            "NameNode still starting"))
        self.assertEqual(statuses, [200, 503, 503, 200])
        self.assertEqual(self.admin("GET", "faults").json(), {"faults": []})
        self.assertEqual(self.hdfs.stats()["faults_fired"], 2)

    def test_error_status_follows_the_exception_and_raw_bodies(self):
        self.hdfs.faults({"op": "GETFILESTATUS", "action": "error", "exception": "StandbyException",
                          "message": "Operation category READ is not supported in state standby"},
                         {"op": "GETFILESTATUS", "action": "error", "status": 502, "body": "<html>proxy</html>"})
        [r] = curl_i(self.url("/", "GETFILESTATUS"))
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["RemoteException"]["javaClassName"], "org.apache.hadoop.ipc.StandbyException")
        [r] = curl_i(self.url("/", "GETFILESTATUS"))
        self.assertEqual((r.status, r.body, r.headers["content-type"]),
                         (502, b"<html>proxy</html>", "text/html;charset=iso-8859-1"))

    def test_data_node_error_before_and_after_the_data(self):
        self.hdfs.faults({"node": "datanode", "op": "CREATE", "action": "error", "exception": "IOException",
                          "message": "disk full"})
        answers = curl_i("-L", "-X", "PUT", "-T", self.local_file("f", b"data"), self.url("/e/f", "CREATE"))
        self.assertEqual([a.status for a in answers], [307, 403], "a fault 'before' comes before 100 Continue")
        self.assertFalse(self.hdfs.exists("/e/f"))

        self.hdfs.faults({"node": "datanode", "op": "CREATE", "action": "error", "when": "after", "status": 500,
                          "exception": "RuntimeException", "message": "lost the ack"})
        answers = curl_i("-L", "-X", "PUT", "-T", self.local_file("f", b"data"), self.url("/e/f", "CREATE"))
        self.assertEqual([a.status for a in answers], [307, 100, 500])
        self.assertEqual(self.hdfs.read("/e/f"), b"data", "'after': the data is stored, the answer says otherwise")

    def test_delay_triggers_client_timeouts(self):
        self.hdfs.faults({"node": "namenode", "op": "GETFILESTATUS", "action": "delay", "delay_ms": 5000})
        started = time.monotonic()
        code, _, err = curl(self.url("/", "GETFILESTATUS"), timeout_s=1)
        self.assertEqual(code, 28, err)     # curl: operation timed out
        self.assertLess(time.monotonic() - started, 4)
        [r] = curl_i(self.url("/", "GETFILESTATUS"), timeout_s=5)
        self.assertEqual(r.status, 200, "only the next request was delayed")

        self.hdfs.faults({"node": "datanode", "op": "APPEND", "action": "delay", "when": "after", "delay_ms": 300})
        self.create("/slow", b"a")
        started = time.monotonic()
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("b", b"b"), self.url("/slow", "APPEND"))
        self.assertEqual(answers[-1].status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertEqual(self.hdfs.read("/slow"), b"ab")

    def test_drop_the_connection(self):
        self.hdfs.faults({"node": "namenode", "op": "MKDIRS", "action": "drop"})
        code, out, err = curl("-X", "PUT", self.url("/dropped", "MKDIRS"))
        self.assertIn(code, (52, 56), err)  # empty reply / connection reset
        self.assertEqual(out, b"")
        self.assertFalse(self.hdfs.exists("/dropped"))

        data = os.urandom(300000)
        self.hdfs.faults({"node": "datanode", "op": "CREATE", "action": "drop", "when": "mid", "after_bytes": 100000})
        code, out, err = curl("-L", "-X", "PUT", "-T", self.local_file("d", data), self.url("/mid", "CREATE"))
        self.assertNotEqual(code, 0, err)
        self.assertEqual(self.hdfs.read("/mid"), data[:100000], "what arrived before the drop stays, as in HDFS")
        # The name node shows the length once the data node's handler has closed its stream,
        # just after the connection ended.
        wait_until(lambda: self.hdfs.status("/mid")["length"] == 100000, 10, "the broken stream to close")

        self.hdfs.faults({"node": "datanode", "op": "APPEND", "action": "drop", "when": "after"})
        code, _, err = curl("-L", "-X", "POST", "-T", self.local_file("x", b"x"), self.url("/mid", "APPEND"))
        self.assertNotEqual(code, 0, err)
        self.assertEqual(self.hdfs.read("/mid"), data[:100000] + b"x", "'after': appended, then no answer")

    def test_hang_after_accepting_the_data(self):
        self.hdfs.faults({"node": "datanode", "op": "CREATE", "action": "hang", "when": "after", "hang_ms": 60000})
        code, _, err = curl("-L", "-X", "PUT", "-T", self.local_file("h", b"accepted"), self.url("/hang", "CREATE"),
                            timeout_s=2)
        self.assertEqual(code, 28, err)
        self.assertEqual(self.hdfs.read("/hang"), b"accepted")
        wait_until(lambda: self.hdfs.stats()["datanode"]["requests"] >= 1, 10, "the hung request to end")
        [entry] = [e for e in self.hdfs.log() if e["node"] == "datanode"]
        self.assertEqual((entry["note"], entry["status"]), ("hung", None))

    def test_lease_held_while_an_upload_hangs(self):
        self.hdfs.faults({"node": "datanode", "op": "CREATE", "action": "hang", "when": "mid", "after_bytes": 10,
                          "hang_ms": 30000})
        uploader = subprocess.Popen(["curl", "-sS", "--max-time", "40", "-L", "-X", "PUT", "-T",
                                     self.local_file("u", b"0123456789abcdef"), self.url("/lease", "CREATE")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (uploader.poll() is None and uploader.kill(), uploader.wait(timeout=10)))
        wait_until(lambda: self.hdfs.exists("/lease") and os.path.getsize(self.hdfs.local_path("/lease")) == 10, 20,
                   "10 bytes stored")
        self.assertEqual(self.hdfs.status("/lease")["length"], 0, "HDFS shows the length when the stream closes")
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("a", b"more"), self.url("/lease", "APPEND"))
        self.assertEqual(answers[-1].status, 403)
        message = answers[-1].json()["RemoteException"]["message"]
        self.assertEqual(answers[-1].json()["RemoteException"]["exception"], "AlreadyBeingCreatedException")
        self.assertRegex(message, r"^Failed to APPEND_FILE /lease for DFSClient_NONMAPREDUCE_\d+_1 on 127\.0\.0\.1 "
                                  r"because this file lease is currently owned by DFSClient_NONMAPREDUCE_\d+_1 on "
                                  r"127\.0\.0\.1$")
        uploader.terminate()
        uploader.wait(timeout=10)
        wait_until(lambda: self.hdfs.status("/lease")["length"] == 10, 10, "the stream to close when the client left")
        answers = curl_i("-L", "-X", "POST", "-T", self.local_file("a", b"more"), self.url("/lease", "APPEND"))
        self.assertEqual(answers[-1].status, 200)
        self.assertEqual(self.hdfs.read("/lease"), b"0123456789more")

    def test_admin_endpoints(self):
        r = self.admin("POST", "faults", {"faults": [{"action": "delay", "delay_ms": 1}, {"action": "drop"}]})
        self.assertEqual(r.json(), {"ids": [1, 2]})
        self.assertEqual([f["action"] for f in self.admin("GET", "faults").json()["faults"]], ["delay", "drop"])
        self.assertEqual(self.admin("DELETE", "faults").json(), {"cleared": 2})
        r = self.admin("POST", "faults", {"action": "explode"})
        self.assertEqual(r.status, 400)
        r = self.admin("POST", "faults", {"action": "error", "colour": "red"})
        self.assertEqual((r.status, r.json()), (400, {"error": "unknown fault fields: ['colour']"}))

        self.create("/st/f", b"12345")
        stats = self.admin("GET", "stats").json()
        self.assertEqual(stats["namenode"]["ops"]["CREATE"], 1)
        self.assertEqual(stats["namenode"]["status"]["307"], 1)
        self.assertEqual(stats["datanode"]["ops"]["CREATE"], 1)
        self.assertEqual(stats["datanode"]["bytes_written"], 5)
        self.assertEqual(stats["datanode"]["continues_sent"], 1)
        log = self.admin("GET", "log").json()["requests"]
        self.assertEqual([(e["node"], e["method"], e["op"], e["status"]) for e in log if e["node"] != "admin"],
                         [("namenode", "PUT", "CREATE", 307), ("datanode", "PUT", "CREATE", 201)])
        self.assertEqual(self.admin("POST", "reset").json(), {"reset": True})
        self.assertEqual(self.hdfs.stats()["namenode"]["requests"], 0)


class HttpMechanics(WebHdfsTestCase):
    def dn_create_url(self, path):
        return (f"/webhdfs/v1{path}?op=CREATE&user.name=alice&namenoderpcaddress=127.0.0.1:8020"
                "&createflag=&createparent=true&overwrite=false")

    def test_chunked_uploads(self):
        data = os.urandom(200000)
        answers = curl_i("-L", "-X", "PUT", "-H", "Transfer-Encoding: chunked", "-T", self.local_file("c", data),
                         self.url("/chunked/curl", "CREATE"))
        self.assertEqual(answers[-1].status, 201)
        self.assertEqual(self.hdfs.read("/chunked/curl"), data)

        # By hand: chunk extensions, a trailer, no Expect; the data node sends 100 Continue anyway.
        body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
        request = (f"PUT {self.dn_create_url('/chunked/raw')} HTTP/1.1\r\nHost: x\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n").encode() + body
        reply = raw_exchange(self.hdfs.datanode, request)
        self.assertTrue(reply.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"), reply)
        self.assertEqual(self.hdfs.read("/chunked/raw"), b"hello world")

        request = (f"PUT {self.dn_create_url('/chunked/bad')} HTTP/1.1\r\nHost: x\r\n"
                   "Transfer-Encoding: chunked\r\n\r\nzz\r\n").encode()
        reply = raw_exchange(self.hdfs.datanode, request)
        self.assertIn(b"HTTP/1.1 400 ", reply)

    def test_expect_100_continue(self):
        request = (f"PUT {self.dn_create_url('/expect')} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                   "Expect: 100-continue\r\n\r\n").encode()
        host, port = self.hdfs.datanode.split(":")
        with socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT_S) as s:
            s.sendall(request)
            self.assertEqual(s.recv(100), b"HTTP/1.1 100 Continue\r\n\r\n", "100 before any body byte")
            s.sendall(b"abcd")
            reply = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 201 Created\r\n"), reply)
        self.assertEqual(self.hdfs.read("/expect"), b"abcd")

        # The name node does not read the body, so it sends no 100 and closes after its answer.
        request = ("PUT /webhdfs/v1/expect2?op=CREATE&user.name=alice HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n").encode()
        reply = raw_exchange(self.hdfs.namenode, request)
        self.assertTrue(reply.startswith(b"HTTP/1.1 307 Temporary Redirect\r\n"), reply)
        self.assertIn(b"\r\nConnection: close\r\n", reply)

    def test_keep_alive_on_the_name_node(self):
        before = self.hdfs.stats()["namenode"]["connections"]
        host, port = self.hdfs.namenode.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=SOCKET_TIMEOUT_S)
        try:
            answers = []
            for method, path, op, body in [("PUT", "/ka/d", "MKDIRS", None), ("GET", "/ka/d", "GETFILESTATUS", None),
                                           ("PUT", "/ka/d", "MKDIRS", b"a body the name node ignores"),
                                           ("GET", "/ka/missing", "GETFILESTATUS", None),
                                           ("GET", "/ka", "LISTSTATUS", None),
                                           ("PUT", "/ka/f", "CREATE", None),
                                           ("DELETE", "/ka/d", "DELETE", None)]:
                conn.request(method, f"/webhdfs/v1{path}?op={op}&user.name=alice", body=body)
                response = conn.getresponse()
                answers.append((response.status, response.read()))
                self.assertNotEqual(response.getheader("Connection"), "close")
        finally:
            conn.close()
        self.assertEqual([a[0] for a in answers], [200, 200, 200, 404, 200, 307, 200])
        self.assertEqual(self.hdfs.stats()["namenode"]["connections"] - before, 1, "one connection for all")

        conn = http.client.HTTPConnection(*self.hdfs.datanode.split(":"), timeout=SOCKET_TIMEOUT_S)
        try:
            conn.request("PUT", self.dn_create_url("/ka/dn"), body=b"x")
            response = conn.getresponse()
            response.read()
            self.assertEqual((response.status, response.getheader("Connection")), (201, "close"),
                             "the data node closes after every answer, as Netty's HdfsWriter does")
        finally:
            conn.close()

    def test_http_1_0_gets_content_length(self):
        reply = raw_exchange(self.hdfs.namenode, b"GET /webhdfs/v1/?op=GETFILESTATUS HTTP/1.0\r\n\r\n")
        head, _, body = reply.partition(b"\r\n\r\n")
        self.assertIn(b"\r\nContent-Length: ", head)
        self.assertNotIn(b"chunked", head)
        self.assertEqual(json.loads(body)["FileStatus"]["type"], "DIRECTORY")


class PythonApi(unittest.TestCase):
    def test_context_manager(self):
        with WebHdfsServer(require_user="svc") as hdfs:
            root = hdfs.root
            self.assertTrue(re.fullmatch(r"127\.0\.0\.1:\d+", hdfs.namenode))
            self.assertNotEqual(hdfs.namenode_port, hdfs.datanode_port)
            self.assertEqual(hdfs.url("/a b", "OPEN", **{"user.name": "svc"}),
                             f"http://{hdfs.namenode}/webhdfs/v1/a%20b?op=OPEN&user.name=svc")
            [ident] = hdfs.faults({"action": "delay", "delay_ms": 1})
            self.assertEqual([f["id"] for f in hdfs.armed_faults()], [ident])
            self.assertEqual(hdfs.clear_faults(), 1)
            self.assertFalse(hdfs.exists("/nothing"))
            self.assertIsNone(hdfs.status("/nothing"))
            # A request still hanging does not hold up stop().
            hdfs.faults({"action": "hang", "hang_ms": 60000})
            hung = threading.Thread(target=curl, args=(hdfs.url("/", "GETFILESTATUS"),), kwargs={"timeout_s": 30})
            hung.start()
            wait_until(lambda: hdfs.stats()["faults_fired"] >= 1, 10, "the hang to start")
            started = time.monotonic()
            hdfs.stop()
            self.assertLess(time.monotonic() - started, 5)
            hung.join(timeout=30)
            self.assertFalse(hung.is_alive())
        self.assertFalse(os.path.exists(root), "a temporary root is removed with the server")


if __name__ == "__main__":
    unittest.main()
