#!/usr/bin/python3
"""HTTP integration tests of sesame's server core in session mode (issue 3), against API.md.

Usage: server_test.py PATH/TO/sesame [unittest options, e.g. -v or a test name]
Environment: SESAME_TEST_KEEP=1 keeps each server's temporary directory (config, logs, data);
SESAME_TEST_EXTRA_CONFIG adds TOML to every server's configuration.

Each TestCase class starts its own `sesame serve` (fresh temporary data directory, port 0) in
setUpClass and stops it in tearDownClass (SIGTERM, exit code 0 asserted), then checks that no
password or token the tests used reached the server's stdout/stderr. Standard library only.
"""

import json
import os
import re
import secrets as pyrandom
import socket
import statistics
import sys
import threading
import time
import unittest
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sesame_server import (  # noqa: E402
    CHEAP_PASSWORD_CONFIG, SesameServer, describe_exit, merge_config, parse_responses,
    read_responses, read_until_closed)

BINARY = os.environ.get("SESAME_TEST_BINARY", "")
KEEP_TMP = bool(os.environ.get("SESAME_TEST_KEEP"))  # keep temporary dirs and logs
# Extra TOML merged into every server's configuration, to narrow a failure down by hand
# (e.g. $'[server]\nio_threads = 1'); applied before each class's own settings.
EXTRA_CONFIG = os.environ.get("SESAME_TEST_EXTRA_CONFIG", "")

# Cheap argon2id, and a per-IP login budget no test reaches unless it means to.
BASE_CONFIG = merge_config(CHEAP_PASSWORD_CONFIG,
                           {"limits": {"login_attempts_per_ip": "100000 per 1m"}}, EXTRA_CONFIG)

ADMIN_NAME = "admin"
ADMIN_PASSWORD = "admin-pw-" + pyrandom.token_urlsafe(12)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 256 bits, base64url without padding

REPORT = {}  # numbers worth printing at the end (timings)

_names = iter(range(1, 1 << 30))


def unique_name(prefix="user"):
    return "%s%d-%s" % (prefix, next(_names), pyrandom.token_hex(3))


