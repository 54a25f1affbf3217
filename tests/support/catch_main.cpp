// main() for Catch2 v2; with v3 the tests link Catch2::Catch2WithMain and this file is not built.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
