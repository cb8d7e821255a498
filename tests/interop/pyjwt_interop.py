#!/usr/bin/python3
"""Interop test between the sesame CLI and PyJWT.

Usage (from ctest):
    /usr/bin/python3 tests/interop/pyjwt_interop.py /path/to/sesame
    /usr/bin/python3 tests/interop/pyjwt_interop.py --self-check

Written against Debian's python3-jwt 2.6 and python3-cryptography 38. Run it with
/usr/bin/python3: other interpreters on PATH may not have these packages.

For every algorithm it checks:
  1. sesame -> PyJWT: a token signed by sesame verifies in PyJWT, using only the
     public part of the sesame JWK.
  2. PyJWT -> sesame: PyJWT signs with the private key loaded from the sesame JWK;
     `sesame token verify` accepts it, using the public JWKS or the private JWK file.
  3. PyJWT -> sesame: a key made by python-cryptography, exported with PyJWT's
     to_jwk(), is accepted by sesame.
  4. Negative cases: tampered signature, expired token, wrong aud or iss, unknown
     kid, alg that differs from the key's alg, and alg "none" in any spelling.
  5. Algorithm confusion (RS256, ES256): an HS256 token whose HMAC secret is the
     sesame public key (PEM, DER or JWK JSON) is rejected.

Prints one line per case and then "N passed, M failed". Exits 0 only if every case
passed. `--self-check` runs only the Python-side pieces and needs no sesame binary.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

try:
    import jwt
    from jwt.algorithms import get_default_algorithms
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"FAIL import: {exc} (run with /usr/bin/python3, which has python3-jwt "
          f"and python3-cryptography)")
    print("0 passed, 1 failed")
    sys.exit(1)

ISS = "https://sesame.test"
AUD = "api"
SUBPROCESS_TIMEOUT = 60

ALGS = [
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA",
]

# The HMAC key must be at least the hash size (RFC 7518 section 3.2).
HS_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

# JWA alg -> (JWK crv, cryptography curve, coordinate size in bytes)
EC_CURVES = {
    "ES256": ("P-256", ec.SECP256R1, 32),
    "ES384": ("P-384", ec.SECP384R1, 48),
    "ES512": ("P-521", ec.SECP521R1, 66),
}

# Alg used for the "token alg is not the key's alg" case: same key type, different alg,
# so PyJWT can sign it with the same key object.
SIBLING_ALG = {
    "HS256": "HS512", "HS384": "HS256", "HS512": "HS256",
    "RS256": "PS256", "RS384": "PS384", "RS512": "PS512",
    "PS256": "RS256", "PS384": "RS384", "PS512": "RS512",
    "ES256": "ES384", "ES384": "ES256", "ES512": "ES256",
}

# RFC 7638 section 3.2: the required members for each kty.
THUMBPRINT_MEMBERS = {
    "oct": ("k", "kty"),
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}

PRIVATE_MEMBERS = {
    "RSA": ("d", "p", "q", "dp", "dq", "qi", "oth"),
    "EC": ("d",),
    "OKP": ("d",),
}

# RFC 7638 section 3.1 example key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "e": "AQAB",
    "n": ("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
          "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
          "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
          "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"),
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


# ---------------------------------------------------------------------------
# Case runner
# ---------------------------------------------------------------------------

class CaseFailure(Exception):
    """A check failed; the message is the reason printed on the FAIL line."""


def check(cond, reason):
    if not cond:
        raise CaseFailure(reason)


def one_line(text, limit=400):
    text = " | ".join(line for line in str(text).splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit] + "..."


class Runner:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def case(self, name, fn):
        try:
            fn()
        except CaseFailure as exc:
            self._fail(name, str(exc))
        except Exception as exc:  # a Python-side error is still a failed case
            self._fail(name, f"unexpected {type(exc).__name__}: {exc}")
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)

    def _fail(self, name, reason):
        self.failed += 1
        print(f"FAIL {name}: {one_line(reason)}", flush=True)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def memo(fn):
    """Run fn once; later calls return its value or fail with the same reason."""
    cache = {}

    def get():
        if "result" not in cache:
            try:
                cache["result"] = (True, fn())
            except Exception as exc:
                reason = str(exc) if isinstance(exc, CaseFailure) else f"{type(exc).__name__}: {exc}"
                cache["result"] = (False, reason)
        ok, value = cache["result"]
        if not ok:
            raise CaseFailure(f"prerequisite failed: {value}")
        return value

    return get


# ---------------------------------------------------------------------------
# base64url, JWK and JWS helpers
# ---------------------------------------------------------------------------

def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if isinstance(text, bytes):
        text = text.decode("ascii")
    check(re.fullmatch(r"[A-Za-z0-9_-]*", text) is not None and len(text) % 4 != 1,
          f"not unpadded base64url: {text[:60]!r}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact_json(obj, sort_keys=False):
    return json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys)


def jwk_thumbprint(jwk):
    """RFC 7638 SHA-256 thumbprint, base64url without padding."""
    kty = jwk.get("kty")
    check(kty in THUMBPRINT_MEMBERS, f"unknown kty {kty!r}")
    required = {}
    for member in THUMBPRINT_MEMBERS[kty]:
        check(isinstance(jwk.get(member), str), f"JWK member {member!r} missing or not a string")
        required[member] = jwk[member]
    canonical = compact_json(required, sort_keys=True).encode("utf-8")
    return b64url_encode(hashlib.sha256(canonical).digest())


def public_part(jwk):
    """The public JWK. For oct keys this is the whole key, as the secret is shared."""
    kty = jwk["kty"]
    if kty == "oct":
        return dict(jwk)
    pub = {k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS[kty]}
    pub.pop("key_ops", None)  # PyJWT's private to_jwk() says ["sign"]
    return pub


def pyjwt_key(alg, jwk):
    """Key object (bytes for HS*) via PyJWT's own from_jwk()."""
    return get_default_algorithms()[alg].from_jwk(compact_json(jwk))


