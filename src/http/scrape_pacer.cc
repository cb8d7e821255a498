#include "http/scrape_pacer.h"

#include <algorithm>
#include <thread>

namespace sesame::http {

void ScrapePacer::Pace() {
  MutexLock lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) {
    // On the scrape pool's own thread: nothing else waits behind this but other scrapes.
    std::this_thread::sleep_until(next_);
  }
  next_ = std::max(now, next_) + interval_;
}

}  // namespace sesame::http
