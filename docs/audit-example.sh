#!/usr/bin/env bash
# Worked example of docs/FORMAT.md §10: auditing a custody ledger by hand.
#
# Part 1 builds a tiny ledger with the `ledger` tool: 4 entries, a signed checkpoint, a JSON Lines export.
# Part 2 checks it WITHOUT the tool, with openssl (3.0 or later), sha256sum, base64, xxd, od, sed, tr, grep,
# cut, head, tail, wc and printf only, printing each command (`$ …`) before the results:
#   steps 1-3  cut out every body; the hash chain (body hash of seq N = prev of seq N+1; seq 1's prev is 0…0)
#   step 4     every actor's Ed25519 signature over the entry message
#   step 5     the new key's proof of possession (key-request message) in the key.registered at seq 3
#   steps 6-7  the leaf hashes and the Merkle root, against the checkpoint's root
#   step 8     the checkpoint's signature by the log key named in seq 1, and that key's key ID
#   step 9     a one-byte change in a copy of line 4 is caught
# Part 3 builds a version-2 ledger (FORMAT.md §12) in the subfolder v2/: 6 entries, the last a seizure signed
# away from the ledger (`ledger head`, `ledger sign`), co-signed by a witness (`ledger cosign`) and recorded
# with a receipt (`ledger submit --receipt`); then a checkpoint and a JSON Lines export.
# Part 4 checks it the same way, with the same tools (and bash's read and arithmetic):
#   steps 10-11  the bodies and the hash chain, as steps 1-3 (a version-2 body has five members)
#   step 12      cut out every statement; its hash; genesis = body hash of seq 1; the stream chain (stream_prev
#                = the statement hash of the stream's previous entry)
#   step 13      every actor's signature over the statement message
#   step 14      the key-request signature of the key registered at seq 3
#   step 15      the witness's co-signature (co-signature message, with its own signed_at) at seq 6
#   steps 16-17  the Merkle root against checkpoint.txt (of all 6 entries), its log signature and key ID
#   step 18      the receipt: its extra line is the record of seq 6, its index seq − 1, its checkpoint signed by
#                the log key, and its inclusion proof leads to that checkpoint's root
#   step 19      a one-byte change in a copy of line 6's statement is caught
# Exit status: 0 when every check passes; 1 with "FAIL: …" on the first failed check; 2 when the `ledger`
# binary is missing. CI runs this script so that FORMAT.md §10 stays true: keep the two in step.
#
# Usage: docs/audit-example.sh     (uses $LEDGER, else `ledger` on PATH, else ../.build/debug/ledger)
#        LEDGER=/path/to/ledger docs/audit-example.sh
set -euo pipefail
export LC_ALL=C                       # sed, tr, grep and cut work on bytes
unset LEDGER_PATH LEDGER_PASSPHRASE   # the demo ledger lives in the temporary folder; its keys are unencrypted

# ---------------------------------------------------------------------------------------------- helpers
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
trap 'printf "FAIL: unexpected error at line %s of %s\n" "$LINENO" "${BASH_SOURCE[0]}" >&2' ERR
step() { printf '\n== %s\n' "$*"; }
show() { printf '   $ %s\n' "$*"; }      # a command exactly as the auditor types it
ok()   { printf '   ok  %s\n' "$*"; }
# hex text on stdin -> raw bytes (xxd -r -p; without xxd, bash's printf '\xHH')
unhex() {
    if command -v xxd > /dev/null 2>&1; then
        xxd -r -p
    else
        local h
        h=$(tr -d ' \n')
        # shellcheck disable=SC2059  # the format is built from hex digits only
        printf "$(printf '%s' "$h" | sed 's/../\\x&/g')"
    fi
}
hex()  { od -An -tx1 -v | tr -d ' \n'; }   # raw bytes on stdin -> lowercase hex
size() { wc -c < "$1" | tr -d ' '; }       # bytes in a file

# --------------------------------------------------------------------------------- the ledger binary
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
is_custody_ledger() { case "$("$1" --help < /dev/null 2>&1 || true)" in *custody*) return 0 ;; *) return 1 ;; esac; }
if [ -z "${LEDGER:-}" ]; then
    # `ledger` on PATH only if it is this tool (ledger-cli, the accounting program, has the same name)
    if command -v ledger > /dev/null 2>&1 && is_custody_ledger "$(command -v ledger)"; then
        LEDGER=$(command -v ledger)
    else
        LEDGER="$here/../.build/debug/ledger"
    fi
fi
case $LEDGER in
    */*) if [ -d "$(dirname "$LEDGER")" ]; then LEDGER="$(cd "$(dirname "$LEDGER")" && pwd)/$(basename "$LEDGER")"; fi ;;
    *) LEDGER=$(command -v "$LEDGER" || printf '%s' "$LEDGER") ;;
esac
if [ ! -f "$LEDGER" ] || [ ! -x "$LEDGER" ]; then
    printf 'audit-example: no ledger binary at %s (build it, or set LEDGER=/path/to/ledger)\n' "$LEDGER" >&2
    exit 2
fi

started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/audit-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# run the tool, indent what it prints; on failure show its output and stop
tool() {
    if "$LEDGER" "$@" > tool.out 2>&1; then
        sed 's/^/     /' tool.out
    else
        sed 's/^/     /' tool.out >&2
        fail "ledger $1 failed"
    fi
}

# =========================================================================== part 1: build a tiny ledger
origin=ledger.example.org/audit-demo
note_text='Evidence locker 7 inspected; all seals intact.'
step "Part 1: build a tiny ledger with the tool ($LEDGER) in a temporary folder"
show "ledger init --format 1 --origin $origin --name 'Ada Admin' --person ada --agency 'Example Agency' --admin-key admin.pem --log-key log.pem"
tool init --format 1 --origin "$origin" --name 'Ada Admin' --person ada --agency 'Example Agency' --admin-key admin.pem --log-key log.pem
show "ledger key generate --out bob.pem --name 'Bob \"Bobby\" Müller' --person bob --agency BKA --origin $origin --request-out bob.request.json"
tool key generate --out bob.pem --name 'Bob "Bobby" Müller' --person bob --agency BKA --origin "$origin" \
    --request-out bob.request.json
show "ledger key register bob.request.json --roles custodian --key admin.pem"
tool key register bob.request.json --roles custodian --key admin.pem
show "ledger append --type ledger.note --stream ledger --data '{\"text\":\"$note_text\"}' --key admin.pem"
tool append --type ledger.note --stream ledger --data "{\"text\":\"$note_text\"}" --key admin.pem
show "ledger checkpoint --log-key log.pem --out checkpoint.txt"
tool checkpoint --log-key log.pem --out checkpoint.txt
show "ledger log --format jsonl > ledger.jsonl"
"$LEDGER" log --format jsonl > ledger.jsonl || fail "ledger log failed"
# From here on: no tool, no database. The auditor has ledger.jsonl and checkpoint.txt.
rm -f custody.ledger custody.ledger-wal custody.ledger-shm tool.out

# ================================================================== part 2: audit by hand, without the tool
step "Part 2: audit ledger.jsonl and checkpoint.txt by hand, without the tool"
printf '   %s\n' "$(openssl version)"
n=$(wc -l < ledger.jsonl | tr -d ' ')
[ "$n" -eq 4 ] || fail "ledger.jsonl has $n lines, expected 4"
[ "$(tail -c 1 ledger.jsonl | hex)" = 0a ] || fail "ledger.jsonl does not end with a newline"
ok "ledger.jsonl has $n lines: line N is the record of seq N"

spki_prefix=302a300506032b6570032100   # DER SubjectPublicKeyInfo header of a raw Ed25519 key (RFC 8410)
zeros=0000000000000000000000000000000000000000000000000000000000000000

step "Steps 1-3: the records, the bodies, the body hashes and the hash chain (prev)"
show "sed -n \"\${N}p\" ledger.jsonl | tr -d '\\n' > record.\$N.json"
show "sed -E 's/^\\{\"body\":(.*),\"sigs\":\\[\\{\"key\".*\$/\\1/' record.\$N.json | tr -d '\\n' > body.\$N.json"
show "sha256sum < body.\$N.json | cut -c1-64"
show "prev=\$(sed -E 's/.*,\"prev\":\"([0-9a-f]{64})\",.*/\\1/' body.\$N.json)"
declare -a bodyhash
for ((N = 1; N <= n; N++)); do
    sed -n "${N}p" ledger.jsonl | tr -d '\n' > "record.$N.json"
    sed -E 's/^\{"body":(.*),"sigs":\[\{"key".*$/\1/' "record.$N.json" | tr -d '\n' > "body.$N.json"
    # the cut is exact: the record is '{"body":' ‖ body ‖ ',"sigs":[{"key"…'
    case $(cat "record.$N.json") in
        "{\"body\":$(cat "body.$N.json"),\"sigs\":[{\"key\""*) ;;
        *) fail "seq $N: could not cut the body out of the record" ;;
    esac
    case $(cat "body.$N.json") in
        "{\"actor\":"*",\"ledger\":\"$origin\",\"prev\":"*",\"seq\":$N,"*) ;;
        *) fail "seq $N: the body does not have \"ledger\":\"$origin\" and \"seq\":$N" ;;
    esac
    bodyhash[N]=$(sha256sum < "body.$N.json" | cut -c1-64)
    prev=$(sed -E 's/.*,"prev":"([0-9a-f]{64})",.*/\1/' "body.$N.json")
    printf '   seq %s  prev      %s\n         body hash %s  (%s of the %s record bytes)\n' \
        "$N" "$prev" "${bodyhash[N]}" "$(size "body.$N.json")" "$(size "record.$N.json")"
    if [ "$N" -eq 1 ]; then
        [ "$prev" = "$zeros" ] || fail "seq 1: prev is not 64 zeros"
    else
        [ "$prev" = "${bodyhash[N - 1]}" ] \
            || fail "seq $N: prev $prev does not match the body hash of seq $((N - 1)), ${bodyhash[N - 1]}"
    fi
