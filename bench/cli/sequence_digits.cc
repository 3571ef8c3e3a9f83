#include "bench/cli/sequence_digits.h"

#include "base/assert.h"

namespace sluice::bench {

bool add_decimal(std::span<char> digits, uint64_t n) {
  size_t i = digits.size();
  unsigned carry = 0;
  while (i > 0 && (n != 0 || carry != 0)) {
    --i;
    SLUICE_ASSERT(digits[i] >= '0' && digits[i] <= '9', "add_decimal on a non-digit");
    unsigned d = static_cast<unsigned>(digits[i] - '0') + static_cast<unsigned>(n % 10) + carry;
    n /= 10;
    carry = d >= 10 ? 1 : 0;
    digits[i] = static_cast<char>('0' + d - 10 * carry);
  }
  return n == 0 && carry == 0;
}

void write_decimal(std::span<char> digits, uint64_t value) {
  for (size_t i = digits.size(); i > 0; --i) {
    digits[i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  SLUICE_ASSERT(value == 0, "write_decimal: the value is wider than its field");
}

}  // namespace sluice::bench
