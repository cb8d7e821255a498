#include "config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <sstream>

#include <toml++/toml.h>

#include "common/files.h"
#include "common/ip_address.h"

namespace sesame::config {
namespace {

using Setter = std::function<Result<void>(Config&, std::string_view)>;
using Getter = std::function<std::string(const Config&)>;

struct Key {
  std::string section;
  std::string name;
  Setter set;
  Getter get;  // as TOML value text
};

tl::unexpected<Error> Bad(std::string what) {
  return MakeError(ErrorCode::kInvalidConfig, std::move(what));
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

Result<int64_t> ParseCount(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return Bad("expected a whole number of 0 or more, got \"" + std::string(text) + "\"");
  }
  return value;
}

std::string FormatDuration(Seconds s) {
  const int64_t n = s.count();
  if (n != 0 && n % 86400 == 0) {
    return std::to_string(n / 86400) + "d";
  }
  if (n != 0 && n % 3600 == 0) {
    return std::to_string(n / 3600) + "h";
  }
  if (n != 0 && n % 60 == 0) {
    return std::to_string(n / 60) + "m";
  }
  return std::to_string(n) + "s";
}

Result<int64_t> ParseSize(std::string_view text) {
  int64_t multiplier = 1;
  for (const auto& [suffix, factor] :
       {std::pair<std::string_view, int64_t>{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}) {
    if (text.ends_with(suffix)) {
      multiplier = factor;
      text.remove_suffix(suffix.size());
      break;
    }
  }
  auto count = ParseCount(text);
  if (!count) {
    return Bad("expected a size like 19MiB, 64KiB or a number of bytes");
  }
  return *count * multiplier;
}

// "10 per 15m"
Result<Rate> ParseRate(std::string_view text) {
  const size_t per = text.find(" per ");
  if (per == std::string_view::npos) {
    return Bad("expected \"<count> per <duration>\", like \"10 per 15m\"");
  }
  auto count = ParseCount(text.substr(0, per));
  auto window = ParseDuration(text.substr(per + 5));
  if (!count || !window || *count == 0 || window->count() == 0) {
    return Bad("expected \"<count> per <duration>\" with both above zero, like \"10 per 15m\"");
  }
  return Rate{*count, *window};
}

Result<bool> ParseBool(std::string_view text) {
  if (text == "true") {
    return true;
  }
  if (text == "false") {
    return false;
  }
  return Bad("expected true or false");
}

// Helpers that bind a member of a section to a parser.
template <typename Section>
Setter String(Section Config::*section, std::string Section::*field,
              const std::vector<std::string>& allowed = {}) {
  return [section, field, allowed](Config& c, std::string_view v) -> Result<void> {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) {
        list += (list.empty() ? "" : ", ") + a;
      }
      return Bad("must be one of " + list + ", got \"" + std::string(v) + "\"");
    }
    (c.*section).*field = std::string(v);
    return {};
  };
}
// A list of strings: a TOML array, or a comma-separated environment value.
template <typename Section>
Key ListKey(const char* section_name, const char* name, Section Config::*section,
            std::vector<std::string> Section::*member) {
  return Key{section_name, name,
             [section, member](Config& c, std::string_view v) -> Result<void> {
               auto& list = c.*section.*member;
               list.clear();
               std::string item;
               std::istringstream in{std::string(v)};
               while (std::getline(in, item, ',')) {
                 if (!item.empty()) {
                   list.push_back(item);
                 }
               }
               return {};
             },
             [section, member](const Config& c) {
               const auto& list = c.*section.*member;
               std::string out = "[";
               for (size_t i = 0; i < list.size(); ++i) {
                 out += (i ? ", " : "") + Quote(list[i]);
               }
               return out + "]";
             }};
}

template <typename Section>
Getter StringOut(Section Config::*section, std::string Section::*field) {
  return [=](const Config& c) { return Quote((c.*section).*field); };
}
// Binds a member of a section to a parser returning Result<T>.
template <typename Section, typename T, typename Parse>
Setter Parsed(Section Config::*section, T Section::*field, Parse parse) {
  return [section, field, parse](Config& c, std::string_view v) -> Result<void> {
    auto value = parse(v);
    if (!value) {
      return tl::unexpected(value.error());
    }
    (c.*section).*field = *value;
    return {};
  };
}
template <typename Section>
Getter DurationOut(Section Config::*section, Seconds Section::*field) {
  return [=](const Config& c) { return Quote(FormatDuration((c.*section).*field)); };
}

std::string RedactUrl(const std::string& url) {
  // scheme://user:password@host/... → scheme://user:***@host/...
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
    return url;
  }
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) {
    return url;
  }
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// A HOST:PORT key of [server] (empty allowed when optional).
Setter HostPort(std::string Config::Server::*field, bool optional) {
  return [field, optional](Config& c, std::string_view v) -> Result<void> {
    if (optional && v.empty()) {
      c.server.*field = std::string();
      return {};
    }
    const size_t colon = v.rfind(':');
    int port = 0;
    if (colon == std::string_view::npos || colon == 0 ||
        std::from_chars(v.data() + colon + 1, v.data() + v.size(), port).ec != std::errc() ||
        port < 0 || port > 65535) {
      return Bad("expected HOST:PORT, like 127.0.0.1:8080, got \"" + std::string(v) + "\"");
    }
    c.server.*field = std::string(v);
    return {};
  };
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = [] {
    using C = Config;
    std::vector<Key> k;
    k.push_back({"server", "listen", HostPort(&C::Server::listen, /*optional=*/false),
                 StringOut(&C::server, &C::Server::listen)});
    k.push_back({"server", "metrics_listen", HostPort(&C::Server::metrics_listen, true),
                 StringOut(&C::server, &C::Server::metrics_listen)});
    k.push_back({"server", "metrics_token", String(&C::server, &C::Server::metrics_token),
                 StringOut(&C::server, &C::Server::metrics_token)});
    k.push_back({"server", "data_dir", String(&C::server, &C::Server::data_dir),
                 StringOut(&C::server, &C::Server::data_dir)});
    k.push_back({"server", "public_url", String(&C::server, &C::Server::public_url),
                 StringOut(&C::server, &C::Server::public_url)});
    k.push_back(ListKey("server", "allowed_origins", &C::server, &C::Server::allowed_origins));
    k.push_back(ListKey("server", "trusted_proxies", &C::server, &C::Server::trusted_proxies));
    k.push_back({"server", "tls_cert", String(&C::server, &C::Server::tls_cert),
                 StringOut(&C::server, &C::Server::tls_cert)});
    k.push_back({"server", "tls_key", String(&C::server, &C::Server::tls_key),
                 StringOut(&C::server, &C::Server::tls_key)});
    k.push_back({"server", "io_threads", Parsed(&C::server, &C::Server::io_threads, ParseCount),
                 [](const Config& c) { return std::to_string(c.server.io_threads); }});
    k.push_back({"server", "workers", Parsed(&C::server, &C::Server::workers, ParseCount),
                 [](const Config& c) { return std::to_string(c.server.workers); }});
    k.push_back({"server", "max_connections",
                 Parsed(&C::server, &C::Server::max_connections,
                        [](std::string_view v) -> Result<int64_t> {
                          auto n = ParseCount(v);
                          if (!n || *n < 1) {
                            return Bad("expected a whole number of 1 or more");
                          }
                          return n;
                        }),
                 [](const Config& c) { return std::to_string(c.server.max_connections); }});
    k.push_back(
        {"server", "access_log", Parsed(&C::server, &C::Server::access_log, ParseBool),
         [](const Config& c) { return std::string(c.server.access_log ? "true" : "false"); }});
    k.push_back({"auth", "default_mode",
                 String(&C::auth, &C::Auth::default_mode, {"session", "jwt"}),
                 StringOut(&C::auth, &C::Auth::default_mode)});
    k.push_back({"auth", "default_transport",
                 String(&C::auth, &C::Auth::default_transport, {"cookie", "header"}),
                 StringOut(&C::auth, &C::Auth::default_transport)});
    k.push_back({"auth", "registration",
                 String(&C::auth, &C::Auth::registration, {"closed", "open"}),
                 StringOut(&C::auth, &C::Auth::registration)});
    k.push_back({"auth", "forward_auth_csrf",
                 String(&C::auth, &C::Auth::forward_auth_csrf, {"origin", "token", "off"}),
                 StringOut(&C::auth, &C::Auth::forward_auth_csrf)});
    k.push_back({"session", "idle_timeout",
                 Parsed(&C::session, &C::Session::idle_timeout, ParseDuration),
                 DurationOut(&C::session, &C::Session::idle_timeout)});
    k.push_back({"session", "absolute_timeout",
                 Parsed(&C::session, &C::Session::absolute_timeout, ParseDuration),
                 DurationOut(&C::session, &C::Session::absolute_timeout)});
    k.push_back({"session", "remember_timeout",
                 Parsed(&C::session, &C::Session::remember_timeout, ParseDuration),
                 DurationOut(&C::session, &C::Session::remember_timeout)});
    k.push_back({"session", "max_per_user",
                 Parsed(&C::session, &C::Session::max_per_user, ParseCount),
                 [](const Config& c) { return std::to_string(c.session.max_per_user); }});
    k.push_back({"session", "on_limit",
                 String(&C::session, &C::Session::on_limit, {"evict_oldest", "refuse"}),
                 StringOut(&C::session, &C::Session::on_limit)});
    k.push_back({"jwt", "algorithm",
                 String(&C::jwt, &C::Jwt::algorithm,
                        {"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256",
                         "PS384", "PS512", "HS256", "HS384", "HS512"}),
                 StringOut(&C::jwt, &C::Jwt::algorithm)});
    k.push_back(
        {"jwt", "issuer", String(&C::jwt, &C::Jwt::issuer), StringOut(&C::jwt, &C::Jwt::issuer)});
    k.push_back({"jwt", "audience", String(&C::jwt, &C::Jwt::audience),
                 StringOut(&C::jwt, &C::Jwt::audience)});
    k.push_back({"jwt", "access_ttl", Parsed(&C::jwt, &C::Jwt::access_ttl, ParseDuration),
                 DurationOut(&C::jwt, &C::Jwt::access_ttl)});
    k.push_back({"jwt", "refresh", Parsed(&C::jwt, &C::Jwt::refresh, ParseBool),
                 [](const Config& c) { return std::string(c.jwt.refresh ? "true" : "false"); }});
    k.push_back({"jwt", "refresh_ttl", Parsed(&C::jwt, &C::Jwt::refresh_ttl, ParseDuration),
                 DurationOut(&C::jwt, &C::Jwt::refresh_ttl)});
    k.push_back({"jwt", "refresh_grace", Parsed(&C::jwt, &C::Jwt::refresh_grace, ParseDuration),
                 DurationOut(&C::jwt, &C::Jwt::refresh_grace)});
    k.push_back({"jwt", "keys_file", String(&C::jwt, &C::Jwt::keys_file),
                 StringOut(&C::jwt, &C::Jwt::keys_file)});
    k.push_back({"jwt", "leeway", Parsed(&C::jwt, &C::Jwt::leeway, ParseDuration),
                 DurationOut(&C::jwt, &C::Jwt::leeway)});
    k.push_back({"cookie", "same_site",
                 String(&C::cookie, &C::Cookie::same_site, {"lax", "strict"}),
                 StringOut(&C::cookie, &C::Cookie::same_site)});
    k.push_back({"cookie", "secure",
                 String(&C::cookie, &C::Cookie::secure, {"auto", "true", "false"}),
                 StringOut(&C::cookie, &C::Cookie::secure)});
    using RateMember = Rate Config::Limits::*;
    const std::pair<const char*, RateMember> rates[] = {
        {"login_failures_per_user", &Config::Limits::login_failures_per_user},
        {"login_attempts_per_ip", &Config::Limits::login_attempts_per_ip},
        {"login_failures_per_account", &Config::Limits::login_failures_per_account}};
    for (const auto& entry : rates) {
      const RateMember member = entry.second;
      k.push_back(
          {"limits", entry.first, Parsed(&C::limits, member, ParseRate), [member](const Config& c) {
             const Rate& r = c.limits.*member;
             return Quote(std::to_string(r.count) + " per " + FormatDuration(r.window));
           }});
    }
    k.push_back({"limits", "login_backoff",
                 Parsed(&C::limits, &C::Limits::login_backoff, ParseDuration),
                 DurationOut(&C::limits, &C::Limits::login_backoff)});
    k.push_back(ListKey("oauth", "clients", &C::oauth, &C::OAuth::clients));
    k.push_back({"audit", "retention", Parsed(&C::audit, &C::Audit::retention, ParseDuration),
                 DurationOut(&C::audit, &C::Audit::retention)});
    k.push_back({"store", "users",
                 [](Config& c, std::string_view v) -> Result<void> {
                   if (v != "sqlite" && !v.starts_with("postgresql://") &&
                       !v.starts_with("postgres://")) {
                     return Bad("must be sqlite or a postgresql:// URL");
                   }
                   c.store.users = std::string(v);
                   return {};
                 },
                 [](const Config& c) { return Quote(RedactUrl(c.store.users)); }});
    k.push_back({"store", "sessions",
                 [](Config& c, std::string_view v) -> Result<void> {
                   if (v != "sqlite" && !v.starts_with("redis://") && !v.starts_with("rediss://")) {
                     return Bad("must be sqlite or a redis:// URL");
                   }
                   c.store.sessions = std::string(v);
                   return {};
                 },
                 [](const Config& c) { return Quote(RedactUrl(c.store.sessions)); }});
    k.push_back({"password", "argon2_iterations",
                 Parsed(&C::password, &C::Password::argon2_iterations,
                        [](std::string_view v) -> Result<int64_t> {
                          auto n = ParseCount(v);
                          if (!n || *n < 1) {
                            return Bad("expected a whole number of 1 or more");
                          }
                          return n;
                        }),
                 [](const Config& c) { return std::to_string(c.password.argon2_iterations); }});
    k.push_back({"password", "argon2_memory",
                 Parsed(&C::password, &C::Password::argon2_memory_bytes,
                        [](std::string_view v) -> Result<int64_t> {
                          auto n = ParseSize(v);
                          if (!n || *n < int64_t{8} * 1024) {
                            return Bad("expected a size of at least 8KiB, like 19MiB");
                          }
                          return n;
                        }),
                 [](const Config& c) {
                   const int64_t b = c.password.argon2_memory_bytes;
                   return Quote(b % (1 << 20) == 0   ? std::to_string(b >> 20) + "MiB"
                                : b % (1 << 10) == 0 ? std::to_string(b >> 10) + "KiB"
                                                     : std::to_string(b));
                 }});
    return k;
  }();
  return keys;
}

