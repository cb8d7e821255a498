"""Operations (issue 13, findings 10 and 11): what an operator's tools see of a running server,
against the real binary.

Run: operations_test.py PATH/TO/sesame [unittest args].
"""

import http.client
import json
import os
import secrets as pyrandom
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from local_redis import LocalRedis, free_port  # noqa: E402
from server_test import ServerTestCase, wait_until  # noqa: E402
from sesame_server import SesameServer, merge_config  # noqa: E402


class AuditRetentionTest(ServerTestCase):
    """Finding 11: audit events older than audit.retention are purged (at start, then every
    ten minutes, in bounded batches), so the table does not grow forever."""

    CONFIG = {"audit": {"retention": "2s"}}

    def details(self):
        r = self.admin.get("/v1/admin/audit?limit=1000")
        self.assertEqual(r.status, 200, r)
        return [(e["type"], e.get("detail", "")) for e in r.json["events"]]

    def test_events_older_than_the_retention_are_purged(self):
        name, password, user_id = self.new_user()
        created = ("user_created", name)
        self.assertIn(created, self.details())
        deadline = time.time() + 3  # older than the 2 s retention
        while time.time() < deadline:
            time.sleep(deadline - time.time())
        self.server.restart()  # the maintenance thread purges at start
        self.assertTrue(wait_until(lambda: created not in self.details(), timeout=10),
                        self.details())
        # What happened after the cut-off stays.
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"disabled": True})
        self.assertEqual(r.status, 200, r)
        self.assertIn("user_disabled", [t for t, _ in self.details()])


class LoginEventLogTest(ServerTestCase):
    """Failed and throttled logins are one JSON line each on stderr, for fail2ban."""

    CONFIG = {"limits": {"login_backoff": "30s"}}

    def test_failed_and_throttled_logins_are_json_lines(self):
        name, password, _ = self.new_user()
        statuses = [self.login(name, "wrong-%d-%s" % (i, password)).status for i in range(4)]
        self.assertEqual(statuses, [401, 401, 401, 429])
        self.login("nobody-" + name, password)
        events = []
        for line in self.server.stderr().splitlines():
            if line.startswith('{"event":'):
                events.append(json.loads(line))
        mine = [e for e in events if e["username"] in (name, "nobody-" + name)]
        self.assertEqual([(e["event"], e["reason"]) for e in mine], [
            ("login_failed", "wrong password")] * 3 + [
            ("login_throttled", mine[3]["reason"]), ("login_failed", "unknown user")])
        for e in mine:
            self.assertEqual(set(e), {"event", "username", "ip", "reason"})
            self.assertEqual(e["ip"], "127.0.0.1")


class MetricsTest(unittest.TestCase):
    """Finding 10: /metrics on a listener of its own behind a token, no store work per scrape,
    and /readyz's detail only for operators."""

    @classmethod
    def setUpClass(cls):
        server_test.require_binary()
        cls.redis = LocalRedis().start()
        cls.metrics_port = free_port()
        cls.tmp = tempfile.mkdtemp(prefix="sesame-metrics-token-")
        cls.token = "metrics-" + pyrandom.token_urlsafe(24)
        token_file = os.path.join(cls.tmp, "metrics.token")
        with open(token_file, "w") as f:
            f.write(cls.token + "\n")
        try:
            cls.server = SesameServer(server_test.BINARY, config=merge_config(
                server_test.BASE_CONFIG,
                {"server": {"metrics_listen": "127.0.0.1:%d" % cls.metrics_port,
                            "metrics_token": token_file,
                            "trusted_proxies": ["127.0.0.1"]},
                 "store": {"sessions": cls.redis.url}}))
        except BaseException:
            cls.redis.close()  # tearDownClass does not run after a failed setUpClass
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        cls.server.remember_secret(cls.token)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.redis.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def scrape(self, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=15)
        try:
            headers = {"Authorization": "Bearer " + token} if token else {}
            conn.request("GET", "/metrics", headers=headers)
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def test_metrics_live_on_their_own_listener_behind_the_token(self):
        self.assertEqual(self.server.request("GET", "/metrics").status, 404)
        self.assertEqual(self.scrape()[0], 401)
        self.assertEqual(self.scrape("wrong-" + self.token)[0], 401)
        status, text = self.scrape(self.token)
        self.assertEqual(status, 200)
        self.assertRegex(text, r'sesame_build_info\{version="[^"]+",commit="[^"]+"\} 1')
        self.assertIn("sesame_sessions_active", text)

    def test_scrapes_are_paced(self):
        # At most 20 a second: five scrapes in a row span at least four 50 ms intervals
        # (a lower bound: the pacer never lets one through early).
        start = time.monotonic()
        for _ in range(5):
            self.assertEqual(self.scrape(self.token)[0], 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.2)

    def test_a_scrape_needs_no_store(self):
        # With the session store gone, a scrape still answers at once: it reads counters only.
        self.redis.stop()
        try:
            status, text = self.scrape(self.token)
            self.assertEqual(status, 200)
            self.assertIn("sesame_logins_total", text)
            # /readyz names the store for a loopback caller, for nobody else without the token.
            r = self.server.request("GET", "/readyz")
            self.assertEqual(r.status, 503)
            self.assertIn("redis://", r.json["message"])
            remote = {"X-Forwarded-For": "198.51.100.7"}
            r = self.server.request("GET", "/readyz", headers=remote)
            self.assertEqual(r.status, 503)
            self.assertNotIn("redis", r.json["message"])
            r = self.server.request("GET", "/readyz", headers=dict(
                remote, Authorization="Bearer " + self.token))
            self.assertIn("redis://", r.json["message"])
        finally:
            self.redis.start()
        self.assertTrue(wait_until(
            lambda: self.server.request("GET", "/readyz").status == 200, timeout=15))


if __name__ == "__main__":
    server_test.suite_main()
