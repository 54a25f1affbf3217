// SqliteStore on the build directory's file system, WAL journal, with synchronous=NORMAL (the
// default: a commit is durable once the WAL is checkpointed; a power cut may lose the last
// commits but never corrupts) and synchronous=FULL (every commit fsyncs the WAL).
#include <filesystem>
#include <map>
#include <memory>
#include <sessions/storage/sqlite.hpp>
#include <string>
#include <unistd.h>

#include "purge.hpp"
#include "store_cycle.hpp"

namespace {

sessions::SqliteStore& store(sessions::SqliteSynchronous sync) {
  static std::map<int, std::unique_ptr<sessions::SqliteStore>> stores;
  auto& slot = stores[static_cast<int>(sync)];
  if (!slot) {
    sessions::SqliteStore::Options o;
    o.path = std::filesystem::path(bench::disk_dir()) / ("sessions-bench-" + std::to_string(static_cast<int>(sync)) +
                                                         "-" + std::to_string(::getpid()) + ".sqlite3");
    o.synchronous = sync;
    o.wal = true;
    slot = std::make_unique<sessions::SqliteStore>(o);
  }
  return *slot;
}

const bench::Registrar registrar{[] {
  using S = sessions::SqliteSynchronous;
  benchmark::RegisterBenchmark("sqlite_store/wal_normal/changed",
                               [](benchmark::State& s) { bench::store_cycle(s, store(S::normal), true); });
  benchmark::RegisterBenchmark("sqlite_store/wal_normal/read",
                               [](benchmark::State& s) { bench::store_cycle(s, store(S::normal), false); });
  benchmark::RegisterBenchmark("sqlite_store/wal_full/changed",
                               [](benchmark::State& s) { bench::store_cycle(s, store(S::full), true); });
  benchmark::RegisterBenchmark("purge/sqlite_store", [](benchmark::State& s) {
    sessions::SqliteStore::Options o;
    o.path =
        std::filesystem::path(bench::disk_dir()) / ("sessions-bench-purge-" + std::to_string(::getpid()) + ".sqlite3");
    {
      sessions::UserIndexed<sessions::SqliteStore> indexed{o};
      bench::purge_throughput(s, indexed);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(o.path.string() + suffix, ec);
    }
  });
}};

struct Cleanup {
  ~Cleanup() {
    for (const int sync : {1, 2}) {
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ec;
        std::filesystem::remove(
            std::filesystem::path(bench::disk_dir()) /
                ("sessions-bench-" + std::to_string(sync) + "-" + std::to_string(::getpid()) + ".sqlite3" + suffix),
            ec);
      }
    }
  }
} cleanup;

}  // namespace
