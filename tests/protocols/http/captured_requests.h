// Request bytes captured from real clients on loopback (a Python socket server recorded what
// each sent), for the HTTP tests. Regenerate the same way if a client changes.
#pragma once

#include <string_view>

namespace sluice::http::testing {

using namespace std::string_view_literals;

// curl 7.88.1: curl -s -X POST -H 'Content-Type: application/json' --data-binary @small.json URL
inline constexpr std::string_view kCurlJson =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18931\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 79\r\n"
    "\r\n"
    "[{\"headers\": {\"host\": \"web-01\", \"app\": \"checkout\"}, \"body\": \"hello \\\"world\\"
    "\"\"}]"sv;

// curl 7.88.1: ... -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @big.json.gz (gzip -9n
// of kBigJson)
inline constexpr std::string_view kCurlGzip =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18931\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Content-Encoding: gzip\r\n"
    "Content-Length: 205\r\n"
    "\r\n"
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xe5\xd0K\n"
    "\xc2"
    "0\x10\x80\xe1\xab\x84\xac\xb5L\xd2'\x85\x9e"
    "D\\\xa4\xedH\xc5\xd6\xc4"
    "d\xa2\x14\xf1\xee"
    "6\x17\xd0M@0Y\r?3\x8b|\x87'\x9fP\x8dh\x1do\xd9"
    "6kG\xdb\xc0\x1f\xd8\xef\x01\xf8\x8eqeL\x08\xc3"
    "\x84\xc3"
    "E{\n"
    "i\xc6;\xce!\x9e\xaf'\x1d\x02Y5`\x08\xf0\xe5\xf1\xd7\xb6\xdd\xebq\r\xcb\x16o\x1e\x1d\xb1"
    "A/"
    "fF\xc2\x91"
    "9R\xe4]'\x01X\xbf\x12\xbaN\x94\xb9"
    "d\xde"
    "8\xb2\xa8\x96N@\x06Y\x91\x89\xbam\xa0"
    "\x01\xf6\xeb\xfb\xf0\x99\x0fz\"\xb6\x9eHIO\xc6\xd6\x93)\xe9\xe5\xb1\xf5\xf2\x94\xf4\x8a\xd8"
    "zEJzel\xbd"
    "2%\xbd*\xb6^\x95\x92^\x1d[\xaf\xfe"
    "3\xbd\xe3\x1b\x86\xb4\x86"
    "0\xf0\x09\x00\x00"sv;

// curl 7.88.1: ... -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @small.json
inline constexpr std::string_view kCurlChunked =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18931\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "4f\r\n"
    "[{\"headers\": {\"host\": \"web-01\", \"app\": \"checkout\"}, \"body\": \"hello \\\"world\\"
    "\"\"}]\r\n"
    "0\r\n"
    "\r\n"sv;

// curl 7.88.1: curl -s -d @small.json URL (no -H: curl says form-urlencoded)
inline constexpr std::string_view kCurlFormDefault =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18931\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Length: 79\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "\r\n"
    "[{\"headers\": {\"host\": \"web-01\", \"app\": \"checkout\"}, \"body\": \"hello \\\"world\\"
    "\"\"}]"sv;

// The JSON that kCurlGzip carries compressed: 8 events, 4 headers each.
inline constexpr std::string_view kBigJson =
    "[{\"headers\": {\"host\": \"web-00\", \"app\": \"checkout\", \"level\": \"info\", \"trace\""
    ": \"00000000000000000000000000000000\"}, \"body\": \"request completed status=200 bytes=153"
    "2 upstream=10.0.4.17:8080 request completed status=200 bytes=1532 upstream=10.0.4.17:8080 r"
    "equest completed status=200 bytes=1532 upstream=10.0.4.17:8080 \"}, {\"headers\": {\"host\""
    ": \"web-01\", \"app\": \"checkout\", \"level\": \"info\", \"trace\": \"00000000000000000000"
    "000000000001\"}, \"body\": \"request completed status=200 bytes=1532 upstream=10.0.4.17:808"
    "0 request completed status=200 bytes=1532 upstream=10.0.4.17:8080 request completed status="
    "200 bytes=1532 upstream=10.0.4.17:8080 \"}, {\"headers\": {\"host\": \"web-02\", \"app\": \""
    "checkout\", \"level\": \"info\", \"trace\": \"00000000000000000000000000000002\"}, \"body\""
    ": \"request completed status=200 bytes=1532 upstream=10.0.4.17:8080 request completed statu"
    "s=200 bytes=1532 upstream=10.0.4.17:8080 request completed status=200 bytes=1532 upstream=1"
    "0.0.4.17:8080 \"}, {\"headers\": {\"host\": \"web-03\", \"app\": \"checkout\", \"level\": \""
    "info\", \"trace\": \"00000000000000000000000000000003\"}, \"body\": \"request completed sta"
    "tus=200 bytes=1532 upstream=10.0.4.17:8080 request completed status=200 bytes=1532 upstream"
    "=10.0.4.17:8080 request completed status=200 bytes=1532 upstream=10.0.4.17:8080 \"}, {\"hea"
    "ders\": {\"host\": \"web-04\", \"app\": \"checkout\", \"level\": \"info\", \"trace\": \"000"
    "00000000000000000000000000004\"}, \"body\": \"request completed status=200 bytes=1532 upstr"
    "eam=10.0.4.17:8080 request completed status=200 bytes=1532 upstream=10.0.4.17:8080 request "
    "completed status=200 bytes=1532 upstream=10.0.4.17:8080 \"}, {\"headers\": {\"host\": \"web"
    "-05\", \"app\": \"checkout\", \"level\": \"info\", \"trace\": \"000000000000000000000000000"
    "00005\"}, \"body\": \"request completed status=200 bytes=1532 upstream=10.0.4.17:8080 reque"
    "st completed status=200 bytes=1532 upstream=10.0.4.17:8080 request completed status=200 byt"
    "es=1532 upstream=10.0.4.17:8080 \"}, {\"headers\": {\"host\": \"web-06\", \"app\": \"checko"
    "ut\", \"level\": \"info\", \"trace\": \"00000000000000000000000000000006\"}, \"body\": \"re"
    "quest completed status=200 bytes=1532 upstream=10.0.4.17:8080 request completed status=200 "
    "bytes=1532 upstream=10.0.4.17:8080 request completed status=200 bytes=1532 upstream=10.0.4."
    "17:8080 \"}, {\"headers\": {\"host\": \"web-07\", \"app\": \"checkout\", \"level\": \"info\""
    ", \"trace\": \"00000000000000000000000000000007\"}, \"body\": \"request completed status=20"
    "0 bytes=1532 upstream=10.0.4.17:8080 request completed status=200 bytes=1532 upstream=10.0."
    "4.17:8080 request completed status=200 bytes=1532 upstream=10.0.4.17:8080 \"}]"sv;

// curl 7.88.1 with a 1488000-byte body (> 1 MiB): it sends Expect: 100-continue and waits.
inline constexpr std::string_view kCurlExpectHead =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18932\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 1488000\r\n"
    "Expect: 100-continue\r\n"
    "\r\n"sv;

// wrk 4.1.0 -s post.lua (wrk.method = "POST", a JSON body, Content-Type set): one request;
// wrk pipelines nothing but sends them back to back.
inline constexpr std::string_view kWrkPost =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18932\r\n"
    "Content-Length: 46\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "[{\"headers\":{\"host\":\"web-01\"},\"body\":\"hello\"}]"sv;

}  // namespace sluice::http::testing
