#!/usr/bin/env python3
"""Independent verifier of custody-ledger court-export bundles (docs/FORMAT.md §11).

Written from docs/FORMAT.md alone (and the standards it cites), not from the Swift sources, so that a bundle
can be checked without our software.  Python 3.11, the standard library and the `cryptography` package;
the RFC 3161 timestamp is checked with the `openssl` command line when --tsa-ca is given.

    python3 tools/verify_bundle.py DIR [--trust-log-key VKEY] [--witness VKEY ...] [--witness-quorum K]
                                       [--tsa-ca FILE] [--json]

Checks, in this order, stopping at the first failure:
  bag         bagit.txt exact; both manifests (`<64 lowercase hex>  <path>` lines, two spaces, strictly sorted,
              hashes, exactly the files present); the file layout; bag-info.txt: the nine labels once each, in
              order, one line each (no continuation lines), and Payload-Oxum (§11.1)
  log key     entry 1's data.log_vkey, then (version 2) each ledger.log-key-rotated entry in the bag up to the
              checkpoint's size, each authorized by the key before it (old_key_sig) and proven by the new one
              (new_key_sig) over the rotation message; --trust-log-key, when given, must equal one of these keys
              byte for byte (§11.3, §6.2, §12.10)
  checkpoint  C2SP signed note by the last of those log keys (the key in force at N); origin, size N, root (§6.4)
  witnesses   tlog-cosignature/v1 lines of the named witnesses, quorum K (default 0, as §6.6) (§6.6, §11.3)
  timestamp   checkpoint.tsr with `openssl ts -verify` against --tsa-ca, at the token's genTime (§6.7)
  entries     JSON profile and record form, seq order <= N, origin, prev links, unique ids, time order,
              type/stream table, genesis, key replay, the data schemas of every row (the custody rows' of
              EVENTS.md included), signer sets, validity windows, roles, signatures (§11.2);
              a bundle of a version-2 ledger (entry 1's body v is 2) has version-2 records: the §11 rules read
              stream, type, actor, data and id from body.statement, and §12 adds the record form (65,535 bytes),
              the genesis binding, the times of §12.5 and the statement and co-signature messages of §12.4
  proofs      line i proves line i (JCS form, seq, index, tree size N) to the checkpoint root (§11.3, §6.5)
  disclosure  signed statement (by the key in force at N, one signature line): origin, N, selection; version 2:
              who exported the bag and when, and every other payload file's SHA-256; every listed stream complete to
              its head; every entry but entry 1 and the log-key rotations in a listed stream; the listed streams
              are those the selection and §11.2 item 3 allow, the rotations' signers counted as signers (§11.4);
              in version 2 stream_prev links statement hashes (§12.2), the stated head is still a body hash
  bag-info    Ledger-Origin, Ledger-Log-Key, Checkpoint-Size, Checkpoint-Root, External-Identifier (§11.1)

Exit status: 0 verified, 1 integrity failure, 2 usage or I/O error.  With --json: one object with "ok",
"trusted" (ok and the log key pinned), "failure", "checks", "warnings", "findings" and the checkpoint facts.

Not checked here (`ledger verify-bundle` does it): the custody rules (EVENTS.md: holder, recipient, open case,
...; §11.5), the report (§11.6), the JSON-LD graph (§11.7).  The custody rows' data schemas are checked (§11.2
allows it), from the same table as tools/independent-verifier/ivl.py.  The report, the graph, VERIFY.md and the
informative bag-info values are covered by the log key's signature only in a bag whose disclosure statement is
version 2 (§11.4: it lists every other payload file's SHA-256); in a version-1 bag only by the (unsigned)
manifests.  That the statement lists every stream
of the selection can only be checked against the whole ledger (`ledger verify --disclosure`); here it is the log
key's signed claim.
"""

import argparse, base64, datetime, errno, hashlib, json, os, re, stat, subprocess, sys, unicodedata

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Fail(Exception):
    """An integrity failure; the message names the file (and line) and what failed."""


class Usage(Exception):
    """A usage error (exit 2)."""


def sha256(b):
    return hashlib.sha256(b).digest()


# Patterns (FORMAT.md §2: anchored, ASCII classes; always used with fullmatch).
HEX64 = re.compile(r"[0-9a-f]{64}")
STREAM_RE = re.compile(r"[A-Za-z0-9._/-]{1,128}")
UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{3}Z")
ORIGIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}")
PERSON_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")
DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")
B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
ZERO = "0" * 64
MAX_SAFE = 2**53 - 1


def b64dec(s, canonical=True):
    """Standard padded base64 (RFC 4648 §4); None if malformed or (canonical) not re-encoding to itself (§3.2)."""
    if not isinstance(s, str) or not B64_RE.fullmatch(s):
        return None
    raw = base64.b64decode(s)
    return raw if not canonical or base64.b64encode(raw).decode() == s else None


# ---------------------------------------------------------------- JSON profile and JCS (FORMAT.md §2, RFC 8785)

_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def jcs(v):
    """RFC 8785 serialization as UTF-8 bytes.  The v1 profile admits integers within ±(2^53-1) only (§2 rule 4),
    whose ECMAScript form is their decimal form, so the float serialization of RFC 8785 §3.2.2.3 is not needed."""
    def enc(v):
        if v is None or isinstance(v, bool):
            return {None: "null", True: "true", False: "false"}[v]
        if isinstance(v, int) and abs(v) <= MAX_SAFE:
            return str(v)
        if isinstance(v, str):
            return '"' + "".join(_ESC.get(c) or ("\\u%04x" % ord(c) if ord(c) < 0x20 else c) for c in v) + '"'
        if isinstance(v, list):
            return "[" + ",".join(enc(x) for x in v) + "]"
        if not isinstance(v, dict):
            raise ValueError("%r is outside the v1 JSON profile" % v)
        names = sorted(v, key=lambda k: k.encode("utf-16-be"))   # UTF-16 code unit order (RFC 8785 §3.2.3)
        return "{" + ",".join(enc(k) + ":" + enc(v[k]) for k in names) + "}"
    return enc(v).encode("utf-8")                     # strict: a lone surrogate raises UnicodeEncodeError


