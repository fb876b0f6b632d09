import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Tests/Vectors/signed-note.json.
struct SignedNoteVectorFile: Decodable, Sendable {
    struct Key: Decodable, Sendable {
        let vkey: String
        let ed25519_seed_hex: String?
        let ed25519_public_key_hex: String
        let key_id_hex: String
        let key_id_preimage_hex: String?
    }

    struct Note: Decodable, Sendable, CustomTestStringConvertible {
        let desc: String
        let text: String?
        let message: String?
        let message_hex: String?
        let verify_with: [String]
        let expect: String

        var testDescription: String { desc }

        /// The note's bytes, whichever way the vector gives them.
        var bytes: [UInt8] {
            if let message { return Array(message.utf8) }
            return Hex.decode(message_hex ?? "") ?? []
        }
    }

    let keys: [String: Key]
    let valid_notes: [Note]
    let invalid_notes: [Note]

    static func load() throws -> SignedNoteVectorFile {
        try JSONDecoder().decode(SignedNoteVectorFile.self, from: try TestVectors.data("signed-note.json"))
    }
}

/// Tests/Vectors/cosignature.json.
struct CosignatureVectorFile: Decodable, Sendable {
    let leaves_utf8: [String]
    let origin: String
    let log_seed_hex: String
    let log_public_key_hex: String
    let log_vkey: String
    let checkpoint_body: String
    let note: String

    static func load() throws -> CosignatureVectorFile {
        try JSONDecoder().decode(CosignatureVectorFile.self, from: try TestVectors.data("cosignature.json"))
    }
}

struct SignedNoteVectorTests {
    /// Whether a note is accepted by a verifier that knows `vkeys`: it must parse and carry a verifying signature
    /// by every one of them; a verifier that knows no key accepts nothing.
    static func accepts(_ bytes: [UInt8], vkeys: [String]) throws -> Bool {
        // A Swift String cannot hold invalid UTF-8, so such a note is refused before it reaches the parser.
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        guard let note = try? SignedNote(parsing: text) else { return false }
        let keys = try vkeys.map { try NoteVerifierKey(vkey: $0) }
        return !keys.isEmpty && keys.allSatisfy { note.isSigned(by: $0) }
    }

    @Test("The vectors file has the notes this suite expects")
    func vectorCounts() throws {
        let file = try SignedNoteVectorFile.load()
        #expect(file.valid_notes.count == 3)
        #expect(file.invalid_notes.count == 8)
        #expect(file.keys.count == 2)
    }

    @Test(
        "Valid notes verify with their vkeys; with no known key the note is refused",
        arguments: try SignedNoteVectorFile.load().valid_notes)
    func validNote(_ note: SignedNoteVectorFile.Note) throws {
        #expect(try Self.accepts(note.bytes, vkeys: note.verify_with) == (note.expect == "ok"))
        // Every valid note parses, whatever the verifier knows.
        #expect(throws: Never.self) { try SignedNote(parsing: String(decoding: note.bytes, as: UTF8.self)) }
    }

    @Test("Invalid notes are refused", arguments: try SignedNoteVectorFile.load().invalid_notes)
    func invalidNote(_ note: SignedNoteVectorFile.Note) throws {
        #expect(note.expect == "error")
        #expect(try !Self.accepts(note.bytes, vkeys: note.verify_with))
        // Invalid UTF-8 decoded with replacement characters is still refused.
        #expect(try !Self.accepts(Array(String(decoding: note.bytes, as: UTF8.self).utf8), vkeys: note.verify_with))
    }

