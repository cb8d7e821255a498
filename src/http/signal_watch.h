#pragma once

// Runs a callback on a thread of its own when the process receives SIGINT or SIGTERM, alongside
// whatever else handles those signals (the Server's own graceful shutdown): for work that must
// end the moment shutdown begins rather than after the server has drained, such as releasing
// held long-polls, which the server would otherwise wait for as in-flight requests.
// Construct and destroy from one thread; the callback runs on the watch's thread, at most once.

#include <functional>
#include <memory>

namespace sesame::http {

class SignalWatch {
 public:
  explicit SignalWatch(std::function<void()> on_signal);
  // Stops watching (a signal after this is no longer seen here) and joins the thread.
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sesame::http
