#!/usr/bin/python3
"""Mints COUNT distinct access tokens with the active key of a sesame key ring, one per line,
for the benchmark that defeats the verified-token cache (every request a token never seen).

Usage: mint_tokens.py KEYS_JSON COUNT ISSUER AUDIENCE [JTI_PREFIX] > tokens.txt
(Debian's python3-jwt)
"""
import json
import sys
import time

import jwt

ring_path, count, issuer, audience = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
prefix = sys.argv[5] if len(sys.argv) > 5 else ""
with open(ring_path) as f:
    ring = json.load(f)
active = [k["jwk"] for k in ring["keys"] if k["state"] == "active"][0]
key = jwt.PyJWK.from_dict(active)
now = int(time.time())
headers = {"kid": active["kid"], "typ": "at+jwt"}
out = sys.stdout
for i in range(count):
    claims = {"iss": issuer, "aud": audience, "sub": "u_bench", "sid": "s_bench%d" % (i % 1000),
              "jti": "bench-%s%d" % (prefix, i), "iat": now, "nbf": now, "exp": now + 3600,
              "roles": ["user"], "preferred_username": "bench"}
    out.write(jwt.encode(claims, key.key, algorithm=active["alg"], headers=headers) + "\n")
