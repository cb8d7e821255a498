// sesame's pages in a real browser (issue 5): Debian's chromium, headless, driven by
// playwright-core, against the real binary on loopback with a temporary SQLite store.
//
//   node tests/browser/pages.test.mjs            (SESAME_BIN: the sesame binary)
//
// Exit code 77 (ctest: skipped, shown as such) when chromium or playwright-core is missing,
// unless REQUIRE_BROWSER_TESTS=1 (scripts/test.sh sets it), which makes that a failure.
// Screenshots of every page go to SESAME_BROWSER_ARTIFACTS.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { artifactDir, CHROMIUM, launchBrowser, SesameServer, startOtherOrigin } from "./harness.mjs";

const BINARY = process.env.SESAME_BIN;
if (!BINARY || !existsSync(BINARY)) {
  console.error("SESAME_BIN must name the sesame binary");
  process.exit(2);
}
{
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  try {
    await import("playwright-core");
  } catch {
    missing.push("playwright-core (npm ci --prefix tests/browser)");
  }
  if (missing.length) {
    console.error("browser tests cannot run; missing: " + missing.join(", "));
    process.exit(process.env.REQUIRE_BROWSER_TESTS === "1" ? 1 : 77);
  }
}

const PASSWORD = "correct horse battery";
const ARTIFACTS = artifactDir();
const PHONE = { width: 390, height: 844 };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// A browser context standing for one device, recording console errors (a CSP violation is
// one) and uncaught page errors.
async function device(server, options = {}) {
  const context = await browser.newContext({ baseURL: server.origin, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (msg) => {
    // Error statuses are asserted where they are meant; the rest (a CSP violation, a script
    // error) is a problem.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      page.problems.push(msg.text());
    }
  });
  page.on("pageerror", (err) => page.problems.push(String(err)));
  // Forms marked data-confirm ask first; a person would say yes.
  page.on("dialog", (dialog) => dialog.accept());
  return { context, page };
}

async function signIn(page, username, password = PASSWORD, { remember = false, from = "/login" } = {}) {
  await page.goto(from);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  if (remember) await page.getByLabel(/Remember this device/).check();
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name + ".png"), fullPage: true });
}

async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === "sesame_session");
}

