// Metered<Inner>: every store call counted by outcome and timed, a trace hook told of each, and
// the Prometheus text read back by the Prometheus project's own parser (python3-prometheus-client).

#include <sessions/lifecycle.hpp>
#include <sessions/storage/metered.hpp>
#include <sessions/user_indexed.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

namespace {

using sessions::CallOutcome;
using sessions::StoreOperation;

const std::string kKey = "abcdefgh12345678abcdefgh12345678";

// A store whose every call throws what it is told to (for the error outcomes).
struct FailingStore {
  static constexpr std::string_view store_name = "FailingStore";
  using payload_type = std::string;
  int mode = 0;  // 0: StorageTimeout, 1: StorageError, 2: std::runtime_error
  [[noreturn]] void fail() const {
    if (mode == 0) throw sessions::StorageTimeout("timed out");
    if (mode == 1) throw sessions::StorageError("server down");
    throw std::runtime_error("bug");
  }
  std::optional<sessions::Record<std::string>> load(std::string_view) { fail(); }
  bool create(std::string_view, const std::string&, sessions::TimePoint) { fail(); }
  bool update(std::string_view, const std::string&, sessions::TimePoint) { fail(); }
  bool touch(std::string_view, sessions::TimePoint) { fail(); }
  void remove(std::string_view) { fail(); }
  bool exists(std::string_view) { fail(); }
  std::size_t clear_expired() { fail(); }
};

// The samples of a Prometheus text as the reference parser reads them: "name{labels} value" per
// line, labels sorted. Fails the test when the parser refuses the text or is missing.
std::map<std::string, double> parsed_by_prometheus(const std::string& text) {
  const test_support::TempDir dir;
  const std::string input = (dir.path / "metrics.txt").string();
  std::ofstream(input) << text;
  const std::string script =
      "import json, sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "for family in text_string_to_metric_families(open(sys.argv[1]).read()):\n"
      "    for s in family.samples:\n"
      "        print(json.dumps([s.name, s.labels, s.value]))\n";
  const std::string script_path = (dir.path / "parse.py").string();
  std::ofstream(script_path) << script;
  const std::string command = "/usr/bin/python3 " + script_path + " " + input + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  INFO(output);
  REQUIRE(status == 0);  // python3-prometheus-client missing or the text refused: fail, never skip
  // One JSON line per sample: [name, {label: value}, number]; keyed here as name{k=v,...} with
  // the labels in order (the parser returns them unordered).
  std::map<std::string, double> samples;
  std::size_t start = 0;
  while (start < output.size()) {
    const std::size_t end = output.find('\n', start);
    const nlohmann::json sample = nlohmann::json::parse(output.substr(start, end - start));
    std::map<std::string, std::string> labels = sample[1].get<std::map<std::string, std::string>>();
    std::string key = sample[0].get<std::string>() + "{";
    for (const auto& [name, value] : labels) key += (key.back() == '{' ? "" : ",") + name + "=" + value;
    samples[key + "}"] = sample[2].get<double>();
    start = end == std::string::npos ? output.size() : end + 1;
  }
  return samples;
}

}  // namespace

