#!/bin/bash
# Makes the bag in bag/ with the `ledger` given as $1 (run once, with the build of commit 6cf9160, the last one
# that rendered custody-ledger-report/3). Kept to show how the fixture was made: a newer build makes a
# custody-ledger-report/4 bag, which is not what this fixture is for. As ../bundle-report-v2, and a second item
# checked out with a due date (which version 4 shows and version 3 does not), with act times.
set -euo pipefail
L=${1:?usage: make.sh /path/to/ledger OUTDIR}
OUT=${2:?usage: make.sh /path/to/ledger OUTDIR}
RLO=$'\xe2\x80\xae'   # U+202E RIGHT-TO-LEFT OVERRIDE
PDF=$'\xe2\x80\xac'   # U+202C POP DIRECTIONAL FORMATTING
ZWSP=$'\xe2\x80\x8b'  # U+200B ZERO WIDTH SPACE
WORK=$(mktemp -d)
cd "$WORK"
"$L" init --origin ledger.fixture.example/report-v3 --name "Ada Admin" --person ada --agency NCA >/dev/null
for who in carol:case-officer,custodian erin:examiner,custodian tina:takedown-officer; do
    person=${who%%:*}
    "$L" key generate --out "$person.pem" --name "Officer $person" --person "$person" --agency NCA \
        --request-out "$person.json" >/dev/null
    "$L" key register "$person.json" --roles "${who#*:}" --key admin.pem >/dev/null
done
"$L" case open OP-1 --title "Operation ${RLO}exe.gnp${PDF} One" --agency NCA \
    --legal-basis "Warrant 7, see https://court.example.org/w/7.pdf" \
    --summary "C2 at 198.51.100.23 and evil.example.com." --key carol.pem >/dev/null
"$L" item seize EV-1 --case OP-1 --exhibit C/1 --kind laptop \
    --description "Grey laptop${ZWSP}; browser open at http://phish.example.net/login?u=1" \
    --seal S-1 --location "Room B" --from "Premises ref P-1" --authority "Warrant 7" \
    --at 2024-05-01T06:00:00+02:00 --key carol.pem >/dev/null
"$L" transfer EV-1 --to erin --purpose "Imaging; it called 203.0.113.9" --seal S-1 --courier DHL \
    --tracking 123 --key carol.pem >/dev/null
"$L" receive EV-1 --seal S-1 --condition "as sent, label files.example.com" --location "Lab 2" --key erin.pem >/dev/null
"$L" note item/EV-1 --text "Seen at HTTPS://Evil.Example.com/a.b and 192.0.2.55 ${RLO}txt.exe${PDF}, e.g. v1.2" \
    --key erin.pem >/dev/null
"$L" target add --case OP-1 --url http://evil.example.com/a --category phishing --country NL \
    --source "CERT report at cert.example/r/5" --hosting-provider "Host.example BV" --key tina.pem >/dev/null
"$L" note case/OP-1 --text "Mirror at 2001:db8::7 and www.evil.example" --key carol.pem >/dev/null
"$L" correct 7 --field location --value "Locker 5 (map at map.example.com)" --reason "moved, see 10.0.0.1" \
    --key carol.pem >/dev/null
"$L" item seize EV-2 --case OP-1 --exhibit C/2 --kind phone --description "Black phone" --seal S-2 \
    --location "Room B" --from "Premises ref P-1" --authority "Warrant 7" --at 2024-05-01T06:30:00+02:00 \
    --key carol.pem >/dev/null
"$L" item check-out EV-2 --to erin --purpose "Extraction, see https://lab.example/t/9" \
    --due 2024-05-20T17:00:00+02:00 --at 2024-05-02T09:00:00+02:00 --key carol.pem >/dev/null
"$L" export --case OP-1 --out "$OUT" --log-key log.pem >/dev/null
"$L" verify --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_vkey"])'
rm -rf "$WORK"
