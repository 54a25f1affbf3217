// Fuzz target: JsonSerializer::loads (serializer/json.hpp), the default serializer of the
// server-side stores, reading bytes from a store (which a corrupted record or a shared cache can
// fill with anything).
//
// Invariants:
//   - loads returns a JSON object or throws DecodeError, nothing else;
//   - the object nests no deeper than JsonSerializer::max_depth;
//   - the serializer is canonical, as it claims: y = dumps(loads(x)) loads back to equal data,
//     and dumps(loads(y)) == y byte for byte.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include <sessions/errors.hpp>
#include <sessions/serializer/json.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const sessions::JsonSerializer serializer;
  sessions::Data data;
  try {
    data = serializer.loads(sessions_fuzz::as_text(bytes, size));
  } catch (const sessions::DecodeError&) {
    return 0;
  }
  FUZZ_CHECK(data.is_object());
  FUZZ_CHECK(sessions_fuzz::depth_of(data) <= sessions::JsonSerializer::max_depth);

  std::string dumped;
  try {
    dumped = serializer.dumps(data);
  } catch (const sessions::EncodeError&) {
    FUZZ_CHECK_MSG(false, "loaded data cannot be written back");
  }
  const sessions::Data again = serializer.loads(dumped);
  FUZZ_CHECK_MSG(again == data, sessions_fuzz::shown(dumped));
  static_assert(sessions::JsonSerializer::canonical);
  FUZZ_CHECK_MSG(serializer.dumps(again) == dumped, sessions_fuzz::shown(dumped));
  return 0;
}
