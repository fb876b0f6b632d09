#!/usr/bin/env python3
"""Independent verifier and writer for the custody-ledger formats, versions 1 and 2 (FORMAT.md §12).

Written from docs/FORMAT.md, the data schemas of docs/EVENTS.md and the standards they cite only (RFC 8785,
RFC 9162, C2SP signed-note / tlog-checkpoint / tlog-proof / tlog-cosignature, RFC 8032, RFC 3339), without reading
the reference implementation.  Standard library plus the `cryptography` package.

    ivl.py verify LEDGER.jsonl [--checkpoint FILE] [--trust-log-key VKEY]
    ivl.py write OUT_DIR --origin ORIGIN [--format 1|2] [--entries N] [--checkpoint-size K] [--with-finding]
                 [--custody] [--scenario NAME] [--rotate-log-key]
    ivl.py proof-verify PROOF_FILE [--entry RECORD_FILE] --vkey VKEY [--witness WVKEY ...] [--witness-quorum K]
    ivl.py consistency-verify --old N --new M --old-root B64 --new-root B64 PROOF_FILE
    ivl.py selftest-vectors [VECTORS_DIR]     (used by selftest.sh)

Exit statuses: 0 success, 1 integrity failure, 2 usage or I/O error
(3 for findings only, when `verify --findings-exit-3` is given; see FORMAT.md §9).  `verify` checks every row of
the type table (FORMAT.md §5; the version-2 rows of EVENTS.md §8 in a version-2 ledger) and replays a part of the
custody rules of EVENTS.md: the seal check at a receipt (§4.1), a witness of the actor's own person (§4, code
same-person) and the version-2 rules act-after-signing, items-open, witness-required and unknown-country (§8) are
reported as custody findings; the other custody rules are not checked.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import struct
import sys
import unicodedata
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization

# ---------------------------------------------------------------------------
# Errors


class Fail(Exception):
    """An integrity failure: the seq it belongs to (None for the checkpoint) and what failed."""

    def __init__(self, seq, what):
        super().__init__(what)
        self.seq = seq
        self.what = what


class UsageError(Exception):
    pass


class ProfileError(ValueError):
    """The JSON text breaks the JSON profile of FORMAT.md §2."""


# ---------------------------------------------------------------------------
# Small helpers


def sha256(b):
    return hashlib.sha256(b).digest()


def b64(b):
    return base64.b64encode(b).decode("ascii")


_B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def b64_decode_canonical(s):
    """Decode standard padded base64 (RFC 4648 §4); None unless re-encoding gives the same text.

    That rejects whitespace, missing padding and non-zero trailing bits (FORMAT.md §3.2).
    """
    if not isinstance(s, str) or not _B64_RE.fullmatch(s):
        return None
    try:
        raw = base64.b64decode(s, validate=True)
    except (ValueError, base64.binascii.Error):
        return None
    if b64(raw) != s:
        return None
    return raw


def b64_decode_lenient(s):
    """Standard padded base64 with no whitespace; non-zero trailing bits are tolerated (as Go does)."""
    if not _B64_RE.fullmatch(s):
        return None
    try:
        return base64.b64decode(s, validate=True)
    except (ValueError, base64.binascii.Error):
        return None


# Regexes are applied with re.fullmatch (never `$`, which would accept a trailing "\n")
# and with explicit ASCII classes (never \d, which matches non-ASCII digits in Python).
HEX64 = re.compile(r"[0-9a-f]{64}")
STREAM_RE = re.compile(r"[A-Za-z0-9._/-]{1,128}")
UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})Z")
PERSON_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")
ORIGIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}")
KEY_STREAM_RE = re.compile(r"key/([0-9a-f]{64})")

ROLES = ("admin", "case-officer", "custodian", "examiner", "takedown-officer", "supervisor", "auditor")
ZERO_HASH = "0" * 64
MAX_RECORD = 65536
MAX_SAFE = 2**53 - 1
MAX_DEPTH = 32

BODY_MEMBERS = {"v", "ledger", "seq", "prev", "stream", "stream_rev", "stream_prev", "id", "time", "type",
                "actor", "data"}

# ---------------------------------------------------------------------------
# RFC 8785 JSON Canonicalization Scheme


def _jcs_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20:
            short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}.get(c)
            out.append(short if short else "\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _es_number(x):
    """ECMAScript Number::toString for a finite double (RFC 8785 §3.2.2.3)."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("NaN and Infinity have no JSON form")
    if x == 0:
        return "0"  # also for -0
    if x < 0:
        return "-" + _es_number(-x)
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires.
    mant, _, exp = repr(x).partition("e")
    ip, _, fp = mant.partition(".")
    all_digits = ip + fp
    lead = len(all_digits) - len(all_digits.lstrip("0"))
    s = all_digits[lead:].rstrip("0")
    k = len(s)
    n = len(ip) - lead + (int(exp) if exp else 0)  # value = 0.s × 10^n
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    exp_v = n - 1
    sign = "+" if exp_v >= 0 else "-"
    if k == 1:
        return s + "e" + sign + str(abs(exp_v))
    return s[0] + "." + s[1:] + "e" + sign + str(abs(exp_v))


def _jcs(v, out):
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        if abs(v) > MAX_SAFE:
            out.append(_es_number(float(v)))
        else:
            out.append(str(v))
    elif isinstance(v, float):
        out.append(_es_number(v))
    elif isinstance(v, str):
        out.append(_jcs_string(v))
    elif isinstance(v, list):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        # RFC 8785 §3.2.3: sort by UTF-16 code units; big-endian UTF-16 bytes sort the same way.
        names = sorted(v.keys(), key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        for i, name in enumerate(names):
            if i:
                out.append(",")
            out.append(_jcs_string(name))
            out.append(":")
            _jcs(v[name], out)
        out.append("}")
    else:
        raise TypeError("not a JSON value: %r" % type(v))


def jcs(v):
    out = []
    _jcs(v, out)
    return "".join(out).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------
# Strict JSON parsing for the profile of FORMAT.md §2


def _max_depth(text):
    """Nesting depth of containers (scalars do not add depth), scanning outside strings."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > best:
                best = depth
            if best > MAX_DEPTH:
                return best
        elif ch in "]}":
            depth -= 1
    return max(best, 1)


def _pairs_hook(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ProfileError("an object has the member %s twice" % json.dumps(k))
        d[k] = v
    return d


def _parse_int(s):
    if s == "-0":
        raise ProfileError("the number -0 is not allowed")
    n = int(s)
    if n > MAX_SAFE or n < -MAX_SAFE:
        raise ProfileError("the integer %s is outside -(2^53-1)..2^53-1" % s)
    return n


def _parse_float(s):
    raise ProfileError("the number %s is not an integer (fractions and exponents are not allowed)" % s)


def _parse_constant(s):
    raise ProfileError("%s is not JSON" % s)


def _check_surrogates(v):
    if isinstance(v, str):
        for ch in v:
            if 0xD800 <= ord(ch) <= 0xDFFF:
                raise ProfileError("a string contains a lone surrogate (U+%04X)" % ord(ch))
    elif isinstance(v, list):
        for item in v:
            _check_surrogates(item)
    elif isinstance(v, dict):
        for k, item in v.items():
            _check_surrogates(k)
            _check_surrogates(item)


def parse_profile(raw):
    """Parse bytes as one JSON text under the v1 profile; return the value or raise ProfileError."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ProfileError("starts with a UTF-8 byte order mark")
    try:
        text = raw.decode("utf-8")  # strict: rejects invalid UTF-8 and encoded surrogates
    except UnicodeDecodeError as e:
        raise ProfileError("not valid UTF-8 (%s)" % e.reason)
    if _max_depth(text) > MAX_DEPTH:
        raise ProfileError("nesting depth exceeds %d" % MAX_DEPTH)
    try:
        value = json.loads(text, object_pairs_hook=_pairs_hook, parse_int=_parse_int,
                           parse_float=_parse_float, parse_constant=_parse_constant)
    except ProfileError:
        raise
    except (ValueError, RecursionError) as e:
        raise ProfileError("not valid JSON (%s)" % e)
    _check_surrogates(value)
    if jcs(value) != raw:
        raise ProfileError("the bytes are not the canonical (RFC 8785 JCS) form of the value")
    return value


# ---------------------------------------------------------------------------
# Ed25519 point checks (RFC 8032 §5.1.3 decoding) and signature verification

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_L = 2**252 + 27742317777372353535851937790883648493


def _decode_point(b):
    if len(b) != 32:
        return None
    n = int.from_bytes(b, "little")
    sign = n >> 255
    y = n & ((1 << 255) - 1)
    if y >= _P:
        return None  # non-canonical encoding
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None  # not on the curve
    if x == 0 and sign == 1:
        return None
    if (x & 1) != sign:
        x = _P - x
    return (x, y)


def _point_add(p1, p2):
    # Complete addition on -x^2 + y^2 = 1 + d x^2 y^2.
    x1, y1 = p1
    x2, y2 = p2
    t = _D * x1 * x2 * y1 * y2 % _P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, _P - 2, _P) % _P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P
    return (x3, y3)


def public_key_problem(pk):
    """Why a raw Ed25519 public key is unacceptable under FORMAT.md §3.2, or None if it is fine."""
    if len(pk) != 32:
        return "is not 32 bytes"
    pt = _decode_point(pk)
    if pt is None:
        return "is not a canonically encoded curve point"
    q = pt
    for _ in range(3):
        q = _point_add(q, q)
    if q == (0, 1):
        return "is a point of small order"
    return None


def ed25519_verify(pk, sig, msg):
    if len(sig) != 64 or public_key_problem(pk) is not None:
        return False
    if int.from_bytes(sig[32:], "little") >= _L:
        return False  # S must be less than L
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def raw_public(priv):
    return priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# ---------------------------------------------------------------------------
# RFC 9162 §2.1.1 Merkle tree


def leaf_hash(record):
    return sha256(b"\x00" + record)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def merkle_root(leaves):
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


