// Fuzz target: the Python-compatible JSON reader and writer (signing/python_json.hpp), the
// serializer inside every Django-signed format.
//
// Input: JSON text, then one byte of options: bits 0-1 the non-ASCII mode (reject, latin1, utf8,
// reject), bit 7 the default depth limit, else bits 2-5 a small one.
// Invariants:
//   - parse_python_json returns data or throws DecodeError, nothing else;
//   - what it returns, dump_python_json writes (no EncodeError) as ASCII text that parses back to
//     data written identically (dump is a fixed point after one round);
//   - the result nests no deeper than max_depth;
//   - on pure-ASCII input the three non-ASCII modes agree, and `reject` refuses exactly the
//     inputs with a byte >= 0x80 inside a string (elsewhere such a byte is a syntax error anyway).

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sessions/errors.hpp>
#include <sessions/signing/python_json.hpp>

#include "fuzz_support.hpp"

namespace {

namespace signing = sessions::signing;

std::optional<sessions::Data> try_parse(std::string_view text, const signing::PythonJsonReadOptions& options) {
  try {
    return signing::parse_python_json(text, options);
  } catch (const sessions::DecodeError&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  const auto choice = input.ConsumeIntegral<std::uint8_t>();
  signing::PythonJsonReadOptions options;
  options.non_ascii = static_cast<signing::NonAsciiInput>((choice & 3U) % 3U);  // bits 0-1
  // Small depth limits reach the limit with short inputs; the default one is tried too.
  options.max_depth = (choice & 0x80U) != 0 ? signing::python_json_default_max_depth : (choice >> 2U) % 16;
  const std::string text = input.ConsumeRemainingBytesAsString();

  const std::optional<sessions::Data> parsed = try_parse(text, options);
  if (parsed) {
    FUZZ_CHECK(sessions_fuzz::depth_of(*parsed) <= options.max_depth);
    std::string dumped;
    try {
      dumped = signing::dump_python_json(*parsed, options.max_depth);
    } catch (const sessions::EncodeError&) {
      FUZZ_CHECK_MSG(false, "parsed data cannot be written back: " + sessions_fuzz::shown(text));
    }
    FUZZ_CHECK(std::all_of(dumped.begin(), dumped.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
    signing::PythonJsonReadOptions strict;
    strict.max_depth = options.max_depth;
    const std::optional<sessions::Data> again = try_parse(dumped, strict);
    FUZZ_CHECK_MSG(again.has_value(), sessions_fuzz::shown(dumped));
    FUZZ_CHECK_MSG(signing::dump_python_json(*again, options.max_depth) == dumped, sessions_fuzz::shown(dumped));
  }

  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    for (const auto mode :
         {signing::NonAsciiInput::reject, signing::NonAsciiInput::latin1, signing::NonAsciiInput::utf8}) {
      signing::PythonJsonReadOptions other = options;
      other.non_ascii = mode;
      const std::optional<sessions::Data> result = try_parse(text, other);
      FUZZ_CHECK(result.has_value() == parsed.has_value());
      if (result) FUZZ_CHECK(sessions_fuzz::canonical(*result) == sessions_fuzz::canonical(*parsed));
    }
  } else if (options.non_ascii == signing::NonAsciiInput::reject) {
    FUZZ_CHECK(!parsed.has_value());
  }
  return 0;
}