done
ok "seq 1's prev is 64 zeros and every later prev is the body hash of the entry before it"

step "Step 4: every actor's signature over the entry message"
show "actor=\$(sed -E 's/^\\{\"actor\":\"([0-9a-f]{64})\",.*/\\1/' body.\$N.json)"
show "grep -l -F \"\\\"stream\\\":\\\"key/\$actor\\\"\" body.*.json      # its key.registered entry: body.\$R.json"
show "public_key=\$(sed -E 's/.*,\"public_key\":\"([A-Za-z0-9+\\/]{43}=)\",.*/\\1/' body.\$R.json)"
show "printf '%s' \"\$public_key\" | base64 -d > pub.\$actor.raw; sha256sum < pub.\$actor.raw   # = \$actor"
show "{ printf '$spki_prefix' | xxd -r -p; cat pub.\$actor.raw; } > pub.\$actor.der"
show "bodyhash=\$(sha256sum < body.\$N.json | cut -c1-64)"
show "printf 'custody-ledger/v1 entry\\n%s\\n' \"\$bodyhash\" > msg.\$N"
show "grep -o \"{\\\"key\\\":\\\"\$actor\\\",\\\"sig\\\":\\\"[^\\\"]*\\\"}\" record.\$N.json | cut -d'\"' -f8 | base64 -d > sig.\$N.bin"
show "openssl pkeyutl -verify -pubin -inkey pub.\$actor.der -keyform DER -rawin -in msg.\$N -sigfile sig.\$N.bin"
# make pub.<key id>.raw and pub.<key id>.der from the key.registered entry of key id $1
pubkey() {
    local key=$1 files R public_key
    files=$(grep -l -F "\"stream\":\"key/$key\"" body.*.json) || fail "key $key is not registered in this ledger"
    [ "$(printf '%s\n' "$files" | wc -l | tr -d ' ')" -eq 1 ] || fail "stream key/$key has more than one entry"
    R=${files#body.}
    R=${R%.json}
    case $(cat "body.$R.json") in
        *",\"type\":\"key.registered\","*) ;;
        *) fail "seq $R: the entry of stream key/$key is not a key.registered" ;;
    esac
    public_key=$(sed -E 's/.*,"public_key":"([A-Za-z0-9+\/]{43}=)",.*/\1/' "body.$R.json")
    printf '%s' "$public_key" | base64 -d > "pub.$key.raw"
    [ "$(size "pub.$key.raw")" -eq 32 ] || fail "seq $R: data.public_key is not 32 bytes"
    [ "$(sha256sum < "pub.$key.raw" | cut -c1-64)" = "$key" ] \
        || fail "seq $R: SHA-256 of data.public_key is not the key id $key"
    { printf '%s' "$spki_prefix" | unhex; cat "pub.$key.raw"; } > "pub.$key.der"
    printf '   key %s… is registered at seq %s: public_key %s (its SHA-256 is the key id)\n' \
        "${key:0:16}" "$R" "$public_key"
}
# the base64 signature by key $2 in record $1
sig_of() { grep -o "{\"key\":\"$2\",\"sig\":\"[^\"]*\"}" "record.$1.json" | cut -d'"' -f8; }
ed25519_verify() {   # public key (DER), message, signature
    openssl pkeyutl -verify -pubin -inkey "$1" -keyform DER -rawin -in "$2" -sigfile "$3" > /dev/null 2>&1
}
for ((N = 1; N <= n; N++)); do
    actor=$(sed -E 's/^\{"actor":"([0-9a-f]{64})",.*/\1/' "body.$N.json")
    type=$(sed -E 's/.*,"type":"([a-z.]+)",.*/\1/' "body.$N.json")
    printf '   seq %s (%s): actor %s…\n' "$N" "$type" "${actor:0:16}"
    if [ ! -f "pub.$actor.der" ]; then pubkey "$actor"; fi
    if [ "$N" -eq 1 ]; then
        printf '   (seq 1 is signed by the first administrator, whose key is registered only at seq 2)\n'
    fi
    printf 'custody-ledger/v1 entry\n%s\n' "${bodyhash[N]}" > "msg.$N"
    sig=$(sig_of "$N" "$actor") || fail "seq $N: sigs has no signature by the actor $actor"
    printf '%s' "$sig" | base64 -d > "sig.$N.bin"
    [ "$(size "sig.$N.bin")" -eq 64 ] || fail "seq $N: the actor's signature is not 64 bytes"
    ed25519_verify "pub.$actor.der" "msg.$N" "sig.$N.bin" \
        || fail "seq $N: the actor's signature does not verify over the entry message"
    ok "seq $N: Signature Verified Successfully (actor's key, entry message of body hash ${bodyhash[N]:0:16}…)"
done

step "Step 5: the new key's own signature in the key.registered at seq 3 (key-request message)"
R=3
show "newkey=\$(sed -E 's/.*,\"key\":\"([0-9a-f]{64})\",.*/\\1/' body.3.json)"
show "agency=\$(sed -E 's/.*[{,]\"agency\":(\"([^\"\\\\]|\\\\.)*\").*/\\1/' body.3.json)   # likewise ledger, name, person, public_key"
show "printf '{\"agency\":%s,\"ledger\":%s,\"name\":%s,\"person\":%s,\"public_key\":%s,\"v\":1}' \"\$agency\" \"\$ledger\" \"\$name\" \"\$person\" \"\$public_key\" > request.json"
show "printf 'custody-ledger/v1 key-request\\n%s\\n' \"\$(sha256sum < request.json | cut -c1-64)\" > keyreq.msg"
show "grep -o \"{\\\"key\\\":\\\"\$newkey\\\",\\\"sig\\\":\\\"[^\\\"]*\\\"}\" record.3.json | cut -d'\"' -f8 | base64 -d > keyreq.sig.bin"
show "openssl pkeyutl -verify -pubin -inkey pub.\$newkey.der -keyform DER -rawin -in keyreq.msg -sigfile keyreq.sig.bin"
case $(cat "body.$R.json") in
    *",\"type\":\"key.registered\","*) ;;
    *) fail "seq $R is not a key.registered" ;;
