#include "app/maintenance.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "app/node.h"
#include "auth/key_publisher.h"
#include "auth/revocation_feed.h"

namespace sesame::app {
namespace {

// Audit purge: at most this many events per statement, and this many statements per round, so
// a first purge of years of history spreads over rounds instead of holding the store.
constexpr size_t kAuditBatch = 1000;
constexpr int kAuditBatchesPerRound = 50;

}  // namespace

Maintenance::Maintenance(Node& node, auth::KeyPublisher& keys, auth::RevocationFeed& feed,
                         Seconds audit_retention)
    : node_(node), keys_(keys), feed_(feed), audit_retention_(audit_retention), thread_([this] {
        Loop();
      }) {}

Maintenance::~Maintenance() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Maintenance::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  wake_.notify_all();
}

void Maintenance::Resync() {
  {
    std::lock_guard lock(mu_);
    resync_ = true;
  }
  wake_.notify_all();
}

void Maintenance::Loop() {
  // The first purge runs at once: a server started after a long pause catches up first.
  auto next_purge = std::chrono::steady_clock::now();
  auto next_count = next_purge;
  std::unique_lock lock(mu_);
  while (!stop_) {
    const bool resync = std::exchange(resync_, false);
    poked_ = false;
    lock.unlock();
    FollowOrResync(resync);
    feed_.Advance(node_.sessions().change_cursor());  // wakes GET /v1/revocations long-polls
    if (auto refreshed = keys_.Refresh(); !refreshed) {
      spdlog::warn("key ring not reloaded (still serving the previous keys): {}",
                   refreshed.error().detail);
    }
    if (std::chrono::steady_clock::now() >= next_purge) {
      Purge();
      next_purge = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    }
    if (std::chrono::steady_clock::now() >= next_count) {
      CountSessions();
      next_count = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(250),
                   [this] { return stop_ || poked_ || resync_; });
  }
}

void Maintenance::FollowOrResync(bool resync) {
  if (!resync) {
    if (auto followed = node_.sessions().FollowChanges(); !followed) {
      spdlog::warn("change feed: {}", followed.error().detail);
    }
    return;
  }
  if (auto done = node_.sessions().Resynchronize(node_.revocations().horizon()); !done) {
    spdlog::warn("resynchronising with the session store: {}", done.error().detail);
    Resync();  // again on the next round
  } else {
    spdlog::info("following the session store's changes (revocations reach this node)");
  }
}

void Maintenance::CountSessions() {
  // Once a minute whatever the scrape rate: a scan of the live sessions is the store's cost of
  // the gauge, paid here so that /metrics is O(1).
  auto active = node_.session_store().CountLiveSessions(node_.clock().Now());
  node_.counters().sessions_active.store(active ? static_cast<int64_t>(*active) : -1,
                                         std::memory_order_relaxed);
}

void Maintenance::Purge() {
  const TimePoint now = node_.clock().Now();
  // Revoked and expired sessions stay a day (or as long as an access token lives, if longer:
  // the revocation set is rebuilt from them at start) so late requests get session_revoked
  // rather than invalid_token, then go.
  (void)node_.session_store().PurgeSessions(
      now - std::max(Seconds(86400), node_.revocations().horizon() + Seconds(60)));
  node_.revocations().Prune(now);
  (void)node_.rates().PurgeCounters(now);
  size_t audit_purged = 0;
  for (int round = 0; round < kAuditBatchesPerRound; ++round) {
    auto purged = node_.audit_log().PurgeAudit(now - audit_retention_, kAuditBatch);
    if (!purged) {
      spdlog::warn("audit purge: {}", purged.error().detail);
      break;
    }
    audit_purged += *purged;
    if (*purged < kAuditBatch) {
      break;
    }
  }
  if (audit_purged > 0) {
    spdlog::info("purged {} audit events older than the retention", audit_purged);
  }
}

}  // namespace sesame::app
