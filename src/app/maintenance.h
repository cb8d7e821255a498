#pragma once

// The server's background duties, on a thread of their own so no request waits for them:
// following the store's change feed (revocations made by the command line or other nodes, and
// the GET /v1/revocations long-polls it wakes), reloading the key ring, and purging what has
// outlived its use (ended sessions, the change feed, rate counters, audit events older than
// audit.retention, in bounded batches), and counting live sessions once a minute for /metrics. It
// polls every 250 ms; with Redis, the subscriber pokes it the moment another node appends to the
// feed, and asks for a full resynchronisation after every (re)connection.
//
// Poke() and Resync() from any thread. The node, keys and feed must outlive it; the destructor
// stops and joins the thread.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/clock.h"

namespace sesame::auth {
class KeyPublisher;
class RevocationFeed;
}  // namespace sesame::auth

namespace sesame::app {

class Node;

class Maintenance {
 public:
  Maintenance(Node& node, auth::KeyPublisher& keys, auth::RevocationFeed& feed,
              Seconds audit_retention);
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  // A change was published: follow the feed now.
  void Poke();
  // The subscription was (re)established: reload everything that may have been missed.
  void Resync();

 private:
  void Loop();
  void FollowOrResync(bool resync);
  void Purge();
  void CountSessions();

  Node& node_;
  auth::KeyPublisher& keys_;
  auth::RevocationFeed& feed_;
  const Seconds audit_retention_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;    // guarded by mu_
  bool poked_ = false;   // guarded by mu_
  bool resync_ = false;  // guarded by mu_
  std::thread thread_;   // last: starts once everything above is initialised
};

}  // namespace sesame::app
