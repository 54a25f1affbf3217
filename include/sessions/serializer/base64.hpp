#pragma once
// Base64Serializer<Inner>: another serializer's bytes as URL-safe base64 text (no padding), for
// the stores whose column is text (SqliteStore, PostgresStore: Django's `session_data text`),
// which refuse a binary serializer at compile time. A third larger than the bytes it carries.
//
// Only the canonical base64 that dumps() writes is read back (a string with other characters,
// padding or stray bits is DecodeError), so one record has one text. The inner serializer's
// keyed form, canonical promise and needs_rewrite() pass through.

#include <string>
#include <string_view>
#include <utility>

#include "../concepts.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "../signing/base64.hpp"

namespace sessions {

template <class Inner>
requires Serializer<Inner>
class Base64Serializer {
 public:
  static constexpr bool canonical = CanonicalSerializer<Inner>;

  Base64Serializer() = default;
  explicit Base64Serializer(Inner inner) : inner_(std::move(inner)) {}

  [[nodiscard]] std::string dumps(const Data& data) const requires requirement::serializer_dumps<Inner> {
    return signing::b64_encode(std::string_view(inner_.dumps(data)));
  }
  [[nodiscard]] Data loads(std::string_view text) const requires requirement::serializer_loads<Inner> {
    return inner_.loads(decode(text));
  }

  [[nodiscard]] std::string dumps(const Data& data,
                                  std::string_view session_key) const requires KeyedSerializer<Inner> {
    return signing::b64_encode(std::string_view(inner_.dumps(data, session_key)));
  }
  [[nodiscard]] Data loads(std::string_view text, std::string_view session_key) const requires KeyedSerializer<Inner> {
    return inner_.loads(decode(text), session_key);
  }

  [[nodiscard]] bool needs_rewrite(std::string_view text) const requires requirement::serializer_needs_rewrite<Inner> {
    try {
      return inner_.needs_rewrite(decode(text));
    } catch (const Error&) {
      return true;
    }
  }

  [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

 private:
  static std::string decode(std::string_view text) {
    std::string bytes;
    try {
      bytes = signing::b64_decode(text);
    } catch (const Error&) {
      throw DecodeError("the stored session is not valid base64");
    }
    if (signing::b64_encoded_size(bytes.size()) != text.size() ||
        signing::b64_encode(std::string_view(bytes)) != text) {
      throw DecodeError("the stored session is not canonical base64");
    }
    return bytes;
  }

  [[no_unique_address]] Inner inner_{};
};

}  // namespace sessions