def parse_profile(raw):
    """Parse one JSON text under the v1 profile (§2, rules 1-6); raise ValueError saying why it is rejected."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ValueError("starts with a byte order mark")
    text = raw.decode("utf-8")                        # strict: UnicodeDecodeError is a ValueError
    depth = best = 0
    in_str = esc = False
    for ch in text:                                   # rule 5: container depth, outside strings
        if in_str:
            esc, in_str = (False, True) if esc else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    if best > 32:
        raise ValueError("nesting depth %d exceeds 32" % best)

    def pairs(ps):                                    # rule 2: no duplicate member names
        d = {}
        for k, v in ps:
            if k in d:
                raise ValueError("duplicate member %s" % json.dumps(k))
            d[k] = v
        return d

    def integer(s):                                   # rule 4: integers in ±(2^53-1), no -0
        if s == "-0" or abs(int(s)) > MAX_SAFE:
            raise ValueError("number %s not allowed" % s)
        return int(s)

    def bad(s):
        raise ValueError("number %s is not an integer" % s)
    value = json.loads(text, object_pairs_hook=pairs, parse_int=integer, parse_float=bad, parse_constant=bad)
    try:
        canonical = jcs(value)
    except UnicodeEncodeError:                        # rule 3 (json.loads joins valid pairs, keeps lone halves)
        raise ValueError("a string holds a lone surrogate")
    if canonical != raw:                              # rule 6: canonical form
        raise ValueError("not in canonical (JCS) form")
    return value


def jsonl_lines(data, name):
    """Split a JSON Lines file (§3.4): every line ends in \\n, no blank lines, no \\r."""
    if not data.endswith(b"\n"):
        raise Fail("%s: does not end with a newline" % name)
    lines = data[:-1].split(b"\n")
    for i, line in enumerate(lines, 1):
        if not line or b"\r" in line:
            raise Fail("%s line %d: blank line or carriage return" % (name, i))
    return lines


# ---------------------------------------------------------------- Ed25519 (FORMAT.md §3.2)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
# y-coordinates of the 8 small-order points: 0, 1, p-1 and ±y8 (either sign bit).
Y8 = int.from_bytes(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little")
SMALL_Y = {0, 1, P - 1, Y8, P - Y8}


def key_problem(pk):
    """Why a raw public key is refused by §3.2 (non-canonical y, small order), or None."""
    if len(pk) != 32:
        return "is not 32 bytes"
    y = int.from_bytes(pk, "little") & ((1 << 255) - 1)
    if y >= P:
        return "is not canonically encoded"
    if y in SMALL_Y:
        return "is a point of small order"
    return None


def ed25519_ok(pk, sig, msg):
    """Cofactorless RFC 8032 verification plus §3.2: canonical key not of small order, S < L, R canonical."""
    if len(sig) != 64 or key_problem(pk) or int.from_bytes(sig[32:], "little") >= L:
        return False
    if int.from_bytes(sig[:32], "little") & ((1 << 255) - 1) >= P:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------- RFC 9162 inclusion proofs (FORMAT.md §6.3, §6.5)

def node(l, r):
    return sha256(b"\x01" + l + r)


def inclusion_ok(index, size, leaf, path, root):
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


# ---------------------------------------------------------------- signed notes, vkeys (FORMAT.md §6.2, §6.4, §6.6)

def key_id(name, alg, pk):
    return sha256(name.encode() + b"\n" + bytes([alg]) + pk)[:4]


def parse_vkey(text, alg):
    """`name+hexid+b64(alg ‖ key)` (§6.2: the key is everything after the second '+'); (name, id, pk)."""
    name, _, rest = text.partition("+")
    hid, plus, k64 = rest[:8], rest[8:9], rest[9:]
    if not name or any(c.isspace() for c in name) or plus != "+" or not re.fullmatch(r"[0-9a-f]{8}", hid):
        raise ValueError("not of the form name+keyid+key")
    raw = b64dec(k64)
    if raw is None or len(raw) != 33 or raw[0] != alg:
        raise ValueError("the key is not canonical base64 of 0x%02x and 32 bytes" % alg)
    if key_problem(raw[1:]):
        raise ValueError("the public key %s" % key_problem(raw[1:]))
    if key_id(name, alg, raw[1:]).hex() != hid:
        raise ValueError("the key ID does not match the name and key")
    return name, bytes.fromhex(hid), raw[1:]


def open_note(data, what, vkey, only_log_key=False):
    """C2SP signed note signed by the log key (§6.4): return (text, [(name, raw sig bytes)]).

    Every signature line must be well formed with canonical base64; every line with the log key's name and
    key ID must verify, and there must be at least one.  Other lines are returned for the witness check.
    """
    name, kid, pk = vkey
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Fail("%s: not UTF-8" % what)
    cut = s.rfind("\n\n")
    if cut < 0 or not s.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in s):
        raise Fail("%s: not a signed note (text, blank line, signature lines)" % what)
    text, lines, out, signed = s[:cut + 1], s[cut + 2:-1].split("\n"), [], 0
    if only_log_key and len(lines) != 1:              # the disclosure statement: exactly one line (§11.4)
        raise Fail("%s: carries %d signature lines; it has exactly one, the log key's (§11.4)" % (what, len(lines)))
    for line in lines:
        m = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        raw = b64dec(m[2]) if m else None
        if raw is None or len(raw) < 5:
            raise Fail("%s: malformed or non-canonical signature line %r" % (what, line))
        if m[1] == name and raw[:4] == kid:
            if not ed25519_ok(pk, raw[4:], text.encode()):
                raise Fail("%s: the log key's signature does not verify" % what)
            signed += 1
        out.append((m[1], raw))
    if not signed:
        raise Fail("%s: no signature by the log key %s" % (what, name))
    return text, out


# ---------------------------------------------------------------- the type table (FORMAT.md §5): streams, roles

CO, CU, EX, SU, TO = "case-officer", "custodian", "examiner", "supervisor", "takedown-officer"
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


# type: (stream prefix(es), roles that may act): the four core rows here, the custody rows from CUSTODY_TYPES, whose
# streams are also checked in full (<kind>/<local id>) with their data schemas (custody_stream_problem/_data_problem).
ROTATED = "ledger.log-key-rotated"                                                       # §5, §12.10: v2 only
TYPES = {"ledger.created": ("ledger", ()), "key.registered": ("key/", ("admin",)),
         "key.revoked": ("key/", ("admin",)), "ledger.note": ("ledger", ("admin", SU)), ROTATED: ("ledger", ("admin",))}
TYPES.update({t: (tuple(k + "/" for k in row[0]), row[1]) for t, row in CUSTODY_TYPES.items()})
ROLES = {"admin", CO, CU, EX, TO, SU, "auditor"}
BODY = {"v", "ledger", "seq", "prev", "stream", "stream_rev", "stream_prev", "id", "time", "type", "actor", "data"}


def entry_msg(body_hash):
    return b"custody-ledger/v1 entry\n" + body_hash.hex().encode() + b"\n"                 # §3.2


def statement_msg(statement_hash):
    return b"custody-ledger/v2 statement\n" + statement_hash.hex().encode() + b"\n"       # §12.4


def co_signature_msg(statement_hash, signed_at):
    return (b"custody-ledger/v2 co-signature\n" + statement_hash.hex().encode() + b"\n"   # §12.4
            + signed_at.encode() + b"\n")


def rotation_msg(genesis, log_vkey):
    return (b"custody-ledger/v2 log-key-rotation\n" + genesis.hex().encode() + b"\n"   # §12.10
            + log_vkey.encode() + b"\n")


def log_key_chain(lines, version, vkey1, n):
    """§12.10: walk the bag's ledger.log-key-rotated entries from entry 1's log key.  Each must be in a version-2
    ledger, in stream ledger, with data exactly log_vkey (a vkey named by the origin, not the key in force),
    old_key_sig (by the key in force before it) and new_key_sig (by the new key), both canonical b64 of 64 bytes over
    the rotation message bound to entry 1's body hash.  Returns [(seq, vkey text, (name, id, pk))] of entry 1 and
    every rotation with seq <= n (later ones fail in check_entries: seq larger than the checkpoint)."""
    chain = [(1, vkey1[0], vkey1[1])]
    genesis = None
    for i, raw in enumerate(lines, 1):
        if i > 1 and b'"type":"%s"' % ROTATED.encode() not in raw:   # canonical JCS: the member's exact bytes
            continue
        b, sigs, h = check_record("entries.jsonl line %d" % i, raw, version)
        if i == 1:
            genesis = h
            continue
        if b["type"] != ROTATED:
            continue
        w = "entries.jsonl line %d (seq %d)" % (i, b["seq"])
        if version != 2:
            raise Fail("%s: %s is a version-2 type; in a version-1 ledger it is an integrity failure (§5)" % (w, ROTATED))
        if b["seq"] > n:
            break
        d = b["data"]
        if b["stream"] != "ledger" or set(d) != {"log_vkey", "new_key_sig", "old_key_sig"}:
            raise Fail("%s: %s must be in stream ledger with data {log_vkey, new_key_sig, old_key_sig} (§12.10)"
                       % (w, ROTATED))
        try:
            new = parse_vkey(d["log_vkey"], 0x01)
        except (ValueError, TypeError, AttributeError) as e:
            raise Fail("%s: data.log_vkey is not a valid vkey: %s" % (w, e))
        old_sig, new_sig = b64dec(d["old_key_sig"]), b64dec(d["new_key_sig"])
        if new[0] != b["ledger"] or new[2] == chain[-1][2][2]:
            raise Fail("%s: the new log key's name is not the origin, or it is the key in force (§12.10)" % w)
        if old_sig is None or new_sig is None or len(old_sig) != 64 or len(new_sig) != 64:
            raise Fail("%s: old_key_sig and new_key_sig must be canonical b64 of 64 bytes (§12.10)" % w)
        msg = rotation_msg(genesis, d["log_vkey"])
        if not ed25519_ok(chain[-1][2][2], old_sig, msg):
            raise Fail("%s: old_key_sig does not verify with the log key in force before it, %s (named at seq %d; "
                       "§12.10)" % (w, chain[-1][1], chain[-1][0]))
        if not ed25519_ok(new[2], new_sig, msg):
            raise Fail("%s: new_key_sig does not verify with the new log key %s (§12.10)" % (w, d["log_vkey"]))
        chain.append((b["seq"], d["log_vkey"], new))
    return chain


def time_ms(t):
    """A well-formed §3.1 time as milliseconds since 1970-01-01T00:00:00.000Z (§12.5)."""
    d = datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc) - EPOCH
    return (d.days * 86400 + d.seconds) * 1000 + int(t[20:23])


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
SKEW_MS, MAX_EXPIRY_MS = 300000, 2592000000                                             # §12.5, §12.2
BODY2 = {"v", "seq", "prev", "time", "statement"}                                        # §12.3
STATEMENT = {"v", "ledger", "id", "stream", "stream_rev", "stream_prev", "type", "actor", "signed_at", "expires",
             "data"}                                                                     # §12.2, plus genesis


def record_version(raw):
    """The version a record claims (§12.1): 2 when its body's v is the number 2, otherwise 1."""
    try:
        rec = parse_profile(raw)
        v = rec["body"]["v"]
        return 2 if type(v) is int and v == 2 else 1
    except (ValueError, KeyError, TypeError):
        return 1