class ProofError(Exception):
    """An RFC 9162 inclusion or consistency proof does not verify."""


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 §2.1.3.2: verify that `leaf` (a leaf hash) is at `index` in the tree of `size` with `root`.

    Raises ProofError with the reason; returns None on success.
    """
    if not 0 <= index < size:
        raise ProofError("leaf index %d is not less than the tree size %d" % (index, size))
    fn, sn = index, size - 1  # step 2
    r = leaf  # step 3
    for p in path:  # step 4
        if sn == 0:  # 4a
            raise ProofError("the proof has %d hashes, more than a proof for index %d in a tree of size %d"
                             % (len(path), index, size))
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    if sn != 0:  # step 5
        raise ProofError("the proof has %d hashes, fewer than a proof for index %d in a tree of size %d"
                         % (len(path), index, size))
    if r != root:
        raise ProofError("the proof does not lead from the leaf hash to the root")


def verify_consistency(size1, size2, root1, root2, path):
    """RFC 9162 §2.1.4.2: verify that the tree (size1, root1) is a prefix of the tree (size2, root2).

    The RFC defines proofs for 0 < size1 < size2; like transparency-dev (whose test vectors FORMAT.md §6.5
    cites) size1 == size2 needs an empty proof and equal roots, and size1 == 0 or size1 > size2 fail.
    """
    if size1 > size2:
        raise ProofError("the old size %d is larger than the new size %d" % (size1, size2))
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size 0) is meaningless")
    if size1 == size2:
        if path:
            raise ProofError("the sizes are equal, so the proof must be empty (it has %d hashes)" % len(path))
        if root1 != root2:
            raise ProofError("the sizes are equal but the roots differ")
        return
    if not path:  # step 1
        raise ProofError("the proof is empty")
    path = list(path)
    if size1 & (size1 - 1) == 0:  # step 2: size1 is an exact power of 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise ProofError("the proof has more hashes than a proof from size %d to size %d" % (size1, size2))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError("the proof has fewer hashes than a proof from size %d to size %d" % (size1, size2))
    if fr != root1:
        raise ProofError("the proof does not lead to the old root")
    if sr != root2:
        raise ProofError("the proof does not lead to the new root")


# ---------------------------------------------------------------------------
# C2SP signed notes, vkeys, checkpoints


class NoteError(Exception):
    pass


ALG_ED25519 = 0x01  # C2SP signed-note Ed25519 key (log keys, FORMAT.md §6.2)
ALG_COSIGNATURE = 0x04  # C2SP tlog-cosignature/v1 Ed25519 key (witnesses, FORMAT.md §6.6)


def note_key_id(name, pk, alg=ALG_ED25519):
    return sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + pk)[:4]


def valid_key_name(name):
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def parse_vkey(text, alg=ALG_ED25519):
    """Parse a C2SP vkey `name+hexid+b64(alg||pk)`; return (name, key_id, pk) or raise ValueError.

    alg 0x01 is a signed-note Ed25519 key (the log key), 0x04 a tlog-cosignature/v1 witness key.
    """
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise ValueError("a vkey has the form name+keyid+key")
    name, hid, k64 = parts
    if not valid_key_name(name):
        raise ValueError("the key name %r is not a valid note key name" % name)
    if not re.fullmatch(r"[0-9a-f]{8}", hid):
        raise ValueError("the key ID is not 8 lowercase hex digits")
    raw = b64_decode_canonical(k64)
    if raw is None or len(raw) != 33 or raw[0] != alg:
        raise ValueError("the key is not base64 of 0x%02x followed by a 32-byte Ed25519 public key" % alg)
    pk = raw[1:]
    if note_key_id(name, pk, alg).hex() != hid:
        raise ValueError("the key ID does not match the key name and public key")
    return name, bytes.fromhex(hid), pk


def make_vkey(name, pk, alg=ALG_ED25519):
    return "%s+%s+%s" % (name, note_key_id(name, pk, alg).hex(), b64(bytes([alg]) + pk))


class NoteSig:
    """One signature line of a note: `— name b64`, with its base64 text and decoded bytes."""

    def __init__(self, name, sig64, raw):
        self.name, self.sig64, self.raw = name, sig64, raw

    @property
    def key_id(self):
        return self.raw[:4]


def split_note(data):
    """Split a signed note into (text, [NoteSig]) checking only its form (C2SP signed-note); raise NoteError."""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("the note is not valid UTF-8")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in s):
        raise NoteError("the note contains an ASCII control character")
    split = s.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, sigs = s[: split + 1], s[split + 2:]
    if not sigs or not sigs.endswith("\n"):
        raise NoteError("the note's signature block is empty or does not end in a newline")
    lines = sigs[:-1].split("\n")
    if len(lines) > 100:
        raise NoteError("the note has too many signatures")
    out = []
    for line in lines:
        if not line.startswith("\u2014 "):
            raise NoteError("malformed signature line %r" % line)
        rest = line[2:]
        name, sp, sig64 = rest.partition(" ")
        if not sp or not valid_key_name(name) or not sig64:
            raise NoteError("malformed signature line %r" % line)
        raw = b64_decode_lenient(sig64)
        if raw is None or len(raw) < 5:
            raise NoteError("malformed signature line %r" % line)
        out.append(NoteSig(name, sig64, raw))
    return text, out


def open_note(data, known):
    """Verify a signed note against known Ed25519 keys [(name, key_id, pk)].

    Returns (text, names of known keys whose signatures verified).  Raises NoteError when the
    note is malformed, a signature by a known key fails, or no known key signed it.
    """
    text, sigs = split_note(data)
    verified = []
    seen = set()
    for ns in sigs:
        name, kid, sig = ns.name, ns.raw[:4], ns.raw[4:]
        for kname, kkid, kpk in known:
            if kname == name and kkid == kid:
                if (name, kid) in seen:
                    continue  # duplicate signature by the same key: ignored
                seen.add((name, kid))
                if not ed25519_verify(kpk, sig, text.encode("utf-8")):
                    raise NoteError("the signature by %s does not verify" % name)
                verified.append(name)
    if not verified:
        raise NoteError("the note is not signed by a known key")
    return text, verified


def parse_checkpoint_text(text):
    """Return (origin, size, root) from a checkpoint's note text (C2SP tlog-checkpoint)."""
    if not text.endswith("\n"):
        raise NoteError("the checkpoint text does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(line == "" for line in lines):
        raise NoteError("the checkpoint text is not at least three non-empty lines")
    origin, size_s, root64 = lines[0], lines[1], lines[2]
    if not re.fullmatch(r"0|[1-9][0-9]*", size_s):
        raise NoteError("the tree size %r is not a decimal number without leading zeros" % size_s)
    root = b64_decode_lenient(root64)
    if root is None or len(root) != 32:
        raise NoteError("the root hash is not base64 of 32 bytes")
    return origin, int(size_s), root


# ---------------------------------------------------------------------------
# Verification (FORMAT.md §7)


def entry_message(body_hash):
    return b"custody-ledger/v1 entry\n" + body_hash.hex().encode("ascii") + b"\n"


def key_request(origin, data):
    return {"agency": data["agency"], "ledger": origin, "name": data["name"], "person": data["person"],
            "public_key": data["public_key"], "v": 1}


def key_request_message(request):
    return b"custody-ledger/v1 key-request\n" + sha256(jcs(request)).hex().encode("ascii") + b"\n"


def text_problem(s, maxlen, no_controls):
    """Length in Unicode scalar values (code points); controls are Unicode category Cc."""
    if not isinstance(s, str):
        return "is not a string"
    if not 1 <= len(s) <= maxlen:
        return "must be 1-%d characters (has %d)" % (maxlen, len(s))
    if no_controls and any(unicodedata.category(ch) == "Cc" for ch in s):
        return "contains a control character"
    return None


def is_int(v):
    return type(v) is int  # bool is a subclass of int in Python; JSON true is not a number


class KeyState:
    def __init__(self, pk, roles, person, reg_seq):
        self.pk = pk
        self.roles = set(roles)
        self.person = person
        self.reg_seq = reg_seq
        self.revoked_seq = None
        self.compromised_since = None


# ---------------------------------------------------------------------------
# Format version 2 (FORMAT.md §12): statements signed by people, sequenced by the ledger

MAX_RECORD_V2 = 65535  # §12.3: every record fits a C2SP tlog-tiles entry bundle (16-bit length prefix)
BODY2_MEMBERS = {"v", "seq", "prev", "time", "statement"}
STATEMENT_MEMBERS = {"v", "ledger", "id", "stream", "stream_rev", "stream_prev", "type", "actor", "signed_at",
                     "expires", "data"}  # plus "genesis" at every seq but 1 (§12.2)
SKEW_MS = 300000  # §12.5: 5 minutes
MAX_EXPIRY_MS = 2592000000  # §12.2: 30 days
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# ---- BEGIN custody type table (FORMAT.md §5 rows from case.opened on; data schemas of docs/EVENTS.md) ----
# The same bytes are in tools/independent-verifier/ivl.py and tools/verify_bundle.py (selftest.sh compares them).
# Only the standard library (re, unicodedata) is used here, so each file stays self-contained.
#
# Every member has the kind and bound of the "Data schemas:" lists of EVENTS.md.  A member's schema is one of:
#   ("name", N) name text of 1..N scalars, no control characters (FORMAT.md §2)
#   ("free", N) free text of 1..N scalars, no control characters but LF and tab (FORMAT.md §2)
#   ("local",) a local id [A-Za-z0-9._-]{1,64}     ("person",) a person id [A-Za-z0-9._@-]{1,64} (FORMAT.md §4.1)
#   ("key",) a key id, 64 lowercase hex digits      ("country",) ISO 3166-1 alpha-2: two ASCII capital letters
#             (in both versions: whether the code is listed is custody rule unknown-country, EVENTS.md §8)
#   ("time",) an EVENTS.md timestamp: YYYY-MM-DDTHH:MM:SS, optionally "." and 1-9 digits, then Z or +HH:MM/-HH:MM,
#             a valid calendar date, hours 00-23, minutes 00-59, seconds 00-60 (the offset's hours and minutes too)
#   ("enum", values)  ("bool",)  ("int", lo, hi)     ("hashes",) a hash list
#   ("srchashes",) a source hash list (version 2): a hash list that need not hold sha256 (EVENTS.md conventions)
#   ("array", element schema) a non-empty array of distinct elements (EVENTS.md: no two equal as JSON values)
#   ("object", ((member, schema), ...)) an object of exactly these members
CT_CO, CT_CU, CT_EX, CT_SU, CT_TO = "case-officer", "custodian", "examiner", "supervisor", "takedown-officer"
CT_HANDLERS = (CT_CO, CT_CU, CT_EX)
CT_ANY = ("case", "target", "item")
CT_MAX_SAFE = 2**53 - 1
CT_NAME64, CT_NAME100, CT_NAME200 = ("name", 64), ("name", 100), ("name", 200)
CT_FREE2000, CT_FREE10000 = ("free", 2000), ("free", 10000)
CT_IMAGE = ("object", (("name", ("name", 255)), ("size", ("int", 0, CT_MAX_SAFE)), ("hashes", ("hashes",))))
# type: (stream kinds, roles that may act, the data member naming a co-signer or None, required, optional)
CUSTODY_TYPES = {
    "case.opened": (("case",), (CT_CO, CT_SU), None,
                    {"title": CT_NAME200, "legal_basis": CT_FREE2000, "agencies": ("array", CT_NAME200)},
                    {"summary": CT_FREE10000}),
    "case.agency-joined": (("case",), (CT_CO, CT_SU), None,
                           {"agency": CT_NAME200}, {"legal_basis": CT_FREE2000}),
    "case.closed": (("case",), (CT_CO, CT_SU), None, {"reason": CT_FREE2000}, {}),
    "target.identified": (("target",), (CT_CO, CT_TO), None,
                          {"case": ("local",), "kind": ("enum", ("ip", "domain", "url", "server")),
                           "value": ("name", 2048),
                           "category": ("enum", ("phishing", "ransomware", "infostealer", "malware-c2", "other")),
                           "country": ("country",), "source": CT_NAME200},
                          {"hosting_provider": CT_NAME200, "asn": ("int", 1, 4294967295)}),
    "target.verified": (("target",), (CT_CO, CT_TO), None, {}, {"note": CT_FREE2000}),
    "target.false-positive": (("target",), (CT_CO, CT_TO), None, {"reason": CT_FREE2000}, {}),
    "target.notified": (("target",), (CT_TO,), None, {"recipient": CT_NAME200, "reference": CT_NAME200}, {}),
    "takedown.requested": (("target",), (CT_TO,), None, {"recipient": CT_NAME200, "legal_instrument": CT_NAME200},
                           {}),
    "takedown.confirmed": (("target",), (CT_TO,), None,
                           {"method": ("enum", ("suspended", "null-routed", "sinkholed", "domain-hold", "seized")),
                            "occurred_at": ("time",)}, {"reference": CT_NAME200}),
    "takedown.not-actioned": (("target",), (CT_TO,), None,
                              {"reason": ("enum", ("jurisdiction", "shared-hosting", "no-response", "other"))},
                              {"details": CT_FREE2000}),
    "target.reappeared": (("target",), (CT_CO, CT_TO), None, {"observed_at": ("time",)}, {"details": CT_FREE2000}),
    "item.seized": (("item",), CT_HANDLERS, "witness_key",
                    {"case": ("local",), "exhibit": CT_NAME64,
                     "kind": ("enum", ("laptop", "phone", "hard-disk", "server", "storage-media", "other")),
                     "description": CT_FREE2000, "location": CT_NAME200, "occurred_at": ("time",),
                     "seized_from": CT_NAME200, "legal_authority": CT_NAME200},
                    {"serial": CT_NAME100, "imei": ("name", 20), "iccid": ("name", 22), "device_state": CT_NAME200,
                     "seal": CT_NAME100, "target": ("local",), "parent": ("local",), "witness_key": ("key",),
                     "photos": ("array", ("hashes",))}),
    "item.acquired": (("item",), CT_HANDLERS, None,
                      {"tool": CT_NAME200, "tool_version": CT_NAME100, "source_hashes": ("hashes",),
                       "images": ("array", CT_IMAGE), "verified": ("bool",)},
                      {"write_blocker": CT_NAME200, "notes": CT_FREE2000}),
    "custody.released": (("item",), CT_HANDLERS, None, {"to": ("person",), "purpose": CT_FREE2000},
                         {"seal": CT_NAME100, "courier": CT_NAME200, "tracking": CT_NAME200}),
    "custody.received": (("item",), CT_HANDLERS, None, {"seal_intact": ("bool",)},
                         {"seal": CT_NAME100, "condition": CT_FREE2000, "location": CT_NAME200}),
    "custody.release-cancelled": (("item",), CT_HANDLERS, None, {"reason": CT_FREE2000}, {}),
    "custody.receipt-refused": (("item",), CT_HANDLERS, None, {"reason": CT_FREE2000}, {}),
    "custody.lost": (("item",), CT_HANDLERS + (CT_SU,), None, {"details": CT_FREE2000}, {}),
    "custody.reassigned": (("item",), (CT_SU,), None, {"to": ("person",), "reason": CT_FREE2000}, {}),
    "item.checked-out": (("item",), CT_HANDLERS, None, {"to": ("person",), "purpose": CT_FREE2000}, {}),
    "item.checked-in": (("item",), CT_HANDLERS, None, {}, {"location": CT_NAME200, "condition": CT_FREE2000}),
    "item.stored": (("item",), CT_HANDLERS, None, {"location": CT_NAME200}, {}),
    "item.sealed": (("item",), CT_HANDLERS, None, {"seal": CT_NAME100}, {"reason": CT_FREE2000}),
    "item.unsealed": (("item",), CT_HANDLERS, None, {"seal": CT_NAME100, "reason": CT_FREE2000}, {}),
    "item.examined": (("item",), CT_HANDLERS, None, {"summary": CT_FREE10000, "report_reference": CT_NAME200}, {}),
    "item.disposed": (("item",), CT_HANDLERS + (CT_SU,), "witness_key",
                      {"method": ("enum", ("returned-to-owner", "destroyed", "released")), "authority": CT_NAME200},
                      {"recipient_reference": CT_NAME200, "details": CT_FREE2000, "witness_key": ("key",)}),
    "entry.corrected": (CT_ANY, (CT_CO, CT_CU, CT_EX, CT_SU, CT_TO), None,
                        {"corrects": ("int", 1, CT_MAX_SAFE), "field": CT_NAME64, "value": CT_FREE10000,
                         "reason": CT_FREE2000}, {}),
    "note.added": (CT_ANY, (CT_CO, CT_CU, CT_EX, CT_SU, CT_TO), None, {"text": CT_FREE10000}, {}),
}
# The version-2 rows (EVENTS.md §8, FORMAT.md §12.1): a version-2 ledger follows these instead of the version-1 rows
# of the same types, and the version-1 rows for every other type; a version-1 ledger never follows them.  Same
# layout as CUSTODY_TYPES: the stream kinds, roles and co-signer member are the version-1 row's.  Their rules
# (act-after-signing, items-open, witness-required, unknown-country) are custody rules: ivl.py's custody replay
# reports them.  target.identified has no version-2 row (its country stays two capital letters, EVENTS.md §8).
CT_OCCURRED = {"occurred_at": ("time",)}  # §8: optional on every event that records a physical act
# EVENTS.md §8.1 "Country codes": the codes custody rule unknown-country (§8, version 2 only) accepts for a
# target.identified's country, the 249 codes ISO 3166-1 assigns and XK, copied from the spec text (the list only
# grows: a code added later is an unknown-country finding here, never an integrity failure).  selftest.sh compares
# this list with the one in docs/EVENTS.md.  The data schema's country is two capital letters in both versions.
CT_COUNTRIES_V2 = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ
BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR
CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
""".split())


def ct_v2_row(typ, required=None, optional=None):
    """The version-1 row of typ, a physical act, with members made required or added (or their schema changed), and
    the optional occurred_at."""
    kinds, roles, cosigner, req, opt = CUSTODY_TYPES[typ]
    req = dict(req, **(required or {}))
    opt = dict({m: x for m, x in opt.items() if m not in req}, **(optional or {}), **CT_OCCURRED)
    return (kinds, roles, cosigner, req, opt)


CUSTODY_TYPES_V2 = {
    "case.closed": (("case",), (CT_CO, CT_SU), None, {"reason": CT_FREE2000}, {"override_reason": CT_FREE2000}),
    "item.acquired": ct_v2_row("item.acquired", required={"source_hashes": ("srchashes",)}),
    "custody.released": ct_v2_row("custody.released"),
    "custody.received": ct_v2_row("custody.received"),
    "custody.release-cancelled": ct_v2_row("custody.release-cancelled"),
    "custody.receipt-refused": ct_v2_row("custody.receipt-refused"),
    "custody.lost": ct_v2_row("custody.lost"),
    "item.checked-out": ct_v2_row("item.checked-out", optional={"due": ("time",)}),
    "item.checked-in": ct_v2_row("item.checked-in"),
    "item.stored": ct_v2_row("item.stored"),
    "item.sealed": ct_v2_row("item.sealed"),
    "item.unsealed": ct_v2_row("item.unsealed"),
    "item.examined": ct_v2_row("item.examined"),
    "item.disposed": ct_v2_row("item.disposed"),
}


def custody_row(typ, version=1):
    """The row of the type table a ledger of this format version follows for typ (FORMAT.md §12.1)."""
    return CUSTODY_TYPES_V2[typ] if version == 2 and typ in CUSTODY_TYPES_V2 else CUSTODY_TYPES[typ]


CT_LOCAL_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
CT_PERSON_ID = re.compile(r"[A-Za-z0-9._@-]{1,64}")
CT_KEY_ID = re.compile(r"[0-9a-f]{64}")
CT_COUNTRY = re.compile(r"[A-Z]{2}")
CT_RFC3339 = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?"
                        r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))")
CT_HASH_HEX = {"md5": 32, "sha1": 40, "sha256": 64}


def ct_text_problem(v, kind, maxlen):
    """FORMAT.md §2: name text (no Cc controls) or free text (LF and tab allowed), 1..maxlen scalars."""
    if not isinstance(v, str):
        return "is not a string"
    if not 1 <= len(v) <= maxlen:
        return "must be %s text of 1-%d characters (has %d)" % (kind, maxlen, len(v))
    allowed = "" if kind == "name" else "\n\t"
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in v):
        return "contains a control character (%s text%s)" % (kind, "" if allowed else ", not even LF or tab")
    return None


def ct_time_problem(v):
    """EVENTS.md timestamp: RFC 3339 date-time, upper-case T and Z or a numeric offset, 0-9 fraction digits."""
    m = CT_RFC3339.fullmatch(v) if isinstance(v, str) else None
    if not m:
        return "is not an RFC 3339 date-time YYYY-MM-DDTHH:MM:SS[.1-9 digits] with Z or +HH:MM/-HH:MM"
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (1 <= mo <= 12 and 1 <= d <= days[mo - 1] and h <= 23 and mi <= 59 and s <= 60) \
            or m[7] is not None and not (int(m[7]) <= 23 and int(m[8]) <= 59):
        return "is not a valid RFC 3339 date and time (%s)" % v
    return None


def ct_hash_list_problem(v, source=False):
    """A hash list; with source (version 2, EVENTS.md §8) a source hash list, which need not hold sha256."""
    if not isinstance(v, list) or not v:
        return "is not a non-empty %shash list" % ("source " if source else "")
    for h in v:
        if not isinstance(h, dict) or set(h) != {"alg", "value"} or h["alg"] not in CT_HASH_HEX \
                or not isinstance(h["value"], str) \
                or not re.fullmatch(r"[0-9a-f]{%d}" % CT_HASH_HEX[h["alg"]], h["value"]):
            return "has an element that is not {alg: md5|sha1|sha256, value: lowercase hex of its length}"
    algs = [h["alg"] for h in v]
    if source:
        return "repeats an alg" if len(set(algs)) != len(algs) else None
    if len(set(algs)) != len(algs) or "sha256" not in algs:
        return "repeats an alg or lacks sha256"
    return None


def ct_json_key(v):
    """A hashable key equal for two JSON values exactly when EVENTS.md calls them equal: strings byte for byte
    (as code points: the same thing for Unicode scalars), objects whatever the order of their members, arrays
    element by element in order; true/false never equal to a number."""
    if isinstance(v, dict):
        return ("object", frozenset((k, ct_json_key(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("array", tuple(ct_json_key(x) for x in v))
    return (type(v).__name__, v)


def ct_member_problem(v, spec):
    """Why the value v does not match the member schema spec, or None."""
    k = spec[0]
    if k in ("name", "free"):
        return ct_text_problem(v, k, spec[1])
    if k in ("local", "person", "key", "country"):
        pat, what = {"local": (CT_LOCAL_ID, "a local id ([A-Za-z0-9._-]{1,64})"),
                     "person": (CT_PERSON_ID, "a person id ([A-Za-z0-9._@-]{1,64})"),
                     "key": (CT_KEY_ID, "a key id (64 lowercase hex digits)"),
                     "country": (CT_COUNTRY, "an ISO 3166-1 alpha-2 code in upper case")}[k]
        return None if isinstance(v, str) and pat.fullmatch(v) else "is not " + what
    if k == "time":
        return ct_time_problem(v)
    if k == "enum":
        return None if isinstance(v, str) and v in spec[1] else "is not one of %s" % ", ".join(spec[1])
    if k == "bool":
        return None if isinstance(v, bool) else "is not true or false"
    if k == "int":
        ok = type(v) is int and spec[1] <= v <= spec[2]
        return None if ok else "is not an integer from %d to %d" % (spec[1], spec[2])
    if k == "hashes":
        return ct_hash_list_problem(v)
    if k == "srchashes":
        return ct_hash_list_problem(v, source=True)
    if k == "object":
        names = [m for m, _ in spec[1]]
        if not isinstance(v, dict) or set(v) != set(names):
            return "is not an object with exactly the members %s" % ", ".join(names)
        for m, mspec in spec[1]:
            problem = ct_member_problem(v[m], mspec)
            if problem:
                return ".%s %s" % (m, problem)
        return None
    if k == "array":
        if not isinstance(v, list) or not v:
            return "is not a non-empty array"
        seen = {}
        for i, x in enumerate(v):
            problem = ct_member_problem(x, spec[1])
            if problem:
                return "[%d]%s%s" % (i, "" if problem[0] in "[." else " ", problem)
            j = seen.setdefault(ct_json_key(x), i)
            if j != i:
                return "[%d] repeats [%d] (the elements must be distinct)" % (i, j)
        return None
    raise AssertionError(spec)


def custody_stream_problem(typ, stream):
    """The stream column of §5: <kind>/<local id> for one of the row's kinds."""
    kinds = CUSTODY_TYPES[typ][0]
    head, _, tail = stream.partition("/")
    if head in kinds and CT_LOCAL_ID.fullmatch(tail):
        return None
    return "%s must be in stream %s (is %s)" % (typ, " or ".join(k + "/<local id>" for k in kinds), stream)


def custody_data_problem(typ, data, version=1):
    """The data column of §5 and the schema of EVENTS.md: exactly the required members, optional ones, each valid.
    A version-2 ledger follows the version-2 row where the type has one (EVENTS.md §8)."""
    _, _, _, required, optional = custody_row(typ, version)
    missing, extra = sorted(set(required) - set(data)), sorted(set(data) - set(required) - set(optional))
    if missing or extra:
        return "%s data must have the members %s%s (missing %s, unexpected %s)%s" % (
            typ, ", ".join(required) or "(none)", (" and optionally " + ", ".join(optional)) if optional else "",
            missing, extra, "" if custody_row(typ, version) is CUSTODY_TYPES[typ] else
            " (its version-2 row, EVENTS.md §8)")
    for m in sorted(data):
        problem = ct_member_problem(data[m], required.get(m) or optional[m])
        if problem:
            return "data.%s%s%s" % (m, "" if problem[0] in "[." else " ", problem)
    return None
# ---- END custody type table ----


def statement_message(statement_hash):
    """§12.4: signed by the statement's actor (93 bytes)."""
    return b"custody-ledger/v2 statement\n" + statement_hash.hex().encode("ascii") + b"\n"


def co_signature_message(statement_hash, signed_at):
    """§12.4: signed by a co-signer, with the signed_at of its own sigs element (121 bytes)."""
    return (b"custody-ledger/v2 co-signature\n" + statement_hash.hex().encode("ascii") + b"\n"
            + signed_at.encode("ascii") + b"\n")


ROTATED = "ledger.log-key-rotated"  # §5, §12.10: version 2 only


def rotation_message(genesis, log_vkey):
    """§12.10: signed by the log key in force before the rotation (old_key_sig) and by the new one (new_key_sig)."""
    return (b"custody-ledger/v2 log-key-rotation\n" + genesis.hex().encode("ascii") + b"\n"
            + log_vkey.encode("utf-8") + b"\n")


def time_problem(t):
    """Why t is not the 24-character UTC form of §3.1 (a real date, years 0001-9999), or None."""
    if not isinstance(t, str):
        return "is not a string"
    m = TIME_RE.fullmatch(t)
    if not m:
        return "%r is not of the form YYYY-MM-DDTHH:MM:SS.sssZ" % t
    try:
        datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]))
    except ValueError:
        return "%r is not a real calendar date and time" % t
    return None


def time_ms(t):
    """Milliseconds since 1970-01-01T00:00:00.000Z of a well-formed time (§12.5)."""
    m = TIME_RE.fullmatch(t)
    dt = datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]),
                           tzinfo=datetime.timezone.utc)
    d = dt - _EPOCH
    return (d.days * 86400 + d.seconds) * 1000 + int(m[7])


def fmt_ms(ms):
    return fmt_time(_EPOCH + datetime.timedelta(milliseconds=ms))


def record_version(raw):
    """The format version a record claims: 2 when it parses and its body's v is 2, otherwise 1 (§12.1)."""
    try:
        rec = parse_profile(raw)
    except ProfileError:
        return 1
    if isinstance(rec, dict) and isinstance(rec.get("body"), dict):
        v = rec["body"].get("v")
        if is_int(v) and v == 2:
            return 2
    return 1


def timestamp_ns(v):
    """Nanoseconds since 1970-01-01T00:00:00Z of a valid EVENTS.md timestamp (offset applied; second 60 counts as
    one second after :59, so a leap second stays in order)."""
    m = CT_RFC3339.fullmatch(v)
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    frac = re.search(r"\.([0-9]{1,9})", v[19:])
    ns = int(frac[1].ljust(9, "0")) if frac else 0
    off = 0 if m[7] is None else (int(m[7]) * 3600 + int(m[8]) * 60) * (1 if v[-6] == "+" else -1)
    days = (datetime.date(y, mo, d) - datetime.date(1970, 1, 1)).days
    return (days * 86400 + h * 3600 + mi * 60 + sec - off) * 10**9 + ns


# The physical acts of EVENTS.md §8 (the version-2 rows with an optional occurred_at: not case.closed nor
# target.identified) and item.seized: every item event with an occurred_at, whose occurred_at the rule
# act-after-signing bounds by the statement's signed_at (version 2 only).
ACT_TYPES = frozenset(t for t, row in CUSTODY_TYPES_V2.items() if "occurred_at" in row[4]) | {"item.seized"}


