#include "auth/revocation_feed.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/memory/memory_store.h"
#include "test_clock.h"

namespace sesame::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Steady = std::chrono::steady_clock;

constexpr Seconds kHorizon{1860};  // 30 min access tokens + 60 s leeway

// A deadline no test reaches: waits in these tests end by a wake-up, never by the clock.
Steady::time_point Never() {
  return Steady::now() + std::chrono::hours(1);
}
Steady::time_point Past() {
  return Steady::now() - std::chrono::seconds(1);
}

class RevocationFeedTest : public ::testing::Test {
 protected:
  RevocationFeedTest() : feed_(store_, clock_, kHorizon) {}

  // A live session of `user_id` created now.
  std::string NewSession(const std::string& user_id,
                         store::SessionMode mode = store::SessionMode::kJwt) {
    store::Session s;
    s.id = "s_" + std::to_string(++sessions_made_);
    s.user_id = user_id;
    s.mode = mode;
    s.created_at = clock_.Now();
    s.last_seen_at = clock_.Now();
    s.idle_expires_at = clock_.Now() + Seconds(3600);
    s.absolute_expires_at = clock_.Now() + Seconds(86400);
    EXPECT_TRUE(store_.CreateSession(s, {}, clock_.Now()));
    return s.id;
  }
  void Revoke(const std::string& session_id) {
    auto revoked = store_.RevokeSession(session_id, "logout", clock_.Now());
    ASSERT_TRUE(revoked && *revoked);
  }
  int64_t Latest() { return *store_.LatestChangeSeq(); }
  // A cursor past 0 (which asks for a snapshot), as a follower holds after its first answer.
  int64_t NonEmptyCursor() {
    EXPECT_TRUE(store_.RecordUserChanged("u_seed", clock_.Now()));
    return Latest();
  }

  static std::vector<std::string> Sids(const RevocationPage& page) {
    std::vector<std::string> out;
    for (const store::RevokedSession& s : page.sessions) {
      out.push_back(s.session_id);
    }
    return out;
  }

  testing::TestClock clock_;
  store::MemoryStore store_;
  RevocationFeed feed_;
  int sessions_made_ = 0;
};

TEST_F(RevocationFeedTest, WithoutACursorItAnswersASnapshotOfRevokedJwtSessions) {
  const std::string a = NewSession("u_1");
  const std::string b = NewSession("u_2");
  const std::string opaque = NewSession("u_2", store::SessionMode::kSession);
  NewSession("u_3");  // live: not listed
  Revoke(a);
  clock_.Advance(Seconds(5));
  Revoke(b);
  Revoke(opaque);
  auto page = feed_.Read(std::nullopt);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->snapshot);
  EXPECT_EQ(page->cursor, Latest());
  EXPECT_THAT(Sids(*page), UnorderedElementsAre(a, b));  // session mode has no JWTs
  EXPECT_THAT(page->users, IsEmpty());
  for (const store::RevokedSession& s : page->sessions) {
    EXPECT_EQ(s.user_id, s.session_id == a ? "u_1" : "u_2");
    EXPECT_EQ(s.revoked_at, s.session_id == a ? clock_.Now() - Seconds(5) : clock_.Now());
  }
}

TEST_F(RevocationFeedTest, ASnapshotLeavesOutWhatIsOlderThanTheHorizon) {
  const std::string old = NewSession("u_1");
  Revoke(old);
  clock_.Advance(kHorizon + Seconds(1));
  const std::string recent = NewSession("u_1");
  Revoke(recent);
  auto page = feed_.Read(std::nullopt);
  ASSERT_TRUE(page);
  EXPECT_THAT(Sids(*page), ElementsAre(recent));
}

TEST_F(RevocationFeedTest, ZeroOnAnEmptyFeedIsAnEmptyIncrementNotASnapshotLoop) {
  auto page = feed_.Read(0);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_EQ(page->cursor, 0);
  EXPECT_THAT(page->sessions, IsEmpty());
  // Once the feed holds anything, 0 asks for a snapshot, whose cursor is then past 0.
  Revoke(NewSession("u_1"));
  page = feed_.Read(0);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->snapshot);
  EXPECT_EQ(page->cursor, 1);
}

