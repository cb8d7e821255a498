#include "store/redis/redis_store.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace sesame::store {
namespace {

// The device limit, evictions and the insert, in the user's slot (KEYS: the user's session
// set, the new session, the user's creation counter). Returns {-1} for a taken id, {0} when the
// limit refuses, else {1, evicted id, its mode, ...}.
const RedisScript kCreateScript(R"lua(
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1} end
local evicted = {1}
if max > 0 then
  local live = {}
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local f = redis.call('HMGET', ARGV[4] .. id, 'ra', 'ie', 'ae', 'mode')
    if not f[2] then
      redis.call('ZREM', KEYS[1], id)
    elseif not f[1] and tonumber(f[2]) > now and tonumber(f[3]) > now then
      live[#live + 1] = {id, f[4]}
    end
  end
  local excess = #live + 1 - max
  if excess > 0 then
    if ARGV[3] == '1' then return {0} end
    for i = 1, excess do
      local key = ARGV[4] .. live[i][1]
      redis.call('HSET', key, 'ra', now, 'rr', 'evicted')
      redis.call('EXPIRE', key, ARGV[7], 'LT')
      evicted[#evicted + 1] = live[i][1]
      evicted[#evicted + 1] = live[i][2]
    end
  end
end
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], tonumber(ARGV[5]) * 1048576 + (n % 1048576), ARGV[8])
redis.call('HSET', KEYS[2], unpack(ARGV, 9))
redis.call('EXPIRE', KEYS[2], ARGV[6])
for i = 1, 3, 2 do
  if redis.call('TTL', KEYS[i]) < tonumber(ARGV[6]) then redis.call('EXPIRE', KEYS[i], ARGV[6]) end
end
return evicted
)lua");

// KEYS: the session. ARGV: now, reason, retention. Returns {0} or {1, mode}.
const RedisScript kRevokeScript(R"lua(
local f = redis.call('HMGET', KEYS[1], 'id', 'ra', 'mode')
if not f[1] or f[2] then return {0} end
redis.call('HSET', KEYS[1], 'ra', ARGV[1], 'rr', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3], 'LT')
return {1, f[3]}
)lua");

