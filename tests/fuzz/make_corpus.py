#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/<seed>.

Run with Debian's Python, which has Django 3.2 and cryptography:

    /usr/bin/python3 tests/fuzz/make_corpus.py

The seeds are real things: cookies and signed values Django writes (signing.dumps, the db/file
session encoding, the signed_cookies backend), encrypted cookies sealed the way
EncryptedCookieStore documents, Set-Cookie attributes Django uses. Each target reads its input with
libFuzzer's FuzzedDataProvider, which takes integers from the END of the input (last byte first,
most significant first) and strings from the front; the helpers below lay seeds out that way, so
every seed lands in the mode and on the values it was written for. Re-running rewrites the
corpus identically (fixed times, fixed nonces).
"""

import base64
import hashlib
import json
import os
import pathlib
import struct
import sys
import time
import zlib

import django
from django.conf import settings

KEY = "django-insecure-fuzzing-key-0123456789abcdefghijklmnopqrstuvwxyz"
NOW = 1_700_000_000

settings.configure(SECRET_KEY=KEY, USE_TZ=True)
django.setup()

from django.core import signing  # noqa: E402

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ImportError:  # pragma: no cover
    sys.exit("needs python3-cryptography (Debian package)")

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"


# --- FuzzedDataProvider layout ------------------------------------------------------------------

def int_tail(value, lo, hi):
    """The bytes that make ConsumeIntegralInRange(lo, hi) return `value` when they end the input."""
    span = hi - lo
    raw = value - lo
    assert 0 <= raw <= span
    size = 0
    while size < 8 and (span >> (8 * size)) > 0:
        size += 1
    # Consumed from the end, most significant first: the tail is little-endian.
    return raw.to_bytes(size, "little")


def u8(value):
    return int_tail(value, 0, 255)


def i16(value):
    return int_tail(value, -(1 << 15), (1 << 15) - 1)


def i32(value):
    return int_tail(value, -(1 << 31), (1 << 31) - 1)


def i64(value):
    return int_tail(value, -(1 << 63), (1 << 63) - 1)


def tail(*consumed):
    """Integers in the order the target consumes them -> bytes that end the input."""
    return b"".join(reversed(consumed))


def random_length_string(text):
    """ConsumeRandomLengthString: backslashes doubled, ended by a backslash and another byte."""
    return text.replace(b"\\", b"\\\\") + b"\\;"


# --- Django values --------------------------------------------------------------------------------

class FixedTime:
    """Django's TimestampSigner reads time.time(); sign as if it were NOW (+ offset)."""

    def __init__(self, at):
        self.at = at

    def __enter__(self):
        self.saved = time.time
        time.time = lambda: float(self.at)

    def __exit__(self, *exc):
        time.time = self.saved


def dumps(obj, salt="django.core.signing", compress=False, at=NOW):
    with FixedTime(at):
        return signing.dumps(obj, key=KEY, salt=salt, compress=compress).encode()


def session_data(obj, at=NOW):
    """What Django 3.2's db/file backends store: SessionBase.encode()."""
    return dumps(obj, salt="django.contrib.sessions.SessionStore", compress=True, at=at)


def signed_cookie(obj, at=NOW):
    """The cookie value of Django's signed_cookies backend."""
    return dumps(obj, salt="django.contrib.sessions.backends.signed_cookies", compress=True, at=at)


LOGIN = {"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
         "_auth_user_hash": "5b8f3c4d0e1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4"}
CART = {"cart": {"items": [{"sku": "A-1", "qty": 2, "price": 19.99}, {"sku": "B-7", "qty": 1, "price": 5.0}]},
        "_session_expiry": 1209600, "visits": 3, "flag": True, "nothing": None}
UNICODE = {"name": "Zoë – 東京 🍣", "quote": "\"<script>\"\\\n\t", "big": 18446744073709551617,
           "neg": -9223372036854775809, "floats": [1e-05, 1e16, -0.0, 2.5e-07, 1.5]}


# --- CBOR and MessagePack, the subset session data uses ---------------------------------------

def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(obj):
    if obj is None:
        return b"\xf6"
    if obj is True or obj is False:
        return b"\xf5" if obj else b"\xf4"
    if isinstance(obj, int) and -(1 << 64) <= obj < 1 << 64:
        return _head(0, obj) if obj >= 0 else _head(1, -1 - obj)
    if isinstance(obj, int):  # beyond the format's integers: a double, as nlohmann reads it
        obj = float(obj)
    if isinstance(obj, float):
        return b"\xfb" + struct.pack(">d", obj)
    if isinstance(obj, str):
        raw = obj.encode()
        return _head(3, len(raw)) + raw
    if isinstance(obj, list):
        return _head(4, len(obj)) + b"".join(cbor(v) for v in obj)
    return _head(5, len(obj)) + b"".join(cbor(k) + cbor(v) for k, v in obj.items())


