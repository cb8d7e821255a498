#include "http/pages/page.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <span>

#include "common/base64url.h"
#include "crypto/digest.h"

namespace sesame::http {

// Generated from templates/ and assets/ (cmake/EmbedFiles.cmake).
extern const std::span<const EmbeddedFile> kPageTemplates;
extern const std::span<const EmbeddedFile> kPageAssets;

const TemplateSet& PageTemplates() {
  static const TemplateSet templates = [] {
    auto parsed = TemplateSet::Parse(kPageTemplates);
    if (!parsed) {
      std::fprintf(stderr, "sesame: built-in page template broken: %s\n",
                   parsed.error().detail.c_str());
      std::abort();
    }
    return std::move(*parsed);
  }();
  return templates;
}

std::string_view AssetVersion() {
  static const std::string version = [] {
    std::string all;
    for (const EmbeddedFile& asset : kPageAssets) {
      all.append(asset.name).append(asset.content);
    }
    return Base64UrlEncode(crypto::Sha256(all)).substr(0, 12);
  }();
  return version;
}

TemplateData PageData(std::string_view title, const PageViewer* viewer, PageNav nav) {
  TemplateData data;
  data.Text("title", std::string(title));
  data.Text("asset_version", std::string(AssetVersion()));
  if (viewer != nullptr) {
    data.Flag("signed_in", true);
    data.Text("username", viewer->username);
    data.Text("user_id", viewer->user_id);
    data.Flag("is_admin", viewer->is_admin);
    data.Text("csrf_token", viewer->csrf_token);
  }
  data.Flag("nav_home", nav == PageNav::kHome);
  data.Flag("nav_devices", nav == PageNav::kDevices);
  data.Flag("nav_admin", nav == PageNav::kAdmin);
  return data;
}

void AddPageHeaders(Response& response) {
  // No inline script or style anywhere, so the policy needs no nonce and no 'unsafe-inline'.
  response.AddHeader("Content-Security-Policy",
                     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                     "connect-src 'self'; "
                     "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  response.AddHeader("X-Frame-Options", "DENY");
  response.AddHeader("X-Content-Type-Options", "nosniff");
  response.AddHeader("Referrer-Policy", "same-origin");
  response.AddHeader("Cross-Origin-Opener-Policy", "same-origin");
  response.AddHeader("Cache-Control", "no-store");
}

Response RenderPage(int status, std::string_view name, const TemplateData& data) {
  Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = PageTemplates().Render(name, data);
  AddPageHeaders(r);
  return r;
}

Response ErrorPage(int status, std::string_view heading, std::string_view message,
                   std::string_view back, std::string_view back_label, const PageViewer* viewer) {
  TemplateData data = PageData(heading, viewer, PageNav::kNone);
  data.Text("heading", std::string(heading));
  data.Text("message", std::string(message));
  data.Text("back", std::string(back));
  data.Text("back_label", std::string(back_label));
  return RenderPage(status, "error.html", data);
}

std::optional<Response> AssetResponse(std::string_view name) {
  for (const EmbeddedFile& asset : kPageAssets) {
    if (asset.name != name) {
      continue;
    }
    Response r;
    r.status = 200;
    if (name.ends_with(".css")) {
      r.content_type = "text/css; charset=utf-8";
    } else if (name.ends_with(".js")) {
      r.content_type = "text/javascript; charset=utf-8";
    } else {
      r.content_type = "image/svg+xml";
    }
    r.body = std::string(asset.content);
    r.AddHeader("X-Content-Type-Options", "nosniff");
    // Pages link assets with ?v=<content hash>, so a day of caching never serves a stale one.
    r.AddHeader("Cache-Control", "public, max-age=86400");
    return r;
  }
  return std::nullopt;
}

namespace {

std::string FormatUtc(TimePoint t, const char* format) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixSeconds(t));
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  std::array<char, 40> buffer{};
  const size_t n = std::strftime(buffer.data(), buffer.size(), format, &parts);
  return std::string(buffer.data(), n);
}

}  // namespace

std::string IsoTime(TimePoint t) {
  return FormatUtc(t, "%Y-%m-%dT%H:%M:%SZ");
}
std::string TextTime(TimePoint t) {
  return FormatUtc(t, "%Y-%m-%d %H:%M UTC");
}

std::string SafeNextPath(std::string_view next) {
  // A path, not a URL: one leading slash, then neither a second slash nor a backslash (browsers
  // read "/\evil.com" as "//evil.com"), nothing a browser would drop or fold (controls,
  // spaces), and a sane length.
  if (next.empty() || next.size() > 1024 || next.front() != '/') {
    return "/";
  }
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) {
    return "/";
  }
  for (const char c : next) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '\\') {
      return "/";
    }
  }
  // Back to the login page would only show the form again.
  if (next == "/login" || next.starts_with("/login?") || next.starts_with("/login/")) {
    return "/";
  }
  return std::string(next);
}

}  // namespace sesame::http
