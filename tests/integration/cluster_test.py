#!/usr/bin/python3
"""Three sesame nodes, one Redis, one PostgreSQL (issue 6): several `sesame serve` processes
behind a load balancer must behave exactly like one.

Usage: cluster_test.py PATH/TO/sesame [unittest options]
Starts a real redis-server and a real PostgreSQL (initdb into a temp dir, run as an
unprivileged user) on loopback, then three nodes with store.sessions = redis://...,
store.users = postgresql://..., sharing their keys (keys.json, session.key) as a deployment
must. Every request names the node it goes to.
"""

import os
import shutil
import statistics
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from local_postgres import LocalPostgres  # noqa: E402
from local_redis import LocalRedis  # noqa: E402
from sesame_server import SesameServer, merge_config  # noqa: E402
from server_test import unique_name, new_password, wait_until  # noqa: E402

BINARY = None
ADMIN = "admin"
ADMIN_PASSWORD = "admin-pw-" + os.urandom(8).hex()
# A revocation made on one node reaches the others' stateless checks within this (the bound we
# test; the measured numbers are printed at the end).
PROPAGATION_BOUND = 1.0
REPORT = {}


def bearer(token):
    return {"Authorization": "Bearer " + token}


class Cluster:
    def __init__(self, extra_config=None):
        self.redis = LocalRedis(persistence=True).start()
        self.postgres = LocalPostgres().start()
        self.users_url = self.postgres.create_database("sesame_" + os.urandom(4).hex())
        self.config = merge_config(
            server_test.BASE_CONFIG,
            {"store": {"users": self.users_url, "sessions": self.redis.url},
             "jwt": {"access_ttl": "5m"},
             "session": {"max_per_user": 0}},
            extra_config)
        self.nodes = []
        first = SesameServer(BINARY, config=self.config)
        self.nodes.append(first)
        for _ in range(2):
            node = SesameServer(BINARY, config=self.config, start=False)
            os.makedirs(node.data_dir, exist_ok=True)
            os.chmod(node.data_dir, 0o700)
            for name in ("keys.json", "session.key"):
                shutil.copy2(os.path.join(first.data_dir, name), os.path.join(node.data_dir, name))
            node.start()
            self.nodes.append(node)
        first.add_user(ADMIN, ADMIN_PASSWORD, roles=["admin"])

    def close(self):
        for node in self.nodes:
            try:
                node.close()
            except Exception as e:  # report, but stop the rest
                print("node close: %s" % e, file=sys.stderr)
        self.redis.close()
        self.postgres.stop()


class ClusterTestCase(unittest.TestCase):
    CONFIG = None
    cluster = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(cls.CONFIG)
        cls.a, cls.b, cls.c = cls.cluster.nodes

    @classmethod
    def tearDownClass(cls):
        if cls.cluster:
            cls.cluster.close()

    def new_user(self, node=None):
        node = node or self.a
        name, password = unique_name(), new_password()
        admin = self.login(node, ADMIN, ADMIN_PASSWORD, "session")
        r = node.request("POST", "/v1/admin/users", headers=bearer(admin["session_token"]),
                         json={"username": name, "password": password, "roles": []})
        self.assertEqual(r.status, 201, r)
        return name, password, r.json["user"]["id"]

    def login(self, node, name, password, mode):
        r = node.request("POST", "/v1/auth/login", json={
            "username": name, "password": password, "mode": mode, "transport": "header"})
        self.assertEqual(r.status, 200, r)
        return r.json

    @staticmethod
    def token(login):
        return login.get("session_token") or login["access_token"]

    def verify(self, node, token):
        return node.request("GET", "/v1/auth/verify", headers=bearer(token))

    def assertAccepted(self, node, token):
        r = self.verify(node, token)
        self.assertEqual(r.status, 200, r)
        return r

    def assertRefusedWithin(self, node, token, code="session_revoked", bound=PROPAGATION_BOUND):
        """Refused at once or within the bound; returns the seconds it took."""
        start = time.monotonic()
        r = wait_until(lambda: self.verify(node, token).status == 401, bound, interval=0.002)
        elapsed = time.monotonic() - start
        last = self.verify(node, token)
        self.assertEqual(last.status, 401, "still accepted %.3f s after the revocation" % elapsed)
        self.assertEqual(last.json["error"], code)
        return elapsed