def full_width(text):
    """ASCII letters, digits and punctuation as their full-width forms (U+FF01-U+FF5E), which
    NFKC maps back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def new_password():
    return "pw-" + pyrandom.token_urlsafe(15)


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate() until it returns a true value or timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def align_to_second_start():
    """Sleeps until just after a wall-clock second boundary, so a few quick requests that
    follow fall in the same whole second (the server counts time in whole seconds)."""
    while True:
        frac = time.time() % 1.0
        if 0.02 <= frac < 0.4:
            return
        time.sleep((1.0 - frac) + 0.03 if frac >= 0.4 else 0.02 - frac)


def loopback_source(third_octet):
    """A source address in another loopback /24, or None if this host cannot bind it."""
    address = "127.0.%d.1" % third_octet
    try:
        with socket.socket() as s:
            s.bind((address, 0))
    except OSError:
        return None
    return (address, 0)


class Client:
    """A logged-in session: sends its credentials (and CSRF proof on unsafe cookie requests)."""

    def __init__(self, server, response, transport, cookie_name="sesame_session"):
        self.server = server
        self.transport = transport
        self.cookie_name = cookie_name
        self.login_response = response
        body = response.json
        self.session_id = body["session"]["id"]
        self.user_id = body["user"]["id"]
        if transport == "cookie":
            self.token = response.cookies()[cookie_name][0]
            self.csrf = body["csrf_token"]
        else:
            self.token = body["session_token"]
            self.csrf = None

    @property
    def bearer(self):
        return self.transport == "header"

    def auth(self, unsafe=False):
        if self.transport == "cookie":
            headers = {"Cookie": "%s=%s" % (self.cookie_name, self.token)}
            if unsafe:
                headers["X-CSRF-Token"] = self.csrf
                headers["Origin"] = self.server.origin
            return headers
        return {"Authorization": "Bearer " + self.token}

    def request(self, method, path, headers=None, **kwargs):
        merged = self.auth(unsafe=method not in ("GET", "HEAD", "OPTIONS"))
        merged.update(headers or {})
        return self.server.request(method, path, headers=merged, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def me(self):
        return self.get("/v1/auth/me")


def require_binary():
    if not BINARY:
        raise unittest.SkipTest("no sesame binary given (server_test.py PATH/TO/sesame)")
    if not (os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)):
        raise unittest.SkipTest("sesame binary %s is missing or not executable" % BINARY)


class ServerTestCase(unittest.TestCase):
    """One server per class. CONFIG is merged over BASE_CONFIG."""

    CONFIG = {}
    COOKIE_NAME = "sesame_session"
    server = None

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.server = SesameServer(BINARY, config=merge_config(BASE_CONFIG, cls.CONFIG))
        try:
            cls.server.add_user(ADMIN_NAME, ADMIN_PASSWORD, roles=["admin"])
            r = cls.server.request("POST", "/v1/auth/login", json={
                "username": ADMIN_NAME, "password": ADMIN_PASSWORD, "transport": "header"})
            assert r.status == 200, r
            cls.admin = Client(cls.server, r, "header")
            cls.setUpServer()
        except BaseException:
            cls.server.close(remove=not KEEP_TMP)
            raise

    @classmethod
    def setUpServer(cls):
        pass

    def setUp(self):
        # A server that died in an earlier test is started again (same data directory), so
        # that one crash shows up once rather than as every later test of the class failing.
        self.server.revive()

    def tearDown(self):
        code = self.server.died()
        if code is not None:
            self.fail("sesame serve %s during this test; stderr:\n%s"
                      % (describe_exit(code), self.server.stderr()[-2000:]))

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        if server is None:
            return
        try:
            server.stop()
            if server.crashes:
                raise AssertionError("sesame serve died %d time(s) in %s: %s" % (
                    len(server.crashes), cls.__name__,
                    ", ".join(describe_exit(c) for c in server.crashes)))
            leaked = server.leaked_secrets()
            if leaked:
                raise AssertionError("secrets in the server's logs (%s): %s"
                                     % (server.tmp, [s[:12] + "..." for s in leaked]))
        finally:
            server.close(remove=not KEEP_TMP)

    # -- helpers ------------------------------------------------------------------------------

    def assertError(self, r, status, code, bearer=False):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers)
        self.assertIsInstance(r.json, dict, r)
        self.assertEqual(set(r.json), {"error", "message"}, r.json)
        self.assertEqual(r.json["error"], code, r.json)
        self.assertIsInstance(r.json["message"], str)
        self.assertTrue(r.json["message"])
        if bearer and status == 401:
            challenge = r.headers.get("WWW-Authenticate")
            self.assertIsNotNone(challenge, "401 for a bearer request lacks WWW-Authenticate")
            self.assertRegex(challenge, r'^Bearer (.*, ?)?error="invalid_token"')
            self.assertIn("error_description=", challenge)
        if status == 429:
            self.assertRegex(r.headers.get("Retry-After", ""), r"^[1-9][0-9]*$")

    def login(self, username, password, transport="header", headers=None, source_address=None,
              **extra):
        body = {"username": username, "password": password, "transport": transport}
        body.update(extra)
        merged = {}
        if transport == "cookie":
            merged["Origin"] = self.server.origin
        merged.update(headers or {})
        return self.server.request("POST", "/v1/auth/login", json=body, headers=merged,
                                   source_address=source_address)

    def session(self, username, password, transport="header", **kwargs):
        r = self.login(username, password, transport, **kwargs)
        self.assertEqual(r.status, 200, r)
        return Client(self.server, r, transport, self.COOKIE_NAME)

    def new_user(self, roles=(), name=None, password=None):
        """Creates a user through the admin API; returns (name, password, user id)."""
        name = name or unique_name()
        password = password or new_password()
        r = self.admin.request("POST", "/v1/admin/users",
                               json={"username": name, "password": password, "roles": list(roles)})
        self.assertEqual(r.status, 201, r)
        return name, password, r.json["user"]["id"]

    def assertRevoked(self, client):
        self.assertError(client.me(), 401, "session_revoked", bearer=client.bearer)

    def assertVerified(self, r, user_id, username, roles, session_id):
        """A 200 from /v1/auth/verify with the identity headers of API.md."""
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("X-Sesame-User-Id"), user_id)
        self.assertEqual(r.headers.get("X-Sesame-Username"), username)
        self.assertEqual(r.headers.get("X-Sesame-Roles"), roles)
        self.assertEqual(r.headers.get("X-Sesame-Session-Id"), session_id)

    def assertAlive(self, client):
        r = client.me()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["session"]["id"], client.session_id)


# ------------------------------------------------------------------------------------------------
# Login
# ------------------------------------------------------------------------------------------------

class LoginTest(ServerTestCase):
    CONFIG = {"server": {"allowed_origins": ["https://app.example.test"]}}

    @classmethod
    def setUpServer(cls):
        cls.name, cls.password = "alice", "alice-pw-" + pyrandom.token_urlsafe(10)
        cls.server.add_user(cls.name, cls.password, roles=["reader"])

    def test_header_transport_returns_token_in_body_and_no_cookie(self):
        r = self.login(self.name, self.password, "header")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(r.headers.get_all("Set-Cookie"), [])
        body = r.json
        self.assertEqual(body["user"]["username"], self.name)
        self.assertEqual(body["user"]["roles"], ["reader"])
        self.assertIsInstance(body["user"]["id"], str)
        session = body["session"]
        self.assertEqual(session["mode"], "session")
        self.assertIsInstance(session["id"], str)
        self.assertIsInstance(session["created_at"], int)
        self.assertIsInstance(session["expires_at"], int)
        self.assertLessEqual(abs(session["created_at"] - time.time()), 5)
        self.assertGreater(session["expires_at"], session["created_at"])
        self.assertRegex(body["session_token"], TOKEN_RE)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertIsInstance(body["expires_in"], int)
        self.assertTrue(0 < body["expires_in"] <= 30 * 60, body["expires_in"])
        self.assertNotIn("csrf_token", body)
        client = Client(self.server, r, "header")
        self.assertAlive(client)

    def test_cookie_transport_sets_cookie_and_keeps_secret_out_of_body(self):
        r = self.login(self.name, self.password, "cookie")
        self.assertEqual(r.status, 200, r)
        cookies = r.cookies()
        # The session cookie, and the device cookie of API.md (a known device for this account).
        self.assertEqual(list(cookies), ["sesame_session", "sesame_device"],
                         r.headers.get_all("Set-Cookie"))
        device, device_attrs = cookies["sesame_device"]
        self.assertIn("httponly", device_attrs)
        self.assertEqual(device_attrs.get("path"), "/")
        self.assertEqual(device_attrs.get("max-age"), str(365 * 86400))
        self.assertNotIn(device, r.text)
        token, attrs = cookies["sesame_session"]
        self.assertRegex(token, TOKEN_RE)
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite"), "Lax")
        self.assertEqual(attrs.get("path"), "/")
        self.assertNotIn("secure", attrs, "Secure on plain-http loopback")
        self.assertNotIn("domain", attrs)
        body = r.json
        self.assertNotIn("session_token", body)
        self.assertNotIn("access_token", body)
        self.assertNotIn("refresh_token", body)
        self.assertNotIn(token, r.text)
        self.assertRegex(body["csrf_token"], TOKEN_RE)
        self.assertNotEqual(body["csrf_token"], token)
        self.assertEqual(body["session"]["mode"], "session")
        client = Client(self.server, r, "cookie")
        me = client.me()
        self.assertEqual(me.status, 200, me)
        self.assertNotIn(token, me.text)

    def test_default_transport_is_cookie(self):
        r = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                json={"username": self.name, "password": self.password})
        self.assertEqual(r.status, 200, r)
        self.assertIn("sesame_session", r.cookies())
        self.assertNotIn("session_token", r.json)

    def test_remember_keeps_cookie_for_the_absolute_lifetime(self):
        r = self.login(self.name, self.password, "cookie", remember=True)
        self.assertEqual(r.status, 200, r)
        _, attrs = r.cookies()["sesame_session"]
        self.assertIn("max-age", attrs, "a remembered login got a browser-session cookie")
        # session.remember_timeout (30 days by default) is the remembered session's lifetime.
        self.assertTrue(30 * 86400 - 10 <= int(attrs["max-age"]) <= 30 * 86400, attrs["max-age"])
        self.assertEqual(r.json["session"]["absolute_expires_at"] - r.json["session"]["created_at"],
                         30 * 86400)
        plain = self.login(self.name, self.password, "cookie")
        self.assertNotIn("max-age", plain.cookies()["sesame_session"][1])
        self.assertEqual(plain.json["session"]["absolute_expires_at"]
                         - plain.json["session"]["created_at"], 14 * 86400)

    def test_cookie_login_checks_origin(self):
        body = {"username": self.name, "password": self.password, "transport": "cookie"}
        cases = [
            ("no Origin, no Referer", {}),
            ("foreign Origin", {"Origin": "https://evil.example"}),
            ("Origin null", {"Origin": "null"}),
            ("own host, other port", {"Origin": "http://127.0.0.1:1"}),
            ("foreign Referer", {"Referer": "https://evil.example/login"}),
        ]
        for label, headers in cases:
            with self.subTest(label):
                r = self.server.request("POST", "/v1/auth/login", json=body, headers=headers)
                self.assertError(r, 403, "csrf_failed")
                self.assertEqual(r.headers.get_all("Set-Cookie"), [])
        for label, headers in [
                ("own Origin", {"Origin": self.server.origin}),
                ("own Referer", {"Referer": self.server.origin + "/login?x=1"}),
                ("allowed origin", {"Origin": "https://app.example.test"})]:
            with self.subTest(label):
                r = self.server.request("POST", "/v1/auth/login", json=body, headers=headers)
                self.assertEqual(r.status, 200, r)
                self.assertIn("sesame_session", r.cookies())

    def test_header_login_needs_no_origin(self):
        r = self.server.request("POST", "/v1/auth/login", json={
            "username": self.name, "password": self.password, "transport": "header"},
            headers={"Origin": "https://evil.example"})
        self.assertEqual(r.status, 200, r)

    def test_each_login_creates_a_new_session_and_token(self):
        a = self.session(self.name, self.password, "header")
        b = self.session(self.name, self.password, "header")
        self.assertNotEqual(a.session_id, b.session_id)
        self.assertNotEqual(a.token, b.token)
        c = self.session(self.name, self.password, "cookie")
        d = self.session(self.name, self.password, "cookie")
        self.assertNotEqual(c.session_id, d.session_id)
        self.assertNotEqual(c.token, d.token)
        self.assertNotEqual(c.csrf, d.csrf)
        for client in (a, b, c, d):
            self.assertAlive(client)

    def test_cookie_sent_at_login_is_ignored(self):
        existing = self.session(self.name, self.password, "cookie")
        planted = pyrandom.token_urlsafe(32)
        for label, value in (("a live session cookie", existing.token),
                             ("an attacker-chosen value", planted)):
            with self.subTest(label):
                r = self.login(self.name, self.password, "cookie",
                               headers={"Cookie": "sesame_session=" + value})
                self.assertEqual(r.status, 200, r)
                new_token = r.cookies()["sesame_session"][0]
                self.assertNotEqual(new_token, value)
                self.assertNotEqual(r.json["session"]["id"], existing.session_id)
        r = self.server.request("GET", "/v1/auth/me",
                                headers={"Cookie": "sesame_session=" + planted})
        self.assertError(r, 401, "invalid_token")

    def test_invalid_request(self):
        ok_name, ok_pw = self.name, self.password
        json_cases = [
            ("username missing", {"password": ok_pw}),
            ("password missing", {"username": ok_name}),
            ("username null", {"username": None, "password": ok_pw}),
            ("username a number", {"username": 42, "password": ok_pw}),
            ("password a number", {"username": ok_name, "password": 12345678}),
            ("password a list", {"username": ok_name, "password": [ok_pw]}),
            ("remember a string", {"username": ok_name, "password": ok_pw, "remember": "yes"}),
            ("transport unknown", {"username": ok_name, "password": ok_pw, "transport": "pigeon"}),
            ("transport a number", {"username": ok_name, "password": ok_pw, "transport": 1}),
            ("mode unknown", {"username": ok_name, "password": ok_pw, "mode": "magic"}),
            ("mode a number", {"username": ok_name, "password": ok_pw, "mode": 1}),
            ("username empty", {"username": "", "password": ok_pw}),
            ("username with a space", {"username": "al ice", "password": ok_pw}),
            ("username with a control character", {"username": "ali\x01ce", "password": ok_pw}),
            ("username 65 characters", {"username": "a" * 65, "password": ok_pw}),
            ("password 7 characters", {"username": ok_name, "password": "x" * 7}),
            ("password 1025 characters", {"username": ok_name, "password": "x" * 1025}),
        ]
        for label, body in json_cases:
            with self.subTest(label):
                body = dict(body)
                body.setdefault("transport", "header")
                r = self.server.request("POST", "/v1/auth/login", json=body)
                self.assertError(r, 400, "invalid_request")
        raw_cases = [
            ("malformed JSON", "application/json", b'{"username": "alice", '),
            ("JSON array", "application/json", b'["alice", "pw"]'),
            ("JSON string", "application/json", b'"alice"'),
            ("empty body", "application/json", b""),
            ("invalid UTF-8 in a JSON string", "application/json",
             b'{"username":"al\xffice","password":"12345678","transport":"header"}'),
            ("text/plain", "text/plain", b'{"username":"alice","password":"12345678"}'),
            ("no Content-Type", None, b'{"username":"alice","password":"12345678"}'),
        ]
        for label, ctype, body in raw_cases:
            with self.subTest(label):
                headers = {"Content-Type": ctype} if ctype else {}
                r = self.server.request("POST", "/v1/auth/login", headers=headers, body=body)
                self.assertError(r, 400, "invalid_request")

    def test_shape_boundaries_are_not_invalid_request(self):
        # 64-character username and 8- and 1024-character passwords have a valid shape: an
        # unknown user answers invalid_credentials, not invalid_request.
        for label, username, password in [("64-char username", "b" * 64, "x" * 8),
                                          ("1024-char password", unique_name(), "y" * 1024)]:
            with self.subTest(label):
                r = self.login(username, password)
                self.assertError(r, 401, "invalid_credentials")

    def test_invalid_credentials_are_indistinguishable(self):
        name, password, user_id = self.new_user()
        disabled_name, disabled_password, disabled_id = self.new_user()
        r = self.admin.request("PATCH", "/v1/admin/users/" + disabled_id,
                               json={"disabled": True})
        self.assertEqual(r.status, 200, r)
        for transport in ("header", "cookie"):
            answers = {
                "unknown user": self.login(unique_name("ghost"), password, transport),
                "wrong password": self.login(name, password + "x", transport),
                "disabled account (right password)": self.login(disabled_name,
                                                                disabled_password, transport),
            }
            bodies = set()
            for label, r in answers.items():
                with self.subTest(transport=transport, case=label):
                    self.assertError(r, 401, "invalid_credentials")
                    self.assertEqual(r.headers.get_all("Set-Cookie"), [])
                    # RFC 9110: a 401 names its scheme; no error attribute, since no bearer
                    # token was sent, and the same for every kind of failure.
                    self.assertEqual(r.headers.get("WWW-Authenticate"), 'Bearer realm="sesame"')
                    bodies.add(r.body)
            self.assertEqual(len(bodies), 1, bodies)
            header_names = {label: sorted(k for k in r.headers._values)
                            for label, r in answers.items()}
            self.assertEqual(len({tuple(v) for v in header_names.values()}), 1, header_names)
        # The user who only mistyped can still log in.
        self.assertEqual(self.login(name, password).status, 200)

    def test_username_is_nfkc_and_case_insensitive(self):
        composed = unicodedata.normalize("NFC", "\u00c9mile" + unique_name(""))
        name, password, _ = self.new_user(name=composed)
        for label, variant in [("as created", name),
                               ("lower case", name.lower()),
                               ("upper case", name.upper()),
                               ("decomposed (NFD)", unicodedata.normalize("NFD", name)),
                               ("full-width (NFKC)", full_width(name)),
                               ("full-width upper case", full_width(name.upper()))]:
            with self.subTest(label):
                r = self.login(variant, password)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["user"]["username"], name)

    def test_form_login_success_redirects_home_with_cookie(self):
        r = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                form={"username": self.name, "password": self.password})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("Location"), "/")
        token, attrs = r.cookies()["sesame_session"]
        self.assertRegex(token, TOKEN_RE)
        self.assertIn("httponly", attrs)
        self.assertNotIn(token, r.text)
        me = self.server.request("GET", "/v1/auth/me", headers={"Cookie": "sesame_session=" + token})
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json["session"]["transport"], "cookie")

    def test_form_login_failure_redirects_back_to_login(self):
        for label, form in [("wrong password", {"username": self.name, "password": "wrong-pass"}),
                            ("unknown user", {"username": unique_name(), "password": "wrong-pass"})]:
            with self.subTest(label):
                r = self.server.request("POST", "/v1/auth/login",
                                        headers={"Origin": self.server.origin}, form=form)
                self.assertEqual(r.status, 303, r)
                self.assertEqual(r.headers.get("Location"), "/login?error=invalid_credentials")
                self.assertEqual(r.headers.get_all("Set-Cookie"), [])

    def test_malformed_form_redirects_with_invalid_request(self):
        r = self.server.request("POST", "/v1/auth/login", body=b"username=%zz&password=x",
                                headers={"Origin": self.server.origin,
                                         "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("Location"), "/login?error=invalid_request")
        self.assertEqual(r.headers.get_all("Set-Cookie"), [])

    def test_form_login_checks_origin(self):
        form = {"username": self.name, "password": self.password}
        for label, headers in [("no Origin", {}), ("foreign Origin",
                                                   {"Origin": "https://evil.example"})]:
            with self.subTest(label):
                r = self.server.request("POST", "/v1/auth/login", headers=headers, form=form)
                self.assertEqual(r.headers.get_all("Set-Cookie"), [], "a cross-site form logged in")
                # Either answer refuses; the form convention redirects, the table says 403.
                if r.status == 303:
                    self.assertEqual(r.headers.get("Location"), "/login?error=csrf_failed")
                else:
                    self.assertError(r, 403, "csrf_failed")

    def test_form_login_goes_on_to_a_safe_next_only(self):
        cases = [("/devices", "/devices"), ("/admin/users/u_1?done=x", "/admin/users/u_1?done=x"),
                 ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
                 ("javascript:alert(1)", "/"), ("/login", "/"), ("", "/")]
        for next_path, landing in cases:
            with self.subTest(next=next_path):
                r = self.server.request("POST", "/v1/auth/login",
                                        headers={"Origin": self.server.origin},
                                        form={"username": self.name, "password": self.password,
                                              "next": next_path})
                self.assertEqual(r.status, 303, r)
                self.assertEqual(r.headers.get("Location"), landing)

    def test_form_login_failure_keeps_next(self):
        r = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                form={"username": self.name, "password": "wrong-pass",
                                      "next": "/devices?x=1"})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("Location"),
                         "/login?error=invalid_credentials&next=%2Fdevices%3Fx%3D1")
        page = self.server.request("GET", r.headers.get("Location"))
        self.assertEqual(page.status, 200, page)
        self.assertIn('name="next" value="/devices?x=1"', page.text)
        self.assertIn("username and password do not match", page.text)
        hostile = self.server.request("GET", "/login?next=%22%3E%3Cscript%3E")
        self.assertNotIn("<script>", hostile.text)
        self.assertIn('name="next" value="/"', hostile.text)

    def test_pages_without_a_session_send_to_login(self):
        for path, location in [("/", "/login"), ("/devices", "/login?next=%2Fdevices"),
                               ("/admin?q=a", "/login?next=%2Fadmin%3Fq%3Da")]:
            with self.subTest(path=path):
                r = self.server.request("GET", path)
                self.assertEqual(r.status, 303, r)
                self.assertEqual(r.headers.get("Location"), location)
        # A dead cookie is dropped on the way.
        r = self.server.request("GET", "/devices", headers={"Cookie": "sesame_session=" + "A" * 43})
        self.assertEqual(r.status, 303, r)
        self.assertIn("sesame_session", r.cookies())
        self.assertEqual(r.cookies()["sesame_session"][0], "")

    def test_page_forms_need_the_csrf_field_and_our_origin(self):
        r = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                form={"username": self.name, "password": self.password})
        token = r.cookies()["sesame_session"][0]
        me = self.server.request("GET", "/v1/auth/me", headers={"Cookie": "sesame_session=" + token})
        csrf = me.json["csrf_token"]
        cookie = {"Cookie": "sesame_session=" + token}
        for label, headers, form in [
                ("no token", {"Origin": self.server.origin}, {}),
                ("wrong token", {"Origin": self.server.origin}, {"csrf_token": csrf[:-1] + "x"}),
                ("header, not field", {"Origin": self.server.origin, "X-CSRF-Token": csrf}, {}),
                ("foreign origin", {"Origin": "http://evil.example"}, {"csrf_token": csrf}),
                ("no origin", {}, {"csrf_token": csrf})]:
            with self.subTest(label):
                r = self.server.request("POST", "/logout", headers={**cookie, **headers}, form=form)
                self.assertEqual(r.status, 403, r)
                self.assertIn("text/html", r.headers.get("Content-Type"))
                self.assertEqual(self.server.request("GET", "/v1/auth/me", headers=cookie).status,
                                 200)
        r = self.server.request("POST", "/logout", headers={**cookie, "Origin": self.server.origin},
                                form={"csrf_token": csrf})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("Location"), "/login?reason=signed_out")
        self.assertError(self.server.request("GET", "/v1/auth/me", headers=cookie), 401,
                         "session_revoked")


# ------------------------------------------------------------------------------------------------
# The session's life: me, verify, logout, sessions
# ------------------------------------------------------------------------------------------------

class SessionTest(ServerTestCase):

    def test_me_with_cookie(self):
        name, password, user_id = self.new_user(roles=["viewer"])
        c = self.session(name, password, "cookie", headers={"User-Agent": "it-browser/1"})
        r = c.me()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"], {"id": user_id, "username": name, "roles": ["viewer"]})
        s = r.json["session"]
        self.assertEqual(s["id"], c.session_id)
        self.assertEqual(s["mode"], "session")
        self.assertEqual(s["transport"], "cookie")
        for key in ("created_at", "last_seen_at", "expires_at"):
            self.assertIsInstance(s[key], int, key)
        self.assertLessEqual(s["created_at"], s["last_seen_at"])
        self.assertLess(s["last_seen_at"], s["expires_at"])
        self.assertEqual(r.json["csrf_token"], c.csrf)
        self.assertNotIn("session_token", r.json)
        self.assertNotIn(c.token, r.text)

    def test_me_with_bearer(self):
        name, password, user_id = self.new_user()
        c = self.session(name, password, "header")
        r = c.me()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["id"], user_id)
        self.assertEqual(r.json["session"]["transport"], "header")
        self.assertNotIn("csrf_token", r.json)
        self.assertNotIn(c.token, r.text)

    def test_missing_credentials(self):
        for method, path in [("GET", "/v1/auth/me"), ("GET", "/v1/auth/verify"),
                             ("GET", "/v1/sessions"), ("POST", "/v1/auth/logout"),
                             ("POST", "/v1/auth/logout-all"), ("DELETE", "/v1/sessions/s_x"),
                             ("GET", "/v1/admin/users")]:
            with self.subTest(method=method, path=path):
                r = self.server.request(method, path, headers={"Origin": self.server.origin})
                self.assertError(r, 401, "missing_credentials")
        with self.subTest("a cookie header without the session cookie"):
            r = self.server.request("GET", "/v1/auth/me", headers={"Cookie": "other=1; x=y"})
            self.assertError(r, 401, "missing_credentials")

    def test_invalid_token(self):
        cases = [
            ("unknown token", pyrandom.token_urlsafe(32)),
            ("garbage", "!!not*a*token!!"),
            ("JWT-shaped", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
            ("8193 bytes", "A" * 8193),
            ("64 KiB-ish but inside the head limit", "B" * 15000),
        ]
        for label, token in cases:
            with self.subTest("bearer: " + label):
                r = self.server.request("GET", "/v1/auth/me",
                                        headers={"Authorization": "Bearer " + token})
                self.assertError(r, 401, "invalid_token", bearer=True)
            with self.subTest("cookie: " + label):
                r = self.server.request("GET", "/v1/auth/me",
                                        headers={"Cookie": "sesame_session=" + token})
                self.assertError(r, 401, "invalid_token")
        with self.subTest("verify with an unknown bearer token"):
            r = self.server.request("GET", "/v1/auth/verify",
                                    headers={"Authorization": "Bearer " + "C" * 43})
            self.assertError(r, 401, "invalid_token", bearer=True)
            self.assertNotIn("X-Sesame-User-Id", r.headers)

    def test_verify(self):
        name, password, user_id = self.new_user(roles=["editor", "ops"])
        for transport in ("header", "cookie"):
            with self.subTest(transport):
                c = self.session(name, password, transport)
                self.assertVerified(c.get("/v1/auth/verify"), user_id, name, "editor,ops",
                                    c.session_id)
                self.assertEqual(c.get("/v1/auth/verify?role=ops").status, 200)
                self.assertError(c.get("/v1/auth/verify?role=admin"), 403, "forbidden")
                self.assertError(c.get("/v1/auth/verify?role=edit"), 403, "forbidden")
        r = self.server.request("GET", "/v1/auth/verify?role=admin")
        self.assertError(r, 401, "missing_credentials")

    def test_logout_with_cookie_clears_cookie_and_revokes(self):
        name, password, _ = self.new_user()
        c = self.session(name, password, "cookie")
        other = self.session(name, password, "cookie")
        r = c.request("POST", "/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        cookies = r.cookies()
        self.assertIn("sesame_session", cookies, r.headers.get_all("Set-Cookie"))
        value, attrs = cookies["sesame_session"]
        self.assertEqual(value, "")
        self.assertEqual(attrs.get("max-age"), "0")
        self.assertEqual(attrs.get("path"), "/")
        self.assertIn("httponly", attrs)
        self.assertRevoked(c)
        self.assertError(c.get("/v1/auth/verify"), 401, "session_revoked")
        self.assertError(c.request("POST", "/v1/auth/logout"), 401, "session_revoked")
        self.assertAlive(other)

    def test_logout_with_bearer(self):
        name, password, _ = self.new_user()
        c = self.session(name, password, "header")
        r = c.request("POST", "/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers.get_all("Set-Cookie"), [])
        self.assertRevoked(c)
        self.assertError(c.get("/v1/auth/verify"), 401, "session_revoked", bearer=True)

    def test_logout_all(self):
        name, password, _ = self.new_user()
        mine = [self.session(name, password, "header"), self.session(name, password, "cookie"),
                self.session(name, password, "header")]
        other_name, other_password, _ = self.new_user()
        someone_else = self.session(other_name, other_password, "header")
        r = mine[1].request("POST", "/v1/auth/logout-all")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.cookies().get("sesame_session", ("x", {}))[0], "")
        for c in mine:
            self.assertRevoked(c)
        self.assertAlive(someone_else)
        # Logging in again works.
        self.assertAlive(self.session(name, password, "header"))

    def test_list_sessions(self):
        name, password, user_id = self.new_user()
        a = self.session(name, password, "cookie", headers={"User-Agent": "it-agent-A"})
        b = self.session(name, password, "header", headers={"User-Agent": "it-agent-B"})
        gone = self.session(name, password, "header")
        self.assertEqual(gone.request("POST", "/v1/auth/logout").status, 204)
        r = b.get("/v1/sessions")
        self.assertEqual(r.status, 200, r)
        sessions = {s["id"]: s for s in r.json["sessions"]}
        self.assertEqual(set(sessions), {a.session_id, b.session_id})
        for s in sessions.values():
            self.assertEqual(set(s) >= {"id", "mode", "transport", "created_at", "last_seen_at",
                                        "expires_at", "ip", "user_agent", "current"}, True, s)
            self.assertEqual(s["mode"], "session")
            self.assertEqual(s["ip"], "127.0.0.1")
            self.assertNotIn(a.token, json.dumps(s))
            self.assertNotIn(b.token, json.dumps(s))
        self.assertEqual(sessions[a.session_id]["transport"], "cookie")
        self.assertEqual(sessions[a.session_id]["user_agent"], "it-agent-A")
        self.assertFalse(sessions[a.session_id]["current"])
        self.assertEqual(sessions[b.session_id]["transport"], "header")
        self.assertEqual(sessions[b.session_id]["user_agent"], "it-agent-B")
        self.assertTrue(sessions[b.session_id]["current"])
        r = a.get("/v1/sessions")
        self.assertEqual({s["id"]: s["current"] for s in r.json["sessions"]},
                         {a.session_id: True, b.session_id: False})

    def test_delete_own_session(self):
        name, password, _ = self.new_user()
        a = self.session(name, password, "header")
        b = self.session(name, password, "header")
        r = a.request("DELETE", "/v1/sessions/" + b.session_id)
        self.assertEqual(r.status, 204, r)
        self.assertRevoked(b)
        self.assertAlive(a)
        # Deleting it again: it is no longer a live session of the caller.
        self.assertError(a.request("DELETE", "/v1/sessions/" + b.session_id), 404, "not_found")

    def test_delete_current_cookie_session_clears_cookie(self):
        name, password, _ = self.new_user()
        c = self.session(name, password, "cookie")
        r = c.request("DELETE", "/v1/sessions/" + c.session_id)
        self.assertEqual(r.status, 204, r)
        value, attrs = r.cookies()["sesame_session"]
        self.assertEqual((value, attrs.get("max-age")), ("", "0"))
        self.assertRevoked(c)

    def test_delete_someone_elses_session_is_not_found(self):
        name, password, _ = self.new_user()
        mine = self.session(name, password, "header")
        other_name, other_password, _ = self.new_user()
        theirs = self.session(other_name, other_password, "cookie")
        for label, sid in [("someone else's", theirs.session_id), ("unknown", "s_doesnotexist"),
                           ("garbage", "..%2F..")]:
            with self.subTest(label):
                self.assertError(mine.request("DELETE", "/v1/sessions/" + sid), 404, "not_found")
        # The same answer as for a missing one (no oracle), and the session is untouched.
        a = mine.request("DELETE", "/v1/sessions/" + theirs.session_id)
        b = mine.request("DELETE", "/v1/sessions/s_doesnotexist")
        self.assertEqual(a.body, b.body)
        self.assertAlive(theirs)
        # Cookie-authenticated with the CSRF proof: same.
        cookie_self = self.session(name, password, "cookie")
        self.assertError(cookie_self.request("DELETE", "/v1/sessions/" + theirs.session_id),
                         404, "not_found")

    def test_registration_is_closed_by_default(self):
        r = self.server.request("POST", "/v1/users",
                                json={"username": unique_name(), "password": new_password()})
        self.assertError(r, 403, "forbidden")


# ------------------------------------------------------------------------------------------------
# CSRF
# ------------------------------------------------------------------------------------------------

class CsrfTest(ServerTestCase):
    CONFIG = {"server": {"allowed_origins": ["https://app.example.test"]}}

    def cookie_session(self):
        name, password, _ = self.new_user()
        return self.session(name, password, "cookie")

    def test_unsafe_cookie_requests_need_token_and_origin(self):
        c = self.cookie_session()
        cookie = {"Cookie": "sesame_session=" + c.token}
        own = self.server.origin
        cases = [
            ("no X-CSRF-Token", {"Origin": own}),
            ("empty X-CSRF-Token", {"Origin": own, "X-CSRF-Token": ""}),
            ("wrong X-CSRF-Token", {"Origin": own, "X-CSRF-Token": pyrandom.token_urlsafe(32)}),
            ("token of another session", {"Origin": own,
                                          "X-CSRF-Token": self.cookie_session().csrf}),
            ("foreign Origin", {"Origin": "https://evil.example", "X-CSRF-Token": c.csrf}),
            ("Origin null", {"Origin": "null", "X-CSRF-Token": c.csrf}),
            ("own host, other scheme", {"Origin": "https://" + self.server.host,
                                        "X-CSRF-Token": c.csrf}),
            ("no Origin and no Referer", {"X-CSRF-Token": c.csrf}),
            ("foreign Referer only", {"Referer": "https://evil.example/page",
                                      "X-CSRF-Token": c.csrf}),
            ("Origin foreign although Referer own", {"Origin": "https://evil.example",
                                                     "Referer": own + "/devices",
                                                     "X-CSRF-Token": c.csrf}),
        ]
        for method, path in [("POST", "/v1/auth/logout"), ("POST", "/v1/auth/logout-all"),
                             ("DELETE", "/v1/sessions/" + c.session_id)]:
            for label, extra in cases:
                with self.subTest(method=method, path=path, case=label):
                    headers = dict(cookie)
                    headers.update(extra)
                    r = self.server.request(method, path, headers=headers)
                    self.assertError(r, 403, "csrf_failed")
                    self.assertEqual(r.headers.get_all("Set-Cookie"), [])
        # None of that touched the session.
        self.assertAlive(c)
        r = c.get("/v1/auth/verify")
        self.assertEqual(r.status, 200, r)

    def test_referer_stands_in_for_a_missing_origin(self):
        c = self.cookie_session()
        r = self.server.request("POST", "/v1/auth/logout", headers={
            "Cookie": "sesame_session=" + c.token, "X-CSRF-Token": c.csrf,
            "Referer": self.server.origin + "/devices?x=1"})
        self.assertEqual(r.status, 204, r)
        self.assertRevoked(c)

    def test_allowed_origin_passes(self):
        c = self.cookie_session()
        r = self.server.request("POST", "/v1/auth/logout", headers={
            "Cookie": "sesame_session=" + c.token, "X-CSRF-Token": c.csrf,
            "Origin": "https://app.example.test"})
        self.assertEqual(r.status, 204, r)

    def test_csrf_token_from_me_works(self):
        c = self.cookie_session()
        csrf = c.me().json["csrf_token"]
        r = self.server.request("POST", "/v1/auth/logout", headers={
            "Cookie": "sesame_session=" + c.token, "X-CSRF-Token": csrf,
            "Origin": self.server.origin})
        self.assertEqual(r.status, 204, r)

    def test_safe_methods_need_no_csrf(self):
        c = self.cookie_session()
        for path in ("/v1/auth/me", "/v1/auth/verify", "/v1/sessions"):
            with self.subTest(path):
                r = self.server.request("GET", path, headers={
                    "Cookie": "sesame_session=" + c.token, "Origin": "https://evil.example"})
                self.assertEqual(r.status, 200, r)

    def test_bearer_needs_no_csrf(self):
        name, password, _ = self.new_user()
        b = self.session(name, password, "header")
        other = self.session(name, password, "header")
        r = self.server.request("DELETE", "/v1/sessions/" + other.session_id, headers={
            "Authorization": "Bearer " + b.token, "Origin": "https://evil.example"})
        self.assertEqual(r.status, 204, r)
        r = self.server.request("POST", "/v1/auth/logout",
                                headers={"Authorization": "Bearer " + b.token})
        self.assertEqual(r.status, 204, r)

    def test_admin_routes_need_csrf_with_cookie(self):
        admin = self.session(ADMIN_NAME, ADMIN_PASSWORD, "cookie")
        _, _, user_id = self.new_user()
        r = self.server.request("PATCH", "/v1/admin/users/" + user_id,
                                json={"roles": ["x"]},
                                headers={"Cookie": "sesame_session=" + admin.token,
                                         "Origin": self.server.origin})
        self.assertError(r, 403, "csrf_failed")
        r = self.server.request("GET", "/v1/admin/users/" + user_id,
                                headers={"Cookie": "sesame_session=" + admin.token})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["roles"], [])
        r = admin.request("PATCH", "/v1/admin/users/" + user_id, json={"roles": ["x"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["roles"], ["x"])


# ------------------------------------------------------------------------------------------------
# Registration
# ------------------------------------------------------------------------------------------------

class RegistrationTest(ServerTestCase):
    CONFIG = {"auth": {"registration": "open"}}

    def test_register_then_login(self):
        name, password = unique_name("reg"), new_password()
        r = self.server.request("POST", "/v1/users", json={"username": name, "password": password})
        self.assertEqual(r.status, 201, r)
        user = r.json["user"]
        self.assertEqual(user["username"], name)
        self.assertEqual(user["roles"], [])
        self.assertIsInstance(user["id"], str)
        self.assertNotIn("password", json.dumps(r.json))
        self.assertNotIn(password, r.text)
        self.assertEqual(r.headers.get_all("Set-Cookie"), [])
        c = self.session(name, password, "header")
        self.assertEqual(c.user_id, user["id"])

    def test_username_taken(self):
        name = unique_name("Taken")
        r = self.server.request("POST", "/v1/users",
                                json={"username": name, "password": new_password()})
        self.assertEqual(r.status, 201, r)
        for label, variant in [("same", name), ("other case", name.upper()),
                               ("other case 2", name.lower())]:
            with self.subTest(label):
                r = self.server.request("POST", "/v1/users",
                                        json={"username": variant, "password": new_password()})
                self.assertError(r, 409, "username_taken")
        r = self.admin.request("POST", "/v1/admin/users",
                               json={"username": name.lower(), "password": new_password()})
        self.assertError(r, 409, "username_taken")

    def test_register_invalid(self):
        cases = [
            ("malformed JSON", b'{"username":'),
            ("not an object", b"[]"),
            ("username missing", json.dumps({"password": "12345678"}).encode()),
            ("password a number", json.dumps({"username": "zed", "password": 12345678}).encode()),
            ("short password", json.dumps({"username": "zed", "password": "1234567"}).encode()),
            ("long password", json.dumps({"username": "zed", "password": "p" * 1025}).encode()),
            ("empty username", json.dumps({"username": "", "password": "12345678"}).encode()),
            ("65-char username", json.dumps({"username": "z" * 65,
                                             "password": "12345678"}).encode()),
            ("username with space", json.dumps({"username": "z z",
                                                "password": "12345678"}).encode()),
        ]
        for label, body in cases:
            with self.subTest(label):
                r = self.server.request("POST", "/v1/users", body=body,
                                        headers={"Content-Type": "application/json"})
                self.assertError(r, 400, "invalid_request")
        with self.subTest("form body"):
            r = self.server.request("POST", "/v1/users",
                                    form={"username": "zed", "password": "12345678"})
            self.assertError(r, 400, "invalid_request")


class LookalikeUsernameTest(ServerTestCase):
    """Finding 7 of the audit (issue 13): names that look like a taken one, or hide characters,
    were accepted as new accounts and passed on raw in X-Sesame-Username."""

    CONFIG = {"auth": {"registration": "open"}}

    ZWSP = "\u200b"
    RLO = "\u202e"
    CYRILLIC_A = "\u0430"

    def create(self, route, name):
        body = {"username": name, "password": new_password()}
        if route == "admin":
            return self.admin.request("POST", "/v1/admin/users", json=body)
        return self.server.request("POST", "/v1/users", json=body)

    def assertRefusedLookalikes(self, base):
        """`base` exists and has an "a": each of the audit's four tricks on it is refused."""
        self.assertIn("a", base)
        for route in ("registration", "admin"):
            with self.subTest(route=route, trick="zero-width space"):
                r = self.create(route, base + self.ZWSP)
                self.assertError(r, 400, "invalid_request")
                self.assertIn("default-ignorable", r.json["message"])
            with self.subTest(route=route, trick="full width"):
                self.assertError(self.create(route, full_width(base.upper())), 409,
                                 "username_taken")
            with self.subTest(route=route, trick="Cyrillic a"):
                self.assertError(self.create(route, base.replace("a", self.CYRILLIC_A, 1)), 409,
                                 "username_taken")
            with self.subTest(route=route, trick="right-to-left override"):
                r = self.create(route, base[:2] + self.RLO + base[2:])
                self.assertError(r, 400, "invalid_request")
                self.assertIn("bidi", r.json["message"])

    def test_the_audits_four_names_beside_admin(self):
        # "admin" itself was made by `sesame user add` when the class started.
        self.assertRefusedLookalikes(ADMIN_NAME)
        r = self.admin.get("/v1/admin/users?search=dmin")
        self.assertEqual(r.status, 200, r)
        self.assertEqual([u["username"] for u in r.json["users"]], [ADMIN_NAME])

    def test_lookalikes_of_a_registered_name(self):
        base = unique_name("audit")
        self.assertEqual(self.create("registration", base).status, 201)
        self.assertRefusedLookalikes(base)

    def test_the_first_of_two_lookalikes_wins_whichever_script(self):
        cyrillic = unique_name("p" + self.CYRILLIC_A + "ypal")
        self.assertEqual(self.create("admin", cyrillic).status, 201)
        latin = cyrillic.replace(self.CYRILLIC_A, "a")
        for route in ("registration", "admin"):
            with self.subTest(route=route):
                self.assertError(self.create(route, latin), 409, "username_taken")
                self.assertError(self.create(route, latin.upper()), 409, "username_taken")

    def test_cli_user_add_refuses_a_lookalike(self):
        lookalike = self.CYRILLIC_A + ADMIN_NAME[1:]
        proc = self.server.cli("user", "add", lookalike, "--password-stdin",
                               input=new_password() + "\n", check=False)
        self.assertNotEqual(proc.returncode, 0, proc)
        self.assertIn("username_taken", proc.stderr)
        proc = self.server.cli("user", "add", ADMIN_NAME + self.ZWSP, "--password-stdin",
                               input=new_password() + "\n", check=False)
        self.assertNotEqual(proc.returncode, 0, proc)
        self.assertIn("invalid_request", proc.stderr)

    def test_names_in_many_scripts_register_log_in_and_reach_upstream_as_nfkc(self):
        suffix = unique_name("")
        for written in ["Jos\u00e9", "Jose\u0301", "\u0141ukasz", "\u7530\u4e2d",
                        "\u041e\u043b\u044c\u0433\u0430", "Olga", "\ufb01le"]:
            name = written + suffix
            shown = unicodedata.normalize("NFKC", name)
            with self.subTest(name=name):
                password = new_password()
                self.server.remember_secret(password)
                r = self.server.request("POST", "/v1/users",
                                        json={"username": name, "password": password})
                if written == "Jose\u0301":  # the same NFKC name as "Jos\u00e9" just made
                    self.assertError(r, 409, "username_taken")
                    continue
                self.assertEqual(r.status, 201, r)
                self.assertEqual(r.json["user"]["username"], shown)
                c = self.session(name, password)
                r = c.get("/v1/auth/verify")
                # The header carries the name's UTF-8 bytes, which http.client reads as Latin-1.
                self.assertVerified(r, c.user_id, shown.encode().decode("latin-1"), "",
                                    c.session_id)


