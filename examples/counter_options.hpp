#pragma once
// The command line of the visit counter examples (beast_counter, poco_counter, pistache_counter):
//
//   <program> [--host 127.0.0.1] [--port 8080]
//
// `--port 0` picks a free port; each example prints `listening on http://HOST:PORT/` first.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace examples {

struct CounterOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
};

// The options, or nothing (after printing the usage) when the command line is not understood.
inline std::optional<CounterOptions> parse_counter_options(int argc, char** argv, const char* program) {
  CounterOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--host" && i + 1 < argc) {
      options.host = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      options.port = static_cast<unsigned short>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: %s [--host HOST] [--port PORT]\n", program);
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace examples
