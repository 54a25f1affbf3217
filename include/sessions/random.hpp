#pragma once
// Where the library's randomness comes from. The default is libcrypto's CSPRNG; tests may inject a
// deterministic source. The injected source is a function pointer plus context, so the default
// path costs one pointer test and no virtual call.

#include <cstddef>
#include <span>

#include "crypto/random_batch.hpp"

namespace sessions {

class RandomSource {
 public:
  using FillFn = void (*)(void* context, std::span<unsigned char> out);

  /// libcrypto's CSPRNG, drawn a batch at a time per thread (crypto/random_batch.hpp).
  RandomSource() noexcept = default;
  /// A caller-provided source (tests). `context` must outlive this object's copies.
  RandomSource(FillFn fill_fn, void* context) noexcept : fill_(fill_fn), context_(context) {}

  void fill(std::span<unsigned char> out) const {
    if (fill_ != nullptr) {
      fill_(context_, out);
    } else {
      crypto::batched_random_bytes(out);
    }
  }

 private:
  FillFn fill_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace sessions
