#include "auth/login_event_log.h"

#include <unistd.h>

#include <string>

#include <nlohmann/json.hpp>

namespace sesame::auth {

void LoginEventLog::Write(std::string_view event, std::string_view username, std::string_view ip,
                          std::string_view reason) const {
  const nlohmann::json line = {
      {"event", event}, {"username", username}, {"ip", ip}, {"reason", reason}};
  // Invalid UTF-8 in a username is replaced, not thrown: the line must always be written.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  // Best effort: a full or closed stderr must not fail a login.
  (void)!::write(fd_, text.data(), text.size());
}

}  // namespace sesame::auth
