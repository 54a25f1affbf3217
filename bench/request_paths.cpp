// The main request paths, N times each, for instruction counts (valgrind --tool=callgrind, which
// is deterministic for one binary and input, so CI can guard it despite noisy machines) and for
// quick CPU-time measurements. No Google Benchmark: the program must build in the test build.
//
//   sessions_request_paths <path> <requests> [threads] [stored sessions, default 1000]
//
// paths (the typical 432-byte payload of bench/payloads.json):
//   value_session     MemoryValueStore: Session{store, key}, get, set, save
//   value_middleware  the same through the Middleware: Cookie header parsed, Set-Cookie built
//   bytes_session     MemoryStore (serialized bytes): Session{store, key}, get, set, save
//   json_reference    nlohmann parse + dump of the payload (what bytes_session is compared with)
//   new_session       MemoryValueStore: Session{store}, set, save (key generation and create)
//
// Only the requests are counted: the store is filled before CALLGRIND_START_INSTRUMENTATION (run
// valgrind with --instr-atstart=no). The program prints the CPU time per request (all threads).

#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sessions/sessions.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::size_t kStored = 1000;  // set once from the command line, before any request

const sessions::Data& typical() {
  static const sessions::Data data = [] {
    std::ifstream in(SESSIONS_BENCH_PAYLOADS);
    if (!in) throw std::runtime_error("cannot read " SESSIONS_BENCH_PAYLOADS);
    std::stringstream text;
    text << in.rdbuf();
    return sessions::Data::parse(text.str()).at("typical");
  }();
  return data;
}

// Deterministic keys (a random key would move records between hash buckets from run to run).
std::string key_of(std::size_t i) {
  std::string key(32, 'k');
  for (std::size_t p = 31; i != 0; --p, i /= 36) key[p] = sessions::kSessionKeyChars[i % 36];
  return key;
}

template <class Store>
std::vector<std::string> fill(Store& store) {
  std::vector<std::string> keys;
  const auto expires = sessions::Clock{}.now() + std::chrono::hours(24);
  for (std::size_t i = 0; i < kStored; ++i) {
    keys.push_back(key_of(i));
    if constexpr (std::is_same_v<typename Store::payload_type, sessions::SharedMembers>) {
      (void)store.create(keys.back(),
                         std::make_shared<const sessions::MemberList>(sessions::MemberList::from(typical())), expires);
    } else {
      (void)store.create(keys.back(), sessions::JsonSerializer{}.dumps(typical()), expires);
    }
  }
  return keys;
}

// Visits the sessions in a scattered order, as requests for different visitors arrive.
std::size_t scattered(std::size_t i) { return (i * 7919) % kStored; }  // 7919 is prime: a permutation

template <class Store>
void existing(Store& store, const std::vector<std::string>& keys, std::size_t first, std::size_t n) {
  const sessions::Settings& settings = sessions::default_settings();
  for (std::size_t i = first; i < first + n; ++i) {
    sessions::Session<Store> session{store, keys[scattered(i)], settings};
    if (session.get("_auth_user_id").is_null()) std::abort();
    session.set("num_visits", static_cast<std::int64_t>(i));
    session.save();
  }
}

void through_middleware(sessions::MemoryValueStore& store, const std::vector<std::string>& keys, std::size_t first,
                        std::size_t n) {
  const sessions::Middleware<sessions::Session<sessions::MemoryValueStore>> middleware{store};
  for (std::size_t i = first; i < first + n; ++i) {
    const std::string header = "csrftoken=abcdefghijklmnop; sessionid=" + keys[scattered(i)] + "; theme=dark";
    auto session = middleware.open(header, true);
    if (session.get("_auth_user_id").is_null()) std::abort();
    session.set("num_visits", static_cast<std::int64_t>(i));
    const sessions::HeaderFields headers = middleware.finish(session, 200);
    if (headers.size() != 2) std::abort();
  }
}

void fresh(sessions::MemoryValueStore& store, std::size_t n) {
  const sessions::Settings& settings = sessions::default_settings();
  for (std::size_t i = 0; i < n; ++i) {
    sessions::Session<sessions::MemoryValueStore> session{store, settings};
    session.set("num_visits", 1);
    session.save();
  }
}

void json_reference(std::size_t n) {
  const std::string text = typical().dump();
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += sessions::Data::parse(text).dump().size();
  if (total != text.size() * n) std::abort();
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s value_session|value_middleware|bytes_session|json_reference|new_session N [threads]\n",
                 argv[0]);
    return 2;
  }
  const std::string_view path = argv[1];
  const auto n = static_cast<std::size_t>(std::strtoull(argv[2], nullptr, 10));
  const std::size_t threads = argc > 3 ? static_cast<std::size_t>(std::strtoull(argv[3], nullptr, 10)) : 1;
  if (argc > 4) kStored = static_cast<std::size_t>(std::strtoull(argv[4], nullptr, 10));
  (void)typical();
  (void)sessions::default_settings();
  sessions::MemoryValueStore values;
  sessions::MemoryStore bytes;
  const std::vector<std::string> value_keys = fill(values);
  const std::vector<std::string> byte_keys = fill(bytes);

  const auto run = [&](std::size_t first, std::size_t count) {
    if (path == "value_session") {
      existing(values, value_keys, first, count);
    } else if (path == "value_middleware") {
      through_middleware(values, value_keys, first, count);
    } else if (path == "bytes_session") {
      existing(bytes, byte_keys, first, count);
    } else if (path == "json_reference") {
      json_reference(count);
    } else if (path == "new_session") {
      fresh(values, count);
    } else {
      std::fprintf(stderr, "unknown path %.*s\n", static_cast<int>(path.size()), path.data());
      std::exit(2);
    }
  };
  // In a running service every stored session was last written by a Session's save (which keeps
  // the value's size and node count beside it), not put in by fill(): one request per session
  // first, outside the count.
  if (path == "value_session" || path == "value_middleware") existing(values, value_keys, 0, kStored);
  run(0, 10);  // warm up (first allocations, lazily built statics) outside the count

  const double started = cpu_seconds();
  CALLGRIND_START_INSTRUMENTATION;
  if (threads <= 1) {
    run(100, n);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back([&, t] { run(100 + t * 500, n); });
    for (auto& thread : pool) thread.join();
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  const double cpu = cpu_seconds() - started;
  std::printf("%.*s %zu requests x %zu threads: %.3f us CPU per request\n", static_cast<int>(path.size()), path.data(),
              n, threads, cpu * 1e6 / static_cast<double>(n * threads));
  return 0;
}
