#include "http/metrics.h"

#include <charconv>
#include <utility>

namespace sesame::http {
namespace {

void AppendNumber(std::string& out, double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 9);
  out.append(buf, ec == std::errc() ? end : buf);
}

// Route labels come from our own route table (no user data) but are escaped anyway, per the
// exposition format: backslash, double quote and newline.
std::string EscapeLabel(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Metrics::Metrics(std::vector<std::string> route_labels)
    : labels_(std::move(route_labels)), routes_(new PerRoute[labels_.size()]) {}

void Metrics::Observe(size_t route_index, int status, std::chrono::nanoseconds latency) {
  if (route_index >= labels_.size()) {
    route_index = labels_.size() - 1;
  }
  PerRoute& r = routes_[route_index];
  size_t s = kStatuses.size() - 1;
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) {
      s = i;
      break;
    }
  }
  r.by_status[s].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  size_t b = kBuckets.size();
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      b = i;
      break;
    }
  }
  r.buckets[b].fetch_add(1, std::memory_order_relaxed);
  r.count.fetch_add(1, std::memory_order_relaxed);
  r.sum_ns.fetch_add(static_cast<uint64_t>(latency.count()), std::memory_order_relaxed);
}

void Metrics::Render(std::string& out) const {
  out += "# HELP sesame_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE sesame_http_requests_total counter\n";
  for (size_t i = 0; i < labels_.size(); ++i) {
    const std::string label = EscapeLabel(labels_[i]);
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      const uint64_t n = routes_[i].by_status[s].load(std::memory_order_relaxed);
      if (n == 0) {
        continue;
      }
      out += "sesame_http_requests_total{route=\"" + label + "\",status=\"" +
             (kStatuses[s] == 0 ? std::string("other") : std::to_string(kStatuses[s])) + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  out += "# HELP sesame_http_request_duration_seconds Time from request read to response.\n";
  out += "# TYPE sesame_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < labels_.size(); ++i) {
    const PerRoute& r = routes_[i];
    const uint64_t count = r.count.load(std::memory_order_relaxed);
    if (count == 0) {
      continue;
    }
    const std::string label = EscapeLabel(labels_[i]);
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += r.buckets[b].load(std::memory_order_relaxed);
      out += "sesame_http_request_duration_seconds_bucket{route=\"" + label + "\",le=\"";
      if (b == kBuckets.size()) {
        out += "+Inf";
      } else {
        AppendNumber(out, kBuckets[b]);
      }
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "sesame_http_request_duration_seconds_sum{route=\"" + label + "\"} ";
    AppendNumber(out, static_cast<double>(r.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    out += "\nsesame_http_request_duration_seconds_count{route=\"" + label + "\"} " +
           std::to_string(cumulative) + "\n";
  }
}

void AppendFamily(std::string& out, const char* name, const char* type, const char* help,
                  const std::vector<Sample>& samples) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  for (const Sample& sample : samples) {
    out += name;
    if (!sample.labels.empty()) {
      out += "{" + sample.labels + "}";
    }
    out += ' ';
    AppendNumber(out, sample.value);
    out += '\n';
  }
}

}  // namespace sesame::http