class CustodyReplay:
    """The part of the custody fold (EVENTS.md §4, §6.1, §8) ivl.py replays: cases open or closed, each item's case,
    status and seal.  It reports as custody findings (FORMAT.md §7, category custody) the seal exception at a
    receipt (§4.1, both versions; the entry is applied as recorded), a seizure's or disposal's witness of the
    actor's own person (§4, code same-person, both versions) and the version-2 rules act-after-signing,
    items-open, witness-required and unknown-country (§8; such an entry changes no state, §7).  The other custody rules are not
    checked; an entry that breaks a status precondition ivl.py knows (§6.1) changes no state either."""

    def __init__(self):
        self.cases = {}  # case id -> open (bool)
        self.items = {}  # item id -> {"case", "status", "seal" (None when unsealed)}
        self.found = []  # (seq, text)

    def finding(self, seq, text):
        self.found.append((seq, "custody: " + text))

    def entry(self, seq, version, typ, stream, actor, data, signed_at, keys):
        if typ not in CUSTODY_TYPES:
            return
        local = stream.partition("/")[2]
        if version == 2 and typ == "target.identified" and data["country"] not in CT_COUNTRIES_V2:
            # §8 unknown-country: the country is one of the codes of §8.1 (the schema checks two capital letters).
            self.finding(seq, "unknown-country (EVENTS.md §8): target.identified of target %s has country %s, not "
                              "one of the codes of EVENTS.md §8.1; the entry changes no state" % (local, data["country"]))
            return
        if version == 2 and typ in ACT_TYPES and "occurred_at" in data:
            # §8 act-after-signing: occurred_at no later than signed_at plus the 5-minute skew of FORMAT.md §12.5.
            if timestamp_ns(data["occurred_at"]) > (time_ms(signed_at) + SKEW_MS) * 10**6:
                self.finding(seq, "act-after-signing (EVENTS.md §8): %s data.occurred_at %s is later than "
                                  "statement.signed_at %s plus 5 minutes; the entry changes no state"
                             % (typ, data["occurred_at"], signed_at))
                return
        if typ in ("item.seized", "item.disposed") and "witness_key" in data:
            # §4 (both versions; EVENTS.md §8 names the code same-person): the witness is another person than the
            # actor; a witness_key of the actor key's own person is a custody finding (its co-signature is checked
            # with the signatures).
            wk, ak = keys.get(data["witness_key"]), keys.get(actor)
            if wk is not None and ak is not None and wk.person == ak.person:
                self.finding(seq, "same-person (EVENTS.md §4): %s of item %s is witnessed by a key of the actor's own "
                                  "person %s; the entry changes no state" % (typ, local, ak.person))
                return
        if typ == "case.opened":
            self.cases.setdefault(local, True)
            return
        if typ == "case.closed":
            if not self.cases.get(local):
                return
            out = sorted(i for i, it in self.items.items()
                         if it["case"] == local and it["status"] in ("in-transit", "checked-out"))
            if version == 2 and out and "override_reason" not in data:
                self.finding(seq, "items-open (EVENTS.md §8): case.closed of case %s without override_reason while "
                                  "%s %s %s; the case stays open"
                             % (local, "items" if len(out) > 1 else "item", ", ".join(
                                 "%s (%s)" % (i, self.items[i]["status"]) for i in out),
                                "are out" if len(out) > 1 else "is out"))
                return
            self.cases[local] = False
            return
        if typ == "item.seized":
            if local not in self.items and self.cases.get(data["case"]):
                self.items[local] = {"case": data["case"], "status": "in-custody", "seal": data.get("seal")}
            return
        it = self.items.get(local)
        if it is None:
            return
        st = it["status"]
        if typ == "item.disposed" and version == 2 and data["method"] == "destroyed" and "witness_key" not in data:
            # §8 witness-required: a destruction names witness_key (a key of another person: same-person, above).
            self.finding(seq, "witness-required (EVENTS.md §8): item.disposed of item %s with method destroyed "
                              "names no witness_key; the item stays %s" % (local, st))
            return
        if typ == "custody.received":
            if st != "in-transit":
                return
            seen, released = data.get("seal"), it["seal"]
            if data["seal_intact"] is True and seen != released:
                # §4.1: a replay applies it as recorded and reports a custody exception for review.
                self.finding(seq, "custody exception (EVENTS.md §4.1): custody.received of item %s records "
                                  "seal_intact true with %s, but the item was released %s; applied as recorded"
                             % (local, "seal %s" % json.dumps(seen, ensure_ascii=False) if seen is not None
                                else "no seal", "under seal %s" % json.dumps(released, ensure_ascii=False)
                                if released is not None else "unsealed"))
            it["status"] = "in-custody"
            if data["seal_intact"] is False:
                it["seal"] = None  # §4.1: a broken seal leaves the item unsealed
            return
        moves = {  # type: (statuses it needs, status after or None when unchanged), §6.1
            "custody.released": (("in-custody",), "in-transit"),
            "custody.release-cancelled": (("in-transit",), "in-custody"),
            "custody.receipt-refused": (("in-transit",), None),
            "custody.lost": (("in-transit",), "lost"),
            "item.checked-out": (("in-custody",), "checked-out"),
            "item.checked-in": (("checked-out",), "in-custody"),
            "item.disposed": (("in-custody",), "disposed"),
            "item.sealed": (("in-custody", "checked-out"), None),
            "item.unsealed": (("in-custody", "checked-out"), None),
        }
        if typ not in moves or st not in moves[typ][0]:
            return
        if typ == "custody.released" and data.get("seal") != it["seal"]:
            return  # §4: the release states the item's current seal (a custody rule ivl.py does not report)
        if typ == "item.sealed":
            if it["seal"] is not None:
                return
            it["seal"] = data["seal"]
        elif typ == "item.unsealed":
            if it["seal"] != data["seal"]:
                return
            it["seal"] = None
        if moves[typ][1] is not None:
            it["status"] = moves[typ][1]


class V2Rules:
    """The rules of FORMAT.md §12.7, mixed into Verifier (which holds the replay state)."""

    # -- the custody rows of the type table (§5, EVENTS.md), both versions ---------------
    def custody_type_rules(self, seq, typ, stream, data):
        problem = custody_stream_problem(typ, stream) or custody_data_problem(typ, data, self.version)
        if problem:
            raise Fail(seq, problem)

    def custody_role_rule(self, seq, typ, actor, ks):
        roles = CUSTODY_TYPES[typ][1]
        if not set(roles) & ks.roles:
            raise Fail(seq, "actor %s does not hold a role allowed for %s (%s)" % (actor, typ, ", ".join(roles)))

    def co_signer(self, seq, typ, actor, data):
        """The co-signer the type table names through a data member (§5: witness_key), or None."""
        member = CUSTODY_TYPES[typ][2] if typ in CUSTODY_TYPES else None
        if member is None or member not in data:
            return None
        if data[member] == actor:
            raise Fail(seq, "the co-signer in data.%s must be another key than the actor's" % member)
        return data[member]

    def valid_co_signer(self, seq, key):
        """§5: a co-signer named in the data MUST be registered and unrevoked at that seq (no role needed)."""
        cs = self.keys.get(key)
        if cs is None:
            raise Fail(seq, "co-signer %s is not a registered key" % key)
        if cs.revoked_seq is not None:
            raise Fail(seq, "co-signer %s was revoked at seq %d" % (key, cs.revoked_seq))
        return cs

    # -- rule 1 (v2) -----------------------------------------------------
    def record_form_v2(self, seq, raw):
        if len(raw) > MAX_RECORD_V2:
            raise Fail(seq, "record is %d bytes, more than %d (format version 2)" % (len(raw), MAX_RECORD_V2))
        try:
            rec = parse_profile(raw)
        except ProfileError as e:
            raise Fail(seq, "record breaks the JSON profile: %s" % e)
        if not isinstance(rec, dict) or set(rec) != {"body", "sigs"}:
            raise Fail(seq, "record must be an object with exactly the members body and sigs")
        body = rec["body"]
        if not isinstance(body, dict):
            raise Fail(seq, "body is not an object")
        if set(body) != BODY2_MEMBERS:
            raise Fail(seq, "body members are wrong for format version 2 (missing %s, unexpected %s)"
                       % (sorted(BODY2_MEMBERS - set(body)), sorted(set(body) - BODY2_MEMBERS)))
        for m in ("v", "seq"):
            if not is_int(body[m]):
                raise Fail(seq, "body.%s is not a number" % m)
        if body["v"] != 2:
            raise Fail(seq, "body.v is %d, not 2 (the version of seq 1)" % body["v"])
        if body["seq"] < 1:
            raise Fail(seq, "body.seq is less than 1")
        if not isinstance(body["prev"], str) or not HEX64.fullmatch(body["prev"]):
            raise Fail(seq, "body.prev is not 64 lowercase hex characters")
        problem = time_problem(body["time"])
        if problem:
            raise Fail(seq, "body.time %s" % problem)
        st = body["statement"]
        if not isinstance(st, dict):
            raise Fail(seq, "body.statement is not an object")
        want = STATEMENT_MEMBERS | ({"genesis"} if body["seq"] > 1 else set())
        if set(st) != want:
            raise Fail(seq, "statement members are wrong (missing %s, unexpected %s; genesis is present exactly "
                            "when seq > 1)" % (sorted(want - set(st)), sorted(set(st) - want)))
        for m in ("v", "stream_rev"):
            if not is_int(st[m]):
                raise Fail(seq, "statement.%s is not a number" % m)
        for m in sorted(want - {"v", "stream_rev", "data"}):
            if not isinstance(st[m], str):
                raise Fail(seq, "statement.%s is not a string" % m)
        if not isinstance(st["data"], dict):
            raise Fail(seq, "statement.data is not an object")
        if st["v"] != 2:
            raise Fail(seq, "statement.v is %d, not 2" % st["v"])
        if "genesis" in st and not HEX64.fullmatch(st["genesis"]):
            raise Fail(seq, "statement.genesis is not 64 lowercase hex characters")
        if not HEX64.fullmatch(st["stream_prev"]):
            raise Fail(seq, "statement.stream_prev is not 64 lowercase hex characters")
        if not STREAM_RE.fullmatch(st["stream"]):
            raise Fail(seq, "statement.stream %r does not match ^[A-Za-z0-9._/-]{1,128}$" % st["stream"])
        if not UUID4_RE.fullmatch(st["id"]):
            raise Fail(seq, "statement.id %r is not a lowercase UUID version 4" % st["id"])
        if not HEX64.fullmatch(st["actor"]):
            raise Fail(seq, "statement.actor is not a key id (64 lowercase hex characters)")
        if st["stream_rev"] < 1:
            raise Fail(seq, "statement.stream_rev is less than 1")
        for m in ("signed_at", "expires"):
            problem = time_problem(st[m])
            if problem:
                raise Fail(seq, "statement.%s %s" % (m, problem))
        sigs = rec["sigs"]
        if not isinstance(sigs, list) or not sigs:
            raise Fail(seq, "sigs is not a non-empty array")
        parsed = []
        for i, s in enumerate(sigs):
            if not isinstance(s, dict) or set(s) not in ({"key", "sig"}, {"key", "sig", "signed_at"}):
                raise Fail(seq, "sigs[%d] is not an object with exactly the members key and sig, or key, sig and "
                                "signed_at" % i)
            if not isinstance(s["key"], str) or not HEX64.fullmatch(s["key"]):
                raise Fail(seq, "sigs[%d].key is not a key id (64 lowercase hex characters)" % i)
            raw_sig = b64_decode_canonical(s["sig"]) if isinstance(s["sig"], str) else None
            if raw_sig is None or len(raw_sig) != 64:
                raise Fail(seq, "sigs[%d].sig is not canonical base64 of 64 bytes" % i)
            if "signed_at" in s:
                problem = time_problem(s["signed_at"])
                if problem:
                    raise Fail(seq, "sigs[%d].signed_at %s" % (i, problem))
            parsed.append((s["key"], raw_sig, s.get("signed_at")))
        for i in range(1, len(parsed)):
            if parsed[i - 1][0] >= parsed[i][0]:
                raise Fail(seq, "sigs are not sorted by key with no key twice")
        return rec, parsed

    # -- rules 2-8 (v2) --------------------------------------------------
    def chain_rules_v2(self, seq, body, st, sh, sigs):
        if body["seq"] != seq:
            raise Fail(seq, "seq is %d but this is record number %d" % (body["seq"], seq))
        if seq == 1:
            if not ORIGIN_RE.fullmatch(st["ledger"]):
                raise Fail(seq, "origin %r does not match ^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$" % st["ledger"])
            self.origin = st["ledger"]
        elif st["ledger"] != self.origin:
            raise Fail(seq, "statement.ledger %r is not the origin of seq 1 (%r)" % (st["ledger"], self.origin))
        expected_prev = ZERO_HASH if seq == 1 else self.prev_hash.hex()
        if body["prev"] != expected_prev:
            if seq == 1:
                raise Fail(seq, "prev is not 64 zeros")
            raise Fail(seq, "prev does not match the body hash of seq %d" % (seq - 1))
        # Rule 5: genesis binding.
        if seq > 1 and st["genesis"] != self.genesis.hex():
            raise Fail(seq, "statement.genesis is not the body hash of seq 1 of this ledger (a statement made "
                            "for another ledger)")
        # Rule 6: stream chain by statement hash.
        last = self.streams.get(st["stream"])
        want_rev = 1 if last is None else last[0] + 1
        if st["stream_rev"] != want_rev:
            raise Fail(seq, "stream_rev is %d but stream %s expects %d" % (st["stream_rev"], st["stream"], want_rev))
        if last is None:
            if st["stream_prev"] != ZERO_HASH:
                raise Fail(seq, "stream_prev is not 64 zeros for the first entry of stream %s" % st["stream"])
        elif st["stream_prev"] != last[1].hex():
            hint = " (it is the body hash, not the statement hash)" if st["stream_prev"] == last[3].hex() else ""
            raise Fail(seq, "stream_prev does not match the statement hash of the previous entry of stream %s%s"
                       % (st["stream"], hint))
        # Rule 7: unique ids.
        if st["id"] in self.ids:
            raise Fail(seq, "id %s was already used by an earlier entry" % st["id"])
        # Rule 8: times (§12.5).
        t, signed_at, expires = body["time"], st["signed_at"], st["expires"]
        t_ms, s_ms, e_ms = time_ms(t), time_ms(signed_at), time_ms(expires)
        if self.prev_time is not None and t_ms < time_ms(self.prev_time):
            raise Fail(seq, "time %s is before the previous entry's time %s" % (t, self.prev_time))
        if s_ms > t_ms + SKEW_MS:
            raise Fail(seq, "statement.signed_at %s is more than 5 minutes after the entry's time %s (signed in the "
                            "future)" % (signed_at, t))
        if last is not None and s_ms < time_ms(last[2]) - SKEW_MS:
            raise Fail(seq, "statement.signed_at %s is more than 5 minutes before the time %s of the previous entry "
                            "of stream %s (signed before the state it follows was recorded)"
                       % (signed_at, last[2], st["stream"]))
        if e_ms < s_ms:
            raise Fail(seq, "statement.expires %s is before statement.signed_at %s" % (expires, signed_at))
        if e_ms > s_ms + MAX_EXPIRY_MS:
            raise Fail(seq, "statement.expires %s is more than 30 days after statement.signed_at %s"
                       % (expires, signed_at))
        if t_ms > e_ms:
            raise Fail(seq, "the entry's time %s is after statement.expires %s (sequenced after it expired)"
                       % (t, expires))
        for key, _, co_at in sigs:
            if co_at is None:
                continue
            c_ms = time_ms(co_at)
            if c_ms < s_ms - SKEW_MS:
                raise Fail(seq, "the signed_at %s of co-signer %s is more than 5 minutes before statement.signed_at %s"
                           % (co_at, key, signed_at))
            if c_ms > t_ms + SKEW_MS:
                raise Fail(seq, "the signed_at %s of co-signer %s is more than 5 minutes after the entry's time %s"
                           % (co_at, key, t))

    # -- rule 9 (v2): the type table over the statement --------------------
    def type_rules_v2(self, seq, st):
        typ, stream, data = st["type"], st["stream"], st["data"]
        if typ not in CUSTODY_TYPES:
            return self.type_rules(seq, st)  # the rows of §5 that v1 checks, unchanged (§12: same rows)
        if seq <= 2:
            self.type_rules(seq, st)  # the genesis rules name the type seq 1 and 2 must have
        self.custody_type_rules(seq, typ, stream, data)

    # -- rule 10 (v2) ----------------------------------------------------
    def signature_rules_v2(self, seq, st, sh, sigs):
        typ, actor, data = st["type"], st["actor"], st["data"]
        required = {actor}
        new_key = data["key"] if typ == "key.registered" else None
        if new_key is not None:
            required.add(new_key)
        cosigner = self.co_signer(seq, typ, actor, data)
        if cosigner is not None:
            required.add(cosigner)
        signed = {k for k, _, _ in sigs}
        if signed != required:
            raise Fail(seq, "signers are %s but the required signers are %s" % (sorted(signed), sorted(required)))
        for k, _, at in sigs:
            if k == cosigner and at is None:
                raise Fail(seq, "the sigs element of co-signer %s has no signed_at (§12.4)" % k)
            if k != cosigner and at is not None:
                raise Fail(seq, "the sigs element of %s carries signed_at, but only a co-signer's may" % k)
        sig_of = {k: s for k, s, _ in sigs}
        smsg = statement_message(sh)

        if typ == "ledger.created":
            self.seq1 = (actor, sig_of[actor], smsg)  # verified once seq 2 registers the key
            return
        if typ == "key.registered" and seq == 2:
            if not ed25519_verify(base64.b64decode(data["public_key"]), sig_of[actor], smsg):
                raise Fail(seq, "the signature of actor %s does not verify over the statement message" % actor)
            return
        ks = self.keys.get(actor)
        if ks is None:
            if typ == "key.registered" and actor == data["key"]:
                raise Fail(seq, "a key cannot register itself after seq 2; the actor must be an admin key")
            raise Fail(seq, "actor %s is not a registered key" % actor)
        if ks.revoked_seq is not None:
            raise Fail(seq, "actor %s was revoked at seq %d" % (actor, ks.revoked_seq))
        if typ == "key.registered":
            if "admin" not in ks.roles:
                raise Fail(seq, "actor %s does not hold a role allowed for key.registered (admin)" % actor)
        elif typ == "key.revoked":
            target = KEY_STREAM_RE.fullmatch(st["stream"])[1]
            if "admin" not in ks.roles and actor != target:
                raise Fail(seq, "actor %s is neither an admin nor the revoked key" % actor)
        elif typ == "ledger.note":
            if not {"admin", "supervisor"} & set(ks.roles):
                raise Fail(seq, "actor %s does not hold a role allowed for ledger.note (admin, supervisor)" % actor)
        elif typ == ROTATED:
            if "admin" not in ks.roles:
                raise Fail(seq, "actor %s does not hold a role allowed for %s (admin)" % (actor, ROTATED))
        else:
            self.custody_role_rule(seq, typ, actor, ks)
        if not ed25519_verify(ks.pk, sig_of[actor], smsg):
            raise Fail(seq, "the signature of actor %s does not verify over the statement message" % actor)
        if typ == ROTATED:
            # §12.10: the log key in force before this entry authorizes the new one, which proves possession;
            # both over the rotation message, bound to this ledger's genesis.
            msg = rotation_message(self.genesis, data["log_vkey"])
            old_seq, old_vkey, old_pk = self.log_keys[-1]
            if not ed25519_verify(old_pk, base64.b64decode(data["old_key_sig"]), msg):
                raise Fail(seq, "data.old_key_sig does not verify with the log key in force before this entry (%s, "
                                "named at seq %d) over the rotation message" % (old_vkey, old_seq))
            if not ed25519_verify(parse_vkey(data["log_vkey"])[2], base64.b64decode(data["new_key_sig"]), msg):
                raise Fail(seq, "data.new_key_sig does not verify with the new log key %s over the rotation message"
                           % data["log_vkey"])
        if new_key is not None:
            req = key_request(st["ledger"], data)
            if not ed25519_verify(base64.b64decode(data["public_key"]), sig_of[new_key], key_request_message(req)):
                raise Fail(seq, "the signature of the registered key %s does not verify over the key-request message"
                           % new_key)
        if cosigner is not None:
            cs = self.valid_co_signer(seq, cosigner)
            at = [a for k, _, a in sigs if k == cosigner][0]
            if not ed25519_verify(cs.pk, sig_of[cosigner], co_signature_message(sh, at)):
                raise Fail(seq, "the signature of co-signer %s does not verify over the co-signature message"
                           % cosigner)

    def entry_v2(self, seq, raw):
        rec, sigs = self.record_form_v2(seq, raw)
        body = rec["body"]
        st = body["statement"]
        body_hash = sha256(jcs(body))
        sh = sha256(jcs(st))
        self.chain_rules_v2(seq, body, st, sh, sigs)
        self.type_rules_v2(seq, st)
        if seq == 2:
            actor1, sig1, msg1 = self.seq1
            if not ed25519_verify(base64.b64decode(st["data"]["public_key"]), sig1, msg1):
                raise Fail(1, "the signature of actor %s does not verify over the statement message" % actor1)
        self.signature_rules_v2(seq, st, sh, sigs)
        # State (as v1's apply, over the statement).
        typ, data = st["type"], st["data"]
        self.custody.entry(seq, 2, typ, st["stream"], st["actor"], data, st["signed_at"], self.keys)
        if typ == "key.registered":
            self.keys[data["key"]] = KeyState(base64.b64decode(data["public_key"]), data["roles"], data["person"], seq)
        elif typ == "key.revoked":
            ks = self.keys[KEY_STREAM_RE.fullmatch(st["stream"])[1]]
            ks.revoked_seq = seq
            ks.compromised_since = data.get("compromised_since_seq")
        if seq == 1:
            self.genesis = body_hash
        if typ == ROTATED:
            self.log_keys.append((seq, data["log_vkey"], parse_vkey(data["log_vkey"])[2]))
        self.streams[st["stream"]] = (st["stream_rev"], sh, body["time"], body_hash)
        self.ids.add(st["id"])
        self.prev_hash = body_hash
        self.prev_time = body["time"]
        self.signers.append({k for k, _, _ in sigs})
        self.leaves.append(leaf_hash(raw))


