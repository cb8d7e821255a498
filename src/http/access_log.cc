#include "http/access_log.h"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sesame::http {

AccessLog::AccessLog(bool enabled) {
  if (!enabled) {
    return;
  }
  if (!spdlog::thread_pool()) {
    spdlog::init_thread_pool(8192, 1);
  }
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  // Overrun the oldest line rather than block an io thread when stdout cannot keep up.
  logger_ = std::make_shared<spdlog::async_logger>("access", sink, spdlog::thread_pool(),
                                                   spdlog::async_overflow_policy::overrun_oldest);
  logger_->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","log":"access",%v})",
                       spdlog::pattern_time_type::utc);
}

AccessLog::~AccessLog() {
  Flush();
}

void AccessLog::Write(std::string_view method, std::string_view route, int status,
                      std::chrono::nanoseconds latency, std::string_view session_id,
                      std::string_view client_ip) {
  if (!logger_) {
    return;
  }
  // Every value here is ours (route patterns, ids we minted, a numeric address), so no JSON
  // escaping is needed; the method is one of the known ones or "OTHER".
  logger_->info(R"("method":"{}","route":"{}","status":{},"ms":{:.3f},"sid":"{}","ip":"{}")",
                method, route, status, std::chrono::duration<double, std::milli>(latency).count(),
                session_id, client_ip);
}

void AccessLog::Flush() {
  if (logger_) {
    logger_->flush();
  }
}

}  // namespace sesame::http