def well_formed_time(t):
    m = TIME_RE.fullmatch(t) if isinstance(t, str) else None
    try:
        datetime.datetime(*(int(x) for x in m.groups()))
        return True
    except (ValueError, AttributeError):
        return False


def check_record_v2(where, raw):
    """Record form of version 2 (§12.7 rule 1).  Returns (view, [(key, sig bytes)], body hash), where the view is
    the statement's members with the body's seq, prev and time, so that the §11 rules over body fields read the
    statement's stream, type, actor, data and id; "_sh" is the statement hash, "_at" the co-signers' signed_at."""
    if len(raw) > 65535:
        raise Fail("%s: record is larger than 65,535 bytes (format version 2)" % where)
    try:
        rec = parse_profile(raw)
    except ValueError as e:
        raise Fail("%s: breaks the JSON profile (§2): %s" % (where, e))
    if not isinstance(rec, dict) or set(rec) != {"body", "sigs"} or not isinstance(rec["body"], dict):
        raise Fail("%s: a record is an object with exactly the members body and sigs" % where)
    body = rec["body"]
    if set(body) != BODY2:
        raise Fail("%s: body members are not exactly %s (format version 2)" % (where, ", ".join(sorted(BODY2))))
    st = body["statement"]
    if type(body["v"]) is not int or type(body["seq"]) is not int or not isinstance(body["prev"], str) \
            or not isinstance(st, dict):
        raise Fail("%s: a body member has the wrong JSON type" % where)
    want = STATEMENT | ({"genesis"} if body["seq"] > 1 else set())
    if set(st) != want:
        raise Fail("%s: statement members are not exactly %s" % (where, ", ".join(sorted(want))))
    if any(type(st[m]) is not int for m in ("v", "stream_rev")) or not isinstance(st["data"], dict) \
            or any(not isinstance(st[m], str) for m in want - {"v", "stream_rev", "data"}):
        raise Fail("%s: a statement member has the wrong JSON type" % where)
    for ok, what in ((body["v"] == 2 and st["v"] == 2, "v is not 2"),
                     (body["seq"] >= 1 and st["stream_rev"] >= 1, "seq/stream_rev < 1"),
                     (HEX64.fullmatch(body["prev"]) and HEX64.fullmatch(st["stream_prev"])
                      and ("genesis" not in st or HEX64.fullmatch(st["genesis"])), "prev/stream_prev/genesis not hex"),
                     (HEX64.fullmatch(st["actor"]), "actor is not a key id"),
                     (STREAM_RE.fullmatch(st["stream"]), "stream does not match the pattern"),
                     (UUID4_RE.fullmatch(st["id"]), "id is not a lowercase UUID v4"),
                     (ORIGIN_RE.fullmatch(st["ledger"]), "ledger is not a valid origin (§6.1)")):
        if not ok:
            raise Fail("%s: %s" % (where, what))
    for m, t in (("time", body["time"]), ("signed_at", st["signed_at"]), ("expires", st["expires"])):
        if not well_formed_time(t):
            raise Fail("%s: %s %r is not YYYY-MM-DDTHH:MM:SS.sssZ with a real date" % (where, m, t))
    sigs = rec["sigs"]
    if not isinstance(sigs, list) or not sigs:
        raise Fail("%s: sigs is not a non-empty array" % where)
    out, at = [], {}
    for s in sigs:
        shape = isinstance(s, dict) and set(s) in ({"key", "sig"}, {"key", "sig", "signed_at"})
        raw_sig = b64dec(s.get("sig")) if shape else None
        if raw_sig is None or len(raw_sig) != 64 or not isinstance(s["key"], str) or not HEX64.fullmatch(s["key"]) \
                or "signed_at" in s and not well_formed_time(s["signed_at"]):
            raise Fail("%s: sigs element is not {key: key id, sig: canonical b64 of 64 bytes[, signed_at]} (§12.4)"
                       % where)
        out.append((s["key"], raw_sig))
        if "signed_at" in s:
            at[s["key"]] = s["signed_at"]
    if any(out[i][0] >= out[i + 1][0] for i in range(len(out) - 1)):
        raise Fail("%s: sigs are not sorted by key, or a key signs twice" % where)
    view = dict(st, seq=body["seq"], prev=body["prev"], time=body["time"], _sh=sha256(jcs(st)), _at=at)
    return view, out, sha256(jcs(body))


def key_request_msg(origin, d):
    req = {"agency": d["agency"], "ledger": origin, "name": d["name"], "person": d["person"],
           "public_key": d["public_key"], "v": 1}
    return b"custody-ledger/v1 key-request\n" + sha256(jcs(req)).hex().encode() + b"\n"  # §3.2, §4.3


def check_record(where, raw, version=1):
    """Record form (§3.3, §3.1, §3.2 and rule 1 of §7); returns (body, [(key, sig bytes)], body hash).
    Version 2 (§12): check_record_v2."""
    if version == 2:
        return check_record_v2(where, raw)
    if len(raw) > 65536:
        raise Fail("%s: record is larger than 65,536 bytes" % where)
    try:
        rec = parse_profile(raw)
    except ValueError as e:
        raise Fail("%s: breaks the JSON profile (§2): %s" % (where, e))
    if not isinstance(rec, dict) or set(rec) != {"body", "sigs"} or not isinstance(rec["body"], dict):
        raise Fail("%s: a record is an object with exactly the members body and sigs" % where)
    b = rec["body"]
    if set(b) != BODY:
        raise Fail("%s: body members are not exactly %s" % (where, ", ".join(sorted(BODY))))
    ints, strs = ("v", "seq", "stream_rev"), BODY - {"v", "seq", "stream_rev", "data"}
    if any(type(b[m]) is not int for m in ints) or any(not isinstance(b[m], str) for m in strs) \
            or not isinstance(b["data"], dict):
        raise Fail("%s: a body member has the wrong JSON type" % where)
    for ok, what in ((b["v"] == 1, "v is not 1"), (b["seq"] >= 1 and b["stream_rev"] >= 1, "seq/stream_rev < 1"),
                     (HEX64.fullmatch(b["prev"]) and HEX64.fullmatch(b["stream_prev"]), "prev/stream_prev not hex"),
                     (HEX64.fullmatch(b["actor"]), "actor is not a key id"),
                     (STREAM_RE.fullmatch(b["stream"]), "stream does not match the pattern"),
                     (UUID4_RE.fullmatch(b["id"]), "id is not a lowercase UUID v4"),
                     (ORIGIN_RE.fullmatch(b["ledger"]), "ledger is not a valid origin (§6.1)")):
        if not ok:
            raise Fail("%s: %s" % (where, what))
    m = TIME_RE.fullmatch(b["time"])
    try:
        datetime.datetime(*(int(x) for x in m.groups()))
    except (ValueError, AttributeError):              # AttributeError: no match
        raise Fail("%s: time %r is not YYYY-MM-DDTHH:MM:SS.sssZ with a real date" % (where, b["time"]))
    sigs = rec["sigs"]
    if not isinstance(sigs, list) or not sigs:
        raise Fail("%s: sigs is not a non-empty array" % where)
    out = []
    for s in sigs:
        raw_sig = b64dec(s.get("sig")) if isinstance(s, dict) and set(s) == {"key", "sig"} else None
        if raw_sig is None or len(raw_sig) != 64 or not isinstance(s["key"], str) or not HEX64.fullmatch(s["key"]):
            raise Fail("%s: sigs element is not {key: key id, sig: canonical b64 of 64 bytes}" % where)
        out.append((s["key"], raw_sig))
    if any(out[i][0] >= out[i + 1][0] for i in range(len(out) - 1)):
        raise Fail("%s: sigs are not sorted by key, or a key signs twice" % where)
    return b, out, sha256(jcs(b))


class Key:
    def __init__(self, pk, roles, person, seq):
        self.pk, self.roles, self.person, self.reg, self.revoked, self.compromised = pk, roles, person, seq, None, None


