#if canImport(Darwin)
    public import Foundation
    import HTTPTypes

    /// An ``HTTPTransport`` on URLSession, the default on Apple platforms.
    ///
    /// Each request is a data task with its own delegate, so the body arrives as URLSession
    /// delivers it. The idle limit is URLSession's request timeout; the first-byte and total limits
    /// are timers that cancel the task; cancelling the calling task cancels the data task.
    public struct URLSessionHTTPTransport: HTTPTransport {
        private let session: URLSession

        /// Creates a transport on a session made from `configuration` (ephemeral by default: no
        /// cookies or cache on disk).
        public init(configuration: URLSessionConfiguration = .ephemeral) {
            session = URLSession(configuration: configuration)
        }

        /// Sends a request and collects the whole response.
        public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let response = try await stream(request)
            return HTTPResponse(head: response.head, body: try await response.collect(upTo: request.maxResponseBytes))
        }

        /// Sends a request and returns once the status and headers have arrived.
        public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
            try Task.checkCancellation()
            // URLSession resolves names itself and has no way to be told an address.
            guard request.pinnedAddress == nil else {
                throw ProviderError.badRequest("URLSession cannot connect to a pinned address; use CurlHTTPTransport")
            }
            var urlRequest = URLRequest(url: request.url)
            urlRequest.httpMethod = request.method.rawValue
            for field in request.headers { urlRequest.addValue(field.value, forHTTPHeaderField: field.name.rawName) }
            urlRequest.httpBody = request.body
            urlRequest.timeoutInterval = Self.seconds(request.timeouts.idle)
            let (body, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
            let delegate = TaskDelegate(request: request, body: continuation)
            let task = session.dataTask(with: urlRequest)
            task.delegate = delegate
            continuation.onTermination = { _ in task.cancel() }
            let head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (head: CheckedContinuation<HTTPResponseHead, any Error>) in
                    delegate.start(task, head: head)
                }
            } onCancel: {
                delegate.cancel(task, because: .cancelled("the request was cancelled"))
            }
            return HTTPStreamingResponse(head: head, body: body)
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }

    /// The delegate of one data task.
    ///
    /// `@unchecked Sendable`: `head`, `reason`, `received` and `gotHead` are guarded by `lock`.
    private final class TaskDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var head: CheckedContinuation<HTTPResponseHead, any Error>?
        private var reason: ProviderError?
        private var received = 0
        private var gotHead = false
        private let body: AsyncThrowingStream<Data, any Error>.Continuation
        private let request: HTTPRequest

        init(request: HTTPRequest, body: AsyncThrowingStream<Data, any Error>.Continuation) {
            self.request = request
            self.body = body
        }

        func start(_ task: URLSessionDataTask, head: CheckedContinuation<HTTPResponseHead, any Error>) {
            lock.withLock { self.head = head }
            let timeouts = request.timeouts
            let host = request.url.host ?? "the server"
            DispatchQueue.global().asyncAfter(
                deadline: .now() + URLSessionHTTPTransport.seconds(timeouts.connect + timeouts.firstByte)
            ) { [weak self, weak task] in
                guard let self, let task, !self.lock.withLock({ self.gotHead }) else { return }
                self.cancel(
                    task, because: .timeout("\(host) sent no response within \(timeouts.firstByte) (first-byte limit)"))
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + URLSessionHTTPTransport.seconds(timeouts.total)) {
                [weak self, weak task] in
                guard let self, let task, task.state == .running else { return }
                self.cancel(task, because: .timeout("\(host) did not finish within \(timeouts.total) (total limit)"))
            }
            task.resume()
        }

        func cancel(_ task: URLSessionTask, because error: ProviderError) {
            lock.withLock { if reason == nil { reason = error } }
            task.cancel()
        }

        func urlSession(
            _ session: URLSession,
            dataTask: URLSessionDataTask,
            didReceive response: URLResponse,
            completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
        ) {
            let http = response as? HTTPURLResponse
            var headers = HTTPFields()
            for (name, value) in http?.allHeaderFields ?? [:] {
                // A name that is not a valid field name is dropped, not trusted.
                guard let name = HTTPField.Name(String(describing: name)) else { continue }
                headers.append(HTTPField(name: name, value: String(describing: value)))
            }
            let continuation = lock.withLock {
                gotHead = true
                defer { head = nil }
                return head
            }
            do {
                continuation?.resume(
                    returning: try HTTPResponseHead(statusCode: http?.statusCode ?? 0, headers: headers))
            } catch {
                continuation?.resume(throwing: error)
            }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let tooLarge = lock.withLock {
                received += data.count
                return received > request.maxResponseBytes
            }
            if tooLarge {
                cancel(
                    dataTask,
                    because: .responseTooLarge("the response is larger than \(request.maxResponseBytes) bytes"))
                return
            }
            body.yield(data)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            let (continuation, reason) = lock.withLock {
                defer { head = nil }
                return (head, self.reason)
            }
            guard let error else {
                body.finish()
                return
            }
            let mapped: ProviderError
            if let reason {
                mapped = reason
            } else if let urlError = error as? URLError, urlError.code == .timedOut {
                mapped = .timeout("\(request.url.host ?? "the server"): \(urlError.localizedDescription)")
            } else {
                mapped = .transport("\(request.url.host ?? "the server"): \(error.localizedDescription)")
            }
            continuation?.resume(throwing: mapped)
            body.finish(throwing: mapped)
        }
    }
#endif
