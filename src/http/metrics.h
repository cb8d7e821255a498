#pragma once

// Request metrics in the Prometheus text exposition format (version 0.0.4), written by hand:
// Debian 12 packages no C++ Prometheus client. Counters of requests by route, method and
// status, and a latency histogram per route. The route set is fixed at start, so observing a
// request is a few relaxed atomic increments, no lock, no allocation. Thread-safe.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sesame::http {

class Metrics {
 public:
  // One label per route ("GET /v1/auth/verify"); the last one is for unmatched requests.
  explicit Metrics(std::vector<std::string> route_labels);

  void Observe(size_t route_index, int status, std::chrono::nanoseconds latency);

  // Appends the exposition of request counters and histograms.
  void Render(std::string& out) const;

  // Bucket bounds in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
  // Statuses with their own counter; anything else counts as "other".
  static constexpr std::array<int, 16> kStatuses = {200, 201, 204, 303, 400, 401, 403, 404,
                                                    405, 409, 413, 429, 431, 500, 503, 0};

 private:
  struct PerRoute {
    std::array<std::atomic<uint64_t>, kStatuses.size()> by_status{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last: +Inf
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };

  const std::vector<std::string> labels_;
  std::unique_ptr<PerRoute[]> routes_;
};

// Appends one metric family of other kinds (type "counter" or "gauge"): samples are
// (label set without braces, or "" for none; value).
struct Sample {
  std::string labels;
  double value = 0;
};
void AppendFamily(std::string& out, const char* name, const char* type, const char* help,
                  const std::vector<Sample>& samples);

}  // namespace sesame::http
