#include "http/routes/json_views.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sesame::http {

nlohmann::json UserJson(const store::User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"roles", user.roles},
          {"disabled", user.is_disabled},
          {"created_at", ToUnixSeconds(user.created_at)},
          {"updated_at", ToUnixSeconds(user.updated_at)}};
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int64_t SessionExpiresAt(const store::Session& session) {
  return ToUnixSeconds(std::min(session.idle_expires_at, session.absolute_expires_at));
}

nlohmann::json SessionJson(const store::Session& session, std::string_view current_session_id) {
  return {{"id", session.id},
          {"mode", store::SessionModeName(session.mode)},
          {"transport", store::TransportName(session.transport)},
          {"created_at", ToUnixSeconds(session.created_at)},
          {"last_seen_at", ToUnixSeconds(session.last_seen_at)},
          {"expires_at", SessionExpiresAt(session)},
          {"absolute_expires_at", ToUnixSeconds(session.absolute_expires_at)},
          {"ip", session.ip},
          {"user_agent", session.user_agent},
          {"current", session.id == current_session_id}};
}

nlohmann::json AuditEventJson(const store::AuditEvent& event) {
  return {
      {"id", event.id},           {"at", ToUnixSeconds(event.at)}, {"type", event.type},
      {"user_id", event.user_id}, {"actor_id", event.actor_id},    {"session_id", event.session_id},
      {"ip", event.ip},           {"detail", event.detail}};
}

}  // namespace sesame::http
