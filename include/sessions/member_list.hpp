#pragma once
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
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data.hpp"
#include "detail/value_counts.hpp"

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