def stream_fits(stream, prefix):
    """The type table's stream column (§5): `ledger` exactly, or `<prefix><id>` with a non-empty id."""
    if prefix == "ledger":
        return stream == "ledger"
    return any(stream.startswith(p) and len(stream) > len(p) for p in (prefix if isinstance(prefix, tuple)
                                                                         else (prefix,)))


def check_v2_entry(w, b, seq, hashes, heads):
    """Version 2 rules a bundle can check (§12.7 rules 5 and 8): the genesis binding (entry 1 is always
    disclosed) and the times of §12.5 (rule 3 when the stream's previous revision is in the bag)."""
    if seq > 1 and b["genesis"] != hashes[0].hex():
        raise Fail("%s: statement.genesis is not the body hash of entry 1 (§12.7 rule 5)" % w)
    t, s, e = time_ms(b["time"]), time_ms(b["signed_at"]), time_ms(b["expires"])
    head = heads.get(b["stream"])
    for bad, what in ((s > t + SKEW_MS, "signed_at is more than 5 minutes after time"),
                      (head is not None and head[0] == b["stream_rev"] - 1 and s < head[1] - SKEW_MS,
                       "signed_at is more than 5 minutes before the time of the stream's previous entry"),
                      (e < s or e > s + MAX_EXPIRY_MS, "expires is not within 30 days after signed_at"),
                      (t > e, "time is after expires"),
                      (any(time_ms(a) < s - SKEW_MS or time_ms(a) > t + SKEW_MS for a in b["_at"].values()),
                       "a co-signer's signed_at is not within [signed_at - 5 min, time + 5 min]")):
        if bad:
            raise Fail("%s: %s (§12.5)" % (w, what))
    heads[b["stream"]] = (b["stream_rev"], t)


def check_entries(lines, n, version=1):
    """§11.2: replay the disclosed entries in seq order (rules 1-9 of §7 that need only these entries; for
    version 2 also §12.7 rules 5 and 8 and the §12.4 signatures, over the statements).

    Returns (bodies, body hashes, signer sets, keys, findings).
    """
    records = [check_record("entries.jsonl line %d" % i, raw, version) for i, raw in enumerate(lines, 1)]
    for i, (b, _, _) in enumerate(records, 1):        # order first: seq 1, 2, then strictly ascending, <= N
        w, seq = "entries.jsonl line %d (seq %d)" % (i, b["seq"]), b["seq"]
        if i <= 2 and seq != i:
            raise Fail("%s: line %d must be entry %d (§11.2 item 1)" % (w, i, i))
        if i > 2 and seq <= records[i - 2][0]["seq"]:
            raise Fail("%s: seq is not greater than the previous line's seq %d" % (w, records[i - 2][0]["seq"]))
        if seq > n:
            raise Fail("%s: seq is larger than the checkpoint size %d" % (w, n))
    if len(records) < 2:
        raise Fail("entries.jsonl: entries 1 and 2 are required (§11.2)")
    keys, ids, bodies, hashes, signers = {}, set(), [], [], []
    seq1 = None                                       # seq 1's (actor, sig, message), verified at seq 2 (§3.2)
    heads = {}                                        # v2: stream -> (rev, time) of its last disclosed entry
    for i, (b, sigs, h) in enumerate(records, 1):
        seq, typ, data, actor, stream = b["seq"], b["type"], b["data"], b["actor"], b["stream"]
        w = "entries.jsonl line %d (seq %d)" % (i, seq)
        last = bodies[-1] if bodies else None
        if version == 2:
            check_v2_entry(w, b, seq, hashes, heads)
        # Origin, hash chain, ids, time (§11.2; rules 3-7 of §7 restricted to the disclosed entries).
        if last and b["ledger"] != bodies[0]["ledger"]:
            raise Fail("%s: ledger %r is not the origin of entry 1" % (w, b["ledger"]))
        if seq == 1 and b["prev"] != ZERO or last and last["seq"] == seq - 1 and b["prev"] != hashes[-1].hex():
            raise Fail("%s: prev does not match the body hash of seq %d" % (w, seq - 1))
        if b["id"] in ids:
            raise Fail("%s: id %s appears twice" % (w, b["id"]))
        if last and b["time"] < last["time"]:
            raise Fail("%s: time %s is before the previous entry's %s" % (w, b["time"], last["time"]))
        # Type table (§5): known type and stream shape; genesis rules (seq 1 and 2); the key entries' data.
        if typ not in TYPES or not stream_fits(stream, TYPES[typ][0]) or typ == ROTATED and version != 2:
            raise Fail("%s: unknown type %r, or stream %s does not fit it" % (w, typ, stream))
        if typ in CUSTODY_TYPES:                      # the custody rows' streams and data schemas (EVENTS.md)
            problem = custody_stream_problem(typ, stream) or custody_data_problem(typ, data, version)
            if problem:
                raise Fail("%s: %s" % (w, problem))
        if (seq == 1) != (typ == "ledger.created"):
            raise Fail("%s: seq 1, and only seq 1, is ledger.created" % w)
        if seq == 1:
            if b["stream_rev"] != 1 or b["stream_prev"] != ZERO or set(data) != {"log_vkey"}:
                raise Fail("%s: ledger.created must start stream ledger with data {log_vkey}" % w)
            try:
                if parse_vkey(data["log_vkey"], 0x01)[0] != b["ledger"]:
                    raise ValueError("its name is not the origin")
            except (ValueError, TypeError, AttributeError) as e:
                raise Fail("%s: data.log_vkey is not a valid vkey: %s" % (w, e))
        new = None                                    # (key id, pk) registered by this entry
        if typ == "key.registered":
            d = data
            pk = b64dec(d.get("public_key")) if set(d) == {"agency", "key", "name", "person", "public_key",
                                                            "roles"} else None
            if pk is None or len(pk) != 32 or key_problem(pk) or d["key"] != sha256(pk).hex() \
                    or stream != "key/" + d["key"] or b["stream_rev"] != 1:
                raise Fail("%s: key.registered: public_key, key (its key id), stream key/<key> or stream_rev 1 "
                           "is wrong" % w)
            r = d["roles"]
            if not isinstance(r, list) or not r or not all(isinstance(x, str) and x in ROLES for x in r) \
                    or len(set(r)) != len(r) or not isinstance(d["person"], str) or not PERSON_RE.fullmatch(d["person"]):
                raise Fail("%s: key.registered: roles or person are malformed" % w)
            if d["key"] in keys:
                raise Fail("%s: key %s is registered twice" % (w, d["key"]))
            if seq > 2 and actor == d["key"]:
                raise Fail("%s: a key never registers itself after seq 2" % w)
            new = (d["key"], pk)
        if seq == 2 and (typ != "key.registered" or stream != "key/" + bodies[0]["actor"] or actor != data["key"]
                         or "admin" not in data["roles"]):
            raise Fail("%s: seq 2 must register the key of seq 1's actor, by itself, with role admin (§5)" % w)
        if typ == "key.revoked":
            c = data.get("compromised_since_seq")
            if "reason" not in data or not set(data) <= {"reason", "compromised_since_seq"} or \
                    c is not None and (type(c) is not int or not 1 <= c < seq):
                raise Fail("%s: key.revoked data is malformed" % w)
            if stream[4:] not in keys or keys[stream[4:]].revoked is not None:
                raise Fail("%s: revokes a key that is not registered in the bag, or already revoked" % w)
        # Required signers (§5, §3.2), validity windows at this seq (§4.4), signatures, the actor's role.
        required = {actor}
        if typ == "key.registered":
            required.add(data["key"])
        wk = None
        co_member = CUSTODY_TYPES[typ][2] if typ in CUSTODY_TYPES else None   # §5: witness_key co-signs
        if co_member is not None and co_member in data:
            wk = data[co_member]
            if not isinstance(wk, str) or not HEX64.fullmatch(wk) or wk == actor:
                raise Fail("%s: witness_key is not a key id other than the actor's" % w)
            required.add(wk)
        signed = {k for k, _ in sigs}
        if signed != required:
            raise Fail("%s: signers %s are not the required signers %s" % (w, sorted(signed), sorted(required)))
        if version == 2 and set(b["_at"]) != ({wk} if wk else set()):   # §12.4: only co-signers carry signed_at
            raise Fail("%s: signed_at is carried by %s; exactly the co-signer's element carries it (§12.4)"
                       % (w, sorted(b["_at"]) or "no element"))
        msg = entry_msg(h) if version == 1 else statement_msg(b["_sh"])
        for k, sig in sigs:
            if seq == 1:
                seq1 = (k, sig, msg)
                continue
            if new and k == new[0]:                   # the registered key: entry message at seq 2, else request
                pk, m = new[1], (msg if seq == 2 else key_request_msg(b["ledger"], data))
            elif k not in keys:
                raise Fail("%s: signer %s is not a disclosed registered key at seq %d" % (w, k, seq))
            elif keys[k].revoked is not None and keys[k].revoked < seq:
                raise Fail("%s: signer %s was revoked at seq %d" % (w, k, keys[k].revoked))
            else:
                pk, m = keys[k].pk, msg
                if version == 2 and k == wk:
                    m = co_signature_msg(b["_sh"], b["_at"][k])
            if not ed25519_ok(pk, sig, m):
                raise Fail("%s: the signature of %s does not verify" % (w, k))
        if seq == 2 and not ed25519_ok(new[1], seq1[1], seq1[2]):
            raise Fail("entries.jsonl line 1 (seq 1): the signature of %s does not verify" % seq1[0])
        allowed = TYPES[typ][1]
        if seq > 2 and not (typ == "key.revoked" and actor == stream[4:]) and not set(allowed) & keys[actor].roles:
            raise Fail("%s: actor %s holds no role allowed for %s (%s)" % (w, actor, typ, ", ".join(allowed)))
        if new:
            keys[new[0]] = Key(new[1], set(data["roles"]), data["person"], seq)
        if typ == "key.revoked":
            keys[stream[4:]].revoked, keys[stream[4:]].compromised = seq, data.get("compromised_since_seq")
        ids.add(b["id"])
        bodies.append(b)
        hashes.append(h)
        signers.append(signed)
    findings = ["seq %d: signed by key %s reported compromised since seq %d" % (b["seq"], kid, k.compromised)
                for kid, k in keys.items() if k.compromised for b, s in zip(bodies, signers)
                if k.compromised < b["seq"] <= k.revoked and kid in s]       # §4.4 findings (not failures)
    return bodies, hashes, signers, keys, findings


