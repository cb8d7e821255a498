#include "auth/revocation_feed.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace sesame::auth {

Result<RevocationPage> RevocationFeed::Snapshot(int64_t latest) {
  // `latest` was read before the list: a revocation committed in between is in the list or in
  // the next increment (perhaps both, which is harmless), never in neither.
  auto revoked = sessions_.ListRevokedJwtSessions(clock_.Now() - horizon_);
  if (!revoked) {
    return tl::unexpected(revoked.error());
  }
  RevocationPage page;
  page.cursor = latest;
  page.snapshot = true;
  page.sessions = std::move(*revoked);
  return page;
}

Result<RevocationPage> RevocationFeed::Read(std::optional<int64_t> since, size_t limit) {
  auto latest = sessions_.LatestChangeSeq();
  if (!latest) {
    return tl::unexpected(latest.error());
  }
  // 0 on a non-empty feed asks for everything; beyond the latest, the cursor is not ours.
  if (!since || *since < 0 || (*since == 0 && *latest > 0) || *since > *latest) {
    return Snapshot(*latest);
  }
  RevocationPage page;
  page.cursor = *since;
  if (*since == *latest) {
    return page;
  }
  auto changes = sessions_.ChangesSince(*since, std::max<size_t>(limit, 1));
  if (!changes) {
    return tl::unexpected(changes.error());
  }
  // Sequence numbers grow by one per change, so a first change past since + 1 (or none at all
  // below a larger latest) means the entries after the cursor were purged: the follower may
  // have missed some, and only a snapshot is complete. A backend that skips numbers costs one
  // needless snapshot, never a missed revocation.
  if (changes->empty() || changes->front().seq != *since + 1) {
    return Snapshot(*latest);
  }
  const TimePoint oldest = clock_.Now() - horizon_;
  std::unordered_map<std::string_view, TimePoint> user_cutoffs;  // views into *changes
  std::optional<TimePoint> earliest_cutoff;
  for (const store::Change& change : *changes) {
    page.cursor = change.seq;
    if (change.at < oldest) {
      continue;  // every token it covers has expired
    }
    switch (change.kind) {
      case store::Change::Kind::kSessionRevoked:
        page.sessions.push_back(
            store::RevokedSession{change.session_id, change.user_id, change.at});
        break;
      case store::Change::Kind::kUserSessionsRevoked: {
        page.users.push_back(RevokedUser{change.user_id, change.at});
        auto [it, inserted] = user_cutoffs.emplace(change.user_id, change.at);
        if (!inserted) {
          it->second = std::min(it->second, change.at);
        }
        earliest_cutoff = earliest_cutoff ? std::min(*earliest_cutoff, change.at) : change.at;
        break;
      }
      case store::Change::Kind::kUserChanged:
        break;  // roles or the disabled flag: a disabled user's sessions are revoked separately
    }
  }
  if (earliest_cutoff) {
    // The cut-off covers tokens issued before its second; the sessions revoked with it cover
    // tokens issued within it (as SessionService::FollowChanges applies them). One store read
    // for the whole page.
    auto revoked = sessions_.ListRevokedJwtSessions(*earliest_cutoff);
    if (!revoked) {
      return tl::unexpected(revoked.error());
    }
    for (store::RevokedSession& r : *revoked) {
      const auto cutoff = user_cutoffs.find(r.user_id);
      if (cutoff != user_cutoffs.end() && r.revoked_at >= cutoff->second) {
        page.sessions.push_back(std::move(r));
      }
    }
  }
  return page;
}

Result<RevocationPage> RevocationFeed::Poll(std::optional<int64_t> since,
                                            std::chrono::steady_clock::time_point deadline) {
  auto page = Read(since);
  if (!page || page->snapshot || page->cursor != *since) {
    return page;
  }
  if (!WaitBeyond(*since, deadline)) {
    return page;  // nothing happened in time, or shutting down: the same cursor
  }
  return Read(since);
}

void RevocationFeed::Advance(int64_t latest_seq) {
  {
    std::lock_guard lock(mu_);
    if (latest_seq <= latest_) {
      return;
    }
    latest_ = latest_seq;
  }
  // Notified outside the lock, so a woken waiter does not block on it at once.
  moved_.notify_all();
}

bool RevocationFeed::WaitBeyond(int64_t since, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  // wait_until rechecks the predicate after every wake-up, spurious ones included.
  moved_.wait_until(lock, deadline, [&] { return stopped_ || latest_ > since; });
  return latest_ > since;
}

void RevocationFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  moved_.notify_all();
}

int64_t RevocationFeed::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

bool RevocationFeed::is_stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

}  // namespace sesame::auth
