// Compiled by the thread-safety tests (tests/CMakeLists.txt), never linked: with
// SESAME_HOLD_THE_LOCK it must compile cleanly under -Wthread-safety -Werror, without it it must
// fail with clang's "requires holding mutex" diagnostic. Together they prove the analysis is on
// and that common/mutex.h carries the attributes it needs.

#include "common/mutex.h"

namespace {

class Account {
 public:
  void Add(int amount) {
#ifdef SESAME_HOLD_THE_LOCK
    sesame::MutexLock lock(mu_);
#endif
    balance_ += amount;
  }

 private:
  sesame::Mutex mu_;
  int balance_ SESAME_GUARDED_BY(mu_) = 0;
};

}  // namespace

void UseAccount() {
  Account account;
  account.Add(1);
}
