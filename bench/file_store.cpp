// FileStore (Django's file backend layout) on the build directory's file system and on tmpfs.
#include <filesystem>
#include <map>
#include <memory>
#include <sessions/sessions.hpp>
#include <string>
#include <unistd.h>

#include "store_cycle.hpp"

namespace {

sessions::FileStore& store_in(const std::string& where) {
  static std::map<std::string, std::unique_ptr<sessions::FileStore>> stores;
  auto& slot = stores[where];
  if (!slot) {
    const std::filesystem::path dir =
        std::filesystem::path(where) / ("sessions-bench-files-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    slot = std::make_unique<sessions::FileStore>(
        sessions::FileStore::Options{.directory = std::filesystem::absolute(dir)});
  }
  return *slot;
}

const bench::Registrar registrar{[] {
  for (const bool change : {true, false}) {
    const std::string what = change ? "changed" : "read";
    benchmark::RegisterBenchmark(("file_store/disk/" + what).c_str(), [change](benchmark::State& s) {
      bench::store_cycle(s, store_in(bench::disk_dir()), change);
    });
    benchmark::RegisterBenchmark(("file_store/dev_shm/" + what).c_str(), [change](benchmark::State& s) {
      bench::store_cycle(s, store_in("/dev/shm"), change);
    });
  }
}};

// The files are removed when the process ends.
struct Cleanup {
  ~Cleanup() {
    for (const std::string& where : {bench::disk_dir(), std::string("/dev/shm")}) {
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::path(where) / ("sessions-bench-files-" + std::to_string(::getpid())),
                                  ec);
    }
  }
} cleanup;

}  // namespace
