#include "bench/cli/text_event_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "bench/cli/net.h"

namespace sluice::bench {
namespace {

namespace fs = std::filesystem;

// Cuts decoded bytes into lines; a line split across chunks is carried over.
class LineSplitter {
 public:
  explicit LineSplitter(const std::function<void(std::string_view)>& on_line) : on_line_(on_line) {}

  void feed(std::string_view bytes) {
    while (!bytes.empty()) {
      const size_t newline = bytes.find('\n');
      std::string_view piece = bytes.substr(0, newline);
      if (newline != std::string_view::npos && carry_.empty()) {
        emit(piece);
      } else {
        const size_t room = kLineBytesMax - carry_.size();
        carry_.append(piece.substr(0, room));
        if (piece.size() >= room) {
          // Too long for one line: handed on as it is, the rest follows as the next piece.
          flush();
          bytes.remove_prefix(room);
          continue;
        }
        if (newline != std::string_view::npos) flush();
      }
      if (newline == std::string_view::npos) return;
      bytes.remove_prefix(newline + 1);
    }
  }

  // The last line, if the data did not end in '\n'.
  void finish() {
    if (!carry_.empty()) flush();
  }

  uint64_t lines() const { return lines_; }

 private:
  void emit(std::string_view line) {
    ++lines_;
    on_line_(line);
  }
  void flush() {
    emit(carry_);
    carry_.clear();
  }

  const std::function<void(std::string_view)>& on_line_;
  std::string carry_;
  uint64_t lines_ = 0;
};

// One decoder per encoding: takes raw chunks, hands decoded bytes to the splitter.
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual Status feed(std::string_view raw, LineSplitter& lines) = 0;
  // At the end of the file: true when a compressed stream was cut off.
  virtual bool truncated() const = 0;
};

class PlainDecoder final : public Decoder {
 public:
  Status feed(std::string_view raw, LineSplitter& lines) override {
    lines.feed(raw);
    return {};
  }
  bool truncated() const override { return false; }
};

class GzipDecoder final : public Decoder {
 public:
  GzipDecoder() : out_(kReadChunkBytes, '\0') {
    // 15 + 16: gzip wrapping only, the largest window.
    ok_ = inflateInit2(&stream_, 15 + 16) == Z_OK;
  }
  ~GzipDecoder() override { inflateEnd(&stream_); }

  Status feed(std::string_view raw, LineSplitter& lines) override {
    if (!ok_) return make_error("zlib could not be initialised");
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    stream_.avail_in = static_cast<uInt>(raw.size());
    while (stream_.avail_in > 0) {
      if (member_done_) {
        // Another member follows: a new gzip stream in the same file.
        if (inflateReset(&stream_) != Z_OK) return make_error("zlib could not be reset");
        member_done_ = false;
      }
      stream_.next_out = reinterpret_cast<Bytef*>(out_.data());
      stream_.avail_out = static_cast<uInt>(out_.size());
      const int rc = inflate(&stream_, Z_NO_FLUSH);
      lines.feed(std::string_view(out_.data(), out_.size() - stream_.avail_out));
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        continue;
      }
      if (rc == Z_BUF_ERROR) break;  // no progress possible without more input
      if (rc != Z_OK) return make_error(fmt::format("corrupt gzip data: {}", stream_.msg ? stream_.msg : zError(rc)));
    }
    started_ = true;
    return {};
  }
  bool truncated() const override { return started_ && !member_done_; }

 private:
  z_stream stream_{};
  std::string out_;
  bool ok_ = false;
  bool started_ = false;
  bool member_done_ = false;
};

class ZstdDecoder final : public Decoder {
 public:
  ZstdDecoder() : context_(ZSTD_createDCtx()), out_(ZSTD_DStreamOutSize(), '\0') {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(context_); }

  Status feed(std::string_view raw, LineSplitter& lines) override {
    if (!context_) return make_error("zstd could not be initialised");
    ZSTD_inBuffer in{raw.data(), raw.size(), 0};
    // Until the input is used up and the output no longer fills: zstd may hold decoded bytes.
    while (in.pos < in.size || output_full_) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const size_t rc = ZSTD_decompressStream(context_, &out, &in);
      if (ZSTD_isError(rc)) return make_error(fmt::format("corrupt zstd data: {}", ZSTD_getErrorName(rc)));
      lines.feed(std::string_view(out_.data(), out.pos));
      output_full_ = out.pos == out.size;
      frame_done_ = rc == 0;
    }
    return {};
  }
  bool truncated() const override { return !frame_done_; }

 private:
  ZSTD_DCtx* context_;
  std::string out_;
  bool output_full_ = false;
  bool frame_done_ = false;
};

TextEncoding sniff(std::string_view first_bytes) {
  if (first_bytes.starts_with("\x1f\x8b")) return TextEncoding::gzip;
  if (first_bytes.starts_with("\x28\xb5\x2f\xfd")) return TextEncoding::zstd;
  return TextEncoding::plain;
}

std::unique_ptr<Decoder> make_decoder(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::gzip: return std::make_unique<GzipDecoder>();
    case TextEncoding::zstd: return std::make_unique<ZstdDecoder>();
    case TextEncoding::plain: break;
  }
  return std::make_unique<PlainDecoder>();
}

Status list_directory(const fs::path& directory, bool include_in_use, std::vector<std::string>& out) {
  std::error_code ec;
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(directory, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (!include_in_use && name.ends_with(".tmp")) continue;
    found.push_back(it->path().string());
  }
  if (ec) return make_error(fmt::format("cannot list {}: {}", directory.string(), ec.message()));
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return {};
}

}  // namespace

std::string_view text_encoding_name(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::plain: return "plain";
    case TextEncoding::gzip: return "gzip";
    case TextEncoding::zstd: return "zstd";
  }
  return "";
}

Result<std::vector<std::string>> list_text_inputs(std::span<const std::string> paths, bool include_in_use) {
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status))
      return make_error(fmt::format("cannot read {}: {}", path, ec ? ec.message() : "no such file or directory"));
    if (fs::is_directory(status)) {
      if (Status listed = list_directory(path, include_in_use, out); !listed) return make_error(listed.message());
    } else {
      out.push_back(path);  // named explicitly: read even when it ends in .tmp
    }
  }
  return out;
}

Result<TextFileResult> read_text_events(const std::string& path, const std::function<void(std::string_view)>& on_line) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return make_error(fmt::format("cannot open {}: {}", path, errno_text(errno)));
  std::string raw(kReadChunkBytes, '\0');
  LineSplitter lines(on_line);
  std::unique_ptr<Decoder> decoder;
  TextFileResult result;
  while (true) {
    const ssize_t n = ::read(fd.get(), raw.data(), raw.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(fmt::format("cannot read {}: {}", path, errno_text(errno)));
    if (n == 0) break;
    std::string_view chunk(raw.data(), static_cast<size_t>(n));
    if (!decoder) {
      // A magic number cut by a short first read is practically impossible for regular files.
      result.encoding = sniff(chunk);
      decoder = make_decoder(result.encoding);
    }
    if (Status fed = decoder->feed(chunk, lines); !fed) return make_error(fmt::format("{}: {}", path, fed.message()));
  }
  lines.finish();
  result.lines = lines.lines();
  result.truncated = decoder && decoder->truncated();
  return result;
}

}  // namespace sluice::bench
