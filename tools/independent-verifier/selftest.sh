#!/usr/bin/env bash
# Self-test of the independent custody-ledger v1 verifier (ivl.py).
#   1. primitives against the shared vectors (Merkle, signed note, cosigned checkpoint, JCS, JSON profile, Ed25519 keys)
#   2. write -> verify round trips (several sizes, with a pinned log key and the checkpoint)
#   3. tamperings and rule-breaking scenarios, each of which must make `verify` exit 1
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

echo
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