# ------------------------------------------------------------------------------------------------
# Administration and audit
# ------------------------------------------------------------------------------------------------

class AdminTest(ServerTestCase):

    def test_admin_routes_forbid_non_admins(self):
        name, password, user_id = self.new_user(roles=["ops"])
        for transport in ("header", "cookie"):
            c = self.session(name, password, transport)
            routes = [("GET", "/v1/admin/users", None),
                      ("POST", "/v1/admin/users", {"username": unique_name(),
                                                   "password": new_password()}),
                      ("GET", "/v1/admin/users/" + user_id, None),
                      ("PATCH", "/v1/admin/users/" + user_id, {"roles": ["admin"]}),
                      ("GET", "/v1/admin/users/" + user_id + "/sessions", None),
                      ("DELETE", "/v1/admin/users/" + self.admin.user_id + "/sessions", None),
                      ("DELETE", "/v1/admin/sessions/" + self.admin.session_id, None),
                      ("GET", "/v1/admin/audit", None)]
            for method, path, body in routes:
                with self.subTest(transport=transport, method=method, path=path):
                    r = c.request(method, path, json=body)
                    self.assertError(r, 403, "forbidden")
        # Nothing changed: still no admin role, and the admin is still logged in.
        r = self.admin.get("/v1/admin/users/" + user_id)
        self.assertEqual(r.json["user"]["roles"], ["ops"])
        self.assertAlive(self.admin)

    def test_admin_routes_need_credentials(self):
        for method, path in [("GET", "/v1/admin/users"), ("GET", "/v1/admin/audit"),
                             ("PATCH", "/v1/admin/users/u_x")]:
            with self.subTest(path=path):
                r = self.server.request(method, path, json={} if method == "PATCH" else None)
                self.assertError(r, 401, "missing_credentials")
                r = self.server.request(method, path, headers={"Authorization": "Bearer nope"})
                self.assertError(r, 401, "invalid_token", bearer=True)

    def test_create_get_list_users(self):
        name, password = unique_name("adm"), new_password()
        r = self.admin.request("POST", "/v1/admin/users",
                               json={"username": name, "password": password,
                                     "roles": ["editor", "viewer"]})
        self.assertEqual(r.status, 201, r)
        user = r.json["user"]
        self.assertEqual(user["username"], name)
        self.assertEqual(user["roles"], ["editor", "viewer"])
        self.assertIs(user["disabled"], False)
        self.assertIsInstance(user["created_at"], int)
        self.assertNotIn(password, r.text)
        r = self.admin.get("/v1/admin/users/" + user["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["username"], name)
        r = self.admin.get("/v1/admin/users")
        self.assertEqual(r.status, 200, r)
        names = [u["username"] for u in r.json["users"]]
        self.assertIn(name, names)
        self.assertIn(ADMIN_NAME, names)
        self.assertNotIn(password, r.text)
        self.assertNotIn("password", r.text)
        self.assertEqual(self.login(name, password).status, 200)

    def test_get_unknown_user_is_not_found(self):
        for method, path, body in [("GET", "/v1/admin/users/u_nobody", None),
                                   ("PATCH", "/v1/admin/users/u_nobody", {"disabled": True}),
                                   ("GET", "/v1/admin/users/u_nobody/sessions", None),
                                   ("DELETE", "/v1/admin/users/u_nobody/sessions", None),
                                   ("DELETE", "/v1/admin/sessions/s_nothing", None)]:
            with self.subTest(method=method, path=path):
                self.assertError(self.admin.request(method, path, json=body), 404, "not_found")

    def test_create_invalid(self):
        cases = [
            ("no password", {"username": unique_name()}),
            ("short password", {"username": unique_name(), "password": "short"}),
            ("roles not a list", {"username": unique_name(), "password": new_password(),
                                  "roles": "admin"}),
            ("role not a string", {"username": unique_name(), "password": new_password(),
                                   "roles": [1]}),
            ("role with a space", {"username": unique_name(), "password": new_password(),
                                   "roles": ["bad role"]}),
            ("username with a space", {"username": "a b", "password": new_password()}),
        ]
        for label, body in cases:
            with self.subTest(label):
                self.assertError(self.admin.request("POST", "/v1/admin/users", json=body),
                                 400, "invalid_request")
        with self.subTest("malformed JSON"):
            r = self.admin.request("POST", "/v1/admin/users", body=b"{",
                                   headers={"Content-Type": "application/json"})
            self.assertError(r, 400, "invalid_request")

    def test_patch_invalid(self):
        _, _, user_id = self.new_user()
        for label, body in [("disabled a string", {"disabled": "yes"}),
                            ("roles a string", {"roles": "admin"}),
                            ("bad role name", {"roles": ["Bad Role"]}),
                            ("short password", {"password": "short"})]:
            with self.subTest(label):
                r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json=body)
                self.assertError(r, 400, "invalid_request")

    def test_role_change_shows_in_verify(self):
        name, password, user_id = self.new_user(roles=["viewer"])
        c = self.session(name, password, "header")
        r = c.get("/v1/auth/verify")
        self.assertEqual(r.headers.get("X-Sesame-Roles"), "viewer")
        self.assertError(c.get("/v1/auth/verify?role=editor"), 403, "forbidden")
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id,
                               json={"roles": ["editor", "billing"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["user"]["roles"], ["editor", "billing"])
        r = wait_until(lambda: (lambda r: r if r.headers.get("X-Sesame-Roles") ==
                                "editor,billing" else None)(c.get("/v1/auth/verify")), 2.0)
        self.assertIsNotNone(r, "new roles not visible on an existing session")
        self.assertEqual(c.get("/v1/auth/verify?role=editor").status, 200)
        self.assertError(c.get("/v1/auth/verify?role=viewer"), 403, "forbidden")
        self.assertEqual(c.me().json["user"]["roles"], ["editor", "billing"])

    def test_password_change(self):
        name, password, user_id = self.new_user()
        new = new_password()
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"password": new})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn(new, r.text)
        self.assertError(self.login(name, password), 401, "invalid_credentials")
        self.assertEqual(self.login(name, new).status, 200)

    def test_disable_revokes_every_session_and_enable_allows_login(self):
        name, password, user_id = self.new_user()
        sessions = [self.session(name, password, "header"), self.session(name, password, "cookie")]
        for c in sessions:
            self.assertAlive(c)
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"disabled": True})
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["user"]["disabled"], True)
        for c in sessions:
            self.assertRevoked(c)
        self.assertError(self.login(name, password), 401, "invalid_credentials")
        r = self.admin.get("/v1/admin/users/%s/sessions" % user_id)
        self.assertEqual(r.json["sessions"], [])
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"disabled": False})
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["user"]["disabled"], False)
        c = self.session(name, password, "header")
        self.assertAlive(c)
        for old in sessions:
            self.assertRevoked(old)

    def test_user_sessions_and_force_logout(self):
        name, password, user_id = self.new_user()
        a = self.session(name, password, "header")
        b = self.session(name, password, "cookie")
        c = self.session(name, password, "header")
        r = self.admin.get("/v1/admin/users/%s/sessions" % user_id)
        self.assertEqual(r.status, 200, r)
        self.assertEqual({s["id"] for s in r.json["sessions"]},
                         {a.session_id, b.session_id, c.session_id})
        for token in (a.token, b.token, c.token):
            self.assertNotIn(token, r.text)
        r = self.admin.request("DELETE", "/v1/admin/sessions/" + a.session_id)
        self.assertEqual(r.status, 204, r)
        self.assertRevoked(a)
        self.assertAlive(b)
        self.assertError(self.admin.request("DELETE", "/v1/admin/sessions/" + a.session_id),
                         404, "not_found")
        r = self.admin.request("DELETE", "/v1/admin/users/%s/sessions" % user_id)
        self.assertEqual(r.status, 204, r)
        self.assertRevoked(b)
        self.assertRevoked(c)
        r = self.admin.get("/v1/admin/users/%s/sessions" % user_id)
        self.assertEqual(r.json["sessions"], [])
        self.assertAlive(self.admin)

    def test_audit_events(self):
        name, password, user_id = self.new_user()
        self.assertError(self.login(name, "wrong-password"), 401, "invalid_credentials")
        c = self.session(name, password, "header")
        self.assertEqual(c.request("POST", "/v1/auth/logout").status, 204)
        d = self.session(name, password, "header")
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"disabled": True})
        self.assertEqual(r.status, 200, r)
        r = self.admin.get("/v1/admin/audit?user_id=%s&limit=100" % user_id)
        self.assertEqual(r.status, 200, r)
        events = r.json["events"]
        for e in events:
            self.assertEqual(e["user_id"], user_id, e)
            self.assertIsInstance(e["at"], int)
        by_type = {}
        for e in events:
            by_type.setdefault(e["type"], []).append(e)
        for wanted in ("login_failed", "login_succeeded", "session_revoked", "user_disabled"):
            self.assertIn(wanted, by_type, sorted(by_type))
        self.assertEqual({e["session_id"] for e in by_type["login_succeeded"]},
                         {c.session_id, d.session_id})
        self.assertIn(c.session_id, {e["session_id"] for e in by_type["session_revoked"]})
        self.assertEqual(by_type["user_disabled"][0]["actor_id"], self.admin.user_id)
        self.assertEqual(len(by_type["login_failed"]), 1)
        self.assertNotIn(password, r.text)
        self.assertNotIn(c.token, r.text)
        # Unfiltered, newest first, limit honoured.
        r = self.admin.get("/v1/admin/audit?limit=2")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["events"]), 2)