async function assertSignedOutAt(page, reason) {
  assert.equal(new URL(page.url()).pathname, "/login", `expected /login, at ${page.url()}`);
  if (reason) assert.equal(new URL(page.url()).searchParams.get("reason"), reason);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

describe("sign-in and my page", () => {
  let server;
  let adminId;
  before(async () => {
    server = await new SesameServer(BINARY).start();
    adminId = server.addUser("alice", PASSWORD, ["admin"]);
    server.addUser("bob", PASSWORD);
  });
  after(async () => server.stop());

  test("the form signs in, / shows the session, reload keeps it, scripts never see a secret", async () => {
    const { context, page } = await device(server);
    const first = await page.goto("/");
    assert.equal(pathOf(page), "/login", "no session: / sends to /login");
    assert.equal(first.status(), 200);
    await shot(page, "login");
    await signIn(page, "alice");
    assert.equal(pathOf(page), "/");
    await page.getByRole("heading", { name: "Hello, alice" }).waitFor();
    const sessionId = (await page.locator("#session-id").textContent()).trim();
    assert.match(sessionId, /^s_/);
    await shot(page, "home");

    const cookie = await sessionCookie(context);
    assert.ok(cookie, "the session cookie is set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.path, "/");
    assert.equal(cookie.expires, -1, "not remembered: a browser-session cookie");
    const visible = await page.evaluate(() => document.cookie);
    assert.ok(!visible.includes(cookie.value), "document.cookie must not show the session secret");
    assert.ok(!visible.includes("sesame_session"), "document.cookie must not show the session cookie");
    // Nor does the page itself carry the secret anywhere.
    assert.ok(!(await page.content()).includes(cookie.value));

    await page.reload();
    assert.equal(pathOf(page), "/");
    assert.equal((await page.locator("#session-id").textContent()).trim(), sessionId);

    // The server's view agrees: the cookie's session is alice's.
    const me = await server.api("GET", "/v1/auth/me", { headers: { Cookie: `sesame_session=${cookie.value}` } });
    assert.equal(me.status, 200);
    assert.equal(me.json.session.id, sessionId);
    assert.deepEqual(page.problems, []);

    // Sign out: the cookie goes, and the old secret no longer works anywhere.
    await Promise.all([page.waitForNavigation(), page.getByRole("main").getByRole("button", { name: "Sign out", exact: true }).click()]);
    await assertSignedOutAt(page, "signed_out");
    await page.getByText("You are signed out.").waitFor();
    assert.equal(await sessionCookie(context), undefined, "logout clears the cookie");
    await page.goto("/");
    await assertSignedOutAt(page);
    const replay = await server.api("GET", "/v1/auth/me", { headers: { Cookie: `sesame_session=${cookie.value}` } });
    assert.equal(replay.status, 401);
    assert.equal(replay.json.error, "session_revoked");
    await context.close();
  });

  test("security headers on every page; no inline script or style trips the CSP", async () => {
    const { context, page } = await device(server);
    for (const p of ["/login"]) {
      const res = await page.goto(p);
      const h = res.headers();
      assert.match(h["content-security-policy"], /script-src 'self'/);
      assert.match(h["content-security-policy"], /frame-ancestors 'none'/);
      assert.doesNotMatch(h["content-security-policy"], /unsafe-inline/);
      assert.equal(h["x-frame-options"], "DENY");
      assert.equal(h["x-content-type-options"], "nosniff");
      assert.equal(h["referrer-policy"], "same-origin");
      assert.equal(h["cache-control"], "no-store");
    }
    await signIn(page, "alice");
    for (const p of ["/", "/devices", "/admin", `/admin/users/${adminId}`]) {
      const res = await page.goto(p);
      assert.equal(res.status(), 200, p);
      assert.equal(res.headers()["cache-control"], "no-store", p);
      assert.match(res.headers()["content-security-policy"], /default-src 'none'/, p);
    }
    assert.deepEqual(page.problems, [], "console errors (CSP violations among them)");
    await context.close();
  });

  test("wrong password and unknown user read the same; no hint which", async () => {
    const { context, page } = await device(server);
    await signIn(page, "alice", "wrong password!");
    assert.equal(new URL(page.url()).searchParams.get("error"), "invalid_credentials");
    const wrongPassword = await page.getByRole("alert").textContent();
    await signIn(page, "nobody-by-this-name", "wrong password!");
    const unknownUser = await page.getByRole("alert").textContent();
    assert.equal(unknownUser, wrongPassword);
    assert.match(wrongPassword, /username and password do not match/);
    await shot(page, "login-error");
    assert.equal(await sessionCookie(context), undefined);
    await context.close();
  });

  test("after sign-in, back to where the user was going; never to another origin", async () => {
    const { context, page } = await device(server);
    await page.goto("/devices");
    assert.equal(pathOf(page), "/login?next=%2Fdevices");
    await page.getByLabel("Username").fill("bob");
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
    assert.equal(pathOf(page), "/devices");
    await context.close();

    for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/%2F/evil.example",
                        "javascript:alert(1)", " /devices"]) {
      const { context: c, page: p } = await device(server);
      await signIn(p, "bob", PASSWORD, { from: "/login?next=" + encodeURIComponent(next) });
      const landed = new URL(p.url());
      assert.equal(landed.origin, server.origin, `next=${next} left the origin`);
      assert.equal(landed.pathname, next === "/%2F/evil.example" ? "/%2F/evil.example" : "/", `next=${next}`);
      await c.close();
    }
  });

  test("keyboard only: the form is labelled and submits with Enter", async () => {
    const { context, page } = await device(server);
    await page.goto("/login");
    // The username field has focus on arrival.
    assert.equal(await page.evaluate(() => document.activeElement.id), "username");
    await page.keyboard.type("bob");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "password");
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    assert.equal(pathOf(page), "/");
    // Every form control on every page has a label.
    for (const p of ["/login", "/", "/devices"]) {
      await page.goto(p);
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll("input:not([type=hidden]), button")]
          .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim()))
          .map((el) => el.outerHTML));
      assert.deepEqual(unlabelled, [], p);
    }
    await context.close();
  });

  test("remember this device: a persistent cookie and a longer absolute timeout", async () => {
    const { context, page } = await device(server);
    await signIn(page, "bob", PASSWORD, { remember: true });
    const cookie = await sessionCookie(context);
    const now = Date.now() / 1000;
    assert.ok(cookie.expires > now + 29 * 86400, "remembered for about 30 days");
    const me = await server.api("GET", "/v1/auth/me", { headers: { Cookie: `sesame_session=${cookie.value}` } });
    assert.ok(me.json.session.absolute_expires_at > now + 29 * 86400);
    await context.close();
  });

  test("works on a phone-sized screen: nothing scrolls sideways", async () => {
    const { context, page } = await device(server, { viewport: PHONE, isMobile: true, hasTouch: true });
    await page.goto("/login");
    await shot(page, "phone-login");
    await signIn(page, "alice");
    for (const [p, name] of [["/", "phone-home"], ["/devices", "phone-devices"], ["/admin", "phone-admin"]]) {
      await page.goto(p);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${p} is ${overflow}px wider than the screen`);
      await shot(page, name);
    }
    await context.close();
  });
});

describe("devices", () => {
  let server;
  before(async () => {
    server = await new SesameServer(BINARY).start();
    server.addUser("carol", PASSWORD);
  });
  after(async () => server.stop());

  test("device A sees device B, revokes it, and B's next navigation lands on /login", async () => {
    const a = await device(server);
    const b = await device(server, {
      userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    });
    await signIn(a.page, "carol");
    await signIn(b.page, "carol");
    const bSession = (await b.page.locator("#session-id").textContent()).trim();
    const aSession = (await a.page.locator("#session-id").textContent()).trim();

    await a.page.goto("/devices");
    const items = a.page.locator("ul.devices > li");
    assert.equal(await items.count(), 2);
    const bItem = a.page.locator(`li[data-session-id="${bSession}"]`);
    assert.match(await bItem.textContent(), /Firefox 128 on Windows/);
    assert.match(await a.page.locator(`li[data-session-id="${aSession}"]`).textContent(), /This device/);
    await shot(a.page, "devices");

    await Promise.all([a.page.waitForNavigation(), bItem.getByRole("button").click()]);
    assert.equal(pathOf(a.page), "/devices?done=revoked");
    await a.page.getByText("That device is signed out.").waitFor();
    assert.equal(await a.page.locator("ul.devices > li").count(), 1);

    await b.page.goto("/devices");
    await assertSignedOutAt(b.page, "revoked");
    assert.equal(await sessionCookie(b.context), undefined, "the dead cookie is cleared");
    // A still works.
    await a.page.goto("/");
    assert.equal(pathOf(a.page), "/");
    await a.context.close();
    await b.context.close();
  });

  test("log out everywhere ends every device, this one too", async () => {
    const a = await device(server);
    const b = await device(server);
    await signIn(a.page, "carol");
    await signIn(b.page, "carol");
    await Promise.all([a.page.waitForNavigation(), a.page.getByRole("button", { name: "Sign out everywhere" }).click()]);
    await assertSignedOutAt(a.page, "signed_out_all");
    await b.page.reload();
    await assertSignedOutAt(b.page, "revoked");
    await a.context.close();
    await b.context.close();
  });

  test("what a client sends is shown as text, never markup", async () => {
    const hostile = '<img src=x onerror="document.title=1">"\'><script>document.title=2</script>';
    const a = await device(server, { userAgent: hostile });
    await signIn(a.page, "carol");
    await a.page.goto("/devices");
    assert.equal(await a.page.title(), "Your devices · sesame");
    assert.equal(await a.page.locator("ul.devices img, ul.devices script").count(), 0);
    assert.deepEqual(a.page.problems, []);
    await a.context.close();
  });
});

describe("cross-site requests", () => {
  let server;
  let evil;
  before(async () => {
    server = await new SesameServer(BINARY).start();
    server.addUser("dave", PASSWORD, ["admin"]);
    server.addUser("mallory", "mallory's password");
  });
  after(async () => {
    await evil?.close();
    await server.stop();
  });

  test("forms and fetches from another origin change nothing", async () => {
    const victim = await device(server);
    await signIn(victim.page, "dave");
    const sessionId = (await victim.page.locator("#session-id").textContent()).trim();
    const target = server.origin;

    // The other origin is 127.0.0.1 on another port: same site, so SameSite=Lax does send the
    // cookie with these requests. Only the CSRF token and the Origin check stand in the way.
    const forms = [
      ["/logout-all", {}],
      ["/logout", {}],
      [`/devices/${sessionId}/revoke`, {}],
      ["/admin/users", { username: "planted", password: "planted password" }],
      ["/v1/auth/logout-all", {}],
      ["/v1/auth/login", { username: "mallory", password: "mallory's password" }],
    ];
    const formHtml = forms
      .map(([action, fields], i) =>
        `<iframe name="f${i}"></iframe><form id="form${i}" method="post" target="f${i}" action="${target}${action}">` +
        Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join("") +
        `<input type="hidden" name="csrf_token" value="guessed"></form>`)
      .join("\n");
    const fetches = [
      ["POST", "/v1/auth/logout", "text/plain", "x"],
      ["POST", "/v1/auth/logout-all", "application/x-www-form-urlencoded", "a=b"],
      ["DELETE", `/v1/sessions/${sessionId}`, "application/json", "{}"],
      ["POST", "/logout-all", "application/x-www-form-urlencoded", "csrf_token=guessed"],
    ];
    evil = await startOtherOrigin({
      "/attack": `<!doctype html><title>free prizes</title>${formHtml}
<script>
window.results = [];
for (const form of document.forms) form.submit();
const fetches = ${JSON.stringify(fetches)};
window.done = Promise.all(fetches.map(([method, path, type, body]) =>
  fetch(${JSON.stringify(target)} + path, { method, body, credentials: "include", mode: "no-cors",
                                           headers: { "Content-Type": type } })
    .then((r) => results.push([path, "sent", r.type]), (e) => results.push([path, "blocked", String(e)]))));
</script>`,
    });

    const attacker = victim.page;
    const answers = [];
    attacker.on("response", (r) => {
      if (r.url().startsWith(target) && r.request().method() !== "GET") answers.push([r.request().method(), new URL(r.url()).pathname, r.status()]);
    });
    const formAnswers = forms.map(([action]) =>
      attacker.waitForResponse((r) => r.url() === target + action && r.request().method() === "POST"));
    await attacker.goto(evil.origin + "/attack");
    await Promise.all(formAnswers);
    await attacker.evaluate(() => window.done);

    const byPath = Object.fromEntries(answers.map(([m, p, s]) => [`${m} ${p}`, s]));
    assert.equal(byPath["POST /logout-all"], 403);
    assert.equal(byPath["POST /logout"], 403);
    assert.equal(byPath[`POST /devices/${sessionId}/revoke`], 403);
    assert.equal(byPath["POST /admin/users"], 403);
    assert.equal(byPath["POST /v1/auth/logout-all"], 403);
    assert.equal(byPath["POST /v1/auth/logout"], 403);
    // Login CSRF: refused, back to the form with csrf_failed, and no session for mallory.
    assert.equal(byPath["POST /v1/auth/login"], 303);
    // A DELETE with credentials needs a CORS preflight, which sesame never grants.
    assert.equal(byPath[`DELETE /v1/sessions/${sessionId}`], undefined, "the DELETE must not be sent");

    // The victim's session is untouched: same session, still alice's account... dave's.
    await victim.page.goto(target + "/");
    assert.equal(pathOf(victim.page), "/");
    assert.equal((await victim.page.locator("#session-id").textContent()).trim(), sessionId);
    await victim.page.getByRole("heading", { name: "Hello, dave" }).waitFor();
    const token = await server.headerLogin("dave", PASSWORD);
    const sessions = await server.api("GET", "/v1/sessions", { headers: { Authorization: `Bearer ${token}` } });
    assert.deepEqual(sessions.json.sessions.map((s) => s.id).filter((id) => id === sessionId), [sessionId]);
    const users = await server.api("GET", "/v1/admin/users?search=planted", { headers: { Authorization: `Bearer ${token}` } });
    assert.deepEqual(users.json.users, [], "no user was planted");
    const audit = await server.api("GET", "/v1/admin/audit?limit=100", { headers: { Authorization: `Bearer ${token}` } });
    const types = audit.json.events.map((e) => e.type);
    assert.ok(!types.some((t) => /logout|revoked/.test(t)), "no logout in the audit log: " + types.join(","));
    assert.ok(!audit.json.events.some((e) => e.type === "login_succeeded" && e.detail?.includes("mallory")));
    const malloryToken = await server.headerLogin("mallory", "mallory's password");
    const mallorySessions = await server.api("GET", "/v1/sessions", { headers: { Authorization: `Bearer ${malloryToken}` } });
    assert.equal(mallorySessions.json.sessions.length, 1, "only the session this test made for mallory");
    await victim.context.close();
  });

  test("sesame's pages refuse to be framed by another origin", async () => {
    const frames = await startOtherOrigin({
      "/frame": `<!doctype html><iframe id="f" src="${server.origin}/login"></iframe>`,
    });
    const { context, page } = await device(server);
    const answered = page.waitForResponse((r) => r.url() === server.origin + "/login");
    await page.goto(frames.origin + "/frame");
    await answered;
    const inner = page.frames().find((f) => f.url().startsWith(server.origin));
    // Blocked frames are left empty (chrome-error) rather than showing the form.
    const framedForm = inner ? await inner.locator("form").count().catch(() => 0) : 0;
    assert.equal(framedForm, 0);
    await context.close();
    await frames.close();
  });
});

describe("timeouts and admin", () => {
  let server;
  before(async () => {
    server = await new SesameServer(BINARY, { session: { idle_timeout: "2s", absolute_timeout: "1h" } }).start();
    server.addUser("erin", PASSWORD, ["admin"]);
    server.addUser("frank", PASSWORD);
  });
  after(async () => server.stop());

  test("after the idle timeout, navigation lands on /login", async () => {
    const { context, page } = await device(server);
    await signIn(page, "frank");
    assert.equal(pathOf(page), "/");
    // The behaviour under test is time passing with no request: wait out the idle timeout.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await page.goto("/devices");
    await assertSignedOutAt(page, "expired");
    await page.getByText("Your session timed out").waitFor();
    await context.close();
  });
});

describe("admin", () => {
  let server;
  before(async () => {
    server = await new SesameServer(BINARY).start();
    server.addUser("grace", PASSWORD, ["admin"]);
    server.addUser("heidi", PASSWORD);
  });
  after(async () => server.stop());

  test("force logout of a user signed in elsewhere takes effect on their next request", async () => {
    const admin = await device(server);
    const user = await device(server);
    await signIn(user.page, "heidi");
    await signIn(admin.page, "grace");
    await admin.page.goto("/admin");
    await shot(admin.page, "admin");
    await admin.page.getByLabel("Search by username").fill("hei");
    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Search" }).click()]);
    await Promise.all([admin.page.waitForNavigation(), admin.page.locator("table").first().getByRole("link", { name: "heidi" }).click()]);
    await admin.page.getByRole("heading", { name: /Sessions \(1\)/ }).waitFor();
    await shot(admin.page, "admin-user");
    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Sign out everywhere" }).click()]);
    await admin.page.getByText("Signed out on every device.").waitFor();
    await admin.page.getByRole("heading", { name: /Sessions \(0\)/ }).waitFor();

    await user.page.goto("/devices");
    await assertSignedOutAt(user.page, "revoked");
    // The admin's own session is unaffected.
    await admin.page.goto("/");
    assert.equal(pathOf(admin.page), "/");
    await admin.context.close();
    await user.context.close();
  });

  test("create, roles, password, disable and enable through the forms", async () => {
    const admin = await device(server);
    await signIn(admin.page, "grace");
    await admin.page.goto("/admin");
    await admin.page.getByLabel("Username", { exact: true }).fill("ivan");
    await admin.page.getByLabel(/^Password/).fill("ivan's first password");
    await admin.page.getByLabel(/^Roles/).fill("support, billing");
    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Create user" }).click()]);
    await admin.page.getByText("User created.").waitFor();
    assert.equal(await admin.page.getByRole("textbox", { name: /^Roles/ }).inputValue(), "support, billing");

    await admin.page.getByRole("textbox", { name: /^Roles/ }).fill("support");
    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Save roles" }).click()]);
    await admin.page.getByText("Roles saved.").waitFor();
    assert.equal(await admin.page.getByRole("textbox", { name: /^Roles/ }).inputValue(), "support");

    // A rule broken shows the rule, on the same page.
    await admin.page.getByRole("textbox", { name: /^Roles/ }).fill("Not A Role!");
    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Save roles" }).click()]);
    assert.match(await admin.page.getByRole("alert").textContent(), /a role is/);

    await admin.page.getByLabel(/^New password/).fill("ivan's second password");
    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Set password" }).click()]);
    await admin.page.getByText(/Password set/).waitFor();
    const ivan = await device(server);
    await signIn(ivan.page, "ivan", "ivan's second password");
    assert.equal(pathOf(ivan.page), "/");

    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Disable account" }).click()]);
    await admin.page.getByText("Account disabled and signed out everywhere.").waitFor();
    await ivan.page.reload();
    await assertSignedOutAt(ivan.page, "revoked");
    await signIn(ivan.page, "ivan", "ivan's second password");
    assert.equal(new URL(ivan.page.url()).searchParams.get("error"), "invalid_credentials");

    await Promise.all([admin.page.waitForNavigation(), admin.page.getByRole("button", { name: "Enable account" }).click()]);
    await admin.page.getByText("Account enabled.").waitFor();
    await signIn(ivan.page, "ivan", "ivan's second password");
    assert.equal(pathOf(ivan.page), "/");

    // The audit table saw it all, with names.
    await admin.page.goto("/admin");
    const events = await admin.page.getByRole("heading", { name: "Recent events" }).locator("..").textContent();
    for (const type of ["user_created", "roles_changed", "password_changed", "user_disabled", "user_enabled"]) {
      assert.ok(events.includes(type), `${type} missing from the audit table`);
    }
    assert.deepEqual(admin.page.problems, []);
    await admin.context.close();
    await ivan.context.close();
  });

  test("a user without the admin role gets a 403 page, and hostile usernames stay text", async () => {
    const grace = await device(server);
    await signIn(grace.page, "grace");
    await grace.page.goto("/admin");
    // Usernames allow most punctuation: make one that is markup.
    server.addUser("<svg/onload=document.title=1>", PASSWORD);
    await grace.page.goto("/admin?q=" + encodeURIComponent("<svg"));
    assert.equal(await grace.page.locator("td svg").count(), 0);
    assert.equal(await grace.page.title(), "Administration · sesame");
    await grace.context.close();

    const heidi = await device(server);
    await signIn(heidi.page, "heidi");
    assert.equal(await heidi.page.getByRole("link", { name: "Admin" }).count(), 0, "no Admin link");
    const res = await heidi.page.goto("/admin");
    assert.equal(res.status(), 403);
    await heidi.page.getByRole("heading", { name: "Administrators only" }).waitFor();
    await heidi.context.close();
  });
});

describe("jwt mode", () => {
  let server;
  before(async () => {
    server = await new SesameServer(BINARY, { auth: { default_mode: "jwt" }, jwt: { access_ttl: "2s", leeway: "0s" } }).start();
    server.addUser("judy", PASSWORD, ["admin"]);
  });
  after(async () => server.stop());

  test("pages renew an expired access JWT through the refresh cookie and carry on", async () => {
    const { context, page } = await device(server);
    await signIn(page, "judy", PASSWORD, { from: "/login?next=%2Fdevices" });
    assert.equal(pathOf(page), "/devices");
    await page.goto("/");
    await page.getByText(/^JWT/).waitFor();
    const sessionId = (await page.locator("#session-id").textContent()).trim();
    const first = (await sessionCookie(context)).value;
    assert.equal(first.split(".").length, 3, "the cookie holds an access JWT");
    const refresh = (await context.cookies()).find((c) => c.name === "sesame_refresh");
    assert.equal(refresh.path, "/v1/auth/refresh");
    assert.equal(refresh.httpOnly, true);

    // Past the access token's life (2 s): the next page renews it and lands where it was going.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const renewed = page.waitForResponse((r) => r.url() === server.url("/v1/auth/refresh"));
    await page.goto("/devices");
    assert.equal((await renewed).status(), 200);
    await page.waitForURL(server.url("/devices"));
    await page.getByRole("heading", { name: "Your devices" }).waitFor();
    const second = (await sessionCookie(context)).value;
    assert.notEqual(second, first, "a new access JWT");
    await page.goto("/");
    assert.equal((await page.locator("#session-id").textContent()).trim(), sessionId, "the same session");
    assert.deepEqual(page.problems, []);

    // Forms work with the derived CSRF token; signing out ends the JWT too.
    await Promise.all([page.waitForNavigation(), page.getByRole("main").getByRole("button", { name: "Sign out", exact: true }).click()]);
    await assertSignedOutAt(page, "signed_out");
    const replay = await server.api("GET", "/v1/auth/verify", { headers: { Authorization: `Bearer ${second}` } });
    assert.equal(replay.status, 401);
    // The token lives 2 s, which a slow run may outlast: within its life it must say revoked;
    // past it, the session itself must be gone from the user's list.
    const exp = JSON.parse(Buffer.from(second.split(".")[1], "base64url").toString()).exp;
    if (replay.json.error !== "session_revoked") {
      assert.equal(replay.json.error, "token_expired");
      assert.ok(Date.now() / 1000 >= exp, "a live token of a signed-out session must say session_revoked");
    }
    const admin = await server.headerLogin("judy", PASSWORD);
    const listed = await server.api("GET", "/v1/sessions", { headers: { Authorization: `Bearer ${admin}` } });
    assert.ok(!listed.json.sessions.some((s) => s.id === sessionId), "the signed-out session is gone");
    await context.close();
  });

  test("an expired access JWT whose session was revoked goes to /login", async () => {
    const { context, page } = await device(server);
    await signIn(page, "judy");
    const token = await server.headerLogin("judy", PASSWORD);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Sign this browser's session out from elsewhere (log out everywhere over the API).
    const out = await server.api("POST", "/v1/auth/logout-all", { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(out.status, 204);
    await page.goto("/devices");
    await page.waitForURL(/\/login\?/);
    await assertSignedOutAt(page, "expired");
    await context.close();
  });
});
