#pragma once
// The store convention's shared piece (docs/writing-policies.md, "Writing a store"): every store
// has a nested Options with a Clock and a Logger, a static options_from_url(url, base), and a
// constructor from a URL that takes the clock and the logger besides, built on this.

#include <utility>

#include "../../clock.hpp"
#include "../../log.hpp"

namespace sessions::detail {

/// `options` with its clock and logger replaced.
template <class Options>
[[nodiscard]] Options with_clock_and_logger(Options options, Clock clock, Logger logger) {
  options.clock = clock;
  options.logger = logger;
  return options;
}

}  // namespace sessions::detail
