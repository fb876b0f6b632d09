#!/usr/bin/env bash
# Self-test of the independent custody-ledger verifier (ivl.py), format versions 1 and 2.
#   1. primitives against the shared vectors (Merkle, signed note, cosigned checkpoint, JCS, JSON profile, Ed25519 keys)
#   2. write -> verify round trips (several sizes, with a pinned log key and the checkpoint)
#   3. tamperings and rule-breaking scenarios, each of which must make `verify` exit 1
#   4. RFC 9162 proof verification (vectors, exhaustive cross-check), proof-verify with witness cosignatures,
#      consistency-verify: valid proofs exit 0, broken ones exit 1, usage errors exit 2
#   5. format version 2 (FORMAT.md §12): write --format 2 -> verify, checkpoint coverage (§12.6), tamperings and
#      signed rule-breaking scenarios each naming its rule, receipts (§12.9)
#   6. tools/verify_bundle.py over version-2 bundles laid out by the test from ivl's v2 writer
#   7. the custody rows of the type table: the ledger tool's exports in fixtures/ (v1, v2) and those with their data
#      tampered, ivl's own custody ledgers and validly signed custody-row breaks (one stated bound of EVENTS.md's data
#      schemas each), the table rendered and compared with EVENTS.md's "Data schemas:" lists (§§2-5 and the version-2
#      lists of §8), boundary values of every text member, the same checks in verify_bundle.py; the version-2 rows
#      and rules and the seal check at a receipt (§4.1, §8): schema breaks fail, rule breaks are one custody finding
#      each (act-after-signing also at its bound), and the Swift tool (when built) agrees; the country codes of §8.1
#      (the document's list equals CT_COUNTRIES_V2; an unlisted code is custody finding unknown-country in v2, the
#      schema stays two capital letters in both versions, v1 has no such rule)
#   8. log-key rotation (FORMAT.md §12.10): ivl's rotating writer (either key pinned, prefix checkpoints), signed
#      rotation breaks, the type in a v1 ledger, the ledger tool's twice-rotated export and receipt, rotated bundles
# Exits non-zero on any failure. Runnable from any folder. VECTORS_DIR overrides /work/shared/vectors.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IVL="$HERE/ivl.py"
VECTORS_DIR=${VECTORS_DIR:-/work/shared/vectors}
PY=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1  # selftest imports ivl.py; leave no __pycache__ behind
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ivl-selftest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ORIGIN="ledger.example.org/op-synergia"
fails=0
passes=0

