public import Hummingbird

extension StoryServerError {
    /// The HTTP status of the error.
    public var httpStatus: HTTPResponse.Status {
        switch code {
        case .invalidRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// The ``APIErrorBody`` code of the error.
    public var apiCode: String {
        switch code {
        case .invalidRequest: "invalid_request"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .payloadTooLarge: "payload_too_large"
        case .rateLimited: "rate_limited"
        case .unavailable: "unavailable"
        default: "internal"
        }
    }
}
