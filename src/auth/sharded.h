#pragma once

// What the sharded in-memory maps of auth/ (session cache, verified-token cache) share.

#include <cstddef>
#include <mutex>

namespace sesame::auth {

// The number of entries over all shards, each counted under its own lock (a snapshot that may
// be stale by the time it returns: for metrics and tests).
template <typename Shards>
size_t CountShardEntries(const Shards& shards) {
  size_t n = 0;
  for (const auto& shard : shards) {
    std::lock_guard lock(shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace sesame::auth