def msgpack(obj):
    if obj is None:
        return b"\xc0"
    if obj is True or obj is False:
        return b"\xc3" if obj else b"\xc2"
    if isinstance(obj, int) and not -(1 << 63) <= obj < 1 << 64:
        obj = float(obj)
    if isinstance(obj, int):
        if 0 <= obj < 128:
            return bytes([obj])
        if -32 <= obj < 0:
            return struct.pack(">b", obj)
        return b"\xd3" + struct.pack(">q", obj) if obj < 0 else b"\xcf" + struct.pack(">Q", obj)
    if isinstance(obj, float):
        return b"\xcb" + struct.pack(">d", obj)
    if isinstance(obj, str):
        raw = obj.encode()
        return (bytes([0xA0 | len(raw)]) if len(raw) < 32 else b"\xda" + struct.pack(">H", len(raw))) + raw
    if isinstance(obj, list):
        return (bytes([0x90 | len(obj)]) if len(obj) < 16 else b"\xdc" + struct.pack(">H", len(obj))) + b"".join(
            msgpack(v) for v in obj)
    head = bytes([0x80 | len(obj)]) if len(obj) < 16 else b"\xde" + struct.pack(">H", len(obj))
    return head + b"".join(msgpack(k) + msgpack(v) for k, v in obj.items())


# --- EncryptedCookieStore, as its header documents -----------------------------------------------

def encrypted_cookie(plaintext, cookie_name=b"sessionid", nonce=b"\x00" * 12):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sessions.EncryptedCookieStore",
               info=b"aes-256-gcm v1").derive(KEY.encode())
    kid = base64.urlsafe_b64encode(hashlib.sha256(key).digest()[:4]).rstrip(b"=")[:6]
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, cookie_name)
    return b"e1." + kid + b"." + base64.urlsafe_b64encode(sealed).rstrip(b"=")


def encrypted_plaintext(obj, issued=NOW, compress=False):
    body = json.dumps(obj, separators=(",", ":")).encode()
    fmt = b"\x00"
    if compress:
        body, fmt = zlib.compress(body), b"\x01"
    return struct.pack(">Q", issued % (1 << 64)) + fmt + body


# Security review seeds: `{"a":[[],[],...]}` (2,700 empty arrays: under 8 KB of JSON, far more
# parsed), a compressible session over the fuzz stores' 8 KB decompression bound, and a cookie with
# a '.' inserted into its base64.
INFLATING = {"a": [[] for _ in range(2700)]}
LONG_TEXT = {"s": "x" * 9000}


def dotted(cookie):
    return cookie[:-5] + b"." + cookie[-5:]


# --- the corpora ----------------------------------------------------------------------------------

