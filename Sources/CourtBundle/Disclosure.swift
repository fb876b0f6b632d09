import CustodyDomain
import LedgerCore
import LedgerCrypto

/// What a court-export bundle discloses: one case, or some items (FORMAT.md §11.4).
public enum DisclosureSelection: Sendable, Equatable, CustomStringConvertible {
    /// One case: its stream and every item and target stream whose first entry names it.
    case caseID(String)
    /// Item ids, sorted by their UTF-8 bytes, without duplicates.
    case items([String])

    /// A selection of items, sorted and deduplicated.
    public static func itemSelection(_ ids: some Sequence<String>) -> DisclosureSelection {
        var seen = Set<[UInt8]>()
        let unique = ids.filter { seen.insert(Array($0.utf8)).inserted }
        return .items(unique.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// The selection line of the statement and `External-Identifier`: `case C` or `items A B …`.
    public var description: String {
        switch self {
        case .caseID(let id): "case \(id)"
        case .items(let ids): "items " + ids.joined(separator: " ")
        }
    }

    /// Parses a selection line; ids must be local ids and items sorted and unique.
    public init(line: String) throws(CoreError) {
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.count >= 2, words.dropFirst().allSatisfy(Identifiers.isLocalID) else {
            throw .format("a selection is \"case <id>\" or \"items <id> …\"")
        }
        switch words[0] {
        case "case" where words.count == 2: self = .caseID(words[1])
        case "items":
            let selection = DisclosureSelection.itemSelection(words.dropFirst())
            guard selection.description.hasSameBytes(as: line) else {
                throw .format("the items of a selection are sorted by their bytes, each once")
            }
            self = selection
        default: throw .format("a selection is \"case <id>\" or \"items <id> …\"")
        }
    }
}

/// The head of one disclosed stream: its last revision at the checkpoint and that entry's body hash.
public struct DisclosedStream: Sendable, Equatable {
    /// The stream name, such as `item/<id>`.
    public let stream: String
    /// The stream's last revision at or before the checkpoint.
    public let rev: Int64
    /// Lowercase hex body hash of revision `rev`.
    public let bodyHash: String

    /// The head `rev` of `stream`, whose body hash is `bodyHash`.
    public init(stream: String, rev: Int64, bodyHash: String) {
        self.stream = stream
        self.rev = rev
        self.bodyHash = bodyHash
    }

    /// The same stream and body hash, byte for byte, and the same revision.
    public static func == (lhs: DisclosedStream, rhs: DisclosedStream) -> Bool {
        lhs.stream.hasSameBytes(as: rhs.stream) && lhs.rev == rhs.rev && lhs.bodyHash.hasSameBytes(as: rhs.bodyHash)
    }
}

/// The log key's signed statement of what a bundle discloses (FORMAT.md §11.4).
public struct DisclosureStatement: Sendable, Equatable {
    /// The first line of the statement's text.
    static let header = "custody-ledger/v1 disclosure"

    /// The entry types whose `data.to` names a person who receives an item: that person's keys are disclosed
    /// (FORMAT.md §11.2).
    public static let recipientTypes: Set<String> = [
        CustodyEvents.custodyReleased, CustodyEvents.custodyReassigned, CustodyEvents.itemCheckedOut,
    ]

    /// The origin of the ledger the bundle is exported from.
    public let origin: String
    /// The checkpoint size the disclosure is made at.
    public let size: Int64
    /// What was selected for export: a case, or a list of items.
    public let selection: DisclosureSelection
    /// Every disclosed stream, sorted by stream (bytes).
    public let streams: [DisclosedStream]

    /// A statement; `streams` are sorted here.
    public init(origin: String, size: Int64, selection: DisclosureSelection, streams: [DisclosedStream]) {
        self.origin = origin
        self.size = size
        self.selection = selection
        self.streams = streams.sorted { $0.stream.utf8.lexicographicallyPrecedes($1.stream.utf8) }
    }

    /// The note text that the log key signs.
    public var text: String {
        var lines = [Self.header, origin, String(size), selection.description]
        lines += streams.map { "\($0.stream) \($0.rev) \($0.bodyHash)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The signed note.
    public func signed(with logKey: Ed25519PrivateKey) throws(CoreError) -> String {
        try SignedNote.sign(text: text, name: origin, key: logKey)
    }

    /// Parses a signed statement and checks its signature by `logKey`.
    public init(note: String, logKey: NoteVerifierKey) throws(CoreError) {
        let parsed = try SignedNote(parsing: note)
        guard parsed.isSigned(by: logKey) else {
            throw .rule("the disclosure statement is not signed by the log key \(logKey.vkey)")
        }
        try self.init(text: parsed.text)
        guard origin.hasSameBytes(as: logKey.name) else {
            throw .rule("the disclosure statement names origin \"\(origin)\", not \"\(logKey.name)\"")
        }
    }

    /// Parses the statement text (without its signatures).
    public init(text: String) throws(CoreError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 5, lines[0] == Self.header, lines.last == "" else {
            throw .format("not a disclosure statement (it starts with \"\(Self.header)\")")
        }
        guard let size = Int64(lines[2]), size >= 1, String(size) == lines[2] else {
            throw .format("the disclosure's checkpoint size \"\(lines[2])\" is not a canonical decimal number")
        }
        var streams: [DisclosedStream] = []
        for line in lines[4..<(lines.count - 1)] {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, Identifiers.isStreamName(fields[0]), let rev = Int64(fields[1]), rev >= 1,
                String(rev) == fields[1], Hex.isCanonical(fields[2], byteCount: 32)
            else { throw .format("malformed disclosure line \"\(line)\"") }
            streams.append(DisclosedStream(stream: fields[0], rev: rev, bodyHash: fields[2]))
        }
        self.init(origin: lines[1], size: size, selection: try DisclosureSelection(line: lines[3]), streams: streams)
        guard self.streams == streams, Set(streams.map { Array($0.stream.utf8) }).count == streams.count else {
            throw .format("the disclosure's stream lines must be sorted by stream, each stream once")
        }
    }

    /// The first difference between this statement and the `actual` one, in words, or nil when they are equal.
    public func difference(from actual: DisclosureStatement) -> String? {
        guard origin.hasSameBytes(as: actual.origin), size == actual.size, selection == actual.selection else {
            return "the statement's origin, size or selection differ"
        }
        let claimed = Dictionary(streams.map { (Array($0.stream.utf8), $0) }, uniquingKeysWith: { first, _ in first })
        let real = Dictionary(
            actual.streams.map { (Array($0.stream.utf8), $0) }, uniquingKeysWith: { first, _ in first })
        for stream in actual.streams {
            guard let stated = claimed[Array(stream.stream.utf8)] else {
                return "the statement leaves out stream \(stream.stream) (rev 1…\(stream.rev) at size \(size))"
            }
            guard stated == stream else {
                return
                    "the statement says stream \(stream.stream) ends at rev \(stated.rev) (\(stated.bodyHash.prefix(12))…), but at size \(size) it ends at rev \(stream.rev) (\(stream.bodyHash.prefix(12))…)"
            }
        }
        for stream in streams where real[Array(stream.stream.utf8)] == nil {
            return "the statement lists stream \(stream.stream), which is not part of the selection at size \(size)"
        }
        return nil
    }
}
