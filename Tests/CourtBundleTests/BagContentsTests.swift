import LedgerCore
import Testing

@testable import CourtBundle

/// What a reader hands the pure verifier, and how paths are named (FORMAT.md §11.1).
struct BagContentsTests {
    @Test(arguments: [
        (Array("data/VERIFY.md".utf8), "data/VERIFY.md"),
        (Array("a\\b".utf8), #"a\\b"#),
        (Array("bad".utf8) + [0xFF, 0x0A] + Array("\u{202E}x".utf8), #"bad\xff\u{a}\u{202e}x"#),
        // A truncated sequence and an overlong encoding: each byte of the invalid part is escaped on its own.
        ([0xE2, 0x82, 0x41, 0xC0, 0xAF], #"\xe2\x82A\xc0\xaf"#),
        (Array("é ünïcode ✓".utf8), "é ünïcode ✓"),
        (Array("zero\u{200B}width\u{7F}".utf8), #"zero\u{200b}width\u{7f}"#),
    ])
    func pathsAreNamedOnOneReadableLine(path: [UInt8], shown: String) {
        #expect(BagPath.display(path) == shown)
    }

    @Test func deepPathsAreShortened() {
        let path = Array(("data/" + Array(repeating: "d", count: 2_100).joined(separator: "/") + "/deep.txt").utf8)
        #expect(BagPath.display(path) == "data/d/d/d/d/…(2092 more)…/d/d/d/d/deep.txt")
        #expect(BagPath.display(Array("a/b/c/d/e/f/g/h/i/j/k/l".utf8)) == "a/b/c/d/e/f/g/h/i/j/k/l")
    }

    @Test func onlyTheFirstStrayAndProblemInPathOrderAreKept() {
        var bag = BagContents()
        for path in ["data/z", "data/b", "data/x/y"] { bag.noteStray(Array(path.utf8)) }
        bag.note(.init(path: Array("data/q".utf8), kind: .emptyFolder))
        bag.note(.init(path: Array("data/a".utf8), kind: .notRegular))
        #expect(bag.firstStray == Array("data/b".utf8))
        #expect(bag.problem == .init(path: Array("data/a".utf8), kind: .notRegular))
    }

    @Test func theVerifierRefusesWhatTheReaderFoundBeforeAnyManifest() {
        var bag = BagContents(files: ["bagit.txt": Array(BagIt.declaration.utf8)])
        bag.note(.init(path: Array("data/empty".utf8), kind: .emptyFolder))
        #expect {
            try BundleVerifier.verify(bag: bag, options: .init())
        } throws: { ($0 as? VerificationFailure)?.message.contains("data/empty is an empty folder") == true }
    }

    @Test func aFileBeyondItsBoundIsAProblemAndIsNotKept() {
        let bag = BagContents(files: ["bagit.txt": [UInt8](repeating: 0x41, count: 5_000)])
        #expect(bag.contents["bagit.txt"] == nil)
        #expect(bag.problem?.kind == .tooLarge(size: 5_000, limit: 4_096))
    }
}