const Key* FindKey(std::string_view section, std::string_view name) {
  for (const Key& key : Keys()) {
    if (key.section == section && key.name == name) {
      return &key;
    }
  }
  return nullptr;
}

Result<void> Apply(Config& config, const Key& key, std::string_view value) {
  if (auto set = key.set(config, value); !set) {
    return Bad(key.section + "." + key.name + ": " + set.error().detail);
  }
  return {};
}

// A TOML value as the text the setters parse (arrays of strings become comma lists).
std::optional<std::string> TomlText(const toml::node& node) {
  if (auto s = node.as_string()) {
    return s->get();
  }
  if (auto i = node.as_integer()) {
    return std::to_string(i->get());
  }
  if (auto b = node.as_boolean()) {
    return std::string(b->get() ? "true" : "false");
  }
  if (auto a = node.as_array()) {
    std::string out;
    for (const toml::node& item : *a) {
      auto s = item.as_string();
      if (s == nullptr || s->get().find(',') != std::string::npos) {
        return std::nullopt;
      }
      out += (out.empty() ? "" : ",") + s->get();
    }
    return out;
  }
  return std::nullopt;
}

Result<void> ApplyFile(Config& config, const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    return tl::unexpected(text.error());
  }
  toml::table table;
  try {
    table = toml::parse(*text, path);
  } catch (const toml::parse_error& err) {  // toml++ reports syntax errors by exception
    return Bad(path + ":" + std::to_string(err.source().begin.line) + ": " +
               std::string(err.description()));
  }
  for (const auto& [section_name, section_node] : table) {
    const auto* section = section_node.as_table();
    if (section == nullptr) {
      return Bad(std::string(section_name.str()) + ": expected a [section] table");
    }
    for (const auto& [key_name, value] : *section) {
      const Key* key = FindKey(section_name.str(), key_name.str());
      const std::string full = std::string(section_name.str()) + "." + std::string(key_name.str());
      if (key == nullptr) {
        return Bad(full + ": unknown key");
      }
      auto value_text = TomlText(value);
      if (!value_text) {
        return Bad(full + ": unsupported value type");
      }
      if (auto applied = Apply(config, *key, *value_text); !applied) {
        return applied;
      }
    }
  }
  return {};
}

