#include "verifier/revocation_follower.h"

#include <algorithm>
#include <random>
#include <utility>

#include "common/clock.h"

namespace sesame::verifier {
namespace {

using Steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{30000};
// An empty answer that comes back sooner than this (a server that does not hold requests, or
// wait = 0) paces the next request to one per this interval, never a busy loop.
constexpr std::chrono::milliseconds kMinRequestInterval{1000};
constexpr std::chrono::seconds kPruneEvery{60};

int64_t Nanos(Steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

RevocationFollower::RevocationFollower(FeedFetch fetch, FollowerOptions options)
    : fetch_(std::move(fetch)), options_(std::move(options)) {}

RevocationFollower::~RevocationFollower() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  canceller_.Cancel();  // a long-poll in progress ends now
  if (thread_.joinable()) {
    thread_.join();
  }
}

Steady::time_point RevocationFollower::SteadyNow() const {
  return options_.steady_now ? options_.steady_now() : Steady::now();
}

int64_t RevocationFollower::UnixNow() const {
  return options_.unix_now ? options_.unix_now() : ToUnixSeconds(SystemClock().Now());
}

Result<FeedAnswer> RevocationFollower::FetchOnce(std::chrono::seconds wait) {
  std::string query = "wait=" + std::to_string(wait.count());
  if (has_cursor_.load()) {
    query = "since=" + std::to_string(cursor_.load()) + "&" + query;
  }
  auto body = fetch_(query, wait, canceller_);
  if (!body) {
    return tl::unexpected(body.error());
  }
  auto answer = ParseFeedAnswer(*body);
  if (!answer) {
    return tl::unexpected(answer.error());
  }
  list_.Apply(*answer, UnixNow());
  cursor_.store(answer->cursor);
  has_cursor_.store(true);
  last_answer_ns_.store(Nanos(SteadyNow()));
  answers_.fetch_add(1, std::memory_order_relaxed);
  return answer;
}

Result<void> RevocationFollower::Start() {
  // The first request carries no cursor: the answer is a snapshot, taken before any token is
  // verified, so a session revoked before this verifier started is refused from the start.
  auto first = FetchOnce(std::chrono::seconds(0));
  if (!first) {
    return tl::unexpected(first.error());
  }
  if (!first->snapshot) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "the revocation feed's first answer is not a "
                     "snapshot");
  }
  thread_ = std::thread([this] { Loop(); });
  return {};
}

bool RevocationFollower::Pause(Steady::time_point deadline) {
  std::unique_lock lock(mu_);
  stop_cv_.wait_until(lock, deadline, [this] { return stopping_; });
  return !stopping_;
}

void RevocationFollower::Loop() {
  std::minstd_rand jitter(static_cast<unsigned>(Nanos(Steady::now())));
  std::chrono::milliseconds backoff = kFirstBackoff;
  int64_t next_prune = UnixNow() + kPruneEvery.count();
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        return;
      }
    }
    const Steady::time_point sent = Steady::now();
    const int64_t before = cursor_.load();
    auto answer = FetchOnce(options_.wait);
    if (!answer) {
      {
        std::lock_guard lock(mu_);
        last_error_ = answer.error().detail;
      }
      // Full jitter on an exponential backoff, so that many verifiers do not return together.
      const auto delay = std::chrono::milliseconds(
          backoff.count() / 2 + static_cast<int64_t>(jitter() % (backoff.count() / 2 + 1)));
      backoff = std::min(backoff * 2, kMaxBackoff);
      if (!Pause(Steady::now() + delay)) {
        return;
      }
      continue;
    }
    backoff = kFirstBackoff;
    {
      std::lock_guard lock(mu_);
      last_error_.clear();
    }
    if (const int64_t now = UnixNow(); now >= next_prune) {
      list_.Prune(now);
      next_prune = now + kPruneEvery.count();
    }
    const bool empty = !answer->snapshot && answer->cursor == before && answer->sessions.empty() &&
                       answer->users.empty();
    if (empty && Steady::now() - sent < kMinRequestInterval) {
      if (!Pause(sent + kMinRequestInterval)) {
        return;
      }
    }
  }
}

RevocationFollower::Verdict RevocationFollower::Check(std::string_view session_id,
                                                      std::string_view user_id,
                                                      int64_t issued_at) const {
  if (list_.IsRevoked(session_id, user_id, issued_at)) {
    return Verdict::kRevoked;
  }
  if (options_.max_staleness.count() > 0 &&
      Nanos(SteadyNow()) - last_answer_ns_.load() >
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_staleness).count()) {
    return Verdict::kStale;
  }
  return Verdict::kLive;
}

int64_t RevocationFollower::seconds_since_answer() const {
  return (Nanos(SteadyNow()) - last_answer_ns_.load()) / 1'000'000'000;
}

std::string RevocationFollower::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace sesame::verifier
