// Avro's binary encoding (the spec's "Binary Encoding" section) for the types Avro IPC and
// Flume's protocol use: null, boolean, int and long (zigzag varints), bytes and string, fixed,
// enum, union index, and arrays and maps written as blocks.
//
// The Reader is meant for bytes from the network: every length and count is checked against
// the bytes left and against the configured limits before anything is used, a varint longer
// than 10 bytes or a negative length is an error, and nothing is ever allocated (strings and
// bytes come back as views into the input). The Writer appends to a caller-owned std::string,
// which grows as needed and is reused across messages by its owner.
//
// Threads: Reader and Writer are plain single-threaded objects; use one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::avro {

// Why a decode failed. The reason strings (errc_reason) are short and static.
enum class errc : uint8_t {
  ok = 0,
  truncated,          // the input ended inside a value
  varint_too_long,    // more than 10 bytes, or bits past 64
  int_out_of_range,   // an Avro int outside int32
  bad_boolean,        // a boolean byte other than 0 or 1
  negative_length,    // a string/bytes length below 0
  length_over_limit,  // a string/bytes length above Limits::length_bytes_max
  items_over_limit,   // an array/map with more items than Limits::items_max
  total_over_limit,   // more items in the whole input than Limits::total_items_max
  bad_block_size,     // a negative block count's byte size is negative, too big or wrong
  bad_union_index,    // a union branch index outside the union
  bad_enum,           // an enum symbol index outside the enum
  bad_value,          // a well-formed value that the schema in use does not allow
  trailing_bytes,     // bytes left after the last value of a message
  key_over_limit,     // a header key longer than the record format stores (kHeaderKeyBytesMax)
};

std::string_view errc_reason(errc code);

// Bounds that a hostile input cannot exceed. The defaults fit Flume's events; callers set
// their own from configuration.
struct Limits {
  // Longest string or bytes value.
  size_t length_bytes_max = size_t{64} << 20;
  // Most items in one array or map, over all of its blocks.
  size_t items_max = size_t{1} << 20;
  // Most array and map items in the whole input (all arrays and maps together).
  size_t total_items_max = size_t{4} << 20;
};

// Reads Avro binary values from a byte span. Every read returns false on failure and leaves
// the reader failed (error() says why; later reads fail too), so a decoder can chain reads and
// check once. Views it returns point into the input.
class Reader {
 public:
  Reader(std::string_view input, const Limits& limits)
      : p_(input.data()), end_(input.data() + input.size()), limits_(limits) {}
  // The views a reader returns point into its input: a temporary string would dangle.
  Reader(std::string&&, const Limits&) = delete;

  bool read_long(int64_t& out);
  bool read_int(int32_t& out);
  bool read_boolean(bool& out);
  // Bytes and string share an encoding; string is not checked for UTF-8 (Java's Avro does not
  // either).
  bool read_bytes(std::string_view& out);
  bool read_string(std::string_view& out) { return read_bytes(out); }
  bool read_fixed(size_t size, std::string_view& out);
  // An enum symbol index in [0, symbol_count).
  bool read_enum(uint32_t symbol_count, uint32_t& out);
  // A union branch index in [0, branch_count).
  bool read_union_index(uint32_t branch_count, uint32_t& out);

  // Arrays and maps: a sequence of blocks, each a count and that many items, ended by a zero
  // count; a negative count -n means n items preceded by the block's size in bytes. For each
  // block call read_block() (with the same Block for every block of one array or map), read
  // `block.count` items, then end_block(). read_block() checks the count against the limits
  // (Block::items_total sums the blocks) and against the bytes left: each item needs at least
  // `item_bytes_min` bytes (1 for any item but null; a map entry needs 1 more for its key).
  // end_block() checks that a block which declared its size used exactly that many bytes.
  struct Block {
    size_t count = 0;           // items in the current block; 0: the array or map has ended
    size_t items_total = 0;     // items in this array or map so far
    const char* end = nullptr;  // where a block with a declared size must end
  };
  bool read_block(size_t item_bytes_min, Block& block);
  bool end_block(const Block& block);

  // Calls item() -> bool for every item of an array; stops at the first false.
  template <typename Item>
  bool read_array(size_t item_bytes_min, Item&& item);
  // Calls entry(std::string_view key) -> bool for every entry of a map (the value follows the
  // key: entry reads it); stops at the first false.
  template <typename Entry>
  bool read_map(size_t value_bytes_min, Entry&& entry);

  // Skips `n` bytes.
  bool skip(size_t n);
  // Fails with trailing_bytes unless the input is used up.
  bool expect_end();

  // Marks the reader failed with `code` (for schema-level checks made by the caller).
  bool fail(errc code);

  bool ok() const { return error_ == errc::ok; }
  errc error() const { return error_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
  Limits limits_;
  size_t total_items_ = 0;
  errc error_ = errc::ok;
};

// Appends Avro binary values to `out`.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void write_long(int64_t value);
  void write_int(int32_t value) { write_long(value); }
  void write_boolean(bool value) { out_.push_back(value ? '\1' : '\0'); }
  void write_bytes(std::string_view value);
  void write_string(std::string_view value) { write_bytes(value); }
  void write_fixed(std::string_view value) { out_.append(value); }
  void write_enum(uint32_t index) { write_long(index); }
  void write_union_index(uint32_t index) { write_long(index); }
  // One block of `count` items (count > 0); the items follow. End with write_end_of_blocks().
  void write_block_count(size_t count) { write_long(static_cast<int64_t>(count)); }
  void write_end_of_blocks() { out_.push_back('\0'); }

  std::string& out() { return out_; }

 private:
  std::string& out_;
};

// Zigzag varint helpers shared by the encoders. Returns the bytes written (1..10) at `out`.
size_t encode_long(int64_t value, char* out);

template <typename Item>
bool Reader::read_array(size_t item_bytes_min, Item&& item) {
  Block block;
  while (read_block(item_bytes_min, block) && block.count > 0) {
    for (size_t i = 0; i < block.count; ++i)
      if (!item()) return false;
    if (!end_block(block)) return false;
  }
  return ok();
}

template <typename Entry>
bool Reader::read_map(size_t value_bytes_min, Entry&& entry) {
  Block block;
  while (read_block(1 + value_bytes_min, block) && block.count > 0) {
    for (size_t i = 0; i < block.count; ++i) {
      std::string_view key;
      if (!read_string(key) || !entry(key)) return false;
    }
    if (!end_block(block)) return false;
  }
  return ok();
}

}  // namespace sluice::avro
