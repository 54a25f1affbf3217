// docs/django-guide.md, "The session API": Django's SessionBase calls and their C++ spelling, each
// checked. Run by CTest (docs_snippet_session_api).
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}
}  // namespace

int main() {
  sessions::MemoryStore store;
  using SessionT = sessions::Session<sessions::MemoryStore>;

  SessionT s{store};                                    // s = SessionStore()
  s.set("fav_color", "blue");                           // s["fav_color"] = "blue"
  std::string color = s.get("fav_color", "red");        // s.get("fav_color", "red")
  sessions::Data missing = s.get("nothing");            // s.get("nothing") -> None
  bool has = s.contains("fav_color");                   // "fav_color" in s
  s.set("cart", sessions::Data::array());               // s["cart"] = []
  s.at("cart").push_back(42);                           // s["cart"].append(42); saved without
                                                        // s.modified = True
  s.setdefault("theme", "dark");                        // s.setdefault("theme", "dark")
  s.update({{"lang", "fr"}, {"tz", "UTC"}});            // s.update({"lang": "fr", "tz": "UTC"})
  sessions::Data tz = s.pop("tz");                      // s.pop("tz")
  int fallback = s.pop("absent", 7);                    // s.pop("absent", 7)
  s.erase("lang");                                      // del s["lang"]
  std::vector<std::string> names = s.keys();            // list(s.keys())
  s.set_expiry(300);                                    // s.set_expiry(300)
  std::int64_t age = s.get_expiry_age();                // s.get_expiry_age()
  s.save();                                             // s.save()
  std::string key = *s.session_key();                   // s.session_key

  SessionT again{store, key};                           // SessionStore(session_key=key)
  bool found = again.exists(key);                       // again.exists(key)
  again.cycle_key();                                    // again.cycle_key()
  again.save();
  again.flush();                                        // again.flush()

  check(color == "blue", "get with a default converts to the default's type");
  check(missing.is_null(), "get of a missing key is null (None)");
  check(has, "contains");
  check(tz == "UTC" && fallback == 7, "pop and pop with a default");
  check((names == std::vector<std::string>{"fav_color", "cart", "theme"}), "keys keep insertion order");
  check(age == 300, "set_expiry(300) gives 300 seconds");
  check(found, "exists after save");
  check(!store.exists(key), "cycle_key deleted the old record");
  check(!again.session_key().has_value(), "flush dropped the key");

  // The reload sees the in-place change made through at(): no `modified = True` needed.
  SessionT third{store};
  third.set("cart", sessions::Data::array({1}));
  third.save();
  SessionT fourth{store, *third.session_key()};
  fourth.at("cart").push_back(2);
  check(fourth.needs_save(), "an in-place change is noticed");
  fourth.save();
  SessionT fifth{store, *third.session_key()};
  check(fifth.get("cart") == sessions::Data::array({1, 2}), "and saved");

  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
