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
  auto [it, inserted] = shard.users.try_emplace(revocation.id, UserCutoff{});
  if (inserted) {
    count_.fetch_add(1, std::memory_order_acq_rel);
  }
  UserCutoff& cutoff = it->second;
  if (revocation.kind == Revocation::Kind::kUser) {
    cutoff.not_before = std::max(cutoff.not_before, at);
  } else {
    cutoff.stale_through = std::max(cutoff.stale_through, at);
  }
  cutoff.until = std::max(cutoff.until, until);
}

TokenStanding RevocationSet::Standing(std::string_view session_id, std::string_view user_id,
                                      int64_t issued_at) const {
  if (count_.load(std::memory_order_acquire) == 0) {
    return TokenStanding::kLive;
  }
  {
    const Shard& shard = ShardFor(session_id);
    std::lock_guard lock(shard.mu);
    if (shard.sessions.find(session_id) != shard.sessions.end()) {
      return TokenStanding::kRevoked;
    }
  }
  const Shard& shard = ShardFor(user_id);
  std::lock_guard lock(shard.mu);
  const auto it = shard.users.find(user_id);
  if (it == shard.users.end()) {
    return TokenStanding::kLive;
  }
  if (issued_at < it->second.not_before) {
    return TokenStanding::kRevoked;
  }
  return issued_at <= it->second.stale_through ? TokenStanding::kStale : TokenStanding::kLive;
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