TEST_F(RevocationFeedTest, AfterACursorItAnswersOnlyWhatChangedSince) {
  Revoke(NewSession("u_1"));
  auto first = feed_.Read(std::nullopt);
  ASSERT_TRUE(first);
  const std::string b = NewSession("u_2");
  const std::string c = NewSession("u_3");
  Revoke(b);
  clock_.Advance(Seconds(2));
  Revoke(c);
  auto page = feed_.Read(first->cursor);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_EQ(page->cursor, Latest());
  EXPECT_THAT(Sids(*page), ElementsAre(b, c));
  EXPECT_EQ(page->sessions[0].user_id, "u_2");
  EXPECT_EQ(page->sessions[1].revoked_at, clock_.Now());
  // Nothing new: the same cursor, nothing listed.
  auto again = feed_.Read(page->cursor);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->snapshot);
  EXPECT_EQ(again->cursor, page->cursor);
  EXPECT_THAT(again->sessions, IsEmpty());
  EXPECT_THAT(again->users, IsEmpty());
}

TEST_F(RevocationFeedTest, RevokingEveryUserSessionNamesTheUserAndItsSessions) {
  const std::string mine1 = NewSession("u_1");
  const std::string mine2 = NewSession("u_1");
  const std::string other = NewSession("u_2");
  const int64_t cursor = NonEmptyCursor();
  clock_.Advance(Seconds(10));
  Revoke(other);
  ASSERT_TRUE(store_.RevokeUserSessions("u_1", "logout_all", clock_.Now()));
  auto page = feed_.Read(cursor);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  ASSERT_EQ(page->users.size(), 1u);
  EXPECT_EQ(page->users[0].user_id, "u_1");
  EXPECT_EQ(page->users[0].not_before, clock_.Now());
  // The other user's session once (its own change), not again through u_1's cut-off.
  EXPECT_THAT(Sids(*page), UnorderedElementsAre(other, mine1, mine2));
}

TEST_F(RevocationFeedTest, AUserChangeMovesTheCursorAndListsNothing) {
  const int64_t cursor = NonEmptyCursor();
  ASSERT_TRUE(store_.RecordUserChanged("u_1", clock_.Now()));
  auto page = feed_.Read(cursor);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_EQ(page->cursor, cursor + 1);
  EXPECT_THAT(page->sessions, IsEmpty());
  EXPECT_THAT(page->users, IsEmpty());
}

TEST_F(RevocationFeedTest, IncrementsComeInPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(NewSession("u_1"));
  }
  for (const std::string& id : ids) {
    Revoke(id);
  }
  auto first = feed_.Read(0, 2);  // 0 on a non-empty feed: a snapshot, never paged
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->snapshot);
  EXPECT_EQ(first->sessions.size(), 5u);
  auto page = feed_.Read(1, 2);
  ASSERT_TRUE(page);
  EXPECT_THAT(Sids(*page), ElementsAre(ids[1], ids[2]));
  EXPECT_EQ(page->cursor, 3);
  page = feed_.Read(page->cursor, 2);
  ASSERT_TRUE(page);
  EXPECT_THAT(Sids(*page), ElementsAre(ids[3], ids[4]));
  EXPECT_EQ(page->cursor, 5);
}

TEST_F(RevocationFeedTest, ACursorBeyondTheFeedIsAnsweredWithASnapshot) {
  const std::string a = NewSession("u_1");
  Revoke(a);
  auto page = feed_.Read(Latest() + 100);  // from another deployment
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->snapshot);
  EXPECT_EQ(page->cursor, Latest());
  EXPECT_THAT(Sids(*page), ElementsAre(a));
}

TEST_F(RevocationFeedTest, ACursorWhoseNextChangeWasPurgedIsAnsweredWithASnapshot) {
  Revoke(NewSession("u_1"));  // change 1
  clock_.Advance(Seconds(100));
  const std::string b = NewSession("u_1");
  Revoke(b);                                                      // change 2
  ASSERT_TRUE(store_.PurgeSessions(clock_.Now() - Seconds(50)));  // drops change 1
  // A follower at cursor 1 has seen change 1, and change 2 is still there: an increment.
  auto page = feed_.Read(1);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_THAT(Sids(*page), ElementsAre(b));
  clock_.Advance(Seconds(100));
  const std::string c = NewSession("u_2");
  Revoke(c);                                                      // change 3
  ASSERT_TRUE(store_.PurgeSessions(clock_.Now() - Seconds(50)));  // drops change 2
  // Now the change right after cursor 1 is gone: only a snapshot is complete.
  page = feed_.Read(1);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->snapshot);
  EXPECT_EQ(page->cursor, 3);
  EXPECT_THAT(Sids(*page), ElementsAre(c));  // b went with its purged record
  // A follower at cursor 2 misses nothing.
  page = feed_.Read(2);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_THAT(Sids(*page), ElementsAre(c));
}