# ------------------------------------------------------------------------------------------------
# HTTP edge: routing, limits, pipelining, slow clients
# ------------------------------------------------------------------------------------------------

class HttpTest(ServerTestCase):

    def test_unknown_route_is_not_found(self):
        for method, path in [("GET", "/v1/nope"), ("POST", "/v1/auth/login/extra"),
                             ("GET", "/nope"), ("GET", "/v1/sessions/x/y"),
                             ("DELETE", "/v1/sessions/")]:
            with self.subTest(method=method, path=path):
                self.assertError(self.server.request(method, path), 404, "not_found")

    def test_wrong_method_on_a_known_path(self):
        r = self.server.request("GET", "/v1/auth/login")
        self.assertIn(r.status, (404, 405), r)
        self.assertIsInstance(r.json, dict, r)
        self.assertEqual(set(r.json), {"error", "message"})

    def test_pipelined_requests_answer_in_order(self):
        login = json.dumps({"username": "nobody-here", "password": "wrong-password",
                            "transport": "header"}).encode()
        data = (b"GET /readyz HTTP/1.1\r\nHost: h\r\n\r\n"
                b"POST /v1/auth/login HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(login)).encode() + b"\r\n\r\n" + login +
                b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
                b"GET /v1/nope HTTP/1.1\r\nHost: h\r\n\r\n")
        with self.server.raw_socket() as sock:
            sock.sendall(data)  # one send: four requests
            responses = read_responses(sock, 4)
            self.assertEqual([s for s, _, _ in responses], [200, 401, 200, 404])
            self.assertEqual(json.loads(responses[0][2])["status"], "ready")
            self.assertEqual(json.loads(responses[1][2])["error"], "invalid_credentials")
            self.assertEqual(json.loads(responses[2][2])["status"], "ok")
            self.assertEqual(json.loads(responses[3][2])["error"], "not_found")
            # Still open afterwards.
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
            self.assertEqual(read_responses(sock, 1)[0][0], 200)

    def test_keep_alive_reuses_the_connection(self):
        name, password, _ = self.new_user()
        c = self.session(name, password, "header")
        with self.server.raw_socket() as sock:
            for i in range(5):
                path = "/v1/auth/me" if i % 2 else "/healthz"
                sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n"
                              % (path, self.server.host, c.token)).encode())
                status, headers, body = read_responses(sock, 1)[0]
                self.assertEqual(status, 200, body)
                self.assertNotEqual(headers.get("Connection", "").lower(), "close")
        # The http.client way: one connection, several requests.
        conn = self.server.connection()
        try:
            for _ in range(3):
                r = self.server.request("GET", "/healthz", conn=conn)
                self.assertEqual(r.status, 200)
                sock = conn.sock
                self.assertIsNotNone(sock)
            r = self.server.request("GET", "/readyz", conn=conn)
            self.assertIs(conn.sock, sock, "the connection was not reused")
        finally:
            conn.close()

    def test_connection_close_and_http10(self):
        data, closed = self.server.raw_exchange(
            b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", timeout=5)
        self.assertTrue(closed, "Connection: close was not honoured")
        self.assertEqual(parse_responses(data)[0][0], 200)
        data, closed = self.server.raw_exchange(b"GET /healthz HTTP/1.0\r\n\r\n", timeout=5)
        self.assertTrue(closed, "HTTP/1.0 without keep-alive left open")
        self.assertEqual(parse_responses(data)[0][0], 200)

    def test_head_over_16k_is_431_and_closes(self):
        for label, head in [
                ("one big header", b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Big: " + b"a" * 17000
                 + b"\r\n\r\n"),
                ("many headers", b"GET /healthz HTTP/1.1\r\nHost: h\r\n" +
                 b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90) for i in range(200)) + b"\r\n"),
                ("long target", b"GET /healthz?" + b"q" * 17000 + b" HTTP/1.1\r\nHost: h\r\n\r\n")]:
            with self.subTest(label):
                data, closed = self.server.raw_exchange(head, timeout=10)
                responses = parse_responses(data)
                self.assertEqual(len(responses), 1, data[:300])
                status, headers, body = responses[0]
                self.assertEqual(status, 431)
                self.assertEqual(json.loads(body)["error"], "headers_too_large")
                self.assertTrue(closed, "connection left open after 431")

    def test_head_under_16k_is_fine(self):
        r = self.server.request("GET", "/healthz", headers={"X-Pad": "p" * 15000})
        self.assertEqual(r.status, 200, r)

    def test_body_over_64k_is_413_and_closes(self):
        big = 64 * 1024 + 1
        with self.subTest("Content-Length announced, body not sent"):
            head = (b"POST /v1/auth/login HTTP/1.1\r\nHost: h\r\nContent-Type: application/json"
                    b"\r\nContent-Length: %d\r\n\r\n" % big)
            data, closed = self.server.raw_exchange(head, timeout=10)
            responses = parse_responses(data)
            self.assertEqual([s for s, _, _ in responses], [413], data[:300])
            self.assertEqual(json.loads(responses[0][2])["error"], "payload_too_large")
            self.assertTrue(closed, "connection left open after 413")
        with self.subTest("Content-Length with the whole body"):
            body = b'{"username":"x","password":"' + b"p" * (big - 30) + b'"}'
            r = self.server.request("POST", "/v1/auth/login", body=body,
                                    headers={"Content-Type": "application/json"})
            self.assertError(r, 413, "payload_too_large")
        with self.subTest("chunked"):
            with self.server.raw_socket() as sock:
                sock.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: h\r\n"
                             b"Content-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                chunk = b"x" * 8192
                try:
                    for _ in range(9):  # 72 KiB
                        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sock.sendall(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server may stop reading at the limit
                data, closed = read_until_closed(sock, 10)
            responses = parse_responses(data)
            self.assertEqual([s for s, _, _ in responses], [413], data[:300])
            self.assertTrue(closed, "connection left open after 413")

    def test_body_at_64k_is_read(self):
        # Exactly 64 KiB: read and parsed (the password is too long: 400, not 413).
        prefix, suffix = b'{"username":"x","transport":"header","password":"', b'"}'
        body = prefix + b"p" * (64 * 1024 - len(prefix) - len(suffix)) + suffix
        self.assertEqual(len(body), 64 * 1024)
        r = self.server.request("POST", "/v1/auth/login", body=body,
                                headers={"Content-Type": "application/json"})
        self.assertError(r, 400, "invalid_request")

    def test_malformed_http_is_400(self):
        cases = [
            ("garbage request line", b"GARBAGE\r\n\r\n"),
            ("header without colon", b"GET /healthz HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n"),
            ("bad Content-Length", b"POST /v1/auth/login HTTP/1.1\r\nHost: h\r\n"
                                   b"Content-Length: abc\r\n\r\n"),
            ("unknown HTTP version", b"GET /healthz HTTP/7.1\r\nHost: h\r\n\r\n"),
            ("space in target", b"GET /heal thz HTTP/1.1\r\nHost: h\r\n\r\n"),
            ("bad chunk size", b"POST /v1/auth/login HTTP/1.1\r\nHost: h\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ]
        for label, data in cases:
            with self.subTest(label):
                received, closed = self.server.raw_exchange(data, timeout=10)
                responses = parse_responses(received)
                self.assertEqual([s for s, _, _ in responses], [400], received[:300])
                self.assertEqual(json.loads(responses[0][2])["error"], "invalid_request")
                self.assertTrue(closed, "connection left open after a malformed request")
        # The server is fine afterwards.
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def test_slow_clients_do_not_block_others_and_are_cut_off(self):
        name, password, _ = self.new_user()
        stalled = []
        opened_at = time.monotonic()
        for _ in range(20):
            sock = self.server.raw_socket(timeout=20)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Slow: ")  # half a head
            stalled.append(sock)
        trickler = self.server.raw_socket(timeout=20)
        trickler.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n")
        trickle_stop = threading.Event()

        def trickle():
            # A header byte every 0.5 s: never completes, keeps the connection busy.
            trickler.sendall(b"X-Drip: ")
            while not trickle_stop.wait(0.5):
                try:
                    trickler.sendall(b"d")
                except OSError:
                    return
        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            # Meanwhile, everyone else is served promptly.
            for i in range(10):
                t = time.monotonic()
                r = self.server.request("GET", "/healthz", timeout=3)
                self.assertEqual(r.status, 200)
                self.assertLess(time.monotonic() - t, 1.0)
            t = time.monotonic()
            c = self.session(name, password, "header")
            self.assertAlive(c)
            self.assertLess(time.monotonic() - t, 2.0)
            # And the slow ones are closed within the header timeout (10 s).
            closed_after = []
            for sock in stalled + [trickler]:
                remaining = max(0.1, opened_at + 15 - time.monotonic())
                data, closed = read_until_closed(sock, remaining)
                self.assertTrue(closed, "a stalled connection was still open after 15 s")
                closed_after.append(time.monotonic() - opened_at)
                # No response, or an error one, but never a 200 for half a request.
                for status, _, _ in parse_responses(data):
                    self.assertGreaterEqual(status, 400)
            self.assertGreater(min(closed_after), 5.0, "closed long before the header timeout")
            REPORT["slow client closed after (s)"] = "%.1f-%.1f" % (min(closed_after),
                                                                    max(closed_after))
        finally:
            trickle_stop.set()
            for sock in stalled + [trickler]:
                sock.close()
            thread.join(2)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)


# ------------------------------------------------------------------------------------------------
# Operations
# ------------------------------------------------------------------------------------------------

class OpsTest(ServerTestCase):

    def metrics(self):
        r = self.server.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("text/plain"), r.headers)
        return r.text

    @staticmethod
    def sample(text, name, labels_regex=""):
        pattern = re.compile(r"^%s(\{%s\})? ([0-9.eE+-]+)$" % (re.escape(name), labels_regex),
                             re.M)
        values = [float(m.group(2)) for m in pattern.finditer(text)]
        return sum(values) if values else None

    def test_healthz(self):
        r = self.server.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"status": "ok"})

    def test_readyz(self):
        r = self.server.request("GET", "/readyz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ready")

    def test_metrics(self):
        name, password, _ = self.new_user()
        before = self.metrics()
        self.assertEqual(self.login(name, password).status, 200)
        self.assertEqual(self.login(name, "wrong-password").status, 401)
        self.assertEqual(self.server.request("GET", "/v1/unknown-path-xyz42").status, 404)
        after = self.metrics()
        self.assertIn("# TYPE sesame_http_requests_total counter", after)
        login_200 = r'route="[^"]*/v1/auth/login",status="200"'
        login_401 = r'route="[^"]*/v1/auth/login",status="401"'
        self.assertEqual((self.sample(after, "sesame_http_requests_total", login_200) or 0) -
                         (self.sample(before, "sesame_http_requests_total", login_200) or 0), 1)
        self.assertEqual((self.sample(after, "sesame_http_requests_total", login_401) or 0) -
                         (self.sample(before, "sesame_http_requests_total", login_401) or 0), 1)
        self.assertIsNotNone(self.sample(after, "sesame_http_requests_total",
                                         r'route="[^"]*/metrics",status="200"'))
        self.assertNotIn("unknown-path-xyz42", after, "raw request paths as metric labels")
        self.assertIn("# TYPE sesame_logins_total counter", after)
        for result, delta in (("success", 1), ("failure", 1)):
            with self.subTest(result):
                label = r'result="%s"' % result
                self.assertEqual(self.sample(after, "sesame_logins_total", label) -
                                 (self.sample(before, "sesame_logins_total", label) or 0), delta)
        self.assertIn("sesame_http_request_duration_seconds_bucket", after)
        self.assertIsNotNone(self.sample(after, "sesame_sessions_active"))
        self.assertIsNotNone(self.sample(after, "sesame_revocations_total"))


