// The admin pages of API.md "Pages" (role admin): /admin (find and create users, recent
// events) and /admin/users/{id} (roles, password, disable/enable, sessions, force logout),
// with the forms behind their buttons. The same services as /v1/admin/... do the work, so
// audit events, revocation and argon2id hashing behave exactly as through the API.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/secret_bytes.h"
#include "http/body.h"
#include "http/pages/page.h"
#include "http/pages/page_auth.h"
#include "http/routes/routes.h"

namespace sesame::http {
namespace {

constexpr size_t kUsersShown = 50;
constexpr size_t kEventsShown = 30;

// "admin, support ops" → {"admin", "support", "ops"}; the account service checks each name.
std::vector<std::string> SplitRoles(std::string_view text) {
  std::vector<std::string> roles;
  std::string current;
  for (const char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!current.empty()) {
        roles.push_back(std::move(current));
        current.clear();
      }
    } else {
      current += c;
    }
  }
  if (!current.empty()) {
    roles.push_back(std::move(current));
  }
  return roles;
}

std::string JoinRoles(const std::vector<std::string>& roles, std::string_view separator) {
  std::string out;
  for (const std::string& role : roles) {
    if (!out.empty()) {
      out += separator;
    }
    out += role;
  }
  return out;
}

// Recent audit events into `data`, with usernames for the ids they name (looked up once each).
Result<void> AddEvents(const RouteContext& context, TemplateData& data, std::string_view user_id) {
  auto events = context.audit_log.Recent(user_id, kEventsShown);
  if (!events) {
    return tl::unexpected(events.error());
  }
  std::map<std::string, std::optional<std::string>, std::less<>> names;
  auto name_of = [&](const std::string& id) -> Result<std::optional<std::string>> {
    if (auto it = names.find(id); it != names.end()) {
      return it->second;
    }
    auto user = context.accounts.FindById(id);
    if (!user) {
      return tl::unexpected(user.error());
    }
    return names[id] = *user ? std::optional<std::string>((*user)->username) : std::nullopt;
  };
  data.List("events");
  for (const store::AuditEvent& e : *events) {
    TemplateData& item = data.AddItem("events");
    item.Text("at_iso", IsoTime(e.at));
    item.Text("at_text", TextTime(e.at));
    item.Text("type", e.type);
    item.Text("ip", e.ip);
    item.Text("detail", e.detail);
    item.Text("user_id", e.user_id);
    item.Text("actor_id", e.actor_id);
    // An id that names a user links to them; others ("cli") are shown as they are.
    for (const auto& [field, prefix] :
         {std::pair{&e.user_id, "user"}, std::pair{&e.actor_id, "actor"}}) {
      if (field->empty()) {
        continue;
      }
      auto name = name_of(*field);
      if (!name) {
        return tl::unexpected(name.error());
      }
      item.Flag(std::string(prefix) + "_known", name->has_value());
      item.Text(std::string(prefix) + "_label", name->value_or(""));
    }
  }
  return {};
}

// The user list page; `alert` set when a form on it failed (then status 400).
Response AdminPage(const RouteContext& context, const PageViewer& viewer, std::string_view query,
                   std::string alert) {
  auto users = context.accounts.List(query, kUsersShown);
  if (!users) {
    return PageError(users.error(), &viewer);
  }
  auto total = context.accounts.Count();
  if (!total) {
    return PageError(total.error(), &viewer);
  }
  TemplateData data = PageData("Administration", &viewer, PageNav::kAdmin);
  data.Text("query", std::string(query));
  data.Text("user_total", std::to_string(*total));
  std::string caption = std::to_string(users->size()) +
                        (query.empty() ? " of " + std::to_string(*total) + " users, by username"
                                       : " matching \u201c" + std::string(query) + "\u201d");
  if (users->size() == kUsersShown) {
    caption += "; search to narrow the list";
  }
  data.Text("users_caption", caption);
  data.List("users");
  for (const store::User& u : *users) {
    TemplateData& item = data.AddItem("users");
    item.Text("id", u.id);
    item.Text("username", u.username);
    item.Text("roles_text", u.roles.empty() ? "—" : JoinRoles(u.roles, ", "));
    item.Flag("disabled", u.is_disabled);
    item.Text("created_iso", IsoTime(u.created_at));
    item.Text("created_text", TextTime(u.created_at));
  }
  if (auto events = AddEvents(context, data, {}); !events) {
    return PageError(events.error(), &viewer);
  }
  const int status = alert.empty() ? 200 : 400;
  data.Text("alert", std::move(alert));
  return RenderPage(status, "admin.html", data);
}

