// sesame's pages work without this file. It adds times in the reader's own time zone (the
// server writes UTC), a confirmation before forms marked data-confirm, and, in jwt mode, the
// renewal of an expired access token through the refresh cookie (#refresh).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  for (const time of document.querySelectorAll("time[datetime]")) {
    const when = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) {
      time.title = time.textContent;
      time.textContent = format.format(when);
    }
  }
  const refresh = document.getElementById("refresh");
  if (refresh) {
    // The refresh cookie is sent to /v1/auth/refresh only; a cookie refresh needs the CSRF
    // token the server put on the page. Success sets new cookies: go back where we were.
    fetch("/v1/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": refresh.dataset.csrf },
    }).then(
      (response) => window.location.replace(response.ok ? refresh.dataset.next : refresh.dataset.login),
      () => window.location.replace(refresh.dataset.login),
    );
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});
