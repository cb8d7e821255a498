#include "auth/session_cache.h"

#include <cstring>

#include "auth/sharded.h"
#include "common/base64url.h"
#include "crypto/digest.h"

namespace sesame::auth {

SecretHash HashSecret(std::string_view secret) {
  return crypto::Sha256(secret);
}

std::string SecretHashText(const SecretHash& hash) {
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

bool CachedSession::HasRole(std::string_view role) const {
  for (const auto& r : roles) {
    if (r == role) {
      return true;
    }
  }
  return false;
}

size_t SessionCache::KeyHash::operator()(const SecretHash& k) const {
  // The key is a SHA-256 output: any 8 of its bytes are already uniformly distributed.
  size_t h = 0;
  std::memcpy(&h, k.data() + 8, sizeof(h));
  return h;
}

SessionCache::EntryPtr SessionCache::Find(const SecretHash& key) const {
  // Looking up by the hash of a 256-bit secret is safe without a constant-time compare: the
  // timing reveals at most how much of a hash matched, which tells nothing about a secret.
  const Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(key);
  return it == shard.entries.end() ? nullptr : it->second;
}

SessionCache::EntryPtr SessionCache::Insert(const SecretHash& key,
                                            std::shared_ptr<const CachedSession> session,
                                            int64_t last_seen, int64_t last_written, int64_t now,
                                            uint64_t fill_epoch) {
  auto entry = std::make_shared<Entry>();
  entry->session = std::move(session);
  entry->last_seen.store(last_seen);
  entry->last_written.store(last_written);
  entry->loaded_at = now;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  if (epoch_.load(std::memory_order_acquire) != fill_epoch) {
    return entry;  // an invalidation raced with this fill: serve once, never cache
  }
  if (shard.entries.size() >= max_entries_ / kShards) {
    shard.entries.clear();  // crude bound; hot sessions come back on their next request
  }
  shard.entries[key] = entry;
  return entry;
}

template <typename Pred>
void SessionCache::EraseIf(Pred pred) {
  // Bump first: any fill that started before this point will not insert (see the header).
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    std::erase_if(shard.entries, [&](const auto& kv) { return pred(*kv.second->session); });
  }
}

void SessionCache::InvalidateUser(std::string_view user_id) {
  EraseIf([&](const CachedSession& s) { return s.user_id == user_id; });
}

void SessionCache::Invalidate(const SecretHash& key) {
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  shard.entries.erase(key);
}

void SessionCache::InsertDead(const SecretHash& key, ErrorCode code) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  if (shard.dead.size() >= kMaxDeadPerShard) {
    shard.dead.clear();
  }
  shard.dead[key] = code;
}

std::optional<ErrorCode> SessionCache::FindDead(const SecretHash& key) const {
  const Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.dead.find(key);
  if (it == shard.dead.end()) {
    return std::nullopt;
  }
  return it->second;
}

void SessionCache::Clear() {
  EraseIf([](const CachedSession&) { return true; });
}

size_t SessionCache::size() const {
  return CountShardEntries(shards_);
}

}  // namespace sesame::auth
