#!/usr/bin/python3
"""HTTP integration tests of the revocation feed (GET /v1/revocations) and of the embeddable
verifier following it (examples/resource_server --revocations), against a real `sesame serve`.

Usage: revocation_feed_test.py PATH/TO/sesame [unittest options, e.g. -v or a test name]
Environment: SESAME_EXAMPLE_RESOURCE_SERVER names the example resource server (else the verifier
tests are skipped, visibly). Uses the harness and base classes of server_test.py and jwt_test.py.
Prints the measured revocation-to-refusal times at the end.
"""

import base64
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from jwt_test import JwtTestCase, api_key_entry  # noqa: E402
from sesame_server import SesameServer  # noqa: E402
from server_test import BASE_CONFIG, merge_config, require_binary, wait_until  # noqa: E402

EDGE_KEY = "sk_" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
FEED_CONFIG = {"oauth": {"clients": [api_key_entry("edge", EDGE_KEY)]}}
HORIZON = 30 * 60 + 5  # jwt.access_ttl (30m) + jwt.leeway (5s), the defaults
EXAMPLE = os.environ.get("SESAME_EXAMPLE_RESOURCE_SERVER", "")

REPORT = {}


def basic(name, key):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (name, key)).encode()).decode()}


class FeedMixin:
    """Requests to the feed as the API client "edge"."""

    def feed(self, since=None, wait=None, headers=None, timeout=45, raw_query=None):
        query = []
        if since is not None:
            query.append("since=%s" % since)
        if wait is not None:
            query.append("wait=%s" % wait)
        path = "/v1/revocations"
        if raw_query is not None:
            path += "?" + raw_query
        elif query:
            path += "?" + "&".join(query)
        if headers is None:
            headers = basic("edge", EDGE_KEY)
        return self.server.request("GET", path, headers=headers, timeout=timeout)

    def page(self, since=None, wait=None):
        r = self.feed(since, wait)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        body = r.json
        self.assertEqual(set(body), {"cursor", "snapshot", "horizon", "revoked_sessions",
                                     "revoked_users"}, body)
        self.assertRegex(body["cursor"], r"^[0-9]+$")
        self.assertIsInstance(body["snapshot"], bool)
        self.assertEqual(body["horizon"], HORIZON)
        for entry in body["revoked_sessions"]:
            self.assertEqual(set(entry), {"sid", "sub", "at"}, entry)
            self.assertIsInstance(entry["at"], int)
        for entry in body["revoked_users"]:
            self.assertEqual(set(entry), {"sub", "not_before"}, entry)
            self.assertIsInstance(entry["not_before"], int)
        return body

    def sids(self, body):
        return {e["sid"] for e in body["revoked_sessions"]}

    def feed_pool_depth(self):
        r = self.server.request("GET", "/metrics")
        for line in r.text.splitlines():
            if line.startswith('sesame_worker_queue_depth{pool="feed"}'):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError("no feed pool gauge in /metrics")

    def hold(self, since, wait):
        """Starts a long-poll on a thread; returns (thread, result dict). Returns once the
        server holds it (the feed pool's gauge says so), so what follows happens during it."""
        result = {}

        def run():
            start = time.monotonic()
            try:
                result["response"] = self.feed(since, wait)
            except Exception as e:  # noqa: BLE001 - reported by the test
                result["error"] = e
            result["returned_at"] = time.monotonic()
            result["elapsed"] = result["returned_at"] - start

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.assertTrue(wait_until(lambda: self.feed_pool_depth() >= 1 or "response" in result,
                                   timeout=10, interval=0.01),
                        "the long-poll was never held")
        self.assertNotIn("response", result, "the long-poll came back at once")
        return thread, result


