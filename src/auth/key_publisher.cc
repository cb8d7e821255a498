#include "auth/key_publisher.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

namespace sesame::auth {

Result<std::unique_ptr<KeyPublisher>> KeyPublisher::Open(std::string path, jose::Algorithm alg,
                                                         Seconds token_lifetime,
                                                         const Clock& clock) {
  auto ring = KeyRing::LoadOrCreate(path, alg, clock.Now());
  if (!ring) {
    return tl::unexpected(ring.error());
  }
  auto publisher = std::make_unique<KeyPublisher>(std::move(path), token_lifetime, clock);
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
  auto snapshot = std::make_shared<Snapshot>(
      Snapshot{ring.active(), std::make_shared<const jose::KeySet>(std::move(*keys)), jwks.dump()});
  current_.store(std::move(snapshot));
  built_at_ = now;
  return {};
}

Result<void> KeyPublisher::Refresh() {
  std::lock_guard lock(refresh_mu_);
  struct stat st;
  const bool have_stat = ::stat(path_.c_str(), &st) == 0;
  const bool changed =
      have_stat && (st.st_mtim.tv_sec != file_mtime_.tv_sec ||
                    st.st_mtim.tv_nsec != file_mtime_.tv_nsec || st.st_size != file_size_);
  if (!changed && clock_.Now() - built_at_ < Seconds(60)) {
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