std::string DoneNotice(std::string_view done) {
  if (done == "created") {
    return "User created.";
  }
  if (done == "roles") {
    return "Roles saved. Sessions pick them up at once; access JWTs at their next refresh.";
  }
  if (done == "password") {
    return "Password set. Existing sessions stay signed in: sign them out below if the account "
           "may be compromised.";
  }
  if (done == "disable") {
    return "Account disabled and signed out everywhere.";
  }
  if (done == "enable") {
    return "Account enabled.";
  }
  if (done == "logout-all") {
    return "Signed out on every device.";
  }
  if (done == "session") {
    return "Session signed out.";
  }
  return {};
}

Response UserPage(const RouteContext& context, const PageViewer& viewer,
                  std::string_view current_session_id, const std::string& user_id,
                  std::string notice, std::string alert) {
  auto user = context.accounts.FindById(user_id);
  if (!user) {
    return PageError(user.error(), &viewer);
  }
  if (!*user) {
    return PageError(Error{ErrorCode::kNotFound, {}}, &viewer);
  }
  const store::User& u = **user;
  auto sessions = context.sessions.ListLive(user_id);
  if (!sessions) {
    return PageError(sessions.error(), &viewer);
  }
  TemplateData data = PageData(u.username, &viewer, PageNav::kAdmin);
  data.Text("subject_id", u.id);
  data.Text("subject_name", u.username);
  data.Text("subject_roles", JoinRoles(u.roles, ", "));
  data.Flag("subject_disabled", u.is_disabled);
  data.Text("session_count", std::to_string(sessions->size()));
  data.Flag("has_sessions", !sessions->empty());
  for (const store::Session& s : *sessions) {
    AddSessionItem(data, s, current_session_id, "/admin/sessions/" + s.id + "/revoke");
  }
  if (auto events = AddEvents(context, data, user_id); !events) {
    return PageError(events.error(), &viewer);
  }
  data.Text("notice", std::move(notice));
  const int status = alert.empty() ? 200 : 400;
  data.Text("alert", std::move(alert));
  return RenderPage(status, "admin_user.html", data);
}

constexpr FieldSpec kCreateFields[] = {{"username", FieldType::kString, true},
                                       {"password", FieldType::kString, true},
                                       {"roles", FieldType::kString}};
constexpr FieldSpec kChangeFields[] = {{"action", FieldType::kString, true},
                                       {"roles", FieldType::kString},
                                       {"password", FieldType::kString}};

Reply CreateUser(const RouteContext& context, Request& request, const Caller& caller) {
  const PageViewer viewer = ViewerOf(context, caller);
  const auth::Actor actor{caller.session().user_id, std::string(request.remote_ip)};
  auto fields = ParseBody(request, kCreateFields, /*allow_form=*/true);
  if (!fields) {
    return Deferred{&context.store_pool, [&context, viewer, error = fields.error().detail] {
                      return AdminPage(context, viewer, {}, error);
                    }};
  }
  // argon2id: the cpu pool.
  return Deferred{
      &context.cpu_pool, [&context, viewer, actor, fields = std::move(*fields)]() mutable {
        auto& password = fields.strings["password"];
        auto user =
            context.accounts.CreateUser(*fields.String("username"), password,
                                        SplitRoles(fields.String("roles").value_or("")), actor);
        SecureWipe(password.data(), password.size());
        if (!user) {
          if (user.error().code == ErrorCode::kUnavailable) {
            return PageError(user.error(), &viewer);
          }
          return AdminPage(
              context, viewer, {},
              user.error().detail.empty() ? "That username is taken." : user.error().detail);
        }
        return PageRedirect("/admin/users/" + user->id + "?done=created");
      }};
}