class RevocationFeedTest(FeedMixin, JwtTestCase):
    CONFIG = FEED_CONFIG

    @classmethod
    def setUpServer(cls):
        cls.server.remember_secret(EDGE_KEY)
        # One revocation first: on an empty feed the cursor is "0", and since=0 always asks for
        # a snapshot once the feed holds anything (correct, but these tests look at increments).
        name, password = "seed", "seed-pw-" + base64.urlsafe_b64encode(os.urandom(9)).decode()
        cls.server.add_user(name, password)
        r = cls.server.request("POST", "/v1/auth/login", json={
            "username": name, "password": password, "transport": "header", "mode": "jwt"})
        assert r.status == 200, r
        r = cls.server.request("POST", "/v1/auth/logout",
                               headers={"Authorization": "Bearer " + r.json["access_token"]})
        assert r.status == 204, r

    def cursor_now(self):
        """The latest cursor, past any snapshot."""
        body = self.page()
        self.assertTrue(body["snapshot"])
        return body["cursor"]

    def test_an_api_client_is_required(self):
        self.assertError(self.feed(headers={}), 401, "missing_credentials")
        self.assertError(self.feed(headers=basic("edge", "sk_wrong")), 401, "invalid_credentials")
        self.assertError(self.feed(headers=basic("other", EDGE_KEY)), 401, "invalid_credentials")
        self.assertError(self.feed(headers={"Authorization": "Basic !!!"}), 401,
                         "invalid_credentials")
        # A user's access token is not an API key.
        client, _, _, _ = self.jwt_user()
        self.assertError(self.feed(headers={"Authorization": "Bearer " + client.access}), 401,
                         "invalid_credentials")
        # The key alone as a bearer token, as introspection takes it.
        r = self.feed(headers={"Authorization": "Bearer " + EDGE_KEY})
        self.assertEqual(r.status, 200, r)

    def test_bad_since_or_wait_is_invalid_request(self):
        for query in ("since=abc", "since=-1", "since=1.5", "since=", "since=%2B1",
                      "since=99999999999999999999", "wait=31", "wait=-1", "wait=x", "wait=",
                      "wait=1.5"):
            with self.subTest(query=query):
                self.assertError(self.feed(raw_query=query), 400, "invalid_request")

    def test_snapshot_then_increments(self):
        before, _, _, _ = self.jwt_user()
        self.assertEqual(before.request("POST", "/v1/auth/logout").status, 204)
        snapshot = self.page()
        self.assertTrue(snapshot["snapshot"])
        self.assertIn(before.session_id, self.sids(snapshot))
        entry = [e for e in snapshot["revoked_sessions"] if e["sid"] == before.session_id][0]
        self.assertEqual(entry["sub"], before.user_id)
        self.assertLessEqual(abs(entry["at"] - time.time()), 5)
        # since=0 and a cursor beyond the feed (another deployment's) are snapshots too.
        self.assertTrue(self.page(since=0)["snapshot"])
        beyond = self.page(since=int(snapshot["cursor"]) + 1000)
        self.assertTrue(beyond["snapshot"])
        self.assertEqual(beyond["cursor"], snapshot["cursor"])

        # Nothing new: an empty increment at the same cursor, at once without wait.
        cursor = snapshot["cursor"]
        same = self.page(since=cursor)
        self.assertEqual((same["snapshot"], same["cursor"], same["revoked_sessions"],
                          same["revoked_users"]), (False, cursor, [], []))

        # Logout.
        a, _, _, _ = self.jwt_user()
        self.assertEqual(a.request("POST", "/v1/auth/logout").status, 204)
        inc = self.page(since=cursor)
        self.assertFalse(inc["snapshot"])
        self.assertEqual(self.sids(inc), {a.session_id})
        self.assertEqual(inc["revoked_sessions"][0]["sub"], a.user_id)
        self.assertGreater(int(inc["cursor"]), int(cursor))
        cursor = inc["cursor"]

        # Logout everywhere: the user's cut-off and each of its sessions.
        b1, name, password, b_user = self.jwt_user()
        b2 = self.jwt_login(name, password)
        self.assertEqual(b1.request("POST", "/v1/auth/logout-all").status, 204)
        inc = self.page(since=cursor)
        self.assertFalse(inc["snapshot"])
        self.assertEqual([u["sub"] for u in inc["revoked_users"]], [b_user])
        self.assertLessEqual(abs(inc["revoked_users"][0]["not_before"] - time.time()), 5)
        self.assertEqual(self.sids(inc), {b1.session_id, b2.session_id})
        cursor = inc["cursor"]

        # An administrator revokes one session, then every session of a user.
        c, c_name, c_password, c_user = self.jwt_user()
        r = self.admin.request("DELETE", "/v1/admin/sessions/%s" % c.session_id)
        self.assertEqual(r.status, 204, r)
        inc = self.page(since=cursor)
        self.assertEqual(self.sids(inc), {c.session_id})
        cursor = inc["cursor"]
        d = self.jwt_login(c_name, c_password)
        r = self.admin.request("DELETE", "/v1/admin/users/%s/sessions" % c_user)
        self.assertEqual(r.status, 204, r)
        inc = self.page(since=cursor)
        self.assertEqual([u["sub"] for u in inc["revoked_users"]], [c_user])
        # The user's sessions revoked at or after the cut-off's second: d, and c again if its
        # revocation fell in that same second (a repeat is harmless).
        self.assertIn(d.session_id, self.sids(inc))
        self.assertLessEqual(self.sids(inc), {c.session_id, d.session_id})
        cursor = inc["cursor"]

        # A later snapshot holds them all.
        snapshot = self.page()
        self.assertTrue({before.session_id, a.session_id, b1.session_id, b2.session_id,
                         c.session_id, d.session_id} <= self.sids(snapshot))
        self.assertEqual(snapshot["cursor"], cursor)

    def test_a_role_change_moves_the_cursor_and_lists_nothing(self):
        cursor = self.cursor_now()
        _, _, user_id = self.new_user()
        r = self.admin.request("PATCH", "/v1/admin/users/%s" % user_id, json={"roles": ["ops"]})
        self.assertEqual(r.status, 200, r)
        inc = self.page(since=cursor)
        self.assertFalse(inc["snapshot"])
        self.assertEqual((inc["revoked_sessions"], inc["revoked_users"]), ([], []))
        self.assertGreater(int(inc["cursor"]), int(cursor))

    def test_a_long_poll_returns_as_soon_as_a_session_is_revoked(self):
        client, _, _, _ = self.jwt_user()
        cursor = self.cursor_now()
        thread, result = self.hold(cursor, 20)
        r = client.request("POST", "/v1/auth/logout")
        logged_out_at = time.monotonic()
        self.assertEqual(r.status, 204)
        thread.join(30)
        self.assertNotIn("error", result)
        response = result["response"]
        self.assertEqual(response.status, 200, response)
        self.assertFalse(response.json["snapshot"])
        self.assertEqual(self.sids(response.json), {client.session_id})
        delay = result["returned_at"] - logged_out_at
        REPORT["feed long-poll: logout response to feed answer (s)"] = round(delay, 3)
        # Well before the wait: the server's change-feed tick is 250 ms.
        self.assertLess(delay, 2.0)
        self.assertLess(result["elapsed"], 10)

    def test_a_long_poll_times_out_with_the_same_cursor(self):
        cursor = self.cursor_now()
        start = time.monotonic()
        body = self.page(since=cursor, wait=1)
        elapsed = time.monotonic() - start
        self.assertEqual((body["snapshot"], body["cursor"], body["revoked_sessions"],
                          body["revoked_users"]), (False, cursor, [], []))
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 5)

    def test_a_long_poll_without_news_still_answers_a_snapshot_at_once(self):
        start = time.monotonic()
        body = self.page(wait=20)
        self.assertTrue(body["snapshot"])
        self.assertLess(time.monotonic() - start, 5)