def fix_ec_lengths(jwk, size):
    """PyJWT 2.6 ECAlgorithm.to_jwk() writes x, y and d as minimal big-endian
    integers, so leading zero bytes are dropped. For P-521 that happens for most
    keys, and PyJWT's own from_jwk() then rejects them. RFC 7518 section 6.2.1.2
    requires the full coordinate size, so pad them here."""
    out = dict(jwk)
    for member in ("x", "y", "d"):
        if member in out:
            raw = b64url_decode(out[member])
            check(len(raw) <= size, f"EC {member} longer than {size} bytes")
            out[member] = b64url_encode(raw.rjust(size, b"\x00"))
    return out


def make_claims(now=None, **overrides):
    now = int(time.time()) if now is None else now
    claims = {
        "sub": "user-1",
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": secrets.token_urlsafe(16),
        "sid": "s-1",
        "roles": ["admin", "user"],
    }
    claims.update(overrides)
    return claims


def split_jws(token):
    parts = token.split(".")
    check(len(parts) == 3, f"token does not have 3 segments: {token[:80]!r}")
    return parts


def decode_header(token):
    header = json.loads(b64url_decode(split_jws(token)[0]))
    check(isinstance(header, dict), "JOSE header is not a JSON object")
    return header


def flip_signature_bit(token):
    """Flip the lowest bit of the last byte of the decoded signature, then re-encode.
    Editing the base64 text directly might only touch padding bits."""
    h, p, s = split_jws(token)
    sig = bytearray(b64url_decode(s))
    check(len(sig) > 0, "token has an empty signature")
    sig[-1] ^= 0x01
    tampered = f"{h}.{p}.{b64url_encode(bytes(sig))}"
    check(tampered != token, "bit flip did not change the token")
    return tampered


def manual_hs_token(header, claims, secret, hash_fn=hashlib.sha256):
    """A JWS built by hand (PyJWT will not take a PEM key as an HMAC secret)."""
    signing_input = (b64url_encode(compact_json(header).encode()) + "." +
                     b64url_encode(compact_json(claims).encode()))
    sig = hmac.new(secret, signing_input.encode("ascii"), hash_fn).digest()
    return signing_input + "." + b64url_encode(sig)


def none_token(alg_spelling, kid, claims, signature=""):
    header = {"alg": alg_spelling, "kid": kid}
    return (b64url_encode(compact_json(header).encode()) + "." +
            b64url_encode(compact_json(claims).encode()) + "." + signature)


