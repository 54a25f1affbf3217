#pragma once
// The purge's throughput: sessions removed per second by Purger::run_once (purge_expired in
// batches of 500, each with its index entry, an `expired` event told for each), over a store
// holding `kBatch` expired indexed sessions (one user each) written before each round, outside
// the timing. items_per_second is the figure.

#include <sessions/purger.hpp>
#include <sessions/sessions.hpp>
#include <sessions/user_indexed.hpp>
#include <string>

#include "bench_common.hpp"

namespace bench {

template <class Store>
void purge_throughput(benchmark::State& state, Store& store) {
  constexpr int kBatch = 2000;
  sessions::Settings settings;
  std::size_t told = 0;
  settings.on_event =
      sessions::EventHook([](void* n, const sessions::SessionEvent&) { ++*static_cast<std::size_t*>(n); }, &told);
  sessions::Purger<Store> purger(store, sessions::PurgerOptions{.interval = std::chrono::hours(1), .batch_size = 500},
                                 settings);
  const sessions::TimePoint now = settings.clock.now();
  std::int64_t purged = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < kBatch; ++i) {
      const std::string key = sessions::generate_session_key(settings.random);
      typename Store::payload_type payload{};
      if constexpr (std::is_same_v<typename Store::payload_type, std::string>) payload = "{}";
      (void)store.create(key, payload, now + std::chrono::seconds(1));
      store.index_session(std::to_string(i), key,
                          sessions::SessionDetails{now, now, now + std::chrono::seconds(1), {}, {}},
                          sessions::UserSessionLimit{});
    }
    state.ResumeTiming();
    purged += static_cast<std::int64_t>(purger.run_once(now + std::chrono::seconds(2)));
  }
  state.SetItemsProcessed(purged);
  benchmark::DoNotOptimize(told);
}

}  // namespace bench
