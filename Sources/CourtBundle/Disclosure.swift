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

/// Who made a bag and when: the `exported` line of a version-2 disclosure statement (FORMAT.md §11.4).
public struct DisclosureExport: Sendable, Equatable {
    /// When the bag was made, `YYYY-MM-DDTHH:MM:SSZ` (UTC).
    public let time: String
    /// Who made it: 1–200 scalars, none hidden (FORMAT.md §11.6.1), no space at either end.
    public let exporter: String

    /// Checks both values against FORMAT.md §11.4; throws a one-line `.format` error naming the bad one.
    public init(time: String, exporter: String) throws(CoreError) {
        guard Self.isTime(time) else {
            throw .format("the export time \"\(VisibleText.escape(time))\" is not YYYY-MM-DDTHH:MM:SSZ (UTC)")
        }
        guard Self.isExporter(exporter) else {
            throw .format(
                "the exporter \"\(VisibleText.escape(exporter))\" is not 1–200 characters without hidden characters or a space at either end"
            )
        }
        self.time = time
        self.exporter = exporter
    }

    /// The line of the statement: `exported <time> by <exporter>`.
    public var line: String { "exported \(time) by \(exporter)" }

    /// `YYYY-MM-DDTHH:MM:SSZ`, a real UTC date and time of day.
    public static func isTime(_ text: String) -> Bool {
        text.utf8.count == 20 && text.hasSuffix("Z") && LedgerTime.isValid(String(text.dropLast()) + ".000Z")
    }

    /// 1–200 scalars, none hidden, not beginning or ending with U+0020.
    public static func isExporter(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        return (1...200).contains(scalars.count) && scalars.first != " " && scalars.last != " "
            && !scalars.contains(where: VisibleText.isHidden)
    }

    /// The date of the export, `YYYY-MM-DD` (`Bagging-Date`).
    public var date: String { String(time.prefix(10)) }
}

/// One payload file a version-2 statement binds: its path in the bag and its SHA-256 (FORMAT.md §11.4).
public struct DisclosedFile: Sendable, Equatable {
    /// The path relative to the bag, with `/`, as in the manifest.
    public let path: String
    /// Lowercase hex SHA-256 of the file.
    public let sha256: String

    /// The file at `path` whose SHA-256 is `sha256` (lowercase hex).
    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }

    /// Same path and hash, byte for byte.
    public static func == (lhs: DisclosedFile, rhs: DisclosedFile) -> Bool {
        lhs.path.hasSameBytes(as: rhs.path) && lhs.sha256.hasSameBytes(as: rhs.sha256)
    }
}

/// The log key's signed statement of what a bundle discloses (FORMAT.md §11.4).
///
/// Version 1 names the streams; version 2 also who exported the bag and when, and the SHA-256 of every other
/// payload file, so that the log key's signature covers the report, the graph and `VERIFY.md` too.
public struct DisclosureStatement: Sendable, Equatable {
    /// The first line of a version-1 statement's text.
    static let header = "custody-ledger/v1 disclosure"
    /// The first line of a version-2 statement's text.
    static let headerV2 = "custody-ledger/v2 disclosure"

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
    /// Version 2: who exported the bag and when; nil in version 1.
    public let export: DisclosureExport?
    /// Version 2: every payload file but the statement, sorted by path (bytes); empty in version 1.
    public let files: [DisclosedFile]

    /// 1 or 2: the version of the statement's text.
    public var version: Int { export == nil ? 1 : 2 }

    /// A version-1 statement; `streams` are sorted here.
    public init(origin: String, size: Int64, selection: DisclosureSelection, streams: [DisclosedStream]) {
        self.origin = origin
        self.size = size
        self.selection = selection
        self.streams = streams.sorted { $0.stream.utf8.lexicographicallyPrecedes($1.stream.utf8) }
        export = nil
        files = []
    }

