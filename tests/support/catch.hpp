#pragma once
// Tests build with Catch2 v3 where it is installed and with v2 (Debian 12's catch2 2.13) otherwise.
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
