// A small resource server that trusts sesame's access tokens without calling sesame per
// request: the embeddable verifier (include/sesame/verifier.h) checks each bearer token against
// the JWKS it fetched from sesame, and fetches it again when a token names a key it has not
// seen (after a rotation), at most every 30 seconds.
//
//   sesame_example_resource_server --jwks http://127.0.0.1:8080/.well-known/jwks.json
//       [--listen 127.0.0.1:9090] [--issuer ISS] [--audience AUD]
//       [--revocations http://127.0.0.1:8080/v1/revocations --client-id NAME
//        [--feed-wait SECONDS] [--max-staleness SECONDS]]
//
// With --revocations it follows sesame's revocation feed as the API client NAME of sesame's
// oauth.clients, whose key it reads from the environment variable SESAME_FEED_KEY (never from
// the command line, where other users could read it): a token of a logged-out session is then
// refused here too, within one feed round trip (see verifier.h).
//
//   GET /hello   200 {"hello":"<username>","sub":..,"sid":..,"roles":[..]} with a valid token,
//                401 {"error":"invalid_token"|"token_expired"|"session_revoked"|
//                "missing_credentials"} otherwise;
//                ?role=R answers 403 {"error":"forbidden"} unless the token has role R
//   GET /stats   {"jwks_reloads":N,"revocation_feed":{"following":..,"answers":N,
//                "revoked_entries":N,"seconds_since_answer":N,"last_error":".."}}
//
// It prints "listening on PORT" once ready. One thread per connection: an example, not a
// production server. Without --revocations, revocations do not reach it; keep access tokens
// short.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sesame/verifier.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

http::response<http::string_body> Answer(const sesame::Verifier& verifier,
                                         const http::request<http::string_body>& request) {
  http::response<http::string_body> response{http::status::ok, request.version()};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/stats") {
    const sesame::RevocationFeedStatus feed = verifier.revocation_feed_status();
    response.body() = "{\"jwks_reloads\":" + std::to_string(verifier.key_reloads()) +
                      ",\"revocation_feed\":{\"following\":" + (feed.following ? "true" : "false") +
                      ",\"answers\":" + std::to_string(feed.answers) +
                      ",\"revoked_entries\":" + std::to_string(feed.revoked_entries) +
                      ",\"seconds_since_answer\":" + std::to_string(feed.seconds_since_answer) +
                      ",\"last_error\":" + JsonString(feed.last_error) + "}}";
  } else if (path == "/hello") {
    const std::string authorization(request[http::field::authorization]);
    if (authorization.rfind("Bearer ", 0) != 0) {
      response.result(http::status::unauthorized);
      response.set(http::field::www_authenticate, "Bearer");
      response.body() = R"({"error":"missing_credentials"})";
    } else {
      const sesame::VerifyResult result = verifier.Verify(authorization.substr(7));
      if (!result.ok()) {
        const std::string code(sesame::VerifyStatusName(result.status));
        response.result(http::status::unauthorized);
        response.set(http::field::www_authenticate, "Bearer error=\"invalid_token\"");
        response.body() = "{\"error\":" + JsonString(code) + "}";
      } else {
        const sesame::AccessToken& t = result.token;
        const size_t role_at = target.find("?role=");
        const std::string role = role_at == std::string::npos ? "" : target.substr(role_at + 6);
        bool has_role = role.empty();
        std::string roles = "[";
        for (size_t i = 0; i < t.roles.size(); ++i) {
          roles += (i ? "," : "") + JsonString(t.roles[i]);
          has_role = has_role || t.roles[i] == role;
        }
        roles += "]";
        if (!has_role) {
          response.result(http::status::forbidden);
          response.body() = R"({"error":"forbidden"})";
        } else {
          response.body() = "{\"hello\":" + JsonString(t.username) +
                            ",\"sub\":" + JsonString(t.subject) +
                            ",\"sid\":" + JsonString(t.session_id) + ",\"roles\":" + roles + "}";
        }
      }
    }
  } else {
    response.result(http::status::not_found);
    response.body() = R"({"error":"not_found"})";
  }
  response.prepare_payload();
  return response;
}

void Serve(tcp::socket socket, const sesame::Verifier& verifier) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) {
      return;
    }
    auto response = Answer(verifier, request);
    response.keep_alive(request.keep_alive());
    http::write(socket, response, ec);
    if (ec || !request.keep_alive()) {
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:9090";
  std::string jwks;
  sesame::VerifierOptions options;
  sesame::RevocationFeedOptions feed;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--listen") {
      listen = value;
    } else if (flag == "--jwks") {
      jwks = value;
    } else if (flag == "--issuer") {
      options.issuer = value;
    } else if (flag == "--audience") {
      options.audience = value;
    } else if (flag == "--revocations") {
      feed.url = value;
    } else if (flag == "--client-id") {
      feed.client_id = value;
    } else if (flag == "--feed-wait") {
      feed.wait = std::chrono::seconds(std::atoi(value.c_str()));
    } else if (flag == "--max-staleness") {
      feed.max_staleness = std::chrono::seconds(std::atoi(value.c_str()));
    } else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (jwks.empty()) {
    std::cerr << "usage: " << argv[0]
              << " --jwks URL|FILE [--listen HOST:PORT] [--issuer ISS] [--audience AUD]\n";
    return 2;
  }
  std::string error;
  std::shared_ptr<sesame::Verifier> verifier =
      jwks.rfind("http", 0) == 0 ? sesame::Verifier::FromJwksUrl(jwks, options, &error)
                                 : sesame::Verifier::FromJwksFile(jwks, options, &error);
  if (!verifier) {
    std::cerr << "cannot load the JWKS: " << error << "\n";
    return 1;
  }
  if (!feed.url.empty()) {
    const char* key = std::getenv("SESAME_FEED_KEY");
    feed.client_secret = key != nullptr ? key : "";
    // The first snapshot is in before the first request is served.
    if (!verifier->FollowRevocations(feed, &error)) {
      std::cerr << "cannot follow the revocation feed: " << error << "\n";
      return 1;
    }
  }
  try {
    net::io_context io;
    const size_t colon = listen.rfind(':');
    tcp::acceptor acceptor(
        io, tcp::endpoint(net::ip::make_address(listen.substr(0, colon)),
                          static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))));
    std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
    for (;;) {
      tcp::socket socket = acceptor.accept();
      std::thread([socket = std::move(socket), verifier]() mutable {
        Serve(std::move(socket), *verifier);
      }).detach();
    }
  } catch (const std::exception& e) {  // Asio reports setup failures by exception
    std::cerr << "resource server: " << e.what() << "\n";
    return 1;
  }
}