class Verifier(V2Rules):
    def __init__(self):
        self.origin = None
        self.log_vkey = None  # seq 1's
        self.log_keys = []  # §12.10: (seq, vkey, pk) of seq 1's log key and of each rotation, in seq order
        self.prev_hash = None
        self.prev_time = None
        self.streams = {}  # stream -> (last rev, last body hash)
        self.ids = set()
        self.keys = {}  # key id -> KeyState
        self.leaves = []
        self.signers = []  # per seq (index seq-1): set of key ids that signed it
        self.seq1 = None  # (actor, sig bytes, message) awaiting seq 2
        self.version = None  # fixed by seq 1 (FORMAT.md §12.1)
        self.genesis = None  # v2: the body hash of seq 1
        self.custody = CustodyReplay()  # the custody findings ivl.py replays (EVENTS.md §4.1, §8)

    # -- rule 1 -------------------------------------------------------------
    def record_form(self, seq, raw):
        if len(raw) > MAX_RECORD:
            raise Fail(seq, "record is %d bytes, more than %d" % (len(raw), MAX_RECORD))
        try:
            rec = parse_profile(raw)
        except ProfileError as e:
            raise Fail(seq, "record breaks the JSON profile: %s" % e)
        if not isinstance(rec, dict) or set(rec) != {"body", "sigs"}:
            raise Fail(seq, "record must be an object with exactly the members body and sigs")
        body = rec["body"]
        if not isinstance(body, dict):
            raise Fail(seq, "body is not an object")
        if set(body) != BODY_MEMBERS:
            missing = sorted(BODY_MEMBERS - set(body))
            extra = sorted(set(body) - BODY_MEMBERS)
            raise Fail(seq, "body members are wrong (missing %s, unexpected %s)" % (missing, extra))
        for m in ("v", "seq", "stream_rev"):
            if not is_int(body[m]):
                raise Fail(seq, "body.%s is not a number" % m)
        for m in ("ledger", "prev", "stream", "stream_prev", "id", "time", "type", "actor"):
            if not isinstance(body[m], str):
                raise Fail(seq, "body.%s is not a string" % m)
        if not isinstance(body["data"], dict):
            raise Fail(seq, "body.data is not an object")
        if body["v"] != 1:
            raise Fail(seq, "body.v is %d, not 1" % body["v"])
        if not HEX64.fullmatch(body["prev"]):
            raise Fail(seq, "body.prev is not 64 lowercase hex characters")
        if not HEX64.fullmatch(body["stream_prev"]):
            raise Fail(seq, "body.stream_prev is not 64 lowercase hex characters")
        if not STREAM_RE.fullmatch(body["stream"]):
            raise Fail(seq, "body.stream %r does not match ^[A-Za-z0-9._/-]{1,128}$" % body["stream"])
        if not UUID4_RE.fullmatch(body["id"]):
            raise Fail(seq, "body.id %r is not a lowercase UUID version 4" % body["id"])
        if not HEX64.fullmatch(body["actor"]):
            raise Fail(seq, "body.actor is not a key id (64 lowercase hex characters)")
        if body["stream_rev"] < 1:
            raise Fail(seq, "body.stream_rev is less than 1")
        return rec

    # -- rules 2-7 ----------------------------------------------------------
    def chain_rules(self, seq, body, body_hash):
        if body["seq"] != seq:
            raise Fail(seq, "seq is %d but this is record number %d" % (body["seq"], seq))
        if seq == 1:
            if not ORIGIN_RE.fullmatch(body["ledger"]):
                raise Fail(seq, "origin %r does not match ^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$" % body["ledger"])
            self.origin = body["ledger"]
        elif body["ledger"] != self.origin:
            raise Fail(seq, "ledger %r is not the origin of seq 1 (%r)" % (body["ledger"], self.origin))
        expected_prev = ZERO_HASH if seq == 1 else self.prev_hash.hex()
        if body["prev"] != expected_prev:
            if seq == 1:
                raise Fail(seq, "prev is not 64 zeros")
            raise Fail(seq, "prev does not match the body hash of seq %d" % (seq - 1))
        last = self.streams.get(body["stream"])
        want_rev = 1 if last is None else last[0] + 1
        want_prev = ZERO_HASH if last is None else last[1].hex()
        if body["stream_rev"] != want_rev:
            raise Fail(seq, "stream_rev is %d but stream %s expects %d" % (body["stream_rev"], body["stream"], want_rev))
        if body["stream_prev"] != want_prev:
            if last is None:
                raise Fail(seq, "stream_prev is not 64 zeros for the first entry of stream %s" % body["stream"])
            raise Fail(seq, "stream_prev does not match the body hash of the previous entry of stream %s"
                       % body["stream"])
        if body["id"] in self.ids:
            raise Fail(seq, "id %s was already used by an earlier entry" % body["id"])
        t = body["time"]
        m = TIME_RE.fullmatch(t)
        if not m:
            raise Fail(seq, "time %r is not of the form YYYY-MM-DDTHH:MM:SS.sssZ" % t)
        try:
            datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]))
        except ValueError:
            raise Fail(seq, "time %r is not a real calendar date and time" % t)
        if self.prev_time is not None and t < self.prev_time:
            raise Fail(seq, "time %s is before the previous entry's time %s" % (t, self.prev_time))

    # -- rule 8 -------------------------------------------------------------
    def type_rules(self, seq, body):
        typ, stream, data, actor = body["type"], body["stream"], body["data"], body["actor"]
        if seq == 1 and typ != "ledger.created":
            raise Fail(seq, "seq 1 must be ledger.created (is %s)" % typ)
        if seq == 2 and typ != "key.registered":
            raise Fail(seq, "seq 2 must be key.registered of the first administrator (is %s)" % typ)
        if typ == "ledger.created":
            if seq != 1:
                raise Fail(seq, "ledger.created may appear only at seq 1")
            if stream != "ledger":
                raise Fail(seq, "ledger.created must be in stream ledger (is %s)" % stream)
            if set(data) != {"log_vkey"}:
                raise Fail(seq, "ledger.created data must have exactly the member log_vkey")
            if not isinstance(data["log_vkey"], str):
                raise Fail(seq, "data.log_vkey is not a string")
            try:
                name, _, pk = parse_vkey(data["log_vkey"])
            except ValueError as e:
                raise Fail(seq, "data.log_vkey is not a valid vkey: %s" % e)
            if name != self.origin:
                raise Fail(seq, "the log key name %r is not the origin %r" % (name, self.origin))
            problem = public_key_problem(pk)
            if problem:
                raise Fail(seq, "the log public key %s" % problem)
            self.log_vkey = data["log_vkey"]
            self.log_keys = [(1, data["log_vkey"], pk)]  # §12.10: the chain of log keys, (seq, vkey, pk)
        elif typ == "key.registered":
            want = {"agency", "key", "name", "person", "public_key", "roles"}
            if set(data) != want:
                raise Fail(seq, "key.registered data must have exactly the members %s" % ", ".join(sorted(want)))
            pk = b64_decode_canonical(data["public_key"])
            if pk is None or len(pk) != 32:
                raise Fail(seq, "data.public_key is not canonical base64 of 32 bytes")
            problem = public_key_problem(pk)
            if problem:
                raise Fail(seq, "data.public_key %s" % problem)
            if not isinstance(data["key"], str) or data["key"] != sha256(pk).hex():
                raise Fail(seq, "data.key is not hex(SHA-256(public key))")
            if stream != "key/" + data["key"]:
                raise Fail(seq, "key.registered must be in stream key/<data.key> (is %s)" % stream)
            for m in ("name", "agency"):
                problem = text_problem(data[m], 200, True)
                if problem:
                    raise Fail(seq, "data.%s %s" % (m, problem))
            if not isinstance(data["person"], str) or not PERSON_RE.fullmatch(data["person"]):
                raise Fail(seq, "data.person is not a person id (^[A-Za-z0-9._@-]{1,64}$)")
            roles = data["roles"]
            if not isinstance(roles, list) or not roles:
                raise Fail(seq, "data.roles is not a non-empty array")
            for r in roles:
                if not isinstance(r, str) or r not in ROLES:
                    raise Fail(seq, "data.roles contains %s, which is not a v1 role" % json.dumps(r))
            if len(set(roles)) != len(roles):
                raise Fail(seq, "data.roles contains a role twice")
            if data["key"] in self.keys:
                raise Fail(seq, "key %s was already registered at seq %d" % (data["key"], self.keys[data["key"]].reg_seq))
            if body["stream_rev"] != 1:
                raise Fail(seq, "key.registered must start a new stream (stream_rev 1)")
            if seq == 2:
                if stream != "key/" + self.seq1[0]:
                    raise Fail(seq, "seq 2 must register the key of the actor of seq 1")
                if actor != data["key"]:
                    raise Fail(seq, "at seq 2 the actor must be the registered key itself")
                if "admin" not in roles:
                    raise Fail(seq, "the key registered at seq 2 must have the role admin")
        elif typ == "key.revoked":
            m = KEY_STREAM_RE.fullmatch(stream)
            if not m:
                raise Fail(seq, "key.revoked must be in stream key/<key id> (is %s)" % stream)
            if "reason" not in data or not set(data) <= {"reason", "compromised_since_seq"}:
                raise Fail(seq, "key.revoked data must have the member reason and optionally compromised_since_seq")
            problem = text_problem(data["reason"], 1000, False)
            if problem:
                raise Fail(seq, "data.reason %s" % problem)
            if "compromised_since_seq" in data:
                c = data["compromised_since_seq"]
                if not is_int(c) or not 1 <= c < seq:
                    raise Fail(seq, "data.compromised_since_seq must be an integer c with 1 <= c < %d" % seq)
            target = m[1]
            ks = self.keys.get(target)
            if ks is None:
                raise Fail(seq, "key %s is not registered, so it cannot be revoked" % target)
            if ks.revoked_seq is not None:
                raise Fail(seq, "key %s was already revoked at seq %d" % (target, ks.revoked_seq))
            admins = [k for k, s in self.keys.items()
                      if k != target and s.revoked_seq is None and "admin" in s.roles]
            if not admins:
                raise Fail(seq, "the last admin key cannot be revoked")
        elif typ == "ledger.note":
            if stream != "ledger":
                raise Fail(seq, "ledger.note must be in stream ledger (is %s)" % stream)
            if set(data) != {"text"}:
                raise Fail(seq, "ledger.note data must have exactly the member text")
            problem = text_problem(data["text"], 10000, False)
            if problem:
                raise Fail(seq, "data.text %s" % problem)
        elif typ == ROTATED:
            self.rotation_type_rules(seq, stream, data)
        elif typ in CUSTODY_TYPES:
            self.custody_type_rules(seq, typ, stream, data)
        else:
            raise Fail(seq, "unknown type %r" % typ)

    def rotation_type_rules(self, seq, stream, data):
        """§5 and §12.10: ledger.log-key-rotated, version 2 only; its data schema (the signatures: rule 10)."""
        if self.version != 2:
            raise Fail(seq, "%s is a version-2 type; in a version-1 ledger it is an integrity failure (§5)" % ROTATED)
        if stream != "ledger":
            raise Fail(seq, "%s must be in stream ledger (is %s)" % (ROTATED, stream))
        want = {"log_vkey", "new_key_sig", "old_key_sig"}
        if set(data) != want:
            raise Fail(seq, "%s data must have exactly the members log_vkey, new_key_sig, old_key_sig (missing %s, "
                            "unexpected %s)" % (ROTATED, sorted(want - set(data)), sorted(set(data) - want)))
        if not isinstance(data["log_vkey"], str):
            raise Fail(seq, "data.log_vkey is not a string")
        try:
            name, _, pk = parse_vkey(data["log_vkey"])
        except ValueError as e:
            raise Fail(seq, "data.log_vkey is not a valid vkey: %s" % e)
        if name != self.origin:
            raise Fail(seq, "the new log key name %r is not the origin %r" % (name, self.origin))
        problem = public_key_problem(pk)
        if problem:
            raise Fail(seq, "the new log public key %s" % problem)
        in_force = self.log_keys[-1]
        if pk == in_force[2]:
            raise Fail(seq, "the new log key is the log key in force (named at seq %d); a rotation must change it"
                       % in_force[0])
        for m in ("old_key_sig", "new_key_sig"):
            raw = b64_decode_canonical(data[m]) if isinstance(data[m], str) else None
            if raw is None or len(raw) != 64:
                raise Fail(seq, "data.%s is not canonical base64 of a 64-byte signature" % m)

    # -- rule 9 -------------------------------------------------------------
    def signature_rules(self, seq, body, body_hash, sigs):
        typ, actor, data = body["type"], body["actor"], body["data"]
        if not isinstance(sigs, list) or not sigs:
            raise Fail(seq, "sigs is not a non-empty array")
        parsed = []
        for i, s in enumerate(sigs):
            if not isinstance(s, dict) or set(s) != {"key", "sig"}:
                raise Fail(seq, "sigs[%d] is not an object with exactly the members key and sig" % i)
            if not isinstance(s["key"], str) or not HEX64.fullmatch(s["key"]):
                raise Fail(seq, "sigs[%d].key is not a key id (64 lowercase hex characters)" % i)
            raw = b64_decode_canonical(s["sig"]) if isinstance(s["sig"], str) else None
            if raw is None or len(raw) != 64:
                raise Fail(seq, "sigs[%d].sig is not canonical base64 of 64 bytes" % i)
            parsed.append((s["key"], raw))
        for i in range(1, len(parsed)):
            if parsed[i - 1][0] >= parsed[i][0]:
                raise Fail(seq, "sigs are not sorted by key with no key twice")
        signed = {k for k, _ in parsed}
        required = {actor}
        if typ == "key.registered":
            required.add(data["key"])
        cosigner = self.co_signer(seq, typ, actor, data)
        if cosigner is not None:
            required.add(cosigner)
        if signed != required:
            raise Fail(seq, "signers are %s but the required signers are %s"
                       % (sorted(signed), sorted(required)))
        sig_of = dict(parsed)
        emsg = entry_message(body_hash)

        if typ == "ledger.created":
            # The first administrator's key is registered at seq 2; verified then.
            self.seq1 = (actor, sig_of[actor], emsg)
            return
        if typ == "key.registered" and seq == 2:
            if not ed25519_verify(base64.b64decode(data["public_key"]), sig_of[actor], emsg):
                raise Fail(seq, "the signature of actor %s does not verify over the entry message" % actor)
            return

        # Actor: registered and unrevoked at this seq, with an allowed role.
        ks = self.keys.get(actor)
        if ks is None:
            if typ == "key.registered" and actor == data["key"]:
                raise Fail(seq, "a key cannot register itself after seq 2; the actor must be an admin key")
            raise Fail(seq, "actor %s is not a registered key" % actor)
        if ks.revoked_seq is not None:
            raise Fail(seq, "actor %s was revoked at seq %d" % (actor, ks.revoked_seq))
        if typ == "key.registered":
            if "admin" not in ks.roles:
                raise Fail(seq, "actor %s does not hold a role allowed for key.registered (admin)" % actor)
        elif typ == "key.revoked":
            target = KEY_STREAM_RE.fullmatch(body["stream"])[1]
            if "admin" not in ks.roles and actor != target:
                raise Fail(seq, "actor %s is neither an admin nor the revoked key" % actor)
        elif typ == "ledger.note":
            if not {"admin", "supervisor"} & set(ks.roles):
                raise Fail(seq, "actor %s does not hold a role allowed for ledger.note (admin, supervisor)" % actor)
        else:
            self.custody_role_rule(seq, typ, actor, ks)
        if not ed25519_verify(ks.pk, sig_of[actor], emsg):
            raise Fail(seq, "the signature of actor %s does not verify over the entry message" % actor)
        if cosigner is not None:
            # §3.2: a co-signer named in the data signs the entry message too, beside the actor.
            cs = self.valid_co_signer(seq, cosigner)
            if not ed25519_verify(cs.pk, sig_of[cosigner], emsg):
                raise Fail(seq, "the signature of co-signer %s does not verify over the entry message" % cosigner)
        if typ == "key.registered":
            newkey = data["key"]
            req = key_request(body["ledger"], data)
            if not ed25519_verify(base64.b64decode(data["public_key"]), sig_of[newkey], key_request_message(req)):
                raise Fail(seq, "the signature of the registered key %s does not verify over the key-request message"
                           % newkey)

    # -- state --------------------------------------------------------------
    def apply(self, seq, body, body_hash, signed):
        typ, data = body["type"], body["data"]
        self.custody.entry(seq, 1, typ, body["stream"], body["actor"], data, None, self.keys)
        if typ == "key.registered":
            self.keys[data["key"]] = KeyState(base64.b64decode(data["public_key"]), data["roles"], data["person"], seq)
        elif typ == "key.revoked":
            ks = self.keys[KEY_STREAM_RE.fullmatch(body["stream"])[1]]
            ks.revoked_seq = seq
            ks.compromised_since = data.get("compromised_since_seq")
        last = self.streams.get(body["stream"])
        self.streams[body["stream"]] = (1 if last is None else last[0] + 1, body_hash)
        self.ids.add(body["id"])
        self.prev_hash = body_hash
        self.prev_time = body["time"]
        self.signers.append(signed)

    def entry(self, seq, raw):
        if seq == 1:
            self.version = record_version(raw)
        if self.version == 2:
            return self.entry_v2(seq, raw)
        rec = self.record_form(seq, raw)
        body = rec["body"]
        body_hash = sha256(jcs(body))
        self.chain_rules(seq, body, body_hash)
        self.type_rules(seq, body)
        if seq == 2:
            actor1, sig1, msg1 = self.seq1
            if not ed25519_verify(base64.b64decode(body["data"]["public_key"]), sig1, msg1):
                raise Fail(1, "the signature of actor %s does not verify over the entry message" % actor1)
        self.signature_rules(seq, body, body_hash, rec["sigs"])
        self.apply(seq, body, body_hash, {s["key"] for s in rec["sigs"]})
        self.leaves.append(leaf_hash(raw))

    def finish(self):
        n = len(self.leaves)
        if n == 0:
            raise Fail(1, "the ledger is empty (an export starts at seq 1)")
        if n == 1:
            raise Fail(1, "seq 2 is missing: the first administrator's key is never registered, so the "
                          "signature of seq 1 cannot be verified")

    def findings(self):
        out = []
        for kid, ks in self.keys.items():
            if ks.compromised_since is None:
                continue
            for seq in range(ks.compromised_since + 1, ks.revoked_seq + 1):
                if kid in self.signers[seq - 1]:
                    out.append((seq, "signed by a key reported compromised since seq %d (key %s, revoked at seq %d)"
                                % (ks.compromised_since, kid, ks.revoked_seq)))
        return sorted(out + self.custody.found)

    def key_in_force(self, size):
        """§12.10: the log key named by the last ledger.created or rotation among entries 1...size, as
        (seq, vkey, pk).  Size 0 (no entry) and sizes past the file take the first and the last key known."""
        keys = [k for k in self.log_keys if k[0] <= max(size, 1)]
        return keys[-1]

    def checkpoint(self, data):
        name, kid, pk = parse_vkey(self.log_vkey)
        if len(self.log_keys) > 1:
            # §12.10: read the size first (unverified), then check the signature with the key in force at it.
            try:
                text, _ = split_note(data)
                claimed = parse_checkpoint_text(text)[1]
            except NoteError as e:
                raise Fail(None, "checkpoint: %s" % e)
            k_seq, k_vkey, _ = self.key_in_force(claimed)
            name, kid, pk = parse_vkey(k_vkey)
        try:
            text, _ = open_note(data, [(name, kid, pk)])
            origin, size, root = parse_checkpoint_text(text)
        except NoteError as e:
            if len(self.log_keys) > 1:
                for o_seq, o_vkey, _ in self.log_keys:
                    try:
                        if o_seq != k_seq and open_note(data, [parse_vkey(o_vkey)]):
                            raise Fail(None, "checkpoint: size %d must be signed by the log key in force at %d (named "
                                             "at seq %d, §12.10), but it is signed by the log key named at seq %d"
                                       % (claimed, claimed, k_seq, o_seq))
                    except NoteError:
                        pass
            raise Fail(None, "checkpoint: %s" % e)
        if origin != self.origin:
            raise Fail(None, "checkpoint: origin %r is not the ledger's origin %r" % (origin, self.origin))
        n = len(self.leaves)
        if size > n:
            raise Fail(None, "checkpoint: size %d is larger than the ledger (%d entries): the ledger was "
                             "truncated or rolled back" % (size, n))
        if merkle_root(self.leaves[:size]) != root:
            raise Fail(None, "checkpoint: root for size %d does not match the ledger's tree of that size" % size)
        self.checkpoint_vkey = self.key_in_force(size)[1]
        return size


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (path, e.strerror))


def split_lines(data):
    """Yield (seq, record bytes) of a JSON Lines export, failing on blank lines and a missing final newline."""
    parts = data.split(b"\n")
    tail = parts.pop()  # after the final newline: empty unless the last record is unterminated
    for i, p in enumerate(parts, 1):
        if p == b"":
            raise Fail(i, "blank line where the record of seq %d should be" % i)
        if b"\r" in p:
            # Would also fail the canonical-bytes check; this message is more useful.
            raise Fail(i, "record contains a carriage return (\\r)")
        yield i, p
    if tail:
        raise Fail(len(parts) + 1, "the last record is not followed by a newline")