TEST_CASE("Metered: a store's calls counted by outcome", "[metered]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  sessions::Metered<sessions::MemoryStore> store{env.store, {.trace = {}, .time_one_in = 1}};
  STATIC_REQUIRE(sessions::CasStorage<sessions::Metered<sessions::MemoryStore>>);
  STATIC_REQUIRE_FALSE(sessions::CasStorage<sessions::Metered<example::MapStore>>);
  CHECK(sessions::Metered<sessions::MemoryStore>::store_name == "MemoryStore");

  const auto later = env.clock.now() + std::chrono::hours(1);
  CHECK_FALSE(store.load(kKey));
  CHECK(store.create(kKey, "{}", later));
  CHECK_FALSE(store.create(kKey, "{}", later));
  CHECK(store.load(kKey));
  CHECK(store.update(kKey, R"({"a":1})", later));
  CHECK(store.update_if(kKey, "{}", later, "stale") == sessions::CasResult::conflict);
  CHECK(store.update_if(kKey, R"({"a":2})", later, R"({"a":1})") == sessions::CasResult::written);
  CHECK(store.touch(kKey, later));
  CHECK(store.exists(kKey));
  store.remove(kKey);
  CHECK_FALSE(store.touch(kKey, later));
  CHECK(store.clear_expired() == 0);

  const sessions::MetricsSnapshot m = store.snapshot();
  CHECK(m.store == "MemoryStore");
  CHECK(m[StoreOperation::load].count(CallOutcome::hit) == 1);
  CHECK(m[StoreOperation::load].count(CallOutcome::miss) == 1);
  CHECK(m[StoreOperation::create].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::create].count(CallOutcome::refused) == 1);
  CHECK(m[StoreOperation::update].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::update_if].count(CallOutcome::conflict) == 1);
  CHECK(m[StoreOperation::update_if].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::touch].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::touch].count(CallOutcome::refused) == 1);
  CHECK(m[StoreOperation::exists].count(CallOutcome::done) == 1);
  CHECK(m[StoreOperation::remove].count(CallOutcome::done) == 1);
  CHECK(m[StoreOperation::clear_expired].calls() == 1);
  for (const sessions::OperationSnapshot& op : m.operations) {
    std::uint64_t in_buckets = 0;
    for (const std::uint64_t n : op.latency_buckets) in_buckets += n;
    CHECK(in_buckets == op.calls());  // time_one_in = 1: every call timed once
  }
}

TEST_CASE("Metered: one call in time_one_in is timed, every call counted", "[metered]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  CHECK_THROWS_AS(sessions::Metered<sessions::MemoryStore>(env.store, {.trace = {}, .time_one_in = 0}),
                  sessions::ConfigurationError);
  sessions::Metered<sessions::MemoryStore> store{env.store, {.trace = {}, .time_one_in = 4}};
  for (int i = 0; i < 40; ++i) CHECK_FALSE(store.exists(kKey));
  const sessions::MetricsSnapshot m = store.snapshot();  // kept: exists below refers into it
  const sessions::OperationSnapshot& exists = m[StoreOperation::exists];
  CHECK(exists.calls() == 40);
  std::uint64_t timed = 0;
  for (const std::uint64_t n : exists.latency_buckets) timed += n;
  CHECK(timed == 10);
}

TEST_CASE("Metered: exceptions counted by kind and rethrown unchanged", "[metered]") {
  FailingStore inner;
  sessions::Metered<FailingStore> store{inner};
  inner.mode = 0;
  CHECK_THROWS_AS(store.load(kKey), sessions::StorageTimeout);
  inner.mode = 1;
  CHECK_THROWS_AS(store.load(kKey), sessions::StorageError);
  CHECK_THROWS_AS(store.remove(kKey), sessions::StorageError);
  inner.mode = 2;
  CHECK_THROWS_AS(store.exists(kKey), std::runtime_error);
  const sessions::MetricsSnapshot m = store.snapshot();
  CHECK(m[StoreOperation::load].count(CallOutcome::timeout) == 1);
  CHECK(m[StoreOperation::load].count(CallOutcome::error) == 1);
  CHECK(m[StoreOperation::remove].count(CallOutcome::error) == 1);
  CHECK(m[StoreOperation::exists].count(CallOutcome::exception) == 1);
}

TEST_CASE("Metered: the trace hook sees each call begin and end", "[metered]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  std::vector<sessions::StoreCall> calls;
  sessions::Metered<sessions::MemoryValueStore>::Options options;
  options.trace = sessions::TraceHook(
      [](void* sink, const sessions::StoreCall& call) noexcept {
        static_cast<std::vector<sessions::StoreCall>*>(sink)->push_back(call);
      },
      &calls);
  sessions::Metered<sessions::MemoryValueStore> store{env.store, options};
  sessions::Settings settings = env.settings;
  sessions::Session<sessions::Metered<sessions::MemoryValueStore>> s{store, settings};
  s.set("n", 1);
  s.save();
  REQUIRE(calls.size() == 2);  // one create: begin, end
  CHECK(calls[0].operation == StoreOperation::create);
  CHECK_FALSE(calls[0].outcome);
  CHECK(calls[1].outcome == CallOutcome::written);
  CHECK(calls[1].store == "MemoryValueStore");
  sessions::Session<sessions::MemoryValueStore> check{env.store, *s.session_key(), settings};
  CHECK(check.get("n") == 1);  // the inner store holds what went through the wrapper
}

