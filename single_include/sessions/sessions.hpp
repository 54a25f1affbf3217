#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/sessions.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// Needs nlohmann_json (>= 3.10), xxHash, libcrypto (OpenSSL) and zlib; compile with -std=c++20.
// Library headers inlined: 101.

// sessions: Django's session framework as a header-only C++20 library.
//
// This umbrella header brings in everything whose only dependencies are nlohmann_json, xxHash,
// libcrypto and zlib. Stores with their own client library have their own headers:
// <sessions/storage/sqlite.hpp>, <sessions/storage/postgres.hpp>, <sessions/storage/redis.hpp>,
// <sessions/storage/memcached.hpp>.

// ---- begin sessions/version.hpp ----
// The single source of the library's version: CMake, meson, pkg-config, the vcpkg port and the
// conan recipe all read these three lines.
#define SESSIONS_VERSION_MAJOR 0
#define SESSIONS_VERSION_MINOR 1
#define SESSIONS_VERSION_PATCH 0

#define SESSIONS_VERSION_STRING "0.1.0"
// ---- end sessions/version.hpp ----

// ---- begin sessions/clock.hpp ----
// Time as the library sees it. Everything that needs "now" asks a Clock, so tests can drive time
// with a ManualClock instead of sleeping. The default Clock is the system clock; the check for a
// manual clock is a single pointer test, not a virtual call.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sessions {

using TimePoint = std::chrono::system_clock::time_point;

/// A clock that only moves when told to; for tests and simulations. Thread-safe.
class ManualClock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'700'000'000}})
      : ticks_(start.time_since_epoch().count()) {}

  [[nodiscard]] TimePoint now() const noexcept {
    return TimePoint{TimePoint::duration{ticks_.load(std::memory_order_acquire)}};
  }
  void set(TimePoint t) noexcept { ticks_.store(t.time_since_epoch().count(), std::memory_order_release); }
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) noexcept {
    ticks_.fetch_add(std::chrono::duration_cast<TimePoint::duration>(d).count(), std::memory_order_acq_rel);
  }

 private:
  std::atomic<TimePoint::duration::rep> ticks_;
};

/// The clock a store or a session reads: the system clock, or a ManualClock the caller owns
/// (which must outlive every object that holds this Clock).
class Clock {
 public:
  Clock() noexcept = default;
  explicit Clock(const ManualClock& manual) noexcept : manual_(&manual) {}

  [[nodiscard]] TimePoint now() const noexcept {
    return manual_ != nullptr ? manual_->now() : std::chrono::system_clock::now();
  }

 private:
  const ManualClock* manual_ = nullptr;
};

/// Whole seconds since the Unix epoch, floored (Django's int(time.time())).
[[nodiscard]] inline std::int64_t unix_seconds(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace sessions
// ---- end sessions/clock.hpp ----
// ---- begin sessions/concepts.hpp ----
// What a policy must provide. Each requirement is its own concept so that Session can name the
// one that is missing in a static_assert message instead of printing a wall of template errors.

#include <concepts>
#include <iterator>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// ---- begin sessions/data.hpp ----
// Session data is a JSON object whose keys keep their insertion order, as a Python dict does, and
// whose lookup stays O(log n) however many keys a client sends (detail/ordered_index_map.hpp).

#include <nlohmann/json.hpp>

// ---- begin sessions/detail/ordered_index_map.hpp ----
// ordered_index_map: the object type of sessions::Data. Members keep their insertion order (the
// Django-compatible encodings write them in that order, byte for byte) as nlohmann::ordered_map
// does, but lookup is not a linear search once an object is large: decoding an object inserts
// every key after looking it up, so a linear search made a 60,000-key object cost O(n^2) (seconds
// of CPU per request, on data the client chose).
//
// Up to `linear_max` members, lookup is the linear search ordered_map does (fast for the ~10 keys of
// a real session; nothing else is allocated). Past it, the map also keeps an index: a balanced tree
// (std::set) of positions ordered by key with the `Less` the object type is given (std::less<>, a
// byte-wise comparison), so lookup and insertion are O(log n). Being ordered, not hashed, the index
// needs no secret seed: no choice of keys makes it degrade (keys are attacker-controlled).
//
// The index is built and updated only by the non-const members, never by a lookup, so concurrent
// readers of a shared const object (MemoryValueStore) stay race-free as with any std container. An
// index that cannot be allocated is dropped and the map falls back to linear search: without it the
// map is still correct. Erasing is O(n) (the elements after it move down, and so do their indexed
// positions), as in ordered_map.
//
// Equality and ordering compare the members in order, as ordered_map's (a std::vector's) do.

#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>
#if __has_include(<compare>)
#include <compare>
#endif

namespace sessions::detail {

template <class Key, class T, class Less = std::less<Key>, class Allocator = std::allocator<std::pair<const Key, T>>>
class ordered_index_map {
 public:
  using key_type = Key;
  using mapped_type = T;
  using value_type = std::pair<const Key, T>;
  using allocator_type = Allocator;
  using Container = std::vector<value_type, Allocator>;
  using size_type = typename Container::size_type;
  using difference_type = typename Container::difference_type;
  using reference = value_type&;
  using const_reference = const value_type&;
  using iterator = typename Container::iterator;
  using const_iterator = typename Container::const_iterator;
  using reverse_iterator = typename Container::reverse_iterator;
  using const_reverse_iterator = typename Container::const_reverse_iterator;
  // What nlohmann::basic_json reads to allow heterogeneous keys (string_view, const char*), as for
  // ordered_map.
  using key_compare = std::equal_to<>;

  /// The largest object searched linearly; a larger one has an index.
  static constexpr size_type linear_max = 32;

  ordered_index_map() = default;
  explicit ordered_index_map(const Allocator& alloc) noexcept : items_(alloc) {}
  template <class It>
  ordered_index_map(It first, It last, const Allocator& alloc = Allocator()) : items_(alloc) {
    insert(first, last);
  }
  ordered_index_map(std::initializer_list<value_type> init, const Allocator& alloc = Allocator()) : items_(alloc) {
    insert(init.begin(), init.end());
  }

  ordered_index_map(const ordered_index_map& other) : items_(other.items_) {
    if (other.index_) copy_index(other);
  }
  ordered_index_map(ordered_index_map&& other) noexcept
      : items_(std::move(other.items_)), index_(std::move(other.index_)) {
    other.items_.clear();
    rebind();
  }
  ordered_index_map& operator=(const ordered_index_map& other) {
    if (this != &other) {
      ordered_index_map copy(other);  // elements with a const key cannot be assigned, only rebuilt
      swap(copy);
    }
    return *this;
  }
  ordered_index_map& operator=(ordered_index_map&& other) noexcept {
    if (this != &other) {
      index_.reset();
      items_ = std::move(other.items_);
      index_ = std::move(other.index_);
      other.items_.clear();
      rebind();
    }
    return *this;
  }
  ~ordered_index_map() = default;

  void swap(ordered_index_map& other) noexcept {
    items_.swap(other.items_);
    index_.swap(other.index_);
    rebind();
    other.rebind();
  }
  friend void swap(ordered_index_map& a, ordered_index_map& b) noexcept { a.swap(b); }

  // --- iteration (insertion order) -----------------------------------------------------------------
  [[nodiscard]] iterator begin() noexcept { return items_.begin(); }
  [[nodiscard]] iterator end() noexcept { return items_.end(); }
  [[nodiscard]] const_iterator begin() const noexcept { return items_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return items_.end(); }
  [[nodiscard]] const_iterator cbegin() const noexcept { return items_.cbegin(); }
  [[nodiscard]] const_iterator cend() const noexcept { return items_.cend(); }
  [[nodiscard]] reverse_iterator rbegin() noexcept { return items_.rbegin(); }
  [[nodiscard]] reverse_iterator rend() noexcept { return items_.rend(); }
  [[nodiscard]] const_reverse_iterator rbegin() const noexcept { return items_.rbegin(); }
  [[nodiscard]] const_reverse_iterator rend() const noexcept { return items_.rend(); }

  [[nodiscard]] size_type size() const noexcept { return items_.size(); }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] size_type max_size() const noexcept { return items_.max_size(); }
  [[nodiscard]] allocator_type get_allocator() const noexcept { return items_.get_allocator(); }
  /// Whether the map currently keeps an index (for tests and benchmarks).
  [[nodiscard]] bool indexed() const noexcept { return index_ != nullptr; }

  void clear() noexcept {
    index_.reset();
    items_.clear();
  }
  /// Room for `n` members without reallocating (a decoder that knows the count builds each
  /// object in one allocation). Positions do not move, so the index stays valid.
  void reserve(size_type n) { items_.reserve(n); }

  // --- lookup ----------------------------------------------------------------------------------------
  template <class K>
  [[nodiscard]] iterator find(const K& key) {
    return begin() + (std::as_const(*this).find(key) - cbegin());
  }
  template <class K>
  [[nodiscard]] const_iterator find(const K& key) const {
    if (index_) [[unlikely]] {
      return cbegin() + static_cast<difference_type>(indexed_position(key));
    }
    const const_iterator last = cend();
    for (const_iterator it = cbegin(); it != last; ++it) {
      if (key_compare{}(it->first, key)) return it;
    }
    return last;
  }
  template <class K>
  [[nodiscard]] size_type count(const K& key) const {
    return position_of(key) == size() ? 0 : 1;
  }
  template <class K>
  [[nodiscard]] bool contains(const K& key) const {
    return position_of(key) != size();
  }
  template <class K>
  [[nodiscard]] T& at(const K& key) {
    const size_type pos = position_of(key);
    if (pos == size()) throw std::out_of_range("key not found");
    return items_[pos].second;
  }
  template <class K>
  [[nodiscard]] const T& at(const K& key) const {
    const size_type pos = position_of(key);
    if (pos == size()) throw std::out_of_range("key not found");
    return items_[pos].second;
  }
  template <class K>
  T& operator[](K&& key) {
    return emplace(std::forward<K>(key)).first->second;
  }
  T& operator[](const key_type& key) { return emplace(key).first->second; }
  template <class K>
  const T& operator[](const K& key) const {
    return at(key);
  }

  // --- insertion (an existing key keeps its place and its value) --------------------------------------
  template <class K, class... Args>
  std::pair<iterator, bool> emplace(K&& key, Args&&... args) {
    const size_type found = position_of(key);
    if (found != size()) return {begin() + static_cast<difference_type>(found), false};
    items_.emplace_back(std::piecewise_construct, std::forward_as_tuple(std::forward<K>(key)),
                        std::forward_as_tuple(std::forward<Args>(args)...));
    index_appended();
    return {std::prev(end()), true};
  }
  std::pair<iterator, bool> insert(const value_type& value) { return emplace(value.first, value.second); }
  std::pair<iterator, bool> insert(value_type&& value) { return emplace(value.first, std::move(value.second)); }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) insert(*first);
  }

  // --- erasure (the order of the rest is kept) ------------------------------------------------------
  template <class K>
  size_type erase(const K& key) {
    const size_type pos = position_of(key);
    if (pos == size()) return 0;
    erase_positions(pos, 1);
    return 1;
  }
  // Not a template: an iterator argument must not be taken for a key.
  size_type erase(const key_type& key) { return erase<key_type>(key); }
  iterator erase(iterator pos) { return erase(pos, std::next(pos)); }
  iterator erase(const_iterator pos) { return erase(pos, std::next(pos)); }
  iterator erase(const_iterator first, const_iterator last) {
    const auto from = static_cast<size_type>(first - items_.cbegin());
    erase_positions(from, static_cast<size_type>(last - first));
    return begin() + static_cast<difference_type>(from);
  }
  iterator erase(iterator first, iterator last) { return erase(const_iterator(first), const_iterator(last)); }

  // --- comparison: members in order, as ordered_map -------------------------------------------------
  friend bool operator==(const ordered_index_map& a, const ordered_index_map& b) { return a.items_ == b.items_; }
#if defined(__cpp_impl_three_way_comparison) && defined(__cpp_lib_three_way_comparison)
  friend auto operator<=>(const ordered_index_map& a, const ordered_index_map& b) { return a.items_ <=> b.items_; }
#else
  friend bool operator!=(const ordered_index_map& a, const ordered_index_map& b) { return a.items_ != b.items_; }
  friend bool operator<(const ordered_index_map& a, const ordered_index_map& b) { return a.items_ < b.items_; }
#endif

 private:
  // One indexed element: its position in items_. `pos` changes when an element before it is
  // erased; its key, and so its place in the tree, does not.
  struct Slot {
    mutable size_type pos;
  };
  template <class K>
  struct Probe {
    const K& key;
  };
  struct Index;
  struct SlotLess {
    using is_transparent = void;
    const Index* index;
    [[nodiscard]] const Key& key(const Slot& s) const { return (*index->items)[s.pos].first; }
    bool operator()(const Slot& a, const Slot& b) const { return Less{}(key(a), key(b)); }
    template <class K>
    bool operator()(const Slot& a, const Probe<K>& b) const {
      return Less{}(key(a), b.key);
    }
    template <class K>
    bool operator()(const Probe<K>& a, const Slot& b) const {
      return Less{}(a.key, key(b));
    }
  };
  struct Index {
    explicit Index(const Container* owner) : items(owner), slots(SlotLess{this}) {}
    Index(const Index&) = delete;
    Index& operator=(const Index&) = delete;
    const Container* items;  // the owning map's elements (rebound when the map moves)
    std::set<Slot, SlotLess> slots;
  };

  // The position of `key`, or size() when absent.
  template <class K>
  [[nodiscard]] size_type position_of(const K& key) const {
    return static_cast<size_type>(find(key) - cbegin());
  }

  template <class K>
  [[nodiscard]] size_type indexed_position(const K& key) const {
    const auto it = index_->slots.find(Probe<K>{key});
    return it == index_->slots.end() ? size() : it->pos;
  }

  void rebind() noexcept {
    if (index_) index_->items = &items_;
  }

  // After an element was appended: index it, or build the index once the map outgrows linear_max.
  void index_appended() noexcept {
    if (index_) {
      try {
        index_->slots.insert(index_->slots.end(), Slot{items_.size() - 1});
      } catch (...) {
        index_.reset();  // no memory: linear search stays correct
      }
    } else if (items_.size() > linear_max) {
      build_index();
    }
  }

  void build_index() noexcept {
    try {
      auto index = std::make_unique<Index>(&items_);
      for (size_type i = 0; i < items_.size(); ++i) index->slots.insert(Slot{i});
      index_ = std::move(index);
    } catch (...) {
      index_.reset();
    }
  }

  // After items_ became a copy of other.items_: the same positions in the same key order, inserted
  // in order at the end (linear time).
  void copy_index(const ordered_index_map& other) noexcept {
    try {
      auto index = std::make_unique<Index>(&items_);
      for (const Slot& s : other.index_->slots) index->slots.insert(index->slots.end(), Slot{s.pos});
      index_ = std::move(index);
    } catch (...) {
      index_.reset();
    }
  }

  // Removes [from, from + n), keeping the order of the rest. Moving an element down copies its
  // const key, which could only fail for want of memory: that ends the program (noexcept) rather
  // than leave a destroyed element in the vector, which ordered_map would.
  void erase_positions(size_type from, size_type n) noexcept {
    if (n == 0) return;
    if (index_) {
      for (size_type i = from; i < from + n; ++i) index_->slots.erase(Slot{i});
      for (const Slot& s : index_->slots) {
        if (s.pos >= from + n) s.pos -= n;
      }
    }
    const size_type total = items_.size();
    for (size_type i = from; i + n < total; ++i) {
      value_type* slot = &items_[i];
      slot->~value_type();  // destroy but keep the storage
      ::new (static_cast<void*>(slot)) value_type(std::move(items_[i + n]));
    }
    for (size_type i = 0; i < n; ++i) items_.pop_back();
  }

  Container items_;
  std::unique_ptr<Index> index_;
};

}  // namespace sessions::detail
// ---- end sessions/detail/ordered_index_map.hpp ----

namespace sessions {

/// One session's data: a JSON object, insertion order kept (nlohmann::basic_json over an ordered
/// map with an index; otherwise the same as nlohmann::ordered_json).
using Data = nlohmann::basic_json<detail::ordered_index_map>;

}  // namespace sessions
// ---- end sessions/data.hpp ----
// ---- begin sessions/member_list.hpp ----
// MemberList: session data as MemoryValueStore keeps it. The top-level members of the data (a JSON
// object), in insertion order, each one shared immutably. A request that changes one key copies
// the list of pointers, not the values: its save shares every other member with the record it
// replaces, and freeing that record frees only what the request replaced. Copying and freeing the
// whole data on every changed request cost about 80% of a MemoryValueStore request (the session's
// first change copied it, the save freed the old value).
//
// A list is changed only while one Session owns it; once a save shares it (SharedMembers) nobody
// changes it, so any number of threads may read it. Lookup is a linear search up to 32 members
// (a real session has about ten) and a binary search over an index of positions sorted by key
// beyond, so no choice of keys makes it quadratic.

#include <algorithm>

// ---- begin sessions/detail/value_counts.hpp ----
// The two numbers a save to a value store checks against Settings: the data's compact JSON size
// (max_payload_bytes) and its values below the top level (max_nodes). Walking the whole data for
// them cost about 30% of a MemoryValueStore request, though a request typically changes one key.
// So a save that walked (or knew) them keeps them in the MemberList it shares, and a Session that
// loads such a list keeps them up to date through set(): the replaced value and the new one are
// walked, not the rest. Every other change (erase, pop, update, at()...) forgets them, and the
// next save walks the whole data again.

// ---- begin sessions/settings.hpp ----
// Every SESSION_* setting of Django, with Django's defaults, plus the few our library adds. One
// Settings object usually serves a whole application; sessions and middleware hold a reference
// to it, so it must outlive them.

#include <filesystem>

// ---- begin sessions/cookie/parse.hpp ----
// Reading a request's `Cookie` header (RFC 6265 §5.4 is what a browser sends; this is the lenient
// reading servers and browsers apply to it).
//
// The header is `name=value; name2=value2; ...`. We split on `;`, trim spaces and tabs around names
// and values, take the value out of a pair of double quotes when it is wrapped in them, and skip
// pairs that cannot name a cookie (no `=`, an empty name) or that carry control characters. A name
// that occurs twice is kept twice, in order (parse_cookie_header). Which one names the session is
// a choice (find_session_cookie, Settings::duplicate_cookies): browsers send the cookie with the
// longest Path first, then the oldest, and anyone who can plant a cookie (a sibling subdomain, a
// plain-HTTP response) can place theirs before or after the site's own, so no position is
// trustworthy. Django's parse_cookie is a dict, so the LAST wins there; we do the same by default,
// so a Django application and ours behind one domain always serve the same session. The real
// defence is a `__Host-` cookie name, which nobody else can set (docs/SECURITY.md).
//
// The header comes from the network, so the work is bounded: only the first `max_bytes` bytes are
// read and at most `max_pairs` pairs are returned, and nothing is copied (the results are views
// into the caller's header, valid as long as it is).

#include <type_traits>

// ---- begin sessions/detail/byte_word.hpp ----
// Eight bytes of a string at a time, for the scans every request makes (the Cookie header's
// control bytes, the JSON size of a value store's strings): each test below is exact as "some
// byte of the word is ...", which is all the scans ask before looking at the bytes one by one.

#include <cstring>

namespace sessions::detail::byte_word {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

/// The eight bytes at `p`, in memory order.
[[nodiscard]] inline std::uint64_t load(const char* p) noexcept {
  std::uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  return w;
}

/// Some byte of `w` is below `n` (n <= 0x80).
[[nodiscard]] constexpr bool any_below(std::uint64_t w, unsigned char n) noexcept {
  return ((w - kOnes * n) & ~w & kHighs) != 0;
}

/// Some byte of `w` equals `c`.
[[nodiscard]] constexpr bool any_equal(std::uint64_t w, unsigned char c) noexcept {
  const std::uint64_t x = w ^ (kOnes * c);
  return ((x - kOnes) & ~x & kHighs) != 0;
}

}  // namespace sessions::detail::byte_word
// ---- end sessions/detail/byte_word.hpp ----

namespace sessions::cookie {

/// How much of a Cookie header is read by default. Servers commonly refuse request headers over
/// 8 KiB; a longer Cookie header is an attack or a broken client, not something to read fully.
inline constexpr std::size_t kMaxCookieHeaderBytes = 8192;

/// How many pairs are returned (and searched) by default. Browsers keep a few dozen cookies per
/// domain; thousands of tiny pairs in one header exist only to make servers do work.
inline constexpr std::size_t kMaxCookiePairs = 256;

/// One `name=value` of a Cookie header, as views into the header.
struct CookiePair {
  std::string_view name;
  std::string_view value;

  friend bool operator==(const CookiePair&, const CookiePair&) = default;
};

namespace detail {

// RFC 6265's OWS around names and values: spaces and horizontal tabs only. Other whitespace
// (CR, LF, VT, FF) is a control character here, and a pair holding one is dropped as junk.
[[nodiscard]] constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 6265bis drops a cookie whose name or value holds %x00-08 / %x0A-1F / %x7F (HTAB is fine).
// A NUL or a CR/LF in a pair means a broken or hostile client; never hand such bytes onward,
// where they could end up in a log line, a file name or another header.
[[nodiscard]] constexpr bool has_control_byte(unsigned char c) noexcept { return (c < 0x20 && c != '\t') || c == 0x7F; }

// Eight bytes at a time while none is below 0x20 or 0x7F (every request's Cookie header passes
// here); a group that has one (a tab, most likely) is looked at byte by byte.
[[nodiscard]] constexpr bool has_control(std::string_view s) noexcept {
  std::size_t i = 0;
  if (!std::is_constant_evaluated()) {
    for (; i + 8 <= s.size(); i += 8) {
      const std::uint64_t w = sessions::detail::byte_word::load(s.data() + i);
      if (!sessions::detail::byte_word::any_below(w, 0x20) && !sessions::detail::byte_word::any_equal(w, 0x7F))
        continue;
      for (std::size_t j = i; j < i + 8; ++j) {
        if (has_control_byte(static_cast<unsigned char>(s[j]))) return true;
      }
    }
  }
  for (; i < s.size(); ++i) {
    if (has_control_byte(static_cast<unsigned char>(s[i]))) return true;
  }
  return false;
}

// The part of `header` that is read: all of it when it fits in `max_bytes`; otherwise the first
// `max_bytes` bytes, minus a pair cut in two by the limit. A cut pair is dropped rather than
// returned truncated, because a shortened value is a wrong value (a session key one byte short
// would look like a forged key). A pair counts as whole only when a `;` follows it right at the
// limit; looking further for the end of it would read past the bound.
[[nodiscard]] constexpr std::string_view bounded(std::string_view header, std::size_t max_bytes) noexcept {
  if (header.size() <= max_bytes) return header;
  if (header[max_bytes] == ';') return header.substr(0, max_bytes);
  const std::string_view head = header.substr(0, max_bytes);
  const std::size_t last_separator = head.rfind(';');
  return last_separator == std::string_view::npos ? std::string_view{} : head.substr(0, last_separator);
}

// One `;`-separated segment into a pair, or nothing if the segment is junk.
[[nodiscard]] constexpr std::optional<CookiePair> parse_pair(std::string_view segment) noexcept {
  // The first `=` splits: a value may hold `=` itself (base64 padding, signed values).
  const std::size_t eq = segment.find('=');
  if (eq == std::string_view::npos) return std::nullopt;  // `novalue`: not a name=value pair
  const std::string_view name = trim_ows(segment.substr(0, eq));
  if (name.empty()) return std::nullopt;  // `=x`: nothing to look the value up by
  std::string_view value = trim_ows(segment.substr(eq + 1));
  // RFC 6265 lets a value be DQUOTE-wrapped; the quotes are not part of it. Backslash escapes
  // are not decoded: `\` is not a cookie-octet, so no conforming server ever wrote one.
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (has_control(name) || has_control(value)) return std::nullopt;
  return CookiePair{name, value};
}

// Calls `visit(pair)` for each pair in order until it returns false or `max_pairs` pairs were
// seen. The only loop over the header, so find_cookie and parse_cookie_header always agree.
template <class Visit>
constexpr void for_each_pair(std::string_view header, std::size_t max_bytes, std::size_t max_pairs, Visit&& visit) {
  std::string_view rest = bounded(header, max_bytes);
  std::size_t seen = 0;
  while (seen < max_pairs && !rest.empty()) {
    const std::size_t semicolon = rest.find(';');
    const std::string_view segment = rest.substr(0, semicolon);
    rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
    if (const auto pair = parse_pair(segment)) {
      ++seen;
      if (!visit(*pair)) return;
    }
  }
}

}  // namespace detail

/// The value of the first cookie called `name` in a Cookie header, without allocating; nothing if
/// there is none. For the session cookie the middleware uses find_session_cookie, which applies
/// Settings::duplicate_cookies (Django's last-wins by default). Only the first `max_bytes` bytes
/// and the first `max_pairs` valid pairs are searched (see parse_cookie_header).
[[nodiscard]] inline std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name,
                                                                 std::size_t max_bytes = kMaxCookieHeaderBytes,
                                                                 std::size_t max_pairs = kMaxCookiePairs) {
  std::optional<std::string_view> found;
  detail::for_each_pair(header, max_bytes, max_pairs, [&](const CookiePair& pair) {
    if (pair.name != name) return true;
    found = pair.value;
    return false;
  });
  return found;
}

/// Which of several cookies with the session cookie's name names the session.
enum class DuplicateCookies {
  /// The last one, as Django's parse_cookie (a dict) does: the default, so that a Django twin
  /// behind the same domain serves the same session.
  last,
  /// The first one (the longest Path, as browsers order them).
  first,
  /// None, when their values differ: the request counts as carrying no session cookie (and is
  /// logged). An attacker who plants a cookie then cannot choose the session served, only keep
  /// the visitor from having one while the planted cookie lives.
  reject,
};

/// What find_session_cookie found: the value to use (if any), and whether the name occurred with
/// different values.
struct SessionCookie {
  std::optional<std::string_view> value;
  bool conflicting = false;
};

/// The session cookie called `name` under the `rule` for duplicates, within the same bounds as
/// find_cookie (only pairs within them count).
[[nodiscard]] inline SessionCookie find_session_cookie(std::string_view header, std::string_view name,
                                                       DuplicateCookies rule,
                                                       std::size_t max_bytes = kMaxCookieHeaderBytes,
                                                       std::size_t max_pairs = kMaxCookiePairs) {
  SessionCookie found;
  detail::for_each_pair(header, max_bytes, max_pairs, [&](const CookiePair& pair) {
    if (pair.name != name) return true;
    if (!found.value) {
      found.value = pair.value;
      return true;
    }
    if (pair.value != *found.value) found.conflicting = true;
    if (rule == DuplicateCookies::last) found.value = pair.value;
    return true;
  });
  if (rule == DuplicateCookies::reject && found.conflicting) found.value.reset();
  return found;
}

/// Every valid pair of a Cookie header, in order, repeated names included.
///
/// Bounds: a header longer than `max_bytes` is read only up to that length, and a pair that the
/// limit cuts in two is dropped rather than returned with a truncated value. At most `max_pairs`
/// pairs are returned; later ones are ignored. Skipped as junk: segments without `=`, with an
/// empty name, or with a control character (other than tab) in the name or value. Bytes above
/// 0x7F are kept as they are (browsers send UTF-8 values; validating them is the reader's job).
[[nodiscard]] inline std::vector<CookiePair> parse_cookie_header(std::string_view header,
                                                                 std::size_t max_bytes = kMaxCookieHeaderBytes,
                                                                 std::size_t max_pairs = kMaxCookiePairs) {
  std::vector<CookiePair> pairs;
  detail::for_each_pair(header, max_bytes, max_pairs, [&](const CookiePair& pair) {
    pairs.push_back(pair);
    return true;
  });
  return pairs;
}

}  // namespace sessions::cookie
// ---- end sessions/cookie/parse.hpp ----
// ---- begin sessions/events.hpp ----
// What happened to a session, told to the application as it happens (Settings::on_event):
// created, key cycled, saved, destroyed (delete or flush), expired, missing, rejected and
// conflict. Each transition is told once, by the request that made it or found it.
//
// An event names the store, the reason, the user (Django's `_auth_user_id`, when the session
// holds one) and the first characters of the session key, never the whole key: a handler may log
// events, and a logged key must not be usable.
//
// A deleted session and an expired one are told apart: `destroyed` is a delete or flush by this
// library; `expired` a session found past its expiry (a cookie whose signature or expiry policy
// says so). A server store drops an expired record itself and answers a load of it as it answers
// a key it never had, so a request carrying such a key is told as `missing`.
//
// Unset (the default), telling costs one test of a null pointer per transition; the user id is
// looked up only when a hook is set.

namespace sessions {

enum class SessionEventKind {
  /// A new session was stored (its first save, or create()).
  created,
  /// cycle_key() moved the data to a new key; the old record is gone.
  key_cycled,
  /// An existing session was saved (written, or its expiry moved when its data had not changed).
  saved,
  /// The session was deleted (delete(), flush(), a cookie session emptied).
  destroyed,
  /// The session was found past its expiry.
  expired,
  /// A request carried a key the server store does not have: expired and removed, deleted by
  /// another request, or never issued.
  missing,
  /// Stored data or a cookie was refused: tampered, corrupted or over a limit. The session goes
  /// on empty.
  rejected,
  /// Lost-update protection refused a save (another request changed the session meanwhile).
  conflict,
};

[[nodiscard]] constexpr std::string_view to_string(SessionEventKind kind) noexcept {
  switch (kind) {
    case SessionEventKind::created:
      return "created";
    case SessionEventKind::key_cycled:
      return "key_cycled";
    case SessionEventKind::saved:
      return "saved";
    case SessionEventKind::destroyed:
      return "destroyed";
    case SessionEventKind::expired:
      return "expired";
    case SessionEventKind::missing:
      return "missing";
    case SessionEventKind::rejected:
      return "rejected";
    case SessionEventKind::conflict:
      return "conflict";
  }
  return "unknown";
}

/// One event. The views are valid during the call only: copy what the handler keeps.
struct SessionEvent {
  SessionEventKind kind;
  /// Why, in a few words ("flush", "delete", "signature expired", "data corrupted", ...).
  std::string_view reason;
  /// The store's name ("MemoryStore", "RedisStore", ...; "store" for a store that names none).
  std::string_view store;
  /// The first characters of the session key (loggable_key_prefix); empty when it has none.
  std::string_view key_prefix;
  /// `_auth_user_id` (Django's login), as text; empty when the session holds none or its data
  /// was not read.
  std::string_view user_id;
};

/// Where events go: a function pointer and its context, as Logger (no allocation; unset costs
/// one test). The handler runs on the request's thread, inside the Session call that made the
/// transition: keep it short, and do not throw from it (an exception propagates to that call).
class EventHook {
 public:
  using Fn = void (*)(void* context, const SessionEvent& event);

  EventHook() noexcept = default;
  EventHook(Fn fn, void* context) noexcept : fn_(fn), context_(context) {}

  [[nodiscard]] explicit operator bool() const noexcept { return fn_ != nullptr; }

  void operator()(const SessionEvent& event) const {
    if (fn_ != nullptr) fn_(context_, event);
  }

 private:
  Fn fn_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace sessions
// ---- end sessions/events.hpp ----
// ---- begin sessions/log.hpp ----
// How the library reports what it does not throw: tampered data (Django logs it on
// `django.security.SuspiciousSession`), a cache outage it survived, a store it could not reach.
// Messages never contain a secret or a whole session key.

#include <cstdio>

namespace sessions {

enum class LogLevel { debug, info, warning, error };

[[nodiscard]] constexpr std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "unknown";
}

/// A log sink: a function pointer and its context, so that logging costs no allocation and the
/// silent path costs one test. The default writes warnings and errors to stderr.
class Logger {
 public:
  using Fn = void (*)(void* context, LogLevel level, std::string_view category, std::string_view message);

  Logger() noexcept = default;
  Logger(Fn fn, void* context) noexcept : fn_(fn), context_(context) {}

  /// A logger that drops everything.
  [[nodiscard]] static Logger silent() noexcept {
    return Logger([](void*, LogLevel, std::string_view, std::string_view) {}, nullptr);
  }

  void operator()(LogLevel level, std::string_view category, std::string_view message) const {
    if (fn_ != nullptr) {
      fn_(context_, level, category, message);
    } else if (level >= LogLevel::warning) {
      std::fprintf(stderr, "sessions [%.*s] %.*s: %.*s\n", static_cast<int>(to_string(level).size()),
                   to_string(level).data(), static_cast<int>(category.size()), category.data(),
                   static_cast<int>(message.size()), message.data());
    }
  }

 private:
  Fn fn_ = nullptr;
  void* context_ = nullptr;
};

/// The part of a session key that may appear in a log: enough to correlate, too little to use.
[[nodiscard]] inline std::string_view loggable_key_prefix(std::string_view key) noexcept {
  return key.substr(0, key.size() < 6 ? key.size() : 6);
}

}  // namespace sessions
// ---- end sessions/log.hpp ----
// ---- begin sessions/random.hpp ----
// Where the library's randomness comes from. The default is libcrypto's CSPRNG; tests may inject a
// deterministic source. The injected source is a function pointer plus context, so the default
// path costs one pointer test and no virtual call.

#include <span>

// ---- begin sessions/crypto/random_batch.hpp ----
// Random bytes for session keys, drawn from libcrypto's CSPRNG (RAND_bytes) a batch at a time and
// handed out from a buffer of each thread's own. One RAND_bytes call cost about two thirds of a
// new session's instructions (libcrypto's provider lookup on every call); a 4 KiB batch serves
// about 85 keys, so that cost is paid once per 85 new sessions. The bytes are the CSPRNG's, only
// fetched earlier: keys stay as unpredictable as before.
//
// A forked child must never hand out bytes its parent also holds (two processes would issue the
// same keys): a fork handler moves a generation counter, and a thread whose buffer belongs to an
// older generation drops it and draws a fresh batch. Bytes are wiped once handed out, so the
// buffer never holds a key already issued.

#include <openssl/crypto.h>
#include <pthread.h>

#include <array>

// ---- begin sessions/crypto/random.hpp ----
// Cryptographically secure random bytes from libcrypto (RAND_bytes, seeded by the OS).

#include <openssl/rand.h>

#include <climits>

// ---- begin sessions/errors.hpp ----
// The typed errors of the library. Every failure a caller can meet is one of these, so a caller can
// catch `sessions::Error` for everything or a precise type for one case. Messages never contain a
// secret or a whole session key.

namespace sessions {

/// Base of every error the library throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The configuration cannot work (Django: ImproperlyConfigured), e.g. a missing session directory.
class ConfigurationError : public Error {
 public:
  using Error::Error;
};

/// Input that looks like an attack or tampering (Django: SuspiciousOperation).
class SuspiciousOperation : public Error {
 public:
  using Error::Error;
};

/// A session key from a client failed validation (Django: InvalidSessionKey).
class InvalidSessionKey : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// Stored session data failed to decode or verify (Django: SuspiciousSession). The session layer
/// reports it through the logger and continues with an empty session; it is thrown only by
/// lower-level calls a caller makes directly.
class SuspiciousSession : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// A store could not do what was asked (I/O error, server unreachable, disk full, ...).
class StorageError : public Error {
 public:
  using Error::Error;
};

/// A store gave up waiting within its deadline (Options::timeout): no free pooled connection, or
/// a lock held by someone else. Nothing was changed; the operation may be retried.
class StorageTimeout : public StorageError {
 public:
  using StorageError::StorageError;
};

/// An asynchronous operation that was abandoned before it ran: its BlockingPool was stopped (or
/// destroyed) with the operation still queued. A StorageError, so that a caller that answers
/// StorageError with 503 handles it the same way; nothing was written.
class OperationAborted : public StorageError {
 public:
  using StorageError::StorageError;
};

/// save(must_create=true) found a record under the key already (Django: CreateError).
class CreateError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// save() of an existing session found its record gone, e.g. deleted by a concurrent logout
/// (Django: UpdateError). The record is never re-created.
class UpdateError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// save() with Settings::lost_update = fail (or merge, after its retries) found that another
/// request saved the same session since this one loaded it; nothing was written. Not an
/// UpdateError: the session still exists, so the middleware does not turn it into
/// SessionInterrupted but lets it propagate to the application (answer 409 or retry the request).
class ConflictError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// The middleware could not save because the session was deleted while the request ran
/// (Django: SessionInterrupted, answered with 400).
class SessionInterrupted : public Error {
 public:
  SessionInterrupted()
      : Error(
            "The request's session was deleted before the request completed. The user may have "
            "logged out in a concurrent request, for example.") {}
};

/// A session key that is not in the session (Django: KeyError from s[k], del s[k], pop(k)).
class KeyError : public Error {
 public:
  using Error::Error;
};

/// A stored value cannot be converted to the type the caller asked for.
class ValueTypeError : public Error {
 public:
  using Error::Error;
};

/// Bytes that a serializer cannot decode into session data.
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// Session data that a serializer cannot encode (e.g. a value its format cannot hold).
class EncodeError : public Error {
 public:
  using Error::Error;
};

/// A cookie name, value or attribute that could split or inject a header, or that breaks a
/// cookie-prefix rule; never written.
class CookieError : public Error {
 public:
  using Error::Error;
};

/// A Set-Cookie line longer than browsers keep (4096 bytes for name, value and attributes).
class CookieTooLarge : public CookieError {
 public:
  using CookieError::CookieError;
};

/// libcrypto reported a failure (no entropy, allocation, ...).
class CryptoError : public Error {
 public:
  using Error::Error;
};

/// A signed value whose signature does not verify (Django: signing.BadSignature).
class BadSignature : public Error {
 public:
  using Error::Error;
};

/// A signed value older than the max_age asked for (Django: signing.SignatureExpired).
class SignatureExpired : public BadSignature {
 public:
  using BadSignature::BadSignature;
};

/// A configured limit (payload size, number of keys, header size) was exceeded.
class LimitExceeded : public Error {
 public:
  using Error::Error;
};

/// A save of a session whose user already holds Settings::max_sessions_per_user sessions, with
/// UserSessionLimit::AtLimit::refuse_new: the new session's record was deleted (a `rejected`
/// event, reason "session limit", was told). Answer it as a refused login.
class SessionLimitReached : public Error {
 public:
  using Error::Error;
};

}  // namespace sessions
// ---- end sessions/errors.hpp ----

namespace sessions::crypto {

/// Fills `out` with random bytes from libcrypto's CSPRNG; throws CryptoError if it cannot.
inline void random_bytes(std::span<unsigned char> out) {
  while (!out.empty()) {
    const std::size_t chunk = out.size() < static_cast<std::size_t>(INT_MAX) ? out.size() : INT_MAX;
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
      throw CryptoError("RAND_bytes failed: libcrypto could not produce random bytes");
    }
    out = out.subspan(chunk);
  }
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/random.hpp ----

namespace sessions::crypto {

inline std::atomic<unsigned> random_fork_generation{0};

inline void note_random_fork() noexcept { random_fork_generation.fetch_add(1, std::memory_order_relaxed); }

/// Fills `out` with CSPRNG bytes from this thread's batch (requests larger than a quarter batch
/// go to RAND_bytes directly). CryptoError when libcrypto cannot produce them.
inline void batched_random_bytes(std::span<unsigned char> out) {
  constexpr std::size_t kBatch = 4096;
  struct Batch {
    std::array<unsigned char, kBatch> bytes{};
    std::size_t used = kBatch;  // nothing drawn yet
    unsigned generation = 0;
    Batch() = default;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    ~Batch() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  };
  // Registered once per process; a child inherits the registration.
  static const bool fork_handler = pthread_atfork(nullptr, nullptr, &note_random_fork) == 0;
  if (!fork_handler || out.size() > kBatch / 4) {
    random_bytes(out);  // no way to notice a fork, or too big to be worth buffering
    return;
  }
  thread_local Batch batch;
  const unsigned generation = random_fork_generation.load(std::memory_order_relaxed);
  if (batch.generation != generation) {
    OPENSSL_cleanse(batch.bytes.data(), batch.bytes.size());
    batch.used = kBatch;  // drawn before a fork: the parent holds the same bytes
    batch.generation = generation;
  }
  if (kBatch - batch.used < out.size()) {
    random_bytes(batch.bytes);
    batch.used = 0;
  }
  unsigned char* from = batch.bytes.data() + batch.used;
  std::memcpy(out.data(), from, out.size());
  OPENSSL_cleanse(from, out.size());
  batch.used += out.size();
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/random_batch.hpp ----

namespace sessions {

class RandomSource {
 public:
  using FillFn = void (*)(void* context, std::span<unsigned char> out);

  /// libcrypto's CSPRNG, drawn a batch at a time per thread (crypto/random_batch.hpp).
  RandomSource() noexcept = default;
  /// A caller-provided source (tests). `context` must outlive this object's copies.
  RandomSource(FillFn fill_fn, void* context) noexcept : fill_(fill_fn), context_(context) {}

  void fill(std::span<unsigned char> out) const {
    if (fill_ != nullptr) {
      fill_(context_, out);
    } else {
      crypto::batched_random_bytes(out);
    }
  }

 private:
  FillFn fill_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace sessions
// ---- end sessions/random.hpp ----
// ---- begin sessions/session_limit.hpp ----
// How many sessions one user may hold at once (Settings::max_sessions_per_user), and what a new
// login does at the limit. Apart from user_index.hpp so that Settings can name it.

namespace sessions {

/// How many sessions a user may hold at once, and what a new login does at the limit.
struct UserSessionLimit {
  enum class AtLimit {
    /// The oldest sessions (by last_seen) are deleted to make room for the new one.
    evict_oldest,
    /// The new session is refused (not indexed); the caller deletes it and reports the refusal.
    refuse_new,
  };
  /// 0: no limit.
  std::size_t max_sessions = 0;
  AtLimit at_limit = AtLimit::evict_oldest;
};

}  // namespace sessions
// ---- end sessions/session_limit.hpp ----

namespace sessions {

/// SESSION_COOKIE_SAMESITE: Lax, Strict, None, or `omit` for Django's False (no attribute).
enum class SameSite { lax, strict, none, omit };

/// What save() does when another request saved the same session after this one loaded it.
enum class LostUpdate {
  /// Django's behaviour: the later save overwrites the earlier one's changes. No cost at all.
  last_write_wins,
  /// The later save writes nothing and throws ConflictError.
  fail,
  /// The later save reloads the record, re-applies the keys this request changed (set, erased,
  /// or changed in place) on top of it, and tries again; ConflictError after merge_attempts.
  merge,
};

/// Where the middleware reads the session id and sends a new one (not in Django; Spring Session's
/// cookie and header resolvers). See Middleware and docs/DESIGN.md, "Session id in a header".
enum class SessionIdFrom {
  /// Django's session cookie, byte for byte as Django's middleware: the default.
  cookie,
  /// Only Settings::session_header, for API and mobile clients: no cookie is read or written.
  header,
  /// Settings::session_header when the request carries it (answered in it), else the cookie
  /// (answered with Django's cookie): one site for both browsers and API clients.
  header_then_cookie,
};

struct Settings {
  /// SESSION_COOKIE_NAME; also the file name prefix of FileStore, as in Django.
  std::string cookie_name = "sessionid";
  /// SESSION_COOKIE_AGE: the default session lifetime, two weeks.
  std::chrono::seconds cookie_age{1'209'600};
  /// SESSION_COOKIE_DOMAIN: no Domain attribute when empty (host-only cookie).
  std::optional<std::string> cookie_domain;
  /// SESSION_COOKIE_PATH.
  std::string cookie_path = "/";
  /// SESSION_COOKIE_SECURE.
  bool cookie_secure = false;
  /// Not in Django: also mark the cookie Secure whenever the request itself came over HTTPS.
  bool cookie_secure_auto = false;
  /// SESSION_COOKIE_HTTPONLY.
  bool cookie_httponly = true;
  /// SESSION_COOKIE_SAMESITE.
  SameSite cookie_samesite = SameSite::lax;
  /// Not in Django: the CHIPS `Partitioned` attribute (requires Secure).
  bool cookie_partitioned = false;
  /// Which session cookie counts when a request carries several with the name (one planted by a
  /// sibling subdomain, or left over at another Path): Django's last one by default, or the
  /// first, or none (`reject`) when they differ. A `__Host-` cookie name prevents the planting.
  cookie::DuplicateCookies duplicate_cookies = cookie::DuplicateCookies::last;
  /// SESSION_SAVE_EVERY_REQUEST.
  bool save_every_request = false;
  /// SESSION_EXPIRE_AT_BROWSER_CLOSE.
  bool expire_at_browser_close = false;
  /// SESSION_FILE_PATH: FileStore's directory; the system temporary directory when empty.
  std::filesystem::path file_path;
  /// The middleware saves no session for a response with this status or above. Django 4.2+ uses
  /// 500 (any 5xx); Django 3.2 skipped only exactly 500.
  int no_save_status_from = 500;

  /// Lost-update protection (not in Django). Anything but last_write_wins needs a store with
  /// update_if() (every server store of the library has it; cookie stores cannot): a Session or
  /// Middleware built with it over another store throws ConfigurationError.
  LostUpdate lost_update = LostUpdate::last_write_wins;
  /// LostUpdate::merge: how many times save() reloads and re-applies before ConflictError.
  int merge_attempts = 5;

  /// Limits against abuse (not in Django). For max_payload_bytes, max_keys and max_nodes, 0 disables
  /// the limit.
  /// The largest serialized session a server store is asked to keep; save() of a larger one
  /// throws LimitExceeded and writes nothing, and a stored record larger than this loads as an
  /// empty session (logged on sessions.security.SuspiciousSession, as corrupt data).
  /// (Cookie stores are bounded by the 4096-byte cookie limit instead: CookieTooLarge.)
  std::size_t max_payload_bytes = std::size_t{1} << 20;
  /// The most top-level keys a session may hold: save() beyond it throws LimitExceeded, and a
  /// record (or cookie) holding more loads as an empty session, logged as above.
  std::size_t max_keys = 10'000;
  /// The most values a session may hold at all depths: every object member and array element,
  /// nested or not, counts one (the top-level keys too). max_keys bounds only the top level; this
  /// bounds what one nested object or array can make a decode build. Enforced as max_keys: save()
  /// beyond it throws LimitExceeded, a record (or cookie) holding more loads as an empty session,
  /// logged. 100,000 is far above any real session (a typical one holds about ten values; a 1 MiB
  /// payload of small values holds a few hundred thousand). 0 disables the limit.
  std::size_t max_nodes = 100'000;
  /// The part of a request's Cookie header the middleware reads, and the most cookies it looks
  /// at (cookie::find_cookie's bounds): the rest is ignored, never allocated for. These two are
  /// always applied (0 reads nothing).
  std::size_t max_cookie_header_bytes = 8192;
  std::size_t max_cookie_pairs = 256;

  /// Not in Django: where the middleware reads the session id (cookie, header, or header then
  /// cookie); with the header, a new id goes back in the same header and a deleted session is
  /// answered with the header empty. An id longer than max_cookie_header_bytes is not read.
  SessionIdFrom session_id_from = SessionIdFrom::cookie;
  /// The request and response header that carries the session id when session_id_from says so.
  std::string session_header = "X-Session-Token";

  /// Where "now" comes from (injectable for tests).
  Clock clock;
  /// Where session keys' randomness comes from (injectable for tests).
  RandomSource random;
  /// Where warnings (tampered data, survived outages) go.
  Logger logger;
  /// Where session events go (created, saved, destroyed, expired, rejected, ...: events.hpp).
  /// Unset by default: nothing is told.
  EventHook on_event;

  /// The per-user index (user_indexed.hpp; only a store wrapped in UserIndexed keeps it): how many
  /// sessions one user (`_auth_user_id`) may hold at once, 0 for no limit, and what a save that
  /// would go over it does: evict the user's least recently seen sessions, or refuse the new one
  /// (its record is deleted and save() throws SessionLimitReached). Ignored by other stores.
  std::size_t max_sessions_per_user = 0;
  UserSessionLimit::AtLimit at_session_limit = UserSessionLimit::AtLimit::evict_oldest;
};

/// The settings used when a caller passes none: Django's defaults.
[[nodiscard]] inline const Settings& default_settings() noexcept {
  static const Settings defaults{};
  return defaults;
}

}  // namespace sessions
// ---- end sessions/settings.hpp ----
// ---- begin sessions/detail/json_nodes.hpp ----
// The number of values a session holds below its top level, at every depth: each object member
// and each array element counts one (Settings::max_nodes). Settings::max_keys bounds only the
// top level, so one nested object of 60,000 keys, or an array of 300,000 empty arrays (each a
// heap allocation built from three bytes of input), passed it. Counted without allocating, and
// stopping as soon as the count passes the limit.

namespace sessions::detail {

namespace json_nodes_detail {

// Adds the values below `value` to `total`; false as soon as `total` exceeds `limit`.
inline bool add(const Data& value, std::size_t limit, std::size_t& total, int depth) noexcept {
  if (!value.is_structured()) return true;
  if (depth > 512) {  // deeper than any decoder accepts: count it as too large
    total = limit + 1;
    return false;
  }
  total += value.size();
  if (total > limit) return false;
  if (value.is_object()) {
    for (const auto& member : value.get_ref<const Data::object_t&>()) {
      if (!add(member.second, limit, total, depth + 1)) return false;
    }
  } else {
    for (const Data& element : value.get_ref<const Data::array_t&>()) {
      if (!add(element, limit, total, depth + 1)) return false;
    }
  }
  return true;
}

}  // namespace json_nodes_detail

/// The number of values below `value`'s top level, or some number above `limit` once it exceeds it.
[[nodiscard]] inline std::size_t bounded_node_count(const Data& value, std::size_t limit) noexcept {
  std::size_t total = 0;
  (void)json_nodes_detail::add(value, limit, total, 0);
  return total;
}

/// What data over Settings::max_nodes (`limit`) does, for messages.
[[nodiscard]] inline std::string node_limit_text(std::size_t limit) {
  return "holds more than Settings::max_nodes (" + std::to_string(limit) + ") values at all depths";
}

/// Why `data` breaks Settings::max_nodes (`limit`; 0: no limit), or nullopt when it does not.
[[nodiscard]] inline std::optional<std::string> node_limit_violation(const Data& data, std::size_t limit) {
  if (limit == 0 || bounded_node_count(data, limit) <= limit) return std::nullopt;
  return node_limit_text(limit);
}

}  // namespace sessions::detail
// ---- end sessions/detail/json_nodes.hpp ----
// ---- begin sessions/detail/json_size.hpp ----
// The size of a value's compact JSON text, counted without producing it and without allocating,
// stopping as soon as it passes a limit: Settings::max_payload_bytes for stores that keep values
// (MemoryValueStore), which never serialize. Strings count their bytes plus escapes as
// nlohmann::json's dump() writes them; floating-point numbers count at most 24 bytes (dump()'s
// longest form), so the count may exceed dump()'s by a few bytes per float, never fall short.

namespace sessions::detail {

namespace json_size_detail {

// Bytes dump() writes for each byte of a string: 1, 2 for the short escapes, 6 for \u00XX.
inline constexpr auto kEscapedSize = [] {
  struct Table {
    unsigned char size[256];
  } t{};
  for (std::size_t c = 0; c < 256; ++c) t.size[c] = static_cast<unsigned char>(c < 0x20 ? 6 : 1);
  for (const char c : {'"', '\\', '\b', '\f', '\n', '\r', '\t'}) t.size[static_cast<unsigned char>(c)] = 2;
  return t;
}();

// Eight bytes at a time while none needs an escape (the common case: keys, ids, hashes), a table
// lookup per byte otherwise: this walk runs on every save of a value store.
inline std::size_t string_size(std::string_view s) noexcept {
  std::size_t n = 2;  // quotes
  std::size_t i = 0;
  const std::size_t size = s.size();
  for (; i + 8 <= size; i += 8) {
    const std::uint64_t w = byte_word::load(s.data() + i);
    if (!byte_word::any_below(w, 0x20) && !byte_word::any_equal(w, '"') && !byte_word::any_equal(w, '\\')) {
      n += 8;
      continue;
    }
    for (std::size_t j = i; j < i + 8; ++j) n += kEscapedSize.size[static_cast<unsigned char>(s[j])];
  }
  for (; i < size; ++i) n += kEscapedSize.size[static_cast<unsigned char>(s[i])];
  return n;
}

inline std::size_t digits(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Adds the size of `value` to `total`; false as soon as `total` exceeds `limit`.
inline bool add(const Data& value, std::size_t limit, std::size_t& total, int depth) noexcept {
  if (depth > 512) {  // deeper than any decoder accepts: count it as too large
    total = limit + 1;
    return false;
  }
  switch (value.type()) {
    case Data::value_t::object:
      total += 2 + (value.empty() ? 0 : value.size() - 1);                      // braces, commas
      for (const auto& [key, item] : value.get_ref<const Data::object_t&>()) {  // no items() proxies
        total += string_size(key) + 1;                                          // key and colon
        if (total > limit || !add(item, limit, total, depth + 1)) return false;
      }
      break;
    case Data::value_t::array:
      total += 2 + (value.empty() ? 0 : value.size() - 1);
      for (const auto& element : value.get_ref<const Data::array_t&>()) {
        if (total > limit || !add(element, limit, total, depth + 1)) return false;
      }
      break;
    case Data::value_t::string:
      total += string_size(value.get_ref<const std::string&>());
      break;
    case Data::value_t::boolean:
      total += *value.get_ptr<const Data::boolean_t*>() ? std::size_t{4} : std::size_t{5};
      break;
    case Data::value_t::number_integer: {
      const std::int64_t v = *value.get_ptr<const Data::number_integer_t*>();
      total += v < 0 ? 1 + digits(static_cast<std::uint64_t>(-(v + 1)) + 1) : digits(static_cast<std::uint64_t>(v));
      break;
    }
    case Data::value_t::number_unsigned:
      total += digits(*value.get_ptr<const Data::number_unsigned_t*>());
      break;
    case Data::value_t::number_float:
      total += 24;
      break;
    case Data::value_t::binary:
      total += value.get_binary().size() * 4 + 16;
      break;
    case Data::value_t::null:
    case Data::value_t::discarded:
    default:
      total += 4;
      break;
  }
  return total <= limit;
}

}  // namespace json_size_detail

/// The compact JSON size of `value` (see above), or some number above `limit` once it exceeds it.
[[nodiscard]] inline std::size_t bounded_json_size(const Data& value, std::size_t limit) noexcept {
  std::size_t total = 0;
  (void)json_size_detail::add(value, limit, total, 0);
  return total;
}

}  // namespace sessions::detail
// ---- end sessions/detail/json_size.hpp ----

namespace sessions::detail {

/// Exact counts of one session's data (an object); the defaults are those of an empty object.
struct ValueCounts {
  std::size_t size = 2;   // "{}"
  std::size_t nodes = 0;  // values below the top level
};

/// Counts are kept only while both limits are on (a limit of 0 is never walked for).
[[nodiscard]] inline bool counts_wanted(const Settings& settings) noexcept {
  return settings.max_payload_bytes != 0 && settings.max_nodes != 0;
}

/// The counts of `data` by walking it; nullopt once either passes its limit (then the counts are
/// not exact, and the limit check rejects the data).
[[nodiscard]] inline std::optional<ValueCounts> walk_counts(const Settings& settings, const Data& data) {
  const ValueCounts counts{bounded_json_size(data, settings.max_payload_bytes),
                           bounded_node_count(data, settings.max_nodes)};
  if (counts.size > settings.max_payload_bytes || counts.nodes > settings.max_nodes) return std::nullopt;
  return counts;
}

/// The counts of an object's members (pointers to `key` and `value`, as MemberList holds them) by
/// walking them; nullopt once either passes its limit.
template <class Members>
[[nodiscard]] std::optional<ValueCounts> walk_member_counts(const Settings& settings, const Members& members) {
  const std::size_t size_limit = settings.max_payload_bytes;
  const std::size_t node_limit = settings.max_nodes;
  ValueCounts counts{};
  bool first = true;
  for (const auto& member : members) {
    counts.size += (first ? 0 : 1) + json_size_detail::string_size(member->key) + 1;  // comma, key, colon
    counts.nodes += 1;
    first = false;
    if (!json_size_detail::add(member->value, size_limit, counts.size, 1) ||
        !json_nodes_detail::add(member->value, node_limit, counts.nodes, 1) || counts.size > size_limit ||
        counts.nodes > node_limit) {
      return std::nullopt;
    }
  }
  return counts;
}

/// The counts of an object after `object[key] = value`, from `counts` (those of the object, exact):
/// `replaced` is the value under `key` before (null when new), `was_empty` whether the object had
/// no member. nullopt when they cannot be known without a whole walk (a limit passed). The values
/// are walked at depth 1, where they will be, so the depth bound applies as in a whole walk.
[[nodiscard]] inline std::optional<ValueCounts> counts_after_set(const Settings& settings, ValueCounts counts,
                                                                 const Data* replaced, bool was_empty,
                                                                 std::string_view key, const Data& value) {
  const std::size_t size_limit = settings.max_payload_bytes;
  const std::size_t node_limit = settings.max_nodes;
  // Counts over a limit (kept under other Settings) would make the bounded walks below inexact.
  if (counts.size > size_limit || counts.nodes > node_limit) return std::nullopt;
  std::size_t value_size = 0;
  std::size_t value_nodes = 0;
  if (!json_size_detail::add(value, size_limit, value_size, 1) ||
      !json_nodes_detail::add(value, node_limit, value_nodes, 1)) {
    return std::nullopt;
  }
  if (replaced != nullptr) {
    // Exact: the replaced value is part of data within the limits.
    std::size_t old_size = 0;
    std::size_t old_nodes = 0;
    (void)json_size_detail::add(*replaced, size_limit, old_size, 1);
    (void)json_nodes_detail::add(*replaced, node_limit, old_nodes, 1);
    counts.size = counts.size - old_size + value_size;
    counts.nodes = counts.nodes - old_nodes + value_nodes;
  } else {
    counts.size += (was_empty ? 0 : 1) + json_size_detail::string_size(key) + 1 + value_size;  // comma, key, colon
    counts.nodes += 1 + value_nodes;
  }
  return counts;
}

}  // namespace sessions::detail
// ---- end sessions/detail/value_counts.hpp ----

namespace sessions {

class MemberList {
 public:
  /// One top-level member: its key and its value.
  struct Member {
    std::string key;
    Data value;
  };
  using MemberPtr = std::shared_ptr<const Member>;

  /// The largest list searched linearly; a larger one keeps an index sorted by key.
  static constexpr std::size_t linear_max = 32;

  MemberList() = default;

  /// The members of a JSON object, in its order, moved out of it (anything but an object: empty).
  [[nodiscard]] static MemberList from(Data&& object) {
    MemberList list;
    if (!object.is_object()) return list;
    auto& members = object.get_ref<Data::object_t&>();
    list.members_.reserve(members.size());
    for (auto& member : members) {
      list.members_.push_back(std::make_shared<const Member>(Member{member.first, std::move(member.second)}));
    }
    list.rebuild_index();
    return list;
  }
  [[nodiscard]] static MemberList from(const Data& object) { return from(Data(object)); }

  /// A JSON object holding copies of the members, in order.
  [[nodiscard]] Data to_data() const {
    Data data = Data::object();
    auto& members = data.get_ref<Data::object_t&>();
    for (const MemberPtr& m : members_) members.emplace(m->key, m->value);
    return data;
  }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
  [[nodiscard]] auto begin() const noexcept { return members_.begin(); }
  [[nodiscard]] auto end() const noexcept { return members_.end(); }

  /// The value under `key`, or null when absent.
  [[nodiscard]] const Data* find(std::string_view key) const noexcept {
    const std::size_t pos = position(key);
    return pos == members_.size() ? nullptr : &members_[pos]->value;
  }
  [[nodiscard]] const MemberPtr* find_member(std::string_view key) const noexcept {
    const std::size_t pos = position(key);
    return pos == members_.size() ? nullptr : &members_[pos];
  }

  /// list[key] = value: replaces the member in place (its position kept) or appends one.
  void set(std::string_view key, Data value) { set_at(position(key), key, std::move(value)); }

  /// The position of the member under `key`, or size() when there is none.
  [[nodiscard]] std::size_t position(std::string_view key) const noexcept {
    if (index_.empty()) {
      for (std::size_t i = 0; i < members_.size(); ++i) {
        if (members_[i]->key == key) return i;
      }
      return members_.size();
    }
    const auto it = std::lower_bound(index_.begin(), index_.end(), key, KeyLess{this});
    return it != index_.end() && members_[*it]->key == key ? *it : members_.size();
  }
  [[nodiscard]] const Data& value_at(std::size_t pos) const noexcept { return members_[pos]->value; }

  /// set() for `pos` = position(key), when the caller has it already.
  void set_at(std::size_t pos, std::string_view key, Data value) {
    if (pos != members_.size()) {
      members_[pos] = std::make_shared<const Member>(Member{members_[pos]->key, std::move(value)});
      return;
    }
    members_.push_back(std::make_shared<const Member>(Member{std::string(key), std::move(value)}));
    if (members_.size() > linear_max) {
      if (index_.empty()) {
        rebuild_index();
      } else {
        const auto at = std::lower_bound(index_.begin(), index_.end(), key, KeyLess{this});
        index_.insert(at, static_cast<std::uint32_t>(members_.size() - 1));
      }
    }
  }

  /// Removes the member under `key`; false when there is none.
  bool erase(std::string_view key) {
    const std::size_t pos = position(key);
    if (pos == members_.size()) return false;
    members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(pos));
    if (members_.size() <= linear_max) {
      index_.clear();
    } else {
      std::erase(index_, static_cast<std::uint32_t>(pos));
      for (std::uint32_t& p : index_) {
        if (p > pos) --p;
      }
    }
    return true;
  }

  /// The data's compact JSON size and node count, when a save counted them (value stores check
  /// Settings::max_payload_bytes and max_nodes by them instead of walking the data again).
  [[nodiscard]] const std::optional<detail::ValueCounts>& counts() const noexcept { return counts_; }
  void set_counts(const std::optional<detail::ValueCounts>& counts) noexcept { counts_ = counts; }

  /// The same members in the same order (values compared when they are not the same object).
  friend bool operator==(const MemberList& a, const MemberList& b) {
    if (a.members_.size() != b.members_.size()) return false;
    for (std::size_t i = 0; i < a.members_.size(); ++i) {
      const MemberPtr& x = a.members_[i];
      const MemberPtr& y = b.members_[i];
      if (x != y && (x->key != y->key || x->value != y->value)) return false;
    }
    return true;
  }

 private:
  struct KeyLess {
    const MemberList* list;
    bool operator()(std::uint32_t a, std::string_view b) const noexcept { return list->members_[a]->key < b; }
    bool operator()(std::string_view a, std::uint32_t b) const noexcept { return a < list->members_[b]->key; }
    bool operator()(std::uint32_t a, std::uint32_t b) const noexcept {
      return list->members_[a]->key < list->members_[b]->key;
    }
  };

  void rebuild_index() {
    index_.clear();
    if (members_.size() <= linear_max) return;
    index_.resize(members_.size());
    for (std::size_t i = 0; i < members_.size(); ++i) index_[i] = static_cast<std::uint32_t>(i);
    std::sort(index_.begin(), index_.end(), KeyLess{this});
  }

  std::vector<MemberPtr> members_;
  std::vector<std::uint32_t> index_;  // positions sorted by key, above linear_max members only
  std::optional<detail::ValueCounts> counts_;
};

/// A MemberList shared immutably: MemoryValueStore's payload.
using SharedMembers = std::shared_ptr<const MemberList>;

}  // namespace sessions
// ---- end sessions/member_list.hpp ----
// ---- begin sessions/record.hpp ----
// What a server-side store keeps under a session key: the payload and when it stops being valid.

namespace sessions {

template <class Payload>
struct Record {
  Payload payload;
  /// The instant the record expires; a store never returns a record at or after this instant.
  TimePoint expires_at;
};

/// Session data shared immutably (copy-on-write): MemoryValueStore's payload, and what a cookie
/// store's cache of verified values hands out. Holders never change the pointee: a Session copies
/// it into data of its own on its first change, so reading or saving an unchanged session costs a
/// reference count, not a deep copy.
using SharedData = std::shared_ptr<const Data>;

/// What a compare-and-set write (a store's optional update_if()) found: the record still held the
/// payload the caller expected and was replaced (`written`); it held something else, i.e. another
/// request saved the session meanwhile (`conflict`); or there was no live record (`missing`: never
/// created, expired, or deleted by a logout, and not brought back).
enum class CasResult { written, conflict, missing };

/// What a client-side store reads out of a cookie: the data and when the cookie was issued (its
/// signing time), from which the session's expiry policy decides whether it is still alive.
/// A store may hand the data over shared (`shared`, e.g. from its cache of verified values, with
/// `data` then left empty) instead of as a copy of its own: value() is the data either way.
struct ClientRecord {
  Data data{};
  TimePoint issued_at{};
  SharedData shared{};

  [[nodiscard]] const Data& value() const noexcept { return shared ? *shared : data; }
};

}  // namespace sessions
// ---- end sessions/record.hpp ----

namespace sessions {

// ---------------------------------------------------------------------------------------------
// Storage (server side). Keys given to a store have passed is_valid_session_key(); a store that
// maps keys to paths or queries checks again. The operations are kept apart on purpose: there is
// no upsert, so a key collision can never take over a record and a slow request can never bring
// back a record that a logout deleted.
//
//   typename S::payload_type                 std::string (bytes from the serializer),
//                                            sessions::Data (the store keeps values, no serializer)
//                                            or sessions::SharedData (values shared immutably:
//                                            load hands out a pointer, update_if may compare
//                                            pointers, since a Session never changes the pointee)
//   s.load(key)           -> std::optional<Record<payload_type>>   nullopt: absent or expired
//   s.create(key, p, t)   -> bool   insert if absent; false if a live record exists
//   s.update(key, p, t)   -> bool   replace if present; false if there is no live record
//   s.touch(key, t)       -> bool   move the expiry only; false if there is no live record
//   s.remove(key)         -> void   delete if present (Django's delete(key))
//   s.exists(key)         -> bool   a live record exists
//   s.clear_expired()     -> std::size_t   records removed
//
// Optional (lost-update protection, Settings::lost_update):
//   s.update_if(key, p, t, expected) -> CasResult   replace the live record only if its payload
//                                        still equals `expected` (what this request loaded),
//                                        atomically; written / conflict / missing (never creates)
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept storage_payload_type = requires { typename S::payload_type; };

template <class S>
concept storage_load = storage_payload_type<S> && requires(S& s, std::string_view key) {
  { s.load(key) } -> std::same_as<std::optional<Record<typename S::payload_type>>>;
};

template <class S>
concept storage_create =
    storage_payload_type<S> && requires(S& s, std::string_view key, const typename S::payload_type& p, TimePoint t) {
      { s.create(key, p, t) } -> std::same_as<bool>;
    };

template <class S>
concept storage_update =
    storage_payload_type<S> && requires(S& s, std::string_view key, const typename S::payload_type& p, TimePoint t) {
      { s.update(key, p, t) } -> std::same_as<bool>;
    };

template <class S>
concept storage_touch = requires(S& s, std::string_view key, TimePoint t) {
  { s.touch(key, t) } -> std::same_as<bool>;
};

template <class S>
concept storage_remove = requires(S& s, std::string_view key) { s.remove(key); };

template <class S>
concept storage_exists = requires(S& s, std::string_view key) {
  { s.exists(key) } -> std::same_as<bool>;
};

template <class S>
concept storage_clear_expired = requires(S& s) {
  { s.clear_expired() } -> std::convertible_to<std::size_t>;
};

template <class S>
concept storage_update_if = storage_payload_type<S> && requires(S& s, std::string_view key,
                                                                const typename S::payload_type& p, TimePoint t,
                                                                const typename S::payload_type& expected) {
  { s.update_if(key, p, t, expected) } -> std::same_as<CasResult>;
};

}  // namespace requirement

template <class S>
concept ServerStorage = requirement::storage_load<S> && requirement::storage_create<S> &&
                        requirement::storage_update<S> && requirement::storage_touch<S> &&
                        requirement::storage_remove<S> && requirement::storage_exists<S> &&
                        requirement::storage_clear_expired<S>;

/// A server store that can compare-and-set, as Settings::lost_update = fail or merge needs.
template <class S>
concept CasStorage = ServerStorage<S> && requirement::storage_update_if<S>;

/// A store that keeps session values themselves (no serializer involved).
template <class S>
concept ValueStorage = ServerStorage<S> && (std::same_as<typename S::payload_type, Data> ||
                                            std::same_as<typename S::payload_type, SharedMembers>);

/// A store that keeps bytes produced by the serializer policy.
template <class S>
concept ByteStorage = ServerStorage<S> && std::same_as<typename S::payload_type, std::string>;

// ---------------------------------------------------------------------------------------------
// Storage (client side): the session data travels in the cookie itself (Django's signed_cookies;
// our encrypted cookies). The cookie value plays the part of the session key.
//
//   S::client_side                        a static constexpr bool, true
//   s.encode(data, settings, now) -> std::string   the cookie value; CookieTooLarge when it
//                                          cannot fit a cookie
//   s.decode(value, settings, now) -> ClientRecord   throws a sessions::Error (BadSignature,
//                                          SignatureExpired, DecodeError...) when the value is
//                                          not a valid, live session
//   s.accepts(value) -> bool               a cheap syntactic check before decode
// Optional:
//   s.decode_shared(value, settings, now) -> ClientRecord   as decode, but free to hand the data
//                                          over shared (ClientRecord::shared) rather than copied
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept client_side_flag = requires {
  { S::client_side } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::client_side);
};

template <class S>
concept client_encode = requires(S& s, const Data& d, const Settings& settings, TimePoint t) {
  { s.encode(d, settings, t) } -> std::same_as<std::string>;
};

template <class S>
concept client_decode = requires(S& s, std::string_view value, const Settings& settings, TimePoint t) {
  { s.decode(value, settings, t) } -> std::same_as<ClientRecord>;
};

template <class S>
concept client_decode_shared = requires(S& s, std::string_view value, const Settings& settings, TimePoint t) {
  { s.decode_shared(value, settings, t) } -> std::same_as<ClientRecord>;
};

template <class S>
concept client_accepts = requires(const S& s, std::string_view value) {
  { s.accepts(value) } -> std::same_as<bool>;
};

}  // namespace requirement

template <class S>
concept ClientStorage = requirement::client_side_flag<S> && requirement::client_encode<S> &&
                        requirement::client_decode<S> && requirement::client_accepts<S>;

// ---------------------------------------------------------------------------------------------
// Serializer: session data to bytes and back.
//
//   s.dumps(data)   -> std::string   throws EncodeError if the data cannot be represented
//   s.loads(bytes)  -> Data          throws DecodeError (or BadSignature for signed formats);
//                                    the result must be a JSON object
// Layered serializers (signing, encryption) wrap another serializer.
//
// Or, keyed (KeyedSerializer): the bytes belong to one session and say so, e.g. an encryption
// that authenticates the session key, so that a value copied under another key does not load.
//   s.dumps(data, session_key)  -> std::string
//   s.loads(bytes, session_key) -> Data     throws a sessions::Error for bytes of another key
// The server flow calls the keyed form whenever a serializer has it; the session key is the one
// the client holds (before a store such as HashedKeys hashes it).
//
// Optional: s.needs_rewrite(bytes) -> bool   bytes that loaded but should be written again by the
//           next save even if the data is unchanged (sealed under a fallback key).
// Optional: S::binary, a static constexpr bool: the bytes are not text (NUL and any byte may
//           occur), so a store that keeps text (TextStorage: the SQL stores) refuses them.
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept serializer_dumps = requires(const S& s, const Data& d) {
  { s.dumps(d) } -> std::convertible_to<std::string>;
};

template <class S>
concept serializer_loads = requires(const S& s, std::string_view bytes) {
  { s.loads(bytes) } -> std::same_as<Data>;
};

template <class S>
concept serializer_keyed_dumps = requires(const S& s, const Data& d, std::string_view session_key) {
  { s.dumps(d, session_key) } -> std::convertible_to<std::string>;
};

template <class S>
concept serializer_keyed_loads = requires(const S& s, std::string_view bytes, std::string_view session_key) {
  { s.loads(bytes, session_key) } -> std::same_as<Data>;
};

template <class S>
concept serializer_needs_rewrite = requires(const S& s, std::string_view bytes) {
  { s.needs_rewrite(bytes) } -> std::same_as<bool>;
};

}  // namespace requirement

/// A serializer whose bytes are bound to the session key (see above).
template <class S>
concept KeyedSerializer = requirement::serializer_keyed_dumps<S> && requirement::serializer_keyed_loads<S>;

/// A serializer whose bytes may hold any byte (CBOR, MessagePack, encryption).
template <class S>
concept BinarySerializer = requires {
  { S::binary } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::binary);
};

/// A store whose payload column is text (Django's `session_data text`): no NUL byte, valid UTF-8.
/// It declares `static constexpr bool text_payload = true;`.
template <class S>
concept TextStorage = requires {
  { S::text_payload } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::text_payload);
};

/// Optional: the serializer promises `dumps(loads(b)) == b` for bytes dumps() wrote, so the
/// stored bytes themselves can be fingerprinted to notice changes (no second serialization).
template <class S>
concept CanonicalSerializer = requires {
  { S::canonical } -> std::convertible_to<bool>;
  requires static_cast<bool>(S::canonical);
};

template <class S>
concept Serializer = (requirement::serializer_dumps<S> && requirement::serializer_loads<S>) || KeyedSerializer<S>;

// ---------------------------------------------------------------------------------------------
// Expiry: how long a session lives, whether its cookie dies with the browser, and whether a
// request that changes nothing must still push the expiry forward.
//
//   e.expiry_age(data, settings, modification) -> std::chrono::seconds
//        seconds the session lives counted from `modification` (Django's get_expiry_age)
//   e.expire_at_browser_close(data, settings) -> bool   cookie without Max-Age/Expires
//   e.refresh_on_access(settings) -> bool   a request that only reads must refresh the expiry
//   e.on_create(data, now)   stamps what the policy needs at creation (e.g. the creation time)
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class E>
concept expiry_age = requires(const E& e, const Data& d, const Settings& s, TimePoint t) {
  { e.expiry_age(d, s, t) } -> std::same_as<std::chrono::seconds>;
};

template <class E>
concept expiry_browser_close = requires(const E& e, const Data& d, const Settings& s) {
  { e.expire_at_browser_close(d, s) } -> std::same_as<bool>;
};

template <class E>
concept expiry_refresh_on_access = requires(const E& e, const Settings& s) {
  { e.refresh_on_access(s) } -> std::same_as<bool>;
};

template <class E>
concept expiry_on_create = requires(const E& e, Data& d, TimePoint t) { e.on_create(d, t); };

}  // namespace requirement

template <class E>
concept ExpiryPolicy = requirement::expiry_age<E> && requirement::expiry_browser_close<E> &&
                       requirement::expiry_refresh_on_access<E> && requirement::expiry_on_create<E>;

/// Optional: the policy states the end as an instant (get_expiry_date() otherwise computes
/// modification + expiry_age).
template <class E>
concept ExpiryDatePolicy = requires(const E& e, const Data& d, const Settings& s, TimePoint t) {
  { e.expiry_date(d, s, t) } -> std::same_as<TimePoint>;
};

/// Optional: the policy names every key of the data its hooks read or write (`static constexpr`
/// array of std::string_view `data_keys`) and states that it is the class making that promise
/// (`using data_keys_policy = <the class itself>;`, so a class derived from it, which may
/// override a hook, does not inherit the promise). Its hooks are then given an object holding
/// only those keys, so a store that keeps the top-level members apart (MemoryValueStore) need
/// not build the whole data for them on every request. A policy without it gets the whole data.
template <class E>
concept ExpiryDataKeys = std::same_as<typename E::data_keys_policy, E> && requires {
  E::data_keys.size();
  { *std::begin(E::data_keys) } -> std::convertible_to<std::string_view>;
};

// ---------------------------------------------------------------------------------------------
// The contract as the compiler states it. Session instantiates PolicyCheck once; each requirement
// is asserted on its own, so the first error names exactly what a user-written policy lacks.
// Every message below is also listed in docs/writing-policies.md ("The contract, as the compiler
// states it"), which tools/policy_contract.py regenerates from this file and CTest checks
// (policy_contract). Keep each message one string literal on one line: the tool reads them.
// ---------------------------------------------------------------------------------------------
namespace detail {

template <class S, bool Client = ClientStorage<S>>
struct StorageCheck {
  static_assert(requirement::storage_payload_type<S>, "storage policy lacks: typename payload_type");
  static_assert(requirement::storage_load<S>, "storage policy lacks: load(std::string_view key) -> std::optional<sessions::Record<payload_type>>");
  static_assert(requirement::storage_create<S>, "storage policy lacks: create(std::string_view key, const payload_type&, sessions::TimePoint expires_at) -> bool");
  static_assert(requirement::storage_update<S>, "storage policy lacks: update(std::string_view key, const payload_type&, sessions::TimePoint expires_at) -> bool");
  static_assert(requirement::storage_touch<S>, "storage policy lacks: touch(std::string_view key, sessions::TimePoint expires_at) -> bool");
  static_assert(requirement::storage_remove<S>, "storage policy lacks: remove(std::string_view key)");
  static_assert(requirement::storage_exists<S>, "storage policy lacks: exists(std::string_view key) -> bool");
  static_assert(requirement::storage_clear_expired<S>, "storage policy lacks: clear_expired() -> std::size_t");
  static constexpr bool ok = true;
};

// A client-side store (ClientStorage) is checked by the concept itself.
template <class S>
struct StorageCheck<S, true> {
  static constexpr bool ok = true;
};

template <class S>
struct SerializerCheck {
  static_assert(requirement::serializer_dumps<S> || requirement::serializer_keyed_dumps<S>, "serializer policy lacks: dumps(const sessions::Data&) -> std::string");
  static_assert(requirement::serializer_loads<S> || requirement::serializer_keyed_loads<S>, "serializer policy lacks: loads(std::string_view) -> sessions::Data");
  static constexpr bool ok = true;
};

// Bytes that may hold NUL or invalid UTF-8 never reach a text column: PostgreSQL would refuse
// some of them at run time (only some: the failure would depend on the data) and SQLite would
// keep text no other reader of Django's table can read. Base64Serializer makes any bytes text.
template <class S, class Ser>
struct PayloadCheck {
  static_assert(!(TextStorage<S> && BinarySerializer<Ser>), "a binary serializer cannot write to a store that keeps text (SQL): wrap it in sessions::Base64Serializer<...>");
  static constexpr bool ok = true;
};

template <class E>
struct ExpiryCheck {
  static_assert(requirement::expiry_age<E>, "expiry policy lacks: expiry_age(const sessions::Data&, const sessions::Settings&, sessions::TimePoint) -> std::chrono::seconds");
  static_assert(requirement::expiry_browser_close<E>, "expiry policy lacks: expire_at_browser_close(const sessions::Data&, const sessions::Settings&) -> bool");
  static_assert(requirement::expiry_refresh_on_access<E>, "expiry policy lacks: refresh_on_access(const sessions::Settings&) -> bool");
  static_assert(requirement::expiry_on_create<E>, "expiry policy lacks: on_create(sessions::Data&, sessions::TimePoint)");
  static constexpr bool ok = true;
};

/// True once every policy passed its checks (a failing check stops compilation with its message).
template <class S, class Ser, class E>
inline constexpr bool policies_checked =
    StorageCheck<S>::ok && SerializerCheck<Ser>::ok && PayloadCheck<S, Ser>::ok && ExpiryCheck<E>::ok;

}  // namespace detail

}  // namespace sessions
// ---- end sessions/concepts.hpp ----
// ---- begin sessions/session_key.hpp ----
// Session keys: 32 characters of [a-z0-9] (Django's format, lower case because some file systems
// ignore case), drawn from the CSPRNG without modulo bias, and the validation every key from a
// client passes before a store sees it.

namespace sessions {

inline constexpr std::string_view kSessionKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789";
inline constexpr std::size_t kSessionKeyLength = 32;
/// Django's lower bound for a usable key.
inline constexpr std::size_t kMinSessionKeyLength = 8;
/// Django's db column is varchar(40); nothing longer can name a stored session.
inline constexpr std::size_t kMaxSessionKeyLength = 40;

/// True when `key` can name a server-side session: Django's rule (at least 8 characters) plus our
/// alphabet [a-z0-9] and the 40-character bound of Django's table. Anything else never reaches a
/// file path, an SQL statement or a cache key.
[[nodiscard]] constexpr bool is_valid_session_key(std::string_view key) noexcept {
  if (key.size() < kMinSessionKeyLength || key.size() > kMaxSessionKeyLength) return false;
  for (const char c : key) {
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (!lower && !digit) return false;
  }
  return true;
}

/// A new random session key. Rejection sampling: a byte is used only if it is below 252 (the
/// largest multiple of 36 that fits a byte), so every character is equally likely.
[[nodiscard]] inline std::string generate_session_key(const RandomSource& random = {}) {
  // Each byte's character (b % 36), or 0 for the four bytes rejected: one table lookup per byte.
  static constexpr auto kCharOf = [] {
    constexpr unsigned kAlphabet = static_cast<unsigned>(kSessionKeyChars.size());
    constexpr unsigned kLimit = 256 - (256 % kAlphabet);  // 252
    std::array<char, 256> table{};
    for (unsigned b = 0; b < kLimit; ++b) table[b] = kSessionKeyChars[b % kAlphabet];
    return table;
  }();
  // Built in a local array and made a string once (a push_back per character cost a third of a
  // new session's instructions).
  std::array<char, kSessionKeyLength> key{};
  std::size_t length = 0;
  // 48 bytes give 32 usable ones with overwhelming probability (each byte is rejected with
  // probability 4/256); the loop draws more in the rare case they do not.
  std::array<unsigned char, 48> buffer{};
  while (length < kSessionKeyLength) {
    random.fill(buffer);
    for (const unsigned char b : buffer) {
      const char c = kCharOf[b];
      if (c == 0) continue;
      key[length++] = c;
      if (length == kSessionKeyLength) break;
    }
  }
  return std::string(key.data(), key.size());
}

}  // namespace sessions
// ---- end sessions/session_key.hpp ----

// ---- begin sessions/cookie/cookie.hpp ----
// The cookie codec in one include: reading a request's Cookie header, HTTP dates, and writing
// Set-Cookie values the way Django does.

// ---- begin sessions/cookie/http_date.hpp ----
// HTTP dates in the one form RFC 9110 §5.6.7 lets a sender write, IMF-fixdate:
// `Sun, 06 Nov 1994 08:49:37 GMT`. This is what a cookie's Expires attribute carries and what
// Django's http_date() writes. Written by hand with the C++20 calendar types: libstdc++ 12 has no
// <format>, and strftime would depend on the C locale and on time_t's range.

namespace sessions::cookie {

namespace detail {

// English names whatever the locale, as the grammar requires. Index 0 is Sunday, as in
// std::chrono::weekday::c_encoding().
inline constexpr std::array<std::string_view, 7> kWeekdayNames{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
inline constexpr std::array<std::string_view, 12> kMonthNames{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The instants IMF-fixdate can spell: its year has exactly four digits.
inline constexpr std::chrono::sys_days kFirstHttpDay{std::chrono::year{0} / std::chrono::January / 1};
inline constexpr std::chrono::sys_days kLastHttpDay{std::chrono::year{9999} / std::chrono::December / 31};

inline void append_digits(std::string& out, unsigned value, std::size_t width) {
  std::array<char, 4> digits{};
  for (std::size_t i = width; i-- > 0;) {
    digits[i] = static_cast<char>('0' + value % 10U);
    value /= 10U;
  }
  out.append(digits.data(), width);
}

// The number in `text` if it is exactly `text.size()` ASCII digits.
[[nodiscard]] constexpr std::optional<unsigned> parse_digits(std::string_view text) noexcept {
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10U + static_cast<unsigned>(c - '0');
  }
  return value;
}

template <std::size_t N>
[[nodiscard]] constexpr std::optional<unsigned> index_of(const std::array<std::string_view, N>& names,
                                                         std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<unsigned>(i);
  }
  return std::nullopt;
}

}  // namespace detail

namespace detail {

// `secs` (within years 0000-9999) as IMF-fixdate.
[[nodiscard]] inline std::array<char, 29> format_http_date(std::chrono::sys_seconds secs) {
  using namespace std::chrono;
  const sys_days day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> time{secs - day};
  std::string out;
  out.reserve(29);
  out += detail::kWeekdayNames[weekday{day}.c_encoding()];
  out += ", ";
  detail::append_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out += ' ';
  out += detail::kMonthNames[static_cast<unsigned>(ymd.month()) - 1U];
  out += ' ';
  detail::append_digits(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  out += ' ';
  detail::append_digits(out, static_cast<unsigned>(time.hours().count()), 2);
  out += ':';
  detail::append_digits(out, static_cast<unsigned>(time.minutes().count()), 2);
  out += ':';
  detail::append_digits(out, static_cast<unsigned>(time.seconds().count()), 2);
  out += " GMT";
  std::array<char, 29> text{};
  out.copy(text.data(), text.size());
  return text;
}

}  // namespace detail

/// Appends `t` as IMF-fixdate (see http_date()) to `out`. Every response of the same second
/// carries the same Expires date, so each thread keeps the last one it wrote: the calendar
/// arithmetic and a temporary string cost about 4% of a request through the middleware.
inline void append_http_date(std::string& out, TimePoint t) {
  using namespace std::chrono;
  // Clamp in sys_seconds, which every TimePoint converts to without overflow.
  sys_seconds secs = floor<seconds>(t);
  const sys_seconds first{detail::kFirstHttpDay};
  const sys_seconds last = sys_seconds{detail::kLastHttpDay} + hours{23} + minutes{59} + seconds{59};
  if (secs < first) secs = first;
  if (secs > last) secs = last;
  struct Last {
    sys_seconds secs;
    std::array<char, 29> text;
    bool valid = false;
  };
  thread_local Last cached{};
  if (!cached.valid || cached.secs != secs) {
    cached.text = detail::format_http_date(secs);
    cached.secs = secs;
    cached.valid = true;
  }
  out.append(cached.text.data(), cached.text.size());
}

/// `t` as IMF-fixdate, e.g. `Thu, 01 Jan 1970 00:00:00 GMT`. Sub-second parts are floored away
/// (Django's int(time.time()) semantics). An instant outside years 0000-9999, which the format
/// cannot spell, is clamped to the nearest one it can (only reachable with a wide-range clock such
/// as libc++'s microsecond system_clock).
[[nodiscard]] inline std::string http_date(TimePoint t) {
  std::string out;
  out.reserve(29);
  append_http_date(out, t);
  return out;
}

/// The instant an IMF-fixdate names, or nothing if `text` is not one exactly: the fixed 29-byte
/// layout, English names, a real calendar date whose weekday is the one written, hours 00-23,
/// minutes and seconds 00-59 (system_clock has no leap seconds), and an instant TimePoint can hold.
/// The obsolete RFC 850 and asctime forms are not accepted: nothing in this library writes them.
[[nodiscard]] inline std::optional<TimePoint> parse_http_date(std::string_view text) {
  using namespace std::chrono;
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  //  0123456789012345678901234567 8
  if (text.size() != 29) return std::nullopt;
  if (text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' ||
      text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto wday = detail::index_of(detail::kWeekdayNames, text.substr(0, 3));
  const auto mday = detail::parse_digits(text.substr(5, 2));
  const auto mon = detail::index_of(detail::kMonthNames, text.substr(8, 3));
  const auto yr = detail::parse_digits(text.substr(12, 4));
  const auto hr = detail::parse_digits(text.substr(17, 2));
  const auto mi = detail::parse_digits(text.substr(20, 2));
  const auto se = detail::parse_digits(text.substr(23, 2));
  if (!wday || !mday || !mon || !yr || !hr || !mi || !se) return std::nullopt;
  if (*hr > 23 || *mi > 59 || *se > 59) return std::nullopt;

  const year_month_day ymd{year{static_cast<int>(*yr)}, month{*mon + 1U}, day{*mday}};
  if (!ymd.ok()) return std::nullopt;  // 31 Feb, 29 Feb 2023, day 00, ...
  const sys_days date{ymd};
  if (weekday{date}.c_encoding() != *wday) return std::nullopt;

  const sys_seconds secs = date + hours{*hr} + minutes{*mi} + seconds{*se};
  // TimePoint may be narrower than years 0000-9999 (libstdc++: nanoseconds, years 1677-2262);
  // converting an instant outside it would overflow.
  // ceil/floor keep the bounds themselves inside TimePoint's range.
  if (secs < ceil<seconds>(TimePoint::min()) || secs > floor<seconds>(TimePoint::max())) return std::nullopt;
  return time_point_cast<TimePoint::duration>(secs);
}

}  // namespace sessions::cookie
// ---- end sessions/cookie/http_date.hpp ----
// ---- begin sessions/cookie/set_cookie.hpp ----
// Writing a `Set-Cookie` header value, byte for byte as Django writes it through Python's
// http.cookies: `name=value` then the attributes sorted by Python's key (domain, expires,
// httponly, max-age, path, samesite, secure), spelled `Domain`, `expires`, `HttpOnly`, `Max-Age`,
// `Path`, `SameSite`, `Secure`, with `Partitioned` (not in Django) last. Matching Django exactly
// lets a C++ service and a Django one share a session cookie, and lets tests compare headers as
// strings.
//
// Everything written is checked first: a name, value, Domain or Path that could end the header
// early (CR/LF), add an attribute (`;`) or be mangled by a browser is refused with CookieError,
// as is a cookie a browser would silently drop (a broken prefix rule, SameSite=None without
// Secure, more than 4096 bytes). Failing loudly on the server beats a session that never sticks.

namespace sessions::cookie {

/// The most a browser keeps of one cookie; a larger Set-Cookie value is refused (CookieTooLarge).
/// Counted over the whole header value (name, value and attributes), which is stricter than
/// RFC 6265bis's name+value limit and so safe under either reading.
inline constexpr std::size_t kMaxSetCookieBytes = 4096;

/// The longest lifetime browsers honour (RFC 6265bis: 400 days); Max-Age and Expires are capped
/// to it so that what we write is what the browser does.
inline constexpr std::chrono::seconds kMaxCookieLifetime{400LL * 24 * 60 * 60};  // 34'560'000

/// One cookie to set. An empty `path` or an engaged but empty `domain` writes no attribute, as
/// Python's Morsel skips empty attributes.
struct SetCookie {
  std::string name;
  std::string value;
  std::optional<std::chrono::seconds> max_age;  // Max-Age
  std::optional<TimePoint> expires;             // Expires
  std::optional<std::string> domain;
  std::string path = "/";
  bool secure = false;
  bool httponly = false;
  sessions::SameSite samesite = sessions::SameSite::omit;
  bool partitioned = false;
};

namespace detail {

[[nodiscard]] constexpr bool is_ctl(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }

// RFC 2616 token, which RFC 6265 uses for cookie names: visible ASCII except the separators.
[[nodiscard]] constexpr bool is_token_char_slow(unsigned char c) noexcept {
  if (is_ctl(c) || c >= 0x80 || c == ' ') return false;
  return std::string_view{"()<>@,;:\\\"/[]?={}"}.find(static_cast<char>(c)) == std::string_view::npos;
}

// RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, i.e. visible ASCII except
// DQUOTE, comma, semicolon and backslash.
[[nodiscard]] constexpr bool is_cookie_octet_slow(unsigned char c) noexcept {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

// The two checks above as one table (every response checks its cookie's name and value byte by
// byte): bit 0 token, bit 1 cookie-octet.
inline constexpr auto kCookieCharClass = [] {
  struct Table {
    unsigned char bits[256];
  } t{};
  for (unsigned c = 0; c < 256; ++c) {
    const auto b = static_cast<unsigned char>(c);
    t.bits[c] = static_cast<unsigned char>((is_token_char_slow(b) ? 1U : 0U) | (is_cookie_octet_slow(b) ? 2U : 0U));
  }
  return t;
}();

[[nodiscard]] constexpr bool is_token_char(unsigned char c) noexcept { return (kCookieCharClass.bits[c] & 1U) != 0; }
[[nodiscard]] constexpr bool is_cookie_octet(unsigned char c) noexcept { return (kCookieCharClass.bits[c] & 2U) != 0; }

// Path: RFC 6265's av-octet (any CHAR but CTLs and `;`), ASCII only.
[[nodiscard]] constexpr bool is_path_char(unsigned char c) noexcept { return !is_ctl(c) && c < 0x80 && c != ';'; }

// Domain: a host name (LDH labels and dots); anything else is not a domain a browser accepts.
[[nodiscard]] constexpr bool is_domain_char(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// Browsers match the cookie prefixes case-insensitively (RFC 6265bis), so `__secure-x` gets the
// same rules as `__Secure-x`; checking the same way keeps us from writing what they would drop.
[[nodiscard]] constexpr bool has_prefix_ci(std::string_view name, std::string_view prefix) noexcept {
  if (name.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char p = prefix[i];
    if (p >= 'A' && p <= 'Z') p = static_cast<char>(p - 'A' + 'a');
    if (c != p) return false;
  }
  return true;
}

[[nodiscard]] constexpr bool has_secure_prefix(std::string_view name) noexcept {
  return has_prefix_ci(name, "__Secure-");
}
[[nodiscard]] constexpr bool has_host_prefix(std::string_view name) noexcept { return has_prefix_ci(name, "__Host-"); }

// `text` for an error message: printable ASCII as is, every other byte as \xNN, at most 64 bytes.
// A refused name may hold CR/LF; putting it raw into a message would move the injection into
// whatever log the message lands in.
[[nodiscard]] inline std::string printable(std::string_view text) {
  constexpr std::size_t kShown = 64;
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4U];
      out += kHex[c & 0x0FU];
    }
  }
  if (text.size() > kShown) out += "...";
  return out;
}

[[nodiscard]] inline std::string byte_at(std::string_view text, std::size_t i) {
  return "byte " + printable(text.substr(i, 1)) + " at offset " + std::to_string(i);
}

[[noreturn]] inline void refuse(const std::string& what) { throw CookieError("cannot set cookie: " + what); }

inline void check_name(std::string_view name) {
  if (name.empty()) refuse("the cookie name is empty");
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_token_char(static_cast<unsigned char>(name[i]))) {
      refuse("cookie name \"" + printable(name) + "\" has " + byte_at(name, i) +
             ", which is not allowed in an RFC 6265 token (no control characters, spaces, "
             "separators ()<>@,;:\\\"/[]?={} or non-ASCII bytes)");
    }
  }
}

inline void check_value(std::string_view name, std::string_view value) {
  // Django deletes a cookie by setting it to `""` (Python quotes the empty string); keep that.
  if (value == "\"\"") return;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!is_cookie_octet(static_cast<unsigned char>(value[i]))) {
      // The value itself is not quoted: it may be a session key.
      refuse("the value of cookie \"" + printable(name) + "\" has " + byte_at(value, i) +
             ", which is not a cookie-octet (allowed: visible ASCII except '\"', ',', ';' and '\\')");
    }
  }
}

inline void check_domain(std::string_view name, std::string_view domain) {
  for (std::size_t i = 0; i < domain.size(); ++i) {
    if (!is_domain_char(static_cast<unsigned char>(domain[i]))) {
      refuse("the Domain \"" + printable(domain) + "\" of cookie \"" + printable(name) + "\" has " +
             byte_at(domain, i) + "; a Domain may hold only A-Z, a-z, 0-9, '.' and '-'");
    }
  }
}

inline void check_path(std::string_view name, std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!is_path_char(static_cast<unsigned char>(path[i]))) {
      refuse("the Path \"" + printable(path) + "\" of cookie \"" + printable(name) + "\" has " + byte_at(path, i) +
             "; a Path may not hold control characters, ';' or non-ASCII bytes");
    }
  }
}

[[nodiscard]] constexpr std::string_view samesite_text(SameSite s) noexcept {
  switch (s) {
    case SameSite::lax:
      return "Lax";
    case SameSite::strict:
      return "Strict";
    case SameSite::none:
      return "None";
    case SameSite::omit:
      return "";
  }
  return "";
}

// now + d, saturating at TimePoint::max() so that a far-future clock cannot overflow (UB). `d` is
// always within [0, kMaxCookieLifetime] here, so `max() - d` itself cannot overflow.
[[nodiscard]] inline TimePoint saturating_add(TimePoint now, std::chrono::seconds d) noexcept {
  if (now > TimePoint::max() - d) return TimePoint::max();
  return now + d;
}

}  // namespace detail

/// The value of a Set-Cookie header for `c` (without `Set-Cookie: `), e.g.
/// `sid=abc; Domain=.example.local; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly;
/// Max-Age=1209600; Path=/app/; SameSite=Strict; Secure`.
///
/// `now` is used for the 400-day cap and, as Django's set_cookie does ("IE requires expires"), to
/// write `expires=now+Max-Age` when Max-Age is given without Expires. Max-Age is written within
/// [0, 34560000] (a negative one as 0, an expired cookie) and Expires at most now + 400 days.
///
/// Throws CookieError, naming the offending part, for: an empty or non-token name; a value with a
/// byte outside cookie-octet (the exact value `""` is allowed); a Domain outside [A-Za-z0-9.-]; a
/// Path with a control character, `;` or a non-ASCII byte; SameSite=None or Partitioned without
/// Secure; a `__Secure-` name without Secure; a `__Host-` name without Secure, with a Domain, or
/// with a Path other than `/` (prefixes matched case-insensitively, as browsers do). Throws
/// CookieTooLarge if the result would exceed kMaxSetCookieBytes.
[[nodiscard]] inline std::string build_set_cookie(const SetCookie& c, TimePoint now) {
  const std::string_view domain = c.domain ? std::string_view{*c.domain} : std::string_view{};

  detail::check_name(c.name);
  detail::check_value(c.name, c.value);
  detail::check_domain(c.name, domain);
  detail::check_path(c.name, c.path);

  // Rules under which a browser drops the cookie without a word; refusing here surfaces the
  // misconfiguration instead of a login that silently never sticks.
  // The name as messages show it, built only for a refusal (every response builds a cookie).
  const auto shown = [&c] { return "\"" + detail::printable(c.name) + "\""; };
  if (detail::has_secure_prefix(c.name) && !c.secure) {
    detail::refuse("cookie " + shown() + " has the __Secure- prefix, so it must be Secure");
  }
  if (detail::has_host_prefix(c.name)) {
    if (!c.secure) detail::refuse("cookie " + shown() + " has the __Host- prefix, so it must be Secure");
    if (!domain.empty()) detail::refuse("cookie " + shown() + " has the __Host- prefix, so it may not have a Domain");
    if (c.path != "/") detail::refuse("cookie " + shown() + " has the __Host- prefix, so its Path must be \"/\"");
  }
  if (c.samesite == SameSite::none && !c.secure) {
    detail::refuse("cookie " + shown() + " has SameSite=None, which browsers accept only with Secure");
  }
  if (c.partitioned && !c.secure) {
    detail::refuse("cookie " + shown() + " is Partitioned, which browsers accept only with Secure");
  }

  std::optional<std::chrono::seconds> max_age;
  if (c.max_age) max_age = std::clamp(*c.max_age, std::chrono::seconds{0}, kMaxCookieLifetime);
  std::optional<TimePoint> expires;
  if (c.expires) {
    expires = std::min(*c.expires, detail::saturating_add(now, kMaxCookieLifetime));
  } else if (max_age) {
    expires = detail::saturating_add(now, *max_age);
  }

  std::string out;
  out.reserve(c.name.size() + c.value.size() + domain.size() + c.path.size() + 128);
  out += c.name;
  out += '=';
  out += c.value;
  if (!domain.empty()) {
    out += "; Domain=";
    out += domain;
  }
  if (expires) {
    out += "; expires=";
    append_http_date(out, *expires);
  }
  if (c.httponly) out += "; HttpOnly";
  if (max_age) {
    out += "; Max-Age=";
    out += std::to_string(max_age->count());
  }
  if (!c.path.empty()) {
    out += "; Path=";
    out += c.path;
  }
  if (c.samesite != SameSite::omit) {
    out += "; SameSite=";
    out += detail::samesite_text(c.samesite);
  }
  if (c.secure) out += "; Secure";
  if (c.partitioned) out += "; Partitioned";

  if (out.size() > kMaxSetCookieBytes) {
    throw CookieTooLarge("cannot set cookie " + shown() + ": its Set-Cookie value is " + std::to_string(out.size()) +
                         " bytes, over the " + std::to_string(kMaxSetCookieBytes) +
                         "-byte limit browsers keep for one cookie");
  }
  return out;
}

/// The Set-Cookie value that deletes cookie `name`, exactly as Django's delete_cookie writes it:
/// value `""`, `expires` at the epoch, `Max-Age=0`, the given Path, Domain and SameSite, and Secure
/// when the name has a `__Secure-`/`__Host-` prefix or SameSite is None (Django 4+), since a
/// browser would ignore the deletion otherwise. Path and Domain must match the ones the cookie was
/// set with, or the browser deletes nothing. Throws CookieError as build_set_cookie does.
[[nodiscard]] inline std::string delete_cookie_value(std::string_view name, std::string_view path,
                                                     const std::optional<std::string>& domain, SameSite samesite) {
  SetCookie c;
  c.name = std::string{name};
  c.value = "\"\"";
  c.max_age = std::chrono::seconds{0};
  c.expires = TimePoint{};  // Thu, 01 Jan 1970 00:00:00 GMT
  c.domain = domain;
  c.path = std::string{path};
  c.secure = detail::has_secure_prefix(name) || detail::has_host_prefix(name) || samesite == SameSite::none;
  c.samesite = samesite;
  // Every value written is fixed, so "now" only feeds the 400-day cap, which the epoch never
  // reaches; the epoch keeps the result independent of the clock.
  return build_set_cookie(c, TimePoint{});
}

}  // namespace sessions::cookie
// ---- end sessions/cookie/set_cookie.hpp ----
// ---- end sessions/cookie/cookie.hpp ----

// ---- begin sessions/signing/signing.hpp ----
// Everything in signing/: Django-compatible signing (django.core.signing) and signed cookies.

// ---- begin sessions/signing/base62.hpp ----
// Base62 as Django writes signature timestamps: digits `0-9A-Za-z` (in that order), most
// significant first, "0" for zero, a leading `-` for negatives.
//
// Decoding accepts what Django's decoder accepts: leading zeros, "-" alone (zero), "-0". It
// rejects the empty string (Django: IndexError) and any character outside the alphabet after the
// optional sign (Django: ValueError). Python integers are unbounded; here a value outside int64
// is MalformedSignedData from b62_decode(). TimestampSigner does not need the exact value of such
// a timestamp, only its distance from now, and reads it through detail::b62_decode_approx().

#include <limits>

// ---- begin sessions/signing/errors.hpp ----
// The signing layer's own error category. sessions::BadSignature (errors.hpp) says "this was not
// signed with our key"; MalformedSignedData says "this WAS signed with our key (or a fallback), but
// what it carries cannot be decoded" (no timestamp, bad base62/base64, broken zlib stream, invalid
// JSON). Django raises assorted ValueError/IndexError/binascii.Error/zlib.error/JSONDecodeError
// for these; callers here get one typed error instead. Since only a holder of the key can produce
// such a value, it points at a bug or a leaked key rather than at an ordinary client.

namespace sessions::signing {

/// Content that cannot be decoded after (or, for the stand-alone codecs, without) a signature
/// check: bad base64/base62, missing timestamp, corrupt compression, invalid JSON.
class MalformedSignedData : public sessions::Error {
 public:
  using sessions::Error::Error;
};

}  // namespace sessions::signing
// ---- end sessions/signing/errors.hpp ----

namespace sessions::signing {

namespace detail {

inline constexpr char b62_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
inline constexpr unsigned char b62_invalid = 0xFF;

inline constexpr std::array<unsigned char, 256> b62_decode_table = [] {
  std::array<unsigned char, 256> t{};
  for (auto& v : t) v = b62_invalid;
  for (unsigned char i = 0; i < 62; ++i) t[static_cast<unsigned char>(b62_alphabet[i])] = i;
  return t;
}();

struct B62Parsed {
  bool negative = false;
  std::string_view digits;
};

// Sign and digit validation shared by both decoders.
[[nodiscard]] inline B62Parsed b62_parse(std::string_view text) {
  if (text.empty()) throw MalformedSignedData("invalid base62: empty string");
  B62Parsed p;
  p.negative = text.front() == '-';
  p.digits = p.negative ? text.substr(1) : text;
  for (const char c : p.digits) {
    if (b62_decode_table[static_cast<unsigned char>(c)] == b62_invalid) {
      throw MalformedSignedData("invalid base62: character outside 0-9A-Za-z");
    }
  }
  return p;
}

/// The value of a base62 string as a double: exact while the magnitude fits 64 bits (then
/// rounded once, as Python's float(int) rounds), approximate beyond, +/-infinity when it exceeds
/// the double range. Throws MalformedSignedData for empty input or a bad character.
[[nodiscard]] inline double b62_decode_approx(std::string_view text) {
  const B62Parsed p = b62_parse(text);
  std::uint64_t exact = 0;
  double wide = 0;
  bool overflowed = false;
  for (const char c : p.digits) {
    const unsigned char d = b62_decode_table[static_cast<unsigned char>(c)];
    if (!overflowed) {
      if (exact <= (std::numeric_limits<std::uint64_t>::max() - d) / 62) {
        exact = exact * 62 + d;
        continue;
      }
      overflowed = true;
      wide = static_cast<double>(exact);
    }
    wide = wide * 62 + d;
  }
  const double magnitude = overflowed ? wide : static_cast<double>(exact);
  return p.negative ? -magnitude : magnitude;
}

}  // namespace detail

/// Base62 of `n` (Django's b62_encode).
[[nodiscard]] inline std::string b62_encode(std::int64_t n) {
  if (n == 0) return "0";
  // The magnitude as unsigned, so that INT64_MIN has one too.
  std::uint64_t m = n < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  char buf[16];
  std::size_t pos = sizeof buf;
  while (m > 0) {
    buf[--pos] = detail::b62_alphabet[m % 62];
    m /= 62;
  }
  if (n < 0) buf[--pos] = '-';
  return std::string(buf + pos, sizeof buf - pos);
}

/// The integer a base62 string stands for (Django's b62_decode). Throws MalformedSignedData for
/// an empty string, a character outside the alphabet, or a value outside int64.
[[nodiscard]] inline std::int64_t b62_decode(std::string_view text) {
  const detail::B62Parsed p = detail::b62_parse(text);
  // Accumulate the magnitude, allowed up to 2^63 for negatives (INT64_MIN) and 2^63-1 otherwise.
  const std::uint64_t limit = p.negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  std::uint64_t m = 0;
  for (const char c : p.digits) {
    const unsigned char d = detail::b62_decode_table[static_cast<unsigned char>(c)];
    if (m > (limit - d) / 62) throw MalformedSignedData("base62 value does not fit in 64 bits");
    m = m * 62 + d;
  }
  if (!p.negative) return static_cast<std::int64_t>(m);
  // Negate in unsigned arithmetic; m == 2^63 maps to INT64_MIN without signed overflow.
  return m == 0 ? 0 : -static_cast<std::int64_t>(m - 1) - 1;
}

}  // namespace sessions::signing
// ---- end sessions/signing/base62.hpp ----
// ---- begin sessions/signing/base64.hpp ----
// Base64 as django.core.signing uses it.
//
// Encoding: the URL-safe alphabet (`-` and `_` instead of `+` and `/`), all `=` padding removed,
// so a payload is one cookie/URL-safe token.
//
// Decoding reproduces what Django actually accepts, which is more than it writes. Django pads the
// text with `=` up to a multiple of 4 of its RAW length, then runs Python's non-strict base64
// decoder. Observable rules, each mirrored below:
//   - `+`/`-` both mean 62 and `/`/`_` both mean 63;
//   - every byte outside the alphabet and `=` is skipped silently ("eyJh****IjoxfQ" decodes);
//   - `=` only counts once at least two characters of a 4-character group were seen; when the
//     group plus the `=` seen reach 4, decoding stops and everything after is ignored;
//   - a data character after a `=` that did not complete a group resets that `=` count;
//   - input ending with one leftover character is an error ("1 more than a multiple of 4"),
//     input ending with two or three is an error ("Incorrect padding").
// Those errors are MalformedSignedData here; in Django they are binascii.Error.

// ---- begin sessions/crypto/bytes.hpp ----
// Byte views shared by the crypto/ headers. Text (std::string_view) and binary buffers
// (std::vector<unsigned char>, std::array) both reach libcrypto as a span of unsigned char, so every
// primitive takes `ByteView` and the string overloads only reinterpret, never copy.

namespace sessions::crypto {

/// Read-only bytes handed to a primitive.
using ByteView = std::span<const unsigned char>;

/// The bytes of a string (UTF-8 text is hashed and MACed as its encoded bytes, as Python does).
[[nodiscard]] inline ByteView as_bytes(std::string_view text) noexcept {
  // char and unsigned char may alias each other, so this view is well-defined.
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/bytes.hpp ----

namespace sessions::signing {

namespace detail {

inline constexpr char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline constexpr unsigned char b64_invalid = 0xFF;

// Byte -> 6-bit value, b64_invalid for anything else (including '=' which is handled apart).
inline constexpr std::array<unsigned char, 256> b64_decode_table = [] {
  std::array<unsigned char, 256> t{};
  for (auto& v : t) v = b64_invalid;
  for (unsigned char i = 0; i < 64; ++i) t[static_cast<unsigned char>(b64url_alphabet[i])] = i;
  t[static_cast<unsigned char>('+')] = 62;
  t[static_cast<unsigned char>('/')] = 63;
  return t;
}();

}  // namespace detail

/// The length of b64_encode's output for `n` bytes.
[[nodiscard]] constexpr std::size_t b64_encoded_size(std::size_t n) noexcept {
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// Writes the URL-safe base64 of `bytes`, without padding, at `out` (b64_encoded_size(bytes.size())
/// characters; no terminator): for callers that encode into a buffer they already have.
inline void b64_encode_to(crypto::ByteView bytes, char* out) noexcept {
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *out++ = detail::b64url_alphabet[(v >> 18) & 63];
    *out++ = detail::b64url_alphabet[(v >> 12) & 63];
    *out++ = detail::b64url_alphabet[(v >> 6) & 63];
    *out++ = detail::b64url_alphabet[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest == 1) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    *out++ = detail::b64url_alphabet[(v >> 18) & 63];
    *out++ = detail::b64url_alphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    *out++ = detail::b64url_alphabet[(v >> 18) & 63];
    *out++ = detail::b64url_alphabet[(v >> 12) & 63];
    *out++ = detail::b64url_alphabet[(v >> 6) & 63];
  }
}

/// URL-safe base64 of `bytes`, without `=` padding (Django's b64_encode).
[[nodiscard]] inline std::string b64_encode(crypto::ByteView bytes) {
  std::string out(b64_encoded_size(bytes.size()), '\0');
  b64_encode_to(bytes, out.data());
  return out;
}

[[nodiscard]] inline std::string b64_encode(std::string_view bytes) { return b64_encode(crypto::as_bytes(bytes)); }

/// Decodes `text` exactly as Django's b64_decode does (see the header comment for the rules).
/// Returns the bytes; throws MalformedSignedData where Django raises binascii.Error.
[[nodiscard]] inline std::string b64_decode(std::string_view text) {
  std::string out;
  out.resize(text.size() / 4 * 3 + 3);
  // Fast path: whole groups of four alphabet characters (what Django and we write) decode to
  // three bytes each, written in place. It stops at the first group with anything else, where
  // the exact rules below take over in the same state (at a group boundary, no `=` seen).
  std::size_t i = 0;
  std::size_t n = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  for (; i + 4 <= text.size(); i += 4) {
    const unsigned a = detail::b64_decode_table[in[i]], b = detail::b64_decode_table[in[i + 1]];
    const unsigned c = detail::b64_decode_table[in[i + 2]], d = detail::b64_decode_table[in[i + 3]];
    if (((a | b | c | d) & 0xC0u) != 0) break;  // b64_invalid is 0xFF; the alphabet is below 64
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[n++] = static_cast<char>(static_cast<unsigned char>(v >> 16));
    out[n++] = static_cast<char>(static_cast<unsigned char>(v >> 8));
    out[n++] = static_cast<char>(static_cast<unsigned char>(v));
  }
  out.resize(n);
  unsigned group = 0;  // characters seen in the current 4-character group (0..3)
  unsigned pads = 0;   // '=' counted toward completing the current group
  std::uint32_t bits = 0;

  // Django appends (-len % 4) '=' to the raw text; feed them after the text.
  const std::size_t appended = (4 - text.size() % 4) % 4;
  const std::size_t total = text.size() + appended;
  for (; i < total; ++i) {
    const char c = i < text.size() ? text[i] : '=';
    if (c == '=') {
      if (group >= 2 && group + ++pads >= 4) return out;  // the group is complete: stop here
      continue;
    }
    const unsigned char v = detail::b64_decode_table[static_cast<unsigned char>(c)];
    if (v == detail::b64_invalid) continue;
    pads = 0;
    switch (group) {
      case 0:
        bits = v;
        group = 1;
        break;
      case 1:
        out += static_cast<char>(static_cast<unsigned char>((bits << 2) | (v >> 4)));
        bits = v & 0x0Fu;
        group = 2;
        break;
      case 2:
        out += static_cast<char>(static_cast<unsigned char>((bits << 4) | (v >> 2)));
        bits = v & 0x03u;
        group = 3;
        break;
      default:
        out += static_cast<char>(static_cast<unsigned char>((bits << 6) | v));
        bits = 0;
        group = 0;
        break;
    }
  }
  if (group == 1)
    throw MalformedSignedData("invalid base64: the number of data characters is 1 more than a multiple of 4");
  if (group != 0) throw MalformedSignedData("invalid base64: incorrect padding");
  return out;
}

}  // namespace sessions::signing
// ---- end sessions/signing/base64.hpp ----
// ---- begin sessions/signing/compression.hpp ----
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
// ---- end sessions/signing/compression.hpp ----
// ---- begin sessions/signing/dumps.hpp ----
// django.core.signing.dumps / loads: JSON, optionally zlib-compressed, URL-safe base64, signed
// with a TimestampSigner. The output is byte-identical to Django's for the same data, key, salt
// and time, so either side reads what the other wrote (Django's db/file/cache session_data and
// the signed_cookies backend's cookie are exactly this).
//
//   json = python_json(value)
//   if compress: z = zlib(json); use z only when it is at least 2 bytes shorter, marked by '.'
//   payload = ['.'] + b64url_nopad(bytes)
//   result  = TimestampSigner(key, salt).sign(payload)
//
// loads() errors, by category:
//   BadSignature        no separator, or the signature matches neither the key nor a fallback
//   SignatureExpired    older than max_age (a BadSignature)
//   MalformedSignedData validly signed, but the timestamp, base64, zlib stream or JSON is broken
//   LimitExceeded       the payload decompresses to more than max_decompressed_size bytes
// Nothing else escapes for malformed input of any size (CryptoError only if libcrypto fails).
//
// Salts: the default "django.core.signing" is dumps/loads' own default; an EMPTY salt means
// "django.core.signing.TimestampSigner", as in Django (see signer.hpp). Sessions use
// "django.contrib.sessions.SessionStore" (db, cache, file) and
// "django.contrib.sessions.backends.signed_cookies".

// ---- begin sessions/signing/python_json.hpp ----
// JSON exactly as Django's JSONSerializer writes and reads it, i.e. as Python's
// `json.dumps(obj, separators=(',', ':'))` (ensure_ascii, allow_nan, insertion order) and
// `json.loads`. Signatures cover these bytes, so "the same data" is not enough: a signed value is
// only interchangeable with Django if every byte matches.
//
// Writing (dump_python_json):
//   - compact: no spaces; objects keep insertion order (Data keeps it, as nlohmann::ordered_json);
//   - strings: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; other C0 controls and DEL as `\u00XX`;
//     every non-ASCII code point as `\uXXXX` with lowercase hex, non-BMP ones as a UTF-16
//     surrogate pair; `/ < > & '` stay as they are. A string that is not valid UTF-8 is an
//     EncodeError (Python strings cannot hold such bytes).
//   - floats as Python's repr(): the shortest text that reads back to the same double, plain
//     notation when 1e-4 <= |x| < 1e16 (always with a fraction: `1.0`, `-0.0`), otherwise
//     `d[.ddd]e+XX`/`e-XX` with at least two exponent digits (`1e+16`, `1e-05`, `2.5e-07`);
//     NaN and infinities as the bare tokens `NaN`, `Infinity`, `-Infinity`.
//   - integers exactly, including ones beyond 64 bits (see "Big integers").
//
// Reading (parse_python_json) accepts what Python's json.loads accepts: any top-level value,
// whitespace (space, tab, CR, LF only), `NaN`/`Infinity`/`-Infinity`, `\u` escapes in either case
// with surrogate pairs, duplicate keys (the last value wins; the key keeps its first position, as
// in a Python dict), integers of any size up to Python's 4300-digit limit. Beyond Python it
// refuses, with DecodeError:
//   - nesting deeper than max_depth (Python's own limit is its recursion limit, about 1000);
//   - a lone UTF-16 surrogate escape such as "\ud800" (Python keeps it; UTF-8 cannot hold it);
//   - by default, any byte >= 0x80. Django decodes its input as latin-1, so raw UTF-8 bytes in a
//     payload silently become mojibake there ("é" -> "Ã©"); Django itself never writes them.
//     Options: NonAsciiInput::latin1 reproduces Django's reading byte for byte,
//     NonAsciiInput::utf8 takes them as UTF-8 (for hand-written input such as a CLI's stdin).
//
// Big integers. nlohmann stores integers in 64 bits, Python's are unbounded, and Django payloads
// may carry e.g. 18446744073709551617. The reader keeps an integer literal that fits neither
// int64 nor uint64 as an nlohmann *binary* value with subtype `python_int_subtype` whose bytes
// are the literal's ASCII decimal digits (with a leading '-' when negative, no leading zeros).
// JSON text never produces binary values otherwise, so the marker is unambiguous. The writer
// prints those digits back, so such a payload round-trips exactly. Use make_python_int() /
// python_int_text() to create or read one; other serializers see an ordinary binary value.
// In-range integers are stored as nlohmann does: non-negative as number_unsigned, negative as
// number_integer.

// ---- begin sessions/signing/detail/python_json_parser.hpp ----
// The Python JSON reader behind parse_python_json() (signing/python_json.hpp): a recursive
// descent over the text that accepts what Python's json.loads accepts, with the refusals and
// options that header describes.

#include <charconv>
#include <system_error>

// ---- begin sessions/signing/python_json_options.hpp ----
// The knobs of the Python JSON reader and writer (signing/python_json.hpp) and the marker of a
// big integer: what a caller names when reading or writing Django's JSON.

namespace sessions::signing {

/// Binary subtype that marks a big integer's decimal digits ('P' for Python).
inline constexpr std::uint64_t python_int_subtype = 0x50;

/// Python's default limit on the digits of an int converted from or to text (3.11+,
/// sys.get_int_max_str_digits()). Django fails on longer literals; so does the reader by default.
inline constexpr std::size_t python_int_max_str_digits = 4300;

/// Default bound on nesting for reading and writing; deeper data is refused rather than
/// risking the stack.
inline constexpr std::size_t python_json_default_max_depth = 512;

/// What the reader does with bytes >= 0x80 (see the header comment).
enum class NonAsciiInput {
  reject,  ///< DecodeError (default): never silently differ from Django
  latin1,  ///< each byte is the code point of the same value, exactly as Django reads it
  utf8,    ///< valid UTF-8 is kept as is, invalid UTF-8 is a DecodeError
};

struct PythonJsonReadOptions {
  std::size_t max_depth = python_json_default_max_depth;
  NonAsciiInput non_ascii = NonAsciiInput::reject;
  std::size_t max_int_digits = python_int_max_str_digits;
};

}  // namespace sessions::signing
// ---- end sessions/signing/python_json_options.hpp ----
// ---- begin sessions/signing/detail/python_json_text.hpp ----
// The text pieces the Python JSON writer and reader (signing/python_json.hpp) share: UTF-8 read
// and written one code point at a time, `\uXXXX` escapes in Python's lowercase hex, and integer
// literals of any size (a big integer is kept as its digits, see python_json.hpp).

namespace sessions::signing::detail {

/// The digits of a big integer (a binary value of subtype python_int_subtype), nullopt for any
/// other value.
[[nodiscard]] inline std::optional<std::string_view> big_int_digits(const Data& value) noexcept {
  if (!value.is_binary()) return std::nullopt;
  const auto& bytes = value.get_binary();
  if (!bytes.has_subtype() || bytes.subtype() != python_int_subtype) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

[[nodiscard]] inline bool is_canonical_int_text(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Integer literal (already validated as -?(0|[1-9][0-9]*)) to Data.
[[nodiscard]] inline Data int_from_literal(std::string_view text) {
  const bool negative = text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  std::uint64_t m = 0;
  bool fits = true;
  for (const char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (m > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      fits = false;
      break;
    }
    m = m * 10 + d;
  }
  if (fits && !negative) return Data(m);
  if (fits && m <= (std::uint64_t{1} << 63)) {
    // -0 is the integer 0, as in Python.
    return Data(m == 0 ? std::int64_t{0} : -static_cast<std::int64_t>(m - 1) - 1);
  }
  // "-0..." cannot reach here: it fits. Strip nothing else: the literal is canonical already.
  return Data::binary(std::vector<std::uint8_t>(text.begin(), text.end()), python_int_subtype);
}

inline constexpr char lower_hex[] = "0123456789abcdef";

inline void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  out += lower_hex[(unit >> 12) & 0xF];
  out += lower_hex[(unit >> 8) & 0xF];
  out += lower_hex[(unit >> 4) & 0xF];
  out += lower_hex[unit & 0xF];
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or nullopt for an
// invalid sequence (overlong, surrogate, beyond U+10FFFF, truncated, stray continuation byte).
[[nodiscard]] inline std::optional<std::uint32_t> next_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return std::nullopt;
  }
  if (s.size() - i < len) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return std::nullopt;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  i += len;
  return cp;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace sessions::signing::detail
// ---- end sessions/signing/detail/python_json_text.hpp ----

namespace sessions::signing::detail {

class PythonJsonParser {
 public:
  PythonJsonParser(std::string_view text, const PythonJsonReadOptions& options) : s_(text), opt_(options) {}

  [[nodiscard]] Data parse() {
    skip_ws();
    Data result = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("extra data after the JSON value");
    return result;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw DecodeError(std::string("invalid JSON: ") + what + " at byte " + std::to_string(pos_));
  }

  [[nodiscard]] bool at_end() const noexcept { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const noexcept { return s_[pos_]; }

  void skip_ws() noexcept {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  [[nodiscard]] bool consume_literal(std::string_view word) noexcept {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  [[nodiscard]] Data value(std::size_t depth) {
    if (at_end()) fail("expecting a value");
    switch (peek()) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return Data(string());
      case 'n':
        if (consume_literal("null")) return Data(nullptr);
        break;
      case 't':
        if (consume_literal("true")) return Data(true);
        break;
      case 'f':
        if (consume_literal("false")) return Data(false);
        break;
      case 'N':
        if (consume_literal("NaN")) return Data(std::numeric_limits<double>::quiet_NaN());
        break;
      case 'I':
        if (consume_literal("Infinity")) return Data(std::numeric_limits<double>::infinity());
        break;
      case '-':
        if (consume_literal("-Infinity")) return Data(-std::numeric_limits<double>::infinity());
        return number();
      default:
        if (peek() >= '0' && peek() <= '9') return number();
        break;
    }
    fail("expecting a value");
  }

  // Objects and arrays collect their members on a stack shared by the whole parse (members_,
  // elements_) and are built at their closing bracket with exactly the room they need: growing
  // each one member by member cost two or three reallocations per small object, a quarter of
  // the time a 3 KB session took to parse.
  [[nodiscard]] Data object(std::size_t depth) {
    if (depth > opt_.max_depth) fail("nesting deeper than the limit");
    ++pos_;  // '{'
    skip_ws();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return Data::object();
    }
    const std::size_t base = members_.size();
    while (true) {
      if (at_end() || peek() != '"') fail("expecting a property name in double quotes");
      std::string key = string();
      skip_ws();
      if (at_end() || peek() != ':') fail("expecting ':' delimiter");
      ++pos_;
      skip_ws();
      Data member = value(depth);
      members_.emplace_back(std::move(key), std::move(member));
      skip_ws();
      if (at_end()) fail("expecting ',' delimiter");
      if (peek() == '}') {
        ++pos_;
        break;
      }
      if (peek() != ',') fail("expecting ',' delimiter");
      ++pos_;
      skip_ws();
    }
    Data result = Data::object();
    auto& map = result.get_ref<Data::object_t&>();
    map.reserve(members_.size() - base);
    for (std::size_t i = base; i < members_.size(); ++i) {
      // A duplicate key keeps its first position and takes the last value, as in a Python dict.
      auto [at, inserted] = map.emplace(std::move(members_[i].first), std::move(members_[i].second));
      if (!inserted) at->second = std::move(members_[i].second);
    }
    members_.resize(base);
    return result;
  }

  [[nodiscard]] Data array(std::size_t depth) {
    if (depth > opt_.max_depth) fail("nesting deeper than the limit");
    ++pos_;  // '['
    skip_ws();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return Data::array();
    }
    const std::size_t base = elements_.size();
    while (true) {
      Data element = value(depth);
      elements_.push_back(std::move(element));
      skip_ws();
      if (at_end()) fail("expecting ',' delimiter");
      if (peek() == ']') {
        ++pos_;
        break;
      }
      if (peek() != ',') fail("expecting ',' delimiter");
      ++pos_;
      skip_ws();
    }
    Data result = Data::array();
    auto& items = result.get_ref<Data::array_t&>();
    items.reserve(elements_.size() - base);
    for (std::size_t i = base; i < elements_.size(); ++i) items.push_back(std::move(elements_[i]));
    elements_.resize(base);
    return result;
  }

  [[nodiscard]] std::uint32_t hex4() {
    if (s_.size() - pos_ < 4) fail("invalid \\uXXXX escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      std::uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("invalid \\uXXXX escape");
      }
      v = (v << 4) | d;
    }
    return v;
  }

  // The characters a string copies as they are: printable ASCII but `"` and `\\`.
  [[nodiscard]] static bool is_plain(unsigned char c) noexcept {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  // The end of the run of plain characters from `from`.
  [[nodiscard]] std::size_t plain_run_end(std::size_t from) const noexcept {
    while (from < s_.size() && is_plain(static_cast<unsigned char>(s_[from]))) ++from;
    return from;
  }

  [[nodiscard]] std::string string() {
    ++pos_;  // opening quote
    // Most strings have no escape: copy them in one piece.
    std::size_t run_end = plain_run_end(pos_);
    if (run_end < s_.size() && s_[run_end] == '"') {
      std::string out(s_.substr(pos_, run_end - pos_));
      pos_ = run_end + 1;
      return out;
    }
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("invalid control character in a string");
      if (c >= 0x80) {
        non_ascii(out);
        continue;
      }
      if (c != '\\') {
        run_end = plain_run_end(pos_);
        out.append(s_.substr(pos_, run_end - pos_));
        pos_ = run_end;
        continue;
      }
      ++pos_;
      if (at_end()) fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone UTF-16 surrogate in a \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") fail("lone UTF-16 surrogate in a \\u escape");
            pos_ += 2;
            const std::uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("lone UTF-16 surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("invalid escape");
      }
    }
  }

  // A byte >= 0x80 inside a string, handled as the options say.
  void non_ascii(std::string& out) {
    switch (opt_.non_ascii) {
      case NonAsciiInput::latin1:
        append_utf8(out, static_cast<unsigned char>(s_[pos_]));
        ++pos_;
        return;
      case NonAsciiInput::utf8: {
        const std::size_t start = pos_;
        if (!next_utf8(s_, pos_)) fail("invalid UTF-8");
        out.append(s_.substr(start, pos_ - start));
        return;
      }
      case NonAsciiInput::reject:
      default:
        fail("non-ASCII byte (Django would read it as latin-1)");
    }
  }

  [[nodiscard]] static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  // Python's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?; an integer when neither the
  // fraction nor the exponent is present.
  [[nodiscard]] Data number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (at_end() || !is_digit(peek())) fail("expecting a value");
    const std::size_t int_start = pos_;
    if (peek() == '0') {
      ++pos_;
    } else {
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    const std::size_t int_end = pos_;
    bool is_float = false;
    std::size_t frac_start = pos_, frac_end = pos_;
    if (pos_ + 1 < s_.size() && peek() == '.' && is_digit(s_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      frac_start = pos_;
      while (!at_end() && is_digit(peek())) ++pos_;
      frac_end = pos_;
    }
    long long exponent = 0;
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      std::size_t p = pos_ + 1;
      bool exp_negative = false;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) exp_negative = s_[p++] == '-';
      if (p < s_.size() && is_digit(s_[p])) {
        is_float = true;
        while (p < s_.size() && is_digit(s_[p])) {
          // Saturate: only the sign and "very large" matter for out-of-range values.
          if (exponent < 1'000'000'000) exponent = exponent * 10 + (s_[p] - '0');
          ++p;
        }
        if (exp_negative) exponent = -exponent;
        pos_ = p;
      }
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (!is_float) {
      if (int_end - int_start > opt_.max_int_digits) fail("integer literal longer than the digit limit");
      return int_from_literal(text);
    }
    double v = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
    if (res.ec == std::errc::result_out_of_range) {
      // Python's float() gives +/-inf on overflow and +/-0.0 on underflow; from_chars leaves the
      // value alone, so decide from the position of the first significant digit.
      const std::string_view int_digits = s_.substr(int_start, int_end - int_start);
      const std::string_view frac_digits = s_.substr(frac_start, frac_end - frac_start);
      long long magnitude = 0;  // value ~ 10^(magnitude + exponent - 1)
      if (const auto nz = int_digits.find_first_not_of('0'); nz != std::string_view::npos) {
        magnitude = static_cast<long long>(int_digits.size() - nz);
      } else if (const auto fnz = frac_digits.find_first_not_of('0'); fnz != std::string_view::npos) {
        magnitude = -static_cast<long long>(fnz);
      }
      const bool overflow = magnitude + exponent > 0;
      v = overflow ? std::numeric_limits<double>::infinity() : 0.0;
      if (text.front() == '-') v = -v;
    } else if (res.ec != std::errc{} || res.ptr != text.data() + text.size()) {
      fail("invalid number");
    }
    return Data(v);
  }

  std::string_view s_;
  const PythonJsonReadOptions& opt_;
  std::size_t pos_ = 0;
  // The members and elements of the objects and arrays still open, innermost last.
  std::vector<std::pair<std::string, Data>> members_{};
  std::vector<Data> elements_{};
};

}  // namespace sessions::signing::detail
// ---- end sessions/signing/detail/python_json_parser.hpp ----
// ---- begin sessions/signing/detail/python_json_writer.hpp ----
// The Python JSON writer behind dump_python_json() (signing/python_json.hpp): Data to exactly the
// bytes of Python's json.dumps(value, separators=(',', ':')).

#include <cmath>

namespace sessions::signing::detail {

inline void append_python_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // Printable ASCII other than `"` and `\` is written as it is: copy such runs in one piece
    // (most session strings are one such run), and decode only what needs an escape.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') break;
      ++run;
    }
    if (run != i) {
      out.append(s.substr(i, run - i));
      i = run;
      continue;
    }
    const std::optional<std::uint32_t> decoded = next_utf8(s, i);
    if (!decoded) throw EncodeError("a string in the data is not valid UTF-8");
    const std::uint32_t cp = *decoded;
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      append_u_escape(out, cp);  // C0 controls, DEL and the rest of the BMP
    } else {
      const std::uint32_t v = cp - 0x10000;
      append_u_escape(out, 0xD800 + (v >> 10));
      append_u_escape(out, 0xDC00 + (v & 0x3FF));
    }
  }
  out += '"';
}

/// Appends Python's repr() of a double.
inline void append_python_float(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "NaN";
    return;
  }
  if (std::isinf(x)) {
    out += x < 0 ? "-Infinity" : "Infinity";
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+16", "5e-324", "0e+00".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  std::string_view body = sci;
  const bool negative = !body.empty() && body.front() == '-';
  if (negative) body.remove_prefix(1);
  const std::size_t e_pos = body.find('e');
  const std::string_view mantissa = body.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(body.data() + e_pos + 1 + (body[e_pos + 1] == '+' ? 1 : 0), body.data() + body.size(), exponent);
  std::string digits;
  for (const char c : mantissa) {
    if (c != '.') digits += c;
  }
  // Python's rule: with the value written as 0.DIGITS * 10^decpt, use plain notation when
  // -4 < decpt <= 16, i.e. 1e-4 <= |x| < 1e16.
  const int decpt = exponent + 1;
  const auto n = static_cast<int>(digits.size());
  if (negative) out += '-';
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(static_cast<std::size_t>(decpt - n), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<std::size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<std::size_t>(decpt), std::string::npos);
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);
  }
  const int e = decpt - 1;
  out += e < 0 ? "e-" : "e+";
  const int magnitude = e < 0 ? -e : e;
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
}

inline void append_python_json(std::string& out, const Data& value, std::size_t depth_left) {
  switch (value.type()) {
    case Data::value_t::null:
      out += "null";
      return;
    case Data::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Data::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return;
    case Data::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      return;
    case Data::value_t::number_float:
      append_python_float(out, value.get<double>());
      return;
    case Data::value_t::string:
      append_python_string(out, value.get_ref<const std::string&>());
      return;
    case Data::value_t::binary: {
      const std::optional<std::string_view> text = big_int_digits(value);
      if (!text || !is_canonical_int_text(*text) || *text == "-0") {
        throw EncodeError("binary values cannot be written as JSON (only big integers, see python_json.hpp)");
      }
      out += *text;
      return;
    }
    case Data::value_t::array: {
      if (depth_left == 0) throw EncodeError("data nests deeper than the JSON depth limit");
      out += '[';
      bool first = true;
      for (const Data& item : value) {
        if (!first) out += ',';
        first = false;
        append_python_json(out, item, depth_left - 1);
      }
      out += ']';
      return;
    }
    case Data::value_t::object: {
      if (depth_left == 0) throw EncodeError("data nests deeper than the JSON depth limit");
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ',';
        first = false;
        append_python_string(out, key);
        out += ':';
        append_python_json(out, item, depth_left - 1);
      }
      out += '}';
      return;
    }
    case Data::value_t::discarded:
    default:
      throw EncodeError("a discarded JSON value cannot be written");
  }
}

}  // namespace sessions::signing::detail
// ---- end sessions/signing/detail/python_json_writer.hpp ----

namespace sessions::signing {

/// An integer from its decimal text (`-?(0|[1-9][0-9]*)`), of any size: a normal JSON number
/// when it fits int64/uint64, otherwise the big-integer binary value. Throws ValueTypeError for
/// text that is not a canonical decimal integer.
[[nodiscard]] inline Data make_python_int(std::string_view decimal) {
  if (!detail::is_canonical_int_text(decimal) || decimal == "-0") {
    throw ValueTypeError("not a canonical decimal integer");
  }
  return detail::int_from_literal(decimal);
}

/// True iff `value` is a big integer kept as digits (see the header comment).
[[nodiscard]] inline bool is_python_big_int(const Data& value) noexcept {
  return detail::big_int_digits(value).has_value();
}

/// The decimal text of any integer value (int64, uint64 or big integer); nullopt otherwise.
[[nodiscard]] inline std::optional<std::string> python_int_text(const Data& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (const std::optional<std::string_view> digits = detail::big_int_digits(value)) return std::string(*digits);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Appends `value` to `out` exactly as Python's json.dumps(value, separators=(',', ':')) writes
/// it. Throws EncodeError for invalid UTF-8, binary values other than big integers, discarded
/// values, or nesting deeper than `max_depth`.
inline void dump_python_json(const Data& value, std::string& out,
                             std::size_t max_depth = python_json_default_max_depth) {
  detail::append_python_json(out, value, max_depth);
}

/// `value` as Python's json.dumps(value, separators=(',', ':')) text (always ASCII).
[[nodiscard]] inline std::string dump_python_json(const Data& value,
                                                  std::size_t max_depth = python_json_default_max_depth) {
  std::string out;
  dump_python_json(value, out, max_depth);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reader

/// Parses `text` as Python's json.loads would (see the header comment for the deliberate
/// refusals). Throws DecodeError for anything it does not accept.
[[nodiscard]] inline Data parse_python_json(std::string_view text, const PythonJsonReadOptions& options = {}) {
  return detail::PythonJsonParser(text, options).parse();
}

}  // namespace sessions::signing
// ---- end sessions/signing/python_json.hpp ----
// ---- begin sessions/signing/signer.hpp ----
// Django's Signer and TimestampSigner (django.core.signing), byte for byte.
//
//   key       = SHA-256(salt + "signer" + secret)            (Django's salted_hmac key)
//   signature = b64url_nopad(HMAC-SHA256(key, value))         (43 characters)
//   Signer:          value + sep + signature(value)
//   TimestampSigner: v = value + sep + base62(int(time.time())); v + sep + signature(v)
//
// Verification tries the main key and then each fallback key in order (Django 4.1+'s
// SECRET_KEY_FALLBACKS); signing always uses the main key. Signatures are compared in constant
// time as text, like Django, so `=` padding, changed case or truncation never verify. Django 3.2
// also accepted legacy SHA-1 signatures; that was removed in 4.0 and is not done here.
//
// Salts mirror Django's quirk: an EMPTY salt means the class's default,
// "django.core.signing.Signer" / "django.core.signing.TimestampSigner" (Django tests `salt or
// default`). The separator must not be empty or made only of `A-z0-9-_=` (Django's check,
// including its regex accepting a trailing newline); otherwise ConfigurationError.
//
// Keys: an empty main or fallback key is a ConfigurationError. (Django substitutes
// settings.SECRET_KEY for an empty main key; there are no settings here.) Keys and salts are
// bytes, usually UTF-8 text, as Python's str.encode() gives them.
//
// Thread-safety: signers are immutable after construction and every member is const; they keep
// keyed HMAC contexts (crypto::SharedHmacSha256), so one signer can serve all threads and signing
// costs no key setup. Movable, not copyable.

// ---- begin sessions/crypto/compare.hpp ----
// Constant-time equality for secrets (signatures, MACs, tokens). A plain == stops at the first
// differing byte, so its running time tells an attacker how many leading bytes of a forged
// signature were right; CRYPTO_memcmp always reads every byte.

namespace sessions::crypto {

/// True iff `a` and `b` hold the same bytes. The time depends only on the lengths, never on the
/// content. Different lengths give false; the length itself is not treated as secret (as in
/// Django's constant_time_compare / Python's hmac.compare_digest).
[[nodiscard]] inline bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) {
    // Still walk one input so that the early return does not skip all the work.
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

[[nodiscard]] inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return constant_time_equal(as_bytes(a), as_bytes(b));
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/compare.hpp ----
// ---- begin sessions/crypto/hmac.hpp ----
// HMAC-SHA256 through EVP_MAC (OpenSSL 3).
//
// Why a keyed object: one-shot HMAC() fetches the algorithm, allocates a context and hashes the
// padded key twice for every message. A context keyed once and re-initialised per message
// (EVP_MAC_init with a null key keeps the key) skips all of that: on a 17-byte message (OpenSSL
// 3.0, -O2) one-shot HMAC() took 1.7-3.5 us and a re-initialised keyed context 0.27-0.75 us, i.e.
// 3-7x faster. Signers therefore keep their keyed contexts.
//
// - HmacSha256: one keyed context; fastest; NOT safe to use from two threads at once.
// - SharedHmacSha256: the same, safe to call concurrently from const members (a signer shared by
//   every request thread); see its comment for how it avoids blocking.
// - hmac_sha256(): one-shot, for one-off uses and tests.

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <mutex>

// ---- begin sessions/crypto/libcrypto.hpp ----
// Internal glue to libcrypto (OpenSSL 3) shared by the crypto/ headers: owning handles, cached
// algorithm fetches, and turning libcrypto's error queue into sessions::CryptoError.
//
// Why fetch explicitly: with OpenSSL 3 the legacy getters (EVP_sha256(), ...) make every
// Init call look the algorithm up in the provider store again, under a lock. Fetching once per
// process and keeping the handle makes the per-message cost only the hashing itself. The handles
// live for the whole process (function-local statics: initialised once, thread-safely).

#include <openssl/err.h>
#include <openssl/kdf.h>

namespace sessions::crypto::detail {

/// Throws CryptoError for a failed libcrypto call, with libcrypto's reason when it gave one. The
/// thread's error queue is emptied so a stale entry cannot be blamed on a later, unrelated call.
[[noreturn]] inline void throw_crypto_error(const char* what) {
  std::string message = std::string("libcrypto: ") + what;
  if (const unsigned long code = ERR_peek_last_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += " (";
    message += reason;
    message += ')';
  }
  ERR_clear_error();
  throw CryptoError(message);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// Each getter throws if the default provider lacks the algorithm; a later call tries again,
// because a static whose initialiser throws is not considered initialised.

[[nodiscard]] inline EVP_MD* sha256_md() {
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (fetched == nullptr) throw_crypto_error("SHA-256 is not available");
    return fetched;
  }();
  return md;
}

[[nodiscard]] inline EVP_MAC* hmac_mac() {
  static EVP_MAC* const mac = [] {
    EVP_MAC* fetched = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (fetched == nullptr) throw_crypto_error("HMAC is not available");
    return fetched;
  }();
  return mac;
}

[[nodiscard]] inline EVP_CIPHER* aes256gcm_cipher() {
  static EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (fetched == nullptr) throw_crypto_error("AES-256-GCM is not available");
    return fetched;
  }();
  return cipher;
}

[[nodiscard]] inline EVP_KDF* hkdf_kdf() {
  static EVP_KDF* const kdf = [] {
    EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (fetched == nullptr) throw_crypto_error("HKDF is not available");
    return fetched;
  }();
  return kdf;
}

/// libcrypto refuses a null pointer even for zero bytes in some calls; this gives a valid one.
[[nodiscard]] inline const unsigned char* non_null(const unsigned char* p) noexcept {
  static const unsigned char empty = 0;
  return p != nullptr ? p : &empty;
}

}  // namespace sessions::crypto::detail
// ---- end sessions/crypto/libcrypto.hpp ----
// ---- begin sessions/crypto/sha256.hpp ----
// SHA-256 through libcrypto: a one-shot digest and an incremental hasher. Django derives every
// signing key as the SHA-256 of `salt + "signer" + secret` (salted_hmac), so this sits on the hot
// path of key setup, not of each signature.

namespace sessions::crypto {

inline constexpr std::size_t sha256_size = 32;
using Sha256Digest = std::array<unsigned char, sha256_size>;

/// SHA-256 of `data`. Throws CryptoError if libcrypto fails.
[[nodiscard]] inline Sha256Digest sha256(ByteView data) {
  Sha256Digest out{};
  unsigned int length = 0;
  if (EVP_Digest(detail::non_null(data.data()), data.size(), out.data(), &length, detail::sha256_md(), nullptr) != 1 ||
      length != out.size()) {
    detail::throw_crypto_error("SHA-256 failed");
  }
  return out;
}

[[nodiscard]] inline Sha256Digest sha256(std::string_view text) { return sha256(as_bytes(text)); }

/// Incremental SHA-256: hash a message given in pieces without joining them first. After
/// finish() the hasher is ready for a new message. Movable, not copyable.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) detail::throw_crypto_error("cannot allocate a digest context");
    reset();
  }

  Sha256& update(ByteView data) {
    if (!data.empty() && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
      detail::throw_crypto_error("SHA-256 update failed");
    }
    return *this;
  }
  Sha256& update(std::string_view text) { return update(as_bytes(text)); }

  /// The digest of everything given since construction or the last finish().
  [[nodiscard]] Sha256Digest finish() {
    Sha256Digest out{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &length) != 1 || length != out.size()) {
      detail::throw_crypto_error("SHA-256 final failed");
    }
    reset();
    return out;
  }

 private:
  void reset() {
    if (EVP_DigestInit_ex(ctx_.get(), detail::sha256_md(), nullptr) != 1) {
      detail::throw_crypto_error("SHA-256 init failed");
    }
  }

  detail::MdCtxPtr ctx_;
};

}  // namespace sessions::crypto
// ---- end sessions/crypto/sha256.hpp ----

namespace sessions::crypto {

/// An HMAC-SHA256 context keyed once, re-used for any number of messages. Movable, not copyable
/// (use clone() for an independent copy). Not thread-safe: one thread at a time per object. A
/// moved-from object may only be assigned to or destroyed.
class HmacSha256 {
 public:
  explicit HmacSha256(ByteView key) : ctx_(EVP_MAC_CTX_new(detail::hmac_mac())) {
    if (!ctx_) detail::throw_crypto_error("cannot allocate an HMAC context");
    char digest_name[] = "SHA2-256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    // A null key would mean "keep the previous key"; an empty key must still be a real pointer.
    if (EVP_MAC_init(ctx_.get(), detail::non_null(key.data()), key.size(), params) != 1) {
      detail::throw_crypto_error("HMAC-SHA256 keying failed");
    }
  }
  explicit HmacSha256(std::string_view key) : HmacSha256(as_bytes(key)) {}

  HmacSha256(HmacSha256&&) noexcept = default;
  HmacSha256& operator=(HmacSha256&&) noexcept = default;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  ~HmacSha256() = default;

  /// HMAC-SHA256(key, message).
  [[nodiscard]] Sha256Digest mac(ByteView message) {
    if (!ctx_) throw CryptoError("HmacSha256 used after it was moved from");
    // Null key: re-initialise with the key already set (the cheap path this class exists for).
    if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) detail::throw_crypto_error("HMAC re-init failed");
    return finish(message);
  }
  [[nodiscard]] Sha256Digest mac(std::string_view message) { return mac(as_bytes(message)); }

  /// An independent context with the same key (EVP_MAC_CTX_dup). Only reads this object, so
  /// several threads may clone the same object concurrently as long as none calls mac() on it.
  [[nodiscard]] HmacSha256 clone() const {
    if (!ctx_) throw CryptoError("HmacSha256 used after it was moved from");
    detail::MacCtxPtr copy(EVP_MAC_CTX_dup(ctx_.get()));
    if (!copy) detail::throw_crypto_error("cannot copy an HMAC context");
    return HmacSha256(std::move(copy));
  }

 private:
  explicit HmacSha256(detail::MacCtxPtr ctx) noexcept : ctx_(std::move(ctx)) {}

  // Runs update + final on a context that is already initialised for a new message.
  [[nodiscard]] Sha256Digest finish(ByteView message) {
    if (!message.empty() && EVP_MAC_update(ctx_.get(), message.data(), message.size()) != 1) {
      detail::throw_crypto_error("HMAC update failed");
    }
    Sha256Digest out{};
    std::size_t length = 0;
    if (EVP_MAC_final(ctx_.get(), out.data(), &length, out.size()) != 1 || length != out.size()) {
      detail::throw_crypto_error("HMAC final failed");
    }
    return out;
  }

  detail::MacCtxPtr ctx_;
};

/// HMAC-SHA256 that several threads may call at once through a const reference, without
/// blocking each other. The common, uncontended case takes a mutex with try_lock and re-uses the
/// keyed context (the fast path above). A caller that finds it busy does not wait: it clones a
/// pristine keyed context that nobody ever MACs with (so cloning it is a pure read) and uses the
/// copy once. Movable, not copyable.
class SharedHmacSha256 {
 public:
  explicit SharedHmacSha256(ByteView key) : state_(std::make_unique<State>(HmacSha256(key))) {}
  explicit SharedHmacSha256(std::string_view key) : SharedHmacSha256(as_bytes(key)) {}

  [[nodiscard]] Sha256Digest mac(ByteView message) const {
    State& state = *state_;
    std::unique_lock<std::mutex> lock(state.mutex, std::try_to_lock);
    if (lock.owns_lock()) return state.working.mac(message);
    return state.pristine.clone().mac(message);
  }
  [[nodiscard]] Sha256Digest mac(std::string_view message) const { return mac(as_bytes(message)); }

 private:
  struct State {
    explicit State(HmacSha256 keyed) : pristine(std::move(keyed)), working(pristine.clone()) {}
    const HmacSha256 pristine;  // only ever cloned
    std::mutex mutex;           // guards `working`
    HmacSha256 working;
  };
  std::unique_ptr<State> state_;
};

/// One-shot HMAC-SHA256(key, message).
[[nodiscard]] inline Sha256Digest hmac_sha256(ByteView key, ByteView message) { return HmacSha256(key).mac(message); }
[[nodiscard]] inline Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
  return hmac_sha256(as_bytes(key), as_bytes(message));
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/hmac.hpp ----

namespace sessions::signing {

inline constexpr std::string_view default_separator = ":";
inline constexpr std::string_view signer_default_salt = "django.core.signing.Signer";
inline constexpr std::string_view timestamp_signer_default_salt = "django.core.signing.TimestampSigner";

namespace detail {

/// time.time() for a time point, computed the way CPython turns its nanosecond clock into a
/// float, so that ages and int(time.time()) agree with Django to the last bit.
[[nodiscard]] inline double python_time(TimePoint t) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  constexpr std::int64_t per_second = 1'000'000'000;
  if (ns % per_second == 0) return static_cast<double>(ns / per_second);
  return static_cast<double>(ns) / 1e9;
}

/// int(time.time()): truncation toward zero of the float time, as Django's timestamp() does.
[[nodiscard]] inline std::int64_t python_int_time(TimePoint t) noexcept {
  return static_cast<std::int64_t>(std::trunc(python_time(t)));
}

// Django's _SEP_UNSAFE: ^[A-z0-9-_=]*$ with re.match, where $ also matches before a final "\n".
[[nodiscard]] inline bool separator_is_unsafe(std::string_view sep) noexcept {
  if (!sep.empty() && sep.back() == '\n') sep.remove_suffix(1);
  for (const char c : sep) {
    const bool in_class = (c >= 'A' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '=';
    if (!in_class) return false;
  }
  return true;
}

[[nodiscard]] inline crypto::SharedHmacSha256 salted_hmac_key(std::string_view salt, std::string_view secret) {
  if (secret.empty()) throw ConfigurationError("a signing key must not be empty");
  crypto::Sha256 hasher;
  hasher.update(salt).update("signer").update(secret);
  const crypto::Sha256Digest key = hasher.finish();
  return crypto::SharedHmacSha256(crypto::ByteView(key));
}

}  // namespace detail

/// Django's Signer: `value:signature`.
class Signer {
 public:
  /// `key` signs and verifies; each of `fallback_keys` only verifies, tried in order after `key`.
  explicit Signer(std::string_view key, std::string_view salt = {}, std::span<const std::string> fallback_keys = {},
                  std::string_view sep = default_separator)
      : Signer(key, salt, fallback_keys, sep, signer_default_salt) {}

  /// The length of a signature: base64 of an HMAC-SHA256, unpadded.
  static constexpr std::size_t signature_size = 43;

  /// The signature of `value` under the main key (43 characters).
  [[nodiscard]] std::string signature(std::string_view value) const {
    const Signature sig = signature_with(0, value);
    return std::string(sig.data(), sig.size());
  }

  /// `value + sep + signature(value)`.
  [[nodiscard]] std::string sign(std::string_view value) const {
    std::string out;
    out.reserve(value.size() + sep_.size() + signature_size);
    out.append(value);
    sign_in_place(out);
    return out;
  }

  /// Appends `sep + signature(text)` to `text`: sign() without a copy of the value.
  void sign_in_place(std::string& text) const {
    const Signature sig = signature_with(0, text);
    text.append(sep_).append(sig.data(), sig.size());
  }

  /// The value part of `signed_value` if its signature verifies under the main key or a fallback
  /// key; BadSignature otherwise (also when there is no separator at all).
  [[nodiscard]] std::string unsign(std::string_view signed_value) const {
    return std::string(unsign_view(signed_value));
  }

  /// As unsign(), the value returned as a view into `signed_value` (no copy).
  [[nodiscard]] std::string_view unsign_view(std::string_view signed_value) const {
    const std::size_t at = signed_value.rfind(sep_);
    if (at == std::string_view::npos) throw BadSignature("No \"" + sep_ + "\" found in value");
    const std::string_view value = signed_value.substr(0, at);
    const std::string_view sig = signed_value.substr(at + sep_.size());
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      const Signature expected = signature_with(k, value);
      if (crypto::constant_time_equal(sig, std::string_view(expected.data(), expected.size()))) return value;
    }
    throw BadSignature("Signature does not match");
  }

  [[nodiscard]] const std::string& salt() const noexcept { return salt_; }
  [[nodiscard]] const std::string& sep() const noexcept { return sep_; }
  /// 1 + the number of fallback keys.
  [[nodiscard]] std::size_t key_count() const noexcept { return keys_.size(); }

 protected:
  friend class TimestampSigner;

  Signer(std::string_view key, std::string_view salt, std::span<const std::string> fallback_keys, std::string_view sep,
         std::string_view default_salt)
      : sep_(sep), salt_(salt.empty() ? default_salt : salt) {
    if (detail::separator_is_unsafe(sep_)) {
      throw ConfigurationError("unsafe signer separator (cannot be empty or consist of only A-z0-9-_=)");
    }
    keys_.reserve(1 + fallback_keys.size());
    keys_.push_back(detail::salted_hmac_key(salt_, key));
    for (const std::string& fallback : fallback_keys) keys_.push_back(detail::salted_hmac_key(salt_, fallback));
  }

  using Signature = std::array<char, signature_size>;

  // Computed into a fixed array: a signature is 43 characters, over std::string's inline
  // capacity, and signing or verifying a cookie should not allocate for it.
  [[nodiscard]] Signature signature_with(std::size_t key_index, std::string_view value) const {
    const crypto::Sha256Digest mac = keys_[key_index].mac(value);
    static_assert(b64_encoded_size(std::tuple_size_v<crypto::Sha256Digest>) == signature_size);
    Signature out{};
    b64_encode_to(crypto::ByteView(mac), out.data());
    return out;
  }

 private:
  std::string sep_;
  std::string salt_;
  std::vector<crypto::SharedHmacSha256> keys_;  // [0] is the main key
};

/// Django's TimestampSigner: `value:timestamp:signature`, with an age check on unsign. "Now"
/// comes from the Clock given at construction unless a call passes a time explicitly.
class TimestampSigner {
 public:
  explicit TimestampSigner(std::string_view key, std::string_view salt = {},
                           std::span<const std::string> fallback_keys = {}, Clock clock = {},
                           std::string_view sep = default_separator)
      : signer_(key, salt, fallback_keys, sep, timestamp_signer_default_salt), clock_(clock) {}

  /// base62(int(time.time())) for the clock's now.
  [[nodiscard]] std::string timestamp() const { return b62_encode(detail::python_int_time(clock_.now())); }

  /// Signs with the clock's current time.
  [[nodiscard]] std::string sign(std::string_view value) const { return sign(value, clock_.now()); }
  /// Signs as if time.time() returned `at` (the timestamp is truncated to whole seconds).
  [[nodiscard]] std::string sign(std::string_view value, TimePoint at) const {
    return sign(value, detail::python_int_time(at));
  }
  /// Signs with an explicit Unix timestamp in seconds.
  [[nodiscard]] std::string sign(std::string_view value, std::int64_t unix_timestamp) const {
    std::string out;
    out.reserve(value.size() + 2 * signer_.sep().size() + 12 + Signer::signature_size);
    out.append(value);
    sign_in_place(out, unix_timestamp);
    return out;
  }
  /// Appends `sep + timestamp + sep + signature` to `text` (which holds the value): sign()
  /// without a copy of the value, for a caller that built the value in its output buffer.
  void sign_in_place(std::string& text, std::int64_t unix_timestamp) const {
    text.append(signer_.sep()).append(b62_encode(unix_timestamp));
    signer_.sign_in_place(text);
  }

  /// The value of `signed_value`, checking its signature and, when `max_age` (seconds) is given,
  /// its age against the clock's now.
  ///  - BadSignature: no separator, or the signature matches no key;
  ///  - MalformedSignedData: validly signed but without a timestamp or with a malformed one;
  ///  - SignatureExpired: now - timestamp > max_age (an age equal to max_age is still valid;
  ///    timestamps in the future are accepted; a negative max_age always expires).
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::optional<double> max_age = std::nullopt) const {
    return unsign(signed_value, max_age, clock_.now());
  }
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::optional<double> max_age, TimePoint now) const {
    return std::string(unsign_view(signed_value, max_age, now));
  }
  /// As unsign(), the value returned as a view into `signed_value` (no copy).
  [[nodiscard]] std::string_view unsign_view(std::string_view signed_value, std::optional<double> max_age,
                                             TimePoint now) const {
    std::string_view value = signer_.unsign_view(signed_value);
    const std::size_t at = value.rfind(signer_.sep());
    if (at == std::string_view::npos) throw MalformedSignedData("signed value has no timestamp");
    const std::string_view stamp = value.substr(at + signer_.sep().size());
    const double timestamp = detail::b62_decode_approx(stamp);  // validates even without max_age
    if (max_age) {
      if (std::isinf(timestamp)) throw MalformedSignedData("signature timestamp out of range");
      const double age = detail::python_time(now) - timestamp;
      if (age > *max_age) {
        std::string why = "Signature age ";
        detail::append_python_float(why, age);
        why += " > ";
        detail::append_python_float(why, *max_age);
        why += " seconds";
        throw SignatureExpired(why);
      }
    }
    return value.substr(0, at);
  }
  template <class Rep, class Period>
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::chrono::duration<Rep, Period> max_age) const {
    return unsign(signed_value, std::chrono::duration<double>(max_age).count());
  }
  template <class Rep, class Period>
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::chrono::duration<Rep, Period> max_age,
                                   TimePoint now) const {
    return unsign(signed_value, std::chrono::duration<double>(max_age).count(), now);
  }

  /// The underlying Signer (signs `value:timestamp` without adding a timestamp itself).
  [[nodiscard]] const Signer& signer() const noexcept { return signer_; }
  [[nodiscard]] const std::string& salt() const noexcept { return signer_.salt(); }
  [[nodiscard]] const std::string& sep() const noexcept { return signer_.sep(); }
  [[nodiscard]] Clock clock() const noexcept { return clock_; }

 private:
  Signer signer_;
  Clock clock_;
};

}  // namespace sessions::signing
// ---- end sessions/signing/signer.hpp ----

namespace sessions::signing {

inline constexpr std::string_view default_dumps_salt = "django.core.signing";

/// Limits applied to a payload after its signature verified.
struct PayloadLimits {
  std::size_t max_decompressed_size = default_max_decompressed_size;
  PythonJsonReadOptions json{};
};

/// Options for dumps(value, key, options).
struct DumpsOptions {
  std::string_view salt = default_dumps_salt;
  bool compress = false;
  /// The signing time; unset means clock.now().
  std::optional<TimePoint> now{};
  Clock clock{};
};

/// Options for loads(text, key, options).
struct LoadsOptions {
  std::string_view salt = default_dumps_salt;
  /// Seconds; unset means no age check (as session backends do).
  std::optional<double> max_age{};
  /// Keys that verify but never sign (Django's SECRET_KEY_FALLBACKS), tried in order.
  std::span<const std::string> fallback_keys{};
  /// The time the age is measured against; unset means clock.now().
  std::optional<TimePoint> now{};
  Clock clock{};
  PayloadLimits limits{};
};

// ---------------------------------------------------------------------------------------------
// With a signer you keep (cheapest: its keyed HMAC contexts are re-used)

/// Signs already-serialized JSON text (e.g. from python_json or a layered serializer), as given.
/// Throws EncodeError if the text has a byte >= 0x80: Django reads the payload as latin-1, so raw
/// UTF-8 would silently turn into different text there; write non-ASCII as `\u` escapes.
[[nodiscard]] inline std::string dumps_json_text(std::string_view json, const TimestampSigner& signer,
                                                 bool compress = false, std::optional<TimePoint> now = std::nullopt) {
  for (const char c : json) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      throw EncodeError("JSON text for Django signing must be ASCII (use \\uXXXX escapes)");
    }
  }
  // The payload is encoded straight into the output, which the signer then completes: one
  // allocation for the whole signed value.
  std::string z;
  // Django keeps the compressed form only if len(z) < len(json) - 1.
  if (compress) z = zlib_compress(json);
  const bool compressed = compress && z.size() + 1 < json.size();
  const std::string_view bytes = compressed ? std::string_view(z) : json;
  const std::size_t encoded = b64_encoded_size(bytes.size());
  std::string out;
  out.reserve(1 + encoded + 2 * signer.sep().size() + 12 + Signer::signature_size);
  if (compressed) out += '.';
  out.resize(out.size() + encoded);
  b64_encode_to(crypto::as_bytes(bytes), out.data() + (compressed ? 1 : 0));
  signer.sign_in_place(out, detail::python_int_time(now ? *now : signer.clock().now()));
  return out;
}

/// Django's dumps(value, compress=compress) with the signer's key and salt.
[[nodiscard]] inline std::string dumps(const Data& value, const TimestampSigner& signer, bool compress = false,
                                       std::optional<TimePoint> now = std::nullopt) {
  return dumps_json_text(dump_python_json(value), signer, compress, now);
}

/// Verifies `text` and returns the JSON text it carries (decompressed, not parsed): the bytes
/// Django would hand to its latin-1 decode and json.loads.
[[nodiscard]] inline std::string loads_json_text(std::string_view text, const TimestampSigner& signer,
                                                 std::optional<double> max_age = std::nullopt,
                                                 std::optional<TimePoint> now = std::nullopt,
                                                 const PayloadLimits& limits = {}) {
  const std::string_view payload = signer.unsign_view(text, max_age, now ? *now : signer.clock().now());
  const bool compressed = !payload.empty() && payload.front() == '.';
  std::string bytes = b64_decode(compressed ? payload.substr(1) : payload);
  if (compressed) bytes = zlib_decompress(bytes, limits.max_decompressed_size);
  return bytes;
}

/// Django's loads(text, max_age=max_age) with the signer's key, fallback keys and salt.
[[nodiscard]] inline Data loads(std::string_view text, const TimestampSigner& signer,
                                std::optional<double> max_age = std::nullopt,
                                std::optional<TimePoint> now = std::nullopt, const PayloadLimits& limits = {}) {
  const std::string json = loads_json_text(text, signer, max_age, now, limits);
  try {
    return parse_python_json(json, limits.json);
  } catch (const DecodeError& e) {
    throw MalformedSignedData(std::string("signed payload is not valid JSON: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// One-off calls with a key (build a signer per call)

/// Django's signing.dumps(value, key=key, salt=salt, compress=compress).
[[nodiscard]] inline std::string dumps(const Data& value, std::string_view key,
                                       std::string_view salt = default_dumps_salt, bool compress = false) {
  return dumps(value, TimestampSigner(key, salt), compress);
}

[[nodiscard]] inline std::string dumps(const Data& value, std::string_view key, const DumpsOptions& options) {
  return dumps(value, TimestampSigner(key, options.salt, {}, options.clock), options.compress, options.now);
}

[[nodiscard]] inline std::string dumps_json_text(std::string_view json, std::string_view key,
                                                 const DumpsOptions& options = {}) {
  return dumps_json_text(json, TimestampSigner(key, options.salt, {}, options.clock), options.compress, options.now);
}

/// Django's signing.loads(text, key=key, salt=salt, max_age=max_age).
[[nodiscard]] inline Data loads(std::string_view text, std::string_view key, std::string_view salt = default_dumps_salt,
                                std::optional<double> max_age = std::nullopt) {
  return loads(text, TimestampSigner(key, salt), max_age);
}

/// Django's signing.loads(text, key=key, salt=..., max_age=..., fallback_keys=...), with an
/// injectable time and payload limits.
[[nodiscard]] inline Data loads(std::string_view text, std::string_view key, const LoadsOptions& options) {
  return loads(text, TimestampSigner(key, options.salt, options.fallback_keys, options.clock), options.max_age,
               options.now, options.limits);
}

[[nodiscard]] inline std::string loads_json_text(std::string_view text, std::string_view key,
                                                 const LoadsOptions& options = {}) {
  return loads_json_text(text, TimestampSigner(key, options.salt, options.fallback_keys, options.clock),
                         options.max_age, options.now, options.limits);
}

}  // namespace sessions::signing
// ---- end sessions/signing/dumps.hpp ----
// ---- begin sessions/signing/signed_cookie.hpp ----
// Values of Django's HttpResponse.set_signed_cookie / HttpRequest.get_signed_cookie.
//
// Django signs the raw cookie value (no JSON, no base64) with get_cookie_signer(salt=name+salt):
// a TimestampSigner whose key is the bytes "django.http.cookies" + SECRET_KEY (Django 4.1+
// prefixes each SECRET_KEY_FALLBACKS entry the same way). The salt is the cookie name followed
// by the optional salt; when both are empty that is the empty salt, which Django replaces by
// "django.core.signing.TimestampSigner" (see signer.hpp). The result is the cookie's value
// before any cookie quoting, which is the cookie codec's job.

namespace sessions::signing {

inline constexpr std::string_view cookie_key_prefix = "django.http.cookies";

/// Options for reading a signed cookie.
struct CookieUnsignOptions {
  /// The same salt that was given when signing (Django's get_signed_cookie(salt=...)).
  std::string_view salt{};
  /// Seconds; unset means no age check.
  std::optional<double> max_age{};
  /// Previous secrets (unprefixed, like SECRET_KEY_FALLBACKS); they verify but never sign.
  std::span<const std::string> fallback_keys{};
  /// The time the age is measured against; unset means clock.now().
  std::optional<TimePoint> now{};
  Clock clock{};
};

/// Django's get_cookie_signer(salt=full_salt) for the secret `secret`: a TimestampSigner keyed
/// with "django.http.cookies" + secret (and likewise for each fallback). `full_salt` is the
/// cookie name followed by the caller's salt. Throws ConfigurationError for an empty secret.
[[nodiscard]] inline TimestampSigner cookie_signer(std::string_view secret, std::string_view full_salt,
                                                   std::span<const std::string> fallback_keys = {}, Clock clock = {}) {
  if (secret.empty()) throw ConfigurationError("the secret key must not be empty");
  std::string key(cookie_key_prefix);
  key += secret;
  std::vector<std::string> fallbacks;
  fallbacks.reserve(fallback_keys.size());
  for (const std::string& fallback : fallback_keys) {
    if (fallback.empty()) throw ConfigurationError("a fallback secret key must not be empty");
    fallbacks.push_back(std::string(cookie_key_prefix) + fallback);
  }
  std::string full(full_salt);
  return TimestampSigner(key, full, fallbacks, clock);
}

namespace detail {
[[nodiscard]] inline std::string cookie_salt(std::string_view name, std::string_view salt) {
  std::string s(name);
  s += salt;
  return s;
}
}  // namespace detail

/// The value Django's response.set_signed_cookie(name, value, salt=salt) would store, signed at
/// time `now`.
[[nodiscard]] inline std::string sign_cookie_value(std::string_view name, std::string_view value,
                                                   std::string_view secret, std::string_view salt, TimePoint now) {
  return cookie_signer(secret, detail::cookie_salt(name, salt)).sign(value, now);
}

/// As above, signed now (system clock).
[[nodiscard]] inline std::string sign_cookie_value(std::string_view name, std::string_view value,
                                                   std::string_view secret, std::string_view salt = "") {
  return sign_cookie_value(name, value, secret, salt, Clock{}.now());
}

/// The original value of a signed cookie, as Django's request.get_signed_cookie(name,
/// salt=..., max_age=...) returns it. Throws BadSignature, SignatureExpired (a BadSignature) or
/// MalformedSignedData (validly signed but without a readable timestamp).
[[nodiscard]] inline std::string unsign_cookie_value(std::string_view name, std::string_view signed_value,
                                                     std::string_view secret, const CookieUnsignOptions& options = {}) {
  const TimestampSigner signer =
      cookie_signer(secret, detail::cookie_salt(name, options.salt), options.fallback_keys, options.clock);
  return options.now ? signer.unsign(signed_value, options.max_age, *options.now)
                     : signer.unsign(signed_value, options.max_age);
}

/// As unsign_cookie_value, but std::nullopt for a bad, expired or malformed value. Configuration
/// errors (empty secret) still throw.
[[nodiscard]] inline std::optional<std::string> try_unsign_cookie_value(std::string_view name,
                                                                        std::string_view signed_value,
                                                                        std::string_view secret,
                                                                        const CookieUnsignOptions& options = {}) {
  try {
    return unsign_cookie_value(name, signed_value, secret, options);
  } catch (const BadSignature&) {
    return std::nullopt;
  } catch (const MalformedSignedData&) {
    return std::nullopt;
  }
}

/// Django's get_signed_cookie(name, default=default_value, ...): the value, or `default_value`
/// when the cookie is bad, expired or malformed. (Django returns the default only for
/// BadSignature and lets a malformed timestamp raise; here every failure gives the default.)
[[nodiscard]] inline std::string unsign_cookie_value_or(std::string_view name, std::string_view signed_value,
                                                        std::string_view secret, std::string_view default_value,
                                                        const CookieUnsignOptions& options = {}) {
  std::optional<std::string> value = try_unsign_cookie_value(name, signed_value, secret, options);
  return value ? std::move(*value) : std::string(default_value);
}

}  // namespace sessions::signing
// ---- end sessions/signing/signed_cookie.hpp ----
// ---- begin sessions/signing/verified_cache.hpp ----
// VerifiedCache: a bounded memory of signed values that already verified, and what they decoded
// to, so that a request carrying exactly a value seen recently skips the HMAC, the inflate and the
// JSON parse (the read path of the signed-cookie store).
//
// Why it is safe:
//  - Only values that verified are inserted, and a lookup hits only on the WHOLE value, compared
//    in constant time: a forged or altered cookie never hits, and timing does not reveal how much
//    of a cached cookie (another visitor's) an attacker's guess shares.
//  - The cache answers "this exact string verified under this store's keys"; the caller still
//    applies max_age to the stored timestamp at every hit. Keys cannot change under a store (key
//    rotation means a new store, with a new, empty cache).
//  - The decoded data is shared immutably (std::shared_ptr<const Data>): callers copy it before
//    changing it, so one request's changes never leak into another's.
// Slots are chosen by a seeded XXH3 of the value (the seed is random per process, so nobody can
// aim cookies at one slot); a new value replaces whatever held its slot (direct-mapped, bounded
// by construction). XXH3 is no MAC and nothing here relies on it as one: it only picks a slot,
// never decides a hit (the constant-time comparison of the whole value above does), so the most
// a collision could cost is an eviction, i.e. one full verification. Thread-safe: the slots are
// split into shards, each behind its own mutex, held only to compare and copy a pointer.
//
// Bounded by bytes, not only by entries: a short cookie can inflate to a large value (a 190-byte
// cookie parsed to ~0.6 MB), and only the site can sign one, but anyone can collect many that the
// site issued. Each entry is measured (its value plus detail::bounded_memory_size of its data); an
// entry over `max_entry_bytes` is not kept at all, and each shard keeps at most its share of
// `max_bytes`, evicting other slots round-robin to make room. Whatever the values, the cache
// holds at most max_bytes (as measured) plus a fixed cost per slot.

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

// ---- begin sessions/detail/data_memory.hpp ----
// The memory a parsed value holds, estimated from its shape, stopping as soon as it passes a
// limit: what bounds the data of a cookie (SignedCookieStore, EncryptedCookieStore:
// Options::max_decoded_bytes) and what the cache of verified cookies counts per entry.
//
// Why not the JSON text's size: the text understates memory by up to ~20 times. `[[],[],...]`
// is 3 bytes of JSON per element, but each element is a node (16 bytes) plus a heap-allocated
// empty array; a 190-byte signed cookie inflating to 63 KB of such JSON parses to about 0.6 MB,
// and a cache of 1,024 of them held most of a gigabyte.
//
// The model (what nlohmann::json keeps): every value is one node of sizeof(Data), held in its
// parent's storage (or by the caller, for the root); an object, array, string or binary value
// owns one heap block for its container plus one for the elements or characters, and an object
// member's key owns a block when it is too long for the small-string buffer. Each block costs
// malloc's rounding and header (16-byte granules, 32 at least). Element storage is counted at
// 1.5 times its size, the average slack of a vector grown by doubling. The estimate depends only
// on the value's shape and the lengths of its strings, never on how the value was built, so
// encoding and decoding the same session measure the same size.

namespace sessions::detail {

namespace data_memory_detail {

// One heap block of `n` bytes as malloc keeps it.
[[nodiscard]] constexpr std::size_t block(std::size_t n) noexcept {
  const std::size_t with_header = n + sizeof(void*);
  const std::size_t rounded = (with_header + 15) / 16 * 16;
  return rounded < 32 ? 32 : rounded;
}

// The heap a std::string of this length uses beyond its own bytes (0 within the small buffer).
[[nodiscard]] inline std::size_t string_heap(std::size_t length) noexcept {
  static const std::size_t small = std::string().capacity();
  return length <= small ? 0 : block(length + 1);
}

// Element storage of `n` elements of `size` bytes, with the average growth slack.
[[nodiscard]] constexpr std::size_t elements(std::size_t n, std::size_t size) noexcept {
  return n == 0 ? 0 : block(n * size + n * size / 2);
}

// Adds the heap `value` owns to `total`; false as soon as `total` exceeds `limit`.
inline bool add(const Data& value, std::size_t limit, std::size_t& total, int depth) noexcept {
  if (depth > 512) {  // deeper than any decoder accepts: count it as too large
    total = limit + 1;
    return false;
  }
  switch (value.type()) {
    case Data::value_t::object: {
      const auto& object = value.get_ref<const Data::object_t&>();
      total += block(sizeof(Data::object_t)) + elements(object.size(), sizeof(typename Data::object_t::value_type));
      for (const auto& member : object) {
        total += string_heap(member.first.size());
        if (total > limit || !add(member.second, limit, total, depth + 1)) return false;
      }
      break;
    }
    case Data::value_t::array: {
      const auto& array = value.get_ref<const Data::array_t&>();
      total += block(sizeof(Data::array_t)) + elements(array.size(), sizeof(Data));
      for (const Data& element : array) {
        if (total > limit || !add(element, limit, total, depth + 1)) return false;
      }
      break;
    }
    case Data::value_t::string:
      total += block(sizeof(Data::string_t)) + string_heap(value.get_ref<const Data::string_t&>().size());
      break;
    case Data::value_t::binary:
      total += block(sizeof(Data::binary_t)) + elements(value.get_binary().size(), 1);
      break;
    default:  // numbers, booleans, null: all within the node
      break;
  }
  return total <= limit;
}

}  // namespace data_memory_detail

/// The estimated bytes `value` holds, its own node included (see above), or some number above
/// `limit` once it exceeds it. Stops early, so measuring costs at most what the limit allows.
[[nodiscard]] inline std::size_t bounded_memory_size(const Data& value, std::size_t limit) noexcept {
  std::size_t total = sizeof(Data);
  if (total > limit) return total;
  (void)data_memory_detail::add(value, limit, total, 0);
  return total;
}

}  // namespace sessions::detail
// ---- end sessions/detail/data_memory.hpp ----

namespace sessions::signing {

class VerifiedCache {
 public:
  struct Entry {
    std::shared_ptr<const Data> data{};
    /// The signing time written in the value (Unix seconds).
    std::int64_t timestamp = 0;
  };

  /// The defaults of SignedCookieStore::Options: 8 MiB in all, 64 KiB per entry.
  static constexpr std::size_t kDefaultMaxBytes = std::size_t{8} << 20;
  static constexpr std::size_t kDefaultMaxEntryBytes = std::size_t{64} << 10;

  /// Room for about `capacity` values (rounded up to a power of two; 0 disables the cache),
  /// holding at most `max_bytes` in all and no entry over `max_entry_bytes` (as measured).
  explicit VerifiedCache(std::size_t capacity, std::size_t max_bytes = kDefaultMaxBytes,
                         std::size_t max_entry_bytes = kDefaultMaxEntryBytes) {
    if (capacity == 0 || max_bytes == 0 || max_entry_bytes == 0) return;
    std::size_t slots = 1;
    while (slots < capacity) slots <<= 1;
    // Fewer shards when the budget is small, so that each shard's share still holds an entry of
    // the largest size kept.
    std::size_t shards = slots < kMaxShards ? slots : kMaxShards;
    while (shards > 1 && max_bytes / shards < max_entry_bytes) shards >>= 1;
    shards_ = std::vector<Shard>(shards);
    for (Shard& shard : shards_) shard.slots.resize(slots / shards);
    shard_mask_ = shards - 1;
    slot_mask_ = slots / shards - 1;
    shard_budget_ = max_bytes / shards;
    max_entry_bytes_ = max_entry_bytes < shard_budget_ ? max_entry_bytes : shard_budget_;
    std::array<unsigned char, 8> seed{};
    crypto::random_bytes(std::span<unsigned char>(seed));
    for (const unsigned char b : seed) seed_ = (seed_ << 8) | b;
  }

  VerifiedCache(const VerifiedCache&) = delete;
  VerifiedCache& operator=(const VerifiedCache&) = delete;

  [[nodiscard]] bool enabled() const noexcept { return !shards_.empty(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return shards_.size() * (slot_mask_ + 1) * enabled(); }

  /// The entry of exactly `value`, if it verified recently.
  [[nodiscard]] std::optional<Entry> find(std::string_view value) const {
    if (!enabled()) return std::nullopt;
    const std::uint64_t h = hash(value);
    Shard& shard = shards_[h & shard_mask_];
    const std::lock_guard lock(shard.mutex);
    const Slot& slot = shard.slots[(h >> 16) & slot_mask_];
    if (!slot.entry.data || slot.value.size() != value.size() || !crypto::constant_time_equal(slot.value, value)) {
      return std::nullopt;
    }
    return slot.entry;
  }

  /// The size an entry for `value` counts (its value, its slot, its data as measured), or some
  /// number above `limit` once it exceeds it.
  [[nodiscard]] static std::size_t entry_size(std::string_view value, const Data& data, std::size_t limit) noexcept {
    const std::size_t fixed = value.size() + kEntryOverhead;
    if (fixed > limit) return fixed;
    return fixed + sessions::detail::bounded_memory_size(data, limit - fixed);
  }

  /// Remembers that `value` verified and decoded to `entry` (replacing its slot's previous value,
  /// and others of its shard while the shard is over its share of the bytes). False, and nothing
  /// kept, when the entry is larger than max_entry_bytes. `data_bytes`, when known, is
  /// detail::bounded_memory_size of the entry's data (saves measuring it again).
  bool insert(std::string_view value, Entry entry, std::optional<std::size_t> data_bytes = std::nullopt) {
    if (!enabled() || !entry.data) return false;
    const std::size_t size =
        data_bytes ? value.size() + kEntryOverhead + *data_bytes : entry_size(value, *entry.data, max_entry_bytes_);
    if (size > max_entry_bytes_) return false;
    const std::uint64_t h = hash(value);
    std::string copy(value);                            // allocate outside the lock
    std::vector<std::shared_ptr<const Data>> released;  // freed after the lock
    Shard& shard = shards_[h & shard_mask_];
    released.reserve(shard.slots.size());
    const std::lock_guard lock(shard.mutex);
    const std::size_t index = (h >> 16) & slot_mask_;
    Slot& slot = shard.slots[index];
    shard.bytes -= slot.bytes;
    slot.value.swap(copy);
    slot.entry.data.swap(entry.data);  // the old data is released after the lock, with `entry`
    slot.entry.timestamp = entry.timestamp;
    slot.bytes = size;
    shard.bytes += size;
    // Over the shard's share: evict the others in turn (size <= the share, so this ends).
    while (shard.bytes > shard_budget_) {
      const std::size_t victim = shard.hand;
      shard.hand = (shard.hand + 1) & slot_mask_;
      if (victim == index || !shard.slots[victim].entry.data) continue;
      Slot& evicted = shard.slots[victim];
      shard.bytes -= evicted.bytes;
      released.push_back(std::move(evicted.entry.data));
      evicted = Slot{};
    }
    return true;
  }

  /// The bytes held, as measured (tests, monitoring).
  [[nodiscard]] std::size_t bytes() const {
    std::size_t total = 0;
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      total += shard.bytes;
    }
    return total;
  }

  /// The largest entry kept, in bytes as measured.
  [[nodiscard]] std::size_t max_entry_bytes() const noexcept { return max_entry_bytes_; }

  /// Forgets everything.
  void clear() {
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      for (Slot& slot : shard.slots) slot = Slot{};
      shard.bytes = 0;
    }
  }

 private:
  static constexpr std::size_t kMaxShards = 16;

  struct Slot {
    std::string value{};
    Entry entry{};
    std::size_t bytes = 0;
  };
  struct Shard {
    std::mutex mutex{};
    std::vector<Slot> slots{};
    std::size_t bytes = 0;
    std::size_t hand = 0;  // the next slot to evict
  };
  // What an entry costs beyond its value's characters and its data: the string's heap block
  // header, the shared_ptr's control block and the Data node in it.
  static constexpr std::size_t kEntryOverhead = 64;

  [[nodiscard]] std::uint64_t hash(std::string_view value) const noexcept {
    return XXH3_64bits_withSeed(value.data(), value.size(), seed_);
  }

  mutable std::vector<Shard> shards_{};
  std::size_t shard_mask_ = 0;
  std::size_t slot_mask_ = 0;
  std::size_t shard_budget_ = 0;
  std::size_t max_entry_bytes_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace sessions::signing
// ---- end sessions/signing/verified_cache.hpp ----
// ---- end sessions/signing/signing.hpp ----

// ---- begin sessions/serializer/base64.hpp ----
// Base64Serializer<Inner>: another serializer's bytes as URL-safe base64 text (no padding), for
// the stores whose column is text (SqliteStore, PostgresStore: Django's `session_data text`),
// which refuse a binary serializer at compile time. A third larger than the bytes it carries.
//
// Only the canonical base64 that dumps() writes is read back (a string with other characters,
// padding or stray bits is DecodeError), so one record has one text. The inner serializer's
// keyed form, canonical promise and needs_rewrite() pass through.

namespace sessions {

template <class Inner>
requires Serializer<Inner>
class Base64Serializer {
 public:
  static constexpr bool canonical = CanonicalSerializer<Inner>;

  Base64Serializer() = default;
  explicit Base64Serializer(Inner inner) : inner_(std::move(inner)) {}

  [[nodiscard]] std::string dumps(const Data& data) const requires requirement::serializer_dumps<Inner> {
    return signing::b64_encode(std::string_view(inner_.dumps(data)));
  }
  [[nodiscard]] Data loads(std::string_view text) const requires requirement::serializer_loads<Inner> {
    return inner_.loads(decode(text));
  }

  [[nodiscard]] std::string dumps(const Data& data,
                                  std::string_view session_key) const requires KeyedSerializer<Inner> {
    return signing::b64_encode(std::string_view(inner_.dumps(data, session_key)));
  }
  [[nodiscard]] Data loads(std::string_view text, std::string_view session_key) const requires KeyedSerializer<Inner> {
    return inner_.loads(decode(text), session_key);
  }

  [[nodiscard]] bool needs_rewrite(std::string_view text) const requires requirement::serializer_needs_rewrite<Inner> {
    try {
      return inner_.needs_rewrite(decode(text));
    } catch (const Error&) {
      return true;
    }
  }

  [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

 private:
  static std::string decode(std::string_view text) {
    std::string bytes;
    try {
      bytes = signing::b64_decode(text);
    } catch (const Error&) {
      throw DecodeError("the stored session is not valid base64");
    }
    if (signing::b64_encoded_size(bytes.size()) != text.size() ||
        signing::b64_encode(std::string_view(bytes)) != text) {
      throw DecodeError("the stored session is not canonical base64");
    }
    return bytes;
  }

  [[no_unique_address]] Inner inner_{};
};

}  // namespace sessions
// ---- end sessions/serializer/base64.hpp ----
// ---- begin sessions/serializer/cbor.hpp ----
// CborSerializer: session data as CBOR (RFC 8949), nlohmann_json's binary form of the
// same values, for server-side stores that keep bytes (Redis, memcached, files, memory). On the
// benchmark payloads it is a fifth smaller than JSON text, written in 0.7 and read in 0.6 of
// JSON's time (docs/benchmarks.md, "Serializers"). Its bytes are binary (any byte, NUL
// included), so the SQL stores, whose column is text, refuse it at compile time: wrap it in
// Base64Serializer there.
//
// What loads() accepts is what JsonSerializer's loads() would give for the same data: a map at
// the top, UTF-8 strings and keys, at most JsonSerializer::max_depth levels deep; anything else
// is DecodeError (detail/binary_format.hpp says how, and why not nlohmann's from_cbor()).
// dumps() writes integers in their shortest form, floats as single precision when that is exact,
// strings and maps with definite lengths, in the data's own key order: the same data always
// gives the same bytes.

// ---- begin sessions/detail/binary_format.hpp ----
// The mechanics the binary serializers (CBOR, MessagePack) share: a decoder that keeps the
// promises of the JSON one, and the check their encoders make first.
//
// Decoding goes through nlohmann's SAX interface with a builder of our own, rather than
// from_cbor()/from_msgpack(), because those take whatever the format can say:
//   - depth: nlohmann's binary reader recurses once per nested array or map, so a few hundred
//     kilobytes of 0x81 bytes would exhaust the stack. The builder refuses a value inside more
//     than JsonSerializer::max_depth containers as it opens them, which stops the reader there.
//   - text: the formats carry strings as bytes and nlohmann does not check them; a string that
//     is not UTF-8 would decode, then make every later dump() of the data throw (a fingerprint,
//     a merge, the application's own logging). The builder refuses it.
//   - the top level must be an object (a map), as for JSON.
// Nothing is reserved from a length the input claims (an array header saying 2^32 elements
// allocates nothing before the elements arrive), duplicate map keys keep the first position and
// the last value as JSON's parse does, and every step is O(1) or O(log n) (the key index), so
// decoding is linear in the input. Session data holds JSON values only, whatever the format:
// byte strings (CBOR major type 2, MessagePack bin and ext) and CBOR tags are refused, and the
// encoders refuse an nlohmann binary value (which JSON text cannot hold either).

// ---- begin sessions/serializer/json.hpp ----
// JsonSerializer: session data as compact JSON text (nlohmann_json). The default serializer for
// server-side stores. Layered serializers (Django's signed format, encryption) wrap a serializer.

namespace sessions {

class JsonSerializer {
 public:
  /// dumps(loads(x)) == x whenever x came from dumps: the session layer may then fingerprint the
  /// stored bytes directly instead of serializing the data again.
  static constexpr bool canonical = true;

  /// Nesting deeper than this is refused on decode: it is never legitimate session data, and
  /// unbounded depth would let a corrupted record exhaust the stack of recursive consumers.
  static constexpr std::size_t max_depth = 128;

  /// Throws EncodeError for data loads() would refuse (invalid UTF-8, nesting deeper than
  /// max_depth): refused here, the caller learns it at the save; written, the next load would
  /// drop the whole session as corrupted.
  [[nodiscard]] std::string dumps(const Data& data) const {
    // Before the dump, whose recursion follows the data however deep it goes.
    if (data_nests_too_deep(data)) throw EncodeError("session data nests deeper than the limit");
    try {
      return data.dump();
    } catch (const nlohmann::json::exception& e) {
      // dump() throws on invalid UTF-8 in strings.
      throw EncodeError(std::string("session data cannot be written as JSON: ") + e.what());
    }
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    if (nests_too_deep(bytes)) throw DecodeError("session data nests deeper than the limit");
    Data data;
    try {
      // nlohmann's plain parser: a parse with a callback (which could check the depth as it
      // goes) costs a fifth more on every load, so the depth is checked by the scan above.
      data = Data::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
      throw DecodeError(std::string("session data is not valid JSON: ") + e.what());
    }
    if (!data.is_object()) throw DecodeError("session data is not a JSON object");
    return data;
  }

  /// True when `value` holds a value inside more than max_depth arrays or objects: the rule of
  /// the text scan below, asked of the data itself. The walk visits containers only (a scalar
  /// can only be too deep inside a container that is), so a typical session of flat members
  /// costs one look per member instead of one per byte of its JSON; it stops at the first
  /// non-empty container max_depth levels down, so it never recurses deeper than max_depth.
  [[nodiscard]] static bool data_nests_too_deep(const Data& value, std::size_t depth = 0) noexcept {
    if (value.is_object()) {
      if (value.empty()) return false;
      if (depth >= max_depth) return true;
      for (const auto& member : value.get_ref<const Data::object_t&>()) {
        if (member.second.is_structured() && data_nests_too_deep(member.second, depth + 1)) return true;
      }
    } else if (value.is_array()) {
      if (value.empty()) return false;
      if (depth >= max_depth) return true;
      for (const Data& element : value.get_ref<const Data::array_t&>()) {
        if (element.is_structured() && data_nests_too_deep(element, depth + 1)) return true;
      }
    }
    return false;
  }

  /// True when JSON text holds a value inside more than max_depth arrays or objects (a key, a
  /// scalar, or an array or object, which must then be empty, may sit directly inside max_depth
  /// of them, and nothing deeper). One pass over the bytes, skipping strings; text that is not
  /// JSON may be counted wrongly, but the parse refuses it anyway.
  [[nodiscard]] static bool nests_too_deep(std::string_view text) noexcept {
    std::size_t open = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case ',':
        case ':':
          break;
        case ']':
        case '}':
          if (open > 0) --open;
          break;
        case '[':
        case '{':
          if (open > max_depth) return true;
          ++open;
          break;
        case '"':
          in_string = true;
          [[fallthrough]];
        default:  // a key, a string, a number, true, false, null
          if (open > max_depth) return true;
          break;
      }
    }
    return false;
  }
};

}  // namespace sessions
// ---- end sessions/serializer/json.hpp ----

namespace sessions::detail::binary_format {

/// True when `s` is well-formed UTF-8 (no overlong form, no surrogate, nothing above U+10FFFF).
[[nodiscard]] inline bool valid_utf8(std::string_view s) noexcept {
  const std::size_t size = s.size();
  std::size_t i = 0;
  while (i < size) {
    // ASCII eight bytes at a time: keys and most values are.
    if (i + 8 <= size && (byte_word::load(s.data() + i) & byte_word::kHighs) == 0) {
      i += 8;
      continue;
    }
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (size - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

/// The first problem that keeps `value` from being written as session data the binary decoders
/// accept back (a string or key that is not UTF-8), or empty. The encoders check first, as
/// JsonSerializer's dump() does, so that a save fails loudly (EncodeError) rather than writing a
/// record that would load as an empty session.
// A container `depth` levels down (inside `depth` others) may hold values only above the limit.
[[nodiscard]] inline const char* unwritable(const Data& value, int depth = 0) {
  constexpr const char* kTooDeep = "the data nests deeper than the limit";
  switch (value.type()) {
    case Data::value_t::string:
      return valid_utf8(value.get_ref<const std::string&>()) ? nullptr : "a string is not valid UTF-8";
    case Data::value_t::binary:
      return "a binary value (session data holds JSON values only)";
    case Data::value_t::object:
      if (!value.empty() && static_cast<std::size_t>(depth) >= JsonSerializer::max_depth) return kTooDeep;
      for (const auto& member : value.get_ref<const Data::object_t&>()) {
        if (!valid_utf8(member.first)) return "a key is not valid UTF-8";
        if (const char* why = unwritable(member.second, depth + 1)) return why;
      }
      return nullptr;
    case Data::value_t::array:
      if (!value.empty() && static_cast<std::size_t>(depth) >= JsonSerializer::max_depth) return kTooDeep;
      for (const Data& element : value.get_ref<const Data::array_t&>()) {
        if (const char* why = unwritable(element, depth + 1)) return why;
      }
      return nullptr;
    default:
      return nullptr;
  }
}

/// Builds session data from nlohmann's SAX events, with the checks above. Each event returns
/// false to stop the reader at the first problem, which why() then names.
class Builder {
 public:
  using number_integer_t = Data::number_integer_t;
  using number_unsigned_t = Data::number_unsigned_t;
  using number_float_t = Data::number_float_t;
  using string_t = Data::string_t;
  using binary_t = Data::binary_t;

  bool null() { return put(Data(nullptr)); }
  bool boolean(bool v) { return put(Data(v)); }
  bool number_integer(number_integer_t v) { return put(Data(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(Data(v)); }
  bool number_float(number_float_t v, const string_t& /*text*/) { return put(Data(v)); }
  bool string(string_t& v) {
    if (!valid_utf8(v)) return fail("a string is not valid UTF-8");
    return put(Data(std::move(v)));
  }
  bool binary(binary_t& /*bytes*/) { return fail("a byte string (session data holds JSON values only)"); }

  bool start_object(std::size_t /*claimed*/) { return open(Data::object()); }
  bool key(string_t& k) {
    if (stack_.size() > JsonSerializer::max_depth) return fail("the data nests deeper than the limit");
    if (!valid_utf8(k)) return fail("a key is not valid UTF-8");
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*claimed*/) { return open(Data::array()); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/, const Data::exception& e) {
    reader_error_ = e.what();
    return fail(nullptr);
  }

  /// What stopped the reader (empty when it did not stop).
  [[nodiscard]] std::string why() const {
    if (!reader_error_.empty()) return reader_error_;
    return why_ != nullptr ? why_ : "";
  }

  /// The decoded data: an object, else DecodeError.
  [[nodiscard]] Data take(std::string_view format) {
    if (!root_.is_object()) throw DecodeError(std::string("session data in ") + std::string(format) + " is not a map");
    return std::move(root_);
  }

 private:
  bool fail(const char* why) {
    why_ = why;
    return false;
  }

  // A scalar, or a container just opened, goes where the reader is: the top level, the next
  // array element, or the member under the key just read. Returns where it went.
  Data* place(Data&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Data& parent = *stack_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Data::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    Data& slot = parent[pending_key_];  // a repeated key: first position, last value
    slot = std::move(value);
    return &slot;
  }

  bool put(Data&& value) {
    if (stack_.size() > JsonSerializer::max_depth) return fail("the data nests deeper than the limit");
    (void)place(std::move(value));
    return true;
  }

  bool open(Data&& container) {
    if (stack_.size() > JsonSerializer::max_depth) return fail("the data nests deeper than the limit");
    stack_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  Data root_;
  std::vector<Data*> stack_;  // the open containers; each pointer stays valid while it is open
  string_t pending_key_;
  const char* why_ = nullptr;
  std::string reader_error_;
};

/// `data` written by `write(data, out)` (nlohmann's to_cbor or to_msgpack) once unwritable() finds
/// nothing; EncodeError naming `format_name` otherwise.
template <class Write>
[[nodiscard]] std::string encode(const Data& data, std::string_view format_name, Write write) {
  if (const char* why = unwritable(data)) {
    throw EncodeError("session data cannot be written as " + std::string(format_name) + ": " + why);
  }
  std::string out;
  write(data, out);
  return out;
}

/// Decodes `bytes` in `format` as session data: DecodeError for anything but a map whose
/// strings are UTF-8, nested at most JsonSerializer::max_depth deep, with no byte left over.
[[nodiscard]] inline Data decode(std::string_view bytes, nlohmann::json::input_format_t format,
                                 std::string_view format_name) {
  Builder builder;
  bool ok = false;
  try {
    ok = Data::sax_parse(bytes.begin(), bytes.end(), &builder, format, /*strict=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw DecodeError(std::string("session data is not valid ") + std::string(format_name) + ": " + e.what());
  }
  if (!ok) {
    throw DecodeError(std::string("session data is not valid ") + std::string(format_name) + ": " + builder.why());
  }
  return builder.take(format_name);
}

}  // namespace sessions::detail::binary_format
// ---- end sessions/detail/binary_format.hpp ----

namespace sessions {

class CborSerializer {
 public:
  /// dumps(loads(x)) == x for bytes dumps() wrote: the session layer fingerprints stored bytes.
  static constexpr bool canonical = true;
  static constexpr bool binary = true;

  [[nodiscard]] std::string dumps(const Data& data) const {
    return detail::binary_format::encode(data, "CBOR", [](const Data& d, std::string& out) { Data::to_cbor(d, out); });
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    return detail::binary_format::decode(bytes, nlohmann::json::input_format_t::cbor, "CBOR");
  }
};

}  // namespace sessions
// ---- end sessions/serializer/cbor.hpp ----
// ---- begin sessions/serializer/django_signed.hpp ----
// DjangoSignedSerializer: the session_data format of Django's db, cached_db and file backends,
// `signing.dumps(data, compress=True, salt="django.contrib.sessions.SessionStore")`. With it a
// server store holds exactly what Django would, so a Django application with the same SECRET_KEY
// reads sessions this library wrote, and the reverse.
//
// As in Django, no max_age is applied: how long a stored session lives is the store's business
// (expire_date, the file's time, the cache TTL), not the signature's.

namespace sessions {

/// Django's salt for stored session data: "django.contrib.sessions." + the SessionStore class name.
inline constexpr std::string_view kDjangoSessionStoreSalt = "django.contrib.sessions.SessionStore";

class DjangoSignedSerializer {
 public:
  /// Signing embeds a timestamp, so two encodings of the same data differ: the session layer
  /// must fingerprint the data, not these bytes.
  static constexpr bool canonical = false;

  struct Options {
    std::string secret_key;
    std::vector<std::string> fallback_keys{};
    std::string salt{kDjangoSessionStoreSalt};
    Clock clock{};
    std::size_t max_decompressed_size = 1 << 20;
  };

  explicit DjangoSignedSerializer(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : DjangoSignedSerializer(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit DjangoSignedSerializer(Options options) : state_(std::make_shared<const State>(std::move(options))) {}

  [[nodiscard]] std::string dumps(const Data& data) const {
    return signing::dumps(data, state_->signer, /*compress=*/true);
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    Data data = signing::loads(bytes, state_->signer, std::nullopt, std::nullopt, state_->limits);
    if (!data.is_object()) throw DecodeError("the signed session data is not a JSON object");
    return data;
  }

 private:
  // Shared and immutable: Sessions copy their serializer, and the keyed HMAC contexts inside the
  // signer are worth deriving once.
  struct State {
    explicit State(Options o)
        : options(std::move(o)),
          signer(options.secret_key, options.salt, std::span<const std::string>(options.fallback_keys), options.clock) {
      limits.max_decompressed_size = options.max_decompressed_size;
    }
    Options options;
    signing::TimestampSigner signer;
    signing::PayloadLimits limits{};
  };
  std::shared_ptr<const State> state_;
};

}  // namespace sessions
// ---- end sessions/serializer/django_signed.hpp ----
// ---- begin sessions/serializer/encrypted.hpp ----
// EncryptedSerializer<Inner>: session data at rest sealed with AES-256-GCM, so that whoever reads
// the store (a Redis or memcached dump, an SQL backup, a replica) learns nothing without the
// secret, and cannot change a value or move it to another session (Spring Session's and
// connect-redis's encrypted stores). The data is first written by `Inner` (JsonSerializer by
// default, or CborSerializer / MessagePackSerializer), then sealed.
//
// Stored bytes: version (1 byte, 0x01) || KID (4 bytes) || nonce (12) || ciphertext || tag (16)
//   - Key: HKDF-SHA256 of the secret (salt "sessions.EncryptedSerializer", info "aes-256-gcm
//     v1"), never the raw secret, and not the key an EncryptedCookieStore or Django's signing
//     derives from the same secret.
//   - KID: the first 4 bytes of SHA-256 of that key, so loads() tries the right key at once.
//     Rotation: the new secret first, the old ones as fallback_keys; values sealed under a
//     fallback still load, and needs_rewrite() tells the session to seal them again under the
//     current key on its next save, even if the data did not change.
//   - Associated data: the version and KID, then the session key (the key the client holds): a
//     value copied under another key, in this store or another, does not open. The server flow
//     hands the key over through the keyed form (KeyedSerializer); there is no unkeyed form.
//   - Nonce: 96 random bits per seal. Random nonces keep one key safe for about 2^32 seals
//     (NIST SP 800-38D); nothing counts them (the processes sharing a secret would each count
//     their own): rotate the secret well before that many saves.
// A value that does not open (another key or secret, tampered, truncated, another version) is
// BadSignature; the session then reads as empty and the security logger says why, as for
// corrupted data. The bytes are binary: in an SQL store, wrap the serializer in Base64Serializer.

// ---- begin sessions/crypto/aead.hpp ----
// AES-256-GCM authenticated encryption, for stores that must hide session data from the client
// (an encrypted cookie) rather than only detect tampering (Django's signed cookie).
//
// Sealed layout: nonce (12 bytes) || ciphertext (same length as the plaintext) || tag (16 bytes).
// The nonce is fresh random bytes from crypto/random.hpp for every seal: with random 96-bit
// nonces, one key stays safe for about 2^32 seals (NIST SP 800-38D); derive per-purpose keys with
// kdf.hpp and rotate keys well before that.
//
// Error policy: open() returns std::nullopt for every input that does not authenticate (wrong
// key, wrong associated data, any changed/truncated/extended byte). That is an expected outcome
// for data from a client, not an exception. CryptoError is thrown only when libcrypto itself fails
// (allocation, missing algorithm), never because of the input's content.

namespace sessions::crypto {

inline constexpr std::size_t aes256gcm_key_size = 32;
inline constexpr std::size_t aes256gcm_nonce_size = 12;
inline constexpr std::size_t aes256gcm_tag_size = 16;
/// Bytes a sealed message has beyond its plaintext.
inline constexpr std::size_t aes256gcm_overhead = aes256gcm_nonce_size + aes256gcm_tag_size;

using Aes256GcmKey = std::array<unsigned char, aes256gcm_key_size>;
using Aes256GcmKeyView = std::span<const unsigned char, aes256gcm_key_size>;
using Aes256GcmNonceView = std::span<const unsigned char, aes256gcm_nonce_size>;

namespace detail {

// EVP update calls take int lengths; feed larger buffers in pieces (GCM is a stream mode, so
// splitting changes nothing in the output).
inline constexpr std::size_t gcm_chunk = std::size_t{1} << 30;

template <class Update>
void gcm_update_chunks(ByteView in, unsigned char* out, Update update) {
  while (!in.empty()) {
    const std::size_t n = in.size() < gcm_chunk ? in.size() : gcm_chunk;
    int written = 0;
    if (update(out, &written, in.data(), static_cast<int>(n)) != 1 || static_cast<std::size_t>(written) != n) {
      throw_crypto_error("AES-GCM update failed");
    }
    in = in.subspan(n);
    if (out != nullptr) out += n;
  }
}

inline CipherCtxPtr gcm_context() {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_crypto_error("cannot allocate a cipher context");
  return ctx;
}

/// Seal with a caller-chosen nonce. Only for known-answer tests: re-using a nonce under one key
/// destroys GCM's security, which is why the public seal() always draws a random one.
[[nodiscard]] inline std::vector<unsigned char> aes256gcm_seal_with_nonce(Aes256GcmKeyView key,
                                                                          Aes256GcmNonceView nonce, ByteView plaintext,
                                                                          ByteView aad) {
  std::vector<unsigned char> out(aes256gcm_nonce_size + plaintext.size() + aes256gcm_tag_size);
  std::copy(nonce.begin(), nonce.end(), out.begin());
  const CipherCtxPtr ctx = gcm_context();
  // AES-256-GCM's default IV length in libcrypto is 12 bytes, the size used here.
  if (EVP_EncryptInit_ex2(ctx.get(), aes256gcm_cipher(), key.data(), nonce.data(), nullptr) != 1) {
    throw_crypto_error("AES-GCM encrypt init failed");
  }
  const auto update = [&](unsigned char* o, int* n, const unsigned char* i, int len) {
    return EVP_EncryptUpdate(ctx.get(), o, n, i, len);
  };
  gcm_update_chunks(aad, nullptr, update);
  gcm_update_chunks(plaintext, out.data() + aes256gcm_nonce_size, update);
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + aes256gcm_nonce_size + plaintext.size(), &tail) != 1 || tail != 0) {
    throw_crypto_error("AES-GCM encrypt final failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(aes256gcm_tag_size),
                          out.data() + aes256gcm_nonce_size + plaintext.size()) != 1) {
    throw_crypto_error("AES-GCM tag retrieval failed");
  }
  return out;
}

}  // namespace detail

/// Encrypts and authenticates `plaintext` (and authenticates, without encrypting, `aad`) under a
/// fresh random nonce. Returns nonce || ciphertext || tag. Throws CryptoError if libcrypto fails.
[[nodiscard]] inline std::vector<unsigned char> aes256gcm_seal(Aes256GcmKeyView key, ByteView plaintext,
                                                               ByteView aad = {}) {
  std::array<unsigned char, aes256gcm_nonce_size> nonce{};
  random_bytes(nonce);
  return detail::aes256gcm_seal_with_nonce(key, nonce, plaintext, aad);
}

/// Verifies and decrypts what aes256gcm_seal produced with the same key and `aad`. Returns the
/// plaintext, or std::nullopt if the input is too short or does not authenticate. No plaintext
/// is ever returned (or left in memory) for input that fails the tag check.
[[nodiscard]] inline std::optional<std::vector<unsigned char>> aes256gcm_open(Aes256GcmKeyView key, ByteView sealed,
                                                                              ByteView aad = {}) {
  if (sealed.size() < aes256gcm_overhead) return std::nullopt;
  const ByteView nonce = sealed.first(aes256gcm_nonce_size);
  const ByteView ciphertext = sealed.subspan(aes256gcm_nonce_size, sealed.size() - aes256gcm_overhead);
  const ByteView tag = sealed.last(aes256gcm_tag_size);

  const detail::CipherCtxPtr ctx = detail::gcm_context();
  if (EVP_DecryptInit_ex2(ctx.get(), detail::aes256gcm_cipher(), key.data(), nonce.data(), nullptr) != 1) {
    detail::throw_crypto_error("AES-GCM decrypt init failed");
  }
  // The ctrl takes a non-const pointer but only copies the tag in.
  std::array<unsigned char, aes256gcm_tag_size> expected_tag{};
  std::copy(tag.begin(), tag.end(), expected_tag.begin());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(expected_tag.size()),
                          expected_tag.data()) != 1) {
    detail::throw_crypto_error("AES-GCM set tag failed");
  }
  std::vector<unsigned char> plaintext(ciphertext.size());
  const auto update = [&](unsigned char* o, int* n, const unsigned char* i, int len) {
    return EVP_DecryptUpdate(ctx.get(), o, n, i, len);
  };
  detail::gcm_update_chunks(aad, nullptr, update);
  detail::gcm_update_chunks(ciphertext, plaintext.data(), update);
  int tail = 0;
  // Final is where the tag is checked; its failure means "not authentic".
  if (EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + plaintext.size(), &tail) != 1) {
    ERR_clear_error();
    if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/aead.hpp ----
// ---- begin sessions/crypto/kdf.hpp ----
// HKDF-SHA256 (RFC 5869) through EVP_KDF: derives independent sub-keys from one secret, so a
// single configured secret can key signing, encryption and anything else without one use ever
// weakening another. Use a distinct `info` per purpose (e.g. "sessions encrypted cookie v1").

namespace sessions::crypto {

/// The most output HKDF-SHA256 can give (255 blocks of 32 bytes, RFC 5869 section 2.3).
inline constexpr std::size_t hkdf_sha256_max_output = 255 * 32;

/// Fills `out` with HKDF-SHA256(ikm, salt, info) (extract then expand). An empty salt means the
/// RFC's default (32 zero bytes). Throws CryptoError if `ikm` is empty (libcrypto refuses a
/// missing key, and an empty secret is a configuration mistake anyway), if more than
/// hkdf_sha256_max_output bytes are asked for, or if libcrypto fails.
inline void hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::span<unsigned char> out) {
  if (out.empty()) return;
  if (out.size() > hkdf_sha256_max_output) throw CryptoError("HKDF-SHA256 cannot produce more than 8160 bytes");
  if (ikm.empty()) throw CryptoError("HKDF-SHA256 needs a non-empty input key");
  const detail::KdfCtxPtr ctx(EVP_KDF_CTX_new(detail::hkdf_kdf()));
  if (!ctx) detail::throw_crypto_error("cannot allocate a KDF context");

  char digest_name[] = "SHA2-256";
  // OSSL_PARAM wants non-const pointers but only reads through them for these inputs.
  auto octets = [](const char* name, ByteView bytes) {
    return OSSL_PARAM_construct_octet_string(name, const_cast<unsigned char*>(bytes.data()), bytes.size());
  };
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0);
  params[n++] = octets(OSSL_KDF_PARAM_KEY, ikm);
  if (!salt.empty()) params[n++] = octets(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) params[n++] = octets(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    detail::throw_crypto_error("HKDF-SHA256 derivation failed");
  }
}

/// HKDF-SHA256 returning `length` bytes.
[[nodiscard]] inline std::vector<unsigned char> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info,
                                                            std::size_t length) {
  if (length > hkdf_sha256_max_output) throw CryptoError("HKDF-SHA256 cannot produce more than 8160 bytes");
  std::vector<unsigned char> out(length);
  hkdf_sha256(ikm, salt, info, std::span<unsigned char>(out));
  return out;
}

/// HKDF-SHA256 into a fixed-size key, e.g. `hkdf_sha256_key<32>(secret, {}, as_bytes("purpose"))`.
template <std::size_t N>
[[nodiscard]] std::array<unsigned char, N> hkdf_sha256_key(ByteView ikm, ByteView salt, ByteView info) {
  static_assert(N > 0 && N <= hkdf_sha256_max_output, "HKDF-SHA256 output must be 1..8160 bytes");
  std::array<unsigned char, N> out{};
  hkdf_sha256(ikm, salt, info, std::span<unsigned char>(out));
  return out;
}

}  // namespace sessions::crypto
// ---- end sessions/crypto/kdf.hpp ----

namespace sessions {

template <class Inner = JsonSerializer>
requires requirement::serializer_dumps<Inner> && requirement::serializer_loads<Inner>
class EncryptedSerializer {
 public:
  /// Every seal draws a fresh nonce: the session layer must fingerprint the data, not the bytes.
  static constexpr bool canonical = false;
  static constexpr bool binary = true;
  static constexpr unsigned char kVersion = 0x01;
  static constexpr std::size_t kKidSize = 4;
  static constexpr std::size_t kHeaderSize = 1 + kKidSize;
  /// Bytes a stored value has beyond what Inner wrote.
  static constexpr std::size_t kOverhead = kHeaderSize + crypto::aes256gcm_overhead;

  struct Options {
    /// The secret the key is derived from (e.g. the application's SECRET_KEY).
    std::string secret_key;
    /// Older secrets: their values still load, and are sealed again under secret_key on save.
    std::vector<std::string> fallback_keys{};
    Inner inner{};
  };

  explicit EncryptedSerializer(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : EncryptedSerializer(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit EncryptedSerializer(Options options) : state_(std::make_shared<const State>(std::move(options))) {}

  [[nodiscard]] std::string dumps(const Data& data, std::string_view session_key) const {
    const std::string plaintext = state_->inner.dumps(data);
    const Key& key = state_->keys.front();
    const std::string aad = associated_data(key.kid, session_key);
    const std::vector<unsigned char> sealed =
        crypto::aes256gcm_seal(key.aes, crypto::as_bytes(plaintext), crypto::as_bytes(aad));
    std::string out(aad, 0, kHeaderSize);
    out.append(reinterpret_cast<const char*>(sealed.data()), sealed.size());
    return out;
  }

  [[nodiscard]] Data loads(std::string_view bytes, std::string_view session_key) const {
    if (bytes.size() < kOverhead) throw BadSignature("the stored session is too short to be sealed");
    if (static_cast<unsigned char>(bytes[0]) != kVersion)
      throw BadSignature("the stored session is not sealed (version)");
    const std::string_view kid = bytes.substr(1, kKidSize);
    const std::string aad = associated_data(kid, session_key);
    const crypto::ByteView sealed = crypto::as_bytes(bytes.substr(kHeaderSize));
    bool known = false;
    // Two keys may share a KID (one chance in 2^32): each one that matches is tried.
    for (const Key& key : state_->keys) {
      if (key.kid != kid) continue;
      known = true;
      if (auto plaintext = crypto::aes256gcm_open(key.aes, sealed, crypto::as_bytes(aad))) {
        const std::string_view text(reinterpret_cast<const char*>(plaintext->data()), plaintext->size());
        return state_->inner.loads(text);
      }
    }
    if (!known) throw BadSignature("the stored session was sealed with an unknown key");
    throw BadSignature("the stored session does not authenticate (another session's value, or changed)");
  }

  /// True for bytes sealed under a fallback key (or not sealed by this version at all).
  [[nodiscard]] bool needs_rewrite(std::string_view bytes) const {
    return bytes.size() < kHeaderSize || bytes.substr(1, kKidSize) != state_->keys.front().kid;
  }

 private:
  struct Key {
    crypto::Aes256GcmKey aes;
    std::string kid;
  };

  // Shared and immutable: Sessions copy their serializer, and the keys are worth deriving once.
  struct State {
    explicit State(Options o) : inner(std::move(o.inner)) {
      if (o.secret_key.empty()) throw ConfigurationError("EncryptedSerializer needs a non-empty secret key");
      keys.push_back(derive(o.secret_key));
      for (const std::string& fallback : o.fallback_keys) {
        if (fallback.empty()) throw ConfigurationError("EncryptedSerializer: a fallback key must not be empty");
        keys.push_back(derive(fallback));
      }
    }
    Inner inner;
    std::vector<Key> keys;  // the current key first
  };

  static Key derive(std::string_view secret) {
    Key key{crypto::hkdf_sha256_key<crypto::aes256gcm_key_size>(crypto::as_bytes(secret),
                                                                crypto::as_bytes("sessions.EncryptedSerializer"),
                                                                crypto::as_bytes("aes-256-gcm v1")),
            {}};
    const auto digest = crypto::sha256(crypto::ByteView(key.aes));
    key.kid.assign(reinterpret_cast<const char*>(digest.data()), kKidSize);
    return key;
  }

  static std::string associated_data(std::string_view kid, std::string_view session_key) {
    std::string aad;
    aad.reserve(kHeaderSize + session_key.size());
    aad.push_back(static_cast<char>(kVersion));
    aad.append(kid).append(session_key);
    return aad;
  }

  std::shared_ptr<const State> state_;
};

}  // namespace sessions
// ---- end sessions/serializer/encrypted.hpp ----
// ---- begin sessions/serializer/msgpack.hpp ----
// MessagePackSerializer: session data as MessagePack (msgpack.org), nlohmann_json's binary form of the
// same values, for server-side stores that keep bytes (Redis, memcached, files, memory). On the
// benchmark payloads it is a fifth smaller than JSON text, written in 0.7 and read in 0.6 of
// JSON's time (docs/benchmarks.md, "Serializers"). Its bytes are binary (any byte, NUL
// included), so the SQL stores, whose column is text, refuse it at compile time: wrap it in
// Base64Serializer there.
//
// What loads() accepts is what JsonSerializer's loads() would give for the same data: a map at
// the top, UTF-8 strings and keys, at most JsonSerializer::max_depth levels deep; anything else
// is DecodeError (detail/binary_format.hpp says how, and why not nlohmann's from_msgpack()).
// dumps() writes integers in their shortest form, floats as single precision when that is exact,
// in the data's own key order: the same data always gives the same bytes.

namespace sessions {

class MessagePackSerializer {
 public:
  /// dumps(loads(x)) == x for bytes dumps() wrote: the session layer fingerprints stored bytes.
  static constexpr bool canonical = true;
  static constexpr bool binary = true;

  [[nodiscard]] std::string dumps(const Data& data) const {
    return detail::binary_format::encode(data, "MessagePack",
                                         [](const Data& d, std::string& out) { Data::to_msgpack(d, out); });
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    return detail::binary_format::decode(bytes, nlohmann::json::input_format_t::msgpack, "MessagePack");
  }
};

}  // namespace sessions
// ---- end sessions/serializer/msgpack.hpp ----

// ---- begin sessions/expiry/absolute.hpp ----
// Absolute(lifetime): the session ends `lifetime` after it was created, however active it is.
// The creation instant is kept in the data under `_session_created_at` (Unix seconds), stamped
// when the session is created and kept across cycle_key(), so rotating the key at login does not
// extend the lifetime. IdleAbsolute combines both limits, as OWASP recommends.

// ---- begin sessions/expiry/arithmetic.hpp ----
// Saturating arithmetic for expiry ages and instants: the one place where seconds from session
// data become instants and back.
//
// Why: `_session_expiry` and `_session_created_at` are session data, and session data is
// attacker-influenced (a site may let a client set its own expiry; a store hands back whatever it
// holds). TimePoint counts nanoseconds in 64 bits (years 1677 to 2262), so `now + seconds{x}` for
// a large x, a float like 1e300 cast to an integer, or a date in year 9999 would overflow:
// undefined behaviour, whose visible effect was a record created already expired. Django raises
// OverflowError in those cases; we saturate instead, so a huge expiry means "as long as we allow"
// and never an error page or an already-dead session:
//  - an age (seconds) is kept within +-kMaxExpiryAge (100 years: longer than any cookie or record
//    is kept in practice, and far enough from TimePoint's limits that `now + age` is exact for any
//    clock before the year 2162);
//  - an instant is kept within [TimePoint::min(), TimePoint::max()].

namespace sessions {

/// The longest session age computed with, either way: 100 Julian years.
inline constexpr std::chrono::seconds kMaxExpiryAge{100LL * 31'557'600};

/// `age` within [-kMaxExpiryAge, kMaxExpiryAge].
[[nodiscard]] constexpr std::chrono::seconds clamp_expiry_age(std::chrono::seconds age) noexcept {
  return std::clamp(age, -kMaxExpiryAge, kMaxExpiryAge);
}

/// Any integer as an age in seconds, clamped (an unsigned 2^64-1 is a long age, never -1).
template <class Int>
requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>) [[nodiscard]] constexpr std::chrono::seconds
    clamp_expiry_age(Int seconds) noexcept {
  if (std::cmp_greater(seconds, kMaxExpiryAge.count())) return kMaxExpiryAge;
  if (std::cmp_less(seconds, -kMaxExpiryAge.count())) return -kMaxExpiryAge;
  return std::chrono::seconds{static_cast<std::int64_t>(seconds)};
}

/// Any integer as an int64, saturating (what set_expiry(seconds) stores).
template <class Int>
requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>) [[nodiscard]] constexpr std::int64_t
    saturate_int64(Int v) noexcept {
  if (std::cmp_greater(v, std::numeric_limits<std::int64_t>::max())) return std::numeric_limits<std::int64_t>::max();
  if (std::cmp_less(v, std::numeric_limits<std::int64_t>::min())) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

/// Any duration as TimePoint's duration, clamped to +-kMaxExpiryAge (a NaN is zero).
template <class Rep, class Period>
[[nodiscard]] constexpr TimePoint::duration clamp_expiry_duration(std::chrono::duration<Rep, Period> d) noexcept {
  using Ticks = TimePoint::duration;
  const double s = std::chrono::duration<double>(d).count();
  if (s != s) return Ticks::zero();
  if (s >= static_cast<double>(kMaxExpiryAge.count())) return std::chrono::duration_cast<Ticks>(kMaxExpiryAge);
  if (s <= -static_cast<double>(kMaxExpiryAge.count())) return std::chrono::duration_cast<Ticks>(-kMaxExpiryAge);
  return std::chrono::duration_cast<Ticks>(d);  // within +-100 years: no overflow
}

/// `t + d`, with `d` clamped as above and the result saturating at TimePoint's limits.
template <class Rep, class Period>
[[nodiscard]] constexpr TimePoint add_saturating(TimePoint t, std::chrono::duration<Rep, Period> d) noexcept {
  const TimePoint::duration step = clamp_expiry_duration(d);
  if (step > TimePoint::duration::zero() && t > TimePoint::max() - step) return TimePoint::max();
  if (step < TimePoint::duration::zero() && t < TimePoint::min() - step) return TimePoint::min();
  return t + step;
}

/// Whole seconds from `from` to `to`, floored (Django's get_expiry_age of a date), clamped.
[[nodiscard]] constexpr std::chrono::seconds seconds_until(TimePoint to, TimePoint from) noexcept {
  const TimePoint::rep a = to.time_since_epoch().count();
  const TimePoint::rep b = from.time_since_epoch().count();
  constexpr TimePoint::rep kMax = std::numeric_limits<TimePoint::rep>::max();
  constexpr TimePoint::rep kMin = std::numeric_limits<TimePoint::rep>::min();
  if (b < 0 && a > kMax + b) return kMaxExpiryAge;  // a - b would pass the top
  if (b > 0 && a < kMin + b) return -kMaxExpiryAge;
  return clamp_expiry_age(std::chrono::floor<std::chrono::seconds>(TimePoint::duration{a - b}));
}

/// The seconds TimePoint can hold either way (about 292 years around 1970).
inline constexpr std::int64_t kTimePointSecondsLimit =
    std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();

/// Unix seconds as an instant, saturating at TimePoint's limits.
[[nodiscard]] constexpr TimePoint time_from_unix_seconds(std::int64_t seconds) noexcept {
  if (seconds > kTimePointSecondsLimit) return TimePoint::max();
  if (seconds < -kTimePointSecondsLimit) return TimePoint::min();
  return TimePoint{std::chrono::seconds{seconds}};
}

/// A JSON number of seconds (integer, unsigned or float: an age or Unix seconds) as an int64
/// within +-kTimePointSecondsLimit, truncated toward zero as Python's int() would; nullopt for
/// anything else, NaN included. Never a float-to-integer overflow, never 2^64-1 read as -1.
[[nodiscard]] inline std::optional<std::int64_t> stored_seconds(const Data& value) noexcept {
  constexpr std::int64_t kLimit = kTimePointSecondsLimit;
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    return v > static_cast<std::uint64_t>(kLimit) ? kLimit : static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) return std::clamp<std::int64_t>(value.get<std::int64_t>(), -kLimit, kLimit);
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isnan(d)) return std::nullopt;
    return static_cast<std::int64_t>(std::clamp(d, -static_cast<double>(kLimit), static_cast<double>(kLimit)));
  }
  return std::nullopt;
}

}  // namespace sessions
// ---- end sessions/expiry/arithmetic.hpp ----
// ---- begin sessions/expiry/django.hpp ----
// DjangoExpiry: Django's rules exactly. The session lives SESSION_COOKIE_AGE seconds from its last
// save, or what set_expiry() stored in `_session_expiry`; the cookie dies with the browser when
// SESSION_EXPIRE_AT_BROWSER_CLOSE is set (and set_expiry() did not say otherwise) or when
// set_expiry(0) was called. A request that only reads extends nothing, as in Django.

// ---- begin sessions/expiry/expiry_value.hpp ----
// Django's per-session expiry, the reserved `_session_expiry` key: absent or null (use the
// setting), an integer (seconds of inactivity; 0 = when the browser closes) or an ISO-8601 date
// (an absolute instant, as Django 4.1+ stores set_expiry(datetime or timedelta)).

#include <variant>

// ---- begin sessions/expiry/iso8601.hpp ----
// ISO-8601 date-times as Django (4.1+) stores them in `_session_expiry`: Python's
// datetime.isoformat(), e.g. "2023-11-14T23:13:20.250000+00:00" (fraction omitted when zero).

namespace sessions::iso8601 {

/// Python's `datetime.isoformat()` of an aware UTC datetime, microsecond precision.
[[nodiscard]] inline std::string format(TimePoint t) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> hms{us - day};
  char buf[48];
  const long long micro = hms.subseconds().count();
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (micro != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", micro);
    out.append(buf, static_cast<std::size_t>(n));
  }
  out += "+00:00";
  return out;
}

namespace detail {
inline bool take_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  for (std::size_t i = 0; i < digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  std::from_chars(s.data(), s.data() + digits, out);
  s.remove_prefix(digits);
  return true;
}
inline bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace detail

/// Parses what Python's `datetime.fromisoformat` accepts in the forms Django writes:
/// `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][(+|-)HH:MM | Z]`. A value without an offset is taken as UTC
/// (Django with USE_TZ stores aware UTC values). nullopt when malformed.
[[nodiscard]] inline std::optional<TimePoint> parse(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  long long micro = 0;
  if (!detail::take_int(s, 4, y) || !detail::take_char(s, '-') || !detail::take_int(s, 2, mo) ||
      !detail::take_char(s, '-') || !detail::take_int(s, 2, d)) {
    return std::nullopt;
  }
  if (!s.empty()) {
    if (!(detail::take_char(s, 'T') || detail::take_char(s, ' '))) return std::nullopt;
    if (!detail::take_int(s, 2, h) || !detail::take_char(s, ':') || !detail::take_int(s, 2, mi)) return std::nullopt;
    if (detail::take_char(s, ':')) {
      if (!detail::take_int(s, 2, sec)) return std::nullopt;
      if (detail::take_char(s, '.')) {
        std::size_t digits = 0;
        while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
        if (digits == 0 || digits > 6) return std::nullopt;
        int frac = 0;
        std::from_chars(s.data(), s.data() + digits, frac);
        micro = frac;
        for (std::size_t i = digits; i < 6; ++i) micro *= 10;
        s.remove_prefix(digits);
      }
    }
  }
  int offset_minutes = 0;
  if (!s.empty()) {
    if (s == "Z") {
      s.remove_prefix(1);
    } else {
      const char sign = s.front();
      if (sign != '+' && sign != '-') return std::nullopt;
      s.remove_prefix(1);
      int oh = 0, om = 0;
      if (!detail::take_int(s, 2, oh) || !detail::take_char(s, ':') || !detail::take_int(s, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  if (!s.empty() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micro} - minutes{offset_minutes};
  // Exact in microseconds for any year 0000-9999; TimePoint (nanoseconds) ends in 1677 and 2262,
  // so a date beyond is taken as the nearest instant it can hold (a cast would overflow: UB).
  if (tp >= floor<microseconds>(TimePoint::max())) return TimePoint::max();
  if (tp <= ceil<microseconds>(TimePoint::min())) return TimePoint::min();
  return time_point_cast<TimePoint::duration>(tp);
}

}  // namespace sessions::iso8601
// ---- end sessions/expiry/iso8601.hpp ----

namespace sessions {

inline constexpr std::string_view kSessionExpiryKey = "_session_expiry";

/// A value of `_session_expiry`, or of the `expiry` argument of get_expiry_age/get_expiry_date.
/// std::monostate is Django's None.
using ExpiryValue = std::variant<std::monostate, std::int64_t, TimePoint>;

/// The `_session_expiry` of some session data. A value that is neither a number nor a date Django
/// could parse counts as absent (Django itself would fail on it).
[[nodiscard]] inline ExpiryValue expiry_value_of(const Data& data) {
  const auto it = data.find(kSessionExpiryKey);
  if (it == data.end()) return std::monostate{};
  // Saturating: a stored 1e300 or 2^64-1 is a long expiry, never a float-to-integer overflow or -1.
  if (it->is_number()) {
    if (const auto seconds = stored_seconds(*it)) return *seconds;
    return std::monostate{};
  }
  if (it->is_string()) {
    if (const auto date = iso8601::parse(it->get_ref<const std::string&>())) return *date;
  }
  return std::monostate{};
}

/// Django's get_expiry_age(modification, expiry): a falsy expiry gives the cookie age, seconds are
/// returned as they are, and a date gives the whole seconds from `modification` to it, floored;
/// all within +-kMaxExpiryAge (see arithmetic.hpp; Django would raise OverflowError instead).
[[nodiscard]] inline std::chrono::seconds django_expiry_age(const ExpiryValue& expiry, std::chrono::seconds cookie_age,
                                                            TimePoint modification) {
  if (const auto* secs = std::get_if<std::int64_t>(&expiry)) {
    return *secs == 0 ? clamp_expiry_age(cookie_age) : clamp_expiry_age(*secs);
  }
  if (const auto* date = std::get_if<TimePoint>(&expiry)) return seconds_until(*date, modification);
  return clamp_expiry_age(cookie_age);
}

/// Django's get_expiry_date(modification, expiry): a date is returned as it is; otherwise
/// modification + (seconds or the cookie age).
[[nodiscard]] inline TimePoint django_expiry_date(const ExpiryValue& expiry, std::chrono::seconds cookie_age,
                                                  TimePoint modification) {
  if (const auto* date = std::get_if<TimePoint>(&expiry)) return *date;
  return add_saturating(modification, django_expiry_age(expiry, cookie_age, modification));
}

}  // namespace sessions
// ---- end sessions/expiry/expiry_value.hpp ----

namespace sessions {

struct DjangoExpiry {
  // Its hooks read `_session_expiry` and nothing else (see ExpiryDataKeys in concepts.hpp).
  using data_keys_policy = DjangoExpiry;
  static constexpr std::array<std::string_view, 1> data_keys{kSessionExpiryKey};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& settings,
                                                TimePoint modification) const {
    return django_expiry_age(expiry_value_of(data), settings.cookie_age, modification);
  }

  [[nodiscard]] TimePoint expiry_date(const Data& data, const Settings& settings, TimePoint modification) const {
    return django_expiry_date(expiry_value_of(data), settings.cookie_age, modification);
  }

  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    const auto it = data.find(kSessionExpiryKey);
    if (it == data.end() || it->is_null()) return settings.expire_at_browser_close;
    return it->is_number() && *it == 0;
  }

  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return false; }

  void on_create(Data& /*data*/, TimePoint /*now*/) const {}
};

}  // namespace sessions
// ---- end sessions/expiry/django.hpp ----
// ---- begin sessions/expiry/idle.hpp ----
// Idle(timeout): the session ends after `timeout` without a request. Every request that touches the
// session pushes the expiry forward (a cheap touch of the store, plus a fresh cookie Max-Age), not
// only requests that change data as in Django.

namespace sessions {

struct Idle {
  using data_keys_policy = Idle;  // what expire_at_browser_close reads (DjangoExpiry's)
  static constexpr std::array<std::string_view, 1> data_keys{kSessionExpiryKey};
  std::chrono::seconds timeout{1800};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& /*data*/, const Settings& /*settings*/,
                                                TimePoint /*modification*/) const {
    return clamp_expiry_age(timeout);
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return true; }
  void on_create(Data& /*data*/, TimePoint /*now*/) const {}
};

}  // namespace sessions
// ---- end sessions/expiry/idle.hpp ----

namespace sessions {

inline constexpr std::string_view kSessionCreatedAtKey = "_session_created_at";

namespace detail {
/// Seconds left of `lifetime` at `modification`, from the stamped creation time; the whole
/// lifetime when the data carries no stamp (data written by another program).
[[nodiscard]] inline std::chrono::seconds remaining_lifetime(const Data& data, std::chrono::seconds lifetime,
                                                             TimePoint modification) {
  const auto it = data.find(kSessionCreatedAtKey);
  const std::optional<std::int64_t> stamp = it == data.end() ? std::nullopt : stored_seconds(*it);
  if (!stamp) return clamp_expiry_age(lifetime);
  // Stored data: saturating, so a stamp of 1e300 or year 2262 cannot overflow (UB).
  return seconds_until(add_saturating(time_from_unix_seconds(*stamp), lifetime), modification);
}
inline void stamp_creation(Data& data, TimePoint now) {
  if (!data.contains(kSessionCreatedAtKey)) data[std::string(kSessionCreatedAtKey)] = unix_seconds(now);
}
}  // namespace detail

struct Absolute {
  using data_keys_policy = Absolute;  // the creation stamp, and what expire_at_browser_close reads
  static constexpr std::array<std::string_view, 2> data_keys{kSessionExpiryKey, kSessionCreatedAtKey};
  std::chrono::seconds lifetime{std::chrono::hours{8}};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& /*settings*/,
                                                TimePoint modification) const {
    return detail::remaining_lifetime(data, lifetime, modification);
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return false; }
  void on_create(Data& data, TimePoint now) const { detail::stamp_creation(data, now); }
};

struct IdleAbsolute {
  using data_keys_policy = IdleAbsolute;
  static constexpr std::array<std::string_view, 2> data_keys{kSessionExpiryKey, kSessionCreatedAtKey};
  std::chrono::seconds idle{1800};
  std::chrono::seconds lifetime{std::chrono::hours{8}};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& /*settings*/,
                                                TimePoint modification) const {
    return std::min(clamp_expiry_age(idle), detail::remaining_lifetime(data, lifetime, modification));
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return true; }
  void on_create(Data& data, TimePoint now) const { detail::stamp_creation(data, now); }
};

}  // namespace sessions
// ---- end sessions/expiry/absolute.hpp ----
// ---- begin sessions/expiry/browser_session.hpp ----
// BrowserSession: the cookie never carries Max-Age or Expires, so it ends when the browser closes;
// the server keeps the record as Django would (SESSION_COOKIE_AGE, or set_expiry's value), so an
// abandoned session is still reclaimed.

namespace sessions {

struct BrowserSession : DjangoExpiry {
  using data_keys_policy = BrowserSession;  // DjangoExpiry's keys: it reads no other
  [[nodiscard]] bool expire_at_browser_close(const Data& /*data*/, const Settings& /*settings*/) const { return true; }
};

}  // namespace sessions
// ---- end sessions/expiry/browser_session.hpp ----

// ---- begin sessions/storage/cached.hpp ----
// CachedStore<Cache, Persistent>: Django's `cached_db` session backend for any two byte stores:
// a fast cache (RedisStore, MemcachedStore, MemoryStore) in front of a persistent store (an SQL
// store, FileStore, ...). The persistent store is the truth; the cache only saves reads.
//
//   load     the cache first; on a miss (or a cache error) the persistent store, and a record found
//            there is put back into the cache (create: never over an entry written meanwhile)
//   create   the persistent store (its answer is the answer), then the cache: create, or update if
//            a stale entry is in the way
//   update   the persistent store, then the cache entry if there is one (update only: a miss is
//            filled by the next load from the persistent record, and an entry a concurrent logout
//            deleted is not brought back into the cache)
//   touch    the persistent store, then the cache entry if there is one
//   update_if  (when the persistent store has it) compare-and-set on the persistent store; then
//            compare-and-set on the cache entry (or its removal); a conflict removes the entry
//   remove   the persistent store, then the cache (in this order: a load between the two finds the
//            old entry in the cache, never re-fills the cache from a record about to vanish)
//   exists   the cache, then the persistent store
//   clear_expired   the persistent store's (caches expire on their own; their count is ignored)
//   the per-user index (UserIndexStorage, user_index.hpp): offered when the persistent store
//            offers it, and kept there (the cache holds records only); the sessions a limit evicted
//            and the ones a purge removed are dropped from the cache too, so that a revoked session
//            is not served from it
//
// Outages of the cache are not fatal (Django: test_cache_set_failure_non_fatal): a StorageError
// (or LimitExceeded) from the cache is logged at error level on the category
// "sessions.storage.cached" and the persistent store serves alone, so nothing is lost. A failed
// write to the cache leaves the cache entry suspect (it may hold the data the write replaced, or a
// session that was deleted): its removal is tried at once, and when that fails too, the key is
// remembered (at most Options::max_pending keys) and the cache is not read for it until the removal
// succeeds. This protects the requests of this process; other processes sharing the cache can still
// be served such an entry after an outage that kept the cache's data (a network partition; a
// restarted Redis or memcached without persistence is empty), until it expires or is written again,
// as with Django's cached_db. Errors of the persistent store are the caller's, as with any store.
//
// A load that reads the persistent record just before a concurrent update and fills the cache just
// after it leaves the previous data in the cache until the next write or its expiry (the usual race
// of a cache filled on reads; Django's cached_db has it too).
//
// Both stores are held by reference and must outlive the CachedStore. Thread-safe when both are.

#include <unordered_set>

// ---- begin sessions/user_index.hpp ----
// Every session of a user: the optional per-user index a listing store keeps beside its records,
// so that an application can answer "where is this user logged in?", log a user out everywhere
// and cap the number of sessions a user holds.
//
// The user is the session's `_auth_user_id` (the key Django's login() writes), so sessions that
// Django wrote are indexed too once `reindex` has read them. The index lives beside the records
// (a side table, a sorted set, a map): the records themselves, and Django's `django_session`
// table, are unchanged.
//
// An entry carries the expiry of its session and goes away with it: a store's clear_expired() and
// purge_expired() remove the entries of the sessions they remove, in the same step, and a listing
// drops (and deletes) the dead entries it meets. Nothing in the index outlives its session for
// longer than one purge interval, so the index cannot grow without bound (the failure of indexes
// kept apart from expiry).
//
// A store offers the index by providing the UserIndexStorage operations below; a store that cannot
// list its records (memcached, cookies) does not, and asking for the index of such a store fails
// to compile, naming the missing operation.

namespace sessions {

/// What the index records of one session. `created` is kept from the first time the session was
/// indexed; the rest is refreshed by every save. `user_agent` and `address` are what the
/// application chose to record (empty otherwise); they are shown, never trusted.
struct SessionDetails {
  TimePoint created{};
  TimePoint last_seen{};
  TimePoint expires_at{};
  std::string user_agent{};
  std::string address{};
};

/// One session of a user, as a listing returns it. `key` is the whole session key, which an
/// application needs to revoke the session; show `key_prefix()` to people and to logs, never the
/// key itself.
struct UserSession {
  std::string key;
  SessionDetails details;

  [[nodiscard]] std::string_view key_prefix() const noexcept {
    return std::string_view(key).substr(0, key.size() < 8 ? key.size() : 8);
  }
};

/// What index_session() did.
struct IndexOutcome {
  /// The limit refused the session (UserSessionLimit::AtLimit::refuse_new); nothing was indexed.
  bool refused = false;
  /// Sessions the limit evicted (their records and entries are already deleted).
  std::vector<std::string> evicted{};
};

/// A session the purge removed because it had expired (for the `expired` event).
struct PurgedSession {
  std::string key;
  /// Empty when the session was not indexed.
  std::string user_id;
};

// ---------------------------------------------------------------------------------------------
// The per-user index, a store's optional capability (a ServerStorage that also provides):
//
//   s.index_session(user_id, key, details, limit) -> IndexOutcome
//        insert or refresh the entry of `key` under `user_id` (keeping `created` if the entry
//        exists, and its user_agent and address when `details` brings them empty; an entry of
//        `key` under another user moves to this one); with a limit, atomically against concurrent logins of the same user: two
//        sessions indexed at once never both pass a limit that has room for one.
//   s.unindex_session(user_id, key) -> void
//        remove the entry (the session logged out, was deleted, or moved to another key).
//   s.user_sessions(user_id, now) -> std::vector<UserSession>
//        the user's live sessions, oldest `created` first; entries whose session is gone or
//        expired are not returned (and may be deleted on the way).
//   s.purge_expired(batch, now) -> std::vector<PurgedSession>
//        remove at most `batch` expired records and their entries in one bounded step (no long
//        lock); an empty result means nothing expired is left.
//   s.for_each_session(fn) -> void
//        call fn(key, payload, expires_at) for each live record, for `reindex` (the index built
//        from existing sessions, e.g. ones Django wrote).
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept index_session = requires(S& s, std::string_view user, std::string_view key, const SessionDetails& d,
                                 const UserSessionLimit& limit) {
  { s.index_session(user, key, d, limit) } -> std::same_as<IndexOutcome>;
};

template <class S>
concept unindex_session = requires(S& s, std::string_view user, std::string_view key) {
  s.unindex_session(user, key);
};

template <class S>
concept user_sessions = requires(S& s, std::string_view user, TimePoint now) {
  { s.user_sessions(user, now) } -> std::same_as<std::vector<UserSession>>;
};

template <class S>
concept purge_expired = requires(S& s, std::size_t batch, TimePoint now) {
  { s.purge_expired(batch, now) } -> std::same_as<std::vector<PurgedSession>>;
};

template <class S>
concept for_each_session = storage_payload_type<S> &&
    requires(S& s, const std::function<void(std::string_view, const typename S::payload_type&, TimePoint)>& fn) {
  s.for_each_session(fn);
};

}  // namespace requirement

/// A server store that keeps the per-user index.
template <class S>
concept UserIndexStorage = ServerStorage<S> && requirement::index_session<S> && requirement::unindex_session<S> &&
    requirement::user_sessions<S> && requirement::purge_expired<S> && requirement::for_each_session<S>;

}  // namespace sessions
// ---- end sessions/user_index.hpp ----
// ---- begin sessions/storage/detail/store_options.hpp ----
// The store convention's shared pieces (docs/writing-policies.md, "The convention the library's
// stores follow"): every store has a nested Options with a Clock and a Logger, a static
// options_from_url(url, base), a constructor from a URL that takes the clock and the logger
// besides, one validation of sizes and timeouts, and one error format, built on these.

// ---- begin sessions/storage/url.hpp ----
// Store URLs: one small parser for every store that is configured with a URL.
//
//   scheme://[user[:password]@]host[:port][,host[:port]...][/path][?name=value&...]
//   scheme:path[?query]                   (no authority: e.g. sqlite:relative.db)
//
// Examples:  sqlite:///var/lib/app/sessions.db        (absolute path "/var/lib/app/sessions.db")
//            sqlite://data/sessions.db                (relative: see SqliteStore)
//            postgresql://app:s%40cret@db1:5432,db2/app?sslmode=require
//            postgresql:///app?host=/var/run/postgresql   (unix socket)
//            redis://:password@127.0.0.1:6379/0   rediss://...   unix:///run/redis.sock
//            memcached://10.0.0.1:11211,10.0.0.2:11211
//
// What the parser does, and nothing more: splits the parts, lower-cases the scheme, percent-decodes
// user, password, hosts, path and query names and values (`+` stays a `+`: these are URLs, not
// HTML forms), checks ports (1..65535) and IPv6 literals (`[::1]:6379`). What a part means is the
// store's business (Url::take / take_integer / ... consume the query parameters a store knows, and
// reject_unknown_parameters() refuses the rest, so a typo is an error rather than a silent default).
//
// Every malformed URL is a sessions::ConfigurationError. Messages never contain the password: they
// show Url::redacted() or, before a URL is parsed, the text with its userinfo masked.

namespace sessions {

/// One host of a URL's host list, percent-decoded (an IPv6 literal without its brackets).
struct UrlHost {
  std::string name;
  std::optional<std::uint16_t> port;
  bool ipv6 = false;  // written as [literal]

  friend bool operator==(const UrlHost&, const UrlHost&) = default;
};

struct Url {
  /// Lower case, e.g. "postgresql".
  std::string scheme;
  /// The URL had a `//` authority part (possibly empty, as in `sqlite:///abs`).
  bool has_authority = false;
  std::optional<std::string> username;
  std::optional<std::string> password;
  /// Empty when the authority names no host (`postgresql:///db`, `unix:///path`).
  std::vector<UrlHost> hosts;
  /// Percent-decoded; starts with '/' whenever there is an authority and a path.
  std::string path;
  /// Query parameters in order, percent-decoded. `?flag` gives {"flag", ""}.
  std::vector<std::pair<std::string, std::string>> query;

  /// The value of parameter `name` (its last occurrence), without consuming it.
  [[nodiscard]] std::optional<std::string> parameter(std::string_view name) const {
    std::optional<std::string> value;
    for (const auto& [k, v] : query) {
      if (k == name) value = v;
    }
    return value;
  }

  /// Removes parameter `name` and returns its value; nullopt when absent. Given twice, it is a
  /// ConfigurationError (which one was meant?).
  std::optional<std::string> take(std::string_view name) {
    std::optional<std::string> value;
    for (auto it = query.begin(); it != query.end();) {
      if (it->first == name) {
        if (value) throw ConfigurationError(where() + ": the parameter '" + std::string(name) + "' is given twice");
        value = std::move(it->second);
        it = query.erase(it);
      } else {
        ++it;
      }
    }
    return value;
  }

  /// take(name) as an integer in [min, max].
  std::optional<std::int64_t> take_integer(std::string_view name, std::int64_t min, std::int64_t max) {
    const std::optional<std::string> text = take(name);
    if (!text) return std::nullopt;
    std::int64_t value = 0;
    const char* first = text->data();
    const char* last = first + text->size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (text->empty() || ec != std::errc{} || ptr != last || value < min || value > max) {
      throw ConfigurationError(where() + ": the parameter '" + std::string(name) + "' must be an integer from " +
                               std::to_string(min) + " to " + std::to_string(max) + ", not '" + *text + "'");
    }
    return value;
  }

  /// take(name) as a number of milliseconds (a plain integer) in [0, max].
  std::optional<std::chrono::milliseconds> take_milliseconds(std::string_view name,
                                                             std::int64_t max = 24LL * 3600 * 1000) {
    const auto value = take_integer(name, 0, max);
    if (!value) return std::nullopt;
    return std::chrono::milliseconds{*value};
  }

  /// take(name) as a boolean: 1/0, true/false, yes/no, on/off (any case); `?flag` alone is true.
  std::optional<bool> take_bool(std::string_view name) {
    const std::optional<std::string> text = take(name);
    if (!text) return std::nullopt;
    std::string lower = *text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return ascii_lower(c); });
    if (lower.empty() || lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
    throw ConfigurationError(where() + ": the parameter '" + std::string(name) + "' must be true or false, not '" +
                             *text + "'");
  }

  /// A ConfigurationError naming every parameter still in `query` (call it after taking the
  /// known ones).
  void reject_unknown_parameters() const {
    if (query.empty()) return;
    std::string names;
    for (const auto& [k, v] : query) {
      if (!names.empty()) names += ", ";
      names += "'" + k + "'";
    }
    throw ConfigurationError(where() + ": unknown parameter" + (query.size() > 1 ? "s " : " ") + names);
  }

  /// The URL for messages and logs: the password replaced by "***", the query left out.
  [[nodiscard]] std::string redacted() const {
    std::string out = scheme + ":";
    if (has_authority) {
      out += "//";
      if (username || password) {
        out += username.value_or("");
        if (password) out += ":***";
        out += '@';
      }
      out += host_list();
    }
    out += path;
    return out;
  }

  /// "host:port,host:port" (IPv6 in brackets), as written minus the percent-encoding.
  [[nodiscard]] std::string host_list() const {
    std::string out;
    for (const UrlHost& h : hosts) {
      if (!out.empty()) out += ',';
      // Appended piece by piece: a temporary `"[" + name + "]"` makes g++ 12 -O2 warn -Wrestrict.
      if (h.ipv6) out += '[';
      out += h.name;
      if (h.ipv6) out += ']';
      if (h.port) {
        out += ':';
        out += std::to_string(*h.port);
      }
    }
    return out;
  }

  [[nodiscard]] static constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }

 private:
  [[nodiscard]] std::string where() const { return "URL " + redacted(); }
};

namespace detail::url {

[[nodiscard]] constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// `text` with any userinfo (between "//" and the last '@' of the authority) replaced by "***",
/// for error messages about a URL that could not be parsed.
[[nodiscard]] inline std::string mask(std::string_view text) {
  const std::size_t slashes = text.find("//");
  if (slashes == std::string_view::npos) return std::string(text);
  const std::size_t start = slashes + 2;
  const std::size_t end = text.find_first_of("/?#", start);
  const std::string_view authority = text.substr(start, end == std::string_view::npos ? text.npos : end - start);
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, start));
  out += "***";
  out += text.substr(start + at);
  return out;
}

[[noreturn]] inline void fail(std::string_view text, std::string_view why) {
  throw ConfigurationError("invalid URL '" + mask(text) + "': " + std::string(why));
}

/// Percent-decodes `part`; a stray '%' or a decoded NUL is an error.
[[nodiscard]] inline std::string decode(std::string_view text, std::string_view part, std::string_view what) {
  std::string out;
  out.reserve(part.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= part.size()) fail(text, std::string("a truncated %-escape in the ") + std::string(what));
    const int hi = hex_value(part[i + 1]);
    const int lo = hex_value(part[i + 2]);
    if (hi < 0 || lo < 0) fail(text, std::string("an invalid %-escape in the ") + std::string(what));
    const char decoded = static_cast<char>((hi << 4) | lo);
    if (decoded == '\0') fail(text, std::string("%00 in the ") + std::string(what));
    out += decoded;
    i += 2;
  }
  return out;
}

[[nodiscard]] inline UrlHost parse_host(std::string_view text, std::string_view item) {
  UrlHost host;
  std::string_view port_text;
  bool has_port = false;
  if (!item.empty() && item.front() == '[') {
    const std::size_t close = item.find(']');
    if (close == std::string_view::npos) fail(text, "an IPv6 address without its closing ']'");
    // An address, optionally with a zone (RFC 6874: `[fe80::1%25eth0]`).
    const std::string literal = decode(text, item.substr(1, close - 1), "IPv6 address");
    const std::size_t zone = literal.find('%');
    const std::string_view address = std::string_view(literal).substr(0, zone);
    bool ok = !address.empty() && address.find(':') != std::string_view::npos &&
              address.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
    if (ok && zone != std::string::npos) {
      const std::string_view name = std::string_view(literal).substr(zone + 1);
      ok = !name.empty();
      for (const char c : name) ok = ok && (is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.' || c == '~');
    }
    if (!ok) fail(text, "an invalid IPv6 address");
    host.name = literal;
    host.ipv6 = true;
    const std::string_view rest = item.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') fail(text, "unexpected characters after an IPv6 address");
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    const std::size_t colon = item.rfind(':');
    std::string_view name = item;
    if (colon != std::string_view::npos) {
      name = item.substr(0, colon);
      port_text = item.substr(colon + 1);
      has_port = true;
      if (name.find(':') != std::string_view::npos) fail(text, "an IPv6 address must be written in brackets");
    }
    host.name = decode(text, name, "host");
  }
  if (has_port && !port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535 ||
        !is_digit(port_text.front())) {
      fail(text, "the port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    host.port = static_cast<std::uint16_t>(value);
  }
  if (host.name.empty() && host.port) fail(text, "a port without a host");
  return host;
}

}  // namespace detail::url

/// The scheme of `text`, lower case, without parsing the rest: "sqlite" for `sqlite:/tmp/x.db`
/// (no authority, RFC 3986's form for an absolute path, as `file:/dir`) as for
/// `sqlite:///tmp/x.db`. For choosing a store by URL; ConfigurationError when there is no scheme.
[[nodiscard]] inline std::string url_scheme(std::string_view text) {
  const std::size_t colon = text.find(':');
  bool ok = colon != std::string_view::npos && colon != 0 && detail::url::is_alpha(text.front());
  std::string scheme;
  for (std::size_t i = 0; ok && i < colon; ++i) {
    const char c = text[i];
    ok = detail::url::is_alpha(c) || detail::url::is_digit(c) || c == '+' || c == '-' || c == '.';
    scheme += Url::ascii_lower(c);
  }
  if (!ok) detail::url::fail(text, "no scheme: a store URL starts with one, e.g. 'sqlite:' or 'redis:'");
  return scheme;
}

/// Parses `text`; ConfigurationError when it is not a well-formed URL.
[[nodiscard]] inline Url parse_url(std::string_view text) {
  using namespace detail::url;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) fail(text, "spaces and control characters must be %-encoded");
  }
  Url url;
  // scheme
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(text.front()))
    fail(text, "no scheme (e.g. 'sqlite:')");
  for (const char c : text.substr(0, colon)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') fail(text, "an invalid scheme");
    url.scheme += Url::ascii_lower(c);
  }
  std::string_view rest = text.substr(colon + 1);
  // fragment: no store has a use for one, and a raw '#' in a password would silently cut the URL
  if (rest.find('#') != std::string_view::npos) fail(text, "a '#' (write it as %23 in a password)");
  // query
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // authority
  if (rest.starts_with("//")) {
    url.has_authority = true;
    rest.remove_prefix(2);
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      authority.remove_prefix(at + 1);
      const std::size_t sep = userinfo.find(':');
      url.username = decode(text, userinfo.substr(0, sep), "user name");
      if (sep != std::string_view::npos) url.password = decode(text, userinfo.substr(sep + 1), "password");
    }
    if (!authority.empty()) {
      std::size_t start = 0;
      for (;;) {
        const std::size_t comma = authority.find(',', start);
        const std::string_view item =
            authority.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (item.empty()) fail(text, "an empty entry in the host list");
        url.hosts.push_back(parse_host(text, item));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      for (const UrlHost& h : url.hosts) {
        if (h.name.empty()) fail(text, "an empty host name");
      }
    }
  }
  url.path = decode(text, rest, "path");
  // query parameters
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const std::size_t amp = query.find('&', start);
    const std::string_view item =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!item.empty()) {
      const std::size_t eq = item.find('=');
      std::string name = decode(text, item.substr(0, eq), "query");
      if (name.empty()) fail(text, "a query parameter without a name");
      std::string value = eq == std::string_view::npos ? std::string() : decode(text, item.substr(eq + 1), "query");
      url.query.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return url;
}

}  // namespace sessions
// ---- end sessions/storage/url.hpp ----

namespace sessions::detail {

/// `options` with its clock and logger replaced.
template <class Options>
[[nodiscard]] Options with_clock_and_logger(Options options, Clock clock, Logger logger) {
  options.clock = clock;
  options.logger = logger;
  return options;
}

/// The one rule for a store's timeouts (a wait for a lock, a connection, an answer): positive, or
/// a ConfigurationError naming the store and the option. Clamping 0 to something small instead
/// would hide a configuration mistake behind a store that fails under the first load.
inline void require_positive(std::string_view store, std::string_view option, std::chrono::milliseconds value) {
  if (value > std::chrono::milliseconds::zero()) return;
  throw ConfigurationError(std::string(store) + ": " + std::string(option) + " must be positive (got " +
                           std::to_string(value.count()) + " ms)");
}

/// The one rule for a store's sizes and counts (connections, bytes, rows per batch): at least 1,
/// or a ConfigurationError naming the store and the option.
inline void require_at_least_one(std::string_view store, std::string_view option, std::size_t value) {
  if (value >= 1) return;
  throw ConfigurationError(std::string(store) + ": " + std::string(option) + " must be at least 1");
}

/// parse_url(text) for `store`: a ConfigurationError unless the scheme is one of `schemes` (the
/// message names the first as the one to write).
[[nodiscard]] inline Url parse_store_url(std::string_view store, std::string_view text,
                                         std::initializer_list<std::string_view> schemes) {
  Url url = parse_url(text);
  for (const std::string_view scheme : schemes) {
    if (url.scheme == scheme) return url;
  }
  throw ConfigurationError(std::string(store) + ": the URL " + url.redacted() + " does not start with " +
                           std::string(*schemes.begin()) + ":");
}

/// The path a URL of a local file or directory names: `scheme:///absolute`, `scheme:/absolute`,
/// `scheme:relative` or `scheme://relative/path` (the "host" is then the first segment; an
/// authority cannot name a relative path otherwise). A user, a password, a port or a host list is
/// a ConfigurationError, and so is an empty path.
[[nodiscard]] inline std::string url_local_path(std::string_view store, const Url& url) {
  const std::string where = std::string(store) + ": the URL " + url.redacted();
  if (url.username || url.password) throw ConfigurationError(where + " has a user or password; a local file has none");
  std::string path = url.path;
  if (!url.hosts.empty()) {
    if (url.hosts.size() != 1 || url.hosts.front().port || url.hosts.front().ipv6) {
      throw ConfigurationError(where + " names a server; write " + url.scheme + ":///absolute/path or " + url.scheme +
                               "://relative/path");
    }
    path = url.hosts.front().name + url.path;
  }
  if (path.empty() || path == "/") throw ConfigurationError(where + " names no path");
  return path;
}

/// `Store::op: what (where, session abcd...)`: every store's error format. `where` is the server
/// (host:port, a host list, a database file, a directory; empty for a store that has none, such
/// as CachedStore); the session key, when there is one, is shortened by loggable_key_prefix() so
/// that a message never carries a whole key. Parts that are empty are left out.
[[nodiscard]] inline std::string store_message(std::string_view store, std::string_view op, std::string_view where,
                                               std::string_view key, std::string_view what) {
  std::string out(store);
  out += "::";
  out += op;
  out += ": ";
  out += what;
  if (where.empty() && key.empty()) return out;
  out += " (";
  out += where;
  if (!key.empty()) {
    if (!where.empty()) out += ", ";
    out += "session ";
    out += loggable_key_prefix(key);
    out += "...";
  }
  out += ')';
  return out;
}

}  // namespace sessions::detail
// ---- end sessions/storage/detail/store_options.hpp ----

namespace sessions {

struct CachedStoreOptions {
  /// Where cache failures are reported (error level, category "sessions.storage.cached").
  Logger logger{};
  /// Most keys remembered as "cache entry suspect" at once (see the header comment); beyond it,
  /// further suspect keys are only logged.
  std::size_t max_pending = 10000;
};

template <class Cache, class Persistent>
requires ByteStorage<Cache> && ByteStorage<Persistent>
class CachedStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "CachedStore";
  using payload_type = std::string;
  /// The same bytes go to both stores: text when either keeps text (TextStorage).
  static constexpr bool text_payload = TextStorage<Cache> || TextStorage<Persistent>;
  using cache_type = Cache;
  using persistent_type = Persistent;
  using Options = CachedStoreOptions;

  static constexpr std::string_view kLogCategory = "sessions.storage.cached";

  CachedStore(Cache& cache, Persistent& persistent, Options options = {})
      : cache_(&cache), persistent_(&persistent), options_(std::move(options)) {}
  CachedStore(Cache& cache, Persistent& persistent, Logger logger)
      : CachedStore(cache, persistent, Options{logger, Options{}.max_pending}) {}

  CachedStore(const CachedStore&) = delete;
  CachedStore& operator=(const CachedStore&) = delete;

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) {
    if (!cache_trusted("load", key)) return persistent_->load(key);
    try {
      auto cached = cache_->load(key);
      if (cached) return cached;
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("load", key, "reading the cache", e);
      return persistent_->load(key);  // the cache is down: no point filling it
    }
    auto record = persistent_->load(key);
    if (record) {
      try {
        (void)cache_->create(key, record->payload, record->expires_at);
      } catch (const Error& e) {
        if (!cache_failure(e)) throw;
        report("load", key, "filling the cache", e);  // it had no entry: nothing stale to forget
      }
    }
    return record;
  }

  [[nodiscard]] bool create(std::string_view key, const std::string& payload, TimePoint expires_at) {
    if (!persistent_->create(key, payload, expires_at)) return false;
    if (!cache_trusted("create", key)) return true;
    try {
      if (!cache_->create(key, payload, expires_at)) (void)cache_->update(key, payload, expires_at);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("create", key, "writing the cache", e);
      forget(key);
    }
    return true;
  }

  [[nodiscard]] bool update(std::string_view key, const std::string& payload, TimePoint expires_at) {
    if (!persistent_->update(key, payload, expires_at)) {
      forget(key);  // the record is gone: a cache entry left over must not outlive it
      return false;
    }
    if (!cache_trusted("update", key)) return true;
    try {
      (void)cache_->update(key, payload, expires_at);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("update", key, "writing the cache", e);
      forget(key);
    }
    return true;
  }

  /// Compare-and-set (lost-update protection), when the persistent store has update_if: the
  /// persistent store decides. Then the cache: compare-and-set too when it can (so two requests
  /// refreshing it in the wrong order leave it empty, never stale), else its entry is removed. A
  /// conflict or a missing record removes the cache entry: the version this request compared
  /// with may have come from a stale cache, and the reload of a merge must see the truth.
  [[nodiscard]] CasResult update_if(std::string_view key, const std::string& payload, TimePoint expires_at,
                                    const std::string& expected) requires requirement::storage_update_if<Persistent> {
    const CasResult result = persistent_->update_if(key, payload, expires_at, expected);
    if (result != CasResult::written) {
      forget(key);
      return result;
    }
    if (!cache_trusted("update_if", key)) return result;
    try {
      if constexpr (requirement::storage_update_if<Cache>) {
        if (cache_->update_if(key, payload, expires_at, expected) == CasResult::conflict) forget(key);
      } else {
        forget(key);
      }
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("update_if", key, "writing the cache", e);
      forget(key);
    }
    return result;
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    if (!persistent_->touch(key, expires_at)) {
      forget(key);
      return false;
    }
    if (!cache_trusted("touch", key)) return true;
    try {
      (void)cache_->touch(key, expires_at);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("touch", key, "writing the cache", e);
      forget(key);
    }
    return true;
  }

  void remove(std::string_view key) {
    persistent_->remove(key);
    forget(key);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (cache_trusted("exists", key)) {
      try {
        if (cache_->exists(key)) return true;
      } catch (const Error& e) {
        if (!cache_failure(e)) throw;
        report("exists", key, "reading the cache", e);
      }
    }
    return persistent_->exists(key);
  }

  std::size_t clear_expired() {
    try {
      (void)cache_->clear_expired();
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("clear_expired", {}, "clearing the cache", e);
    }
    return static_cast<std::size_t>(persistent_->clear_expired());
  }

  // --- the per-user index, when the persistent store keeps one -------------------------------

  [[nodiscard]] IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                                           const UserSessionLimit& limit) requires UserIndexStorage<Persistent> {
    IndexOutcome outcome = persistent_->index_session(user, key, details, limit);
    for (const std::string& evicted : outcome.evicted) forget(evicted);
    return outcome;
  }

  void unindex_session(std::string_view user, std::string_view key) requires UserIndexStorage<Persistent> {
    persistent_->unindex_session(user, key);
  }

  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user,
                                                       TimePoint now) requires UserIndexStorage<Persistent> {
    return persistent_->user_sessions(user, now);
  }

  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch,
                                                         TimePoint now) requires UserIndexStorage<Persistent> {
    std::vector<PurgedSession> purged = persistent_->purge_expired(batch, now);
    for (const PurgedSession& p : purged) forget(p.key);
    return purged;
  }

  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) requires
      UserIndexStorage<Persistent> {
    persistent_->for_each_session(fn);
  }

  [[nodiscard]] Cache& cache() noexcept { return *cache_; }
  [[nodiscard]] Persistent& persistent() noexcept { return *persistent_; }

  /// Keys whose cache entry is suspect and could not be removed yet.
  [[nodiscard]] std::size_t pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

 private:
  // Heterogeneous lookup: no std::string per request on the hot path.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };

  // The errors that mean "the cache cannot help now" rather than a bug in the caller.
  static bool cache_failure(const Error& e) noexcept {
    return dynamic_cast<const StorageError*>(&e) != nullptr || dynamic_cast<const LimitExceeded*>(&e) != nullptr;
  }

  // False when the cache entry of `key` is suspect and still cannot be removed: do not use the
  // cache for it. A suspect entry that can be removed now is, and the key is trusted again.
  bool cache_trusted(std::string_view op, std::string_view key) {
    if (pending_count_.load(std::memory_order_acquire) == 0) return true;
    {
      std::lock_guard lock(mutex_);
      if (pending_.find(key) == pending_.end()) return true;
    }
    try {
      cache_->remove(key);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report(op, key, "removing a suspect cache entry", e);
      return false;
    }
    trust_again(key);
    return true;
  }

  void trust_again(std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(key);
    if (it != pending_.end()) {
      pending_.erase(it);
      pending_count_.store(pending_.size(), std::memory_order_release);
    }
  }

  // Removes the cache entry of `key`; when the cache cannot be reached, remembers the key.
  void forget(std::string_view key) {
    try {
      cache_->remove(key);
      if (pending_count_.load(std::memory_order_acquire) != 0) trust_again(key);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      bool remembered = false;
      {
        std::lock_guard lock(mutex_);
        if (pending_.size() < options_.max_pending) {
          pending_.emplace(key);
          pending_count_.store(pending_.size(), std::memory_order_release);
          remembered = true;
        }
      }
      report("forget", key,
             remembered ? "removing a suspect cache entry (the cache is not read for this session until it is removed)"
                        : "removing a suspect cache entry (too many pending already: the entry may be served until it "
                          "expires)",
             e);
    }
  }

  void report(std::string_view op, std::string_view key, std::string_view what, const Error& e) const {
    std::string message = detail::store_message("CachedStore", op, {}, key, "error " + std::string(what));
    message += "; continuing with the persistent store: ";
    message += e.what();
    options_.logger(LogLevel::error, kLogCategory, message);
  }

  Cache* cache_;
  Persistent* persistent_;
  Options options_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string, KeyHash, std::equal_to<>> pending_;
  std::atomic<std::size_t> pending_count_{0};
};

}  // namespace sessions
// ---- end sessions/storage/cached.hpp ----
// ---- begin sessions/storage/encrypted_cookie.hpp ----
// EncryptedCookieStore: the session data travels in the cookie, sealed with AES-256-GCM, so the
// client can neither read nor change it (Rails' and actix-session's private cookies; Django has
// no such backend).
//
// Cookie value: `e1.` KID `.` base64url(nonce || ciphertext || tag)
//   - KID: 6 characters naming the key (base64url of 4 bytes of SHA-256 of the derived key), so
//     the reader picks the right key at once; rotation keeps old keys as fallbacks.
//   - Key: HKDF-SHA256 of the secret (salt "sessions.EncryptedCookieStore", info "aes-256-gcm
//     v1"): the cookie key is never the raw secret, and differs from the signing keys that
//     Django derives from the same secret.
//   - Nonce: 96 random bits per write, so two writes of the same data differ.
//   - Plaintext: the issue time (8 bytes, big-endian Unix seconds), a format byte (0: JSON,
//     1: zlib-compressed JSON, used when smaller), then the JSON text.
//   - Associated data: the cookie name, so a value cannot be moved into another encrypted
//     cookie sealed with the same secret.
// A cookie older than SESSION_COOKIE_AGE is SignatureExpired; any tampering is BadSignature, and
// so is any base64 but the canonical form written (so the cookie string is an identity).
// Nonce budget: random 96-bit nonces are safe for about 2^32 writes per key (NIST SP 800-38D);
// the store does not count them (a count in one process would not see the others sharing the
// secret): rotate the secret (keeping the old one as a fallback) well before that many writes.

namespace sessions {

class EncryptedCookieStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "EncryptedCookieStore";
  static constexpr bool client_side = true;
  static constexpr std::string_view kPrefix = "e1.";
  static constexpr std::size_t kKidLength = 6;

  struct Options {
    /// The secret the key is derived from (e.g. Django's SECRET_KEY).
    std::string secret_key;
    /// Older secrets: their cookies are still read, never written (key rotation).
    std::vector<std::string> fallback_keys{};
    /// Bound on the decompressed JSON.
    std::size_t max_decompressed_size = 64 * 1024;
    /// Bound on the memory a cookie's parsed data holds (detail::bounded_memory_size; 0: none):
    /// 64 KB of JSON can parse to ~20 times that. A cookie over it is refused (LimitExceeded: an
    /// empty session, logged), and encode() refuses to write one.
    std::size_t max_decoded_bytes = 256 * 1024;
  };

  explicit EncryptedCookieStore(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : EncryptedCookieStore(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit EncryptedCookieStore(const Options& options)
      : max_decompressed_size_(options.max_decompressed_size),
        max_decoded_bytes_(options.max_decoded_bytes == 0 ? std::numeric_limits<std::size_t>::max()
                                                          : options.max_decoded_bytes) {
    if (options.secret_key.empty()) throw ConfigurationError("EncryptedCookieStore needs a non-empty secret key");
    keys_.push_back(derive(options.secret_key));
    for (const std::string& fallback : options.fallback_keys) {
      if (fallback.empty()) throw ConfigurationError("EncryptedCookieStore: a fallback key must not be empty");
      keys_.push_back(derive(fallback));
    }
  }

  /// Issue times (seconds since the epoch) that TimePoint can hold, both ways.
  static constexpr std::int64_t kIssueTimeLimit =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();

  [[nodiscard]] std::string encode(const Data& data, const Settings& settings, TimePoint now) const {
    const std::string json = JsonSerializer{}.dumps(data);
    const std::string compressed = signing::zlib_compress(json);
    const bool use_zlib = compressed.size() < json.size();
    const std::string& body = use_zlib ? compressed : json;

    // decode() accepts the issue times TimePoint can hold in whole seconds; a clock outside them
    // (before 1677 or after 2262) would write a cookie that never decodes.
    const std::int64_t issued_seconds = unix_seconds(now);
    if (issued_seconds > kIssueTimeLimit || issued_seconds < -kIssueTimeLimit) {
      throw EncodeError("the clock is outside the range of issue times an encrypted cookie can carry");
    }
    std::string plaintext;
    plaintext.reserve(9 + body.size());
    const auto issued = static_cast<std::uint64_t>(issued_seconds);
    for (int shift = 56; shift >= 0; shift -= 8) plaintext.push_back(static_cast<char>((issued >> shift) & 0xFF));
    plaintext.push_back(use_zlib ? '\1' : '\0');
    plaintext += body;

    const Key& key = keys_.front();
    const std::vector<unsigned char> sealed =
        crypto::aes256gcm_seal(key.aes, crypto::as_bytes(plaintext), crypto::as_bytes(settings.cookie_name));
    std::string value;
    value.reserve(kPrefix.size() + kKidLength + 1 + sealed.size() * 4 / 3 + 4);
    value.append(kPrefix).append(key.kid).append(".").append(signing::b64_encode(crypto::ByteView(sealed)));

    const std::size_t size = settings.cookie_name.size() + 1 + value.size();
    if (size > cookie::kMaxSetCookieBytes) {
      throw CookieTooLarge("the session is too large for a cookie: " + std::to_string(size) +
                           " bytes of name and value, over the " + std::to_string(cookie::kMaxSetCookieBytes) +
                           "-byte limit; keep less in the session or use a server-side store");
    }
    // Never issue a cookie decode() would refuse (its JSON over max_decompressed_size when
    // compressed, its data over max_decoded_bytes); an uncompressed body that large is over the
    // cookie size anyway, and CookieTooLarge above said so.
    if (use_zlib && json.size() > max_decompressed_size_) {
      throw LimitExceeded("the session's JSON is " + std::to_string(json.size()) +
                          " bytes, over the encrypted cookie store's max_decompressed_size (" +
                          std::to_string(max_decompressed_size_) + ")");
    }
    check_decoded_size(data);
    return value;
  }

  [[nodiscard]] ClientRecord decode(std::string_view value, const Settings& settings, TimePoint now) const {
    if (!value.starts_with(kPrefix) || value.size() < kPrefix.size() + kKidLength + 1 ||
        value[kPrefix.size() + kKidLength] != '.') {
      throw BadSignature("not an encrypted session cookie");
    }
    const std::string_view kid = value.substr(kPrefix.size(), kKidLength);
    const Key* key = nullptr;
    for (const Key& candidate : keys_) {
      if (candidate.kid == kid) {
        key = &candidate;
        break;
      }
    }
    if (key == nullptr) throw BadSignature("the cookie was sealed with an unknown key");
    // Strict: only the canonical base64url that encode() writes. Django's lenient decoder would
    // also take inserted dots, padding and other padding bits, so that many strings decoded to
    // one cookie; with the canonical form only, the cookie string is its identity.
    const std::string_view text = value.substr(kPrefix.size() + kKidLength + 1);
    std::string sealed;
    try {
      sealed = signing::b64_decode(text);
    } catch (const Error&) {
      throw BadSignature("the encrypted cookie is not valid base64");
    }
    if (signing::b64_encode(sealed) != text) throw BadSignature("the encrypted cookie is not canonical base64");
    const auto plaintext =
        crypto::aes256gcm_open(key->aes, crypto::as_bytes(sealed), crypto::as_bytes(settings.cookie_name));
    if (!plaintext || plaintext->size() < 9) throw BadSignature("the encrypted cookie does not authenticate");

    std::uint64_t issued = 0;
    for (std::size_t i = 0; i < 8; ++i) issued = (issued << 8) | (*plaintext)[i];
    // Authenticated, but a key holder can seal any 8 bytes: an issue time TimePoint cannot hold,
    // or `now - issued_at` over centuries, would overflow (undefined behaviour; found by
    // tests/fuzz/encrypted_cookie.cpp). So: range-check, and measure the age in whole seconds.
    const auto issued_seconds = static_cast<std::int64_t>(issued);
    if (issued_seconds > kIssueTimeLimit || issued_seconds < -kIssueTimeLimit) {
      throw DecodeError("the encrypted cookie has an issue time out of range");
    }
    const TimePoint issued_at{std::chrono::seconds{issued_seconds}};
    // now - issued_at > cookie_age, exactly: whole seconds apart, plus now's fraction of a second.
    const std::int64_t whole = unix_seconds(now) - issued_seconds;  // both within +-2^34: no overflow
    const bool fraction = now.time_since_epoch() % std::chrono::seconds{1} != TimePoint::duration::zero();
    if (whole > settings.cookie_age.count() || (fraction && whole == settings.cookie_age.count())) {
      throw SignatureExpired("the encrypted cookie is older than the cookie age");
    }

    const std::string_view body(reinterpret_cast<const char*>(plaintext->data()) + 9, plaintext->size() - 9);
    const unsigned char format = (*plaintext)[8];
    if (format > 1) throw DecodeError("the encrypted cookie has an unknown format");
    const std::string json = format == 1 ? signing::zlib_decompress(body, max_decompressed_size_) : std::string(body);
    Data data = JsonSerializer{}.loads(json);
    check_decoded_size(data);
    return ClientRecord{std::move(data), issued_at};
  }

  [[nodiscard]] bool accepts(std::string_view value) const noexcept {
    if (value.size() > cookie::kMaxSetCookieBytes || !value.starts_with(kPrefix)) return false;
    for (const char c : value) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.';
      if (!ok) return false;
    }
    return true;
  }

 private:
  void check_decoded_size(const Data& data) const {
    if (sessions::detail::bounded_memory_size(data, max_decoded_bytes_) > max_decoded_bytes_) {
      throw LimitExceeded("the session's data holds more than the encrypted cookie store's max_decoded_bytes (" +
                          std::to_string(max_decoded_bytes_) + ")");
    }
  }

  struct Key {
    crypto::Aes256GcmKey aes;
    std::string kid;
  };

  static Key derive(std::string_view secret) {
    Key key{crypto::hkdf_sha256_key<crypto::aes256gcm_key_size>(crypto::as_bytes(secret),
                                                                crypto::as_bytes("sessions.EncryptedCookieStore"),
                                                                crypto::as_bytes("aes-256-gcm v1")),
            {}};
    const auto digest = crypto::sha256(crypto::ByteView(key.aes));
    key.kid = signing::b64_encode(crypto::ByteView(digest.data(), 4)).substr(0, kKidLength);
    return key;
  }

  std::vector<Key> keys_;
  std::size_t max_decompressed_size_;
  std::size_t max_decoded_bytes_;
};

}  // namespace sessions
// ---- end sessions/storage/encrypted_cookie.hpp ----
// ---- begin sessions/storage/file.hpp ----
// FileStore: Django's file backend (django.contrib.sessions.backends.file), hardened. Linux/POSIX.
//
// One file per session, `<directory>/<cookie_name><key>`, holding exactly the payload; its mtime
// encodes the expiry (Options::mtime_meaning: the expiry itself, or Django's last write + cookie
// age for a directory shared with Django). Every write goes to a temporary file in the directory
// and is published atomically (link() for create, renameat2(RENAME_EXCHANGE) for update, so a
// session removed meanwhile is never brought back). Nothing is opened through a symlink, files of
// other users are no sessions, oversized files are corrupted ones. Replacing or removing an
// existing entry holds an flock on `<cookie_name>.lock`, taken with a deadline
// (Options::lock_timeout, StorageTimeout). One instance serves every thread. The reasoning behind
// each of these choices, and what sharing a directory with Django implies, is in
// docs/file-store.md.
//
//   sessions::FileStore store("file:///var/lib/app/sessions?mtime_meaning=last_write");
//   sessions::FileStore from_django{sessions::FileStore::options_from_settings(settings)};
//
// The per-user index (user_index.hpp) lives in `<cookie_name>.user_index/` beside the files
// (detail/file_user_index.hpp), under a lock of its own; remove() and clear_expired() delete the
// entries of the files they delete once the index directory exists.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>  // mkostemp

// ---- begin sessions/storage/detail/file_io.hpp ----
// FileStore's system-call mechanics: descriptors, scratch files, renameat2, file times, temporary
// file names, and the directory lock with a deadline. FileStore (storage/file.hpp) composes them.

#include <dirent.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include <thread>

namespace sessions {

namespace detail::file_store {

inline constexpr std::string_view kLogCategory = "sessions.storage.file";
/// Longest file name on Linux file systems (NAME_MAX).
inline constexpr std::size_t kNameMax = 255;
/// The part a temporary file adds after the key: "_out_" + mkstemp's six characters.
inline constexpr std::size_t kTempSuffixLength = 11;

#ifdef RENAME_EXCHANGE
inline constexpr unsigned kRenameExchange = RENAME_EXCHANGE;
#else
inline constexpr unsigned kRenameExchange = 1u << 1;
#endif
#ifdef RENAME_NOREPLACE
inline constexpr unsigned kRenameNoReplace = RENAME_NOREPLACE;
#else
inline constexpr unsigned kRenameNoReplace = 1u << 0;
#endif

/// renameat2(2) with AT_FDCWD on both sides; -1 and errno as the system call.
inline int rename2(const char* from, const char* to, unsigned flags) noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
  return ::renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
#elif defined(SYS_renameat2)
  return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags));
#else
  (void)from;
  (void)to;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

/// True when renameat2 failed because the kernel or the file system lacks the flag.
[[nodiscard]] inline bool unsupported(int err) noexcept { return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP; }

[[nodiscard]] inline std::string errno_text(int err) { return std::generic_category().message(err); }

/// `t` as a timespec, floored to the second with 0 <= tv_nsec < 1e9 (never UTIME_NOW/UTIME_OMIT).
[[nodiscard]] inline timespec to_timespec(TimePoint t) noexcept {
  using std::chrono::duration_cast;
  const TimePoint::duration d = t.time_since_epoch();
  auto secs = duration_cast<std::chrono::seconds>(d);  // towards zero: |secs| <= |d|, no overflow
  auto rest = d - duration_cast<TimePoint::duration>(secs);
  if (rest < TimePoint::duration::zero()) {
    secs -= std::chrono::seconds{1};
    rest += duration_cast<TimePoint::duration>(std::chrono::seconds{1});
  }
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>(duration_cast<std::chrono::nanoseconds>(rest).count());
  return ts;
}

/// A file time as a TimePoint, saturated to the representable range.
[[nodiscard]] inline TimePoint from_timespec(const timespec& ts) noexcept {
  using Dur = TimePoint::duration;
  using std::chrono::duration_cast;
  constexpr auto kMaxSeconds = duration_cast<std::chrono::seconds>(Dur::max()).count() - 1;
  constexpr auto kMinSeconds = duration_cast<std::chrono::seconds>(Dur::min()).count() + 1;
  if (ts.tv_sec >= kMaxSeconds) return TimePoint::max();
  if (ts.tv_sec <= kMinSeconds) return TimePoint::min();
  return TimePoint{duration_cast<Dur>(std::chrono::seconds{ts.tv_sec}) +
                   duration_cast<Dur>(std::chrono::nanoseconds{ts.tv_nsec})};
}

[[nodiscard]] inline TimePoint mtime_of(const struct stat& st) noexcept { return from_timespec(st.st_mtim); }
[[nodiscard]] inline TimePoint ctime_of(const struct stat& st) noexcept { return from_timespec(st.st_ctim); }

/// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Closes now and reports close(2)'s errno (0 when fine). EINTR is not an error on Linux: the
  /// descriptor is released either way and must not be closed again.
  int close() noexcept {
    if (fd_ < 0) return 0;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc != 0 && errno != EINTR ? errno : 0;
  }
  void reset() noexcept { (void)close(); }

 private:
  int fd_;
};

/// A file in the store's directory that is unlinked when this object dies, unless released.
class ScratchFile {
 public:
  ScratchFile() = default;
  explicit ScratchFile(std::string path) noexcept : path_(std::move(path)) {}
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ScratchFile(ScratchFile&& other) noexcept : path_(std::exchange(other.path_, std::string{})) {}
  ScratchFile& operator=(ScratchFile&&) = delete;
  ~ScratchFile() {
    if (!path_.empty()) (void)::unlink(path_.c_str());
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const char* c_str() const noexcept { return path_.c_str(); }
  /// The file was consumed (renamed onto its destination): nothing left to unlink.
  void release() noexcept { path_.clear(); }

 private:
  std::string path_;
};

/// Reads all of `fd` into `out`, at most `limit` bytes (`size_hint`: what fstat said). 0 when
/// read, -1 when the file holds more than `limit`, else read(2)'s errno.
[[nodiscard]] inline int read_bounded(int fd, std::size_t size_hint, std::size_t limit, std::string& out) {
  out.resize(size_hint + 1);  // one spare byte notices a file that grew
  std::size_t len = 0;
  for (;;) {
    if (len == out.size()) {
      if (len > limit) return -1;
      out.resize(std::min(out.size() * 2, limit + 1));
    }
    const ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return err;
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
    if (len > limit) return -1;
  }
  out.resize(len);
  return 0;
}

/// Writes all of `bytes` to `fd`: 0, or write(2)'s errno (EIO when it wrote nothing).
[[nodiscard]] inline int write_all(int fd, std::string_view bytes) noexcept {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return err;
    }
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

/// Publishes `from` as `to` unless `to` exists: 0, EEXIST, or another errno. link(2) first; where
/// the file system has no hard links, renameat2(RENAME_NOREPLACE) (then `consumed` is set).
[[nodiscard]] inline int publish_noreplace(const std::string& from, const std::string& to, bool& consumed) noexcept {
  if (::link(from.c_str(), to.c_str()) == 0) return 0;
  const int err = errno;
  if (err != EPERM && err != EOPNOTSUPP && err != ENOSYS) return err;
  if (rename2(from.c_str(), to.c_str(), kRenameNoReplace) == 0) {
    consumed = true;
    return 0;
  }
  const int err2 = errno;
  return unsupported(err2) ? err : err2;
}

/// Calls `visit(name)` for every entry of the directory `dir` (`.` and `..` included); 0 when
/// every entry was visited, else opendir's or readdir's errno. `visit` may throw.
template <class Visit>
[[nodiscard]] int for_each_entry(const std::string& dir, Visit&& visit) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errno;
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{d};
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(d);
    if (entry == nullptr) return errno;
    visit(std::string_view(entry->d_name));
  }
}

/// UTIME_OMIT for futimens's access time: only the mtime carries meaning.
[[nodiscard]] constexpr timespec omit_time() noexcept {
  timespec ts{};
  ts.tv_nsec = UTIME_OMIT;
  return ts;
}

/// `rest` (a directory entry name after the cookie-name prefix) is `<valid key>_out_<suffix>` or
/// `<valid key>_old_<suffix>`: a temporary file of ours, or of Django (whose suffix is mkstemp's
/// eight characters of [a-z0-9_]).
[[nodiscard]] inline bool is_temp_name(std::string_view rest) noexcept {
  const std::size_t us = rest.find('_');
  if (us == std::string_view::npos || !is_valid_session_key(rest.substr(0, us))) return false;
  const std::string_view tail = rest.substr(us);
  if (!tail.starts_with("_out_") && !tail.starts_with("_old_")) return false;
  const std::string_view suffix = tail.substr(5);
  if (suffix.empty() || suffix.size() > 16) return false;
  for (const char c : suffix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// An exclusive flock on the directory's lock file, held for its lifetime. Taken only on the rare
/// paths that replace or remove an existing entry (create over a dead file, removal of an expired
/// one, update_if), so that two of them never interleave their check and their change.
///
/// The lock file lives in a directory other local users may reach (the default is the system temp
/// directory), so anyone able to open it could hold it forever. The lock is therefore taken with a
/// deadline: StorageTimeout when it is still held when the deadline passes, and StorageError when
/// the file cannot be opened (e.g. fs.protected_regular refusing a file another user planted).
/// Going on unlocked would let two replacements interleave, which the design rules out.
class DirectoryLock {
 public:
  /// `message(what)` turns "what" into the store's full error message.
  template <class Message>
  DirectoryLock(const std::string& path, std::chrono::milliseconds timeout, Message&& message)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600)) {
    if (fd_.get() < 0) {
      const int err = errno;
      throw StorageError(message("cannot open the lock file " + path + ": " + errno_text(err)));
    }
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw StorageError(message("the lock file " + path + " is not a regular file"));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds{100};
    for (;;) {
      if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return;
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EWOULDBLOCK) throw StorageError(message("cannot lock " + path + ": " + errno_text(err)));
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        throw StorageTimeout(message("the lock file " + path + " is still held by another process after " +
                                     std::to_string(timeout.count()) + " ms (Options::lock_timeout)"));
      }
      // flock has no timed form: poll with a growing pause, never sleeping past the deadline.
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::microseconds{20'000});
    }
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  // Closing the descriptor (Fd's destructor) releases the lock.

 private:
  Fd fd_;
};
// ------------------------------------------------------------------ configuration checks
// Each failure is a ConfigurationError from FileStore's constructor, so that nothing fails later
// at a request.

/// `dir` normalised, without a trailing '/'. It must be absolute (a relative one would depend on
/// the working directory of whoever constructs the store) and name an existing directory.
[[nodiscard]] inline std::filesystem::path checked_directory(const std::filesystem::path& dir) {
  if (dir.empty()) {
    throw ConfigurationError(
        "FileStore: no session directory given (Options::directory); "
        "options_from_settings() uses the system temporary directory when "
        "SESSION_FILE_PATH is empty");
  }
  if (!dir.is_absolute()) {
    throw ConfigurationError("FileStore: the session directory " + dir.string() + " is not an absolute path");
  }
  std::filesystem::path absolute = dir.lexically_normal();
  if (absolute.has_relative_path() && !absolute.has_filename()) absolute = absolute.parent_path();  // no trailing '/'
  struct stat st {};
  if (::stat(absolute.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw ConfigurationError("FileStore: the session storage path " + absolute.string() +
                               " doesn't exist. Set SESSION_FILE_PATH (Settings::file_path) to an existing "
                               "directory in which session data can be stored.");
    }
    throw ConfigurationError("FileStore: cannot use the session storage path " + absolute.string() + ": " +
                             errno_text(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw ConfigurationError("FileStore: the session storage path " + absolute.string() + " is not a directory");
  }
  return absolute;
}

/// Django's SESSION_FILE_PATH: the system temporary directory when empty.
[[nodiscard]] inline std::filesystem::path directory_or_temp(const std::filesystem::path& dir) {
  if (!dir.empty()) return dir;
  std::error_code ec;
  std::filesystem::path temp = std::filesystem::temp_directory_path(ec);
  if (ec) throw ConfigurationError("FileStore: no usable system temporary directory: " + ec.message());
  return temp;
}

/// The cookie name prefixes every file name: it must not be empty, only dots, or contain '/' or
/// NUL, and leave room for a key and a temporary suffix within NAME_MAX.
inline void check_cookie_name(const std::string& name) {
  const bool all_dots = name.find_first_not_of('.') == std::string::npos;
  if (name.empty() || all_dots || name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
    throw ConfigurationError("FileStore: the cookie name \"" + std::string(name.c_str()) +
                             "\" cannot prefix a file name (empty, only dots, or contains '/' or NUL)");
  }
  if (name.size() + kMaxSessionKeyLength + kTempSuffixLength > kNameMax) {
    throw ConfigurationError("FileStore: the cookie name is too long to prefix a file name (" +
                             std::to_string(name.size()) + " characters)");
  }
}

/// The last_write mode's cookie age as a duration: positive, and small enough that mtime + age
/// stays far inside TimePoint's range.
[[nodiscard]] inline TimePoint::duration checked_cookie_age(std::chrono::seconds age) {
  constexpr auto kMaxAge = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()) / 2;
  if (age <= std::chrono::seconds::zero() || age > kMaxAge) {
    throw ConfigurationError(
        "FileStore: with MtimeMeaning::last_write the cookie age must be positive and "
        "representable (got " +
        std::to_string(age.count()) + " s)");
  }
  return std::chrono::duration_cast<TimePoint::duration>(age);
}

/// Anyone may rename or delete files in a world-writable directory without the sticky bit:
/// refused. With the sticky bit (/tmp, Django's default) files are safe but any local user can
/// open the lock file and make operations that need it time out: allowed, with a warning.
inline void check_directory_mode(const std::string& dir, const Logger& logger) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IWOTH) == 0) return;
  if ((st.st_mode & S_ISVTX) == 0) {
    throw ConfigurationError("FileStore: the session directory " + dir +
                             " is world-writable without the sticky bit: any local user could replace "
                             "or delete sessions. Use a private directory (mode 0700).");
  }
  logger(LogLevel::warning, kLogCategory,
         "FileStore: the session directory " + dir +
             " is shared with every local user (world-writable): they cannot read or forge sessions, "
             "but can hold its lock file so that create over an expired file, update_if and "
             "clear_expired fail after Options::lock_timeout. Use a private directory (mode 0700).");
}

}  // namespace detail::file_store

}  // namespace sessions
// ---- end sessions/storage/detail/file_io.hpp ----
// ---- begin sessions/storage/detail/file_ops.hpp ----
// FileStore's file mechanics (storage/file.hpp describes the behaviour): a session's path, which
// entries are sessions of ours, opening without following symlinks, the temporary file and its
// atomic publication, the directory lock's messages, and the store's error format. A base of
// FileStore (CRTP): it reads the store's options, directory and lock path, which FileStore keeps
// (a copy of the store is the same store).

#include <ctime>

namespace sessions::detail::file_store {

template <class Store>
class FileOps {
 protected:
  [[nodiscard]] const Store& self() const noexcept { return static_cast<const Store&>(*this); }

  // clear_expired(): expired session files and stale temporary files, each session re-checked
  // under the directory lock (a create may have replaced it meanwhile).
  std::size_t clear_expired_files() const {
    const TimePoint now = self().options_.clock.now();
    const TimePoint stale_before = std::chrono::system_clock::now() - self().options_.stale_temp_age;
    std::size_t removed = 0;
    std::size_t failures = 0;
    int last_failure = 0;
    const int err = for_each_entry(self().dir_string_, [&](std::string_view name) {
      if (!name.starts_with(self().options_.cookie_name)) return;
      const std::string_view rest = name.substr(self().options_.cookie_name.size());
      const bool session = is_valid_session_key(rest);
      if (!session && !is_temp_name(rest)) return;
      const std::string path = self().dir_string_ + '/' + std::string(name);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
      if (session ? expiry_of(st) > now : ctime_of(st) > stale_before) return;
      std::optional<DirectoryLock> lock;
      if (session) {
        // Re-check under the lock: a create may have replaced the expired file meanwhile.
        lock.emplace(self().lock_path_, self().options_.lock_timeout, locked("clear_expired", {}));
        struct stat again {};
        if (::lstat(path.c_str(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev ||
            expiry_of(again) > now) {
          return;
        }
      }
      if (::unlink(path.c_str()) == 0) {
        if (session) ++removed;
        if (session && self().index_in_use()) (void)self().index_->take(rest);
      } else if (errno != ENOENT) {
        ++failures;
        last_failure = errno;
      }
    });
    if (err != 0) fail("clear_expired", {}, "cannot list the directory", err);
    if (failures != 0) {
      self().options_.logger(LogLevel::warning, kLogCategory,
                             message("clear_expired", {},
                                     std::to_string(failures) + " expired file(s) could not be deleted", last_failure));
    }
    return removed;
  }

  // purge_expired(): at most `batch` expired session files with their entries, then entries whose
  // file went without them.
  std::vector<PurgedSession> purge_expired_files(std::size_t batch, TimePoint now) const {
    std::vector<std::string> expired;
    const int err = for_each_entry(self().dir_string_, [&](std::string_view name) {
      if (expired.size() >= batch || !name.starts_with(self().options_.cookie_name)) return;
      const std::string_view rest = name.substr(self().options_.cookie_name.size());
      if (!is_valid_session_key(rest)) return;
      struct stat st {};
      const std::string path = self().dir_string_ + '/' + std::string(name);
      if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && expiry_of(st) <= now) expired.emplace_back(rest);
    });
    if (err != 0) fail("purge_expired", {}, "cannot list the directory", err);
    std::vector<PurgedSession> purged;
    for (std::string& key : expired) {
      const std::string path = file_path(key);
      const DirectoryLock lock(self().lock_path_, self().options_.lock_timeout, locked("purge_expired", key));
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || expiry_of(st) > now) continue;
      if (::unlink(path.c_str()) != 0) continue;
      std::string user = self().index_in_use() ? self().index_->take(key) : std::string();
      purged.push_back(PurgedSession{std::move(key), std::move(user)});
    }
    if (purged.size() < batch && self().index_in_use()) {
      for (PurgedSession& s :
           self().index_->purge(batch - purged.size(), now, [this](std::string_view k) { return self().exists(k); }))
        purged.push_back(std::move(s));
    }
    return purged;
  }

  // The full path of `key`'s file; `key` has been validated.
  [[nodiscard]] std::string file_path(std::string_view key) const {
    std::string path;
    path.reserve(self().dir_string_.size() + 1 + self().options_.cookie_name.size() + key.size());
    path += self().dir_string_;
    if (path.empty() || path.back() != '/') path += '/';
    path += self().options_.cookie_name;
    path += key;
    return path;
  }

  [[nodiscard]] bool owned(const struct stat& st) const noexcept {
    return !self().options_.require_same_owner || st.st_uid == ::geteuid();
  }

  // An entry at `path` that owned() rejects (so open()'s EACCES is about a planted file).
  [[nodiscard]] bool foreign(const std::string& path) const noexcept {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && !owned(st);
  }

  [[nodiscard]] TimePoint expiry_of(const struct stat& st) const noexcept {
    return self().expiry_from_mtime(mtime_of(st));
  }

  [[nodiscard]] bool live(const struct stat& st, TimePoint now) const noexcept {
    return S_ISREG(st.st_mode) && owned(st) && expiry_of(st) > now;
  }

  // lstat(path): false when absent; throws on other errors.
  bool lstat_or_absent(const std::string& path, struct stat& st, const char* op, std::string_view key) const {
    if (::lstat(path.c_str(), &st) == 0) return true;
    const int err = errno;
    if (err == ENOENT) return false;
    fail(op, key, "cannot stat the session file", err);
  }

  [[nodiscard]] bool is_live(const std::string& path, const char* op, std::string_view key) const {
    struct stat st {};
    return lstat_or_absent(path, st, op, key) && live(st, self().options_.clock.now());
  }

  // Unlinks the expired file `seen` unless the entry changed since (another inode, or re-stamped).
  // Without the lock the file stays for clear_expired(): load() has its answer (no session) either
  // way, and removing unlocked could delete a session a concurrent create just published.
  void remove_if_unchanged(std::string_view key, const std::string& path, const struct stat& seen,
                           TimePoint now) const {
    std::optional<DirectoryLock> lock;
    try {
      lock.emplace(self().lock_path_, self().options_.lock_timeout, locked("load", key));
    } catch (const StorageError& e) {
      warn("load", key, std::string("is expired but was not deleted: ") + e.what());
      return;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (st.st_dev != seen.st_dev || st.st_ino != seen.st_ino || !S_ISREG(st.st_mode)) return;
    if (expiry_of(st) > now) return;
    (void)::unlink(path.c_str());
  }

  // What open_session does about an entry that is there but is no session of ours.
  enum class Noticed { quietly, warn };

  // Opens the session file at `path` without following a symlink and fstat()s it into `st`. An
  // invalid descriptor when there is no session to read there: absent, a symlink or special file,
  // another user's file (logged when `noticed` is warn). Throws StorageError on other I/O errors.
  Fd open_session(const char* op, std::string_view key, const std::string& path, struct stat& st,
                  Noticed noticed) const {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    const auto ignore = [&](std::string_view why) {
      if (noticed == Noticed::warn) warn(op, key, why);
      return Fd{};
    };
    if (fd.get() < 0) {
      const int err = errno;
      if (err == ENOENT) return Fd{};
      // A symlink; a socket, or a FIFO or device without a reader.
      if (err == ELOOP || err == ENXIO) return ignore("is a symlink or a special file; ignored");
      if (err == EACCES && foreign(path)) return ignore("is owned by another user; ignored");  // planted
      fail(op, key, "cannot open the session file", err);
    }
    if (::fstat(fd.get(), &st) != 0) fail(op, key, "cannot stat the session file", errno);
    if (!S_ISREG(st.st_mode)) return ignore("is not a regular file; ignored");
    if (!owned(st)) return ignore("is owned by another user; ignored");
    return fd;
  }

  // Publishes `temp` over the existing `target`: true when written, false when `target` is gone
  // (a concurrent remove() is never undone by a resurrection). RENAME_EXCHANGE swaps atomically
  // and leaves the old content under the temporary name, which `temp` then unlinks; without it,
  // check-then-rename(), where a remove() between the two is undone.
  bool swap_in(const char* op, std::string_view key, ScratchFile& temp, const std::string& target) const {
    if (self().options_.use_rename_exchange) {
      if (rename2(temp.c_str(), target.c_str(), kRenameExchange) == 0) {
        sync_directory(op, key);
        return true;
      }
      const int err = errno;
      if (err == ENOENT) return false;
      if (!unsupported(err)) fail(op, key, "cannot replace the session file", err);
    }
    if (!is_live(target, op, key)) return false;
    if (::rename(temp.c_str(), target.c_str()) != 0) fail(op, key, "cannot replace the session file", errno);
    temp.release();
    sync_directory(op, key);
    return true;
  }

  // Reads the whole file, at most max_file_bytes; false when it holds more.
  bool read_bounded(int fd, std::size_t size_hint, std::string_view key, std::string& out) const {
    const int err = file_store::read_bounded(fd, size_hint, self().options_.max_file_bytes, out);
    if (err > 0) fail("load", key, "cannot read the session file", err);
    return err == 0;
  }

  void check_size(const char* op, std::string_view key, std::string_view payload) const {
    if (payload.size() > self().options_.max_file_bytes) {
      throw LimitExceeded(message(op, key,
                                  "a payload of " + std::to_string(payload.size()) + " bytes exceeds max_file_bytes (" +
                                      std::to_string(self().options_.max_file_bytes) + ")",
                                  0));
    }
  }

  // mkostemp() in the store's directory: `<prefix><key><tag>XXXXXX`, mode 0600.
  ScratchFile make_scratch(const char* op, std::string_view key, std::string_view tag, Fd& fd) const {
    std::string name = file_path(key);
    name += tag;
    name += "XXXXXX";
    const int raw = ::mkostemp(name.data(), O_CLOEXEC);
    if (raw < 0) fail(op, key, "cannot create a temporary file", errno);
    fd = Fd(raw);
    return ScratchFile(std::move(name));
  }

  // The temporary file holding `payload`, stamped with `expires_at`, closed; unlinked on failure.
  ScratchFile write_temp(const char* op, std::string_view key, std::string_view payload, TimePoint expires_at) const {
    Fd fd;
    ScratchFile temp = make_scratch(op, key, "_out_", fd);
    if (const int err = write_all(fd.get(), payload); err != 0) {
      fail(op, key, "cannot write the session file", err);
    }
    // After the last write, which moves the mtime to "now".
    const timespec times[2] = {omit_time(), to_timespec(self().mtime_for_expiry(expires_at))};
    if (::futimens(fd.get(), times) != 0) fail(op, key, "cannot set the expiry", errno);
    if (self().options_.durable && ::fsync(fd.get()) != 0) fail(op, key, "cannot sync the session file", errno);
    if (const int err = fd.close(); err != 0) fail(op, key, "cannot write the session file", err);
    return temp;
  }

  // create() met an existing entry: true when it was not a live session and is gone now (retry the
  // link), false when a live session is there (or the entry cannot be moved).
  bool clear_dead_entry(std::string_view key, const std::string& target) const {
    struct stat st {};
    if (!lstat_or_absent(target, st, "create", key)) return true;
    if (live(st, self().options_.clock.now())) return false;
    // Take the entry away atomically and look at what was taken: a create that raced us may have
    // put a live session there after our lstat, and that one goes back.
    Fd fd;
    ScratchFile grave = make_scratch("create", key, "_old_", fd);
    fd.reset();
    if (::rename(target.c_str(), grave.c_str()) != 0) return errno == ENOENT;
    struct stat taken {};
    if (::lstat(grave.c_str(), &taken) == 0 && live(taken, self().options_.clock.now())) {
      (void)::link(grave.c_str(), target.c_str());  // EEXIST: a third create won; it keeps the name
      return false;
    }
    return true;  // `grave` unlinks what was taken
  }

  void sync_directory(const char* op, std::string_view key) const {
    if (!self().options_.durable) return;
    Fd dir(::open(self().dir_string_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
      // The change is made and visible; only its durability is in doubt. Throwing would make the
      // caller believe it failed.
      self().options_.logger(LogLevel::error, kLogCategory, message(op, key, "cannot sync the directory", errno));
    }
  }

  // What the directory lock reports in its errors, for operation `op` on `key`.
  struct LockMessage {
    const FileOps* ops;
    const char* op;
    std::string_view key;
    std::string operator()(const std::string& what) const { return ops->message(op, key, what, 0); }
  };
  [[nodiscard]] LockMessage locked(const char* op, std::string_view key) const { return {this, op, key}; }

  // `FileStore::op: what: errno text (directory, session abcd...)`, the stores' error format.
  [[nodiscard]] std::string message(const char* op, std::string_view key, std::string_view what, int err) const {
    std::string text(what);
    if (err != 0) text += ": " + errno_text(err);
    return store_message("FileStore", op, self().dir_string_, key, text);
  }

  [[noreturn]] void fail(const char* op, std::string_view key, std::string_view what, int err) const {
    throw StorageError(message(op, key, what, err));
  }

  void warn(const char* op, std::string_view key, std::string_view what) const {
    self().options_.logger(LogLevel::warning, kLogCategory,
                           message(op, key, "the session file " + std::string(what), 0));
  }

  void warn_oversized(std::string_view key) const {
    warn("load", key,
         "is larger than max_file_bytes (" + std::to_string(self().options_.max_file_bytes) +
             " bytes); treated as corrupted");
  }
};

}  // namespace sessions::detail::file_store
// ---- end sessions/storage/detail/file_ops.hpp ----
// ---- begin sessions/storage/detail/file_user_index.hpp ----
// FileStore's per-user index: a directory `<directory>/<cookie_name>.user_index` (not a session
// name: a key has no dot) beside the session files, created on first use with mode 0700:
//
//   k<key>             the entry of one session: its user and details, one field a line (user,
//                      user agent and address hex-encoded, instants in microseconds)
//   u<sha256(user)>/   one empty file per key of the user, for the listing
//   lock               flock'ed by every change, so that the count, the eviction and the write of
//                      a login are one step for every process sharing the directory
//
// A user id becomes a path only as the hex SHA-256 of itself (fixed length, nothing to escape,
// whatever bytes the session data held); a key only after is_valid_session_key. Nothing is
// opened through a symlink. An entry is believed only as far as the session file agrees: a
// listing shows only keys whose session is live.

// ---- begin sessions/storage/sql_common.hpp ----
// What the SQL stores (SqliteStore, PostgresStore) share without sharing a client library: the
// table name check, the names of their statements, the URL parameters they both take, and
// Django's text form of an expire_date. No SQL client header here.

namespace sessions::detail::sql {

/// Django's table (migration sessions.0001_initial).
inline constexpr std::string_view kDjangoTable = "django_session";
/// Django's name for the expire_date index of django_session (`_create_index_name`: table, column
/// and the first 8 hex digits of md5("django_session" "expire_date")).
inline constexpr std::string_view kDjangoExpireIndex = "django_session_expire_date_a5c62663";
/// PostgreSQL only: Django's varchar_pattern_ops index for LIKE on the key.
inline constexpr std::string_view kDjangoKeyLikeIndex = "django_session_session_key_c0390e0f_like";
/// Longest table name accepted: index names derived from it stay within PostgreSQL's 63 bytes.
inline constexpr std::size_t kMaxTableName = 40;

/// The statements of the SQL stores, indexing each store's statement texts and the per-connection
/// prepared handles. Both stores prepare the statements before kHolds; kHolds (after an update_if
/// that changed nothing: is the row live, and does it already hold the new payload?) is
/// PostgreSQL's only, since there a retry on a new connection can find its own first attempt
/// applied. SQLite's update_if runs under its writer mutex and asks kExists instead.
enum StatementId : std::size_t {
  kLoad,
  kCreate,
  kUpdate,
  kTouch,
  kRemove,
  kExists,
  kClearExpired,
  kUpdateIf,
  kHolds,
  kStatementCount
};

/// Checks that `name` is a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 40 characters),
/// so that it can be quoted into statements as is; ConfigurationError otherwise.
inline void validate_table_name(std::string_view store, std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxTableName;
  for (std::size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    ok = letter || (digit && i > 0);
  }
  if (!ok) {
    throw ConfigurationError(std::string(store) + ": the table name '" + std::string(name) +
                             "' is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*, at most 40 characters)");
  }
}

/// The URL parameters both SQL stores take: table, create_table, pool_size, pool_timeout (ms) and
/// clear_batch (rows per statement, at most `max_clear_batch`).
template <class Options>
void take_common_parameters(Url& url, Options& options, std::int64_t max_clear_batch) {
  if (auto v = url.take("table")) options.table = *v;
  if (auto v = url.take_bool("create_table")) options.create_table = *v;
  if (auto v = url.take_integer("pool_size", 1, 1024)) options.pool_size = static_cast<std::size_t>(*v);
  if (auto v = url.take_milliseconds("pool_timeout")) options.pool_timeout = *v;
  if (auto v = url.take_integer("clear_batch", 1, max_clear_batch)) {
    options.clear_batch = static_cast<std::size_t>(*v);
  }
}

/// `"name"`: the identifier quoted (validate_table_name() has ruled out quotes inside).
[[nodiscard]] inline std::string quoted(std::string_view name) {
  // Reserved and appended: `"\"" + std::string(name) + "\""` makes g++ 12 -O2 warn -Wrestrict.
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  out += name;
  out += '"';
  return out;
}

/// The expire_date index of `table`: Django's name for django_session, `<table>_expire_date_idx`
/// for any other table.
[[nodiscard]] inline std::string expire_index_name(std::string_view table) {
  if (table == kDjangoTable) return std::string(kDjangoExpireIndex);
  return std::string(table) + "_expire_date_idx";
}

/// Microseconds since the Unix epoch, floored: the precision of Django's DateTimeField.
[[nodiscard]] inline std::int64_t unix_micros(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

/// The TimePoint of `micros` microseconds since the epoch, saturated to TimePoint's range.
[[nodiscard]] inline TimePoint from_unix_micros(std::int64_t micros) noexcept {
  using Dur = TimePoint::duration;
  constexpr std::int64_t kMax = std::chrono::duration_cast<std::chrono::microseconds>(Dur::max()).count();
  constexpr std::int64_t kMin = std::chrono::duration_cast<std::chrono::microseconds>(Dur::min()).count();
  if (micros >= kMax) return TimePoint::max();
  if (micros <= kMin) return TimePoint::min();
  return TimePoint{std::chrono::duration_cast<Dur>(std::chrono::microseconds{micros})};
}

/// `t` (floored to the microsecond) as Python's str() of a naive UTC datetime, which is what
/// Django writes into SQLite's expire_date: `YYYY-MM-DD HH:MM:SS` plus `.ffffff` only when the
/// microseconds are not zero. Years outside 0001..9999 are clamped to that range (Python's).
[[nodiscard]] inline std::string format_utc(TimePoint t) {
  using namespace std::chrono;
  constexpr std::int64_t kMinMicros = -62135596800LL * 1000000;           // 0001-01-01 00:00:00
  constexpr std::int64_t kMaxMicros = 253402300799LL * 1000000 + 999999;  // 9999-12-31 23:59:59.999999
  std::int64_t micros = unix_micros(t);
  if (micros < kMinMicros) micros = kMinMicros;
  if (micros > kMaxMicros) micros = kMaxMicros;
  const auto us = microseconds{micros};
  const auto day = floor<days>(us);
  const year_month_day ymd{sys_days{day}};
  const auto in_day = us - duration_cast<microseconds>(day);
  const auto secs = duration_cast<seconds>(in_day).count();
  const auto frac = (in_day - duration_cast<microseconds>(seconds{secs})).count();
  std::array<char, 32> buf{};
  auto put = [&buf](std::size_t pos, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[pos + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<int>(ymd.year()), 4);
  buf[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = ' ';
  put(11, secs / 3600, 2);
  buf[13] = ':';
  put(14, secs / 60 % 60, 2);
  buf[16] = ':';
  put(17, secs % 60, 2);
  std::size_t len = 19;
  if (frac != 0) {
    buf[19] = '.';
    put(20, frac, 6);
    len = 26;
  }
  return std::string(buf.data(), len);
}

/// Parses Django's SQLite expire_date text: `YYYY-MM-DD HH:MM:SS` (or with 'T'), optionally
/// `.f` to `.ffffff`, as naive UTC; nullopt when it is anything else.
[[nodiscard]] inline std::optional<TimePoint> parse_utc(std::string_view text) noexcept {
  using namespace std::chrono;
  if (text.size() < 19) return std::nullopt;
  auto number = [&text](std::size_t pos, std::size_t width, int& out) {
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    out = value;
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!number(0, 4, y) || text[4] != '-' || !number(5, 2, mo) || text[7] != '-' || !number(8, 2, d) ||
      (text[10] != ' ' && text[10] != 'T') || !number(11, 2, h) || text[13] != ':' || !number(14, 2, mi) ||
      text[16] != ':' || !number(17, 2, s)) {
    return std::nullopt;
  }
  std::int64_t frac = 0;
  if (text.size() > 19) {
    const std::size_t digits = text.size() - 20;
    if (text[19] != '.' || digits == 0 || digits > 6) return std::nullopt;
    int value = 0;
    if (!number(20, digits, value)) return std::nullopt;
    frac = value;
    for (std::size_t i = digits; i < 6; ++i) frac *= 10;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  const std::int64_t day_count = sys_days{ymd}.time_since_epoch().count();
  const std::int64_t micros = ((day_count * 86400 + h * 3600 + mi * 60 + s) * 1000000) + frac;
  return from_unix_micros(micros);
}

// --- the per-user index (user_index.hpp) ---------------------------------------------------------
// A side table beside the sessions table, `<table>_user_index`, one row per indexed session:
// Django's table is left as it is. Instants of the side table are integer microseconds since the
// epoch (one form for both databases); the session's own expiry is read from the sessions table,
// so an entry whose session is gone or expired is never listed, whatever the entry says.

/// An integer read as text; 0 when it is not one.
[[nodiscard]] inline std::int64_t int_of(std::string_view text) noexcept {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// The side table of `table`.
[[nodiscard]] inline std::string user_index_table(std::string_view table) { return std::string(table) + "_user_index"; }

/// The statements of the per-user index, `$1`-style placeholders (SQLite reads them as `?1` once
/// `placeholder` is '?'). `sessions_expire_type` is how the sessions table's expire_date is
/// compared with a bound `now`.
struct UserIndexSql {
  std::string create_table;
  std::string create_user_index;
  std::string create_expire_index;
  /// $1 key -> user_id.
  std::string owner;
  /// $1 user, $2 now -> key, last_seen (µs) of the user's live sessions, least recently seen first.
  std::string live_of_user;
  /// $1 key, $2 user, $3 created, $4 last_seen, $5 expires (µs), $6 user agent, $7 address: the
  /// entry inserted, or refreshed (created kept for the same user; empty agent/address kept).
  std::string upsert;
  /// $1 key.
  std::string remove_entry;
  /// $1 key, $2 sessions' now: the session deleted only if it is still expired.
  std::string remove_expired;
  /// $1 key, $2 user.
  std::string unindex;
  /// $1 user, $2 now -> key, created, last_seen, expires (µs), user agent, address; oldest first.
  std::string list;
  /// $1 sessions' now, $2 limit -> key, user (empty when not indexed) of expired sessions.
  std::string expired_batch;
  /// Every entry whose session row is gone.
  std::string clear_orphans;
  /// $1 now (µs), $2 sessions' now, $3 limit -> key, user of entries whose session went without them.
  std::string orphans;
};

[[nodiscard]] inline UserIndexSql user_index_sql(std::string_view table, char placeholder) {
  const std::string t = sql::quoted(table);
  const std::string i = sql::quoted(user_index_table(table));
  const std::string plain(table);
  UserIndexSql q;
  q.create_table = "CREATE TABLE IF NOT EXISTS " + i +
                   " (\"session_key\" varchar(40) NOT NULL PRIMARY KEY, \"user_id\" varchar(150) NOT NULL,"
                   " \"created\" bigint NOT NULL, \"last_seen\" bigint NOT NULL, \"expire_date\" bigint NOT NULL,"
                   " \"user_agent\" text NOT NULL DEFAULT '', \"address\" text NOT NULL DEFAULT '')";
  q.create_user_index =
      "CREATE INDEX IF NOT EXISTS " + sql::quoted(plain + "_uidx_user") + " ON " + i + " (\"user_id\")";
  q.create_expire_index =
      "CREATE INDEX IF NOT EXISTS " + sql::quoted(plain + "_uidx_expire") + " ON " + i + " (\"expire_date\")";
  q.owner = "SELECT \"user_id\" FROM " + i + " WHERE \"session_key\" = $1";
  q.live_of_user = "SELECT x.\"session_key\", x.\"last_seen\" FROM " + i + " x JOIN " + t +
                   " s ON s.\"session_key\" = x.\"session_key\" WHERE x.\"user_id\" = $1 AND s.\"expire_date\" > $2"
                   " ORDER BY x.\"last_seen\", x.\"session_key\"";
  q.upsert =
      "INSERT INTO " + i +
      " AS x (\"session_key\", \"user_id\", \"created\", \"last_seen\", \"expire_date\", \"user_agent\", \"address\")"
      " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (\"session_key\") DO UPDATE SET"
      " \"created\" = CASE WHEN x.\"user_id\" = excluded.\"user_id\" THEN x.\"created\" ELSE excluded.\"created\" END,"
      " \"user_agent\" = CASE WHEN excluded.\"user_agent\" <> '' OR x.\"user_id\" <> excluded.\"user_id\""
      " THEN excluded.\"user_agent\" ELSE x.\"user_agent\" END,"
      " \"address\" = CASE WHEN excluded.\"address\" <> '' OR x.\"user_id\" <> excluded.\"user_id\""
      " THEN excluded.\"address\" ELSE x.\"address\" END,"
      " \"user_id\" = excluded.\"user_id\", \"last_seen\" = excluded.\"last_seen\","
      " \"expire_date\" = excluded.\"expire_date\"";
  q.remove_entry = "DELETE FROM " + i + " WHERE \"session_key\" = $1";
  q.remove_expired = "DELETE FROM " + t + " WHERE \"session_key\" = $1 AND \"expire_date\" <= $2";
  q.unindex = "DELETE FROM " + i + " WHERE \"session_key\" = $1 AND \"user_id\" = $2";
  q.list =
      "SELECT x.\"session_key\", x.\"created\", x.\"last_seen\", x.\"expire_date\", x.\"user_agent\", x.\"address\" "
      "FROM " +
      i + " x JOIN " + t +
      " s ON s.\"session_key\" = x.\"session_key\" WHERE x.\"user_id\" = $1 AND s.\"expire_date\" > $2"
      " ORDER BY x.\"created\", x.\"session_key\"";
  q.expired_batch =
      "SELECT s.\"session_key\", coalesce(x.\"user_id\", '') FROM " + t + " s LEFT JOIN " + i +
      " x ON x.\"session_key\" = s.\"session_key\" WHERE s.\"expire_date\" <= $1 LIMIT CAST($2 AS INTEGER)";
  // PostgreSQL: two purgers at once take different rows (SQLite's transaction excludes the other).
  if (placeholder == '$') q.expired_batch += " FOR UPDATE OF s SKIP LOCKED";
  q.clear_orphans = "DELETE FROM " + i + " WHERE NOT EXISTS (SELECT 1 FROM " + t + " s WHERE s.\"session_key\" = " + i +
                    ".\"session_key\")";
  q.orphans = "SELECT x.\"session_key\", x.\"user_id\" FROM " + i +
              " x WHERE x.\"expire_date\" <= $1 AND NOT EXISTS"
              " (SELECT 1 FROM " +
              t +
              " s WHERE s.\"session_key\" = x.\"session_key\" AND s.\"expire_date\" > $2) LIMIT CAST($3 AS INTEGER)";
  if (placeholder != '$') {
    for (UserIndexSql* self = &q;
         std::string * s : {&self->owner, &self->live_of_user, &self->upsert, &self->remove_entry, &self->unindex,
                            &self->remove_expired, &self->list, &self->expired_batch, &self->orphans}) {
      for (char& c : *s) {
        if (c == '$') c = placeholder;
      }
    }
  }
  return q;
}

}  // namespace sessions::detail::sql
// ---- end sessions/storage/sql_common.hpp ----

namespace sessions::detail::file_store {

class FileUserIndex {
 public:
  FileUserIndex(const std::string& directory, const std::string& cookie_name, std::chrono::milliseconds timeout)
      : root_(directory + "/" + cookie_name + ".user_index"), timeout_(timeout) {}

  /// The index directory exists (it is created by the first index()).
  [[nodiscard]] bool exists() const {
    struct stat st {};
    return ::lstat(root_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  /// exists(), remembered once true: what a removal asks before it looks for an entry.
  [[nodiscard]] bool in_use() const {
    if (seen_.load(std::memory_order_relaxed)) return true;
    if (!exists()) return false;
    seen_ = true;
    return true;
  }

  /// index_session of the contract; `live(key)`: the session file is live; `remove_session(key)`
  /// deletes an evicted session's file.
  template <class Live, class RemoveSession>
  IndexOutcome index(std::string_view user, std::string_view key, const SessionDetails& d,
                     const UserSessionLimit& limit, TimePoint now, Live&& live, RemoveSession&& remove_session) const {
    ensure();
    seen_ = true;
    const DirectoryLock lock = locked();
    IndexOutcome outcome;
    SessionDetails details = d;
    std::optional<Entry> previous = read(key);
    if (previous && previous->user != user) {
      erase(key, previous->user);
      previous.reset();
    }
    if (previous) {
      details.created = previous->details.created;
      if (details.user_agent.empty()) details.user_agent = previous->details.user_agent;
      if (details.address.empty()) details.address = previous->details.address;
    } else if (limit.max_sessions != 0) {
      std::vector<UserSession> others = sessions_of(user, now, live);
      if (others.size() >= limit.max_sessions) {
        if (limit.at_limit == UserSessionLimit::AtLimit::refuse_new) {
          outcome.refused = true;
          return outcome;
        }
        std::sort(others.begin(), others.end(), [](const UserSession& a, const UserSession& b) {
          return a.details.last_seen != b.details.last_seen ? a.details.last_seen < b.details.last_seen : a.key < b.key;
        });
        const std::size_t excess = others.size() - limit.max_sessions + 1;
        for (std::size_t n = 0; n < excess; ++n) {
          remove_session(others[n].key);
          erase(others[n].key, std::string(user));
          outcome.evicted.push_back(std::move(others[n].key));
        }
      }
    }
    write(key, user, details);
    return outcome;
  }

  void unindex(std::string_view user, std::string_view key) const {
    if (!is_valid_session_key(key) || !exists()) return;
    const DirectoryLock lock = locked();
    const std::optional<Entry> entry = read(key);
    if (entry && entry->user == user) erase(key, entry->user);
  }

  /// Removes the entry of `key`, whoever's it is; the user it was under (empty when none).
  std::string take(std::string_view key) const {
    if (!is_valid_session_key(key)) return {};
    const DirectoryLock lock = locked();
    std::optional<Entry> entry = read(key);
    if (!entry) return {};
    erase(key, entry->user);
    return std::move(entry->user);
  }

  template <class Live>
  std::vector<UserSession> list(std::string_view user, TimePoint now, Live&& live) const {
    if (!exists()) return {};
    const DirectoryLock lock = locked();
    std::vector<UserSession> out = sessions_of(user, now, live);
    std::sort(out.begin(), out.end(), [](const UserSession& a, const UserSession& b) {
      return a.details.created != b.details.created ? a.details.created < b.details.created : a.key < b.key;
    });
    return out;
  }

  /// At most `batch` entries whose expiry is past `now` and whose session is not live, removed.
  template <class Live>
  std::vector<PurgedSession> purge(std::size_t batch, TimePoint now, Live&& live) const {
    std::vector<PurgedSession> out;
    if (batch == 0 || !exists()) return out;
    const DirectoryLock lock = locked();
    for (const std::string& key : keys()) {
      if (out.size() >= batch) break;
      const std::optional<Entry> entry = read(key);
      if (!entry || entry->details.expires_at > now || live(key)) continue;
      erase(key, entry->user);
      out.push_back(PurgedSession{key, entry->user});
    }
    return out;
  }

  /// Entries held (expired ones not yet purged included).
  [[nodiscard]] std::size_t size() const { return exists() ? keys().size() : 0; }

 private:
  struct Entry {
    std::string user;
    SessionDetails details;
  };
  static constexpr std::size_t kMaxEntryBytes = 4096;

  DirectoryLock locked() const {
    return DirectoryLock(root_ + "/lock", timeout_,
                         [](const std::string& what) { return "FileStore: the per-user index: " + what; });
  }

  [[noreturn]] void fail(const std::string& what, int err) const {
    throw StorageError("FileStore: the per-user index (" + root_ + "): " + what + ": " + errno_text(err));
  }

  void ensure() const {
    if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create the directory", errno);
    struct stat st {};
    if (::lstat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      throw StorageError("FileStore: " + root_ + " is not a directory of this user; the per-user index cannot use it");
    }
  }

  [[nodiscard]] static std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
      const auto b = static_cast<unsigned char>(c);
      out += kDigits[b >> 4];
      out += kDigits[b & 15];
    }
    return out;
  }
  [[nodiscard]] static std::string unhex(std::string_view text) {
    std::string out;
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i + 1 < text.size(); i += 2)
      out += static_cast<char>((nibble(text[i]) << 4) | nibble(text[i + 1]));
    return out;
  }

  [[nodiscard]] std::string user_dir(std::string_view user) const {
    const crypto::Sha256Digest digest = crypto::sha256(user);
    return root_ + "/u" + hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  }
  [[nodiscard]] std::string entry_path(std::string_view key) const { return root_ + "/k" + std::string(key); }

  std::optional<Entry> read(std::string_view key) const {
    Fd fd(::open(entry_path(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0) {
      if (errno == ENOENT) return std::nullopt;
      fail("cannot open an entry", errno);
    }
    std::string text;
    if (read_bounded(fd.get(), 256, kMaxEntryBytes, text) != 0) return std::nullopt;  // not ours: ignored
    std::vector<std::string_view> fields;
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t end = text.find('\n', start);
      if (end == std::string::npos) break;
      fields.emplace_back(text.data() + start, end - start);
      start = end + 1;
    }
    if (fields.size() != 6) return std::nullopt;
    const auto at = [&](std::size_t i) { return sql::from_unix_micros(sql::int_of(fields[i])); };
    return Entry{unhex(fields[0]), SessionDetails{at(1), at(2), at(3), unhex(fields[4]), unhex(fields[5])}};
  }

  void write(std::string_view key, std::string_view user, const SessionDetails& d) const {
    const std::string text = hex(user) + "\n" + std::to_string(sql::unix_micros(d.created)) + "\n" +
                             std::to_string(sql::unix_micros(d.last_seen)) + "\n" +
                             std::to_string(sql::unix_micros(d.expires_at)) + "\n" + hex(d.user_agent) + "\n" +
                             hex(d.address) + "\n";
    const std::string dir = user_dir(user);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create a user's directory", errno);
    const std::string member = dir + "/" + std::string(key);
    Fd mark(::open(member.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (mark.get() < 0) fail("cannot write a user's entry", errno);
    const std::string temp = entry_path(key) + ".tmp";  // under the lock: one writer at a time
    {
      Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
      if (fd.get() < 0) fail("cannot write an entry", errno);
      if (const int err = write_all(fd.get(), text); err != 0) fail("cannot write an entry", err);
    }
    if (::rename(temp.c_str(), entry_path(key).c_str()) != 0) fail("cannot publish an entry", errno);
  }

  void erase(std::string_view key, const std::string& user) const {
    (void)::unlink(entry_path(key).c_str());
    const std::string dir = user_dir(user);
    (void)::unlink((dir + "/" + std::string(key)).c_str());
    (void)::rmdir(dir.c_str());  // only when it is empty
  }

  // The user's entries whose session is live (under the lock); dead ones removed on the way.
  template <class Live>
  std::vector<UserSession> sessions_of(std::string_view user, TimePoint now, Live&& live) const {
    std::vector<UserSession> out;
    const std::string dir = user_dir(user);
    std::vector<std::string> keys_of_user;
    (void)for_each_entry(dir, [&](std::string_view name) {
      if (is_valid_session_key(name)) keys_of_user.emplace_back(name);
    });
    for (std::string& key : keys_of_user) {
      std::optional<Entry> entry = read(key);
      if (!entry || entry->user != user) {
        (void)::unlink((dir + "/" + key).c_str());
        continue;
      }
      if (entry->details.expires_at <= now || !live(key)) continue;  // the purge's to remove and tell
      out.push_back(UserSession{std::move(key), std::move(entry->details)});
    }
    return out;
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    (void)for_each_entry(root_, [&](std::string_view name) {
      if (name.size() > 1 && name[0] == 'k' && is_valid_session_key(name.substr(1))) out.emplace_back(name.substr(1));
    });
    return out;
  }

  std::string root_;
  std::chrono::milliseconds timeout_;
  mutable std::atomic<bool> seen_{false};
};

}  // namespace sessions::detail::file_store
// ---- end sessions/storage/detail/file_user_index.hpp ----

namespace sessions {

/// Django's file backend, hardened; see the comment at the top of this header.
class FileStore : private detail::file_store::FileOps<FileStore> {
  friend class detail::file_store::FileOps<FileStore>;

 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "FileStore";
  using payload_type = std::string;

  /// What a session file's modification time stands for; see the header comment.
  enum class MtimeMeaning {
    /// The mtime is the expiry instant. For a directory no Django process uses.
    expiry,
    /// Django's convention: the mtime is the last write, the expiry is mtime + cookie_age. For a
    /// directory shared with Django's file backend.
    last_write,
  };

  /// SESSION_COOKIE_AGE's default in Django (two weeks).
  static constexpr std::chrono::seconds kDjangoCookieAge{1'209'600};

  struct Options {
    /// The directory the session files live in: an existing directory, as an absolute path
    /// (ConfigurationError otherwise). options_from_settings() takes Django's SESSION_FILE_PATH.
    std::filesystem::path directory;
    /// The file name prefix: Django's SESSION_COOKIE_NAME (files are `<cookie_name><key>`).
    std::string cookie_name = "sessionid";
    /// A session file bigger than this is treated as corrupted (load logs a warning and returns
    /// nullopt), and create/update of a bigger payload throws LimitExceeded. Must not be 0.
    std::size_t max_file_bytes = std::size_t{1} << 20;
    /// fsync the file before publishing it and the directory after create/update/remove (and the
    /// file after touch). Off by default, as in Django.
    bool durable = false;
    /// A session file not owned by this process's effective user is not a session (it may have been
    /// planted in a shared directory): load/exists/update/touch see it as absent and create may
    /// replace it. clear_expired() removes expired files whoever owns them (as far as the directory
    /// allows).
    bool require_same_owner = true;
    /// clear_expired() deletes temporary files (crash leftovers) whose change time is at least this
    /// old, measured on the system clock (file change times cannot come from an injected clock).
    /// Must not be negative.
    std::chrono::seconds stale_temp_age{3600};
    /// Use renameat2(RENAME_EXCHANGE) for update(). false forces the check-then-rename() fallback
    /// (for tests, or for a file system that misreports its support).
    bool use_rename_exchange = true;
    /// How the mtime encodes the expiry. `expiry` by default; `last_write` when the directory is
    /// shared with Django.
    MtimeMeaning mtime_meaning = MtimeMeaning::expiry;
    /// last_write only: the session lifetime counted from the mtime, which must be the Django
    /// side's SESSION_COOKIE_AGE (options_from_settings() takes Settings::cookie_age). Must be
    /// positive in last_write mode (ConfigurationError otherwise); ignored in expiry mode.
    std::chrono::seconds cookie_age = kDjangoCookieAge;
    /// Longest wait for the directory lock (held by another process, or by a local user who opened
    /// the lock file to stall the store); StorageTimeout then. Must be positive.
    std::chrono::milliseconds lock_timeout{5000};
    Clock clock{};
    Logger logger{};
  };

  /// Options from a URL: `file:///absolute/dir` or `file:/absolute/dir`; `file://relative/dir`
  /// and `file:relative/dir` are made absolute against the working directory now. Parameters:
  /// cookie_name, max_file_bytes, durable, require_same_owner, stale_temp_age (s),
  /// rename_exchange, mtime_meaning (expiry|last_write), cookie_age (s), lock_timeout (ms).
  /// Anything else is a ConfigurationError.
  [[nodiscard]] static Options options_from_url(std::string_view text) { return options_from_url(text, Options{}); }
  [[nodiscard]] static Options options_from_url(std::string_view text, Options base) {
    Url url = detail::parse_store_url("FileStore", text, {"file"});
    Options options = std::move(base);
    options.directory = std::filesystem::absolute(std::filesystem::path(detail::url_local_path("FileStore", url)));
    if (auto v = url.take("cookie_name")) options.cookie_name = *v;
    if (auto v = url.take_integer("max_file_bytes", 1, std::int64_t{1} << 40)) {
      options.max_file_bytes = static_cast<std::size_t>(*v);
    }
    if (auto v = url.take_bool("durable")) options.durable = *v;
    if (auto v = url.take_bool("require_same_owner")) options.require_same_owner = *v;
    if (auto v = url.take_integer("stale_temp_age", 0, kMaxUrlSeconds))
      options.stale_temp_age = std::chrono::seconds{*v};
    if (auto v = url.take_bool("rename_exchange")) options.use_rename_exchange = *v;
    if (auto v = url.take_integer("cookie_age", 1, kMaxUrlSeconds)) options.cookie_age = std::chrono::seconds{*v};
    if (auto v = url.take_milliseconds("lock_timeout")) options.lock_timeout = *v;
    if (auto v = url.take("mtime_meaning")) {
      if (*v == "expiry") {
        options.mtime_meaning = MtimeMeaning::expiry;
      } else if (*v == "last_write") {
        options.mtime_meaning = MtimeMeaning::last_write;
      } else {
        throw ConfigurationError("FileStore: mtime_meaning must be expiry or last_write, not '" + *v + "'");
      }
    }
    url.reject_unknown_parameters();
    return options;
  }

  /// Options from Django's settings, on top of `base`: SESSION_FILE_PATH (the system temporary
  /// directory when empty), SESSION_COOKIE_NAME as the file name prefix, SESSION_COOKIE_AGE (for
  /// MtimeMeaning::last_write), the clock and the logger. Everything is copied, so `settings` may
  /// be a temporary.
  [[nodiscard]] static Options options_from_settings(const Settings& settings) {
    return options_from_settings(settings, Options{});
  }
  [[nodiscard]] static Options options_from_settings(const Settings& settings, Options base) {
    Options options = std::move(base);
    options.directory = detail::file_store::directory_or_temp(settings.file_path);
    options.cookie_name = settings.cookie_name;
    options.cookie_age = settings.cookie_age;
    options.clock = settings.clock;
    options.logger = settings.logger;
    return options;
  }

  /// Throws ConfigurationError when the directory is missing, relative or not a directory, when
  /// the cookie name cannot be a file name prefix, when max_file_bytes is 0, a timeout or age is
  /// not positive, or the cookie age is beyond TimePoint's range in last_write mode.
  explicit FileStore(Options options) : options_(std::move(options)) {
    detail::file_store::check_cookie_name(options_.cookie_name);
    if (options_.mtime_meaning == MtimeMeaning::last_write) {
      age_ = detail::file_store::checked_cookie_age(options_.cookie_age);
    }
    detail::require_positive("FileStore", "lock_timeout", options_.lock_timeout);
    detail::require_at_least_one("FileStore", "max_file_bytes", options_.max_file_bytes);
    if (options_.stale_temp_age < std::chrono::seconds::zero()) {
      throw ConfigurationError("FileStore: stale_temp_age must not be negative");
    }
    options_.directory = detail::file_store::checked_directory(options_.directory);
    dir_string_ = options_.directory.string();
    lock_path_ = dir_string_ + "/" + options_.cookie_name + ".lock";
    index_ =
        std::make_shared<detail::file_store::FileUserIndex>(dir_string_, options_.cookie_name, options_.lock_timeout);
    detail::file_store::check_directory_mode(dir_string_, options_.logger);
  }

  /// FileStore(options_from_url(url)) with the given clock and logger.
  explicit FileStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : FileStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}

  /// The directory the files live in (absolute).
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return options_.directory; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }
  /// The expiry instant that the file time `mtime` stands for (Options::mtime_meaning).
  [[nodiscard]] TimePoint expiry_from_mtime(TimePoint mtime) const noexcept {
    if (options_.mtime_meaning == MtimeMeaning::expiry) return mtime;
    return mtime > TimePoint::max() - age_ ? TimePoint::max() : mtime + age_;
  }
  /// The file time that stands for the expiry instant `expires_at` (the inverse of
  /// expiry_from_mtime, saturated at the ends of TimePoint's range).
  [[nodiscard]] TimePoint mtime_for_expiry(TimePoint expires_at) const noexcept {
    if (options_.mtime_meaning == MtimeMeaning::expiry) return expires_at;
    return expires_at < TimePoint::min() + age_ ? TimePoint::min() : expires_at - age_;
  }

  /// The file that holds the session `key`: `<directory>/<cookie_name><key>`. Throws
  /// InvalidSessionKey unless is_valid_session_key(key), so nothing but [a-z0-9]{8,40} ever
  /// reaches a path (no `/`, `\`, `..`, NUL, upper case, or overlong name).
  [[nodiscard]] std::filesystem::path path_for(std::string_view key) const {
    if (!is_valid_session_key(key)) {
      throw InvalidSessionKey("FileStore: invalid session key (" + std::to_string(key.size()) +
                              " characters); a key is 8 to 40 characters of [a-z0-9]");
    }
    return std::filesystem::path(file_path(key));
  }

  /// The live record under `key`: nullopt when absent, expired (the file is then removed),
  /// not a regular file of ours, or larger than max_file_bytes. Throws StorageError on I/O errors.
  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) const {
    if (!is_valid_session_key(key)) return std::nullopt;
    const std::string path = file_path(key);
    struct stat st {};
    detail::file_store::Fd fd = open_session("load", key, path, st, Noticed::warn);
    if (fd.get() < 0) return std::nullopt;
    const TimePoint now = options_.clock.now();
    const TimePoint expires_at = expiry_of(st);
    if (expires_at <= now) {
      fd.reset();
      remove_if_unchanged(key, path, st, now);
      return std::nullopt;
    }
    const auto size = static_cast<std::size_t>(st.st_size < 0 ? 0 : st.st_size);
    if (size > options_.max_file_bytes) {
      warn_oversized(key);
      return std::nullopt;
    }
    std::string bytes;
    if (!read_bounded(fd.get(), size, key, bytes)) {
      warn_oversized(key);
      return std::nullopt;
    }
    return Record<std::string>{std::move(bytes), expires_at};
  }

  /// Stores `payload` under `key` unless a live session is there (then false, nothing changed).
  /// An expired file, or anything that is not a session of ours, is replaced.
  [[nodiscard]] bool create(std::string_view key, std::string_view payload, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    check_size("create", key, payload);
    const std::string target = file_path(key);
    detail::file_store::ScratchFile temp = write_temp("create", key, payload, expires_at);
    constexpr int kAttempts = 3;
    std::optional<detail::file_store::DirectoryLock> lock;
    for (int attempt = 1;; ++attempt) {
      bool consumed = false;
      const int err = detail::file_store::publish_noreplace(temp.path(), target, consumed);
      if (consumed) temp.release();
      if (err == 0) {
        sync_directory("create", key);
        return true;
      }
      if (err != EEXIST) fail("create", key, "cannot publish the session file", err);
      if (attempt == kAttempts) return false;
      // Replacing a dead entry: under the directory lock, check, move away and publish happen as
      // one step with respect to every other replacement and removal.
      if (!lock) lock.emplace(lock_path_, options_.lock_timeout, locked("create", key));
      if (!clear_dead_entry(key, target)) return false;
    }
  }

  /// Replaces the payload and expiry of the live session `key`; false (nothing written) when
  /// there is none: absent, expired, removed meanwhile, or not a regular file of ours.
  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    check_size("update", key, payload);
    const std::string target = file_path(key);
    if (!is_live(target, "update", key)) return false;  // no temp file for a session that is gone
    detail::file_store::ScratchFile temp = write_temp("update", key, payload, expires_at);
    if (!is_live(target, "update", key)) return false;  // shrinks the window to the swap itself
    return swap_in("update", key, temp, target);
  }

  /// Compare-and-set (lost-update protection): replaces the live session `key` only if its file
  /// still holds exactly `expected`. Under the directory lock, so that compare-and-sets (of any
  /// process sharing the directory) never interleave; the swap itself is update()'s
  /// RENAME_EXCHANGE, which fails when a concurrent remove() (logout) took the file away: missing,
  /// never resurrected. A plain update() or touch() does not take the lock: a touch in between
  /// only loses its expiry to ours, and lost-update protection assumes every writer of a session
  /// uses update_if.
  [[nodiscard]] CasResult update_if(std::string_view key, std::string_view payload, TimePoint expires_at,
                                    std::string_view expected) const {
    if (!is_valid_session_key(key)) return CasResult::missing;
    check_size("update_if", key, payload);
    const std::string target = file_path(key);
    const detail::file_store::DirectoryLock lock(lock_path_, options_.lock_timeout, locked("update_if", key));
    struct stat st {};
    detail::file_store::Fd fd = open_session("update_if", key, target, st, Noticed::quietly);
    if (fd.get() < 0 || !live(st, options_.clock.now())) return CasResult::missing;
    const auto size = static_cast<std::size_t>(st.st_size < 0 ? 0 : st.st_size);
    if (size != expected.size()) return CasResult::conflict;
    std::string current;
    if (!read_bounded(fd.get(), size, key, current) || current != expected) return CasResult::conflict;
    fd.reset();
    detail::file_store::ScratchFile temp = write_temp("update_if", key, payload, expires_at);
    return swap_in("update_if", key, temp, target) ? CasResult::written : CasResult::missing;
  }

  /// Moves the expiry of the live session `key` to `expires_at`; false when there is none.
  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) const {
    if (!is_valid_session_key(key)) return false;
    const std::string path = file_path(key);
    // Through a descriptor, so the file checked is the file stamped.
    struct stat st {};
    detail::file_store::Fd fd = open_session("touch", key, path, st, Noticed::quietly);
    if (fd.get() < 0 || !live(st, options_.clock.now())) return false;
    const timespec times[2] = {detail::file_store::omit_time(),
                               detail::file_store::to_timespec(mtime_for_expiry(expires_at))};
    if (::futimens(fd.get(), times) != 0) fail("touch", key, "cannot set the expiry", errno);
    if (options_.durable && ::fsync(fd.get()) != 0) fail("touch", key, "cannot sync the session file", errno);
    return true;
  }

  /// Deletes the file of `key` if there is one (Django's delete(key)).
  void remove(std::string_view key) const {
    if (!is_valid_session_key(key)) return;
    const std::string path = file_path(key);
    if (::unlink(path.c_str()) != 0) {
      const int err = errno;
      if (err == ENOENT) return;
      fail("remove", key, "cannot delete the session file", err);
    }
    sync_directory("remove", key);
    if (index_in_use()) (void)index_->take(key);
  }

  /// A live (unexpired) session file of ours exists under `key`.
  [[nodiscard]] bool exists(std::string_view key) const {
    if (!is_valid_session_key(key)) return false;
    return is_live(file_path(key), "exists", key);
  }

  /// Deletes every expired session file (a name `<cookie_name><valid key>` whose expiry, i.e. its
  /// mtime, or mtime + cookie_age in last_write mode, is at or before now) and returns how many
  /// were deleted. In last_write mode, a per-session `_session_expiry` is not applied (the store
  /// cannot decode payloads): a file Django wrote goes cookie_age after its last write, whatever
  /// set_expiry() said (see the header comment). It also deletes temporary files older than
  /// Options::stale_temp_age. Anything else in the directory is left alone, and so are symlinks
  /// and other non-regular files. Entries that cannot be deleted are logged and skipped.
  std::size_t clear_expired() const { return clear_expired_files(); }

  // --- the per-user index (UserIndexStorage, user_index.hpp) -------------------------------------

  IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                             const UserSessionLimit& limit) const {
    if (!is_valid_session_key(key)) return {};
    return index_->index(
        user, key, details, limit, options_.clock.now(), [this](std::string_view k) { return exists(k); },
        [this](std::string_view k) { remove_file(k); });
  }

  void unindex_session(std::string_view user, std::string_view key) const { index_->unindex(user, key); }

  /// The user's live sessions, oldest first.
  std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) const {
    return index_->list(user, now, [this](std::string_view k) { return exists(k); });
  }

  /// Removes at most `batch` expired session files (each re-checked under the directory lock, as
  /// clear_expired() does) with their entries, then entries whose file went without them.
  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) const {
    return purge_expired_files(batch, now);
  }

  /// Calls fn(key, payload, expires_at) for each live session file.
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) const {
    std::vector<std::string> keys;
    const int err = detail::file_store::for_each_entry(dir_string_, [&](std::string_view name) {
      if (name.starts_with(options_.cookie_name) && is_valid_session_key(name.substr(options_.cookie_name.size())))
        keys.emplace_back(name.substr(options_.cookie_name.size()));
    });
    if (err != 0) fail("for_each_session", {}, "cannot list the directory", err);
    for (const std::string& key : keys) {
      if (auto record = load(key)) fn(key, record->payload, record->expires_at);
    }
  }

  /// Index entries held (expired ones not yet purged included): for tests of the index's growth.
  [[nodiscard]] std::size_t user_index_size() const { return index_->size(); }

 private:
  // The index directory exists (seen once, it is not looked for again).
  [[nodiscard]] bool index_in_use() const { return index_->in_use(); }

  // The session file only (an eviction: the index entry is the caller's).
  void remove_file(std::string_view key) const {
    if (::unlink(file_path(key).c_str()) != 0 && errno != ENOENT)
      fail("remove", key, "cannot delete the session file", errno);
  }

  // Longest age or timeout in seconds a URL may give (a century).
  static constexpr std::int64_t kMaxUrlSeconds = 100LL * 365 * 24 * 3600;

  Options options_;
  TimePoint::duration age_{};  // options_.cookie_age in last_write mode, else zero
  std::string dir_string_;
  std::string lock_path_;  // <dir>/<cookie_name>.lock: never a session or temporary name
  // Shared: a copy of the store is the same store (as its directory is).
  std::shared_ptr<detail::file_store::FileUserIndex> index_;
};

}  // namespace sessions
// ---- end sessions/storage/file.hpp ----
// ---- begin sessions/storage/hashed_keys.hpp ----
// HashedKeys<Inner>: session keys hashed at rest. A storage decorator that hands the inner store a
// digest of the session key instead of the key, so a leaked database, cache dump or session
// directory names no usable session: the cookie holds the key, the store only its hash, and a hash
// cannot be turned back into a key (the key has ~165 bits of entropy; a preimage search is out of
// reach, peppered or not).
//
//   stored key = the SHA-256 digest (or HMAC-SHA256 with a server pepper, see below) of the session
//                key, read as a big-endian integer and written in base 36 (a-z0-9), its 40 least
//                significant digits: 36^40 ~ 2^206.8, so ~206 bits of the digest are kept. The
//                result passes is_valid_session_key() and fits Django's varchar(40) session_key
//                column, so every store (and Django's tables) holds it unchanged.
//
// It is a pure key mapping: every operation is one operation of the inner store (lookups stay one
// round trip) and the payload is passed through untouched. The optional lost-update operation
// update_if(key, payload, expires_at, expected) is forwarded when, and only when, the inner store
// has it, so HashedKeys<S> offers exactly the capabilities S offers.
//
// Pepper (HashedKeysOptions::pepper): when not empty, the stored key is HMAC-SHA256(pepper, key).
// Against a leaked dump it adds nothing needed for keys this library generates (they are random),
// but it makes the stored names unlinkable to cookie values for whoever lacks the pepper (e.g. to
// confirm that a captured cookie belongs to a dumped row) and protects keys of lower entropy that an
// application may bring. Keep the pepper out of the database; changing it orphans every stored
// session (users are logged out, nothing else breaks). Empty (the default): plain SHA-256.
//
// Consequences to know: the inner store's own log lines and tools (sessionctl show, Django's
// admin) see hashed keys only; a session cannot be looked up from a stored row back to a cookie.
// Switching an existing deployment to HashedKeys orphans the sessions stored under plain keys
// (they expire normally). Data written by Django under plain keys is not found, by design.
//
// The inner store is held by reference and must outlive the decorator. Thread-safe when the inner
// store is (hashing keeps no shared mutable state; the peppered HMAC context is SharedHmacSha256).

namespace sessions {

struct HashedKeysOptions {
  /// Server-side secret mixed into the key hash (HMAC-SHA256); empty: plain SHA-256.
  std::string pepper{};
};

namespace detail::hashed_keys {

/// Digits kept from the digest: Django's session_key column is varchar(40).
inline constexpr std::size_t kStoredKeyLength = kMaxSessionKeyLength;

/// The 40 least significant base-36 digits of `digest` read as a big-endian number, most
/// significant first, in the session-key alphabet. Long division by 36, one digit per pass.
[[nodiscard]] inline std::string base36_40(const crypto::Sha256Digest& digest) {
  std::array<unsigned char, crypto::sha256_size> number = digest;
  std::string out(kStoredKeyLength, '0');
  for (std::size_t i = kStoredKeyLength; i-- > 0;) {
    unsigned remainder = 0;
    for (unsigned char& byte : number) {
      const unsigned value = (remainder << 8) | byte;
      byte = static_cast<unsigned char>(value / 36U);
      remainder = value % 36U;
    }
    out[i] = kSessionKeyChars[remainder];
  }
  return out;
}

}  // namespace detail::hashed_keys

template <ServerStorage Inner>
class HashedKeys {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "HashedKeys";
  using payload_type = typename Inner::payload_type;
  using inner_type = Inner;
  /// Text only when the inner store keeps text (TextStorage).
  static constexpr bool text_payload = TextStorage<Inner>;
  using Options = HashedKeysOptions;

  explicit HashedKeys(Inner& inner, const Options& options = {}) : inner_(&inner) {
    if (!options.pepper.empty()) hmac_.emplace(std::string_view(options.pepper));
  }

  HashedKeys(const HashedKeys&) = delete;
  HashedKeys& operator=(const HashedKeys&) = delete;

  /// The key the inner store holds for session key `key`: 40 characters of [a-z0-9].
  [[nodiscard]] std::string stored_key(std::string_view key) const {
    return detail::hashed_keys::base36_40(hmac_ ? hmac_->mac(key) : crypto::sha256(key));
  }

  [[nodiscard]] std::optional<Record<payload_type>> load(std::string_view key) { return inner_->load(stored_key(key)); }

  [[nodiscard]] bool create(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return inner_->create(stored_key(key), payload, expires_at);
  }

  [[nodiscard]] bool update(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return inner_->update(stored_key(key), payload, expires_at);
  }

  /// Compare-and-set (the lost-update capability), present only when the inner store has it:
  /// `HashedKeys<S>` is a `CasStorage` exactly when `S` is.
  [[nodiscard]] CasResult update_if(std::string_view key, const payload_type& payload, TimePoint expires_at,
                                    const payload_type& expected) requires requirement::storage_update_if<Inner> {
    return inner_->update_if(stored_key(key), payload, expires_at, expected);
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    return inner_->touch(stored_key(key), expires_at);
  }

  void remove(std::string_view key) { inner_->remove(stored_key(key)); }

  [[nodiscard]] bool exists(std::string_view key) { return inner_->exists(stored_key(key)); }

  std::size_t clear_expired() { return static_cast<std::size_t>(inner_->clear_expired()); }

  [[nodiscard]] Inner& inner() const noexcept { return *inner_; }

 private:
  Inner* inner_;
  std::optional<crypto::SharedHmacSha256> hmac_{};
};

}  // namespace sessions
// ---- end sessions/storage/hashed_keys.hpp ----
// ---- begin sessions/storage/memory.hpp ----
// MemoryStore: sessions in this process's memory, for a single-process service or tests.
// One instance serves every thread: records are spread over shards by xxHash3 of the key, each
// with its own mutex, so threads working on different sessions rarely meet. Expired records are
// never returned; they are reclaimed a little at a time as writes come in (a sweep hand visits
// one hash bucket per write) and all at once by clear_expired(), so no request scans everything.
// The sweep runs only once a record of the shard may have expired: each shard keeps a lower bound
// of its records' expiry instants (refreshed by each full turn of the hand), so with sessions that
// live for days a write pays one comparison instead of a visit to a cold bucket (the visit cost
// about 10% of a MemoryValueStore request with 100k sessions stored).
//
// BasicMemoryStore<std::string> (MemoryStore) keeps the serializer's bytes;
// BasicMemoryStore<SharedMembers> (MemoryValueStore) keeps the values themselves, each top-level
// member shared immutably (member_list.hpp), so a request pays no serialization and no deep copy:
// load() hands out a pointer, a save hands one in (the list it replaces is freed after the lock is
// released, and with it only the members nobody else shares), and a Session that changes one key
// copies the list of pointers and that one value. update_if() (compare-and-set, for
// Settings::lost_update) compares under the shard's lock: bytes for MemoryStore, pointers for
// MemoryValueStore (the record still holds the very list the request loaded iff nobody saved
// since; a Session never changes a list it shares). BasicMemoryStore<Data> still works (values
// compared with nlohmann's ==, key order included) but copies the whole value on every load and
// save.
//
// Both keep the per-user index (user_index.hpp) beside the records, under a lock of its own; a
// record removed in any way (delete, load of an expired one, clear_expired, purge) takes its entry
// with it. While sessions are indexed the write path's sweep stands aside, so that each expiry is
// found by the purge (which tells it) or by a request (told `missing`), never silently: run a
// Purger (purger.hpp) or clear_expired() then. A store whose sessions are never indexed pays one
// relaxed atomic load per removal and per sweep for it.

#include <unordered_map>

// ---- begin sessions/detail/fingerprint.hpp ----
// Fast non-cryptographic hashing (xxHash3) for change detection and shard selection. Never used
// for anything an attacker must not forge: keys come from the CSPRNG and signatures from HMAC.

#define XXH_INLINE_ALL

namespace sessions::detail {

[[nodiscard]] inline std::uint64_t fingerprint(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

/// One top-level key of a session and the fingerprint of its value as loaded: what the merge of
/// Settings::lost_update = merge compares with to tell the keys a request changed.
struct KeyFingerprint {
  std::string key{};
  std::uint64_t value = 0;
};

/// The fingerprint of one value (of its compact JSON text, which is deterministic for equal values
/// with the same key order).
[[nodiscard]] inline std::uint64_t value_fingerprint(const Data& value) { return fingerprint(value.dump()); }

/// A fingerprint per top-level key of `data`, in its order.
[[nodiscard]] inline std::vector<KeyFingerprint> key_fingerprints(const Data& data) {
  std::vector<KeyFingerprint> out;
  if (!data.is_object()) return out;
  out.reserve(data.size());
  for (const auto& item : data.items()) out.push_back(KeyFingerprint{item.key(), value_fingerprint(item.value())});
  return out;
}

}  // namespace sessions::detail
// ---- end sessions/detail/fingerprint.hpp ----
// ---- begin sessions/storage/detail/memory_user_index.hpp ----
// The per-user index of a memory store: user -> (key -> details), and key -> user so that a
// record's removal (delete, expiry, sweep) finds its entry. One mutex of its own, taken only by
// index operations and by the removal of a record that may be indexed; never held while a shard's
// lock is taken (a shard's lock may be held while this one is: that is the only order).

namespace sessions::detail {

class MemoryUserIndex {
 public:
  /// Inserts or refreshes the entry of `key` under `user` with `limit` applied under the lock, so
  /// two logins of one user never both pass it. The evicted keys' entries are gone; their records
  /// are the caller's to delete.
  IndexOutcome index(std::string_view user, std::string_view key, const SessionDetails& details,
                     const UserSessionLimit& limit, TimePoint now) {
    IndexOutcome outcome;
    std::lock_guard lock(mutex_);
    if (const auto owner = user_of_key_.find(key); owner != user_of_key_.end() && owner->second != user) {
      const std::string previous = owner->second;
      erase_entry(previous, key);  // the session's user changed: the entry moves
    }
    Entries& entries = by_user_[std::string(user)];
    drop_expired(entries, now);
    if (const auto it = entries.find(key); it != entries.end()) {
      refresh(it->second, details);
      return outcome;
    }
    if (limit.max_sessions != 0 && entries.size() >= limit.max_sessions) {
      if (limit.at_limit == UserSessionLimit::AtLimit::refuse_new) {
        outcome.refused = true;
        if (entries.empty()) by_user_.erase(std::string(user));
        return outcome;
      }
      std::vector<std::pair<TimePoint, std::string>> by_age;
      by_age.reserve(entries.size());
      for (const auto& [k, d] : entries) by_age.emplace_back(d.last_seen, k);
      std::sort(by_age.begin(), by_age.end());
      const std::size_t excess = entries.size() - limit.max_sessions + 1;
      for (std::size_t i = 0; i < excess; ++i) {
        entries.erase(by_age[i].second);
        user_of_key_.erase(by_age[i].second);
        outcome.evicted.push_back(std::move(by_age[i].second));
      }
    }
    entries.emplace(std::string(key), details);
    user_of_key_.emplace(std::string(key), std::string(user));
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
    return outcome;
  }

  void unindex(std::string_view user, std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto owner = user_of_key_.find(key);
    if (owner == user_of_key_.end() || owner->second != user) return;
    erase_entry(user, key);
  }

  /// The entry of `key`, whoever's it is, removed; the user it was under (empty when none).
  std::string take(std::string_view key) {
    if (empty()) return {};  // no lock when nothing is indexed: the request path of a store without users
    std::lock_guard lock(mutex_);
    const auto owner = user_of_key_.find(key);
    if (owner == user_of_key_.end()) return {};
    std::string user = owner->second;
    erase_entry(user, key);
    return user;
  }

  /// take() without the answer, for a record's removal: inline, it is one relaxed load while
  /// nothing is indexed; the rest stays out of line, so that the store's load() and remove() stay
  /// small enough to be inlined into the request path.
  void forget(std::string_view key) {
    if (!empty()) forget_indexed(key);
  }

  /// The user's entries whose expiry is after `now`, oldest `created` first (the expired ones are
  /// deleted on the way).
  std::vector<UserSession> sessions(std::string_view user, TimePoint now) {
    std::vector<UserSession> out;
    std::lock_guard lock(mutex_);
    const auto it = by_user_.find(user);
    if (it == by_user_.end()) return out;
    drop_expired(it->second, now);
    for (const auto& [k, d] : it->second) out.push_back(UserSession{k, d});
    if (it->second.empty()) by_user_.erase(it);
    std::sort(out.begin(), out.end(), [](const UserSession& a, const UserSession& b) {
      return a.details.created != b.details.created ? a.details.created < b.details.created : a.key < b.key;
    });
    return out;
  }

  /// Removes at most `batch` entries whose expiry is past `now` (entries whose record went
  /// without them); returns them.
  std::vector<PurgedSession> purge(std::size_t batch, TimePoint now) {
    std::vector<PurgedSession> out;
    if (empty()) return out;
    std::lock_guard lock(mutex_);
    for (auto user = by_user_.begin(); user != by_user_.end() && out.size() < batch;) {
      for (auto e = user->second.begin(); e != user->second.end() && out.size() < batch;) {
        if (e->second.expires_at <= now) {
          out.push_back(PurgedSession{e->first, user->first});
          user_of_key_.erase(e->first);
          e = user->second.erase(e);
        } else {
          ++e;
        }
      }
      user = user->second.empty() ? by_user_.erase(user) : std::next(user);
    }
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
    return out;
  }

  [[nodiscard]] bool empty() const noexcept { return count_.load(std::memory_order_relaxed) == 0; }

  /// Entries held, expired ones not yet removed included.
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return user_of_key_.size();
  }

 private:
  [[gnu::noinline]] void forget_indexed(std::string_view key) { (void)take(key); }

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Entries = std::unordered_map<std::string, SessionDetails, Hash, std::equal_to<>>;

  static void refresh(SessionDetails& entry, const SessionDetails& details) {
    entry.last_seen = details.last_seen;
    entry.expires_at = details.expires_at;
    if (!details.user_agent.empty()) entry.user_agent = details.user_agent;
    if (!details.address.empty()) entry.address = details.address;
  }

  void drop_expired(Entries& entries, TimePoint now) {
    for (auto e = entries.begin(); e != entries.end();) {
      if (e->second.expires_at <= now) {
        user_of_key_.erase(e->first);
        e = entries.erase(e);
      } else {
        ++e;
      }
    }
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
  }

  // `user` must not view a string of the maps.
  void erase_entry(std::string_view user, std::string_view key) {
    if (const auto it = by_user_.find(user); it != by_user_.end()) {
      if (const auto e = it->second.find(key); e != it->second.end()) it->second.erase(e);
      if (it->second.empty()) by_user_.erase(it);
    }
    if (const auto k = user_of_key_.find(key); k != user_of_key_.end()) user_of_key_.erase(k);
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entries, Hash, std::equal_to<>> by_user_;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> user_of_key_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace sessions::detail
// ---- end sessions/storage/detail/memory_user_index.hpp ----

namespace sessions {

template <class Payload>
class BasicMemoryStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = std::is_same_v<Payload, std::string>     ? "MemoryStore"
                                                 : std::is_same_v<Payload, SharedMembers> ? "MemoryValueStore"
                                                                                          : "BasicMemoryStore";
  using payload_type = Payload;

  struct Options {
    /// Number of independently locked shards: 1 to 65536, rounded up to a power of two.
    std::size_t shards = 64;
    Clock clock{};
    /// Kept for the stores' convention; a memory store has nothing to report.
    Logger logger{};
  };

  /// `memory:` (or `memory://`), with an optional `?shards=N`, on top of `base`.
  [[nodiscard]] static Options options_from_url(std::string_view text) { return options_from_url(text, Options{}); }
  [[nodiscard]] static Options options_from_url(std::string_view text, Options base) {
    Url url = detail::parse_store_url(kName, text, {"memory"});
    if (!url.hosts.empty() || !url.path.empty() || url.username || url.password) {
      throw ConfigurationError(std::string(kName) + ": the URL " + url.redacted() +
                               " names a server or a path; a memory store is written memory: or memory:?shards=N");
    }
    Options options = std::move(base);
    if (auto v = url.take_integer("shards", 1, kMaxShards)) options.shards = static_cast<std::size_t>(*v);
    url.reject_unknown_parameters();
    return options;
  }

  BasicMemoryStore() : BasicMemoryStore(Options{}) {}
  explicit BasicMemoryStore(Options options) : clock_(options.clock) {
    detail::require_at_least_one(kName, "Options::shards", options.shards);
    if (options.shards > kMaxShards) {
      throw ConfigurationError(std::string(kName) + ": Options::shards must be at most " + std::to_string(kMaxShards) +
                               " (got " + std::to_string(options.shards) + ")");
    }
    std::size_t n = 1;
    while (n < options.shards) n <<= 1;
    shards_ = std::make_unique<Shard[]>(n);
    shard_mask_ = n - 1;
    for (std::size_t i = 0; i < n; ++i) shards_[i].index = &index_;
  }
  /// BasicMemoryStore(options_from_url(url)) with the given clock and logger.
  explicit BasicMemoryStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : BasicMemoryStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}
  explicit BasicMemoryStore(Clock clock) : BasicMemoryStore(Options{.clock = clock}) {}

  BasicMemoryStore(const BasicMemoryStore&) = delete;
  BasicMemoryStore& operator=(const BasicMemoryStore&) = delete;

  [[nodiscard]] std::optional<Record<Payload>> load(std::string_view key) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    if (it == shard.map.end()) return std::nullopt;
    if (it->second.expires_at <= now) {
      shard.map.erase(it);
      index_.forget(key);
      return std::nullopt;
    }
    return Record<Payload>{it->second.payload, it->second.expires_at};
  }

  [[nodiscard]] bool create(std::string_view key, const Payload& payload, TimePoint expires_at) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    Payload released{};  // what a write replaces is freed after the lock, not under it
    std::lock_guard lock(shard.mutex);
    sweep_one_bucket(shard, now);
    const auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      if (it->second.expires_at > now) return false;  // never overwrite a live record
      released = std::exchange(it->second.payload, payload);
      it->second.expires_at = expires_at;
      shard.note_expiry(expires_at);
      return true;
    }
    shard.map.emplace(std::string(key), Entry{payload, expires_at});
    shard.note_expiry(expires_at);
    return true;
  }

  [[nodiscard]] bool update(std::string_view key, const Payload& payload, TimePoint expires_at) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    Payload released{};
    std::lock_guard lock(shard.mutex);
    sweep_one_bucket(shard, now);
    const auto it = shard.map.find(key);
    if (it == shard.map.end() || it->second.expires_at <= now) return false;  // never resurrect
    released = std::exchange(it->second.payload, payload);
    it->second.expires_at = expires_at;
    shard.note_expiry(expires_at);
    return true;
  }

  /// Compare-and-set (lost-update protection): replaces the live record only if its payload still
  /// equals `expected`, under the shard's lock, so no write can come in between (SharedMembers:
  /// the same pointer, i.e. the very list the caller loaded).
  [[nodiscard]] CasResult update_if(std::string_view key, const Payload& payload, TimePoint expires_at,
                                    const Payload& expected) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    Payload released{};
    std::lock_guard lock(shard.mutex);
    sweep_one_bucket(shard, now);
    const auto it = shard.map.find(key);
    if (it == shard.map.end() || it->second.expires_at <= now) return CasResult::missing;  // never resurrect
    if (!(it->second.payload == expected)) return CasResult::conflict;
    released = std::exchange(it->second.payload, payload);
    it->second.expires_at = expires_at;
    shard.note_expiry(expires_at);
    return CasResult::written;
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    if (it == shard.map.end() || it->second.expires_at <= now) return false;
    it->second.expires_at = expires_at;
    shard.note_expiry(expires_at);
    return true;
  }

  void remove(std::string_view key) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    if (it != shard.map.end()) shard.map.erase(it);
    index_.forget(key);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    return it != shard.map.end() && it->second.expires_at > now;
  }

  std::size_t clear_expired() {
    const TimePoint now = clock_.now();
    std::size_t removed = 0;
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      removed += std::erase_if(shard.map, [&](const auto& kv) {
        if (kv.second.expires_at > now) return false;
        index_.forget(kv.first);
        return true;
      });
    }
    (void)index_.purge(static_cast<std::size_t>(-1), now);  // entries whose record went without them
    return removed;
  }

  // --- the per-user index (UserIndexStorage, user_index.hpp) -------------------------------------

  /// Indexes `key` under `user`, the limit applied atomically; the evicted sessions' records are
  /// deleted before it returns.
  IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                             const UserSessionLimit& limit) {
    IndexOutcome outcome = index_.index(user, key, details, limit, clock_.now());
    for (const std::string& evicted : outcome.evicted) remove(evicted);
    return outcome;
  }

  void unindex_session(std::string_view user, std::string_view key) { index_.unindex(user, key); }

  /// The user's live sessions, oldest first; entries whose record is gone are dropped.
  std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) {
    std::vector<UserSession> sessions = index_.sessions(user, now);
    std::erase_if(sessions, [&](const UserSession& s) {
      if (exists(s.key)) return false;
      index_.unindex(user, s.key);
      return true;
    });
    return sessions;
  }

  /// Removes at most `batch` expired records with their entries, one shard's lock at a time, then
  /// (within the same batch) entries whose record went without them.
  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    std::vector<PurgedSession> purged;
    for (std::size_t i = 0; i <= shard_mask_ && purged.size() < batch; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      for (auto it = shard.map.begin(); it != shard.map.end() && purged.size() < batch;) {
        if (it->second.expires_at <= now) {
          purged.push_back(PurgedSession{it->first, index_.take(it->first)});
          it = shard.map.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (purged.size() < batch) {
      for (PurgedSession& orphan : index_.purge(batch - purged.size(), now)) purged.push_back(std::move(orphan));
    }
    return purged;
  }

  /// Calls fn(key, payload, expires_at) for each live record, outside the shards' locks.
  void for_each_session(const std::function<void(std::string_view, const Payload&, TimePoint)>& fn) {
    const TimePoint now = clock_.now();
    std::vector<std::pair<std::string, Entry>> live;
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      live.clear();
      {
        std::lock_guard lock(shards_[i].mutex);
        for (const auto& [key, entry] : shards_[i].map) {
          if (entry.expires_at > now) live.emplace_back(key, entry);
        }
      }
      for (const auto& [key, entry] : live) fn(key, entry.payload, entry.expires_at);
    }
  }

  /// Index entries held (expired ones not yet purged included): what a test of the index's
  /// growth counts.
  [[nodiscard]] std::size_t user_index_size() const { return index_.size(); }

  /// Records held, expired ones not yet reclaimed included.
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      std::lock_guard lock(shards_[i].mutex);
      n += shards_[i].map.size();
    }
    return n;
  }

  [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

 private:
  static constexpr std::string_view kName = store_name;
  static constexpr std::size_t kMaxShards = 65536;

  struct Entry {
    Payload payload;
    TimePoint expires_at;
  };
  // Heterogeneous lookup: find(string_view) without building a std::string per request.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return static_cast<std::size_t>(detail::fingerprint(key) >> 8);
    }
  };
  // A cache line (or more) each: threads working on different shards never write the same line.
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> map;
    std::size_t sweep_hand = 0;
    // No record of the shard expires before `earliest` (a lower bound: never later than the
    // truth). `turn_min` gathers the expiry of every record seen or written during the hand's
    // current turn; when the turn completes over an unchanged bucket layout, it becomes the bound.
    TimePoint earliest = TimePoint::max();
    // The store's per-user index (asked only once a record may have expired: no cost before).
    const detail::MemoryUserIndex* index = nullptr;
    TimePoint turn_min = TimePoint::max();
    std::size_t turn_buckets = 0;

    void note_expiry(TimePoint t) noexcept {
      if (t < earliest) earliest = t;
      if (t < turn_min) turn_min = t;
    }
  };

  Shard& shard_for(std::string_view key) noexcept {
    return shards_[static_cast<std::size_t>(detail::fingerprint(key)) & shard_mask_];
  }

  // Reclaims the expired records of one hash bucket; the hand moves one bucket per write, so
  // every record is looked at once per bucket_count writes to its shard.
  static void sweep_one_bucket(Shard& shard, TimePoint now) {
    auto& map = shard.map;
    if (map.empty() || now < shard.earliest) return;  // nothing can have expired yet
    // Sessions are indexed: their expiry is the purge's to find and tell (purge_expired), not a
    // silent sweep's.
    if (!shard.index->empty()) return;
    if (shard.sweep_hand >= map.bucket_count()) {
      // A turn is complete. Its minimum is the new bound only if the layout stayed the same (a
      // rehash moves records between visited and unvisited buckets); otherwise keep the old one.
      if (shard.turn_buckets == map.bucket_count()) shard.earliest = shard.turn_min;
      shard.sweep_hand = 0;
      shard.turn_min = TimePoint::max();
      shard.turn_buckets = map.bucket_count();
    }
    const std::size_t bucket = shard.sweep_hand++;
    std::string_view expired[4];
    std::size_t n = 0;
    for (auto it = map.begin(bucket); it != map.end(bucket); ++it) {
      if (it->second.expires_at <= now && n < 4) {
        expired[n++] = it->first;
      } else if (it->second.expires_at < shard.turn_min) {
        shard.turn_min = it->second.expires_at;  // stays (a fifth expired record is one of these)
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      // Copy the key first: erasing destroys the string the view points into.
      const std::string key(expired[i]);
      map.erase(map.find(key));
    }
  }

  Clock clock_;
  std::unique_ptr<Shard[]> shards_;
  detail::MemoryUserIndex index_;
  std::size_t shard_mask_ = 0;
};

/// Keeps the serializer's bytes: the same code path as any server store.
using MemoryStore = BasicMemoryStore<std::string>;
/// Keeps session values, each top-level member shared immutably: no serialization, and a save
/// copies only the members the request changed.
using MemoryValueStore = BasicMemoryStore<SharedMembers>;

}  // namespace sessions
// ---- end sessions/storage/memory.hpp ----
// ---- begin sessions/storage/metered.hpp ----
// Metered<Inner>: counts and times every call of a server store. A storage decorator (as
// HashedKeys and CachedStore): each operation is the inner store's, with its outcome counted (a
// load's hit or miss, a write refused, a conflict, a timeout, an error), its latency put in a
// histogram, and an optional trace hook told when it begins and ends (for OpenTelemetry spans or
// logs). Read the figures with snapshot(), or as Prometheus text with to_prometheus():
//
//   sessions::RedisStore redis{"redis://127.0.0.1:6379/0"};
//   sessions::Metered<sessions::RedisStore> store{redis};
//   sessions::Middleware<sessions::Session<sessions::Metered<sessions::RedisStore>>> middleware{store};
//   ...  // GET /metrics:
//   std::string text = sessions::to_prometheus(std::array{store.snapshot()});
//
// A store that is not wrapped pays nothing. Wrapped, every call is counted (one relaxed atomic
// addition) and one call in Options::time_one_in (4 by default; 1 times them all) is timed: two
// reads of the steady clock (about 30 ns each on a virtual machine, more than the rest of the
// wrapper) and two more additions. The histogram is then a sample of the calls, its _count the
// calls timed; the counter counts them all. Every call is timed while a trace hook is set. The
// cost is measured in docs/benchmarks.md. Counters are per Metered object: wrap each store once
// and share the wrapper. Thread-safe when the inner store is.
// update_if (lost-update protection) and the per-user index (user_index.hpp) are forwarded when,
// and only when, the inner store has them: a wrapped store keeps its capabilities, so a site that
// meters its store still lists and revokes its users' sessions.
//
// Exceptions are counted by kind (StorageTimeout, another StorageError, anything else) and
// rethrown unchanged.

#include <exception>

// ---- begin sessions/detail/store_name.hpp ----
// A store's name where the library names it (session events, metrics): its public `store_name` when
// it declares one (every store of the library does), else "store".

namespace sessions::detail {

template <class Storage>
[[nodiscard]] constexpr std::string_view store_name() noexcept {
  if constexpr (requires {
                  { Storage::store_name } -> std::convertible_to<std::string_view>;
                }) {
    return Storage::store_name;
  } else {
    return "store";
  }
}

}  // namespace sessions::detail
// ---- end sessions/detail/store_name.hpp ----
// ---- begin sessions/storage/detail/metrics.hpp ----
// The mechanics of Metered<Inner> (storage/metered.hpp): lock-free counters and latency buckets,
// their snapshot, and the Prometheus text exposition format (version 0.0.4) they are written in.

namespace sessions {

/// The operations of a server store that Metered counts: the record operations, then those of
/// the per-user index (user_index.hpp), which a store without the index never calls.
enum class StoreOperation : std::uint8_t {
  load,
  create,
  update,
  update_if,
  touch,
  remove,
  exists,
  clear_expired,
  index_session,
  unindex_session,
  user_sessions,
  purge_expired,
  for_each_session,
};
inline constexpr std::size_t kStoreOperationCount = 13;

[[nodiscard]] constexpr std::string_view to_string(StoreOperation op) noexcept {
  constexpr std::array<std::string_view, kStoreOperationCount> names{
      "load",          "create",        "update",          "update_if",     "touch",
      "remove",        "exists",        "clear_expired",   "index_session", "unindex_session",
      "user_sessions", "purge_expired", "for_each_session"};
  return names[static_cast<std::size_t>(op)];
}

/// How one store call ended. `done` is the answer of operations that have only one (remove,
/// exists, clear_expired and the index's but index_session); the others say which answer they
/// gave (index_session: written, or refused by the user's session limit).
enum class CallOutcome : std::uint8_t {
  done,
  hit,        // load found the session
  miss,       // load found nothing (unknown or expired)
  written,    // create, update, update_if, touch, index_session wrote
  refused,    // create: the key exists; update, touch, update_if: the session is gone;
              // index_session: the user's session limit refused the session
  conflict,   // update_if: another request changed the session
  timeout,    // StorageTimeout thrown
  error,      // another StorageError (server down, I/O error, ...)
  exception,  // anything else thrown
};
inline constexpr std::size_t kCallOutcomeCount = 9;

[[nodiscard]] constexpr std::string_view to_string(CallOutcome outcome) noexcept {
  constexpr std::array<std::string_view, kCallOutcomeCount> names{"done",     "hit",     "miss",  "written",  "refused",
                                                                  "conflict", "timeout", "error", "exception"};
  return names[static_cast<std::size_t>(outcome)];
}

/// Upper bounds of the latency buckets, in seconds (Prometheus' `le`; the last bucket, +Inf, is
/// implied): from 10 µs (an in-memory store) to 2.5 s (a store's timeouts).
inline constexpr std::array<double, 12> kLatencyBounds{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                                       0.001,   0.0025,   0.005,   0.01,   0.1,     2.5};

/// One operation's figures at one moment.
struct OperationSnapshot {
  std::array<std::uint64_t, kCallOutcomeCount> outcomes{};  // calls by outcome
  // The timed calls (Metered::Options::time_one_in) by latency: not cumulative; the last bucket
  // holds those above every bound.
  std::array<std::uint64_t, kLatencyBounds.size() + 1> latency_buckets{};
  std::uint64_t latency_sum_ns = 0;

  [[nodiscard]] std::uint64_t calls() const noexcept {
    std::uint64_t n = 0;
    for (const std::uint64_t c : outcomes) n += c;
    return n;
  }
  [[nodiscard]] std::uint64_t count(CallOutcome outcome) const noexcept {
    return outcomes[static_cast<std::size_t>(outcome)];
  }
};

/// Every operation's figures of one store at one moment (Metered::snapshot()).
struct MetricsSnapshot {
  std::string_view store;
  std::array<OperationSnapshot, kStoreOperationCount> operations{};

  [[nodiscard]] const OperationSnapshot& operator[](StoreOperation op) const noexcept {
    return operations[static_cast<std::size_t>(op)];
  }
};

namespace detail {

/// The live counters: relaxed atomics (each figure is exact; a snapshot taken while calls run
/// may see one call's outcome before its latency, never a torn number).
class StoreCounters {
 public:
  void count(StoreOperation op, CallOutcome outcome) noexcept {
    operations_[static_cast<std::size_t>(op)].outcomes[static_cast<std::size_t>(outcome)].fetch_add(
        1, std::memory_order_relaxed);
  }

  void time(StoreOperation op, std::chrono::nanoseconds elapsed) noexcept {
    Operation& o = operations_[static_cast<std::size_t>(op)];
    const double seconds = std::chrono::duration<double>(elapsed).count();
    std::size_t bucket = 0;
    while (bucket < kLatencyBounds.size() && seconds > kLatencyBounds[bucket]) ++bucket;
    o.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    o.sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count()),
                       std::memory_order_relaxed);
  }

  [[nodiscard]] MetricsSnapshot snapshot(std::string_view store) const noexcept {
    MetricsSnapshot out{store, {}};
    for (std::size_t i = 0; i < kStoreOperationCount; ++i) {
      const Operation& o = operations_[i];
      OperationSnapshot& s = out.operations[i];
      for (std::size_t k = 0; k < kCallOutcomeCount; ++k) s.outcomes[k] = o.outcomes[k].load(std::memory_order_relaxed);
      for (std::size_t b = 0; b < o.buckets.size(); ++b)
        s.latency_buckets[b] = o.buckets[b].load(std::memory_order_relaxed);
      s.latency_sum_ns = o.sum_ns.load(std::memory_order_relaxed);
    }
    return out;
  }

 private:
  struct Operation {
    std::array<std::atomic<std::uint64_t>, kCallOutcomeCount> outcomes{};
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::array<Operation, kStoreOperationCount> operations_{};
};

/// A label value as the text format wants it: backslash, double quote and newline escaped.
inline void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

/// A number as the text format wants it, with `digits` significant digits.
inline void append_number(std::string& out, double value, int digits) {
  std::array<char, 40> buffer{};
  const int n = std::snprintf(buffer.data(), buffer.size(), "%.*g", digits, value);
  out.append(buffer.data(), static_cast<std::size_t>(n));
}

inline void append_labels(std::string& out, std::string_view store, StoreOperation op) {
  out += "{store=\"";
  append_label_value(out, store);
  out += "\",operation=\"";
  out += to_string(op);
  out += '"';
}

}  // namespace detail

/// The snapshots in Prometheus' text exposition format (version 0.0.4): a counter
/// `sessions_store_calls_total{store,operation,outcome}` and a histogram
/// `sessions_store_call_duration_seconds{store,operation}` of the timed calls; operations never
/// called are left out.
/// Serve it as `text/plain; version=0.0.4`.
template <class Snapshots>
[[nodiscard]] std::string to_prometheus(const Snapshots& snapshots) {
  std::string out;
  out += "# HELP sessions_store_calls_total Session store calls, by operation and outcome.\n";
  out += "# TYPE sessions_store_calls_total counter\n";
  for (const MetricsSnapshot& m : snapshots) {
    for (std::size_t i = 0; i < kStoreOperationCount; ++i) {
      const OperationSnapshot& s = m.operations[i];
      for (std::size_t k = 0; k < kCallOutcomeCount; ++k) {
        if (s.outcomes[k] == 0) continue;
        out += "sessions_store_calls_total";
        detail::append_labels(out, m.store, static_cast<StoreOperation>(i));
        out += ",outcome=\"";
        out += to_string(static_cast<CallOutcome>(k));
        out += "\"} ";
        out += std::to_string(s.outcomes[k]);
        out += '\n';
      }
    }
  }
  out += "# HELP sessions_store_call_duration_seconds Session store call latency.\n";
  out += "# TYPE sessions_store_call_duration_seconds histogram\n";
  for (const MetricsSnapshot& m : snapshots) {
    for (std::size_t i = 0; i < kStoreOperationCount; ++i) {
      const OperationSnapshot& s = m.operations[i];
      // The histogram's count is its buckets' total, so that it is consistent in itself even when
      // the snapshot was taken while calls ran (the counter above may then differ by those calls).
      std::uint64_t calls = 0;
      for (const std::uint64_t n : s.latency_buckets) calls += n;
      if (calls == 0) continue;
      const auto op = static_cast<StoreOperation>(i);
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= kLatencyBounds.size(); ++b) {
        cumulative += s.latency_buckets[b];
        out += "sessions_store_call_duration_seconds_bucket";
        detail::append_labels(out, m.store, op);
        out += ",le=\"";
        if (b < kLatencyBounds.size()) {
          detail::append_number(out, kLatencyBounds[b], 6);
        } else {
          out += "+Inf";
        }
        out += "\"} ";
        out += std::to_string(b < kLatencyBounds.size() ? cumulative : calls);
        out += '\n';
      }
      out += "sessions_store_call_duration_seconds_sum";
      detail::append_labels(out, m.store, op);
      out += "} ";
      detail::append_number(out, static_cast<double>(s.latency_sum_ns) * 1e-9, 12);
      out += "\nsessions_store_call_duration_seconds_count";
      detail::append_labels(out, m.store, op);
      out += "} ";
      out += std::to_string(calls);
      out += '\n';
    }
  }
  return out;
}

}  // namespace sessions
// ---- end sessions/storage/detail/metrics.hpp ----

namespace sessions {

/// One store call, as a trace hook sees it. `outcome` is set at the end only.
struct StoreCall {
  std::string_view store;
  StoreOperation operation;
  std::optional<CallOutcome> outcome;
  std::chrono::nanoseconds elapsed{0};
};

/// Told when each store call begins (outcome unset) and ends: a function pointer and its context,
/// as Logger. It runs on the calling thread; it must not throw.
class TraceHook {
 public:
  using Fn = void (*)(void* context, const StoreCall& call) noexcept;

  TraceHook() noexcept = default;
  TraceHook(Fn fn, void* context) noexcept : fn_(fn), context_(context) {}

  [[nodiscard]] explicit operator bool() const noexcept { return fn_ != nullptr; }
  void operator()(const StoreCall& call) const noexcept {
    if (fn_ != nullptr) fn_(context_, call);
  }

 private:
  Fn fn_ = nullptr;
  void* context_ = nullptr;
};

template <ServerStorage Inner>
class Metered {
 public:
  /// The store's name in events and metrics: the inner store's.
  static constexpr std::string_view store_name = detail::store_name<Inner>();
  using payload_type = typename Inner::payload_type;
  using inner_type = Inner;
  /// Text only when the inner store keeps text (TextStorage).
  static constexpr bool text_payload = TextStorage<Inner>;

  struct Options {
    /// Told at the beginning and end of each call (unset: nothing is told).
    TraceHook trace;
    /// One call in this many is timed for the latency histogram (at least 1: every call).
    unsigned time_one_in = 4;
  };

  explicit Metered(Inner& inner, Options options = {}) : inner_(&inner), options_(std::move(options)) {
    if (options_.time_one_in == 0) throw ConfigurationError("Metered: Options::time_one_in must be at least 1");
  }
  Metered(const Metered&) = delete;
  Metered& operator=(const Metered&) = delete;

  [[nodiscard]] std::optional<Record<payload_type>> load(std::string_view key) {
    return call(
        StoreOperation::load, [&] { return inner_->load(key); },
        [](const auto& record) { return record ? CallOutcome::hit : CallOutcome::miss; });
  }

  [[nodiscard]] bool create(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return call(
        StoreOperation::create, [&] { return inner_->create(key, payload, expires_at); }, written_or_refused);
  }

  [[nodiscard]] bool update(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return call(
        StoreOperation::update, [&] { return inner_->update(key, payload, expires_at); }, written_or_refused);
  }

  [[nodiscard]] CasResult update_if(std::string_view key, const payload_type& payload, TimePoint expires_at,
                                    const payload_type& expected) requires requirement::storage_update_if<Inner> {
    return call(
        StoreOperation::update_if, [&] { return inner_->update_if(key, payload, expires_at, expected); },
        [](CasResult r) {
          return r == CasResult::written   ? CallOutcome::written
                 : r == CasResult::missing ? CallOutcome::refused
                                           : CallOutcome::conflict;
        });
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    return call(
        StoreOperation::touch, [&] { return inner_->touch(key, expires_at); }, written_or_refused);
  }

  void remove(std::string_view key) {
    call(
        StoreOperation::remove,
        [&] {
          inner_->remove(key);
          return true;
        },
        done);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    return call(
        StoreOperation::exists, [&] { return inner_->exists(key); }, done);
  }

  std::size_t clear_expired() {
    return call(
        StoreOperation::clear_expired, [&] { return static_cast<std::size_t>(inner_->clear_expired()); }, done);
  }

  // The per-user index (user_index.hpp), when the inner store keeps it.

  [[nodiscard]] IndexOutcome index_session(std::string_view user_id, std::string_view key,
                                           const SessionDetails& details,
                                           const UserSessionLimit& limit) requires requirement::index_session<Inner> {
    return call(
        StoreOperation::index_session, [&] { return inner_->index_session(user_id, key, details, limit); },
        [](const IndexOutcome& o) { return o.refused ? CallOutcome::refused : CallOutcome::written; });
  }

  void unindex_session(std::string_view user_id, std::string_view key) requires requirement::unindex_session<Inner> {
    call(
        StoreOperation::unindex_session,
        [&] {
          inner_->unindex_session(user_id, key);
          return true;
        },
        done);
  }

  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user_id,
                                                       TimePoint now) requires requirement::user_sessions<Inner> {
    return call(
        StoreOperation::user_sessions, [&] { return inner_->user_sessions(user_id, now); }, done);
  }

  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch,
                                                         TimePoint now) requires requirement::purge_expired<Inner> {
    return call(
        StoreOperation::purge_expired, [&] { return inner_->purge_expired(batch, now); }, done);
  }

  void for_each_session(const std::function<void(std::string_view, const payload_type&, TimePoint)>& fn) requires
      requirement::for_each_session<Inner> {
    call(
        StoreOperation::for_each_session,
        [&] {
          inner_->for_each_session(fn);
          return true;
        },
        done);
  }

  /// The figures so far (each one exact; see detail::StoreCounters for calls still running).
  [[nodiscard]] MetricsSnapshot snapshot() const noexcept { return counters_.snapshot(store_name); }

  [[nodiscard]] Inner& inner() const noexcept { return *inner_; }

 private:
  static CallOutcome written_or_refused(bool ok) noexcept { return ok ? CallOutcome::written : CallOutcome::refused; }
  static constexpr auto done = [](const auto&) noexcept { return CallOutcome::done; };

  template <class Run, class Judge>
  auto call(StoreOperation op, Run&& run, Judge&& judge) {
    // Which calls are timed: a per-thread countdown (no shared cache line between threads; no
    // division, which costs more than the rest of an untimed call), so the first call of each
    // thread is timed, then one in time_one_in; every call while a trace hook is set.
    thread_local unsigned calls_until_timed = 0;
    const bool timed = options_.trace || calls_until_timed == 0;
    calls_until_timed = (calls_until_timed == 0 ? options_.time_one_in : calls_until_timed) - 1;
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (options_.trace) options_.trace(StoreCall{store_name, op, std::nullopt, {}});
    try {
      auto result = run();
      finish(op, judge(result), timed, start);
      return result;
    } catch (const StorageTimeout&) {
      finish(op, CallOutcome::timeout, timed, start);
      throw;
    } catch (const StorageError&) {
      finish(op, CallOutcome::error, timed, start);
      throw;
    } catch (...) {
      finish(op, CallOutcome::exception, timed, start);
      throw;
    }
  }

  void finish(StoreOperation op, CallOutcome outcome, bool timed,
              std::chrono::steady_clock::time_point start) noexcept {
    counters_.count(op, outcome);
    if (!timed) return;
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
    counters_.time(op, elapsed);
    if (options_.trace) options_.trace(StoreCall{store_name, op, outcome, elapsed});
  }

  Inner* inner_;
  Options options_;
  detail::StoreCounters counters_;
};

}  // namespace sessions
// ---- end sessions/storage/metered.hpp ----
// ---- begin sessions/storage/signed_cookie_store.hpp ----
// SignedCookieStore: Django's signed_cookies backend. The session data travels in the cookie,
// as `signing.dumps(data, compress=True, salt="django.contrib.sessions.backends.signed_cookies")`,
// so a Django application with the same SECRET_KEY reads our cookies and we read its cookies.
// The client can read the data (it is signed, not encrypted) and can replay an old cookie until
// it expires: see EncryptedCookieStore for a cookie the client cannot read.
//
// As in Django: the cookie's age is bounded by SESSION_COOKIE_AGE (the signature's max_age);
// exists() is always false; destroy() only forgets the cookie; cycle_key() re-signs.
// Unlike Django: set_expiry() is enforced (the session layer checks the policy against the
// signing time), and a session too large for a cookie is a CookieTooLarge at save, not a cookie
// the browser silently drops.
//
// Read path: a cookie value that verified recently is remembered with its decoded data
// (signing::VerifiedCache, Options::verified_cache_entries), so a request carrying exactly that
// value again costs a lookup and a reference count (the data is shared immutably with the
// Session, which copies it only if it changes it): no HMAC, base64, inflate or JSON parse. The
// age limit (SESSION_COOKIE_AGE) is checked against the value's timestamp at every hit, only a
// value that verified under this store's keys is ever remembered, and the match is on the whole
// value in constant time. The cache is bounded by the bytes it holds, not only by entries
// (Options::verified_cache_bytes, verified_cache_max_entry_bytes), and a cookie's parsed data by
// Options::max_decoded_bytes, since a short cookie can inflate to a large value.

namespace sessions {

inline constexpr std::string_view kSignedCookiesSalt = "django.contrib.sessions.backends.signed_cookies";

namespace detail {
/// The characters of a Django signed value: base64url, base62, `:` and the `.` of compression.
[[nodiscard]] constexpr bool is_signed_value_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == ':' || c == '.';
}

/// is_signed_value_char as a table: accepts() runs it over every byte of every cookie, and a
/// lookup costs a third of the comparisons.
inline constexpr std::array<bool, 256> signed_value_chars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = is_signed_value_char(static_cast<char>(c));
  return t;
}();

/// The signing timestamp (Unix seconds) of a value that already verified: `payload:timestamp:signature`.
[[nodiscard]] inline std::int64_t signed_value_timestamp(std::string_view value) {
  const auto sig = value.rfind(':');
  const auto ts = value.rfind(':', sig == 0 ? 0 : sig - 1);
  if (sig == std::string_view::npos || ts == std::string_view::npos || ts >= sig) {
    throw signing::MalformedSignedData("signed value has no timestamp");
  }
  const std::int64_t timestamp = signing::b62_decode(value.substr(ts + 1, sig - ts - 1));
  // Verified, but a key holder can sign any timestamp: one TimePoint cannot hold would overflow
  // its conversion (undefined behaviour; found by tests/fuzz/signed_cookie_store.cpp).
  constexpr std::int64_t kLimit = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();
  if (timestamp > kLimit || timestamp < -kLimit)
    throw signing::MalformedSignedData("signed value's timestamp is out of range");
  return timestamp;
}

/// The signing time of a value that already verified.
[[nodiscard]] inline TimePoint signed_value_time(std::string_view value) {
  return TimePoint{std::chrono::seconds{signed_value_timestamp(value)}};
}
}  // namespace detail

class SignedCookieStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "SignedCookieStore";
  static constexpr bool client_side = true;

  struct Options {
    /// Django's SECRET_KEY: signs and verifies.
    std::string secret_key;
    /// Django's SECRET_KEY_FALLBACKS: verify only, tried in order (key rotation).
    std::vector<std::string> fallback_keys{};
    std::string salt{kSignedCookiesSalt};
    /// Django compresses session cookies when that makes them shorter.
    bool compress = true;
    /// Bound on decompressed payloads (a compressed cookie could otherwise inflate enormously).
    std::size_t max_decompressed_size = 64 * 1024;
    /// Bound on the memory a cookie's parsed data holds (detail::bounded_memory_size; 0: none).
    /// The text bound above is not enough: 63 KB of `[[],[],...]` parses to ~0.6 MB. A cookie over
    /// it is refused (LimitExceeded: an empty session, logged), and encode() refuses to write one.
    std::size_t max_decoded_bytes = 256 * 1024;
    /// How many recently verified cookie values to remember with their data (0: none).
    std::size_t verified_cache_entries = 1024;
    /// The most the cache of verified values holds in all, as measured (its values and parsed
    /// data), and the largest entry it keeps: a larger one is decoded at every request, never kept
    /// (0 for either: no cache).
    std::size_t verified_cache_bytes = signing::VerifiedCache::kDefaultMaxBytes;
    std::size_t verified_cache_max_entry_bytes = signing::VerifiedCache::kDefaultMaxEntryBytes;
  };

  explicit SignedCookieStore(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : SignedCookieStore(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit SignedCookieStore(Options options)
      : options_(std::move(options)),
        signer_(options_.secret_key, options_.salt, std::span<const std::string>(options_.fallback_keys)),
        verified_(options_.verified_cache_entries, options_.verified_cache_bytes,
                  options_.verified_cache_max_entry_bytes) {
    limits_.max_decompressed_size = options_.max_decompressed_size;
  }

  SignedCookieStore(const SignedCookieStore&) = delete;
  SignedCookieStore& operator=(const SignedCookieStore&) = delete;

  /// The cookie value for `data`, signed at `now`. CookieTooLarge when the cookie
  /// (`name=value`) would exceed what browsers keep; LimitExceeded when decode() would refuse it
  /// (its JSON over max_decompressed_size, or its data over max_decoded_bytes): the server never
  /// issues a cookie it would itself reject.
  [[nodiscard]] std::string encode(const Data& data, const Settings& settings, TimePoint now) const {
    const std::string json = signing::dump_python_json(data);
    std::string value = signing::dumps_json_text(json, signer_, options_.compress, now);
    const std::size_t size = settings.cookie_name.size() + 1 + value.size();
    if (size > cookie::kMaxSetCookieBytes) {
      throw CookieTooLarge("the session is too large for a cookie: " + std::to_string(size) +
                           " bytes of name and value, over the " + std::to_string(cookie::kMaxSetCookieBytes) +
                           "-byte limit; keep less in the session or use a server-side store");
    }
    // What decode() would refuse: a compressed payload over max_decompressed_size (an uncompressed
    // one that large is over the cookie size already), or data over max_decoded_bytes.
    if (value.front() == '.' && json.size() > options_.max_decompressed_size) {
      throw LimitExceeded("the session's JSON is " + std::to_string(json.size()) +
                          " bytes, over the signed cookie store's max_decompressed_size (" +
                          std::to_string(options_.max_decompressed_size) + ")");
    }
    (void)check_decoded_size(data);
    return value;
  }

  /// The data of a cookie value: BadSignature (tampered, wrong key), SignatureExpired (older than
  /// SESSION_COOKIE_AGE) or MalformedSignedData/DecodeError when it is not a session.
  [[nodiscard]] ClientRecord decode(std::string_view value, const Settings& settings, TimePoint now) const {
    ClientRecord record = decode_shared(value, settings, now);
    if (record.shared) {
      record.data = *record.shared;
      record.shared.reset();
    }
    return record;
  }

  /// As decode(), with the data handed over shared (ClientRecord::shared): a value found in the
  /// cache of verified values costs a reference count, no copy of its data. What Session uses.
  [[nodiscard]] ClientRecord decode_shared(std::string_view value, const Settings& settings, TimePoint now) const {
    const double max_age = static_cast<double>(settings.cookie_age.count());
    if (auto hit = verified_.find(value)) {
      // The signer's own age rule (age > max_age expires), on the remembered timestamp; an
      // expired value goes the long way and fails there with SignatureExpired.
      if (!(signing::detail::python_time(now) - static_cast<double>(hit->timestamp) > max_age)) {
        return ClientRecord{Data{}, TimePoint{std::chrono::seconds{hit->timestamp}}, std::move(hit->data)};
      }
    }
    Data data = signing::loads(value, signer_, max_age, now, limits_);
    if (!data.is_object()) throw DecodeError("the signed session is not a JSON object");
    const std::size_t data_bytes = check_decoded_size(data);
    const std::int64_t timestamp = detail::signed_value_timestamp(value);
    auto shared = std::make_shared<const Data>(std::move(data));
    if (verified_.enabled()) (void)verified_.insert(value, {shared, timestamp}, data_bytes);
    return ClientRecord{Data{}, TimePoint{std::chrono::seconds{timestamp}}, std::move(shared)};
  }

  /// The cache of recently verified values (tests, and to clear() it).
  [[nodiscard]] signing::VerifiedCache& verified_cache() const noexcept { return verified_; }

  /// A cheap look at a cookie value before any cryptography: Django's characters, a bounded size.
  [[nodiscard]] bool accepts(std::string_view value) const noexcept {
    if (value.size() > cookie::kMaxSetCookieBytes) return false;
    for (const char c : value) {
      if (!detail::signed_value_chars[static_cast<unsigned char>(c)]) return false;
    }
    return true;
  }

 private:
  // The measured size of `data`; LimitExceeded over max_decoded_bytes.
  std::size_t check_decoded_size(const Data& data) const {
    const std::size_t limit =
        options_.max_decoded_bytes == 0 ? std::numeric_limits<std::size_t>::max() : options_.max_decoded_bytes;
    const std::size_t bytes = sessions::detail::bounded_memory_size(data, limit);
    if (bytes > limit) {
      throw LimitExceeded("the session's data holds more than the signed cookie store's max_decoded_bytes (" +
                          std::to_string(limit) + ")");
    }
    return bytes;
  }

  Options options_;
  signing::TimestampSigner signer_;
  signing::PayloadLimits limits_{};
  mutable signing::VerifiedCache verified_;
};

}  // namespace sessions
// ---- end sessions/storage/signed_cookie_store.hpp ----

// ---- begin sessions/session.hpp ----
// Session<Storage, Serializer, Expiry>: Django's SessionBase, in C++.
//
// A Session is a short-lived object, one per request: it holds the key it was opened with and
// nothing else until the data is first touched (lazy load, as in Django). Reads set `accessed`;
// writes set `modified`; save() writes through the storage policy using only create-if-absent,
// update-if-present and touch, so a key collision never takes over a record and a slow request
// never brings back a session that a concurrent logout deleted.
//
// Beyond Django: a fingerprint (xxHash3) of the stored payload, taken at load, lets save() skip
// the write of data that did not change (only the expiry is refreshed) and lets the middleware
// notice a nested change made through a reference (`session.at("cart").push_back(...)`), which
// Django silently loses.
//
// The mechanics live in detail/: the server-side and client-side flows (server_flow.hpp,
// client_flow.hpp) over the state they share (session_state.hpp: lazy load, copy-on-write), the
// three payload kinds (payload.hpp), the limits (limits.hpp) and lost-update protection
// (merge.hpp). The policies' contract is in concepts.hpp.

// ---- begin sessions/detail/client_flow.hpp ----
// The client-side flow of a Session (Django's signed_cookies; our encrypted cookies): the data
// travels in the cookie, whose value plays the part of the session key. A save signs (or seals)
// the data into a new cookie value; nothing is kept on the server, so nothing can be revoked,
// touched or counted there.

// ---- begin sessions/detail/limits.hpp ----
// Settings::max_keys, max_nodes and max_payload_bytes at the two places they apply: a save over a limit
// throws LimitExceeded and writes nothing; a loaded record over a limit is logged on the security
// logger (as corrupt data is) and the session goes on empty.

namespace sessions::detail {

/// Logs a record the session refuses to load; `key` may be empty (never logged whole).
inline void log_suspicious(const Settings& settings, std::string_view key, std::string_view what) {
  settings.logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                  std::string("Session data rejected (key ") + std::string(loggable_key_prefix(key)) +
                      "...): " + std::string(what));
}

/// A loaded record with `keys` top-level keys, more than Settings::max_keys (logged).
[[nodiscard]] inline bool over_key_limit(const Settings& settings, std::string_view key, std::size_t keys) {
  const std::size_t limit = settings.max_keys;
  if (limit == 0 || keys <= limit) return false;
  log_suspicious(settings, key,
                 "the stored session holds " + std::to_string(keys) + " keys, more than Settings::max_keys (" +
                     std::to_string(limit) + ")");
  return true;
}

/// Loaded data with more top-level keys than Settings::max_keys (logged).
[[nodiscard]] inline bool over_key_limit(const Settings& settings, std::string_view key, const Data& data) {
  return data.is_object() && over_key_limit(settings, key, data.size());
}

/// Loaded data with more values at all depths than Settings::max_nodes (logged).
[[nodiscard]] inline bool over_node_limit(const Settings& settings, std::string_view key, const Data& data) {
  const auto why = node_limit_violation(data, settings.max_nodes);
  if (why) log_suspicious(settings, key, "the stored session " + *why);
  return why.has_value();
}

/// A loaded payload of `size` bytes over Settings::max_payload_bytes (logged).
[[nodiscard]] inline bool over_size_limit(const Settings& settings, std::string_view key, std::size_t size) {
  const std::size_t limit = settings.max_payload_bytes;
  if (limit == 0 || size <= limit) return false;
  log_suspicious(settings, key,
                 "the stored session is larger than Settings::max_payload_bytes (" + std::to_string(limit) + ")");
  return true;
}

/// Before a save: LimitExceeded when `keys` (the session's top-level keys) exceed Settings::max_keys.
inline void check_key_count(const Settings& settings, std::size_t keys) {
  const std::size_t limit = settings.max_keys;
  if (limit != 0 && keys > limit) {
    throw LimitExceeded("the session holds " + std::to_string(keys) + " keys, more than Settings::max_keys (" +
                        std::to_string(limit) + "); nothing was saved");
  }
}

/// Before a save: LimitExceeded when `data` has more top-level keys than Settings::max_keys.
inline void check_key_limit(const Settings& settings, const Data& data) {
  if (data.is_object()) check_key_count(settings, data.size());
}

/// Before a save: LimitExceeded when `data` holds more values at all depths than Settings::max_nodes.
inline void check_node_limit(const Settings& settings, const Data& data) {
  if (const auto why = node_limit_violation(data, settings.max_nodes)) {
    throw LimitExceeded("the session " + *why + "; nothing was saved");
  }
}

/// Before a save: LimitExceeded when `nodes` (values at all depths, counted) exceed Settings::max_nodes.
inline void check_node_count(const Settings& settings, std::size_t nodes) {
  if (settings.max_nodes != 0 && nodes > settings.max_nodes) {
    throw LimitExceeded("the session " + node_limit_text(settings.max_nodes) + "; nothing was saved");
  }
}

/// Before a save: LimitExceeded when the payload's `size` exceeds Settings::max_payload_bytes.
inline void check_size_limit(const Settings& settings, std::size_t size) {
  const std::size_t limit = settings.max_payload_bytes;
  if (limit != 0 && size > limit) {
    throw LimitExceeded("the serialized session is larger than Settings::max_payload_bytes (" + std::to_string(limit) +
                        " bytes); nothing was saved");
  }
}

}  // namespace sessions::detail
// ---- end sessions/detail/limits.hpp ----
// ---- begin sessions/detail/payload.hpp ----
// The three kinds of payload a store keeps, and everything Session does that depends on the kind,
// in one place: what data a payload holds, how data becomes a payload (encode), how a loaded
// payload becomes data (decode), how big it is for Settings::max_payload_bytes, and the
// fingerprint that tells an unchanged session from a changed one.
//
//   bytes   std::string from the serializer policy (MemoryStore, files, SQL, Redis, memcached;
//           and, for fingerprints only, the cookie stores)
//   values  sessions::Data itself, no serializer (BasicMemoryStore<Data>)
//   members sessions::SharedMembers, the top-level members shared immutably (MemoryValueStore):
//           load moves a pointer, a save copies one pointer per key and the values it changed

namespace sessions::detail {

enum class PayloadKind { bytes, values, members };

template <class S, bool Client = ClientStorage<S>>
struct stored_payload {
  using type = std::string;  // a cookie store has no payload of its own: its cookie is bytes
};
template <class S>
struct stored_payload<S, false> {
  using type = typename S::payload_type;
};

/// What a read of the store gave: data of the session's own, data shared immutably (a cookie
/// store's cache of verified values), or a value store's shared members.
struct Loaded {
  Data owned = Data::object();
  SharedData shared{};
  SharedMembers members{};
};

template <class Storage, class SerializerT>
struct PayloadCodec {
  using payload_type = typename stored_payload<Storage>::type;
  static constexpr PayloadKind kind = std::is_same_v<payload_type, SharedMembers> ? PayloadKind::members
                                      : std::is_same_v<payload_type, Data>        ? PayloadKind::values
                                                                                  : PayloadKind::bytes;
  static constexpr bool keeps_values = kind != PayloadKind::bytes;
  /// The serializer binds its bytes to the session key (KeyedSerializer): every call passes it.
  static constexpr bool keyed = KeyedSerializer<SerializerT>;
  /// Bytes that are a function of the data alone can be fingerprinted as they are (bytes that
  /// depend on the key too are not: the fingerprint is taken without one).
  static constexpr bool canonical = kind == PayloadKind::bytes && CanonicalSerializer<SerializerT> && !keyed;

  /// The data a value payload holds as a JSON object (a copy for members; a null SharedMembers,
  /// which no Session writes, as empty).
  static Data data_of(const payload_type& payload) requires keeps_values {
    if constexpr (kind == PayloadKind::members) {
      return payload ? payload->to_data() : Data::object();
    } else {
      return payload;
    }
  }

  /// The fingerprint of `data` as this kind compares it: the serializer's bytes when those are
  /// canonical (so that it equals the fingerprint of the bytes a load read), else nlohmann's dump.
  static std::uint64_t fingerprint_of(const SerializerT& serializer, const Data& data) {
    if constexpr (canonical) {
      return fingerprint(serializer.dumps(data));
    } else {
      return fingerprint(data.dump());
    }
  }

  /// A payload for `data` (a copy: the session keeps its own) stored under `key`. Bytes may throw
  /// EncodeError.
  static payload_type encode(const SerializerT& serializer, const Data& data, std::string_view key) {
    (void)key;  // bytes of a keyed serializer only
    if constexpr (kind == PayloadKind::members) {
      (void)serializer;
      return std::make_shared<const MemberList>(MemberList::from(data));
    } else if constexpr (kind == PayloadKind::values) {
      (void)serializer;
      return data;
    } else if constexpr (keyed) {
      return serializer.dumps(data, key);
    } else {
      return serializer.dumps(data);
    }
  }

  /// The data of bytes stored under `key` (a sessions::Error when they are not a session).
  static Data loads(const SerializerT& serializer, std::string_view bytes,
                    std::string_view key) requires(!keeps_values) {
    if constexpr (keyed) {
      return serializer.loads(bytes, key);
    } else {
      (void)key;
      return serializer.loads(bytes);
    }
  }

  /// Bytes that loaded but should be written again by the next save, unchanged data or not
  /// (sealed under a fallback key); false for every serializer without needs_rewrite().
  static bool needs_rewrite(const SerializerT& serializer, const payload_type& bytes) requires(!keeps_values) {
    if constexpr (requirement::serializer_needs_rewrite<SerializerT>) {
      return serializer.needs_rewrite(bytes);
    } else {
      (void)serializer;
      (void)bytes;
      return false;
    }
  }

  /// The data of a loaded payload, before any limit check. Shared members are handed over as the
  /// pointer (a reference count), owned values moved unless `keep` (the caller still needs the
  /// payload), bytes stored under `key` decoded (a sessions::Error when they are not a session).
  static Loaded decode(const SerializerT& serializer, payload_type& payload, bool keep, std::string_view key) {
    Loaded loaded{Data(), nullptr, nullptr};  // every kind sets what it holds: no empty object made first
    (void)key;                                // bytes only
    if constexpr (kind == PayloadKind::members) {
      (void)serializer;
      (void)keep;
      if (payload) loaded.members = payload;  // a reference count, no copy
    } else if constexpr (kind == PayloadKind::values) {
      (void)serializer;
      if (keep) {
        loaded.owned = payload;  // the record's copy stays for the compare-and-set
      } else {
        loaded.owned = std::move(payload);
      }
    } else {
      (void)keep;
      loaded.owned = loads(serializer, payload, key);
    }
    return loaded;
  }

  /// The fingerprint of loaded bytes, equal to fingerprint_of() of the same data.
  static std::uint64_t loaded_fingerprint(const SerializerT& serializer, const payload_type& bytes,
                                          const Data& data) requires(!keeps_values) {
    if constexpr (canonical) {
      (void)serializer;
      (void)data;
      return fingerprint(bytes);
    } else {
      return fingerprint_of(serializer, data);
    }
  }
};

}  // namespace sessions::detail
// ---- end sessions/detail/payload.hpp ----
// ---- begin sessions/detail/session_state.hpp ----
// What one Session holds, and the lazy, copy-on-write access to its data that both flows (server
// and client side) share. Each flow derives from SessionState and supplies read_record(), the
// one thing that differs in how data arrives.
//
// The data is in one of three states, each with one accessor:
//   not read yet      read_data()/write_data() read the record first (Django's lazy _session)
//   shared, unchanged read_data() hands out the store's (or cookie cache's) shared value, no copy
//   the session's own write_data() copies shared data once (copy-on-write), then changes it
// data_without_load() is Django's _get_session(no_load=True): the data if read, else empty.
//
// Copy-on-write: data a cookie store's cache of verified values shares is held as that shared
// pointer, and copied into data of the session's own only by the first change. A value store's
// members (MemoryValueStore's SharedMembers) are held as the shared list (held_members.hpp); the
// first set() or erase() copies the list of pointers, not the values, and a save shares that
// list again. Any other change (at(), pop, update, clear) makes the data whole, as a read of it
// whole does (data(), keys(), items(), an expiry policy without ExpiryDataKeys). Reads of single
// keys (get, contains) never copy, and saving an unchanged session writes the same pointer back.
//
// Value stores also get the data's size and node count kept up to date through set()
// (value_counts.hpp), so that their save need not walk the whole data for the limits.

// ---- begin sessions/detail/held_members.hpp ----
// How a session of a value store that shares members (MemoryValueStore's SharedMembers) holds its
// data, apart from the rest of the session's state (session_state.hpp):
//   stored  the list the store gave it, shared and unchanged: reads and an unchanged save use it
//           as it is (no copy)
//   listed  a list of the session's own: the first set() or erase() copies the stored list's
//           pointers (not the values) into it
//   neither the data is held whole by the session (after a change that is not a set or erase of
//           one key); list() is null then
// A read of the whole data (data(), keys(), ...) builds it from the members once and keeps it
// until the next change, so a reference it handed out stays valid until then.
//
// NoHeldMembers stands in for the other payload kinds: its list() is always null, so that the
// session's code needs no branch of its own for them.

namespace sessions::detail {

class HeldMembers {
 public:
  /// The members the data is held as (the stored list, or the session's own), or null when the
  /// data is held whole.
  [[nodiscard]] const MemberList* list() const noexcept {
    if (stored_) return stored_.get();
    if (listed_) return &list_;
    return nullptr;
  }

  /// The members as a list of the session's own (copying the stored list's pointers once).
  MemberList& own_list() {
    if (stored_) {
      list_ = *stored_;
      stored_.reset();
      listed_ = true;
    }
    whole_.reset();
    return list_;
  }

  /// The members built into one object (for a caller that reads the data whole), kept until the
  /// next change. Only called while list() is not null.
  [[nodiscard]] const Data& whole() const {
    if (!whole_) whole_ = list()->to_data();
    return *whole_;
  }

  /// Holds what a load found: the stored list, or (none stored) an empty list of the session's own.
  void hold_loaded(SharedMembers stored) {
    stored_ = std::move(stored);
    listed_ = !stored_;
    list_ = MemberList{};
    whole_.reset();
  }

  /// Holds an empty list of the session's own (clear(), flush()).
  void hold_empty() { hold_loaded(nullptr); }

  /// Holds `shared` as the stored list (after a save shared it with the store).
  void hold_stored(SharedMembers shared) {
    stored_ = std::move(shared);
    listed_ = false;
    list_ = MemberList{};
    whole_.reset();
  }

  /// Lets go of the members (the session now holds the data whole, or a change made the whole
  /// object built for a read stale).
  void drop() {
    stored_.reset();
    listed_ = false;
    list_ = MemberList{};
    whole_.reset();
  }

  /// A change is about to be made to the data held whole: the object built for reads is stale.
  void forget_whole() noexcept { whole_.reset(); }

  /// The members to save, as a shared list: the stored one when unchanged (no copy); else the
  /// session's own list, or `whole` split into members, moved into a new list; the session holds
  /// that list as stored from then on. `keep_whole`: a reference into `whole` was handed out and
  /// must stay valid, so `whole` is copied, not moved, and the session goes on holding it whole
  /// (a list of its own is not that data: at() was followed by clear(), which started the list).
  SharedMembers share(Data& whole, bool keep_whole, const std::optional<ValueCounts>& counts) {
    if (stored_) return stored_;
    MemberList members;
    const bool from_list = listed_;
    if (from_list) {
      members = std::move(list_);
      list_ = MemberList{};
      listed_ = false;
    } else if (keep_whole) {
      members = MemberList::from(whole);
    } else {
      members = MemberList::from(std::move(whole));
      whole = Data();
    }
    members.set_counts(counts);
    auto shared = std::make_shared<const MemberList>(std::move(members));
    if (from_list || !keep_whole) hold_stored(shared);
    return shared;
  }

  /// The expiry policy's data_keys that the members hold, as one object (null when none is there:
  /// an object is allocated only when a key is there), for the policy's read hooks.
  template <class ExpiryT>
  const Data& expiry_view() requires ExpiryDataKeys<ExpiryT> {
    expiry_view_ = Data();
    copy_keys<ExpiryT>(*list(), expiry_view_);
    static const Data empty = Data::object();
    return expiry_view_.is_null() ? empty : expiry_view_;
  }

  /// The keys ExpiryT names, copied from `list` into `out` (null or an object).
  template <class ExpiryT>
  static void copy_keys(const MemberList& list, Data& out) requires ExpiryDataKeys<ExpiryT> {
    for (const auto k : ExpiryT::data_keys) {
      if (const Data* v = list.find(k)) out[std::string(k)] = *v;
    }
  }

 private:
  SharedMembers stored_;
  MemberList list_;
  bool listed_ = false;
  mutable std::optional<Data> whole_;  // the members built whole for a read, until a change
  Data expiry_view_;                   // the expiry policy's keys, for its read hooks
};

/// For payload kinds that do not share members: nothing held, list() always null.
struct NoHeldMembers {
  [[nodiscard]] static constexpr const MemberList* list() noexcept { return nullptr; }
};

}  // namespace sessions::detail
// ---- end sessions/detail/held_members.hpp ----
// ---- begin sessions/detail/merge.hpp ----
// Lost-update protection (Settings::lost_update, off by default as in Django): with `fail` or
// `merge`, the load keeps the payload it read (and, for merge, a fingerprint of each top-level
// value), and save() writes through the store's update_if(), a compare-and-set against that
// payload. When another request saved the session in between: `fail` throws ConflictError;
// `merge` reloads the record, applies this request's changes on top of it (the keys whose value
// changed or that are new are set, the keys it erased are erased; clear() or flush() replaces
// everything) and tries again, up to Settings::merge_attempts times. A key changed by both
// requests is a ConflictError even with merge: the value this request computed from what it read
// would overwrite the other's change. A record deleted meanwhile
// (logout, cycle_key) is `missing`: UpdateError as always, never re-created. Off, none of this
// runs: no copy kept, no fingerprint computed, no extra round trip. The guarantee holds between
// requests that all use update_if (every store of the library implements it atomically); a request
// saving with protection off still overwrites. A session that never read its record (clear() on a
// session never loaded, then save) has no version to compare with: it replaces the record with a
// plain update, as the clear() asked.
//

namespace sessions::detail {

/// Empty unless Settings::lost_update asks for protection: the payload the record held when this
/// request loaded (or last wrote) it, a fingerprint per top-level key of that data (merge), and
/// whether clear()/flush() asked to replace the data whole.
template <class Payload>
struct LoadedVersion {
  std::optional<Payload> expected{};
  std::vector<KeyFingerprint> keys{};
  bool whole_change = false;

  /// `payload` holding `data` is now the version the next save compares with. `data` may be a
  /// function that gives it, called only for merge (the only use of it).
  template <class DataOrSource>
  void remember(const Settings& settings, Payload payload, const DataOrSource& data) {
    expected = std::move(payload);
    if (settings.lost_update == LostUpdate::merge) {
      if constexpr (std::is_invocable_v<const DataOrSource&>) {
        keys = key_fingerprints(data());
      } else {
        keys = key_fingerprints(data);
      }
    }
    whole_change = false;
  }
};

[[noreturn]] inline void same_key_conflict(std::string_view session_key, std::string_view name) {
  throw ConflictError("session " + std::string(loggable_key_prefix(session_key)) + "...: key '" + std::string(name) +
                      "' was changed by this request and by another one since this one loaded it; nothing was "
                      "written (Settings::lost_update = merge merges only changes to different keys)");
}

[[noreturn]] inline void conflict(const Settings& settings, std::string_view key, int attempts) {
  if (settings.lost_update == LostUpdate::fail) {
    throw ConflictError("session " + std::string(loggable_key_prefix(key)) +
                        "...: another request saved it since this one loaded it (Settings::lost_update = fail); "
                        "nothing was written");
  }
  throw ConflictError("session " + std::string(loggable_key_prefix(key)) +
                      "...: still changed by other requests after " + std::to_string(attempts) +
                      " merge attempts (Settings::merge_attempts); nothing was written");
}

/// The record's current data `theirs` with this request's changes (`mine` against the keys it
/// loaded) applied: the keys whose value differs from what was loaded (or that are new) set, the
/// keys loaded and since erased removed. After clear() or flush(), `mine` replaces theirs whole.
/// A key that both this request and the other one changed is a real conflict, even when both
/// wrote the same value: this request's value was computed from what it loaded (two increments
/// of one counter write equal values), so writing it over theirs could lose their change.
template <class Payload>
[[nodiscard]] Data merged_onto(const Data& mine, const LoadedVersion<Payload>& version, Data theirs,
                               std::string_view session_key) {
  if (version.whole_change) return mine;
  if (!theirs.is_object()) theirs = Data::object();
  std::unordered_map<std::string_view, std::uint64_t> loaded;
  loaded.reserve(version.keys.size());
  for (const auto& k : version.keys) loaded.emplace(k.key, k.value);
  const auto changed_by_them = [&](const std::string& name) {
    const auto was = loaded.find(name);
    const auto now = theirs.find(name);
    if (was == loaded.end()) return now != theirs.end();  // they added it
    return now == theirs.end() || value_fingerprint(*now) != was->second;
  };
  for (const auto& item : mine.items()) {
    const auto was = loaded.find(item.key());
    if (was != loaded.end() && was->second == value_fingerprint(item.value())) continue;  // not ours
    if (changed_by_them(item.key())) same_key_conflict(session_key, item.key());
    theirs[item.key()] = item.value();
  }
  for (const auto& k : version.keys) {
    if (mine.contains(k.key)) continue;
    if (changed_by_them(k.key) && theirs.contains(k.key)) same_key_conflict(session_key, k.key);
    theirs.erase(k.key);
  }
  return theirs;
}

}  // namespace sessions::detail
// ---- end sessions/detail/merge.hpp ----
// ---- begin sessions/detail/session_events.hpp ----
// How a session's flows tell Settings::on_event (events.hpp) what happened: the store's name, the
// key's loggable prefix and the user id gathered here, so that each place that makes or finds a
// transition says only which one it is.

namespace sessions::detail {

/// Django's login() keeps the user's primary key under this key, as text (or, written by other
/// code, a number).
inline constexpr std::string_view kAuthUserIdKey = "_auth_user_id";

/// The user id an event names: `value` (the session's `_auth_user_id`) as text, or empty.
[[nodiscard]] inline std::string user_id_text(const Data* value) {
  if (value == nullptr) return {};
  if (value->is_string()) return value->get_ref<const std::string&>();
  if (value->is_number_integer()) return value->dump();
  return {};
}

/// Tells the hook one event (the caller checked that a hook is set).
template <class Storage>
void tell_event(const Settings& settings, SessionEventKind kind, std::string_view reason, std::string_view key,
                std::string_view user_id) {
  settings.on_event(SessionEvent{kind, reason, store_name<Storage>(), loggable_key_prefix(key), user_id});
}

}  // namespace sessions::detail
// ---- end sessions/detail/session_events.hpp ----

namespace sessions::detail {

/// What the middleware learnt from the request and the handler's promise not to write. Not part
/// of a Session's public API: the middleware reaches it through SessionAccess.
struct RequestState {
  bool cookie_received = false;  // the request carried a session id (cookie or session header)
  bool secure = false;
  bool read_only = false;
  bool answer_in_header = false;  // the response carries the id in Settings::session_header
  // This request gave the session a key it did not have (create, cycle_key; a cookie store's
  // every save): the one a session header must send back.
  bool key_issued = false;
};

template <class Flow, class Storage, class SerializerT, class ExpiryT>
class SessionState {
 public:
  using codec = PayloadCodec<Storage, SerializerT>;
  using payload_type = typename codec::payload_type;
  /// A value store's members, shared per key (MemoryValueStore).
  static constexpr bool members = codec::kind == PayloadKind::members;
  /// Only a value store's save checks the limits by walking values, so only it keeps counts.
  static constexpr bool keeps_counts = members;

  SessionState(Storage& store, const Settings& settings, SerializerT serializer, ExpiryT expiry)
      : store_(&store), settings_(&settings), serializer_(std::move(serializer)), expiry_(std::move(expiry)) {}

  // --- the data, by state ----------------------------------------------------------------------

  /// The data to read (loads on first use, marks the session accessed); never copies.
  const Data& read_data() {
    ensure_loaded();
    return current();
  }

  /// The data to change (loads on first use, marks accessed): the session's own.
  Data& write_data() {
    ensure_loaded();
    return own();
  }

  /// Django's _get_session(no_load=True): the data if loaded, otherwise a fresh empty object.
  const Data& data_without_load() {
    start_without_load();
    return current();
  }

  /// data_without_load() for a caller that does not read the data.
  void start_without_load() {
    accessed_ = true;
    if (!loaded_) replace_with_empty();
  }

  /// The value under `key`, or null (loads on first use, marks accessed); never copies.
  const Data* find(std::string_view key) {
    ensure_loaded();
    return lookup(key);
  }

  /// The data the expiry policy's hooks read: only its data_keys when it names them and the
  /// members are kept apart (no whole copy), else the data itself.
  const Data& expiry_data() {
    ensure_loaded();
    if constexpr (members && ExpiryDataKeys<ExpiryT>) {
      if (member_list()) return held_.template expiry_view<ExpiryT>();
    }
    return current();
  }

  /// The expiry policy's on_create(): on the keys it names when it names them (written back
  /// key by key), else on the whole data.
  void expiry_on_create(TimePoint now) {
    if constexpr (members && ExpiryDataKeys<ExpiryT>) {
      if (const MemberList* list = member_list()) {
        // One object per thread, emptied and refilled: a new session allocates nothing for it.
        thread_local Data keys = Data::object();
        keys.clear();
        HeldMembers::copy_keys<ExpiryT>(*list, keys);
        expiry_.on_create(keys, now);
        for (const auto k : ExpiryT::data_keys) {
          const auto it = keys.find(k);
          const Data* before = find(k);
          if (it == keys.end()) {
            if (before) erase(k);
          } else if (!before || *before != *it) {
            assign(k, *it);
          }
        }
        return;
      }
    }
    expiry_.on_create(own(), now);
  }

  /// Reads the record if not read yet without marking the session accessed (the middleware does
  /// this before deciding whether a stale key left the session empty).
  void load_without_access() {
    const bool was_accessed = accessed_;
    ensure_loaded();
    accessed_ = was_accessed;
  }

  /// Empty data, loaded (clear(), flush(), a destroyed cookie session).
  void replace_with_empty() {
    owned_ = members ? Data() : Data::object();  // members: the empty list below holds the data
    shared_.reset();
    loaded_ = true;
    counts_.reset();
    if constexpr (members) held_.hold_empty();
    if (keeps_counts && counts_wanted(*settings_)) counts_.emplace();
  }

  /// Django's session[key] = value; the counts follow without a walk of the whole data.
  void assign(std::string_view key, Data value) {
    ensure_loaded();
    const std::optional<ValueCounts> before = counts_;
    std::optional<ValueCounts> counts;
    if constexpr (members) {
      if (member_list()) {
        MemberList& list = held_.own_list();
        const std::size_t at = list.position(key);
        if (before) {
          const Data* replaced = at == list.size() ? nullptr : &list.value_at(at);
          counts = counts_after_set(*settings_, *before, replaced, list.empty(), key, value);
        }
        list.set_at(at, key, std::move(value));
        counts_ = counts;
        return;
      }
    }
    Data& data = own();  // forgets the counts: the set below is a change they do not follow
    if constexpr (keeps_counts) {
      if (before && data.is_object()) {
        const auto it = data.find(key);
        counts = counts_after_set(*settings_, *before, it == data.end() ? nullptr : &*it, data.empty(), key, value);
      }
    }
    data[std::string(key)] = std::move(value);
    counts_ = counts;
  }

  /// Django's del session[key] (the caller checked that `key` is there).
  void erase(std::string_view key) {
    ensure_loaded();
    if constexpr (members) {
      if (member_list()) {
        (void)held_.own_list().erase(key);
        counts_.reset();
        return;
      }
    }
    Data& data = own();
    data.erase(data.find(key));
  }

  /// The counts of the current data when known (never while at() handed out a reference, through
  /// which the data may change unseen).
  [[nodiscard]] const std::optional<ValueCounts>& known_counts() const noexcept {
    static const std::optional<ValueCounts> unknown;
    return exposed_ ? unknown : counts_;
  }

  /// The counts of the current data, walked by a save (nullopt: over a limit).
  void remember_counts(const std::optional<ValueCounts>& counts) noexcept { counts_ = counts; }

  /// Whatever holds it (no load): for code that knows the data was read already. Members kept
  /// apart are built into a whole object here, kept until the next change.
  [[nodiscard]] const Data& current() const {
    if constexpr (members) {
      if (member_list()) return held_.whole();
    }
    return shared_ ? *shared_ : owned_;
  }

  [[nodiscard]] bool is_empty() const noexcept { return !key_ && (!loaded_ || data_empty()); }

  /// The data holds exactly `list`'s members (pointers shared with it compare without a look
  /// at their values).
  [[nodiscard]] bool same_members(const MemberList& list) const requires members {
    if (const MemberList* mine = member_list()) return mine == &list || *mine == list;
    return owned_ == list.to_data();
  }

  /// The number of top-level keys.
  [[nodiscard]] std::size_t key_count() const {
    if (const MemberList* list = member_list()) return list->size();
    const Data& data = shared_ ? *shared_ : owned_;
    return data.is_object() ? data.size() : 0;
  }

  /// The counts of the current data by walking it (nullopt: over a limit).
  [[nodiscard]] std::optional<ValueCounts> walk_current_counts() const {
    if (const MemberList* list = member_list()) return walk_member_counts(*settings_, *list);
    return walk_counts(*settings_, shared_ ? *shared_ : owned_);
  }

  /// True when a save would change the stored record: modified, or changed in place through a
  /// reference from at() (compared by fingerprint with what was loaded).
  [[nodiscard]] bool needs_save() const {
    if (modified_) return true;
    if (!exposed_ || !loaded_) return false;
    return !baseline_ || *baseline_ != fingerprint_of(current());
  }

  /// A mutable reference into the data is handed out (at()): remember the state before any
  /// in-place change, unless set() etc. changed it already.
  Data& expose() {
    Data& data = write_data();
    if (!baseline_ && !modified_) baseline_ = fingerprint_of(data);
    exposed_ = true;
    return data;
  }

  [[nodiscard]] std::uint64_t fingerprint_of(const Data& data) const {
    return codec::fingerprint_of(serializer_, data);
  }

  /// The user id an event names: the session's `_auth_user_id` when a hook is set and the data
  /// was read, else empty (nothing is looked up, and nothing loaded, for an event).
  [[nodiscard]] std::string event_user_id() const {
    if (!settings_->on_event || !loaded_) return {};
    return user_id_text(lookup(kAuthUserIdKey));
  }

  /// Tells Settings::on_event, when set, that `kind` happened to the session under `key`.
  void tell(SessionEventKind kind, std::string_view reason, std::string_view key) const {
    if (settings_->on_event) tell_event<Storage>(*settings_, kind, reason, key, event_user_id());
  }
  /// The same for the session's own key, with `user_id` gathered before the data changed.
  void tell_with_user(SessionEventKind kind, std::string_view reason, const std::string& user_id) const {
    if (settings_->on_event) tell_event<Storage>(*settings_, kind, reason, key_ ? *key_ : "", user_id);
  }

  /// Settings::lost_update asks for protection (the flow says whether the store can give it).
  [[nodiscard]] bool protecting() const noexcept {
    return Flow::has_compare_and_set && settings_->lost_update != LostUpdate::last_write_wins;
  }

  // Public to the Session and the flows (this is a detail type; the Session holds it privately).
  Storage* store_;
  const Settings* settings_;
  [[no_unique_address]] SerializerT serializer_;
  [[no_unique_address]] ExpiryT expiry_;
  std::optional<std::string> key_;
  std::optional<std::uint64_t> baseline_;  // fingerprint of the stored payload, when known
  LoadedVersion<payload_type> version_;    // lost-update protection only
  RequestState request_;
  bool loaded_ = false;
  bool accessed_ = false;
  bool modified_ = false;
  bool exposed_ = false;  // a mutable reference was handed out by at()

 protected:
  // The data, made the session's own before a change (copy-on-write: the one deep copy).
  Data& own() {
    counts_.reset();
    if constexpr (members) {
      if (const MemberList* list = member_list()) {
        owned_ = list->to_data();
        held_.drop();
      }
      held_.forget_whole();
    }
    if (shared_) {
      owned_ = *shared_;
      shared_.reset();
    }
    return owned_;
  }

  void adopt(Loaded loaded) {
    owned_ = std::move(loaded.owned);
    shared_ = std::move(loaded.shared);
    counts_.reset();
    if constexpr (members) {
      if (loaded.members) {
        counts_ = loaded.members->counts();
      } else if (counts_wanted(*settings_)) {
        counts_.emplace();
      }
      held_.hold_loaded(std::move(loaded.members));  // none stored: an empty list of its own
    }
  }

  // The members as a shared list (HeldMembers::share); when at() handed out a reference into
  // the whole data, which must stay valid, the data is copied and stays whole.
  SharedMembers share() requires members { return held_.share(owned_, exposed_, counts_); }

  // After a merge wrote `payload` (holding `merged`): it is now the session's data.
  void adopt_written(Data merged, const SharedMembers& payload) {
    counts_.reset();
    if constexpr (members) {
      if (payload && !exposed_) {
        held_.hold_stored(payload);
        owned_ = Data();
        return;
      }
      held_.drop();
    }
    owned_ = std::move(merged);
    shared_.reset();
  }

  // Loads on first use and marks the session accessed (Django's _session).
  void ensure_loaded() {
    accessed_ = true;
    if (!loaded_) {
      adopt(static_cast<Flow&>(*this).read_record(baseline_, /*own_load=*/true));
      loaded_ = true;
    }
  }

 private:
  // The value under `key` in the data as it is held (members or whole), or null; never loads and
  // never builds the members into one object.
  [[nodiscard]] const Data* lookup(std::string_view key) const {
    if (const MemberList* list = member_list()) return list->find(key);
    const Data& data = shared_ ? *shared_ : owned_;
    const auto it = data.find(key);
    return it == data.end() ? nullptr : &*it;
  }

  [[nodiscard]] bool data_empty() const noexcept {
    if (const MemberList* list = member_list()) return list->empty();
    return (shared_ ? *shared_ : owned_).empty();
  }

  // The members the data is held as, or null when it is held whole (always for other kinds).
  [[nodiscard]] const MemberList* member_list() const noexcept { return held_.list(); }

  Data owned_;                         // the data, when the session owns it whole
  SharedData shared_;                  // the data, while it is shared and unchanged (copy-on-write)
  std::optional<ValueCounts> counts_;  // of the current data, when known (value stores)
  [[no_unique_address]] std::conditional_t<members, HeldMembers, NoHeldMembers> held_;
};

}  // namespace sessions::detail
// ---- end sessions/detail/session_state.hpp ----

namespace sessions::detail {

template <class Storage, class SerializerT, class ExpiryT>
class ClientFlow : public SessionState<ClientFlow<Storage, SerializerT, ExpiryT>, Storage, SerializerT, ExpiryT> {
  using Base = SessionState<ClientFlow, Storage, SerializerT, ExpiryT>;

 public:
  static constexpr bool has_compare_and_set = false;

  using Base::Base;

  static void check_settings(const Settings& settings) {
    if (settings.lost_update == LostUpdate::last_write_wins) return;
    throw ConfigurationError(
        "Settings::lost_update is fail or merge, but the storage policy lacks update_if(std::string_view key, const "
        "payload_type&, sessions::TimePoint expires_at, const payload_type& expected) -> sessions::CasResult, the "
        "compare-and-set it needs (a cookie store cannot have one: each response carries its own copy of the "
        "session)");
  }

  [[nodiscard]] bool accepts_key(std::string_view key) const {
    return key.size() >= kMinSessionKeyLength && this->store_->accepts(key);
  }

  /// Nothing is kept on the server (as Django's signed_cookies).
  [[nodiscard]] static bool exists(std::string_view) noexcept { return false; }

  /// Cookies expire on their own.
  static std::size_t clear_expired(Storage&) noexcept { return 0; }

  void create() {
    (void)this->data_without_load();
    this->expiry_.on_create(this->own(), this->settings_->clock.now());
    this->modified_ = true;  // the cookie written at the response is the record
  }

  /// The new cookie value is the signed (or sealed) data, with a fresh timestamp.
  void save(bool /*must_create*/) {
    const bool is_new = !this->key_;
    encode();
    this->tell(is_new ? SessionEventKind::created : SessionEventKind::saved, "saved", *this->key_);
  }

  /// A cookie cannot be revoked: forget it and start over empty (Django's signed_cookies).
  void destroy(std::string_view reason, const std::string& user_id) {
    if (this->key_) this->tell_with_user(SessionEventKind::destroyed, reason, user_id);
    this->key_.reset();
    this->replace_with_empty();
    this->modified_ = true;
  }
  void destroy_other(std::string_view key) {
    if (this->key_ && *this->key_ == key) destroy("delete", this->event_user_id());
  }

  /// A new signature is all a cookie session can change.
  void cycle_key() {
    encode();
    this->tell(SessionEventKind::key_cycled, "cycle_key", *this->key_);
  }

  void touch() { save(false); }

  /// Decodes the cookie: empty data (and the session marked modified, so that the cookie is
  /// rewritten, as Django does) when it is invalid, expired by the expiry policy or over a limit.
  Loaded read_record(std::optional<std::uint64_t>& baseline, bool own_load) {
    baseline.reset();
    if (!this->key_) return Loaded{};
    const Settings& settings = *this->settings_;
    // Told by the session's own load only (an explicit load() reads without adopting).
    const auto refuse = [&](SessionEventKind kind, std::string_view reason) {
      if (own_load) this->tell(kind, reason, *this->key_);
    };
    try {
      const TimePoint now = settings.clock.now();
      ClientRecord record{};
      if constexpr (requirement::client_decode_shared<Storage>) {
        record = this->store_->decode_shared(*this->key_, settings, now);
      } else {
        record = this->store_->decode(*this->key_, settings, now);
      }
      const Data& data = record.value();
      // The expiry policy applies to cookies too (Django leaves set_expiry() unenforced for
      // signed cookies, ticket #19201): the cookie's signing time is the last modification.
      // Strictly past, as the signature's own max_age check (an age equal to it is valid).
      if (add_saturating(record.issued_at, this->expiry_.expiry_age(data, settings, record.issued_at)) < now) {
        refuse(SessionEventKind::expired, "past the expiry policy's age");
        this->modified_ = true;
        return Loaded{};
      }
      if (over_key_limit(settings, *this->key_, data) || over_node_limit(settings, *this->key_, data)) {
        refuse(SessionEventKind::rejected, "over a limit");
        this->modified_ = true;
        return Loaded{};
      }
      if (record.shared) return Loaded{Data::object(), std::move(record.shared)};
      return Loaded{std::move(record.data), nullptr};
    } catch (const Error& e) {
      // Django: a bad cookie gives an empty session that is written back (create()), under the
      // same key until then.
      settings.logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                      std::string("Session cookie rejected: ") + e.what());
      if (dynamic_cast<const SignatureExpired*>(&e) != nullptr) {
        refuse(SessionEventKind::expired, "signature expired");
      } else {
        refuse(SessionEventKind::rejected, "tampered or corrupted");
      }
      this->modified_ = true;
      return Loaded{};
    }
  }

 private:
  // The session's data signed (or sealed) into the cookie value, the new key.
  void encode() {
    const Data& data = this->read_data();
    check_key_limit(*this->settings_, data);
    check_node_limit(*this->settings_, data);
    this->key_ = this->store_->encode(data, *this->settings_, this->settings_->clock.now());
    this->modified_ = true;
    this->request_.key_issued = true;
  }
};

}  // namespace sessions::detail
// ---- end sessions/detail/client_flow.hpp ----
// ---- begin sessions/detail/server_flow.hpp ----
// The server-side flow of a Session: the data lives in a store under a random key. A save writes
// through the store using only create-if-absent, update-if-present and touch, so a key collision
// never takes over a record and a slow request never brings back a session that a concurrent
// logout deleted. Unchanged data (same fingerprint, or the very value loaded) only moves the
// expiry. With lost-update protection, updates go through the store's compare-and-set.

// ---- begin sessions/detail/index_keeping.hpp ----
// How a Session keeps the per-user index in step over a UserIndexed store (user_indexed.hpp):
// what it remembers between its load and its save (the user the record was indexed under, the
// expiry of its last write, the client it was asked to record), and what each save, key change
// and delete tells the store. Over any other store IndexKeeper is empty and every call is an
// inline no-op: the request path of an application without the index is unchanged.

// ---- begin sessions/user_indexed.hpp ----
// UserIndexed<Store>: the same store, with the per-user index kept in step by every Session.
//
//   sessions::UserIndexed<sessions::SqliteStore> store{"sqlite:///var/lib/app/sessions.db"};
//   sessions::Session<sessions::UserIndexed<sessions::SqliteStore>> session{store, key, settings};
//
// The index is a compile-time choice, not a Settings flag, so that an application that does not
// want it pays nothing on its request path (not even a test of a flag), and so that asking for it
// over a store that cannot list its sessions (memcached, cookies) fails to compile, naming the
// missing operation of UserIndexStorage (user_index.hpp).
//
// Over a UserIndexed store, a Session indexes every successful save (create, save, cycle_key,
// touch) of data holding `_auth_user_id` under that user, with Settings::max_sessions_per_user as
// the limit; removes the entry when the session is deleted, flushed or moved to a new key; and
// moves it when the user id changes. record_client() adds the user agent and address the
// application wants shown in the listing. The listing, revocation and reindexing are in
// lifecycle.hpp, the background purge in purger.hpp.

// ---- begin sessions/detail/user_index_check.hpp ----
// The compile-time check that names the first operation of the per-user index (UserIndexStorage,
// user_index.hpp) a store lacks, written once for UserIndexed<Store> and for the functions that
// read the index (lifecycle.hpp, purger.hpp). A macro because a static_assert's message must be a
// string literal in C++20: a template could not put the asker's name in front of it.
//
//   SESSIONS_DETAIL_CHECK_USER_INDEX(Store, "UserIndexed<Store>: ")   inside a class or function

#define SESSIONS_DETAIL_CHECK_USER_INDEX(Store, who)                                                           \
  static_assert(::sessions::ServerStorage<Store>, who                                                          \
                "the store is not a server store: a cookie store keeps no sessions to index, list, revoke "    \
                "or purge");                                                                                   \
  static_assert(::sessions::requirement::index_session<Store>, who                                             \
                "the store lacks UserIndexStorage's index_session(std::string_view user, std::string_view "    \
                "key, const sessions::SessionDetails&, const sessions::UserSessionLimit&) -> "                 \
                "sessions::IndexOutcome (a store that cannot list its sessions, e.g. memcached or a cookie "   \
                "store, cannot keep the per-user index)");                                                     \
  static_assert(::sessions::requirement::unindex_session<Store>, who                                           \
                "the store lacks UserIndexStorage's unindex_session(std::string_view user, std::string_view "  \
                "key)");                                                                                       \
  static_assert(::sessions::requirement::user_sessions<Store>, who                                             \
                "the store lacks UserIndexStorage's user_sessions(std::string_view user, sessions::TimePoint " \
                "now) -> std::vector<sessions::UserSession>");                                                 \
  static_assert(::sessions::requirement::purge_expired<Store>, who                                             \
                "the store lacks UserIndexStorage's purge_expired(std::size_t batch, sessions::TimePoint "     \
                "now) -> std::vector<sessions::PurgedSession>");                                               \
  static_assert(::sessions::requirement::for_each_session<Store>,                                              \
                who "the store lacks UserIndexStorage's for_each_session(fn)")
// ---- end sessions/detail/user_index_check.hpp ----

namespace sessions {

template <class Store>
class UserIndexed : public Store {
  SESSIONS_DETAIL_CHECK_USER_INDEX(Store, "UserIndexed<Store>: ");

 public:
  using Store::Store;
  /// What a Session looks for to keep the index (KeepsUserIndex).
  static constexpr bool keeps_user_index = true;
};

/// A store whose sessions keep the per-user index in step (a UserIndexed store).
template <class S>
concept KeepsUserIndex = UserIndexStorage<S> && requires {
  requires static_cast<bool>(S::keeps_user_index);
};

}  // namespace sessions
// ---- end sessions/user_indexed.hpp ----
// ---- begin sessions/detail/lifecycle_check.hpp ----
// The mechanics shared by lifecycle.hpp and purger.hpp: the compile-time check that names what a
// store lacks (its messages in user_index_check.hpp, shared with UserIndexed), the user id of a
// stored payload, and one revocation told as an event.

namespace sessions::detail {

template <class Store>
struct LifecycleCheck {
  SESSIONS_DETAIL_CHECK_USER_INDEX(Store, "");
  static constexpr bool ok = true;
};

/// The member `key` of a JSON object, or null.
[[nodiscard]] inline const Data* find_member(const Data& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

/// `_auth_user_id` of a value payload as text, or empty.
[[nodiscard]] inline std::string user_id_of(const SharedMembers& members) {
  return members ? user_id_text(members->find(kAuthUserIdKey)) : std::string();
}
[[nodiscard]] inline std::string user_id_of(const SharedData& data) {
  return data && data->is_object() ? user_id_text(find_member(*data, kAuthUserIdKey)) : std::string();
}
[[nodiscard]] inline std::string user_id_of(const Data& data) {
  return data.is_object() ? user_id_text(find_member(data, kAuthUserIdKey)) : std::string();
}

/// Deletes one session of `user_id` (record and entry) and tells it as `destroyed`, "revoked".
template <class Store>
void revoke_one(Store& store, std::string_view user_id, std::string_view key, const Settings& settings) {
  store.remove(key);
  store.unindex_session(user_id, key);
  if (settings.on_event) tell_event<Store>(settings, SessionEventKind::destroyed, "revoked", key, user_id);
}

}  // namespace sessions::detail
// ---- end sessions/detail/lifecycle_check.hpp ----

namespace sessions::detail {

template <class Storage, bool Keeps = KeepsUserIndex<Storage>>
class IndexKeeper {
 public:
  void loaded(const Loaded&) noexcept {}
  void forget() noexcept {}
  void wrote(TimePoint) noexcept {}
  void record_client(std::string_view, std::string_view) noexcept {}
  template <class UserOf>
  bool after_write(Storage&, const Settings&, std::string_view, UserOf&&) noexcept {
    return false;
  }
  void removed(Storage&, std::string_view) noexcept {}
};

template <class Storage>
class IndexKeeper<Storage, true> {
 public:
  /// The session's own load found `loaded`: its user is the one the record is indexed under.
  void loaded(const Loaded& loaded) {
    if (loaded.members) {
      user_ = user_id_of(loaded.members);
    } else if (loaded.shared) {
      user_ = user_id_of(loaded.shared);
    } else {
      user_ = user_id_of(loaded.owned);
    }
  }
  /// The record is gone or was never there: nothing is indexed under the key.
  void forget() noexcept { user_.clear(); }

  /// The expiry the last write gave the record (the entry carries it).
  void wrote(TimePoint expires_at) noexcept { expires_at_ = expires_at; }

  void record_client(std::string_view user_agent, std::string_view address) {
    user_agent_.assign(user_agent);
    address_.assign(address);
  }

  /// After a successful write of `key`: indexes it under its user (`user_of()`, the current
  /// `_auth_user_id`), with Settings::max_sessions_per_user, moving it from a previous user. True
  /// when the limit refused it: the record is then deleted and the refusal told; the caller drops
  /// the key and throws.
  template <class UserOf>
  bool after_write(Storage& store, const Settings& settings, std::string_view key, UserOf&& user_of) {
    std::string user = user_of();
    if (!user_.empty() && user_ != user) store.unindex_session(user_, key);
    user_ = std::move(user);
    if (user_.empty()) return false;
    const TimePoint now = settings.clock.now();
    const IndexOutcome outcome =
        store.index_session(user_, key, SessionDetails{now, now, expires_at_, user_agent_, address_},
                            UserSessionLimit{settings.max_sessions_per_user, settings.at_session_limit});
    if (settings.on_event) {
      for (const std::string& evicted : outcome.evicted)
        tell_event<Storage>(settings, SessionEventKind::destroyed, "evicted", evicted, user_);
    }
    if (!outcome.refused) return false;
    store.remove(key);
    if (settings.on_event) tell_event<Storage>(settings, SessionEventKind::rejected, "session limit", key, user_);
    user_.clear();
    return true;
  }

  /// The record of `key` was deleted (delete, flush, or the old key of cycle_key).
  void removed(Storage& store, std::string_view key) {
    if (!user_.empty()) store.unindex_session(user_, key);
  }

 private:
  std::string user_;
  TimePoint expires_at_{};
  std::string user_agent_;
  std::string address_;
};

}  // namespace sessions::detail
// ---- end sessions/detail/index_keeping.hpp ----
// ---- begin sessions/detail/compare_and_set.hpp ----
// The server flow's compare-and-set save (Settings::lost_update fail or merge): the one write that
// may read the record again and merge this request's changes onto another's. A friend of
// ServerFlow (server_flow.hpp), which calls it from write() when the session is protected.

namespace sessions::detail {

// A compare-and-set save of the current data encoded as `payload`, against the version loaded.
// True when written (the session's data and `payload` then hold what was written, merged or
// not), false when the record is gone; ConflictError as the policy says.
template <class Flow, class Payload>
bool try_compare_and_set(Flow& flow, std::string_view key, Payload& payload, TimePoint expires_at) {
  using codec = typename Flow::codec;
  const Settings& settings = *flow.settings_;
  CasResult result = flow.store_->update_if(key, payload, expires_at, *flow.version_.expected);
  if (result == CasResult::written) return true;
  if (result == CasResult::missing) return false;
  if (settings.lost_update != LostUpdate::merge) conflict(settings, key, 0);
  for (int attempt = 1; attempt <= settings.merge_attempts; ++attempt) {
    auto record = flow.store_->load(key);
    if (!record) return false;  // deleted meanwhile: never brought back
    Data theirs = Data::object();
    if constexpr (codec::keeps_values) {
      theirs = codec::data_of(record->payload);  // a copy: merged_onto changes it
    } else {
      try {
        theirs = codec::loads(flow.serializer_, record->payload, key);
      } catch (const Error&) {
        theirs = Data::object();  // undecodable: as a load would, start from empty
      }
    }
    Data merged = merged_onto(flow.current(), flow.version_, std::move(theirs), key);
    flow.check_limits(merged);
    const TimePoint now = settings.clock.now();
    const TimePoint merged_expiry = add_saturating(now, flow.expiry_.expiry_age(merged, settings, now));
    Payload merged_payload = codec::encode(flow.serializer_, merged, key);
    if constexpr (!codec::keeps_values) check_size_limit(settings, merged_payload.size());
    result = flow.store_->update_if(key, merged_payload, merged_expiry, record->payload);
    if (result == CasResult::missing) return false;
    if (result == CasResult::written) {
      if constexpr (codec::kind == PayloadKind::members) {
        flow.adopt_written(std::move(merged), merged_payload);
      } else {
        flow.adopt_written(std::move(merged), nullptr);
      }
      payload = std::move(merged_payload);
      return true;
    }
  }
  conflict(settings, key, settings.merge_attempts);
}

// The compare-and-set save; a ConflictError it ends in, whichever refusal raised it (the
// compare-and-set under `fail`, a key both changed or the attempts running out under `merge`),
// is told as the session's conflict event first.
template <class Flow, class Payload>
bool compare_and_set_write(Flow& flow, std::string_view key, Payload& payload, TimePoint expires_at) {
  if constexpr (Flow::has_compare_and_set) {
    try {
      return try_compare_and_set(flow, key, payload, expires_at);
    } catch (const ConflictError&) {
      flow.tell(SessionEventKind::conflict, "changed by another request", key);
      throw;
    }
  } else {
    (void)flow;
    (void)key;
    (void)payload;
    (void)expires_at;
    return false;
  }
}

}  // namespace sessions::detail
// ---- end sessions/detail/compare_and_set.hpp ----

namespace sessions::detail {

template <class Storage, class SerializerT, class ExpiryT>
class ServerFlow : public SessionState<ServerFlow<Storage, SerializerT, ExpiryT>, Storage, SerializerT, ExpiryT> {
  using Base = SessionState<ServerFlow, Storage, SerializerT, ExpiryT>;
  using codec = typename Base::codec;
  using payload_type = typename Base::payload_type;

 public:
  static constexpr bool has_compare_and_set = requirement::storage_update_if<Storage>;
  /// How many fresh keys create() tries before giving up (a collision of 165-bit random keys
  /// means the random source or the store is broken, not bad luck).
  static constexpr int kCreateAttempts = 100;

  using Base::Base;

  static void check_settings(const Settings& settings) {
    if (settings.lost_update == LostUpdate::last_write_wins) return;
    if constexpr (!has_compare_and_set) {
      throw ConfigurationError(
          "Settings::lost_update is fail or merge, but the storage policy lacks update_if(std::string_view key, const "
          "payload_type&, sessions::TimePoint expires_at, const payload_type& expected) -> sessions::CasResult, the "
          "compare-and-set it needs");
    }
  }

  [[nodiscard]] bool accepts_key(std::string_view key) const { return is_valid_session_key(key); }

  [[nodiscard]] bool exists(std::string_view key) { return is_valid_session_key(key) && this->store_->exists(key); }

  static std::size_t clear_expired(Storage& store) { return static_cast<std::size_t>(store.clear_expired()); }

  /// Django's create(): a fresh key, stored at once with the current data; never overwrites.
  void create() {
    store_under_new_key();
    created();
  }

  void save(bool must_create) {
    if (!this->key_) {
      create();
      return;
    }
    if (must_create) {
      this->start_without_load();
    } else {
      begin_update();  // UpdateError when loading dropped the key (a concurrent logout)
    }
    if (!write(*this->key_, must_create)) {
      if (must_create) throw CreateError("a session with this key exists already");
      throw UpdateError("the session no longer exists in the store");
    }
    keep_index(*this->key_);
    this->tell(must_create ? SessionEventKind::created : SessionEventKind::saved, "saved", *this->key_);
  }

  // --- save() in steps, for a caller that makes the store calls itself (the async API's native
  // path): plan_write() says which call with what, complete_write() follows a successful one.

  /// save() of a session with a key, up to its write (plan_write(key, false)): the data read;
  /// UpdateError when loading dropped the key (the record vanished, e.g. a concurrent logout: it
  /// is never brought back).
  void begin_update() {
    this->ensure_loaded();
    if (!this->key_) throw UpdateError("the session no longer exists in the store");
  }
  /// After the write of begin_update()'s plan succeeded.
  void updated() {
    keep_index(*this->key_);
    this->tell(SessionEventKind::saved, "saved", *this->key_);
  }
  /// create() up to its writes (plan_write(a fresh key, true) each, until one is not taken): the
  /// data started empty where unread, the expiry policy's on_create.
  void begin_create() {
    this->start_without_load();
    this->expiry_on_create(this->settings_->clock.now());
  }
  /// After `key`'s create succeeded: the key is the session's.
  void took_key(std::string key) {
    this->key_ = std::move(key);
    this->modified_ = true;
    this->request_.key_issued = true;
  }
  /// create()'s end, once the record is stored under took_key()'s key.
  void created() {
    keep_index(*this->key_);
    this->tell(SessionEventKind::created, "new session", *this->key_);
  }

  enum class WriteKind { create, update, touch, compare_and_set };
  /// One write, planned: the store call, its payload (none for a touch) and expiry.
  struct WritePlan {
    WriteKind kind;
    TimePoint expires_at;
    payload_type payload{};
    std::uint64_t print = 0;  // bytes: the fingerprint of `payload`
  };

  /// write()'s checks (LimitExceeded before anything is written), expiry and payload, for `key`
  /// (a keyed serializer binds the bytes to it).
  WritePlan plan_write(std::string_view key, bool must_create) {
    if constexpr (Base::keeps_counts) {
      check_current_limits();
    } else {
      check_limits(this->current());
    }
    const TimePoint now = this->settings_->clock.now();
    const TimePoint expires_at =
        add_saturating(now, this->expiry_.expiry_age(this->expiry_data(), *this->settings_, now));
    index_.wrote(expires_at);
    const bool compare_and_set = !must_create && this->protecting() && this->version_.expected.has_value();
    if constexpr (codec::keeps_values) {
      (void)key;  // values are stored as they are
      // Unchanged (the very value loaded, or an equal one): only the expiry moves.
      if (compare_and_set && unchanged_since(*this->version_.expected)) return {WriteKind::touch, expires_at};
      return {compare_and_set ? WriteKind::compare_and_set
              : must_create   ? WriteKind::create
                              : WriteKind::update,
              expires_at, current_payload()};
    } else {
      const Data& data = this->current();
      std::string payload = codec::encode(this->serializer_, data, key);
      check_size_limit(*this->settings_, payload.size());
      const std::uint64_t print = codec::loaded_fingerprint(this->serializer_, payload, data);
      // Nothing to write: the version compared with stays.
      if (!must_create && this->baseline_ && *this->baseline_ == print) return {WriteKind::touch, expires_at};
      return {must_create       ? WriteKind::create
              : compare_and_set ? WriteKind::compare_and_set
                                : WriteKind::update,
              expires_at, std::move(payload), print};
    }
  }

  /// After the store wrote `plan` (a touch needs nothing): the baseline and the version compared with.
  void complete_write(WritePlan& plan) {
    if (plan.kind == WriteKind::touch) return;
    if constexpr (!codec::keeps_values) {
      // A merge wrote other bytes than the data gave.
      if (plan.kind == WriteKind::compare_and_set)
        plan.print = codec::loaded_fingerprint(this->serializer_, plan.payload, this->current());
      this->baseline_ = plan.print;
    }
    written(plan.payload);
  }

  /// Deletes this session's record (`reason`: "delete" or "flush"; `user_id` as it was before a
  /// flush emptied the data).
  void destroy(std::string_view reason, const std::string& user_id) {
    if (!this->key_) return;
    this->store_->remove(*this->key_);
    index_.removed(*this->store_, *this->key_);
    this->tell_with_user(SessionEventKind::destroyed, reason, user_id);
  }
  /// Deletes the record of another session.
  void destroy_other(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    this->store_->remove(key);
    if (this->settings_->on_event)
      tell_event<Storage>(*this->settings_, SessionEventKind::destroyed, "delete", key, {});
  }

  void cycle_key() {
    this->ensure_loaded();  // load first: the data must survive (Django ticket #28066)
    std::optional<std::string> old = this->key_;
    store_under_new_key();
    if (old) {
      this->store_->remove(*old);
      index_.removed(*this->store_, *old);
    }
    keep_index(*this->key_);
    this->tell(SessionEventKind::key_cycled, "cycle_key", *this->key_);
  }

  void touch() {
    // Load before reading key_: a load that finds no live record drops the key, so the key must
    // be read only after the data (never within one expression that may load).
    const Data& data = this->expiry_data();
    if (!this->key_) throw UpdateError("the session no longer exists in the store");
    const TimePoint now = this->settings_->clock.now();
    const TimePoint expires_at = add_saturating(now, this->expiry_.expiry_age(data, *this->settings_, now));
    if (!this->store_->touch(*this->key_, expires_at)) throw UpdateError("the session no longer exists in the store");
    index_.wrote(expires_at);
    keep_index(*this->key_);
  }

  /// Reads the record: empty data when it is missing or expired (and the key is dropped: the
  /// client's key is never adopted), undecodable or over a limit (logged, the key kept).
  /// `own_load`: this is the session's own load, which lost-update protection compares with; it
  /// takes the record fetched ahead (fetched()) when there is one.
  Loaded read_record(std::optional<std::uint64_t>& baseline, bool own_load) {
    baseline.reset();
    if (!this->key_) return nothing_loaded();
    if (own_load && fetched_) [[unlikely]] {
      Loaded loaded = process_record(*fetched_, baseline, own_load);
      fetched_.reset();
      return loaded;
    }
    auto record = this->store_->load(*this->key_);
    return process_record(record, baseline, own_load);
  }

  /// The key whose record the session's own load would read now (none when read already, or
  /// without a key): what the async API fetches ahead, off the session.
  [[nodiscard]] const std::string* key_to_fetch() const noexcept {
    return this->loaded_ || fetched_ || !this->key_ ? nullptr : &*this->key_;
  }
  /// The record of key_to_fetch(), read by someone else (the async API, on a pool thread or by a
  /// store's own async load): the session's own load processes it as if it had read it, when the
  /// data is first used (so a stale key still counts as Django's: dropped at that use, not now).
  void fetched(std::optional<Record<payload_type>> record) { fetched_.emplace(std::move(record)); }

  /// A record read for this session's key (read_record(), or fetched ahead), made data.
  /// (`record` is taken apart: its payload may be moved out.)
  Loaded process_record(std::optional<Record<payload_type>>& record, std::optional<std::uint64_t>& baseline,
                        bool own_load) {
    if (!record) {
      if (own_load) this->tell(SessionEventKind::missing, "not in the store", *this->key_);
      if (own_load) index_.forget();
      this->key_.reset();  // unknown or expired: never adopt the client's key (no record is created)
      return nothing_loaded();
    }
    const Settings& settings = *this->settings_;
    const std::string_view key = *this->key_;
    const bool protect = own_load && this->protecting();  // this load is the version a save compares with
    // Told by the session's own load only: an explicit load() reads without adopting, and the
    // session's own load after it would tell the same record again.
    const auto reject = [&](std::string_view reason) {
      if (own_load) this->tell(SessionEventKind::rejected, reason, key);
    };
    Loaded loaded = nothing_loaded();  // what a record over a limit loads as
    if constexpr (codec::keeps_values) {
      // A value store in this process holds only what a save of this library checked already:
      // walking the whole value again on every load cost 18% of a MemoryValueStore request. The
      // key count is O(1) and stays.
      if (!over_key_limit(settings, key, stored_key_count(record->payload))) {
        loaded = codec::decode(this->serializer_, record->payload, /*keep=*/protect, key);
      } else {
        reject("over a limit");
      }
    } else if (over_size_limit(settings, key, record->payload.size())) {  // too big: not even decoded
      reject("over a limit");
    } else {
      try {
        loaded = codec::decode(this->serializer_, record->payload, /*keep=*/true, key);
        if (over_key_limit(settings, key, loaded.owned) || over_node_limit(settings, key, loaded.owned)) {
          loaded.owned = Data::object();
          reject("over a limit");
        } else if (!codec::needs_rewrite(this->serializer_, record->payload)) {
          // Bytes to write again (sealed under a fallback key) get no baseline: the next save
          // then writes even unchanged data, under the current key.
          baseline = codec::loaded_fingerprint(this->serializer_, record->payload, loaded.owned);
        }
      } catch (const Error& e) {
        // Django: "Session data corrupted", logged on the security logger; the session goes on
        // empty under the same key.
        settings.logger(
            LogLevel::warning, "sessions.security.SuspiciousSession",
            std::string("Session data corrupted (key ") + std::string(loggable_key_prefix(key)) + "...): " + e.what());
        reject("data corrupted");
      }
    }
    if (own_load) index_.loaded(loaded);
    if (protect) {
      if constexpr (codec::kind == PayloadKind::members) {
        this->version_.remember(settings, std::move(record->payload), [&] { return codec::data_of(loaded.members); });
      } else {
        this->version_.remember(settings, std::move(record->payload), loaded.owned);
      }
    }
    return loaded;
  }

  /// Keeps the per-user index in step (an empty no-op unless the store is UserIndexed).
  [[no_unique_address]] IndexKeeper<Storage> index_{};

 private:
  // The record fetched ahead for the session's own load (an empty inner optional: none stored).
  std::optional<std::optional<Record<payload_type>>> fetched_;

  // After a successful write of `key`: the index follows (a UserIndexed store only). A session the
  // per-user limit refused is gone: the key is dropped and the caller told.
  void keep_index(std::string_view key) {
    if (index_.after_write(*this->store_, *this->settings_, key,
                           [this] { return user_id_text(this->find(kAuthUserIdKey)); })) {
      this->key_.reset();
      throw SessionLimitReached("the user holds Settings::max_sessions_per_user sessions already");
    }
  }

  // A fresh key, stored at once with the current data (create() and cycle_key()); never overwrites.
  void store_under_new_key() {
    begin_create();
    for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
      std::string key = generate_session_key(this->settings_->random);
      if (write(key, /*must_create=*/true)) {
        took_key(std::move(key));
        return;
      }
    }
    throw CreateError("unable to create a new session key: every attempt collided with an existing record");
  }

  // No record: empty data (for members, an empty list: no whole object is allocated).
  static Loaded nothing_loaded() {
    if constexpr (codec::kind == PayloadKind::members) {
      return Loaded{Data(), nullptr, nullptr};
    } else {
      return Loaded{};
    }
  }

  static std::size_t stored_key_count(const payload_type& payload) {
    if constexpr (codec::kind == PayloadKind::members) {
      return payload ? payload->size() : 0;
    } else {
      return payload.is_object() ? payload.size() : 0;
    }
  }

  // What a save must check before anything reaches the store.
  void check_limits(const Data& data) const {
    check_key_limit(*this->settings_, data);
    check_node_limit(*this->settings_, data);
    if constexpr (codec::keeps_values) {
      const std::size_t limit = this->settings_->max_payload_bytes;
      if (limit != 0) check_size_limit(*this->settings_, bounded_json_size(data, limit));
    }
  }

  // The limits of the current data of a value store: by its counts when the session knows them,
  // else by one walk whose counts the shared list then keeps.
  void check_current_limits() {
    const Settings& settings = *this->settings_;
    if (!counts_wanted(settings) || this->exposed_) {
      check_limits(this->current());
      return;
    }
    check_key_count(settings, this->key_count());
    std::optional<ValueCounts> counts = this->known_counts();
    if (!counts) {
      counts = this->walk_current_counts();
      this->remember_counts(counts);
      if (!counts) {
        check_limits(this->current());  // over a limit: throws, with that limit's own message
        return;
      }
    }
    check_node_count(settings, counts->nodes);
    check_size_limit(settings, counts->size);
  }

  // The payload for the current data: a value store's shared members (the loaded list itself
  // when unchanged), or the data encoded.
  payload_type current_payload() {
    if constexpr (codec::kind == PayloadKind::members) {
      return this->share();
    } else {
      return codec::encode(this->serializer_, this->current(), {});  // a value store: no bytes
    }
  }

  // The data still equals what `expected` (the version this request loaded) holds.
  bool unchanged_since(const payload_type& expected) requires codec::keeps_values {
    if constexpr (codec::kind == PayloadKind::members) {
      return expected ? this->same_members(*expected) : this->key_count() == 0;
    } else {
      return this->current() == expected;
    }
  }

  // After a successful write: what the record now holds is the version the next save of this
  // request compares with, and the baseline its merge compares keys with.
  void written(const payload_type& payload) {
    if (this->protecting()) this->version_.remember(*this->settings_, payload, [&] { return this->current(); });
  }

  // One write: create-if-absent, update-if-present (compare-and-set when protecting), or (for
  // unchanged data) touch. Returns the store's answer: false when the record exists (create) or
  // is gone (update/touch). LimitExceeded before anything is written when the data is too big.
  bool write(std::string_view key, bool must_create) {
    WritePlan plan = plan_write(key, must_create);
    bool ok = false;
    switch (plan.kind) {
      case WriteKind::touch:
        return this->store_->touch(key, plan.expires_at);
      case WriteKind::create:
        ok = this->store_->create(key, plan.payload, plan.expires_at);
        break;
      case WriteKind::update:
        ok = this->store_->update(key, plan.payload, plan.expires_at);
        break;
      case WriteKind::compare_and_set:
        ok = write_compare_and_set(key, plan.payload, plan.expires_at);
        break;
    }
    if (ok) complete_write(plan);
    return ok;
  }

  // A compare-and-set save (compare_and_set.hpp: the flow's one write that may read and merge).
  bool write_compare_and_set(std::string_view key, payload_type& payload, TimePoint expires_at) {
    return compare_and_set_write(*this, key, payload, expires_at);
  }
  template <class Flow, class Payload>
  friend bool compare_and_set_write(Flow&, std::string_view, Payload&, TimePoint);
  template <class Flow, class Payload>
  friend bool try_compare_and_set(Flow&, std::string_view, Payload&, TimePoint);
};

}  // namespace sessions::detail
// ---- end sessions/detail/server_flow.hpp ----
// ---- begin sessions/detail/session_access.hpp ----
// The middleware's side door into a Session: what it learnt from the request (the cookie, HTTPS),
// the handler's read-only promise, and a load that does not count as an access. None of this is
// Django's session API, so none of it is a public member of Session; the middleware (and an
// adapter that needs the same facts) reaches it here.

namespace sessions::detail {

struct SessionAccess {
  template <class SessionT>
  static void note_request(SessionT& session, bool cookie_received, bool secure) noexcept {
    session.s_.request_.cookie_received = cookie_received;
    session.s_.request_.secure = secure;
  }

  /// The response is to carry the session id in Settings::session_header, not in a cookie.
  template <class SessionT>
  static void answer_in_header(SessionT& session) noexcept {
    session.s_.request_.answer_in_header = true;
  }

  /// The request carried the session id (in its cookie, or in the session header).
  template <class SessionT>
  [[nodiscard]] static bool cookie_received(const SessionT& session) noexcept {
    return session.s_.request_.cookie_received;
  }

  template <class SessionT>
  [[nodiscard]] static bool answers_in_header(const SessionT& session) noexcept {
    return session.s_.request_.answer_in_header;
  }

  /// This request gave the session a key (create, cycle_key, a cookie store's save).
  template <class SessionT>
  [[nodiscard]] static bool key_issued(const SessionT& session) noexcept {
    return session.s_.request_.key_issued;
  }

  /// The request came over HTTPS (as the middleware was told).
  template <class SessionT>
  [[nodiscard]] static bool request_secure(const SessionT& session) noexcept {
    return session.s_.request_.secure;
  }

  /// read_only() was called: an unmodified session is never saved or re-sent.
  template <class SessionT>
  [[nodiscard]] static bool read_only_requested(const SessionT& session) noexcept {
    return session.s_.request_.read_only;
  }

  /// The key whose record the session's own load would read (null: nothing to read, or a client-
  /// side session, which reads none); the async API reads it off the session and hands it back
  /// through fetched().
  template <class SessionT>
  [[nodiscard]] static const std::string* key_to_fetch(const SessionT& session) noexcept {
    if constexpr (requires { session.s_.key_to_fetch(); }) {
      return session.s_.key_to_fetch();
    } else {
      return nullptr;
    }
  }
  template <class SessionT, class RecordT>
  static void fetched(SessionT& session, RecordT record) {
    session.s_.fetched(std::move(record));
  }

  /// An empty session over the same store, settings, serializer and expiry policy: what an
  /// asynchronous operation hands back beside an error when the session it was given is gone.
  template <class SessionT>
  [[nodiscard]] static SessionT blank_like(const SessionT& session) {
    return SessionT(*session.s_.store_, *session.s_.settings_, session.s_.serializer_, session.s_.expiry_);
  }

  /// The session's flow itself (detail/server_flow.hpp): for the async API's native path, which
  /// makes a save's store calls itself between the flow's steps.
  template <class SessionT>
  [[nodiscard]] static auto& flow(SessionT& session) noexcept {
    return session.s_;
  }

  /// Reads the record if not read yet without marking the session accessed.
  template <class SessionT>
  static void load_without_access(SessionT& session) {
    session.s_.load_without_access();
  }
};

}  // namespace sessions::detail
// ---- end sessions/detail/session_access.hpp ----
// ---- begin sessions/detail/value_conversion.hpp ----
// Session::get(key, fallback)'s conversion of a stored value to the fallback's type.

namespace sessions::detail {

/// The type get(key, fallback) returns: the fallback's, with a string literal (or anything else
/// that converts to std::string_view, but Data) read as std::string.
template <class T>
using get_result_t =
    std::conditional_t<std::is_convertible_v<T, std::string_view> && !std::is_same_v<std::remove_cvref_t<T>, Data>,
                       std::string, std::remove_cvref_t<T>>;

/// `value` (stored under `key`) as an R; ValueTypeError when it cannot be converted.
template <class R>
[[nodiscard]] R converted_value(std::string_view key, const Data& value) {
  if constexpr (std::is_same_v<R, Data>) {
    return value;
  } else {
    try {
      return value.template get<R>();
    } catch (const nlohmann::json::exception&) {
      throw ValueTypeError("session value '" + std::string(key) + "' is a " + value.type_name() +
                           " and cannot be converted to the requested type");
    }
  }
}

}  // namespace sessions::detail
// ---- end sessions/detail/value_conversion.hpp ----
// ---- begin sessions/expiry_query.hpp ----
// ExpiryQuery: Django's keyword arguments of get_expiry_age()/get_expiry_date().

namespace sessions {

/// The optional arguments of get_expiry_age()/get_expiry_date(), as in Django: `modification`
/// defaults to now; passing `expiry` (even std::monostate, Django's None) uses it instead of the
/// session's own `_session_expiry` and does not load the session.
struct ExpiryQuery {
  std::optional<TimePoint> modification = std::nullopt;
  std::optional<ExpiryValue> expiry = std::nullopt;
};

}  // namespace sessions
// ---- end sessions/expiry_query.hpp ----
// ---- begin sessions/read_only_session.hpp ----
// ReadOnlySession: what a handler that only reads gets from Session::read_only(). Once taken, an
// unmodified session is never saved or re-sent by the middleware, whatever the settings say.

namespace sessions {

/// A read-only view of a session: everything a handler needs to read, nothing that writes.
template <class SessionT>
class ReadOnlySession {
 public:
  explicit ReadOnlySession(SessionT& session) noexcept : session_(&session) {}

  [[nodiscard]] Data get(std::string_view key) const { return session_->get(key); }
  template <class T>
  [[nodiscard]] auto get(std::string_view key, T&& fallback) const {
    return session_->get(key, std::forward<T>(fallback));
  }
  [[nodiscard]] bool contains(std::string_view key) const { return session_->contains(key); }
  [[nodiscard]] std::vector<std::string> keys() const { return session_->keys(); }
  [[nodiscard]] std::vector<Data> values() const { return session_->values(); }
  [[nodiscard]] std::vector<std::pair<std::string, Data>> items() const { return session_->items(); }
  [[nodiscard]] const Data& data() const { return session_->data(); }
  [[nodiscard]] bool test_cookie_worked() const { return session_->test_cookie_worked(); }
  [[nodiscard]] std::int64_t get_expiry_age() const { return session_->get_expiry_age(); }
  [[nodiscard]] std::int64_t get_expiry_age(const ExpiryQuery& query) const { return session_->get_expiry_age(query); }
  [[nodiscard]] TimePoint get_expiry_date() const { return session_->get_expiry_date(); }
  [[nodiscard]] TimePoint get_expiry_date(const ExpiryQuery& query) const { return session_->get_expiry_date(query); }
  [[nodiscard]] bool get_expire_at_browser_close() const { return session_->get_expire_at_browser_close(); }
  [[nodiscard]] const std::optional<std::string>& session_key() const noexcept { return session_->session_key(); }
  [[nodiscard]] bool is_empty() const noexcept { return session_->is_empty(); }

 private:
  SessionT* session_;
};

}  // namespace sessions
// ---- end sessions/read_only_session.hpp ----

namespace sessions {

template <class StorageT, class SerializerT = JsonSerializer, class ExpiryT = DjangoExpiry>
class Session {
  static_assert(detail::policies_checked<StorageT, SerializerT, ExpiryT>);

  // The server-side or the client-side flow, chosen once (as Django picks a SessionStore class
  // per backend); it also holds the session's state.
  using Flow = std::conditional_t<ClientStorage<StorageT>, detail::ClientFlow<StorageT, SerializerT, ExpiryT>,
                                  detail::ServerFlow<StorageT, SerializerT, ExpiryT>>;
  friend struct detail::SessionAccess;

 public:
  using storage_type = StorageT;
  using serializer_type = SerializerT;
  using expiry_type = ExpiryT;

  /// A new session (Django: SessionStore()).
  explicit Session(StorageT& store, const Settings& settings = default_settings(), SerializerT serializer = {},
                   ExpiryT expiry = {})
      : s_(store, settings, std::move(serializer), std::move(expiry)) {
    check_settings(settings);
  }

  /// An existing session (Django: SessionStore(session_key=...)). A key that fails validation is
  /// dropped, as Django drops keys shorter than 8 characters: the session starts empty and a
  /// save gives it a fresh key. Nothing is loaded until the data is used.
  Session(StorageT& store, std::string_view key, const Settings& settings = default_settings(),
          SerializerT serializer = {}, ExpiryT expiry = {})
      : Session(store, settings, std::move(serializer), std::move(expiry)) {
    if (s_.accepts_key(key)) s_.key_.emplace(key);
  }

  // Settings are held by reference: a temporary would dangle.
  Session(StorageT&, const Settings&&, SerializerT = {}, ExpiryT = {}) = delete;
  Session(StorageT&, std::string_view, const Settings&&, SerializerT = {}, ExpiryT = {}) = delete;

  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// ConfigurationError when `settings` ask for something this Session's store cannot do: lost-
  /// update protection over a store without update_if(). Middleware checks it once at
  /// construction; every Session checks it again (a comparison).
  static void check_settings(const Settings& settings) {
    Flow::check_settings(settings);
    if (settings.lost_update == LostUpdate::merge && settings.merge_attempts < 1) {
      throw ConfigurationError("Settings::merge_attempts must be at least 1");
    }
  }

  /// The session's key; empty until the session has one (a new session gets it on save/create).
  [[nodiscard]] const std::optional<std::string>& session_key() const noexcept { return s_.key_; }

  // --- reading (loads on first use, sets accessed) -----------------------------------------------

  /// The value under `key`, or null when absent (Django: get(key) -> None).
  [[nodiscard]] Data get(std::string_view key) {
    const Data* value = s_.find(key);
    return value ? *value : Data{};
  }

  /// The value under `key` converted to the type of `fallback`, or `fallback` when absent.
  /// A stored value that cannot be converted is a ValueTypeError. A string literal fallback
  /// gives a std::string.
  template <class T>
  [[nodiscard]] auto get(std::string_view key, T&& fallback) {
    using Result = detail::get_result_t<T>;
    const Data* value = s_.find(key);
    if (!value) return Result(std::forward<T>(fallback));
    return detail::converted_value<Result>(key, *value);
  }

  /// The value under `key`; KeyError when absent (Django: session[key]). The reference allows
  /// in-place changes, which save() detects by fingerprint; it stays valid until the next change.
  [[nodiscard]] Data& at(std::string_view key) {
    require(key);
    return *s_.expose().find(key);
  }

  /// Django: `key in session` / has_key(key).
  [[nodiscard]] bool contains(std::string_view key) { return s_.find(key) != nullptr; }

  [[nodiscard]] std::vector<std::string> keys() {
    std::vector<std::string> out;
    const Data& data = s_.read_data();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.push_back(item.key());
    return out;
  }

  [[nodiscard]] std::vector<Data> values() {
    std::vector<Data> out;
    const Data& data = s_.read_data();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.push_back(item.value());
    return out;
  }

  [[nodiscard]] std::vector<std::pair<std::string, Data>> items() {
    std::vector<std::pair<std::string, Data>> out;
    const Data& data = s_.read_data();
    out.reserve(data.size());
    for (const auto& item : data.items()) out.emplace_back(item.key(), item.value());
    return out;
  }

  /// The whole data, read-only; the reference stays valid until the session next changes.
  [[nodiscard]] const Data& data() { return s_.read_data(); }

  // --- writing (loads on first use, sets modified) -----------------------------------------------

  /// Django: session[key] = value.
  template <class V>
  void set(std::string_view key, V&& value) {
    s_.assign(key, Data(std::forward<V>(value)));
    s_.modified_ = true;
  }

  /// Django: del session[key]. KeyError when absent, as Django's `del` (not a count, as
  /// std::map::erase returns): a missing key is a bug in the caller, and pop(key, fallback) is
  /// the call for "remove if present".
  void erase(std::string_view key) {
    require(key);
    s_.erase(key);
    s_.modified_ = true;
  }

  /// Django: pop(key); KeyError when absent.
  Data pop(std::string_view key) {
    require(key);
    Data& data = s_.write_data();
    const auto it = data.find(key);
    Data value = std::move(*it);
    data.erase(it);
    s_.modified_ = true;
    return value;
  }

  /// Django: pop(key, default). A missing key does not mark the session modified.
  template <class T>
  auto pop(std::string_view key, T&& fallback) {
    using Result = detail::get_result_t<T>;
    if (!contains(key)) return Result(std::forward<T>(fallback));
    Data& data = s_.write_data();
    const auto it = data.find(key);
    Result value = detail::converted_value<Result>(key, *it);
    data.erase(it);
    s_.modified_ = true;
    return value;
  }

  /// Django: setdefault(key, value): the stored value if present, else stores and returns `value`.
  template <class V>
  Data setdefault(std::string_view key, V&& value) {
    if (const Data* stored = s_.find(key)) return *stored;
    Data stored(std::forward<V>(value));
    s_.assign(key, stored);
    s_.modified_ = true;
    return stored;
  }

  /// Django: update(dict). Marks the session modified even when `values` is empty.
  void update(const Data& values) {
    if (!values.is_object()) throw ValueTypeError("update() takes a JSON object");
    Data& data = s_.write_data();
    for (const auto& item : values.items()) data[item.key()] = item.value();
    s_.modified_ = true;
  }

  /// Django: clear(). Empties the data without loading it.
  void clear() {
    s_.replace_with_empty();
    s_.baseline_.reset();
    s_.accessed_ = s_.modified_ = true;
    s_.version_.whole_change = true;  // a merge replaces the record's data rather than re-applying keys
  }

  /// Django: is_empty(): no valid key and no data (or data never loaded).
  [[nodiscard]] bool is_empty() const noexcept { return s_.is_empty(); }

  // --- the test cookie ---------------------------------------------------------------------------

  static constexpr std::string_view kTestCookieName = "testcookie";
  static constexpr std::string_view kTestCookieValue = "worked";

  void set_test_cookie() { set(kTestCookieName, kTestCookieValue); }
  [[nodiscard]] bool test_cookie_worked() {
    const Data* value = s_.find(kTestCookieName);
    return value && *value == kTestCookieValue;
  }
  void delete_test_cookie() { erase(kTestCookieName); }

  // --- expiry ------------------------------------------------------------------------------------

  /// Django: set_expiry(None): back to the global policy.
  void set_expiry(std::nullopt_t) {
    if (!contains(kSessionExpiryKey)) return;
    s_.erase(kSessionExpiryKey);
    s_.modified_ = true;
  }
  /// Django: set_expiry(seconds): expire after that many seconds of inactivity; 0 means when the
  /// browser closes.
  template <class Int>
  requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>)void set_expiry(Int seconds) {
    set(kSessionExpiryKey, saturate_int64(seconds));
  }
  /// Django: set_expiry(timedelta): expire at now + duration (stored as an ISO-8601 date).
  template <class Rep, class Period>
  void set_expiry(std::chrono::duration<Rep, Period> duration) {
    set_expiry(add_saturating(s_.settings_->clock.now(), duration));
  }
  /// Django: set_expiry(datetime): expire at that instant (stored as an ISO-8601 date, as Django
  /// 4.1+ does).
  void set_expiry(TimePoint when) { set(kSessionExpiryKey, iso8601::format(when)); }

  /// Django: `get_expiry_age(modification=now, expiry=<stored>)`: seconds the session lives.
  [[nodiscard]] std::int64_t get_expiry_age() { return expiry_age_at(s_.settings_->clock.now(), nullptr); }
  [[nodiscard]] std::int64_t get_expiry_age(const ExpiryQuery& query) {
    return expiry_age_at(modification_of(query), query.expiry ? &*query.expiry : nullptr);
  }

  /// Django: `get_expiry_date(modification=now, expiry=<stored>)`: the instant the session ends.
  [[nodiscard]] TimePoint get_expiry_date() { return expiry_date_at(s_.settings_->clock.now(), nullptr); }
  [[nodiscard]] TimePoint get_expiry_date(const ExpiryQuery& query) {
    return expiry_date_at(modification_of(query), query.expiry ? &*query.expiry : nullptr);
  }

  [[nodiscard]] bool get_expire_at_browser_close() {
    return s_.expiry_.expire_at_browser_close(s_.expiry_data(), *s_.settings_);
  }

  [[nodiscard]] std::int64_t get_session_cookie_age() const noexcept { return s_.settings_->cookie_age.count(); }

  // --- lifecycle ---------------------------------------------------------------------------------

  /// Django: exists(key): a live record is stored under `key` (an invalid key never is).
  /// Always false for client-side stores: nothing is kept on the server (as Django's signed_cookies).
  [[nodiscard]] bool exists(std::string_view key) { return s_.exists(key); }

  /// Django: create(): a fresh key, stored at once with the current data (empty for a new
  /// session); never overwrites a record. The session is then modified (the cookie must go out).
  void create() { s_.create(); }

  /// Django: save(must_create=false). A session without a key is created. With must_create the
  /// record must not exist yet (CreateError); otherwise it must still exist (UpdateError: the
  /// session was deleted meanwhile and is not brought back). Data that did not change since it
  /// was loaded is not written again: only its expiry is refreshed.
  void save(bool must_create = false) { s_.save(must_create); }

  /// Django: delete(key=None): removes the record of `key`, or of this session when none is given.
  void destroy() { s_.destroy("delete", s_.event_user_id()); }
  void destroy(std::string_view key) { s_.destroy_other(key); }

  /// Django: load(): reads the record from the store now (always, even when the session holds
  /// data already) and returns a copy of its data, without adopting it: the session's own data is
  /// untouched. A missing or expired record gives empty data and drops the key; an undecodable one
  /// gives empty data. Reading through get()/data() loads lazily instead and keeps the result.
  [[nodiscard]] Data load() {
    std::optional<std::uint64_t> ignored;
    detail::Loaded loaded = s_.read_record(ignored, /*own_load=*/false);
    if (loaded.shared) return *loaded.shared;
    if (loaded.members) return loaded.members->to_data();
    if (loaded.owned.is_null()) return Data::object();  // nothing stored
    return std::move(loaded.owned);
  }

  /// Django: flush(): empties the data, deletes the record and drops the key.
  void flush() {
    const std::string user_id = s_.event_user_id();  // for the destroyed event, before clear()
    clear();
    s_.destroy("flush", user_id);
    s_.key_.reset();
  }

  /// Django: cycle_key(): same data under a new key; the old record is deleted. Call it at login
  /// to defeat session fixation.
  void cycle_key() { s_.cycle_key(); }

  /// Django: SessionStore.clear_expired(): removes expired records; returns how many.
  static std::size_t clear_expired(StorageT& store) { return Flow::clear_expired(store); }
  std::size_t clear_expired() { return Flow::clear_expired(*s_.store_); }

  /// The user agent and address the per-user index shows for this session (user_indexed.hpp),
  /// kept from the next save on (a save without them keeps what the entry has). Shown to the
  /// user, never trusted. Nothing at all over a store that keeps no index.
  void record_client(std::string_view user_agent, std::string_view address) {
    if constexpr (!ClientStorage<StorageT>) s_.index_.record_client(user_agent, address);
  }

  /// Refreshes the record's expiry without writing its data (for expiry policies that extend the
  /// session on every request). UpdateError when the record is gone.
  void touch() {
    if (!s_.key_) return;
    s_.touch();
  }

  // --- state -------------------------------------------------------------------------------------

  [[nodiscard]] bool accessed() const noexcept { return s_.accessed_; }
  [[nodiscard]] bool modified() const noexcept { return s_.modified_; }
  /// Django's writable attributes: `request.session.modified = True` is Django's documented way to
  /// force a save (e.g. after a change it cannot see); tests reset both between steps.
  void set_accessed(bool value) noexcept { s_.accessed_ = value; }
  void set_modified(bool value) noexcept { s_.modified_ = value; }

  /// True when a save would change the stored record: modified, or changed in place through a
  /// reference from at() (compared by fingerprint with what was loaded).
  [[nodiscard]] bool needs_save() const { return s_.needs_save(); }

  /// A read-only view for a handler that only reads; once taken, an unmodified session is never
  /// saved or re-sent by the middleware, whatever the settings say.
  [[nodiscard]] ReadOnlySession<Session> read_only() {
    s_.request_.read_only = true;
    return ReadOnlySession<Session>(*this);
  }

  [[nodiscard]] const Settings& settings() const noexcept { return *s_.settings_; }
  [[nodiscard]] StorageT& store() noexcept { return *s_.store_; }
  [[nodiscard]] const ExpiryT& expiry_policy() const noexcept { return s_.expiry_; }

 private:
  // KeyError unless the data holds `key` (Django's KeyError).
  void require(std::string_view key) {
    if (!contains(key)) throw KeyError("no session value named '" + std::string(key) + "'");
  }

  TimePoint modification_of(const ExpiryQuery& query) const {
    return query.modification ? *query.modification : s_.settings_->clock.now();
  }

  // `expiry` given (even None) replaces the session's own and does not load the session.
  std::int64_t expiry_age_at(TimePoint modification, const ExpiryValue* expiry) {
    if (expiry) return django_expiry_age(*expiry, s_.settings_->cookie_age, modification).count();
    return s_.expiry_.expiry_age(s_.expiry_data(), *s_.settings_, modification).count();
  }

  TimePoint expiry_date_at(TimePoint modification, const ExpiryValue* expiry) {
    if (expiry) return django_expiry_date(*expiry, s_.settings_->cookie_age, modification);
    const Data& data = s_.expiry_data();
    if constexpr (ExpiryDatePolicy<ExpiryT>) {
      return s_.expiry_.expiry_date(data, *s_.settings_, modification);
    } else {
      return add_saturating(modification, s_.expiry_.expiry_age(data, *s_.settings_, modification));
    }
  }

  Flow s_;
};

}  // namespace sessions
// ---- end sessions/session.hpp ----
// ---- begin sessions/middleware.hpp ----
// Middleware: Django's SessionMiddleware without a web framework. open() turns a request's
// Cookie header into a Session; finish() turns the Session and the response status into the
// headers to add to the response (Set-Cookie, Vary), saving the session on the way exactly when
// Django's middleware would.
//
// The session id can also travel in a request header (Settings::session_id_from, for API and
// mobile clients, as Spring Session's header resolver): the adapter then passes that header's
// value to open() too (session_header_name() says which header, null when only the cookie
// counts), and finish() answers in the same header: the new id when this request created the
// session or cycled its key, the header empty when the session the client named is gone (unknown,
// expired, flushed), nothing otherwise. The id the client sent is never sent back. Where Django
// adds `Vary: Cookie`, a header mode adds `Vary: <header>` (and `Vary: Cookie` when the cookie is
// read too) and `Cache-Control: private`: a shared cache must not serve one client's session page
// to another. The decisions (when to save, when to delete) are Django's in every mode.
//
// Several middlewares (different cookie names, stores, lifetimes) can serve one request: each
// opens and finishes its own session, and an adapter applies each one's headers in turn (Vary
// merges, so it names Cookie once).

// ---- begin sessions/header_fields.hpp ----
// The response headers the middleware hands to an adapter, and how an adapter puts them on its
// response: Vary and Cache-Control merge into the response's own field of that name (one field,
// as Django's patch_vary_headers and patch_cache_control leave it), every other header (Set-Cookie,
// the session header) is added as a field of its own. An adapter needs only this:
//
//   for (const HeaderField& h : middleware.finish(session, status)) {
//     if (merges_into_response(h.name)) set(h.name, merge_header(h.name, existing(h.name), h.value));
//     else add(h.name, h.value);
//   }

#include <cctype>

namespace sessions {

struct HeaderField {
  std::string name;
  std::string value;
  friend bool operator==(const HeaderField&, const HeaderField&) = default;
};
using HeaderFields = std::vector<HeaderField>;

namespace detail {

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// Calls `each(item)` for every non-empty, trimmed item of a comma-separated header value; stops
/// (returning true) when `each` returns true.
template <class Each>
bool any_list_item(std::string_view value, Each&& each) {
  while (true) {
    const auto comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (!item.empty() && each(item)) return true;
    if (comma == std::string_view::npos) return false;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace detail

/// Django's patch_vary_headers for one header: `add` appended to an existing Vary value unless
/// present already (compared case-insensitively); `*` stays `*`.
[[nodiscard]] inline std::string patch_vary(std::string_view existing, std::string_view add) {
  bool any = false;
  bool star = false;
  const bool present = detail::any_list_item(existing, [&](std::string_view item) {
    any = true;
    star = item == "*";
    return star || detail::iequal(item, add);
  });
  if (star) return "*";
  if (present) return std::string(detail::trim_ows(existing));
  if (!any) return std::string(add);
  std::string out(detail::trim_ows(existing));
  out += ", ";
  out += add;
  return out;
}

/// Django's patch_cache_control(response, private=True): `public` dropped (the two contradict
/// each other), `private` appended unless present already; the other directives stay as they are.
[[nodiscard]] inline std::string patch_cache_control_private(std::string_view existing) {
  std::string out;
  bool has_private = false;
  (void)detail::any_list_item(existing, [&](std::string_view item) {
    const std::string_view directive = detail::trim_ows(item.substr(0, item.find('=')));
    if (detail::iequal(directive, "public")) return false;
    has_private = has_private || detail::iequal(directive, "private");
    if (!out.empty()) out += ", ";
    out += item;
    return false;
  });
  if (!has_private) out += out.empty() ? "private" : ", private";
  return out;
}

/// Whether an adapter merges the header `name` from the middleware into the response's own field
/// of that name (Vary, Cache-Control) instead of adding a field.
[[nodiscard]] inline bool merges_into_response(std::string_view name) noexcept {
  return detail::iequal(name, "Vary") || detail::iequal(name, "Cache-Control");
}

/// The merged value of a header merges_into_response() names: `existing` is the response's own
/// value (its fields joined with ", "; empty when it has none), `add` the middleware's.
[[nodiscard]] inline std::string merge_header(std::string_view name, std::string_view existing, std::string_view add) {
  if (detail::trim_ows(existing).empty()) return std::string(add);
  // The middleware's Cache-Control is always `private`.
  if (detail::iequal(name, "Cache-Control")) return patch_cache_control_private(existing);
  return patch_vary(existing, add);  // the middleware sends one name per Vary field
}

}  // namespace sessions
// ---- end sessions/header_fields.hpp ----

namespace sessions {

namespace detail {
template <class MiddlewareT, class Handler>
class NativeFinish;  // async/detail/native_finish.hpp
}  // namespace detail
template <class MiddlewareT>
class AsyncMiddleware;  // async/async_middleware.hpp

template <class SessionT>
class Middleware {
 public:
  using session_type = SessionT;
  using storage_type = typename SessionT::storage_type;
  using serializer_type = typename SessionT::serializer_type;
  using expiry_type = typename SessionT::expiry_type;

  explicit Middleware(storage_type& store, const Settings& settings = default_settings(),
                      serializer_type serializer = {}, expiry_type expiry = {})
      : store_(&store), settings_(&settings), serializer_(std::move(serializer)), expiry_(std::move(expiry)) {
    SessionT::check_settings(settings);  // e.g. lost-update protection over a store without update_if
  }
  Middleware(storage_type&, const Settings&&, serializer_type = {}, expiry_type = {}) = delete;

  /// The request side: the session named by the request's session cookie (or a new one).
  /// `cookie_header` is the whole Cookie header (empty when absent); `secure` says whether the
  /// request came over HTTPS. `session_header` is the value of the header session_header_name()
  /// names, std::nullopt when the request has none (only read when Settings::session_id_from
  /// says so). With header_then_cookie, a request that carries the header (even empty: a client
  /// asking for its first id there) is answered in it; one without it is a cookie request.
  [[nodiscard]] SessionT open(std::string_view cookie_header, bool secure = false,
                              std::optional<std::string_view> session_header = std::nullopt) const {
    if (settings_->session_id_from != SessionIdFrom::cookie &&
        (session_header || settings_->session_id_from == SessionIdFrom::header)) {
      return open_from_header(session_header.value_or(std::string_view{}), secure);
    }
    // Both returns are prvalues: a named session returned beside another return would be moved
    // out instead of built in place (a measurable part of a request).
    return open_from_cookie(cookie_header, secure);
  }

  /// The response side, as Django's process_response: the headers to add. Throws
  /// SessionInterrupted when the session was deleted while the request ran (answer 400), and
  /// CookieError when the cookie cannot be written safely. Other save errors propagate as they
  /// are, nothing written: ConflictError (Settings::lost_update = fail, or merge out of attempts:
  /// answer 409 or retry the request), LimitExceeded (the session outgrew Settings::max_keys or
  /// max_payload_bytes: answer 413 or 400), StorageError (the store failed: 503).
  /// With the id in a header, that header (not Set-Cookie) says what became of the session.
  [[nodiscard]] HeaderFields finish(SessionT& session, int status) const {
    HeaderFields headers;
    if (decide_finish(session, status, headers)) save_and_finish(session, headers);
    return headers;
  }

  /// What open() learnt from the request: it carried the session cookie (in a header mode, the
  /// session id, from whichever of the two open() read).
  [[nodiscard]] static bool cookie_received(const SessionT& session) noexcept {
    return detail::SessionAccess::cookie_received(session);
  }
  /// What open() was told: the request came over HTTPS.
  [[nodiscard]] static bool request_secure(const SessionT& session) noexcept {
    return detail::SessionAccess::request_secure(session);
  }
  /// Reads the session's record now (if not read yet) without marking it accessed, as finish()
  /// does before deciding whether a stale key left the session empty.
  static void load_without_access(SessionT& session) { detail::SessionAccess::load_without_access(session); }

  /// The request header an adapter passes to open() (Settings::session_header), or null when
  /// the middleware reads only the cookie (Settings::session_id_from = cookie): then it need not look.
  [[nodiscard]] const std::string* session_header_name() const noexcept {
    return settings_->session_id_from == SessionIdFrom::cookie ? nullptr : &settings_->session_header;
  }
  /// What open() decided: the response carries the session id in the session header.
  [[nodiscard]] static bool answers_in_header(const SessionT& session) noexcept {
    return detail::SessionAccess::answers_in_header(session);
  }

  [[nodiscard]] const Settings& settings() const noexcept { return *settings_; }
  [[nodiscard]] storage_type& store() const noexcept { return *store_; }

 private:
  template <class, class>
  friend class detail::NativeFinish;  // the async API: makes finish()'s save itself, between these two steps
  template <class>
  friend class AsyncMiddleware;  // decides on its I/O thread; only a save goes to the pool

  // finish() up to its save: the headers that go out whatever the save does (Vary, or the
  // deletion of the cookie of a session gone empty); true when the session is to be saved
  // (begin_cookie(), the save, finish_headers()), false when `headers` are all.
  bool decide_finish(SessionT& session, int status, HeaderFields& headers) const {
    const Settings& s = *settings_;
    headers.reserve(2);  // at most Set-Cookie and Vary (a header mode's up to 4 grow it once)
    const bool in_header = detail::SessionAccess::answers_in_header(session);
    const auto add_vary = [&] {
      if (s.session_id_from == SessionIdFrom::cookie) {
        headers.push_back({"Vary", "Cookie"});
      } else {
        add_header_vary(headers);
      }
    };
    const bool accessed = session.accessed();
    const bool refresh = accessed && session.session_key() && session.expiry_policy().refresh_on_access(s);
    const bool read_only = detail::SessionAccess::read_only_requested(session);

    // A save on every request (or a refresh) reads the record first: a stale key then leaves
    // the session empty and its cookie is deleted, instead of failing the save.
    if ((s.save_every_request || refresh) && !read_only && session.session_key()) {
      detail::SessionAccess::load_without_access(session);
    }

    if (detail::SessionAccess::cookie_received(session) && session.is_empty()) {
      if (in_header) {
        headers.push_back({s.session_header, std::string()});  // the client forgets its id
      } else {
        headers.push_back({"Set-Cookie", cookie::delete_cookie_value(s.cookie_name, s.cookie_path, s.cookie_domain,
                                                                     s.cookie_samesite)});
      }
      add_vary();
      return false;
    }
    if (accessed) add_vary();
    if (session.is_empty()) return false;

    const bool changed = session.needs_save();
    if (read_only && !changed) return false;
    if (!changed && !s.save_every_request && !refresh) return false;
    return status < s.no_save_status_from;
  }

  // finish() after decide_finish() said to save: the save, then the headers it completes.
  void save_and_finish(SessionT& session, HeaderFields& headers) const {
    cookie::SetCookie c = begin_cookie(session);
    try {
      session.save();
    } catch (const UpdateError&) {
      throw SessionInterrupted();
    }
    finish_headers(session, headers, c);
  }

  // The cookie of a session decide_finish() said to save, its expiry read before the save (as
  // Django's middleware reads it); finish_headers() completes it.
  cookie::SetCookie begin_cookie(SessionT& session) const {
    cookie::SetCookie c;
    if (!detail::SessionAccess::answers_in_header(session)) {
      c.name = settings_->cookie_name;
      if (!session.get_expire_at_browser_close()) {
        const auto age = clamp_expiry_age(session.get_expiry_age());
        c.max_age = age;
        c.expires = add_saturating(settings_->clock.now(), age);
      }
    }
    return c;
  }

  // finish() after its save: the session's id, in the cookie (`c`, as begin_cookie() began it) or
  // in the session header.
  void finish_headers(const SessionT& session, HeaderFields& headers, cookie::SetCookie& c) const {
    const Settings& s = *settings_;
    if (detail::SessionAccess::answers_in_header(session)) {
      // Only an id the client does not have yet; an unchanged one is not repeated.
      if (detail::SessionAccess::key_issued(session)) headers.push_back({s.session_header, *session.session_key()});
      return;
    }
    c.value = *session.session_key();
    c.domain = s.cookie_domain;
    c.path = s.cookie_path;
    c.secure = s.cookie_secure || (s.cookie_secure_auto && detail::SessionAccess::request_secure(session));
    c.httponly = s.cookie_httponly;
    c.samesite = s.cookie_samesite;
    c.partitioned = s.cookie_partitioned;
    headers.push_back({"Set-Cookie", cookie::build_set_cookie(c, s.clock.now())});
  }

  SessionT open_from_cookie(std::string_view cookie_header, bool secure) const {
    // Bounded: only the first max_cookie_header_bytes of the header and max_cookie_pairs cookies
    // are looked at, and nothing is copied but the session cookie's value.
    const cookie::SessionCookie found =
        cookie::find_session_cookie(cookie_header, settings_->cookie_name, settings_->duplicate_cookies,
                                    settings_->max_cookie_header_bytes, settings_->max_cookie_pairs);
    if (found.conflicting) {
      settings_->logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                        "the request carries several different session cookies (a planted cookie?)");
    }
    const std::optional<std::string_view>& value = found.value;
    SessionT session = value ? SessionT(*store_, *value, *settings_, serializer_, expiry_)
                             : SessionT(*store_, *settings_, serializer_, expiry_);
    detail::SessionAccess::note_request(session, value.has_value(), secure);
    return session;
  }

  SessionT open_from_header(std::string_view value, bool secure) const {
    value = detail::trim_ows(value);
    const bool received = !value.empty();
    // Bounded as the cookie is: a longer value names no session of ours, so the session starts
    // empty and the response tells the client to forget it (the value is never copied or echoed).
    SessionT session = received && value.size() <= settings_->max_cookie_header_bytes
                           ? SessionT(*store_, value, *settings_, serializer_, expiry_)
                           : SessionT(*store_, *settings_, serializer_, expiry_);
    detail::SessionAccess::note_request(session, received, secure);
    detail::SessionAccess::answer_in_header(session);
    return session;
  }

  // Where Django adds `Vary: Cookie`. A header mode names its header too (as a Vary of its own,
  // which an adapter merges like any other) and keeps shared caches out: a response that depends
  // on a header token is one client's.
  // (Out of finish()'s cookie path, which pushes its one Vary in place: a call there cost a
  // request 0.5% of its instructions.)
  void add_header_vary(HeaderFields& headers) const {
    if (settings_->session_id_from == SessionIdFrom::header_then_cookie) headers.push_back({"Vary", "Cookie"});
    headers.push_back({"Vary", settings_->session_header});
    headers.push_back({"Cache-Control", "private"});
  }

  storage_type* store_;
  const Settings* settings_;
  [[no_unique_address]] serializer_type serializer_;
  [[no_unique_address]] expiry_type expiry_;
};

}  // namespace sessions
// ---- end sessions/middleware.hpp ----

// ---- begin sessions/lifecycle.hpp ----
// The population of sessions of one user, over a store that keeps the per-user index
// (UserIndexStorage, user_index.hpp): where is this user logged in, log out one of those
// sessions, log out everywhere but here, and build the index from the sessions already stored
// (e.g. ones Django wrote) with reindex().
//
//   for (const sessions::UserSession& s : sessions::user_sessions(store, "42", now)) ...
//   sessions::revoke_user_sessions(store, "42", *request_session.session_key(), settings);
//
// A revoked session is deleted (record and entry) and told as `destroyed`, reason "revoked".

namespace sessions {

/// The user's live sessions, oldest `created` first.
template <class Store>
[[nodiscard]] std::vector<UserSession> user_sessions(Store& store, std::string_view user_id, TimePoint now) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  return store.user_sessions(user_id, now);
}

/// Deletes the session `key` if, and only if, it is a live session of `user_id` (so that a user
/// can revoke their own sessions and nobody else's); true when it was.
template <class Store>
bool revoke_session(Store& store, std::string_view user_id, std::string_view key,
                    const Settings& settings = default_settings()) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  if (!is_valid_session_key(key)) return false;
  for (const UserSession& s : store.user_sessions(user_id, settings.clock.now())) {
    if (s.key != key) continue;
    detail::revoke_one<Store>(store, user_id, s.key, settings);
    return true;
  }
  return false;
}

/// Deletes every session of `user_id` but `except_key` (the request's own, to log out everywhere
/// else; empty to log out everywhere); returns how many.
template <class Store>
std::size_t revoke_user_sessions(Store& store, std::string_view user_id, std::string_view except_key = {},
                                 const Settings& settings = default_settings()) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  std::size_t revoked = 0;
  for (const UserSession& s : store.user_sessions(user_id, settings.clock.now())) {
    if (s.key == except_key) continue;
    detail::revoke_one<Store>(store, user_id, s.key, settings);
    ++revoked;
  }
  return revoked;
}

/// What reindex() did.
struct ReindexResult {
  /// Sessions holding `_auth_user_id`, now indexed.
  std::size_t indexed = 0;
  /// Records that could not be decoded (tampered, corrupted, another serializer's): left alone.
  std::size_t skipped = 0;
};

/// Indexes every live session whose data holds `_auth_user_id` (sessions written before the index
/// was on, or by Django itself), reading byte records through `serializer`. `created` and
/// `last_seen` of a new entry are `now` (the records do not say); an existing entry keeps its
/// own. No limit applies. Never throws for a record it cannot decode: it is skipped and counted.
template <class Store, class SerializerT>
ReindexResult reindex(Store& store, const SerializerT& serializer, TimePoint now) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  ReindexResult result;
  store.for_each_session([&](std::string_view key, const typename Store::payload_type& payload, TimePoint expires_at) {
    std::string user;
    if constexpr (ValueStorage<Store>) {
      (void)serializer;
      user = detail::user_id_of(payload);
    } else {
      try {
        const Data data = serializer.loads(payload);
        user = detail::user_id_text(data.is_object() ? detail::find_member(data, detail::kAuthUserIdKey) : nullptr);
      } catch (const Error&) {
        ++result.skipped;
        return;
      }
    }
    if (user.empty()) return;
    // No limit applies to a reindex, so nothing is refused or evicted: the outcome says nothing.
    (void)store.index_session(user, key, SessionDetails{now, now, expires_at, {}, {}}, UserSessionLimit{});
    ++result.indexed;
  });
  return result;
}

/// reindex() of a store that keeps values (MemoryValueStore): no serializer involved.
template <class Store>
ReindexResult reindex(Store& store, TimePoint now) requires ValueStorage<Store> {
  return reindex(store, 0, now);
}

}  // namespace sessions
// ---- end sessions/lifecycle.hpp ----
// ---- begin sessions/purger.hpp ----
// Purger<Store>: removes expired sessions in the background, a bounded batch at a time, with
// their per-user index entries in the same step, and tells each as `expired`, reason "purged".
//
//   sessions::Purger purger{store, {.interval = std::chrono::minutes(1), .batch_size = 500}, settings};
//   purger.start();   // a thread of its own; stop() (or the destructor) ends it promptly
//
// How it relates to clear_expired(): clear_expired() (Django's) removes everything expired in
// one call and tells nobody; keep it for cron. The purger calls the store's purge_expired(batch),
// which removes at most `batch` records per step (one short transaction on SQL stores, so no
// long table lock), until a step finds fewer than `batch`; it cleans the index as it goes, which
// clear_expired() does too, and tells events, which clear_expired() does not. run_once() is one
// such pass, on the caller's thread (tests, or a cron job that wants the events).
//
// A pass that fails (the server is down) is logged on "sessions.purger" and tried again at the
// next interval; the thread never dies of it.

#include <condition_variable>

namespace sessions {

struct PurgerOptions {
  /// Time between two passes of the background thread.
  std::chrono::milliseconds interval{std::chrono::seconds(60)};
  /// The most sessions one step removes (one store call, one short transaction); at least 1.
  std::size_t batch_size = 1000;
};

template <class Store>
class Purger {
  static_assert(detail::LifecycleCheck<Store>::ok);

 public:
  /// `store` and `settings` (its clock, logger and on_event) must outlive the purger.
  explicit Purger(Store& store, PurgerOptions options = {}, const Settings& settings = default_settings())
      : store_(&store), settings_(&settings), options_(options) {
    if (options_.batch_size == 0) throw ConfigurationError("PurgerOptions::batch_size must be at least 1");
    if (options_.interval <= std::chrono::milliseconds::zero())
      throw ConfigurationError("PurgerOptions::interval must be positive");
  }
  // Not a temporary: the settings are held by reference.
  Purger(Store&, PurgerOptions, const Settings&&) = delete;

  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;
  ~Purger() { stop(); }

  /// Starts the background thread (no effect when it runs already). Its first pass comes at once.
  void start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
  }

  /// Ends the background thread: it wakes at once (a pass under way finishes its current step)
  /// and is joined before stop() returns.
  void stop() {
    std::thread thread;
    {
      std::lock_guard lock(mutex_);
      if (!thread_.joinable()) return;
      stopping_ = true;
      thread = std::move(thread_);
    }
    wake_.notify_all();
    thread.join();
  }

  [[nodiscard]] bool running() const {
    std::lock_guard lock(mutex_);
    return thread_.joinable();
  }

  /// One pass on the caller's thread, at `now`: steps of batch_size until one removes fewer;
  /// returns how many sessions it removed. Store errors propagate. Not cut short by stop(), which
  /// ends the background thread only.
  std::size_t run_once(TimePoint now) { return pass(now, /*background=*/false); }
  std::size_t run_once() { return run_once(settings_->clock.now()); }

  /// Sessions removed by every pass so far.
  [[nodiscard]] std::size_t purged_total() const {
    std::lock_guard lock(mutex_);
    return total_;
  }

 private:
  // One pass; the background thread's ends after the current step once stop() was called.
  std::size_t pass(TimePoint now, bool background) {
    std::size_t removed = 0;
    for (;;) {
      std::vector<PurgedSession> purged = store_->purge_expired(options_.batch_size, now);
      removed += purged.size();
      if (settings_->on_event) {
        for (const PurgedSession& s : purged)
          detail::tell_event<Store>(*settings_, SessionEventKind::expired, "purged", s.key, s.user_id);
      }
      if (purged.size() < options_.batch_size || (background && stop_requested())) break;
    }
    std::lock_guard lock(mutex_);
    total_ += removed;
    return removed;
  }

  bool stop_requested() const {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        (void)pass(settings_->clock.now(), /*background=*/true);
      } catch (const std::exception& e) {
        settings_->logger(LogLevel::warning, "sessions.purger", std::string("purge failed: ") + e.what());
      }
      lock.lock();
      wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    }
  }

  Store* store_;
  const Settings* settings_;
  PurgerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  bool stopping_ = false;
  std::size_t total_ = 0;
};

}  // namespace sessions
// ---- end sessions/purger.hpp ----