TEST_F(RevocationFeedTest, AStoreThatIsDownIsUnavailableNotEmpty) {
  store_.SetUnavailable(true);
  auto page = feed_.Read(std::nullopt);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, ErrorCode::kUnavailable);
  page = feed_.Poll(0, Past());
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, ErrorCode::kUnavailable);
}

TEST(RevocationFeedWait, ReturnsAtOnceWhenAlreadyBeyond) {
  testing::TestClock clock;
  store::MemoryStore store;
  RevocationFeed feed(store, clock, kHorizon);
  EXPECT_EQ(feed.latest(), -1);
  feed.Advance(7);
  EXPECT_EQ(feed.latest(), 7);
  EXPECT_TRUE(feed.WaitBeyond(6, Never()));
  EXPECT_FALSE(feed.WaitBeyond(7, Past()));  // a deadline already gone: no wait
  feed.Advance(3);                           // never goes back
  EXPECT_EQ(feed.latest(), 7);
}

TEST(RevocationFeedWait, AdvanceWakesEveryWaiter) {
  testing::TestClock clock;
  store::MemoryStore store;
  RevocationFeed feed(store, clock, kHorizon);
  feed.Advance(10);
  constexpr int kWaiters = 4;
  std::latch started(kWaiters);
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      started.count_down();
      if (feed.WaitBeyond(10, Never())) {
        woken.fetch_add(1);
      }
    });
  }
  started.wait();
  feed.Advance(10);  // no progress: nobody is released by it
  feed.Advance(11);
  for (std::thread& t : waiters) {
    t.join();  // would hang (until the test times out) if a waiter missed the wake-up
  }
  EXPECT_EQ(woken.load(), kWaiters);
}

TEST(RevocationFeedWait, StopReleasesWaitersAndLaterWaitsAtOnce) {
  testing::TestClock clock;
  store::MemoryStore store;
  RevocationFeed feed(store, clock, kHorizon);
  feed.Advance(5);
  std::latch started(1);
  bool beyond = true;
  std::thread waiter([&] {
    started.count_down();
    beyond = feed.WaitBeyond(5, Never());
  });
  started.wait();
  feed.Stop();
  waiter.join();
  EXPECT_FALSE(beyond);
  EXPECT_TRUE(feed.is_stopped());
  EXPECT_FALSE(feed.WaitBeyond(5, Never()));  // returns at once after Stop
  feed.Advance(6);
  EXPECT_TRUE(feed.WaitBeyond(5, Never()));
}

TEST_F(RevocationFeedTest, PollReturnsAnIncrementAsSoonAsTheFeedMoves) {
  feed_.Advance(Latest());
  const int64_t cursor = NonEmptyCursor();
  const std::string a = NewSession("u_1");
  std::mutex mu;
  std::condition_variable cv;
  bool polling = false;
  Result<RevocationPage> page = MakeError(ErrorCode::kInternal, "not yet");
  std::thread poller([&] {
    {
      std::lock_guard lock(mu);
      polling = true;
    }
    cv.notify_one();
    page = feed_.Poll(cursor, Never());
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return polling; });
  }
  // Whether the poller is already waiting or has not read yet, it must come back with `a`: the
  // revocation is committed before the feed is told, as the maintenance loop does.
  Revoke(a);
  feed_.Advance(Latest());
  poller.join();
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_EQ(page->cursor, Latest());
  EXPECT_THAT(Sids(*page), ElementsAre(a));
}

TEST_F(RevocationFeedTest, PollTimesOutWithTheSameCursor) {
  Revoke(NewSession("u_1"));
  feed_.Advance(Latest());
  auto page = feed_.Poll(Latest(), Steady::now() + std::chrono::milliseconds(20));
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->snapshot);
  EXPECT_EQ(page->cursor, Latest());
  EXPECT_THAT(page->sessions, IsEmpty());
}

TEST_F(RevocationFeedTest, PollAnswersASnapshotWithoutWaiting) {
  Revoke(NewSession("u_1"));
  feed_.Advance(Latest());
  auto page = feed_.Poll(std::nullopt, Never());  // would hang if it waited
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->snapshot);
  EXPECT_EQ(page->sessions.size(), 1u);
}

}  // namespace
}  // namespace sesame::auth
