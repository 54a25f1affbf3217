// The suite's main: Google Benchmark's, plus a note of the payload sizes in the JSON context.
#include <string>

#include "bench_common.hpp"

int main(int argc, char** argv) {
  for (const std::string_view size : bench::kSizes) {
    benchmark::AddCustomContext("payload_bytes_" + std::string(size),
                                std::to_string(bench::payload(size).dump().size()));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