    @Test("vkeys parse, their key IDs recompute, and they print back unchanged")
    func vkeys() throws {
        let file = try SignedNoteVectorFile.load()
        for (name, key) in file.keys {
            let verifier = try NoteVerifierKey(vkey: key.vkey)
            #expect(verifier.name == name)
            #expect(Hex.encode(verifier.keyID) == key.key_id_hex)
            #expect(Hex.encode(verifier.publicKey.raw) == key.ed25519_public_key_hex)
            #expect(verifier.vkey == key.vkey)
            let publicKey = try Ed25519PublicKey(raw: try #require(Hex.decode(key.ed25519_public_key_hex)))
            let recomputed = NoteVerifierKey.keyID(name: name, type: 0x01, publicKey: publicKey.raw)
            #expect(Hex.encode(recomputed) == key.key_id_hex)
            #expect(try NoteVerifierKey(name: name, publicKey: publicKey) == verifier)
            if let preimage = key.key_id_preimage_hex {
                #expect(Hex.encode(SHA256.hash(try #require(Hex.decode(preimage))).prefix(4)) == key.key_id_hex)
                #expect(Array(name.utf8) + [0x0a, 0x01] + publicKey.raw == Hex.decode(preimage))
            }
        }
    }

    @Test("A vkey whose key ID does not match its name and key is refused")
    func mismatchedKeyID() throws {
        let file = try SignedNoteVectorFile.load()
        let peter = try #require(file.keys["PeterNeumann"])
        let wrongID = peter.vkey.replacingOccurrences(of: "+c74f20a3+", with: "+c74f20a4+")
        #expect(throws: CoreError.self) { try NoteVerifierKey(vkey: wrongID) }
        let wrongName = peter.vkey.replacingOccurrences(of: "PeterNeumann+", with: "PeterNeumanm+")
        #expect(throws: CoreError.self) { try NoteVerifierKey(vkey: wrongName) }
        let upperID = peter.vkey.replacingOccurrences(of: "+c74f20a3+", with: "+C74F20A3+")
        #expect(throws: CoreError.self) { try NoteVerifierKey(vkey: upperID) }
    }

    @Test("Signing PeterNeumann's text with his seed reproduces the exact note")
    func signReproducesNote() throws {
        let file = try SignedNoteVectorFile.load()
        let peter = try #require(file.keys["PeterNeumann"])
        let vector = try #require(file.valid_notes.first)
        let seedHex = try #require(peter.ed25519_seed_hex)
        let key = try Ed25519PrivateKey(seed: try #require(Hex.decode(seedHex)))
        #expect(Hex.encode(key.publicKey.raw) == peter.ed25519_public_key_hex)
        let signed = try SignedNote.sign(text: try #require(vector.text), name: "PeterNeumann", key: key)
        #expect(signed == vector.message)
    }

    @Test("The doubly signed note verifies for each signer alone, and not for an unknown key")
    func doublySigned() throws {
        let file = try SignedNoteVectorFile.load()
        let message = try #require(file.valid_notes[1].message)
        let note = try SignedNote(parsing: message)
        #expect(note.signatures.map(\.name) == ["PeterNeumann", "EnochRoot"])
        let peterKey = try #require(file.keys["PeterNeumann"])
        let enochKey = try #require(file.keys["EnochRoot"])
        let peter = try NoteVerifierKey(vkey: peterKey.vkey)
        let enoch = try NoteVerifierKey(vkey: enochKey.vkey)
        #expect(note.isSigned(by: peter))
        #expect(note.isSigned(by: enoch))
        let stranger = try NoteVerifierKey(name: "PeterNeumann", publicKey: Ed25519PrivateKey.generate().publicKey)
        #expect(!note.isSigned(by: stranger))
    }

    @Test("A signature line counts only under its own name: the same key ID under another name is not the key's")
    func nameAndKeyIDMustBothMatch() throws {
        let file = try SignedNoteVectorFile.load()
        let message = try #require(file.valid_notes[0].message)
        let peterKey = try #require(file.keys["PeterNeumann"])
        let peter = try NoteVerifierKey(vkey: peterKey.vkey)
        let renamed = message.replacingOccurrences(of: "\u{2014} PeterNeumann ", with: "\u{2014} PeterNeumann2 ")
        #expect(renamed != message)
        #expect(try !SignedNote(parsing: renamed).isSigned(by: peter))
    }

    @Test("A note whose last signature line lacks its newline is refused, even after a complete line")
    func missingFinalNewline() throws {
        let file = try SignedNoteVectorFile.load()
        let message = try #require(file.valid_notes[1].message)
        #expect(message.hasSuffix("\n"))
        #expect(throws: CoreError.self) { try SignedNote(parsing: String(message.dropLast())) }
    }

    @Test("The cosigned checkpoint parses, is signed by the log key, and has the RFC 9162 root of its leaves")
    func cosignedCheckpoint() throws {
        let file = try CosignatureVectorFile.load()
        let note = try SignedNote(parsing: file.note)
        #expect(note.text == file.checkpoint_body)
        #expect(note.signatures.count == 2)

        let checkpoint = try Checkpoint(text: note.text)
        #expect(checkpoint.origin == file.origin)
        #expect(checkpoint.size == 5)
        #expect(checkpoint.text == file.checkpoint_body)

        let logKey = try NoteVerifierKey(vkey: file.log_vkey)
        #expect(logKey.name == file.origin)
        #expect(Hex.encode(logKey.publicKey.raw) == file.log_public_key_hex)
        #expect(note.isSigned(by: logKey))
        let seed = try #require(Hex.decode(file.log_seed_hex))
        #expect(try Ed25519PrivateKey(seed: seed).publicKey == logKey.publicKey)

        let leaves = file.leaves_utf8.map { Array($0.utf8) }
        #expect(leaves.count == 5)
        #expect(checkpoint.root == RFC9162Reference.root(leaves: leaves))
        var accumulator = MerkleAccumulator()
        for leaf in leaves { accumulator.append(leafHash: Merkle.leafHash(leaf)) }
        #expect(checkpoint.root == accumulator.root)

        let signed = try SignedCheckpoint(noteText: file.note)
        #expect(signed.checkpoint == checkpoint)
    }

    @Test("The checkpoint note with its log signature altered is not signed by the log key")
    func alteredCheckpoint() throws {
        let file = try CosignatureVectorFile.load()
        let logKey = try NoteVerifierKey(vkey: file.log_vkey)
        // Change the tree size in the body: the log signature no longer covers it.
        let altered = file.note.replacingOccurrences(of: "\n5\n", with: "\n6\n")
        #expect(altered != file.note)
        #expect(try !SignedNote(parsing: altered).isSigned(by: logKey))
        // Drop the log's line, keep the witness's: not signed by the log.
        let lines = file.note.components(separatedBy: "\n")
        let withoutLog = lines.filter { !$0.hasPrefix("\u{2014} \(file.origin) ") }.joined(separator: "\n")
        #expect(try !SignedNote(parsing: withoutLog).isSigned(by: logKey))
    }
}
