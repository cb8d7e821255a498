#include "auth/audit_trail.h"

namespace sesame::auth {

void AuditTrail::Record(std::string_view type, std::string_view user_id,
                        std::string_view session_id, const Actor& actor, std::string_view detail) {
  store::AuditEvent event;
  event.at = clock_.Now();
  event.type = std::string(type);
  event.user_id = std::string(user_id);
  event.actor_id = actor.user_id;
  event.session_id = std::string(session_id);
  event.ip = actor.ip;
  event.detail = std::string(detail);
  if (!log_.Append(event)) {
    failed_writes_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace sesame::auth
