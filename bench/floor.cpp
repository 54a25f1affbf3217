// The floor: the steps a Django-format signed-cookie cycle cannot avoid, written directly against
// libcrypto, zlib and nlohmann_json with every context reused, in the same binary as the library's
// benchmarks. Nothing here validates more than it must; it is the yardstick, not an implementation.
//
//   read:    split, HMAC-SHA256 (keyed once, re-initialised) + base64 + compare, base64 decode,
//            inflate (stream reset, not re-created), nlohmann parse
//   changed: read, change one key, nlohmann dump, deflate (reset stream), base64, HMAC, assemble
//
// Also the pieces one by one, and one-shot HMAC() and getrandom() for comparison.

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sys/random.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <sessions/signing/dumps.hpp>  // only to make the input cookie, never inside a loop
#include <stdexcept>
#include <string>

#include "bench_common.hpp"

namespace {

constexpr std::string_view kSalt = "django.contrib.sessions.backends.signed_cookies";

class RawHmac {
 public:
  explicit RawHmac(std::string_view secret) {
    // Django's salted_hmac key: SHA-256(salt + "signer" + secret).
    std::string material = std::string(kSalt) + "signer" + std::string(secret);
    unsigned char key[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), key);
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = EVP_MAC_CTX_new(mac_);
    char digest[] = "SHA2-256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx_, key, sizeof key, params) != 1) throw std::runtime_error("EVP_MAC_init");
    std::memcpy(key_.data(), key, key_.size());
  }
  ~RawHmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  RawHmac(const RawHmac&) = delete;
  RawHmac& operator=(const RawHmac&) = delete;

