#pragma once

// A mutex, its scoped lock and a condition variable that clang's thread-safety analysis can
// follow (common/thread_annotations.h): members marked SESAME_GUARDED_BY(mu_) are then checked
// at compile time in the clang build. Thin wrappers over std::mutex and
// std::condition_variable: the same cost, the same semantics. Thread-safe, as their std
// counterparts.
//
//   Mutex mu_;
//   int64_t count_ SESAME_GUARDED_BY(mu_) = 0;
//   void Add() { MutexLock lock(mu_); ++count_; }
//
// CondVar waits take the Mutex the caller already holds through a MutexLock; a predicate is a
// loop around Wait in the caller, so the analysis sees the guarded reads under the lock (a
// lambda predicate would be analysed as a function of its own, without the lock).

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/thread_annotations.h"

namespace sesame {

class SESAME_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() SESAME_ACQUIRE() { mu_.lock(); }
  void Unlock() SESAME_RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope; Unlock() gives it back early (and Lock() takes it again).
class SESAME_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) SESAME_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() SESAME_RELEASE() {
    if (held_) {
      mu_.Unlock();
    }
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() SESAME_RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() SESAME_ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

class CondVar {
 public:
  // Each Wait gives `mu` back while it sleeps and holds it again when it returns; wake-ups may
  // be spurious, so callers loop on their condition.
  void Wait(Mutex& mu) SESAME_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // False once `deadline` has passed.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex& mu, std::chrono::time_point<Clock, Duration> deadline) SESAME_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    const bool woken = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  template <typename Rep, typename Period>
  bool WaitFor(Mutex& mu, std::chrono::duration<Rep, Period> timeout) SESAME_REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }

  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace sesame
