// sessionctl: Django's signing from the command line.
//
//   sessionctl sign   --key KEY [--salt SALT] [--compress] [--timestamp UNIX]
//       reads one JSON value on stdin (key order kept) and prints Django's signing.dumps of it.
//   sessionctl unsign --key KEY [--fallback-key KEY]... [--salt SALT] [--max-age SECONDS] [--now UNIX]
//       reads one signed string on stdin and prints its value as compact JSON (Django's style).
//   sessionctl sign-cookie   --key KEY --name NAME [--salt SALT] [--timestamp UNIX]
//   sessionctl unsign-cookie --key KEY --name NAME [--fallback-key KEY]... [--salt SALT]
//                            [--max-age SECONDS] [--now UNIX]
//       the values of Django's set_signed_cookie / get_signed_cookie (raw text on stdin/stdout).
//
// The key may instead come from --key-file PATH (one trailing newline is dropped) or the
// environment variable SESSIONS_SECRET_KEY. Exit status: 0 success; 1 the input was refused
// (the first stderr line is "BadSignature: why", "SignatureExpired: why", "MalformedSignedData:
// why", ...); 2 usage error (with a usage line on stderr).
//
//   sessionctl clearsessions --store URL [--key KEY]
//   sessionctl show --store URL [--key KEY] SESSION_KEY
//       Django's clearsessions, and a session's data as Django's SessionStore(key).load() sees it
//       (store_commands.hpp). A store that cannot be reached: one line on stderr, exit 1.
//   sessionctl whoami --store URL [--key KEY] [--fallback-key KEY]... [--user-table URL] SESSION_KEY
//       the verified user id of a session, as Django's get_user decides it (whoami.hpp).
//
//   sessionctl user-sessions --store URL USER_ID
//   sessionctl revoke-user --store URL USER_ID [--except KEY]
//   sessionctl reindex --store URL [--key KEY]
//   sessionctl purge --store URL --batch N
//       the per-user index: a user's sessions one line each (the format is in user_commands.hpp),
//       log a user out everywhere (but KEY), build the index from the sessions already stored
//       (e.g. Django's), remove the expired sessions N at a time. A store without the index
//       (memcached): "Unsupported: why" on stderr, exit 1.
//
//   sessionctl batch
//       runs many commands in one process, for scripts that would otherwise start sessionctl once
//       per command (starting it, with the store clients' libraries, costs more than most
//       commands do). Each line of stdin is one command as JSON: {"args": ["sign", "--key", "k"],
//       "stdin": "<its stdin, URL-safe base64>"}; each is answered, in order, by one line
//       {"status": <exit status>, "stdout": "<base64>", "stderr": "<base64>"}, flushed at once so
//       that a script can wait for each answer. The library's own log lines still go to the
//       process's stderr. A line that is not such a request is answered with status 2.
//
// Commands live in one table (kCommands): a handler and a row.

#include <nlohmann/json.hpp>
#include <sessions/signing/signing.hpp>

#include "store_commands.hpp"
#include "user_commands.hpp"
#include "whoami.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace signing = sessions::signing;

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

/// A command line that cannot be run as given; main() prints it with the usage and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// Options

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;
  bool repeatable;
};

class Args {
 public:
  [[nodiscard]] bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const {
    const auto it = values_.find(std::string(name));
    if (it == values_.end()) return std::nullopt;
    return it->second.back();
  }
  [[nodiscard]] std::vector<std::string> all(std::string_view name) const {
    const auto it = values_.find(std::string(name));
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  void add(std::string_view name, std::string value) { values_[std::string(name)].push_back(std::move(value)); }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

// Accepts "--name value" and "--name=value"; flags take no value. A command with a positional
// argument (`positional` names the option it stands for) takes one word that is not an option,
// wherever it stands: `show --store URL KEY`, `revoke-user --store URL 42 --except KEY`.
Args parse_options(std::span<const OptionSpec> specs, std::span<char* const> argv, std::string_view positional = {}) {
  Args args;
  bool positional_seen = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string_view word = argv[i];
    if (word.substr(0, 2) != "--") {
      if (positional.empty() || positional_seen) throw UsageError("unexpected argument '" + std::string(word) + "'");
      if (args.has(positional)) throw UsageError("--" + std::string(positional) + " given twice");
      positional_seen = true;
      args.add(positional, std::string(word));
      continue;
    }
    word.remove_prefix(2);
    std::optional<std::string> inline_value;
    if (const auto eq = word.find('='); eq != std::string_view::npos) {
      inline_value = std::string(word.substr(eq + 1));
      word = word.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs) {
      if (s.name == word) spec = &s;
    }
    if (spec == nullptr) throw UsageError("unknown option --" + std::string(word));
    if (!spec->repeatable && args.has(word)) throw UsageError("--" + std::string(word) + " given twice");
    if (!spec->takes_value) {
      if (inline_value) throw UsageError("--" + std::string(word) + " takes no value");
      args.add(word, "");
      continue;
    }
    if (inline_value) {
      args.add(word, std::move(*inline_value));
    } else {
      if (i + 1 >= argv.size()) throw UsageError("--" + std::string(word) + " needs a value");
      args.add(word, argv[++i]);
    }
  }
  return args;
}

double parse_seconds(const std::string& text, std::string_view option) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || res.ec != std::errc{} || res.ptr != s.data() + s.size() || !std::isfinite(v)) {
    throw UsageError("--" + std::string(option) + " wants a number of seconds, got '" + text + "'");
  }
  return v;
}

