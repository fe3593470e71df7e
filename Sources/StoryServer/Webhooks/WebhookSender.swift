public import Foundation
import HTTPTypes
public import Logging
public import ProviderKit

/// POSTs one webhook: checks and resolves its target (``WebhookTargetPolicy``), connects to the checked address,
/// signs the body (``WebhookSignature``), waits at most ``Configuration/timeout``, follows no redirect.
///
/// A 2xx answer is delivered. Anything else (another status, a redirect, a timeout, a refused connection, a name
/// that does not resolve) throws ``StoryServerError`` `unavailable`, which the `story.webhook` job retries with
/// the queue's backoff; a target the policy refuses throws `invalidRequest`, which no retry can fix.
/// Errors and log lines name the receiver's scheme, host and port only: a webhook URL's path or query often holds
/// a token of the receiver's.
public struct WebhookSender: Sendable {
    /// How deliveries are made.
    public struct Configuration: Sendable {
        /// Which targets are allowed.
        public var policy: WebhookTargetPolicy
        /// The longest a delivery may take, connection included: 10 s (a receiver should answer at once and do its
        /// work later).
        public var timeout: Duration
        /// The `User-Agent` header.
        public var userAgent: String

        /// Creates a configuration.
        public init(
            policy: WebhookTargetPolicy = WebhookTargetPolicy(), timeout: Duration = .seconds(10),
            userAgent: String = "StoryForge-Webhook/1"
        ) {
            self.policy = policy
            self.timeout = timeout
            self.userAgent = userAgent
        }
    }

    /// The header naming the event (`story.succeeded`, …).
    public static let eventHeader = "StoryForge-Event"
    /// The header naming the story.
    public static let storyHeader = "StoryForge-Story"

    private let secret: WebhookSecret
    private let configuration: Configuration
    private let makeTransport: @Sendable () -> any HTTPTransport
    private let now: @Sendable () -> Date

    /// Creates a sender.
    ///
    /// - Parameters:
    ///   - makeTransport: a transport per delivery, which must honour ``HTTPRequest/pinnedAddress`` (the default,
    ///     libcurl on Linux, does); a fresh one each time, so that no pooled connection to an address checked for
    ///     another delivery is reused.
    ///   - now: the clock of the signature's timestamp.
    public init(
        secret: WebhookSecret, configuration: Configuration = Configuration(),
        makeTransport: @escaping @Sendable () -> any HTTPTransport = { DefaultHTTPTransport() },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.secret = secret
        self.configuration = configuration
        self.makeTransport = makeTransport
        self.now = now
    }

    /// Sends the delivery once; returns the receiver's 2xx status code.
    ///
    /// - Throws: ``StoryServerError`` `invalidRequest` for a refused target, `unavailable` for a failed attempt.
    @discardableResult
    public func deliver(_ delivery: WebhookDelivery, logger: Logger = Logger(label: "storyforge.webhook")) async throws
        -> Int
    {
        guard let url = URL(string: delivery.url) else {
            throw StoryServerError.invalidRequest("the webhook URL of story \(delivery.storyID) does not parse")
        }
        let target = try await configuration.policy.resolve(url)
        let receiver = Self.receiverName(target.url)
        let body = Data(delivery.body.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.userAgent] = configuration.userAgent
        // Names are RFC 9110 tokens by construction, so these initialisers do not fail.
        if let signature = HTTPField.Name(WebhookSignature.headerName),
            let event = HTTPField.Name(Self.eventHeader), let story = HTTPField.Name(Self.storyHeader)
        {
            headers[signature] = WebhookSignature.header(body: body, secret: secret, timestamp: now())
            headers[event] = delivery.event
            headers[story] = delivery.storyID
        }
        let timeout = configuration.timeout
        let request = HTTPRequest(
            method: .post, url: target.url, headers: headers, body: body,
            timeouts: HTTPTimeouts(connect: timeout, firstByte: timeout, idle: timeout, total: timeout),
            maxResponseBytes: 64 * 1024, pinnedAddress: target.address)
        let status: Int
        do {
            // Only the status matters: the body is dropped unread, which ends the transfer.
            status = try await makeTransport().stream(request).head.status.code
        } catch {
            logger.info(
                "webhook delivery failed",
                metadata: ["webhook.receiver": "\(receiver)", "story.id": "\(delivery.storyID)"])
            throw StoryServerError.unavailable(
                "the webhook to \(receiver) for story \(delivery.storyID) failed: \(Self.reason(error))",
                underlying: error)
        }
        guard (200...299).contains(status) else {
            throw StoryServerError.unavailable(
                "the webhook receiver \(receiver) answered \(status) for story \(delivery.storyID)"
                    + ((300...399).contains(status) ? " (redirects are not followed)" : ""))
        }
        logger.debug(
            "webhook delivered",
            metadata: [
                "webhook.receiver": "\(receiver)", "story.id": "\(delivery.storyID)", "http.status": "\(status)",
            ])
        return status
    }

    /// `https://host:port`: what may be said about a receiver without its path or query.
    static func receiverName(_ url: URL) -> String {
        let scheme = url.scheme ?? "http"
        let host = url.host(percentEncoded: false) ?? "?"
        let shown = host.contains(":") ? "[\(host)]" : host
        return url.port.map { "\(scheme)://\(shown):\($0)" } ?? "\(scheme)://\(shown)"
    }

    /// A transport error's message, which names the host only (ProviderError messages never carry a URL's path).
    private static func reason(_ error: any Error) -> String {
        (error as? ProviderError)?.message ?? String(describing: type(of: error))
    }
}