# ---------------------------------------------------------------- the bag (FORMAT.md §11.1)

LAYOUT = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "data/ledger/checkpoint",
          "data/ledger/entries.jsonl", "data/ledger/proofs.jsonl", "data/ledger/disclosure",
          "data/report/custody-report.html", "data/case/custody.jsonld", "data/VERIFY.md"}
OPTIONAL = {"data/ledger/checkpoint.tsr", "data/report/targets.csv"}
INFO_LABELS = ["Source-Organization", "Bagging-Date", "External-Identifier", "Payload-Oxum", "Ledger-Origin",
               "Ledger-Log-Key", "Checkpoint-Size", "Checkpoint-Root", "Bag-Software-Agent"]


# The most a verifier reads of each file it parses (or compares), in bytes (§11.1); a larger file fails the bag
# unread.  VERIFY.md has no bound: it is only hashed.
LIMITS = {"bagit.txt": 4 << 10, "bag-info.txt": 64 << 10, "manifest-sha256.txt": 64 << 10,
          "tagmanifest-sha256.txt": 64 << 10, "data/ledger/checkpoint": 1 << 20, "data/ledger/checkpoint.tsr": 1 << 20,
          "data/ledger/disclosure": 64 << 20, "data/ledger/entries.jsonl": 1 << 30, "data/ledger/proofs.jsonl": 1 << 30,
          "data/report/custody-report.html": 1 << 30, "data/report/targets.csv": 1 << 30,
          "data/case/custody.jsonld": 1 << 30}
# The files this verifier parses; every other layout file is only hashed (it does not re-render the report).
PARSED = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "data/ledger/checkpoint",
          "data/ledger/entries.jsonl", "data/ledger/proofs.jsonl", "data/ledger/disclosure"}
CHUNK = 1 << 20


def show(path):
    r"""A bag path (bytes) in one readable line (§11.1): bytes that are not part of valid UTF-8 as \xNN, control,
    format and separator characters as \u{N}, a backslash as \\; more than 12 components shown as the first 5,
    `…(N more)…` and the last 5."""
    def esc(name):
        out = []
        for c in name.decode("utf-8", "surrogateescape"):
            o = ord(c)
            if 0xDC80 <= o <= 0xDCFF:                 # an undecodable byte, kept by surrogateescape
                out.append("\\x%02x" % (o - 0xDC00))
            elif c == "\\":
                out.append("\\\\")
            elif unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
                out.append("\\u{%x}" % o)
            else:
                out.append(c)
        return "".join(out)
    parts = [esc(x) for x in path.split(b"/")]
    if len(parts) > 12:
        parts = parts[:5] + ["…(%d more)…" % (len(parts) - 10)] + parts[-5:]
    return "/".join(parts)


def walk(root, visit, leave):
    """Every entry under the folder `root`, to any depth, through directory descriptors (a deep path is longer
    than PATH_MAX) with one folder open at a time: an explicit stack, not recursion, and back up through `..`,
    checked to be the folder we came from.  visit(name, path, kind, folder_fd) for each non-folder (kind "file"
    or "other": links are never followed); leave(path, count) after each folder but the root."""
    def listing(fd, rel):
        with os.scandir(fd) as it:
            names = [os.fsencode(e.name) for e in it]
        out = []
        for n in names:
            mode = os.stat(n, dir_fd=fd, follow_symlinks=False).st_mode
            out.append((n, rel + b"/" + n if rel else n,
                        "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"))
        return out

    cur = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        st = os.fstat(cur)
        entries = listing(cur, b"")
        for n, p, k in entries:
            if k != "dir":
                visit(n, p, k, cur)
        # Each level: [path, (dev, ino), subfolders still to visit, entry count].
        stack = [[b"", (st.st_dev, st.st_ino), [(n, p) for n, p, k in reversed(entries) if k == "dir"], len(entries)]]
        while stack:
            level = stack[-1]
            if level[2]:
                n, p = level[2].pop()
                child = os.open(n, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=cur)
                os.close(cur)
                cur = child
                st = os.fstat(cur)
                entries = listing(cur, p)
                for cn, cp, ck in entries:
                    if ck != "dir":
                        visit(cn, cp, ck, cur)
                stack.append([p, (st.st_dev, st.st_ino), [(cn, cp) for cn, cp, ck in reversed(entries) if ck == "dir"],
                              len(entries)])
                continue
            stack.pop()
            if not stack:
                break
            up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=cur)
            st = os.fstat(up)
            os.close(cur)
            cur = up
            if (st.st_dev, st.st_ino) != stack[-1][1]:
                raise OSError("%s moved while it was being read" % show(level[0]))
            leave(level[0], level[3])
    finally:
        os.close(cur)


def read_bag(root):
    """Walk the bag: every layout file's (size, SHA-256), hashed in 1 MiB pieces from a descriptor opened without
    following links; the bytes of the PARSED files, each within its bound; the first file outside the layout and
    the first problem (a link or other non-regular file, an empty folder, a file over its bound), in path order.
    Files outside the layout are never opened."""
    files, contents, first = {}, {}, {"stray": None, "problem": None}

    def note(kind, path, message):
        if first[kind] is None or path < first[kind][0]:
            first[kind] = (path, message)

    def visit(name, path, kind, folder):
        if kind != "file":
            return note("problem", path, "%s is not a regular file (a link, device, pipe or socket)" % show(path))
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text not in LAYOUT | OPTIONAL:
            return note("stray", path, None)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except OSError as e:
            if e.errno == errno.ELOOP:
                return note("problem", path, "%s is not a regular file (a link, device, pipe or socket)" % show(path))
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return note("problem", path, "%s is not a regular file (a link, device, pipe or socket)" % show(path))
            limit = LIMITS.get(text)
            too_large = "%s is larger than %d bytes (%d), the most a verifier reads (§11.1)"
            if limit is not None and st.st_size > limit:
                return note("problem", path, too_large % (text, limit, st.st_size))
            h, size, chunks = hashlib.sha256(), 0, []
            while True:
                b = os.read(fd, CHUNK)
                if not b:
                    break
                h.update(b)
                size += len(b)
                if limit is not None and size > limit:   # it grew after fstat
                    return note("problem", path, too_large % (text, limit, size))
                if text in PARSED:
                    chunks.append(b)
            files[text] = (size, h.hexdigest())
            if text in PARSED:
                contents[text] = b"".join(chunks)
        finally:
            os.close(fd)

    def leave(path, count):
        if count == 0:
            note("problem", path, "%s is an empty folder; a bundle holds none (§11.1)" % show(path))

    walk(root, visit, leave)
    if first["problem"]:
        raise Fail("bag: " + first["problem"][1])
    return files, contents, first["stray"] and first["stray"][0]