// KEYS: the user's session set. ARGV: now, reason, retention, session key prefix.
// Returns {id, mode, ...} of the sessions it revoked, oldest first.
const RedisScript kRevokeUserScript(R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[4] .. id
  local f = redis.call('HMGET', key, 'id', 'ra', 'mode')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif not f[2] then
    redis.call('HSET', key, 'ra', ARGV[1], 'rr', ARGV[2])
    redis.call('EXPIRE', key, ARGV[3], 'LT')
    out[#out + 1] = id
    out[#out + 1] = f[3]
  end
end
return out
)lua");

// The compare-and-set of refresh rotation. KEYS: the session. ARGV: from generation, new hash,
// now, idle expiry. Returns min(idle, absolute) after the rotation, or 0 if it did not rotate.
const RedisScript kRotateScript(R"lua(
local f = redis.call('HMGET', KEYS[1], 'id', 'ra', 'gen', 'ie', 'ae', 'rh', 'ls')
if not f[1] or f[2] then return 0 end
local now = tonumber(ARGV[3])
if tonumber(f[3]) ~= tonumber(ARGV[1]) or tonumber(f[4]) <= now or tonumber(f[5]) <= now then
  return 0
end
local ie = math.max(tonumber(f[4]), tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'prh', f[6] or '', 'rh', ARGV[2], 'gen', tonumber(f[3]) + 1,
  'rot', now, 'ls', math.max(tonumber(f[7]), now), 'ie', ie)
return math.min(ie, tonumber(f[5]))
)lua");

// KEYS: the session. ARGV: last seen, idle expiry. Returns min(idle, absolute) after the
// touch, or -1 if the session was not live when seen (never resurrects, never moves back).
const RedisScript kTouchScript(R"lua(
local f = redis.call('HMGET', KEYS[1], 'id', 'ra', 'ls', 'ie', 'ae')
if not f[1] or f[2] then return -1 end
local seen = tonumber(ARGV[1])
if tonumber(f[4]) <= seen or tonumber(f[5]) <= seen then return -1 end
local ie = math.max(tonumber(f[4]), tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'ls', math.max(tonumber(f[3]), seen), 'ie', ie)
return math.min(ie, tonumber(f[5]))
)lua");

// KEYS: the user's session set. ARGV: session key prefix. Every record, newest first.
const RedisScript kListScript(R"lua(
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  local record = redis.call('HGETALL', ARGV[1] .. id)
  if #record > 0 then out[#out + 1] = record end
end
return out
)lua");

// The change feed. KEYS: seq counter, stream, revoked jwt set. ARGV: channel, then groups of
// (kind, sid, uid, at, jwt). Returns the last seq.
const RedisScript kFeedScript(R"lua(
local last = 0
for i = 2, #ARGV, 5 do
  if ARGV[i] ~= 'J' then
    last = redis.call('INCR', KEYS[1])
    redis.call('XADD', KEYS[2], last .. '-0', 'k', ARGV[i], 's', ARGV[i + 1], 'u', ARGV[i + 2],
      'a', ARGV[i + 3])
  end
  if ARGV[i + 4] == '1' then
    redis.call('ZADD', KEYS[3], ARGV[i + 3], ARGV[i + 1] .. ' ' .. ARGV[i + 2])
  end
end
if last > 0 then redis.call('PUBLISH', ARGV[1], last) end
return last
)lua");

// KEYS: the counter. ARGV: now, window end, ttl. Returns {count, start, end, last hit}.
const RedisScript kHitScript(R"lua(
local f = redis.call('HMGET', KEYS[1], 'c', 'ws', 'we')
local now = tonumber(ARGV[1])
if not f[1] or tonumber(f[3]) <= now then
  redis.call('HSET', KEYS[1], 'c', 1, 'ws', now, 'we', ARGV[2], 'lh', now)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {1, now, tonumber(ARGV[2]), now}
end
local c = redis.call('HINCRBY', KEYS[1], 'c', 1)
redis.call('HSET', KEYS[1], 'lh', now)
return {c, tonumber(f[2]), tonumber(f[3]), now}
)lua");

// KEYS: the counter. ARGV: now, window end, ttl, limit, backoff, free hits.
// Returns {granted 0/1, count, start, end, last hit}; a refusal writes nothing.
const RedisScript kTakeSlotScript(R"lua(
local f = redis.call('HMGET', KEYS[1], 'c', 'ws', 'we', 'lh')
local now = tonumber(ARGV[1])
if not f[1] or tonumber(f[3]) <= now then
  redis.call('HSET', KEYS[1], 'c', 1, 'ws', now, 'we', ARGV[2], 'lh', 0)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {1, 1, now, tonumber(ARGV[2]), 0}
end
local c = tonumber(f[1])
local lh = tonumber(f[4])
local free = tonumber(ARGV[6])
local backoff = tonumber(ARGV[5])
local gap = 0
if c > free and backoff > 0 then gap = backoff * 2 ^ math.min(c - free - 1, 20) end
if c >= tonumber(ARGV[4]) or now < lh + gap then
  return {0, c, tonumber(f[2]), tonumber(f[3]), lh}
end
c = redis.call('HINCRBY', KEYS[1], 'c', 1)
return {1, c, tonumber(f[2]), tonumber(f[3]), lh}
)lua");

// KEYS: the counter. ARGV: now. Marks the last used slot's time, if the counter exists.
const RedisScript kMarkSlotScript(R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'lh', ARGV[1]) end
return 0
)lua");

// KEYS: the counter. One slot back, never below zero.
const RedisScript kReturnSlotScript(R"lua(
local c = tonumber(redis.call('HGET', KEYS[1], 'c'))
if c and c > 0 then redis.call('HINCRBY', KEYS[1], 'c', -1) end
return 0
)lua");

std::string Str(int64_t v) {
  return std::to_string(v);
}

// "(N": an exclusive score bound. (Appended, not `"(" + ...`: GCC 12 at -O3 misreports that
// as an overlapping memcpy, -Werror=restrict.)
std::string ExclusiveBound(int64_t v) {
  std::string bound = "(";
  bound += Str(v);
  return bound;
}

bool ToInt(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

tl::unexpected<Error> Corrupt(std::string_view what) {
  return MakeError(ErrorCode::kUnavailable, "redis: unreadable " + std::string(what));
}

// A TTL in seconds from `now` to `until` (at least 1: EXPIRE 0 would delete at once).
std::string TtlFrom(TimePoint now, TimePoint until) {
  return Str(std::max<int64_t>(1, ToUnixSeconds(until) - ToUnixSeconds(now)));
}

std::vector<std::pair<std::string, std::string>> Encode(const Session& s) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"id", s.id},
      {"uid", s.user_id},
      {"mode", std::string(SessionModeName(s.mode))},
      {"tr", std::string(TransportName(s.transport))},
      {"sh", s.secret_hash},
      {"csrf", s.csrf_token},
      {"ca", Str(ToUnixSeconds(s.created_at))},
      {"ls", Str(ToUnixSeconds(s.last_seen_at))},
      {"ie", Str(ToUnixSeconds(s.idle_expires_at))},
      {"ae", Str(ToUnixSeconds(s.absolute_expires_at))},
      {"ip", s.ip},
      {"ua", s.user_agent},
      {"rem", s.remember ? "1" : "0"},
      {"gen", Str(s.refresh_generation)},
      {"rh", s.refresh_hash},
      {"prh", s.previous_refresh_hash},
  };
  if (s.revoked_at) {
    f.emplace_back("ra", Str(ToUnixSeconds(*s.revoked_at)));
    f.emplace_back("rr", s.revoke_reason);
  }
  if (s.rotated_at) {
    f.emplace_back("rot", Str(ToUnixSeconds(*s.rotated_at)));
  }
  return f;
}

// From HGETALL's [field, value, ...].
Result<Session> Decode(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
    return Corrupt("session record");
  }
  std::map<std::string_view, std::string_view> f;
  for (size_t i = 0; i + 1 < reply->elements; i += 2) {
    auto name = ReplyString(reply->element[i]);
    auto value = ReplyString(reply->element[i + 1]);
    if (!name || !value) {
      return Corrupt("session record");
    }
    f[*name] = *value;
  }
  const auto text = [&f](std::string_view name) {
    auto it = f.find(name);
    return it == f.end() ? std::string() : std::string(it->second);
  };
  const auto time = [&f](std::string_view name, TimePoint& out) {
    int64_t v = 0;
    auto it = f.find(name);
    if (it == f.end() || !ToInt(it->second, v)) {
      return false;
    }
    out = FromUnixSeconds(v);
    return true;
  };
  Session s;
  s.id = text("id");
  s.user_id = text("uid");
  auto mode = ParseSessionMode(text("mode"));
  auto transport = ParseTransport(text("tr"));
  if (s.id.empty() || !mode || !transport || !time("ca", s.created_at) ||
      !time("ls", s.last_seen_at) || !time("ie", s.idle_expires_at) ||
      !time("ae", s.absolute_expires_at) || !ToInt(text("gen"), s.refresh_generation)) {
    return Corrupt("session record");
  }
  s.mode = *mode;
  s.transport = *transport;
  s.secret_hash = text("sh");
  s.csrf_token = text("csrf");
  s.ip = text("ip");
  s.user_agent = text("ua");
  s.remember = text("rem") == "1";
  s.refresh_hash = text("rh");
  s.previous_refresh_hash = text("prh");
  if (TimePoint t; time("ra", t)) {
    s.revoked_at = t;
    s.revoke_reason = text("rr");
  }
  if (TimePoint t; time("rot", t)) {
    s.rotated_at = t;
  }
  return s;
}