# ------------------------------------------------------------------------------------------------
# Command line against the running server
# ------------------------------------------------------------------------------------------------

class CliTest(ServerTestCase):
    PROPAGATION = 3.0  # the server follows the change feed every 250 ms

    def wait_revoked(self, client):
        start = time.monotonic()
        r = wait_until(lambda: (lambda r: r if r.status == 401 else None)(client.me()),
                       self.PROPAGATION)
        self.assertIsNotNone(r, "CLI revocation not seen by the server within %.0f s"
                             % self.PROPAGATION)
        self.assertError(r, 401, "session_revoked", bearer=client.bearer)
        return time.monotonic() - start

    def test_cli_session_revoke(self):
        name, password = unique_name("cli"), new_password()
        self.server.add_user(name, password)
        c = self.session(name, password, "cookie")
        keep = self.session(name, password, "header")
        self.assertAlive(c)  # now in the server's cache
        listed = self.server.cli("session", "list", "--user", name)
        self.assertIn(c.session_id, listed.stdout)
        self.assertNotIn(c.token, listed.stdout + listed.stderr)
        self.server.cli("session", "revoke", c.session_id)
        REPORT["CLI revoke seen after (s)"] = "%.2f" % self.wait_revoked(c)
        self.assertAlive(keep)
        again = self.server.cli("session", "revoke", c.session_id, check=False)
        self.assertNotEqual(again.returncode, 0)

    def test_cli_revoke_all(self):
        name, password = unique_name("cli"), new_password()
        self.server.add_user(name, password)
        clients = [self.session(name, password, t) for t in ("header", "cookie", "header")]
        for c in clients:
            self.assertAlive(c)
        self.server.cli("session", "revoke-all", name)
        for c in clients:
            self.wait_revoked(c)

    def test_cli_user_disable_and_enable(self):
        name, password = unique_name("cli"), new_password()
        self.server.add_user(name, password)
        clients = [self.session(name, password, "header"), self.session(name, password, "cookie")]
        for c in clients:
            self.assertAlive(c)
        self.server.cli("user", "disable", name)
        for c in clients:
            self.wait_revoked(c)
        self.assertError(self.login(name, password), 401, "invalid_credentials")
        self.server.cli("user", "enable", name)
        self.assertAlive(self.session(name, password, "header"))

    def test_cli_passwd_and_list(self):
        name, password = unique_name("cli"), new_password()
        self.server.add_user(name, password, roles=["ops"])
        listed = self.server.cli("user", "list").stdout
        self.assertIn(name, listed)
        new = new_password()
        self.server.remember_secret(new)
        self.server.cli("user", "passwd", name, "--password-stdin", input=new + "\n")
        self.assertError(self.login(name, password), 401, "invalid_credentials")
        c = self.session(name, new, "header")
        self.assertEqual(c.login_response.json["user"]["roles"], ["ops"])


