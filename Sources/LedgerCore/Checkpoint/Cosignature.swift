import LedgerCrypto

/// A witness's verifier key for C2SP tlog-cosignature/v1: `<name>+<key ID hex>+<b64(0x04 ‖ public key)>`.
public struct CosignerKey: Sendable, Equatable {
    /// The witness's name: a C2SP key name, non-empty, without whitespace or `+`.
    public let name: String
    /// SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[0:4].
    public let keyID: [UInt8]
    /// The witness's Ed25519 public key.
    public let publicKey: Ed25519PublicKey

    /// The signature type byte of an Ed25519 cosignature (c2sp.org/tlog-cosignature).
    public static let signatureType: UInt8 = 0x04

    /// The key of witness `name`; throws a format error when `name` is not a valid C2SP key name.
    public init(name: String, publicKey: Ed25519PublicKey) throws(CoreError) {
        guard NoteVerifierKey.isValidName(name) else { throw .format("invalid witness name \"\(name)\"") }
        self.name = name
        self.publicKey = publicKey
        keyID = NoteVerifierKey.keyID(name: name, type: Self.signatureType, publicKey: publicKey.raw)
    }

    /// Parses a witness vkey; its key ID must match its name and key.
    public init(vkey: String) throws(CoreError) {
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let id = Hex.decode(String(parts[1])), id.count == 4,
            Hex.encode(id) == String(parts[1]), let keyBytes = Base64.decodeCanonical(String(parts[2])),
            keyBytes.count == 33, keyBytes[0] == Self.signatureType
        else { throw .format("not a cosignature vkey (name+keyid+base64 of 0x04 and a 32-byte key)") }
        let publicKey: Ed25519PublicKey
        do { publicKey = try Ed25519PublicKey(raw: Array(keyBytes[1...])) } catch {
            throw .format("invalid public key in witness vkey: \(error)")
        }
        try self.init(name: String(parts[0]), publicKey: publicKey)
        guard keyID == id else { throw .format("the witness vkey's key ID does not match its name and key") }
    }

    /// The vkey text.
    public var vkey: String {
        "\(name)+\(Hex.encode(keyID))+\(Base64.encode([Self.signatureType] + publicKey.raw))"
    }
}

/// C2SP tlog-cosignature/v1 over a checkpoint: Ed25519 over `cosignature/v1\ntime <ts>\n` ‖ checkpoint body.
public enum Cosignature {
    /// The signed message for a checkpoint body at `timestamp` (seconds since the epoch).
    public static func message(checkpointBody: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(checkpointBody)".utf8)
    }

    /// The signature line a witness adds to the checkpoint note.
    public static func line(checkpointBody: String, timestamp: UInt64, key: Ed25519PrivateKey, name: String)
        throws(CoreError) -> String
    {
        let cosigner = try CosignerKey(name: name, publicKey: key.publicKey)
        let signature = key.sign(message(checkpointBody: checkpointBody, timestamp: timestamp))
        let time = (0..<8).map { UInt8(truncatingIfNeeded: timestamp >> (56 - 8 * $0)) }
        return "\u{2014} \(name) \(Base64.encode(cosigner.keyID + time + signature))\n"
    }

    /// The timestamp of `witness`'s valid cosignature on a signed note, or nil when it has none.
    ///
    /// Throws when a line with the witness's name and key ID does not verify.
    public static func timestamp(of witness: CosignerKey, on note: SignedNote) throws(CoreError) -> UInt64? {
        var found: UInt64?
        for line in note.signatures where line.name.hasSameBytes(as: witness.name) && line.keyID == witness.keyID {
            guard line.signature.count == 72 else {
                throw .rule("the cosignature by \(witness.name) is not 8 bytes of time and a 64-byte signature")
            }
            let time = line.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let signature = Array(line.signature.suffix(64))
            guard
                witness.publicKey.verify(
                    signature: signature, message: message(checkpointBody: note.text, timestamp: time))
            else { throw .rule("the cosignature by \(witness.name) does not verify") }
            found = time
        }
        return found
    }
}

/// One named witness and the time of its valid cosignature on a checkpoint (nil: it has none).
public struct WitnessTime: Sendable {
    /// The witness's name.
    public let name: String
    /// The witness's vkey text.
    public let vkey: String
    /// The time in its valid cosignature, in seconds since the epoch; nil when it has none.
    public let time: UInt64?
}

extension Cosignature {
    /// The named witnesses' cosignatures on a checkpoint note: at least `quorum` must be valid.
    ///
    /// A line with a named witness's name and key ID that does not verify is a failure; lines of witnesses that
    /// are not named do not count.
    public static func checkQuorum(on note: SignedNote, witnesses: [CosignerKey], quorum: Int)
        throws(VerificationFailure) -> [WitnessTime]
    {
        var times: [WitnessTime] = []
        for witness in witnesses {
            do {
                times.append(
                    WitnessTime(name: witness.name, vkey: witness.vkey, time: try timestamp(of: witness, on: note)))
            } catch { throw VerificationFailure(seq: nil, rule: .witnesses, message: "\(error)") }
        }
        let valid = times.filter { $0.time != nil }.count
        guard valid >= quorum else {
            throw VerificationFailure(
                seq: nil, rule: .witnesses,
                message:
                    "witness quorum not met: \(quorum) cosignatures required, \(valid) valid among the \(witnesses.count) named witnesses"
            )
        }
        return times
    }
}
