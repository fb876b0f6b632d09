import Foundation
import Hummingbird
import Logging

/// One log line per request: its id (also sent back as `Request-Id`), method, route, status and time taken.
///
/// The route is the pattern (`/api/v1/items/{id}`), never the item, person or query asked for. Nothing a caller
/// sent is logged: no bodies, query values, signatures or key ids.
struct RequestLog: RouterMiddleware {
    typealias Context = LedgerRequestContext

    /// Where each request's status and time are counted.
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let id = context.id
        func log(_ status: Int) {
            let elapsed = ContinuousClock.now - start
            metrics.record(status: status, took: elapsed)
            let milliseconds =
                Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info(
                "request",
                metadata: [
                    "method": .string(request.method.rawValue),
                    "route": .string(context.endpointPath ?? "(no route)"), "status": .stringConvertible(status),
                    "ms": .string(String(format: "%.1f", milliseconds)),
                ])
        }
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = id
            log(Int(response.status.code))
            return response
        } catch var problem as Problem {
            problem.headers[.requestID] = id
            log(Int(problem.status.code))
            throw problem
        } catch let error as any HTTPResponseError {
            log(Int(error.status.code))
            throw error
        }
    }
}
