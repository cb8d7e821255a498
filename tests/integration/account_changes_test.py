"""Changes to an account reach every credential (issue 13, findings 3, 4 and 5), against the
real binary: a demoted admin's access token, a reset password, the owner's own password change,
and a burst of concurrent guesses.

Run: account_changes_test.py PATH/TO/sesame [unittest args].
"""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from server_test import Client, ServerTestCase, loopback_source, new_password  # noqa: E402
from jwt_test import JwtClient, jwt_parts  # noqa: E402


def next_second(after):
    """Waits until the wall clock is past the whole second `after` (unix seconds): the server
    counts token issue times in whole seconds, and documents that a token issued within the
    second of an account change is stale too."""
    while time.time() < after + 1:
        time.sleep(after + 1.01 - time.time())


class RoleChangeTest(ServerTestCase):
    """Finding 3: a demoted admin's token stops being admin at once."""

    def jwt_session(self, name, password):
        r = self.login(name, password, mode="jwt")
        self.assertEqual(r.status, 200, r)
        return JwtClient(self, r, "header")

    def test_a_demoted_admins_token_expires_and_cannot_promote_itself_back(self):
        name, password, user_id = self.new_user(roles=["admin"])
        bob = self.jwt_session(name, password)
        self.assertEqual(bob.get("/v1/admin/users").status, 200)
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"roles": ["user"]})
        self.assertEqual(r.status, 200, r)
        changed_at = int(time.time())
        self.assertError(bob.get("/v1/admin/users"), 401, "token_expired", bearer=True)
        r = bob.request("PATCH", "/v1/admin/users/" + user_id, json={"roles": ["admin"]})
        self.assertError(r, 401, "token_expired", bearer=True)
        next_second(changed_at)
        bob.refresh()
        self.assertEqual(jwt_parts(bob.access)[1]["roles"], ["user"])
        self.assertError(bob.get("/v1/admin/users"), 403, "forbidden")
        r = bob.request("PATCH", "/v1/admin/users/" + user_id, json={"roles": ["admin"]})
        self.assertError(r, 403, "forbidden")
        self.assertEqual(self.admin.get("/v1/admin/users/" + user_id).json["user"]["roles"],
                         ["user"])

    def test_session_mode_sees_the_new_roles_on_the_next_request(self):
        name, password, user_id = self.new_user(roles=["admin"])
        bob = self.session(name, password)
        self.assertEqual(bob.get("/v1/admin/users").status, 200)
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id, json={"roles": []})
        self.assertEqual(r.status, 200, r)
        self.assertError(bob.get("/v1/admin/users"), 403, "forbidden")


class PasswordResetTest(ServerTestCase):
    """Finding 4: an administrator's reset ends every credential; the owner's own change keeps
    the session that made it and ends the others."""

    def test_an_admin_reset_revokes_session_access_and_refresh_tokens(self):
        name, password, user_id = self.new_user()
        session = self.session(name, password)
        r = self.login(name, password, mode="jwt")
        jwt = JwtClient(self, r, "header")
        r = self.admin.request("PATCH", "/v1/admin/users/" + user_id,
                               json={"password": new_password()})
        self.assertEqual(r.status, 200, r)
        self.assertRevoked(session)
        self.assertError(jwt.me(), 401, "session_revoked", bearer=True)
        self.assertEqual(jwt.refresh_request().status, 401)

    def test_the_command_line_reset_revokes_too(self):
        name, password, _ = self.new_user()
        session = self.session(name, password)
        self.server.cli("user", "passwd", name, "--password-stdin", input=new_password() + "\n")
        self.assertRevoked(session)

    def test_the_owner_changes_it_keeping_this_session_and_ending_the_others(self):
        name, password, _ = self.new_user()
        here = self.session(name, password, transport="cookie")
        elsewhere = self.session(name, password)
        fresh = new_password()
        r = here.request("POST", "/v1/auth/password",
                         json={"current_password": password, "new_password": fresh})
        self.assertEqual(r.status, 204, r)
        self.server.remember_secret(fresh)
        self.assertAlive(here)
        self.assertRevoked(elsewhere)
        self.assertError(self.login(name, password), 401, "invalid_credentials")
        self.assertEqual(self.login(name, fresh).status, 200)

    def test_the_form_on_my_page_changes_it_too(self):
        name, password, _ = self.new_user()
        here = self.session(name, password, transport="cookie")
        elsewhere = self.session(name, password)
        fresh = new_password()
        self.server.remember_secret(fresh)
        headers = {"Cookie": "sesame_session=" + here.token, "Origin": self.server.origin}
        form = {"csrf_token": here.csrf, "current_password": password, "new_password": fresh,
                "new_password_again": fresh + "x"}
        r = self.server.request("POST", "/password", headers=headers, form=form)
        self.assertEqual((r.status, r.headers.get("Location")), (303, "/?error=mismatch"))
        form.update(new_password_again=fresh, current_password="wrong-" + password)
        r = self.server.request("POST", "/password", headers=headers, form=form)
        self.assertEqual((r.status, r.headers.get("Location")), (303, "/?error=wrong_password"))
        self.assertAlive(elsewhere)  # nothing changed yet
        form.update(current_password=password)
        r = self.server.request("POST", "/password", headers=headers, form=form)
        self.assertEqual((r.status, r.headers.get("Location")), (303, "/?done=password"))
        self.assertAlive(here)
        self.assertRevoked(elsewhere)
        page = self.server.request("GET", "/?done=password", headers=headers)
        self.assertIn("Your password is changed", page.text)
        self.assertEqual(self.login(name, fresh).status, 200)
        # Without the form's CSRF token, nothing happens.
        del form["csrf_token"]
        r = self.server.request("POST", "/password", headers=headers, form=form)
        self.assertEqual(r.status, 403, r)

    def test_the_owner_change_needs_csrf_and_the_right_current_password(self):
        name, password, _ = self.new_user()
        here = self.session(name, password, transport="cookie")
        body = {"current_password": password, "new_password": new_password()}
        r = self.server.request("POST", "/v1/auth/password", json=body, headers={
            "Cookie": "sesame_session=" + here.token, "Origin": self.server.origin})
        self.assertError(r, 403, "csrf_failed")
        r = here.request("POST", "/v1/auth/password",
                         json={"current_password": "wrong-" + password, "new_password": "x" * 12})
        self.assertError(r, 401, "invalid_credentials")
        self.assertAlive(here)


