// Resident memory per session with a million typical sessions in MemoryStore (serialized bytes)
// or MemoryValueStore (values), measured as the growth of VmRSS while the store fills.
//   sessions_bench_rss [bytes|values] [count]  ->  one JSON object on stdout
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sessions/sessions.hpp>
#include <sstream>
#include <string>

namespace {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

sessions::Data typical() {
  std::ifstream in(SESSIONS_BENCH_PAYLOADS);
  std::stringstream text;
  text << in.rdbuf();
  return sessions::Data::parse(text.str()).at("typical");
}

/// A valid, distinct 32-character key for `i` without the CSPRNG (its cost is not measured here).
std::string key_for(std::size_t i) {
  std::string key(32, 'a');
  for (std::size_t p = 0; i != 0 && p < 32; ++p, i /= 36) key[31 - p] = sessions::kSessionKeyChars[i % 36];
  return key;
}

/// `make_payload()` gives each session's payload: every session owns its own value, as saves do.
template <class Store, class MakePayload>
long fill(Store& store, MakePayload make_payload, std::size_t count) {
  const auto expires = sessions::Clock{}.now() + std::chrono::hours(24);
  const long before = rss_kib();
  for (std::size_t i = 0; i < count; ++i) {
    if (!store.create(key_for(i), make_payload(), expires)) std::abort();
  }
  malloc_trim(0);
  return rss_kib() - before;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string kind = argc > 1 ? argv[1] : "bytes";
  const std::size_t count = argc > 2 ? std::stoul(argv[2]) : 1'000'000;
  const sessions::Data data = typical();
  const std::string bytes = sessions::JsonSerializer{}.dumps(data);
  long grown = 0;
  if (kind == "values") {
    sessions::MemoryValueStore store;
    grown = fill(
        store, [&data] { return std::make_shared<const sessions::MemberList>(sessions::MemberList::from(data)); },
        count);
  } else {
    sessions::MemoryStore store;
    grown = fill(
        store, [&bytes]() -> const std::string& { return bytes; }, count);
  }
  std::printf(
      "{\"store\": \"%s\", \"sessions\": %zu, \"payload_bytes\": %zu, \"key_bytes\": 32, "
      "\"rss_growth_bytes\": %ld, \"bytes_per_session\": %.1f}\n",
      kind == "values" ? "MemoryValueStore" : "MemoryStore", count, bytes.size(), grown * 1024L,
      static_cast<double>(grown) * 1024.0 / static_cast<double>(count));
  return 0;
}