def cmd_verify(args):
    pinned = None
    if args.trust_log_key is not None:
        t = args.trust_log_key
        if os.path.isfile(t):
            t = read_file(t).decode("utf-8", "replace").rstrip("\n")
        try:
            parse_vkey(t)
        except ValueError as e:
            raise UsageError("--trust-log-key is not a valid vkey: %s" % e)
        pinned = t
    ledger = read_file(args.ledger)
    cp_data = read_file(args.checkpoint) if args.checkpoint else None

    v = Verifier()
    try:
        for seq, raw in split_lines(ledger):
            v.entry(seq, raw)
        v.finish()
        chain = [k[1] for k in v.log_keys]
        if pinned is not None and pinned not in chain:
            if len(chain) == 1:
                raise Fail(None, "the pinned log key %s is not the log key of seq 1 (%s)" % (pinned, v.log_vkey))
            # §12.10: any key of the chain may be pinned (each link is signed by the key before it).
            raise Fail(None, "the pinned log key %s is none of the ledger's log keys (seq 1's %s and the rotations "
                             "at seq %s)" % (pinned, v.log_vkey, ", ".join(str(k[0]) for k in v.log_keys[1:])))
        covered = v.checkpoint(cp_data) if cp_data is not None else None
        if v.version == 2 and (covered or 0) < len(v.leaves):
            # FORMAT.md §12.6: nobody's statement covers seq, prev or time; only the log key's checkpoint does.
            first = (covered or 0) + 1
            raise Fail(first, "not covered by a checkpoint signed by the log key (the order and time of entries "
                              "%d\u2026%d are not attested)" % (first, len(v.leaves)))
    except Fail as f:
        where = "seq %d: " % f.seq if f.seq is not None else ""
        print("FAIL: %s%s" % (where, f.what))
        return 1
    n = len(v.leaves)
    print("OK: %d entries, root %s" % (n, merkle_root(v.leaves).hex()))
    if v.version == 2:
        print("format: version 2 (statements signed by people, sequenced by the ledger; order and time attested "
              "by the checkpoint)")
    for k_seq, k_vkey, _ in v.log_keys[1:]:
        print("log key: rotated at seq %d to %s (§12.10; authorized by the key before it)%s"
              % (k_seq, k_vkey, " (pinned)" if k_vkey == pinned else ""))
    if covered is not None:
        print("checkpoint: size %d verified with log key %s" % (covered, v.checkpoint_vkey))
        if covered < n:
            print("note: seq %d..%d not yet covered by a checkpoint" % (covered + 1, n))
    else:
        print("note: no checkpoint given; entries removed from the end cannot be detected")
    found = v.findings()
    for seq, what in found:
        print("finding: seq %d: %s" % (seq, what))
    if found and args.findings_exit_3:
        return 3
    return 0


# ---------------------------------------------------------------------------
# Proofs (FORMAT.md §6.5) and witness cosignatures (§6.6)

TLOG_PROOF_HEADER = b"c2sp.org/tlog-proof@v1"
DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")


def vkey_arg(text, what, alg):
    """A vkey given on the command line as text or as a file holding it (like --trust-log-key)."""
    if os.path.isfile(text):
        text = read_file(text).decode("utf-8", "replace")
        if text.endswith("\n"):
            text = text[:-1]
    try:
        name, kid, pk = parse_vkey(text, alg)
    except ValueError as e:
        raise UsageError("%s is not a valid vkey: %s" % (what, e))
    problem = public_key_problem(pk)
    if problem:
        raise UsageError("%s: the public key %s" % (what, problem))
    return text, name, kid, pk


def decimal_arg(s):
    if not DECIMAL_RE.fullmatch(s):
        raise argparse.ArgumentTypeError("%r is not a decimal number without leading zeros" % s)
    return int(s)


def parse_hash_b64(line, what):
    """A canonical base64 line of a 32-byte hash (bytes or str); raise Fail(None, ...) otherwise."""
    try:
        text = line.decode("ascii") if isinstance(line, bytes) else line
    except UnicodeDecodeError:
        text = None
    raw = b64_decode_canonical(text) if text is not None else None
    if raw is None or len(raw) != 32:
        raise Fail(None, "%s %r is not canonical base64 of a 32-byte hash" % (what, line))
    return raw


def parse_tlog_proof(data):
    """Parse a C2SP tlog-proof@v1 file: return (index, [hash], checkpoint note bytes, extra bytes or None);
    raise Fail(None, ...).

    Lines: the header, an optional `extra <b64>`, `index <decimal>`, one canonical base64 hash per line,
    an empty line, then the signed checkpoint note (FORMAT.md §6.5).
    """
    pos = 0

    def line():
        nonlocal pos
        end = data.find(b"\n", pos)
        if end < 0:
            raise Fail(None, "proof: the file ends before the empty line that precedes the checkpoint")
        out = data[pos:end]
        pos = end + 1
        return out

    if line() != TLOG_PROOF_HEADER:
        raise Fail(None, "proof: the first line is not %s" % TLOG_PROOF_HEADER.decode())
    ln = line()
    extra_data = None
    if ln.startswith(b"extra "):
        try:
            extra = ln[6:].decode("ascii")
        except UnicodeDecodeError:
            extra = None
        extra_data = b64_decode_canonical(extra) if extra is not None else None
        if extra_data is None:
            raise Fail(None, "proof: the extra line's data is not canonical base64")
        ln = line()
    m = re.fullmatch(rb"index (0|[1-9][0-9]*)", ln)
    if not m:
        raise Fail(None, "proof: expected `index <decimal without leading zeros>`, found %r" % ln)
    index = int(m[1])
    hashes = []
    while True:
        ln = line()
        if ln == b"":
            break
        if len(hashes) >= 128:
            raise Fail(None, "proof: more than 128 proof hashes")
        hashes.append(parse_hash_b64(ln, "proof: proof hash %d" % (len(hashes) + 1)))
    return index, hashes, data[pos:], extra_data


def open_checkpoint_strict(note, name, kid, pk):
    """Verify a signed checkpoint note with the log key as FORMAT.md §6.4 says.

    On top of ivl's generic open_note: every line with the log key's name and key ID must verify (not only
    the first), the root and every signature line's base64 must be canonical.  Returns (text, origin, size,
    root, [NoteSig]); raises Fail(None, "checkpoint: ...").
    """
    try:
        text, sigs = split_note(note)
        open_note(note, [(name, kid, pk)])
        origin, size, root = parse_checkpoint_text(text)
    except NoteError as e:
        raise Fail(None, "checkpoint: %s" % e)
    for ns in sigs:
        if b64_decode_canonical(ns.sig64) is None:
            raise Fail(None, "checkpoint: the base64 of the signature line of %s is not canonical" % ns.name)
        if ns.name == name and ns.key_id == kid and not ed25519_verify(pk, ns.raw[4:], text.encode("utf-8")):
            raise Fail(None, "checkpoint: a second signature line of the log key %s does not verify" % name)
    root64 = text.split("\n")[2]
    if b64_decode_canonical(root64) is None:
        raise Fail(None, "checkpoint: the root hash's base64 is not canonical")
    return text, origin, size, root, sigs


def cosignature_message(time, text):
    """tlog-cosignature/v1 signed message: the header lines, then the checkpoint body (FORMAT.md §6.6)."""
    return b"cosignature/v1\ntime %d\n" % time + text.encode("utf-8")


def check_cosignatures(text, sigs, witnesses, quorum):
    """Check the witnesses' cosignature lines; return [(name, time)] of those with a valid one.

    A line carrying a named witness's name and key ID that is malformed or does not verify is a failure;
    fewer than `quorum` witnesses with a valid line is a failure.  Raises Fail(None, ...).
    """
    good = []
    for wname, wkid, wpk in witnesses:
        times = []
        for ns in sigs:
            if ns.name != wname or ns.key_id != wkid:
                continue
            if len(ns.raw) != 4 + 8 + 64:
                raise Fail(None, "witness %s: the cosignature line is %d bytes, not 76 (key ID, time, signature)"
                           % (wname, len(ns.raw)))
            t = int.from_bytes(ns.raw[4:12], "big")
            if not ed25519_verify(wpk, ns.raw[12:], cosignature_message(t, text)):
                raise Fail(None, "witness %s: the cosignature (time %d) does not verify" % (wname, t))
            times.append(t)
        if times:
            good.append((wname, max(times)))
    if len(good) < quorum:
        missing = [w[0] for w in witnesses if w[0] not in {g[0] for g in good}]
        raise Fail(None, "witness quorum not met: %d of %d named witnesses cosigned, %d required (no valid "
                         "cosignature by %s)" % (len(good), len(witnesses), quorum, ", ".join(missing)))
    return good


def fmt_unix(t):
    try:
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "out of range"


def witness_args(texts, quorum):
    witnesses = []
    for t in texts or []:
        _, name, kid, pk = vkey_arg(t, "--witness %s" % t, ALG_COSIGNATURE)
        if any(w[0] == name and w[1] == kid for w in witnesses):
            raise UsageError("--witness %s is given twice" % name)
        witnesses.append((name, kid, pk))
    if quorum is None:
        quorum = len(witnesses)  # default: every named witness must have cosigned
    if quorum > len(witnesses):
        raise UsageError("--witness-quorum %d is more than the %d witnesses named" % (quorum, len(witnesses)))
    return witnesses, quorum


def cmd_proof_verify(args):
    _, name, kid, pk = vkey_arg(args.vkey, "--vkey", ALG_ED25519)
    witnesses, quorum = witness_args(args.witness, args.witness_quorum)
    data = read_file(args.proof)
    record = None
    if args.entry is not None:
        record = read_file(args.entry)
        if record.endswith(b"\n"):
            record = record[:-1]
    try:
        index, path, note, extra = parse_tlog_proof(data)
        if record is None:
            # A receipt (FORMAT.md §12.9): the extra line carries b64(record), the entry's exact bytes.
            if extra is None:
                raise UsageError("no --entry RECORD_FILE given, and %s is not a receipt (it has no extra line "
                                 "carrying the record)" % args.proof)
            record = extra
        text, origin, size, root, sigs = open_checkpoint_strict(note, name, kid, pk)
        if origin != name:
            raise Fail(None, "checkpoint: origin %r is not the log key's name %r" % (origin, name))
        if index >= size:
            raise Fail(None, "proof: index %d is not less than the checkpoint's size %d" % (index, size))
        try:
            if record_version(record) == 2:
                rec, _ = Verifier().record_form_v2(None, record)  # §12.7 rule 1
            else:
                rec = Verifier().record_form(None, record)
        except Fail as f:
            raise Fail(None, f.what if f.what.startswith("record ") else "record: %s" % f.what)
        seq = rec["body"]["seq"]
        if seq != index + 1:
            raise Fail(None, "proof: index %d is not the record's seq %d - 1" % (index, seq))
        try:
            verify_inclusion(index, size, leaf_hash(record), path, root)
        except ProofError as e:
            raise Fail(None, "proof: %s" % e)
        good = check_cosignatures(text, sigs, witnesses, quorum)
    except Fail as f:
        print("FAIL: %s" % f.what)
        return 1
    wit = ""
    if witnesses:
        wit = "; witnesses (%d of %d, quorum %d): %s" % (
            len(good), len(witnesses), quorum,
            ", ".join("%s time %d (%s)" % (w, t, fmt_unix(t)) for w, t in good) or "none")
    print("OK: seq %d (index %d) is in the checkpoint of %s at size %d, root %s%s%s"
          % (seq, index, origin, size, root.hex(), wit,
             "; the record is the receipt's (extra line)" if args.entry is None else ""))
    return 0


def cmd_consistency_verify(args):
    roots = []
    for opt, text in (("--old-root", args.old_root), ("--new-root", args.new_root)):
        raw = b64_decode_canonical(text)
        if raw is None or len(raw) != 32:
            raise UsageError("%s is not canonical base64 of a 32-byte hash" % opt)
        roots.append(raw)
    data = read_file(args.proof)
    try:
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()  # the final newline (an empty file is an empty proof)
        path = [parse_hash_b64(ln, "consistency: proof line %d" % i) for i, ln in enumerate(lines, 1)]
        try:
            verify_consistency(args.old, args.new, roots[0], roots[1], path)
        except ProofError as e:
            raise Fail(None, "consistency: %s" % e)
    except Fail as f:
        print("FAIL: %s" % f.what)
        return 1
    print("OK: the tree of size %d (root %s) is a prefix of the tree of size %d (root %s); %d proof hashes"
          % (args.old, roots[0].hex(), args.new, roots[1].hex(), len(path)))
    return 0


# ---------------------------------------------------------------------------
# Writer


def fmt_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


class Writer:
    def __init__(self, origin):
        self.origin = origin
        self.records = []
        self.prev = bytes(32)
        self.prev_time = ""
        self.streams = {}

    def append(self, typ, stream, actor, data, sign):
        """sign(body_hash, body) returns the list of (key id, signature)."""
        now = fmt_time(datetime.datetime.now(datetime.timezone.utc))
        t = max(now, self.prev_time)
        last = self.streams.get(stream)
        body = {
            "v": 1, "ledger": self.origin, "seq": len(self.records) + 1, "prev": self.prev.hex(),
            "stream": stream, "stream_rev": 1 if last is None else last[0] + 1,
            "stream_prev": ZERO_HASH if last is None else last[1].hex(), "id": str(uuid.uuid4()),
            "time": t, "type": typ, "actor": actor, "data": data,
        }
        bh = sha256(jcs(body))
        sigs = sorted(sign(bh, body))
        record = jcs({"body": body, "sigs": [{"key": k, "sig": b64(s)} for k, s in sigs]})
        assert len(record) <= MAX_RECORD
        self.records.append(record)
        self.prev = bh
        self.prev_time = t
        self.streams[stream] = (body["stream_rev"], bh)


class Person:
    def __init__(self, person, name, agency):
        self.priv = Ed25519PrivateKey.generate()
        self.pk = raw_public(self.priv)
        self.kid = sha256(self.pk).hex()
        self.person, self.name, self.agency = person, name, agency

    def registration_request(self, origin):
        """FORMAT.md §4.3: the request and the new key's signature over its key-request message."""
        req = {"agency": self.agency, "ledger": origin, "name": self.name, "person": self.person,
               "public_key": b64(self.pk), "v": 1}
        return req, self.priv.sign(key_request_message(req))


# Scenarios for `write --scenario`: validly signed ledgers that break exactly one rule of FORMAT.md §4-§5,
# which byte tampering cannot reach (it breaks a hash or a signature first).  Used by selftest.sh.
SCENARIOS = {
    "log-key-name": "the log vkey's key name is not the origin (§5)",
    "seq2-not-admin": "the key registered at seq 2 lacks the role admin (§5 genesis)",
    "seq2-other-key": "seq 2 registers a key other than the actor of seq 1 (§5 genesis)",
    "self-register": "a new key registers itself after seq 2 (§5 actor must be an admin)",
    "non-admin-actor": "a custodian/examiner registers a key (§5 roles)",
    "revoked-actor": "an admin key acts after its revocation (§4.4)",
    "last-admin": "the only admin key is revoked (§5)",
    "revoke-unregistered": "key.revoked for a key that was never registered (§5)",
    "revoke-twice": "a key is revoked twice (§5)",
    "request-other-ledger": "a registration request signed for another ledger's origin (§3.2)",
    "compromised-future": "compromised_since_seq is not less than the revocation's seq (§5)",
    "auditor-revokes-other": "a non-admin key revokes another key (§5)",
    "time-leap-second": "time with seconds 60 (§3.1)",
    "log-key-rotated": "a ledger.log-key-rotated entry, validly signed (admin, both log keys), in a version-1 ledger "
                       "(§5: version 2 only)",
}


def now_ms():
    d = datetime.datetime.now(datetime.timezone.utc) - _EPOCH
    return (d.days * 86400 + d.seconds) * 1000 + d.microseconds // 1000


class Writer2:
    """An appender of format version 2 (FORMAT.md §12.8): people sign statements, this sequences them."""

    def __init__(self, origin):
        self.origin = origin
        self.records = []
        self.prev = bytes(32)
        self.prev_time = None
        self.genesis = None
        self.streams = {}  # stream -> (rev, statement hash, body hash)
        self.log_keys = []  # (seq, private key, public key, vkey) of seq 1's log key and of each rotation (§12.10)

    def statement(self, typ, stream, actor, data, signed_at=None, expires=None):
        """A statement following the stream's head; signed_at a little before now, expiring 24 h later."""
        last = self.streams.get(stream)
        s_ms = now_ms() - 1500 if signed_at is None else signed_at
        st = {"v": 2, "ledger": self.origin, "id": str(uuid.uuid4()), "stream": stream,
              "stream_rev": 1 if last is None else last[0] + 1,
              "stream_prev": ZERO_HASH if last is None else last[1].hex(), "type": typ, "actor": actor,
              "signed_at": fmt_ms(s_ms), "expires": fmt_ms(s_ms + 86400000 if expires is None else expires),
              "data": data}
        if self.genesis is not None:
            st["genesis"] = self.genesis.hex()
        return st

    def append(self, st, sign, dry_run=False, limit=MAX_RECORD_V2):
        """sign(statement hash, statement) returns [(key id, signature, signed_at or None)].

        Returns the record; with dry_run the ledger is left as it was (used to measure a record's size)."""
        sh = sha256(jcs(st))
        sigs = sorted(sign(sh, st))
        t = fmt_ms(now_ms())
        if self.prev_time is not None:
            t = max(t, self.prev_time)
        body = {"v": 2, "seq": len(self.records) + 1, "prev": self.prev.hex(), "time": t, "statement": st}
        bh = sha256(jcs(body))
        elems = []
        for k, s, at in sigs:
            e = {"key": k, "sig": b64(s)}
            if at is not None:
                e["signed_at"] = at
            elems.append(e)
        record = jcs({"body": body, "sigs": elems})
        assert len(record) <= limit
        if dry_run:
            return record
        self.records.append(record)
        if self.genesis is None:
            self.genesis = bh
        self.prev, self.prev_time = bh, t
        last = self.streams.get(st["stream"])
        self.streams[st["stream"]] = ((0 if last is None else last[0]) + 1, sh, bh)
        return record


# Scenarios of `write --format 2 --scenario NAME`: ten valid entries, then an eleventh that is validly signed
# (and covered by the checkpoint) but breaks exactly one rule of FORMAT.md §12.  Used by selftest.sh.
SCENARIOS_V2 = {
    "genesis-other-ledger": "a statement whose genesis is seq 1 of another ledger with the same origin (§12.7 rule 5)",
    "stream-prev-body-hash": "stream_prev is the body hash of the stream's previous entry, not its statement hash "
                             "(§12.7 rule 6)",
    "signed-in-future": "signed_at more than 5 minutes after the entry's time (§12.5 rule 2)",
    "signed-before-head": "signed_at more than 5 minutes before the time of the stream's previous entry (§12.5 rule 3)",
    "expired": "the entry's time is after the statement's expires (§12.5 rule 4)",
    "expires-too-late": "expires more than 30 days after signed_at (§12.5 rule 4)",
    "cosigner-no-signed-at": "a co-signer's sigs element without signed_at (§12.4)",
    "cosigner-late": "a co-signer's signed_at more than 5 minutes after the entry's time (§12.5 rule 5)",
    "actor-signed-at": "the actor's sigs element carries signed_at (§12.4)",
    "cosig-entry-message": "the co-signer signs the statement message instead of the co-signature message (§12.4)",
    "v1-record": "a version-1 record (validly signed, chained) in a version-2 ledger (§12.1)",
    "record-65536": "a record of 65,536 bytes, allowed in version 1 but not in version 2 (§12.3)",
    "rotation-old-sig-other-key": "a log-key rotation whose old_key_sig is by a key that is not the log key in force "
                                  "(§12.10)",
    "rotation-new-sig-wrong": "a log-key rotation whose new_key_sig is the new key's signature over the rotation "
                              "message of another ledger's genesis (§12.10)",
    "rotation-checkpoint-old-key": "a valid log-key rotation, then the checkpoint covering it signed by the old key "
                                   "(§12.10: by the new one)",
    "rotation-same-key": "a log-key rotation naming the log key in force as the new key (§12.10)",
    "rotation-not-admin": "a log-key rotation recorded by an examiner/custodian (§5: admin only)",
    "rotation-key-name": "a log-key rotation whose new vkey's key name is not the origin (§12.10)",
}