esac
newkey=$(sed -E 's/.*,"key":"([0-9a-f]{64})",.*/\1/' "body.$R.json")
actor=$(sed -E 's/^\{"actor":"([0-9a-f]{64})",.*/\1/' "body.$R.json")
[ "$newkey" != "$actor" ] || fail "seq $R: the registered key is its own actor"
[ "$(grep -o '{"key":' "record.$R.json" | wc -l | tr -d ' ')" -eq 2 ] \
    || fail "seq $R: sigs does not hold exactly 2 signatures (the administrator's and the new key's)"
# one member of data (or the body) as the JSON string token it is in the record: quotes and escapes kept
member() { sed -E "s/.*[{,]\"$1\":(\"([^\"\\\\]|\\\\.)*\").*/\\1/" "body.$R.json"; }
agency=$(member agency)
ledger=$(member ledger)
name=$(member name)
person=$(member person)
public_key=$(member public_key)
printf '   agency=%s ledger=%s name=%s person=%s\n   public_key=%s\n' "$agency" "$ledger" "$name" "$person" "$public_key"
printf '{"agency":%s,"ledger":%s,"name":%s,"person":%s,"public_key":%s,"v":1}' \
    "$agency" "$ledger" "$name" "$person" "$public_key" > request.json
printf '   request.json: %s\n' "$(cat request.json)"
# (not part of the audit: the request Bob gave the administrator holds the very same bytes)
[ "$(sed -E 's/^\{"request":(.*),"sig":"[^"]*"\}$/\1/' bob.request.json | tr -d '\n')" = "$(cat request.json)" ] \
    || fail "the hand-built request.json differs from the request in bob.request.json"
printf 'custody-ledger/v1 key-request\n%s\n' "$(sha256sum < request.json | cut -c1-64)" > keyreq.msg
pubkey "$newkey"
sig=$(sig_of "$R" "$newkey") || fail "seq $R: sigs has no signature by the registered key $newkey"
printf '%s' "$sig" | base64 -d > keyreq.sig.bin
[ "$(size keyreq.sig.bin)" -eq 64 ] || fail "seq $R: the new key's signature is not 64 bytes"
ed25519_verify "pub.$newkey.der" keyreq.msg keyreq.sig.bin \
    || fail "seq $R: the new key's signature does not verify over the key-request message"
ok "seq $R: Signature Verified Successfully (the new key ${newkey:0:16}…, key-request message)"

step "Steps 6-7: the leaf hashes, the Merkle root of the 4 entries, and the checkpoint's root"
show "(printf '\\x00'; cat record.\$N.json) | sha256sum | cut -c1-64"
show "{ printf '\\x01'; printf '%s%s' \"\$left\" \"\$right\" | xxd -r -p; } | sha256sum | cut -c1-64"
show "cp_root=\$(sed -n 3p checkpoint.txt | base64 -d | od -An -tx1 -v | tr -d ' \\n')"
declare -a leaf
for ((N = 1; N <= n; N++)); do
    leaf[N]=$( (printf '\x00'; cat "record.$N.json") | sha256sum | cut -c1-64)
    printf '   leaf %s (seq %s)  %s\n' "$((N - 1))" "$N" "${leaf[N]}"
done
node() { { printf '\x01'; printf '%s%s' "$1" "$2" | unhex; } | sha256sum | cut -c1-64; }
n01=$(node "${leaf[1]}" "${leaf[2]}")
n23=$(node "${leaf[3]}" "${leaf[4]}")
root=$(node "$n01" "$n23")
printf '   node(0,1)        %s\n   node(2,3)        %s\n   root             %s\n' "$n01" "$n23" "$root"
cp_origin=$(sed -n 1p checkpoint.txt)
cp_size=$(sed -n 2p checkpoint.txt)
cp_root=$(sed -n 3p checkpoint.txt | base64 -d | od -An -tx1 -v | tr -d ' \n')
printf '   checkpoint.txt   origin %s, size %s, root %s\n' "$cp_origin" "$cp_size" "$cp_root"
[ "$cp_origin" = "$origin" ] || fail "checkpoint: origin $cp_origin is not $origin"
[ "$cp_size" = "$n" ] || fail "checkpoint: size $cp_size is not $n"
[ "$cp_root" = "$root" ] || fail "checkpoint at size $cp_size: root $cp_root is not the recomputed root $root"
ok "the checkpoint's root is the root recomputed from the 4 records"

step "Step 8: the checkpoint's signature by the log key of seq 1"
show "log_vkey=\$(sed -E 's/.*\"data\":\\{\"log_vkey\":\"([^\"]*)\"\\}.*/\\1/' body.1.json)"
show "printf '%s' \"\$log_vkey\" | cut -d+ -f3- | base64 -d | tail -c 32 > log.raw   # after 0x01"
show "{ printf '%s\\n' \"\$origin\"; printf '\\x01'; cat log.raw; } | sha256sum | cut -c1-8   # = key ID"
show "{ printf '$spki_prefix' | xxd -r -p; cat log.raw; } > log.der"
show "head -n 3 checkpoint.txt > cpbody.txt"
show "sed -n 5p checkpoint.txt | cut -d' ' -f3 | base64 -d > cpsig.full   # key ID (4) ‖ signature (64)"
show "cp_key_id=\$(head -c 4 cpsig.full | od -An -tx1 -v | tr -d ' \\n')   # = key ID"
show "tail -c 64 cpsig.full > cpsig.bin"
show "openssl pkeyutl -verify -pubin -inkey log.der -keyform DER -rawin -in cpbody.txt -sigfile cpsig.bin"
log_vkey=$(sed -E 's/.*"data":\{"log_vkey":"([^"]*)"\}.*/\1/' body.1.json)
printf '   seq 1 data.log_vkey  %s\n' "$log_vkey"
[ "$(printf '%s' "$log_vkey" | cut -d+ -f1)" = "$origin" ] || fail "seq 1: the log vkey's name is not the origin"
vkey_id=$(printf '%s' "$log_vkey" | cut -d+ -f2)
printf '%s' "$log_vkey" | cut -d+ -f3- | base64 -d > logvkey.bin   # its base64 may contain '+' itself
[ "$(size logvkey.bin)" -eq 33 ] && [ "$(head -c 1 logvkey.bin | hex)" = 01 ] \
    || fail "seq 1: the log vkey's key is not 0x01 followed by 32 bytes"
tail -c 32 logvkey.bin > log.raw
key_id=$( { printf '%s\n' "$origin"; printf '\x01'; cat log.raw; } | sha256sum | cut -c1-8)
[ "$key_id" = "$vkey_id" ] || fail "seq 1: the log vkey's key ID $vkey_id is not SHA-256(origin ‖ \\n ‖ 0x01 ‖ key)[0:4] = $key_id"
ok "key ID $key_id = SHA-256(origin ‖ \\n ‖ 0x01 ‖ key)[0:4], as in the vkey"
{ printf '%s' "$spki_prefix" | unhex; cat log.raw; } > log.der
head -n 3 checkpoint.txt > cpbody.txt
[ "$(sed -n 4p checkpoint.txt)" = "" ] || fail "checkpoint: line 4 is not the blank line that ends the body"
case $(sed -n 5p checkpoint.txt) in
    "— $origin "*) ;;
    *) fail "checkpoint: line 5 is not a signature line '— $origin …'" ;;
esac
sed -n 5p checkpoint.txt | cut -d' ' -f3 | base64 -d > cpsig.full
[ "$(size cpsig.full)" -eq 68 ] || fail "checkpoint: the signature line does not decode to 4 + 64 bytes"
cp_key_id=$(head -c 4 cpsig.full | od -An -tx1 -v | tr -d ' \n')
[ "$cp_key_id" = "$key_id" ] || fail "checkpoint: signed with key ID $cp_key_id, not the log key's $key_id"
tail -c 64 cpsig.full > cpsig.bin
ed25519_verify log.der cpbody.txt cpsig.bin || fail "checkpoint at size $cp_size: the log key's signature does not verify"
ok "Signature Verified Successfully (log key $key_id, over the first three lines of checkpoint.txt)"