# ------------------------------------------------------------------------------------------------
# Restart
# ------------------------------------------------------------------------------------------------

class RestartTest(ServerTestCase):

    def test_sessions_survive_a_restart(self):
        name, password, _ = self.new_user(roles=["ops"])
        cookie = self.session(name, password, "cookie")
        bearer = self.session(name, password, "header")
        revoked = self.session(name, password, "header")
        self.assertEqual(revoked.request("POST", "/v1/auth/logout").status, 204)
        for c in (cookie, bearer):
            self.assertAlive(c)
        # An idle keep-alive connection must not hold the shutdown up.
        idle = self.server.raw_socket()
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        read_responses(idle, 1)
        old_port = self.server.port
        t = time.monotonic()
        self.server.stop()  # SIGTERM; asserts exit code 0
        stop_seconds = time.monotonic() - t
        REPORT["graceful stop (s)"] = "%.2f" % stop_seconds
        self.assertLess(stop_seconds, 5.0, "an idle keep-alive connection delayed shutdown")
        idle.close()
        self.server.start()
        self.assertEqual(self.server.exit_codes, [0])
        self.assertNotEqual(self.server.port, 0)
        for c in (cookie, bearer):
            with self.subTest(transport=c.transport):
                self.assertAlive(c)
                r = c.get("/v1/auth/verify?role=ops")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.headers.get("X-Sesame-Session-Id"), c.session_id)
        self.assertRevoked(revoked)
        self.assertAlive(self.admin)
        # The CSRF token survives too (the new port is the new own origin).
        r = cookie.request("POST", "/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        self.assertRevoked(cookie)
        self.assertIsInstance(old_port, int)


# ------------------------------------------------------------------------------------------------
# Timeouts
# ------------------------------------------------------------------------------------------------

class ExpiryTest(ServerTestCase):
    # Idle 2 s; absolute 3 s (the smallest allowed above idle).
    CONFIG = {"session": {"idle_timeout": "2s", "absolute_timeout": "3s"}}

    @classmethod
    def setUpServer(cls):
        cls.name, cls.password = "eve", new_password()
        cls.server.add_user(cls.name, cls.password)

    def test_idle_timeout(self):
        clients = [self.session(self.name, self.password, t) for t in ("header", "cookie")]
        for c in clients:
            self.assertAlive(c)
        last_activity = time.monotonic()
        time.sleep(max(0.0, last_activity + 2.3 - time.monotonic()))
        for c in clients:
            with self.subTest(transport=c.transport):
                self.assertError(c.me(), 401, "session_expired", bearer=c.bearer)
                self.assertError(c.get("/v1/auth/verify"), 401, "session_expired",
                                 bearer=c.bearer)

    def test_absolute_timeout_despite_activity(self):
        start = time.monotonic()
        c = self.session(self.name, self.password, "header")
        timeline = []
        while time.monotonic() - start < 5.0:
            r = c.me()
            timeline.append((time.monotonic() - start, r.status,
                             r.json.get("error") if r.json else None))
            time.sleep(0.25)  # well inside the 2 s idle timeout
        first_fail = next((i for i, (_, status, _) in enumerate(timeline) if status != 200), None)
        self.assertIsNotNone(first_fail, "still alive 5 s after login (absolute 3 s): %r"
                             % timeline)
        fail_at = timeline[first_fail][0]
        self.assertGreaterEqual(fail_at, 1.9, "ended before the absolute timeout: %r" % timeline)
        self.assertLessEqual(fail_at, 4.3, "lived past the absolute timeout: %r" % timeline)
        for t, status, code in timeline[first_fail:]:
            self.assertEqual((status, code), (401, "session_expired"), timeline)
        r = c.me()
        self.assertError(r, 401, "session_expired", bearer=True)
        self.assertEqual(self.login(self.name, self.password).status, 200)


# ------------------------------------------------------------------------------------------------
# Brute force
# ------------------------------------------------------------------------------------------------

class BruteForceTest(ServerTestCase):
    # A 3 s first delay (1 s by default) leaves room for a slow (sanitizer) build to make the
    # next attempt before the delay has passed: the assertions do not race the clock.
    CONFIG = {"limits": {"login_failures_per_user": "6 per 30s", "login_backoff": "3s"}}

    def attempt(self, name, password, source=None):
        return self.login(name, password, source_address=source)

    def test_backoff_doubles_then_blocks_until_window_ends(self):
        name, password, _ = self.new_user()
        elsewhere = loopback_source(9)
        align_to_second_start()
        window_start = time.monotonic()
        for i in range(3):
            self.assertError(self.attempt(name, "wrong-password"), 401, "invalid_credentials")
        delays = []
        for expected_wait in (3, 6, 12):
            # Even the right password is refused while the account waits.
            r = self.attempt(name, password)
            self.assertError(r, 429, "rate_limited")
            # Whole seconds: a second boundary may pass between the failure and this check.
            self.assertIn(int(r.headers["Retry-After"]), (expected_wait - 1, expected_wait),
                          delays)
            delays.append(int(r.headers["Retry-After"]))
            if elsewhere and expected_wait == 3:
                # Another /24 is not held up by this one's failures.
                self.assertEqual(self.attempt(name, password, elsewhere).status, 200)
            time.sleep(expected_wait)
            self.assertError(self.attempt(name, "wrong-password"), 401, "invalid_credentials")
        # Six failures within the window: blocked until it ends (30 s after the first).
        r = self.attempt(name, password)
        self.assertError(r, 429, "rate_limited")
        retry_after = int(r.headers["Retry-After"])
        elapsed = time.monotonic() - window_start
        self.assertTrue(30 - elapsed - 2 <= retry_after <= 30 - elapsed + 1,
                        "Retry-After %d at %.1f s into a 30 s window" % (retry_after, elapsed))
        form = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                   form={"username": name, "password": password})
        self.assertEqual(form.status, 303, form)
        self.assertRegex(form.headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        # The login page shows the wait: it travels in the redirect.
        self.assertEqual(form.headers.get("Location"), "/login?error=rate_limited&retry_after=%s"
                         % form.headers.get("Retry-After"))
        page = self.server.request("GET", form.headers.get("Location"))
        self.assertIn("Too many sign-in attempts. Try again in %s seconds."
                      % form.headers.get("Retry-After"), page.text)
        REPORT["brute-force Retry-After sequence"] = "%s then %d (window end)" % (
            delays, retry_after)
        time.sleep(retry_after)
        r = wait_until(lambda: (lambda r: r if r.status != 429 else None)(
            self.attempt(name, password)), 2.0, interval=0.5)
        self.assertIsNotNone(r, "still blocked after Retry-After")
        self.assertEqual(r.status, 200, r)

    def test_success_resets_the_failures(self):
        name, password, _ = self.new_user()
        for _ in range(2):
            self.assertError(self.attempt(name, "wrong-password"), 401, "invalid_credentials")
        self.assertEqual(self.attempt(name, password).status, 200)
        align_to_second_start()
        for _ in range(3):
            self.assertError(self.attempt(name, "wrong-password"), 401, "invalid_credentials")
        r = self.attempt(name, "wrong-password")
        self.assertError(r, 429, "rate_limited")
        self.assertIn(r.headers["Retry-After"], ("2", "3"))

    def test_unknown_users_are_throttled_too(self):
        ghost = unique_name("ghost")
        align_to_second_start()
        for _ in range(3):
            self.assertError(self.attempt(ghost, "wrong-password"), 401, "invalid_credentials")
        self.assertError(self.attempt(ghost, "wrong-password"), 429, "rate_limited")


class IpBudgetTest(ServerTestCase):
    CONFIG = {"limits": {"login_attempts_per_ip": "6 per 1m"}}

    def test_per_ip_attempts_budget(self):
        # setUpClass spent one attempt (the admin login).
        users = [self.new_user() for _ in range(5)]
        admin_still = self.admin
        statuses = []
        for i, (name, password, _) in enumerate(users):
            r = self.login(name, password if i % 2 == 0 else "wrong-password")
            statuses.append(r.status)
        self.assertEqual(statuses, [200, 401, 200, 401, 200])
        name, password, _ = users[0]
        r = self.login(name, password)
        self.assertError(r, 429, "rate_limited")
        self.assertTrue(1 <= int(r.headers["Retry-After"]) <= 60, r.headers["Retry-After"])
        self.assertError(self.login(unique_name("ghost"), "wrong-password"), 429, "rate_limited")
        # Existing sessions are unaffected; another /24 still has its budget.
        self.assertAlive(admin_still)
        elsewhere = loopback_source(10)
        if elsewhere:
            self.assertEqual(self.login(name, password, source_address=elsewhere).status, 200)


class RegistrationBudgetTest(ServerTestCase):
    """Registration spends the same per-address budget as logins."""
    CONFIG = {"auth": {"registration": "open"},
              "limits": {"login_attempts_per_ip": "3 per 1m"}}

    def test_registration_is_rate_limited_per_address(self):
        # setUpClass spent one attempt (the admin login): two registrations remain.
        for _ in range(2):
            r = self.server.request("POST", "/v1/users", json={
                "username": unique_name("reg"), "password": new_password()})
            self.assertEqual(r.status, 201, r)
        name = unique_name("reg")
        r = self.server.request("POST", "/v1/users",
                                json={"username": name, "password": new_password()})
        self.assertError(r, 429, "rate_limited")
        # Refused before anything was written.
        r = self.admin.get("/v1/admin/users?search=" + name)
        self.assertEqual(r.json["users"], [])


# ------------------------------------------------------------------------------------------------
# Device limits
# ------------------------------------------------------------------------------------------------

class DeviceLimitEvictTest(ServerTestCase):
    CONFIG = {"session": {"max_per_user": 2, "on_limit": "evict_oldest"}}

    def test_evicts_the_oldest(self):
        name, password, _ = self.new_user()
        clients = []
        for i in range(3):
            if i:
                time.sleep(1.05)  # distinct creation seconds
            clients.append(self.session(name, password, "header" if i % 2 else "cookie"))
        self.assertRevoked(clients[0])
        self.assertAlive(clients[1])
        self.assertAlive(clients[2])
        r = clients[2].get("/v1/sessions")
        self.assertEqual({s["id"] for s in r.json["sessions"]},
                         {clients[1].session_id, clients[2].session_id})

    def test_evicts_the_oldest_even_within_one_second(self):
        name, password, _ = self.new_user()
        align_to_second_start()
        clients = []
        for i in range(6):
            clients.append(self.session(name, password, "header"))
        live = [c.session_id for c in clients if c.me().status == 200]
        self.assertEqual(live, [clients[4].session_id, clients[5].session_id],
                         "the newest two should survive; order of logins: %s"
                         % [c.session_id for c in clients])
        for c in clients[:4]:
            self.assertRevoked(c)


class DeviceLimitRefuseTest(ServerTestCase):
    CONFIG = {"session": {"max_per_user": 2, "on_limit": "refuse"}}

    def test_refuses_over_the_limit(self):
        name, password, _ = self.new_user()
        a = self.session(name, password, "header")
        b = self.session(name, password, "cookie")
        self.assertError(self.login(name, password, "header"), 403, "forbidden")
        self.assertError(self.login(name, password, "cookie"), 403, "forbidden")
        form = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                   form={"username": name, "password": password})
        self.assertEqual(form.status, 303, form)
        self.assertEqual(form.headers.get("Location"), "/login?error=forbidden")
        self.assertEqual(form.headers.get_all("Set-Cookie"), [])
        self.assertAlive(a)
        self.assertAlive(b)
        # A wrong password still answers invalid_credentials, not forbidden (no oracle).
        self.assertError(self.login(name, "wrong-password"), 401, "invalid_credentials")
        self.assertEqual(a.request("POST", "/v1/auth/logout").status, 204)
        self.assertAlive(self.session(name, password, "header"))


