#!/usr/bin/python3
"""Verify the JOSE test vectors in this directory.

Run with Debian's Python (needs python3-jwt and python3-cryptography):

    /usr/bin/python3 tests/data/vectors/check_vectors.py [DIR]

DIR defaults to the directory holding this script. Exits 0 when every check
passes and 1 on any mismatch, printing one line per check.

Sources of the vectors: RFC 7515 appendix A (A.1 to A.4), RFC 7520 section 4
(4.1 to 4.4, keys from section 3), RFC 7638 section 3.1 and RFC 8037
appendix A. Checks, per vector:

* the compact JWS splits into three parts; its header and payload decode to
  the "protected_header" / "payload" strings stored next to it;
* the signature verifies with PyJWT, both through the algorithm object
  (verify(signing_input, key, signature)) and through PyJWS.decode_complete;
* deterministic algorithms (HS256, RS256, EdDSA) are re-signed and must give
  the same signature, byte for byte;
* private keys are consistent with their public halves (RSA CRT values,
  EC d*G = (x, y), Ed25519 x from d);
* RFC 7515: the header, payload and signature octets equal the octet arrays
  printed in the RFC (a second, independent transcription);
* thumbprints are recomputed per RFC 7638 (required members, sorted, no
  whitespace, SHA-256, base64url).
"""

import base64
import hashlib
import json
import os
import sys

import jwt
from jwt.algorithms import get_default_algorithms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGS = get_default_algorithms()
FAILURES = []
PASSES = []


def b64u_decode(s):
    if "=" in s or "+" in s or "/" in s or len(s) % 4 == 1:
        raise ValueError("not unpadded base64url: %r" % s)
    out = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    # reject non-canonical encodings (non-zero unused bits in the last char)
    if b64u_encode(out) != s:
        raise ValueError("non-canonical base64url: %r" % s)
    return out


def b64u_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64u_int(s):
    return int.from_bytes(b64u_decode(s), "big")


def check(label, cond, detail=""):
    if cond:
        PASSES.append(label)
        print("ok    " + label)
    else:
        FAILURES.append(label)
        print("FAIL  " + label + ((": " + detail) if detail else ""))


def run(label, fn):
    """Run fn() -> bool, recording an exception as a failure."""
    try:
        res = fn()
    except Exception as exc:  # noqa: BLE001 - report any error as a failure
        check(label, False, "%s: %s" % (type(exc).__name__, exc))
        return
    check(label, bool(res))


def load(directory, name):
    with open(os.path.join(directory, name), "rb") as f:
        raw = f.read()
    # must be strict UTF-8, and one JSON object
    obj = json.loads(raw.decode("utf-8"))
    assert isinstance(obj, dict)
    return obj


def split_compact(jws):
    parts = jws.split(".")
    if len(parts) != 3:
        raise ValueError("compact JWS must have 3 parts")
    h, p, s = parts
    return h, p, s, (h + "." + p).encode("ascii"), b64u_decode(s)


def load_key(alg, jwk):
    return ALGS[alg].from_jwk(json.dumps(jwk))


def public_only(jwk):
    drop = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
    return {k: v for k, v in jwk.items() if k not in drop}


def thumbprint(jwk):
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"),
                "OKP": ("crv", "kty", "x"), "oct": ("k", "kty")}[jwk["kty"]]
    canon = json.dumps({k: jwk[k] for k in required}, sort_keys=True,
                       separators=(",", ":"), ensure_ascii=False)
    return b64u_encode(hashlib.sha256(canon.encode("utf-8")).digest())


def check_rsa_private(label, jwk):
    n, e, d = b64u_int(jwk["n"]), b64u_int(jwk["e"]), b64u_int(jwk["d"])
    p, q = b64u_int(jwk["p"]), b64u_int(jwk["q"])
    dp, dq, qi = b64u_int(jwk["dp"]), b64u_int(jwk["dq"]), b64u_int(jwk["qi"])
    check(label + ": p*q == n", p * q == n)
    check(label + ": e*d == 1 mod (p-1) and (q-1)",
          (e * d) % (p - 1) == 1 and (e * d) % (q - 1) == 1)
    check(label + ": dp == d mod (p-1)", dp == d % (p - 1))
    check(label + ": dq == d mod (q-1)", dq == d % (q - 1))
    check(label + ": qi*q == 1 mod p", (qi * q) % p == 1)


