#include "auth/revocation_set.h"

#include <algorithm>

namespace sesame::auth {

void RevocationSet::Publish(const Revocation& revocation) {
  const int64_t at = ToUnixSeconds(revocation.at);
  const int64_t until = at + horizon_.count();
  Shard& shard = ShardFor(revocation.id);
  std::lock_guard lock(shard.mu);
  if (revocation.kind == Revocation::Kind::kSession) {
    auto [it, inserted] = shard.sessions.try_emplace(revocation.id, until);
    if (inserted) {
      count_.fetch_add(1, std::memory_order_acq_rel);
    } else {
      it->second = std::max(it->second, until);
    }
    return;
  }
  auto [it, inserted] = shard.users.try_emplace(revocation.id, UserCutoff{at, until});
  if (inserted) {
    count_.fetch_add(1, std::memory_order_acq_rel);
  } else {
    it->second.not_before = std::max(it->second.not_before, at);
    it->second.until = std::max(it->second.until, until);
  }
}

bool RevocationSet::IsRevoked(std::string_view session_id, std::string_view user_id,
                              int64_t issued_at) const {
  if (count_.load(std::memory_order_acquire) == 0) {
    return false;
  }
  {
    const Shard& shard = ShardFor(session_id);
    std::lock_guard lock(shard.mu);
    if (shard.sessions.find(session_id) != shard.sessions.end()) {
      return true;
    }
  }
  const Shard& shard = ShardFor(user_id);
  std::lock_guard lock(shard.mu);
  const auto it = shard.users.find(user_id);
  return it != shard.users.end() && issued_at < it->second.not_before;
}

void RevocationSet::Prune(TimePoint now) {
  const int64_t now_s = ToUnixSeconds(now);
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    const size_t dropped =
        std::erase_if(shard.sessions, [now_s](const auto& e) { return e.second < now_s; }) +
        std::erase_if(shard.users, [now_s](const auto& e) { return e.second.until < now_s; });
    count_.fetch_sub(dropped, std::memory_order_acq_rel);
  }
}

}  // namespace sesame::auth