class AcrossNodesTest(ClusterTestCase):
    def test_login_on_one_node_works_on_every_node_in_both_modes(self):
        name, password, user_id = self.new_user()
        for mode in ("session", "jwt"):
            login = self.login(self.a, name, password, mode)
            for node in (self.a, self.b, self.c):
                r = self.assertAccepted(node, self.token(login))
                self.assertEqual(r.headers.get("X-Sesame-User-Id"), user_id)
                self.assertEqual(r.headers.get("X-Sesame-Session-Id"), login["session"]["id"])
                me = node.request("GET", "/v1/auth/me", headers=bearer(self.token(login)))
                self.assertEqual(me.status, 200, me)
            # The device list is the same everywhere.
            lists = [node.request("GET", "/v1/sessions", headers=bearer(self.token(login)))
                     for node in (self.a, self.b, self.c)]
            ids = [sorted(s["id"] for s in r.json["sessions"]) for r in lists]
            self.assertEqual(ids[0], ids[1])
            self.assertEqual(ids[0], ids[2])

    def test_session_mode_logout_on_c_is_refused_at_a_and_b_on_the_next_request(self):
        name, password, _ = self.new_user()
        login = self.login(self.a, name, password, "session")
        token = login["session_token"]
        for node in (self.a, self.b, self.c):  # warm every node
            self.assertAccepted(node, token)
        r = self.c.request("POST", "/v1/auth/logout", headers=bearer(token))
        self.assertEqual(r.status, 204, r)
        # Session secrets are checked in Redis on every request: no propagation delay at all.
        for node in (self.a, self.b, self.c):
            r = self.verify(node, token)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json["error"], "session_revoked")

    def test_jwt_logout_on_c_is_refused_at_a_and_b_within_the_bound(self):
        name, password, _ = self.new_user()
        login = self.login(self.a, name, password, "jwt")
        token = login["access_token"]
        for node in (self.a, self.b, self.c):
            self.assertAccepted(node, token)
        r = self.c.request("POST", "/v1/auth/logout", headers=bearer(token))
        self.assertEqual(r.status, 204, r)
        # On the node that took it: at once.
        self.assertEqual(self.verify(self.c, token).status, 401)
        for node in (self.a, self.b):
            self.assertRefusedWithin(node, token)
        # The refresh token died with the session, on any node.
        r = self.b.request("POST", "/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
        self.assertEqual(r.status, 401, r)

    def test_refresh_racing_on_two_nodes_gives_one_successor(self):
        name, password, _ = self.new_user()
        login = self.login(self.a, name, password, "jwt")
        results = {}
        barrier = threading.Barrier(2)

        def refresh(node, key):
            barrier.wait()
            results[key] = node.request("POST", "/v1/auth/refresh",
                                        json={"refresh_token": login["refresh_token"]})

        threads = [threading.Thread(target=refresh, args=(n, k)) for n, k in ((self.a, "a"), (self.b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Both within the grace window: one rotation, the other a retry with the same successor.
        self.assertEqual(results["a"].status, 200, results["a"])
        self.assertEqual(results["b"].status, 200, results["b"])
        self.assertEqual(results["a"].json["refresh_token"], results["b"].json["refresh_token"])
        successor = results["a"].json["refresh_token"]
        r = self.c.request("POST", "/v1/auth/refresh", json={"refresh_token": successor})
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(r.json["refresh_token"], successor)

    def test_reuse_detected_across_nodes_revokes_the_session_everywhere(self):
        name, password, _ = self.new_user()
        login = self.login(self.a, name, password, "jwt")
        first = login["refresh_token"]
        r = self.a.request("POST", "/v1/auth/refresh", json={"refresh_token": first})
        self.assertEqual(r.status, 200, r)
        second = r.json["refresh_token"]
        access = r.json["access_token"]
        r = self.b.request("POST", "/v1/auth/refresh", json={"refresh_token": second})
        self.assertEqual(r.status, 200, r)
        # The first one again, on a third node, after the grace window's successor moved on:
        # generation 0 is two rotations old, so it is theft wherever it shows up.
        r = self.c.request("POST", "/v1/auth/refresh", json={"refresh_token": first})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json["error"], "refresh_token_reused")
        for node in (self.a, self.b, self.c):
            self.assertRefusedWithin(node, access)
        r = self.a.request("POST", "/v1/auth/refresh", json={"refresh_token": second})
        self.assertEqual(r.status, 401, r)

    def test_admin_force_logout_on_one_node_reaches_every_node(self):
        name, password, user_id = self.new_user()
        jwt = self.login(self.b, name, password, "jwt")
        opaque = self.login(self.c, name, password, "session")
        admin = self.login(self.a, ADMIN, ADMIN_PASSWORD, "session")
        r = self.a.request("DELETE", "/v1/admin/users/%s/sessions" % user_id,
                           headers=bearer(admin["session_token"]))
        self.assertEqual(r.status, 204, r)
        for node in (self.a, self.b, self.c):
            self.assertEqual(self.verify(node, opaque["session_token"]).status, 401)
            self.assertRefusedWithin(node, jwt["access_token"])

    def test_disable_on_one_node_ends_logins_and_sessions_everywhere(self):
        name, password, user_id = self.new_user()
        jwt = self.login(self.a, name, password, "jwt")
        admin = self.login(self.c, ADMIN, ADMIN_PASSWORD, "session")
        r = self.c.request("PATCH", "/v1/admin/users/%s" % user_id,
                           headers=bearer(admin["session_token"]), json={"disabled": True})
        self.assertEqual(r.status, 200, r)
        for node in (self.a, self.b):
            self.assertRefusedWithin(node, jwt["access_token"])
            r = node.request("POST", "/v1/auth/login", json={
                "username": name, "password": password, "transport": "header"})
            self.assertEqual(r.status, 401, r)


    def test_a_role_change_on_one_node_expires_old_tokens_on_every_node(self):
        name, password, user_id = self.new_user()
        admin = self.login(self.c, ADMIN, ADMIN_PASSWORD, "session")
        r = self.c.request("PATCH", "/v1/admin/users/%s" % user_id,
                           headers=bearer(admin["session_token"]), json={"roles": ["admin"]})
        self.assertEqual(r.status, 200, r)
        promoted = int(time.time())
        while time.time() < promoted + 1:  # a token issued within that second is stale too
            time.sleep(promoted + 1.01 - time.time())
        jwt = self.login(self.a, name, password, "jwt")
        for node in (self.a, self.b):
            self.assertEqual(self.assertAccepted(node, jwt["access_token"])
                             .headers.get("X-Sesame-Roles"), "admin")
        # Demoted on C: the admin token expires on A and B within the bound.
        r = self.c.request("PATCH", "/v1/admin/users/%s" % user_id,
                           headers=bearer(admin["session_token"]), json={"roles": []})
        self.assertEqual(r.status, 200, r)
        for node in (self.a, self.b):
            self.assertRefusedWithin(node, jwt["access_token"], code="token_expired")


class DeviceLimitTest(ClusterTestCase):
    CONFIG = {"session": {"max_per_user": 2, "on_limit": "refuse"}}

    def test_the_device_limit_counts_sessions_made_on_every_node(self):
        name, password, _ = self.new_user()
        self.login(self.a, name, password, "session")
        self.login(self.b, name, password, "jwt")
        r = self.c.request("POST", "/v1/auth/login", json={
            "username": name, "password": password, "transport": "header"})
        self.assertEqual(r.status, 403, r)

    def test_concurrent_logins_on_three_nodes_never_exceed_the_limit(self):
        name, password, _ = self.new_user()
        statuses = []
        lock = threading.Lock()
        barrier = threading.Barrier(6)

        def login(node):
            barrier.wait()
            r = node.request("POST", "/v1/auth/login", json={
                "username": name, "password": password, "transport": "header"})
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=login, args=(n,)) for n in (self.a, self.b, self.c) * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(statuses), [200, 200, 403, 403, 403, 403])


class FaultTest(ClusterTestCase):
    """Redis stopped and started again mid-test; a node killed with SIGKILL."""

    def readyz(self, node):
        return node.request("GET", "/readyz")

    def test_redis_down_fails_closed_keeps_jwts_and_resumes_by_itself(self):
        name, password, _ = self.new_user()
        jwt = self.login(self.a, name, password, "jwt")
        opaque = self.login(self.a, name, password, "session")
        self.cluster.redis.stop()
        try:
            for node in (self.a, self.b, self.c):
                # Stateless: a live access JWT still verifies on every node.
                self.assertAccepted(node, jwt["access_token"])
                # Stateful: fail closed, never "let everyone in".
                r = self.verify(node, opaque["session_token"])
                self.assertEqual(r.status, 503, r)
                self.assertEqual(r.json["error"], "unavailable")
                r = node.request("POST", "/v1/auth/login", json={
                    "username": name, "password": password, "transport": "header"})
                self.assertEqual(r.status, 503, r)
                r = self.readyz(node)
                self.assertEqual(r.status, 503, r)
                self.assertIn("sessions store", r.json["message"])
                self.assertIn("redis://127.0.0.1:%d" % self.cluster.redis.port, r.json["message"])
        finally:
            self.cluster.redis.start()
        # Back by itself, no restart: readiness, session checks, logins, revocations.
        for node in (self.a, self.b, self.c):
            self.assertTrue(wait_until(lambda n=node: self.readyz(n).status == 200, 15),
                            self.readyz(node))
            self.assertAccepted(node, opaque["session_token"])
        fresh = self.login(self.b, name, password, "jwt")
        r = self.c.request("POST", "/v1/auth/logout", headers=bearer(fresh["access_token"]))
        self.assertEqual(r.status, 204, r)
        for node in (self.a, self.b):
            self.assertRefusedWithin(node, fresh["access_token"])

    def test_postgres_down_fails_logins_closed_and_resumes(self):
        name, password, _ = self.new_user()
        self.cluster.postgres.stop(keep_data=True)
        try:
            r = self.a.request("POST", "/v1/auth/login", json={
                "username": name, "password": password, "transport": "header"})
            self.assertEqual(r.status, 503, r)
            r = self.readyz(self.b)
            self.assertEqual(r.status, 503, r)
            self.assertIn("users store", r.json["message"])
        finally:
            self.cluster.postgres.start()
        self.assertTrue(wait_until(lambda: self.readyz(self.b).status == 200, 15))
        self.login(self.a, name, password, "session")

    def test_a_node_killed_with_sigkill_loses_nothing_it_acknowledged(self):
        name, password, user_id = self.new_user(self.b)
        logins = [self.login(self.b, name, password, "session") for _ in range(3)]
        jwt = self.login(self.b, name, password, "jwt")
        r = self.b.request("POST", "/v1/auth/logout", headers=bearer(logins[0]["session_token"]))
        self.assertEqual(r.status, 204, r)
        r = self.b.request("POST", "/v1/auth/logout", headers=bearer(jwt["access_token"]))
        self.assertEqual(r.status, 204, r)
        self.b.proc.kill()  # SIGKILL: no drain, no flush
        self.b.proc.wait()
        self.b.proc = None
        try:
            # The user (PostgreSQL), the sessions and the revocations (Redis) are all there.
            self.assertEqual(self.verify(self.a, logins[0]["session_token"]).status, 401)
            for login in logins[1:]:
                self.assertAccepted(self.c, login["session_token"])
            self.assertRefusedWithin(self.a, jwt["access_token"])
            self.assertRefusedWithin(self.c, jwt["access_token"])
            # A node started after the revocation loads it before serving.
            self.b.start()
            self.assertEqual(self.verify(self.b, jwt["access_token"]).status, 401)
        finally:
            if self.b.proc is None:
                self.b.start()


class PropagationTest(ClusterTestCase):
    """The propagation time of jwt revocations between nodes (printed, bound asserted)."""

    COUNT = int(os.environ.get("PROPAGATION_SAMPLES", "200"))

    def test_revocations_reach_the_other_nodes_within_the_bound(self):
        name, password, _ = self.new_user()
        times = []
        for _ in range(self.COUNT):
            login = self.login(self.a, name, password, "jwt")
            token = login["access_token"]
            self.assertAccepted(self.b, token)
            start = time.monotonic()
            r = self.a.request("POST", "/v1/auth/logout", headers=bearer(token))
            self.assertEqual(r.status, 204, r)
            while self.verify(self.b, token).status != 401:
                self.assertLess(time.monotonic() - start, PROPAGATION_BOUND)
            times.append(time.monotonic() - start)
        times.sort()
        p50 = times[len(times) // 2] * 1000
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
        REPORT["propagation"] = "%d revocations A→B (logout call + first refusal at B): " \
            "p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms" % (
                len(times), p50, p99, times[-1] * 1000, statistics.mean(times) * 1000)


def main():
    global BINARY
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    BINARY = os.path.abspath(sys.argv.pop(1))
    server_test.BINARY = BINARY
    program = unittest.main(exit=False, verbosity=2)
    for key, value in REPORT.items():
        print("%s: %s" % (key, value))
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
