#include "auth/key_publisher.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

namespace sesame::auth {
namespace {

// Snapshot versions are unique in the process, not only per publisher: a reader that caches a
// snapshot by version can never mistake another publisher's for its own.
std::atomic<uint64_t> next_version{0};

}  // namespace

Result<std::unique_ptr<KeyPublisher>> KeyPublisher::Open(std::string path, jose::Algorithm alg,
                                                         Seconds token_lifetime,
                                                         jose::ClaimsPolicy claims,
                                                         const Clock& clock) {
  auto ring = KeyRing::LoadOrCreate(path, alg, clock.Now());
  if (!ring) {
    return tl::unexpected(ring.error());
  }
  auto publisher =
      std::make_unique<KeyPublisher>(std::move(path), token_lifetime, std::move(claims), clock);
  // Nobody else holds the publisher yet; the lock is for the analysis (and costs nothing).
  MutexLock lock(publisher->refresh_mu_);
  if (auto built = publisher->Rebuild(*ring); !built) {
    return tl::unexpected(built.error());
  }
  struct stat st;
  if (::stat(publisher->path_.c_str(), &st) == 0) {
    publisher->file_mtime_ = st.st_mtim;
    publisher->file_size_ = st.st_size;
  }
  return publisher;
}

Result<void> KeyPublisher::Rebuild(const KeyRing& ring) {
  const TimePoint now = clock_.Now();
  auto keys = ring.VerificationKeys(now, token_lifetime_);
  if (!keys) {
    return tl::unexpected(keys.error());
  }
  nlohmann::json jwks = {{"keys", nlohmann::json::array()}};
  for (const jose::Jwk& key : keys->keys()) {
    if (!key.is_symmetric()) {
      jwks["keys"].push_back(nlohmann::json::parse(key.ToJson(/*include_private=*/false)));
    }
  }
  auto key_set = std::make_shared<const jose::KeySet>(std::move(*keys));
  auto verifier = std::make_shared<const jose::JwtVerifier>(key_set, claims_);
  // The next time the set changes without the file changing: a retired key's last token expires.
  next_expiry_ = TimePoint::max();
  for (const RingKey& key : ring.keys()) {
    if (key.state == KeyState::kRetired && key.retired_at &&
        *key.retired_at + token_lifetime_ > now) {
      next_expiry_ = std::min(next_expiry_, *key.retired_at + token_lifetime_);
    }
  }
  const uint64_t version = next_version.fetch_add(1, std::memory_order_relaxed) + 1;
  current_.store(std::make_shared<const Snapshot>(
      Snapshot{ring.active(), std::move(key_set), jwks.dump(), std::move(verifier), version}));
  version_.store(version, std::memory_order_release);
  built_at_ = now;
  return {};
}

Result<void> KeyPublisher::Refresh() {
  MutexLock lock(refresh_mu_);
  struct stat st;
  const bool have_stat = ::stat(path_.c_str(), &st) == 0;
  const bool changed =
      have_stat && (st.st_mtim.tv_sec != file_mtime_.tv_sec ||
                    st.st_mtim.tv_nsec != file_mtime_.tv_nsec || st.st_size != file_size_);
  const TimePoint now = clock_.Now();
  if (!changed && now - built_at_ < Seconds(60) && now < next_expiry_) {
    return {};
  }
  auto ring = KeyRing::Load(path_);
  if (!ring) {
    return tl::unexpected(ring.error());
  }
  if (have_stat) {
    file_mtime_ = st.st_mtim;
    file_size_ = st.st_size;
  }
  return Rebuild(*ring);
}

}  // namespace sesame::auth