bool ValidPrefix(std::string_view prefix) {
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '_' || c == '-' || c == '.';
  });
}

// "uid sid" members of the live and expiry indexes.
std::string Member(std::string_view user_id, std::string_view session_id) {
  std::string m(user_id);
  m.push_back(' ');
  m.append(session_id);
  return m;
}

bool SplitMember(std::string_view member, std::string_view& first, std::string_view& second) {
  size_t space = member.find(' ');
  if (space == std::string_view::npos) {
    return false;
  }
  first = member.substr(0, space);
  second = member.substr(space + 1);
  return true;
}

}  // namespace

RedisStore::RedisStore(RedisEndpoint endpoint, RedisOptions options)
    : options_(std::move(options)),
      prefix_(options_.key_prefix),
      channel_(prefix_ + "changes"),
      client_(std::move(endpoint), options_.pool_size) {}

RedisStore::~RedisStore() = default;

Result<std::unique_ptr<RedisStore>> RedisStore::Open(std::string_view url, RedisOptions options) {
  auto endpoint = ParseRedisUrl(url);
  if (!endpoint) {
    return tl::unexpected(endpoint.error());
  }
  if (!ValidPrefix(options.key_prefix)) {
    return MakeError(ErrorCode::kInvalidConfig, "redis key prefix: letters, digits and :_-. only");
  }
  std::unique_ptr<RedisStore> store(new RedisStore(std::move(*endpoint), std::move(options)));
  auto info = store->client_.Command({"INFO", "server"});
  if (!info) {
    return tl::unexpected(info.error());
  }
  // EXPIRE ... GT/LT came with Redis 7.0.
  auto text = ReplyString(info->get());
  if (text) {
    size_t at = text->find("redis_version:");
    if (at != std::string_view::npos) {
      int64_t major = 0;
      std::string_view version = text->substr(at + 14);
      std::from_chars(version.data(), version.data() + version.size(), major);
      if (major < 7) {
        return MakeError(ErrorCode::kInvalidConfig,
                         store->endpoint().Describe() + ": Redis 7.0 or later is needed");
      }
    }
  }
  return store;
}

Result<void> RedisStore::Ping() {
  auto reply = client_.Command({"PING"});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return {};
}

std::string RedisStore::UserTag(std::string_view user_id) const {
  std::string key = prefix_;
  key.append("{u:");
  key.append(user_id);
  key.append("}:");
  return key;
}

std::string RedisStore::SessionKey(std::string_view user_id, std::string_view session_id) const {
  return UserTag(user_id) + "s:" + std::string(session_id);
}

Result<size_t> RedisStore::SessionMemoryUsage(std::string_view session_id) {
  auto user = UserOfSession(session_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user) {
    return MakeError(ErrorCode::kNotFound, "no such session");
  }
  auto session = LoadSession(**user, session_id);
  if (!session || !*session) {
    return MakeError(ErrorCode::kNotFound, "no such session");
  }
  const std::string record = SessionKey(**user, session_id);
  const std::string sid = prefix_ + "sid:" + std::string(session_id);
  std::vector<std::vector<std::string_view>> commands = {{"MEMORY", "USAGE", record},
                                                         {"MEMORY", "USAGE", sid}};
  const std::string sh = prefix_ + "sh:" + (*session)->secret_hash;
  if (!(*session)->secret_hash.empty()) {
    commands.push_back({"MEMORY", "USAGE", sh});
  }
  auto replies = client_.Pipeline(commands);
  if (!replies) {
    return tl::unexpected(replies.error());
  }
  size_t total = 0;
  for (const RedisReplyPtr& reply : *replies) {
    total += static_cast<size_t>(ReplyInteger(reply.get()).value_or(0));
  }
  return total;
}

Result<std::optional<std::string>> RedisStore::UserOfSession(std::string_view session_id) {
  const std::string key = prefix_ + "sid:" + std::string(session_id);
  auto reply = client_.Command({"GET", key});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  auto user = ReplyString(reply->get());
  if (!user) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(*user));
}

Result<std::optional<Session>> RedisStore::LoadSession(std::string_view user_id,
                                                       std::string_view session_id) {
  const std::string key = SessionKey(user_id, session_id);
  auto reply = client_.Command({"HGETALL", key});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  if ((*reply)->type == REDIS_REPLY_ARRAY && (*reply)->elements == 0) {
    return std::optional<Session>();
  }
  auto session = Decode(reply->get());
  if (!session) {
    return tl::unexpected(session.error());
  }
  return std::optional<Session>(std::move(*session));
}

