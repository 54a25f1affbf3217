// The seed tutorial's site in C++: Django's session framework behind cpp-httplib.
//
//   visit_counter [--host 127.0.0.1] [--port 8000] [--store URL] [--secret-key-file FILE]
//                 [--user-table sqlite:///PATH]
//
//   GET  /              counts this visitor's visits in the session, sets the test cookie
//   GET  /short         the same in a session that ends after 30 s without a visit
//   GET  /about         whether the test cookie came back, the count, the session's expiry date
//   POST /login         form field `user`: a new session key (cycle_key), then the user in it;
//                       with --user-table, Django's login: fields `user` and `password` checked
//                       against Django's auth_user, "Logged in as NAME", and a success message
//                       the next page shows once (site_auth.hpp); / then says who is logged
//                       in, as Django's get_user decides it
//   POST /logout        flush(): the session and its cookie are gone
//   GET  /cookies       plain and signed cookies instead of a session (cookie_visits.hpp)
//   GET  /session.json  the session's data; POST /session.json adds a JSON object's keys to it
//   GET  /sessions      the logged-in user's sessions (per-user index; Django logins, --user-table)
//   POST /logout-others logs the user out of every other session
//   GET  /metrics       the store's calls and latencies, Prometheus text (session_pages.hpp)
//
// --store (default sqlite:sessions.db when built with SQLite, else file:sessions) picks the store
// (store_choice.hpp); server stores keep Django's signed session_data format, so a Django site
// with the same secret key shares the sessions. The secret comes from --secret-key-file, else
// the environment variable SESSIONS_SECRET_KEY, else a fixed development key (with a warning).
// `--port 0` picks a free port; the first line on stdout is `listening on http://HOST:PORT/`,
// then one line per request. SIGINT/SIGTERM: stop accepting, finish what runs, print `stopped`.

#include <httplib.h>
#include <pthread.h>
#include <sessions/sessions.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

#include "pages.hpp"
#include "store_choice.hpp"

namespace {

#ifdef VISIT_COUNTER_WITH_SQLITE
constexpr std::string_view kDefaultStore = "sqlite:sessions.db";
#else
constexpr std::string_view kDefaultStore = "file:sessions";
#endif
constexpr std::string_view kDevelopmentKey = "visit-counter-insecure-development-key-do-not-deploy";

struct Options {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string store{kDefaultStore};
  std::optional<std::string> secret_key_file{};
  std::optional<std::string> user_table{};
};

void usage() {
  std::fprintf(stderr,
               "usage: visit_counter [--host HOST] [--port PORT] [--store URL] [--secret-key-file FILE]\n"
               "                     [--user-table sqlite:///PATH]\n"
               "stores: %s\n",
               visit_counter::available_schemes().c_str());
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    const char* value = argv[++i];
    if (arg == "--host") {
      options.host = value;
    } else if (arg == "--port") {
      char* end = nullptr;
      const long port = std::strtol(value, &end, 10);
      if (*value == '\0' || *end != '\0' || port < 0 || port > 65535) return std::nullopt;
      options.port = static_cast<int>(port);
    } else if (arg == "--store") {
      options.store = value;
    } else if (arg == "--secret-key-file") {
      options.secret_key_file = value;
    } else if (arg == "--user-table") {
      options.user_table = value;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

/// The secret key: the file's first line, else SESSIONS_SECRET_KEY, else the development key.
std::optional<std::string> secret_key(const Options& options) {
  if (options.secret_key_file) {
    std::ifstream in(*options.secret_key_file);
    std::string key;
    if (!in || !std::getline(in, key) || key.empty()) {
      std::fprintf(stderr, "visit_counter: cannot read a secret key from %s\n", options.secret_key_file->c_str());
      return std::nullopt;
    }
    if (key.back() == '\r') key.pop_back();
    return key;
  }
  if (const char* env = std::getenv("SESSIONS_SECRET_KEY"); env != nullptr && *env != '\0') return std::string(env);
  std::fprintf(stderr,
               "visit_counter: warning: using the insecure development key; set SESSIONS_SECRET_KEY or "
               "--secret-key-file\n");
  return std::string(kDevelopmentKey);
}

/// Serves the site until SIGINT or SIGTERM. The signals are blocked in every thread (httplib's
/// workers inherit the mask) and taken by one thread with sigwait, which may then safely call
/// Server::stop(): a signal handler could not.
template <class SessionT>
int serve(const Options& options, const sessions::Middleware<SessionT>& middleware, const std::string& secret) {
  visit_counter::RequestLog log;
  std::optional<visit_counter::SiteAuth> auth;
  if (options.user_table) auth.emplace(*options.user_table, secret);
  visit_counter::Site<SessionT> site{middleware, secret, log, auth ? &*auth : nullptr};
  httplib::Server server;
  // Keep-alive responses must not wait for Nagle's algorithm (~40 ms each), and a pool of 8
  // threads (httplib's default) leaves most of 64 concurrent clients queued: both show as
  // timeouts under load (tools/soak.sh).
  server.set_tcp_nodelay(true);
  // `curl -X POST .../logout` sends no Content-Length: httplib 0.11 would wait 5 s, then answer 400.
  sessions::httplib_adapter::accept_requests_without_length(server);
  server.new_task_queue = [] { return new httplib::ThreadPool(128); };
  site.install(server);
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    res.status = 500;
    res.set_content("Internal Server Error\n", "text/plain; charset=utf-8");
    std::fprintf(stderr, "visit_counter: %s %s failed: %s\n", req.method.c_str(), req.path.c_str(), what.c_str());
  });
  server.set_logger([&log](const httplib::Request& req, const httplib::Response& res) { log.written(req, res); });

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) port = 0;
  } else if (!server.bind_to_port(options.host, port)) {
    port = 0;
  }
  if (port == 0) {
    std::fprintf(stderr, "visit_counter: cannot listen on %s:%d\n", options.host.c_str(), options.port);
    return 1;
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.stop();
  });

  log.line("listening on http://" + options.host + ":" + std::to_string(port) + "/");
  const bool listened = server.listen_after_bind();
  // listen_after_bind also returns when the socket fails: wake the stopper so it can be joined.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  log.line("stopped");
  return listened ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const std::optional<Options> options = parse_options(argc, argv);
  if (!options) {
    usage();
    return 2;
  }
  const std::optional<std::string> secret = secret_key(*options);
  if (!secret) return 2;

  sessions::Settings settings;
  try {
    return visit_counter::with_store(options->store, *secret, settings, [&](auto& chosen, auto serializer) {
      // Metered, and UserIndexed when the store can list its sessions (session_pages.hpp).
      return visit_counter::with_site_store(chosen, [&](auto& store) {
        using Store = std::remove_reference_t<decltype(store)>;
        using SessionT = sessions::Session<Store, decltype(serializer)>;
        const sessions::Middleware<SessionT> middleware{store, settings, serializer};
        return serve(*options, middleware, *secret);
      });
    });
  } catch (const visit_counter::UnknownStore& e) {
    std::fprintf(stderr, "visit_counter: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "visit_counter: %s\n", e.what());
    return 1;
  }
}