# ------------------------------------------------------------------------------------------------
# Cookie configuration
# ------------------------------------------------------------------------------------------------

class SecureCookieTest(ServerTestCase):
    CONFIG = {"cookie": {"secure": "true", "same_site": "strict"}}
    COOKIE_NAME = "__Host-sesame_session"

    def test_secure_host_prefixed_strict_cookie(self):
        name, password, _ = self.new_user()
        r = self.login(name, password, "cookie")
        self.assertEqual(r.status, 200, r)
        cookies = r.cookies()
        self.assertEqual(list(cookies), ["__Host-sesame_session", "__Host-sesame_device"],
                         r.headers.get_all("Set-Cookie"))
        device_attrs = cookies["__Host-sesame_device"][1]
        self.assertIn("secure", device_attrs)
        self.assertEqual(device_attrs.get("path"), "/")
        self.assertNotIn("domain", device_attrs)
        token, attrs = cookies["__Host-sesame_session"]
        self.assertIn("secure", attrs)
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite"), "Strict")
        self.assertEqual(attrs.get("path"), "/")
        self.assertNotIn("domain", attrs)  # required by the __Host- prefix
        c = Client(self.server, r, "cookie", self.COOKIE_NAME)
        self.assertAlive(c)
        # The unprefixed name is not this server's cookie.
        r = self.server.request("GET", "/v1/auth/me", headers={"Cookie": "sesame_session=" + token})
        self.assertError(r, 401, "missing_credentials")
        r = c.request("POST", "/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        value, attrs = r.cookies()["__Host-sesame_session"]
        self.assertEqual(value, "")
        self.assertEqual(attrs.get("max-age"), "0")
        self.assertIn("secure", attrs)
        self.assertEqual(attrs.get("path"), "/")
        self.assertRevoked(c)

    def test_form_login_sets_the_same_cookie(self):
        name, password, _ = self.new_user()
        r = self.server.request("POST", "/v1/auth/login", headers={"Origin": self.server.origin},
                                form={"username": name, "password": password})
        self.assertEqual(r.status, 303, r)
        token, attrs = r.cookies()["__Host-sesame_session"]
        self.assertIn("secure", attrs)
        self.assertEqual(attrs.get("samesite"), "Strict")


class StoreFailureTest(ServerTestCase):
    """The SQLite file held by another process's exclusive lock (past the server's 5 s busy
    timeout): writes answer 503 unavailable with Retry-After; nobody is logged out and nothing
    is half-written."""

    def test_locked_store_is_503_and_loses_nothing(self):
        import sqlite3
        name, password, _ = self.new_user()
        cached = self.session(name, password, "header")
        self.assertAlive(cached)
        other = self.session(name, password, "header")
        before = sorted(s["id"] for s in cached.get("/v1/sessions").json["sessions"])
        lock = sqlite3.connect(os.path.join(self.server.data_dir, "sesame.db"),
                               isolation_level=None, timeout=10)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            r = self.login(name, password, "header")
            self.assertError(r, 503, "unavailable")
            self.assertRegex(r.headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
            r = other.request("POST", "/v1/auth/logout")
            self.assertError(r, 503, "unavailable", bearer=True)
            # Reading still works in WAL mode; the cached session certainly does.
            self.assertAlive(cached)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        # Nothing was logged out by the failure, and the failed login left no session behind.
        self.assertAlive(other)
        after = sorted(s["id"] for s in cached.get("/v1/sessions").json["sessions"])
        self.assertEqual(before, after)
        self.assertEqual(other.request("POST", "/v1/auth/logout").status, 204)
        self.assertRevoked(other)


class KeysTest(ServerTestCase):
    """The signing key ring: JWKS served with a cache lifetime, rotation picked up live."""

    def jwks(self):
        r = self.server.request("GET", "/.well-known/jwks.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Cache-Control"), "public, max-age=300")
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/jwk-set+json"))
        return r.json

    def ring(self):
        path = os.path.join(self.server.data_dir, "keys.json")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            return json.load(f)

    def active_jwk(self):
        return [k["jwk"] for k in self.ring()["keys"] if k["state"] == "active"][0]

    def test_jwks_has_the_public_half_of_every_live_key(self):
        ring = self.ring()
        self.assertEqual(sorted(k["state"] for k in ring["keys"])[:2], ["active", "next"])
        keys = self.jwks()["keys"]
        self.assertEqual(sorted(k["kid"] for k in keys),
                         sorted(k["jwk"]["kid"] for k in ring["keys"]))
        for k in keys:
            self.assertNotIn("d", k)
            self.assertEqual(k["alg"], "ES256")

    def test_rotation_reaches_the_running_server_and_keeps_old_keys(self):
        before = {k["kid"] for k in self.jwks()["keys"]}
        old_active = self.active_jwk()["kid"]
        self.server.cli("keys", "rotate", "--force")
        new_active = self.active_jwk()["kid"]
        self.assertNotEqual(new_active, old_active)
        self.assertIn(new_active, before)  # the key that now signs was published before
        deadline = time.monotonic() + 5
        after = before
        while time.monotonic() < deadline and after == before:
            time.sleep(0.1)
            after = {k["kid"] for k in self.jwks()["keys"]}
        self.assertTrue(before < after, (before, after))  # retired key stays, a new next joins
        self.assertEqual(len(after), 3)

    def test_pyjwt_verifies_a_token_of_the_active_key_against_the_served_jwks(self):
        import jwt  # Debian's python3-jwt
        active = self.active_jwk()
        key_file = os.path.join(self.server.tmp, "active-key.json")
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump(active, f)
        claims = {"sub": "u_1", "iss": "https://auth.example", "exp": int(time.time()) + 60}
        token = self.server.cli("token", "sign", "--key", key_file, "--typ", "at+jwt",
                                "--claims", json.dumps(claims)).stdout.strip()
        jwk_set = jwt.PyJWKSet.from_dict(self.jwks())
        key = [k for k in jwk_set.keys if k.key_id == active["kid"]][0]
        self.assertEqual(jwt.decode(token, key.key, algorithms=["ES256"]), claims)


class TrustedProxyTest(ServerTestCase):
    """Behind a reverse proxy on 127.0.0.1: X-Forwarded-For and -Proto are believed from it."""
    CONFIG = {"server": {"trusted_proxies": ["127.0.0.1"]}}

    def sessions_ip(self, client):
        r = client.get("/v1/sessions")
        self.assertEqual(r.status, 200, r)
        return {s["id"]: s["ip"] for s in r.json["sessions"]}[client.session_id]

    def test_client_address_is_the_rightmost_untrusted_forwarded_entry(self):
        name, password, _ = self.new_user()
        # The client forged the first entry; the proxy appended the real peer.
        r = self.login(name, password, "header",
                       headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 127.0.0.1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.sessions_ip(Client(self.server, r, "header")), "203.0.113.7")
        r = self.login(name, password, "header", headers={"X-Forwarded-For": "not-an-address"})
        self.assertEqual(self.sessions_ip(Client(self.server, r, "header")), "127.0.0.1")

    def test_brute_force_counts_per_forwarded_client(self):
        name, password, _ = self.new_user()
        for _ in range(3):
            r = self.login(name, "wrong-password", "header",
                           headers={"X-Forwarded-For": "203.0.113.9"})
            self.assertError(r, 401, "invalid_credentials")
        r = self.login(name, password, "header", headers={"X-Forwarded-For": "203.0.113.9"})
        self.assertError(r, 429, "rate_limited")
        # The owner, elsewhere behind the same proxy, is not held up by the attacker.
        r = self.login(name, password, "header", headers={"X-Forwarded-For": "192.0.2.44"})
        self.assertEqual(r.status, 200, r)

    def test_forwarded_https_is_the_own_origin(self):
        name, password, _ = self.new_user()
        host = self.server.origin.split("://", 1)[1]
        r = self.login(name, password, "cookie",
                       headers={"Origin": "https://" + host, "X-Forwarded-Proto": "https"})
        self.assertEqual(r.status, 200, r)
        r = self.login(name, password, "cookie", headers={"Origin": "https://" + host})
        self.assertError(r, 403, "csrf_failed")


class UntrustedForwardingTest(ServerTestCase):
    """Without trusted_proxies, forwarding headers from clients are ignored."""

    def test_forwarded_for_is_ignored(self):
        name, password, _ = self.new_user()
        r = self.login(name, password, "header", headers={"X-Forwarded-For": "203.0.113.7"})
        c = Client(self.server, r, "header")
        r = c.get("/v1/sessions")
        ips = {s["id"]: s["ip"] for s in r.json["sessions"]}
        self.assertEqual(ips[c.session_id], "127.0.0.1")
        host = self.server.origin.split("://", 1)[1]
        r = self.login(name, password, "cookie",
                       headers={"Origin": "https://" + host, "X-Forwarded-Proto": "https"})
        self.assertError(r, 403, "csrf_failed")


# ------------------------------------------------------------------------------------------------
# Secrets and logs; timing
# ------------------------------------------------------------------------------------------------

class SecretsInLogsTest(ServerTestCase):
    CONFIG = {"auth": {"registration": "open"}}

    def test_no_secret_reaches_the_logs(self):
        server = self.server
        name, password, user_id = self.new_user()
        cookie = self.session(name, password, "cookie")
        bearer = self.session(name, password, "header")
        self.login(name, "wrong-password-" + pyrandom.token_urlsafe(8))
        server.request("POST", "/v1/auth/login", headers={"Origin": server.origin},
                       form={"username": name, "password": password})
        server.request("POST", "/v1/auth/login", headers={"Origin": server.origin},
                       form={"username": name, "password": "bad-form-" + pyrandom.token_hex(6)})
        server.request("POST", "/v1/users", json={"username": unique_name(),
                                                  "password": new_password()})
        for c in (cookie, bearer):
            c.me()
            c.get("/v1/auth/verify")
            c.get("/v1/sessions")
        server.request("POST", "/v1/auth/logout", headers={
            "Cookie": "sesame_session=" + cookie.token, "X-CSRF-Token": "wrong-" + cookie.csrf})
        server.request("GET", "/v1/auth/me",
                       headers={"Authorization": "Bearer " + pyrandom.token_urlsafe(32)})
        server.request("GET", "/v1/auth/me",
                       headers={"Authorization": "Bearer " + pyrandom.token_urlsafe(40) * 200})
        self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"password": new_password()})
        cookie.request("POST", "/v1/auth/logout")
        bearer.request("POST", "/v1/auth/logout")
        server.stop()  # flushes the access log
        logs = server.logs()
        # The log is there and names sessions by id (so the grep looks at the right thing).
        self.assertIn(b'"log":"access"', logs)
        self.assertIn(cookie.session_id.encode(), logs)
        self.assertIn(bearer.session_id.encode(), logs)
        used = server.secrets()
        self.assertGreater(len(used), 10)
        leaked = server.leaked_secrets()
        self.assertEqual(leaked, [], "secrets in the server's stdout/stderr")
        server.start()