def plan_v2(args, w, log_data):
    """The entries of a version-2 ledger written by `write --format 2` (FORMAT.md §12)."""
    sc = args.scenario
    origin = w.origin
    admin = Person("admin", "First Administrator", "Example Agency")
    alice = Person("alice@example.org", "Alice Ångström", "Police Département \"Nord\"")
    bob = Person("bob.lab-7", "Bob \u2603 Tester", "Lab \u00e9\u4e2d\U0001F600")
    carol = Person("carol", "Carol Case-Officer", "Example Agency")

    def by(*signers):
        return lambda sh, st: [(p.kid, p.priv.sign(statement_message(sh)), None) for p in signers]

    def register(actor, p, roles):
        req, req_sig = p.registration_request(origin)
        data = {"agency": req["agency"], "key": p.kid, "name": req["name"], "person": req["person"],
                "public_key": req["public_key"], "roles": roles}
        st = w.statement("key.registered", "key/" + p.kid, actor.kid, data)

        def sign(sh, st):
            out = [(actor.kid, actor.priv.sign(statement_message(sh)), None)]
            if actor is not p:
                out.append((p.kid, req_sig, None))  # the key-request message of §3.2, unchanged (§12.4)
            return out
        w.append(st, sign)

    def seize(item, witness, tweak=None, cosign=None):
        # Signed in the field two days before it is recorded; the witness co-signs ten minutes later.
        s_ms = now_ms() - 2 * 86400000
        data = {"case": "OP-1", "exhibit": item, "kind": "phone", "description": "Black phone, cracked screen",
                "location": "Evidence room B, shelf 3", "occurred_at": fmt_ms(s_ms - 3600000),
                "seized_from": "Case file OP-1/17, search of premises", "legal_authority": "Warrant 2024/117",
                "seal": "S-%s" % item, "witness_key": witness.kid}
        st = w.statement("item.seized", "item/" + item, alice.kid, data, signed_at=s_ms, expires=s_ms + 3 * 86400000)
        if tweak:
            tweak(st)

        def sign(sh, st):
            at = fmt_ms(time_ms(st["signed_at"]) + 600000)
            co = cosign(sh, at) if cosign else (witness.kid, witness.priv.sign(co_signature_message(sh, at)), at)
            return [(alice.kid, alice.priv.sign(statement_message(sh)), None), co]
        w.append(st, sign)

    def note(text, tweak=None, signer=admin):
        st = w.statement("ledger.note", "ledger", signer.kid, {"text": text})
        if tweak:
            tweak(st)
        w.append(st, by(signer))

    def rotate(actor=admin, variant=None):
        """§12.10: a new log key, authorized by the one in force (old_key_sig) and proving possession
        (new_key_sig), both over the rotation message bound to the genesis; recorded by an admin."""
        new_priv = Ed25519PrivateKey.generate()
        new_pk = raw_public(new_priv)
        new_vkey = make_vkey("other.example/log" if variant == "rotation-key-name" else origin, new_pk)
        old = w.log_keys[-1]
        if variant == "rotation-same-key":
            new_priv, new_pk, new_vkey = old[1], old[2], old[3]
        msg = rotation_message(w.genesis, new_vkey)
        old_signer = Ed25519PrivateKey.generate() if variant == "rotation-old-sig-other-key" else old[1]
        new_msg = rotation_message(sha256(b"another ledger's genesis"), new_vkey) \
            if variant == "rotation-new-sig-wrong" else msg
        data = {"log_vkey": new_vkey, "new_key_sig": b64(new_priv.sign(new_msg)), "old_key_sig": b64(old_signer.sign(msg))}
        w.append(w.statement(ROTATED, "ledger", actor.kid, data), by(actor))
        w.log_keys.append((len(w.records), new_priv, new_pk, new_vkey))

    custody_emit = None
    if args.custody:
        def emit(typ, stream, actor, data, cosigner=None, cosign_other=False):
            st = w.statement(typ, stream, actor.kid, data)

            def sign(sh, st):
                out = [(actor.kid, actor.priv.sign(statement_message(sh)), None)]
                if cosigner is not None:
                    at = st["signed_at"]
                    signed = sha256(b"another statement") if cosign_other else sh
                    out.append((cosigner.kid, cosigner.priv.sign(co_signature_message(signed, at)), at))
                return out
            w.append(st, sign)
        custody_emit = emit

    plan = [
        lambda: w.append(w.statement("ledger.created", "ledger", admin.kid, log_data), by(admin)),
        lambda: register(admin, admin, ["admin"]),
        lambda: register(admin, alice, ["examiner", "custodian"]),
        lambda: register(admin, bob, ["auditor"]),
        lambda: w.append(w.statement("key.revoked", "key/" + bob.kid, bob.kid, dict(
            {"reason": "laptop lost\non the train"},
            **({"compromised_since_seq": 4} if args.with_finding else {}))), by(bob)),
        lambda: register(admin, carol, ["case-officer"]),
        lambda: w.append(w.statement("case.opened", "case/OP-1", carol.kid, {
            "title": "Operation One", "legal_basis": "JIT agreement 7\nArt. 13", "agencies": ["Example Agency"]}),
            by(carol)),
        lambda: seize("EV-1", carol),
        lambda: w.append(w.statement("item.stored", "item/EV-1", alice.kid, {"location": "Locker 7"}), by(alice)),
        lambda: note("Evidence room B inspected; all seals intact."),
    ]
    if custody_emit is not None:
        plan = plan[:5] + custody_plan(custody_emit, register, admin, sc, version=2,
                                                country=getattr(args, "target_country", None))
        for step in plan:
            step()
        return w.records
    if sc is not None:
        def other_genesis(st):
            o = Writer2(origin)
            o.append(o.statement("ledger.created", "ledger", admin.kid, log_data), by(admin))
            st["genesis"] = o.genesis.hex()

        def v1_record():
            # A v1 body, validly signed over the v1 entry message and chained by prev, in a v2 ledger.
            body = {"v": 1, "ledger": origin, "seq": len(w.records) + 1, "prev": w.prev.hex(), "stream": "ledger",
                    "stream_rev": w.streams["ledger"][0] + 1, "stream_prev": w.streams["ledger"][2].hex(),
                    "id": str(uuid.uuid4()), "time": max(fmt_ms(now_ms()), w.prev_time), "type": "ledger.note",
                    "actor": admin.kid, "data": {"text": "a v1 entry"}}
            bh = sha256(jcs(body))
            w.records.append(jcs({"body": body, "sigs": [{"key": admin.kid, "sig": b64(admin.priv.sign(
                entry_message(bh)))}]}))

        def big_note():
            # The record grows by one byte per ASCII character of the text: make it exactly 65,536 bytes.
            st = w.statement("ledger.note", "ledger", admin.kid, {"text": "x"})
            size = len(w.append(st, by(admin), dry_run=True))
            st["data"]["text"] = "x" * (1 + 65536 - size)
            assert len(w.append(st, by(admin), limit=65536)) == 65536

        now = now_ms()
        bad = {
            "genesis-other-ledger": lambda: note("replayed", other_genesis),
            "stream-prev-body-hash": lambda: note("chained by body hash",
                                                  lambda st: st.update(stream_prev=w.streams["ledger"][2].hex())),
            "signed-in-future": lambda: note("from the future", lambda st: st.update(
                signed_at=fmt_ms(now + 360000), expires=fmt_ms(now + 3600000))),
            "signed-before-head": lambda: note("stale head", lambda st: st.update(
                signed_at=fmt_ms(now - 3600000), expires=fmt_ms(now + 3600000))),
            "expired": lambda: note("too late", lambda st: st.update(
                signed_at=fmt_ms(now - 120000), expires=fmt_ms(now - 60000))),
            "expires-too-late": lambda: note("valid too long", lambda st: st.update(
                expires=fmt_ms(time_ms(st["signed_at"]) + MAX_EXPIRY_MS + 1))),
            "cosigner-no-signed-at": lambda: seize("EV-2", carol, cosign=lambda sh, at: (
                carol.kid, carol.priv.sign(co_signature_message(sh, at)), None)),
            "cosigner-late": lambda: seize("EV-2", carol, cosign=lambda sh, at: (
                carol.kid, carol.priv.sign(co_signature_message(sh, fmt_ms(now + 3600000))), fmt_ms(now + 3600000))),
            "actor-signed-at": lambda: w.append(w.statement("ledger.note", "ledger", admin.kid, {"text": "t"}),
                                                lambda sh, st: [(admin.kid, admin.priv.sign(statement_message(sh)),
                                                                 st["signed_at"])]),
            "cosig-entry-message": lambda: seize("EV-2", carol, cosign=lambda sh, at: (
                carol.kid, carol.priv.sign(statement_message(sh)), at)),
            "v1-record": v1_record,
            "record-65536": big_note,
            "rotation-old-sig-other-key": lambda: rotate(variant=sc),
            "rotation-new-sig-wrong": lambda: rotate(variant=sc),
            "rotation-checkpoint-old-key": lambda: rotate(),  # write_outputs signs with the old key
            "rotation-same-key": lambda: rotate(variant=sc),
            "rotation-not-admin": lambda: rotate(actor=alice),
            "rotation-key-name": lambda: rotate(variant=sc),
        }[sc]
        plan = plan[:10] + [bad]
        entries = len(plan)
    else:
        entries = args.entries
        if getattr(args, "rotate_log_key", False):
            plan.append(rotate)  # seq 11: the log key rotated once (§12.10); later checkpoints by the new key
        while len(plan) < entries:
            i = len(plan)
            roles = [ROLES[1 + i % (len(ROLES) - 1)]]
            if i % 3 == 0:
                roles = ["admin", "supervisor"]
            p = Person("user%03d" % i, "User %d" % i, "Agency %d" % (i % 4))
            plan.append(lambda p=p, roles=roles: register(admin, p, roles))
    for step in plan[:entries]:
        step()
    return w.records



# `write --custody` (both formats): after the first five entries, one valid entry of every custody row of the type
# table (FORMAT.md §5, EVENTS.md), by a cast with the roles each row needs; `--scenario custody-…` then appends one
# more entry, validly signed by ivl's own keys, that breaks exactly one rule of the custody rows, so that the
# schema, stream, role or co-signer check is what fails (never a hash or a signature).  Used by selftest.sh.
CUSTODY_SCENARIOS = {
    "custody-wrong-type": "item.stored with a number as location (EVENTS.md §4 schema)",
    "custody-extra-member": "case.closed with a member the schema does not have (§5: exactly these members)",
    "custody-missing-member": "custody.released without its required purpose (§5)",
    "custody-over-length": "note.added with a text of 10,001 characters (EVENTS.md §5: free text <= 10,000)",
    "custody-name-control": "item.seized with a line feed in exhibit (name text, FORMAT.md §2)",
    "custody-bad-enum": "takedown.confirmed with a method not in the enumeration (EVENTS.md §3)",
    "custody-bad-time": "target.reappeared observed on 30 February (EVENTS.md timestamp, RFC 3339 §5.7)",
    "custody-bad-hashes": "item.acquired with an image hash in upper-case hex (EVENTS.md hash list)",
    "custody-bad-person": "item.checked-out to a person id with a space (FORMAT.md §4.1)",
    "custody-bad-asn": "target.identified with asn 0 (EVENTS.md §3: 1...4294967295)",
    "custody-bad-stream": "item.stored in stream case/OP-1 (§5 stream column)",
    "custody-stream-not-local-id": "note.added in stream item/EV-1/x (a local id has no slash)",
    "custody-auditor-actor": "note.added signed by an auditor (§4.2: an auditor never signs domain events)",
    "custody-role": "custody.reassigned by a custodian (§5: supervisor only)",
    "custody-witness-unsigned": "item.disposed names witness_key but only the actor signs (§5 required signers)",
    "custody-witness-self": "item.seized whose witness_key is the actor's own key (§5: another key)",
    "custody-witness-revoked": "item.seized co-signed by a witness whose key was revoked earlier (§5)",
    "custody-witness-bad-sig": "item.seized whose witness signs another entry (§3.2 / §12.4 message)",
    "custody-extra-signer": "note.added signed by the actor and a second key the table does not name (§5)",
    # One stated bound of the EVENTS.md data schemas each (members ivl.py used to read as unbounded free text).
    "custody-closed-reason-over": "case.closed with a reason of 2,001 scalars (EVENTS.md §2: free text <= 2000)",
    "custody-source-over": "target.identified with a source of 201 scalars (EVENTS.md §3: name text <= 200)",
    "custody-reference-tab": "target.notified with a tab in reference (EVENTS.md §3: name text, FORMAT.md §2)",
    "custody-courier-over": "custody.released with a courier of 201 scalars (EVENTS.md §4: name text <= 200)",
    "custody-seal-over": "item.sealed with a seal of 101 scalars (EVENTS.md §4: name text <= 100)",
    "custody-imei-over": "item.seized with an imei of 21 scalars (EVENTS.md §4: name text <= 20)",
    "custody-location-lf": "item.stored with a line feed in location (EVENTS.md §4: name text, not free text)",
    "custody-image-name-over": "item.acquired with an image name of 256 scalars (EVENTS.md §4: name text <= 255)",
    "custody-report-ref-over": "item.examined with a report_reference of 201 scalars (EVENTS.md §4: name text <= 200)",
    "custody-field-over": "entry.corrected with a field of 65 scalars (EVENTS.md §5: name text <= 64)",
    "custody-reason-over": "custody.reassigned with a reason of 2,001 scalars (EVENTS.md §4: free text <= 2000)",
    "custody-photos-duplicate": "item.seized whose photos repeat a hash list, members reordered (EVENTS.md: distinct)",
    "custody-images-duplicate": "item.acquired whose images repeat an image, members reordered (EVENTS.md: distinct)",
    "custody-time-fraction": "takedown.confirmed at a time with 10 fraction digits (EVENTS.md timestamp: 1-9)",
    "custody-time-offset": "target.reappeared observed at +24:00 (EVENTS.md timestamp: offset hours 00-23)",
    # EVENTS.md §4.1, both versions: a custody finding (a custody exception), the receipt applied as recorded.
    "custody-seal-mismatch": "a case OP-2 with item EV-5 sealed S-5, released under S-5 and received with seal_intact "
                             "true and seal S-6 (a custody exception at seq 51), then OP-2 closed (seq 52)",
    "custody-seal-missing": "item EV-5 released under seal S-5, received with seal_intact true and no seal (a custody "
                            "exception at seq 51)",
    # EVENTS.md §4 (code same-person, §8), both versions: a custody finding, the entry changes no state.
    "custody-witness-same-person": "a second key of carol's person registered, then EV-5 destroyed by carol with that "
                                   "key as witness (§4 code same-person, either version; a finding at seq 51)",
    "custody-witness-same-person-seized": "a second key of carol's person registered and a case OP-2 opened, then EV-3 "
                                          "seized by carol with that key as witness (§4 code same-person; a finding "
                                          "at seq 50)",
    "custody-witness-same-person-returned": "as custody-witness-same-person, EV-5 returned-to-owner instead of "
                                            "destroyed (§4 code same-person; a finding at seq 51)",
}
# Version 1 only: members only a version-2 row has (FORMAT.md §12.1: a version-1 ledger never follows one).
CUSTODY_SCENARIOS_V1 = {
    "custody-v1-occurred-at": "item.stored with occurred_at, a member of its version-2 row only",
    "custody-v1-due": "item.checked-out with due, a member of its version-2 row only",
}
# Version 2 only (EVENTS.md §8): a data schema of a version-2 row broken (an integrity failure, FORMAT.md §7), or one
# of its rules broken or kept (a custody finding, or none).
CUSTODY_SCENARIOS_V2 = {
    "custody-v2-source-hashes-repeat": "item.acquired whose source hash list repeats md5 (a source hash list: algs "
                                       "distinct)",
    "custody-v2-image-no-sha256": "item.acquired whose image hashes lack sha256 (each image keeps a hash list)",
    "custody-v2-bad-occurred-at": "item.sealed with occurred_at on 31 June (a timestamp)",
    "custody-v2-bad-due": "item.checked-out with a due that is not a timestamp",
    "custody-v2-override-over": "case.closed with an override_reason of 2,001 scalars (free text <= 2000)",
    "custody-v2-reassigned-occurred-at": "custody.reassigned with occurred_at (no version-2 row: the version-1 row)",
    "custody-act-after-signing": "a case OP-2 and item EV-5, then item.stored whose occurred_at is years after its "
                                 "signed_at (rule act-after-signing, a custody finding at seq 50)",
    "custody-items-open": "a case OP-2 with EV-5 checked out and EV-6 in transit, closed without override_reason "
                          "(rule items-open, a custody finding at seq 53)",
    "custody-items-open-override": "as custody-items-open, the close carrying override_reason (no finding)",
    "custody-witness-required": "a case OP-2 and item EV-5, destroyed without witness_key (rule witness-required, a "
                                "custody finding at seq 50)",
}


