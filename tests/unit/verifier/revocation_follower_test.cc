#include "verifier/revocation_follower.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sesame::verifier {
namespace {

using Verdict = RevocationFollower::Verdict;
using Steady = std::chrono::steady_clock;

constexpr int64_t kT = 1'800'000'000;

std::string Body(int64_t cursor, bool snapshot, const std::vector<std::string>& sids) {
  // Appends rather than operator+ chains: GCC 12 at -O3 warns falsely (-Wrestrict) on those.
  std::string out = R"({"cursor":")";
  out.append(std::to_string(cursor)).append(R"(","snapshot":)");
  out.append(snapshot ? "true" : "false").append(R"(,"horizon":1860,"revoked_sessions":[)");
  for (size_t i = 0; i < sids.size(); ++i) {
    out.append(i == 0 ? "" : ",").append(R"({"sid":")").append(sids[i]);
    out.append(R"(","sub":"u_1","at":)").append(std::to_string(kT)).append("}");
  }
  out.append(R"(],"revoked_users":[]})");
  return out;
}

// A scripted feed: each request takes the next queued answer, or blocks until one is queued or
// the follower cancels it (as a long-poll would). Records every query.
class FakeFeed {
 public:
  void Push(Result<std::string> answer) {
    {
      std::lock_guard lock(mu_);
      answers_.push_back(std::move(answer));
    }
    cv_.notify_all();
  }

  // Waits until at least `n` requests were made (or fails after a generous deadline, so that a
  // bug shows as a failure rather than a hang).
  bool WaitForRequests(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return queries_.size() >= n; });
  }
  std::vector<std::string> queries() {
    std::lock_guard lock(mu_);
    return queries_;
  }

  FeedFetch Fetch() {
    return [this](const std::string& query, std::chrono::seconds wait,
                  FetchCanceller& canceller) -> Result<std::string> {
      auto cancelled = std::make_shared<bool>(false);  // guarded by mu_
      if (!canceller.Attach([this, cancelled] {
            std::lock_guard lock(mu_);
            *cancelled = true;
            cv_.notify_all();
          })) {
        return MakeError(ErrorCode::kUnavailable, "cancelled");
      }
      Result<std::string> out = MakeError(ErrorCode::kUnavailable, "cancelled");
      {
        std::unique_lock lock(mu_);
        queries_.push_back(query);
        waits_.push_back(wait);
        cv_.notify_all();
        cv_.wait(lock, [&] { return !answers_.empty() || *cancelled; });
        if (!*cancelled) {
          out = std::move(answers_.front());
          answers_.pop_front();
        }
      }
      canceller.Detach();
      return out;
    };
  }

  std::vector<std::chrono::seconds> waits() {
    std::lock_guard lock(mu_);
    return waits_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result<std::string>> answers_;  // guarded by mu_
  std::vector<std::string> queries_;         // guarded by mu_
  std::vector<std::chrono::seconds> waits_;  // guarded by mu_
};

FollowerOptions Options() {
  FollowerOptions options;
  options.wait = std::chrono::seconds(25);
  options.max_staleness = std::chrono::seconds(300);
  options.unix_now = [] { return kT; };
  return options;
}

TEST(RevocationFollower, StartsWithASnapshotThenLongPollsFromItsCursor) {
  FakeFeed feed;
  feed.Push(Body(5, true, {"s_1"}));
  RevocationFollower follower(feed.Fetch(), Options());
  ASSERT_TRUE(follower.Start());
  // The snapshot is in before Start returns: a session revoked earlier is refused at once.
  EXPECT_EQ(follower.Check("s_1", "u_1", kT), Verdict::kRevoked);
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kLive);
  EXPECT_EQ(follower.cursor(), 5);
  ASSERT_TRUE(feed.WaitForRequests(2));
  const auto queries = feed.queries();
  EXPECT_EQ(queries[0], "wait=0");
  EXPECT_EQ(queries[1], "since=5&wait=25");
  EXPECT_EQ(feed.waits()[0], std::chrono::seconds(0));
  EXPECT_EQ(feed.waits()[1], std::chrono::seconds(25));
}

