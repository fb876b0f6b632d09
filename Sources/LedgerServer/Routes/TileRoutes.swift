import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerHTTP

/// The C2SP tlog-tiles read API (c2sp.org/tlog-tiles), so that witnesses and monitors can follow the log with
/// their own tools: `/checkpoint`, hash tiles `/tile/<L>/<N>[.p/<W>]` and entry bundles `/tile/entries/<N>[.p/<W>]`.
///
/// Checkpoints and hash tiles reveal an operation's tempo, so they need a signed request unless the operator
/// passed `--public-checkpoints`; entry bundles are confidential and only for callers who may read the whole log.
struct TileRoutes {
    let store: any LedgerStore
    let publicCheckpoints: Bool

    /// Full and partial tiles never change once they exist.
    static let immutable = "max-age=31536000, immutable"

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/checkpoint") { _, context in try await checkpoint(context) }
        router.get("/tile/**") { request, context in try await tile(request, context) }
    }

    private func checkpoint(_ context: LedgerRequestContext) async throws -> Response {
        if !publicCheckpoints { _ = try context.requireCaller() }
        let store = self.store
        let note = try await OffExecutor.run { try store.read { try $0.checkpointNote(.newest)?.note } }
        guard let note else { throw Problem(.notFound, code: "not-found", "the ledger has no checkpoint yet") }
        // tlog-tiles: mutable, not cached beyond a few seconds.
        return Reply.bytes(Array(note.utf8), contentType: "text/plain; charset=utf-8", cacheControl: "no-cache")
    }

    private func tile(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let path = String(request.uri.path.dropFirst("/tile/".count))
        guard let tile = TilePath(path), tile.path == path else {
            throw Problem(.notFound, code: "not-found", "no such tile: tile/\(path) (c2sp.org/tlog-tiles)")
        }
        let caller: Caller?
        if tile.level == nil || !publicCheckpoints { caller = try context.requireCaller() } else { caller = nil }
        if tile.level == nil, caller?.readsWholeLog != true {
            throw Problem.forbidden(
                "reading every entry (what verifying the whole ledger does) is for auditors and administrators; your"
                    + " key holds neither role")
        }
        let store = self.store
        let bytes = try await OffExecutor.run {
            try store.read { reader -> [UInt8]? in
                guard tile.exists(inTreeOf: try reader.entryCount()) else { return nil }
                return try Self.content(of: tile, in: reader)
            }
        }
        guard let bytes else {
            throw Problem(.notFound, code: "not-found", "tile/\(path) is not in the tree yet")
        }
        let visibility = caller == nil ? "public" : "private"
        return Reply.bytes(
            bytes, contentType: "application/octet-stream", cacheControl: "\(visibility), \(Self.immutable)")
    }

    /// The bytes of a tile that exists: concatenated hashes, or length-prefixed entries.
    static func content(of tile: TilePath, in reader: any LedgerReader) throws -> [UInt8] {
        guard let level = tile.level else {
            let first = tile.index * Int64(TilePath.fullWidth) + 1
            var bytes: [UInt8] = []
            try reader.forEachRecord(
                RecordFilter(from: first, to: first + Int64(tile.width) - 1, withStoredState: false)
            ) { stored in
                guard stored.record.count <= Int(UInt16.max) else {
                    throw Problem(
                        .internalServerError, code: "store",
                        "entry \(stored.seq) is longer than an entry bundle can carry")
                }
                bytes += [UInt8(stored.record.count >> 8), UInt8(stored.record.count & 0xff)] + stored.record
                return true
            }
            return bytes
        }
        // tlog-tiles: hash i of tile (L, N) is MTH of leaves [(N·256+i)·256^L, (N·256+i+1)·256^L), the perfect
        // subtree of height 8L whose last leaf is seq (N·256+i+1)·256^L.
        guard let span = TilePath.leavesPerHash(level: level) else { return [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tile.width * 32)
        if level == 0 {
            let first = tile.index * Int64(TilePath.fullWidth) + 1
            try reader.forEachRecord(RecordFilter(from: first, to: first + Int64(tile.width) - 1)) { stored in
                bytes += stored.leafHash
                return true
            }
            return bytes
        }
        for i in 0..<Int64(tile.width) {
            bytes += try reader.subtreeHash(
                seq: (tile.index * Int64(TilePath.fullWidth) + i + 1) * span, level: 8 * level)
        }
        return bytes
    }
}