def check_manifest(files, contents, mname, expected, stray):
    """One manifest: `hex  path\\n` lines sorted by path bytes, exactly the expected files, every hash right."""
    data = contents.get(mname)
    if data is None:
        raise Fail("bag: %s is missing" % mname)
    seen = []
    for i, line in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else [None], 1):
        m = re.fullmatch(rb"([0-9a-f]{64})  (\S[^\r]*)", line or b"")
        if not m:
            raise Fail("%s line %d: not `<sha256 hex>  <path>` (or no final newline)" % (mname, i))
        path = m[2].decode("utf-8", "replace")
        if seen and m[2] <= seen[-1]:
            raise Fail("%s line %d: %s is out of order or listed twice" % (mname, i, show(m[2])))
        seen.append(m[2])
        if path not in LAYOUT | OPTIONAL:             # refused whether present or not; never opened (§11.1)
            raise Fail("%s lists %s, which is not part of a custody-ledger bundle (§11.1)" % (mname, show(m[2])))
        if path not in expected:
            raise Fail("%s: %s is listed but %s" % (mname, path, "not present" if path not in files
                                                     else "does not belong in this manifest"))
        if files[path][1] != m[1].decode():
            raise Fail("%s: %s: hash mismatch" % (mname, path))
    missing = sorted(set(expected) - {p.decode("utf-8", "replace") for p in seen})
    if missing:
        raise Fail("bag: %s is not listed in %s" % (missing[0], mname))
    if stray is not None and stray.startswith(b"data/") == (mname == "manifest-sha256.txt"):
        raise Fail("bag: %s is not listed in %s" % (show(stray), mname))


def check_bag(files, contents, stray):
    if contents.get("bagit.txt") != b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n":
        raise Fail("bagit.txt: missing or not exactly the two BagIt 1.0 lines")
    payload = {p for p in files if p.startswith("data/")}
    check_manifest(files, contents, "tagmanifest-sha256.txt", set(files) - payload - {"tagmanifest-sha256.txt"}, stray)
    check_manifest(files, contents, "manifest-sha256.txt", payload, stray)
    for p in sorted(LAYOUT - set(files)):
        raise Fail("bag: %s is missing" % p)
    try:                                              # bag-info.txt: `Label: value` lines in the §11.1 order
        text = contents["bag-info.txt"].decode("utf-8")
    except UnicodeDecodeError:
        raise Fail("bag-info.txt: not UTF-8")
    info, labels = {}, []
    for line in text.split("\n")[:-1] if text.endswith("\n") else [""]:
        label, sep, value = line.partition(": ")     # one line each: no continuation lines (§11.1)
        if not sep or not re.fullmatch(r"[^:\s]+", label) or label in info:
            raise Fail("bag-info.txt: malformed or repeated line %r" % line)
        labels.append(label)
        info[label] = value
    if labels != INFO_LABELS:                        # name the first label out of place
        i = next(i for i, (a, b) in enumerate(zip(labels + [None] * 9, INFO_LABELS + [None] * 9)) if a != b)
        raise Fail("bag-info.txt: label %d is %s, §11.1 requires %s" % (i + 1, (labels + ["(none)"] * 9)[i],
                                                                        (INFO_LABELS + ["(none)"] * 9)[i]))
    size = sum(files[p][0] for p in payload)
    if info["Payload-Oxum"] != "%d.%d" % (size, len(payload)):
        raise Fail("bag-info.txt: Payload-Oxum %s, the payload is %d.%d" % (info["Payload-Oxum"], size, len(payload)))
    return info, "%d payload files, %d bytes" % (len(payload), size)


# ---------------------------------------------------------------- the whole bundle


