import LedgerCore
import LedgerCrypto

/// The parts of an HTTP request that a message signature covers: its method, its full target URI and its header
/// fields (RFC 9421 §2).
public struct SignedRequestParts: Sendable {
    /// The method, as sent (`GET`, `POST`).
    public var method: String
    /// The absolute target URI: scheme, authority, path and query (RFC 9421 §2.2.2).
    public var targetURI: String
    /// The header fields, names in any case, in the order received.
    public var fields: [(name: String, value: String)]

    /// Request parts from their pieces.
    public init(method: String, targetURI: String, fields: [(name: String, value: String)]) {
        self.method = method
        self.targetURI = targetURI
        self.fields = fields
    }

    /// A field's value as RFC 9421 §2.1 covers it: every instance trimmed and joined with ", "; nil when absent.
    public func field(_ name: String) -> String? {
        let values = fields.filter { $0.name.lowercased() == name }.map { $0.value.trimmingSpaces() }
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The value of a derived component (RFC 9421 §2.2), or nil if it is not one this profile supports.
    func derived(_ name: String) -> String? {
        let uri = URIParts(targetURI)
        switch name {
        case "@method": return method
        case "@target-uri": return targetURI
        case "@scheme": return uri.scheme.lowercased()
        case "@authority": return uri.authority.lowercased()
        case "@path": return uri.path.isEmpty ? "/" : uri.path
        case "@query": return "?" + uri.query
        case "@request-target": return (uri.path.isEmpty ? "/" : uri.path) + (uri.hasQuery ? "?" + uri.query : "")
        default: return nil
        }
    }
}

/// A signature's parameters as this ledger's profile of RFC 9421 uses them (docs/API.md "Authentication").
public struct MessageSignatureParameters: Sendable, Equatable {
    /// When it was made, in seconds since 1970.
    public var created: Int64
    /// When it stops being accepted, in seconds since 1970.
    public var expires: Int64
    /// A single-use value; a server refuses a nonce it has seen before it expired.
    public var nonce: String
    /// The signer's key id: the hex SHA-256 of their raw Ed25519 public key, as the ledger registers it.
    public var keyID: String

    /// Parameters from their parts.
    public init(created: Int64, expires: Int64, nonce: String, keyID: String) {
        self.created = created
        self.expires = expires
        self.nonce = nonce
        self.keyID = keyID
    }
}

/// HTTP message signatures (RFC 9421) with Ed25519, as `ledger serve` requires them of every authenticated request
/// and the `ledger` client makes them.
public enum MessageSignature {
    /// The label this ledger's clients sign under (a server accepts any single label).
    public static let label = "ledger"
    /// How long a signature made by this ledger's clients stays valid, in seconds.
    public static let lifetimeSeconds: Int64 = 60

    /// Why a request's signature was not accepted.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What is wrong, in words a client's author can act on.
        public let description: String

        init(_ description: String) { self.description = description }
    }

    /// A signature as received: its label, covered components, parameters (in order, as sent) and bytes.
    public struct Received: Sendable {
        /// The label it was sent under.
        public let label: String
        /// The covered components, in order.
        public let components: [String]
        /// The parameters, in order, exactly as sent.
        public let rawParameters: [(name: String, value: StructuredField.BareItem)]
        /// The 64-byte Ed25519 signature.
        public let signature: [UInt8]

        /// The `created`, `expires`, `nonce` and `keyid` parameters this profile requires.
        public func parameters() throws(Failure) -> MessageSignatureParameters {
            func value(_ name: String) -> StructuredField.BareItem? {
                rawParameters.first { $0.name == name }?.value
            }
            guard case .integer(let created) = value("created") else {
                throw Failure("the signature has no created parameter")
            }
            guard case .integer(let expires) = value("expires") else {
                throw Failure("the signature has no expires parameter")
            }
            guard case .string(let nonce) = value("nonce"), !nonce.isEmpty, nonce.utf8.count <= 128 else {
                throw Failure("the signature has no nonce parameter (1 to 128 characters)")
            }
            guard case .string(let keyID) = value("keyid") else {
                throw Failure("the signature has no keyid parameter")
            }
            if let alg = value("alg"), alg != .string("ed25519") {
                throw Failure("the signature's alg is not \"ed25519\"")
            }
            return MessageSignatureParameters(created: created, expires: expires, nonce: nonce, keyID: keyID)
        }

        /// Whether the signature verifies over `request` with `key`.
        public func verify(_ request: SignedRequestParts, key: Ed25519PublicKey) throws(Failure) -> Bool {
            let base = try MessageSignature.base(
                components: components, parameters: rawParameters, request: request)
            return key.verify(signature: signature, message: base)
        }
    }

