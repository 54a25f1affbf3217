#pragma once
// Django's MessageEncoder / MessageDecoder JSON (django.contrib.messages.storage.cookie):
//   a message is  ["__json_message", safe 0|1, level, text]  plus  extra_tags  when Django
//   writes it: 3.2 only when the tags are non-empty, 4.1+ whenever they are not None.
// The cookie storage writes the list compactly (separators ',' ':'), the session storage with
// json's default separators (', ' ': '); both ensure_ascii. A cookie list may end with the
// sentinel string "__messagesnotfinished__" (the cookie could not hold every message).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../data.hpp"
#include "../../django_version.hpp"
#include "../../errors.hpp"
#include "../../signing/python_json.hpp"
#include "../message.hpp"

namespace sessions::messages::detail {

inline constexpr std::string_view message_key = "__json_message";
inline constexpr std::string_view not_finished = "__messagesnotfinished__";

/// One encoded list entry: a message, or (cookie storage only) the sentinel.
struct Entry {
  std::optional<Message> message;  // nullopt: the not_finished sentinel
};

[[nodiscard]] inline bool writes_tags(const Message& m, DjangoVersion version) noexcept {
  if (!m.extra_tags) return false;
  return version == DjangoVersion::current || !m.extra_tags->empty();
}

/// The JSON list of `messages` (then the sentinel when `unfinished`), with ", " / ":" spacing
/// when `spaced` (json's defaults) or none (separators=(',', ':')).
[[nodiscard]] inline std::string encode(const std::vector<Message>& messages, bool unfinished, bool spaced,
                                        DjangoVersion version) {
  const std::string_view comma = spaced ? ", " : ",";
  std::string out = "[";
  bool first = true;
  for (const Message& m : messages) {
    if (!first) out += comma;
    first = false;
    out += "[\"__json_message\"";
    out += comma;
    out += m.safe ? '1' : '0';
    out += comma;
    out += std::to_string(m.level);
    out += comma;
    signing::dump_python_json(Data(m.text), out);
    if (writes_tags(m, version)) {
      out += comma;
      signing::dump_python_json(Data(*m.extra_tags), out);
    }
    out += ']';
  }
  if (unfinished) {
    if (!first) out += comma;
    out += "\"__messagesnotfinished__\"";
  }
  out += ']';
  return out;
}

/// The entries of an encoded list. DecodeError for JSON that is not a list of messages (with at
/// most a final sentinel): Django would build odd objects from it; nothing here renders those.
[[nodiscard]] inline std::vector<Entry> decode(std::string_view json, signing::NonAsciiInput non_ascii) {
  signing::PythonJsonReadOptions options;
  options.non_ascii = non_ascii;
  options.max_depth = 4;
  const Data list = signing::parse_python_json(json, options);
  if (!list.is_array()) throw DecodeError("messages: not a JSON list");
  std::vector<Entry> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Data& item = list[i];
    if (item.is_string() && item.get_ref<const std::string&>() == not_finished && i + 1 == list.size()) {
      out.push_back(Entry{});
      continue;
    }
    const bool shaped = item.is_array() && (item.size() == 4 || item.size() == 5) && item[0].is_string() &&
                        item[0].get_ref<const std::string&>() == message_key && item[1].is_number_integer() &&
                        item[2].is_number_integer() && item[3].is_string() &&
                        (item.size() == 4 || item[4].is_string() || item[4].is_null());
    if (!shaped) throw DecodeError("messages: an entry is not an encoded message");
    Message m;
    m.safe = item[1].get<long long>() != 0;
    const long long level = item[2].get<long long>();
    if (level < -2147483647LL || level > 2147483647LL) throw DecodeError("messages: level out of range");
    m.level = static_cast<int>(level);
    m.text = item[3].get<std::string>();
    if (item.size() == 5 && item[4].is_string()) m.extra_tags = item[4].get<std::string>();
    out.push_back(Entry{std::move(m)});
  }
  return out;
}

}  // namespace sessions::messages::detail