ok() { passes=$((passes + 1)); printf 'ok   %s\n' "$1"; }
bad() { fails=$((fails + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '       %s\n' "$2"; }

# expect STATUS DESCRIPTION -- command...   (runs it, compares the exit status, shows the first output line)
expect() {
    local want=$1 desc=$2 out rc
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ]; then
        ok "$desc -> exit $rc: $(printf '%s' "$out" | head -1)"
    else
        bad "$desc: expected exit $want, got $rc" "$(printf '%s' "$out" | head -3)"
    fi
}

# ---------------------------------------------------------------- 1. vectors
echo "== vectors ($VECTORS_DIR)"
out=$("$PY" "$IVL" selftest-vectors "$VECTORS_DIR" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then ok "$out"; else bad "vectors (exit $rc)" "$out"; fi

# ---------------------------------------------------------------- 2. round trips
echo "== write -> verify"
L="$TMP/base"
if ! "$PY" "$IVL" write "$L" --origin "$ORIGIN" >/dev/null; then
    bad "write failed"
    echo "$fails failure(s)"
    exit 1
fi
expect 0 "verify default ledger with checkpoint and pinned vkey file" -- \
    "$PY" "$IVL" verify "$L/ledger.jsonl" --checkpoint "$L/checkpoint" --trust-log-key "$L/log.vkey"
expect 0 "verify with the pinned vkey given as text" -- \
    "$PY" "$IVL" verify "$L/ledger.jsonl" --trust-log-key "$(cat "$L/log.vkey")"
[ "$(wc -l < "$L/ledger.jsonl")" -eq 20 ] && ok "default ledger has 20 entries" || bad "default ledger is not 20 entries"
for n in 2 3 4 5 6 37; do
    "$PY" "$IVL" write "$TMP/n$n" --origin "example.net:8443/x_$n" --entries "$n" >/dev/null
    expect 0 "verify a $n-entry ledger" -- \
        "$PY" "$IVL" verify "$TMP/n$n/ledger.jsonl" --checkpoint "$TMP/n$n/checkpoint" --trust-log-key "$TMP/n$n/log.vkey"
done
"$PY" "$IVL" write "$TMP/find" --origin "$ORIGIN" --entries 8 --with-finding >/dev/null
out=$("$PY" "$IVL" verify "$TMP/find/ledger.jsonl" --checkpoint "$TMP/find/checkpoint" 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^finding: seq 5: signed by a key reported compromised since seq 4'; then
    ok "compromised_since_seq yields a finding for seq 5 (exit 0)"
else
    bad "finding not reported (exit $rc)" "$out"
fi
expect 3 "findings with --findings-exit-3" -- \
    "$PY" "$IVL" verify "$TMP/find/ledger.jsonl" --findings-exit-3
"$PY" "$IVL" write "$TMP/cp7" --origin "$ORIGIN" --entries 12 --checkpoint-size 7 >/dev/null
out=$("$PY" "$IVL" verify "$TMP/cp7/ledger.jsonl" --checkpoint "$TMP/cp7/checkpoint" 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^note: seq 8..12 not yet covered by a checkpoint'; then
    ok "a checkpoint of size 7 over a 12-entry ledger verifies; seq 8..12 reported as not yet covered"
else
    bad "prefix checkpoint (exit $rc)" "$out"
fi
head -n 7 "$TMP/cp7/ledger.jsonl" > "$TMP/cp7-head7.jsonl"
head -n 6 "$TMP/cp7/ledger.jsonl" > "$TMP/cp7-head6.jsonl"
expect 0 "the size-7 checkpoint still verifies a 7-entry prefix" -- \
    "$PY" "$IVL" verify "$TMP/cp7-head7.jsonl" --checkpoint "$TMP/cp7/checkpoint"
expect 1 "the size-7 checkpoint rejects a 6-entry prefix (rolled back)" -- \
    "$PY" "$IVL" verify "$TMP/cp7-head6.jsonl" --checkpoint "$TMP/cp7/checkpoint"
"$PY" "$IVL" write "$TMP/cp0" --origin "$ORIGIN" --entries 3 --checkpoint-size 0 >/dev/null
expect 0 "a size-0 checkpoint (empty-tree root) verifies" -- \
    "$PY" "$IVL" verify "$TMP/cp0/ledger.jsonl" --checkpoint "$TMP/cp0/checkpoint"
head -n 15 "$L/ledger.jsonl" > "$TMP/prefix.jsonl"
expect 0 "a prefix without a checkpoint still verifies (removal from the end needs a checkpoint)" -- \
    "$PY" "$IVL" verify "$TMP/prefix.jsonl"
expect 2 "missing ledger file" -- "$PY" "$IVL" verify "$TMP/does-not-exist.jsonl"
expect 2 "bad arguments" -- "$PY" "$IVL" verify
expect 2 "malformed --trust-log-key" -- "$PY" "$IVL" verify "$L/ledger.jsonl" --trust-log-key "not a vkey"
expect 2 "write refuses to overwrite" -- "$PY" "$IVL" write "$L" --origin "$ORIGIN"
expect 2 "write rejects an origin with a space" -- "$PY" "$IVL" write "$TMP/sp" --origin "bad origin"

# ---------------------------------------------------------------- 3. tamperings
echo "== tamperings (each must exit 1)"
# mutate NAME 'python code'   copies the base ledger to $TMP/t-NAME.jsonl after running the code, which may
# change `lines` (a list of bytes, one record each, without "\n") or set `raw` (the whole file's bytes).
# Helpers: rec(i) parses line i (1-based), put(i, obj) writes obj back in canonical (JCS) form.
mutate() {
    local name=$1 code=$2
    PYTHONPATH="$HERE" "$PY" - "$L/ledger.jsonl" "$TMP/t-$name.jsonl" "$code" <<'EOF' || bad "mutation $1 crashed"
import base64, json, sys
import ivl
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
lines = data.split(b"\n")[:-1]
raw = None
def rec(i): return json.loads(lines[i - 1])
def put(i, obj): lines[i - 1] = ivl.jcs(obj)
def resig(sig_b64):  # a different but canonical, well-formed signature
    b = bytearray(base64.b64decode(sig_b64)); b[5] ^= 0x40; return base64.b64encode(bytes(b)).decode()
exec(code)
if raw is None:
    raw = b"".join(l + b"\n" for l in lines)
open(dst, "wb").write(raw)
EOF
}
tamper() {  # tamper NAME DESCRIPTION 'python code' [extra verify args...]
    local name=$1 desc=$2 code=$3
    shift 3
    mutate "$name" "$code"
    expect 1 "$desc" -- "$PY" "$IVL" verify "$TMP/t-$name.jsonl" "$@"
}

tamper flipbyte   "flip one byte inside record 6" \
    'l = bytearray(lines[5]); l[len(l) // 2] ^= 0x01; lines[5] = bytes(l)'
tamper namechar   "change one character of a name (still canonical JSON)" \
    'lines[2] = lines[2].replace(b"Alice", b"Alicf")'
tamper dropline   "drop line 7" 'del lines[6]'
tamper swaplines  "swap lines 8 and 9" 'lines[7], lines[8] = lines[8], lines[7]'
tamper truncate   "drop the last line, with the checkpoint given" 'del lines[-1]' --checkpoint "$L/checkpoint"
tamper sigchange  "change the actor's signature to another well-formed one" \
    'r = rec(5); r["sigs"][0]["sig"] = resig(r["sigs"][0]["sig"]); put(5, r)'
tamper reqsig     "change the key-request (proof of possession) signature of seq 3" \
    'r = rec(3); k = r["body"]["data"]["key"]; s = [x for x in r["sigs"] if x["key"] == k][0]; s["sig"] = resig(s["sig"]); put(3, r)'
tamper seq1sig    "change the signature of seq 1 (checked once seq 2 registers the key)" \
    'r = rec(1); r["sigs"][0]["sig"] = resig(r["sigs"][0]["sig"]); put(1, r)'
tamper b64bits    "non-canonical base64 in a signature (non-zero trailing bits)" \
    'r = rec(4); s = r["sigs"][0]["sig"]; A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; r["sigs"][0]["sig"] = s[:-3] + A[A.index(s[-3]) ^ 1] + "=="; put(4, r)'
tamper whitespace "non-canonical whitespace" 'lines[1] = lines[1].replace(b"{\"body\":", b"{\"body\": ", 1)'
tamper dupmember  "duplicate member in the body" 'lines[1] = lines[1].replace(b"{\"body\":{", b"{\"body\":{\"actor\":\"x\",", 1)'
tamper surrogate  "lone surrogate in a string" 'lines[1] = lines[1].replace(b"First Administrator", b"First \\ud800 Administrator")'
tamper float      "a fraction where an integer belongs" 'lines[1] = lines[1].replace(b"\"v\":1}", b"\"v\":1.0}")'
tamper bigint     "integer beyond 2^53-1" 'lines[2] = lines[2].replace(b"\"seq\":3,", b"\"seq\":9007199254740993,")'
tamper crlf       "CRLF line ending" 'lines[2] = lines[2] + b"\r"'
tamper blankline  "a blank line at the end" 'raw = b"".join(l + b"\n" for l in lines) + b"\n"'
tamper nonewline  "no newline after the last record" 'raw = b"\n".join(lines)'
tamper bom        "UTF-8 byte order mark" 'lines[0] = b"\xef\xbb\xbf" + lines[0]'
tamper extradata  "an extra member in data (re-canonicalised)" 'r = rec(3); r["body"]["data"]["extra"] = 1; put(3, r)'
tamper deep       "nesting deeper than 32 (re-canonicalised)" \
    'r = rec(3); x = []; exec("for _ in range(40): x = [x]"); r["body"]["data"]["zz"] = x; put(3, r)'
tamper timeback   "time goes backwards (re-canonicalised)" 'r = rec(6); r["body"]["time"] = "2000-01-01T00:00:00.000Z"; put(6, r)'
tamper badtime    "time that is not a real date" 'r = rec(6); r["body"]["time"] = r["body"]["time"][:5] + "02-30" + r["body"]["time"][10:]; put(6, r)'
tamper sigorder   "sigs not sorted by key" 'r = rec(3); r["sigs"].reverse(); put(3, r)'
tamper dropsigner "a required signer missing" 'r = rec(3); r["sigs"] = [x for x in r["sigs"] if x["key"] == r["body"]["actor"]]; put(3, r)'
tamper upperhex   "uppercase hex in prev" 'r = rec(4); r["body"]["prev"] = r["body"]["prev"].upper(); put(4, r)'
tamper role       "roles with an unknown role" 'r = rec(3); r["body"]["data"]["roles"].append("wizard"); put(3, r)'
tamper origin     "a different ledger origin in one entry" 'r = rec(4); r["body"]["ledger"] = "evil.example/x"; put(4, r)'
tamper dupid      "an id reused" 'r = rec(5); r["body"]["id"] = rec(4)["body"]["id"]; put(5, r)'
tamper created2   "ledger.created outside seq 1" 'r = rec(6); r["body"]["type"] = "ledger.created"; put(6, r)'

# Validly signed ledgers that break one semantic rule each (ivl.py write --scenario); the message must name it.
scenario() {  # scenario NAME 'expected FAIL text (grep -E)'
    local name=$1 want=$2 out rc
    "$PY" "$IVL" write "$TMP/sc-$name" --origin "$ORIGIN" --scenario "$name" >/dev/null || { bad "write --scenario $name"; return; }
    out=$("$PY" "$IVL" verify "$TMP/sc-$name/ledger.jsonl" --checkpoint "$TMP/sc-$name/checkpoint" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -Eq "^FAIL: $want"; then
        ok "scenario $name -> exit 1: $out"
    else
        bad "scenario $name: expected exit 1 and /FAIL: $want/, got exit $rc" "$out"
    fi
}
scenario log-key-name          'seq 1: the log key name .* is not the origin'
scenario seq2-not-admin        'seq 2: .*must have the role admin'
scenario seq2-other-key        'seq 2: seq 2 must register the key of the actor of seq 1'
scenario self-register         'seq 6: a key cannot register itself after seq 2'
scenario non-admin-actor       'seq 6: actor [0-9a-f]{64} does not hold a role allowed'
scenario revoked-actor         'seq 8: actor [0-9a-f]{64} was revoked at seq 7'
scenario last-admin            'seq 6: the last admin key cannot be revoked'
scenario revoke-unregistered   'seq 6: key [0-9a-f]{64} is not registered'
scenario revoke-twice          'seq 6: key [0-9a-f]{64} was already revoked at seq 5'
scenario request-other-ledger  'seq 6: the signature of the registered key .* key-request message'
scenario compromised-future    'seq 6: data.compromised_since_seq must be'
scenario auditor-revokes-other 'seq 7: actor [0-9a-f]{64} is neither an admin nor the revoked key'
scenario time-leap-second      'seq 6: time .* is not a real calendar date'

mutate none 'pass'
# Checkpoint tamperings: the ledger is intact, the note is not.
"$PY" - "$L/checkpoint" "$TMP" <<'EOF'
import sys
cp = open(sys.argv[1], "rb").read()
lines = cp.split(b"\n")
open(sys.argv[2] + "/cp-size", "wb").write(cp.replace(b"\n20\n", b"\n19\n", 1))
open(sys.argv[2] + "/cp-nosig", "wb").write(b"\n".join(lines[:4]) + b"\n")
open(sys.argv[2] + "/cp-ctrl", "wb").write(cp.replace(b"\n20\n", b"\n20\x01\n", 1))
EOF
expect 1 "checkpoint with a changed size (signature breaks)" -- \
    "$PY" "$IVL" verify "$TMP/t-none.jsonl" --checkpoint "$TMP/cp-size"
expect 1 "checkpoint without a signature line" -- \
    "$PY" "$IVL" verify "$TMP/t-none.jsonl" --checkpoint "$TMP/cp-nosig"
expect 1 "checkpoint with a control character" -- \
    "$PY" "$IVL" verify "$TMP/t-none.jsonl" --checkpoint "$TMP/cp-ctrl"
"$PY" "$IVL" write "$TMP/other" --origin "$ORIGIN" >/dev/null
expect 1 "checkpoint signed by another log key with the same origin" -- \
    "$PY" "$IVL" verify "$L/ledger.jsonl" --checkpoint "$TMP/other/checkpoint"
expect 1 "pinned log key that is not the one in seq 1" -- \
    "$PY" "$IVL" verify "$L/ledger.jsonl" --trust-log-key "$TMP/other/log.vkey"
expect 1 "another ledger's checkpoint for a different origin" -- \
    "$PY" "$IVL" verify "$L/ledger.jsonl" --checkpoint "$TMP/n37/checkpoint"

# ---------------------------------------------------------------- 4. proofs and cosignatures
echo "== proofs: RFC 9162 verification against an independent RFC 6962 PATH/PROOF and the vectors"
VEC_MERKLE="$HERE/../../Tests/Vectors/merkle-rfc6962.json"
P="$TMP/proofs"
"$PY" "$IVL" write "$P/ledger" --origin "$ORIGIN" --entries 20 >/dev/null || bad "write for proofs"
# The test's own Merkle tree, RFC 6962 §2.1.1 PATH and §2.1.2 PROOF, signed notes, vkeys and cosignatures, written
# with hashlib/base64/cryptography only (no ivl code), so proof-verify is checked against a second implementation.
cat > "$TMP/tlog_gen.py" <<'EOF'
import base64, hashlib
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

H = lambda b: hashlib.sha256(b).digest()
B64 = lambda b: base64.b64encode(b).decode()
def leaf(d): return H(b"\x00" + d)
def node(l, r): return H(b"\x01" + l + r)
def split(n):
    k = 1
    while k * 2 < n: k *= 2
    return k
def mth(hs):  # over leaf hashes
    if not hs: return H(b"")
    if len(hs) == 1: return hs[0]
    k = split(len(hs)); return node(mth(hs[:k]), mth(hs[k:]))
def path(m, hs):  # RFC 6962 §2.1.1 PATH(m, D[n])
    if len(hs) <= 1: return []
    k = split(len(hs))
    return path(m, hs[:k]) + [mth(hs[k:])] if m < k else path(m - k, hs[k:]) + [mth(hs[:k])]
def subproof(m, hs, b):  # RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)
    n = len(hs)
    if m == n: return [] if b else [mth(hs)]
    k = split(n)
    return subproof(m, hs[:k], b) + [mth(hs[k:])] if m <= k else subproof(m - k, hs[k:], False) + [mth(hs[:k])]
def proof(m, hs): return subproof(m, hs, True)

class Key:
    def __init__(self, name, alg):
        self.name, self.alg, self.priv = name, alg, Ed25519PrivateKey.generate()
        self.pk = self.priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = H(name.encode() + b"\n" + bytes([alg]) + self.pk)[:4]
        self.vkey = "%s+%s+%s" % (name, self.kid.hex(), B64(bytes([alg]) + self.pk))
def body(origin, n, root, ext=""): return "%s\n%d\n%s\n%s" % (origin, n, B64(root), ext)
def log_line(key, text): return "\u2014 %s %s\n" % (key.name, B64(key.kid + key.priv.sign(text.encode())))
def cosig_payload(w, text, t):
    msg = b"cosignature/v1\ntime %d\n" % t + text.encode()
    return w.kid + t.to_bytes(8, "big") + w.priv.sign(msg)
def cosig_line(w, text, t): return "\u2014 %s %s\n" % (w.name, B64(cosig_payload(w, text, t)))
def tlog_proof(index, hashes, note, extra=None, index_text=None):
    out = "c2sp.org/tlog-proof@v1\n" + ("extra %s\n" % extra if extra is not None else "")
    out += "index %s\n" % (index_text if index_text is not None else index)
    return out + "".join(B64(h) + "\n" for h in hashes) + "\n" + note
EOF

PYTHONPATH="$HERE:$TMP" "$PY" - "$VEC_MERKLE" <<'EOF'
import json, sys
import ivl
from tlog_gen import leaf, mth, path, proof
bad = []
def fails(fn, *a):
    try: fn(*a); return False
    except ivl.ProofError: return True
# The test generator reproduces the vectors' proofs, and ivl accepts every vector (Tests/Vectors).
v = json.load(open(sys.argv[1]))
lh = [leaf(bytes.fromhex(x)) for x in v["leaves_hex"]]
for c in v["inclusion_proofs"]:
    if [h.hex() for h in path(c["leaf_index"], lh[:c["tree_size"]])] != c["proof"]:
        bad.append("test PATH differs from vector %s" % c)
    if fails(ivl.verify_inclusion, c["leaf_index"], c["tree_size"], bytes.fromhex(c["leaf_hash"]),
             [bytes.fromhex(h) for h in c["proof"]], bytes.fromhex(c["root"])):
        bad.append("ivl rejects inclusion vector %d/%d" % (c["leaf_index"], c["tree_size"]))
for c in v["consistency_proofs"]:
    if c["size1"] != c["size2"] and [h.hex() for h in proof(c["size1"], lh[:c["size2"]])] != c["proof"]:
        bad.append("test PROOF differs from vector %d->%d" % (c["size1"], c["size2"]))
    if fails(ivl.verify_consistency, c["size1"], c["size2"], bytes.fromhex(c["root1"]), bytes.fromhex(c["root2"]),
             [bytes.fromhex(h) for h in c["proof"]]):
        bad.append("ivl rejects consistency vector %d->%d" % (c["size1"], c["size2"]))
nv = len(v["inclusion_proofs"]) + len(v["consistency_proofs"])
# Exhaustive: every (index, size) and (size1, size2) up to 40 leaves; each proof passes, each one-bit change fails.
hs = [leaf(b"leaf %d" % i) for i in range(40)]
roots = [mth(hs[:n]) for n in range(41)]
flip = lambda h: bytes([h[0] ^ 0x80]) + h[1:]
count = 0
for n in range(1, 41):
    for i in range(n):
        p = path(i, hs[:n]); count += 1
        if fails(ivl.verify_inclusion, i, n, hs[i], p, roots[n]): bad.append("inclusion %d/%d rejected" % (i, n))
        if not fails(ivl.verify_inclusion, i, n, flip(hs[i]), p, roots[n]): bad.append("flipped leaf %d/%d" % (i, n))
        if p and not fails(ivl.verify_inclusion, i, n, hs[i], p[:-1], roots[n]): bad.append("short %d/%d" % (i, n))
        if not fails(ivl.verify_inclusion, i, n, hs[i], p + [hs[0]], roots[n]): bad.append("long %d/%d" % (i, n))
        for k in range(len(p)):
            if not fails(ivl.verify_inclusion, i, n, hs[i], p[:k] + [flip(p[k])] + p[k + 1:], roots[n]):
                bad.append("flipped hash %d in inclusion %d/%d accepted" % (k, i, n))
    for m in range(1, n + 1):
        p = proof(m, hs[:n]) if m < n else []; count += 1
        if fails(ivl.verify_consistency, m, n, roots[m], roots[n], p): bad.append("consistency %d->%d rejected" % (m, n))
        if not fails(ivl.verify_consistency, m, n, flip(roots[m]), roots[n], p): bad.append("old root %d->%d" % (m, n))
        if not fails(ivl.verify_consistency, m, n, roots[m], flip(roots[n]), p): bad.append("new root %d->%d" % (m, n))
        if p and not fails(ivl.verify_consistency, m, n, roots[m], roots[n], p[:-1]): bad.append("short %d->%d" % (m, n))
        for k in range(len(p)):
            if not fails(ivl.verify_consistency, m, n, roots[m], roots[n], p[:k] + [flip(p[k])] + p[k + 1:]):
                bad.append("flipped hash %d in consistency %d->%d accepted" % (k, m, n))
for b in bad[:10]: print(b)
print("%d vector proofs, %d generated inclusion/consistency proofs up to 40 leaves (with mutations)%s"
      % (nv, count, ": %d problems" % len(bad) if bad else ""))
sys.exit(1 if bad else 0)
EOF
[ $? -eq 0 ] && ok "RFC 9162 verification: vectors of $VEC_MERKLE and exhaustive PATH/PROOF cross-check" \
    || bad "RFC 9162 verification functions (see above)"

# Proof files over the 20 records of $P/ledger: a test log key (name = origin), three witnesses (w1, w2 cosign;
# w3 does not), checkpoints of sizes 1, 13, 16 and 20, and broken variants.
PYTHONPATH="$TMP" "$PY" - "$P" "$ORIGIN" <<'EOF'
import base64, json, os, sys
from tlog_gen import *
P, origin = sys.argv[1], sys.argv[2]
def put(name, data):
    with open(os.path.join(P, name), "wb") as f: f.write(data.encode() if isinstance(data, str) else data)
recs = open(os.path.join(P, "ledger", "ledger.jsonl"), "rb").read().split(b"\n")[:-1]
hs = [leaf(r) for r in recs]
for i, r in enumerate(recs, 1): put("rec.%d" % i, r + b"\n")
put("rec-nonl.5", recs[4])
put("rec-2nl.5", recs[4] + b"\n\n")
r5 = json.loads(recs[4]); r5["body"]["data"]["reason"] = r5["body"]["data"]["reason"].replace("lost", "lest")
put("rec-other.5", json.dumps(r5, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() + b"\n")
log, other_log, other_origin = Key(origin, 1), Key(origin, 1), Key("other.example/log", 1)
w1, w2, w3 = Key("w1.example.org", 4), Key("w2.example.net/witness", 4), Key("w3.example", 4)
for n, k in [("log", log), ("other-log", other_log), ("other-origin", other_origin), ("w1", w1), ("w2", w2), ("w3", w3)]:
    put(n + ".vkey", k.vkey + "\n")
put("w1-as-log.vkey", Key("w1.example.org", 1).vkey + "\n")
T1, T2 = 1717236000, 1750000000
def note(n, ext="", cos=((w1, T1), (w2, T2)), extra_lines=""):
    text = body(origin, n, mth(hs[:n]), ext)
    return text + "\n" + log_line(log, text) + extra_lines + "".join(cosig_line(w, text, t) for w, t in cos)
for n in (1, 13, 16, 20):
    nt = note(n); put("cp.%d" % n, nt)
    for i in range(n): put("proof.%d.%d" % (n, i), tlog_proof(i, path(i, hs[:n]), nt))
    put("root.%d" % n, B64(mth(hs[:n])))
    for m in (1, 7, 13, 16, 20):
        if m <= n: put("cons.%d.%d" % (m, n), "".join(B64(h) + "\n" for h in (proof(m, hs[:n]) if m < n else [])))
cp13 = note(13); p4 = path(4, hs[:13]); text13 = body(origin, 13, mth(hs[:13]))
def v(name, data): put("pv-" + name, data)
v("wrong-index", tlog_proof(4, p4, cp13, index_text="5"))
v("index-size", tlog_proof(13, path(12, hs[:13]), cp13))
v("truncated", tlog_proof(4, p4[:-1], cp13))
v("extra-hash", tlog_proof(4, p4 + [hs[0]], cp13))
v("flip-hash", tlog_proof(4, [p4[0]] + [bytes([p4[1][0] ^ 1]) + p4[1][1:]] + p4[2:], cp13))
v("root-swapped", tlog_proof(4, p4, note(13).replace(B64(mth(hs[:13])), B64(mth(hs[:12])))))
v("other-log", tlog_proof(4, p4, cp13.replace(log_line(log, text13), log_line(other_log, text13))))
v("origin-mismatch", tlog_proof(4, p4, text13 + "\n" + log_line(other_origin, text13)))
v("no-log-sig", tlog_proof(4, p4, text13 + "\n" + cosig_line(w1, text13, T1)))
# cosignature damage
c1 = cosig_line(w1, text13, T1)
raw = bytearray(base64.b64decode(c1.split(" ")[2])); raw[40] ^= 1
v("cosig-corrupt", tlog_proof(4, p4, cp13.replace(c1, "\u2014 w1.example.org %s\n" % B64(bytes(raw)))))
raw = bytearray(base64.b64decode(c1.split(" ")[2])); raw[11] ^= 1
v("cosig-time", tlog_proof(4, p4, cp13.replace(c1, "\u2014 w1.example.org %s\n" % B64(bytes(raw)))))
v("cosig-other-body", tlog_proof(4, p4, cp13.replace(c1, cosig_line(w1, body(origin, 12, mth(hs[:12])), T1))))
v("cosig-short", tlog_proof(4, p4, cp13.replace(c1, "\u2014 w1.example.org %s\n" % B64(base64.b64decode(c1.split(" ")[2])[:75]))))
v("cosig-as-note-sig", tlog_proof(4, p4, cp13.replace(c1, "\u2014 w1.example.org %s\n"
                                   % B64(w1.kid + w1.priv.sign(text13.encode())))))
v("cosig-twice-one-bad", tlog_proof(4, p4, cp13 + "\u2014 w1.example.org %s\n" % B64(bytes(raw))))
v("cosig-twice-good", tlog_proof(4, p4, cp13 + cosig_line(w1, text13, T1 + 60)))
# the log key's signature lines (§6.4)
ls = log_line(log, text13); lraw = bytearray(base64.b64decode(ls.split(" ")[2])); lraw[30] ^= 1
v("log-second-bad", tlog_proof(4, p4, cp13.replace(ls, ls + "\u2014 %s %s\n" % (origin, B64(bytes(lraw))))))
s64 = ls.split(" ")[2].rstrip("\n"); A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
assert s64.endswith("=") and not s64.endswith("==")
v("log-b64-bits", tlog_proof(4, p4, cp13.replace(s64, s64[:-2] + A[A.index(s64[-2]) ^ 1] + "=")))
r64 = B64(mth(hs[:13])); assert r64.endswith("=") and not r64.endswith("==")
tb = "%s\n13\n%s\n" % (origin, r64[:-2] + A[A.index(r64[-2]) ^ 1] + "=")
v("root-b64-bits", tlog_proof(4, p4, tb + "\n" + log_line(log, tb) + cosig_line(w1, tb, T1)))
te = body(origin, 13, mth(hs[:13]), "an extension line\n")
v("extension", tlog_proof(4, p4, te + "\n" + log_line(log, te) + cosig_line(w1, te, T1) + cosig_line(w2, te, T2)))
# malformed proof files
good = tlog_proof(4, p4, cp13)
v("extra-ok", tlog_proof(4, p4, cp13, extra=B64(b"opaque data")))
v("extra-bad", tlog_proof(4, p4, cp13, extra="not base64!"))
v("extra-after-index", good.replace("index 4\n", "index 4\nextra %s\n" % B64(b"x")))
v("bad-header", good.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1))
v("leading-zero", tlog_proof(4, p4, cp13, index_text="04"))
v("plus-index", tlog_proof(4, p4, cp13, index_text="+4"))
v("index-space", tlog_proof(4, p4, cp13, index_text="4 "))
v("no-empty-line", good.replace("\n\n" + origin, "\n" + origin, 1))
h0 = B64(p4[0]); assert h0.endswith("=") and not h0.endswith("==")
v("hash-b64-bits", good.replace(h0, h0[:-2] + A[A.index(h0[-2]) ^ 1] + "=", 1))
v("hash-31", good.replace(h0, B64(p4[0][:31]), 1))
v("crlf", good.replace("\n", "\r\n"))
v("empty", "")
# consistency proof files that must fail
c = open(os.path.join(P, "cons.13.20")).read().split("\n")[:-1]
put("cons-flip", "\n".join([c[0][:5] + ("A" if c[0][5] != "A" else "B") + c[0][6:]] + c[1:]) + "\n")
put("cons-short", "\n".join(c[:-1]) + "\n")
put("cons-long", "\n".join(c + [c[0]]) + "\n")
put("cons-blank", "\n".join(c) + "\n\n")
put("cons-b64-bits", "\n".join([c[0][:-2] + A[A.index(c[0][-2]) ^ 1] + "="] + c[1:]) + "\n")
put("cons-nonl", "\n".join(c))
EOF
[ $? -eq 0 ] || bad "generating proof files"

echo "== proof-verify (valid proofs exit 0)"
pv() { "$PY" "$IVL" proof-verify "$@"; }
W1="$P/w1.vkey"; W2="$P/w2.vkey"; W3="$P/w3.vkey"
expect 0 "inclusion of seq 5 in the size-13 checkpoint, witnesses w1 and w2" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness "$W2"
out=$(pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness "$W2" --witness-quorum 2 2>&1)
if printf '%s' "$out" | grep -Eq '^OK: seq 5 \(index 4\) .* size 13, .*w1\.example\.org time 1717236000 \(2024-06-01T10:00:00Z\), w2\.example\.net/witness time 1750000000' \
    && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
    ok "the OK line names seq, size and each witness's time: $out"
else
    bad "OK line" "$out"
fi
expect 0 "the log vkey given as text, no witnesses" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$(head -1 "$P/log.vkey")"
expect 0 "quorum 1 of w1, w3 (w3 did not cosign)" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness "$W3" --witness-quorum 1
expect 0 "record file without its trailing newline" -- pv "$P/proof.13.4" --entry "$P/rec-nonl.5" --vkey "$P/log.vkey"
expect 0 "a corrupted cosignature is ignored when that witness is not named (v1 ignores other lines)" -- \
    pv "$P/pv-cosig-corrupt" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W2"
expect 0 "an optional extra <b64> line is accepted" -- pv "$P/pv-extra-ok" --entry "$P/rec.5" --vkey "$P/log.vkey"
expect 0 "a checkpoint extension line is ignored, cosignatures cover it" -- \
    pv "$P/pv-extension" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness "$W2"
expect 0 "two valid cosignature lines by one witness" -- \
    pv "$P/pv-cosig-twice-good" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1"
allok=1
for n in 1 13 16 20; do
    for ((i = 0; i < n; i++)); do
        out=$(pv "$P/proof.$n.$i" --entry "$P/rec.$((i + 1))" --vkey "$P/log.vkey" --witness "$W1" --witness "$W2" 2>&1) \
            || { allok=0; bad "proof of index $i in size $n" "$out"; }
    done
done
[ $allok -eq 1 ] && ok "every index of checkpoints of sizes 1, 13, 16 and 20 (50 proofs) verifies, with both witnesses"

echo "== proof-verify (each must exit 1)"
pvbad() {  # pvbad DESC PROOF RECORD [args...]
    local desc=$1 proof=$2 rec=$3
    shift 3
    expect 1 "$desc" -- pv "$P/$proof" --entry "$P/$rec" --vkey "$P/log.vkey" "$@"
}
pvbad "wrong index (index 5, record of seq 5)"           pv-wrong-index rec.5
pvbad "wrong index (index 5, record of seq 6)"           pv-wrong-index rec.6
pvbad "index not less than the tree size"                pv-index-size  rec.14
pvbad "truncated proof"                                   pv-truncated   rec.5
pvbad "proof with one hash too many"                      pv-extra-hash  rec.5
pvbad "proof with a changed hash"                         pv-flip-hash   rec.5
pvbad "another record (seq 6)"                            proof.13.4     rec.6
pvbad "another record with the same seq 5"                proof.13.4     rec-other.5
pvbad "record file with two trailing newlines"            proof.13.4     rec-2nl.5
pvbad "a proof for a record beyond a smaller checkpoint"  proof.1.0      rec.2
expect 1 "wrong vkey (another log key, same origin)" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/other-log.vkey"
expect 1 "wrong vkey (another origin)" -- pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/other-origin.vkey"
pvbad "checkpoint signed by another key of the same name" pv-other-log   rec.5
expect 1 "checkpoint origin is not the vkey's name (signed by that vkey)" -- \
    pv "$P/pv-origin-mismatch" --entry "$P/rec.5" --vkey "$P/other-origin.vkey"
pvbad "checkpoint with only a cosignature, no log signature" pv-no-log-sig rec.5
pvbad "checkpoint with another root (signature breaks)"   pv-root-swapped rec.5
pvbad "a second log-key signature line that does not verify" pv-log-second-bad rec.5
pvbad "non-canonical base64 in the log signature line"    pv-log-b64-bits rec.5
pvbad "non-canonical base64 of the checkpoint root (validly signed)" pv-root-b64-bits rec.5
pvbad "quorum not met (w1, w3; default quorum: all)"      proof.13.4     rec.5 --witness "$W1" --witness "$W3"
pvbad "quorum not met (w1, w3, --witness-quorum 2)"       proof.13.4     rec.5 --witness "$W1" --witness "$W3" --witness-quorum 2
pvbad "corrupted cosignature, even with the quorum met by w2" pv-cosig-corrupt rec.5 --witness "$W1" --witness "$W2" --witness-quorum 1
pvbad "cosignature with a changed time"                   pv-cosig-time  rec.5 --witness "$W1"
pvbad "cosignature over another checkpoint body"          pv-cosig-other-body rec.5 --witness "$W1"
pvbad "cosignature line of 75 bytes"                      pv-cosig-short rec.5 --witness "$W1"
pvbad "a plain note signature where a cosignature belongs" pv-cosig-as-note-sig rec.5 --witness "$W1"
pvbad "a second, corrupted cosignature line of one witness" pv-cosig-twice-one-bad rec.5 --witness "$W1"
echo "== proof-verify: malformed proof files (exit 1)"
for m in bad-header leading-zero plus-index index-space no-empty-line hash-b64-bits hash-31 crlf empty extra-bad \
    extra-after-index; do
    pvbad "malformed proof file: $m" "pv-$m" rec.5
done
echo "== proof-verify: usage and I/O errors (exit 2)"
expect 2 "missing proof file" -- pv "$P/nope" --entry "$P/rec.5" --vkey "$P/log.vkey"
expect 2 "missing record file" -- pv "$P/proof.13.4" --entry "$P/nope" --vkey "$P/log.vkey"
expect 2 "malformed --vkey" -- pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "not a vkey"
expect 2 "a witness (0x04) vkey as --vkey" -- pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$W1"
expect 2 "a log (0x01) vkey as --witness" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$P/w1-as-log.vkey"
expect 2 "--witness-quorum larger than the witnesses named" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness-quorum 2
expect 2 "--witness-quorum with a leading zero" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness-quorum 01
expect 2 "the same witness twice" -- \
    pv "$P/proof.13.4" --entry "$P/rec.5" --vkey "$P/log.vkey" --witness "$W1" --witness "$W1"
expect 2 "missing --entry" -- pv "$P/proof.13.4" --vkey "$P/log.vkey"

echo "== consistency-verify"
cv() {  # cv OLD NEW PROOF [extra args...]: roots from root.OLD and root.NEW
    local o=$1 n=$2 f=$3
    shift 3
    "$PY" "$IVL" consistency-verify --old "$o" --new "$n" --old-root "$(cat "$P/root.$o")" \
        --new-root "$(cat "$P/root.$n")" "$P/$f" "$@"
}
for pair in "1 13" "1 20" "13 16" "13 20" "16 20" "1 1" "13 13" "20 20"; do
    set -- $pair
    expect 0 "consistency $1 -> $2" -- cv "$1" "$2" "cons.$1.$2"
done
expect 1 "consistency with a changed hash"           -- cv 13 20 cons-flip
expect 1 "consistency truncated"                     -- cv 13 20 cons-short
expect 1 "consistency with one hash too many"        -- cv 13 20 cons-long
expect 1 "consistency with a blank line"             -- cv 13 20 cons-blank
expect 1 "consistency with non-canonical base64"     -- cv 13 20 cons-b64-bits
expect 0 "consistency file without a final newline"  -- cv 13 20 cons-nonl
expect 1 "consistency with the wrong old root"       -- \
    "$PY" "$IVL" consistency-verify --old 16 --new 20 --old-root "$(cat "$P/root.13")" --new-root "$(cat "$P/root.20")" "$P/cons.16.20"
expect 1 "consistency proof of 13 -> 20 used for 16 -> 20" -- \
    "$PY" "$IVL" consistency-verify --old 16 --new 20 --old-root "$(cat "$P/root.13")" --new-root "$(cat "$P/root.20")" "$P/cons.13.20"
expect 1 "consistency with sizes swapped"            -- \
    "$PY" "$IVL" consistency-verify --old 20 --new 13 --old-root "$(cat "$P/root.20")" --new-root "$(cat "$P/root.13")" "$P/cons.13.20"
expect 1 "consistency from size 0"                   -- \
    "$PY" "$IVL" consistency-verify --old 0 --new 13 --old-root "$("$PY" -c 'import base64, hashlib; print(base64.b64encode(hashlib.sha256(b"").digest()).decode())')" --new-root "$(cat "$P/root.13")" "$P/cons.1.1"
expect 1 "equal sizes with a non-empty proof"         -- cv 13 13 cons.13.20
expect 2 "consistency: --old-root not base64 of 32 bytes" -- \
    "$PY" "$IVL" consistency-verify --old 13 --new 20 --old-root "abc" --new-root "$(cat "$P/root.20")" "$P/cons.13.20"
expect 2 "consistency: --old with a leading zero" -- \
    "$PY" "$IVL" consistency-verify --old 013 --new 20 --old-root "$(cat "$P/root.13")" --new-root "$(cat "$P/root.20")" "$P/cons.13.20"
expect 2 "consistency: missing proof file" -- cv 13 20 nope

# ---------------------------------------------------------------- 5. format version 2 (FORMAT.md §12)
echo "== format version 2: write -> verify"
L2="$TMP/v2"
"$PY" "$IVL" write "$L2" --origin "$ORIGIN" --format 2 >/dev/null || bad "write --format 2 failed"
out=$("$PY" "$IVL" verify "$L2/ledger.jsonl" --checkpoint "$L2/checkpoint" --trust-log-key "$L2/log.vkey" 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^OK: 20 entries' && printf '%s\n' "$out" | grep -q '^format: version 2'; then
    ok "v2 ledger of 20 entries (key requests, case.opened, co-signed item.seized, item.stored) with its checkpoint -> exit 0"
else
    bad "v2 round trip (exit $rc)" "$out"
fi
"$PY" - "$L2/ledger.jsonl" <<'PYEOF' && ok "the v2 writer's ledger has the shapes the tests below rely on" || bad "v2 ledger shape"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], "rb").read().split(b"\n")[:-1]]
st = [x["body"]["statement"] for x in r]
assert [s["type"] for s in st[:10]] == ["ledger.created", "key.registered", "key.registered", "key.registered",
    "key.revoked", "key.registered", "case.opened", "item.seized", "item.stored", "ledger.note"], st
assert "genesis" not in st[0] and all("genesis" in s for s in st[1:])
assert len(r[2]["sigs"]) == 2 and all(set(e) == {"key", "sig"} for e in r[2]["sigs"])         # key request
assert sorted(len(e) for e in r[7]["sigs"]) == [2, 3]                                            # co-signer
assert st[8]["stream_rev"] == 2 and st[9]["stream_rev"] == 2 and st[4]["stream_rev"] == 2
PYEOF
[ "$(head -c 9 "$L/ledger.jsonl")" = '{"body":{' ] && grep -q '"v":1}' <(head -1 "$L/ledger.jsonl") \
    && ok "write without --format still writes version 1" || bad "the default format is not 1"
expect_msg() {  # expect_msg STATUS 'grep -E pattern' DESCRIPTION -- command...
    local want=$1 pat=$2 desc=$3 out rc
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pat"; then
        ok "$desc -> exit $rc: $(printf '%s\n' "$out" | grep -E -m1 -- "$pat")"
    else
        bad "$desc: expected exit $want and /$pat/, got exit $rc" "$(printf '%s' "$out" | head -3)"
    fi
}
expect_msg 1 '^FAIL: seq 1: not covered by a checkpoint signed by the log key \(the order and time of entries 1…20 are not attested\)$' \
    "§12.6: a v2 export without --checkpoint" -- "$PY" "$IVL" verify "$L2/ledger.jsonl"
"$PY" "$IVL" write "$TMP/v2cp7" --origin "$ORIGIN" --format 2 --entries 12 --checkpoint-size 7 >/dev/null
expect_msg 1 '^FAIL: seq 8: not covered by a checkpoint signed by the log key \(the order and time of entries 8…12 are not attested\)$' \
    "§12.6: a checkpoint of size 7 over a 12-entry v2 export" -- \
    "$PY" "$IVL" verify "$TMP/v2cp7/ledger.jsonl" --checkpoint "$TMP/v2cp7/checkpoint"
head -n 7 "$TMP/v2cp7/ledger.jsonl" > "$TMP/v2cp7-head7.jsonl"
expect 0 "the size-7 checkpoint covers a 7-entry v2 prefix" -- \
    "$PY" "$IVL" verify "$TMP/v2cp7-head7.jsonl" --checkpoint "$TMP/v2cp7/checkpoint"
for n in 2 3 8 11 33; do
    "$PY" "$IVL" write "$TMP/v2n$n" --origin "example.net:8443/v2_$n" --format 2 --entries "$n" >/dev/null
    expect 0 "verify a $n-entry v2 ledger" -- \
        "$PY" "$IVL" verify "$TMP/v2n$n/ledger.jsonl" --checkpoint "$TMP/v2n$n/checkpoint" --trust-log-key "$TMP/v2n$n/log.vkey"
done
"$PY" "$IVL" write "$TMP/v2find" --origin "$ORIGIN" --format 2 --entries 8 --with-finding >/dev/null
expect_msg 3 '^finding: seq 5: signed by a key reported compromised since seq 4' \
    "v2: compromised_since_seq yields a finding (--findings-exit-3)" -- \
    "$PY" "$IVL" verify "$TMP/v2find/ledger.jsonl" --checkpoint "$TMP/v2find/checkpoint" --findings-exit-3
expect 1 "v2: another v2 ledger's checkpoint (same origin, other log key)" -- \
    "$PY" "$IVL" verify "$L2/ledger.jsonl" --checkpoint "$TMP/v2cp7/checkpoint"
expect 2 "write --format 3" -- "$PY" "$IVL" write "$TMP/v2bad" --origin "$ORIGIN" --format 3
expect 2 "a version-2 scenario name with format 1" -- "$PY" "$IVL" write "$TMP/v2bad" --origin "$ORIGIN" --scenario expired

echo "== format version 2: tamperings (each must exit 1 naming its rule)"
# tamper2 NAME DESCRIPTION 'FAIL pattern' 'python code' [verify args...]: as tamper, on the v2 ledger; the code may
# also call rechain(i) to recompute seq and prev from line i on (what someone who can write the file but holds no
# key can do: seq, prev and time are in nobody's statement).
tamper2() {
    local name=$1 desc=$2 pat=$3 code=$4
    shift 4
    PYTHONPATH="$HERE" "$PY" - "$L2/ledger.jsonl" "$TMP/t2-$name.jsonl" "$code" <<'PYEOF' || bad "mutation $name crashed"
import base64, json, sys
import ivl
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(src, "rb").read().split(b"\n")[:-1]
raw = None
def rec(i): return json.loads(lines[i - 1])
def put(i, obj): lines[i - 1] = ivl.jcs(obj)
def rechain(i):
    for j in range(i, len(lines) + 1):
        r = rec(j); r["body"]["seq"] = j
        r["body"]["prev"] = ivl.sha256(ivl.jcs(rec(j - 1)["body"])).hex()
        put(j, r)
exec(code)
if raw is None:
    raw = b"".join(l + b"\n" for l in lines)
open(dst, "wb").write(raw)
PYEOF
    expect_msg 1 "^FAIL: $pat" "$desc" -- "$PY" "$IVL" verify "$TMP/t2-$name.jsonl" "$@"
}
CP2=(--checkpoint "$L2/checkpoint")
tamper2 stmtfield "a statement field changed, nothing re-signed -> signature (§12.7 rule 10)" \
    'seq 10: the signature of actor [0-9a-f]{64} does not verify over the statement message' \
    'r = rec(10); r["body"]["statement"]["data"]["text"] = "Evidence room B inspected; one seal broken."; put(10, r)' "${CP2[@]}"
tamper2 cosigfield "the co-signer's signed_at changed -> co-signature (§12.4)" \
    'seq 8: the signature of co-signer [0-9a-f]{64} does not verify over the co-signature message' \
    'r = rec(8); e = [x for x in r["sigs"] if "signed_at" in x][0]; e["signed_at"] = e["signed_at"][:20] + "999Z"; put(8, r)' "${CP2[@]}"
tamper2 reorder "two entries swapped, seq and prev recomputed -> the checkpoint (§12.6)" \
    'checkpoint: root for size 20 does not match' \
    'lines[11], lines[12] = lines[12], lines[11]; a, b = rec(12), rec(13); a["body"]["time"], b["body"]["time"] = b["body"]["time"], a["body"]["time"]; put(12, a); put(13, b); rechain(12)' "${CP2[@]}"
expect_msg 1 '^FAIL: seq 1: not covered by a checkpoint' "the reordered ledger without a checkpoint (§12.6)" -- \
    "$PY" "$IVL" verify "$TMP/t2-reorder.jsonl"
tamper2 retime "entries re-timed a minute later from seq 15 on, prev recomputed -> the checkpoint (§12.6)" \
    'checkpoint: root for size 20 does not match' \
    '[put(j, dict(rec(j), body=dict(rec(j)["body"], time=ivl.fmt_ms(ivl.time_ms(rec(j)["body"]["time"]) + 60000)))) for j in range(15, 21)]; rechain(15)' "${CP2[@]}"
tamper2 droplast "the last entry dropped, its checkpoint kept (§7 rule 11)" \
    'checkpoint: size 20 is larger than the ledger \(19 entries\)' 'del lines[-1]' "${CP2[@]}"
tamper2 dropmid "an entry dropped from the middle, prev recomputed -> the checkpoint" \
    'checkpoint: size 20 is larger than the ledger' 'del lines[14]; rechain(15)' "${CP2[@]}"
tamper2 nosignedat "the co-signer's signed_at removed (§12.4)" \
    'seq 8: the sigs element of co-signer [0-9a-f]{64} has no signed_at' \
    'r = rec(8); [x.pop("signed_at") for x in r["sigs"] if "signed_at" in x]; put(8, r)' "${CP2[@]}"
tamper2 actorsignedat "signed_at added to the actor's element (§12.4)" \
    'seq 10: the sigs element of [0-9a-f]{64} carries signed_at' \
    'r = rec(10); r["sigs"][0]["signed_at"] = r["body"]["time"]; put(10, r)' "${CP2[@]}"
tamper2 nogenesis "genesis removed from seq 3 (§12.2)" 'seq 3: statement members are wrong' \
    'r = rec(3); del r["body"]["statement"]["genesis"]; put(3, r)' "${CP2[@]}"
tamper2 genesis1 "genesis added to seq 1 (§12.2)" 'seq 1: statement members are wrong' \
    'r = rec(1); r["body"]["statement"]["genesis"] = "0" * 64; put(1, r)' "${CP2[@]}"
tamper2 stmtv "statement.v 1 (§12.2)" 'seq 4: statement.v is 1, not 2' \
    'r = rec(4); r["body"]["statement"]["v"] = 1; put(4, r)' "${CP2[@]}"
tamper2 bodyextra "an extra body member (§12.3)" 'seq 4: body members are wrong for format version 2' \
    'r = rec(4); r["body"]["ledger"] = r["body"]["statement"]["ledger"]; put(4, r)' "${CP2[@]}"
tamper2 badsignedat "a co-signer signed_at that is not the 24-character form (§12.4)" 'seq 8: sigs\[[01]\]\.signed_at' \
    'r = rec(8); e = [x for x in r["sigs"] if "signed_at" in x][0]; e["signed_at"] = e["signed_at"][:19] + "Z"; put(8, r)' "${CP2[@]}"
tamper2 v1body "seq 1 made v1-looking in a v2 file: every body must carry seq 1's v (§12.1)" 'seq 2: body members are wrong' \
    'lines[0] = ivl.jcs(json.loads(open(sys.argv[1].replace("/v2/", "/base/"), "rb").readline()))' "${CP2[@]}"

# Validly signed v2 ledgers (with a checkpoint covering them) that break one §12 rule at seq 11.
scenario2() {  # scenario2 NAME 'expected FAIL text (grep -E)'
    local name=$1 want=$2
    "$PY" "$IVL" write "$TMP/sc2-$name" --origin "$ORIGIN" --format 2 --scenario "$name" >/dev/null \
        || { bad "write --format 2 --scenario $name"; return; }
    expect_msg 1 "^FAIL: $want" "v2 scenario $name" -- \
        "$PY" "$IVL" verify "$TMP/sc2-$name/ledger.jsonl" --checkpoint "$TMP/sc2-$name/checkpoint"
}
scenario2 genesis-other-ledger  'seq 11: statement.genesis is not the body hash of seq 1'
scenario2 stream-prev-body-hash 'seq 11: stream_prev does not match the statement hash .*\(it is the body hash'
scenario2 signed-in-future      'seq 11: statement.signed_at .* is more than 5 minutes after the entry.s time'
scenario2 signed-before-head    'seq 11: statement.signed_at .* is more than 5 minutes before the time .* of the previous entry of stream ledger'
scenario2 expired               'seq 11: the entry.s time .* is after statement.expires'
scenario2 expires-too-late      'seq 11: statement.expires .* is more than 30 days after statement.signed_at'
scenario2 cosigner-no-signed-at 'seq 11: the sigs element of co-signer [0-9a-f]{64} has no signed_at'
scenario2 cosigner-late         'seq 11: the signed_at .* of co-signer [0-9a-f]{64} is more than 5 minutes after'
scenario2 actor-signed-at       'seq 11: the sigs element of [0-9a-f]{64} carries signed_at'
scenario2 cosig-entry-message   'seq 11: the signature of co-signer [0-9a-f]{64} does not verify over the co-signature message'
scenario2 v1-record             'seq 11: body members are wrong for format version 2'
scenario2 record-65536          'seq 11: record is 65536 bytes, more than 65535'

echo "== format version 2: receipts (FORMAT.md §12.9)"
R="$TMP/receipts"
mkdir -p "$R"
PYTHONPATH="$TMP" "$PY" - "$L2" "$L" "$R" <<'PYEOF' || bad "generating receipts"
import base64, json, os, sys
from tlog_gen import path, leaf
L2, L1, R = sys.argv[1:4]
def put(name, data):
    with open(os.path.join(R, name), "wb") as f: f.write(data.encode() if isinstance(data, str) else data)
recs = open(os.path.join(L2, "ledger.jsonl"), "rb").read().split(b"\n")[:-1]
cp = open(os.path.join(L2, "checkpoint")).read()
hs = [leaf(r) for r in recs]
def proof(i, extra=None, index=None):
    return ("c2sp.org/tlog-proof@v1\n" + ("extra %s\n" % base64.b64encode(extra).decode() if extra is not None else "")
            + "index %d\n" % (i if index is None else index)
            + "".join(base64.b64encode(h).decode() + "\n" for h in path(i, hs)) + "\n" + cp)
put("receipt.8", proof(7, recs[7]))
put("rec.8", recs[7] + b"\n")
put("plain.8", proof(7))
put("receipt-other", proof(7, recs[8]))
put("receipt-index", proof(7, recs[8], index=8))
r = json.loads(recs[7]); del r["body"]["statement"]["genesis"]
put("receipt-form", proof(7, json.dumps(r, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()))
put("receipt-crlf", proof(7, recs[7] + b"\n"))
# A version-1 receipt: the extra line of a proof over a v1 ledger (its own checkpoint) carries a v1 record.
recs1 = open(os.path.join(L1, "ledger.jsonl"), "rb").read().split(b"\n")[:-1]
cp1 = open(os.path.join(L1, "checkpoint")).read()
hs1 = [leaf(x) for x in recs1]
put("receipt-v1.3", "c2sp.org/tlog-proof@v1\nextra %s\nindex 2\n" % base64.b64encode(recs1[2]).decode()
    + "".join(base64.b64encode(h).decode() + "\n" for h in path(2, hs1)) + "\n" + cp1)
PYEOF
expect_msg 0 "^OK: seq 8 \(index 7\) .*size 20.*the record is the receipt's" "a receipt (record in the extra line), no --entry" -- \
    pv "$R/receipt.8" --vkey "$L2/log.vkey"
expect 0 "a receipt with --entry of the same record" -- pv "$R/receipt.8" --entry "$R/rec.8" --vkey "$L2/log.vkey"
expect 0 "a plain proof of a v2 record with --entry" -- pv "$R/plain.8" --entry "$R/rec.8" --vkey "$L2/log.vkey"
expect 0 "a version-1 receipt (v1 record form)" -- pv "$R/receipt-v1.3" --vkey "$L/log.vkey"
expect_msg 1 '^FAIL: proof: index 7 is not the record.s seq 9 - 1' "a receipt carrying another record (seq 9)" -- \
    pv "$R/receipt-other" --vkey "$L2/log.vkey"
expect_msg 1 '^FAIL: proof: the proof does not lead' "a receipt of seq 9 with the path of seq 8" -- \
    pv "$R/receipt-index" --vkey "$L2/log.vkey"
expect_msg 1 '^FAIL: record: statement members are wrong' "a receipt whose record breaks the v2 record form" -- \
    pv "$R/receipt-form" --vkey "$L2/log.vkey"
expect_msg 1 '^FAIL: record breaks the JSON profile' "a receipt whose record ends in a newline" -- \
    pv "$R/receipt-crlf" --vkey "$L2/log.vkey"
expect 1 "a receipt checked with another log's vkey" -- pv "$R/receipt.8" --vkey "$TMP/v2cp7/log.vkey"
expect 2 "a plain proof without --entry (not a receipt)" -- pv "$R/plain.8" --vkey "$L2/log.vkey"

# ---------------------------------------------------------------- 6. tools/verify_bundle.py over version-2 bundles
echo "== verify_bundle.py: version-2 bundles (FORMAT.md §11 with §12 records)"
VB="$HERE/../verify_bundle.py"
B="$TMP/bundles"
mkdir -p "$B"
# make_bag.py OUT VARIANT: a v2 ledger from ivl's writer (its log key kept in this process), disclosed as the
# selection `items EV-1` of §11.4 at the checkpoint of the whole ledger, laid out as the bag of §11.1. The report,
# graph and VERIFY.md are placeholders: verify_bundle.py only hashes them. VARIANT changes one thing before the
# manifests are computed, so only the rule under test can fail.
cat > "$TMP/make_bag.py" <<'PYEOF'
import base64, hashlib, json, os, sys, types
import ivl
out, variant = sys.argv[1], sys.argv[2]
origin = "ledger.example.org/bundle-v2"
log_priv = ivl.Ed25519PrivateKey.generate(); log_pk = ivl.raw_public(log_priv); vkey = ivl.make_vkey(origin, log_pk)
w = ivl.Writer2(origin)
w.log_keys = [(1, log_priv, log_pk, vkey)]
# VARIANT custody[:SCENARIO]: the ledger of `write --format 2 --custody [--scenario SCENARIO]` (section 7).
custody = variant.startswith("custody")
# VARIANT rotated[-…]: seq 11 rotates the log key (§12.10, section 8); the checkpoint and disclosure are signed by the
# new key, and the bag carries the rotation besides entry 1.
rotated = variant.startswith("rotated")
recs = ivl.plan_v2(types.SimpleNamespace(scenario=(variant[8:] or None) if custody else None, with_finding=False,
                                         entries=14, custody=custody, rotate_log_key=rotated), w, {"log_vkey": vkey})
signer = w.log_keys[0] if variant == "rotated-old-key" else w.log_keys[-1]
if rotated:
    open(out + ".vkey2", "w").write(w.log_keys[-1][3] + "\n")
bodies = [json.loads(r)["body"] for r in recs]
st = [b["statement"] for b in bodies]
bh = [ivl.sha256(ivl.jcs(b)) for b in bodies]
n = len(recs)
leaves = [ivl.leaf_hash(r) for r in recs]
def sign_note(text):
    return text + "\n" + "\u2014 %s %s\n" % (origin, ivl.b64(ivl.note_key_id(origin, signer[2]) + signer[1].sign(text.encode())))
cp_text = "%s\n%d\n%s\n" % (origin, n, ivl.b64(ivl.merkle_root(leaves)))
# Disclosed: entries 1 and 2, stream item/EV-1, the key streams of every signer of those (a fixpoint, §11.2).
sel = {"item/EV-1"}
need = {s["actor"] for s in st[:2]}
for i, s in enumerate(st):
    if s["stream"] in sel:
        need |= {e["key"] for e in json.loads(recs[i])["sigs"]}
streams = sel | {"key/" + k for k in need}
idx = [i for i in range(n) if i < 2 or st[i]["stream"] in streams
       or st[i]["type"] == ivl.ROTATED and variant != "rotated-drop-rotation"]
heads = {}
for i in idx:
    if i > 0 or st[i]["stream"] in streams:
        heads[st[i]["stream"]] = (st[i]["stream_rev"], bh[i].hex())
heads.pop("ledger", None)
if variant == "head-statement-hash":   # the stated head as the statement hash instead of the body hash
    i = max(j for j in idx if st[j]["stream"] == "item/EV-1")
    heads["item/EV-1"] = (st[i]["stream_rev"], ivl.sha256(ivl.jcs(st[i])).hex())
lines = [recs[i] for i in idx]
if variant == "tamper-statement":      # a disclosed statement changed, nothing re-signed (its proof breaks too)
    k = next(j for j, i in enumerate(idx) if st[i]["type"] == "item.stored")
    r = json.loads(lines[k]); r["body"]["statement"]["data"]["location"] = "Locker 8"; lines[k] = ivl.jcs(r)
if variant == "drop-cosig-signed-at":
    k = next(j for j, i in enumerate(idx) if st[i]["type"] == "item.seized")
    r = json.loads(lines[k]); [e.pop("signed_at") for e in r["sigs"] if "signed_at" in e]; lines[k] = ivl.jcs(r)
def path(i, hs):
    if len(hs) <= 1: return []
    k = 1
    while k * 2 < len(hs): k *= 2
    return path(i, hs[:k]) + [ivl.merkle_root(hs[k:])] if i < k else path(i - k, hs[k:]) + [ivl.merkle_root(hs[:k])]
proofs = [ivl.jcs({"hashes": [h.hex() for h in path(i, leaves)], "index": i, "seq": i + 1, "tree_size": n})
          for i in idx]
disc = "custody-ledger/v1 disclosure\n%s\n%d\nitems EV-1\n" % (origin, n) + "".join(
    "%s %d %s\n" % (s, heads[s][0], heads[s][1]) for s in sorted(heads, key=lambda x: x.encode()))
files = {
    "data/ledger/checkpoint": sign_note(cp_text).encode(),
    "data/ledger/entries.jsonl": b"".join(l + b"\n" for l in lines),
    "data/ledger/proofs.jsonl": b"".join(p + b"\n" for p in proofs),
    "data/ledger/disclosure": sign_note(disc).encode(),
    "data/report/custody-report.html": b"<!doctype html><title>placeholder</title>\n",
    "data/case/custody.jsonld": b"{}\n",
    "data/VERIFY.md": b"placeholder\n",
}
# VARIANT disclosure-v2[-…]: a version-2 statement (FORMAT.md §11.4) naming who exported the bag, when, and the
# SHA-256 of every other payload file; the suffix changes one thing after it was signed.
if variant.startswith("disclosure-v2"):
    others = {p: d for p, d in files.items() if p != "data/ledger/disclosure"}
    who = "DS Jane \u202eRoe" if variant == "disclosure-v2-bad-exporter" else "DS Jane Roe"
    disc = disc.replace("custody-ledger/v1 disclosure", "custody-ledger/v2 disclosure").replace(
        "items EV-1\n", "items EV-1\nexported 2024-06-01T10:00:00Z by %s\n" % who)
    disc += "".join("file %s %s\n" % (hashlib.sha256(others[p]).hexdigest(), p)
                    for p in sorted(others, key=lambda x: x.encode()))
    files["data/ledger/disclosure"] = sign_note(disc).encode()
    if variant == "disclosure-v2-edited-report":
        files["data/report/custody-report.html"] = b"<!doctype html><title>edited</title>\n"
    if variant == "disclosure-v2-added-file":
        files["data/report/targets.csv"] = b"target\r\n"
    if variant == "disclosure-v2-second-sig":
        note = files["data/ledger/disclosure"].decode()
        files["data/ledger/disclosure"] = (note + note.rstrip("\n").split("\n")[-1] + "\n").encode()
payload = sorted(files)
size = sum(len(files[p]) for p in payload)
files["bagit.txt"] = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
files["bag-info.txt"] = ("Source-Organization: Example Agency\nBagging-Date: 2024-06-01\nExternal-Identifier: items EV-1\n"
    "Payload-Oxum: %d.%d\nLedger-Origin: %s\nLedger-Log-Key: %s\nCheckpoint-Size: %d\nCheckpoint-Root: %s\n"
    "Bag-Software-Agent: ivl selftest\n" % (size, len(payload), origin, w.log_keys[-1][3] if variant == "rotated-info-new-key"
                                              else vkey, n, cp_text.split("\n")[2])).encode()
H = lambda b: hashlib.sha256(b).hexdigest()
files["manifest-sha256.txt"] = "".join("%s  %s\n" % (H(files[p]), p) for p in payload).encode()
files["tagmanifest-sha256.txt"] = "".join("%s  %s\n" % (H(files[p]), p)
                                          for p in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")).encode()
for p, data in files.items():
    os.makedirs(os.path.dirname(os.path.join(out, p)) or out, exist_ok=True)
    open(os.path.join(out, p), "wb").write(data)
open(out + ".vkey", "w").write(vkey + "\n")
PYEOF
for variant in good tamper-statement drop-cosig-signed-at head-statement-hash disclosure-v2 \
        disclosure-v2-edited-report disclosure-v2-added-file disclosure-v2-second-sig disclosure-v2-bad-exporter; do
    PYTHONPATH="$HERE" "$PY" "$TMP/make_bag.py" "$B/$variant" "$variant" || bad "make_bag $variant"
done
expect_msg 0 '^OK: bundle verified' "a v2 bundle (items EV-1: co-signed item.seized, item.stored, three key streams) verifies" -- \
    "$PY" "$VB" "$B/good" --trust-log-key "$B/good.vkey"
expect_msg 0 'format version 2' "verify_bundle.py names format version 2 in its entries check" -- \
    "$PY" "$VB" "$B/good" --trust-log-key "$B/good.vkey"
expect_msg 1 'the signature of [0-9a-f]{64} does not verify' "v2 bundle: a statement changed, nothing re-signed" -- \
    "$PY" "$VB" "$B/tamper-statement" --trust-log-key "$B/tamper-statement.vkey"
expect_msg 1 'exactly the co-signer.s element carries it' "v2 bundle: the co-signer's signed_at removed" -- \
    "$PY" "$VB" "$B/drop-cosig-signed-at"
expect_msg 1 'stream item/EV-1: the body hash of rev 2 is not the stated' \
    "v2 bundle: a disclosure naming the head's statement hash (§11.4 says body hash)" -- "$PY" "$VB" "$B/head-statement-hash"
expect 1 "v2 bundle pinned to another log key" -- "$PY" "$VB" "$B/good" --trust-log-key "$B/tamper-statement.vkey"
expect_msg 0 'version 2: exported 2024-06-01T10:00:00Z by DS Jane Roe' \
    "a version-2 disclosure statement (exported line, file lines) verifies (§11.4)" -- "$PY" "$VB" "$B/disclosure-v2"
expect_msg 1 'custody-report.html was changed after export' \
    "disclosure v2: a report edited after signing, manifests recomputed" -- "$PY" "$VB" "$B/disclosure-v2-edited-report"
expect_msg 1 'targets.csv is not listed in the signed disclosure statement' \
    "disclosure v2: a payload file added after signing" -- "$PY" "$VB" "$B/disclosure-v2-added-file"
expect_msg 1 'carries 2 signature lines' \
    "disclosure v2: a second signature line on the statement" -- "$PY" "$VB" "$B/disclosure-v2-second-sig"
expect_msg 1 'the exporter .* hidden characters' \
    "disclosure v2: an exporter with a bidi override" -- "$PY" "$VB" "$B/disclosure-v2-bad-exporter"

# ---------------------------------------------------------------- 7. the custody rows of the type table
echo "== custody rows of the type table (FORMAT.md §5, EVENTS.md): ivl.py verify (v1, v2) and verify_bundle.py"
FX="$HERE/fixtures"
# 7a. Exports of ledgers made by the Swift tool (fixtures/make-fixtures.sh): every custody type, co-signed
#     item.seized and item.disposed, a correction, a revoked witness key.  The tool verifies them with no finding.
for f in 1 2; do
    expect_msg 0 '^OK: 43 entries' "the ledger tool's v$f export with every custody row verifies (pinned, checkpoint)" -- \
        "$PY" "$IVL" verify "$FX/custody-v$f/ledger.jsonl" --checkpoint "$FX/custody-v$f/checkpoint" \
        --trust-log-key "$FX/custody-v$f/log.vkey" --findings-exit-3
done
cat > "$TMP/types.py" <<'PYEOF'
import json, sys
want = set("""case.opened case.agency-joined case.closed target.identified target.verified target.false-positive
target.notified takedown.requested takedown.confirmed takedown.not-actioned target.reappeared item.seized item.acquired
custody.released custody.received custody.release-cancelled custody.receipt-refused custody.lost custody.reassigned
item.checked-out item.checked-in item.stored item.sealed item.unsealed item.examined item.disposed entry.corrected
note.added""".split())
for f in sys.argv[1:]:
    seen = set()
    for l in open(f):
        b = json.loads(l)["body"]
        seen.add(b.get("statement", b)["type"])
    if want - seen:
        sys.exit("%s lacks %s" % (f, sorted(want - seen)))
PYEOF
out=$("$PY" "$TMP/types.py" "$FX/custody-v1/ledger.jsonl" "$FX/custody-v2/ledger.jsonl" 2>&1) \
    && ok "both fixtures hold all 28 custody types" || bad "a fixture lacks a custody type" "$out"

# 7b. The fixtures with one data member changed and nothing re-signed: the schema check (§7 rule 8, §12.7 rule 9)
#     comes before the signatures, so the first failure names the schema, at that seq.
cat > "$TMP/ctamper.py" <<'PYEOF'
import json, sys
import ivl
src, dst, typ, code = sys.argv[1:]
out, done = [], False
for line in open(src, "rb").read().split(b"\n")[:-1]:
    r = json.loads(line)
    b = r["body"]
    st = b.get("statement", b)
    if st["type"] == typ and not done:
        d = st["data"]
        exec(code)
        line, done = ivl.jcs(r), True
    out.append(line + b"\n")
assert done, typ
open(dst, "wb").write(b"".join(out))
PYEOF
ctamper() {  # ctamper F TYPE 'python on d (the data) or st' 'expected FAIL text (grep -E)' DESCRIPTION
    local f=$1 typ=$2 code=$3 want=$4 desc=$5 out rc
    PYTHONPATH="$HERE" "$PY" "$TMP/ctamper.py" "$FX/custody-v$f/ledger.jsonl" "$TMP/ct.jsonl" "$typ" "$code" \
        || { bad "ctamper $desc"; return; }
    out=$("$PY" "$IVL" verify "$TMP/ct.jsonl" --checkpoint "$FX/custody-v$f/checkpoint" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -Eq "^FAIL: seq [0-9]+: $want"; then
        ok "v$f fixture, $desc -> exit 1: $out"
    else
        bad "v$f fixture, $desc: expected exit 1 and /FAIL: seq N: $want/, got exit $rc" "$out"
    fi
}
for f in 1 2; do
    ctamper $f item.stored 'd["location"] = 7' 'data.location is not a string' "item.stored location a number"
    ctamper $f case.closed 'd["note"] = "x"' "case.closed data must have the members .*unexpected \\['note'\\]" \
        "case.closed with an extra member"
    ctamper $f custody.released 'del d["purpose"]' "custody.released data .*missing \\['purpose'\\]" \
        "custody.released without purpose"
    ctamper $f note.added 'd["text"] = "x" * 10001' 'data.text must be free text of 1-10000 characters \(has 10001\)' \
        "note.added text over 10,000 characters"
    ctamper $f case.opened 'd["title"] = "y" * 201' 'data.title must be name text of 1-200' "case.opened title over 200"
    ctamper $f item.seized 'd["exhibit"] = "EX\t1"' 'data.exhibit contains a control character' "exhibit with a tab"
    ctamper $f item.seized 'd["photos"] = []' 'data.photos is not a non-empty array' "item.seized with photos []"
    ctamper $f item.seized 'd["serial"] = None' 'data.serial is not a string' "an optional member as null"
    ctamper $f item.acquired 'd["verified"] = "true"' 'data.verified is not true or false' "item.acquired verified a string"
    ctamper $f item.acquired 'd["images"][0]["size"] = -1' 'data.images\[0\]\.size is not an integer' "an image size -1"
    if [ $f = 1 ]; then
        ctamper $f item.acquired 'd["source_hashes"] = [x for x in d["source_hashes"] if x["alg"] != "sha256"]' \
            'data.source_hashes repeats an alg or lacks sha256' "source hashes without sha256"
    else  # EVENTS.md §8: a source hash list need not hold sha256, but its algs are distinct
        ctamper $f item.acquired 'd["source_hashes"] = d["source_hashes"] + d["source_hashes"][:1]' \
            'data.source_hashes repeats an alg$' "source hashes repeating an alg (a source hash list)"
    fi
    ctamper $f target.identified 'd["country"] = "nl"' 'data.country is not an ISO 3166-1' "country in lower case"
    ctamper $f target.identified 'd["asn"] = 4294967296' 'data.asn is not an integer from 1 to 4294967295' "asn 2^32"
    ctamper $f target.identified 'd["kind"] = "email"' 'data.kind is not one of ip, domain, url, server' "target kind email"
    ctamper $f takedown.confirmed 'd["occurred_at"] = "2024-06-01T14:05:00"' 'data.occurred_at is not an RFC 3339' \
        "occurred_at without an offset"
    ctamper $f takedown.not-actioned 'd["reason"] = "busy"' 'data.reason is not one of jurisdiction' \
        "reason not in the enumeration"
    ctamper $f custody.received 'd["seal_intact"] = 1' 'data.seal_intact is not true or false' "seal_intact 1"
    ctamper $f item.checked-out 'd["to"] = "erin/nl"' 'data.to is not a person id' "checked out to a bad person id"
    ctamper $f entry.corrected 'd["corrects"] = 0' 'data.corrects is not an integer from 1' "corrects 0"
    ctamper $f case.agency-joined 'd["agency"] = "A\nB"' 'data.agency contains a control character' \
        "agency with a line feed"
    ctamper $f case.opened 'd["agencies"] = ["NCA", "NCA"]' 'data.agencies\[1\] repeats \[0\]' "an agency twice"
    ctamper $f item.disposed 'd["witness_key"] = d["witness_key"].upper()' 'data.witness_key is not a key id' \
        "witness_key in upper case"
    ctamper $f item.stored 'st["stream"] = "item/EV 1"' '(body|statement)\.stream .* does not match' \
        "a stream with a space"
    # The bounds of EVENTS.md's "Data schemas:" lists that ivl.py used to read as unbounded free text.
    ctamper $f case.closed 'd["reason"] = "r" * 2001' 'data.reason must be free text of 1-2000 characters \(has 2001\)' \
        "case.closed reason over 2000"
    ctamper $f custody.released 'd["courier"] = "c" * 201' 'data.courier must be name text of 1-200 characters' \
        "courier over 200"
    ctamper $f item.sealed 'd["seal"] = "\u00e9" * 101' 'data.seal must be name text of 1-100 characters \(has 101\)' \
        "seal of 101 scalars (202 bytes)"
    ctamper $f item.seized 'd["iccid"] = "8" * 23' 'data.iccid must be name text of 1-22' "iccid over 22"
    ctamper $f item.stored 'd["location"] = "Vault\nC"' 'data.location contains a control character' \
        "a line feed in location (name text)"
    ctamper $f target.notified 'd["reference"] = "AB\t1"' 'data.reference contains a control character' \
        "a tab in a notification reference (name text)"
    ctamper $f entry.corrected 'd["field"] = "f" * 65' 'data.field must be name text of 1-64' "field over 64"
    ctamper $f item.acquired 'd["images"].append(dict(reversed(list(d["images"][0].items()))))' \
        'data.images\[1\] repeats \[0\]' "an image listed twice (members reordered)"
    ctamper $f item.acquired 'd["images"][0]["name"] = "n" * 256' 'data.images\[0\]\.name must be name text of 1-255' \
        "an image name over 255"
    ctamper $f item.seized 'd["photos"] = d["photos"] * 2' 'data.photos\[1\] repeats \[0\]' "a photo listed twice"
    ctamper $f takedown.confirmed 'd["occurred_at"] = "2024-06-01T14:05:00.0000000001+02:00"' \
        'data.occurred_at is not an RFC 3339' "occurred_at with 10 fraction digits"
    ctamper $f target.reappeared 'd["observed_at"] = "2024-06-03T09:00:00+02:60"' \
        'data.observed_at is not a valid RFC 3339' "observed_at with offset minutes 60"
done
# The version-2 rows (EVENTS.md §8, FORMAT.md §12.1): a v1 ledger never follows them, a v2 ledger does for the types
# §8 lists and follows the v1 rows for every other type.
ctamper 1 item.stored 'd["occurred_at"] = "2024-06-03T08:00:00Z"' \
    "item.stored data must have the members location \(missing \[\], unexpected \['occurred_at'\]\)" \
    "occurred_at on item.stored (a member of the version-2 row only)"
ctamper 1 case.closed 'd["override_reason"] = "x"' "case.closed data .*unexpected \['override_reason'\]" \
    "override_reason on case.closed (version-2 row only)"
ctamper 1 item.checked-out 'd["due"] = "2030-06-30T17:00:00Z"' "item.checked-out data .*unexpected \['due'\]" \
    "due on item.checked-out (version-2 row only)"
ctamper 2 custody.received 'd["occurred_at"] = "2024-06-02"' 'data.occurred_at is not an RFC 3339 date-time' \
    "custody.received with a date for occurred_at"
ctamper 2 item.checked-out 'd["due"] = "2030-06-31T17:00:00Z"' 'data.due is not a valid RFC 3339 date and time' \
    "item.checked-out due on 31 June"
ctamper 2 case.closed 'd["override_reason"] = ""' 'data.override_reason must be free text of 1-2000' \
    "case.closed with an empty override_reason"
ctamper 2 item.acquired 'd["images"][0]["hashes"] = [x for x in d["images"][0]["hashes"] if x["alg"] != "sha256"]' \
    'data.images\[0\]\.hashes (repeats an alg or lacks sha256|is not a non-empty hash list)' \
    "an image without its sha256 (image hashes stay a hash list)"
ctamper 2 target.identified 'd["country"] = "Nl"' 'data.country is not an ISO 3166-1' \
    "v2 target.identified with country Nl (no version-2 row: the schema's two capital letters)"
ctamper 2 custody.reassigned 'd["occurred_at"] = "2024-06-03T08:00:00Z"' \
    "custody.reassigned data must have the members to, reason \(missing \[\], unexpected \['occurred_at'\]\)" \
    "occurred_at on custody.reassigned (no version-2 row)"
ctamper 2 item.seized 'd["due"] = "2030-06-30T17:00:00Z"' "item.seized data .*unexpected \['due'\]" \
    "due on item.seized (no version-2 row)"

# 7c. ivl's own writer: one entry of every custody row, valid; then ledgers with one more entry that is validly
#     signed by ivl's keys but breaks one rule of the custody rows, so that check (not a signature) fails.
for f in 1 2; do
    "$PY" "$IVL" write "$TMP/cw$f" --origin "ivl.example/custody-$f" --format $f --custody >/dev/null \
        || bad "write --format $f --custody"
    expect_msg 0 '^OK: 47 entries' "write --format $f --custody (every custody row, co-signed seizure and disposal) verifies" -- \
        "$PY" "$IVL" verify "$TMP/cw$f/ledger.jsonl" --checkpoint "$TMP/cw$f/checkpoint" --trust-log-key "$TMP/cw$f/log.vkey"
done
cscenario() {  # cscenario NAME 'expected FAIL text (grep -E)': both formats
    local name=$1 want=$2 f out rc
    for f in 1 2; do
        if ! "$PY" "$IVL" write "$TMP/cs-$name-$f" --origin "$ORIGIN" --format $f --scenario "$name" >/dev/null; then
            bad "write --format $f --scenario $name"
            continue
        fi
        out=$("$PY" "$IVL" verify "$TMP/cs-$name-$f/ledger.jsonl" --checkpoint "$TMP/cs-$name-$f/checkpoint" 2>&1)
        rc=$?
        if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -Eq "^FAIL: $want"; then
            ok "v$f scenario $name -> exit 1: $out"
        else
            bad "v$f scenario $name: expected exit 1 and /FAIL: $want/, got exit $rc" "$out"
        fi
    done
}
K='[0-9a-f]{64}'
cscenario custody-wrong-type          'seq 48: data.location is not a string'
cscenario custody-extra-member        "seq 48: case.closed data must have the members reason (and optionally override_reason )?\(missing \[\], unexpected \['note'\]\)"
cscenario custody-missing-member      "seq 48: custody.released data .*\(missing \['purpose'\]"
cscenario custody-over-length         'seq 48: data.text must be free text of 1-10000 characters \(has 10001\)'
cscenario custody-name-control        'seq 48: data.exhibit contains a control character'
cscenario custody-bad-enum            'seq 48: data.method is not one of suspended'
cscenario custody-bad-time            'seq 48: data.observed_at is not a valid RFC 3339 date and time'
cscenario custody-bad-hashes          'seq 48: data.images\[0\]\.hashes has an element'
cscenario custody-bad-person          'seq 48: data.to is not a person id'
cscenario custody-bad-asn             'seq 48: data.asn is not an integer from 1 to 4294967295'
cscenario custody-bad-stream          'seq 48: item.stored must be in stream item/<local id> \(is case/OP-1\)'
cscenario custody-stream-not-local-id 'seq 48: note.added must be in stream case/<local id> or target/<local id> or item/<local id>'
cscenario custody-auditor-actor       "seq 48: actor $K does not hold a role allowed for note.added"
cscenario custody-role                "seq 48: actor $K does not hold a role allowed for custody.reassigned \(supervisor\)"
cscenario custody-witness-unsigned    "seq 48: signers are \['$K'\] but the required signers are \['$K', '$K'\]"
cscenario custody-witness-self        "seq 48: the co-signer in data.witness_key must be another key than the actor's"
cscenario custody-witness-revoked     "seq 49: co-signer $K was revoked at seq 48"
cscenario custody-witness-bad-sig     "seq 48: the signature of co-signer $K does not verify over the (entry|co-signature) message"
cscenario custody-extra-signer        "seq 48: signers are \['$K', '$K'\] but the required signers are \['$K'\]"
# One stated bound of EVENTS.md's data schemas each, in entries validly signed by ivl's keys.
cscenario custody-closed-reason-over  'seq 48: data.reason must be free text of 1-2000 characters \(has 2001\)'
cscenario custody-source-over         'seq 48: data.source must be name text of 1-200 characters \(has 201\)'
cscenario custody-reference-tab       'seq 48: data.reference contains a control character \(name text'
cscenario custody-courier-over        'seq 48: data.courier must be name text of 1-200 characters \(has 201\)'
cscenario custody-seal-over           'seq 48: data.seal must be name text of 1-100 characters \(has 101\)'
cscenario custody-imei-over           'seq 48: data.imei must be name text of 1-20 characters \(has 21\)'
cscenario custody-location-lf         'seq 48: data.location contains a control character \(name text'
cscenario custody-image-name-over     'seq 48: data.images\[0\]\.name must be name text of 1-255 characters \(has 256\)'
cscenario custody-report-ref-over     'seq 48: data.report_reference must be name text of 1-200 characters \(has 201\)'
cscenario custody-field-over          'seq 48: data.field must be name text of 1-64 characters \(has 65\)'
cscenario custody-reason-over         'seq 48: data.reason must be free text of 1-2000 characters \(has 2001\)'
cscenario custody-photos-duplicate    'seq 48: data.photos\[1\] repeats \[0\] \(the elements must be distinct\)'
cscenario custody-images-duplicate    'seq 48: data.images\[1\] repeats \[0\] \(the elements must be distinct\)'
cscenario custody-time-fraction       'seq 48: data.occurred_at is not an RFC 3339 date-time'
cscenario custody-time-offset         'seq 48: data.observed_at is not a valid RFC 3339 date and time'

# 7c''. The version-2 rows and rules (EVENTS.md §8) and the seal check at a receipt (§4.1), in ledgers written by ivl:
#      a broken data schema of a version-2 row is an integrity failure (exit 1, FORMAT.md §7); a broken custody
#      rule is a custody finding (the ledger verifies: exit 0, or 3 with --findings-exit-3), reported once, at its
#      seq.  When the Swift tool is built, `ledger verify --jsonl` must give the same exit status (and the finding at
#      the same seq), and accept ivl's own custody ledgers of both formats with no finding.
LEDGER_BIN=${LEDGER:-$HERE/../../.build/debug/ledger}   # optional: the Swift tool, when built
[ -x "$LEDGER_BIN" ] || echo "skip the ledger tool's checks of ivl's custody ledgers (no $LEDGER_BIN; set LEDGER=)"
swift_agrees() {  # swift_agrees DIR STATUS [SEQ]: the ledger tool's verdict on ivl's ledger DIR, when it is built
    local d=$1 want=$2 seq=${3:-} out rc
    [ -x "$LEDGER_BIN" ] || return 0
    out=$("$LEDGER_BIN" verify --jsonl "$d/ledger.jsonl" --checkpoint "$d/checkpoint" 2>&1)
    rc=$?
    if [ $rc -ne "$want" ]; then
        bad "the ledger tool on $(basename "$d"): expected exit $want, got $rc" "$(printf '%s' "$out" | head -3)"
    elif [ -n "$seq" ] && ! printf '%s\n' "$out" | grep -Eq "^ +seq $seq: .*\[custody\]$"; then
        bad "the ledger tool on $(basename "$d"): no custody finding at seq $seq" "$out"
    elif [ -n "$seq" ] && [ "$(printf '%s\n' "$out" | grep -Ec '\[[a-z-]+\]$')" != 1 ]; then
        bad "the ledger tool on $(basename "$d"): not exactly one finding" "$out"
    else
        ok "the ledger tool agrees on $(basename "$d") -> exit $rc${seq:+ (its finding at seq $seq)}"
    fi
}
for f in 1 2; do
    swift_agrees "$TMP/cw$f" 0
done
cscenario1() {  # cscenario1 FORMAT NAME 'expected FAIL text (grep -E)': one format only
    local f=$1 name=$2 want=$3 out rc
    if ! "$PY" "$IVL" write "$TMP/cs-$name-$f" --origin "$ORIGIN" --format $f --scenario "$name" >/dev/null; then
        bad "write --format $f --scenario $name"
        return
    fi
    out=$("$PY" "$IVL" verify "$TMP/cs-$name-$f/ledger.jsonl" --checkpoint "$TMP/cs-$name-$f/checkpoint" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -Eq "^FAIL: $want"; then
        ok "v$f scenario $name -> exit 1: $out"
    else
        bad "v$f scenario $name: expected exit 1 and /FAIL: $want/, got exit $rc" "$out"
    fi
    swift_agrees "$TMP/cs-$name-$f" 1
}
cfinding() {  # cfinding FORMAT NAME SEQ 'expected finding text (grep -E)': verifies, with exactly that one finding
    local f=$1 name=$2 seq=$3 want=$4 out rc n
    if ! "$PY" "$IVL" write "$TMP/cf-$name-$f" --origin "$ORIGIN" --format $f --scenario "$name" >/dev/null; then
        bad "write --format $f --scenario $name"
        return
    fi
    out=$("$PY" "$IVL" verify "$TMP/cf-$name-$f/ledger.jsonl" --checkpoint "$TMP/cf-$name-$f/checkpoint" --findings-exit-3 2>&1)
    rc=$?
    n=$(printf '%s\n' "$out" | grep -c '^finding: ')
    if [ $rc -eq 3 ] && [ "$n" = 1 ] && printf '%s\n' "$out" | grep -Eq "^OK: " \
            && printf '%s\n' "$out" | grep -Eq "^finding: seq $seq: custody: $want"; then
        ok "v$f scenario $name -> exit 3, one custody finding: $(printf '%s\n' "$out" | grep '^finding: ')"
    else
        bad "v$f scenario $name: expected OK, exit 3 and one /finding: seq $seq: custody: $want/, got exit $rc" "$out"
    fi
    expect 0 "v$f scenario $name without --findings-exit-3 (a finding is no integrity failure)" -- \
        "$PY" "$IVL" verify "$TMP/cf-$name-$f/ledger.jsonl" --checkpoint "$TMP/cf-$name-$f/checkpoint"
    swift_agrees "$TMP/cf-$name-$f" 3 "$seq"
}
# §4.1, both versions: a receipt recording seal_intact true with another seal (or none) than the item was released
# under; applied as recorded (in v2 the case then closes with no items-open finding: the item is back in custody).
for f in 1 2; do
    cfinding $f custody-seal-mismatch 51 'custody exception \(EVENTS.md §4.1\): custody.received of item EV-5 records seal_intact true with seal "S-6", but the item was released under seal "S-5"; applied as recorded$'
    cfinding $f custody-seal-missing 51 'custody exception \(EVENTS.md §4.1\): .* with no seal, but the item was released under seal "S-5"'
done
# Version-2 members in a version-1 ledger: the version-1 rows (FORMAT.md §12.1).
cscenario1 1 custody-v1-occurred-at 'seq 48: item.stored data must have the members location \(missing \[\], unexpected \[.occurred_at.\]\)'
cscenario1 1 custody-v1-due 'seq 48: item.checked-out data must have the members to, purpose \(missing \[\], unexpected \[.due.\]\)'
# The version-2 data schemas (§8): each broken once.
cscenario1 2 custody-v2-source-hashes-repeat 'seq 48: data.source_hashes repeats an alg$'
cscenario1 2 custody-v2-image-no-sha256 'seq 48: data.images\[0\]\.hashes repeats an alg or lacks sha256'
cscenario1 2 custody-v2-bad-occurred-at 'seq 48: data.occurred_at is not a valid RFC 3339 date and time'
cscenario1 2 custody-v2-bad-due 'seq 48: data.due is not an RFC 3339 date-time'
cscenario1 2 custody-v2-override-over 'seq 48: data.override_reason must be free text of 1-2000 characters \(has 2001\)'
cscenario1 2 custody-v2-reassigned-occurred-at "seq 48: custody.reassigned data must have the members to, reason \(missing \[\], unexpected \['occurred_at'\]\)"
# The version-2 rules (§8): each broken once, a custody finding; and kept (the close with override_reason).
cfinding 2 custody-act-after-signing 50 'act-after-signing \(EVENTS.md §8\): item.stored data.occurred_at 2099-01-01T00:00:00Z is later than statement.signed_at .* plus 5 minutes'
cfinding 2 custody-items-open 53 'items-open \(EVENTS.md §8\): case.closed of case OP-2 without override_reason while items EV-5 \(checked-out\), EV-6 \(in-transit\) are out'
cfinding 2 custody-witness-required 50 'witness-required \(EVENTS.md §8\): item.disposed of item EV-5 with method destroyed names no witness_key'
# §4 (EVENTS.md §8 names the code same-person), both versions: a seizure's or disposal's witness of the actor's person.
for f in 1 2; do
    cfinding $f custody-witness-same-person 51 "same-person \(EVENTS.md §4\): item.disposed of item EV-5 is witnessed by a key of the actor's own person carol; the entry changes no state\$"
    cfinding $f custody-witness-same-person-seized 50 "same-person \(EVENTS.md §4\): item.seized of item EV-3 is witnessed by a key of the actor's own person carol"
    cfinding $f custody-witness-same-person-returned 51 "same-person \(EVENTS.md §4\): item.disposed of item EV-5 is witnessed by a key of the actor's own person carol"
done
"$PY" "$IVL" write "$TMP/cf-override" --origin "$ORIGIN" --format 2 --scenario custody-items-open-override >/dev/null \
    || bad "write --scenario custody-items-open-override"
expect_msg 0 '^OK: 53 entries' "v2 scenario custody-items-open-override: the close with override_reason has no finding" -- \
    "$PY" "$IVL" verify "$TMP/cf-override/ledger.jsonl" --checkpoint "$TMP/cf-override/checkpoint" --findings-exit-3
swift_agrees "$TMP/cf-override" 0
# EVENTS.md §8, §8.1: a version-2 target's country is one of the listed codes (custody rule unknown-country: a
# finding, the entry changes no state, never an integrity failure); the schema's country stays two capital letters in
# both versions, and version 1 has no such rule.  write --target-country CC: seq 49 the target.
for fc in 2:ZZ 2:XK 2:NL 1:ZZ 1:XK; do
    f=${fc%%:*} c=${fc#*:}
    "$PY" "$IVL" write "$TMP/cc-$f-$c" --origin "$ORIGIN" --format $f --target-country $c >/dev/null \
        || { bad "write --format $f --target-country $c"; continue; }
    if [ $fc = 2:ZZ ]; then
        out=$("$PY" "$IVL" verify "$TMP/cc-$f-$c/ledger.jsonl" --checkpoint "$TMP/cc-$f-$c/checkpoint" --findings-exit-3 2>&1)
        rc=$?
        if [ $rc -eq 3 ] && [ "$(printf '%s\n' "$out" | grep -c '^finding: ')" = 1 ] \
                && printf '%s\n' "$out" | grep -Eq '^OK: 49 entries' \
                && printf '%s\n' "$out" | grep -Eq '^finding: seq 49: custody: unknown-country \(EVENTS\.md §8\): target\.identified of target [^ ]+ has country ZZ, not one of the codes of EVENTS\.md §8\.1'; then
            ok "v2 target.identified with country ZZ -> exit 3, one custody finding: $(printf '%s\n' "$out" | grep '^finding: ')"
        else
            bad "v2 target.identified with country ZZ: expected OK, exit 3 and one unknown-country finding at seq 49, got exit $rc" "$out"
        fi
        expect 0 "v2 country ZZ without --findings-exit-3 (a finding is no integrity failure)" -- \
            "$PY" "$IVL" verify "$TMP/cc-$f-$c/ledger.jsonl" --checkpoint "$TMP/cc-$f-$c/checkpoint"
        swift_agrees "$TMP/cc-$f-$c" 3 49
    else
        expect_msg 0 '^OK: 49 entries' "v$f target.identified with country $c verifies (no finding)" -- \
            "$PY" "$IVL" verify "$TMP/cc-$f-$c/ledger.jsonl" --checkpoint "$TMP/cc-$f-$c/checkpoint" --findings-exit-3
        swift_agrees "$TMP/cc-$f-$c" 0
    fi
done
expect 2 "write --target-country with --scenario" -- "$PY" "$IVL" write "$TMP/cc-x" --origin "$ORIGIN" \
    --target-country NL --scenario custody-role
expect 2 "write --target-country nl (not two capital letters)" -- "$PY" "$IVL" write "$TMP/cc-y" --origin "$ORIGIN" \
    --target-country nl
# act-after-signing at its bound (§8, FORMAT.md §12.5): occurred_at may be signed_at + 5 minutes exactly, in any
# offset; one nanosecond later is a finding; a version-1 ledger has no such rule.
out=$(PYTHONPATH="$HERE" "$PY" - <<'PYEOF' 2>&1
import ivl
def found(occurred_at, version=2, signed_at="2024-06-01T12:00:00.250Z"):
    r = ivl.CustodyReplay()
    r.cases["OP-1"] = True
    r.items["EV-1"] = {"case": "OP-1", "status": "in-custody", "seal": None}
    r.entry(7, version, "item.stored", "item/EV-1", "k", {"location": "l", "occurred_at": occurred_at}, signed_at, {})
    return len(r.found)
cases = [("2024-06-01T12:05:00.25Z", 0), ("2024-06-01T14:05:00.250000000+02:00", 0), ("2024-06-01T12:05:00.250000001Z", 1),
         ("2024-06-01T07:05:00.250000001-05:00", 1), ("2024-06-01T12:04:59Z", 0), ("2024-06-02T00:00:00+13:00", 0),
         ("2024-06-01T12:05:01Z", 1)]
bad = ["%s: %d findings, expected %d" % (t, found(t), n) for t, n in cases if found(t) != n]
if found("2099-01-01T00:00:00Z", version=1, signed_at=None):
    bad.append("a version-1 ledger applies act-after-signing")
print("\n".join(bad) or "%d bounds" % (len(cases) + 1))
PYEOF
)
case $out in *bounds) ok "act-after-signing at its bound: signed_at + 5 min allowed in any offset, 1 ns later a finding; not in v1 ($out)" ;;
    *) bad "act-after-signing bounds" "$out" ;; esac
# The clarified §8 (and §4.1) in the replay: act-after-signing covers item.seized (the seizure is then not made; not in
# v1); override_reason may stand alone (the case closes, no finding); after a seal exception the recipient holds the
# item and its seal stays the one it was released under (both versions).
out=$(PYTHONPATH="$HERE" "$PY" - <<'PYEOF' 2>&1
import ivl
bad, n = [], 0
def replay(version=2):
    r = ivl.CustodyReplay()
    r.cases["OP-1"] = True
    r.items["EV-1"] = {"case": "OP-1", "status": "in-custody", "seal": None}
    return r
S = "2024-06-01T12:00:00.000Z"
seize = {"case": "OP-1", "exhibit": "E", "kind": "phone", "description": "d", "location": "l", "seized_from": "f",
         "legal_authority": "a"}
# act-after-signing covers item.seized: a seizure after signed_at + 5 min is a finding and seizes nothing.
for occurred, want in (("2024-06-01T12:05:00Z", 0), ("2024-06-01T12:05:00.000000001Z", 1)):
    r = replay()
    r.entry(9, 2, "item.seized", "item/EV-2", "k", dict(seize, occurred_at=occurred), S, {})
    if len(r.found) != want or ("EV-2" in r.items) == bool(want):
        bad.append("item.seized occurred_at %s: findings %s, items %s" % (occurred, r.found, sorted(r.items)))
    n += 1
r = replay()
r.entry(9, 1, "item.seized", "item/EV-2", "k", dict(seize, occurred_at="2099-01-01T00:00:00Z"), None, {})
if r.found or "EV-2" not in r.items:
    bad.append("v1 item.seized: act-after-signing applied (%s)" % r.found)
n += 1
# override_reason may stand alone: a close with it and no item out closes the case, no finding.
r = replay()
r.entry(9, 2, "case.closed", "case/OP-1", "k", {"reason": "r", "override_reason": "o"}, S, {})
if r.found or r.cases["OP-1"] is not False:
    bad.append("case.closed with override_reason and no item out: %s, open %s" % (r.found, r.cases["OP-1"]))
n += 1
if ivl.custody_data_problem("case.closed", {"reason": "r", "override_reason": "o"}, 2) is not None:
    bad.append("v2 case.closed refuses a lone override_reason")
n += 1
# After a seal exception the item is held by the recipient and keeps the seal it was released under (§4.1).
for version in (1, 2):
    r = replay()
    r.items["EV-1"].update(status="in-transit", seal="S-5")
    r.entry(9, version, "custody.received", "item/EV-1", "k", {"seal_intact": True, "seal": "S-6", "location": "l"}, S, {})
    if len(r.found) != 1 or r.items["EV-1"] != {"case": "OP-1", "status": "in-custody", "seal": "S-5"}:
        bad.append("v%d seal exception: %s, item %s" % (version, r.found, r.items["EV-1"]))
    n += 1
# A witness of the actor's own person (§4, code same-person; §8 "in either version"): a finding that changes no state,
# for a seizure and for a disposal of any method; a witness of another person is none.
from types import SimpleNamespace as NS
keys = {"k": NS(person="carol"), "k2": NS(person="carol"), "w": NS(person="wendy")}
for version in (1, 2):
    for wk, want in (("k2", 1), ("w", 0)):
        r = replay()
        r.entry(9, version, "item.seized", "item/EV-2", "k", dict(seize, witness_key=wk), S, keys)
        r.entry(10, version, "item.disposed", "item/EV-1", "k", {"method": "released", "authority": "a",
                                                                 "witness_key": wk}, S, keys)
        got = [t.split(":")[1].split()[0] for _, t in r.found]
        if got != ["same-person"] * 2 * want or ("EV-2" in r.items) == bool(want) \
                or r.items["EV-1"]["status"] != ("in-custody" if want else "disposed"):
            bad.append("v%d witness %s: findings %s, items %s" % (version, wk, r.found, r.items))
        n += 1
print("\n".join(bad) or "%d clarifications" % n)
PYEOF
)
case $out in *clarifications) ok "EVENTS.md §8 as clarified: item.seized's occurred_at, a lone override_reason, the seal after an exception, a same-person witness in either version ($out)" ;;
    *) bad "EVENTS.md §8 as clarified" "$out" ;; esac
# The v2 scenarios exist in v2 only, the v1 ones in v1 only.
expect 2 "write --format 1 --scenario custody-items-open (a version-2 rule)" -- \
    "$PY" "$IVL" write "$TMP/cf-x1" --origin "$ORIGIN" --format 1 --scenario custody-items-open
expect 2 "write --format 2 --scenario custody-v1-due (a version-1 row)" -- \
    "$PY" "$IVL" write "$TMP/cf-x2" --origin "$ORIGIN" --format 2 --scenario custody-v1-due

# 7c'. The table against EVENTS.md: every custody type's "Data schemas:" list, rendered from CUSTODY_TYPES in the
#      document's own wording, member by member (kind, bound, optional); then boundary values of every bounded text
#      member (at its maximum: accepted; one scalar over: refused) in both verifiers.
cat > "$TMP/schemas.py" <<'PYEOF'
import re, sys
import ivl
sys.path.insert(0, sys.argv[2])
import verify_bundle as vb
def num(n):
    return {2**53 - 1: "2^53 \u2212 1"}.get(n) or ("{:,}".format(n) if n >= 10000 else str(n))
def render(s):
    k = s[0]
    if k in ("name", "free"):
        return "%s text of 1\u2013%s scalars" % (k, num(s[1]))
    if k == "enum":
        return "one of " + ", ".join("`%s`" % v for v in s[1])
    if k == "int":
        return "an integer from %s to %s" % (num(s[1]), num(s[2]))
    if k == "array":
        return "a non-empty array of distinct elements, each " + render(s[1])
    if k == "object":
        return "an object of exactly {" + "; ".join("`%s` \u2014 %s" % (m, render(x)) for m, x in s[1]) + "}"
    return {"local": "a local id", "person": "a person id", "key": "a key id (64 lowercase hex digits)",
            "country": "an ISO 3166-1 alpha-2 country code (two capital letters)", "time": "a timestamp",
            "bool": "`true` or `false`", "hashes": "a hash list", "srchashes": "a source hash list"}[k]
# The lists "* `type`:" (version 1, §§2-5) and "* `type` (version 2):" (§8), each into its own table.
docs, typ = {1: {}, 2: {}}, None
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.fullmatch(r"\* `([a-z.-]+)`( \(version 2\))?:\n", line)
    if m:
        typ = (2 if m[2] else 1, m[1]); docs[typ[0]][typ[1]] = {}; continue
    m = re.fullmatch(r"  \* (optional )?`([a-z_]+)` \u2014 (.*)\n", line)
    if m and typ:
        docs[typ[0]][typ[1]][m[2]] = (bool(m[1]), m[3])
    elif not line.strip() or not line.startswith("  "):
        typ = None
bad = []
for doc, table, what in ((docs[1], ivl.CUSTODY_TYPES, ""), (docs[2], ivl.CUSTODY_TYPES_V2, " (version 2)")):
    if set(doc) != set(table):
        bad.append("types%s: EVENTS.md %s, table %s" % (what, sorted(set(doc) - set(table)), sorted(set(table) - set(doc))))
    for t, row in table.items():
        mine = {m: (False, render(s)) for m, s in row[3].items()}
        mine.update({m: (True, render(s)) for m, s in row[4].items()})
        for m in sorted(set(mine) | set(doc.get(t, {}))):
            if mine.get(m) != doc.get(t, {}).get(m):
                bad.append("%s%s.%s: EVENTS.md %s, table %s" % (t, what, m, doc.get(t, {}).get(m), mine.get(m)))
    # A version-2 row keeps the version-1 row's streams, roles and co-signer (EVENTS.md §8 changes data and rules).
    for t, row in table.items():
        if row[:3] != ivl.CUSTODY_TYPES[t][:3]:
            bad.append("%s%s: streams, roles or co-signer differ from the version-1 row" % (t, what))
# Boundaries: each top-level text member at its maximum (accepted) and one scalar over (refused), counted in
# scalars of two UTF-8 bytes; a tab (free text: accepted; name text: refused) and a carriage return (refused).
def sample(s):
    return {"name": "x", "free": "x", "local": "L", "person": "p", "key": "0" * 64, "country": "NL",
            "time": "2024-06-01T00:00:00Z", "bool": True, "int": s[1] if s[0] == "int" else None,
            "enum": s[1][0] if s[0] == "enum" else None, "hashes": [{"alg": "sha256", "value": "0" * 64}],
            "srchashes": [{"alg": "md5", "value": "0" * 32}],
            "array": [sample(s[1])] if s[0] == "array" else None,
            "object": {m: sample(x) for m, x in s[1]} if s[0] == "object" else None}[s[0]]
n = 0
for version, table in ((1, ivl.CUSTODY_TYPES), (2, dict(ivl.CUSTODY_TYPES, **ivl.CUSTODY_TYPES_V2))):
    for t, row in table.items():
        base = {m: sample(s) for m, s in row[3].items()}
        for mod in (ivl, vb):
            problem = mod.custody_data_problem(t, base, version)
            if problem is not None:
                bad.append("%s v%d %s: a minimal valid data object fails: %s" % (mod.__name__, version, t, problem))
        for m, s in list(row[3].items()) + list(row[4].items()):
            if s[0] not in ("name", "free"):
                continue
            for v, ok in (("\u00e9" * s[1], True), ("\u00e9" * (s[1] + 1), False), ("a\tb", s[0] == "free"),
                          ("a\rb", False), ("", False)):
                for mod in (ivl, vb):
                    problem = mod.custody_data_problem(t, dict(base, **{m: v}), version)
                    if (problem is None) != ok:
                        bad.append("%s v%d %s.%s = %r...: %s" % (mod.__name__, version, t, m, v[:4], problem))
                    n += 1
# The version-2 members are refused by the version-1 rows (FORMAT.md §12.1: a version-1 ledger never follows a
# version-2 row), and the version-1 row's data of a type with a version-2 row differs as §8 says.
for t, row in ivl.CUSTODY_TYPES_V2.items():
    v2only = (set(row[3]) | set(row[4])) - set(ivl.CUSTODY_TYPES[t][3]) - set(ivl.CUSTODY_TYPES[t][4])
    base = {m: sample(s) for m, s in row[3].items()}
    for m in sorted(v2only):
        for mod in (ivl, vb):
            if mod.custody_data_problem(t, dict(base, **{m: sample(row[4].get(m) or row[3][m])}), 1) is None:
                bad.append("%s v1 %s accepts %s, a member of its version-2 row only" % (mod.__name__, t, m))
            n += 1
for t in ("custody.reassigned", "item.seized", "note.added"):   # no version-2 row: occurred_at stays out of v2 too
    row = ivl.CUSTODY_TYPES[t]
    if t != "item.seized":
        base = dict({m: sample(s) for m, s in row[3].items()}, occurred_at="2024-06-01T00:00:00Z")
        for mod in (ivl, vb):
            if mod.custody_data_problem(t, base, 2) is None:
                bad.append("%s v2 %s accepts occurred_at (it has no version-2 row)" % (mod.__name__, t))
            n += 1
src = {"tool": "t", "tool_version": "1", "verified": True, "images": [{"name": "i", "size": 0, "hashes": sample(("hashes",))}]}
for hashes, ok1, ok2 in (([{"alg": "md5", "value": "0" * 32}, {"alg": "sha1", "value": "0" * 40}], False, True),
                         ([{"alg": "sha1", "value": "0" * 40}, {"alg": "sha1", "value": "1" * 40}], False, False),
                         ([], False, False), (sample(("hashes",)), True, True)):
    for mod in (ivl, vb):
        for version, ok in ((1, ok1), (2, ok2)):
            problem = mod.custody_data_problem("item.acquired", dict(src, source_hashes=hashes), version)
            if (problem is None) != ok:
                bad.append("%s v%d item.acquired source_hashes %s: %s" % (mod.__name__, version, hashes, problem))
            n += 1
    for mod in (ivl, vb):   # each image file keeps a hash list with sha256, in version 2 too
        img = dict(src, source_hashes=hashes or sample(("hashes",)), images=[{"name": "i", "size": 0, "hashes": hashes}])
        if hashes != sample(("hashes",)) and mod.custody_data_problem("item.acquired", img, 2) is None:
            bad.append("%s v2 item.acquired accepts image hashes %s" % (mod.__name__, hashes))
        n += 1
# EVENTS.md §8.1: the list of country codes, read from the document, equals ivl.py's (and verify_bundle.py's)
# CT_COUNTRIES_V2; the schema of target.identified (no version-2 row) accepts any two capital letters in both versions,
# and the replay's rule unknown-country (version 2 only) reports exactly the codes not listed.
text = open(sys.argv[1], encoding="utf-8").read()
sec = text[text.index("\n### 8.1 Country codes\n"):]
sec = sec[:sec.index("\n#", 1)] if "\n#" in sec[1:] else sec
listed = [c for line in sec.splitlines() if line.startswith("`") for c in re.findall(r"`([^`]*)`", line)]
if len(listed) != 250 or len(set(listed)) != 250 or not all(re.fullmatch(r"[A-Z]{2}", c) for c in listed) \
        or "XK" not in listed:
    bad.append("EVENTS.md §8.1 does not list 250 distinct codes of two capital letters, XK among them (%d)" % len(listed))
for mod in (ivl, vb):
    if set(listed) != set(mod.CT_COUNTRIES_V2):
        bad.append("%s.CT_COUNTRIES_V2 differs from EVENTS.md §8.1: only in the document %s, only in the table %s" % (
            mod.__name__, sorted(set(listed) - set(mod.CT_COUNTRIES_V2)), sorted(set(mod.CT_COUNTRIES_V2) - set(listed))))
if "target.identified" in ivl.CUSTODY_TYPES_V2:
    bad.append("target.identified has a version-2 row (EVENTS.md §8: it has none)")
row = ivl.CUSTODY_TYPES["target.identified"]
base = {m: sample(s) for m, s in row[3].items()}
every = ["%c%c" % (a, b) for a in range(65, 91) for b in range(65, 91)] + ["nl", "Nl", "NLD", "", 31, None]
for c in every:
    two = isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c) is not None
    for version in (1, 2):
        for mod in (ivl, vb):
            problem = mod.custody_data_problem("target.identified", dict(base, country=c), version)
            if (problem is None) != two:
                bad.append("%s v%d target.identified country %r: %s" % (mod.__name__, version, c, problem))
            n += 1
        if not two:
            continue
        r = ivl.CustodyReplay()
        r.entry(49, version, "target.identified", "target/T-9", "k", dict(base, country=c), "2024-06-01T00:00:00Z", {})
        want = 1 if version == 2 and c not in listed else 0
        if len(r.found) != want or want and not r.found[0][1].startswith("custody: unknown-country (EVENTS.md §8)"):
            bad.append("replay v%d target.identified country %r: findings %s" % (version, c, r.found))
        n += 1
print("%d boundary checks, %d country codes listed in EVENTS.md §8.1 (compared with CT_COUNTRIES_V2)" % (n, len(listed)))
if bad:
    sys.exit("\n".join(bad))
PYEOF
out=$(PYTHONPATH="$HERE" "$PY" "$TMP/schemas.py" "$HERE/../../docs/EVENTS.md" "$HERE/.." 2>&1) \
    && ok "CUSTODY_TYPES and CUSTODY_TYPES_V2 render to EVENTS.md's data schemas (§§2-5, §8) member by member; $out" \
    || bad "CUSTODY_TYPES and EVENTS.md's data schemas differ" "$out"

# 7d. verify_bundle.py: the same table, and bundles of ivl's v2 custody ledger (selection items EV-1).
cat > "$TMP/sametable.py" <<'PYEOF'
import sys
blocks = []
for f in sys.argv[1:]:
    text = open(f, encoding="utf-8").read()
    a = text.index("# ---- BEGIN custody type table")
    blocks.append(text[a:text.index("# ---- END custody type table ----", a)])
sys.exit(0 if blocks[0] == blocks[1] else 1)
PYEOF
"$PY" "$TMP/sametable.py" "$IVL" "$VB" && ok "ivl.py and verify_bundle.py carry the same custody type table (byte for byte)" \
    || bad "the custody type tables of ivl.py and verify_bundle.py differ"
for variant in custody custody:custody-wrong-type custody:custody-over-length custody:custody-role \
               custody:custody-witness-unsigned custody:custody-courier-over custody:custody-images-duplicate; do
    PYTHONPATH="$HERE" "$PY" "$TMP/make_bag.py" "$B/$variant" "$variant" || bad "make_bag $variant"
done
expect_msg 0 '^OK: bundle verified' "a bundle of the custody ledger (items EV-1: all its custody events) verifies" -- \
    "$PY" "$VB" "$B/custody" --trust-log-key "$B/custody.vkey"
expect_msg 0 'type table and data schemas' "verify_bundle.py names the data schemas in its entries check" -- \
    "$PY" "$VB" "$B/custody"
expect_msg 1 'seq 48\): data.location is not a string' "bundle: item.stored with a number as location (re-signed)" -- \
    "$PY" "$VB" "$B/custody:custody-wrong-type"
expect_msg 1 'seq 48\): data.text must be free text of 1-10000' "bundle: note.added over 10,000 characters (re-signed)" -- \
    "$PY" "$VB" "$B/custody:custody-over-length"
expect_msg 1 'seq 48\): actor [0-9a-f]{64} holds no role allowed for custody.reassigned \(supervisor\)' \
    "bundle: custody.reassigned by a custodian" -- "$PY" "$VB" "$B/custody:custody-role"
expect_msg 1 'seq 48\): signers .* are not the required signers' "bundle: item.disposed without its witness's signature" -- \
    "$PY" "$VB" "$B/custody:custody-witness-unsigned"
expect_msg 1 'seq 48\): data.courier must be name text of 1-200 characters \(has 201\)' \
    "bundle: custody.released with a courier over 200 (re-signed)" -- "$PY" "$VB" "$B/custody:custody-courier-over"
expect_msg 1 'seq 48\): data.images\[1\] repeats \[0\]' "bundle: item.acquired listing an image twice (re-signed)" -- \
    "$PY" "$VB" "$B/custody:custody-images-duplicate"

# ---------------------------------------------------------------- 8. log-key rotation (FORMAT.md §12.10)
echo "== log-key rotation (FORMAT.md §12.10): ivl.py verify, write, proof-verify; verify_bundle.py"
# 8a. ivl's writer: seq 11 rotates the log key once; the checkpoint of the whole ledger is signed by the new key.
LR="$TMP/rot"
"$PY" "$IVL" write "$LR" --origin "$ORIGIN" --format 2 --rotate-log-key >/dev/null || bad "write --format 2 --rotate-log-key"
"$PY" - "$LR/ledger.jsonl" <<'PYEOF' && ok "the rotating writer's seq 11 is ledger.log-key-rotated naming log2.vkey" || bad "rotation ledger shape"
import json, os, sys
st = json.loads(open(sys.argv[1], "rb").read().split(b"\n")[10])["body"]["statement"]
assert st["type"] == "ledger.log-key-rotated" and st["stream"] == "ledger", st
assert st["data"]["log_vkey"] == open(os.path.join(os.path.dirname(sys.argv[1]), "log2.vkey")).read().strip()
PYEOF
expect_msg 0 "^checkpoint: size 20 verified with log key $(cat "$LR/log2.vkey" | sed 's/[+/]/./g')\$" \
    "rotation: the old (seq 1) log key pinned, the checkpoint verified with the new key" -- \
    "$PY" "$IVL" verify "$LR/ledger.jsonl" --checkpoint "$LR/checkpoint" --trust-log-key "$LR/log.vkey"
expect_msg 0 '^log key: rotated at seq 11 to .* \(pinned\)$' "rotation: the new log key pinned (any key of the chain)" -- \
    "$PY" "$IVL" verify "$LR/ledger.jsonl" --checkpoint "$LR/checkpoint" --trust-log-key "$LR/log2.vkey"
expect_msg 1 '^FAIL: the pinned log key .* is none of the ledger.s log keys' "rotation: a key outside the chain pinned" -- \
    "$PY" "$IVL" verify "$LR/ledger.jsonl" --checkpoint "$LR/checkpoint" --trust-log-key "$L2/log.vkey"
for k in 10 11; do   # before the rotation: the old key signs; from the rotation on: the new key
    "$PY" "$IVL" write "$TMP/rotcp$k" --origin "$ORIGIN" --format 2 --rotate-log-key --entries 14 --checkpoint-size $k >/dev/null
    head -n $k "$TMP/rotcp$k/ledger.jsonl" > "$TMP/rotcp$k/head.jsonl"
    want=$([ $k = 10 ] && echo log.vkey || echo log2.vkey)
    expect_msg 0 "^checkpoint: size $k verified with log key $(sed 's/[+/]/./g' "$TMP/rotcp$k/$want")\$" \
        "rotation: the checkpoint of size $k is signed by the key in force at $k ($want)" -- \
        "$PY" "$IVL" verify "$TMP/rotcp$k/head.jsonl" --checkpoint "$TMP/rotcp$k/checkpoint"
done
if [ -x "$LEDGER_BIN" ]; then   # (LEDGER_BIN: section 7c'')
    for k in log.vkey log2.vkey; do
        expect 0 "the ledger tool accepts ivl's rotated ledger ($k pinned)" -- \
            "$LEDGER_BIN" verify --jsonl "$LR/ledger.jsonl" --checkpoint "$LR/checkpoint" --trust-log-key "$(cat "$LR/$k")"
    done
    "$PY" "$IVL" write "$TMP/rotsc" --origin "$ORIGIN" --format 2 --scenario rotation-checkpoint-old-key >/dev/null
    expect 1 "the ledger tool refuses ivl's checkpoint signed by the old key after the rotation" -- \
        "$LEDGER_BIN" verify --jsonl "$TMP/rotsc/ledger.jsonl" --checkpoint "$TMP/rotsc/checkpoint"
else
    echo "skip the ledger tool's checks of ivl's rotated ledger (no $LEDGER_BIN; set LEDGER=)"
fi
expect 2 "--rotate-log-key with format 1" -- "$PY" "$IVL" write "$TMP/rotbad" --origin "$ORIGIN" --rotate-log-key
# 8b. Validly signed v2 ledgers whose seq 11 rotation (or the checkpoint after it) breaks one rule of §12.10.
scenario2 rotation-old-sig-other-key  'seq 11: data.old_key_sig does not verify with the log key in force before this entry \(.*, named at seq 1\)'
scenario2 rotation-new-sig-wrong      'seq 11: data.new_key_sig does not verify with the new log key'
scenario2 rotation-checkpoint-old-key 'checkpoint: size 11 must be signed by the log key in force at 11 \(named at seq 11, .*\), but it is signed by the log key named at seq 1$'
scenario2 rotation-same-key           'seq 11: the new log key is the log key in force \(named at seq 1\)'
scenario2 rotation-not-admin          'seq 11: actor [0-9a-f]{64} does not hold a role allowed for ledger.log-key-rotated \(admin\)'
scenario2 rotation-key-name           "seq 11: the new log key name 'other.example/log' is not the origin"
# 8c. The rotation type in a version-1 ledger (validly signed, by an admin and both log keys).
scenario log-key-rotated 'seq 6: ledger.log-key-rotated is a version-2 type; in a version-1 ledger it is an integrity failure'
# 8d. The ledger tool's export (fixtures/rotation-v2, make-fixtures.sh rotation): rotated at seq 4 (by a second admin)
#     and seq 6; checkpoint of size 7 by the third key, of size 3 by the first; a receipt of seq 7.
FR="$FX/rotation-v2"
for k in 1 2 3; do
    expect_msg 0 '^checkpoint: size 7 verified with log key .*\+0879b493\+' \
        "the ledger tool's twice-rotated ledger with log key $k of the chain pinned" -- \
        "$PY" "$IVL" verify "$FR/ledger.jsonl" --checkpoint "$FR/checkpoint" --trust-log-key "$(sed -n ${k}p "$FR/log-keys")"
done
head -n 3 "$FR/ledger.jsonl" > "$TMP/fr3.jsonl"
expect_msg 0 '^checkpoint: size 3 verified with log key .*\+8cf022aa\+' "the tool's size-3 checkpoint (before the rotations, first key)" -- \
    "$PY" "$IVL" verify "$TMP/fr3.jsonl" --checkpoint "$FR/checkpoint-3"
expect_msg 1 '^FAIL: seq 4: not covered' "the tool's size-3 checkpoint over the whole ledger (§12.6)" -- \
    "$PY" "$IVL" verify "$FR/ledger.jsonl" --checkpoint "$FR/checkpoint-3"
# seq 6's rotation with seq 4's old_key_sig: the admin's statement signature breaks first (nothing re-signed).
PYTHONPATH="$HERE" "$PY" - "$FR/ledger.jsonl" "$TMP/fr-swap.jsonl" <<'PYEOF' || bad "fr-swap"
import json, sys
import ivl
ls = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
r4, r6 = json.loads(ls[3]), json.loads(ls[5])
r6["body"]["statement"]["data"]["old_key_sig"] = r4["body"]["statement"]["data"]["old_key_sig"]
ls[5] = ivl.jcs(r6)
open(sys.argv[2], "wb").write(b"".join(l + b"\n" for l in ls))
PYEOF
expect_msg 1 '^FAIL: seq 6: the signature of actor' "the tool's seq 6 rotation with another old_key_sig (not re-signed)" -- \
    "$PY" "$IVL" verify "$TMP/fr-swap.jsonl" --checkpoint "$FR/checkpoint"
expect_msg 0 '^OK: seq 7 \(index 6\) .*size 7.*the record is the receipt' "the tool's receipt, checked with the rotated (third) key" -- \
    pv "$FR/receipt-7" --vkey "$(sed -n 3p "$FR/log-keys")"
expect_msg 1 '^FAIL: checkpoint: the note is not signed by a known key' "the tool's receipt checked with the first (seq 1) key" -- \
    pv "$FR/receipt-7" --vkey "$(sed -n 1p "$FR/log-keys")"
# 8e. A receipt over ivl's rotated ledger: its checkpoint is the new key's.
"$PY" - "$LR" "$R" "$TMP" <<'PYEOF' || bad "rotation receipt"
import base64, os, sys
LR, R = sys.argv[1:3]
sys.path.append(sys.argv[3])   # after the standard library: $TMP also holds a types.py (section 7)
from tlog_gen import path, leaf
recs = open(os.path.join(LR, "ledger.jsonl"), "rb").read().split(b"\n")[:-1]
cp = open(os.path.join(LR, "checkpoint")).read()
hs = [leaf(r) for r in recs]
for i in (10, 15):   # the rotation itself (seq 11) and an entry after it (seq 16)
    open(os.path.join(R, "rot-receipt.%d" % (i + 1)), "w").write(
        "c2sp.org/tlog-proof@v1\nextra %s\nindex %d\n" % (base64.b64encode(recs[i]).decode(), i)
        + "".join(base64.b64encode(h).decode() + "\n" for h in path(i, hs)) + "\n" + cp)
PYEOF
for s_ in 11 16; do
    expect_msg 0 "^OK: seq $s_ .*size 20" "receipt of seq $s_ in ivl's rotated ledger, --vkey of the new key" -- \
        pv "$R/rot-receipt.$s_" --vkey "$LR/log2.vkey"
done
expect 1 "receipt of seq 16 in ivl's rotated ledger, --vkey of the old key" -- pv "$R/rot-receipt.16" --vkey "$LR/log.vkey"
# 8f. verify_bundle.py: a v2 bundle (items EV-1) of a ledger rotated at seq 11, carrying that rotation.
for variant in rotated rotated-drop-rotation rotated-old-key rotated-info-new-key; do
    PYTHONPATH="$HERE" "$PY" "$TMP/make_bag.py" "$B/$variant" "$variant" || bad "make_bag $variant"
done
expect_msg 0 '^OK: bundle verified' "a v2 bundle carrying a log-key rotation, entry 1's key pinned" -- \
    "$PY" "$VB" "$B/rotated" --trust-log-key "$B/rotated.vkey"
expect_msg 0 '^log key: .*rotated at seq 11 to .* \(pinned\)' "the same bundle with the new key pinned" -- \
    "$PY" "$VB" "$B/rotated" --trust-log-key "$B/rotated.vkey2"
expect_msg 1 'pinned key .* is none of the bundle.s log keys' "the rotated bundle pinned to another ledger's key" -- \
    "$PY" "$VB" "$B/rotated" --trust-log-key "$B/good.vkey"
expect_msg 1 '^FAILED: checkpoint: no signature by the log key ledger.example.org/bundle-v2$' \
    "a rotated bundle without its rotation entry (§12.10: bundles carry every rotation)" -- "$PY" "$VB" "$B/rotated-drop-rotation"
expect_msg 1 '^FAILED: checkpoint: no signature by the log key .*named at seq 11' \
    "a rotated bundle whose checkpoint and disclosure are signed by the old key" -- "$PY" "$VB" "$B/rotated-old-key"
expect_msg 1 '^FAILED: bag-info.txt: Ledger-Log-Key' "a rotated bundle whose Ledger-Log-Key names the new key (stays entry 1's)" -- \
    "$PY" "$VB" "$B/rotated-info-new-key"

echo
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
