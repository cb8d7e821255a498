"""The edge as deployed (issue 13, findings 1, 2, 8 and 9): who the client is behind proxies,
IPv4 on a dual-stack listener, message framing, and forward-auth's CSRF rule, against the real
binary, with a real HAProxy and a real nginx in front where the finding was about them.

Run: edge_test.py PATH/TO/sesame [unittest args]. HAProxy and nginx are Debian's; a missing one
fails its test (scripts/install-deps.sh installs both).
"""

import http.client
import json
import os
import secrets as pyrandom
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import server_test  # noqa: E402
from server_test import ServerTestCase, Client, loopback_source  # noqa: E402
from sesame_server import SesameServer, merge_config, parse_responses  # noqa: E402


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("%s exited with %d" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s did not listen on %d within %.0f s" % (what, port, timeout))


class Program:
    """A real proxy (haproxy, nginx) on loopback in its own temporary directory, stopped by PID."""

    def __init__(self, argv_for, config_text, port, name):
        self.tmp = tempfile.mkdtemp(prefix="sesame-%s-" % name)
        self.config_path = os.path.join(self.tmp, name + ".conf")
        with open(self.config_path, "w") as f:
            f.write(config_text.replace("{tmp}", self.tmp))
        self.log = open(os.path.join(self.tmp, "output.log"), "wb")
        self.proc = subprocess.Popen(argv_for(self.config_path), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = port
        wait_for_port(port, self.proc, name)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def require(binary):
    path = shutil.which(binary) or ("/usr/sbin/" + binary if os.path.exists(
        "/usr/sbin/" + binary) else None)
    if path is None:
        raise AssertionError("%s is not installed (scripts/install-deps.sh installs it)" % binary)
    return path


class ForwardedForTest(ServerTestCase):
    """Finding 1: behind a trusted proxy, every X-Forwarded-For line is read, and the rightmost
    untrusted entry is the client."""

    CONFIG = {"server": {"trusted_proxies": ["127.0.0.1"]},
              "limits": {"login_failures_per_user": "10 per 15m", "login_backoff": "30s"}}

    def raw_login(self, name, password, xff_lines):
        body = ('{"username":"%s","password":"%s","transport":"header"}'
                % (name, password)).encode()
        head = "POST /v1/auth/login HTTP/1.1\r\nHost: %s\r\n" % self.server.host
        for line in xff_lines:
            head += "X-Forwarded-For: %s\r\n" % line
        head += ("Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % len(body))
        self.server.remember_secret(password)
        data, _ = self.server.raw_exchange(head.encode() + body)
        (status, headers, payload), = parse_responses(data)
        return status, payload

    def test_a_forged_first_line_does_not_choose_the_address(self):
        name, password, _ = self.new_user()
        statuses = []
        for i in range(4):
            # The client forges a new address each time; the proxy appends the real one.
            forged = "203.0.%d.%d" % (i + 1, pyrandom.randbelow(250) + 1)
            statuses.append(self.raw_login(name, "wrong-" + password, [forged, "198.51.100.7"])[0])
        # Three failures from one host, then it must wait: the forged lines made no difference.
        self.assertEqual(statuses, [401, 401, 401, 429])

    def test_the_device_list_shows_the_appended_address(self):
        name, password, _ = self.new_user()
        status, payload = self.raw_login(name, password, ["203.0.113.66", "198.51.100.8"])
        self.assertEqual(status, 200, payload)
        token = json.loads(payload)["session_token"]
        r = self.server.request("GET", "/v1/sessions", headers={"Authorization": "Bearer " + token})
        self.assertEqual([s["ip"] for s in r.json["sessions"]], ["198.51.100.8"])

    def test_forwarded_header_is_understood(self):
        name, password, _ = self.new_user()
        r = self.login(name, password, headers={
            "Forwarded": 'for=203.0.113.66, for="[2001:db8::7]:443";proto=https'})
        self.assertEqual(r.status, 200, r)
        client = Client(self.server, r, "header")
        self.assertEqual([s["ip"] for s in client.get("/v1/sessions").json["sessions"]],
                         ["2001:db8::7"])

    def test_an_untrusted_peer_is_the_client_whatever_it_sends(self):
        source = loopback_source(77)
        if source is None:
            self.skipTest("cannot bind another loopback address")
        name, password, _ = self.new_user()
        r = self.login(name, password, headers={"X-Forwarded-For": "198.51.100.9"},
                       source_address=source)
        client = Client(self.server, r, "header")
        self.assertEqual([s["ip"] for s in client.get("/v1/sessions").json["sessions"]],
                         ["127.0.77.1"])


class HaproxyTest(unittest.TestCase):
    """Finding 1 through a real HAProxy with `option forwardfor`, which appends an
    X-Forwarded-For line of its own after whatever the client sent."""

    @classmethod
    def setUpClass(cls):
        server_test.require_binary()
        haproxy = require("haproxy")
        cls.server = SesameServer(server_test.BINARY, config=merge_config(
            server_test.BASE_CONFIG,
            {"server": {"trusted_proxies": ["127.0.0.2"]},
             "limits": {"login_failures_per_user": "10 per 15m", "login_backoff": "30s"}}))
        port = free_port()
        config = """
global
  maxconn 200
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option forwardfor
frontend front
  bind 127.0.0.1:%d
  default_backend sesame
backend sesame
  server s1 127.0.0.1:%d source 127.0.0.2
""" % (port, cls.server.port)
        try:
            cls.proxy = Program(lambda path: [haproxy, "-db", "-f", path], config, port, "haproxy")
        except BaseException:
            cls.server.close()  # tearDownClass does not run after a failed setUpClass
            raise
        try:
            cls.server.add_user("carol", "carol-password-1")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()
        cls.server.close()

    def login(self, password, forged, source):
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.proxy.port, timeout=15, source_address=source)
        try:
            conn.request("POST", "/v1/auth/login", body=json.dumps(
                {"username": "carol", "password": password, "transport": "header"}),
                headers={"Content-Type": "application/json", "X-Forwarded-For": forged})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def test_wrong_passwords_from_one_host_are_limited_whatever_it_forges(self):
        source = loopback_source(3)
        if source is None:
            self.skipTest("cannot bind another loopback address")
        statuses = [self.login("wrong-password-%d" % i, "203.0.%d.9" % (i + 1), source)[0]
                    for i in range(4)]
        self.assertEqual(statuses, [401, 401, 401, 429])
        # Another host behind the same proxy is not the one being limited.
        other = loopback_source(4)
        status, body = self.login("carol-password-1", "203.0.113.1", other)
        self.assertEqual(status, 200, body)
        r = self.server.request("GET", "/v1/sessions", headers={
            "Authorization": "Bearer " + json.loads(body)["session_token"]})
        self.assertEqual([s["ip"] for s in r.json["sessions"]], ["127.0.4.1"])


class DualStackTest(unittest.TestCase):
    """Finding 2: on a `[::]` listener, IPv4 clients arrive as ::ffff:a.b.c.d; each must keep its
    own /24 (not all of IPv4 in one /64) and show as IPv4."""

    @classmethod
    def setUpClass(cls):
        server_test.require_binary()
        cls.server = SesameServer(server_test.BINARY, listen="[::]:0", config=merge_config(
            server_test.BASE_CONFIG,
            {"limits": {"login_failures_per_user": "10 per 15m", "login_backoff": "30s"}}))
        cls.server.add_user("dave", "dave-password-1")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def login(self, password, source):
        return self.server.request("POST", "/v1/auth/login", json={
            "username": "dave", "password": password, "transport": "header"},
            source_address=source)

    def test_ipv4_hosts_are_limited_apart_and_shown_as_ipv4(self):
        attacker, owner = loopback_source(10), loopback_source(20)
        if attacker is None or owner is None:
            self.skipTest("cannot bind other loopback addresses")
        statuses = [self.login("wrong-%d-password" % i, attacker).status for i in range(4)]
        self.assertEqual(statuses, [401, 401, 401, 429])
        r = self.login("dave-password-1", owner)
        self.assertEqual(r.status, 200, r)
        r = self.server.request("GET", "/v1/sessions", headers={
            "Authorization": "Bearer " + r.json["session_token"]})
        self.assertEqual([s["ip"] for s in r.json["sessions"]], ["127.0.20.1"])


class FramingTest(ServerTestCase):
    """Finding 8: every framing error is answered once and closes the connection."""

    def exchange(self, head):
        follow = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        data, closed = self.server.raw_exchange((head + follow).encode(), timeout=5)
        return parse_responses(data), closed

    def test_unknown_transfer_coding_is_501_and_closes(self):
        responses, closed = self.exchange(
            "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n"
            "Content-Type: application/json\r\n\r\n")
        self.assertEqual([r[0] for r in responses], [501])
        self.assertTrue(closed)

    def test_transfer_encoding_with_content_length_is_400_and_closes(self):
        responses, closed = self.exchange(
            "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Content-Length: 4\r\n\r\n0\r\n\r\n")
        self.assertEqual([r[0] for r in responses], [400])
        self.assertTrue(closed)

    def test_differing_content_lengths_are_400_and_close(self):
        responses, closed = self.exchange(
            "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            "Content-Length: 40\r\n\r\n{}")
        self.assertEqual([r[0] for r in responses], [400])
        self.assertTrue(closed)

    def test_transfer_encoding_on_http_1_0_is_400_and_closes(self):
        responses, closed = self.exchange(
            "POST /v1/auth/login HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "0\r\n\r\n")
        self.assertEqual([r[0] for r in responses], [400])
        self.assertTrue(closed)

    def test_chunked_alone_is_still_served_and_kept_open(self):
        body = '{"username":"nobody","password":"x","transport":"header"}'
        head = ("POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                "Content-Type: application/json\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        responses, _ = self.exchange(head)
        self.assertEqual([r[0] for r in responses], [400, 200])  # short password; then healthz


class ForwardAuthCsrfTest(unittest.TestCase):
    """Finding 9, through a real nginx `auth_request`: a cookie POST from a foreign origin is
    refused, the same POST from the own origin passes."""

    MODE = "origin"

    @classmethod
    def setUpClass(cls):
        server_test.require_binary()
        nginx = require("nginx")
        port = free_port()
        cls.origin = "http://127.0.0.1:%d" % port
        cls.server = SesameServer(server_test.BINARY, config=merge_config(
            server_test.BASE_CONFIG,
            {"server": {"public_url": cls.origin},
             "auth": {"forward_auth_csrf": cls.MODE}}))
        config = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {
    listen 127.0.0.1:%d;
    location = /_sesame_verify {
      internal;
      proxy_pass http://127.0.0.1:%d/v1/auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }
    location = /app/things {
      auth_request /_sesame_verify;
      # The app behind the proxy: sesame's /healthz stands in for it (200 when reached).
      proxy_method GET;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_pass http://127.0.0.1:%d/healthz;
    }
  }
}
""" % (port, cls.server.port, cls.server.port)
        try:
            cls.nginx = Program(lambda path: [nginx, "-c", path], config, port, "nginx")
        except BaseException:
            cls.server.close()  # tearDownClass does not run after a failed setUpClass
            raise
        try:
            cls.server.add_user("erin", "erin-password-1")
            r = cls.server.request("POST", "/v1/auth/login", headers={"Origin": cls.origin},
                                   json={"username": "erin", "password": "erin-password-1",
                                         "transport": "cookie"})
            assert r.status == 200, r
            cls.cookie = "sesame_session=" + r.cookies()["sesame_session"][0]
            cls.csrf = r.json["csrf_token"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.nginx.close()
        cls.server.close()

    def app(self, method, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx.port, timeout=15)
        try:
            merged = {"Cookie": self.cookie}
            merged.update(headers)
            conn.request(method, "/app/things", body=b"x=1" if method == "POST" else None,
                         headers=merged)
            r = conn.getresponse()
            r.read()
            return r.status
        finally:
            conn.close()

    def test_a_foreign_origin_post_is_refused(self):
        self.assertEqual(self.app("POST", {"Origin": "http://evil.example"}), 403)
        self.assertEqual(self.app("POST", {"Referer": "http://evil.example/form"}), 403)
        self.assertEqual(self.app("POST", {}), 403)  # neither Origin nor Referer

    def test_an_own_origin_post_and_any_get_pass(self):
        self.assertEqual(self.app("POST", {"Origin": self.origin}), 200)
        self.assertEqual(self.app("GET", {"Origin": "http://evil.example"}), 200)


class ForwardAuthCsrfTokenTest(ForwardAuthCsrfTest):
    """auth.forward_auth_csrf = "token": the forwarded X-CSRF-Token is needed too."""

    MODE = "token"

    def test_an_own_origin_post_and_any_get_pass(self):
        self.assertEqual(self.app("POST", {"Origin": self.origin}), 403)
        self.assertEqual(self.app("POST", {"Origin": self.origin, "X-CSRF-Token": self.csrf}), 200)
        self.assertEqual(self.app("GET", {}), 200)


if __name__ == "__main__":
    server_test.suite_main()