def pyjwt_sign(alg, key, kid, claims):
    token = jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
    return token.decode("ascii") if isinstance(token, bytes) else token


def make_sibling_token(alg, k):
    """A token for the same key signed with a different alg of the same key type."""
    return pyjwt_sign(SIBLING_ALG[alg], k.signing_key, k.kid, make_claims())


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2)
        fh.write("\n")
    return path


# ---------------------------------------------------------------------------
# Python-made keys (case 3)
# ---------------------------------------------------------------------------

class PyKey:
    """A key made by python-cryptography, exported with PyJWT's to_jwk()."""

    def __init__(self, alg, signing_key, public_jwk):
        self.alg = alg
        self.signing_key = signing_key  # what jwt.encode() takes
        self.public_jwk = public_jwk    # with "alg" and "kid" (RFC 7638)
        self.kid = public_jwk["kid"]


def make_py_key(alg):
    algo = get_default_algorithms()[alg]
    if alg.startswith("HS"):
        secret = os.urandom(64)  # at least the hash size for HS256/384/512
        signing_key, jwk = secret, json.loads(algo.to_jwk(secret))
    elif alg[:2] in ("RS", "PS"):
        priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signing_key, jwk = priv, json.loads(algo.to_jwk(priv.public_key()))
    elif alg.startswith("ES"):
        crv, curve, size = EC_CURVES[alg]
        priv = ec.generate_private_key(curve())
        jwk = fix_ec_lengths(json.loads(algo.to_jwk(priv.public_key())), size)
        check(jwk.get("crv") == crv, f"to_jwk gave crv {jwk.get('crv')!r}, want {crv}")
        signing_key = priv
    elif alg == "EdDSA":
        priv = ed25519.Ed25519PrivateKey.generate()
        signing_key, jwk = priv, json.loads(algo.to_jwk(priv.public_key()))
        check(jwk.get("crv") == "Ed25519", f"to_jwk gave crv {jwk.get('crv')!r}")
    else:
        raise CaseFailure(f"unsupported alg {alg}")
    jwk["alg"] = alg
    jwk["kid"] = jwk_thumbprint(jwk)
    return PyKey(alg, signing_key, jwk)