Result<void> Validate(const Config& c) {
  if (c.session.idle_timeout.count() <= 0) {
    return Bad("session.idle_timeout: must be above zero");
  }
  if (c.session.absolute_timeout < c.session.idle_timeout) {
    return Bad("session.absolute_timeout: must not be shorter than session.idle_timeout");
  }
  if (c.jwt.access_ttl.count() <= 0) {
    return Bad("jwt.access_ttl: must be above zero");
  }
  if (c.jwt.refresh && c.jwt.refresh_ttl.count() <= 0) {
    return Bad("jwt.refresh_ttl: must be above zero");
  }
  if (c.jwt.leeway > Seconds(300)) {
    return Bad("jwt.leeway: at most 5m (it lengthens every token's life)");
  }
  if (c.server.tls_cert.empty() != c.server.tls_key.empty()) {
    return Bad("server.tls_key: tls_cert and tls_key must be set together");
  }
  std::vector<std::string> client_names;
  for (const std::string& entry : c.oauth.clients) {
    auto client = ParseApiClient(entry);
    if (!client) {
      return Bad("oauth.clients: " + client.error().detail);
    }
    if (std::find(client_names.begin(), client_names.end(), client->name) != client_names.end()) {
      return Bad("oauth.clients: \"" + client->name + "\" is listed twice");
    }
    client_names.push_back(client->name);
  }
  for (const std::string& origin : c.server.allowed_origins) {
    if (!origin.starts_with("http://") && !origin.starts_with("https://")) {
      return Bad("server.allowed_origins: \"" + origin + "\" is not an http(s) origin");
    }
  }
  if (c.audit.retention.count() <= 0) {
    return Bad("audit.retention: must be above zero");
  }
  for (const std::string& proxy : c.server.trusted_proxies) {
    if (!IpNetwork::Parse(proxy)) {
      return Bad("server.trusted_proxies: \"" + proxy + "\" is not an IP address or CIDR");
    }
  }
  return {};
}

}  // namespace