def custody_plan(emit, register, admin, scenario, version=1, country=None):
    """The steps of `write --custody`.  emit(typ, stream, actor, data, cosigner=None, cosign_other=False).
    With country (`--target-country CC`), two more entries: a case OP-9 opened (seq 48) and a target identified in it
    with that country (seq 49), whatever the code (EVENTS.md §8: in a version-2 ledger an unlisted one is custody finding unknown-country).

    A version-2 ledger follows the version-2 rows (EVENTS.md §8): its receipts say where the item is, its
    destruction is witnessed, and some physical acts carry occurred_at, the check-out a due date and the
    acquisition MD5 and SHA-1 source hashes only (a source hash list)."""
    v2 = version == 2
    # Members only a version-2 row has (a version-1 ledger never follows a version-2 row, FORMAT.md §12.1).
    only2 = (lambda **kw: kw) if v2 else (lambda **kw: {})
    carol = Person("carol", "Carol Case-Officer", "Politie")
    bob = Person("bob", "Bob Custodian", "BKA")
    erin = Person("erin", "Erin Examiner", "NFI")
    wendy = Person("wendy", "Wendy Witness", "Politie")
    sam = Person("sam", "Sam Supervisor", "NCA")
    aud = Person("aud", "Audrey Auditor", "Inspectorate")
    t1, t2 = "T-" + sha256(b"OP-1\ndomain\nphish.example").hex()[:12], "T-x2"
    h = lambda b: [{"alg": "md5", "value": hashlib.md5(b).hexdigest()},
                   {"alg": "sha256", "value": sha256(b).hex()}]
    it, tg, cs = "item/EV-1", "target/" + t1, "case/OP-1"
    seize = {"case": "OP-1", "exhibit": "EX 3", "kind": "phone", "description": "d", "location": "l",
             "occurred_at": "2024-06-01T10:00:00Z", "seized_from": "f", "legal_authority": "a"}
    steps = [
        lambda: register(admin, carol, ["case-officer", "takedown-officer"]),
        lambda: register(admin, bob, ["custodian"]),
        lambda: register(admin, erin, ["examiner"]),
        lambda: register(admin, wendy, ["custodian"]),
        lambda: register(admin, sam, ["supervisor"]),
        lambda: register(admin, aud, ["auditor"]),
        lambda: emit("case.opened", cs, carol, {"title": "Operation Ünïcode \"One\"", "agencies": ["NCA", "Politie"],
                                                "legal_basis": "JIT agreement 7\nArt. 13", "summary": "Phishing\tkit"}),
        lambda: emit("case.agency-joined", cs, carol, {"agency": "BKA", "legal_basis": "MLA 2024/17"}),
        lambda: emit("target.identified", tg, carol, {
            "case": "OP-1", "kind": "domain", "value": "phish.example", "category": "phishing", "country": "NL",
            "source": "CERT-NL", "hosting_provider": "Hoster BV", "asn": 4294967295}),
        lambda: emit("target.verified", tg, carol, {"note": "kit live"}),
        lambda: emit("target.notified", tg, carol, {"recipient": "Hoster BV abuse", "reference": "AB-1"}),
        lambda: emit("takedown.requested", tg, carol, {"recipient": "Hoster BV", "legal_instrument": "Order 12"}),
        lambda: emit("takedown.confirmed", tg, carol, {"method": "domain-hold",
                                                       "occurred_at": "2024-06-01T14:05:00.25+02:00"}),
        lambda: emit("target.reappeared", tg, carol, {"observed_at": "2024-02-29T23:59:60Z"}),
        lambda: emit("takedown.not-actioned", tg, carol, {"reason": "no-response", "details": "silence"}),
        lambda: emit("target.identified", "target/" + t2, carol, {
            "case": "OP-1", "kind": "ip", "value": "2001:db8::1", "category": "malware-c2", "country": "DE",
            "source": "tip"}),
        lambda: emit("target.false-positive", "target/" + t2, carol, {"reason": "documentation range"}),
        lambda: emit("item.seized", it, carol, {
            "case": "OP-1", "exhibit": "EX 1", "kind": "laptop", "description": "ThinkPad,\nscratched",
            "location": "Locker 3", "occurred_at": "2024-06-01T10:00:00-00:00", "seized_from": "case file 7",
            "legal_authority": "Warrant W-1", "serial": "SN1", "imei": "490154203237518", "iccid": "89310",
            "device_state": "powered off, in Faraday bag", "seal": "S-1", "target": t1, "witness_key": wendy.kid,
            "photos": [h(b"front"), h(b"back")]}, cosigner=wendy),
        lambda: emit("item.seized", "item/EV-2", carol, {
            "case": "OP-1", "exhibit": "EX 2", "kind": "storage-media", "description": "SSD", "location": "Locker 3",
            "occurred_at": "2024-06-01T10:30:00Z", "seized_from": "case file 7", "legal_authority": "Warrant W-1",
            "parent": "EV-1"}),
        lambda: emit("custody.released", it, carol, {"to": "bob", "purpose": "storage", "seal": "S-1",
                                                     "courier": "DHL", "tracking": "TR-1"}),
        lambda: emit("custody.received", it, bob, dict({"seal_intact": True, "seal": "S-1", "condition": "good",
                                                        "location": "Vault B"},
                                                       **only2(occurred_at="2024-06-02T09:15:00+02:00"))),
        lambda: emit("item.checked-out", it, bob, dict({"to": "erin", "purpose": "imaging"},
                                                       **only2(due="2030-06-30T17:00:00Z"))),
        lambda: emit("item.unsealed", it, erin, {"seal": "S-1", "reason": "imaging"}),
        lambda: emit("item.acquired", it, erin, {
            "tool": "ewfacquire", "tool_version": "20231119",
            "source_hashes": [{"alg": "md5", "value": hashlib.md5(b"source").hexdigest()},
                              {"alg": "sha1", "value": hashlib.sha1(b"source").hexdigest()}] if v2 else h(b"source"),
            "images": [{"name": "ev1.E01", "size": 0, "hashes": h(b"")}, {"name": "e" * 251 + ".E02", "size": 5,
                                                                          "hashes": h(b"image")}],
            "verified": False, "write_blocker": "Tableau T8u", "notes": "clean"}),
        lambda: emit("item.examined", it, erin, {"summary": "kit found", "report_reference": "R-1"}),
        lambda: emit("item.sealed", it, erin, {"seal": "S-2"}),
        lambda: emit("item.checked-in", it, erin, {}),
        lambda: emit("item.stored", it, bob, dict({"location": "Vault C"},
                                                  **only2(occurred_at="2024-06-03T08:00:00.5Z"))),
        lambda: emit("custody.released", it, bob, {"to": "carol", "purpose": "court", "seal": "S-2"}),
        lambda: emit("custody.release-cancelled", it, bob, {"reason": "wrong date"}),
        lambda: emit("custody.released", it, bob, {"to": "carol", "purpose": "court", "seal": "S-2"}),
        lambda: emit("custody.receipt-refused", it, carol, {"reason": "no room"}),
        lambda: emit("custody.received", it, bob, dict({"seal_intact": False}, **only2(location="Vault C"))),
        lambda: emit("custody.released", "item/EV-2", carol, {"to": "bob", "purpose": "storage"}),
        lambda: emit("custody.lost", "item/EV-2", sam, {"details": "parcel missing"}),
        lambda: emit("custody.reassigned", it, sam, {"to": "carol", "reason": "bob on leave"}),
        lambda: emit("item.disposed", it, carol, {"method": "returned-to-owner", "authority": "Court order 5",
                                                  "recipient_reference": "CF-7/12", "details": "signed for",
                                                  "witness_key": wendy.kid}, cosigner=wendy),
        lambda: emit("note.added", it, carol, {"text": "x" * 10000}),
        lambda: emit("entry.corrected", "item/EV-2", carol, {"corrects": 24, "field": "description",
                                                             "value": "Samsung SSD", "reason": "typo"}),
        # Every bounded member of item.seized at its maximum (EVENTS.md §4), a timestamp with 9 fraction digits, and
        # photos whose two hash lists hold the same hashes in another order (distinct: arrays compare in order).
        lambda: emit("item.seized", "item/EV-4", carol, dict(
            seize, exhibit="E" * 64, kind="other", description="d" * 2000, location="L" * 200, seized_from="f" * 200,
            legal_authority="a" * 200, serial="S" * 100, imei="4" * 20, iccid="8" * 22, device_state="s" * 200,
            seal="\u00e9" * 100, occurred_at="2024-06-01T10:00:00.123456789+23:59",
            photos=[h(b"p"), list(reversed(h(b"p")))])),
        # Destroyed by a supervisor: without a witness in version 1; version 2 needs one (§8 witness-required).
        lambda: emit("item.disposed", "item/EV-4", sam, {"method": "destroyed", "authority": "Order 6",
                                                         **only2(witness_key=wendy.kid)},
                     cosigner=wendy if v2 else None),
        lambda: emit("case.closed", cs, carol, {"reason": "finished. " * 200}),
    ]
    if country is not None:
        t9 = "T-" + sha256(b"OP-9\ndomain\nc2.example").hex()[:12]
        steps += [
            lambda: emit("case.opened", "case/OP-9", carol, {"title": "Operation Nine", "legal_basis": "Art. 13",
                                                             "agencies": ["Politie"]}),
            lambda: emit("target.identified", "target/" + t9, carol, {
                "case": "OP-9", "kind": "domain", "value": "c2.example", "category": "malware-c2", "country": country,
                "source": "CERT-NL"})]
    if scenario is None:
        return steps
    seize2 = dict(seize, case="OP-2", seal="S-5")
    open2 = [lambda: emit("case.opened", "case/OP-2", carol, {"title": "Operation Two", "legal_basis": "Art. 13",
                                                              "agencies": ["Politie"]}),
             lambda: emit("item.seized", "item/EV-5", carol, dict(seize2, exhibit="EX 5"))]
    loc2 = only2(location="Vault D")
    carol2 = Person("carol", "Carol Case-Officer (second key)", "Politie")
    extra = {
        "custody-seal-mismatch": open2 + [
            lambda: emit("custody.released", "item/EV-5", carol, {"to": "bob", "purpose": "storage", "seal": "S-5"}),
            lambda: emit("custody.received", "item/EV-5", bob, dict({"seal_intact": True, "seal": "S-6"}, **loc2)),
            lambda: emit("case.closed", "case/OP-2", carol, {"reason": "done"})],
        "custody-seal-missing": open2 + [
            lambda: emit("custody.released", "item/EV-5", carol, {"to": "bob", "purpose": "storage", "seal": "S-5"}),
            lambda: emit("custody.received", "item/EV-5", bob, dict({"seal_intact": True}, **loc2))],
        "custody-v1-occurred-at": [lambda: emit("item.stored", it, carol, {"location": "Vault C",
                                                                         "occurred_at": "2024-06-03T08:00:00Z"})],
        "custody-v1-due": [lambda: emit("item.checked-out", it, carol, {"to": "erin", "purpose": "p",
                                                                        "due": "2030-06-30T17:00:00Z"})],
        "custody-v2-source-hashes-repeat": [lambda: emit("item.acquired", it, erin, {
            "tool": "t", "tool_version": "1", "verified": True, "images": [{"name": "i", "size": 1, "hashes": h(b"i")}],
            "source_hashes": [{"alg": "md5", "value": hashlib.md5(b"s").hexdigest()},
                              {"alg": "md5", "value": hashlib.md5(b"t").hexdigest()}]})],
        "custody-v2-image-no-sha256": [lambda: emit("item.acquired", it, erin, {
            "tool": "t", "tool_version": "1", "verified": True, "source_hashes": h(b"s")[:1],
            "images": [{"name": "i", "size": 1, "hashes": h(b"i")[:1]}]})],
        "custody-v2-bad-occurred-at": [lambda: emit("item.sealed", it, carol, {"seal": "S-3",
                                                                              "occurred_at": "2024-06-31T10:00:00Z"})],
        "custody-v2-bad-due": [lambda: emit("item.checked-out", it, carol, {"to": "erin", "purpose": "p",
                                                                            "due": "next Friday"})],
        "custody-v2-override-over": [lambda: emit("case.closed", cs, carol, {"reason": "r",
                                                                             "override_reason": "o" * 2001})],
        "custody-v2-reassigned-occurred-at": [lambda: emit("custody.reassigned", it, sam, {
            "to": "carol", "reason": "r", "occurred_at": "2024-06-03T08:00:00Z"})],
        "custody-act-after-signing": open2 + [
            lambda: emit("item.stored", "item/EV-5", carol, {"location": "Locker 9",
                                                             "occurred_at": "2099-01-01T00:00:00Z"})],
        "custody-items-open": open2 + [
            lambda: emit("item.seized", "item/EV-6", carol, dict(seize2, exhibit="EX 6", seal="S-6")),
            lambda: emit("item.checked-out", "item/EV-5", carol, {"to": "erin", "purpose": "imaging"}),
            lambda: emit("custody.released", "item/EV-6", carol, {"to": "bob", "purpose": "storage", "seal": "S-6"}),
            lambda: emit("case.closed", "case/OP-2", carol, {"reason": "done"})],
        "custody-items-open-override": open2 + [
            lambda: emit("item.seized", "item/EV-6", carol, dict(seize2, exhibit="EX 6", seal="S-6")),
            lambda: emit("item.checked-out", "item/EV-5", carol, {"to": "erin", "purpose": "imaging"}),
            lambda: emit("custody.released", "item/EV-6", carol, {"to": "bob", "purpose": "storage", "seal": "S-6"}),
            lambda: emit("case.closed", "case/OP-2", carol, {"reason": "done", "override_reason": "the court "
                                                             "ordered the case closed; EV-5 and EV-6 follow"})],
        "custody-witness-required": open2 + [
            lambda: emit("item.disposed", "item/EV-5", carol, {"method": "destroyed", "authority": "Order 7"})],
        "custody-witness-same-person": [lambda: register(admin, carol2, ["custodian"])] + open2 + [
            lambda: emit("item.disposed", "item/EV-5", carol, {"method": "destroyed", "authority": "Order 7",
                                                               "witness_key": carol2.kid}, cosigner=carol2)],
        "custody-witness-same-person-seized": [
            lambda: register(admin, carol2, ["custodian"]), open2[0],
            lambda: emit("item.seized", "item/EV-3", carol, dict(seize2, exhibit="EX 3", witness_key=carol2.kid),
                         cosigner=carol2)],
        "custody-witness-same-person-returned": [lambda: register(admin, carol2, ["custodian"])] + open2 + [
            lambda: emit("item.disposed", "item/EV-5", carol, {"method": "returned-to-owner", "authority": "Order 7",
                                                               "witness_key": carol2.kid}, cosigner=carol2)],

        "custody-wrong-type": [lambda: emit("item.stored", it, bob, {"location": 7})],
        "custody-extra-member": [lambda: emit("case.closed", cs, carol, {"reason": "done", "note": "extra"})],
        "custody-missing-member": [lambda: emit("custody.released", it, carol, {"to": "bob"})],
        "custody-over-length": [lambda: emit("note.added", it, carol, {"text": "x" * 10001})],
        "custody-name-control": [lambda: emit("item.seized", "item/EV-3", carol, dict(seize, exhibit="EX\n3"))],
        "custody-bad-enum": [lambda: emit("takedown.confirmed", tg, carol, {"method": "deleted",
                                                                             "occurred_at": "2024-06-01T10:00:00Z"})],
        "custody-bad-time": [lambda: emit("target.reappeared", tg, carol, {"observed_at": "2024-02-30T10:00:00Z"})],
        "custody-bad-hashes": [lambda: emit("item.acquired", it, erin, {
            "tool": "t", "tool_version": "1", "source_hashes": h(b"s"), "verified": True,
            "images": [{"name": "i", "size": 1, "hashes": [{"alg": "sha256", "value": sha256(b"i").hex().upper()}]}]})],
        "custody-bad-person": [lambda: emit("item.checked-out", it, carol, {"to": "erin x", "purpose": "p"})],
        "custody-bad-asn": [lambda: emit("target.identified", "target/T-x3", carol, {
            "case": "OP-1", "kind": "ip", "value": "192.0.2.7", "category": "other", "country": "FR",
            "source": "s", "asn": 0})],
        "custody-bad-stream": [lambda: emit("item.stored", cs, bob, {"location": "Vault C"})],
        "custody-stream-not-local-id": [lambda: emit("note.added", it + "/x", carol, {"text": "t"})],
        "custody-auditor-actor": [lambda: emit("note.added", it, aud, {"text": "audited"})],
        "custody-role": [lambda: emit("custody.reassigned", it, bob, {"to": "bob", "reason": "r"})],
        "custody-witness-unsigned": [lambda: emit("item.disposed", it, carol, {
            "method": "destroyed", "authority": "a", "witness_key": wendy.kid})],
        "custody-witness-self": [lambda: emit("item.seized", "item/EV-3", carol, dict(seize, witness_key=carol.kid))],
        "custody-witness-revoked": [
            lambda: emit("key.revoked", "key/" + wendy.kid, admin, {"reason": "left the unit"}),
            lambda: emit("item.seized", "item/EV-3", carol, dict(seize, witness_key=wendy.kid), cosigner=wendy)],
        "custody-witness-bad-sig": [lambda: emit("item.seized", "item/EV-3", carol, dict(seize, witness_key=wendy.kid),
                                                 cosigner=wendy, cosign_other=True)],
        "custody-extra-signer": [lambda: emit("note.added", it, carol, {"text": "t"}, cosigner=bob)],
        "custody-closed-reason-over": [lambda: emit("case.closed", cs, carol, {"reason": "r" * 2001})],
        "custody-source-over": [lambda: emit("target.identified", "target/T-x3", carol, {
            "case": "OP-1", "kind": "ip", "value": "192.0.2.7", "category": "other", "country": "FR",
            "source": "s" * 201})],
        "custody-reference-tab": [lambda: emit("target.notified", tg, carol, {"recipient": "Hoster BV abuse",
                                                                               "reference": "AB-1\tAB-2"})],
        "custody-courier-over": [lambda: emit("custody.released", it, carol, {"to": "bob", "purpose": "p",
                                                                              "courier": "c" * 201})],
        "custody-seal-over": [lambda: emit("item.sealed", it, carol, {"seal": "S" * 101})],
        "custody-imei-over": [lambda: emit("item.seized", "item/EV-3", carol, dict(seize, imei="4" * 21))],
        "custody-location-lf": [lambda: emit("item.stored", it, carol, {"location": "Vault C\nshelf 2"})],
        "custody-image-name-over": [lambda: emit("item.acquired", it, erin, {
            "tool": "t", "tool_version": "1", "source_hashes": h(b"s"), "verified": True,
            "images": [{"name": "n" * 256, "size": 1, "hashes": h(b"i")}]})],
        "custody-report-ref-over": [lambda: emit("item.examined", it, erin, {"summary": "s",
                                                                             "report_reference": "R" * 201})],
        "custody-field-over": [lambda: emit("entry.corrected", "item/EV-2", carol, {
            "corrects": 24, "field": "f" * 65, "value": "v", "reason": "r"})],
        "custody-reason-over": [lambda: emit("custody.reassigned", it, sam, {"to": "carol", "reason": "r" * 2001})],
        "custody-photos-duplicate": [lambda: emit("item.seized", "item/EV-3", carol, dict(seize, photos=[
            h(b"front"), [{"value": x["value"], "alg": x["alg"]} for x in h(b"front")]]))],
        "custody-images-duplicate": [lambda: emit("item.acquired", it, erin, {
            "tool": "t", "tool_version": "1", "source_hashes": h(b"s"), "verified": True,
            "images": [{"name": "i", "size": 1, "hashes": h(b"i")}, {"hashes": h(b"i"), "size": 1, "name": "i"}]})],
        "custody-time-fraction": [lambda: emit("takedown.confirmed", tg, carol, {
            "method": "seized", "occurred_at": "2024-06-01T14:05:00.1234567890+02:00"})],
        "custody-time-offset": [lambda: emit("target.reappeared", tg, carol, {
            "observed_at": "2024-06-01T14:05:00+24:00"})],
    }[scenario]
    return steps + extra

def cmd_write(args):
    origin = args.origin
    sc = args.scenario
    if not ORIGIN_RE.fullmatch(origin):
        raise UsageError("origin %r does not match ^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$" % origin)
    if args.entries < 2:
        raise UsageError("--entries must be at least 2 (seq 1 and seq 2 are the genesis)")
    known = dict(SCENARIOS_V2 if args.format == 2 else SCENARIOS, **CUSTODY_SCENARIOS,
                 **(CUSTODY_SCENARIOS_V2 if args.format == 2 else CUSTODY_SCENARIOS_V1))
    if sc in CUSTODY_SCENARIOS or sc in CUSTODY_SCENARIOS_V1 or sc in CUSTODY_SCENARIOS_V2:
        args.custody = True
    if args.target_country is not None:
        if sc is not None:
            raise UsageError("--target-country goes with --custody, not with --scenario")
        if not re.fullmatch(r"[A-Z]{2}", args.target_country):
            raise UsageError("--target-country %r is not two capital letters" % args.target_country)
        args.custody = True
    if sc is not None and sc not in known:
        raise UsageError("unknown scenario %r%s; known: %s" % (sc, " for format 2" if args.format == 2 else "",
                                                              ", ".join(known)))
    if args.rotate_log_key and (args.format != 2 or sc is not None or args.custody or args.entries < 11):
        raise UsageError("--rotate-log-key needs --format 2, at least 11 entries (the rotation is seq 11), and no "
                         "--scenario or --custody")
    os.makedirs(args.out_dir, exist_ok=True)
    paths = {n: os.path.join(args.out_dir, n) for n in ("ledger.jsonl", "checkpoint", "log.vkey")}
    for p in paths.values():
        if os.path.exists(p):
            raise UsageError("%s exists; not overwriting it" % p)

    log_priv = Ed25519PrivateKey.generate()
    log_pk = raw_public(log_priv)
    vkey = make_vkey(origin, log_pk)
    if args.format == 2:
        w2 = Writer2(origin)
        w2.log_keys = [(1, log_priv, log_pk, vkey)]
        records = plan_v2(args, w2, {"log_vkey": vkey})
        return write_outputs(args, paths, origin, log_priv, log_pk, vkey, records, w2.log_keys)
    w = Writer(origin)
    admin = Person("admin", "First Administrator", "Example Agency")

    def by(*signers):
        return lambda bh, body: [(p.kid, p.priv.sign(entry_message(bh))) for p in signers]

    def register(actor, p, roles, request_origin=origin):
        # The new key's holder signs the request (§4.3) before the admin appends it (§3.2).
        req, req_sig = p.registration_request(request_origin)
        data = {"agency": req["agency"], "key": p.kid, "name": req["name"], "person": req["person"],
                "public_key": req["public_key"], "roles": roles}

        def sign(bh, body):
            if actor is p:
                return [(p.kid, p.priv.sign(entry_message(bh)))]
            return [(actor.kid, actor.priv.sign(entry_message(bh))), (p.kid, req_sig)]
        w.append("key.registered", "key/" + p.kid, actor.kid, data, sign)

    def revoke(actor, target_kid, data):
        w.append("key.revoked", "key/" + target_kid, actor.kid, data, by(actor))

    # Genesis (FORMAT.md §5): seq 1 ledger.created by the first admin, seq 2 registers that key.
    log_data = {"log_vkey": make_vkey("other.example/log", log_pk) if sc == "log-key-name" else vkey}
    first = Person("someone", "Someone Else", "Example Agency") if sc == "seq2-other-key" else admin
    plan = [
        lambda: w.append("ledger.created", "ledger", admin.kid, log_data, by(admin)),
        lambda: register(first, first, ["auditor"] if sc == "seq2-not-admin" else ["admin"]),
    ]
    alice = Person("alice@example.org", "Alice Ångström", "Police Département \"Nord\"")
    bob = Person("bob.lab-7", "Bob \u2603 Tester", "Lab \u00e9\u4e2d\U0001F600")
    plan.append(lambda: register(admin, alice, ["examiner", "custodian"]))
    plan.append(lambda: register(admin, bob, ["auditor"]))

    def revoke_bob():
        # The revoked key signs its own revocation (FORMAT.md §4.4, §5).
        data = {"reason": "laptop lost\non the train"}
        if args.with_finding:
            data["compromised_since_seq"] = len(w.records)  # the seq of bob's registration
        revoke(bob, bob.kid, data)
    plan.append(revoke_bob)

    if args.custody:
        def emit(typ, stream, actor, data, cosigner=None, cosign_other=False):
            def sign(bh, body):
                out = [(actor.kid, actor.priv.sign(entry_message(bh)))]
                if cosigner is not None:  # §3.2: the co-signer signs the entry message beside the actor
                    out.append((cosigner.kid, cosigner.priv.sign(entry_message(sha256(b"another entry") if
                                                                                cosign_other else bh))))
                return out
            w.append(typ, stream, actor.kid, data, sign)
        for step in plan + custody_plan(emit, register, admin, sc, country=getattr(args, "target_country", None)):
            step()
        return write_outputs(args, paths, origin, log_priv, log_pk, vkey, w.records)

    def rotate_v1():
        # What a version-2 rotation would be (§12.10), validly signed, in a version-1 ledger (§5: an integrity failure).
        new_priv = Ed25519PrivateKey.generate()
        new_vkey = make_vkey(origin, raw_public(new_priv))
        msg = rotation_message(sha256(jcs(json.loads(w.records[0])["body"])), new_vkey)
        w.append(ROTATED, "ledger", admin.kid, {"log_vkey": new_vkey, "new_key_sig": b64(new_priv.sign(msg)),
                                                 "old_key_sig": b64(log_priv.sign(msg))}, by(admin))

    if sc is not None:
        # Five valid entries (as far as the scenario allows), then the one that breaks the rule.
        carol = Person("carol", "Carol Second-Admin", "Example Agency")
        mallory = Person("mallory", "Mallory", "Nowhere")
        unreg = sha256(b"never registered").hex()
        bad = {
            "self-register": [lambda: register(mallory, mallory, ["admin"])],
            "non-admin-actor": [lambda: register(alice, mallory, ["custodian"])],
            "revoked-actor": [lambda: register(admin, carol, ["admin"]),
                              lambda: revoke(admin, carol.kid, {"reason": "left"}),
                              lambda: register(carol, mallory, ["custodian"])],
            "last-admin": [lambda: revoke(admin, admin.kid, {"reason": "retired"})],
            "revoke-unregistered": [lambda: revoke(admin, unreg, {"reason": "unknown"})],
            "revoke-twice": [lambda: revoke(admin, bob.kid, {"reason": "again"})],
            "request-other-ledger": [lambda: register(admin, mallory, ["custodian"], "other.example/ledger")],
            "compromised-future": [lambda: revoke(admin, alice.kid, {"reason": "x", "compromised_since_seq": 6})],
            "auditor-revokes-other": [lambda: register(admin, carol, ["auditor"]),
                                      lambda: revoke(carol, alice.kid, {"reason": "not allowed"})],
            "time-leap-second": [lambda: setattr(w, "prev_time", w.prev_time[:17] + "60.000Z"),
                                 lambda: register(admin, mallory, ["custodian"])],
            "log-key-rotated": [rotate_v1],
        }.get(sc, [])
        plan = plan[:5] + bad
        entries = len(plan)
    else:
        entries = args.entries
        while len(plan) < entries:
            i = len(plan)
            roles = [ROLES[1 + i % (len(ROLES) - 1)]]
            if i % 3 == 0:
                roles = ["admin", "supervisor"]
            p = Person("user%03d" % i, "User %d" % i, "Agency %d" % (i % 4))
            plan.append(lambda p=p, roles=roles: register(admin, p, roles))
    for step in plan[:entries]:
        step()
    return write_outputs(args, paths, origin, log_priv, log_pk, vkey, w.records)