class TimingTest(ServerTestCase):
    # Heavier argon2id than elsewhere, so a missing dummy verification would show.
    CONFIG = {"password": {"argon2_iterations": 2, "argon2_memory": "8MiB"}}
    TRIES = 15

    def test_invalid_credentials_take_about_the_same_time(self):
        users = [self.new_user() for _ in range(self.TRIES)]
        unknown, wrong = [], []
        for i in range(self.TRIES):
            for kind in ((0, 1) if i % 2 else (1, 0)):  # interleave, alternate order
                if kind == 0:
                    name, password = unique_name("ghost"), new_password()
                    bucket = unknown
                else:
                    name, password = users[i][0], users[i][1] + "-wrong"
                    bucket = wrong
                t = time.perf_counter()
                r = self.login(name, password)
                bucket.append(time.perf_counter() - t)
                self.assertError(r, 401, "invalid_credentials")
        t = time.perf_counter()
        self.assertEqual(self.login(users[0][0], users[0][1]).status, 200)
        success = time.perf_counter() - t
        mu, mw = statistics.median(unknown), statistics.median(wrong)
        REPORT["timing median unknown user (ms)"] = "%.2f" % (mu * 1000)
        REPORT["timing median wrong password (ms)"] = "%.2f" % (mw * 1000)
        REPORT["timing one successful login (ms)"] = "%.2f" % (success * 1000)
        REPORT["timing argon2id"] = "2 iterations, 8 MiB"
        self.assertLessEqual(max(mu, mw) / min(mu, mw), 2.0,
                             "unknown %.2f ms vs wrong password %.2f ms" % (mu * 1e3, mw * 1e3))


def suite_main():
    """main() of a suite built on this harness: SCRIPT PATH/TO/sesame [unittest args]."""
    global BINARY
    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        BINARY = os.path.abspath(argv.pop(1))
    program = unittest.main(module="__main__", argv=argv, exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)


def main():
    global BINARY
    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        BINARY = os.path.abspath(argv.pop(1))
    program = unittest.main(argv=argv, exit=False)
    if REPORT:
        sys.stderr.write("\nmeasurements:\n")
        for key, value in REPORT.items():
            sys.stderr.write("  %s: %s\n" % (key, value))
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
