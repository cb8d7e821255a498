#pragma once

// At most one /metrics scrape per interval per server (API.md "Operations": a scrape is cheap
// and stays cheap). A scrape is work on the io thread and the kernel's, whatever it reads, so a
// client scraping in a tight loop would take CPU from logins like any request loop would;
// Prometheus needs one scrape per target every few seconds. Scrapes run on a one-thread worker
// pool of their own, and Pace() holds that thread until the interval since the previous scrape
// has passed: a tight loop of scrapers then gets its answers at the pace, queued (the pool's
// capacity bounds the queue; beyond it, 503 at once), and logins never notice it.
//
// Pace() from the scrape pool's thread only; thread-safe all the same.

#include <chrono>

#include "common/mutex.h"

namespace sesame::http {

class ScrapePacer {
 public:
  explicit ScrapePacer(std::chrono::milliseconds interval) : interval_(interval) {}

  // Waits until the interval since the previous call's slot has passed, then takes the next.
  void Pace();

 private:
  const std::chrono::milliseconds interval_;
  Mutex mu_;
  std::chrono::steady_clock::time_point next_ SESAME_GUARDED_BY(mu_){};
};

}  // namespace sesame::http