def write_outputs(args, paths, origin, log_priv, log_pk, vkey, records, log_keys=None):
    """The ledger (JSON Lines), the checkpoint of the given size (default: all entries), the log vkey.

    With log-key rotations (§12.10, log_keys [(seq, private key, public key, vkey)]) the checkpoint is signed by the
    key in force at its size, and log2.vkey holds the last rotation's vkey (log.vkey stays seq 1's)."""
    leaves = [leaf_hash(r) for r in records]
    n = len(leaves)
    cp_size = n if args.checkpoint_size is None else args.checkpoint_size
    if not 0 <= cp_size <= n:
        raise UsageError("--checkpoint-size must be between 0 and %d" % n)
    if log_keys and len(log_keys) > 1:
        paths["log2.vkey"] = os.path.join(args.out_dir, "log2.vkey")
        if os.path.exists(paths["log2.vkey"]):
            raise UsageError("%s exists; not overwriting it" % paths["log2.vkey"])
        in_force = [k for k in log_keys if k[0] <= max(cp_size, 1)][-1]
        if args.scenario != "rotation-checkpoint-old-key":
            log_priv, log_pk = in_force[1], in_force[2]
        with open(paths["log2.vkey"], "xb") as f:
            f.write((log_keys[-1][3] + "\n").encode("utf-8"))
    text = "%s\n%d\n%s\n" % (origin, cp_size, b64(merkle_root(leaves[:cp_size])))
    sig = log_priv.sign(text.encode("utf-8"))
    note = text + "\n" + "\u2014 %s %s\n" % (origin, b64(note_key_id(origin, log_pk) + sig))
    with open(paths["ledger.jsonl"], "xb") as f:
        f.write(b"".join(r + b"\n" for r in records))
    with open(paths["checkpoint"], "xb") as f:
        f.write(note.encode("utf-8"))
    with open(paths["log.vkey"], "xb") as f:
        f.write((vkey + "\n").encode("utf-8"))
    print("wrote %d entries to %s (root %s)" % (n, paths["ledger.jsonl"], merkle_root(leaves).hex()))
    return 0


# ---------------------------------------------------------------------------
# Vector self-checks (selftest.sh)


def vector_proof_checks(m, check):
    """The inclusion_proofs and consistency_proofs of merkle-rfc6962.json, and mutations that must fail."""
    def fails(fn, *a):
        try:
            fn(*a)
            return False
        except ProofError:
            return True

    def flip(h):
        return bytes([h[0] ^ 1]) + h[1:]

    for v in m["inclusion_proofs"]:
        i, n = v["leaf_index"], v["tree_size"]
        leaf, root = bytes.fromhex(v["leaf_hash"]), bytes.fromhex(v["root"])
        path = [bytes.fromhex(h) for h in v["proof"]]
        what = "inclusion vector index %d size %d" % (i, n)
        check(leaf_hash(bytes.fromhex(v["leaf_hex"])) == leaf, what + ": leaf hash")
        check(not fails(verify_inclusion, i, n, leaf, path, root), what)
        check(fails(verify_inclusion, i, n, flip(leaf), path, root), what + ": other leaf accepted")
        check(fails(verify_inclusion, i, n, leaf, path, flip(root)), what + ": other root accepted")
        check(fails(verify_inclusion, i, n, leaf, path + [leaf], root), what + ": extra hash accepted")
        check(fails(verify_inclusion, n, n, leaf, path, root), what + ": index = size accepted")
        if n > 1:
            check(fails(verify_inclusion, i ^ 1 if (i ^ 1) < n else i - 1, n, leaf, path, root),
                  what + ": other index accepted")
        for k in range(len(path)):
            check(fails(verify_inclusion, i, n, leaf, path[:k] + [flip(path[k])] + path[k + 1:], root),
                  what + ": flipped hash %d accepted" % k)
            check(fails(verify_inclusion, i, n, leaf, path[:k], root), what + ": truncated to %d accepted" % k)
    for v in m["consistency_proofs"]:
        n1, n2 = v["size1"], v["size2"]
        r1, r2 = bytes.fromhex(v["root1"]), bytes.fromhex(v["root2"])
        path = [bytes.fromhex(h) for h in v["proof"]]
        what = "consistency vector %d -> %d" % (n1, n2)
        check(not fails(verify_consistency, n1, n2, r1, r2, path), what)
        check(fails(verify_consistency, n1, n2, flip(r1), r2, path), what + ": other old root accepted")
        check(fails(verify_consistency, n1, n2, r1, flip(r2), path), what + ": other new root accepted")
        check(fails(verify_consistency, n1, n2, r1, r2, path + [r1]), what + ": extra hash accepted")
        check(fails(verify_consistency, n2, n1, r2, r1, path) or n1 == n2, what + ": swapped sizes accepted")
        check(fails(verify_consistency, 0, n2, sha256(b""), r2, path), what + ": from size 0 accepted")
        for k in range(len(path)):
            check(fails(verify_consistency, n1, n2, r1, r2, path[:k] + [flip(path[k])] + path[k + 1:]),
                  what + ": flipped hash %d accepted" % k)
            check(fails(verify_consistency, n1, n2, r1, r2, path[:k]), what + ": truncated to %d accepted" % k)


def cmd_vectors(args):
    d = args.vectors_dir
    failures = []

    count = [0]

    def check(ok, what):
        count[0] += 1
        if not ok:
            failures.append(what)

    # Merkle (RFC 6962 / 9162)
    m = json.load(open(os.path.join(d, "merkle-rfc6962.json")))
    leaves = [bytes.fromhex(x) for x in m["leaves_hex"]]
    lh = [leaf_hash(x) for x in leaves]
    check([h.hex() for h in lh] == m["leaf_hashes"], "merkle leaf hashes")
    for r in m["roots"]:
        check(merkle_root(lh[: r["tree_size"]]).hex() == r["root"], "merkle root size %d" % r["tree_size"])
    for level, hashes in enumerate(m["node_hashes_by_level"]["levels"]):
        for i, h in enumerate(hashes):
            w = 2 ** level
            check(merkle_root(lh[i * w:(i + 1) * w]).hex() == h, "merkle node level %d index %d" % (level, i))
    for c in m["hasher_checks"]:
        if c["op"] == "empty_root":
            got = merkle_root([])
        elif c["op"] == "leaf":
            got = leaf_hash(bytes.fromhex(c["input_hex"]))
        else:
            got = node_hash(bytes.fromhex(c["left_hex"]), bytes.fromhex(c["right_hex"]))
        check(got.hex() == c["expect"], "merkle hasher check: %s" % c["desc"])

    # Signed notes
    sn = json.load(open(os.path.join(d, "signed-note.json")))
    for kname, k in sn["keys"].items():
        name, kid, pk = parse_vkey(k["vkey"])
        check(name == kname and kid.hex() == k["key_id_hex"] and pk.hex() == k["ed25519_public_key_hex"],
              "vkey parse %s" % kname)
        check(make_vkey(name, pk) == k["vkey"], "vkey make %s" % kname)
        if "ed25519_seed_hex" in k:
            priv = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(k["ed25519_seed_hex"]))
            check(raw_public(priv) == pk, "seed -> public key %s" % kname)
    peter = sn["keys"]["PeterNeumann"]
    ppriv = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(peter["ed25519_seed_hex"]))
    for case in sn["valid_notes"] + sn["invalid_notes"]:
        msg = bytes.fromhex(case["message_hex"]) if "message_hex" in case else case["message"].encode("utf-8")
        known = [parse_vkey(v) for v in case["verify_with"]]
        try:
            _, verified = open_note(msg, known)
            ok = case["expect"] == "ok" and sorted(verified) == sorted(case.get("expect_verified", verified))
        except NoteError:
            ok = case["expect"] == "error"
        check(ok, "note: %s" % case["desc"])
        if "text" in case and "signature_line" in case:
            sig = ppriv.sign(case["text"].encode("utf-8"))
            line = "\u2014 PeterNeumann %s\n" % b64(bytes.fromhex(peter["key_id_hex"]) + sig)
            check(line == case["signature_line"], "note: deterministic signing reproduces %s" % case["desc"])

    # Checkpoint with a witness cosignature: the log key alone must verify it.
    cs = json.load(open(os.path.join(d, "cosignature.json")))
    try:
        text, verified = open_note(cs["note"].encode("utf-8"), [parse_vkey(cs["log_vkey"])])
        origin, size, root = parse_checkpoint_text(text)
        lh5 = [leaf_hash(x.encode("utf-8")) for x in cs["leaves_utf8"]]
        check(text == cs["checkpoint_body"] and origin == cs["origin"] and size == len(lh5)
              and merkle_root(lh5) == root, "cosignature vector: checkpoint body/root")
    except NoteError as e:
        check(False, "cosignature vector: %s" % e)
    try:
        open_note(cs["note"].encode("utf-8"), [parse_vkey(sn["keys"]["PeterNeumann"]["vkey"])])
        check(False, "cosignature vector: accepted with an unrelated key")
    except NoteError:
        pass

    # RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification: every vector passes, every mutation of one fails.
    vector_proof_checks(m, check)

    # The witness cosignature of the vector verifies with the witness vkey (tlog-cosignature/v1, §6.6).
    try:
        wname, wkid, wpk = parse_vkey(cs["witness_vkey"], ALG_COSIGNATURE)
        check(wkid.hex() == cs["witness_key_id_hex"] and wpk.hex() == cs["witness_public_key_hex"],
              "cosignature vector: witness vkey parse")
        check(make_vkey(wname, wpk, ALG_COSIGNATURE) == cs["witness_vkey"], "cosignature vector: witness vkey make")
        check(cosignature_message(cs["cosignature_timestamp"], cs["checkpoint_body"])
              == cs["cosignature_signed_message"].encode("utf-8"), "cosignature vector: signed message")
        text, sigs = split_note(cs["note"].encode("utf-8"))
        good = check_cosignatures(text, sigs, [(wname, wkid, wpk)], 1)
        check(good == [(wname, cs["cosignature_timestamp"])], "cosignature vector: witness time")
        try:
            # PeterNeumann's key, taken as a witness key: it has no cosignature line on this note.
            other = parse_vkey(sn["keys"]["PeterNeumann"]["vkey"])
            check_cosignatures(text, sigs, [(other[0], note_key_id(other[0], other[2], ALG_COSIGNATURE), other[2])], 1)
            check(False, "cosignature vector: quorum met by a witness that did not cosign")
        except Fail:
            pass
        wseed = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(cs["witness_seed_hex"]))
        check(wseed.sign(cs["cosignature_signed_message"].encode("utf-8")).hex() == cs["cosignature_signature_hex"],
              "cosignature vector: deterministic signing")
        try:
            parse_vkey(cs["witness_vkey"])
            check(False, "cosignature vector: a witness (0x04) vkey parsed as a log (0x01) vkey")
        except ValueError:
            pass
    except (ValueError, NoteError, Fail) as e:
        check(False, "cosignature vector: witness: %s" % e)

    # JCS (RFC 8785): structures and strings; numbers as IEEE doubles.
    jdir = os.path.join(d, "jcs")
    for fname in sorted(os.listdir(os.path.join(jdir, "input"))):
        with open(os.path.join(jdir, "input", fname), "rb") as f:
            value = json.loads(f.read().decode("utf-8"), parse_int=float)
        with open(os.path.join(jdir, "output", fname), "rb") as f:
            want = f.read()
        check(jcs(value) == want, "jcs %s" % fname)
    numbers = os.path.join(jdir, "numbers.txt")
    if os.path.exists(numbers):
        bad = 0
        for line in open(numbers):
            line = line.strip()
            if not line:
                continue
            bits, want = line.split(",", 1)
            x = struct.unpack(">d", bytes.fromhex(bits.rjust(16, "0")))[0]
            try:
                got = _es_number(x)
            except ValueError:
                got = None
            if got != want:
                bad += 1
                if bad <= 5:
                    failures.append("jcs number %s: got %s want %s" % (bits, got, want))
        check(bad == 0, "jcs numbers (%d wrong)" % bad)

    # JSON profile: things Python's json would accept but §2 forbids.
    bad_texts = [b'{"a":1,"a":1}', b'["\\ud800"]', b'["\\udc00\\ud800"]', b"[1.0]", b"[1e2]", b"[-0]",
                 b"[9007199254740992]", b"[NaN]", b"[Infinity]", b"[-Infinity]", b'\xef\xbb\xbf[1]',
                 b'{"b":1,"a":2}', b"[ 1]", b'["\\u0041"]', b'["\xed\xa0\x80"]', b"[" * 33 + b"]" * 33,
                 b'["\xff"]', b'["\\/"]']
    for t in bad_texts:
        try:
            parse_profile(t)
            check(False, "profile accepted %r" % t[:40])
        except ProfileError:
            pass
    good_texts = [b"[" * 32 + b"]" * 32, b"[9007199254740991,-9007199254740991]", '["\U0001F602"]'.encode("utf-8"),
                  b'{"a":{"b":[true,false,null,"\\u001f"]}}']
    for t in good_texts:
        try:
            parse_profile(t)
        except ProfileError as e:
            check(False, "profile rejected %r: %s" % (t[:40], e))

    # Ed25519 public keys: small order and non-canonical encodings are rejected.
    small = ["0100000000000000000000000000000000000000000000000000000000000000",
             "0000000000000000000000000000000000000000000000000000000000000000",
             "0000000000000000000000000000000000000000000000000000000000000080",
             "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
             "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
             "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
             "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
             "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
             "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
             "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
             "0100000000000000000000000000000000000000000000000000000000000080"]
    for h in small:
        check(public_key_problem(bytes.fromhex(h)) is not None, "small-order/non-canonical key accepted: %s" % h)
    check(public_key_problem(bytes.fromhex(peter["ed25519_public_key_hex"])) is None, "valid key rejected")
    # S >= L is rejected even when OpenSSL would not be asked.
    sig = ppriv.sign(b"m")
    s_big = (int.from_bytes(sig[32:], "little") + _L).to_bytes(32, "little")
    check(not ed25519_verify(bytes.fromhex(peter["ed25519_public_key_hex"]), sig[:32] + s_big, b"m"), "S+L accepted")
    check(ed25519_verify(bytes.fromhex(peter["ed25519_public_key_hex"]), sig, b"m"), "valid signature rejected")

    for f in failures:
        print("vector FAIL: %s" % f)
    if failures:
        return 1
    print("vectors OK (%d checks): merkle, inclusion/consistency proofs," % count[0]
          + " signed-note, cosignature checkpoint and witness cosignature, jcs, json profile, ed25519 key checks")
    return 0


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ivl.py", description="Independent custody-ledger verifier and writer (format versions 1 and 2).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    pv = sub.add_parser("verify", help="verify an exported ledger (JSON Lines)")
    pv.add_argument("ledger")
    pv.add_argument("--checkpoint", help="a signed checkpoint note to verify against the ledger")
    pv.add_argument("--trust-log-key", metavar="VKEY", help="pinned log vkey (text, or a file holding it)")
    pv.add_argument("--findings-exit-3", action="store_true", help="exit 3 when there are findings (FORMAT.md §9)")
    pw = sub.add_parser("write", help="write a fresh valid ledger, checkpoint and log vkey")
    pw.add_argument("out_dir")
    pw.add_argument("--origin", required=True)
    pw.add_argument("--entries", type=int, default=20)
    pw.add_argument("--with-finding", action="store_true",
                    help="the self-revocation reports compromised_since_seq, producing one finding")
    pw.add_argument("--checkpoint-size", type=int, metavar="K", help="sign a checkpoint for the first K entries "
                    "(default: all)")
    pw.add_argument("--format", type=int, choices=(1, 2), default=1,
                    help="the format version to write (FORMAT.md §3 or §12; default 1)")
    pw.add_argument("--scenario", help="write a signed ledger that breaks one rule (for tests); format 1: "
                    + ", ".join(SCENARIOS) + "; format 2: " + ", ".join(SCENARIOS_V2) + "; either format (implies "
                    "--custody): " + ", ".join(CUSTODY_SCENARIOS) + "; format 1 (--custody): " + ", ".join(CUSTODY_SCENARIOS_V1)
                    + "; format 2 (--custody): " + ", ".join(CUSTODY_SCENARIOS_V2))
    pw.add_argument("--rotate-log-key", action="store_true",
                    help="format 2: seq 11 rotates the log key (FORMAT.md §12.10; --entries at least 11); the checkpoint "
                         "is signed by the key in force at its size, the new vkey is written to log2.vkey")
    pw.add_argument("--target-country", metavar="CC",
                    help="implies --custody: then a case OP-9 opened and a target identified in it with country CC "
                         "(two capital letters, listed in EVENTS.md §8.1 or not: in a version-2 ledger an unlisted "
                         "one is custody finding unknown-country), 49 entries")
    pw.add_argument("--custody", action="store_true",
                    help="after the first five entries, one entry of every custody row of the type table (FORMAT.md "
                         "§5, EVENTS.md), co-signed seizure and disposal included, instead of more registrations")
    pp = sub.add_parser("proof-verify", help="verify a C2SP tlog-proof@v1 inclusion proof of one record "
                        "(FORMAT.md §6.5) and witness cosignatures (§6.6)")
    pp.add_argument("proof", metavar="PROOF_FILE")
    pp.add_argument("--entry", metavar="RECORD_FILE",
                    help="the record's exact bytes (one trailing newline is ignored); without it the proof must be "
                         "a receipt (FORMAT.md §12.9) whose extra line carries b64(record)")
    pp.add_argument("--vkey", required=True, help="the log's vkey (text, or a file holding it)")
    pp.add_argument("--witness", action="append", metavar="WITNESS_VKEY",
                    help="a witness vkey (name+keyid+b64(0x04||key); text or file); repeatable")
    pp.add_argument("--witness-quorum", type=decimal_arg, metavar="K",
                    help="how many of the named witnesses must have cosigned (default: all of them)")
    pc = sub.add_parser("consistency-verify", help="verify an RFC 9162 consistency proof (one base64 hash a line)")
    pc.add_argument("proof", metavar="PROOF_FILE")
    pc.add_argument("--old", required=True, type=decimal_arg, metavar="N")
    pc.add_argument("--new", required=True, type=decimal_arg, metavar="M")
    pc.add_argument("--old-root", required=True, metavar="B64")
    pc.add_argument("--new-root", required=True, metavar="B64")
    pt = sub.add_parser("selftest-vectors", help="check the primitives against the shared test vectors")
    pt.add_argument("vectors_dir", nargs="?", default="/work/shared/vectors")
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(errors="backslashreplace")  # messages may quote arbitrary record text
    try:
        if args.cmd == "verify":
            return cmd_verify(args)
        if args.cmd == "write":
            return cmd_write(args)
        if args.cmd == "proof-verify":
            return cmd_proof_verify(args)
        if args.cmd == "consistency-verify":
            return cmd_consistency_verify(args)
        return cmd_vectors(args)
    except UsageError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
