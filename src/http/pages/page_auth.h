#pragma once

// How pages authenticate and what they share about sessions. A page is a cookie client like
// any browser app: WithSession with the CSRF token read from the form field "csrf_token", and
// failures answered for a person (a redirect to /login that comes back afterwards, or an
// error page) instead of API.md's JSON. Thread-safe.

#include <string>
#include <string_view>

#include "http/pages/page.h"
#include "http/request_auth.h"
#include "store/session_store.h"

namespace sesame::http {

// The AuthStyle of every page and page form.
AuthStyle PageAuthStyle();

// A router Handler for a page: Authed() with PageAuthStyle().
Handler PageAuthed(const RouteContext& context, AuthedHandler handler);

// A page that needs role admin: 403 page otherwise.
Handler AdminPageAuthed(const RouteContext& context, AuthedHandler handler);

// The viewer of a page, for the layout and its forms.
PageViewer ViewerOf(const RouteContext& context, const Caller& caller);

// A session as the device lists show it (device name, IP, times, current marker) and the form
// that signs it out at `revoke_action`.
void AddSessionItem(TemplateData& page, const store::Session& session,
                    std::string_view current_session_id, std::string revoke_action);

// "Session" / "JWT" with what it means, for people.
std::string ModeLabel(store::SessionMode mode);

// A 303 to `location` with the page headers.
Response PageRedirect(std::string_view location);

// After a session ended (signed out here): 303 to /login with `reason`, cookies cleared.
Response SignedOut(const HttpPolicy& policy, std::string_view reason);

// A failure of the domain or the store while serving a page: 503 page for kUnavailable, 404
// page for kNotFound, else an error page with the error's own sentence.
Response PageError(const Error& error, const PageViewer* viewer);

}  // namespace sesame::http
