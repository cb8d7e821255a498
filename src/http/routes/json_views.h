#pragma once

// The JSON shapes of API.md for users, sessions and audit events, shared by the routes.
// Times are integer Unix seconds. Pure functions.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "auth/session_cache.h"
#include "store/audit_log.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::http {

nlohmann::json UserJson(const store::User& user);
// A session as the device list shows it; `current_session_id` marks the caller's own.
nlohmann::json SessionJson(const store::Session& session, std::string_view current_session_id);
nlohmann::json AuditEventJson(const store::AuditEvent& event);
// Serialises for a response; invalid UTF-8 (say, in a client's User-Agent) is replaced,
// never thrown.
std::string Dump(const nlohmann::json& value);
// When the session ends if unused: the earlier of idle and absolute expiry.
int64_t SessionExpiresAt(const store::Session& session);

}  // namespace sesame::http
