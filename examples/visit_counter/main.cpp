// The seed tutorial's site in C++: a page that counts how often this visitor came.
//
//   visit_counter [--host 127.0.0.1] [--port 8000] [--dir ./sessions]
//
// Sessions live in files (FileStore) under --dir, so the count survives a restart of the server.
// `--port 0` picks a free port; the chosen address is printed on the first line.

#include <httplib.h>
#include <sessions/sessions.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

using SessionT = sessions::Session<sessions::FileStore>;
using MiddlewareT = sessions::Middleware<SessionT>;

httplib::Server* g_server = nullptr;

void stop(int /*signal*/) {
  if (g_server != nullptr) g_server->stop();
}

// Runs `handler` with the request's session and applies the middleware's headers to the response.
template <class Handler>
void with_session(const MiddlewareT& middleware, const httplib::Request& req, httplib::Response& res,
                  Handler&& handler) {
  SessionT session = middleware.open(req.get_header_value("Cookie"));
  handler(session);
  if (res.status == -1) res.status = 200;  // cpp-httplib fills in 200 only after the handler
  try {
    for (const auto& header : middleware.finish(session, res.status)) {
      if (header.name == "Vary" && res.has_header("Vary")) {
        res.set_header("Vary", sessions::patch_vary(res.get_header_value("Vary"), header.value));
      } else {
        res.set_header(header.name, header.value);
      }
    }
  } catch (const sessions::SessionInterrupted& e) {
    res.status = 400;
    res.set_content(e.what(), "text/plain");
  }
  std::printf("%s %s -> %d session=%s accessed=%d modified=%d\n", req.method.c_str(), req.path.c_str(), res.status,
              session.session_key() ? std::string(sessions::loggable_key_prefix(*session.session_key())).c_str()
                                    : "-",
              session.accessed() ? 1 : 0, session.modified() ? 1 : 0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::filesystem::path dir = "sessions";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: visit_counter [--host HOST] [--port PORT] [--dir DIRECTORY]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(dir);

  sessions::Settings settings;
  settings.file_path = dir;
  sessions::FileStore store{settings};
  const MiddlewareT middleware{store, settings};

  httplib::Server server;
  server.Get("/", [&](const httplib::Request& req, httplib::Response& res) {
    with_session(middleware, req, res, [&](SessionT& session) {
      const int visits = session.get("num_visits", 0) + 1;
      session.set("num_visits", visits);
      res.set_content("<!doctype html><title>Visits</title><p>Visits: " + std::to_string(visits) + "</p>",
                      "text/html; charset=utf-8");
    });
  });
  server.Post("/logout", [&](const httplib::Request& req, httplib::Response& res) {
    with_session(middleware, req, res, [&](SessionT& session) {
      session.flush();
      res.set_content("<!doctype html><title>Bye</title><p>Logged out</p>", "text/html; charset=utf-8");
    });
  });

  g_server = &server;
  std::signal(SIGINT, stop);
  std::signal(SIGTERM, stop);
  if (port == 0) {
    port = server.bind_to_any_port(host.c_str());
  } else if (!server.bind_to_port(host.c_str(), port)) {
    std::fprintf(stderr, "visit_counter: cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  std::printf("listening on http://%s:%d/\n", host.c_str(), port);
  std::fflush(stdout);
  server.listen_after_bind();
  std::printf("stopped\n");
  return 0;
}