Result<void> RedisStore::AppendFeed(const std::vector<FeedEntry>& entries) {
  if (entries.empty()) {
    return {};
  }
  std::vector<std::string> storage;
  storage.reserve(entries.size() * 5);
  std::vector<std::string_view> args = {channel_};
  for (const FeedEntry& e : entries) {
    storage.emplace_back(1, e.kind);
    args.push_back(storage.back());
    args.push_back(e.session_id);
    args.push_back(e.user_id);
    storage.push_back(Str(e.at));
    args.push_back(storage.back());
    args.push_back(e.jwt ? "1" : "0");
  }
  const std::string seq = prefix_ + "{feed}:seq";
  const std::string log = prefix_ + "{feed}:log";
  const std::string revoked = prefix_ + "{feed}:revoked";
  auto reply = client_.Eval(kFeedScript, {seq, log, revoked}, args);
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return {};
}

Result<void> RedisStore::IndexRevoked(
    const std::vector<std::pair<std::string, std::string>>& user_sessions, int64_t at) {
  if (user_sessions.empty()) {
    return {};
  }
  const std::string live = prefix_ + "live";
  const std::string expiry = prefix_ + "expiry";
  const std::string score = Str(at);
  std::vector<std::string> members;
  members.reserve(user_sessions.size());
  std::vector<std::vector<std::string_view>> commands;
  for (const auto& [user, session] : user_sessions) {
    members.push_back(Member(user, session));
    commands.push_back({"ZREM", live, members.back()});
    commands.push_back({"ZADD", expiry, "LT", score, members.back()});
  }
  auto replies = client_.Pipeline(commands);
  if (!replies) {
    return tl::unexpected(replies.error());
  }
  return {};
}

Result<CreateSessionOutcome> RedisStore::CreateSession(const Session& session, DeviceLimit limit,
                                                       TimePoint now) {
  const std::string ttl =
      TtlFrom(now, std::max(session.absolute_expires_at, session.revoked_at.value_or(now)) +
                       options_.retention);
  const std::string sid_key = prefix_ + "sid:" + session.id;
  const std::string sh_key = prefix_ + "sh:" + session.secret_hash;
  const std::string member = Member(session.user_id, session.id);
  // Indexes first, NX: they make ids and secret hashes unique across users, and one left
  // behind by a failure below points at nothing.
  auto sid_set = client_.Command({"SET", sid_key, session.user_id, "NX", "EX", ttl});
  if (!sid_set) {
    return tl::unexpected(sid_set.error());
  }
  if ((*sid_set)->type == REDIS_REPLY_NIL) {
    return MakeError(ErrorCode::kUnavailable, "redis CreateSession: duplicate session id");
  }
  const auto undo = [&](bool with_hash) {
    std::vector<std::string_view> del = {"DEL", sid_key};
    if (with_hash) {
      del.push_back(sh_key);
    }
    (void)client_.Command(del);
  };
  if (!session.secret_hash.empty()) {
    auto sh_set = client_.Command({"SET", sh_key, member, "NX", "EX", ttl});
    if (!sh_set) {
      undo(false);
      return tl::unexpected(sh_set.error());
    }
    if ((*sh_set)->type == REDIS_REPLY_NIL) {
      undo(false);
      return MakeError(ErrorCode::kUnavailable, "redis CreateSession: duplicate secret hash");
    }
  }

  const std::string tag = UserTag(session.user_id);
  const std::string set_key = tag + "sessions";
  const std::string record_key = tag + "s:" + session.id;
  const std::string counter_key = tag + "n";
  const std::string now_s = Str(ToUnixSeconds(now));
  const std::string max = Str(static_cast<int64_t>(limit.max_per_user));
  const std::string created = Str(ToUnixSeconds(session.created_at));
  const std::string retention = Str(options_.retention.count());
  const std::string session_prefix = tag + "s:";
  const auto fields = Encode(session);
  std::vector<std::string_view> args = {
      now_s,          max,       limit.on_limit == OnLimit::kRefuse ? "1" : "0",
      session_prefix, created,   ttl,
      retention,      session.id};
  for (const auto& [name, value] : fields) {
    args.push_back(name);
    args.push_back(value);
  }
  auto reply = client_.Eval(kCreateScript, {set_key, record_key, counter_key}, args);
  if (!reply) {
    undo(!session.secret_hash.empty());
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
    return Corrupt("create reply");
  }
  const int64_t status = ReplyInteger(r->element[0]).value_or(-2);
  if (status != 1) {
    undo(!session.secret_hash.empty());
    if (status == 0) {
      return MakeError(ErrorCode::kForbidden, "device limit reached");
    }
    return MakeError(ErrorCode::kUnavailable, "redis CreateSession: duplicate session id");
  }
  CreateSessionOutcome outcome;
  std::vector<FeedEntry> feed;
  std::vector<std::pair<std::string, std::string>> revoked;
  for (size_t i = 1; i + 1 < r->elements; i += 2) {
    auto id = ReplyString(r->element[i]);
    auto mode = ReplyString(r->element[i + 1]);
    if (!id || !mode) {
      return Corrupt("create reply");
    }
    outcome.evicted_session_ids.emplace_back(*id);
    feed.push_back(
        FeedEntry{'S', std::string(*id), session.user_id, ToUnixSeconds(now), *mode == "jwt"});
    revoked.emplace_back(session.user_id, std::string(*id));
  }
  const std::string live = prefix_ + "live";
  const std::string expiry = prefix_ + "expiry";
  const std::string live_score =
      Str(ToUnixSeconds(std::min(session.idle_expires_at, session.absolute_expires_at)));
  const std::string expiry_score = Str(
      ToUnixSeconds(session.revoked_at ? std::min(*session.revoked_at, session.absolute_expires_at)
                                       : session.absolute_expires_at));
  std::vector<std::vector<std::string_view>> commands = {{"ZADD", expiry, expiry_score, member}};
  if (!session.revoked_at) {
    commands.push_back({"ZADD", live, live_score, member});
  }
  auto indexed = client_.Pipeline(commands);
  if (!indexed) {
    return tl::unexpected(indexed.error());
  }
  if (auto done = IndexRevoked(revoked, ToUnixSeconds(now)); !done) {
    return tl::unexpected(done.error());
  }
  if (auto appended = AppendFeed(feed); !appended) {
    return tl::unexpected(appended.error());
  }
  return outcome;
}

