// MemoryStore (serialized bytes) and MemoryValueStore (the values themselves), typical payload,
// with 1, 100k and 1M sessions stored:
//   existing:   Session{store, key}, read a key, change a key, save (a typical logged-in request)
//   new:        Session{store}, set a key, save (key generation + create)
//   middleware: the existing-session request through the Middleware: the Cookie header parsed
//               (three cookies), the Set-Cookie and Vary headers built (MemoryValueStore, 100k)
//   threads:    the existing-session cycle from 1 and 2 threads at once (items_per_second, real
//               time; cpu_time is then the CPU time of all threads per request)
//   observed:   the existing-session request (MemoryValueStore, 100k) with the store wrapped in
//               Metered and a session-event hook set: what metrics and events cost when on
// Sessions are visited in a scattered order, as requests for different visitors arrive.

#include <atomic>
#include <memory>
#include <mutex>
#include <sessions/sessions.hpp>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

/// A store filled with `count` typical sessions, and their keys.
template <class Store>
struct Filled {
  Store store;
  std::vector<std::string> keys;

  explicit Filled(std::size_t count) {
    keys.reserve(count);
    const sessions::Data& data = bench::payload("typical");
    const sessions::Settings& settings = sessions::default_settings();
    for (std::size_t i = 0; i < count; ++i) {
      sessions::Session<Store> session{store, settings};
      session.update(data);
      session.save();
      keys.push_back(*session.session_key());
    }
  }
};

/// One filled store at a time (a million typical sessions take a lot of memory): asking for
/// another frees the previous one. Benchmarks of one store and size are registered together.
template <class Store>
Filled<Store>& filled(std::size_t count) {
  static std::mutex mutex;  // the threaded benchmark's threads all ask
  static std::unique_ptr<Filled<Store>> current;
  const std::lock_guard lock(mutex);
  if (!current || current->keys.size() != count) {
    current.reset();
    current = std::make_unique<Filled<Store>>(count);
  }
  return *current;
}

/// Visits 0..n-1 in a scattered order (a stride coprime with n).
std::size_t scattered(std::size_t i, std::size_t n) { return (i * 7919) % n; }

template <class Store>
void existing(benchmark::State& state) {
  Filled<Store>& f = filled<Store>(static_cast<std::size_t>(state.range(0)));
  const sessions::Settings& settings = sessions::default_settings();
  const std::size_t n = f.keys.size();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * (n / 2 + 1);
  for (auto _ : state) {
    sessions::Session<Store> session{f.store, f.keys[scattered(i++, n)], settings};
    benchmark::DoNotOptimize(session.get("_auth_user_id"));
    session.set("num_visits", static_cast<std::int64_t>(i));
    session.save();
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Store>
void fresh(benchmark::State& state) {
  Filled<Store>& f = filled<Store>(static_cast<std::size_t>(state.range(0)));
  const sessions::Settings& settings = sessions::default_settings();
  for (auto _ : state) {
    sessions::Session<Store> session{f.store, settings};
    session.set("num_visits", 1);
    session.save();
    benchmark::DoNotOptimize(session.session_key());
  }
}

template <class Store>
void through_middleware(benchmark::State& state) {
  Filled<Store>& f = filled<Store>(static_cast<std::size_t>(state.range(0)));
  const sessions::Middleware<sessions::Session<Store>> middleware{f.store};
  const std::size_t n = f.keys.size();
  std::vector<std::string> headers;  // built outside the timing: a server hands the header in
  headers.reserve(n);
  for (const std::string& key : f.keys)
    headers.push_back("csrftoken=abcdefghijklmnop; sessionid=" + key + "; theme=dark");
  std::size_t i = 0;
  for (auto _ : state) {
    auto session = middleware.open(headers[scattered(i++, n)], true);
    benchmark::DoNotOptimize(session.get("_auth_user_id"));
    session.set("num_visits", static_cast<std::int64_t>(i));
    benchmark::DoNotOptimize(middleware.finish(session, 200));
  }
}

void observed(benchmark::State& state) {
  using Store = sessions::MemoryValueStore;
  Filled<Store>& f = filled<Store>(static_cast<std::size_t>(state.range(0)));
  sessions::Metered<Store> store{f.store};
  static std::atomic<std::uint64_t> told{0};
  sessions::Settings settings;
  settings.on_event = sessions::EventHook(
      [](void*, const sessions::SessionEvent&) { told.fetch_add(1, std::memory_order_relaxed); }, nullptr);
  const std::size_t n = f.keys.size();
  std::size_t i = 0;
  for (auto _ : state) {
    sessions::Session<sessions::Metered<Store>> session{store, f.keys[scattered(i++, n)], settings};
    benchmark::DoNotOptimize(session.get("_auth_user_id"));
    session.set("num_visits", static_cast<std::int64_t>(i));
    session.save();
  }
  if (told.load() == 0) state.SkipWithError("no event was told");
}

template <class Store>
void register_store(const std::string& name) {
  for (const long count : {1L, 100'000L, 1'000'000L}) {
    benchmark::RegisterBenchmark((name + "/existing").c_str(), existing<Store>)->Arg(count);
    benchmark::RegisterBenchmark((name + "/new").c_str(), fresh<Store>)->Arg(count);
  }
  benchmark::RegisterBenchmark((name + "/existing_threads").c_str(), existing<Store>)
      ->Arg(100'000)
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime();
}

const bench::Registrar registrar{[] {
  register_store<sessions::MemoryStore>("memory_store");
  register_store<sessions::MemoryValueStore>("memory_value_store");
  benchmark::RegisterBenchmark("memory_value_store/middleware", through_middleware<sessions::MemoryValueStore>)
      ->Arg(100'000);
  benchmark::RegisterBenchmark("memory_value_store/observed", observed)->Arg(100'000);
}};

}  // namespace