Reply ChangeUser(const RouteContext& context, Request& request, const Caller& caller) {
  const PageViewer viewer = ViewerOf(context, caller);
  const std::string current = caller.session().session_id;
  const auth::Actor actor{caller.session().user_id, std::string(request.remote_ip)};
  const std::string user_id(request.params[0]);
  auto fields = ParseBody(request, kChangeFields, /*allow_form=*/true);
  if (!fields) {
    return PageError(fields.error(), &viewer);
  }
  const std::string action(*fields->String("action"));
  if (action != "roles" && action != "password" && action != "disable" && action != "enable" &&
      action != "logout-all") {
    return PageError(Error{ErrorCode::kInvalidRequest, "unknown action"}, &viewer);
  }
  WorkerPool* pool = action == "password" ? &context.cpu_pool : &context.store_pool;
  return Deferred{pool, [&context, viewer, current, actor, user_id, action,
                         fields = std::move(*fields)]() mutable {
                    auto user = context.accounts.FindById(user_id);
                    if (!user) {
                      return PageError(user.error(), &viewer);
                    }
                    if (!*user) {
                      return PageError(Error{ErrorCode::kNotFound, {}}, &viewer);
                    }
                    Result<void> done;
                    if (action == "roles") {
                      done = context.accounts.SetRoles(
                          user_id, SplitRoles(fields.String("roles").value_or("")), actor);
                    } else if (action == "password") {
                      auto& password = fields.strings["password"];
                      done = context.accounts.SetPassword(user_id, password, actor);
                      SecureWipe(password.data(), password.size());
                    } else if (action == "disable" || action == "enable") {
                      done = context.accounts.SetDisabled(user_id, action == "disable", actor);
                    } else {
                      auto n = context.sessions.RevokeAll(user_id, "admin", actor);
                      if (!n) {
                        done = tl::unexpected(n.error());
                      }
                    }
                    if (!done) {
                      if (done.error().code == ErrorCode::kUnavailable) {
                        return PageError(done.error(), &viewer);
                      }
                      return UserPage(context, viewer, current, user_id, {}, done.error().detail);
                    }
                    return PageRedirect("/admin/users/" + user_id + "?done=" + action);
                  }};
}

Reply RevokeSession(const RouteContext& context, Request& request, const Caller& caller) {
  const PageViewer viewer = ViewerOf(context, caller);
  const auth::Actor actor{caller.session().user_id, std::string(request.remote_ip)};
  const std::string current = caller.session().session_id;
  const std::string session_id(request.params[0]);
  return Deferred{&context.store_pool, [&context, viewer, actor, current, session_id] {
                    auto found = context.sessions.Find(session_id);
                    if (!found) {
                      return PageError(found.error(), &viewer);
                    }
                    if (!*found || (*found)->IsRevoked()) {
                      return PageError(Error{ErrorCode::kNotFound, {}}, &viewer);
                    }
                    const std::string user_id = (*found)->user_id;
                    if (auto done = context.sessions.Revoke(session_id, "admin", actor); !done) {
                      return PageError(done.error(), &viewer);
                    }
                    if (session_id == current) {
                      return SignedOut(context.policy, "signed_out");
                    }
                    return PageRedirect("/admin/users/" + user_id + "?done=session");
                  }};
}

}  // namespace

void AddAdminPages(Router& router, const RouteContext& context) {
  router.Add(Method::kGet, "/admin",
             AdminPageAuthed(context, [&context](Request& request, const Caller& caller) -> Reply {
               const PageViewer viewer = ViewerOf(context, caller);
               std::string query = request.QueryParam("q").value_or("");
               return Deferred{&context.store_pool, [&context, viewer, query] {
                                 return AdminPage(context, viewer, query, {});
                               }};
             }));
  router.Add(Method::kGet, "/admin/users/{id}",
             AdminPageAuthed(context, [&context](Request& request, const Caller& caller) -> Reply {
               const PageViewer viewer = ViewerOf(context, caller);
               const std::string current = caller.session().session_id;
               const std::string user_id(request.params[0]);
               std::string notice = DoneNotice(request.QueryParam("done").value_or(""));
               return Deferred{&context.store_pool, [&context, viewer, current, user_id, notice] {
                                 return UserPage(context, viewer, current, user_id, notice, {});
                               }};
             }));
  router.Add(Method::kPost, "/admin/users",
             AdminPageAuthed(context, [&context](Request& request, const Caller& caller) {
               return CreateUser(context, request, caller);
             }));
  router.Add(Method::kPost, "/admin/users/{id}",
             AdminPageAuthed(context, [&context](Request& request, const Caller& caller) {
               return ChangeUser(context, request, caller);
             }));
  router.Add(Method::kPost, "/admin/sessions/{id}/revoke",
             AdminPageAuthed(context, [&context](Request& request, const Caller& caller) {
               return RevokeSession(context, request, caller);
             }));
}

}  // namespace sesame::http
