#include "verifier/revocation_list.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

namespace sesame::verifier {
namespace {

using nlohmann::json;

Error Malformed(std::string_view what) {
  return Error{ErrorCode::kInvalidRequest,
               "malformed revocation feed answer: " + std::string(what)};
}

const json* Member(const json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

bool GetString(const json& object, const char* name, std::string& out) {
  const json* value = Member(object, name);
  if (value == nullptr || !value->is_string()) {
    return false;
  }
  out = value->get<std::string>();
  return !out.empty();
}

bool GetInteger(const json& object, const char* name, int64_t& out) {
  const json* value = Member(object, name);
  if (value == nullptr || !value->is_number_integer()) {
    return false;
  }
  out = value->get<int64_t>();
  return true;
}

}  // namespace

Result<FeedAnswer> ParseFeedAnswer(std::string_view text) {
  // Without exceptions: malformed text parses to a discarded value, which is not an object.
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return tl::unexpected(Malformed("not a JSON object"));
  }
  FeedAnswer answer;
  std::string cursor;
  if (!GetString(doc, "cursor", cursor) || cursor.size() > 18) {
    return tl::unexpected(Malformed("cursor"));
  }
  const auto [end, ec] =
      std::from_chars(cursor.data(), cursor.data() + cursor.size(), answer.cursor);
  if (ec != std::errc() || end != cursor.data() + cursor.size() || answer.cursor < 0) {
    return tl::unexpected(Malformed("cursor"));
  }
  const json* snapshot = Member(doc, "snapshot");
  if (snapshot == nullptr || !snapshot->is_boolean()) {
    return tl::unexpected(Malformed("snapshot"));
  }
  answer.snapshot = snapshot->get<bool>();
  if (!GetInteger(doc, "horizon", answer.horizon) || answer.horizon <= 0) {
    return tl::unexpected(Malformed("horizon"));
  }
  const json* sessions = Member(doc, "revoked_sessions");
  const json* users = Member(doc, "revoked_users");
  if (sessions == nullptr || !sessions->is_array() || users == nullptr || !users->is_array()) {
    return tl::unexpected(Malformed("revoked_sessions or revoked_users"));
  }
  answer.sessions.reserve(sessions->size());
  for (const json& entry : *sessions) {
    FeedAnswer::Session s;
    if (!entry.is_object() || !GetString(entry, "sid", s.session_id) ||
        !GetString(entry, "sub", s.user_id) || !GetInteger(entry, "at", s.at)) {
      return tl::unexpected(Malformed("revoked_sessions entry"));
    }
    answer.sessions.push_back(std::move(s));
  }
  answer.users.reserve(users->size());
  for (const json& entry : *users) {
    FeedAnswer::User u;
    if (!entry.is_object() || !GetString(entry, "sub", u.user_id) ||
        !GetInteger(entry, "not_before", u.not_before)) {
      return tl::unexpected(Malformed("revoked_users entry"));
    }
    answer.users.push_back(std::move(u));
  }
  return answer;
}

void RevocationList::Add(const FeedAnswer& answer, int64_t now, SessionMap& sessions,
                         UserMap& users) {
  for (const FeedAnswer::Session& s : answer.sessions) {
    const int64_t until = s.at + answer.horizon;
    if (until < now) {
      continue;  // every token of the session has expired
    }
    auto [it, inserted] = sessions.emplace(s.session_id, until);
    if (!inserted) {
      it->second = std::max(it->second, until);
    }
  }
  for (const FeedAnswer::User& u : answer.users) {
    const int64_t until = u.not_before + answer.horizon;
    if (until < now) {
      continue;
    }
    UserCutoff& cutoff = users[u.user_id];
    // A later cut-off moves forward, never back.
    cutoff.not_before = std::max(cutoff.not_before, u.not_before);
    cutoff.until = std::max(cutoff.until, until);
  }
}

void RevocationList::Apply(const FeedAnswer& answer, int64_t now) {
  if (answer.snapshot) {
    SessionMap sessions;
    UserMap users;
    Add(answer, now, sessions, users);
    std::unique_lock lock(mu_);
    sessions_.swap(sessions);
    users_.swap(users);
    size_.store(sessions_.size() + users_.size(), std::memory_order_release);
    return;  // the old maps are freed here, after the lock
  }
  if (answer.sessions.empty() && answer.users.empty()) {
    return;
  }
  std::unique_lock lock(mu_);
  Add(answer, now, sessions_, users_);
  size_.store(sessions_.size() + users_.size(), std::memory_order_release);
}

bool RevocationList::IsRevoked(std::string_view session_id, std::string_view user_id,
                               int64_t issued_at) const {
  if (size_.load(std::memory_order_acquire) == 0) {
    return false;
  }
  std::shared_lock lock(mu_);
  if (!session_id.empty() && sessions_.find(session_id) != sessions_.end()) {
    return true;
  }
  const auto user = users_.find(user_id);
  return user != users_.end() && issued_at < user->second.not_before;
}

void RevocationList::Prune(int64_t now) {
  std::unique_lock lock(mu_);
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second < now; });
  std::erase_if(users_, [now](const auto& entry) { return entry.second.until < now; });
  size_.store(sessions_.size() + users_.size(), std::memory_order_release);
}

}  // namespace sesame::verifier
