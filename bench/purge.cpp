// The purge's throughput on the stores without a client library: MemoryStore and FileStore
// (purge.hpp). SqliteStore's is in sqlite_store.cpp.
#include <filesystem>
#include <unistd.h>

#include "purge.hpp"

namespace {

const bench::Registrar registrar{[] {
  benchmark::RegisterBenchmark("purge/memory_store", [](benchmark::State& s) {
    sessions::UserIndexed<sessions::MemoryStore> store;
    bench::purge_throughput(s, store);
  });
  benchmark::RegisterBenchmark("purge/file_store", [](benchmark::State& s) {
    const std::filesystem::path dir =
        std::filesystem::path(bench::disk_dir()) / ("sessions-bench-purge-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
      sessions::FileStore::Options o;
      o.directory = dir;
      sessions::UserIndexed<sessions::FileStore> store{o};
      bench::purge_throughput(s, store);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  });
}};

}  // namespace