class ShutdownTest(FeedMixin, unittest.TestCase):
    """SIGTERM while a long-poll is held: the server exits at once, not after the wait."""

    def test_shutdown_releases_held_long_polls(self):
        require_binary()
        self.server = SesameServer(server_test.BINARY,
                                   config=merge_config(BASE_CONFIG, FEED_CONFIG))
        try:
            self.server.remember_secret(EDGE_KEY)
            cursor = self.feed().json["cursor"]
            thread, result = self.hold(cursor, 30)
            start = time.monotonic()
            self.server.stop()  # SIGTERM; asserts exit code 0
            stopped = time.monotonic() - start
            thread.join(30)
            REPORT["shutdown with a held long-poll (s)"] = round(stopped, 3)
            self.assertLess(stopped, 5)
            if "response" in result:  # answered (empty) rather than cut off: either is fine
                self.assertEqual(result["response"].status, 200, result["response"])
                self.assertEqual(result["response"].json["cursor"], cursor)
        finally:
            self.server.close(remove=not server_test.KEEP_TMP)


class VerifierFollowsFeedTest(FeedMixin, JwtTestCase):
    """examples/resource_server --revocations: the embeddable verifier refuses revoked
    sessions' tokens within one feed round trip."""

    CONFIG = FEED_CONFIG

    @classmethod
    def setUpServer(cls):
        if not EXAMPLE:
            raise unittest.SkipTest("SESAME_EXAMPLE_RESOURCE_SERVER is not set")
        cls.server.remember_secret(EDGE_KEY)
        # A session revoked before the verifier starts: the first snapshot must carry it.
        name, password = "early", "early-pw-" + base64.urlsafe_b64encode(os.urandom(9)).decode()
        cls.server.add_user(name, password)
        r = cls.server.request("POST", "/v1/auth/login", json={
            "username": name, "password": password, "transport": "header", "mode": "jwt"})
        assert r.status == 200, r
        cls.early_access = r.json["access_token"]
        r = cls.server.request("POST", "/v1/auth/logout",
                               headers={"Authorization": "Bearer " + cls.early_access})
        assert r.status == 204, r
        cls.example = cls.start_example()

    @classmethod
    def start_example(cls, *extra):
        env = dict(os.environ)
        env["SESAME_FEED_KEY"] = EDGE_KEY
        example = subprocess.Popen(
            [EXAMPLE, "--listen", "127.0.0.1:0", "--jwks",
             "http://%s/.well-known/jwks.json" % cls.server.host,
             "--issuer", "sesame", "--audience", "sesame",
             "--revocations", "http://%s/v1/revocations" % cls.server.host,
             "--client-id", "edge", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = example.stdout.readline()
        if not line.startswith("listening on "):
            example.kill()
            raise AssertionError("the example did not start: %r %s" % (
                line, example.stderr.read()))
        example.port = int(line.split()[-1])
        return example

    @classmethod
    def stop_example(cls, example):
        example.kill()  # by PID
        example.wait(timeout=10)
        example.stdout.close()
        example.stderr.close()

    @classmethod
    def tearDownClass(cls):
        example = getattr(cls, "example", None)
        if example is not None:
            cls.stop_example(example)
        super().tearDownClass()

    def get(self, path, token=None, port=None):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.example.port, timeout=15)
        headers = {"Authorization": "Bearer " + token} if token else {}
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    def hello(self, token, port=None):
        return self.get("/hello", token, port)

    def refused_within(self, token, deadline_s):
        """Polls /hello until it answers 401 session_revoked; returns the seconds it took, or
        None past the deadline."""
        start = time.monotonic()
        while True:
            status, body = self.hello(token)
            if status == 401:
                self.assertEqual(body, {"error": "session_revoked"})
                return time.monotonic() - start
            self.assertEqual(status, 200, body)
            if time.monotonic() - start > deadline_s:
                return None
            time.sleep(0.002)

    def test_a_session_revoked_before_the_verifier_started_is_refused(self):
        self.assertEqual(self.hello(self.early_access), (401, {"error": "session_revoked"}))
        status, stats = self.get("/stats")
        self.assertEqual(status, 200)
        feed = stats["revocation_feed"]
        self.assertTrue(feed["following"])
        self.assertGreaterEqual(feed["answers"], 1)
        self.assertGreaterEqual(feed["revoked_entries"], 1)
        self.assertEqual(feed["last_error"], "")

    def test_logout_reaches_the_verifier_within_the_bound(self):
        client, name, _, user_id = self.jwt_user()
        status, body = self.hello(client.access)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["sid"], client.session_id)
        self.assertEqual(client.request("POST", "/v1/auth/logout").status, 204)
        took = self.refused_within(client.access, 5)
        self.assertIsNotNone(took, "the verifier still accepts a logged-out session's token")

    def test_logout_all_and_admin_revocations_reach_the_verifier(self):
        a1, name, password, user_id = self.jwt_user()
        a2 = self.jwt_login(name, password)
        self.assertEqual(a1.request("POST", "/v1/auth/logout-all").status, 204)
        self.assertIsNotNone(self.refused_within(a1.access, 5))
        self.assertIsNotNone(self.refused_within(a2.access, 5))
        b, _, _, _ = self.jwt_user()
        self.assertEqual(self.admin.request("DELETE", "/v1/admin/sessions/%s" % b.session_id).status,
                         204)
        self.assertIsNotNone(self.refused_within(b.access, 5))
        # A new login of the user logged out everywhere is accepted: issued at or after the
        # cut-off's second, in a session that is not revoked.
        fresh = self.jwt_login(name, password)
        status, body = self.hello(fresh.access)
        self.assertEqual(status, 200, body)

    def test_revocation_to_refusal_time_over_fifty_revocations(self):
        name, password, _ = self.new_user()
        delays = []
        rng = random.Random(7)
        for _ in range(50):
            client = self.jwt_login(name, password)
            status, body = self.hello(client.access)
            self.assertEqual(status, 200, body)
            # Not a wait for anything: a random phase against the server's 250 ms change-feed
            # tick, which the loop would otherwise lock onto (each refusal is seen just after a
            # tick, so each next logout would land just after one too: always the worst case).
            time.sleep(rng.uniform(0, 0.25))
            r = client.request("POST", "/v1/auth/logout")
            self.assertEqual(r.status, 204)
            took = self.refused_within(client.access, 5)
            self.assertIsNotNone(took, "not refused within 5 s")
            delays.append(took)
        delays.sort()
        REPORT["verifier: logout response to refusal, 50 revocations (ms)"] = {
            "p50": round(statistics.median(delays) * 1000, 1),
            "p90": round(delays[int(len(delays) * 0.9) - 1] * 1000, 1),
            "max": round(delays[-1] * 1000, 1),
        }
        # The bound: the server's change-feed tick (250 ms) plus one feed round trip.
        self.assertLess(delays[-1], 1.5, delays)

    def test_a_verifier_that_cannot_reach_the_feed_refuses_to_start(self):
        env = dict(os.environ)
        env["SESAME_FEED_KEY"] = "sk_wrong"
        proc = subprocess.run(
            [EXAMPLE, "--listen", "127.0.0.1:0", "--jwks",
             "http://%s/.well-known/jwks.json" % self.server.host,
             "--revocations", "http://%s/v1/revocations" % self.server.host,
             "--client-id", "edge"], capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(proc.returncode, 1, proc)
        self.assertIn("cannot follow the revocation feed", proc.stderr)
        self.assertIn("401", proc.stderr)


def main():
    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        server_test.BINARY = os.path.abspath(argv.pop(1))
    program = unittest.main(argv=argv, exit=False)
    for key, value in REPORT.items():
        print("%s: %s" % (key, value), file=sys.stderr)
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
