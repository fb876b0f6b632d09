#!/usr/bin/env bash
# A throwaway RFC 3161 time-stamping authority for tests, built with the openssl command line only.
# Never use it for real evidence: the keys are unencrypted and the CA is self-signed.
#
# Usage: make-test-tsa.sh [init] DIR              make ca.key ca.crt tsa.key tsa.crt tsa.cnf serial in DIR
#        make-test-tsa.sh reply DIR QUERY.tsq OUT.tsr   answer a DER TimeStampReq with DIR's TSA
#
# Exit status: 0 ok, 1 error, 2 usage, 3 reply written but not granted (e.g. a SHA-1 or malformed query).
#
# RSA-2048 + SHA-256 throughout: OpenSSL 3.0's `ts -reply` answers "Error during signature generation"
# with an Ed25519 TSA key (its PKCS#7 signer cannot do Ed25519); ECDSA P-256 works, RSA is the safest.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") [init] DIR | $(basename "$0") reply DIR QUERY.tsq OUT.tsr" >&2
  exit 2
}
die() { echo "error: $*" >&2; exit 1; }
command -v openssl >/dev/null || die "openssl not found in PATH"

init() {
  # OpenSSL config syntax would expand '$' and cut at '#'; a space-free path also keeps the file trivial.
  case "$1" in *[\$\#\ ]*) die "folder path must not contain '\$', '#' or spaces: $1" ;; esac
  mkdir -p "$1" || die "cannot create $1"
  local dir; dir="$(cd "$1" && pwd)"
  case "$dir" in *[\$\#\ ]*) die "folder path must not contain '\$', '#' or spaces: $dir" ;; esac
  # Refuse to overwrite: a new CA would silently orphan every token already issued under the old one.
  for f in ca.key ca.crt tsa.key tsa.crt tsa.cnf serial; do
    [ ! -e "$dir/$f" ] || die "$dir/$f already exists (use an empty folder)"
  done

  # One file is both the certificate-extension config and the `openssl ts -reply` config.
  # Absolute paths, so `openssl ts -reply -config DIR/tsa.cnf` works from any working directory.
  cat >"$dir/tsa.cnf" <<EOF
# Test TSA made by make-test-tsa.sh. Answer with: openssl ts -reply -config $dir/tsa.cnf -queryfile Q.tsq -out R.tsr
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = custody-ledger test root CA

[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

# OpenSSL's timestamp-signing purpose check (used by TS verification) insists that
# timeStamping is the only extended key usage and that the extension is critical (RFC 3161 2.3).
[ v3_tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir            = $dir
# Hex serial, incremented in place by each reply (so replies must not run concurrently on one DIR).
serial         = \$dir/serial
crypto_device  = builtin
signer_cert    = \$dir/tsa.crt
# Added to the reply's certificate set, beside the TSA certificate, when the query has certReq=true.
certs          = \$dir/ca.crt
signer_key     = \$dir/tsa.key
signer_digest  = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
# Queries whose imprint uses another hash get a "rejection" reply (still a well-formed .tsr).
digests        = sha256, sha384, sha512
accuracy       = secs:1
clock_precision_digits = 0
ordering       = yes
# Put the TSA's subject name in TSTInfo.tsa, so clients can show who stamped.
tsa_name       = yes
ess_cert_id_chain = no
# SHA-256 ESSCertIDv2 (RFC 5816) instead of the SHA-1 ESSCertID default.
ess_cert_id_alg = sha256
EOF

  # Keys stay readable by the owner only, even in a scratch folder.
  ( umask 077
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/ca.key" &&
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/tsa.key" ) \
    || die "key generation failed"

  openssl req -new -x509 -config "$dir/tsa.cnf" -extensions v3_ca -key "$dir/ca.key" \
    -sha256 -days 3650 -set_serial 1 -out "$dir/ca.crt" \
    || die "CA certificate creation failed"

  # `req -x509 -CA` (new in OpenSSL 3.0) issues in one step, without a CSR file or the ca.srl
  # that `x509 -req -CAcreateserial` would leave; a random serial keeps re-made TSAs distinguishable.
  openssl req -new -x509 -config "$dir/tsa.cnf" -extensions v3_tsa -key "$dir/tsa.key" \
    -subj "/CN=custody-ledger test TSA" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -sha256 -days 3650 -set_serial "0x$(openssl rand -hex 8)" -out "$dir/tsa.crt" \
    || die "TSA certificate creation failed"

  openssl verify -purpose timestampsign -CAfile "$dir/ca.crt" "$dir/tsa.crt" >/dev/null \
    || die "TSA certificate does not verify for time-stamp signing"
  echo 01 >"$dir/serial"
  echo "test TSA ready in $dir"
}

reply() {
  local dir=$1 query=$2 out=$3
  [ -f "$dir/tsa.cnf" ] || die "$dir/tsa.cnf not found (run: $(basename "$0") init $dir)"
  [ -f "$query" ] || die "query file not found: $query"
  # -section names the TSA explicitly rather than relying on default_tsa.
  # Its stderr is chatter ("Using configuration from ...") on success, so show it only on failure.
  local err
  err="$(openssl ts -reply -config "$dir/tsa.cnf" -section tsa_config -queryfile "$query" -out "$out" 2>&1)" \
    || { echo "$err" >&2; die "openssl ts -reply failed for $query"; }
  # openssl exits 0 even when its reply is a rejection; keep the file (tests may want it) but fail.
  local text status
  text="$(openssl ts -reply -in "$out" -text 2>/dev/null)" || die "cannot read back $out"
  status="$(sed -n 's/^Status: //p' <<<"$text")"
  case "$status" in
    Granted.|"Granted with modifications.") ;;
    *) echo "error: TSA did not grant $query: ${status:-no status}" \
         "$(sed -n 's/^Status description: //p' <<<"$text") (reply kept in $out)" >&2
       exit 3 ;;
  esac
}

case "${1:-}" in
  ""|-h|--help) usage ;;
  init)  [ $# -eq 2 ] || usage; init "$2" ;;
  reply) [ $# -eq 4 ] || usage; reply "$2" "$3" "$4" ;;
  *)     [ $# -eq 1 ] || usage; init "$1" ;;
esac
