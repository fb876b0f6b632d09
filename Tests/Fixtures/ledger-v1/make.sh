#!/bin/bash
# Makes this folder's ledger-v1 fixture with the `ledger` given as $1, into the new or empty folder $2
# (run once, with the build of the commit named in README.md, the last release that wrote ledger format v1).
# Kept to show how the fixture was made: a later build writes format v2, which is not what this fixture is for.
# Never rerun it over the committed fixture: keys, ids and times are new on every run, and its bytes are the point.
#
#   swift build && Tests/Fixtures/ledger-v1/make.sh "$PWD/.build/debug/ledger" /tmp/ledger-v1
set -euo pipefail
L=${1:?usage: make.sh /path/to/ledger OUTDIR}
OUT=${2:?usage: make.sh /path/to/ledger OUTDIR}
mkdir -p "$OUT"
cd "$OUT"
if [ -n "$(ls -A .)" ]; then echo "make.sh: $OUT is not empty" >&2; exit 2; fi
ORIGIN=ledger.fixture.example/format-v1
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# The administrator (admin.pem) and the log key (log.pem); custody.ledger in this folder.
"$L" init --origin "$ORIGIN" --name "Ada Admin" --person ada --agency NCA --json | json log_vkey >log.vkey

# Three people make their own keys and requests; the administrator registers them.
for who in carol:case-officer,custodian erin:examiner,custodian tina:takedown-officer; do
    person=${who%%:*}
    "$L" key generate --out "$person.pem" --name "Officer $person" --person "$person" --agency NCA \
        --request-out "$person.request.json" >/dev/null
    "$L" key register "$person.request.json" --roles "${who#*:}" --key admin.pem >/dev/null
done
"$L" key generate --out zoe.pem --name "Zoë Ünal" --person zoe --agency "Politie (NL)" \
    --request-out zoe.request.json >/dev/null
"$L" key register zoe.request.json --roles custodian --key admin.pem >/dev/null

# An operator's note (the last core entry: everything before the case is the core type table alone, FORMAT.md §5).
"$L" append --type ledger.note --stream ledger --data '{"text":"Ledger for the fixture opened; Zeugin: Frau Ünal."}' \
    --key admin.pem >/dev/null

# Custody: a case, two seizures (one witnessed), a hand-over and its receipt, a note.
"$L" case open OP-1 --title "Operation One" --legal-basis "JIT 2024/07" --agency NCA \
    --summary "Fixture for ledger format v1" --key carol.pem >/dev/null
"$L" item seize EV-1 --case OP-1 --exhibit C/1 --kind laptop --description "Grey laptop" --serial SN-123 \
    --device-state "powered off, in Faraday bag" --seal S-1 --location "Room B" --from "Premises ref P-1" \
    --authority "Warrant 7" --at 2024-05-01T06:00:00+02:00 --key carol.pem --witness-key zoe.pem >/dev/null
phone=$("$L" item seize EV-2 --case OP-1 --exhibit C/2 --kind phone --description "Black phone" \
    --imei 490154203237518 --seal S-2 --location "Room B" --from "Premises ref P-1" --authority "Warrant 7" \
    --key carol.pem --json | json seq)
"$L" transfer EV-1 --to erin --purpose Imaging --seal S-1 --courier DHL --tracking 123 --key carol.pem >/dev/null
"$L" receive EV-1 --seal S-1 --condition "as sent" --location "Lab, safe 2" --key erin.pem >/dev/null
"$L" note item/EV-1 --text "Imaging planned for Monday." --key erin.pem >/dev/null

# Targets: one identified and a takedown requested for it.
target=$("$L" target add --case OP-1 --domain phish.example --category phishing --country NL \
    --source "CERT report 5" --hosting-provider "Host.example BV" --key tina.pem --json | json stream)
target=${target#target/}
"$L" takedown request "$target" --to "Host.example BV" --instrument "Order 12" --key tina.pem >/dev/null

# A checkpoint, cosigned by a witness (its folder is witness/, its vkey witness.vkey).
"$L" checkpoint --log-key log.pem >/dev/null
first=$("$L" checkpoint --latest --json | json size)
"$L" witness init --name witness.fixture.example --dir witness >/dev/null
json vkey <witness/witness.json >witness.vkey
"$L" witness add-log "$ORIGIN" "$(cat log.vkey)" --dir witness >/dev/null
"$L" checkpoint --latest >checkpoint-first.txt
"$L" witness cosign checkpoint-first.txt --dir witness >cosignature-first.txt
"$L" checkpoint add-cosignature "$first" cosignature-first.txt --witness "$(cat witness.vkey)" >/dev/null

# Tina's key is revoked, reported misused after her first target (compromised_since_seq): the takedown request
# and the second target she signs before the revocation become findings.
"$L" target add --case OP-1 --ip 198.51.100.7 --category malware-c2 --country DE --source "CERT report 6" \
    --key tina.pem >/dev/null
tina=$("$L" key list --json | python3 -c '
import json, sys
print(next(k["key_id"] for k in map(json.loads, sys.stdin) if k["person"] == "tina"))')
"$L" key revoke "$tina" --reason "laptop stolen" --compromised-since $((first - 1)) --key admin.pem >/dev/null
"$L" correct "$phone" --field description --value "Black phone, cracked screen" --reason "incomplete" \
    --key carol.pem >/dev/null

# The newest checkpoint, cosigned over a consistency proof from the first; checkpoint.txt is the cosigned note.
"$L" checkpoint --log-key log.pem >/dev/null
size=$("$L" checkpoint --latest --json | json size)
"$L" proof consistency "$first" "$size" >consistency.txt
"$L" checkpoint --latest >checkpoint-unsigned-by-witness.txt
"$L" witness cosign checkpoint-unsigned-by-witness.txt --proof consistency.txt --dir witness >cosignature.txt
"$L" checkpoint add-cosignature "$size" cosignature.txt --witness "$(cat witness.vkey)" >/dev/null
"$L" checkpoint --latest >checkpoint.txt
rm checkpoint-unsigned-by-witness.txt cosignature-first.txt checkpoint-first.txt

# The export, and what this build says about the database and the export (expected/NAME.out and NAME.status).
"$L" log --format jsonl >ledger.jsonl
mkdir expected
run() {
    local name=$1
    shift
    local status=0
    "$L" "$@" >"expected/$name.out" 2>/dev/null || status=$?
    echo "$status" >"expected/$name.status"
}
run verify verify
run verify-json verify --json
run verify-jsonl verify --jsonl ledger.jsonl --checkpoint checkpoint.txt
run verify-jsonl-json verify --jsonl ledger.jsonl --checkpoint checkpoint.txt --json
run verify-pinned verify --trust-log-key "$(cat log.vkey)" --checkpoint checkpoint.txt \
    --witness "$(cat witness.vkey)" --witness-quorum 1
ls -A
