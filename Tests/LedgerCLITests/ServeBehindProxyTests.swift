import Foundation
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `ledger serve` behind nginx (Debian's), as docs/API.md sets it up: clients sign for the public URL, nginx passes
/// requests through, and a request signed for the server's own address is refused (forwarded headers and Host are
/// never trusted to decide what was signed).
struct ServeBehindProxyTests {
    let directory = TemporaryDirectory()

    static var nginx: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private func run(_ arguments: [String], _ environment: [String: String] = [:]) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url, environment: environment)
    }

    @Test func clientsSignThePublicURLAndNginxPassesThemThrough() throws {
        guard let nginx = Self.nginx else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "CI must install nginx")
            return
        }
        for arguments in [
            ["init", "--origin", "ledger.test.example/proxy", "--name", "Ada", "--person", "ada", "--agency", "NCA"],
            [
                "key", "generate", "--out", "carol.pem", "--name", "Carol", "--person", "carol", "--agency", "NCA",
                "--request-out", "carol.json",
            ],
            ["key", "register", "carol.json", "--roles", "case-officer,custodian", "--key", "admin.pem"],
            [
                "case", "open", "OP-1", "--title", "One", "--legal-basis", "JIT 1", "--agency", "NCA", "--key",
                "carol.pem",
            ],
        ] {
            let result = try run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let publicPort = try LoopbackPort.free()
        let publicURL = "http://127.0.0.1:\(publicPort)"
        let (server, out, err) = try CLI.start(
            ["serve", "--ledger", "custody.ledger", "--listen", "127.0.0.1:0", "--json", "--public-url", publicURL],
            in: directory.url)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        // The line names the public URL; the backend's own port is read from the process's listening socket.
        let line = CLI.firstLine(of: out)
        #expect(line.contains(publicURL), "\(line)")
        let backendPort = try #require(Self.listeningPort(of: server.processIdentifier), "no listening port")

        let prefix = directory.path("nginx")
        try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
        let configuration = """
            worker_processes 1;
            error_log \(prefix)/logs/error.log;
            pid \(prefix)/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
                server {
                    listen 127.0.0.1:\(publicPort);
                    client_max_body_size 8m;
                    location / {
                        proxy_pass http://127.0.0.1:\(backendPort);
                        proxy_http_version 1.1;
                        proxy_set_header X-Forwarded-Host evil.example;
                    }
                }
            }
            """
        try configuration.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: nginx)
        proxy.arguments = ["-p", prefix, "-c", prefix + "/nginx.conf", "-g", "daemon off;"]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        defer { if proxy.isRunning { kill(proxy.processIdentifier, SIGKILL) } }
        // Wait for nginx to listen.
        var ready = false
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try run(["item", "show", "EV-1", "--key", "carol.pem"], ["LEDGER_PATH": publicURL]).stderr.contains(
                "no item EV-1")
            {
                ready = true
                break
            }
            usleep(50_000)
        }
        #expect(
            ready,
            "nginx never answered: \((try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? "")")

        // Through nginx: a seizure and a read, signed for the public URL.
        let seize = try run(
            [
                "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description",
                "Grey", "--seal", "S-1", "--location", "Room B", "--from", "Flat 3", "--authority", "W 7", "--key",
                "carol.pem",
            ], ["LEDGER_PATH": publicURL])
        #expect(seize.status == 0, "\(seize.stderr)")
        let shown = try run(["item", "show", "EV-1", "--key", "carol.pem", "--json"], ["LEDGER_PATH": publicURL])
        #expect(shown.status == 0 && shown.stdout.contains("\"seal\":\"S-1\""), "\(shown.stderr)")
        // Straight to the backend, signed for its own address: not what this server's clients sign.
        let direct = try run(
            ["item", "show", "EV-1", "--key", "carol.pem"], ["LEDGER_PATH": "http://127.0.0.1:\(backendPort)"])
        #expect(direct.status == 2 && direct.stderr.contains("does not verify"), "\(direct.stderr)")

        kill(proxy.processIdentifier, SIGTERM)
        proxy.waitUntilExit()
        server.terminate()
        #expect(CLI.finish(server, out, err).status == 0)
    }

    /// The TCP port a process listens on (from /proc/net/tcp and its socket inodes).
    static func listeningPort(of pid: Int32) -> Int? {
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else {
            return nil
        }
        var inodes: Set<String> = []
        for descriptor in descriptors {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)"),
                target.hasPrefix("socket:[")
            {
                inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
            }
        }
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return nil }
        for row in table.split(separator: "\n").dropFirst() {
            let fields = row.split(separator: " ")
            // local_address, state 0A (LISTEN), inode.
            guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])) else { continue }
            return Int(fields[1].split(separator: ":")[1], radix: 16)
        }
        return nil
    }
}