def make_sesame_style_jwk(alg):
    """A private JWK shaped like `sesame keys generate` output (only used by --self-check)."""
    algo = get_default_algorithms()[alg]
    if alg.startswith("HS"):
        jwk = json.loads(algo.to_jwk(os.urandom(HS_MIN_BYTES[alg])))
    elif alg[:2] in ("RS", "PS"):
        jwk = json.loads(algo.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
        jwk.pop("key_ops", None)
    elif alg.startswith("ES"):
        _crv, curve, size = EC_CURVES[alg]
        jwk = fix_ec_lengths(json.loads(algo.to_jwk(ec.generate_private_key(curve()))), size)
    else:
        jwk = json.loads(algo.to_jwk(ed25519.Ed25519PrivateKey.generate()))
    jwk.update({"alg": alg, "use": "sig"})
    jwk["kid"] = jwk_thumbprint(jwk)
    return jwk


def check_pyjwt_roundtrip(alg, signing_key, verify_key, kid):
    """PyJWT signs and verifies its own token. Returns the token."""
    claims = make_claims()
    token = pyjwt_sign(alg, signing_key, kid, claims)
    got = jwt.decode(token, verify_key, algorithms=[alg], audience=AUD, issuer=ISS)
    check(got == claims, f"PyJWT round trip changed the claims: {got} != {claims}")
    header = jwt.get_unverified_header(token)
    check(header.get("alg") == alg and header.get("kid") == kid, f"unexpected header {header}")
    return token


# ---------------------------------------------------------------------------
# sesame CLI wrapper
# ---------------------------------------------------------------------------

class Sesame:
    def __init__(self, exe, workdir):
        self.exe = exe
        self.workdir = workdir
        self._n = 0

    def path(self, stem, ext="json"):
        self._n += 1
        return os.path.join(self.workdir, f"{self._n:03d}-{stem}.{ext}")

    def run(self, *args):
        cmd = [self.exe, *args]
        try:
            return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=SUBPROCESS_TIMEOUT, cwd=self.workdir)
        except subprocess.TimeoutExpired:
            raise CaseFailure(f"timed out after {SUBPROCESS_TIMEOUT}s: {' '.join(args[:3])}")
        except OSError as exc:
            raise CaseFailure(f"cannot run {self.exe}: {exc}")

    @staticmethod
    def describe(proc):
        err = proc.stderr.strip().splitlines()
        return f"exit {proc.returncode}, stderr: {err[0] if err else '<empty>'}"

    def keygen(self, alg):
        out = self.path(f"sesame-{alg}-private")
        proc = self.run("keys", "generate", "--alg", alg, "--out", out)
        check(proc.returncode == 0, f"keys generate --alg {alg}: {self.describe(proc)}")
        check(os.path.isfile(out), f"keys generate --out did not write {out}")
        with open(out, encoding="utf-8") as fh:
            try:
                jwk = json.load(fh)
            except ValueError as exc:
                raise CaseFailure(f"keys generate wrote invalid JSON: {exc}")
        check(isinstance(jwk, dict), "keys generate did not write a JSON object")
        return out, jwk

    def sign(self, key_file, claims):
        proc = self.run("token", "sign", "--key", key_file, "--claims", compact_json(claims))
        check(proc.returncode == 0, f"token sign: {self.describe(proc)}")
        lines = proc.stdout.strip().splitlines()
        check(len(lines) == 1, f"token sign printed {len(lines)} lines, want 1")
        return lines[0].strip()

    def verify(self, jwks_file, token, iss=ISS, aud=AUD):
        args = ["token", "verify", "--jwks", jwks_file]
        if iss is not None:
            args += ["--iss", iss]
        if aud is not None:
            args += ["--aud", aud]
        return self.run(*args, token)

    def expect_accepted(self, jwks_file, token, claims, **kw):
        proc = self.verify(jwks_file, token, **kw)
        check(proc.returncode == 0, f"verify rejected a valid token: {self.describe(proc)}")
        try:
            got = json.loads(proc.stdout)
        except ValueError as exc:
            raise CaseFailure(f"verify stdout is not JSON ({exc}): {proc.stdout[:200]!r}")
        check(got == claims, f"verified claims differ: got {compact_json(got)} want {compact_json(claims)}")

    def expect_rejected(self, jwks_file, token, code, **kw):
        proc = self.verify(jwks_file, token, **kw)
        check(proc.returncode == 1, f"want exit 1 with {code}, got {self.describe(proc)}")
        lines = proc.stderr.splitlines()
        first = lines[0] if lines else ""
        check(first.startswith(code + ": "), f"want stderr starting '{code}: ', got {first!r}")


class SesameKey:
    def __init__(self, alg, private_file, jwk, jwks_file):
        self.alg = alg
        self.private_file = private_file  # a single private JWK, as written by sesame
        self.jwk = jwk
        self.public_jwk = public_part(jwk)
        self.jwks_file = jwks_file        # {"keys": [public part]}
        self.kid = jwk.get("kid")


