// Compile-time probe, the reference: a file that includes only nlohmann/json.hpp.
#include <nlohmann/json.hpp>

int main() { return 0; }
