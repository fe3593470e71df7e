public import Hummingbird
public import Prometheus

/// `GET /metrics`: a swift-prometheus registry in the Prometheus text format (0.0.4).
///
/// The library never bootstraps swift-metrics; the host does, once, with a `PrometheusMetricsFactory` over the
/// registry it passes here (a host with a registry of its own passes that one):
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
/// PrometheusEndpoint(registry: registry, metrics: ServerMetrics(), storyCounts: service.countsByState)
///     .addRoutes(to: router)
/// ```
public struct PrometheusEndpoint: Sendable {
    /// The content type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let registry: PrometheusCollectorRegistry
    private let metrics: ServerMetrics?
    private let storyCounts: (@Sendable () async throws -> [StoryStatus.State: Int])?

    /// Creates the endpoint.
    ///
    /// - Parameters:
    ///   - registry: what to render.
    ///   - metrics: where to record `storyforge_stories`, refreshed from `storyCounts` at each scrape.
    ///   - storyCounts: how many stories are in each state (a failure leaves the gauge as it was).
    public init(
        registry: PrometheusCollectorRegistry, metrics: ServerMetrics? = nil,
        storyCounts: (@Sendable () async throws -> [StoryStatus.State: Int])? = nil
    ) {
        self.registry = registry
        self.metrics = metrics
        self.storyCounts = storyCounts
    }

    /// Adds `GET <path>` to the router.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>, path: RouterPath = "/metrics") {
        router.get(path) { _, _ in try await self.response() }
    }

    /// The scrape's response.
    public func response() async throws -> Response {
        if let storyCounts, let metrics, let counts = try? await storyCounts() {
            metrics.recordStories(counts)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: Self.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
