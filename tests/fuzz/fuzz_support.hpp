#pragma once
// Shared by the libFuzzer targets in this directory (one target per .cpp).
//
// A target states its invariants with FUZZ_CHECK: a violated invariant prints what failed and
// aborts, which libFuzzer reports as a crash and saves the input. Exceptions: each target catches
// exactly the typed errors its API documents for bad input; anything else escapes, reaches
// std::terminate and is a crash too ("nothing else escapes for malformed input").

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sessions/data.hpp>
#include <sessions/signing/python_json.hpp>

namespace sessions_fuzz {

/// The secret key of every keyed target (a fixed key: the fuzzer also builds validly signed or
/// sealed input with it).
inline constexpr std::string_view kSecretKey = "django-insecure-fuzzing-key-0123456789abcdefghijklmnopqrstuvwxyz";

[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line, std::string_view detail) {
  std::fprintf(stderr, "\nFUZZ INVARIANT FAILED: %s\n  at %s:%d\n", condition, file, line);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

/// Text for an invariant message: printable ASCII as is, other bytes as \xNN, at most 300 bytes.
[[nodiscard]] inline std::string shown(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 300; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4U];
      out += kHex[c & 0x0FU];
    }
  }
  if (text.size() > 300) out += "...";
  return out;
}

/// Session data compared as its Python JSON text: nlohmann's operator== says NaN != NaN, and the
/// text is what Django would see anyway.
[[nodiscard]] inline std::string canonical(const sessions::Data& data) {
  return sessions::signing::dump_python_json(data);
}

/// Nesting depth of a value: 0 for a scalar, 1 for a flat array or object.
[[nodiscard]] inline std::size_t depth_of(const sessions::Data& value) {
  if (!value.is_structured()) return 0;
  std::size_t deepest = 0;
  for (const auto& item : value) deepest = std::max(deepest, depth_of(item));
  return deepest + 1;
}

[[nodiscard]] inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace sessions_fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::sessions_fuzz::invariant_failed(#condition, __FILE__, __LINE__, {}))
#define FUZZ_CHECK_MSG(condition, detail) \
  ((condition) ? static_cast<void>(0) : ::sessions_fuzz::invariant_failed(#condition, __FILE__, __LINE__, (detail)))