def check_ec_private(label, jwk):
    curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(),
             "P-521": ec.SECP521R1()}[jwk["crv"]]
    size = {"P-256": 32, "P-384": 48, "P-521": 66}[jwk["crv"]]
    for member in ("x", "y", "d"):
        check("%s: %s is %d octets" % (label, member, size),
              len(b64u_decode(jwk[member])) == size)
    priv = ec.derive_private_key(b64u_int(jwk["d"]), curve)
    nums = priv.public_key().public_numbers()
    check(label + ": d*G == (x, y)",
          nums.x == b64u_int(jwk["x"]) and nums.y == b64u_int(jwk["y"]))


def check_ed25519_private(label, jwk):
    key = load_key("EdDSA", jwk)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    check(label + ": x derived from d", b64u_encode(raw) == jwk["x"])


def check_signature(label, alg, jwk, jws, deterministic):
    """Verify jws with jwk (public half and, if given, private half)."""
    b64_members = [m for m in ("n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k")
                   if m in jwk]
    run(label + ": JWK members are canonical unpadded base64url",
        lambda: all(b64u_decode(jwk[m]) is not None for m in b64_members))
    h, p, s, signing_input, sig = split_compact(jws)
    header = json.loads(b64u_decode(h).decode("utf-8"))
    check(label + ": header alg == " + alg, header.get("alg") == alg,
          repr(header.get("alg")))
    algo = ALGS[alg]
    if jwk["kty"] == "oct":
        verify_key = load_key(alg, jwk)
    else:
        verify_key = load_key(alg, public_only(jwk))
    run(label + ": signature verifies (algorithm.verify, public key)",
        lambda: algo.verify(signing_input, verify_key, sig))
    run(label + ": signature verifies (PyJWS.decode_complete)",
        lambda: jwt.api_jws.PyJWS().decode_complete(
            jws, key=verify_key, algorithms=[alg],
            options={"verify_signature": True})["payload"] == b64u_decode(p))
    # tampering must be detected: flip one bit of the payload
    bad = bytearray(b64u_decode(p))
    bad[0] ^= 1
    bad_input = (h + "." + b64u_encode(bytes(bad))).encode("ascii")
    run(label + ": tampered payload rejected",
        lambda: not algo.verify(bad_input, verify_key, sig))
    if "d" in jwk and jwk["kty"] != "oct":
        priv = load_key(alg, jwk)
        run(label + ": signature verifies with the private JWK's public half",
            lambda: algo.verify(signing_input, priv.public_key(), sig))
    if deterministic:
        sign_key = load_key(alg, jwk)
        run(label + ": re-signing gives the same signature byte for byte",
            lambda: algo.sign(signing_input, sign_key) == sig)
    return b64u_decode(h), b64u_decode(p), sig


# Octet arrays printed in RFC 7515 appendix A (JWS Protected Header, JWS
# Payload, and the signature / HMAC / R||S values), as an independent check
# of the compact serializations.
RFC7515_JWT_PAYLOAD = bytes([
    123, 34, 105, 115, 115, 34, 58, 34, 106, 111, 101, 34, 44, 13, 10,
    32, 34, 101, 120, 112, 34, 58, 49, 51, 48, 48, 56, 49, 57, 51, 56,
    48, 44, 13, 10, 32, 34, 104, 116, 116, 112, 58, 47, 47, 101, 120, 97,
    109, 112, 108, 101, 46, 99, 111, 109, 47, 105, 115, 95, 114, 111,
    111, 116, 34, 58, 116, 114, 117, 101, 125])
