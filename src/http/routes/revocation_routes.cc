// GET /v1/revocations?since=<cursor>&wait=<seconds>: the revocation feed for services that
// verify access JWTs themselves (include/sesame/verifier.h follows it). Callers authenticate as
// for introspection (an API key from oauth.clients, http/routes/api_client_auth.h). The answer:
//
//   {"cursor":"<decimal seq>","snapshot":true|false,"horizon":<seconds>,
//    "revoked_sessions":[{"sid":"s_..","sub":"u_..","at":<unix s>}],
//    "revoked_users":[{"sub":"u_..","not_before":<unix s>}]}
//
// A snapshot replaces the follower's whole set; otherwise the lists add to it. Entries may be
// forgotten `horizon` seconds after their `at` / `not_before` (auth/revocation_feed.h has the
// rules). With wait=N (0..30) a request that finds nothing after its cursor is held until a
// change arrives or N seconds pass; held requests block a thread of their own pool (64 threads,
// 64 more queued, then 503 at once), never an io thread or the store pool.

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "auth/revocation_feed.h"
#include "http/error_response.h"
#include "http/routes/api_client_auth.h"
#include "http/routes/json_views.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

constexpr int64_t kMaxWaitSeconds = 30;

struct FeedQuery {
  std::optional<int64_t> since;  // absent: a snapshot
  std::chrono::seconds wait{0};
};

// A non-negative decimal integer without sign, spaces or leading '+'.
std::optional<int64_t> ParseCount(std::string_view text) {
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

Result<FeedQuery> ParseFeedQuery(const Request& request) {
  FeedQuery query;
  if (auto since = request.QueryParam("since")) {
    query.since = ParseCount(*since);
    if (!query.since) {
      return MakeError(ErrorCode::kInvalidRequest,
                       "since must be a cursor from an earlier answer (a decimal number)");
    }
  }
  if (auto wait = request.QueryParam("wait")) {
    const auto seconds = ParseCount(*wait);
    if (!seconds || *seconds > kMaxWaitSeconds) {
      return MakeError(ErrorCode::kInvalidRequest, "wait must be a whole number of seconds, 0 to " +
                                                       std::to_string(kMaxWaitSeconds));
    }
    query.wait = std::chrono::seconds(*seconds);
  }
  return query;
}

Response PageResponse(const auth::RevocationPage& page, Seconds horizon) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const store::RevokedSession& s : page.sessions) {
    sessions.push_back(
        {{"sid", s.session_id}, {"sub", s.user_id}, {"at", ToUnixSeconds(s.revoked_at)}});
  }
  nlohmann::json users = nlohmann::json::array();
  for (const auth::RevokedUser& u : page.users) {
    users.push_back({{"sub", u.user_id}, {"not_before", ToUnixSeconds(u.not_before)}});
  }
  // The cursor is a string: opaque to followers, and safe from JSON number precision.
  const nlohmann::json body = {{"cursor", std::to_string(page.cursor)},
                               {"snapshot", page.snapshot},
                               {"horizon", horizon.count()},
                               {"revoked_sessions", std::move(sessions)},
                               {"revoked_users", std::move(users)}};
  Response r = Response::Json(200, Dump(body));
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Reply Revocations(const RouteContext& context, const Request& request) {
  if (context.revocation_feed == nullptr || context.feed_pool == nullptr) {
    return ErrorResponse(Error{ErrorCode::kNotFound, {}});
  }
  auto client = AuthenticateClient(request, context.policy);
  if (!client) {
    return ErrorResponse(client.error());
  }
  auto query = ParseFeedQuery(request);
  if (!query) {
    return ErrorResponse(query.error());
  }
  // The wait counts from arrival, so time spent queued for a thread is not added to it.
  const auto deadline = std::chrono::steady_clock::now() + query->wait;
  return Deferred{context.feed_pool, [&context, since = query->since, deadline]() -> Response {
                    auth::RevocationFeed& feed = *context.revocation_feed;
                    auto page = feed.Poll(since, deadline);
                    if (!page) {
                      return ErrorResponse(page.error());
                    }
                    return PageResponse(*page, feed.horizon());
                  }};
}

}  // namespace

void AddRevocationRoutes(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/v1/revocations",
             [&context](Request& request) { return Revocations(context, request); });
}

}  // namespace sesame::http