Result<ApiClient> ParseApiClient(std::string_view entry) {
  const size_t colon = entry.find(':');
  const std::string_view name = entry.substr(0, colon);
  const std::string_view hash =
      colon == std::string_view::npos ? std::string_view() : entry.substr(colon + 1);
  auto is_name_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  };
  auto is_b64url_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  };
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), is_name_char) ||
      hash.size() != 43 || !std::all_of(hash.begin(), hash.end(), is_b64url_char)) {
    return Bad("expected \"NAME:HASH\" (from `sesame keys api-key NAME`), got \"" +
               std::string(entry.substr(0, 80)) + "\"");
  }
  return ApiClient{std::string(name), std::string(hash)};
}

Result<Seconds> ParseDuration(std::string_view text) {
  if (text.empty()) {
    return Bad("expected a duration like 30s, 15m, 12h or 14d");
  }
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      unit = 0;
  }
  std::string_view number = unit == 0 ? text : text.substr(0, text.size() - 1);
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || n < 0 ||
      n > int64_t{100} * 365 * 86400) {
    return Bad("expected a duration like 30s, 15m, 12h or 14d, got \"" + std::string(text) + "\"");
  }
  return Seconds(n * (unit == 0 ? 1 : unit));
}

Result<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  std::string path = sources.file;
  bool read_file = sources.file_is_explicit;
  if (!read_file) {
    path = path.empty() ? "./sesame.toml" : path;
    struct stat st;
    read_file = ::stat(path.c_str(), &st) == 0;
  }
  if (read_file) {
    if (auto applied = ApplyFile(config, path); !applied) {
      return tl::unexpected(applied.error());
    }
  }
  // SESAME_<SECTION>_<KEY>: section names hold no underscore, so the first one splits.
  for (const auto& [variable, value] : sources.environment) {
    if (!variable.starts_with("SESAME_")) {
      continue;
    }
    std::string rest = variable.substr(7);
    std::transform(rest.begin(), rest.end(), rest.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const size_t split = rest.find('_');
    const Key* key = split == std::string::npos
                         ? nullptr
                         : FindKey(rest.substr(0, split), rest.substr(split + 1));
    if (key == nullptr) {
      return Bad(variable + ": not a sesame setting (SESAME_<SECTION>_<KEY>)");
    }
    if (auto applied = Apply(config, *key, value); !applied) {
      return Bad(variable + " (" + applied.error().detail + ")");
    }
  }
  for (const auto& [name, value] : sources.overrides) {
    const size_t dot = name.find('.');
    const Key* key =
        dot == std::string::npos ? nullptr : FindKey(name.substr(0, dot), name.substr(dot + 1));
    if (key == nullptr) {
      return Bad(name + ": unknown key");
    }
    if (auto applied = Apply(config, *key, value); !applied) {
      return tl::unexpected(applied.error());
    }
  }
  if (auto valid = Validate(config); !valid) {
    return tl::unexpected(valid.error());
  }
  return config;
}

std::string RenderConfig(const Config& config) {
  std::string out;
  std::string section;
  for (const Key& key : Keys()) {
    if (key.section != section) {
      section = key.section;
      out += (out.empty() ? "[" : "\n[") + section + "]\n";
    }
    out += key.name + " = " + key.get(config) + "\n";
  }
  return out;
}

}  // namespace sesame::config
