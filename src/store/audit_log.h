#pragma once

// AuditLog: security events (logins, logouts, revocations, evictions, lockouts, admin
// actions), appended durably and read back newest first. Never holds secrets. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace sesame::store {

struct AuditEvent {
  int64_t id = 0;  // assigned by the log
  TimePoint at;
  std::string type;        // "login_succeeded", "login_failed", "logout", "session_revoked", ...
  std::string user_id;     // subject, when known
  std::string actor_id;    // who did it (an admin), when not the subject
  std::string session_id;  // when one session is concerned
  std::string ip;
  std::string detail;  // short free text, e.g. the revoke reason; never a secret
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  [[nodiscard]] virtual Result<void> Append(const AuditEvent& event) = 0;
  // Newest first; only events of `user_id` when it is not empty.
  [[nodiscard]] virtual Result<std::vector<AuditEvent>> Recent(std::string_view user_id,
                                                               size_t limit) = 0;
  // Deletes events older than `before`, looking at no more than the `batch` oldest events (so
  // one call does bounded work whatever the log's size); returns how many it deleted. Events
  // are appended in time order, so the old ones are always at the head.
  [[nodiscard]] virtual Result<size_t> PurgeAudit(TimePoint before, size_t batch) = 0;
};

}  // namespace sesame::store
