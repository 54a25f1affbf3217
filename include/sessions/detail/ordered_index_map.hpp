#pragma once
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

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iterator>
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