TEST_CASE("Metered: the Prometheus text reads back with the reference parser", "[metered][prometheus]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  sessions::Metered<sessions::MemoryStore> memory{env.store, {.trace = {}, .time_one_in = 1}};
  FailingStore inner;
  sessions::Metered<FailingStore> failing{inner};
  const auto later = env.clock.now() + std::chrono::hours(1);
  CHECK(memory.create(kKey, "{}", later));
  CHECK(memory.load(kKey));
  CHECK(memory.load(kKey));
  CHECK_FALSE(memory.load("zzzzzzzz12345678zzzzzzzz12345678"));
  CHECK_THROWS(failing.touch(kKey, later));

  const std::string text = sessions::to_prometheus(std::array{memory.snapshot(), failing.snapshot()});
  const std::map<std::string, double> samples = parsed_by_prometheus(text);
  const std::string load = "operation=load,";
  CHECK(samples.at("sessions_store_calls_total{" + load + "outcome=hit,store=MemoryStore}") == 2);
  CHECK(samples.at("sessions_store_calls_total{" + load + "outcome=miss,store=MemoryStore}") == 1);
  CHECK(samples.at("sessions_store_calls_total{operation=create,outcome=written,store=MemoryStore}") == 1);
  CHECK(samples.at("sessions_store_calls_total{operation=touch,outcome=timeout,store=FailingStore}") == 1);
  CHECK(samples.at("sessions_store_call_duration_seconds_count{" + load + "store=MemoryStore}") == 3);
  CHECK(samples.at("sessions_store_call_duration_seconds_bucket{le=+Inf," + load + "store=MemoryStore}") == 3);
  CHECK(samples.at("sessions_store_call_duration_seconds_sum{" + load + "store=MemoryStore}") >= 0);
  CHECK(samples.count("sessions_store_calls_total{operation=update,outcome=written,store=MemoryStore}") == 0);
  // Buckets are cumulative: never decreasing with `le`.
  double previous = 0;
  for (const double bound : sessions::kLatencyBounds) {
    char le[32];
    std::snprintf(le, sizeof le, "%.6g", bound);
    const double n = samples.at("sessions_store_call_duration_seconds_bucket{le=" + std::string(le) + "," + load +
                                "store=MemoryStore}");
    CHECK(n >= previous);
    previous = n;
  }
}

TEST_CASE("Metered: label values are escaped as the text format requires", "[metered][prometheus]") {
  sessions::MetricsSnapshot odd{};
  odd.store = "a\"b\\c\nd";
  odd.operations[0].outcomes[static_cast<std::size_t>(CallOutcome::hit)] = 4;
  odd.operations[0].latency_buckets[0] = 4;
  const std::map<std::string, double> samples = parsed_by_prometheus(sessions::to_prometheus(std::array{odd}));
  CHECK(samples.at("sessions_store_calls_total{operation=load,outcome=hit,store=a\"b\\c\nd}") == 4);
}

namespace {

// A store with the per-user index (user_index.hpp) that remembers what it was asked, to see that
// the wrapper hands each index call through unchanged.
struct IndexedStore : example::MapStore {
  using example::MapStore::MapStore;
  std::vector<std::string> calls;
  sessions::IndexOutcome index_session(std::string_view user, std::string_view key, const sessions::SessionDetails& d,
                                       const sessions::UserSessionLimit& limit) {
    calls.push_back("index " + std::string(user) + " " + std::string(key) + " " + d.user_agent);
    return {limit.max_sessions == 1, {}};
  }
  void unindex_session(std::string_view user, std::string_view key) {
    calls.push_back("unindex " + std::string(user) + " " + std::string(key));
  }
  std::vector<sessions::UserSession> user_sessions(std::string_view user, sessions::TimePoint) {
    calls.push_back("list " + std::string(user));
    return {sessions::UserSession{kKey, {}}};
  }
  std::vector<sessions::PurgedSession> purge_expired(std::size_t batch, sessions::TimePoint) {
    calls.push_back("purge " + std::to_string(batch));
    return {};
  }
  void for_each_session(const std::function<void(std::string_view, const std::string&, sessions::TimePoint)>& fn) {
    calls.push_back("scan");
    fn(kKey, "{}", sessions::TimePoint{});
  }
};

}  // namespace