step "Step 9: a one-byte change in a copy of line 4 is caught"
show "sed -n 4p ledger.jsonl | tr -d '\\n' | sed 's/locker 7/locker 8/' > tampered.json"
show "tampered_hash=\$(sed -E 's/^\\{\"body\":(.*),\"sigs\":\\[\\{\"key\".*\$/\\1/' tampered.json | tr -d '\\n' | sha256sum | cut -c1-64)"
show "printf 'custody-ledger/v1 entry\\n%s\\n' \"\$tampered_hash\" > tampered.msg"
show "openssl pkeyutl -verify -pubin -inkey pub.\$actor.der -keyform DER -rawin -in tampered.msg -sigfile sig.4.bin"
show "(printf '\\x00'; cat tampered.json) | sha256sum | cut -c1-64   # then the root as in step 7"
sed -n 4p ledger.jsonl | tr -d '\n' | sed 's/locker 7/locker 8/' > tampered.json
[ "$(size tampered.json)" -eq "$(size record.4.json)" ] \
    && [ "$(sha256sum < tampered.json | cut -c1-64)" != "$(sha256sum < record.4.json | cut -c1-64)" ] \
    || fail "could not change one byte of line 4"
tampered_hash=$(sed -E 's/^\{"body":(.*),"sigs":\[\{"key".*$/\1/' tampered.json | tr -d '\n' | sha256sum | cut -c1-64)
printf '   body hash of seq 4       %s (what the actor signed)\n   body hash of the copy    %s\n' \
    "${bodyhash[4]}" "$tampered_hash"
[ "$tampered_hash" != "${bodyhash[4]}" ] || fail "tamper NOT detected: the body hash did not change"
printf 'custody-ledger/v1 entry\n%s\n' "$tampered_hash" > tampered.msg
actor=$(sed -E 's/^\{"actor":"([0-9a-f]{64})",.*/\1/' body.4.json)
if ed25519_verify "pub.$actor.der" tampered.msg sig.4.bin; then
    fail "tamper NOT detected: the actor's signature still verifies over the changed entry"
fi
ok "Signature Verification Failure: the actor's signature does not cover the changed body"
tampered_leaf=$( (printf '\x00'; cat tampered.json) | sha256sum | cut -c1-64)
tampered_root=$(node "$n01" "$(node "${leaf[3]}" "$tampered_leaf")")
printf '   root with the copy       %s\n   root in checkpoint.txt   %s\n' "$tampered_root" "$cp_root"
[ "$tampered_root" != "$cp_root" ] || fail "tamper NOT detected: the Merkle root still matches the checkpoint"
ok "the Merkle root no longer matches the checkpoint"

step "Version 1 passed: hash chain, $n actor signatures, the key-request signature of seq 3, Merkle root, checkpoint signature and key ID; the one-byte change was caught."

# ============================================== part 3: build a small version-2 ledger (FORMAT.md §12)
v1_entries=$n
origin=ledger.example.org/audit-demo-v2
unset LEDGER_LOG_KEY LEDGER_LOG_KEY_PASSPHRASE   # the v2 appender signs with the log key init recorded
mkdir v2
cd v2
step "Part 3: build a small version-2 ledger with the tool, in the subfolder v2/"
show "ledger init --format 2 --origin $origin --name 'Ada Admin' --person ada --agency 'Example Agency' --admin-key admin.pem --log-key log.pem"
tool init --format 2 --origin "$origin" --name 'Ada Admin' --person ada --agency 'Example Agency' \
    --admin-key admin.pem --log-key log.pem
show "ledger key generate --out carol.pem --name 'Carol \"CJ\" Jäger' --person carol --agency BKA --origin $origin --request-out carol.request.json"
tool key generate --out carol.pem --name 'Carol "CJ" Jäger' --person carol --agency BKA --origin "$origin" \
    --request-out carol.request.json
show "ledger key register carol.request.json --roles case-officer --key admin.pem"
tool key register carol.request.json --roles case-officer --key admin.pem
show "ledger append --type ledger.note --stream ledger --data '{\"text\":\"$note_text\"}' --key admin.pem"
tool append --type ledger.note --stream ledger --data "{\"text\":\"$note_text\"}" --key admin.pem
show "ledger case open OP-1 --title 'Operation One' --legal-basis 'Warrant 2026/17' --agency BKA --key carol.pem"
tool case open OP-1 --title 'Operation One' --legal-basis 'Warrant 2026/17' --agency BKA --key carol.pem
# Carol signs the seizure away from the ledger; Ada, the witnessing officer, co-signs it; then it is submitted
show "ada=\$(openssl pkey -in admin.pem -pubout -outform DER | tail -c 32 | sha256sum | cut -c1-64)   # Ada's key id"
ada=$(openssl pkey -in admin.pem -pubout -outform DER | tail -c 32 | sha256sum | cut -c1-64)
printf '{"case":"OP-1","description":"Grey laptop","exhibit":"EV-1","kind":"laptop","legal_authority":"Warrant 2026/17","location":"Evidence locker 7","occurred_at":"2024-03-02T09:15:00.000Z","seized_from":"Case file OP-1/12","seal":"SEAL-0001","witness_key":"%s"}\n' \
    "$ada" > seizure.json
show "cat seizure.json"
sed 's/^/     /' seizure.json
show "ledger head item/EV-1 --json > ev1.head.json"
"$LEDGER" head item/EV-1 --json > ev1.head.json || fail "ledger head failed"
sed 's/^/     /' ev1.head.json
printf '\n'
show "ledger sign --head ev1.head.json --type item.seized --data @seizure.json --key carol.pem --out field.statements"
tool sign --head ev1.head.json --type item.seized --data @seizure.json --key carol.pem --out field.statements
show "ledger cosign field.statements --key admin.pem --yes"
"$LEDGER" cosign field.statements --key admin.pem --yes > tool.out 2>&1 || { cat tool.out >&2; fail "ledger cosign failed"; }
tail -n 1 tool.out | sed 's/^/     /'
show "ledger submit field.statements --receipt seizure.receipt"
tool submit field.statements --receipt seizure.receipt
show "ledger checkpoint --log-key log.pem --out checkpoint.txt"
tool checkpoint --log-key log.pem --out checkpoint.txt
show "ledger log --format jsonl > ledger.jsonl"
"$LEDGER" log --format jsonl > ledger.jsonl || fail "ledger log failed"
# From here on: no tool, no database. The auditor has ledger.jsonl, checkpoint.txt and seizure.receipt.
rm -f custody.ledger custody.ledger-wal custody.ledger-shm tool.out

# ========================================================= part 4: audit the version-2 ledger by hand
step "Part 4: audit v2/ledger.jsonl, checkpoint.txt and seizure.receipt by hand, without the tool"
n=$(wc -l < ledger.jsonl | tr -d ' ')
[ "$n" -eq 6 ] || fail "v2/ledger.jsonl has $n lines, expected 6"
[ "$(tail -c 1 ledger.jsonl | hex)" = 0a ] || fail "v2/ledger.jsonl does not end with a newline"
ok "ledger.jsonl has $n lines: line N is the record of seq N"

