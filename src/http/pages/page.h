#pragma once

// What every page shares: the templates compiled into the binary, the layout (top bar, nav,
// notices), the security headers every HTML answer carries, the static assets, and times
// written for people. Pages are cookie clients of sesame like any browser app (API.md "Pages").
// Everything here is thread-safe; the templates are parsed once, on first use.

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "http/pages/template.h"
#include "http/response.h"

namespace sesame::http {

// The compiled-in templates. A broken built-in template is a build defect (the unit tests
// parse them all), so this aborts rather than serve a half page.
const TemplateSet& PageTemplates();

// The signed-in viewer, as the layout shows them; absent on /login and error pages.
struct PageViewer {
  std::string user_id;
  std::string username;
  bool is_admin = false;
  std::string csrf_token;  // for the forms of the page (sign out in the top bar and more)
};

enum class PageNav { kNone, kHome, kDevices, kAdmin };

// The layout's data: title, viewer, which nav entry is current, asset version.
TemplateData PageData(std::string_view title, const PageViewer* viewer, PageNav nav);

// Renders template `name` into an HTML response with the page headers. Pages that show a
// signed-in user's data are `Cache-Control: no-store`; so is every other page, since the
// login page may carry a message about this browser's attempt.
Response RenderPage(int status, std::string_view name, const TemplateData& data);

// An error page: heading, one sentence and a link onwards.
Response ErrorPage(int status, std::string_view heading, std::string_view message,
                   std::string_view back = "/",
                   std::string_view back_label = "Back to your account",
                   const PageViewer* viewer = nullptr);

// The HTML security headers: a CSP with no inline script or style, no framing, no sniffing,
// referrer kept to our own origin, no-store.
void AddPageHeaders(Response& response);

// GET /assets/{name}: the stylesheet, script and icon; nullopt for an unknown name.
std::optional<Response> AssetResponse(std::string_view name);
// Changes whenever an asset changes; pages link assets with ?v=<this> so they can be cached.
std::string_view AssetVersion();

// "2026-11-23T14:05:09Z" and "2026-11-23 14:05 UTC".
std::string IsoTime(TimePoint t);
std::string TextTime(TimePoint t);

// A same-origin path to go to after sign-in: `next` if it is a plain absolute path on this
// server ("/devices?x=1"), else "/". Refuses anything a browser could read as another origin
// ("//evil", "/\\evil", "https://..."), control characters, and the login page itself.
std::string SafeNextPath(std::string_view next);

}  // namespace sesame::http
