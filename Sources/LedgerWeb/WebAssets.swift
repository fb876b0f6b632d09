import Foundation
import LedgerCrypto

/// The web interface's files (Sources/LedgerWeb/app: HTML, CSS, ES modules), loaded once when a server starts.
///
/// They are found in the folder given (`ledger serve --web-root`, `$LEDGER_WEB_ROOT`), else in the resource folder
/// the build puts next to the `ledger` binary (`custody-ledger_LedgerWeb.resources/app`). Each file is served with
/// its content type and a strong `ETag` (the SHA-256 of its bytes).
public struct WebAssets: Sendable {
    /// One file: its bytes, content type and entity tag.
    public struct File: Sendable {
        /// The file's bytes.
        public let bytes: [UInt8]
        /// Its `Content-Type`.
        public let contentType: String
        /// Its strong entity tag: the first 16 bytes of its SHA-256, in hex, quoted.
        public let etag: String
    }

    /// The files by their path under `app/` (`index.html`, `lib/jcs.js`).
    public let files: [String: File]
    /// The folder they were read from.
    public let root: String

    /// The files of the folder `root`, or nil when it holds no `index.html`.
    public static func load(from root: String) throws -> WebAssets? {
        let manager = FileManager.default
        guard manager.fileExists(atPath: root + "/index.html") else { return nil }
        var files: [String: File] = [:]
        guard let walker = manager.enumerator(atPath: root) else { return nil }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                let type = contentType(of: relative)
            else { continue }
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            files[relative] = File(
                bytes: bytes, contentType: type, etag: "\"" + Hex.encode(Array(SHA256.hash(bytes).prefix(16))) + "\"")
        }
        return WebAssets(files: files, root: root)
    }

    /// The files from `given` (or `$LEDGER_WEB_ROOT`), else from the resource folder beside the running binary;
    /// nil when neither has them.
    public static func locate(given: String?) throws -> WebAssets? {
        if let given = given ?? ProcessInfo.processInfo.environment["LEDGER_WEB_ROOT"], !given.isEmpty {
            return try load(from: given)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let beside = executable.deletingLastPathComponent()
            .appendingPathComponent("custody-ledger_LedgerWeb.resources/app").path
        return try load(from: beside)
    }

    /// The content type served for a file name; nil for files not served.
    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json", "webmanifest": "application/json"
        case "txt": "text/plain; charset=utf-8"
        default: nil
        }
    }
}
