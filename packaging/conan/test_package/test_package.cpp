// conan test_package: a session in memory with the default policies spelled out, a value set and
// read back, and a value signed as Django's Signer does.
#include <sessions/sessions.hpp>

#include <cstdio>  // printf
#include <string>  // string

int main() {
  sessions::MemoryStore store;
  sessions::Session<sessions::MemoryStore, sessions::JsonSerializer, sessions::DjangoExpiry> session{store};
  session.set("num_visits", 1);
  session.save();
  sessions::Session<sessions::MemoryStore, sessions::JsonSerializer, sessions::DjangoExpiry> again{
      store, *session.session_key()};
  const int visits = again.get("num_visits", 0);

  const sessions::signing::Signer signer{"test_package secret key"};
  const std::string signed_value = signer.sign("hello");
  const bool verified = signer.unsign(signed_value) == "hello";

  std::printf("sessions %s: num_visits=%d, signed=%s\n", SESSIONS_VERSION_STRING, visits, signed_value.c_str());
  const bool ok = visits == 1 && verified;
  std::printf("sessions test_package: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