def corpora():
    c = {}

    # cookie_parse: header, then max_pairs (0..40), max_bytes (0..300) at the end.
    def cookie(header, max_bytes=300, max_pairs=40):
        return header + tail(int_tail(max_bytes, 0, 300), int_tail(max_pairs, 0, 40))
    sid = b"sessionid=" + b"q8yq3x1v0kx4w6m2fj0r8m2y3n5c7d9e"
    c["cookie_parse"] = {
        "browser": cookie(sid + b"; csrftoken=Xq2pVfN8rYcK1mZs0LbT4wE6uJ9hA3dG; django_language=de"),
        "signed_cookies_backend": cookie(b"sessionid=" + signed_cookie(LOGIN) + b"; theme=dark"),
        "quoted_tabs_duplicates": cookie(b'  a="x y" ;\tb = 2 ;a=3;;=nothing; novalue; c=""'),
        "controls": cookie(b"a=1\r\n; b=\x00; c=ok\x7f; d=\x80\xff"),
        "cut_by_limit": cookie(sid + b"; " + b"x" * 40 + b"=1", max_bytes=30, max_pairs=3),
        "many_pairs": cookie(b";".join(b"k%d=%d" % (i, i) for i in range(60)), max_pairs=7),
        # A planted session cookie before the real one (security review: the first used to win).
        "regression_duplicate_session_cookie": cookie(b"sessionid=planted0000000000000000000000; " + sid +
                                                      b"; sessionid=" + sid[10:]),
    }

    # set_cookie: name, Domain, Path, value from the front; flags, now, Max-Age, Expires at the end.
    def set_cookie(name, value, path=b"/", domain=None, secure=False, httponly=True, samesite=0,
                   partitioned=False, max_age=None, expires=None, now=NOW * 10**9):
        flags = (secure | httponly << 1 | partitioned << 2 | samesite << 3 | (domain is not None) << 5 |
                 (max_age is not None) << 6 | (expires is not None) << 7)
        ints = [u8(flags), i64(now)]
        if max_age is not None:
            ints.append(i64(max_age))
        if expires is not None:
            ints.append(i64(expires))
        front = random_length_string(name)
        if domain is not None:
            front += random_length_string(domain)
        front += random_length_string(path) + value
        return front + tail(*ints)
    c["set_cookie"] = {
        "django_session": set_cookie(b"sessionid", b"q8yq3x1v0kx4w6m2fj0r8m2y3n5c7d9e", max_age=1209600),
        "signed_cookie": set_cookie(b"sessionid", signed_cookie(LOGIN), domain=b".example.com", secure=True,
                                    samesite=0, max_age=1209600),
        "host_prefix": set_cookie(b"__Host-sid", b"abc", secure=True, samesite=1, partitioned=True),
        "secure_prefix_lowercase": set_cookie(b"__secure-sid", b"abc", samesite=2),
        "delete": set_cookie(b"csrftoken", b'""', path=b"/app/", max_age=0, expires=0),
        "injection": set_cookie(b"sid", b"x\r\nSet-Cookie: admin=1; Path=/", path=b"/;Domain=evil.com"),
        "far_future": set_cookie(b"sid", b"v", max_age=(1 << 63) - 1, expires=(1 << 63) - 1, now=(1 << 63) - 1),
        "far_past": set_cookie(b"sid", b"v", max_age=-(1 << 63), expires=-(1 << 63), now=-(1 << 63)),
    }

    # signing_loads: mode, has-max_age flag, [max_age in -10..1e9] at the end.
    def loads_input(mode, body, max_age=None, extra_tail=b""):
        ints = [u8(mode), u8(1 if max_age is not None else 0)]
        if max_age is not None:
            ints.append(int_tail(max_age, -10, 1_000_000_000))
        return body + extra_tail + tail(*ints)
    c["signing_loads"] = {
        "dumps_dict": loads_input(0, dumps({"a": 1, "b": [True, None, 1.5]})),
        "dumps_compressed": loads_input(0, dumps(CART, compress=True), max_age=3600),
        "dumps_unicode_bigint": loads_input(0, dumps(UNICODE)),
        "dumps_string_expired": loads_input(0, dumps("hello", at=NOW - 10**6), max_age=60),
        "tampered": loads_input(0, dumps({"a": 1})[:-2] + b"xx"),
        "payload_json": loads_input(1, base64.urlsafe_b64encode(b'{"a":[1,2,{"b":null}]}').rstrip(b"="),
                                    extra_tail=i64(NOW)),
        "payload_zlib": loads_input(1, b"." + base64.urlsafe_b64encode(zlib.compress(b'{"k":"' + b"v" * 200 + b'"}')),
                                    extra_tail=i64(NOW)),
        "payload_zlib_bomb": loads_input(1, b"." + base64.urlsafe_b64encode(zlib.compress(b"[" * 100000)),
                                         extra_tail=i64(NOW)),
        "stamp_huge": loads_input(2, b"e30:zzzzzzzzzzzzzzzzzzzzzzzz", max_age=100),
        "json_text": loads_input(3, b'{"x":1e400,"y":NaN,"z":-Infinity,"w":"\\ud83c\\udf63"}' + u8(1)),
    }

    # python_json: options byte at the end (bit 7: default depth; bits 0-1: reject/latin1/utf8).
    # One nested object wider than Data's linear-search bound (its index), with a duplicate key.
    WIDE = (b'{"a":{' + b",".join(b'"k%d":%d' % (i, i) for i in range(300)) + b',"k7":"again"},"b":['
            + b",".join(b"[]" for _ in range(100)) + b"]}")
    c["python_json"] = {
        "django_session": json.dumps(LOGIN, separators=(",", ":")).encode() + u8(0x80),
        "cart": json.dumps(CART, separators=(",", ":")).encode() + u8(0x80),
        "unicode_bigint": json.dumps(UNICODE, separators=(",", ":")).encode() + u8(0x80),
        "specials": b' [NaN, Infinity, -Infinity, 1E+2, -0, 0.5e-3, 1e999, 1e-999, "\\u00e9\\uD834\\uDD1E"] ' + u8(0x80),
        "latin1": b'{"caf\xe9": "\xff"}' + u8(0x81),
        "utf8": '{"café": "東京"}'.encode() + u8(0x82),
        "duplicates_deep": b'{"a":1,"b":[[[[[[[]]]]]]],"a":2}' + u8(0x10),
        "lone_surrogate": b'"\\ud800"' + u8(0x80),
        "wide": WIDE + u8(0x80),
    }

    # serializer_json: bytes as a store holds them.
    c["serializer_json"] = {
        "django_session": json.dumps(LOGIN, separators=(",", ":")).encode(),
        "cart": json.dumps(CART).encode(),
        "unicode": json.dumps(UNICODE, ensure_ascii=False).encode(),
        "nested": b'{"a":' * 130 + b"1" + b"}" * 130,
        "not_object": b"[1,2,3]",
        "wide": WIDE,
    }

    # serializer_binary: the first byte picks the decoder (0 CBOR, 1 MessagePack, 2 encrypted
    # CBOR: the rest is sealed by the target itself, as the serializer documents).
    c["serializer_binary"] = {
        "cbor_login": b"\x00" + cbor(LOGIN),
        "cbor_cart": b"\x00" + cbor(CART),
        "cbor_unicode": b"\x00" + cbor(UNICODE),
        "cbor_nested": b"\x00\xa1\x61\x61" + b"\x81" * 130 + b"\x01",
        "cbor_indefinite": b"\x00\xbf\x61\x66\xf9\x3e\x00\x61\x6c\x9f\x01\x02\xff\xff",
        "cbor_not_map": b"\x00" + cbor([1, 2, 3]),
        "msgpack_login": b"\x01" + msgpack(LOGIN),
        "msgpack_cart": b"\x01" + msgpack(CART),
        "msgpack_unicode": b"\x01" + msgpack(UNICODE),
        "msgpack_nested": b"\x01\x81\xa1\x61" + b"\x91" * 130 + b"\x01",
        "encrypted_login": b"\x02" + cbor(LOGIN),
        "encrypted_cart": b"\x02" + cbor(CART),
    }

    # serializer_django_signed: mode byte at the end (0 stored bytes, 1 payload, 2 JSON text).
    c["serializer_django_signed"] = {
        "login": session_data(LOGIN) + u8(0),
        "cart": session_data(CART) + u8(0),
        "unicode_bigint": session_data(UNICODE) + u8(0),
        "other_salt": dumps(LOGIN, compress=True) + u8(0),
        "payload_list": base64.urlsafe_b64encode(b"[1,2]").rstrip(b"=") + tail(u8(1), i64(NOW)),
        "json_text": json.dumps(CART, separators=(",", ":")).encode() + u8(2),
    }

    # encrypted_cookie: mode, realistic-now flag, now offset (int16) at the end.
    def enc(mode, body, offset=0):
        return body + tail(u8(mode), u8(0), i16(offset))
    c["encrypted_cookie"] = {
        "cookie_login": enc(0, encrypted_cookie(encrypted_plaintext(LOGIN))),
        "cookie_cart_zlib": enc(0, encrypted_cookie(encrypted_plaintext(CART, compress=True))),
        "cookie_other_name": enc(0, encrypted_cookie(encrypted_plaintext(LOGIN), cookie_name=b"other")),
        "cookie_unknown_kid": enc(0, b"e1.AAAAAA." + base64.urlsafe_b64encode(b"\x00" * 40).rstrip(b"=")),
        "plaintext_json": enc(1, encrypted_plaintext(UNICODE)),
        "plaintext_zlib": enc(1, encrypted_plaintext(CART, compress=True)),
        "plaintext_expired": enc(1, encrypted_plaintext(LOGIN, issued=NOW - 2_000_000)),
        "plaintext_far_issue": enc(1, encrypted_plaintext(LOGIN, issued=(1 << 62))),
        "json_round_trip": enc(2, json.dumps(CART).encode()),
        # Security review: lenient base64 (a '.' inside) read as the same cookie; data parsing to
        # far more than its text; data encode() wrote but decode() refused.
        "regression_dotted_base64": enc(0, dotted(encrypted_cookie(encrypted_plaintext(LOGIN)))),
        "regression_inflating_data": enc(1, encrypted_plaintext(INFLATING, compress=True)),
        "regression_encode_over_decode_limit": enc(2, json.dumps(LONG_TEXT).encode()),
    }

    # signed_cookie_store: mode, realistic-now flag, now offset (int16) at the end; mode 1 adds a
    # timestamp flag and a timestamp (int32 offset from NOW, or any int64).
    def sc(mode, body, offset=0, timestamp=None):
        ints = [u8(mode), u8(0), i16(offset)]
        if mode == 1:
            if timestamp is None or -(1 << 31) <= timestamp - NOW < (1 << 31):
                ints += [u8(0), i32((timestamp if timestamp is not None else NOW) - NOW)]
            else:
                ints += [u8(1), i64(timestamp)]
        return body + tail(*ints)
    c["signed_cookie_store"] = {
        "django_login": sc(0, signed_cookie(LOGIN)),
        "django_cart": sc(0, signed_cookie(CART, at=NOW - 100)),
        "django_expired": sc(0, signed_cookie(LOGIN, at=NOW - 1_209_601)),
        "django_other_salt": sc(0, session_data(LOGIN)),
        "payload_object": sc(1, base64.urlsafe_b64encode(b'{"a":1}').rstrip(b"=")),
        "payload_future": sc(1, b"e30", timestamp=(1 << 62)),
        "json_round_trip": sc(2, json.dumps(UNICODE).encode()),
        # Security review: data parsing to far more than its text; data encode() wrote but
        # decode() refused.
        "regression_inflating_payload": sc(1, b"." + base64.urlsafe_b64encode(
            zlib.compress(json.dumps(INFLATING, separators=(",", ":")).encode())).rstrip(b"=")),
        "regression_encode_over_decode_limit": sc(2, json.dumps(LONG_TEXT).encode()),
    }

    # expiry: the value of `_session_expiry` / `_session_created_at` (JSON, else an ISO date), then
    # the cookie age (int64 seconds) and now (int64 nanoseconds) at the end. Security review: each
    # of these overflowed.
    def exp(value, cookie_age=1_209_600, now=NOW * 10**9):
        return value + tail(i64(now), i64(cookie_age))
    c["expiry"] = {
        "seconds": exp(b"300"),
        "browser_close": exp(b"0"),
        "date": exp(b'"2023-11-14T23:13:20.250000+00:00"'),
        "regression_int64_max": exp(b"9223372036854775807"),
        "regression_uint64_max": exp(b"18446744073709551615"),
        "regression_float_1e300": exp(b"1e300"),
        "regression_year_9999": exp(b'"9999-12-31T23:59:59"'),
        "regression_cookie_age_max": exp(b"null", cookie_age=(1 << 63) - 1, now=(1 << 63) - 1),
    }

    # session_key: first half the candidate key, second half the random bytes.
    c["session_key"] = {
        "django_key": b"q8yq3x1v0kx4w6m2fj0r8m2y3n5c7d9e" + bytes(range(0, 256, 8)),
        "traversal": b"../../etc/passwd" + b"\xff" * 16,
        "upper_and_short": b"ABCDEFGH1" + b"\xfc\xfd\xfe\xff\x00\x01\x02\x03\x04",
        "forty_one": b"a" * 41 + bytes(41),
    }

    # file_store_path: flags at the end (bit 0: cookie name "sessionid", else from the front).
    c["file_store_path"] = {
        "django_key": b"q8yq3x1v0kx4w6m2fj0r8m2y3n5c7d9e" + u8(1),
        "traversal": b"../../../../etc/passwd" + u8(1),
        "temp_name": b"q8yq3x1v0kx4w6m2fj0r8m2y3n5c7d9e_out_AbC123" + u8(1),
        "dot_prefix": random_length_string(b"..") + b"abcdefgh" + u8(0),
        "slash_prefix": random_length_string(b"a/b") + b"abcdefgh" + u8(2),
        "nul_key": b"abcd\x00efgh" + u8(1),
    }
    return c


def main():
    all_corpora = corpora()
    total = 0
    for target, seeds in all_corpora.items():
        directory = ROOT / target
        directory.mkdir(parents=True, exist_ok=True)
        # Regression seeds (regression_*) are inputs a fuzz run found or a review reported, kept by
        # hand: they are never generated here, so they must survive regeneration. Every other file
        # is this script's and is written afresh.
        for old in directory.iterdir():
            if not old.name.startswith("regression_"):
                old.unlink()
        for name, data in seeds.items():
            (directory / name).write_bytes(data)
            total += 1
    print(f"wrote {total} seeds for {len(all_corpora)} targets under {ROOT}")


if __name__ == "__main__":
    main()
