import Foundation
import HTTPTypes
public import Hummingbird
import Logging

/// JSON answers: the API's encoder (ISO 8601 dates, sorted keys) and its error body.
enum APIResponse {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Response
    {
        let data = try encoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(
        _ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]
    ) -> Response {
        let body = APIErrorBody(code: code, message: message)
        // Encoding two strings cannot fail; the fallback keeps the status if it ever did.
        return (try? json(body, status: status, headers: headers)) ?? Response(status: status, headers: headers)
    }

    static func error(_ error: StoryServerError, headers: HTTPFields = [:]) -> Response {
        Self.error(error.httpStatus, code: error.apiCode, message: error.message, headers: headers)
    }

    /// The API code of a status that did not come from a ``StoryServerError`` (the router's own 404 and 405).
    static func code(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_request"
        case 401: "unauthorized"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 429: "rate_limited"
        case 503: "unavailable"
        case 400..<500: "invalid_request"
        default: "internal"
        }
    }
}

/// Turns every error of the routes after it into an ``APIErrorBody`` JSON answer with the mapped status: a
/// ``StoryServerError`` by its code, Hummingbird's own errors (no such route, body too large) by their status, and
/// anything else into a 500 whose details go to the log, not to the client.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Answers the error of the routes after it as JSON.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as StoryServerError {
            if error.httpStatus.code >= 500 {
                context.logger.error(
                    "request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            }
            return APIResponse.error(error)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status.code == 404 ? "no such route" : error.status.reasonPhrase)
            return APIResponse.error(
                error.status, code: APIResponse.code(of: error.status), message: message, headers: error.headers)
        } catch let error as any HTTPResponseError {
            return APIResponse.error(
                error.status, code: APIResponse.code(of: error.status), message: error.status.reasonPhrase)
        } catch {
            context.logger.error(
                "request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            return APIResponse.error(
                .internalServerError, code: "internal", message: "the server failed; its log has the details")
        }
    }
}

/// Query parameters that carry credentials in other APIs: refused, since URLs end up in logs and histories.
private let credentialParameters: Set<String> = [
    "token", "access_token", "api_key", "apikey", "key", "auth", "authorization", "bearer", "jwt", "password",
]

/// Authenticates and rate-limits the story routes: refuses a token in the query string (400), takes the caller's
/// bearer token from `Authorization` (401 without a known one, when the server has tokens; the owner `local`
/// otherwise) and takes one request from the owner's bucket (429 with `Retry-After` when it is empty).
public struct StoryAuthMiddleware<Context: StoryRequestContextProtocol>: RouterMiddleware {
    /// The accepted tokens; `nil` for a loopback server without tokens, whose callers are all ``StoryOwner/local``.
    public let tokens: BearerTokens?
    /// The per-owner rate; `nil` for none.
    public let limiter: TokenBucketLimiter?

    /// Creates the middleware.
    public init(tokens: BearerTokens?, limiter: TokenBucketLimiter?) {
        self.tokens = tokens
        self.limiter = limiter
    }

    /// Authenticates the request and passes it on with its owner.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        for (name, _) in request.uri.queryParameters
        where credentialParameters.contains(name.lowercased()) {
            throw StoryServerError.invalidRequest(
                "a credential (\(name.prefix(40))) in the query string: send the token in the Authorization header "
                    + "as `Bearer <token>`; URLs end up in logs")
        }
        var context = context
        let owner: StoryOwner
        if let tokens {
            guard let header = request.headers[.authorization] else {
                return Self.unauthorized("no Authorization header: send `Authorization: Bearer <token>`")
            }
            let scheme = "bearer "
            guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else {
                return Self.unauthorized("the Authorization header must be `Bearer <token>`")
            }
            let token = header.dropFirst(scheme.count).trimmingCharacters(in: .whitespaces)
            guard let found = tokens.owner(of: token) else {
                return Self.unauthorized("the token is not one this server accepts")
            }
            owner = found
        } else {
            owner = .local
        }
        context.owner = owner
        if let limiter, let wait = limiter.take(owner.rawValue) {
            return APIResponse.error(
                .tooManyRequests, code: "rate_limited",
                message: "more than \(Self.rateText(limiter.rate)) for this token; retry after \(wait) s",
                headers: [.retryAfter: String(wait)])
        }
        return try await next(request, context)
    }

    private static func unauthorized(_ message: String) -> Response {
        APIResponse.error(
            .unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }

    private static func rateText(_ rate: TokenBucketLimiter.Rate) -> String {
        // perSecond is clamped to 0.001…100 000, so the whole number converts.
        let perSecond = rate.perSecond.rounded() == rate.perSecond ? String(Int(rate.perSecond)) : "\(rate.perSecond)"
        return "\(perSecond) requests a second"
    }
}