RFC7515_OCTETS = {
    "rfc7515_a1_hs256.json": (
        bytes([123, 34, 116, 121, 112, 34, 58, 34, 74, 87, 84, 34, 44, 13, 10,
               32, 34, 97, 108, 103, 34, 58, 34, 72, 83, 50, 53, 54, 34, 125]),
        RFC7515_JWT_PAYLOAD,
        bytes([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216,
               173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5,
               88, 83, 132, 141, 121])),
    "rfc7515_a2_rs256.json": (
        bytes([123, 34, 97, 108, 103, 34, 58, 34, 82, 83, 50, 53, 54, 34, 125]),
        RFC7515_JWT_PAYLOAD,
        bytes([112, 46, 33, 137, 67, 232, 143, 209, 30, 181, 216, 45, 191, 120,
               69, 243, 65, 6, 174, 27, 129, 255, 247, 115, 17, 22, 173, 209,
               113, 125, 131, 101, 109, 66, 10, 253, 60, 150, 238, 221, 115,
               162, 102, 62, 81, 102, 104, 123, 0, 11, 135, 34, 110, 1, 135,
               237, 16, 115, 249, 69, 229, 130, 173, 252, 239, 22, 216, 90,
               121, 142, 232, 198, 109, 219, 61, 184, 151, 91, 23, 208, 148,
               2, 190, 237, 213, 217, 217, 112, 7, 16, 141, 178, 129, 96, 213,
               248, 4, 12, 167, 68, 87, 98, 184, 31, 190, 127, 249, 217, 46,
               10, 231, 111, 36, 242, 91, 51, 187, 230, 244, 74, 230, 30, 177,
               4, 10, 203, 32, 4, 77, 62, 249, 18, 142, 212, 1, 48, 121, 91,
               212, 189, 59, 65, 238, 202, 208, 102, 171, 101, 25, 129, 253,
               228, 141, 247, 127, 55, 45, 195, 139, 159, 175, 221, 59, 239,
               177, 139, 93, 163, 204, 60, 46, 176, 47, 158, 58, 65, 214, 18,
               202, 173, 21, 145, 18, 115, 160, 95, 35, 185, 232, 56, 250, 175,
               132, 157, 105, 132, 41, 239, 90, 30, 136, 121, 130, 54, 195,
               212, 14, 96, 69, 34, 165, 68, 200, 242, 122, 122, 45, 184, 6,
               99, 209, 108, 247, 202, 234, 86, 222, 64, 92, 178, 33, 90, 69,
               178, 194, 85, 102, 181, 90, 193, 167, 72, 160, 112, 223, 200,
               163, 42, 70, 149, 67, 208, 25, 238, 251, 71])),
    "rfc7515_a3_es256.json": (
        bytes([123, 34, 97, 108, 103, 34, 58, 34, 69, 83, 50, 53, 54, 34, 125]),
        RFC7515_JWT_PAYLOAD,
        bytes([14, 209, 33, 83, 121, 99, 108, 72, 60, 47, 127, 21, 88,
               7, 212, 2, 163, 178, 40, 3, 58, 249, 124, 126, 23, 129,
               154, 195, 22, 158, 166, 101] +
              [197, 10, 7, 211, 140, 60, 112, 229, 216, 241, 45, 175,
               8, 74, 84, 128, 166, 101, 144, 197, 242, 147, 80, 154,
               143, 63, 127, 138, 131, 163, 84, 213])),
    "rfc7515_a4_es512.json": (
        bytes([123, 34, 97, 108, 103, 34, 58, 34, 69, 83, 53, 49, 50, 34, 125]),
        bytes([80, 97, 121, 108, 111, 97, 100]),
        bytes([1, 220, 12, 129, 231, 171, 194, 209, 232, 135, 233, 117, 247,
               105, 122, 210, 26, 125, 192, 1, 217, 21, 82, 91, 45, 240, 255,
               83, 19, 34, 239, 71, 48, 157, 147, 152, 105, 18, 53, 108, 163,
               214, 68, 231, 62, 153, 150, 106, 194, 164, 246, 72, 143, 138,
               24, 50, 129, 223, 133, 206, 209, 172, 63, 237, 119, 109] +
              [0, 111, 6, 105, 44, 5, 41, 208, 128, 61, 152, 40, 92, 61, 152,
               4, 150, 66, 60, 69, 247, 196, 170, 81, 193, 199, 78, 59, 194,
               169, 16, 124, 9, 143, 42, 142, 131, 48, 206, 238, 34, 175, 83,
               203, 220, 159, 3, 107, 155, 22, 27, 73, 111, 68, 68, 21, 238,
               144, 229, 232, 148, 188, 222, 59, 242, 103])),
}
RFC7515_ALGS = {"rfc7515_a1_hs256.json": "HS256", "rfc7515_a2_rs256.json": "RS256",
                "rfc7515_a3_es256.json": "ES256", "rfc7515_a4_es512.json": "ES512"}