step "Steps 10-11: the records, the bodies, the body hashes and the hash chain (prev), as steps 1-3"
show "sed -n \"\${N}p\" ledger.jsonl | tr -d '\\n' > record.\$N.json"
show "sed -E 's/^\\{\"body\":(.*),\"sigs\":\\[\\{\"key\".*\$/\\1/' record.\$N.json | tr -d '\\n' > body.\$N.json"
show "sha256sum < body.\$N.json | cut -c1-64"
show "prev=\$(sed -E 's/^\\{\"prev\":\"([0-9a-f]{64})\",.*/\\1/' body.\$N.json)"
unset bodyhash leaf
declare -a bodyhash leaf
for ((N = 1; N <= n; N++)); do
    sed -n "${N}p" ledger.jsonl | tr -d '\n' > "record.$N.json"
    sed -E 's/^\{"body":(.*),"sigs":\[\{"key".*$/\1/' "record.$N.json" | tr -d '\n' > "body.$N.json"
    case $(cat "record.$N.json") in
        "{\"body\":$(cat "body.$N.json"),\"sigs\":[{\"key\""*) ;;
        *) fail "seq $N: could not cut the body out of the record" ;;
    esac
    # a version-2 body has five members: prev, seq, statement, time, v (§12.3)
    case $(cat "body.$N.json") in
        "{\"prev\":\""*"\",\"seq\":$N,\"statement\":{\"actor\":\""*"},\"time\":\""*"\",\"v\":2}") ;;
        *) fail "seq $N: the body is not {\"prev\",\"seq\":$N,\"statement\",\"time\",\"v\":2}" ;;
    esac
    bodyhash[N]=$(sha256sum < "body.$N.json" | cut -c1-64)
    prev=$(sed -E 's/^\{"prev":"([0-9a-f]{64})",.*/\1/' "body.$N.json")
    printf '   seq %s  prev      %s\n         body hash %s  (%s of the %s record bytes)\n' \
        "$N" "$prev" "${bodyhash[N]}" "$(size "body.$N.json")" "$(size "record.$N.json")"
    if [ "$N" -eq 1 ]; then
        [ "$prev" = "$zeros" ] || fail "seq 1: prev is not 64 zeros"
    else
        [ "$prev" = "${bodyhash[N - 1]}" ] \
            || fail "seq $N: prev $prev does not match the body hash of seq $((N - 1)), ${bodyhash[N - 1]}"
    fi
done
ok "seq 1's prev is 64 zeros and every later prev is the body hash of the entry before it"

step "Step 12: the statements, their hashes, the genesis binding and the stream chain (stream_prev)"
show "sed -E 's/^\\{\"prev\":\"[0-9a-f]{64}\",\"seq\":[0-9]+,\"statement\":(.*),\"time\":\"[^\"]*\",\"v\":2\\}\$/\\1/' body.\$N.json | tr -d '\\n' > statement.\$N.json"
show "sha256sum < statement.\$N.json | cut -c1-64                                  # the statement hash"
show "genesis=\$(sed -E 's/.*,\"genesis\":\"([0-9a-f]{64})\",\"id\":.*/\\1/' statement.\$N.json)   # = body hash of seq 1"
show "sed -E 's/.*,\"stream\":\"([^\"]*)\",\"stream_prev\":\"([0-9a-f]{64})\",\"stream_rev\":([0-9]+),\"type\":\"([a-z.-]+)\",\"v\":2\\}\$/\\1 \\2 \\3 \\4/' statement.\$N.json"
declare -a stmthash
declare -A stream_last stream_rev
for ((N = 1; N <= n; N++)); do
    sed -E 's/^\{"prev":"[0-9a-f]{64}","seq":[0-9]+,"statement":(.*),"time":"[^"]*","v":2\}$/\1/' "body.$N.json" \
        | tr -d '\n' > "statement.$N.json"
    time=$(sed -E 's/.*,"time":"([^"]*)","v":2\}$/\1/' "body.$N.json")
    # the cut is exact: the body is '{"prev":"…","seq":N,"statement":' ‖ statement ‖ ',"time":"…","v":2}'
    [ "$(cat "body.$N.json")" = "{\"prev\":\"$(sed -E 's/^\{"prev":"([0-9a-f]{64})",.*/\1/' "body.$N.json")\",\"seq\":$N,\"statement\":$(cat "statement.$N.json"),\"time\":\"$time\",\"v\":2}" ] \
        || fail "seq $N: could not cut the statement out of the body"
    case $(cat "statement.$N.json") in
        "{\"actor\":\""*",\"ledger\":\"$origin\",\"signed_at\":\""*",\"v\":2}") ;;
        *) fail "seq $N: the statement does not have \"ledger\":\"$origin\" and \"v\":2" ;;
    esac
    stmthash[N]=$(sha256sum < "statement.$N.json" | cut -c1-64)
    position=$(sed -E \
        's/.*,"stream":"([^"]*)","stream_prev":"([0-9a-f]{64})","stream_rev":([0-9]+),"type":"([a-z.-]+)","v":2\}$/\1 \2 \3 \4/' \
        "statement.$N.json")
    read -r stream sprev srev type <<< "$position"
    printf '   seq %s  %s in %s, rev %s, stream_prev %s…\n         statement hash %s  (%s bytes)\n' "$N" "$type" \
        "$stream" "$srev" "${sprev:0:16}" "${stmthash[N]}" "$(size "statement.$N.json")"
    if [ "$N" -eq 1 ]; then
        case $(cat statement.1.json) in
            *"\"genesis\":"*) fail "seq 1: its statement has a genesis member" ;;
        esac
    else
        genesis=$(sed -E 's/.*,"genesis":"([0-9a-f]{64})","id":.*/\1/' "statement.$N.json")
        [ "$genesis" = "${bodyhash[1]}" ] || fail "seq $N: genesis $genesis is not the body hash of seq 1, ${bodyhash[1]}"
    fi
    want_rev=$((${stream_rev[$stream]:-0} + 1))
    want_prev=${stream_last[$stream]:-$zeros}
    [ "$srev" = "$want_rev" ] || fail "seq $N: stream_rev of $stream is $srev, expected $want_rev"
    [ "$sprev" = "$want_prev" ] \
        || fail "seq $N: stream_prev $sprev is not the statement hash of $stream's previous entry, $want_prev"
    stream_rev[$stream]=$srev
    stream_last[$stream]=${stmthash[N]}
done
ok "every statement after seq 1 has genesis = the body hash of seq 1 (${bodyhash[1]:0:16}…)"
ok "every stream_prev is the statement hash of its stream's previous entry (64 zeros at rev 1)"

step "Step 13: every actor's signature over the statement message"
show "actor=\$(sed -E 's/^\\{\"actor\":\"([0-9a-f]{64})\",.*/\\1/' statement.\$N.json)"
show "grep -l -F \"\\\"stream\\\":\\\"key/\$actor\\\"\" body.*.json      # its key.registered entry: body.\$R.json"
show "public_key=\$(sed -E 's/.*,\"public_key\":\"([A-Za-z0-9+\\/]{43}=)\",.*/\\1/' body.\$R.json)"
show "printf '%s' \"\$public_key\" | base64 -d > pub.\$actor.raw; sha256sum < pub.\$actor.raw   # = \$actor"
show "{ printf '$spki_prefix' | xxd -r -p; cat pub.\$actor.raw; } > pub.\$actor.der"
show "printf 'custody-ledger/v2 statement\\n%s\\n' \"\$(sha256sum < statement.\$N.json | cut -c1-64)\" > msg.\$N"
show "grep -o \"{\\\"key\\\":\\\"\$actor\\\",\\\"sig\\\":\\\"[^\\\"]*\\\"}\" record.\$N.json | cut -d'\"' -f8 | base64 -d > sig.\$N.bin"
show "openssl pkeyutl -verify -pubin -inkey pub.\$actor.der -keyform DER -rawin -in msg.\$N -sigfile sig.\$N.bin"
for ((N = 1; N <= n; N++)); do
    actor=$(sed -E 's/^\{"actor":"([0-9a-f]{64})",.*/\1/' "statement.$N.json")
    type=$(sed -E 's/.*,"type":"([a-z.-]+)","v":2\}$/\1/' "statement.$N.json")
    printf '   seq %s (%s): actor %s…\n' "$N" "$type" "${actor:0:16}"
    if [ ! -f "pub.$actor.der" ]; then pubkey "$actor"; fi
    if [ "$N" -eq 1 ]; then
        printf '   (seq 1 is signed by the first administrator, whose key is registered only at seq 2)\n'
    fi
    printf 'custody-ledger/v2 statement\n%s\n' "${stmthash[N]}" > "msg.$N"
    [ "$(size "msg.$N")" -eq 93 ] || fail "seq $N: the statement message is not 93 bytes"
    sig=$(sig_of "$N" "$actor") || fail "seq $N: sigs has no signature by the actor $actor (without signed_at)"
    printf '%s' "$sig" | base64 -d > "sig.$N.bin"
    [ "$(size "sig.$N.bin")" -eq 64 ] || fail "seq $N: the actor's signature is not 64 bytes"
    ed25519_verify "pub.$actor.der" "msg.$N" "sig.$N.bin" \
        || fail "seq $N: the actor's signature does not verify over the statement message"
    ok "seq $N: Signature Verified Successfully (actor's key, statement message of ${stmthash[N]:0:16}…)"