def verify(args, report):
    files, contents, stray = read_bag(args.dir)
    info, bag_detail = check_bag(files, contents, stray)
    report("bag", "bagit.txt, manifests and Payload-Oxum agree (%s)" % bag_detail)

    # Log key (§11.3): data.log_vkey of entry 1, optionally pinned (byte for byte).  Parse entry 1 first;
    # check_entries re-checks it fully below.
    entry_lines = jsonl_lines(contents["data/ledger/entries.jsonl"], "entries.jsonl")
    version = record_version(entry_lines[0])          # entry 1 fixes the version of every record (§12.1)
    b1, _, _ = check_record("entries.jsonl line 1", entry_lines[0], version)
    if b1["seq"] != 1 or b1["type"] != "ledger.created":
        raise Fail("entries.jsonl line 1: must be entry 1, ledger.created (§11.2 item 1)")
    try:
        log_vkey = b1["data"]["log_vkey"]
        vkey = parse_vkey(log_vkey, 0x01)
    except (KeyError, TypeError, ValueError) as e:
        raise Fail("entries.jsonl line 1: no valid data.log_vkey (%s)" % e)
    # §12.10: the log-key rotations in the bag, up to the checkpoint's size (read here unverified; the checkpoint is
    # then verified with the last key of the chain, the key in force at that size).
    m = re.match(rb"[^\n]*\n(0|[1-9][0-9]{0,18})\n", contents["data/ledger/checkpoint"])
    chain = log_key_chain(entry_lines, version, (log_vkey, vkey), int(m[1]) if m else 0)
    if args.trust_log_key is not None and args.trust_log_key not in [k[1] for k in chain]:
        if len(chain) == 1:
            raise Fail("log key: the pinned key %s is not entry 1's log key %s" % (args.trust_log_key, log_vkey))
        raise Fail("log key: the pinned key %s is none of the bundle's log keys (entry 1's %s and the rotations at seq "
                   "%s)" % (args.trust_log_key, log_vkey, ", ".join(str(k[0]) for k in chain[1:])))
    rotated = "".join("; rotated at seq %d to %s%s" % (s_, k, " (pinned)" if k == args.trust_log_key else "")
                      for s_, k, _ in chain[1:])
    report("log key", log_vkey + (" (pinned)" if args.trust_log_key == log_vkey else " (NOT pinned: named by the "
                                  "bundle itself)" if args.trust_log_key is None else "") + rotated
           + ("; each rotation signed by the key before it and by the new key" if rotated else ""))
    vkey = chain[-1][2]                               # the key in force at N signs the checkpoint and disclosure

    # Checkpoint (§6.4): body origin / size / root, signed by the log key (in force at N, §12.10).
    try:
        cp_text, cp_sigs = open_note(contents["data/ledger/checkpoint"], "checkpoint", vkey)
    except Fail as e:
        if len(chain) == 1:
            raise
        raise Fail("%s (the log key in force at its size is %s, named at seq %d; §12.10)" % (e, chain[-1][1],
                                                                                           chain[-1][0]))
    cl = cp_text[:-1].split("\n")
    if len(cl) < 3 or cl[0] != vkey[0] or not DECIMAL_RE.fullmatch(cl[1]) or b64dec(cl[2]) is None \
            or len(b64dec(cl[2])) != 32:
        raise Fail("checkpoint: body is not <origin = the log key's name>, size, canonical b64 root")
    n, root = int(cl[1]), b64dec(cl[2])
    report("checkpoint", "%s size %d root %s, log signature verifies" % (cl[0], n, cl[2]))

    # Witness cosignatures (§6.6, §11.3): count named witnesses with a valid line; a bad line of one fails.
    good = []
    for text, (wname, wkid, wpk) in args.witnesses:
        times = []
        for name, raw in cp_sigs:
            if name == wname and raw[:4] == wkid:
                t = int.from_bytes(raw[4:12], "big")
                msg = b"cosignature/v1\ntime %d\n" % t + cp_text.encode()
                if len(raw) != 76 or not ed25519_ok(wpk, raw[12:], msg):
                    raise Fail("checkpoint: the cosignature of witness %s does not verify" % wname)
                times.append(t)
        if times:
            try:
                when = datetime.datetime.fromtimestamp(max(times), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            except (OverflowError, OSError, ValueError):
                when = "time %d" % max(times)
            good.append("%s at %s" % (wname, when))
    if len(good) < args.witness_quorum:
        raise Fail("checkpoint: %d of the named witnesses cosigned, the quorum is %d" % (len(good),
                                                                                        args.witness_quorum))
    others = len(cp_sigs) - sum(1 for nm, raw in cp_sigs if nm == vkey[0] and raw[:4] == vkey[1])
    if args.witnesses:
        report("witnesses", "%d of %d named witnesses cosigned (quorum %d)%s" % (
            len(good), len(args.witnesses), args.witness_quorum, (": " + ", ".join(good)) if good else ""))
    else:
        report("witnesses", "%d other signature line(s) on the checkpoint, not checked (no --witness)" % others,
               "unchecked")

    # RFC 3161 timestamp (§6.7) over the checkpoint body, checked only against a CA the verifier names.
    tsr = files.get("data/ledger/checkpoint.tsr")     # (size, hash): openssl reads the file itself
    if tsr is None:
        if args.tsa_ca:
            raise Fail("timestamp: --tsa-ca was given but the bundle has no data/ledger/checkpoint.tsr")
        report("timestamp", "none in the bundle", tsr_status := "absent")
    elif not args.tsa_ca:
        report("timestamp", "checkpoint.tsr present but NOT checked (no --tsa-ca)", tsr_status := "unchecked")
    else:
        tsr_status = "verified"
        report("timestamp", check_tsr(os.path.join(args.dir, "data/ledger/checkpoint.tsr"),
                                      sha256(cp_text.encode()).hex(), args.tsa_ca))

    # Entries (§11.2).
    bodies, hashes, signers, keys, findings = check_entries(entry_lines, n, version)
    report("entries", "%d records: JCS form, chain, ids, time, type table and data schemas, signer sets, "
                      "%d disclosed keys, signatures%s"
           % (len(bodies), len(keys), "" if version == 1 else " (format version 2: statements, genesis, times, "
              "co-signatures)"))

    # Inclusion proofs (§11.3): line i proves line i, JCS form, verified to the checkpoint root.
    proof_lines = jsonl_lines(contents["data/ledger/proofs.jsonl"], "proofs.jsonl")
    if len(proof_lines) != len(entry_lines):
        raise Fail("proofs.jsonl: %d lines, entries.jsonl has %d" % (len(proof_lines), len(entry_lines)))
    for i, (raw, rec, b) in enumerate(zip(proof_lines, entry_lines, bodies), 1):
        w = "proofs.jsonl line %d" % i
        try:
            p = parse_profile(raw)
        except ValueError as e:
            raise Fail("%s: breaks the JSON profile: %s" % (w, e))
        if not isinstance(p, dict) or set(p) != {"hashes", "index", "seq", "tree_size"} or \
                not isinstance(p["hashes"], list) or not all(isinstance(x, str) and HEX64.fullmatch(x)
                                                             for x in p["hashes"]):
            raise Fail("%s: not {hashes: [hex], index, seq, tree_size}" % w)
        if (p["seq"], p["index"], p["tree_size"]) != (b["seq"], b["seq"] - 1, n):
            raise Fail("%s: proves seq %s (index %s) in size %s, but line %d is seq %d and the checkpoint size is %d"
                       % (w, p["seq"], p["index"], p["tree_size"], i, b["seq"], n))
        if not inclusion_ok(p["index"], n, sha256(b"\x00" + rec), [bytes.fromhex(x) for x in p["hashes"]], root):
            raise Fail("%s: the inclusion proof of seq %d does not lead to the checkpoint root" % (w, b["seq"]))
    report("proofs", "%d inclusion proofs verify to the checkpoint root" % len(proof_lines))

    selection, nstreams, export = check_disclosure(contents["data/ledger/disclosure"], vkey, cl[0], n, bodies,
                                                  hashes, signers, keys, files)
    report("disclosure", "signed by the log key; selection %r; %d streams complete up to their stated heads%s"
           % (selection, nstreams, "; version 2: exported %s by %s; every other payload file's SHA-256 is the signed "
              "one" % export if export else " (version 1: the report, graph and VERIFY.md are not signed)"))

    # bag-info.txt values that must agree with the files (§11.1).
    for label, want in (("Ledger-Origin", cl[0]), ("Ledger-Log-Key", log_vkey), ("Checkpoint-Size", cl[1]),
                        ("Checkpoint-Root", cl[2]), ("External-Identifier", selection)):
        if info[label] != want:
            raise Fail("bag-info.txt: %s is %r, the bundle says %r" % (label, info[label], want))
    report("bag-info", "Ledger-Origin, Ledger-Log-Key, Checkpoint-Size, Checkpoint-Root, External-Identifier agree")
    facts = {"origin": cl[0], "size": n, "root": cl[2], "log_vkey": log_vkey, "selection": selection,
             "entries": len(bodies), "witnesses": good, "timestamp": tsr_status}
    if len(chain) > 1:
        facts["log_key_rotations"] = [{"seq": s_, "log_vkey": k} for s_, k, _ in chain[1:]]
    return findings, facts


# §11.6.1: the hidden scalars (a fixed list, whatever the Unicode version), for the exporter's name (§11.4).
HIDDEN = [(0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x034F, 0x034F), (0x0600, 0x0605), (0x061C, 0x061C),
          (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x115F, 0x1160), (0x17B4, 0x17B5),
          (0x180B, 0x180F), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xE000, 0xF8FF),
          (0xFDD0, 0xFDEF), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB), (0x110BD, 0x110BD),
          (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
          (0xF0000, 0x10FFFF)]


def hidden(c):
    o = ord(c)
    return o & 0xFFFE == 0xFFFE or any(lo <= o <= hi for lo, hi in HIDDEN)


def check_export_line(line):
    """§11.4 version 2: `exported <YYYY-MM-DDTHH:MM:SSZ> by <exporter>`; returns (time, exporter)."""
    m = re.fullmatch(r"exported (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) by (.*)", line, re.S)
    try:
        ok = m is not None and datetime.datetime.strptime(m[1], "%Y-%m-%dT%H:%M:%SZ").second <= 59
    except ValueError:
        ok = False
    if not ok:
        raise Fail("disclosure: line 5 %r is not `exported <YYYY-MM-DDTHH:MM:SSZ> by <exporter>`" % line)
    who = m[2]
    if not 1 <= len(who) <= 200 or who[0] == " " or who[-1] == " " or any(hidden(c) for c in who):
        raise Fail("disclosure: the exporter %r is not 1-200 characters without hidden characters or a space at "
                   "either end (§11.4)" % who)
    return m[1], who


