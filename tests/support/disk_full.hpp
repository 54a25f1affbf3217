#pragma once
// A disk filling up under load, shared by the {file_store,sqlite}/disk_full_under_load tests:
// request threads (support/request_load.hpp), each storing a 16 KiB value per request, run over a
// store kept on a small tmpfs; the driver fills the file system, lets the requests meet ENOSPC,
// frees the space and checks what holds for every store that writes files: each failure is a
// typed StorageError, no record vanished under a request, requests succeeded before the disk
// filled and fail while it is full, and every thread succeeds again once space is freed. What is
// "nothing half written" differs per store and stays in the test.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <thread>

#include "support/catch.hpp"
#include "support/request_load.hpp"

namespace fault_test {

struct DiskFullRun {
  std::size_t filled = 0;  // bytes the filler file took
  std::string sample_storage_error{};
};

/// Runs the load over `store` (kept on `disk`), fills `disk` for a while, frees it and checks the
/// common behaviour (see the file comment). `fresh_sessions`: see RequestLoad.
template <class Store>
DiskFullRun fill_disk_under_load(Store& store, const sessions::Settings& settings, const SmallTmpfs& disk,
                                 bool fresh_sessions = false) {
  using namespace std::chrono_literals;
  RequestLoad<Store> load(store, settings, 4, /*blob_bytes=*/16 * 1024, fresh_sessions);
  std::this_thread::sleep_for(300ms);
  const auto ok_before_full = load.counts().ok;
  const std::size_t filled = disk.fill("filler");
  std::this_thread::sleep_for(800ms);  // every write now meets ENOSPC
  const auto during = load.counts();
  std::filesystem::remove(disk.path() / "filler");
  const auto freed = Steady::now();
  CHECK(load.wait_for_success_since(freed, 5000ms));
  load.stop();

  const auto counts = load.counts();
  INFO("filler " << filled << " bytes; ok " << counts.ok << " (" << ok_before_full << " before the disk filled), "
                 << "StorageError " << counts.storage_errors << " (" << during.storage_errors
                 << " while full), interrupted " << counts.interrupted << ", other " << counts.other
                 << "; sample: " << load.sample_storage_error());
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(filled > 0);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);
  CHECK(ok_before_full > 0);
  CHECK(during.storage_errors > 0);
  return DiskFullRun{filled, load.sample_storage_error()};
}

}  // namespace fault_test
