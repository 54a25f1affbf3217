#pragma once
// zlib as django.core.signing uses it: Python's zlib.compress(data) (level -1 = 6, zlib header,
// windowBits 15, memLevel 8, default strategy) and zlib.decompress(data). The compressed bytes are
// signed, so they must match Python's exactly; both sides run the same deflate with the same
// parameters on the whole input at once, which gives the same stream.
//
// Decompression is bounded: a few hundred bytes of signed deflate data can expand to gigabytes,
// and although only a key holder can sign them, a leaked key must not be a memory exhaustion
// switch. Past `max_output` bytes: LimitExceeded. Every other failure (bad header, corrupt or
// truncated stream, preset dictionary): MalformedSignedData. Bytes after the end of the stream
// are ignored, as Python's zlib.decompress ignores them.

#include <zlib.h>

// Optional: define SESSIONS_USE_LIBDEFLATE (and link libdeflate, -ldeflate; the CMake option
// SESSIONS_WITH_LIBDEFLATE does both for this project's own builds) to inflate with libdeflate,
// which reads any zlib stream in about half zlib's time (measured on session cookies: see
// docs/DESIGN.md, "Inflating cookies"). Writing always uses zlib: the signed bytes must be the
// ones Python's zlib module produces.
#if defined(SESSIONS_USE_LIBDEFLATE) && SESSIONS_USE_LIBDEFLATE
#if !__has_include(<libdeflate.h>)
#error "SESSIONS_USE_LIBDEFLATE is set but <libdeflate.h> is missing (Debian: libdeflate-dev)"
#endif
#include <libdeflate.h>
#define SESSIONS_INFLATE_WITH_LIBDEFLATE 1
#else
#define SESSIONS_INFLATE_WITH_LIBDEFLATE 0
#endif

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "../errors.hpp"
#include "errors.hpp"

