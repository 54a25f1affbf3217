// The serializers for server-side stores, over the three payloads: the bytes each writes, and the
// CPU time of dumps() and loads(). JSON is the default; CBOR and MessagePack are nlohmann's binary
// forms of the same values; "encrypted" is EncryptedSerializer<JsonSerializer> (AES-256-GCM over
// the JSON, bound to a session key). Each benchmark reports the stored size as the counter `bytes`.
// Named serializer/<format>/<dumps|loads>/<size>; bench/report.py makes the serializer table of
// docs/benchmarks.md from them.

#include <sessions/sessions.hpp>
#include <string>
#include <string_view>

#include "bench_common.hpp"

namespace {

constexpr std::string_view kBenchSessionKey = "abcdefghijklmnopqrstuvwxyz012345";

// Plain serializers and the keyed one, called alike.
template <class S>
std::string dumps_of(const S& s, const sessions::Data& data) {
  if constexpr (sessions::KeyedSerializer<S>) {
    return s.dumps(data, kBenchSessionKey);
  } else {
    return s.dumps(data);
  }
}
template <class S>
sessions::Data loads_of(const S& s, std::string_view bytes) {
  if constexpr (sessions::KeyedSerializer<S>) {
    return s.loads(bytes, kBenchSessionKey);
  } else {
    return s.loads(bytes);
  }
}

template <class S>
void register_format(const std::string& format, S serializer) {
  bench::register_sized("serializer/" + format + "/dumps",
                        [serializer](benchmark::State& state, std::string_view size) {
                          const sessions::Data& data = bench::payload(size);
                          std::size_t bytes = 0;
                          for (auto _ : state) {
                            std::string out = dumps_of(serializer, data);
                            bytes = out.size();
                            benchmark::DoNotOptimize(out);
                          }
                          state.counters["bytes"] = static_cast<double>(bytes);
                        });
  bench::register_sized("serializer/" + format + "/loads",
                        [serializer](benchmark::State& state, std::string_view size) {
                          const std::string bytes = dumps_of(serializer, bench::payload(size));
                          for (auto _ : state) benchmark::DoNotOptimize(loads_of(serializer, bytes));
                          state.counters["bytes"] = static_cast<double>(bytes.size());
                        });
}

const bench::Registrar registered([] {
  register_format("json", sessions::JsonSerializer{});
  register_format("cbor", sessions::CborSerializer{});
  register_format("msgpack", sessions::MessagePackSerializer{});
  register_format("encrypted_json", sessions::EncryptedSerializer<>(std::string(bench::kSecret)));
});

}  // namespace