def check_sesame_jwk(alg, jwk):
    """Check the shape of a private JWK from `sesame keys generate`."""
    kty = {"HS": "oct", "RS": "RSA", "PS": "RSA", "ES": "EC"}.get(alg[:2], "OKP")
    check(jwk.get("kty") == kty, f"kty {jwk.get('kty')!r}, want {kty!r}")
    check(jwk.get("alg") == alg, f"alg {jwk.get('alg')!r}, want {alg!r}")
    check(jwk.get("use") == "sig", f"use {jwk.get('use')!r}, want 'sig'")
    members = {"oct": ["k"], "RSA": ["n", "e", "d", "p", "q", "dp", "dq", "qi"],
               "EC": ["crv", "x", "y", "d"], "OKP": ["crv", "x", "d"]}[kty]
    for m in members:
        check(isinstance(jwk.get(m), str) and jwk[m], f"member {m!r} missing or empty")
        if m != "crv":
            b64url_decode(jwk[m])  # must be unpadded base64url
    expected_kid = jwk_thumbprint(jwk)
    check(jwk.get("kid") == expected_kid,
          f"kid {jwk.get('kid')!r} is not the RFC 7638 thumbprint {expected_kid!r}")
    if kty == "oct":
        n = len(b64url_decode(jwk["k"]))
        check(n >= HS_MIN_BYTES[alg], f"HMAC key is {n} bytes, want >= {HS_MIN_BYTES[alg]}")
    elif kty == "RSA":
        bits = int.from_bytes(b64url_decode(jwk["n"]), "big").bit_length()
        check(bits >= 2048, f"RSA modulus is {bits} bits, want >= 2048")
        pyjwt_key(alg, jwk)  # cryptography checks the CRT parameters are consistent
    elif kty == "EC":
        crv, curve, size = EC_CURVES[alg]
        check(jwk["crv"] == crv, f"crv {jwk['crv']!r}, want {crv!r}")
        for m in ("x", "y", "d"):
            n = len(b64url_decode(jwk[m]))
            check(n == size, f"EC {m} is {n} bytes, want {size} (RFC 7518 6.2.1.2)")
        d = int.from_bytes(b64url_decode(jwk["d"]), "big")
        pub = ec.derive_private_key(d, curve()).public_key().public_numbers()
        check(pub.x == int.from_bytes(b64url_decode(jwk["x"]), "big") and
              pub.y == int.from_bytes(b64url_decode(jwk["y"]), "big"), "EC x/y do not match d")
    else:
        check(jwk["crv"] == "Ed25519", f"crv {jwk['crv']!r}, want 'Ed25519'")
        for m in ("x", "d"):
            n = len(b64url_decode(jwk[m]))
            check(n == 32, f"Ed25519 {m} is {n} bytes, want 32")
        priv = ed25519.Ed25519PrivateKey.from_private_bytes(b64url_decode(jwk["d"]))
        x = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        check(b64url_encode(x) == jwk["x"], "Ed25519 x does not match d")


def confusion_secrets(public_jwk, jwks_text):
    """HMAC secrets an alg-confused verifier might derive from the public key."""
    pub = get_default_algorithms()[public_jwk["alg"]].from_jwk(compact_json(public_jwk))
    spki_pem = pub.public_bytes(serialization.Encoding.PEM,
                                serialization.PublicFormat.SubjectPublicKeyInfo)
    out = [
        ("PEM", spki_pem),
        ("PEM, no trailing newline", spki_pem.rstrip(b"\n")),
        ("DER", pub.public_bytes(serialization.Encoding.DER,
                                 serialization.PublicFormat.SubjectPublicKeyInfo)),
    ]
    if public_jwk["kty"] == "RSA":
        out.append(("PKCS#1 PEM", pub.public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.PKCS1)))
    out += [
        ("JWK JSON", compact_json(public_jwk).encode()),
        ("JWK JSON, RFC 7638 members", compact_json(
            {m: public_jwk[m] for m in THUMBPRINT_MEMBERS[public_jwk["kty"]]}, sort_keys=True).encode()),
        ("JWKS file text", jwks_text.encode()),
    ]
    return out


NONE_SPELLINGS = ["none", "None", "NONE", "nOnE"]


# ---------------------------------------------------------------------------
# The interop run
# ---------------------------------------------------------------------------

def run_interop(runner, exe):
    with tempfile.TemporaryDirectory(prefix="sesame-pyjwt-") as workdir:
        sesame = Sesame(exe, workdir)
        sesame_keys = {}
        for alg in ALGS:
            sesame_keys[alg] = run_alg(runner, sesame, alg)
        for alg in ("RS256", "ES256"):
            run_confusion(runner, sesame, alg, sesame_keys[alg])