    /// A version-2 statement: `export` says who made the bag and when, `files` bind every other payload file;
    /// streams and files are sorted here.
    public init(
        origin: String, size: Int64, selection: DisclosureSelection, streams: [DisclosedStream],
        export: DisclosureExport, files: [DisclosedFile]
    ) {
        self.origin = origin
        self.size = size
        self.selection = selection
        self.streams = streams.sorted { $0.stream.utf8.lexicographicallyPrecedes($1.stream.utf8) }
        self.export = export
        self.files = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// The same statement binding `files` (version 2 only; a version-1 statement is returned unchanged).
    public func binding(_ files: [DisclosedFile]) -> DisclosureStatement {
        guard let export else { return self }
        return DisclosureStatement(
            origin: origin, size: size, selection: selection, streams: streams, export: export, files: files)
    }

    /// The note text that the log key signs.
    public var text: String {
        var lines = [export == nil ? Self.header : Self.headerV2, origin, String(size), selection.description]
        if let export { lines.append(export.line) }
        lines += streams.map { "\($0.stream) \($0.rev) \($0.bodyHash)" }
        lines += files.map { "file \($0.sha256) \($0.path)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The signed note.
    public func signed(with logKey: Ed25519PrivateKey) throws(CoreError) -> String {
        try SignedNote.sign(text: text, name: origin, key: logKey)
    }

    /// Parses a signed statement and checks that it carries exactly one signature line, the log key's, and that
    /// it verifies (FORMAT.md §11.4).
    public init(note: String, logKey: NoteVerifierKey) throws(CoreError) {
        let parsed = try SignedNote(parsing: note)
        guard parsed.isSigned(by: logKey) else {
            throw .rule("the disclosure statement is not signed by the log key \(logKey.vkey)")
        }
        guard parsed.signatures.count == 1 else {
            throw .rule(
                "the disclosure statement carries \(parsed.signatures.count) signature lines; it has exactly one, the log key's"
            )
        }
        try self.init(text: parsed.text)
        guard origin.hasSameBytes(as: logKey.name) else {
            throw .rule("the disclosure statement names origin \"\(origin)\", not \"\(logKey.name)\"")
        }
    }

    /// Parses the statement text (without its signatures), version 1 or 2.
    public init(text: String) throws(CoreError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let isV2 = lines.first == Self.headerV2
        guard lines.count >= (isV2 ? 6 : 5), lines[0] == Self.header || isV2, lines.last == "" else {
            throw .format("not a disclosure statement (it starts with \"\(Self.header)\" or \"\(Self.headerV2)\")")
        }
        guard let size = Int64(lines[2]), size >= 1, String(size) == lines[2] else {
            throw .format("the disclosure's checkpoint size \"\(lines[2])\" is not a canonical decimal number")
        }
        var export: DisclosureExport?
        var rest = lines[4..<(lines.count - 1)]
        if isV2 {
            let line = lines[4]
            let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard words.count == 4, words[0] == "exported", words[2] == "by" else {
                throw .format("the disclosure's line 5 is not \"exported <time> by <exporter>\"")
            }
            export = try DisclosureExport(time: words[1], exporter: words[3])
            rest = rest.dropFirst()
        }
        var streams: [DisclosedStream] = []
        var files: [DisclosedFile] = []
        for line in rest {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if isV2, fields.first == "file" {
                guard fields.count == 3, Hex.isCanonical(fields[1], byteCount: 32), Self.isPayloadPath(fields[2]) else {
                    throw .format("malformed disclosure line \"\(VisibleText.escape(line))\"")
                }
                files.append(DisclosedFile(path: fields[2], sha256: fields[1]))
                continue
            }
            guard files.isEmpty, fields.count == 3, Identifiers.isStreamName(fields[0]),
                !isV2 || fields[0].contains("/"), let rev = Int64(fields[1]), rev >= 1, String(rev) == fields[1],
                Hex.isCanonical(fields[2], byteCount: 32)
            else { throw .format("malformed disclosure line \"\(VisibleText.escape(line))\"") }
            streams.append(DisclosedStream(stream: fields[0], rev: rev, bodyHash: fields[2]))
        }
        let selection = try DisclosureSelection(line: lines[3])
        if let export {
            self.init(
                origin: lines[1], size: size, selection: selection, streams: streams, export: export, files: files)
        } else {
            self.init(origin: lines[1], size: size, selection: selection, streams: streams)
        }
        guard self.streams == streams, Set(streams.map { Array($0.stream.utf8) }).count == streams.count else {
            throw .format("the disclosure's stream lines must be sorted by stream, each stream once")
        }
        guard self.files == files, Set(files.map { Array($0.path.utf8) }).count == files.count else {
            throw .format("the disclosure's file lines must be sorted by path, each path once")
        }
    }

    /// A path under `data/` without empty, `.` or `..` components.
    static func isPayloadPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts[0] == "data" && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
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
