import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// File-system shapes a hostile bag or a killed process leaves behind: folders deeper than PATH_MAX, sparse
/// files, names that are not UTF-8; and a way to run a program and learn its peak resident memory.
public enum HostileFiles {
    /// A step of making or measuring that failed, with the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    private static func failure(_ what: String) -> Failure {
        Failure("\(what): \(String(cString: strerror(errno)))")
    }

    /// Makes `depth` nested folders named `name` under `parent`, and in the deepest one a file `file` holding
    /// `contents`; each level is created relative to the previous one (mkdirat/openat), as the full path is far
    /// longer than PATH_MAX.
    public static func makeDeepFolders(
        under parent: String, name: String, depth: Int, file: String?, contents: [UInt8] = Array("deep\n".utf8)
    ) throws {
        var fd = open(parent, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw failure("open \(parent)") }
        for level in 0..<depth {
            guard mkdirat(fd, name, 0o755) == 0 || errno == EEXIST else { throw failure("mkdirat level \(level)") }
            let next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            close(fd)
            guard next >= 0 else { throw failure("openat level \(level)") }
            fd = next
        }
        defer { close(fd) }
        guard let file else { return }
        let out = openat(fd, file, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard out >= 0 else { throw failure("create \(file)") }
        defer { close(out) }
        _ = contents.withUnsafeBytes { write(out, $0.baseAddress, $0.count) }
    }

    /// Creates (or truncates) `path` as a sparse file of `size` bytes: no data blocks, reads as zeros.
    public static func makeSparseFile(at path: String, size: Int64) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure("open \(path)") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw failure("ftruncate \(path)") }
    }

    /// Creates an empty file whose name is the raw bytes `name` (which need not be UTF-8) in the folder `parent`.
    public static func makeFile(in parent: String, rawName name: [UInt8]) throws {
        let dir = open(parent, O_RDONLY | O_DIRECTORY)
        guard dir >= 0 else { throw failure("open \(parent)") }
        defer { close(dir) }
        let fd = (name + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { openat(dir, $0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        guard fd >= 0 else { throw failure("create a file in \(parent)") }
        close(fd)
    }

    /// Removes a tree of any depth (`rm -rf` walks it relative to each folder, never by full path).
    public static func removeTree(_ path: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/rm")
        process.arguments = ["-rf", "--", path]
        try? process.run()
        process.waitUntilExit()
    }

    /// The result of a measured run.
    public struct Measured: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// The child's peak resident set size, in bytes (its VmHWM, sampled while it ran).
        public let peakResidentBytes: Int64
        /// Wall-clock time of the run.
        public let seconds: Double
    }

    /// Runs `executable` with `arguments` (use absolute paths) and reports its peak resident memory: the child's
    /// VmHWM, read every 2 ms until it exits (a high-water mark, so the last reading holds all but its final
    /// moments).
    public static func measure(_ executable: String, _ arguments: [String]) throws -> Measured {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("measured-\(UUID().uuidString)")
        let outPath = scratch.path + ".out"
        let errPath = scratch.path + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started = Date()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            errno = spawned
            throw failure("posix_spawn \(executable)")
        }
        // The child's own peak: its VmHWM, the high-water mark of the memory it got at exec, read while it runs.
        // (wait4's ru_maxrss cannot be used: posix_spawn starts the child in this process's memory, and Linux keeps
        // that high-water mark, this test process's own, across the exec.)
        var status: Int32 = 0
        var usage = rusage()
        var peak: Int64 = 0
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            guard reaped == 0 || errno == EINTR else { throw failure("wait4") }
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = Int64(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak = max(peak, kilobytes * 1024)
            }
            usleep(2_000)
        }
        let seconds = Date().timeIntervalSince(started)
        // WIFEXITED / WEXITSTATUS / WTERMSIG, by hand: the macros are not imported.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func text(_ path: String) -> String {
            String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
        }
        return Measured(
            status: exitStatus, stdout: text(outPath), stderr: text(errPath),
            peakResidentBytes: peak, seconds: seconds)
    }
}
