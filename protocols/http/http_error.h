// The operating errors of the HTTP source's pure pieces (framing, content decoding, event
// decoding) as one small value: the HTTP status to answer with and a short message that the
// connection returns as {"error":"..."}. Pure types: any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::http {

// Every status the pure pieces produce. The connection adds its own (404, 405, 503).
inline constexpr uint16_t kStatusBadRequest = 400;
inline constexpr uint16_t kStatusPayloadTooLarge = 413;
inline constexpr uint16_t kStatusUnsupportedMediaType = 415;
inline constexpr uint16_t kStatusHeaderFieldsTooLarge = 431;
inline constexpr uint16_t kStatusInternalServerError = 500;
inline constexpr uint16_t kStatusNotImplemented = 501;

struct HttpError {
  uint16_t status = 0;  // 0: no error
  // Short and safe to show to the client. Points to static text or into the object that
  // reported the error; valid until that object's next call.
  std::string_view message;

  bool ok() const { return status == 0; }
  explicit operator bool() const { return status != 0; }  // true when there IS an error
};

}  // namespace sluice::http