class AccountWideLimitTest(ServerTestCase):
    """Finding 6: guesses at one account from many networks stop at
    limits.login_failures_per_account, and the owner's known devices (the device cookie, or
    device_token with header transport) still get in."""

    CONFIG = {"limits": {"login_failures_per_account": "5 per 15m"}}

    def sources(self, first, count):
        found = [loopback_source(n) for n in range(first, first + count)]
        if None in found:
            self.skipTest("cannot bind other loopback addresses")
        return found

    def test_guesses_from_many_networks_stop_and_known_devices_still_get_in(self):
        name, password, user_id = self.new_user()
        browser = self.login(name, password, transport="cookie")
        self.assertEqual(browser.status, 200, browser)
        device_cookie = browser.cookies()["sesame_device"]
        self.assertTrue(device_cookie[1].get("httponly"))
        self.assertEqual(device_cookie[1].get("max-age"), str(365 * 86400))
        phone = self.login(name, password)  # header transport: the token is in the body
        device_token = phone.json["device_token"]
        for source in self.sources(40, 5):
            self.assertError(self.login(name, "wrong-" + password, source_address=source), 401,
                             "invalid_credentials")
        # Guessing from a sixth network stops, right password or not...
        other, last = self.sources(46, 2)
        self.assertError(self.login(name, password, source_address=other), 429, "rate_limited")
        # ...and the owner's known devices, from anywhere, still get in.
        r = self.login(name, password, transport="cookie", source_address=last,
                       headers={"Cookie": "sesame_device=" + device_cookie[0]})
        self.assertEqual(r.status, 200, r)
        r = self.login(name, password, source_address=last, device_token=device_token)
        self.assertEqual(r.status, 200, r)
        # Sign out everywhere forgets them.
        me = Client(self.server, r, "header")
        self.assertEqual(me.request("POST", "/v1/auth/logout-all").status, 204)
        r = self.login(name, password, source_address=last, device_token=device_token)
        self.assertError(r, 429, "rate_limited")


class ConcurrentGuessesTest(ServerTestCase):
    """Finding 5: a burst of simultaneous wrong passwords runs no more checks than the cap."""

    CONFIG = {"server": {"workers": 8},
              "limits": {"login_failures_per_user": "10 per 15m"}}

    def test_thirty_simultaneous_guesses_run_at_most_ten_checks(self):
        name, password, _ = self.new_user()
        barrier = threading.Barrier(30)
        statuses = []
        lock = threading.Lock()

        def guess(i):
            barrier.wait()
            r = self.login(name, "wrong-%d-%s" % (i, password))
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        checked = statuses.count(401)
        self.assertLessEqual(checked, 10, statuses)
        self.assertEqual(checked + statuses.count(429) + statuses.count(503), 30, statuses)
        # The owner, from the same host, is now limited too: no more than the cap was spent.
        self.assertEqual(self.login(name, password).status, 429)


if __name__ == "__main__":
    server_test.suite_main()
