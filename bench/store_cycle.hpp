#pragma once
// The request cycle of a server-side store, typical payload, existing session:
//   changed: Session{store, key}, read a key, change a key, save (load + update)
//   read:    Session{store, key}, read a key (load only; nothing is written)

#include <sessions/sessions.hpp>
#include <string>

#include "bench_common.hpp"

namespace bench {

template <class Store>
std::string create_typical(Store& store, const sessions::Settings& settings = sessions::default_settings()) {
  sessions::Session<Store> session{store, settings};
  session.update(payload("typical"));
  session.save();
  return *session.session_key();
}

template <class Store>
void store_cycle(benchmark::State& state, Store& store, bool change) {
  const sessions::Settings& settings = sessions::default_settings();
  const std::string key = create_typical(store, settings);
  std::int64_t i = 0;
  for (auto _ : state) {
    sessions::Session<Store> session{store, key, settings};
    benchmark::DoNotOptimize(session.get("_auth_user_id"));
    if (change) {
      session.set("num_visits", ++i);
      session.save();
    }
  }
}

}  // namespace bench