Result<std::optional<Session>> RedisStore::FindSessionById(std::string_view session_id) {
  auto user = UserOfSession(session_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user) {
    return std::optional<Session>();
  }
  return LoadSession(**user, session_id);
}

Result<std::optional<Session>> RedisStore::FindSessionBySecretHash(std::string_view secret_hash) {
  if (secret_hash.empty()) {
    return std::optional<Session>();
  }
  const std::string key = prefix_ + "sh:" + std::string(secret_hash);
  auto reply = client_.Command({"GET", key});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  auto member = ReplyString(reply->get());
  std::string_view user;
  std::string_view session_id;
  if (!member || !SplitMember(*member, user, session_id)) {
    return std::optional<Session>();
  }
  auto session = LoadSession(user, session_id);
  if (session && *session && (*session)->secret_hash != secret_hash) {
    return std::optional<Session>();
  }
  return session;
}

Result<std::vector<Session>> RedisStore::ListLiveSessions(std::string_view user_id, TimePoint now) {
  const std::string tag = UserTag(user_id);
  const std::string set_key = tag + "sessions";
  const std::string session_prefix = tag + "s:";
  auto reply = client_.Eval(kListScript, {set_key}, {session_prefix});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY) {
    return Corrupt("session list");
  }
  std::vector<Session> live;
  for (size_t i = 0; i < r->elements; ++i) {
    auto session = Decode(r->element[i]);
    if (!session) {
      return tl::unexpected(session.error());
    }
    if (session->IsLiveAt(now)) {
      live.push_back(std::move(*session));
    }
  }
  return live;
}

Result<std::vector<Session>> RedisStore::ListAllLiveSessions(TimePoint now, size_t limit) {
  const std::string live = prefix_ + "live";
  const std::string min = ExclusiveBound(ToUnixSeconds(now));
  auto reply = client_.Command({"ZRANGEBYSCORE", live, min, "+inf"});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  std::vector<Session> sessions;
  const redisReply* r = reply->get();
  constexpr size_t kPage = 256;
  for (size_t start = 0; start < r->elements; start += kPage) {
    std::vector<std::string> keys;
    for (size_t i = start; i < std::min(r->elements, start + kPage); ++i) {
      std::string_view user;
      std::string_view session_id;
      auto member = ReplyString(r->element[i]);
      if (member && SplitMember(*member, user, session_id)) {
        keys.push_back(SessionKey(user, session_id));
      }
    }
    std::vector<std::vector<std::string_view>> commands;
    for (const std::string& key : keys) {
      commands.push_back({"HGETALL", key});
    }
    auto records = client_.Pipeline(commands);
    if (!records) {
      return tl::unexpected(records.error());
    }
    for (const RedisReplyPtr& record : *records) {
      if (record->type == REDIS_REPLY_ARRAY && record->elements == 0) {
        continue;  // expired away
      }
      auto session = Decode(record.get());
      if (!session) {
        return tl::unexpected(session.error());
      }
      if (session->IsLiveAt(now)) {
        sessions.push_back(std::move(*session));
      }
    }
  }
  std::stable_sort(sessions.begin(), sessions.end(),
                   [](const Session& a, const Session& b) { return a.created_at > b.created_at; });
  if (sessions.size() > limit) {
    sessions.resize(limit);
  }
  return sessions;
}

Result<size_t> RedisStore::CountLiveSessions(TimePoint now) {
  const std::string live = prefix_ + "live";
  const std::string min = ExclusiveBound(ToUnixSeconds(now));
  auto reply = client_.Command({"ZCOUNT", live, min, "+inf"});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return static_cast<size_t>(ReplyInteger(reply->get()).value_or(0));
}

Result<void> RedisStore::TouchSession(std::string_view session_id, TimePoint last_seen_at,
                                      TimePoint idle_expires_at) {
  auto user = UserOfSession(session_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user) {
    return {};
  }
  const std::string key = SessionKey(**user, session_id);
  const std::string seen = Str(ToUnixSeconds(last_seen_at));
  const std::string idle = Str(ToUnixSeconds(idle_expires_at));
  auto reply = client_.Eval(kTouchScript, {key}, {seen, idle});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const int64_t score = ReplyInteger(reply->get()).value_or(-1);
  if (score < 0) {
    return {};
  }
  return SlideLive(**user, session_id, score);
}

Result<void> RedisStore::SlideLive(std::string_view user_id, std::string_view session_id,
                                   int64_t score) {
  const std::string live = prefix_ + "live";
  const std::string member = Member(user_id, session_id);
  const std::string score_text = Str(score);
  auto moved = client_.Command({"ZADD", live, "XX", "GT", score_text, member});
  if (!moved) {
    return tl::unexpected(moved.error());
  }
  return {};
}