def run_alg(runner, sesame, alg):
    @memo
    def skey():
        private_file, jwk = sesame.keygen(alg)
        jwks_file = write_json(sesame.path(f"sesame-{alg}-public-jwks"), {"keys": [public_part(jwk)]})
        return SesameKey(alg, private_file, jwk, jwks_file)

    @memo
    def pkey():
        key = make_py_key(alg)
        key.jwks_file = write_json(sesame.path(f"py-{alg}-public-jwks"), {"keys": [key.public_jwk]})
        return key

    def keygen_shape():
        check_sesame_jwk(alg, skey().jwk)

    def sesame_to_pyjwt():
        k = skey()
        claims = make_claims()
        token = sesame.sign(k.private_file, claims)
        header = decode_header(token)
        check(header.get("alg") == alg, f"header alg {header.get('alg')!r}, want {alg!r}")
        check(header.get("kid") == k.kid, f"header kid {header.get('kid')!r}, want {k.kid!r}")
        check(header.get("typ") == "JWT", f"header typ {header.get('typ')!r}, want 'JWT'")
        check(split_jws(token)[2] != "", "empty signature")
        verify_key = pyjwt_key(alg, k.public_jwk)  # public members only (secret for HS*)
        try:
            got = jwt.decode(token, verify_key, algorithms=[alg], audience=AUD, issuer=ISS)
        except jwt.PyJWTError as exc:
            raise CaseFailure(f"PyJWT rejected the sesame token: {type(exc).__name__}: {exc}")
        check(got == claims, f"claims differ: got {compact_json(got)} want {compact_json(claims)}")

    def pyjwt_to_sesame(use_private_file):
        def run():
            k = skey()
            claims = make_claims()
            token = pyjwt_sign(alg, pyjwt_key(alg, k.jwk), k.kid, claims)
            sesame.expect_accepted(k.private_file if use_private_file else k.jwks_file, token, claims)
        return run

    def pyjwt_key_to_sesame():
        k = pkey()
        claims = make_claims()
        sesame.expect_accepted(k.jwks_file, pyjwt_sign(alg, k.signing_key, k.kid, claims), claims)

    def rejected(make_token, code="invalid_token", **verify_kw):
        def run():
            k = pkey()
            sesame.expect_rejected(k.jwks_file, make_token(k), code, **verify_kw)
        return run

    def valid_token(k):
        return pyjwt_sign(alg, k.signing_key, k.kid, make_claims())

    def expired_token(k):
        now = int(time.time())
        return pyjwt_sign(alg, k.signing_key, k.kid,
                          make_claims(now=now, iat=now - 7200, nbf=now - 7200, exp=now - 3600))

    def unknown_kid_token(k):
        return pyjwt_sign(alg, k.signing_key, b64url_encode(os.urandom(32)), make_claims())

    def alg_none_rejected():
        k = pkey()
        valid = valid_token(k)
        variants = [(f"alg={s!r}, empty signature", none_token(s, k.kid, make_claims()))
                    for s in NONE_SPELLINGS]
        variants.append(("alg='none', real signature kept",
                         none_token("none", k.kid, make_claims(), split_jws(valid)[2])))
        for label, token in variants:
            try:
                sesame.expect_rejected(k.jwks_file, token, "invalid_token")
            except CaseFailure as exc:
                raise CaseFailure(f"{label}: {exc}")

    runner.case(f"{alg} sesame keygen (JWK members, RFC 7638 kid)", keygen_shape)
    runner.case(f"{alg} sesame->pyjwt", sesame_to_pyjwt)
    runner.case(f"{alg} pyjwt->sesame", pyjwt_to_sesame(False))
    runner.case(f"{alg} pyjwt->sesame (private JWK file)", pyjwt_to_sesame(True))
    runner.case(f"{alg} pyjwt->sesame (python-made key)", pyjwt_key_to_sesame)
    runner.case(f"{alg} tampered signature rejected", rejected(lambda k: flip_signature_bit(valid_token(k))))
    runner.case(f"{alg} expired token rejected", rejected(expired_token, code="token_expired"))
    runner.case(f"{alg} wrong audience rejected", rejected(valid_token, aud="other"))
    runner.case(f"{alg} wrong issuer rejected", rejected(valid_token, iss="https://other.test"))
    runner.case(f"{alg} unknown kid rejected", rejected(unknown_kid_token))
    if alg in SIBLING_ALG:
        runner.case(f"{alg} key with {SIBLING_ALG[alg]} token rejected", rejected(lambda k: make_sibling_token(alg, k)))
    runner.case(f"{alg} alg none rejected", alg_none_rejected)
    return skey


