import CourtBundle
import LedgerCore
import LedgerCrypto

/// `data/VERIFY.md`: how to re-check a bag by hand with `sha256sum`, `openssl` and the reference verifier.
enum VerifyInstructions {
    static func text(ledger: DisclosedLedger) -> String {
        let checkpoint = ledger.checkpoint.checkpoint
        let origin = checkpoint.origin
        let vkey = ledger.entries.first?.body.data.member("log_vkey")?.stringValue ?? "?"
        return """
            # How to verify this bundle

            This folder is a BagIt 1.0 bag (RFC 8493) exported from the custody ledger `\(origin)`. It discloses
            \(ledger.statement.selection.description): \(ledger.entries.count) ledger entries in \(ledger.statement.streams.count) streams,
            proven against the ledger's checkpoint of size \(checkpoint.size). The format is specified in
            docs/FORMAT.md §11 of custody-ledger; nothing below needs our software.

            Run every command from the bag's top folder (the one holding `bagit.txt`).

            ## 0. Get the log key from the ledger's operator, not from this bag

            The bag names its log key in `bag-info.txt` (`Ledger-Log-Key`) and in entry 1. A bag checked against the
            key it names itself proves only that it is consistent. Compare it with the key the operator gave you
            through another channel:

                grep '^Ledger-Log-Key: ' bag-info.txt
                # expected (as exported): \(vkey)

            ## 1. Nothing was changed, added or removed

                sha256sum -c tagmanifest-sha256.txt
                sha256sum -c manifest-sha256.txt
                find data -type f | sort      # exactly the files listed in manifest-sha256.txt

            ## 2. The checkpoint is signed by the log key

                vkey='\(vkey)'
                printf '%s' "$vkey" | cut -d+ -f3- | base64 -d | tail -c 32 > /tmp/log.raw
                { printf '302a300506032b6570032100' | xxd -r -p; cat /tmp/log.raw; } > /tmp/log.der
                head -n 3 data/ledger/checkpoint > /tmp/checkpoint.txt
                grep "^— \(origin) " data/ledger/checkpoint | head -n 1 | cut -d' ' -f3 | base64 -d | tail -c 64 > /tmp/checkpoint.sig
                openssl pkeyutl -verify -pubin -inkey /tmp/log.der -keyform DER -rawin \\
                    -in /tmp/checkpoint.txt -sigfile /tmp/checkpoint.sig

            If several lines carry the ledger's name, each must verify the same way. Other `—` lines on the
            checkpoint are cosignatures of witnesses (other agencies) that vouch they saw
            this checkpoint and that it extends every checkpoint they saw before (docs/FORMAT.md §6.6).
            `data/ledger/checkpoint.tsr`, when present, is an RFC 3161 time stamp over `/tmp/checkpoint.txt`:

                openssl ts -reply -in data/ledger/checkpoint.tsr -text | grep 'Time stamp'   # its genTime
                openssl ts -verify -data /tmp/checkpoint.txt -in data/ledger/checkpoint.tsr -CAfile TSA-CA.pem \\
                    -attime "$(date -d 'GENTIME' +%s)"      # check the TSA's chain as it stood at genTime

            ## 3. The disclosure statement is signed by the same key

                sed '/^$/,$d' data/ledger/disclosure > /tmp/disclosure.txt
                grep "^— \(origin) " data/ledger/disclosure | cut -d' ' -f3 | base64 -d | tail -c 64 > /tmp/disclosure.sig
                openssl pkeyutl -verify -pubin -inkey /tmp/log.der -keyform DER -rawin \\
                    -in /tmp/disclosure.txt -sigfile /tmp/disclosure.sig

            It lists every stream of the selection with the revision and body hash of its last entry at the
            checkpoint. Leaving out an item, a target or a later entry would contradict this signed statement, which
            the full ledger proves true or false (`ledger verify --disclosure data/ledger/disclosure`).

            ## 4. Each entry is signed, chained and in the ledger

            Each line of `data/ledger/entries.jsonl` is one signed record; line i of `data/ledger/proofs.jsonl` is
            its Merkle inclusion proof against the checkpoint. docs/FORMAT.md §10 shows, with `openssl` and `sed`,
            how to check one record's signature; the reference verifier checks all of them, every proof, every
            stream's chain and the statement:

                python3 verify_bundle.py . --trust-log-key "$vkey"       # tools/verify_bundle.py of custody-ledger
                ledger verify-bundle . --trust-log-key "$vkey"           # also re-checks the custody rules

            Both exit with status 0 when everything holds and 1 when anything was changed (and say what);
            `ledger verify-bundle` also replays the custody rules over the disclosed history and exits with 3 when
            an entry breaks one, and re-renders the report and the CASE/UCO graph to check they were not edited.

            """
    }
}
