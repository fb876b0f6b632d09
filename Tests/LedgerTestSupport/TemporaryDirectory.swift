import Foundation

/// A fresh directory under the system's temporary folder, removed when the value is deinitialized.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: immutable after init.
    public let url: URL

    public init(_ label: String = "custody-ledger-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