TEST(RevocationFollower, IncrementsAddAndSnapshotsReplace) {
  FakeFeed feed;
  feed.Push(Body(5, true, {"s_1"}));
  RevocationFollower follower(feed.Fetch(), Options());
  ASSERT_TRUE(follower.Start());
  feed.Push(Body(6, false, {"s_2"}));
  ASSERT_TRUE(feed.WaitForRequests(3));  // the increment was applied before the next request
  EXPECT_EQ(follower.Check("s_1", "u_1", kT), Verdict::kRevoked);
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kRevoked);
  feed.Push(Body(9, true, {"s_3"}));
  ASSERT_TRUE(feed.WaitForRequests(4));
  EXPECT_EQ(follower.Check("s_1", "u_1", kT), Verdict::kLive);
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kLive);
  EXPECT_EQ(follower.Check("s_3", "u_1", kT), Verdict::kRevoked);
  const auto queries = feed.queries();
  EXPECT_EQ(queries[2], "since=6&wait=25");
  EXPECT_EQ(queries[3], "since=9&wait=25");
  EXPECT_EQ(follower.answers(), 3u);
  EXPECT_EQ(follower.entries(), 1u);
}

TEST(RevocationFollower, StartFailsWhenTheFirstAnswerFailsOrIsNoSnapshot) {
  {
    FakeFeed feed;
    feed.Push(MakeError(ErrorCode::kUnavailable, "fetching host/v1/revocations: HTTP status 401"));
    RevocationFollower follower(feed.Fetch(), Options());
    auto started = follower.Start();
    ASSERT_FALSE(started);
    EXPECT_NE(started.error().detail.find("401"), std::string::npos);
  }
  {
    FakeFeed feed;
    feed.Push(std::string("<html>"));
    RevocationFollower follower(feed.Fetch(), Options());
    auto started = follower.Start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, ErrorCode::kInvalidRequest);
  }
  {
    FakeFeed feed;
    feed.Push(Body(5, false, {}));
    RevocationFollower follower(feed.Fetch(), Options());
    ASSERT_FALSE(follower.Start());
  }
}

TEST(RevocationFollower, AFailedRequestIsRetriedAndReported) {
  FakeFeed feed;
  feed.Push(Body(5, true, {}));
  RevocationFollower follower(feed.Fetch(), Options());
  ASSERT_TRUE(follower.Start());
  feed.Push(MakeError(ErrorCode::kUnavailable, "connection refused"));
  feed.Push(Body(6, false, {"s_4"}));
  // After the failure it waits (a backoff of about a second) and asks again from the same
  // cursor.
  ASSERT_TRUE(feed.WaitForRequests(4));
  const auto queries = feed.queries();
  EXPECT_EQ(queries[1], "since=5&wait=25");
  EXPECT_EQ(queries[2], "since=5&wait=25");
  EXPECT_EQ(queries[3], "since=6&wait=25");
  EXPECT_EQ(follower.Check("s_4", "u_1", kT), Verdict::kRevoked);
  EXPECT_EQ(follower.last_error(), "");
}

TEST(RevocationFollower, FailsClosedOnceTheFeedIsStale) {
  std::atomic<int64_t> offset_s{0};
  FollowerOptions options = Options();
  options.max_staleness = std::chrono::seconds(60);
  const Steady::time_point base = Steady::now();
  options.steady_now = [&] { return base + std::chrono::seconds(offset_s.load()); };
  FakeFeed feed;
  feed.Push(Body(5, true, {"s_1"}));
  RevocationFollower follower(feed.Fetch(), options);
  ASSERT_TRUE(follower.Start());
  offset_s = 60;
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kLive);
  offset_s = 61;
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kStale);
  EXPECT_EQ(follower.Check("s_1", "u_1", kT), Verdict::kRevoked);  // revoked wins
  EXPECT_EQ(follower.seconds_since_answer(), 61);
  // An answer makes it fresh again.
  feed.Push(Body(6, false, {}));
  ASSERT_TRUE(feed.WaitForRequests(3));
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kLive);
}

TEST(RevocationFollower, NeverStaleWithMaxStalenessZero) {
  std::atomic<int64_t> offset_s{0};
  FollowerOptions options = Options();
  options.max_staleness = std::chrono::seconds(0);
  const Steady::time_point base = Steady::now();
  options.steady_now = [&] { return base + std::chrono::seconds(offset_s.load()); };
  FakeFeed feed;
  feed.Push(Body(5, true, {}));
  RevocationFollower follower(feed.Fetch(), options);
  ASSERT_TRUE(follower.Start());
  offset_s = 100000;
  EXPECT_EQ(follower.Check("s_2", "u_1", kT), Verdict::kLive);
}

TEST(RevocationFollower, DestroyingItEndsALongPollInProgress) {
  FakeFeed feed;
  feed.Push(Body(5, true, {}));
  auto follower = std::make_unique<RevocationFollower>(feed.Fetch(), Options());
  ASSERT_TRUE(follower->Start());
  ASSERT_TRUE(feed.WaitForRequests(2));  // the long-poll is now blocked in the fetch
  follower.reset();                      // would hang here if the fetch were not cancelled
  SUCCEED();
}

}  // namespace
}  // namespace sesame::verifier
