import Foundation

/// The shared test vectors, copied from ../shared/vectors into Tests/Vectors so a fresh clone has them.
public enum TestVectors {
    /// The Tests/Vectors folder.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Vectors")

    /// The bytes of a vector file, by path relative to Tests/Vectors.
    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(relativePath))
    }

    /// A vector JSON file decoded with Foundation (the vectors are trusted test data, not ledger input).
    public static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: try data(relativePath))
    }
}

/// The repository root, for tests that run the built executable or the docs' scripts.
public enum Repository {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
