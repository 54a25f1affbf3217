// Compile-time probe, the reference: a user file that includes only nlohmann/json.hpp and does the
// minimal work umbrella.cpp's session does in JSON terms: parse one value, read and write one
// member, dump it. tools/bench.sh compiles both with g++ -std=c++20 -O2 -c and reports the ratio.
#include <string>

#include <nlohmann/json.hpp>

int main() {
  auto data = nlohmann::json::parse(R"({"num_visits": 0})");
  data["num_visits"] = data.value("num_visits", 0) + 1;
  const std::string text = data.dump();
  return text == R"({"num_visits":1})" ? 0 : 1;
}