  std::array<unsigned char, 32> mac(std::string_view msg) {
    std::array<unsigned char, 32> out{};
    std::size_t n = 0;
    EVP_MAC_init(ctx_, nullptr, 0, nullptr);
    EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    EVP_MAC_final(ctx_, out.data(), &n, out.size());
    return out;
  }
  std::array<unsigned char, 32> mac_oneshot(std::string_view msg) const {
    std::array<unsigned char, 32> out{};
    unsigned int n = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(msg.data()),
         msg.size(), out.data(), &n);
    return out;
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  std::array<unsigned char, 32> key_{};
};

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void b64url_encode(const unsigned char* p, std::size_t n, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned v = (unsigned{p[i]} << 16) | (unsigned{p[i + 1]} << 8) | p[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (n - i == 1) {
    const unsigned v = unsigned{p[i]} << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
  } else if (n - i == 2) {
    const unsigned v = (unsigned{p[i]} << 16) | (unsigned{p[i + 1]} << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
  }
}

struct B64Table {
  std::array<signed char, 256> v{};
  B64Table() {
    v.fill(-1);
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(kB64[i])] = static_cast<signed char>(i);
  }
};
const B64Table kDecode;

bool b64url_decode(std::string_view in, std::string& out) {
  out.clear();
  unsigned acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int d = kDecode.v[static_cast<unsigned char>(c)];
    if (d < 0) return false;
    acc = (acc << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return true;
}

class RawDeflate {
 public:
  RawDeflate() { deflateInit(&zs_, Z_DEFAULT_COMPRESSION); }
  ~RawDeflate() { deflateEnd(&zs_); }
  RawDeflate(const RawDeflate&) = delete;
  RawDeflate& operator=(const RawDeflate&) = delete;
  void run(std::string_view in, std::string& out) {
    deflateReset(&zs_);
    out.resize(deflateBound(&zs_, static_cast<uLong>(in.size())));
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    zs_.next_out = reinterpret_cast<Bytef*>(out.data());
    zs_.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs_, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
    out.resize(zs_.total_out);
  }

 private:
  z_stream zs_{};
};

class RawInflate {
 public:
  RawInflate() { inflateInit(&zs_); }
  ~RawInflate() { inflateEnd(&zs_); }
  RawInflate(const RawInflate&) = delete;
  RawInflate& operator=(const RawInflate&) = delete;
  void run(std::string_view in, std::string& out) {
    inflateReset(&zs_);
    out.resize(64 * 1024);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    zs_.next_out = reinterpret_cast<Bytef*>(out.data());
    zs_.avail_out = static_cast<uInt>(out.size());
    if (inflate(&zs_, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("inflate");
    out.resize(zs_.total_out);
  }

 private:
  z_stream zs_{};
};

/// The reused contexts and buffers of one thread.
struct Floor {
  RawHmac hmac{bench::kSecret};
  RawDeflate deflater;
  RawInflate inflater;
  std::string sig, bytes, json, z, out;

  /// Verifies and parses a `payload:timestamp:signature` cookie; throws on a bad one.
  sessions::Data read(std::string_view cookie) {
    const std::size_t at = cookie.rfind(':');
    const std::string_view signed_part = cookie.substr(0, at);
    const auto mac = hmac.mac(signed_part);
    sig.clear();
    b64url_encode(mac.data(), mac.size(), sig);
    const std::string_view given = cookie.substr(at + 1);
    if (given.size() != sig.size() || CRYPTO_memcmp(given.data(), sig.data(), sig.size()) != 0) {
      throw std::runtime_error("bad signature");
    }
    std::string_view payload = signed_part.substr(0, signed_part.rfind(':'));
    const bool compressed = payload.front() == '.';
    if (compressed) payload.remove_prefix(1);
    if (!b64url_decode(payload, bytes)) throw std::runtime_error("bad base64");
    if (compressed) {
      inflater.run(bytes, json);
      return sessions::Data::parse(json);
    }
    return sessions::Data::parse(bytes);
  }

  /// Django's dumps(data, compress=True) at `timestamp` (base62 already computed).
  const std::string& write(const sessions::Data& data, std::string_view timestamp) {
    json = data.dump();
    deflater.run(json, z);
    out.clear();
    if (z.size() + 1 < json.size()) {
      out += '.';
      b64url_encode(reinterpret_cast<const unsigned char*>(z.data()), z.size(), out);
    } else {
      b64url_encode(reinterpret_cast<const unsigned char*>(json.data()), json.size(), out);
    }
    out += ':';
    out += timestamp;
    const auto mac = hmac.mac(out);
    out += ':';
    b64url_encode(mac.data(), mac.size(), out);
    return out;
  }
};

std::string library_cookie(std::string_view size) {
  const sessions::signing::TimestampSigner signer{bench::kSecret, kSalt};
  return sessions::signing::dumps(bench::payload(size), signer, true);
}

const bench::Registrar registrar{[] {
  bench::register_sized("floor/signed_cookie_cycle/changed", [](benchmark::State& state, std::string_view size) {
    Floor floor;
    const std::string cookie = library_cookie(size);
    std::int64_t visits = 0;
    for (auto _ : state) {
      sessions::Data data = floor.read(cookie);
      visits = data.value("num_visits", std::int64_t{0});
      data["num_visits"] = visits + 1;
      benchmark::DoNotOptimize(floor.write(data, "1rb4Kx"));
    }
    if (floor.read(floor.out) != [&] {
          sessions::Data d = bench::payload(size);
          d["num_visits"] = visits + 1;
          return d;
        }()) {
      state.SkipWithError("the floor's cookie does not read back");
    }
  });
  bench::register_sized("floor/signed_cookie_cycle/read", [](benchmark::State& state, std::string_view size) {
    Floor floor;
    const std::string cookie = library_cookie(size);
    for (auto _ : state) {
      sessions::Data data = floor.read(cookie);
      benchmark::DoNotOptimize(data.value("num_visits", std::int64_t{0}));
    }
  });
  bench::register_sized("floor/json_parse", [](benchmark::State& state, std::string_view size) {
    const std::string text = bench::payload(size).dump();
    for (auto _ : state) benchmark::DoNotOptimize(sessions::Data::parse(text));
  });
  bench::register_sized("floor/json_dump", [](benchmark::State& state, std::string_view size) {
    const sessions::Data& data = bench::payload(size);
    for (auto _ : state) benchmark::DoNotOptimize(data.dump());
  });
  bench::register_sized("floor/deflate", [](benchmark::State& state, std::string_view size) {
    RawDeflate d;
    const std::string text = bench::payload(size).dump();
    std::string out;
    for (auto _ : state) {
      d.run(text, out);
      benchmark::DoNotOptimize(out);
    }
  });
  bench::register_sized("floor/inflate", [](benchmark::State& state, std::string_view size) {
    RawDeflate d;
    RawInflate i;
    const std::string text = bench::payload(size).dump();
    std::string z, out;
    d.run(text, z);
    for (auto _ : state) {
      i.run(z, out);
      benchmark::DoNotOptimize(out);
    }
  });
  bench::register_sized("floor/hmac_keyed", [](benchmark::State& state, std::string_view size) {
    RawHmac h{bench::kSecret};
    const std::string cookie = library_cookie(size);
    const std::string_view msg = std::string_view(cookie).substr(0, cookie.rfind(':'));
    for (auto _ : state) benchmark::DoNotOptimize(h.mac(msg));
  });
  bench::register_sized("floor/hmac_oneshot", [](benchmark::State& state, std::string_view size) {
    const RawHmac h{bench::kSecret};
    const std::string cookie = library_cookie(size);
    const std::string_view msg = std::string_view(cookie).substr(0, cookie.rfind(':'));
    for (auto _ : state) benchmark::DoNotOptimize(h.mac_oneshot(msg));
  });
}};

// 32 key characters from getrandom(): the cost of a new session key without any library around it.
void floor_getrandom_key(benchmark::State& state) {
  std::array<unsigned char, 48> buf{};
  std::string key(32, ' ');
  for (auto _ : state) {
    if (getrandom(buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size())) state.SkipWithError("getrandom");
    std::size_t k = 0;
    for (std::size_t i = 0; i < buf.size() && k < key.size(); ++i) {
      if (buf[i] < 252) key[k++] = "abcdefghijklmnopqrstuvwxyz0123456789"[buf[i] % 36];
    }
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(floor_getrandom_key)->Name("floor/getrandom_key");

}  // namespace