def run_confusion(runner, sesame, alg, skey):
    """HS256 tokens keyed with the sesame public key of an RS256/ES256 key."""
    try:
        k = skey()
        with open(k.jwks_file, encoding="utf-8") as fh:
            variants = confusion_secrets(k.public_jwk, fh.read())
    except Exception as exc:
        reason = str(exc) if isinstance(exc, CaseFailure) else f"{type(exc).__name__}: {exc}"
        runner.case(f"{alg} key: HS256 confusion rejected", lambda: check(False, reason))
        return
    for label, secret in variants:
        def run(secret=secret):
            token = manual_hs_token({"alg": "HS256", "typ": "JWT", "kid": k.kid}, make_claims(), secret)
            sesame.expect_rejected(k.jwks_file, token, "invalid_token")
        runner.case(f"{alg} key: HS256 keyed with public key {label} rejected", run)


# ---------------------------------------------------------------------------
# --self-check: the Python-side pieces only
# ---------------------------------------------------------------------------

def expect_raises(exc_type, fn, what):
    try:
        fn()
    except exc_type:
        return
    except Exception as exc:
        raise CaseFailure(f"{what}: raised {type(exc).__name__}: {exc}, want {exc_type.__name__}")
    raise CaseFailure(f"{what}: no {exc_type.__name__} raised")