def check_rfc7515(directory):
    for name, alg in RFC7515_ALGS.items():
        try:
            check_rfc7515_one(directory, name, alg)
        except Exception as exc:  # noqa: BLE001
            check(name, False, "%s: %s" % (type(exc).__name__, exc))
    a1 = load(directory, "rfc7515_a1_hs256.json")
    check("rfc7515_a1_hs256: header and payload use CR LF line breaks",
          "\r\n" in a1["protected_header"] and "\r\n" in a1["payload"])


def check_rfc7515_one(directory, name, alg):
    label = name[:-5]
    v = load(directory, name)
    check(label + ": keys", sorted(v) == ["jwk", "jws", "payload", "protected_header"],
          repr(sorted(v)))
    hdr, pay, sig = check_signature(label, alg, v["jwk"], v["jws"],
                                    deterministic=alg in ("HS256", "RS256"))
    check(label + ": decoded header == protected_header",
          hdr == v["protected_header"].encode("utf-8"))
    check(label + ": decoded payload == payload",
          pay == v["payload"].encode("utf-8"))
    o_hdr, o_pay, o_sig = RFC7515_OCTETS[name]
    check(label + ": header octets == RFC octet array", hdr == o_hdr)
    check(label + ": payload octets == RFC octet array", pay == o_pay)
    check(label + ": signature octets == RFC octet array", sig == o_sig)
    kty = v["jwk"]["kty"]
    if kty == "RSA":
        check(label + ": private JWK has n,e,d,p,q,dp,dq,qi",
              sorted(v["jwk"]) == sorted(["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"]))
        check_rsa_private(label, v["jwk"])
    elif kty == "EC":
        check(label + ": EC JWK has kty,crv,x,y,d",
              sorted(v["jwk"]) == sorted(["kty", "crv", "x", "y", "d"]))
        check_ec_private(label, v["jwk"])
        size = {"ES256": 64, "ES512": 132}[alg]
        check(label + ": R||S is %d octets" % size, len(sig) == size)
    else:
        check(label + ": oct JWK has kty,k", sorted(v["jwk"]) == ["k", "kty"])
        check(label + ": HMAC key is 64 octets", len(b64u_decode(v["jwk"]["k"])) == 64)


def check_rfc8037(directory):
    label = "rfc8037_ed25519"
    v = load(directory, "rfc8037_ed25519.json")
    check(label + ": keys", sorted(v) == ["jws", "payload", "private_jwk",
                                          "protected_header", "public_jwk", "thumbprint"])
    priv, pub = v["private_jwk"], v["public_jwk"]
    check(label + ": public_jwk == private_jwk without d", public_only(priv) == pub)
    check_ed25519_private(label, priv)
    check(label + ": thumbprint of public_jwk", thumbprint(pub) == v["thumbprint"],
          thumbprint(pub))
    check(label + ": thumbprint of private_jwk", thumbprint(priv) == v["thumbprint"])
    # RFC 8037 A.3 also prints the digest in hex
    check(label + ": thumbprint hex == RFC 8037 A.3",
          b64u_decode(v["thumbprint"]).hex() ==
          "90facafea9b1556698540f70c0117a22ea37bd5cf3ed3c47093c1707282b4b89")
    hdr, pay, sig = check_signature(label, "EdDSA", priv, v["jws"], deterministic=True)
    run(label + ": verifies with public_jwk alone",
        lambda: ALGS["EdDSA"].verify(split_compact(v["jws"])[3],
                                     load_key("EdDSA", pub), sig))
    check(label + ": decoded header == protected_header",
          hdr == v["protected_header"].encode("utf-8"))
    check(label + ": decoded payload == payload", pay == v["payload"].encode("utf-8"))
    check(label + ": signature is 64 octets", len(sig) == 64)


