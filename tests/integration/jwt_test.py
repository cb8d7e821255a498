#!/usr/bin/python3
"""HTTP integration tests of jwt mode (issue 4), against API.md: access JWTs, refresh rotation
with reuse detection, revocation that reaches stateless tokens, keys and the JWKS.

Usage: jwt_test.py PATH/TO/sesame [unittest options, e.g. -v or a test name]
Uses the harness and base class of server_test.py (a real `sesame serve` per test class, on
loopback, port 0, in a temporary directory) and Debian's python3-jwt for the interop checks.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from server_test import ServerTestCase, unique_name, new_password, wait_until  # noqa: E402

REFRESH_COOKIE = "sesame_refresh"


def b64json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def jwt_parts(token):
    header, payload, _ = token.split(".")
    return b64json(header), b64json(payload)


class JwtClient:
    """A jwt-mode login: the access JWT and refresh token, in cookies or in the body."""

    def __init__(self, test, response, transport):
        self.test = test
        self.server = test.server
        self.transport = transport
        body = response.json
        self.session_id = body["session"]["id"]
        self.user_id = body["user"]["id"]
        self.csrf = body.get("csrf_token")
        self.access = None
        self.refresh_token = None
        self.absorb(response)

    @property
    def bearer(self):
        return self.transport == "header"

    def absorb(self, response):
        """Takes the credentials of a login or refresh answer."""
        if self.transport == "cookie":
            cookies = response.cookies()
            self.access = cookies[self.test.COOKIE_NAME][0]
            if REFRESH_COOKIE in cookies:
                self.refresh_token = cookies[REFRESH_COOKIE][0]
            self.csrf = response.json.get("csrf_token", self.csrf)
        else:
            self.access = response.json["access_token"]
            self.refresh_token = response.json.get("refresh_token")

    def auth(self, unsafe=False, access=None):
        access = access or self.access
        if self.transport == "cookie":
            headers = {"Cookie": "%s=%s" % (self.test.COOKIE_NAME, access)}
            if unsafe:
                headers["X-CSRF-Token"] = self.csrf
                headers["Origin"] = self.server.origin
            return headers
        return {"Authorization": "Bearer " + access}

    def request(self, method, path, headers=None, access=None, **kwargs):
        merged = self.auth(unsafe=method not in ("GET", "HEAD", "OPTIONS"), access=access)
        merged.update(headers or {})
        return self.server.request(method, path, headers=merged, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def me(self, access=None):
        return self.get("/v1/auth/me", access=access)

    def refresh_request(self, token=None, csrf=True):
        token = token or self.refresh_token
        if self.transport == "cookie":
            headers = {"Cookie": "%s=%s" % (REFRESH_COOKIE, token)}
            if csrf:
                headers["X-CSRF-Token"] = self.csrf
                headers["Origin"] = self.server.origin
            return self.server.request("POST", "/v1/auth/refresh", headers=headers)
        return self.server.request("POST", "/v1/auth/refresh", json={"refresh_token": token})

    def refresh(self):
        r = self.refresh_request()
        self.test.assertEqual(r.status, 200, r)
        self.absorb(r)
        return r


class JwtTestCase(ServerTestCase):
    """A server with jwt mode; short-lived tokens where a class says so."""

    def jwt_login(self, name, password, transport="header", **extra):
        r = self.login(name, password, transport, mode="jwt", **extra)
        self.assertEqual(r.status, 200, r)
        return JwtClient(self, r, transport)

    def jwt_user(self, transport="header", roles=()):
        name, password, user_id = self.new_user(roles=roles)
        return self.jwt_login(name, password, transport), name, password, user_id

    def assertRevoked(self, client, access=None):
        self.assertError(client.me(access=access), 401, "session_revoked", bearer=client.bearer)
        r = client.get("/v1/auth/verify", access=access)
        self.assertError(r, 401, "session_revoked", bearer=client.bearer)

    def assertAlive(self, client):
        r = client.me()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["session"]["id"], client.session_id)

    def refresh_outcomes(self):
        r = self.server.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        out = {}
        for line in r.text.splitlines():
            if line.startswith("sesame_refreshes_total{"):
                result = line.split('result="')[1].split('"')[0]
                out[result] = float(line.rsplit(" ", 1)[1])
        return out

    def audit(self, user_id):
        r = self.admin.get("/v1/admin/users/%s/audit" % user_id)
        if r.status == 404:
            return None
        self.assertEqual(r.status, 200, r)
        return r.json


# ------------------------------------------------------------------------------------------------
# Tokens
# ------------------------------------------------------------------------------------------------

class AccessTokenTest(JwtTestCase):
    CONFIG = {"jwt": {"issuer": "https://auth.example.test", "audience": "api.example.test"}}

    def test_header_login_returns_an_access_jwt_and_a_refresh_token(self):
        name, password, user_id = self.new_user(roles=["ops", "dev"])
        before = int(time.time())
        r = self.login(name, password, "header", mode="jwt")
        self.assertEqual(r.status, 200, r)
        body = r.json
        self.assertEqual(body["session"]["mode"], "jwt")
        self.assertEqual(body["token_type"], "Bearer")
        self.assertNotIn("session_token", body)
        self.assertNotIn("Set-Cookie", r.headers)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        self.assertTrue(1790 <= body["expires_in"] <= 1800, body)
        self.assertTrue(14 * 86400 - 10 <= body["refresh_expires_in"] <= 14 * 86400, body)
        header, claims = jwt_parts(body["access_token"])
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(header["typ"], "at+jwt")
        jwks_kids = {k["kid"] for k in self.server.request(
            "GET", "/.well-known/jwks.json").json["keys"]}
        self.assertIn(header["kid"], jwks_kids)
        self.assertEqual(claims["sub"], user_id)
        self.assertEqual(claims["sid"], body["session"]["id"])
        self.assertEqual(claims["iss"], "https://auth.example.test")
        self.assertEqual(claims["aud"], "api.example.test")
        self.assertEqual(sorted(claims["roles"]), ["dev", "ops"])
        self.assertEqual(claims["preferred_username"], name)
        self.assertTrue(before <= claims["iat"] <= before + 5)
        self.assertEqual(claims["nbf"], claims["iat"])
        self.assertEqual(claims["exp"], claims["iat"] + 1800)
        self.assertRegex(claims["jti"], r"^[A-Za-z0-9_-]{22}$")
        self.assertEqual(set(claims), {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid",
                                       "roles", "preferred_username"})
        # Nothing secret in the token: no password, no refresh token.
        self.assertNotIn(password, json.dumps(claims))
        self.assertNotIn(body["refresh_token"], body["access_token"])

    def test_every_token_has_its_own_jti_and_every_login_its_own_session(self):
        name, password, _ = self.new_user()
        a = self.jwt_login(name, password)
        b = self.jwt_login(name, password)
        self.assertNotEqual(a.session_id, b.session_id)
        jtis = {jwt_parts(c.access)[1]["jti"] for c in (a, b)}
        a.refresh()
        jtis.add(jwt_parts(a.access)[1]["jti"])
        self.assertEqual(len(jtis), 3)

    def test_verify_me_and_sessions_accept_the_access_jwt(self):
        client, name, _, user_id = self.jwt_user(roles=["ops"])
        self.assertVerified(client.get("/v1/auth/verify?role=ops"), user_id, name, "ops",
                            client.session_id)
        self.assertError(client.get("/v1/auth/verify?role=admin"), 403, "forbidden")
        me = client.me()
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json["session"]["mode"], "jwt")
        self.assertEqual(me.json["session"]["transport"], "header")
        self.assertEqual(me.json["user"]["username"], name)
        sessions = client.get("/v1/sessions")
        self.assertEqual(sessions.status, 200, sessions)
        current = [s for s in sessions.json["sessions"] if s["current"]]
        self.assertEqual([s["id"] for s in current], [client.session_id])

    def test_a_tampered_or_foreign_token_is_invalid(self):
        client, _, _, _ = self.jwt_user()
        header, payload, signature = client.access.split(".")
        claims = b64json(payload)
        claims["roles"] = ["admin"]
        forged_payload = base64.urlsafe_b64encode(
            json.dumps(claims).encode()).rstrip(b"=").decode()
        cases = {
            "payload changed": "%s.%s.%s" % (header, forged_payload, signature),
            "signature cut": "%s.%s.%s" % (header, payload, signature[:-4]),
            "alg none": "%s.%s." % (base64.urlsafe_b64encode(
                b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode(), payload),
            "garbage with dots": "a.b.c",
            "oversized": "a." + "b" * 9000 + ".c",
        }
        for label, token in cases.items():
            with self.subTest(label):
                self.assertError(client.get("/v1/auth/verify", access=token), 401,
                                 "invalid_token", bearer=True)

    def test_tokens_for_another_issuer_or_audience_are_invalid(self):
        import jwt  # Debian's python3-jwt
        with open(os.path.join(self.server.data_dir, "keys.json")) as f:
            ring = json.load(f)
        active = [k["jwk"] for k in ring["keys"] if k["state"] == "active"][0]
        key = jwt.PyJWK.from_dict(active).key
        client, _, _, _ = self.jwt_user()
        _, claims = jwt_parts(client.access)
        for label, change in (("issuer", {"iss": "https://evil.example"}),
                              ("audience", {"aud": "other"}), ("no sid", {"sid": None})):
            with self.subTest(label):
                forged = dict(claims)
                forged.update(change)
                forged = {k: v for k, v in forged.items() if v is not None}
                token = jwt.encode(forged, key, algorithm="ES256",
                                   headers={"kid": active["kid"], "typ": "at+jwt"})
                self.assertError(client.get("/v1/auth/verify", access=token), 401,
                                 "invalid_token", bearer=True)
        # The same signing path with the right claims passes: the cases above fail on the claim.
        token = jwt.encode(claims, key, algorithm="ES256",
                           headers={"kid": active["kid"], "typ": "at+jwt"})
        self.assertEqual(client.get("/v1/auth/verify", access=token).status, 200)

    def test_access_and_refresh_tokens_are_not_interchangeable(self):
        client, _, _, _ = self.jwt_user()
        self.assertError(client.get("/v1/auth/verify", access=client.refresh_token), 401,
                         "invalid_token", bearer=True)
        r = self.server.request("POST", "/v1/auth/refresh", json={"refresh_token": client.access})
        self.assertError(r, 401, "invalid_token", bearer=True)
        self.assertAlive(client)

    def test_pyjwt_verifies_access_tokens_against_the_served_jwks(self):
        import jwt  # Debian's python3-jwt
        client, _, _, user_id = self.jwt_user()
        jwks = self.server.request("GET", "/.well-known/jwks.json").json
        kid = jwt.get_unverified_header(client.access)["kid"]
        key = [k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid][0]
        claims = jwt.decode(client.access, key.key, algorithms=["ES256"],
                            audience="api.example.test", issuer="https://auth.example.test")
        self.assertEqual(claims["sub"], user_id)
        self.assertEqual(claims["sid"], client.session_id)
        with self.assertRaises(jwt.InvalidAudienceError):
            jwt.decode(client.access, key.key, algorithms=["ES256"], audience="someone-else")


class CookieTransportTest(JwtTestCase):
    def test_cookie_login_sets_two_httponly_cookies_and_no_secret_in_the_body(self):
        name, password, _ = self.new_user()
        r = self.login(name, password, "cookie", mode="jwt")
        self.assertEqual(r.status, 200, r)
        for key in ("access_token", "refresh_token", "session_token"):
            self.assertNotIn(key, r.json)
        self.assertRegex(r.json["csrf_token"], r"^[A-Za-z0-9_-]{43}$")
        set_cookies = {c.split("=", 1)[0]: c for c in r.headers.get_all("Set-Cookie")}
        access = set_cookies[self.COOKIE_NAME]
        refresh = set_cookies[REFRESH_COOKIE]
        for cookie in (access, refresh):
            self.assertIn("HttpOnly", cookie)
            self.assertIn("SameSite=Lax", cookie)
        self.assertIn("Path=/;", access + ";")
        self.assertIn("Path=/v1/auth/refresh;", refresh + ";")
        token = access.split("=", 1)[1].split(";")[0]
        self.assertEqual(jwt_parts(token)[0]["typ"], "at+jwt")

    def test_unsafe_requests_with_the_access_cookie_need_the_csrf_token(self):
        client, _, _, _ = self.jwt_user("cookie")
        cookie = {"Cookie": "%s=%s" % (self.COOKIE_NAME, client.access)}
        no_token = dict(cookie, Origin=self.server.origin)
        self.assertError(self.server.request("POST", "/v1/auth/logout", headers=no_token), 403,
                         "csrf_failed")
        wrong = dict(no_token, **{"X-CSRF-Token": "x" * 43})
        self.assertError(self.server.request("POST", "/v1/auth/logout", headers=wrong), 403,
                         "csrf_failed")
        foreign = dict(cookie, Origin="https://evil.example", **{"X-CSRF-Token": client.csrf})
        self.assertError(self.server.request("POST", "/v1/auth/logout", headers=foreign), 403,
                         "csrf_failed")
        self.assertAlive(client)
        # GET needs no CSRF token; me returns it.
        me = client.me()
        self.assertEqual(me.json["csrf_token"], client.csrf)
        r = client.request("POST", "/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        cleared = {c.split("=", 1)[0]: c for c in r.headers.get_all("Set-Cookie")}
        self.assertIn("Max-Age=0", cleared[self.COOKIE_NAME])
        self.assertIn("Max-Age=0", cleared[REFRESH_COOKIE])
        self.assertIn("Path=/v1/auth/refresh", cleared[REFRESH_COOKIE])
        self.assertRevoked(client)

    def test_refresh_by_cookie_needs_csrf_and_answers_with_cookies(self):
        client, _, _, _ = self.jwt_user("cookie")
        old_access, old_refresh = client.access, client.refresh_token
        self.assertError(client.refresh_request(csrf=False), 403, "csrf_failed")
        r = client.refresh_request()
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("refresh_token", r.json)
        self.assertNotIn("access_token", r.json)
        self.assertEqual(r.json["csrf_token"], client.csrf)
        client.absorb(r)
        self.assertNotEqual(client.access, old_access)
        self.assertNotEqual(client.refresh_token, old_refresh)
        self.assertAlive(client)

    def test_a_session_cookie_client_and_a_jwt_cookie_client_coexist(self):
        name, password, _ = self.new_user()
        opaque = self.session(name, password, "cookie")
        jwt_client = self.jwt_login(name, password, "cookie")
        self.assertEqual(opaque.me().json["session"]["mode"], "session")
        self.assertEqual(jwt_client.me().json["session"]["mode"], "jwt")
        self.assertEqual(jwt_client.me().json["session"]["transport"], "cookie")


# ------------------------------------------------------------------------------------------------
# Refresh rotation
# ------------------------------------------------------------------------------------------------

class RefreshTest(JwtTestCase):
    def test_refresh_rotates_and_the_retry_within_grace_gets_the_same_successor(self):
        client, _, _, user_id = self.jwt_user()
        first = client.refresh_token
        before = self.refresh_outcomes()
        r1 = client.refresh_request(first)
        self.assertEqual(r1.status, 200, r1)
        successor = r1.json["refresh_token"]
        self.assertNotEqual(successor, first)
        self.assertEqual(r1.json["session"]["id"], client.session_id)
        # The retry (a lost response, a second tab) within the grace window: same successor,
        # a fresh access token, nothing revoked.
        r2 = client.refresh_request(first)
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r2.json["refresh_token"], successor)
        client.absorb(r2)
        self.assertAlive(client)
        # The successor is the one live branch: it rotates on.
        r3 = client.refresh_request(successor)
        self.assertEqual(r3.status, 200, r3)
        self.assertNotIn(r3.json["refresh_token"], (first, successor))
        after = self.refresh_outcomes()
        self.assertEqual(after.get("ok", 0) - before.get("ok", 0), 2)
        self.assertEqual(after.get("race", 0) - before.get("race", 0), 1)
        self.assertEqual(after.get("theft", 0), before.get("theft", 0))
        events = self.audit(user_id)
        if events is not None:
            details = [e.get("detail") for e in events["events"] if e["type"] == "refresh"]
            self.assertEqual(sorted(details), ["ok", "ok", "race"])

    def test_an_older_generation_is_theft_and_revokes_the_whole_family(self):
        client, _, _, _ = self.jwt_user()
        gen0 = client.refresh_token
        live_access = client.access
        client.refresh()
        client.refresh()  # now at generation 2; generation 0 is two behind
        before = self.refresh_outcomes()
        r = client.refresh_request(gen0)
        self.assertError(r, 401, "refresh_token_reused", bearer=True)
        self.assertEqual(self.refresh_outcomes().get("theft", 0) - before.get("theft", 0), 1)
        # The session is revoked: the newest refresh token and every access token die with it.
        self.assertError(client.refresh_request(), 401, "session_revoked", bearer=True)
        self.assertRevoked(client)
        self.assertRevoked(client, access=live_access)

    def test_unknown_refresh_tokens_revoke_nothing(self):
        client, _, _, _ = self.jwt_user()
        sid, gen, mac = client.refresh_token.split(".")
        cases = {
            "random": "x" * 43,
            "mac changed": "%s.%s.%s" % (sid, gen, ("A" if mac[0] != "A" else "B") + mac[1:]),
            "generation changed": "%s.%d.%s" % (sid, int(gen) + 1, mac),
            "other session": "s_AAAAAAAAAAAAAAAAAAAAAA.%s.%s" % (gen, mac),
            "empty": "",
        }
        for label, token in cases.items():
            with self.subTest(label):
                r = self.server.request("POST", "/v1/auth/refresh", json={"refresh_token": token})
                if token:
                    self.assertError(r, 401, "invalid_token", bearer=True)
                else:
                    self.assertError(r, 401, "missing_credentials", bearer=True)
        self.assertAlive(client)
        client.refresh()

    def test_bad_refresh_bodies_are_invalid_requests(self):
        for body in (b"{", b'{"refresh_token": 5}', b"[]"):
            with self.subTest(body=body):
                r = self.server.request("POST", "/v1/auth/refresh", body=body,
                                        headers={"Content-Type": "application/json"})
                self.assertError(r, 400, "invalid_request")

    def test_concurrent_refreshes_never_yield_two_live_branches(self):
        for round_ in range(3):
            with self.subTest(round=round_):
                client, _, _, _ = self.jwt_user()
                token = client.refresh_token
                barrier = threading.Barrier(8)
                results = []
                lock = threading.Lock()

                def worker():
                    barrier.wait()
                    r = client.refresh_request(token)
                    with lock:
                        results.append(r)

                threads = [threading.Thread(target=worker) for _ in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                self.assertEqual([r.status for r in results], [200] * 8, results)
                successors = {r.json["refresh_token"] for r in results}
                self.assertEqual(len(successors), 1, "two live branches: %s" % successors)
                # The single successor works, and the family is intact.
                r = client.refresh_request(successors.pop())
                self.assertEqual(r.status, 200, r)
                client.absorb(r)
                self.assertAlive(client)

    def test_logout_kills_the_refresh_token(self):
        client, _, _, _ = self.jwt_user()
        self.assertEqual(client.request("POST", "/v1/auth/logout").status, 204)
        self.assertError(client.refresh_request(), 401, "session_revoked", bearer=True)


class GraceTest(JwtTestCase):
    CONFIG = {"jwt": {"refresh_grace": "1s"}}

    def test_the_previous_token_after_the_grace_window_is_theft(self):
        client, _, _, _ = self.jwt_user()
        old = client.refresh_token
        old_access = client.access
        rotated_at = time.time()
        client.refresh()
        # The server counts whole seconds: past rotated_at + 1 s for sure after 2.1 s.
        time.sleep(max(0.0, rotated_at + 2.1 - time.time()))
        r = client.refresh_request(old)
        self.assertError(r, 401, "refresh_token_reused", bearer=True)
        self.assertRevoked(client)
        self.assertRevoked(client, access=old_access)


class ExpiryTest(JwtTestCase):
    # Access tokens live 2 s with no leeway; sessions idle out after 4 s.
    CONFIG = {"jwt": {"access_ttl": "2s", "leeway": "0s"},
              "session": {"idle_timeout": "4s", "absolute_timeout": "6s"}}

    def jwt_user(self, transport="header", roles=()):
        # The admin's own session times out here too: make users with the command line.
        name, password = unique_name(), new_password()
        self.server.add_user(name, password, roles=roles)
        client = self.jwt_login(name, password, transport)
        return client, name, password, client.user_id

    def test_an_expired_access_token_is_token_expired_and_refresh_renews_it(self):
        client, _, _, _ = self.jwt_user()
        _, claims = jwt_parts(client.access)
        self.assertEqual(claims["exp"] - claims["iat"], 2)
        wait_until(lambda: time.time() >= claims["exp"] + 0.05, timeout=5)
        self.assertError(client.get("/v1/auth/verify"), 401, "token_expired", bearer=True)
        client.refresh()
        self.assertEqual(client.get("/v1/auth/verify").status, 200)

    def test_idle_and_absolute_timeouts_apply_to_refreshes(self):
        client, _, _, _ = self.jwt_user()
        created = time.time()
        # Refreshing every ~1.5 s keeps the session past its idle timeout (4 s)...
        while time.time() < created + 5.0:
            time.sleep(1.5)
            r = client.refresh_request()
            if r.status != 200:
                break
            client.absorb(r)
            self.assertLessEqual(r.json["session"]["absolute_expires_at"], int(created) + 7)
        # ...but never past its absolute expiry (6 s).
        wait_until(lambda: time.time() >= created + 7.1, timeout=10)
        self.assertError(client.refresh_request(), 401, "session_expired", bearer=True)

        idle, _, _, _ = self.jwt_user()
        time.sleep(5.1)  # past the idle timeout without a refresh
        self.assertError(idle.refresh_request(), 401, "session_expired", bearer=True)

    def test_access_tokens_never_outlive_the_session(self):
        client, _, _, _ = self.jwt_user()
        time.sleep(4.2)
        r = client.refresh_request()
        if r.status == 200:
            _, claims = jwt_parts(r.json["access_token"])
            self.assertLessEqual(claims["exp"], r.json["session"]["absolute_expires_at"])


class NoRefreshTest(JwtTestCase):
    CONFIG = {"jwt": {"refresh": False, "access_ttl": "12h"}}

    def test_access_only_deployments_issue_no_refresh_token(self):
        for transport in ("header", "cookie"):
            with self.subTest(transport=transport):
                name, password, _ = self.new_user()
                r = self.login(name, password, transport, mode="jwt")
                self.assertEqual(r.status, 200, r)
                self.assertNotIn("refresh_token", r.json)
                self.assertNotIn("refresh_expires_in", r.json)
                self.assertNotIn(REFRESH_COOKIE, r.cookies())
                client = JwtClient(self, r, transport)
                self.assertTrue(41000 < r.json["expires_in"] <= 43200)
                self.assertAlive(client)
                self.assertEqual(client.request("POST", "/v1/auth/logout").status, 204)
                self.assertRevoked(client)

    def test_refresh_answers_invalid_token(self):
        r = self.server.request("POST", "/v1/auth/refresh",
                                json={"refresh_token": "s_x.0." + "A" * 43})
        self.assertError(r, 401, "invalid_token", bearer=True)


# ------------------------------------------------------------------------------------------------
# Revocation of stateless tokens
# ------------------------------------------------------------------------------------------------

class RevocationTest(JwtTestCase):
    def test_every_way_of_ending_a_session_kills_its_live_access_jwt(self):
        def logout(c, other):
            self.assertEqual(c.request("POST", "/v1/auth/logout").status, 204)

        def logout_all(c, other):
            self.assertEqual(other.request("POST", "/v1/auth/logout-all").status, 204)

        def delete_own(c, other):
            r = other.request("DELETE", "/v1/sessions/%s" % c.session_id)
            self.assertEqual(r.status, 204, r)

        def admin_session(c, other):
            r = self.admin.request("DELETE", "/v1/admin/sessions/%s" % c.session_id)
            self.assertEqual(r.status, 204, r)

        def admin_force_logout(c, other):
            r = self.admin.request("DELETE", "/v1/admin/users/%s/sessions" % c.user_id)
            self.assertEqual(r.status, 204, r)

        def disable(c, other):
            r = self.admin.request("PATCH", "/v1/admin/users/%s" % c.user_id,
                                   json={"disabled": True})
            self.assertEqual(r.status, 200, r)

        def cli_revoke(c, other):
            self.server.cli("session", "revoke", c.session_id)

        def cli_revoke_all(c, other):
            self.server.cli("session", "revoke-all", c.name)

        for transport in ("header", "cookie"):
            for label, end in (("logout", logout), ("logout-all", logout_all),
                               ("DELETE /v1/sessions/{id}", delete_own),
                               ("admin delete session", admin_session),
                               ("admin force logout", admin_force_logout),
                               ("disable", disable), ("sesame session revoke", cli_revoke),
                               ("sesame session revoke-all", cli_revoke_all)):
                with self.subTest(label, transport=transport):
                    name, password, _ = self.new_user()
                    client = self.jwt_login(name, password, transport)
                    client.name = name
                    other = self.jwt_login(name, password, "header")
                    # Warm the verified-token cache: the revocation must beat it.
                    self.assertEqual(client.get("/v1/auth/verify").status, 200)
                    end(client, other)
                    if end in (cli_revoke, cli_revoke_all):  # another process: by the feed
                        wait_until(lambda: client.get("/v1/auth/verify").status == 401, 5)
                    self.assertRevoked(client)

    def test_revocations_survive_a_restart(self):
        name, password, _ = self.new_user()
        revoked = self.jwt_login(name, password)
        kept = self.jwt_login(name, password, "cookie")
        self.assertEqual(revoked.request("POST", "/v1/auth/logout").status, 204)
        self.assertRevoked(revoked)
        self.server.stop()
        self.server.start()
        self.assertRevoked(revoked)
        self.assertAlive(kept)
        self.assertEqual(kept.get("/v1/auth/verify").status, 200)


class HmacTest(JwtTestCase):
    CONFIG = {"jwt": {"algorithm": "HS256"}}

    def test_hs256_tokens_verify_here_and_are_never_published(self):
        client, _, _, _ = self.jwt_user()
        self.assertEqual(jwt_parts(client.access)[0]["alg"], "HS256")
        self.assertEqual(client.get("/v1/auth/verify").status, 200)
        self.assertEqual(self.server.request("GET", "/.well-known/jwks.json").json["keys"], [])
        client.refresh()
        self.assertEqual(client.request("POST", "/v1/auth/logout").status, 204)
        self.assertRevoked(client)


# ------------------------------------------------------------------------------------------------
# Keys
# ------------------------------------------------------------------------------------------------

KEYS_DIR = tempfile.mkdtemp(prefix="sesame-keys-")


class KeysFileTest(JwtTestCase):
    """jwt.keys_file puts the key ring outside the data directory, for the server and the CLI."""
    CONFIG = {"jwt": {"keys_file": os.path.join(KEYS_DIR, "ring.json")}}

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        import shutil
        shutil.rmtree(KEYS_DIR, ignore_errors=True)

    def test_the_configured_ring_signs_and_the_cli_rotates_it(self):
        path = os.path.join(KEYS_DIR, "ring.json")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "keys.json")))
        with open(path) as f:
            active = [k["jwk"]["kid"] for k in json.load(f)["keys"] if k["state"] == "active"][0]
        client, _, _, _ = self.jwt_user()
        self.assertEqual(jwt_parts(client.access)[0]["kid"], active)
        self.assertIn(active, self.server.cli("keys", "list").stdout)
        r = self.server.cli("token", "verify", "--aud", "sesame", client.access)
        self.assertEqual(json.loads(r.stdout)["sid"], client.session_id)


class KeyRotationTest(JwtTestCase):
    CONFIG = {"jwt": {"access_ttl": "3s", "leeway": "0s"}}

    def jwks_kids(self):
        return {k["kid"] for k in self.server.request("GET", "/.well-known/jwks.json").json["keys"]}

    def test_old_tokens_verify_after_rotation_until_they_expire_then_the_key_leaves(self):
        client, _, _, _ = self.jwt_user()
        old_header, old_claims = jwt_parts(client.access)
        old_kid = old_header["kid"]
        before = self.jwks_kids()
        self.server.cli("keys", "rotate", "--force")
        rotated_at = time.time()

        def new_kid():
            fresh = self.jwt_user()[0]
            kid = jwt_parts(fresh.access)[0]["kid"]
            return kid if kid != old_kid else None

        signing = wait_until(new_kid, timeout=5)
        self.assertTrue(signing, "the running server did not pick up the rotation")
        self.assertIn(signing, before, "the new signing key was not published before it signed")
        self.assertIn(old_kid, self.jwks_kids())
        self.assertEqual(client.get("/v1/auth/verify").status, 200)  # old key still verifies
        # Once every token the old key signed has expired (3 s), it leaves the JWKS.
        gone = wait_until(lambda: old_kid not in self.jwks_kids(), timeout=8)
        self.assertTrue(gone, "the retired key is still published")
        # ...and not before: the old key signed a token that was valid until its exp.
        self.assertGreaterEqual(time.time(), old_claims["exp"] - 1.0)
        self.assertLess(rotated_at, old_claims["exp"])
        # Its tokens are dead either way; with the key gone the signature cannot be checked, so
        # the claims (exp) are not believed: invalid_token.
        self.assertError(client.get("/v1/auth/verify"), 401, "invalid_token", bearer=True)


# ------------------------------------------------------------------------------------------------
# For other services: RFC 7662 introspection and RFC 7009 revocation
# ------------------------------------------------------------------------------------------------

def api_key_entry(name, key):
    digest = base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).rstrip(b"=")
    return "%s:%s" % (name, digest.decode())


BILLING_KEY = "sk_" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
REPORTS_KEY = "sk_" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


class OAuthTest(JwtTestCase):
    CONFIG = {"oauth": {"clients": [api_key_entry("billing", BILLING_KEY),
                                    api_key_entry("reports", REPORTS_KEY)]}}

    @classmethod
    def setUpServer(cls):
        for key in (BILLING_KEY, REPORTS_KEY):
            cls.server.remember_secret(key)

    def basic(self, name, key):
        raw = base64.b64encode(("%s:%s" % (name, key)).encode()).decode()
        return {"Authorization": "Basic " + raw}

    def call(self, endpoint, token, auth=None, **extra):
        form = {"token": token}
        form.update(extra)
        headers = self.basic("billing", BILLING_KEY) if auth is None else auth
        return self.server.request("POST", "/v1/oauth/" + endpoint, form=form, headers=headers)

    def introspect(self, token, **kwargs):
        r = self.call("introspect", token, **kwargs)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        return r.json

    def test_callers_need_a_configured_api_key(self):
        client, _, _, _ = self.jwt_user()
        for endpoint in ("introspect", "revoke"):
            with self.subTest(endpoint):
                self.assertError(self.call(endpoint, client.access, auth={}), 401,
                                 "missing_credentials")
                for label, auth in (
                        ("wrong key", self.basic("billing", "sk_" + "A" * 43)),
                        ("other client's key", self.basic("billing", REPORTS_KEY)),
                        ("unknown client", self.basic("nobody", BILLING_KEY)),
                        ("malformed basic", {"Authorization": "Basic !!!"}),
                        ("a user's access token", {"Authorization": "Bearer " + client.access}),
                        ("other scheme", {"Authorization": "Digest x"})):
                    with self.subTest(label):
                        self.assertError(self.call(endpoint, client.access, auth=auth), 401,
                                         "invalid_credentials")
        # Nothing was revoked by the refused calls.
        self.assertAlive(client)
        # Bearer with the key works as well as Basic.
        r = self.call("introspect", client.access,
                      auth={"Authorization": "Bearer " + REPORTS_KEY})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["active"])

    def test_introspection_of_every_kind_of_token(self):
        client, name, password, user_id = self.jwt_user(roles=["ops"])
        access = self.introspect(client.access)
        self.assertEqual(access["active"], True)
        self.assertEqual(access["token_type"], "access_token")
        self.assertEqual(access["sub"], user_id)
        self.assertEqual(access["sid"], client.session_id)
        self.assertEqual(access["username"], name)
        self.assertEqual(access["roles"], ["ops"])
        _, claims = jwt_parts(client.access)
        self.assertEqual((access["exp"], access["iat"], access["jti"]),
                         (claims["exp"], claims["iat"], claims["jti"]))
        refresh = self.introspect(client.refresh_token)
        self.assertEqual((refresh["active"], refresh["token_type"], refresh["sid"]),
                         (True, "refresh_token", client.session_id))
        opaque = self.session(name, password, "header")
        session = self.introspect(opaque.token)
        self.assertEqual((session["active"], session["token_type"], session["sid"]),
                         (True, "session_token", opaque.session_id))
        for garbage in ("x", "a.b.c", "x" * 43, client.refresh_token[:-2] + "AA"):
            with self.subTest(garbage=garbage):
                self.assertEqual(self.introspect(garbage), {"active": False})

    def test_introspection_is_passive_and_sees_rotation_and_revocation(self):
        client, _, _, _ = self.jwt_user()
        old = client.refresh_token
        client.refresh()
        # A rotated token is inactive, and asking about it is not a reuse.
        self.assertEqual(self.introspect(old), {"active": False})
        self.assertTrue(self.introspect(client.refresh_token)["active"])
        self.assertAlive(client)
        self.assertEqual(client.request("POST", "/v1/auth/logout").status, 204)
        self.assertEqual(self.introspect(client.access), {"active": False})
        self.assertEqual(self.introspect(client.refresh_token), {"active": False})

    def test_revoking_any_token_of_a_session_ends_the_session(self):
        name, password, _ = self.new_user()
        for kind in ("access", "refresh", "session"):
            with self.subTest(kind):
                if kind == "session":
                    client = self.session(name, password, "header")
                    token = client.token
                else:
                    client = self.jwt_login(name, password)
                    token = client.access if kind == "access" else client.refresh_token
                r = self.call("revoke", token, token_type_hint="access_token")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body, b"")
                self.assertError(client.me(), 401, "session_revoked", bearer=True)
        # Unknown tokens: 200 and nothing happens (RFC 7009 §2.2).
        survivor = self.jwt_login(name, password)
        for garbage in ("x", "a.b.c", "s_nope.0." + "A" * 43):
            self.assertEqual(self.call("revoke", garbage).status, 200)
        self.assertAlive(survivor)
        r = self.server.request("POST", "/v1/oauth/revoke", form={"nothing": "x"},
                                headers=self.basic("billing", BILLING_KEY))
        self.assertError(r, 400, "invalid_request")

    def test_the_cli_makes_keys_whose_hash_goes_in_the_config(self):
        out = self.server.cli("keys", "api-key", "analytics").stdout
        key = [line.strip() for line in out.splitlines() if line.strip().startswith("sk_")][0]
        self.server.remember_secret(key)
        entry = api_key_entry("analytics", key)
        self.assertIn('clients = ["%s"]' % entry, out)
        self.assertNotIn(key, entry)
        r = self.server.cli("keys", "api-key", "bad name", check=False)
        self.assertEqual(r.returncode, 2, r)


# ------------------------------------------------------------------------------------------------
# The embeddable verifier: the example resource server and `sesame token verify --jwks URL`
# ------------------------------------------------------------------------------------------------

EXAMPLE = os.environ.get("SESAME_EXAMPLE_RESOURCE_SERVER", "")


class ResourceServerTest(JwtTestCase):
    """examples/resource_server trusts sesame's tokens through the JWKS URL alone."""

    @classmethod
    def setUpServer(cls):
        if not EXAMPLE:
            raise unittest.SkipTest("SESAME_EXAMPLE_RESOURCE_SERVER is not set")
        cls.example = subprocess.Popen(
            [EXAMPLE, "--listen", "127.0.0.1:0", "--jwks",
             "http://%s/.well-known/jwks.json" % cls.server.host,
             "--issuer", "sesame", "--audience", "sesame"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.example.stdout.readline()
        if not line.startswith("listening on "):
            cls.example.kill()
            raise AssertionError("the example did not start: %r %s" % (
                line, cls.example.stderr.read()))
        cls.example_port = int(line.split()[-1])

    @classmethod
    def tearDownClass(cls):
        example = getattr(cls, "example", None)
        if example is not None:
            example.kill()  # by PID
            example.wait(timeout=10)
            example.stdout.close()
            example.stderr.close()
        super().tearDownClass()

    def hello(self, token=None, query=""):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.example_port, timeout=15)
        headers = {"Authorization": "Bearer " + token} if token else {}
        try:
            conn.request("GET", "/hello" + query, headers=headers)
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    def reloads(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.example_port, timeout=15)
        try:
            conn.request("GET", "/stats")
            return json.loads(conn.getresponse().read())["jwks_reloads"]
        finally:
            conn.close()

    def test_verifies_tokens_and_fetches_the_jwks_again_after_a_rotation(self):
        client, name, password, user_id = self.jwt_user(roles=["ops"])
        status, body = self.hello(client.access)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"hello": name, "sub": user_id, "sid": client.session_id,
                                "roles": ["ops"]})
        self.assertEqual(self.hello(client.access, "?role=ops")[0], 200)
        self.assertEqual(self.hello(client.access, "?role=admin"), (403, {"error": "forbidden"}))
        self.assertEqual(self.hello(), (401, {"error": "missing_credentials"}))
        self.assertEqual(self.hello("a.b.c"), (401, {"error": "invalid_token"}))
        self.assertEqual(self.hello(client.refresh_token), (401, {"error": "invalid_token"}))
        self.assertEqual(self.reloads(), 0)

        # Two forced rotations: the key that now signs was created after the example fetched.
        before = jwt_parts(client.access)[0]["kid"]
        self.server.cli("keys", "rotate", "--force")
        self.server.cli("keys", "rotate", "--force")

        with open(os.path.join(self.server.data_dir, "keys.json")) as f:
            active = [k["jwk"]["kid"] for k in json.load(f)["keys"] if k["state"] == "active"][0]
        self.assertNotEqual(active, before)

        def token_of_new_key():  # the server may load the two rotations one at a time
            fresh = self.jwt_login(name, password)
            return fresh if jwt_parts(fresh.access)[0]["kid"] == active else None

        fresh = wait_until(token_of_new_key, timeout=5)
        self.assertTrue(fresh, "the server did not pick up the rotation")
        status, body = self.hello(fresh.access)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.reloads(), 1)
        # The old key still verifies (retired, not removed)...
        self.assertEqual(self.hello(client.access)[0], 200)
        # ...and a token naming a kid nobody has is refused without another fetch (rate limit).
        header, payload, signature = fresh.access.split(".")
        forged_header = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        forged_header["kid"] = "no-such-key"
        forged = base64.urlsafe_b64encode(json.dumps(forged_header).encode()).rstrip(b"=")
        token = "%s.%s.%s" % (forged.decode(), payload, signature)
        self.assertEqual(self.hello(token), (401, {"error": "invalid_token"}))
        self.assertEqual(self.reloads(), 1)

    def test_token_verify_takes_the_jwks_url(self):
        client, _, _, user_id = self.jwt_user()
        url = "http://%s/.well-known/jwks.json" % self.server.host
        r = self.server.cli("token", "verify", "--jwks", url, "--aud", "sesame", client.access)
        self.assertEqual(json.loads(r.stdout)["sub"], user_id)
        bad = self.server.cli("token", "verify", "--jwks", "http://127.0.0.1:1/jwks.json",
                              client.access, check=False)
        self.assertEqual(bad.returncode, 2, bad)
        self.assertTrue(bad.stderr.startswith("unavailable: "), bad.stderr)


if __name__ == "__main__":
    server_test.suite_main()