done
# (not part of the audit: the statement Carol signed away from the ledger is byte for byte the one recorded)
[ "$(sed -E 's/^\{"sigs":\[.*\],"statement":(.*)\}$/\1/' field.statements | tr -d '\n')" = "$(cat statement.6.json)" ] \
    || fail "the statement in field.statements differs from the statement of seq 6"

step "Step 14: Carol's own signature in the key.registered at seq 3 (key-request message, as step 5)"
R=3
show "newkey=\$(sed -E 's/.*,\"key\":\"([0-9a-f]{64})\",.*/\\1/' body.3.json)"
show "agency=\$(sed -E 's/.*[{,]\"agency\":(\"([^\"\\\\]|\\\\.)*\").*/\\1/' body.3.json)   # likewise ledger (the statement's), name, person, public_key"
show "printf '{\"agency\":%s,\"ledger\":%s,\"name\":%s,\"person\":%s,\"public_key\":%s,\"v\":1}' \"\$agency\" \"\$ledger\" \"\$name\" \"\$person\" \"\$public_key\" > request.json"
show "printf 'custody-ledger/v1 key-request\\n%s\\n' \"\$(sha256sum < request.json | cut -c1-64)\" > keyreq.msg"
show "grep -o \"{\\\"key\\\":\\\"\$newkey\\\",\\\"sig\\\":\\\"[^\\\"]*\\\"}\" record.3.json | cut -d'\"' -f8 | base64 -d > keyreq.sig.bin"
show "openssl pkeyutl -verify -pubin -inkey pub.\$newkey.der -keyform DER -rawin -in keyreq.msg -sigfile keyreq.sig.bin"
case $(cat "statement.$R.json") in
    *",\"type\":\"key.registered\",\"v\":2}") ;;
    *) fail "seq $R is not a key.registered" ;;
esac
newkey=$(sed -E 's/.*,"key":"([0-9a-f]{64})",.*/\1/' "body.$R.json")
actor=$(sed -E 's/^\{"actor":"([0-9a-f]{64})",.*/\1/' "statement.$R.json")
[ "$newkey" != "$actor" ] || fail "seq $R: the registered key is its own actor"
[ "$(grep -o '{"key":' "record.$R.json" | wc -l | tr -d ' ')" -eq 2 ] \
    || fail "seq $R: sigs does not hold exactly 2 signatures (the administrator's and the new key's)"
agency=$(member agency)
ledger=$(member ledger)
name=$(member name)
person=$(member person)
public_key=$(member public_key)
printf '   agency=%s ledger=%s name=%s person=%s\n   public_key=%s\n' "$agency" "$ledger" "$name" "$person" "$public_key"
printf '{"agency":%s,"ledger":%s,"name":%s,"person":%s,"public_key":%s,"v":1}' \
    "$agency" "$ledger" "$name" "$person" "$public_key" > request.json
printf '   request.json: %s\n' "$(cat request.json)"
# (not part of the audit: the request Carol gave the administrator holds the very same bytes)
[ "$(sed -E 's/^\{"request":(.*),"sig":"[^"]*"\}$/\1/' carol.request.json | tr -d '\n')" = "$(cat request.json)" ] \
    || fail "the hand-built request.json differs from the request in carol.request.json"
printf 'custody-ledger/v1 key-request\n%s\n' "$(sha256sum < request.json | cut -c1-64)" > keyreq.msg
if [ ! -f "pub.$newkey.der" ]; then pubkey "$newkey"; fi
sig=$(sig_of "$R" "$newkey") || fail "seq $R: sigs has no signature by the registered key $newkey (without signed_at)"
printf '%s' "$sig" | base64 -d > keyreq.sig.bin
[ "$(size keyreq.sig.bin)" -eq 64 ] || fail "seq $R: the new key's signature is not 64 bytes"
ed25519_verify "pub.$newkey.der" keyreq.msg keyreq.sig.bin \
    || fail "seq $R: the new key's signature does not verify over the key-request message"
ok "seq $R: Signature Verified Successfully (the new key ${newkey:0:16}…, key-request message)"

step "Step 15: the witness's co-signature on the seizure at seq 6 (co-signature message)"
C=6
show "witness=\$(sed -E 's/.*[{,]\"witness_key\":\"([0-9a-f]{64})\"[,}].*/\\1/' statement.6.json)"
show "grep -o \"{\\\"key\\\":\\\"\$witness\\\",\\\"sig\\\":\\\"[^\\\"]*\\\",\\\"signed_at\\\":\\\"[^\\\"]*\\\"}\" record.6.json > cosig.json"
show "cut -d'\"' -f8 cosig.json | base64 -d > cosig.bin; signed_at=\$(cut -d'\"' -f12 cosig.json)"
show "printf 'custody-ledger/v2 co-signature\\n%s\\n%s\\n' \"\$(sha256sum < statement.6.json | cut -c1-64)\" \"\$signed_at\" > cosig.msg"
show "openssl pkeyutl -verify -pubin -inkey pub.\$witness.der -keyform DER -rawin -in cosig.msg -sigfile cosig.bin"
case $(cat "statement.$C.json") in
    *",\"type\":\"item.seized\",\"v\":2}") ;;
    *) fail "seq $C is not an item.seized" ;;
esac
witness=$(sed -E 's/.*[{,]"witness_key":"([0-9a-f]{64})"[,}].*/\1/' "statement.$C.json")
[ "${#witness}" -eq 64 ] || fail "seq $C: the statement has no data.witness_key"
actor=$(sed -E 's/^\{"actor":"([0-9a-f]{64})",.*/\1/' "statement.$C.json")
[ "$witness" != "$actor" ] || fail "seq $C: the witness is the actor"
[ "$(grep -o '{"key":' "record.$C.json" | wc -l | tr -d ' ')" -eq 2 ] \
    || fail "seq $C: sigs does not hold exactly 2 signatures (the actor's and the witness's)"
grep -o "{\"key\":\"$witness\",\"sig\":\"[^\"]*\",\"signed_at\":\"[^\"]*\"}" "record.$C.json" > cosig.json \
    || fail "seq $C: sigs has no co-signature (with signed_at) by the witness $witness"
