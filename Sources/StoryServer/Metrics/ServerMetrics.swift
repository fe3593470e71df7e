public import Metrics

/// The server's metrics, recorded through the swift-metrics API: whatever backend the host bootstrapped (the
/// `story-server` executable bootstraps swift-prometheus and serves it at `GET /metrics`, see
/// ``PrometheusEndpoint``), or the factory given here.
///
/// | metric | kind | dimensions |
/// |---|---|---|
/// | `storyforge_http_requests_total` | counter | `route` (the matched pattern, `NotFound` for none), `method`, `status` |
/// | `storyforge_http_request_duration_seconds` | timer (histogram) | `route`, `method`, `status` |
/// | `storyforge_sse_clients` | meter (gauge) | — |
/// | `storyforge_stories` | gauge | `state` |
///
/// Routes are label values by their pattern (`/v1/stories/{id}`), never by the requested path, so that a
/// client cannot grow the number of series.
public struct ServerMetrics: Sendable {
    /// The counter of requests.
    public static let requestsLabel = "storyforge_http_requests_total"
    /// The timer of request handling, to the response's head.
    public static let durationLabel = "storyforge_http_request_duration_seconds"
    /// The meter of open Server-Sent Events streams.
    public static let sseClientsLabel = "storyforge_sse_clients"
    /// The gauge of stories by state.
    public static let storiesLabel = "storyforge_stories"

    private let factory: any MetricsFactory
    private let sseClients: Meter

    /// Creates the metrics on `factory` (by default the one the process bootstrapped).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        sseClients = Meter(label: Self.sseClientsLabel, dimensions: [], factory: factory)
    }

    /// Records one answered request.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Counter(label: Self.requestsLabel, dimensions: dimensions, factory: factory).increment()
        Timer(label: Self.durationLabel, dimensions: dimensions, factory: factory).record(duration: duration)
    }

    /// A Server-Sent Events stream opened.
    public func sseClientOpened() { sseClients.increment() }

    /// A Server-Sent Events stream ended (finished, or its client went away).
    public func sseClientClosed() { sseClients.decrement() }

    /// Sets the gauge of stories in each state (every state, zero for those without stories).
    public func recordStories(_ counts: [StoryStatus.State: Int]) {
        for state in StoryStatus.State.allCases {
            Gauge(label: Self.storiesLabel, dimensions: [("state", state.rawValue)], factory: factory)
                .record(counts[state] ?? 0)
        }
    }
}

extension Timer {
    /// Records a `Duration` without going through `Double` (whole nanoseconds; longer than Int64 saturates).
    fileprivate func record(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let total = nanos.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        recordNanoseconds(nanos.overflow || total.overflow ? Int64.max : total.partialValue)
    }
}
