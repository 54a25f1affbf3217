// Compile-time probe: what a user file that includes the umbrella header and uses one session pays.
// It includes <sessions/sessions.hpp> and does the README's "by hand" example: a MemoryStore, one
// Session over it, one get and one set, save(). The reference, json_only.cpp, does the equivalent
// minimal work with nlohmann/json.hpp alone (parse one value, dump it); tools/bench.sh compiles
// both with g++ -std=c++20 -O2 -c and reports the ratio.
#include <sessions/sessions.hpp>

int main() {
  sessions::MemoryStore store;
  sessions::Session<sessions::MemoryStore> session{store};
  session.set("num_visits", session.get("num_visits", 0) + 1);
  session.save();
  return session.get("num_visits", 0) == 1 ? 0 : 1;
}
