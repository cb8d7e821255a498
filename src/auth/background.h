#pragma once

// Where the domain hands work that may block and nobody waits for (writing a session's
// last-seen time). The server posts it to its store worker pool; the command line has none.
// Implementations are thread-safe.

#include <functional>

namespace sesame::auth {

class Background {
 public:
  virtual ~Background() = default;
  // False if the task was not accepted (queue full, shutting down); it is then dropped.
  virtual bool TryPost(std::function<void()> task) = 0;
};

class NoBackground final : public Background {
 public:
  bool TryPost(std::function<void()>) override { return false; }
};

}  // namespace sesame::auth
