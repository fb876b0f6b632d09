import LedgerCrypto

/// A C2SP signed-note verifier key (`<name>+<key ID hex>+<base64(0x01 ‖ public key)>`), Ed25519 only.
public struct NoteVerifierKey: Sendable, Equatable {
    /// The key name (for a log key, the ledger's origin).
    public let name: String
    /// The 4-byte key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0:4].
    public let keyID: [UInt8]
    /// The Ed25519 public key.
    public let publicKey: Ed25519PublicKey

    /// Makes the verifier key of `publicKey` under `name`.
    public init(name: String, publicKey: Ed25519PublicKey) throws(CoreError) {
        guard NoteVerifierKey.isValidName(name) else { throw .format("invalid note key name \"\(name)\"") }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteVerifierKey.keyID(name: name, type: 0x01, publicKey: publicKey.raw)
    }

    /// Parses a vkey string, checking that its key ID matches its name and key.
    public init(vkey: String) throws(CoreError) {
        // <name>+<8 hex>+<base64>: the name has no '+', but the base64 key may.
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .format("a vkey has three '+'-separated parts: name+keyid+key") }
        let name = String(parts[0])
        guard NoteVerifierKey.isValidName(name) else { throw .format("invalid key name in vkey") }
        guard let id = Hex.decode(String(parts[1])), id.count == 4 else {
            throw .format("the key ID in a vkey is 8 lowercase hex digits")
        }
        guard let keyBytes = Base64.decodeCanonical(String(parts[2])), keyBytes.count == 33 else {
            throw .format("the key in a vkey is base64 of 33 bytes")
        }
        guard keyBytes[0] == 0x01 else { throw .format("only Ed25519 vkeys (type 0x01) are supported") }
        let publicKey: Ed25519PublicKey
        do { publicKey = try Ed25519PublicKey(raw: Array(keyBytes[1...])) } catch {
            throw .format("invalid public key in vkey: \(error)")
        }
        try self.init(name: name, publicKey: publicKey)
        guard keyID == id else { throw .format("the key ID in the vkey does not match its name and key") }
    }

    /// The vkey text.
    public var vkey: String { "\(name)+\(Hex.encode(keyID))+\(Base64.encode([0x01] + publicKey.raw))" }

    /// C2SP signed-note key ID: SHA-256(name ‖ "\n" ‖ type ‖ key)[0:4].
    public static func keyID(name: String, type: UInt8, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(Array(name.utf8) + [0x0a, type] + publicKey).prefix(4))
    }

    /// C2SP key names: non-empty, no Unicode whitespace, no '+'.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
    }

    /// Keys are equal when their vkey texts are: the same name, key ID and public key.
    public static func == (lhs: NoteVerifierKey, rhs: NoteVerifierKey) -> Bool { lhs.vkey == rhs.vkey }
}

/// A C2SP signed note: text and signature lines.
public struct SignedNote: Sendable {
    /// One signature line.
    public struct Signature: Sendable {
        /// The key name on the line.
        public let name: String
        /// The first 4 bytes of the decoded signature: the key ID.
        public let keyID: [UInt8]
        /// The rest of the decoded bytes (64 for Ed25519; 72 for a tlog-cosignature).
        public let signature: [UInt8]
    }

    /// The signed text, ending in "\n".
    public let text: String
    /// The signature lines, in order.
    public let signatures: [Signature]

