// sessions::Data's object type against nlohmann::ordered_json (what Data was before): copy,
// destroy, parse, dump and lookup of the three payloads, and decoding one wide object, where
// ordered_json's linear search made the decode quadratic.

#include <sessions/sessions.hpp>
#include <string>

#include "bench_common.hpp"

namespace {

template <class Json>
Json as(std::string_view size) {
  return Json::parse(bench::payload(size).dump());
}

// {"a":{"k0":0,...}}: one top-level key, as a client can POST it.
std::string wide_text(std::int64_t keys) {
  std::string text = R"({"a":{)";
  for (std::int64_t i = 0; i < keys; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  return text + "}}";
}

template <class Json>
void register_all(const std::string& prefix) {
  bench::register_sized(prefix + "copy_destroy", [](benchmark::State& state, std::string_view size) {
    const Json data = as<Json>(size);
    for (auto _ : state) {
      Json copy = data;
      benchmark::DoNotOptimize(copy);
    }
  });
  bench::register_sized(prefix + "parse", [](benchmark::State& state, std::string_view size) {
    const std::string text = bench::payload(size).dump();
    for (auto _ : state) benchmark::DoNotOptimize(Json::parse(text));
  });
  bench::register_sized(prefix + "dump", [](benchmark::State& state, std::string_view size) {
    const Json data = as<Json>(size);
    for (auto _ : state) benchmark::DoNotOptimize(data.dump());
  });
  bench::register_sized(prefix + "lookup_last_key", [](benchmark::State& state, std::string_view size) {
    const Json data = as<Json>(size);
    const std::string key = (--data.end()).key();
    for (auto _ : state) benchmark::DoNotOptimize(data.find(key));
  });
  benchmark::RegisterBenchmark((prefix + "parse_wide").c_str(),
                               [](benchmark::State& state) {
                                 const std::string text = wide_text(state.range(0));
                                 for (auto _ : state) benchmark::DoNotOptimize(Json::parse(text));
                               })
      ->Arg(100)
      ->Arg(1000)
      ->Arg(10000)
      ->Unit(benchmark::kMicrosecond);
}

const bench::Registrar registrar{[] {
  register_all<sessions::Data>("data_");
  register_all<nlohmann::ordered_json>("ordered_json_");
}};

}  // namespace
