// MemberList (MemoryValueStore's payload: the top-level members, each shared immutably) and what
// a Session over it must still do exactly as over whole data: lookups past the index threshold,
// erasing with an index, and expiry policies that read the data (with and without data_keys).

#include <sessions/sessions.hpp>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;
using sessions::Data;
using sessions::MemberList;

namespace {

std::string member_key(int i) { return "k" + std::to_string((i * 7919) % 1000); }  // not in sorted order

// A policy that reads a key of its own and declares none: it must be given the whole data.
struct PlanReadingExpiry {
  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const sessions::Settings&,
                                                sessions::TimePoint) const {
    return data.value("plan", "") == "long" ? 1000s : 100s;
  }
  [[nodiscard]] bool expire_at_browser_close(const Data&, const sessions::Settings&) const { return false; }
  [[nodiscard]] bool refresh_on_access(const sessions::Settings&) const { return false; }
  void on_create(Data& data, sessions::TimePoint) const { data["created_by_policy"] = true; }
};

// Derived from a policy that declares its keys, but reading another: it does not inherit the promise.
struct DerivedPlanReadingExpiry : sessions::DjangoExpiry {
  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const sessions::Settings&,
                                                sessions::TimePoint) const {
    return data.value("plan", "") == "long" ? 1000s : 100s;
  }
};

static_assert(sessions::ExpiryDataKeys<sessions::DjangoExpiry>);
static_assert(sessions::ExpiryDataKeys<sessions::BrowserSession>);
static_assert(sessions::ExpiryDataKeys<sessions::Absolute>);
static_assert(!sessions::ExpiryDataKeys<PlanReadingExpiry>);
static_assert(!sessions::ExpiryDataKeys<DerivedPlanReadingExpiry>);

template <class Expiry>
std::int64_t members_saved_age(test_support::StoreFixture<sessions::MemoryValueStore>& env, const std::string& plan) {
  sessions::Session<sessions::MemoryValueStore, sessions::JsonSerializer, Expiry> s(env.store, env.settings);
  s.set("plan", plan);
  s.save();
  const auto record = env.store.load(*s.session_key());
  REQUIRE(record);
  return std::chrono::duration_cast<std::chrono::seconds>(record->expires_at - env.clock.now()).count();
}

}  // namespace

TEST_CASE("MemberList: order, lookup, replace and erase, below and above the index threshold", "[memory][members]") {
  for (const int n : {3, 32, 33, 200}) {
    CAPTURE(n);
    Data whole = Data::object();
    for (int i = 0; i < n; ++i) whole[member_key(i)] = i;
    MemberList list = MemberList::from(whole);
    REQUIRE(list.size() == whole.size());
    CHECK(list.to_data() == whole);  // insertion order kept
    CHECK(list.to_data().dump() == whole.dump());
    for (int i = 0; i < n; ++i) {
      const Data* value = list.find(member_key(i));
      REQUIRE(value != nullptr);
      CHECK(*value == i);
    }
    CHECK(list.find("absent") == nullptr);

    list.set(member_key(n / 2), "replaced");  // in place: the order stays
    whole[member_key(n / 2)] = "replaced";
    list.set("new", 1);  // appended
    whole["new"] = 1;
    CHECK(list.to_data().dump() == whole.dump());
    CHECK(list.find("new") != nullptr);

    // Erase from the front, the middle and the end; every other key stays findable.
    for (const std::string& gone : {member_key(0), member_key(n / 2), std::string("new")}) {
      CHECK(list.erase(gone));
      whole.erase(gone);
      CHECK_FALSE(list.erase(gone));
      CHECK(list.find(gone) == nullptr);
    }
    CHECK(list.to_data().dump() == whole.dump());
    for (const auto& item : whole.items()) {
      const Data* value = list.find(item.key());
      REQUIRE(value != nullptr);
      CHECK(*value == item.value());
    }
  }
}

