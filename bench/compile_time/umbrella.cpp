// Compile-time probe: what every user file that includes the umbrella header pays.
#include <sessions/sessions.hpp>

int main() { return 0; }