    /// Reads the `Signature-Input` and `Signature` fields: exactly one signature, an inner list of plain component
    /// names, a 64-byte signature.
    public static func received(signatureInput: String, signature: String) throws(Failure) -> Received {
        let inputs: [(key: String, value: StructuredField.Member)]
        let signatures: [(key: String, value: StructuredField.Member)]
        do {
            inputs = try StructuredField.parseDictionary(signatureInput)
            signatures = try StructuredField.parseDictionary(signature)
        } catch {
            throw Failure("Signature-Input or Signature is not a structured field dictionary: \(error)")
        }
        guard inputs.count == 1, let input = inputs.first else {
            throw Failure("send exactly one signature (Signature-Input has \(inputs.count))")
        }
        guard case .innerList(let items, let parameters) = input.value else {
            throw Failure("Signature-Input's \(input.key) is not an inner list of components")
        }
        guard let match = signatures.first(where: { $0.key == input.key }),
            case .item(let item) = match.value, case .bytes(let bytes) = item.value
        else {
            throw Failure("Signature has no byte sequence labelled \(input.key)")
        }
        guard bytes.count == 64 else { throw Failure("an Ed25519 signature is 64 bytes, not \(bytes.count)") }
        var components: [String] = []
        for item in items {
            guard case .string(let name) = item.value, item.parameters.isEmpty else {
                throw Failure("covered components are plain strings (no parameters) in this profile")
            }
            guard !components.contains(name) else { throw Failure("component \"\(name)\" is covered twice") }
            components.append(name)
        }
        return Received(label: input.key, components: components, rawParameters: parameters, signature: bytes)
    }

    /// The signature base (RFC 9421 §2.5) of `request` for these components and parameters.
    public static func base(
        components: [String], parameters: [(name: String, value: StructuredField.BareItem)],
        request: SignedRequestParts
    ) throws(Failure) -> [UInt8] {
        var lines: [String] = []
        for name in components {
            let value: String?
            if name.hasPrefix("@") {
                guard let derived = request.derived(name) else {
                    throw Failure("component \"\(name)\" is not supported")
                }
                value = derived
            } else {
                guard name == name.lowercased(), !name.isEmpty else {
                    throw Failure("component \"\(name)\" must be a lowercase field name")
                }
                value = request.field(name)
            }
            guard let value else { throw Failure("the covered field \"\(name)\" is not in the request") }
            lines.append("\"\(name)\": \(value)")
        }
        let list = StructuredField.serialize(
            innerList: components.map { StructuredField.Item(.string($0)) }, parameters: parameters)
        lines.append("\"@signature-params\": \(list)")
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// Signs `request` for this ledger's profile: `@method`, `@target-uri` and, when the request has a body,
    /// `content-digest` (which the caller must have added); returns the `Signature-Input` and `Signature` values.
    public static func sign(
        _ request: SignedRequestParts, key: Ed25519PrivateKey, parameters: MessageSignatureParameters
    ) -> (signatureInput: String, signature: String) {
        var components = ["@method", "@target-uri"]
        if request.field("content-digest") != nil { components.append("content-digest") }
        let params: [(name: String, value: StructuredField.BareItem)] = [
            ("created", .integer(parameters.created)), ("expires", .integer(parameters.expires)),
            ("nonce", .string(parameters.nonce)), ("keyid", .string(parameters.keyID)), ("alg", .string("ed25519")),
        ]
        // Every component is present and supported, so the base cannot fail.
        let base = (try? base(components: components, parameters: params, request: request)) ?? []
        let list = StructuredField.serialize(
            innerList: components.map { StructuredField.Item(.string($0)) }, parameters: params)
        let signature = key.sign(base)
        return ("\(label)=\(list)", "\(label)=:\(Base64.encode(signature)):")
    }
}

/// `Content-Digest` (RFC 9530) with SHA-256: what a signature covers of a request's body.
public enum ContentDigest {
    /// The field value for `body`: `sha-256=:<base64>:`.
    public static func value(for body: [UInt8]) -> String {
        "sha-256=:" + Base64.encode(SHA256.hash(body)) + ":"
    }

    /// Whether the field value holds a SHA-256 digest and it matches `body`; throws when it has none.
    public static func matches(_ field: String, body: [UInt8]) throws(MessageSignature.Failure) -> Bool {
        let members: [(key: String, value: StructuredField.Member)]
        do { members = try StructuredField.parseDictionary(field) } catch {
            throw MessageSignature.Failure("Content-Digest is not a structured field dictionary: \(error)")
        }
        guard let member = members.first(where: { $0.key == "sha-256" }), case .item(let item) = member.value,
            case .bytes(let digest) = item.value
        else {
            throw MessageSignature.Failure("Content-Digest has no sha-256 digest")
        }
        return digest == SHA256.hash(body)
    }
}

/// A URI's scheme, authority, path and query, split without decoding (RFC 3986 §3).
struct URIParts {
    var scheme = ""
    var authority = ""
    var path = ""
    var query = ""
    var hasQuery = false

    init(_ uri: String) {
        var rest = Substring(uri)
        if let colon = rest.firstIndex(of: ":"), rest[rest.index(after: colon)...].hasPrefix("//") {
            scheme = String(rest[..<colon])
            rest = rest[rest.index(colon, offsetBy: 3)...]
            let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            authority = String(rest[..<end])
            rest = rest[end...]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let question = rest.firstIndex(of: "?") {
            path = String(rest[..<question])
            query = String(rest[rest.index(after: question)...])
            hasQuery = true
        } else {
            path = String(rest)
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