cut -d'"' -f8 cosig.json | base64 -d > cosig.bin
signed_at=$(cut -d'"' -f12 cosig.json)
printf '   witness %s…, co-signed at %s; the actor signed at %s\n' "${witness:0:16}" "$signed_at" \
    "$(sed -E 's/.*,"signed_at":"([^"]*)","stream":.*/\1/' "statement.$C.json")"
printf 'custody-ledger/v2 co-signature\n%s\n%s\n' "${stmthash[C]}" "$signed_at" > cosig.msg
[ "$(size cosig.msg)" -eq 121 ] || fail "seq $C: the co-signature message is not 121 bytes (signed_at is malformed)"
[ "$(size cosig.bin)" -eq 64 ] || fail "seq $C: the witness's signature is not 64 bytes"
if [ ! -f "pub.$witness.der" ]; then pubkey "$witness"; fi
ed25519_verify "pub.$witness.der" cosig.msg cosig.bin \
    || fail "seq $C: the witness's signature does not verify over the co-signature message"
ok "seq $C: Signature Verified Successfully (the witness ${witness:0:16}…, co-signature message)"

step "Step 16: the leaf hashes, the Merkle root of the 6 entries, and the checkpoint's root (§12.6: it covers all 6)"
show "(printf '\\x00'; cat record.\$N.json) | sha256sum | cut -c1-64"
show "{ printf '\\x01'; printf '%s%s' \"\$left\" \"\$right\" | xxd -r -p; } | sha256sum | cut -c1-64"
show "cp_root=\$(sed -n 3p checkpoint.txt | base64 -d | od -An -tx1 -v | tr -d ' \\n')"
for ((N = 1; N <= n; N++)); do
    leaf[N]=$( (printf '\x00'; cat "record.$N.json") | sha256sum | cut -c1-64)
    printf '   leaf %s (seq %s)  %s\n' "$((N - 1))" "$N" "${leaf[N]}"
done
# RFC 9162: the tree of size 6 splits at 4; its left half splits at 2, its right half (leaves 4, 5) at 1
n01=$(node "${leaf[1]}" "${leaf[2]}")
n23=$(node "${leaf[3]}" "${leaf[4]}")
n03=$(node "$n01" "$n23")
n45=$(node "${leaf[5]}" "${leaf[6]}")
root=$(node "$n03" "$n45")
printf '   node(0,1)        %s\n   node(2,3)        %s\n   node(0..3)       %s\n   node(4,5)        %s\n   root             %s\n' \
    "$n01" "$n23" "$n03" "$n45" "$root"
cp_origin=$(sed -n 1p checkpoint.txt)
cp_size=$(sed -n 2p checkpoint.txt)
cp_root=$(sed -n 3p checkpoint.txt | base64 -d | od -An -tx1 -v | tr -d ' \n')
printf '   checkpoint.txt   origin %s, size %s, root %s\n' "$cp_origin" "$cp_size" "$cp_root"
[ "$cp_origin" = "$origin" ] || fail "checkpoint: origin $cp_origin is not $origin"
case $cp_size in
    0 | [1-9] | [1-9][0-9]*) ;;
    *) fail "checkpoint: line 2 is not a tree size" ;;
esac
# §12.6: every entry of a version-2 ledger is covered by a checkpoint of the log key
[ "$cp_size" -ge "$n" ] \
    || fail "seq $((cp_size + 1)): not covered by a checkpoint signed by the log key (checkpoint.txt has size $cp_size)"
[ "$cp_size" -eq "$n" ] || fail "checkpoint at size $cp_size: larger than the $n entries of ledger.jsonl (entries were removed)"
[ "$cp_root" = "$root" ] || fail "checkpoint at size $cp_size: root $cp_root is not the recomputed root $root"
ok "the checkpoint's root is the root recomputed from the 6 records"

step "Step 17: the checkpoint's signature by the log key of seq 1, as step 8"
show "log_vkey=\$(sed -E 's/.*\"data\":\\{\"log_vkey\":\"([^\"]*)\"\\}.*/\\1/' body.1.json)"
show "printf '%s' \"\$log_vkey\" | cut -d+ -f3- | base64 -d | tail -c 32 > log.raw   # after 0x01"
show "{ printf '%s\\n' \"\$origin\"; printf '\\x01'; cat log.raw; } | sha256sum | cut -c1-8   # = key ID"
show "{ printf '$spki_prefix' | xxd -r -p; cat log.raw; } > log.der"
show "head -n 3 checkpoint.txt > cpbody.txt"
show "sed -n 5p checkpoint.txt | cut -d' ' -f3 | base64 -d > cpsig.full   # key ID (4) ‖ signature (64)"
show "cp_key_id=\$(head -c 4 cpsig.full | od -An -tx1 -v | tr -d ' \\n')   # = key ID"
show "tail -c 64 cpsig.full > cpsig.bin"
show "openssl pkeyutl -verify -pubin -inkey log.der -keyform DER -rawin -in cpbody.txt -sigfile cpsig.bin"
log_vkey=$(sed -E 's/.*"data":\{"log_vkey":"([^"]*)"\}.*/\1/' body.1.json)
printf '   seq 1 data.log_vkey  %s\n' "$log_vkey"
[ "$(printf '%s' "$log_vkey" | cut -d+ -f1)" = "$origin" ] || fail "seq 1: the log vkey's name is not the origin"
vkey_id=$(printf '%s' "$log_vkey" | cut -d+ -f2)
printf '%s' "$log_vkey" | cut -d+ -f3- | base64 -d > logvkey.bin
[ "$(size logvkey.bin)" -eq 33 ] && [ "$(head -c 1 logvkey.bin | hex)" = 01 ] \
    || fail "seq 1: the log vkey's key is not 0x01 followed by 32 bytes"
tail -c 32 logvkey.bin > log.raw
key_id=$( { printf '%s\n' "$origin"; printf '\x01'; cat log.raw; } | sha256sum | cut -c1-8)
[ "$key_id" = "$vkey_id" ] || fail "seq 1: the log vkey's key ID $vkey_id is not SHA-256(origin ‖ \\n ‖ 0x01 ‖ key)[0:4] = $key_id"
ok "key ID $key_id = SHA-256(origin ‖ \\n ‖ 0x01 ‖ key)[0:4], as in the vkey"
{ printf '%s' "$spki_prefix" | unhex; cat log.raw; } > log.der
# check the log key's signature on the checkpoint note in file $1 (body: lines 1-3; line 4 blank; line 5 signed)
checkpoint_signed() {
    local file=$1 size
    size=$(sed -n 2p "$file")
    head -n 3 "$file" > cpbody.txt
    [ "$(sed -n 4p "$file")" = "" ] || fail "$file: line 4 is not the blank line that ends the body"
    case $(sed -n 5p "$file") in
        "— $origin "*) ;;
        *) fail "$file: line 5 is not a signature line '— $origin …'" ;;
    esac
    sed -n 5p "$file" | cut -d' ' -f3 | base64 -d > cpsig.full
    [ "$(size cpsig.full)" -eq 68 ] || fail "$file: the signature line does not decode to 4 + 64 bytes"
    [ "$(head -c 4 cpsig.full | hex)" = "$key_id" ] \
        || fail "$file: signed with key ID $(head -c 4 cpsig.full | hex), not the log key's $key_id"
    tail -c 64 cpsig.full > cpsig.bin
    ed25519_verify log.der cpbody.txt cpsig.bin || fail "checkpoint at size $size: the log key's signature does not verify"
}
checkpoint_signed checkpoint.txt
ok "Signature Verified Successfully (log key $key_id, over the first three lines of checkpoint.txt)"

step "Step 18: the receipt of the seizure: its extra line is the record of seq 6, its proof leads to the root"
show "sed -n 2p seizure.receipt | cut -d' ' -f2 | base64 -d > receipt.record.json      # = record.6.json"
show "index=\$(sed -n 3p seizure.receipt | cut -d' ' -f2)                               # = seq - 1"
show "sed '/^\$/,\$d' seizure.receipt | sed -n '4,\$p' > receipt.proof                 # the proof hashes"
show "sed '1,/^\$/d' seizure.receipt > receipt.checkpoint.txt                          # its checkpoint, checked as in step 17"
show "node() { { printf '\\x01'; printf '%s%s' \"\$1\" \"\$2\" | xxd -r -p; } | sha256sum | cut -c1-64; }   # as in step 7"
show "r=\$( (printf '\\x00'; cat receipt.record.json) | sha256sum | cut -c1-64); fn=\$index; sn=\$((\$(sed -n 2p receipt.checkpoint.txt) - 1))"
show "while read -r p; do                                # RFC 9162 §2.1.3.2"
show "    p=\$(printf '%s' \"\$p\" | base64 -d | od -An -tx1 -v | tr -d ' \\n')"
show "    if [ \$((fn % 2)) -eq 1 ] || [ \$fn -eq \$sn ]; then"
show "        r=\$(node \$p \$r)"
show "        while [ \$((fn % 2)) -eq 0 ] && [ \$fn -ne 0 ]; do fn=\$((fn >> 1)); sn=\$((sn >> 1)); done"
show "    else r=\$(node \$r \$p); fi"
show "    fn=\$((fn >> 1)); sn=\$((sn >> 1))"
show "done < receipt.proof                               # then sn MUST be 0 and r the checkpoint's root"
C=6
[ "$(sed -n 1p seizure.receipt)" = "c2sp.org/tlog-proof@v1" ] || fail "seizure.receipt: line 1 is not c2sp.org/tlog-proof@v1"
case $(sed -n 2p seizure.receipt) in
    "extra "*) ;;
    *) fail "seizure.receipt: line 2 is not an extra line" ;;