TEST_CASE("Metered: the per-user index is handed through and counted", "[metered][user_index]") {
  STATIC_REQUIRE(sessions::UserIndexStorage<IndexedStore>);
  STATIC_REQUIRE(sessions::UserIndexStorage<sessions::Metered<IndexedStore>>);
  STATIC_REQUIRE_FALSE(sessions::UserIndexStorage<sessions::Metered<example::MapStore>>);
  IndexedStore inner;
  sessions::Metered<IndexedStore> store{inner};
  sessions::SessionDetails details;
  details.user_agent = "Firefox";
  CHECK_FALSE(store.index_session("7", kKey, details, {}).refused);
  CHECK(store.index_session("7", kKey, details, {.max_sessions = 1, .at_limit = {}}).refused);
  store.unindex_session("7", kKey);
  CHECK(store.user_sessions("7", sessions::TimePoint{}).size() == 1);
  CHECK(store.purge_expired(50, sessions::TimePoint{}).empty());
  int seen = 0;
  store.for_each_session([&](std::string_view key, const std::string&, sessions::TimePoint) { seen += key == kKey; });
  CHECK(seen == 1);
  CHECK(inner.calls == std::vector<std::string>{"index 7 " + kKey + " Firefox", "index 7 " + kKey + " Firefox",
                                                "unindex 7 " + kKey, "list 7", "purge 50", "scan"});

  const sessions::MetricsSnapshot m = store.snapshot();
  CHECK(m[StoreOperation::index_session].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::index_session].count(CallOutcome::refused) == 1);
  CHECK(m[StoreOperation::unindex_session].count(CallOutcome::done) == 1);
  CHECK(m[StoreOperation::user_sessions].count(CallOutcome::done) == 1);
  CHECK(m[StoreOperation::purge_expired].count(CallOutcome::done) == 1);
  CHECK(m[StoreOperation::for_each_session].count(CallOutcome::done) == 1);
  const std::string text = sessions::to_prometheus(std::array{m});
  CHECK(text.find("operation=\"index_session\",outcome=\"refused\"} 1\n") != std::string::npos);
}

TEST_CASE("Metered: UserIndexed over a metered store indexes logins and counts the index's calls",
          "[metered][user_index]") {
  using Store = sessions::UserIndexed<sessions::Metered<sessions::MemoryStore>>;
  test_support::StoreFixture<sessions::MemoryStore> env;
  Store store{env.store};
  STATIC_REQUIRE(sessions::KeepsUserIndex<Store>);
  sessions::Session<Store> session{store, env.settings};
  session.set("_auth_user_id", "42");
  session.record_client("Firefox", "10.0.0.1");
  session.save();
  const std::string key = *session.session_key();

  const std::vector<sessions::UserSession> listed = sessions::user_sessions(store, "42", env.clock.now());
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key == key);
  CHECK(listed[0].details.user_agent == "Firefox");
  CHECK(listed[0].details.address == "10.0.0.1");
  CHECK(sessions::revoke_user_sessions(store, "42", {}, env.settings) == 1);
  CHECK_FALSE(env.store.exists(key));  // the inner store's record is gone with the entry
  CHECK(sessions::user_sessions(store, "42", env.clock.now()).empty());

  const sessions::MetricsSnapshot m = store.snapshot();
  CHECK(m[StoreOperation::create].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::index_session].count(CallOutcome::written) == 1);
  CHECK(m[StoreOperation::user_sessions].calls() == 3);
  CHECK(m[StoreOperation::unindex_session].calls() == 1);
  CHECK(m[StoreOperation::remove].calls() == 1);
}
