import Foundation

/// Runs the built `ledger` executable the way a user would.
public enum CLI {
    /// The result of one run.
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `ledger` executable next to the test bundle (swift test builds it into the same folder).
    public static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for folder in [
            beside, beside.deletingLastPathComponent(), Repository.root.appendingPathComponent(".build/debug"),
        ] {
            let candidate = folder.appendingPathComponent("ledger")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return Repository.root.appendingPathComponent(".build/debug/ledger")
    }()

    /// Starts `ledger` with `arguments` in `directory` without waiting.
    public static func start(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], stdin: Data? = nil
    ) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["LEDGER_PATH"] = nil
        env["LEDGER_PASSPHRASE"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return (process, out, err)
    }

    /// Runs `ledger` with `arguments` in `directory` and waits for it.
    @discardableResult
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], stdin: Data? = nil
    ) throws -> Output {
        let (process, out, err) = try start(arguments, in: directory, environment: environment, stdin: stdin)
        return finish(process, out, err)
    }

    /// Reads a started process's output, waits for it, and returns the result.
    public static func finish(_ process: Process, _ out: Pipe, _ err: Pipe) -> Output {
        // Read before waiting so a full pipe cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The first line a started process writes to `pipe` (a server saying where it listens), without the newline;
    /// what it wrote if it ended first.
    public static func firstLine(of pipe: Pipe) -> String {
        var bytes: [UInt8] = []
        while !bytes.contains(0x0a) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return String(decoding: bytes.prefix { $0 != 0x0a }, as: UTF8.self)
    }

    /// Runs a shell command line (for sqlite3, openssl, sha256sum) in `directory`.
    @discardableResult
    public static func shell(_ command: String, in directory: URL) throws -> Output {
        let (process, out, err) = try shellStart(command, in: directory)
        return finish(process, out, err)
    }

    /// Starts a shell command line in `directory` without waiting, with `environment` added to this process's.
    public static func shellStart(_ command: String, in directory: URL, environment: [String: String] = [:]) throws
        -> (Process, Pipe, Pipe)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }
}

/// JSON Lines, as every list command prints under `--json`.
public enum JSONLines {
    /// Each line of `text` as a JSON object; throws when a line is not one.
    public static func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw CocoaError(.propertyListReadCorrupt)
            }
            return object
        }
    }
}
