#pragma once
// What every benchmark file shares: the three payloads (bench/payloads.json, which Django's side
// reads too), the secret, and helpers that register one benchmark per payload size.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sessions/data.hpp>

namespace bench {

inline constexpr std::string_view kSecret = "bench secret key: 50 characters of nothing secret!";

inline constexpr std::array<std::string_view, 3> kSizes{"tiny", "typical", "large"};

/// The payload called `size` (tiny, typical or large): the same JSON django_bench.py uses.
inline const sessions::Data& payload(std::string_view size) {
  static const sessions::Data all = [] {
    std::ifstream in(SESSIONS_BENCH_PAYLOADS);
    if (!in) throw std::runtime_error("cannot read " SESSIONS_BENCH_PAYLOADS);
    std::stringstream text;
    text << in.rdbuf();
    return sessions::Data::parse(text.str());
  }();
  return all.at(std::string(size));
}

/// Where on-disk stores put their files: SESSIONS_BENCH_DIR (tools/bench.sh sets it to the build
/// directory), else the current directory.
inline std::string disk_dir() {
  const char* dir = std::getenv("SESSIONS_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : ".";
}

/// Registers `fn(state, size)` as `name/<size>` for the three payloads.
template <class Fn>
void register_sized(const std::string& name, Fn fn) {
  for (const std::string_view size : kSizes) {
    benchmark::RegisterBenchmark((name + "/" + std::string(size)).c_str(),
                                 [fn, size](benchmark::State& state) { fn(state, size); });
  }
}

/// Runs `fn` once at static-initialisation time (registration of benchmarks with arguments).
struct Registrar {
  template <class Fn>
  explicit Registrar(Fn fn) {
    fn();
  }
};

}  // namespace bench