def check_rfc7638(directory):
    label = "rfc7638_thumbprint"
    v = load(directory, "rfc7638_thumbprint.json")
    check(label + ": keys", sorted(v) == ["jwk", "thumbprint"])
    jwk = v["jwk"]
    check(label + ": JWK members kty,n,e,alg,kid",
          sorted(jwk) == sorted(["kty", "n", "e", "alg", "kid"]))
    check(label + ": thumbprint matches", thumbprint(jwk) == v["thumbprint"], thumbprint(jwk))
    # RFC 7638 3.1 prints the SHA-256 octets as well
    expected = bytes([55, 54, 203, 177, 120, 124, 184, 48, 156, 119, 238, 140, 55, 5,
                      197, 225, 111, 251, 158, 133, 151, 21, 144, 31, 30, 76, 89, 177,
                      17, 130, 245, 123])
    check(label + ": thumbprint octets == RFC 7638 array", b64u_decode(v["thumbprint"]) == expected)
    run(label + ": RSA public JWK loads (2048-bit)",
        lambda: load_key("RS256", jwk).key_size == 2048)


RFC7520_PAYLOAD_B64 = (
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH"
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk"
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm"
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4")  # RFC 7520 figure 8


def check_rfc7520(directory):
    v = load(directory, "rfc7520.json")
    check("rfc7520: keys", sorted(v) == ["cases", "payload"])
    payload = v["payload"]
    check("rfc7520: payload contains U+2019 twice", payload.count("\u2019") == 2)
    check("rfc7520: payload has no trailing newline", not payload.endswith("\n"))
    check("rfc7520: payload == base64url-decoded figure 8",
          payload.encode("utf-8") == b64u_decode(RFC7520_PAYLOAD_B64))
    expected = [("4.1", "RS256", "RSA", True), ("4.2", "PS384", "RSA", False),
                ("4.3", "ES512", "EC", False), ("4.4", "HS256", "oct", True)]
    check("rfc7520: cases 4.1-4.4 in order",
          [(c["name"], c["alg"]) for c in v["cases"]] == [(e[0], e[1]) for e in expected])
    for case, (name, alg, kty, det) in zip(v["cases"], expected):
        try:
            check_rfc7520_case(case, name, alg, kty, det, payload)
        except Exception as exc:  # noqa: BLE001
            check("rfc7520 " + name, False, "%s: %s" % (type(exc).__name__, exc))


def check_rfc7520_case(case, name, alg, kty, det, payload):
    label = "rfc7520 %s %s" % (name, alg)
    check(label + ": case keys", sorted(case) == ["alg", "jwk", "jws", "name"])
    jwk = case["jwk"]
    check(label + ": key type " + kty, jwk["kty"] == kty)
    hdr, pay, sig = check_signature(label, alg, jwk, case["jws"], deterministic=det)
    header = json.loads(hdr.decode("utf-8"))
    check(label + ": header kid == jwk kid", header.get("kid") == jwk.get("kid"))
    check(label + ": decoded payload == payload", pay == payload.encode("utf-8"))
    if kty == "RSA":
        check_rsa_private(label, jwk)
    elif kty == "EC":
        check_ec_private(label, jwk)
        check(label + ": R||S is 132 octets", len(sig) == 132)


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for fn in (check_rfc7515, check_rfc8037, check_rfc7638, check_rfc7520):
        try:
            fn(directory)
        except Exception as exc:  # noqa: BLE001
            check(fn.__name__, False, "%s: %s" % (type(exc).__name__, exc))
    print("\n%d checks passed, %d failed" % (len(PASSES), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
