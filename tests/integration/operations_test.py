"""Operations (issue 13, findings 10 and 11): what an operator's tools see of a running server,
against the real binary.

Run: operations_test.py PATH/TO/sesame [unittest args].
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from server_test import ServerTestCase, wait_until  # noqa: E402


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


if __name__ == "__main__":
    server_test.suite_main()
