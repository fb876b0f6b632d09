import CustodyDomain
import LedgerCore
import LedgerCrypto

/// What a person fills in (a command's options; later a web form) turned into event data, with the decisions the
/// form implies: the command line and the server call these, so they decide alike.
public enum CustodyForms {
    /// One image file of an acquisition, hashed by us.
    public struct Image: Sendable {
        /// The file name (without its folder).
        public let name: String
        /// Its size and SHA-256, SHA-1 and MD5, from one pass over the file.
        public let digests: FileDigests

        /// An image file `name` that hashed to `digests`.
        public init(name: String, digests: FileDigests) {
            self.name = name
            self.digests = digests
        }
    }

    /// The source medium's hashes as the imaging tool reported them (hex, any case).
    public struct SourceHashes: Sendable {
        /// MD5 as the tool reported it, if it did.
        public var md5: String?
        /// SHA-1 as the tool reported it, if it did.
        public var sha1: String?
        /// SHA-256 as the tool reported it, if it did (a format-1 ledger requires it).
        public var sha256: String?

        /// The reported hashes (at least one); they are written lower-cased into the entry.
        public init(md5: String? = nil, sha1: String? = nil, sha256: String?) {
            self.md5 = md5
            self.sha1 = sha1
            self.sha256 = sha256
        }
    }

    /// The data of an `item.acquired` and whether its verification matched.
    ///
    /// With one image file the verification matched when its SHA-256 equals the source's (a raw image of the whole
    /// medium); a segmented image cannot be compared, so the imaging tool's own verdict (`reportedVerified`) counts,
    /// and it must be given.
    public static func acquisition(
        tool: String, toolVersion: String, writeBlocker: String?, source: SourceHashes, images: [Image],
        reportedVerified: Bool?, notes: String?
    ) throws(LedgerError) -> (data: JSONValue, matched: Bool) {
        guard !images.isEmpty else { throw .usage("an acquisition needs at least one image file") }
        guard source.md5 != nil || source.sha1 != nil || source.sha256 != nil else {
            throw .usage(
                "give the source medium's hash as the imaging tool reported it: --source-sha256, --source-sha1 or --source-md5"
            )
        }
        let matched: Bool
        if images.count == 1, let image = images.first {
            // The strongest hash the tool reported, against the same hash of the image file we computed.
            let pairs = [
                (source.sha256, image.digests.sha256), (source.sha1, image.digests.sha1),
                (source.md5, image.digests.md5),
            ]
            let (reported, computed) = pairs.first { $0.0 != nil } ?? (nil, [])
            matched = Hex.encode(computed) == reported?.lowercased()
        } else {
            guard let reportedVerified else {
                throw .usage("for a segmented image say whether the imaging tool's verification matched")
            }
            matched = reportedVerified
        }
        var hashes: [JSONValue] = []
        if let md5 = source.md5 { hashes.append(["alg": "md5", "value": .string(md5.lowercased())]) }
        if let sha1 = source.sha1 { hashes.append(["alg": "sha1", "value": .string(sha1.lowercased())]) }
        if let sha256 = source.sha256 { hashes.append(["alg": "sha256", "value": .string(sha256.lowercased())]) }
        var data = JSONObject()
        data.set("tool", tool)
        data.set("tool_version", toolVersion)
        data.set("write_blocker", writeBlocker)
        data.set("source_hashes", JSONValue.array(hashes))
        data.set(
            "images",
            JSONValue.array(
                images.map {
                    ["name": .string($0.name), "size": .integer($0.digests.size), "hashes": hashList($0.digests)]
                }))
        data.set("verified", matched)
        data.set("notes", notes)
        return (data.value, matched)
    }

    /// A hash list `[{alg, value}]` of all three digests of a file.
    public static func hashList(_ digests: FileDigests) -> JSONValue {
        .array([
            ["alg": "md5", "value": .string(Hex.encode(digests.md5))],
            ["alg": "sha1", "value": .string(Hex.encode(digests.sha1))],
            ["alg": "sha256", "value": .string(Hex.encode(digests.sha256))],
        ])
    }

    /// The data of a `custody.received`: what the recipient saw.
    ///
    /// A receipt of an item that was released sealed must state the seal number the recipient reads, or that the
    /// seal is broken: "intact" without a number would record a check nobody made. Signed offline (no `store`), that
    /// is left to the signer.
    public static func receipt(
        item: String, seal: String?, sealBroken: Bool, condition: String?, location: String?,
        in store: (any LedgerStore)?
    ) throws -> JSONValue {
        if !sealBroken, let store, let (record, _) = try CustodyQueries.item(item, in: store),
            let expected = record.seal, record.status == ItemStatus.inTransit
        {
            guard let seal else {
                throw LedgerError.usage(
                    "item \(item) was released sealed (\(expected)): give --seal with the number you see, or --seal-broken"
                )
            }
            guard seal.hasSameBytes(as: expected) else {
                let violation = CustodyViolation.sealNotAsReleased(item: item, stated: seal, released: expected)
                throw LedgerError.refused(
                    violation,
                    "item \(item) was released under seal \(expected), not \(seal): check the number; if the item bears "
                        + "another seal or none, record that with --seal-broken (and --seal NUMBER for the seal you see)"
                )
            }
        }
        var data = JSONObject()
        data.set("seal", seal)
        data.set("seal_intact", !sealBroken)
        data.set("condition", condition)
        data.set("location", location)
        return data.value
    }
}
