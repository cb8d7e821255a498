#include "http/worker_pool.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "common/mutex.h"
#include "http/worker_pool_context.h"

namespace sesame::http {

namespace net = boost::asio;

struct WorkerPool::Impl {
  Impl(std::string n, size_t c) : name(std::move(n)), capacity(c), guard(ctx.get_executor()) {}

  const std::string name;
  const size_t capacity;
  net::io_context ctx{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  Mutex stop_mu;
  std::vector<std::thread> threads;  // joined under stop_mu
};

net::io_context& WorkerPoolContext(WorkerPool& pool) {
  return pool.impl().ctx;
}

WorkerPool::WorkerPool(std::string name, size_t threads, size_t capacity, int nice)
    : impl_(std::make_unique<Impl>(std::move(name), capacity)) {
  impl_->threads.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this, nice] {
      if (nice > 0) {
        // On Linux, nice applies per thread when given the thread id. Failure only means the
        // pool runs at normal priority.
        (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
      }
      impl_->ctx.run();
    });
    pthread_setname_np(impl_->threads.back().native_handle(), impl_->name.substr(0, 15).c_str());
  }
}

WorkerPool::~WorkerPool() {
  Stop();
}

bool WorkerPool::TryAcquire() {
  if (impl_->stopping.load(std::memory_order_acquire)) {
    return false;
  }
  size_t n = impl_->in_flight.load(std::memory_order_relaxed);
  while (n < impl_->capacity) {
    if (impl_->in_flight.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) {
      return true;
    }
  }
  return false;
}

void WorkerPool::Release() {
  impl_->in_flight.fetch_sub(1, std::memory_order_acq_rel);
}

bool WorkerPool::TryPost(std::function<void()> task) {
  if (!TryAcquire()) {
    return false;
  }
  net::post(impl_->ctx, [this, task = std::move(task)] {
    task();
    Release();
  });
  return true;
}

void WorkerPool::Stop() {
  MutexLock lock(impl_->stop_mu);
  impl_->stopping.store(true, std::memory_order_release);
  impl_->guard.reset();  // run() returns once the accepted tasks are done
  for (std::thread& t : impl_->threads) {
    if (t.joinable()) {
      t.join();
    }
  }
  impl_->threads.clear();
}

const std::string& WorkerPool::name() const {
  return impl_->name;
}

size_t WorkerPool::in_flight() const {
  return impl_->in_flight.load(std::memory_order_relaxed);
}

size_t WorkerPool::threads() const {
  return impl_->threads.size();
}

}  // namespace sesame::http