    /// Parses a note; rejects malformed notes as c2sp.org/signed-note requires.
    public init(parsing note: String) throws(CoreError) {
        let bytes = Array(note.utf8)
        for byte in bytes where byte < 0x20 && byte != 0x0a {
            throw .format("a note must not contain control characters")
        }
        guard bytes.last == 0x0a else { throw .format("a note must end with a newline") }
        // The last "\n\n" separates the text from the signatures.
        var split: Int?
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0a && bytes[index + 1] == 0x0a {
                split = index
                break
            }
            index -= 1
        }
        guard let split else { throw .format("a note needs a blank line followed by signature lines") }
        let text = String(decoding: bytes[...split], as: UTF8.self)
        let signatureBlock = String(decoding: bytes[(split + 2)...], as: UTF8.self)
        var signatures: [Signature] = []
        let lines = signatureBlock.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty else { throw .format("a note must carry at least one signature") }
        guard lines.count <= 100 else { throw .format("a note may carry at most 100 signatures") }
        for line in lines {
            guard line.hasPrefix("\u{2014} ") else {
                throw .format("a signature line starts with an em dash and a space")
            }
            let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, NoteVerifierKey.isValidName(String(fields[0])),
                let decoded = Base64.decodeCanonical(String(fields[1])), decoded.count > 4
            else { throw .format("malformed signature line") }
            signatures.append(
                Signature(
                    name: String(fields[0]), keyID: Array(decoded.prefix(4)), signature: Array(decoded.dropFirst(4))))
        }
        self.text = text
        self.signatures = signatures
    }

    /// True when a signature line by `key` (same name and key ID) verifies over the text.
    ///
    /// A line with the key's name and ID that does not verify makes the whole note invalid for that key.
    public func isSigned(by key: NoteVerifierKey) -> Bool {
        let message = Array(text.utf8)
        var found = false
        for line in signatures where line.name.hasSameBytes(as: key.name) && line.keyID == key.keyID {
            guard key.publicKey.verify(signature: line.signature, message: message) else { return false }
            found = true
        }
        return found
    }

    /// Signs `text` (which must end in "\n") with an Ed25519 key under `name`, giving the note's full text.
    public static func sign(text: String, name: String, key: Ed25519PrivateKey) throws(CoreError) -> String {
        guard text.hasSuffix("\n") else { throw .format("note text must end with a newline") }
        let verifier = try NoteVerifierKey(name: name, publicKey: key.publicKey)
        let signature = key.sign(Array(text.utf8))
        return text + "\n\u{2014} \(name) \(Base64.encode(verifier.keyID + signature))\n"
    }
}

/// A C2SP tlog-checkpoint body: origin, tree size, root hash.
public struct Checkpoint: Sendable, Equatable {
    /// The log's origin line.
    public let origin: String
    /// The tree size.
    public let size: Int64
    /// The 32-byte root hash.
    public let root: [UInt8]

    /// Makes a checkpoint body.
    public init(origin: String, size: Int64, root: [UInt8]) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// Parses checkpoint text (the note's text part); extension lines after the third are ignored.
    public init(text: String) throws(CoreError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "" else { throw .format("a checkpoint has at least three lines") }
        let sizeText = String(lines[1])
        guard let size = Int64(sizeText), size >= 0, String(size) == sizeText else {
            throw .format("checkpoint tree size \"\(sizeText)\" is not a canonical decimal number")
        }
        guard let root = Base64.decodeCanonical(String(lines[2])), root.count == 32 else {
            throw .format("checkpoint root is not base64 of 32 bytes")
        }
        self.init(origin: String(lines[0]), size: size, root: root)
    }

    /// The checkpoint body text (no extension lines).
    public var text: String { "\(origin)\n\(size)\n\(Base64.encode(root))\n" }

    /// A tree root as people compare it by eye: base64 first, as the checkpoint note, a bundle's bag-info and its
    /// report show it, then the hex that the statements' anchors and older output use: `B64 (hex HEX)`.
    public static func rootText(_ root: [UInt8]) -> String { "\(Base64.encode(root)) (hex \(Hex.encode(root)))" }
}

/// A checkpoint note signed by a log key.
public struct SignedCheckpoint: Sendable {
    /// The parsed checkpoint.
    public let checkpoint: Checkpoint
    /// The parsed note.
    public let note: SignedNote
    /// The note's full text.
    public let noteText: String

    /// Parses a signed checkpoint note (does not verify its signature).
    public init(noteText: String) throws(CoreError) {
        let note = try SignedNote(parsing: noteText)
        self.note = note
        self.checkpoint = try Checkpoint(text: note.text)
        self.noteText = noteText
    }

    /// Signs `checkpoint` with the log key, whose note key name is the checkpoint's origin.
    public static func sign(_ checkpoint: Checkpoint, logKey: Ed25519PrivateKey) throws(CoreError) -> SignedCheckpoint {
        try SignedCheckpoint(noteText: SignedNote.sign(text: checkpoint.text, name: checkpoint.origin, key: logKey))
    }
}