// A Unix time as a TimePoint; limited to what the clock's nanosecond ticks can hold.
sessions::TimePoint parse_unix_time(const std::string& text, std::string_view option) {
  const double seconds = parse_seconds(text, option);
  if (std::fabs(seconds) > 9.0e9) throw UsageError("--" + std::string(option) + " is out of range");
  return sessions::TimePoint(
      std::chrono::duration_cast<sessions::TimePoint::duration>(std::chrono::duration<double>(seconds)));
}

// --timestamp: Django uses int(time.time()); truncate here so the TimePoint is whole seconds.
sessions::TimePoint parse_timestamp(const std::string& text) {
  const double seconds = std::trunc(parse_seconds(text, "timestamp"));
  if (std::fabs(seconds) > 9.0e9) throw UsageError("--timestamp is out of range");
  return sessions::TimePoint(std::chrono::seconds(static_cast<std::int64_t>(seconds)));
}

std::string read_stdin() {
  std::ostringstream buffer;
  buffer << std::cin.rdbuf();
  return std::move(buffer).str();
}

std::string_view trim_trailing_newlines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// --key, else --key-file, else $SESSIONS_SECRET_KEY.
std::string secret_key(const Args& args) {
  if (args.has("key") && args.has("key-file")) throw UsageError("give --key or --key-file, not both");
  if (auto key = args.get("key")) {
    if (key->empty()) throw UsageError("--key is empty");
    return *key;
  }
  if (auto path = args.get("key-file")) {
    std::ifstream file(*path, std::ios::binary);
    if (!file) throw UsageError("cannot read --key-file " + *path);
    std::string key((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    // Editors end files with a newline that is not part of the key.
    if (!key.empty() && key.back() == '\n') key.pop_back();
    if (!key.empty() && key.back() == '\r') key.pop_back();
    if (key.empty()) throw UsageError("--key-file " + *path + " is empty");
    return key;
  }
  if (const char* env = std::getenv("SESSIONS_SECRET_KEY"); env != nullptr && *env != '\0') return env;
  throw UsageError("no key: pass --key, --key-file or set SESSIONS_SECRET_KEY");
}

std::optional<double> max_age_option(const Args& args) {
  if (auto text = args.get("max-age")) return parse_seconds(*text, "max-age");
  return std::nullopt;
}

std::optional<sessions::TimePoint> now_option(const Args& args) {
  if (auto text = args.get("now")) return parse_unix_time(*text, "now");
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Commands

int cmd_sign(const Args& args) {
  const std::string key = secret_key(args);
  const std::string salt = args.get("salt").value_or(std::string(signing::default_dumps_salt));
  const std::optional<sessions::TimePoint> at =
      args.has("timestamp") ? std::optional(parse_timestamp(*args.get("timestamp"))) : std::nullopt;
  // Hand-written input may carry UTF-8; the output is ASCII with \u escapes either way.
  signing::PythonJsonReadOptions read;
  read.non_ascii = signing::NonAsciiInput::utf8;
  const sessions::Data value = signing::parse_python_json(read_stdin(), read);
  const signing::TimestampSigner signer(key, salt);
  std::cout << signing::dumps(value, signer, args.has("compress"), at) << '\n';
  return kExitOk;
}

int cmd_unsign(const Args& args) {
  const std::string key = secret_key(args);
  const std::vector<std::string> fallbacks = args.all("fallback-key");
  const std::string salt = args.get("salt").value_or(std::string(signing::default_dumps_salt));
  const std::string input = read_stdin();
  const signing::TimestampSigner signer(key, salt, fallbacks);
  const sessions::Data value =
      signing::loads(trim_trailing_newlines(input), signer, max_age_option(args), now_option(args));
  std::cout << signing::dump_python_json(value) << '\n';
  return kExitOk;
}

std::string cookie_name(const Args& args) {
  auto name = args.get("name");
  if (!name) throw UsageError("--name is required");
  return *name;
}

int cmd_sign_cookie(const Args& args) {
  const std::string key = secret_key(args);
  const std::string name = cookie_name(args);
  const std::string salt = args.get("salt").value_or("");
  const std::string input = read_stdin();
  const std::string_view value = trim_trailing_newlines(input);
  const sessions::TimePoint at =
      args.has("timestamp") ? parse_timestamp(*args.get("timestamp")) : sessions::Clock{}.now();
  std::cout << signing::sign_cookie_value(name, value, key, salt, at) << '\n';
  return kExitOk;
}

int cmd_unsign_cookie(const Args& args) {
  const std::string key = secret_key(args);
  const std::string name = cookie_name(args);
  const std::string salt = args.get("salt").value_or("");
  const std::vector<std::string> fallbacks = args.all("fallback-key");
  const std::string input = read_stdin();
  signing::CookieUnsignOptions options;
  options.salt = salt;
  options.max_age = max_age_option(args);
  options.fallback_keys = fallbacks;
  options.now = now_option(args);
  std::cout << signing::unsign_cookie_value(name, trim_trailing_newlines(input), key, options) << '\n';
  return kExitOk;
}

constexpr OptionSpec kKey{"key", true, false};
constexpr OptionSpec kKeyFile{"key-file", true, false};
constexpr OptionSpec kSalt{"salt", true, false};
constexpr OptionSpec kFallbackKey{"fallback-key", true, true};
constexpr OptionSpec kMaxAge{"max-age", true, false};
constexpr OptionSpec kNow{"now", true, false};
constexpr OptionSpec kTimestamp{"timestamp", true, false};
constexpr OptionSpec kCompress{"compress", false, false};
constexpr OptionSpec kName{"name", true, false};

constexpr OptionSpec kSignOptions[] = {kKey, kKeyFile, kSalt, kCompress, kTimestamp};
constexpr OptionSpec kUnsignOptions[] = {kKey, kKeyFile, kFallbackKey, kSalt, kMaxAge, kNow};
constexpr OptionSpec kSignCookieOptions[] = {kKey, kKeyFile, kName, kSalt, kTimestamp};
constexpr OptionSpec kUnsignCookieOptions[] = {kKey, kKeyFile, kName, kFallbackKey, kSalt, kMaxAge, kNow};
constexpr OptionSpec kStore{"store", true, false};
constexpr OptionSpec kClearOptions[] = {kStore, kKey, kKeyFile};
constexpr OptionSpec kShowOptions[] = {kStore, kKey, kKeyFile, {"session-key", true, false}};
constexpr OptionSpec kWhoamiOptions[] = {
    kStore, kKey, kKeyFile, kFallbackKey, {"user-table", true, false}, {"session-key", true, false}};
constexpr OptionSpec kUserId{"user-id", true, false};
constexpr OptionSpec kUserSessionsOptions[] = {kStore, kUserId};
constexpr OptionSpec kRevokeUserOptions[] = {kStore, kUserId, {"except", true, false}};
constexpr OptionSpec kReindexOptions[] = {kStore, kKey, kKeyFile};
constexpr OptionSpec kPurgeOptions[] = {kStore, {"batch", true, false}};

std::string store_url(const Args& args) {
  auto url = args.get("store");
  if (!url || url->empty()) throw UsageError("--store URL is required");
  return *url;
}

int cmd_clearsessions(const Args& args) { return sessionctl::clearsessions(store_url(args)); }

int cmd_show(const Args& args) {
  const std::string url = store_url(args);
  const auto session_key = args.get("session-key");
  if (!session_key) throw UsageError("the session key to show is missing");
  try {
    return sessionctl::show(url, secret_key(args), *session_key);
  } catch (const sessionctl::NotFound& e) {
    std::cerr << "NotFound: " << e.what() << '\n';
    return kExitRefused;
  }
}

int cmd_whoami(const Args& args) {
  const std::string url = store_url(args);
  const auto session_key = args.get("session-key");
  if (!session_key) throw UsageError("the session key is missing");
  try {
    return sessionctl::whoami(url, secret_key(args), args.all("fallback-key"), args.get("user-table"), *session_key);
  } catch (const sessionctl::NotFound& e) {
    std::cerr << "NotFound: " << e.what() << '\n';
    return kExitRefused;
  }
}

// A user id as Django stores it (`_auth_user_id`, the primary key as text): not empty.
std::string user_id(const Args& args) {
  auto id = args.get("user-id");
  if (!id || id->empty()) throw UsageError("the user id is missing");
  return *id;
}

int cmd_user_sessions(const Args& args) { return sessionctl::user_sessions(store_url(args), user_id(args)); }

int cmd_revoke_user(const Args& args) {
  const std::string url = store_url(args);
  const std::string user = user_id(args);
  const std::string except = args.get("except").value_or("");
  if (args.has("except") && !sessions::is_valid_session_key(except))
    throw UsageError("--except wants a session key, got '" + std::string(sessions::loggable_key_prefix(except)) +
                     "...'");
  return sessionctl::revoke_user(url, user, except);
}

int cmd_reindex(const Args& args) {
  const std::string url = store_url(args);
  return sessionctl::reindex(url, secret_key(args));
}

int cmd_purge(const Args& args) {
  const std::string url = store_url(args);
  const auto text = args.get("batch");
  if (!text) throw UsageError("--batch N is required");
  std::size_t batch = 0;
  const auto res = std::from_chars(text->data(), text->data() + text->size(), batch);
  if (text->empty() || res.ec != std::errc{} || res.ptr != text->data() + text->size() || batch == 0)
    throw UsageError("--batch wants a whole number of sessions, at least 1, got '" + *text + "'");
  return sessionctl::purge(url, batch);
}

struct Command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view summary;
  std::span<const OptionSpec> options;
  int (*run)(const Args&);
  /// The option the command's one positional argument stands for; empty: none.
  std::string_view positional = {};
};

constexpr Command kCommands[] = {
    {"sign", "sign --key KEY [--salt SALT] [--compress] [--timestamp UNIX]",
     "Django's signing.dumps of the JSON value on stdin", kSignOptions, cmd_sign},
    {"unsign", "unsign --key KEY [--fallback-key KEY]... [--salt SALT] [--max-age SECONDS] [--now UNIX]",
     "the JSON value of the signed string on stdin (Django's signing.loads)", kUnsignOptions, cmd_unsign},
    {"sign-cookie", "sign-cookie --key KEY --name NAME [--salt SALT] [--timestamp UNIX]",
     "the value set_signed_cookie(NAME, <stdin>, salt=SALT) stores", kSignCookieOptions, cmd_sign_cookie},
    {"unsign-cookie",
     "unsign-cookie --key KEY --name NAME [--fallback-key KEY]... [--salt SALT] [--max-age SECONDS] [--now UNIX]",
     "the original value of the signed cookie value on stdin (get_signed_cookie)", kUnsignCookieOptions,
     cmd_unsign_cookie},
    {"clearsessions", "clearsessions --store URL",
     "removes expired sessions and prints how many (Django's clearsessions)", kClearOptions, cmd_clearsessions},
    {"show", "show --store URL [--key KEY] SESSION_KEY",
     "the live session's data as compact JSON; exit 1 when missing or expired", kShowOptions, cmd_show, "session-key"},
    {"whoami", "whoami --store URL [--key KEY] [--fallback-key KEY]... [--user-table URL] SESSION_KEY",
     "the verified user id of the session (Django's get_user); exit 1 with the reason otherwise", kWhoamiOptions,
     cmd_whoami, "session-key"},
    {"user-sessions", "user-sessions --store URL USER_ID",
     "the user's sessions, one line each: key prefix, created, last seen, expiry, user agent, address (tabs)",
     kUserSessionsOptions, cmd_user_sessions, "user-id"},
    {"revoke-user", "revoke-user --store URL USER_ID [--except KEY]",
     "deletes the user's sessions (all but KEY) and prints how many", kRevokeUserOptions, cmd_revoke_user, "user-id"},
    {"reindex", "reindex --store URL [--key KEY]",
     "builds the per-user index from the sessions already stored (e.g. Django's); prints how many it indexed",
     kReindexOptions, cmd_reindex},
    {"purge", "purge --store URL --batch N",
     "removes the expired sessions and their index entries, N per step; prints how many", kPurgeOptions, cmd_purge},
};

void print_usage(std::ostream& out) {
  out << "usage: sessionctl <command> [options]   (--key-file PATH or $SESSIONS_SECRET_KEY may replace --key)\n";
  for (const Command& c : kCommands) out << "  sessionctl " << c.synopsis << "\n      " << c.summary << '\n';
  out << "  sessionctl batch\n      runs the commands on stdin, one JSON request per line: {\"args\": [...], "
         "\"stdin\": base64url}, each answered by a line {\"status\", \"stdout\", \"stderr\"}\n";
}

// The most specific library error name, for "Name: why" on stderr.
std::string_view error_name(const std::exception& e) {
  if (dynamic_cast<const sessions::SignatureExpired*>(&e) != nullptr) return "SignatureExpired";
  if (dynamic_cast<const sessions::BadSignature*>(&e) != nullptr) return "BadSignature";
  if (dynamic_cast<const signing::MalformedSignedData*>(&e) != nullptr) return "MalformedSignedData";
  if (dynamic_cast<const sessions::LimitExceeded*>(&e) != nullptr) return "LimitExceeded";
  if (dynamic_cast<const sessions::DecodeError*>(&e) != nullptr) return "DecodeError";
  if (dynamic_cast<const sessions::EncodeError*>(&e) != nullptr) return "EncodeError";
  if (dynamic_cast<const sessions::ConfigurationError*>(&e) != nullptr) return "ConfigurationError";
  if (dynamic_cast<const sessions::CryptoError*>(&e) != nullptr) return "CryptoError";
  if (dynamic_cast<const sessions::StorageError*>(&e) != nullptr) return "StorageError";
  if (dynamic_cast<const sessionctl::Unsupported*>(&e) != nullptr) return "Unsupported";
  if (dynamic_cast<const sessions::Error*>(&e) != nullptr) return "Error";
  return "error";
}

// One command line (words[0] is the program's name), as main() runs it.
int run_command(std::span<char* const> words) {
  if (words.size() < 2) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  const std::string_view name = words[1];
  if (name == "help" || name == "--help" || name == "-h") {
    print_usage(std::cout);
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const Command& c : kCommands) {
    if (c.name == name) command = &c;
  }
  try {
    if (command == nullptr) throw UsageError("unknown command '" + std::string(name) + "'");
    const std::vector<char*> rest(words.begin() + 2, words.end());
    const Args args = parse_options(command->options, rest, command->positional);
    return command->run(args);
  } catch (const UsageError& e) {
    std::cerr << "sessionctl: " << e.what() << '\n';
    if (command != nullptr) {
      std::cerr << "usage: sessionctl " << command->synopsis << '\n';
    } else {
      print_usage(std::cerr);
    }
    return kExitUsage;
  } catch (const sessions::ConfigurationError& e) {
    // A key or salt the library refuses (e.g. an empty fallback key) is a usage problem too.
    std::cerr << "ConfigurationError: " << e.what() << '\n';
    if (command != nullptr) std::cerr << "usage: sessionctl " << command->synopsis << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << error_name(e) << ": " << e.what() << '\n';
    return kExitRefused;
  }
}

// The streams a command reads and writes, pointed at buffers for one command of a batch and
// pointed back when it ends (also when it throws).
class RedirectedStreams {
 public:
  RedirectedStreams(std::streambuf* in, std::streambuf* out, std::streambuf* err)
      : in_(std::cin.rdbuf(in)), out_(std::cout.rdbuf(out)), err_(std::cerr.rdbuf(err)) {
    std::cin.clear();
  }
  ~RedirectedStreams() {
    std::cin.rdbuf(in_);
    std::cout.rdbuf(out_);
    std::cerr.rdbuf(err_);
    std::cin.clear();
    std::cout.clear();
    std::cerr.clear();
  }
  RedirectedStreams(const RedirectedStreams&) = delete;
  RedirectedStreams& operator=(const RedirectedStreams&) = delete;

 private:
  std::streambuf* in_;
  std::streambuf* out_;
  std::streambuf* err_;
};

// One request line of `sessionctl batch`, run; its answer line (without the newline).
std::string answer_batch_request(const std::string& line) {
  std::ostringstream out, err;
  int status = kExitUsage;
  try {
    const nlohmann::json request = nlohmann::json::parse(line);
    std::vector<std::string> words{"sessionctl"};
    for (const auto& word : request.at("args")) words.push_back(word.get<std::string>());
    std::istringstream in(signing::b64_decode(request.value("stdin", std::string())));
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    const RedirectedStreams redirected(in.rdbuf(), out.rdbuf(), err.rdbuf());
    status = run_command(argv);
  } catch (const std::exception& e) {
    // Not a request (bad JSON, args not strings, stdin not base64): say so in its answer.
    err << "sessionctl batch: not a request (" << e.what() << ")\n";
    status = kExitUsage;
  }
  const nlohmann::json answer = {
      {"status", status}, {"stdout", signing::b64_encode(out.str())}, {"stderr", signing::b64_encode(err.str())}};
  return answer.dump();
}

int run_batch() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << answer_batch_request(line) << std::endl;  // flushed: the caller waits for it
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::span<char* const> words(argv, static_cast<std::size_t>(argc));
  if (words.size() == 2 && std::string_view(words[1]) == "batch") return run_batch();
  return run_command(words);
}