Result<bool> RedisStore::RotateRefresh(std::string_view session_id,
                                       const RefreshRotation& rotation) {
  auto user = UserOfSession(session_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user) {
    return false;
  }
  const std::string key = SessionKey(**user, session_id);
  const std::string from = Str(rotation.from_generation);
  const std::string now = Str(ToUnixSeconds(rotation.now));
  const std::string idle = Str(ToUnixSeconds(rotation.idle_expires_at));
  auto reply = client_.Eval(kRotateScript, {key}, {from, rotation.new_hash, now, idle});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const int64_t score = ReplyInteger(reply->get()).value_or(0);
  if (score <= 0) {
    return false;
  }
  // The rotation is a use: keep the live index's idle expiry in step (best effort: the index
  // only feeds counts and the session list; the rotation itself has committed).
  (void)SlideLive(**user, session_id, score);
  return true;
}

Result<bool> RedisStore::RevokeSession(std::string_view session_id, std::string_view reason,
                                       TimePoint now) {
  auto user = UserOfSession(session_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user) {
    return false;
  }
  const std::string key = SessionKey(**user, session_id);
  const std::string now_s = Str(ToUnixSeconds(now));
  const std::string retention = Str(options_.retention.count());
  auto reply = client_.Eval(kRevokeScript, {key}, {now_s, reason, retention});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
    return Corrupt("revoke reply");
  }
  if (ReplyInteger(r->element[0]).value_or(0) != 1) {
    return false;
  }
  const bool jwt = r->elements > 1 && ReplyString(r->element[1]) == "jwt";
  if (auto indexed = IndexRevoked({{**user, std::string(session_id)}}, ToUnixSeconds(now));
      !indexed) {
    return tl::unexpected(indexed.error());
  }
  if (auto appended =
          AppendFeed({FeedEntry{'S', std::string(session_id), **user, ToUnixSeconds(now), jwt}});
      !appended) {
    return tl::unexpected(appended.error());
  }
  return true;
}

Result<std::vector<std::string>> RedisStore::RevokeUserSessions(std::string_view user_id,
                                                                std::string_view reason,
                                                                TimePoint now) {
  const std::string tag = UserTag(user_id);
  const std::string set_key = tag + "sessions";
  const std::string session_prefix = tag + "s:";
  const std::string now_s = Str(ToUnixSeconds(now));
  const std::string retention = Str(options_.retention.count());
  auto reply =
      client_.Eval(kRevokeUserScript, {set_key}, {now_s, reason, retention, session_prefix});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY) {
    return Corrupt("revoke reply");
  }
  std::vector<std::string> ids;
  std::vector<FeedEntry> feed = {
      FeedEntry{'U', "", std::string(user_id), ToUnixSeconds(now), false}};
  std::vector<std::pair<std::string, std::string>> revoked;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    auto id = ReplyString(r->element[i]);
    auto mode = ReplyString(r->element[i + 1]);
    if (!id || !mode) {
      return Corrupt("revoke reply");
    }
    ids.emplace_back(*id);
    revoked.emplace_back(std::string(user_id), std::string(*id));
    if (*mode == "jwt") {
      feed.push_back(
          FeedEntry{'J', std::string(*id), std::string(user_id), ToUnixSeconds(now), true});
    }
  }
  if (auto indexed = IndexRevoked(revoked, ToUnixSeconds(now)); !indexed) {
    return tl::unexpected(indexed.error());
  }
  if (auto appended = AppendFeed(feed); !appended) {
    return tl::unexpected(appended.error());
  }
  return ids;
}

Result<std::vector<RevokedSession>> RedisStore::ListRevokedJwtSessions(TimePoint since) {
  const std::string key = prefix_ + "{feed}:revoked";
  const std::string min = Str(ToUnixSeconds(since));
  auto reply = client_.Command({"ZRANGEBYSCORE", key, min, "+inf", "WITHSCORES"});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  std::vector<RevokedSession> revoked;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    auto member = ReplyString(r->element[i]);
    auto score = ReplyInteger(r->element[i + 1]);
    std::string_view session_id;
    std::string_view user;
    if (!member || !score || !SplitMember(*member, session_id, user)) {
      return Corrupt("revoked session entry");
    }
    revoked.push_back(
        RevokedSession{std::string(session_id), std::string(user), FromUnixSeconds(*score)});
  }
  return revoked;
}

Result<void> RedisStore::RecordUserChanged(std::string_view user_id, TimePoint now) {
  return AppendFeed({FeedEntry{'C', "", std::string(user_id), ToUnixSeconds(now), false}});
}

