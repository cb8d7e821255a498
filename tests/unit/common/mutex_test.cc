#include "common/mutex.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace sesame {
namespace {

struct Counter {
  Mutex mu;
  int value SESAME_GUARDED_BY(mu) = 0;
};

TEST(MutexTest, LockSerialisesWriters) {
  Counter counter;
  auto add = [&counter] {
    for (int i = 0; i < 10000; ++i) {
      MutexLock lock(counter.mu);
      ++counter.value;
    }
  };
  std::thread a(add);
  std::thread b(add);
  a.join();
  b.join();
  MutexLock lock(counter.mu);
  EXPECT_EQ(counter.value, 20000);
}

TEST(MutexTest, UnlockGivesTheMutexBackEarly) {
  Mutex mu;
  MutexLock lock(mu);
  lock.Unlock();
  // Another thread can take it while `lock` is still in scope.
  std::thread other([&mu] { MutexLock inner(mu); });
  other.join();
  lock.Lock();
}

TEST(CondVarTest, WaitForTimesOutWithoutANotify) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(mu);
  EXPECT_FALSE(cv.WaitFor(mu, std::chrono::milliseconds(1)));
}

TEST(CondVarTest, NotifyWakesAWaiterThatSeesTheWrite) {
  Counter counter;
  CondVar cv;
  std::thread writer([&] {
    MutexLock lock(counter.mu);
    counter.value = 1;
    cv.NotifyAll();
  });
  {
    MutexLock lock(counter.mu);
    while (counter.value == 0) {
      cv.Wait(counter.mu);
    }
    EXPECT_EQ(counter.value, 1);
  }
  writer.join();
}

}  // namespace
}  // namespace sesame