def run_self_check(runner):
    def b64url_roundtrip():
        for n in range(0, 70):
            data = os.urandom(n)
            enc = b64url_encode(data)
            check("=" not in enc and "+" not in enc and "/" not in enc, f"not base64url: {enc}")
            check(b64url_decode(enc) == data, f"round trip failed for {n} bytes")

    def rfc7638_vector():
        got = jwk_thumbprint(RFC7638_JWK)
        check(got == RFC7638_THUMBPRINT, f"thumbprint {got}, want {RFC7638_THUMBPRINT}")

    runner.case("self-check base64url round trip", b64url_roundtrip)
    runner.case("self-check RFC 7638 thumbprint vector", rfc7638_vector)

    for alg in ALGS:
        py_key = memo(lambda alg=alg: make_py_key(alg))

        def py_key_jwk(alg=alg):
            k = py_key()
            jwk = k.public_jwk
            check(jwk["alg"] == alg and jwk["kid"] == jwk_thumbprint(jwk), f"bad alg/kid in {jwk}")
            if alg.startswith("ES"):
                crv, _curve, size = EC_CURVES[alg]
                check(jwk["crv"] == crv, f"crv {jwk['crv']}")
                check(len(b64url_decode(jwk["x"])) == size == len(b64url_decode(jwk["y"])),
                      "coordinates not padded to the full size")
            check_pyjwt_roundtrip(alg, k.signing_key, pyjwt_key(alg, jwk), k.kid)

        def sesame_style_jwk(alg=alg):
            jwk = make_sesame_style_jwk(alg)
            check_sesame_jwk(alg, jwk)
            pub = public_part(jwk)
            if jwk["kty"] != "oct":
                check(not set(pub) & set(PRIVATE_MEMBERS[jwk["kty"]]), f"private members left: {pub}")
                check(jwk_thumbprint(pub) == jwk["kid"], "public part changed the thumbprint")
            check_pyjwt_roundtrip(alg, pyjwt_key(alg, jwk), pyjwt_key(alg, pub), jwk["kid"])
            # a sesame-style JWK with the kid removed must fail the kid check
            bad = dict(jwk, kid="not-the-thumbprint")
            expect_raises(CaseFailure, lambda: check_sesame_jwk(alg, bad), "wrong kid accepted")

        def negatives(alg=alg):
            k = py_key()
            vk = pyjwt_key(alg, k.public_jwk)
            token = check_pyjwt_roundtrip(alg, k.signing_key, vk, k.kid)
            tampered = flip_signature_bit(token)
            check(split_jws(tampered)[:2] == split_jws(token)[:2], "bit flip touched header/payload")
            expect_raises(jwt.InvalidSignatureError, lambda: jwt.decode(
                tampered, vk, algorithms=[alg], audience=AUD, issuer=ISS), "tampered token")
            now = int(time.time())
            expired = pyjwt_sign(alg, k.signing_key, k.kid,
                                 make_claims(now=now, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
            expect_raises(jwt.ExpiredSignatureError, lambda: jwt.decode(
                expired, vk, algorithms=[alg], audience=AUD, issuer=ISS), "expired token")
            expect_raises(jwt.InvalidAudienceError, lambda: jwt.decode(
                token, vk, algorithms=[alg], audience="other", issuer=ISS), "wrong audience")
            expect_raises(jwt.InvalidIssuerError, lambda: jwt.decode(
                token, vk, algorithms=[alg], audience=AUD, issuer="https://other.test"), "wrong issuer")
            if alg in SIBLING_ALG:
                sib = make_sibling_token(alg, k)
                check(decode_header(sib)["alg"] == SIBLING_ALG[alg], "sibling token has wrong alg")
                expect_raises(jwt.InvalidAlgorithmError, lambda: jwt.decode(
                    sib, vk, algorithms=[alg], audience=AUD, issuer=ISS), "alg mismatch")

        def none_tokens(alg=alg):
            k = py_key()
            vk = pyjwt_key(alg, k.public_jwk)
            for spelling in NONE_SPELLINGS:
                claims = make_claims()
                token = none_token(spelling, k.kid, claims)
                check(token.endswith("."), "none token must have an empty signature")
                check(decode_header(token) == {"alg": spelling, "kid": k.kid}, "none header")
                got = jwt.decode(token, options={"verify_signature": False})
                check(got == claims, "none token payload")
                expect_raises(jwt.PyJWTError, lambda: jwt.decode(
                    token, vk, algorithms=[alg], audience=AUD, issuer=ISS), f"alg {spelling}")

        runner.case(f"self-check {alg} python key, to_jwk, kid, PyJWT round trip", py_key_jwk)
        runner.case(f"self-check {alg} sesame-style JWK, public part, PyJWT sign/verify", sesame_style_jwk)
        runner.case(f"self-check {alg} tampered/expired/aud/iss/alg-mismatch tokens", negatives)
        runner.case(f"self-check {alg} alg none tokens", none_tokens)

    for alg in ("RS256", "ES256"):
        def confusion(alg=alg):
            jwk = make_sesame_style_jwk(alg)
            pub = public_part(jwk)
            jwks_text = json.dumps({"keys": [pub]}, indent=2) + "\n"
            variants = confusion_secrets(pub, jwks_text)
            check(variants[0][1].startswith(b"-----BEGIN PUBLIC KEY-----"), "PEM secret")
            # PyJWT refuses a PEM as an HMAC secret, which is why the token is built by hand
            expect_raises(jwt.InvalidKeyError, lambda: jwt.encode(
                make_claims(), variants[0][1], algorithm="HS256"), "PyJWT HS256 with PEM secret")
            hs = get_default_algorithms()["HS256"]
            for label, secret in variants:
                claims = make_claims()
                token = manual_hs_token({"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]}, claims, secret)
                h, p, s = split_jws(token)
                check(decode_header(token)["alg"] == "HS256", f"{label}: header")
                check(hs.verify(f"{h}.{p}".encode(), secret, b64url_decode(s)), f"{label}: HMAC does not verify")
                check(json.loads(b64url_decode(p)) == claims, f"{label}: payload")
                # the asymmetric verifier must not accept it either
                expect_raises(jwt.PyJWTError, lambda: jwt.decode(
                    token, pyjwt_key(alg, pub), algorithms=[alg], audience=AUD, issuer=ISS), label)

        runner.case(f"self-check {alg} HS256 confusion tokens built by hand", confusion)


# ---------------------------------------------------------------------------

def main(argv):
    parser = argparse.ArgumentParser(description="sesame <-> PyJWT interop test")
    parser.add_argument("sesame", nargs="?", help="path to the sesame binary")
    parser.add_argument("--self-check", action="store_true",
                        help="run only the Python-side checks (no sesame binary needed)")
    args = parser.parse_args(argv)

    runner = Runner()
    if args.self_check:
        run_self_check(runner)
        return runner.finish()

    if not args.sesame:
        parser.print_usage(sys.stderr)
        return 2
    exe = os.path.abspath(args.sesame)
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        runner.case("sesame binary", lambda: check(False, f"{exe} is not an executable file"))
        return runner.finish()
    run_interop(runner, exe)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
