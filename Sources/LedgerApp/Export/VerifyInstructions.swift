import CourtBundle
import LedgerCore
import LedgerCrypto

/// `data/VERIFY.md`: how to re-check a bag by hand with `sha256sum`, `openssl` and the shell alone, and what each
/// step proves.
///
/// It names only what its reader has: the bag's own files and common command-line tools. Steps 1 to 3 are shell
/// commands that a test runs as written (`Tests/LedgerCLITests/BundleContractTests.swift`).
enum VerifyInstructions {
    static func text(ledger: DisclosedLedger) -> String {
        let checkpoint = ledger.checkpoint.checkpoint
        let origin = checkpoint.origin
        let vkey = ledger.entries.first?.body.data.member("log_vkey")?.stringValue ?? "?"
        let statement = ledger.statement
        let exported = statement.export.map { " It was exported on \($0.time) by \($0.exporter)." } ?? ""
        return """
            # How to verify this bundle

            This folder is a BagIt 1.0 bag (RFC 8493) exported from the custody ledger `\(origin)`. It discloses
            \(statement.selection.description): \(ledger.entries.count) ledger entries in \(statement.streams.count) streams,
            proven against the ledger's checkpoint of size \(checkpoint.size).\(exported)

            The steps below need only a shell (bash), `sha256sum`, `base64`, `xxd`, `openssl` (3.0 or later) and
            the files of this bag. Run them from the bag's top folder (the one holding `bagit.txt`); they write
            only into a new temporary folder. Each step says what it proves and what it does not.

            ## 0. Get the log key from the ledger's operator, not from this bag

            The bag names its log key in `bag-info.txt` (`Ledger-Log-Key`) and in its first entry. Everything below
            is checked against that key, so it proves who signed only if the key is the one the operator gave you
            through another channel (a letter, a phone call, their published key). Compare it:

                grep '^Ledger-Log-Key: ' bag-info.txt
                # expected (as exported): \(vkey)

            ## 1. The files are the ones the manifests list

                sha256sum -c tagmanifest-sha256.txt
                sha256sum -c manifest-sha256.txt
                find data -type f | LC_ALL=C sort | diff - <(cut -c67- manifest-sha256.txt)

            This proves only that nothing was damaged or changed *without also rewriting the manifests*: the
            manifests are not signed, and anyone can recompute them. Steps 2 and 3 prove who made the files.

            ## 2. The checkpoint is signed by the log key

                work=$(mktemp -d)
                vkey='\(vkey)'
                printf '%s' "$vkey" | cut -d+ -f3- | base64 -d | tail -c 32 > "$work/log.raw"
                { printf '302a300506032b6570032100' | xxd -r -p; cat "$work/log.raw"; } > "$work/log.der"
                head -n 3 data/ledger/checkpoint > "$work/checkpoint.txt"
                grep "^— \(origin) " data/ledger/checkpoint | head -n 1 | cut -d' ' -f3 | base64 -d | tail -c 64 > "$work/checkpoint.sig"
                openssl pkeyutl -verify -pubin -inkey "$work/log.der" -keyform DER -rawin \\
                    -in "$work/checkpoint.txt" -sigfile "$work/checkpoint.sig"

            This proves that the holder of the log key stated that the ledger held \(checkpoint.size) entries whose
            Merkle tree has the root on the checkpoint's third line. Other `—` lines on the checkpoint are
            cosignatures of witnesses (other agencies) that vouch they saw this checkpoint and that it extends every
            checkpoint they saw before; checking them needs each witness's own key.

            ## 3. The disclosure statement is signed by the same key, and names every other file's SHA-256

                sed '/^$/,$d' data/ledger/disclosure > "$work/disclosure.txt"
                grep "^— \(origin) " data/ledger/disclosure | cut -d' ' -f3 | base64 -d | tail -c 64 > "$work/disclosure.sig"
                openssl pkeyutl -verify -pubin -inkey "$work/log.der" -keyform DER -rawin \\
                    -in "$work/disclosure.txt" -sigfile "$work/disclosure.sig"
                sed -n 's/^file \\([0-9a-f]\\{64\\}\\) /\\1  /p' "$work/disclosure.txt" > "$work/signed-files.txt"
                sha256sum -c "$work/signed-files.txt"
                find data -type f ! -path data/ledger/disclosure | LC_ALL=C sort | diff - <(cut -c67- "$work/signed-files.txt")

            The first three commands prove that the holder of the log key signed the statement: which selection it
            discloses, at which checkpoint, who exported the bag and when (its `exported` line), and, for every
            stream of the selection, the revision and hash of its last entry. The last three prove that every other
            file under `data/` (the entries, the proofs, the report, the targets, the CASE/UCO graph and this
            file) is byte for byte the file the log key signed, and that none was added or removed: an edited
            report fails here even when the manifests were recomputed.

            Step 3 does not prove that the statement is true: that the selection's streams are complete can be
            proven only against the whole ledger, by its operator or an auditor with a copy of it.

            ## 4. Each entry is signed, chained and in the ledger

            Each line of `data/ledger/entries.jsonl` is one signed record; line i of `data/ledger/proofs.jsonl` is
            its Merkle inclusion proof (RFC 9162) against the checkpoint of step 2. Checking every signature, every
            proof and every stream's chain by hand is impractical; a verifier program does it. None is part of
            this bag: custody-ledger's `ledger verify-bundle` and its independent `tools/verify_bundle.py` (Python)
            are published with custody-ledger, together with the format they check (`docs/FORMAT.md`, §11). Both
            exit with status 0 when everything holds and 1 when anything was changed, and say what; `ledger
            verify-bundle` also replays the custody rules over the disclosed history (status 3 when an entry breaks
            one) and re-renders the report and the CASE/UCO graph.

            ## 5. The RFC 3161 time stamp, when `data/ledger/checkpoint.tsr` is present

            It is a time stamp over the checkpoint text of step 2, by a time-stamping authority whose CA
            certificate (`TSA-CA.pem` below) you obtain from that authority:

                openssl ts -reply -in data/ledger/checkpoint.tsr -text | grep 'Time stamp'   # its genTime
                openssl ts -verify -data "$work/checkpoint.txt" -in data/ledger/checkpoint.tsr -CAfile TSA-CA.pem \\
                    -attime "$(date -d 'GENTIME' +%s)"      # check the TSA's chain as it stood at genTime

            It proves that the checkpoint, and so every entry it covers, existed at that time.

            """
    }
}