Result<std::vector<Change>> RedisStore::ChangesSince(int64_t after_seq, size_t limit) {
  std::vector<Change> changes;
  if (limit == 0) {
    return changes;
  }
  const std::string key = prefix_ + "{feed}:log";
  const std::string start = Str(after_seq + 1) + "-0";
  const std::string count = Str(static_cast<int64_t>(std::min<size_t>(limit, 100000)));
  auto reply = client_.Command({"XRANGE", key, start, "+", "COUNT", count});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* entry = r->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
      return Corrupt("change feed entry");
    }
    auto id = ReplyString(entry->element[0]);
    const redisReply* fields = entry->element[1];
    Change change;
    if (!id || !ToInt(id->substr(0, id->find('-')), change.seq) ||
        fields->type != REDIS_REPLY_ARRAY) {
      return Corrupt("change feed entry");
    }
    std::string_view kind;
    int64_t at = 0;
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      auto name = ReplyString(fields->element[f]);
      auto value = ReplyString(fields->element[f + 1]);
      if (!name || !value) {
        return Corrupt("change feed entry");
      }
      if (*name == "k") {
        kind = *value;
      } else if (*name == "s") {
        change.session_id = std::string(*value);
      } else if (*name == "u") {
        change.user_id = std::string(*value);
      } else if (*name == "a" && !ToInt(*value, at)) {
        return Corrupt("change feed entry");
      }
    }
    if (kind == "S") {
      change.kind = Change::Kind::kSessionRevoked;
    } else if (kind == "U") {
      change.kind = Change::Kind::kUserSessionsRevoked;
    } else if (kind == "C") {
      change.kind = Change::Kind::kUserChanged;
    } else {
      return Corrupt("change feed entry");
    }
    change.at = FromUnixSeconds(at);
    changes.push_back(std::move(change));
  }
  return changes;
}

Result<int64_t> RedisStore::LatestChangeSeq() {
  const std::string key = prefix_ + "{feed}:seq";
  auto reply = client_.Command({"GET", key});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  if ((*reply)->type == REDIS_REPLY_NIL) {
    return int64_t{0};
  }
  auto seq = ReplyInteger(reply->get());
  if (!seq) {
    return Corrupt("change sequence");
  }
  return *seq;
}

Result<size_t> RedisStore::PurgeSessions(TimePoint before) {
  const std::string expiry = prefix_ + "expiry";
  const std::string live = prefix_ + "live";
  const std::string max = ExclusiveBound(ToUnixSeconds(before));
  size_t deleted = 0;
  for (;;) {
    auto reply = client_.Command({"ZRANGEBYSCORE", expiry, "-inf", max, "LIMIT", "0", "500"});
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    const redisReply* r = reply->get();
    if (r->elements == 0) {
      break;
    }
    std::vector<std::string> members;
    std::vector<std::string> records;
    std::vector<std::string> sets;
    std::vector<std::string> sids;
    std::vector<std::string> ids;
    for (size_t i = 0; i < r->elements; ++i) {
      std::string_view user;
      std::string_view session_id;
      auto member = ReplyString(r->element[i]);
      if (!member || !SplitMember(*member, user, session_id)) {
        return Corrupt("expiry index entry");
      }
      members.emplace_back(*member);
      records.push_back(SessionKey(user, session_id));
      sets.push_back(UserTag(user) + "sessions");
      sids.push_back(prefix_ + "sid:" + std::string(session_id));
      ids.emplace_back(session_id);
    }
    std::vector<std::vector<std::string_view>> reads;
    for (const std::string& record : records) {
      reads.push_back({"HGET", record, "sh"});
    }
    auto hashes = client_.Pipeline(reads);
    if (!hashes) {
      return tl::unexpected(hashes.error());
    }
    std::vector<std::string> sh_keys;
    sh_keys.reserve(records.size());
    std::vector<std::vector<std::string_view>> writes;
    std::vector<size_t> record_deletes;  // where each record's DEL reply is
    for (size_t i = 0; i < records.size(); ++i) {
      auto hash = ReplyString((*hashes)[i].get());
      record_deletes.push_back(writes.size());
      writes.push_back({"DEL", records[i]});
      writes.push_back({"ZREM", sets[i], ids[i]});
      writes.push_back({"DEL", sids[i]});
      if (hash && !hash->empty()) {
        sh_keys.push_back(prefix_ + "sh:" + std::string(*hash));
        writes.push_back({"DEL", sh_keys.back()});
      }
      writes.push_back({"ZREM", expiry, members[i]});
      writes.push_back({"ZREM", live, members[i]});
    }
    auto done = client_.Pipeline(writes);
    if (!done) {
      return tl::unexpected(done.error());
    }
    for (size_t index : record_deletes) {
      deleted += static_cast<size_t>(ReplyInteger((*done)[index].get()).value_or(0));
    }
  }
  // The change feed and the revoked-jwt list: entries older than `before`.
  const std::string revoked = prefix_ + "{feed}:revoked";
  const std::string log = prefix_ + "{feed}:log";
  auto trimmed = client_.Command({"ZREMRANGEBYSCORE", revoked, "-inf", max});
  if (!trimmed) {
    return tl::unexpected(trimmed.error());
  }
  const int64_t cutoff = ToUnixSeconds(before);
  for (;;) {
    auto reply = client_.Command({"XRANGE", log, "-", "+", "COUNT", "500"});
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    const redisReply* r = reply->get();
    std::vector<std::string> old;
    bool reached_newer = false;
    for (size_t i = 0; i < r->elements && !reached_newer; ++i) {
      const redisReply* entry = r->element[i];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
        return Corrupt("change feed entry");
      }
      const redisReply* fields = entry->element[1];
      int64_t at = 0;
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (ReplyString(fields->element[f]) == "a") {
          auto value = ReplyString(fields->element[f + 1]);
          if (!value || !ToInt(*value, at)) {
            return Corrupt("change feed entry");
          }
        }
      }
      // Entries are appended in time order: stop at the first one to keep.
      if (at >= cutoff) {
        reached_newer = true;
      } else {
        old.emplace_back(ReplyString(entry->element[0]).value_or(""));
      }
    }
    if (!old.empty()) {
      std::vector<std::string_view> del = {"XDEL", log};
      del.insert(del.end(), old.begin(), old.end());
      auto removed = client_.Command(del);
      if (!removed) {
        return tl::unexpected(removed.error());
      }
    }
    if (reached_newer || r->elements < 500) {
      break;
    }
  }
  return deleted;
}

