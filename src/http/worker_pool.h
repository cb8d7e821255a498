#pragma once

// A fixed set of threads for work that must not run on an io thread: argon2id (CPU and
// memory heavy) and blocking store calls. The number of tasks queued or running is bounded:
// TryAcquire/TryPost refuse at once when the pool is full, so the caller can answer 503
// instead of letting latency grow without bound. Under the hood the threads run an Asio
// io_context (worker_pool_context.h), so the server can co_spawn onto them and resume on the
// connection's strand with Asio's own machinery.
// Thread-safe. Stop() finishes what was accepted and joins; the destructor calls it.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace sesame::http {

class WorkerPool {
 public:
  // `nice` > 0 lowers the threads' scheduling priority (Linux per-thread nice), so that
  // CPU-heavy work such as argon2id yields to the io threads on a busy core.
  WorkerPool(std::string name, size_t threads, size_t capacity, int nice = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a pool thread unless the pool is full or stopping.
  bool TryPost(std::function<void()> task);
  // Reserves one slot; every successful TryAcquire must be matched by one Release.
  bool TryAcquire();
  void Release();
  void Stop();

  const std::string& name() const;
  size_t in_flight() const;  // queued or running
  size_t threads() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sesame::http
