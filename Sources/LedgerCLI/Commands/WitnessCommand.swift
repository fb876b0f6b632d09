import ArgumentParser
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto
import LedgerServer
import Logging

/// Where a witness keeps its files.
struct WitnessLocation: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The witness's folder (default: $LEDGER_WITNESS_DIR, or ./witness).", valueName: "dir"))
    var dir: String?

    var witness: Witness {
        Witness(directory: dir ?? ProcessInfo.processInfo.environment["LEDGER_WITNESS_DIR"] ?? "witness")
    }
}

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a witness: cosign a log's checkpoints only when each extends the last one cosigned.",
        discussion: """
            A partner agency keeps its own witness. It cosigns (c2sp.org/tlog-cosignature, Ed25519) a checkpoint \
            after checking the log's signature with the configured key and the consistency proof from the last \
            checkpoint it cosigned for that log, so it never cosigns two inconsistent checkpoints.

            Examples:
              ledger witness init --name witness.bka.example --dir bka-witness
              ledger witness add-log ledger.example.org/op-1 'ledger.example.org/op-1+…' \\
                  --dir bka-witness
              ledger checkpoint --latest > cp.txt
              ledger proof consistency 1000 2000 > proof.txt
              ledger witness cosign cp.txt --proof proof.txt --dir bka-witness \\
                  > cosignature.txt
              ledger witness serve --dir bka-witness --listen 127.0.0.1:9090
            """,
        subcommands: [Init.self, AddLog.self, Cosign.self, Serve.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a witness key and an empty state.",
            discussion: """
                Example:
                  ledger witness init --name witness.bka.example --dir bka-witness
                """)
        @Option(help: "The witness's name (its key name, e.g. witness.bka.example).") var name: String
        @OptionGroup var location: WitnessLocation
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let vkey = try location.witness.initialize(name: name, passphrase: try passphrase.passphrase())
            output.emit(
                "witness \(name) created in \(location.witness.directory)\nits vkey (give it to verifiers): \(vkey)",
                json: [
                    "name": .string(name), "directory": .string(location.witness.directory), "vkey": .string(vkey),
                ])
        }
    }

    struct AddLog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-log", abstract: "Witness a log: its origin and the vkey of its log key.",
            discussion: """
                Example:
                  ledger witness add-log ledger.example.org/op-1 'ledger.example.org/op-1+…' \\
                      --dir bka-witness
                """)
        @Argument(help: "The log's origin.") var origin: String
        @Argument(help: "The log key's vkey.") var vkey: String
        @OptionGroup var location: WitnessLocation
        @OptionGroup var output: JSONOutput

        func run() throws {
            try location.witness.addLog(origin: origin, vkey: vkey)
            output.emit("witnessing \(origin)", json: ["origin": .string(origin), "vkey": .string(vkey)])
        }
    }

    struct Cosign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cosign a checkpoint that extends the last one cosigned; print the cosignature line.",
            discussion: """
                Refuses (exit 4, nothing recorded) a checkpoint of an unknown log, one not signed by the \
                configured log key, a shorter tree, another root for the same size, or one whose consistency \
                proof from the last cosigned checkpoint does not verify.

                Example:
                  ledger witness cosign cp.txt --proof proof.txt --dir bka-witness \\
                      > cosignature.txt
                """)
        @Argument(help: "The signed checkpoint file.") var checkpoint: String
        @Option(
            help: ArgumentHelp(
                "The consistency proof from the last cosigned size (base64 lines, `ledger proof consistency`).",
                valueName: "file"))
        var proof: String?
        @OptionGroup var location: WitnessLocation
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var output: JSONOutput

        func run() throws {
            let note = String(decoding: try readFileBytes(checkpoint, what: "checkpoint"), as: UTF8.self)
            var hashes: [[UInt8]] = []
            if let proof {
                let text = String(decoding: try readFileBytes(proof, what: "consistency proof"), as: UTF8.self)
                for line in text.split(separator: "\n") where !line.isEmpty {
                    guard let hash = Base64.decodeCanonical(String(line)), hash.count == 32 else {
                        throw LedgerError.usage("\(proof): \"\(line.prefix(60))\" is not a base64 32-byte hash")
                    }
                    hashes.append(hash)
                }
            }
            let line = try location.witness.cosign(
                checkpointNote: note, consistency: hashes, passphrase: try passphrase.passphrase())
            if output.json {
                printJSON(["cosignature": .string(line)])
            } else {
                printOut(line)
            }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the witness over HTTP: C2SP tlog-witness add-checkpoint, for logs to submit to.",
            discussion: """
                A log (`ledger serve --witness-url … --witness-vkey …`, or any other tlog-witness client) posts \
                `old SIZE`, the consistency proof from that size, an empty line and its checkpoint to \
                /add-checkpoint. The answer is the cosignature line (200), or: 400 malformed, 403 not signed by \
                the log's configured key, 404 a log this witness does not witness, 409 the old size is not the \
                size last cosigned (the body is that size, text/x.tlog.size), 422 the consistency proof does not \
                verify. Checking and recording happen under the witness's lock: it never cosigns two \
                inconsistent checkpoints, whatever arrives at once. Plain HTTP on loopback only: put a reverse \
                proxy with TLS in front to serve partners (docs/API.md).

                Example:
                  ledger witness serve --dir bka-witness --listen 127.0.0.1:9090
                """)
        @OptionGroup var location: WitnessLocation
        @OptionGroup var passphrase: PassphraseOptions
        @Option(help: ArgumentHelp("The address and port to listen on.", valueName: "host:port"))
        var listen = "127.0.0.1:9090"
        @Flag(help: "Print the line saying where it serves as a JSON object (name, vkey, url).") var json = false

        func run() throws {
            let (host, port) = try ServeCommand.hostAndPort(listen)
            guard ["127.0.0.1", "::1", "localhost"].contains(host) else {
                throw CommandError(
                    .usage("the witness serves plain HTTP on loopback only; put a reverse proxy with TLS in front"),
                    option: "--listen")
            }
            let witness = location.witness
            let (name, vkey) = try witness.identity()
            let server = WitnessServer(
                directory: witness.directory, passphrase: try passphrase.passphrase(), host: host, port: port)
            var logging = Logger(label: "ledger-witness")
            logging.logLevel = .info
            let logger = logging
            let asJSON = json
            try Blocking.wait {
                try await server.run(logger: logger) { bound in
                    let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(bound)"
                    let line =
                        asJSON
                        ? JCS.serialize(
                            .object([
                                JSONMember("name", .string(name)), JSONMember("url", .string(url)),
                                JSONMember("vkey", .string(vkey)),
                            ])) + [0x0a]
                        : Array("witness \(name) serving at \(url)/add-checkpoint (vkey \(vkey))\n".utf8)
                    FileHandle.standardOutput.write(Data(line))
                }
            }
        }
    }
}