def check_disclosure(data, vkey, origin, n, bodies, hashes, signers, keys, files):
    """§11.4: the disclosure statement (version 1 or 2) and the completeness of every stream it lists; in version
    2, that it names every other payload file with its SHA-256."""
    text, _ = open_note(data, "disclosure", vkey, only_log_key=True)
    lines = text[:-1].split("\n")
    v2 = lines[0] == "custody-ledger/v2 disclosure"
    if len(lines) < (6 if v2 else 5) or lines[0] != "custody-ledger/v1 disclosure" and not v2:
        raise Fail("disclosure: text is not `custody-ledger/v1 disclosure` (or v2), origin, N, selection, stream "
                   "lines")
    if lines[1] != origin or lines[2] != str(n):
        raise Fail("disclosure: origin/size %s %s are not the checkpoint's %s %d" % (lines[1], lines[2], origin, n))
    sel = lines[3]
    kind, _, ids = sel.partition(" ")
    idl = ids.split(" ")
    if kind not in ("case", "items") or not all(STREAM_RE.fullmatch(x) for x in idl) or kind == "case" and \
            len(idl) != 1 or idl != sorted(set(idl), key=lambda x: x.encode()):
        raise Fail("disclosure: selection %r is not `case <id>` or `items <id> …` (sorted, unique)" % sel)
    export = check_export_line(lines[4]) if v2 else None
    listed, prev_name, bound, prev_path = {}, b"", {}, b""
    for line in lines[5 if v2 else 4:]:
        f = re.fullmatch(r"file ([0-9a-f]{64}) (data/\S+)", line) if v2 else None
        if f:                                         # version 2: file lines, after the stream lines, sorted
            if f[2].encode() <= prev_path or any(x in ("", ".", "..") for x in f[2].split("/")):
                raise Fail("disclosure: file line %r is malformed, out of order or repeated" % line)
            bound[f[2]], prev_path = f[1], f[2].encode()
            continue
        m = re.fullmatch(r"(\S+) ([1-9][0-9]*) ([0-9a-f]{64})", line)
        if bound or not m or not STREAM_RE.fullmatch(m[1]) or m[1].encode() <= prev_name or v2 and "/" not in m[1]:
            raise Fail("disclosure: stream line %r is malformed, out of order or repeated" % line)
        listed[m[1]], prev_name = (int(m[2]), m[3]), m[1].encode()
    by_stream = {}
    for b, h in zip(bodies, hashes):                  # every disclosed entry but entry 1 and the log-key rotations
        if b["seq"] != 1 and b["type"] != ROTATED and b["stream"] not in listed:     # is in a listed stream (§12.10)
            raise Fail("disclosure: seq %d is in stream %s, which the statement does not list" % (b["seq"], b["stream"]))
        by_stream.setdefault(b["stream"], []).append((b, h))
    for s, (rev, head) in listed.items():             # each listed stream: revs 1..rev, linked, head hash
        prev, chain, last = ZERO, by_stream.get(s, []), ZERO
        for r, (b, h) in enumerate(chain, 1):
            if b["stream_rev"] != r or b["stream_prev"] != prev:
                raise Fail("disclosure: stream %s: seq %d is rev %d, expected rev %d linked by stream_prev to the "
                           "previous revision in the bag" % (s, b["seq"], b["stream_rev"], r))
            prev = b["_sh"].hex() if "_sh" in b else h.hex()   # v2 links statements by statement hash (§12.2)
            last = h.hex()
        if len(chain) != rev:
            raise Fail("disclosure: stream %s ends at rev %d in the bag, the disclosure says rev %d" % (s, len(chain), rev))
        if last != head:
            raise Fail("disclosure: stream %s: the body hash of rev %d is not the stated %s" % (s, rev, head))
    # The streams the selection must list, as far as the bag itself can tell (§11.2, §11.4).
    data_streams = {s for s in listed if not s.startswith("key/")}
    if kind == "items":
        want = {"item/" + x for x in idl}
    else:
        want = {"case/" + ids} | {s for s in data_streams if by_stream[s][0][0]["type"] in
                                  ("item.seized", "target.identified") and by_stream[s][0][0]["data"].get("case") == ids}
    if data_streams != want:
        bad = sorted(data_streams ^ want)[0]
        raise Fail("disclosure: stream %s %s the selection %r" % (bad, "is missing for" if bad in want
                                                                 else "does not belong to", sel))
    recipients = {b["data"].get("to") for b in bodies if b["stream"] in data_streams and b["type"] in
                  ("custody.released", "custody.reassigned", "item.checked-out") and isinstance(b["data"].get("to"), str)}
    # Disclosed keys (§11.2 item 3): the smallest set holding the signers of entries 1-2 and of the selection
    # streams, the keys of recipients, and the signers of those keys' own streams (a fixpoint: a key's
    # signature on its own registration does not pull it in).
    # The signers of the disclosed log-key rotations (§12.10) are disclosed keys too, so their signatures can be
    # checked; §11.2 item 3 does not name them, the ledger tool discloses them.
    need = {k for b, s in zip(bodies, signers) if b["seq"] <= 2 or b["stream"] in data_streams or b["type"] == ROTATED
            for k in s}
    need |= {k for k, key in keys.items() if key.person in recipients}
    while True:
        more = {k for b, s in zip(bodies, signers) if b["stream"][4:] in need for k in s} - need
        if not more:
            break
        need |= more
    extra = sorted(s for s in listed if s.startswith("key/") and s[4:] not in need)
    if extra:
        raise Fail("disclosure: %s is listed, but that key is not a disclosed key: it signed none of entries 1-2, "
                   "the selection streams or the other disclosed keys' streams, and is no recipient's (§11.2 item 3)"
                   % extra[0])
    if v2:                                            # every other payload file, each with its signed SHA-256
        for path, digest in bound.items():
            if path == "data/ledger/disclosure" or path not in files:
                raise Fail("disclosure: the statement lists %s, which the bag does not hold" % path)
            if files[path][1] != digest:
                raise Fail("disclosure: %s was changed after export: its SHA-256 is %s…, the signed disclosure "
                           "statement says %s…" % (path, files[path][1][:16], digest[:16]))
        for path in sorted(p for p in files if p.startswith("data/") and p != "data/ledger/disclosure"):
            if path not in bound:
                raise Fail("disclosure: %s is not listed in the signed disclosure statement (it was added after "
                           "export)" % path)
    return sel, len(listed), export


def check_tsr(path, digest_hex, ca):
    """§6.7 via `openssl ts -verify`, validated at the token's genTime (so an expired TSA certificate still works)."""
    cmd = ["openssl", "ts", "-verify", "-digest", digest_hex, "-in", path, "-CAfile", ca]
    shown = subprocess.run(["openssl", "ts", "-reply", "-in", path, "-text"], capture_output=True, text=True)
    m = re.search(r"^Time stamp: (.+?)(?: GMT)?$", shown.stdout, re.M)
    gen = None
    if m:
        try:
            gen = datetime.datetime.strptime(re.sub(r"\.\d+", "", m[1]).strip(), "%b %d %H:%M:%S %Y")
            cmd += ["-attime", str(int(gen.replace(tzinfo=datetime.timezone.utc).timestamp()))]
        except ValueError:
            gen = None
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or "Verification: OK" not in r.stdout:
        why = re.findall(r"error:[0-9A-F]+:[^:]*:[^:]*:([^:\n]+)", r.stderr) or [(r.stdout + r.stderr).strip()[-200:]]
        raise Fail("timestamp: openssl ts -verify failed: %s" % "; ".join(dict.fromkeys(why)))
    return "RFC 3161 response verifies against %s over the checkpoint body (genTime %s UTC)" % (ca, gen)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Verify a custody-ledger court-export bundle (FORMAT.md §11).")
    ap.add_argument("dir")
    ap.add_argument("--trust-log-key", metavar="VKEY", help="the log key's vkey (text, or a file holding it)")
    ap.add_argument("--witness", metavar="VKEY", action="append", default=[], help="a witness vkey (§6.6)")
    ap.add_argument("--witness-quorum", metavar="K", type=int, default=0, help="witnesses required (default 0)")
    ap.add_argument("--tsa-ca", metavar="FILE", help="CA certificates (PEM) to check checkpoint.tsr with")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    checks = []
    out = {"ok": False, "trusted": False, "failure": None, "checks": checks, "warnings": [], "findings": []}

    def report(name, detail, status="ok"):
        checks.append({"name": name, "ok": True, "status": status, "detail": detail})
        if not args.json:
            print("%-11s %s" % (name + ":", detail))
    try:
        if not os.path.isdir(args.dir):
            raise Usage("%s is not a directory" % args.dir)
        if args.trust_log_key is not None:
            if os.path.isfile(args.trust_log_key):
                with open(args.trust_log_key, encoding="utf-8") as f:
                    args.trust_log_key = f.read().removesuffix("\n")
            try:
                parse_vkey(args.trust_log_key, 0x01)
            except ValueError as e:
                raise Usage("--trust-log-key: %s" % e)
        ws = []
        for t in args.witness:
            try:
                ws.append((t, parse_vkey(t, 0x04)))
            except ValueError as e:
                raise Usage("--witness %s: %s" % (t, e))
            if any(w[1][:2] == ws[-1][1][:2] for w in ws[:-1]):   # a witness counted twice would game the quorum
                raise Usage("--witness %s is given twice" % t)
        args.witnesses = ws
        if not 0 <= args.witness_quorum <= len(ws):
            raise Usage("--witness-quorum must be between 0 and the number of --witness keys (%d)" % len(ws))
        if args.tsa_ca and not os.path.isfile(args.tsa_ca):
            raise Usage("--tsa-ca %s is not a file" % args.tsa_ca)
    except Usage as e:
        print("usage error: %s" % e, file=sys.stderr)
        return 2
    try:
        findings, facts = verify(args, report)
        out.update(facts, ok=True, trusted=args.trust_log_key is not None, findings=findings)
    except Fail as e:
        out["failure"] = str(e)
    except OSError as e:                              # an unreadable file, or no `openssl` for --tsa-ca
        print("error: %s" % e, file=sys.stderr)
        return 2
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:   # never pass on a surprise
        out["failure"] = "malformed bundle (unexpected structure: %r)" % e
    if out["failure"]:
        checks.append({"name": out["failure"].split(":")[0], "ok": False, "status": "failed",
                       "detail": out["failure"]})
    if args.trust_log_key is None:
        out["warnings"].append("WARNING: log key not pinned: the bundle is only consistent with a key it names "
                               "itself; pass --trust-log-key VKEY obtained independently")
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for f in out["findings"]:
            print("finding:    %s" % f)
        for wn in out["warnings"]:
            print(wn)
        print("OK: bundle verified" if out["ok"] else "FAILED: %s" % out["failure"])
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