namespace sessions::signing {

/// Default bound for zlib_decompress and loads(): 1 MiB, far above any cookie or session record.
inline constexpr std::size_t default_max_decompressed_size = std::size_t{1} << 20;

namespace detail {

// zlib counts in uInt; feed and drain buffers in pieces that fit.
inline constexpr std::size_t zlib_piece = UINT_MAX;

[[nodiscard]] inline unsigned char* zlib_bytes(char* p) noexcept { return reinterpret_cast<unsigned char*>(p); }
[[nodiscard]] inline unsigned char* zlib_bytes(const char* p) noexcept {
  // zlib's next_in is not const in its API but is never written through.
  return reinterpret_cast<unsigned char*>(const_cast<char*>(p));
}

}  // namespace detail

namespace detail {

// One deflate and one inflate stream per thread, reset (not re-created) for each call. Creating a
// deflate stream allocates and initialises ~268 KB (window, hash chains); for a session cookie that
// cost dominated the compression itself (measured: 3.1 us reused vs 5-1000 us re-created, the
// upper end when malloc hands the block back to the kernel after every call). deflateReset keeps
// the level, window and memLevel, so the output is the same bytes as a fresh stream's.
// A reset keeps next_in/avail_in and next_out/avail_out: a call that threw, or an inflate that
// ignored trailing bytes, would leave pointers into a buffer that is gone.
[[nodiscard]] inline z_stream* cleared(z_stream& zs) noexcept {
  zs.next_in = nullptr;
  zs.avail_in = 0;
  zs.next_out = nullptr;
  zs.avail_out = 0;
  return &zs;
}

class DeflateStream {
 public:
  DeflateStream() { ok_ = deflateInit(&zs_, Z_DEFAULT_COMPRESSION) == Z_OK; }
  ~DeflateStream() {
    if (ok_) deflateEnd(&zs_);
  }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;
  /// The stream, reset for a new input; nullptr if it could not be created (out of memory).
  [[nodiscard]] z_stream* fresh() noexcept { return ok_ && deflateReset(&zs_) == Z_OK ? cleared(zs_) : nullptr; }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

class InflateStream {
 public:
  InflateStream() { ok_ = inflateInit(&zs_) == Z_OK; }
  ~InflateStream() {
    if (ok_) inflateEnd(&zs_);
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  [[nodiscard]] z_stream* fresh() noexcept { return ok_ && inflateReset(&zs_) == Z_OK ? cleared(zs_) : nullptr; }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

[[nodiscard]] inline z_stream* thread_deflate_stream() {
  thread_local DeflateStream stream;
  return stream.fresh();
}
[[nodiscard]] inline z_stream* thread_inflate_stream() {
  thread_local InflateStream stream;
  return stream.fresh();
}

}  // namespace detail

/// zlib.compress(data) with Python's defaults. Throws EncodeError if zlib fails (out of memory).
[[nodiscard]] inline std::string zlib_compress(std::string_view data) {
  z_stream* zs_ptr = detail::thread_deflate_stream();
  if (zs_ptr == nullptr) throw EncodeError("zlib: deflateInit failed");
  z_stream& zs = *zs_ptr;

  std::string out;
  out.resize(std::min<std::size_t>(deflateBound(&zs, static_cast<uLong>(std::min<std::size_t>(data.size(), ULONG_MAX))),
                                   data.size() + 64));
  std::size_t in_pos = 0, out_pos = 0;
  while (true) {
    if (zs.avail_in == 0 && in_pos < data.size()) {
      const std::size_t n = std::min(data.size() - in_pos, detail::zlib_piece);
      zs.next_in = detail::zlib_bytes(data.data() + in_pos);
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (out_pos == out.size()) out.resize(out.size() * 2 + 64);
    const std::size_t room = std::min(out.size() - out_pos, detail::zlib_piece);
    zs.next_out = detail::zlib_bytes(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(room);
    const int flush = in_pos == data.size() ? Z_FINISH : Z_NO_FLUSH;
    const int rc = deflate(&zs, flush);
    out_pos += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw EncodeError("zlib: deflate failed");
  }
  out.resize(out_pos);
  return out;
}

namespace detail {

/// zlib_decompress through zlib's streaming inflate (the fallback, and the reference the
/// libdeflate path is tested against).
[[nodiscard]] inline std::string zlib_inflate(std::string_view data, std::size_t max_output) {
  z_stream* zs_ptr = detail::thread_inflate_stream();
  if (zs_ptr == nullptr) throw MalformedSignedData("zlib: inflateInit failed");
  z_stream& zs = *zs_ptr;

  // Never hold more than max_output + 1 bytes: reaching that size proves the limit is exceeded.
  const std::size_t cap = max_output == SIZE_MAX ? SIZE_MAX : max_output + 1;
  std::string out;
  std::size_t in_pos = 0, out_pos = 0;
  while (true) {
    if (zs.avail_in == 0 && in_pos < data.size()) {
      const std::size_t n = std::min(data.size() - in_pos, detail::zlib_piece);
      zs.next_in = detail::zlib_bytes(data.data() + in_pos);
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (out_pos == out.size()) {
      if (out.size() >= cap) throw LimitExceeded("decompressed signed data exceeds the size limit");
      const std::size_t grown = std::max<std::size_t>(out.size() * 2, std::max<std::size_t>(data.size() * 4, 256));
      out.resize(std::min(grown, cap));
    }
    const std::size_t room = std::min(out.size() - out_pos, detail::zlib_piece);
    zs.next_out = detail::zlib_bytes(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out_pos += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress: either more output room is needed (loop grows it) or the input ran out.
      if (zs.avail_out == 0) continue;
      if (zs.avail_in == 0 && in_pos < data.size()) continue;
      throw MalformedSignedData("zlib: incomplete or truncated stream");
    }
    throw MalformedSignedData(rc == Z_NEED_DICT ? "zlib: stream needs a preset dictionary"
                                                : "zlib: invalid compressed data");
  }
  if (out_pos > max_output) throw LimitExceeded("decompressed signed data exceeds the size limit");
  out.resize(out_pos);
  return out;
}

#if SESSIONS_INFLATE_WITH_LIBDEFLATE
/// zlib_decompress through libdeflate, with the same outcomes as zlib_inflate: the same bytes,
/// bytes after the stream ignored, LimitExceeded past max_output, MalformedSignedData otherwise.
/// libdeflate decodes whole buffers only: a guess at the size is tried first, and a larger one
/// (up to max_output + 1) when it is too small, so a cookie is inflated once. A stream it
/// refuses, or that does not fit, is handed to zlib_inflate for the verdict: the two can name a
/// broken stream differently (libdeflate reads a truncated stream on as if zero bits followed,
/// so it may fill its buffer where zlib stops at the end of the input), and failures must not
/// depend on the build. Only a key holder can sign a broken or oversized payload, so that second
/// pass never costs a normal request anything.
[[nodiscard]] inline std::string libdeflate_inflate(std::string_view data, std::size_t max_output) {
  struct Free {
    void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
  };
  thread_local const std::unique_ptr<libdeflate_decompressor, Free> decompressor{libdeflate_alloc_decompressor()};
  if (!decompressor) throw MalformedSignedData("libdeflate: cannot allocate a decompressor");
  const std::size_t cap = max_output == SIZE_MAX ? SIZE_MAX : max_output + 1;
  // JSON deflates to a third or a quarter of its size; 8x covers nearly every session at once.
  std::size_t room = data.size() > (SIZE_MAX - 512) / 8 ? cap : std::min(cap, data.size() * 8 + 512);
  std::string out;
  while (true) {
    out.resize(room);
    std::size_t used_in = 0, produced = 0;
    const libdeflate_result rc = libdeflate_zlib_decompress_ex(decompressor.get(), data.data(), data.size(), out.data(),
                                                               out.size(), &used_in, &produced);
    if (rc == LIBDEFLATE_SUCCESS && produced <= max_output) {
      out.resize(produced);
      return out;
    }
    if (rc != LIBDEFLATE_INSUFFICIENT_SPACE || room >= cap) return zlib_inflate(data, max_output);
    room = room > cap / 4 ? cap : room * 4;
  }
}
#endif

}  // namespace detail

/// zlib.decompress(data), refusing to produce more than `max_output` bytes (LimitExceeded).
/// Throws MalformedSignedData for anything that is not one complete zlib stream.
[[nodiscard]] inline std::string zlib_decompress(std::string_view data,
                                                 std::size_t max_output = default_max_decompressed_size) {
#if SESSIONS_INFLATE_WITH_LIBDEFLATE
  return detail::libdeflate_inflate(data, max_output);
#else
  return detail::zlib_inflate(data, max_output);
#endif
}

}  // namespace sessions::signing
