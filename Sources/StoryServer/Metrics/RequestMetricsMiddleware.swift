public import Hummingbird

/// Records every request in ``ServerMetrics``: its count and duration by route pattern, method and status, and
/// each Server-Sent Events stream (a `text/event-stream` response) as an open client from the first byte
/// written until its body ends, finished or cut off by a client that went away.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let metrics: ServerMetrics

    /// Creates the middleware.
    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    /// Times the request and wraps an event stream's body to count it while it is open.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let method = request.method.rawValue
        do {
            var response = try await next(request, context)
            metrics.recordRequest(
                route: context.endpointPath ?? "NotFound", method: method, status: response.status.code,
                duration: clock.now - start)
            if response.headers[.contentType]?.hasPrefix("text/event-stream") == true {
                let body = response.body
                let metrics = metrics
                response.body = ResponseBody(contentLength: body.contentLength) { writer in
                    metrics.sseClientOpened()
                    defer { metrics.sseClientClosed() }
                    try await body.write(writer)
                }
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(
                route: context.endpointPath ?? "NotFound", method: method, status: status, duration: clock.now - start)
            throw error
        }
    }
}