TEST_CASE("MemberList: a copy shares its members; equality compares values", "[memory][members]") {
  const MemberList a = MemberList::from(Data{{"x", 1}, {"y", Data::array({1, 2})}});
  MemberList b = a;
  CHECK(*a.find_member("y") == *b.find_member("y"));  // the same pointer
  CHECK(a == b);
  b.set("x", 2);
  CHECK_FALSE(a == b);
  CHECK(*a.find("x") == 1);  // the original is untouched
  b.set("x", 1);
  CHECK(a == b);                                                                   // a different member, an equal value
  CHECK_FALSE(a == MemberList::from(Data{{"y", Data::array({1, 2})}, {"x", 1}}));  // order matters
  CHECK(MemberList::from(Data::array({1})).empty());                               // not an object: empty
}

TEST_CASE("MemoryValueStore: a session with more keys than the index threshold", "[memory][members]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  sessions::Session<sessions::MemoryValueStore> s(env.store, env.settings);
  for (int i = 0; i < 100; ++i) s.set(member_key(i), i);
  s.save();
  sessions::Session<sessions::MemoryValueStore> t(env.store, *s.session_key(), env.settings);
  for (int i = 0; i < 100; i += 7) CHECK(t.get(member_key(i), -1) == i);
  t.erase(member_key(50));
  t.set(member_key(51), "x");
  t.set("added", true);
  t.save();
  sessions::Session<sessions::MemoryValueStore> u(env.store, *s.session_key(), env.settings);
  CHECK_FALSE(u.contains(member_key(50)));
  CHECK(u.get(member_key(51), std::string()) == "x");
  CHECK(u.get("added", false));
  CHECK(u.keys().size() == 100);
  CHECK(u.keys().front() == member_key(0));
  CHECK(u.keys().back() == "added");
}

TEST_CASE("MemoryValueStore: expiry policies see what they read", "[memory][members][expiry]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;

  SECTION("a policy without data_keys gets the whole data, on save and on create") {
    CHECK(members_saved_age<PlanReadingExpiry>(env, "long") == 1000);
    CHECK(members_saved_age<PlanReadingExpiry>(env, "short") == 100);
    sessions::Session<sessions::MemoryValueStore, sessions::JsonSerializer, PlanReadingExpiry> s(env.store,
                                                                                                 env.settings);
    s.set("plan", "long");
    s.save();
    CHECK(s.get("created_by_policy", false));
    CHECK(s.get_expiry_age() == 1000);
  }

  SECTION("a derived policy does not inherit its base's data_keys") {
    CHECK(members_saved_age<DerivedPlanReadingExpiry>(env, "long") == 1000);
  }

  SECTION("declared keys: set_expiry and the creation stamp go through them") {
    sessions::Session<sessions::MemoryValueStore, sessions::JsonSerializer, sessions::Absolute> s(
        env.store, env.settings, {}, sessions::Absolute{.lifetime = 100s});
    s.set("n", 1);
    s.save();
    CHECK(s.get(sessions::kSessionCreatedAtKey).is_number());
    CHECK(s.get_expiry_age() == 100);
    env.clock.advance(40s);
    sessions::Session<sessions::MemoryValueStore, sessions::JsonSerializer, sessions::Absolute> t(
        env.store, *s.session_key(), env.settings, {}, sessions::Absolute{.lifetime = 100s});
    t.set("n", 2);
    t.save();
    const auto record = env.store.load(*s.session_key());
    REQUIRE(record);
    CHECK(record->expires_at - env.clock.now() == 60s);

    sessions::Session<sessions::MemoryValueStore> d(env.store, *s.session_key(), env.settings);
    d.set_expiry(500);
    CHECK(d.get_expiry_age() == 500);
    d.save();
    CHECK(env.store.load(*s.session_key())->expires_at - env.clock.now() == 500s);
    d.set_expiry(std::nullopt);
    CHECK(d.get_expiry_age() == env.settings.cookie_age.count());
  }
}