Result<RateCounter> RedisStore::GetCounter(std::string_view key, TimePoint now) {
  const std::string k = prefix_ + "rate:" + std::string(key);
  auto reply = client_.Command({"HMGET", k, "c", "ws", "we", "lh"});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[0]->type == REDIS_REPLY_NIL) {
    return RateCounter{};
  }
  auto count = ReplyInteger(r->element[0]);
  auto start = ReplyInteger(r->element[1]);
  auto end = ReplyInteger(r->element[2]);
  auto last = ReplyInteger(r->element[3]);
  if (!count || !start || !end || !last) {
    return Corrupt("rate counter");
  }
  if (*end <= ToUnixSeconds(now)) {
    return RateCounter{};
  }
  return RateCounter{*count, FromUnixSeconds(*start), FromUnixSeconds(*end),
                     FromUnixSeconds(*last)};
}

Result<RateCounter> RedisStore::Hit(std::string_view key, Seconds window, TimePoint now) {
  const std::string k = prefix_ + "rate:" + std::string(key);
  const std::string now_s = Str(ToUnixSeconds(now));
  const std::string end = Str(ToUnixSeconds(now + window));
  const std::string ttl = Str(std::max<int64_t>(1, window.count()));
  auto reply = client_.Eval(kHitScript, {k}, {now_s, end, ttl});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
    return Corrupt("rate counter");
  }
  auto count = ReplyInteger(r->element[0]);
  auto start = ReplyInteger(r->element[1]);
  auto window_end = ReplyInteger(r->element[2]);
  auto last = ReplyInteger(r->element[3]);
  if (!count || !start || !window_end || !last) {
    return Corrupt("rate counter");
  }
  return RateCounter{*count, FromUnixSeconds(*start), FromUnixSeconds(*window_end),
                     FromUnixSeconds(*last)};
}

Result<SlotAnswer> RedisStore::TakeSlot(std::string_view key, const SlotRule& rule, TimePoint now) {
  const std::string k = prefix_ + "rate:" + std::string(key);
  auto reply = client_.Eval(kTakeSlotScript, {k},
                            {Str(ToUnixSeconds(now)), Str(ToUnixSeconds(now + rule.window)),
                             Str(std::max<int64_t>(1, rule.window.count())), Str(rule.limit),
                             Str(rule.backoff.count()), Str(rule.free_hits)});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
    return Corrupt("rate counter");
  }
  auto granted = ReplyInteger(r->element[0]);
  auto count = ReplyInteger(r->element[1]);
  auto start = ReplyInteger(r->element[2]);
  auto window_end = ReplyInteger(r->element[3]);
  auto last = ReplyInteger(r->element[4]);
  if (!granted || !count || !start || !window_end || !last) {
    return Corrupt("rate counter");
  }
  return SlotAnswer{*granted == 1,
                    RateCounter{*count, FromUnixSeconds(*start), FromUnixSeconds(*window_end),
                                FromUnixSeconds(*last)}};
}

Result<void> RedisStore::MarkSlot(std::string_view key, TimePoint now) {
  const std::string k = prefix_ + "rate:" + std::string(key);
  auto reply = client_.Eval(kMarkSlotScript, {k}, {Str(ToUnixSeconds(now))});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return {};
}

Result<void> RedisStore::ReturnSlot(std::string_view key) {
  const std::string k = prefix_ + "rate:" + std::string(key);
  auto reply = client_.Eval(kReturnSlotScript, {k}, {});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return {};
}

Result<void> RedisStore::ClearCounter(std::string_view key) {
  const std::string k = prefix_ + "rate:" + std::string(key);
  auto reply = client_.Command({"DEL", k});
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return {};
}

Result<void> RedisStore::PurgeCounters(TimePoint now) {
  // Counters expire by themselves (EXPIRE with their window); this sweep only matters when the
  // caller's clock runs ahead of Redis's. SCAN walks one node of a cluster: fine for a sweep.
  const std::string pattern = prefix_ + "rate:*";
  const int64_t now_s = ToUnixSeconds(now);
  std::string cursor = "0";
  do {
    auto reply = client_.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    const redisReply* r = reply->get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      return Corrupt("scan reply");
    }
    cursor = std::string(ReplyString(r->element[0]).value_or("0"));
    const redisReply* keys = r->element[1];
    std::vector<std::vector<std::string_view>> reads;
    for (size_t i = 0; i < keys->elements; ++i) {
      reads.push_back({"HGET", ReplyString(keys->element[i]).value_or(""), "we"});
    }
    if (reads.empty()) {
      continue;
    }
    auto ends = client_.Pipeline(reads);
    if (!ends) {
      return tl::unexpected(ends.error());
    }
    std::vector<std::string_view> del = {"DEL"};
    for (size_t i = 0; i < keys->elements; ++i) {
      auto end = ReplyInteger((*ends)[i].get());
      if (end && *end < now_s) {
        del.push_back(ReplyString(keys->element[i]).value_or(""));
      }
    }
    if (del.size() > 1) {
      auto removed = client_.Command(del);
      if (!removed) {
        return tl::unexpected(removed.error());
      }
    }
  } while (cursor != "0");
  return {};
}

}  // namespace sesame::store
