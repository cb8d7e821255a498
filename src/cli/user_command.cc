#include "cli/user_command.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/node.h"
#include "common/secret_bytes.h"

namespace sesame::cli {
namespace {

std::unique_ptr<app::Node> OpenNode(CliContext& context) {
  auto config = LoadCliConfig(context);
  if (!config) {
    *context.err << ErrorCodeName(config.error().code) << ": " << config.error().detail << "\n";
    context.exit_code = kExitUsage;
    return nullptr;
  }
  auto node = app::Node::Open(*config, app::NodeOptions{false, nullptr, nullptr});
  if (!node) {
    *context.err << ErrorCodeName(node.error().code) << ": " << node.error().detail << "\n";
    context.exit_code = kExitUsage;
    return nullptr;
  }
  return std::move(*node);
}

bool Report(CliContext& context, const Error& error) {
  *context.err << ErrorCodeName(error.code) << ": " << error.detail << "\n";
  context.exit_code = error.code == ErrorCode::kNotFound || error.code == ErrorCode::kUsernameTaken
                          ? kExitFailed
                          : kExitUsage;
  return false;
}

// A password from stdin (one line) or, on a terminal, typed twice without echo.
bool ReadPassword(CliContext& context, bool from_stdin, std::string& password) {
  if (from_stdin || !isatty(STDIN_FILENO) || context.in != &std::cin) {
    if (!std::getline(*context.in, password)) {
      *context.err << "invalid_request: no password on standard input\n";
      context.exit_code = kExitUsage;
      return false;
    }
    if (!password.empty() && password.back() == '\r') {
      password.pop_back();
    }
    return true;
  }
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string again;
  *context.err << "Password: " << std::flush;
  std::getline(std::cin, password);
  *context.err << "\nAgain: " << std::flush;
  std::getline(std::cin, again);
  *context.err << "\n";
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  const bool same = ConstantTimeEquals(password, again);
  SecureWipe(again.data(), again.size());
  if (!same) {
    *context.err << "invalid_request: the passwords differ\n";
    context.exit_code = kExitUsage;
    return false;
  }
  return true;
}

std::optional<store::User> FindUser(CliContext& context, app::Node& node, const std::string& name) {
  auto user = node.accounts().FindByName(name);
  if (!user) {
    Report(context, user.error());
    return std::nullopt;
  }
  if (!*user) {
    Report(context, Error{ErrorCode::kNotFound, "no user named " + name});
    return std::nullopt;
  }
  return **user;
}

std::string Time(TimePoint t) {
  return std::to_string(ToUnixSeconds(t));
}

}  // namespace

void AddUserCommand(CLI::App& app, CliContext& context) {
  auto* user = app.add_subcommand("user", "Manage user accounts");
  user->require_subcommand(1);
  const auth::Actor cli_actor{"cli", ""};

  struct AddArgs {
    std::string name;
    std::vector<std::string> roles;
    bool password_stdin = false;
  };
  auto add_args = std::make_shared<AddArgs>();
  auto* add = user->add_subcommand("add", "Create a user");
  add->add_option("NAME", add_args->name, "Username")->required();
  add->add_option("--role", add_args->roles, "A role (repeatable), e.g. admin");
  add->add_flag("--password-stdin", add_args->password_stdin,
                "Read the password from standard input");
  add->callback([&context, add_args, cli_actor] {
    auto node = OpenNode(context);
    std::string password;
    if (!node || !ReadPassword(context, add_args->password_stdin, password)) {
      return;
    }
    auto created =
        node->accounts().CreateUser(add_args->name, password, add_args->roles, cli_actor);
    SecureWipe(password.data(), password.size());
    if (!created) {
      Report(context, created.error());
      return;
    }
    *context.out << "created user " << created->username << " (" << created->id << ")";
    if (!created->roles.empty()) {
      *context.out << " with roles";
      for (const auto& role : created->roles) {
        *context.out << " " << role;
      }
    }
    *context.out << "\n";
  });

  auto* list = user->add_subcommand("list", "List users");
  list->callback([&context] {
    auto node = OpenNode(context);
    if (!node) {
      return;
    }
    auto users = node->accounts().List({}, 100000);
    if (!users) {
      Report(context, users.error());
      return;
    }
    *context.out << "ID                        USERNAME                          DISABLED ROLES\n";
    for (const store::User& u : *users) {
      std::string id = u.id;
      id.resize(std::max<size_t>(id.size(), 25), ' ');
      std::string name = u.username;
      name.resize(std::max<size_t>(name.size(), 33), ' ');
      std::string roles;
      for (const auto& role : u.roles) {
        roles += (roles.empty() ? "" : ",") + role;
      }
      *context.out << id << " " << name << " " << (u.is_disabled ? "yes     " : "no      ") << " "
                   << roles << "\n";
    }
  });

  auto name = std::make_shared<std::string>();
  for (const bool disable : {true, false}) {
    auto* cmd = user->add_subcommand(
        disable ? "disable" : "enable",
        disable ? "Disable a user and revoke their sessions" : "Enable a disabled user");
    cmd->add_option("NAME", *name, "Username")->required();
    cmd->callback([&context, name, disable, cli_actor] {
      auto node = OpenNode(context);
      if (!node) {
        return;
      }
      auto found = FindUser(context, *node, *name);
      if (!found) {
        return;
      }
      if (auto done = node->accounts().SetDisabled(found->id, disable, cli_actor); !done) {
        Report(context, done.error());
        return;
      }
      *context.out << (disable ? "disabled " : "enabled ") << found->username << "\n";
    });
  }

  auto passwd_stdin = std::make_shared<bool>(false);
  auto* passwd = user->add_subcommand("passwd", "Set a user's password");
  passwd->add_option("NAME", *name, "Username")->required();
  passwd->add_flag("--password-stdin", *passwd_stdin, "Read the password from standard input");
  passwd->callback([&context, name, passwd_stdin, cli_actor] {
    auto node = OpenNode(context);
    if (!node) {
      return;
    }
    auto found = FindUser(context, *node, *name);
    std::string password;
    if (!found || !ReadPassword(context, *passwd_stdin, password)) {
      return;
    }
    auto done = node->accounts().SetPassword(found->id, password, cli_actor);
    SecureWipe(password.data(), password.size());
    if (!done) {
      Report(context, done.error());
      return;
    }
    *context.out << "password changed for " << found->username << "\n";
  });
}

void AddSessionCommand(CLI::App& app, CliContext& context) {
  auto* session = app.add_subcommand("session", "List and revoke sessions");
  session->require_subcommand(1);
  const auth::Actor cli_actor{"cli", ""};
  auto arg = std::make_shared<std::string>();

  auto* list = session->add_subcommand("list", "List live sessions");
  list->add_option("--user", *arg, "Only this user's sessions");
  list->callback([&context, arg] {
    auto node = OpenNode(context);
    if (!node) {
      return;
    }
    Result<std::vector<store::Session>> sessions;
    if (arg->empty()) {
      sessions = node->session_store().ListAllLiveSessions(node->clock().Now(), 100000);
    } else {
      auto found = FindUser(context, *node, *arg);
      if (!found) {
        return;
      }
      sessions = node->sessions().ListLive(found->id);
    }
    if (!sessions) {
      Report(context, sessions.error());
      return;
    }
    *context.out << "SESSION                   USER                      MODE    TRANSPORT "
                    "CREATED    LAST_SEEN  IP\n";
    for (const store::Session& s : *sessions) {
      std::string id = s.id;
      id.resize(std::max<size_t>(id.size(), 25), ' ');
      std::string user = s.user_id;
      user.resize(std::max<size_t>(user.size(), 25), ' ');
      std::string mode(store::SessionModeName(s.mode));
      mode.resize(7, ' ');
      std::string transport(store::TransportName(s.transport));
      transport.resize(9, ' ');
      *context.out << id << " " << user << " " << mode << " " << transport << " "
                   << Time(s.created_at) << " " << Time(s.last_seen_at) << " " << s.ip << "\n";
    }
  });

  auto* revoke = session->add_subcommand("revoke", "Revoke one session by id");
  revoke->add_option("SID", *arg, "Session id")->required();
  revoke->callback([&context, arg, cli_actor] {
    auto node = OpenNode(context);
    if (!node) {
      return;
    }
    auto revoked = node->sessions().Revoke(*arg, "admin", cli_actor);
    if (!revoked) {
      Report(context, revoked.error());
      return;
    }
    if (!*revoked) {
      Report(context, Error{ErrorCode::kNotFound, "no live session " + *arg});
      return;
    }
    *context.out << "revoked " << *arg << "\n";
  });

  auto* revoke_all = session->add_subcommand("revoke-all", "Revoke every session of a user");
  revoke_all->add_option("NAME", *arg, "Username")->required();
  revoke_all->callback([&context, arg, cli_actor] {
    auto node = OpenNode(context);
    if (!node) {
      return;
    }
    auto found = FindUser(context, *node, *arg);
    if (!found) {
      return;
    }
    auto n = node->sessions().RevokeAll(found->id, "admin", cli_actor);
    if (!n) {
      Report(context, n.error());
      return;
    }
    *context.out << "revoked " << *n << " sessions of " << found->username << "\n";
  });
}

}  // namespace sesame::cli
