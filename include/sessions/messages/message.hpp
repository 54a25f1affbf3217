#pragma once
// One flash message of Django's messages framework (django.contrib.messages): a level, the text,
// optional extra tags, and whether Django marked the text safe (mark_safe: no HTML escaping).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sessions::messages {

/// Django's message levels (django.contrib.messages.constants: DEBUG, INFO, SUCCESS, WARNING,
/// ERROR), named so that no DEBUG or ERROR macro of the application can clash with them. Any other
/// integer is a custom level; it has no tag unless given one (Message::level_tag).
inline constexpr int debug_level = 10;
inline constexpr int info_level = 20;
inline constexpr int success_level = 25;
inline constexpr int warning_level = 30;
inline constexpr int error_level = 40;
/// MESSAGE_LEVEL's default: messages below it are not recorded.
inline constexpr int default_minimum_level = info_level;

/// Level -> tag, Django's DEFAULT_TAGS plus any MESSAGE_TAGS a site adds.
using LevelTags = std::map<int, std::string>;

[[nodiscard]] inline const LevelTags& default_level_tags() {
  static const LevelTags tags{{debug_level, "debug"},
                              {info_level, "info"},
                              {success_level, "success"},
                              {warning_level, "warning"},
                              {error_level, "error"}};
  return tags;
}

struct Message {
  int level = info_level;
  std::string text;
  /// Django's extra_tags: "" for a message added without tags; nullopt after a Django 3.2
  /// round trip of "" (3.2 drops empty tags when encoding, and decodes their absence as None).
  std::optional<std::string> extra_tags;
  /// Django's SafeData flag (mark_safe), kept through every encoding.
  bool safe = false;

  /// Django's level_tag: the tag of the level, "" for a level without one.
  [[nodiscard]] std::string level_tag(const LevelTags& tags = default_level_tags()) const {
    const auto it = tags.find(level);
    return it == tags.end() ? std::string() : it->second;
  }
  /// Django's tags: extra tags then the level tag, space-separated, empty parts left out.
  [[nodiscard]] std::string tags(const LevelTags& level_tags = default_level_tags()) const {
    std::string out = extra_tags.value_or("");
    const std::string level_part = level_tag(level_tags);
    if (!out.empty() && !level_part.empty()) out += ' ';
    out += level_part;
    return out;
  }
  /// Django's Message.__eq__: the same level and text (tags are not compared).
  friend bool operator==(const Message& a, const Message& b) noexcept { return a.level == b.level && a.text == b.text; }
};

}  // namespace sessions::messages
