import CustodyDomain
import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerLabels

/// Printable labels (docs/WEB.md), made by libzint as `ledger label` makes them.
///
/// - `GET /api/v1/items/{id}/label?format=svg|png`: an exhibit label for an item the caller may read; its QR code
///   holds the item page's address on this server.
/// - `GET /api/v1/labels?seal=NUMBER` or `?location=PLACE` (and `format`): a seal or storage location label.
struct LabelRoutes {
    let store: any LedgerStore
    let signedURL: @Sendable () -> String

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/items/:id/label") { request, context in try await itemLabel(request, context) }
        router.get("/api/v1/labels") { request, context in try labels(request, context) }
    }

    private func itemLabel(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let format = try Self.format(request)
        let store = self.store
        let item = try await OffExecutor.run { try Access.readableItem(id, by: caller, in: store).item }
        let label = Label.exhibit(
            id: item.id, exhibit: item.exhibit, caseID: item.caseID, kind: item.kind, seal: item.seal, url: signedURL())
        return try Self.reply(label, format: format)
    }

    private func labels(_ request: Request, _ context: LedgerRequestContext) throws -> Response {
        _ = try context.requireCaller()
        let query = request.uri.queryParameters
        let format = try Self.format(request)
        let (seal, location) = (query.get("seal"), query.get("location"))
        let label: Label
        switch (seal, location) {
        case (let seal?, nil) where (1...200).contains(seal.count): label = .seal(seal)
        case (nil, let place?) where (1...200).contains(place.count): label = .location(place)
        default:
            throw Problem(.badRequest, code: "usage", "give seal=NUMBER or location=PLACE (1 to 200 characters)")
        }
        return try Self.reply(label, format: format)
    }

    static func format(_ request: Request) throws -> String {
        let format = request.uri.queryParameters.get("format") ?? "svg"
        guard format == "svg" || format == "png" else {
            throw Problem(.badRequest, code: "usage", "format is svg or png")
        }
        return format
    }

    static func reply(_ label: Label, format: String) throws -> Response {
        let bytes: [UInt8]
        do { bytes = try format == "svg" ? label.svg() : label.png() } catch {
            throw Problem(.badRequest, code: "usage", "cannot make the label: \(error)")
        }
        var response = Reply.bytes(
            bytes, contentType: format == "svg" ? "image/svg+xml" : "image/png", cacheControl: "no-store")
        // Opened on its own, the image may do nothing but be drawn.
        response.headers[.contentSecurityPolicy] = "default-src 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
