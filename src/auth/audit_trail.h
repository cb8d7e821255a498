#pragma once

// The one place the domain writes security events to the AuditLog. A failed audit write
// never undoes or fails the action it records (that action is already committed); it is
// counted so operators see it in /metrics. Thread-safe; log and clock must outlive it.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "store/audit_log.h"

namespace sesame::auth {

// Who asked for a change, for the audit log.
struct Actor {
  std::string user_id;  // empty for the command line or the user themself
  std::string ip;
};

class AuditTrail {
 public:
  AuditTrail(store::AuditLog& log, const Clock& clock) : log_(log), clock_(clock) {}

  void Record(std::string_view type, std::string_view user_id, std::string_view session_id,
              const Actor& actor, std::string_view detail);

  uint64_t failed_writes() const { return failed_writes_.load(std::memory_order_relaxed); }

 private:
  store::AuditLog& log_;
  const Clock& clock_;
  std::atomic<uint64_t> failed_writes_{0};
};

}  // namespace sesame::auth