esac
sed -n 2p seizure.receipt | cut -d' ' -f2 | base64 -d > receipt.record.json
[ "$(sha256sum < receipt.record.json | cut -c1-64)" = "$(sha256sum < "record.$C.json" | cut -c1-64)" ] \
    || fail "seizure.receipt: the record in its extra line is not the record of seq $C"
ok "the extra line decodes to the $(size receipt.record.json) bytes of record.$C.json"
case $(sed -n 3p seizure.receipt) in
    "index "[0-9]*) ;;
    *) fail "seizure.receipt: line 3 is not an index line" ;;
esac
index=$(sed -n 3p seizure.receipt | cut -d' ' -f2)
[ "$index" = "$((C - 1))" ] || fail "seizure.receipt: index $index is not seq $C - 1"
sed '/^$/,$d' seizure.receipt | sed -n '4,$p' > receipt.proof
sed '1,/^$/d' seizure.receipt > receipt.checkpoint.txt
r_origin=$(sed -n 1p receipt.checkpoint.txt)
r_size=$(sed -n 2p receipt.checkpoint.txt)
r_root=$(sed -n 3p receipt.checkpoint.txt | base64 -d | hex)
printf '   receipt checkpoint origin %s, size %s, root %s\n' "$r_origin" "$r_size" "$r_root"
[ "$r_origin" = "$origin" ] || fail "seizure.receipt: the checkpoint's origin $r_origin is not $origin"
[ "$index" -lt "$r_size" ] || fail "seizure.receipt: index $index is not less than the checkpoint's size $r_size"
checkpoint_signed receipt.checkpoint.txt
ok "Signature Verified Successfully (log key $key_id, over the receipt's checkpoint)"
r=$( (printf '\x00'; cat receipt.record.json) | sha256sum | cut -c1-64)
fn=$index
sn=$((r_size - 1))
printf '   leaf %s  %s\n' "$index" "$r"
while read -r p; do
    [ "$sn" -gt 0 ] || fail "seizure.receipt: the proof has more hashes than the path to the root"
    p=$(printf '%s' "$p" | base64 -d | hex)
    [ "${#p}" -eq 64 ] || fail "seizure.receipt: a proof hash is not 32 bytes"
    if [ $((fn % 2)) -eq 1 ] || [ "$fn" -eq "$sn" ]; then
        r=$(node "$p" "$r")
        printf '   fn=%s sn=%s  r = node(p, r) = %s\n' "$fn" "$sn" "$r"
        while [ $((fn % 2)) -eq 0 ] && [ "$fn" -ne 0 ]; do
            fn=$((fn >> 1))
            sn=$((sn >> 1))
        done
    else
        r=$(node "$r" "$p")
        printf '   fn=%s sn=%s  r = node(r, p) = %s\n' "$fn" "$sn" "$r"
    fi
    fn=$((fn >> 1))
    sn=$((sn >> 1))
done < receipt.proof
[ "$sn" -eq 0 ] || fail "seizure.receipt: the proof is too short (sn = $sn at its end)"
[ "$r" = "$r_root" ] || fail "seizure.receipt: the proof leads to $r, not to the checkpoint's root $r_root"
ok "the inclusion proof of leaf $index leads to the receipt checkpoint's root"
[ "$r_size" = "$cp_size" ] && [ "$r_root" = "$cp_root" ] \
    || fail "seizure.receipt: its checkpoint (size $r_size) is not checkpoint.txt (size $cp_size)"
ok "the receipt's checkpoint has the size and root of checkpoint.txt"

step "Step 19: a one-byte change in a copy of the statement of line 6 is caught"
show "sed -n 6p ledger.jsonl | tr -d '\\n' | sed 's/locker 7/locker 8/' > tampered.json"
show "tampered_hash=\$(sed -E 's/^\\{\"body\":(.*),\"sigs\":\\[\\{\"key\".*\$/\\1/' tampered.json | tr -d '\\n' | sed -E 's/^\\{\"prev\":\"[0-9a-f]{64}\",\"seq\":[0-9]+,\"statement\":(.*),\"time\":\"[^\"]*\",\"v\":2\\}\$/\\1/' | tr -d '\\n' | sha256sum | cut -c1-64)"
show "printf 'custody-ledger/v2 statement\\n%s\\n' \"\$tampered_hash\" > tampered.msg"
show "printf 'custody-ledger/v2 co-signature\\n%s\\n%s\\n' \"\$tampered_hash\" \"\$signed_at\" > tampered.cosig.msg"
show "openssl pkeyutl -verify -pubin -inkey pub.\$actor.der -keyform DER -rawin -in tampered.msg -sigfile sig.6.bin"
show "openssl pkeyutl -verify -pubin -inkey pub.\$witness.der -keyform DER -rawin -in tampered.cosig.msg -sigfile cosig.bin"
show "(printf '\\x00'; cat tampered.json) | sha256sum | cut -c1-64   # then the root as in step 16"
sed -n 6p ledger.jsonl | tr -d '\n' | sed 's/locker 7/locker 8/' > tampered.json
[ "$(size tampered.json)" -eq "$(size record.6.json)" ] \
    && [ "$(sha256sum < tampered.json | cut -c1-64)" != "$(sha256sum < record.6.json | cut -c1-64)" ] \
    || fail "could not change one byte of line 6"
sed -E 's/^\{"body":(.*),"sigs":\[\{"key".*$/\1/' tampered.json | tr -d '\n' \
    | sed -E 's/^\{"prev":"[0-9a-f]{64}","seq":[0-9]+,"statement":(.*),"time":"[^"]*","v":2\}$/\1/' \
    | tr -d '\n' > tampered.statement.json
tampered_hash=$(sha256sum < tampered.statement.json | cut -c1-64)
printf '   statement hash of seq 6      %s (what Carol and the witness signed)\n   statement hash of the copy   %s\n' \
    "${stmthash[6]}" "$tampered_hash"
[ "$tampered_hash" != "${stmthash[6]}" ] || fail "tamper NOT detected: the statement hash did not change"
printf 'custody-ledger/v2 statement\n%s\n' "$tampered_hash" > tampered.msg
if ed25519_verify "pub.$actor.der" tampered.msg sig.6.bin; then
    fail "tamper NOT detected: the actor's signature still verifies over the changed statement"
fi
ok "Signature Verification Failure: the actor's signature does not cover the changed statement"
printf 'custody-ledger/v2 co-signature\n%s\n%s\n' "$tampered_hash" "$signed_at" > tampered.cosig.msg
if ed25519_verify "pub.$witness.der" tampered.cosig.msg cosig.bin; then
    fail "tamper NOT detected: the witness's co-signature still verifies over the changed statement"
fi
ok "Signature Verification Failure: the witness's co-signature does not cover the changed statement"
tampered_leaf=$( (printf '\x00'; cat tampered.json) | sha256sum | cut -c1-64)
tampered_root=$(node "$n03" "$(node "${leaf[5]}" "$tampered_leaf")")
printf '   root with the copy       %s\n   root in checkpoint.txt   %s\n' "$tampered_root" "$cp_root"
[ "$tampered_root" != "$cp_root" ] || fail "tamper NOT detected: the Merkle root still matches the checkpoint"
ok "the Merkle root no longer matches the checkpoint"

step "PASS in $(($(date +%s) - started)) s: version 1 ($v1_entries entries) and version 2 ($n entries: hash chain, statement hashes, genesis binding, stream chain, $n actor signatures, the key-request and co-signature, Merkle root, checkpoint signature, the receipt's record and proof); both one-byte changes were caught."
