import ArgumentParser
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Generate, register, list and revoke signing keys.",
        discussion: """
            People make their own keys; an administrator registers them from the signed request, so nobody ever \
            holds anyone else's private key.

            Example:
              ledger key generate --out bob.pem --name "Bob Martin" --person bob \\
                  --agency "BKA" --origin ledger.example.org/op-synergia \\
                  --request-out bob.request.json
              ledger key register bob.request.json --roles custodian --key ada.pem
              ledger key list
              ledger key revoke <key id> --reason "left the unit" --key ada.pem
            """,
        subcommands: [Generate.self, Register.self, List.self, Revoke.self, SubmitRequest.self, Requests.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make your own signing key and a registration request for an administrator.",
            discussion: """
                Writes the private key (PKCS#8 PEM, mode 0600, encrypted when a passphrase is given) and prints a \
                signed registration request to hand to an administrator. Your private key never leaves you.

                Example:
                  ledger key generate --out bob.pem --name "Bob Custodian" --person bob \\
                      --agency "BKA" --origin ledger.example.org/op-synergia \\
                      > bob.request.json
                """)

        @OptionGroup var location: LedgerOptions
        @Option(help: ArgumentHelp("Where to write the new private key.", valueName: "file")) var out: String
        @Option(help: "Your full name.") var name: String
        @Option(help: "Your stable person id (A-Z a-z 0-9 . _ @ -), the same for all your keys.") var person: String
        @Option(help: "Your agency.") var agency: String
        @Option(help: "The ledger's origin (default: read from --ledger).") var origin: String?
        @Option(help: ArgumentHelp("Write the request here instead of standard output.", valueName: "file"))
        var requestOut: String?
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let ledgerOrigin: String
            if let origin {
                ledgerOrigin = origin
            } else {
                guard location.location.exists else {
                    throw LedgerError.usage(
                        "give the ledger's --origin (no ledger at \(location.location) to read it from)")
                }
                ledgerOrigin = try location.open().read { try $0.meta("origin") } ?? ""
            }
            if let requestOut, FileManager.default.fileExists(atPath: requestOut) {
                throw LedgerError.usage("\(requestOut) already exists")
            }
            let (keyID, request) = try KeyManagement.generate(
                keyPath: out, passphrase: try passphrase.passphrase(),
                identity: Identity(name: name, person: person, agency: agency), origin: ledgerOrigin)
            if let requestOut {
                guard FileManager.default.createFile(atPath: requestOut, contents: Data((request + "\n").utf8)) else {
                    throw LedgerError.usage("cannot write \(requestOut)")
                }
                if output.json {
                    printJSON([
                        "key_file": .string(out), "key_id": .string(keyID), "request_file": .string(requestOut),
                    ])
                } else {
                    printErr("wrote key \(out) (key id \(keyID)) and request \(requestOut)")
                }
            } else if output.json {
                printJSON(["key_file": .string(out), "key_id": .string(keyID), "request": .string(request)])
            } else {
                print(request)
                printErr("wrote key \(out) (key id \(keyID)); the request is on standard output")
            }
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a person's key from their registration request (administrators).",
            discussion: """
                Appends key.registered, signed by your admin key and carrying the requester's own signature as \
                proof that they hold the private key.

                Example:
                  ledger key register bob.request.json --roles custodian,examiner \\
                      --key ada.pem
                """)

        @OptionGroup var location: LedgerOptions
        @Argument(help: "The registration request file (- for standard input).") var request: String
        @Option(
            help:
                "Comma-separated roles: admin, case-officer, custodian, examiner, takedown-officer, supervisor, auditor."
        )
        var roles: String
        @Option(help: ArgumentHelp("Your admin private key file.", valueName: "file")) var key: String
        @Option(help: "A UUIDv4 for the entry, to make retries idempotent.") var id: String?
        @OptionGroup var passphrase: PassphraseOptions
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let admin = try passphrase.loadKey(key)
            let roleList = roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            if location.serverURL != nil {
                // Through a server: the statement is signed here and submitted.
                let text = try readFileBytes(request, what: "request")
                let publicKey: Ed25519PublicKey
                do { publicKey = try KeyRequest.parseSigned(text).1 } catch {
                    throw LedgerError.usage("invalid registration request: \(error.description)")
                }
                let remote = try location.remote(keyFile: key, passphrase: passphrase)
                let stream = "key/\(KeyFiles.keyID(publicKey))"
                let outcome = try Blocking.wait {
                    defer { Task { await remote.close() } }
                    let position = try await remote.head(stream)
                    let statement = try KeyManagement.registrationStatement(
                        requestText: text, roles: roleList, admin: admin, position: position)
                    guard let outcome = try await remote.submit([statement]).first else {
                        throw LedgerError(code: .store, "the server answered no result")
                    }
                    if let error = outcome.error {
                        // As the local register says it (after the role check, which the server made first).
                        if error.code == .invalidEntry, position.rev > 0 {
                            throw KeyManagement.alreadyRegistered(stream.dropFirst(4), revision: position.rev)
                        }
                        throw error
                    }
                    return outcome
                }
                let keyID = String(stream.dropFirst(4))
                if json {
                    printJSON(["key_id": .string(keyID), "seq": .integer(outcome.seq ?? 0)])
                } else {
                    print(
                        "registered key \(keyID) at seq \(outcome.seq ?? 0) with roles \(roleList.joined(separator: ", "))"
                    )
                }
                return
            }
            let store = try location.open()
            let (keyID, seq) = try KeyManagement.register(
                requestText: try readFileBytes(request, what: "request"), roles: roleList, admin: admin, store: store,
                id: id)
            if json {
                printJSON(["key_id": .string(keyID), "seq": .integer(seq)])
            } else {
                print("registered key \(keyID) at seq \(seq) with roles \(roleList.joined(separator: ", "))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List registered keys.",
            discussion: "Example:\n  ledger key list --json")

        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print JSON Lines, one key per line.") var json = false

        func run() throws {
            let keys = try location.openForReading().read { try $0.allKeys() }
            if json {
                for key in keys {
                    var members: [JSONMember] = [
                        JSONMember("key_id", .string(key.keyID)), JSONMember("name", .string(key.name)),
                        JSONMember("person", .string(key.person)), JSONMember("agency", .string(key.agency)),
                        JSONMember("roles", .array(key.roles.map { .string($0) })),
                        JSONMember("registered_seq", .integer(key.registeredSeq)),
                    ]
                    if let revoked = key.revokedSeq { members.append(JSONMember("revoked_seq", .integer(revoked))) }
                    if let since = key.compromisedSinceSeq {
                        members.append(JSONMember("compromised_since_seq", .integer(since)))
                    }
                    printJSON(.object(members))
                }
                return
            }
            let rows = keys.map { key in
                [
                    String(key.keyID.prefix(16)) + "…", key.name, key.person, key.agency,
                    key.roles.joined(separator: ","),
                    String(key.registeredSeq),
                    key.revokedSeq.map {
                        "revoked at \($0)" + (key.compromisedSinceSeq.map { ", compromised since \($0)" } ?? "")
                    }
                        ?? "active",
                ]
            }
            print(Table.render(header: ["KEY ID", "NAME", "PERSON", "AGENCY", "ROLES", "SEQ", "STATUS"], rows: rows))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key (by an administrator, or by the key itself).",
            discussion: """
                Example:
                  ledger key revoke 3f2a…c9 --reason "laptop stolen" --compromised-since 120 \\
                      --key ada.pem
                """)

        @OptionGroup var location: LedgerOptions
        @Argument(help: "The key id to revoke (64 hex digits).") var keyID: String
        @Option(help: "Why the key is revoked.") var reason: String
        @Option(help: "The key may have been misused after this seq: later entries it signed become findings.")
        var compromisedSince: Int64?
        @Option(help: ArgumentHelp("Your private key file (an admin's, or the revoked key's own).", valueName: "file"))
        var key: String
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var output: JSONOutput

        func validate() throws {
            // Named by the options typed, before the type table names them as data members.
            let length = reason.trimmingCharacters(in: .whitespaces).count
            guard length > 0, reason.count <= 1000 else {
                throw ValidationError("--reason must say why, in 1 to 1000 characters")
            }
            if let compromisedSince, compromisedSince < 1 {
                throw ValidationError("--compromised-since must be a seq (1 or more)")
            }
        }

        func run() throws {
            let store = try location.open()
            let signer = try passphrase.loadKey(key)
            guard Hex.isCanonical(keyID, byteCount: 32) else {
                throw LedgerError.usage("the key id must be 64 lowercase hex digits")
            }
            if let compromisedSince, let last = try store.read({ try $0.head() })?.seq, compromisedSince > last {
                throw LedgerError.usage(
                    "--compromised-since \(compromisedSince) is after the ledger's last entry (seq \(last))")
            }
            let seq = try KeyManagement.revoke(
                keyID: keyID, reason: reason, compromisedSinceSeq: compromisedSince, signer: signer, store: store)
            output.emit(
                "revoked key \(keyID) at seq \(seq)", json: ["key_id": .string(keyID), "seq": .integer(seq)])
        }
    }

    struct SubmitRequest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit-request",
            abstract: "Send your registration request to a server's administrators (no key registered yet).",
            discussion: """
                The request waits in the server's queue (outside the log) until an administrator registers it \
                with `ledger key register REQUEST --roles … --ledger https://…`, or for a week.

                Example:
                  ledger key submit-request bob.request.json --ledger https://ledger.example.org
                """)
        @Argument(help: "The registration request file `ledger key generate` wrote.") var request: String
        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            guard let url = location.serverURL else {
                throw LedgerError.usage("submit-request sends a request to a server: give --ledger https://…")
            }
            let text = try readFileBytes(request, what: "request")
            let remote = try RemoteLedger(
                url: url, signer: nil, caFile: ProcessInfo.processInfo.environment["LEDGER_CA_FILE"])
            let answer = try Blocking.wait {
                defer { Task { await remote.close() } }
                return try JSONParser.parse(
                    try await remote.send(
                        "POST", "/api/v1/key-requests", body: text, contentType: "application/json", accept: [202]
                    ).body)
            }
            if json { return printJSON(answer) }
            let key = answer.member("key")?.stringValue ?? "?"
            print(
                "request for key \(key) is waiting for an administrator (\(answer.member("status")?.stringValue ?? ""))"
            )
        }
    }

    struct Requests: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registration requests waiting on a server (administrators).",
            discussion: """
                Example:
                  ledger key requests --ledger https://ledger.example.org --key ada.pem
                """)
        @OptionGroup var location: LedgerOptions
        @OptionGroup var server: ServerKeyOptions
        @Flag(help: "Print JSON Lines, one request per line.") var json = false

        func run() throws {
            guard location.serverURL != nil else {
                throw LedgerError.usage("requests are queued by a server: give --ledger https://…")
            }
            let answer = try remoteJSON(try server.remote(location), "/api/v1/key-requests")
            let requests = answer.member("requests")?.arrayValue ?? []
            if json { return printJSONLines(requests) }
            guard !requests.isEmpty else { return print("no requests waiting") }
            print(
                Table.render(
                    header: ["KEY", "PERSON", "NAME", "AGENCY", "RECEIVED"],
                    rows: requests.map { request in
                        ["key", "person", "name", "agency", "received"].map { name in
                            let text = request.member(name)?.stringValue ?? ""
                            return name == "key" ? String(text.prefix(16)) + "…" : text
                        }
                    }))
        }
    }
}
