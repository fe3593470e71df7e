#if !canImport(Darwin)
    import CStoryForgeCurl
    import Foundation
    import HTTPTypes

    /// An ``HTTPTransport`` on libcurl, the default on Linux.
    ///
    /// Each request runs libcurl's multi interface on a thread of its own, polling at most every
    /// 50 ms so that the first-byte, idle and total limits and cancellation take effect promptly;
    /// body bytes are handed over as libcurl delivers them. Transports made from the same instance
    /// share a connection pool and DNS cache, so repeated requests to one host reuse connections.
    public struct CurlHTTPTransport: HTTPTransport {
        private let share: CurlShare?

        /// Creates a transport with its own connection pool.
        public init() {
            share = CurlShare()
        }

        /// Sends a request and collects the whole response.
        public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            try Task.checkCancellation()
            // The body is collected on the transfer thread and handed over once, which saves the
            // task switches of a stream for every small request.
            let transfer = try CurlTransfer(request: request, share: share, body: nil)
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (response: CheckedContinuation<HTTPResponse, any Error>) in
                    transfer.start(response: response)
                }
            } onCancel: {
                transfer.cancel()
            }
        }

        /// Sends a request and returns once the status and headers have arrived.
        public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
            try Task.checkCancellation()
            let (body, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
            let transfer = try CurlTransfer(request: request, share: share, body: continuation)
            continuation.onTermination = { _ in transfer.cancel() }
            let head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (head: CheckedContinuation<HTTPResponseHead, any Error>) in
                    transfer.start(head: head)
                }
            } onCancel: {
                transfer.cancel()
            }
            return HTTPStreamingResponse(head: head, body: body)
        }
    }

    /// A libcurl share object (connection pool and DNS cache).
    ///
    /// `@unchecked Sendable`: libcurl guards the share with the pthread mutexes that
    /// `sf_curl_share_create` installs.
    private final class CurlShare: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer

        init?() {
            guard let handle = sf_curl_share_create() else { return nil }
            self.handle = handle
        }

        deinit { sf_curl_share_destroy(handle) }
    }

    /// One transfer: its easy and multi handles, and the loop that drives them on its own thread.
    ///
    /// `@unchecked Sendable`: `cancelled`, `headContinuation`, `responseContinuation` and `multi` are
    /// guarded by `lock`;
    /// every other mutable field is touched only by the transfer thread (libcurl calls the
    /// callbacks from inside `curl_multi_perform` on that thread).
    private final class CurlTransfer: @unchecked Sendable {
        private static let pollInterval = Duration.milliseconds(50)

        private let lock = NSLock()
        private var cancelled = false
        private var headContinuation: CheckedContinuation<HTTPResponseHead, any Error>?
        private var responseContinuation: CheckedContinuation<HTTPResponse, any Error>?
        private var multi: UnsafeMutableRawPointer?

        private let easy: UnsafeMutableRawPointer
        /// Where a streaming transfer's body goes; `nil` for a buffered one, collected in `collected`.
        private let body: AsyncThrowingStream<Data, any Error>.Continuation?
        private var collected = Data()
        private let timeouts: HTTPTimeouts
        private let maxResponseBytes: Int
        private let host: String
        private var headerList: UnsafeMutablePointer<curl_slist>?
        /// CURLOPT_CONNECT_TO's one entry when the request pins an address.
        private var connectToList: UnsafeMutablePointer<curl_slist>?
        private let requestBody: UnsafeMutableRawBufferPointer?
        private let errorBuffer: UnsafeMutablePointer<CChar>

        private var status = 0
        private var headers = HTTPFields()
        private var headDelivered = false
        private var receivedBytes = 0
        private var lastByteAt: ContinuousClock.Instant?
        private var abortError: ProviderError?
        /// Kept alive as long as the easy handle: libcurl locks the share's mutexes until
        /// `curl_multi_remove_handle` and `curl_easy_cleanup`, which can run after the caller has
        /// its response and has released the transport.
        private let share: CurlShare?

        init(
            request: HTTPRequest,
            share: CurlShare?,
            body: AsyncThrowingStream<Data, any Error>.Continuation?
        ) throws {
            guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                throw ProviderError.badRequest(
                    "only http and https URLs are supported, not \(request.url.scheme ?? "none")")
            }
            guard sf_curl_global_init() == CURLE_OK, let easy = curl_easy_init() else {
                throw ProviderError.transport("libcurl could not be initialised")
            }
            errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
            self.easy = easy
            self.share = share
            self.body = body
            self.timeouts = request.timeouts
            self.maxResponseBytes = request.maxResponseBytes
            self.host = request.url.host ?? "the server"
            errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
            if let data = request.body {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 1)
                _ = data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
                requestBody = buffer
            } else {
                requestBody = nil
            }
            for field in request.headers {
                // A CR or LF in a header would let a value inject headers of its own. HTTPField already
                // turns them into spaces; a host's own HTTPField built from raw bytes is checked again
                // here, and the value (it may be a key) is never put in the message.
                guard HTTPField.isValidValue(field.value) else {
                    throw ProviderError.badRequest("the value of the \(field.name) header is not a valid field value")
                }
                headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
            }
            // libcurl would otherwise wait for "100 Continue" before sending larger bodies.
            headerList = curl_slist_append(headerList, "Expect:")
            try configure(request, share: share)
        }

        deinit {
            curl_easy_cleanup(easy)
            curl_slist_free_all(headerList)
            curl_slist_free_all(connectToList)
            requestBody?.deallocate()
            errorBuffer.deallocate()
        }

        private func configure(_ request: HTTPRequest, share: CurlShare?) throws {
            var codes: [CURLcode] = [
                sf_curl_set_string(easy, CURLOPT_URL, request.url.absoluteString),
                sf_curl_set_long(easy, CURLOPT_NOSIGNAL, 1),
                sf_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, 0),
                sf_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"),
                sf_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(timeouts.connect)),
                sf_curl_set_pointer(easy, CURLOPT_HTTPHEADER, headerList),
                sf_curl_set_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer),
                sf_curl_set_long(easy, CURLOPT_TCP_NODELAY, 1),
            ]
            if let share { codes.append(sf_curl_set_pointer(easy, CURLOPT_SHARE, share.handle)) }
            if let pinned = request.pinnedAddress {
                codes.append(sf_curl_set_pointer(easy, CURLOPT_CONNECT_TO, try connectTo(pinned, url: request.url)))
            }
            if let requestBody {
                codes.append(
                    sf_curl_set_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body?.count ?? 0)))
                codes.append(sf_curl_set_pointer(easy, CURLOPT_POSTFIELDS, requestBody.baseAddress))
            }
            switch request.method {
            case .get where requestBody == nil: codes.append(sf_curl_set_long(easy, CURLOPT_HTTPGET, 1))
            case .post where requestBody != nil: break
            default: codes.append(sf_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
            }
            if let failed = codes.first(where: { $0 != CURLE_OK }) {
                throw ProviderError.transport(
                    "libcurl refused an option: \(String(cString: curl_easy_strerror(failed)))")
            }
        }

        /// The CURLOPT_CONNECT_TO list that sends this transfer to `address`: `::ADDRESS:PORT` (the empty host and
        /// port match the URL's, whatever they are), IPv6 in brackets. The URL keeps its host, so the `Host`
        /// header, SNI and the certificate check use the name, not the address.
        private func connectTo(_ address: String, url: URL) throws -> UnsafeMutablePointer<curl_slist>? {
            var v4 = in_addr()
            var v6 = in6_addr()
            let literal: String
            if inet_pton(AF_INET, address, &v4) == 1 {
                literal = address
            } else if inet_pton(AF_INET6, address, &v6) == 1 {
                literal = "[\(address)]"
            } else {
                throw ProviderError.badRequest("the pinned address \(address) is not an IPv4 or IPv6 address")
            }
            let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
            connectToList = curl_slist_append(nil, "::\(literal):\(port)")
            return connectToList
        }

        /// Whole milliseconds for libcurl, at least 1 and at most `Int32.max` (about 24 days: the
        /// largest `curl_multi_poll` takes, and past any time limit a host means); a configured
        /// `.seconds(Int64.max)` saturates instead of trapping.
        private static func milliseconds(_ duration: Duration) -> Int {
            Int(min(max(1, CheckedNumber.milliseconds(duration)), Int64(Int32.max)))
        }

        /// Hands the transfer to a worker thread; `head` resumes once the status and headers are in.
        func start(head: CheckedContinuation<HTTPResponseHead, any Error>) {
            lock.withLock { headContinuation = head }
            CurlWorkerPool.shared.submit { [self] multi in run(multi) }
        }

        /// Hands the transfer to a worker thread; `response` resumes with the whole response.
        func start(response: CheckedContinuation<HTTPResponse, any Error>) {
            lock.withLock { responseContinuation = response }
            CurlWorkerPool.shared.submit { [self] multi in run(multi) }
        }

        /// Stops the transfer at once: the thread notices within one poll, woken early by libcurl.
        func cancel() {
            lock.withLock {
                cancelled = true
                if let multi { _ = curl_multi_wakeup(multi) }
            }
        }

        private var isCancelled: Bool { lock.withLock { cancelled } }

        private func run(_ multi: UnsafeMutableRawPointer?) {
            guard let multi else {
                fail(.transport("libcurl could not create a multi handle"))
                return
            }
            lock.withLock { self.multi = multi }
            let context = Unmanaged.passUnretained(self).toOpaque()
            _ = sf_curl_set_write_callback(easy, curlWriteCallback, context)
            _ = sf_curl_set_header_callback(easy, curlHeaderCallback, context)
            _ = curl_multi_add_handle(multi, easy)
            defer {
                _ = curl_multi_remove_handle(multi, easy)
                lock.withLock { self.multi = nil }
            }
            if let error = loop(multi) {
                fail(error)
            } else {
                deliverHead()
                body?.finish()
                let response = lock.withLock {
                    defer { responseContinuation = nil }
                    return responseContinuation
                }
                do {
                    let head = try HTTPResponseHead(statusCode: status, headers: headers)
                    response?.resume(returning: HTTPResponse(head: head, body: collected))
                } catch {
                    response?.resume(throwing: error)
                }
            }
        }

        /// Drives the transfer to its end; returns the error that ended it, or `nil` on success.
        private func loop(_ multi: UnsafeMutableRawPointer) -> ProviderError? {
            let clock = ContinuousClock()
            let start = clock.now
            var connectedAt: ContinuousClock.Instant?
            var running: Int32 = 1
            while true {
                if isCancelled { return .cancelled("the request to \(host) was cancelled") }
                let performed = curl_multi_perform(multi, &running)
                guard performed == CURLM_OK else {
                    return .transport("libcurl: \(String(cString: curl_multi_strerror(performed)))")
                }
                if let abortError { return abortError }
                var queued: Int32 = 0
                while let message = curl_multi_info_read(multi, &queued) {
                    if message.pointee.msg == CURLMSG_DONE {
                        return error(for: sf_curl_message_result(message))
                    }
                }
                let now = clock.now
                if now - start > timeouts.total {
                    return .timeout("\(host) did not finish within \(timeouts.total) (total limit)")
                }
                var deadline = start + timeouts.total
                if let lastByteAt {
                    if now - lastByteAt > timeouts.idle {
                        return .timeout("\(host) sent nothing for \(timeouts.idle) (idle limit)")
                    }
                    deadline = min(deadline, lastByteAt + timeouts.idle)
                } else {
                    if connectedAt == nil {
                        // Pre-transfer time is set once the connection is ready, whether new or
                        // reused from the pool (a reused one has no connect time of its own).
                        var readyTime: curl_off_t = 0
                        if sf_curl_get_offset(easy, CURLINFO_PRETRANSFER_TIME_T, &readyTime) == CURLE_OK,
                            readyTime > 0
                        {
                            connectedAt = now
                        } else if now - start > timeouts.connect + timeouts.firstByte {
                            return .timeout("\(host) sent no response within \(timeouts.firstByte) (first-byte limit)")
                        }
                    }
                    if let connectedAt {
                        if now - connectedAt > timeouts.firstByte {
                            return .timeout("\(host) sent no response within \(timeouts.firstByte) (first-byte limit)")
                        }
                        deadline = min(deadline, connectedAt + timeouts.firstByte)
                    }
                }
                let wait = min(Self.pollInterval, max(.milliseconds(1), deadline - now))
                _ = curl_multi_poll(multi, nil, 0, Int32(Self.milliseconds(wait)), nil)
            }
        }

        private func error(for code: CURLcode) -> ProviderError? {
            if code == CURLE_OK { return nil }
            if let abortError { return abortError }
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            if code == CURLE_OPERATION_TIMEDOUT {
                return .timeout("\(host): \(text) (connect limit \(timeouts.connect))")
            }
            return .transport("\(host): \(text)")
        }

        private func fail(_ error: ProviderError) {
            let (head, response) = lock.withLock {
                defer {
                    headContinuation = nil
                    responseContinuation = nil
                }
                return (headContinuation, responseContinuation)
            }
            head?.resume(throwing: error)
            response?.resume(throwing: error)
            body?.finish(throwing: error)
        }

        private func deliverHead() {
            guard !headDelivered else { return }
            headDelivered = true
            if status == 0 {
                var code = 0
                _ = sf_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &code)
                status = code
            }
            let continuation = lock.withLock {
                defer { headContinuation = nil }
                return headContinuation
            }
            do {
                continuation?.resume(returning: try HTTPResponseHead(statusCode: status, headers: headers))
            } catch {
                continuation?.resume(throwing: error)
            }
        }

        fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
            lastByteAt = .now
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
            var start = 0
            var end = bytes.count
            while start < end, isSpace(bytes[start]) { start += 1 }
            while end > start, isSpace(bytes[end - 1]) { end -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if line.starts(with: "HTTP/".utf8) {
                let parts = line.split(separator: 0x20, maxSplits: 2)
                status = parts.count > 1 ? Int(String(decoding: parts[1], as: UTF8.self)) ?? 0 : 0
                headers = HTTPFields()
            } else if line.isEmpty {
                // The end of a header block; a 1xx block is followed by the real one.
                if status >= 200 { deliverHead() }
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                var valueStart = colon + 1
                while valueStart < line.count, isSpace(line[valueStart]) { valueStart += 1 }
                // A name that is not a token (a hostile or broken server) is dropped, not trusted.
                if let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self)) {
                    headers.append(HTTPField(name: name, value: line[valueStart...]))
                }
            }
            return bytes.count
        }

        fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
            lastByteAt = .now
            deliverHead()
            receivedBytes += bytes.count
            if receivedBytes > maxResponseBytes {
                abortError = .responseTooLarge("\(host) sent more than \(maxResponseBytes) bytes")
                return 0
            }
            if let body {
                body.yield(Data(bytes))
            } else {
                collected.append(contentsOf: bytes)
            }
            return bytes.count
        }
    }

    /// Long-lived threads that each own a libcurl multi handle and run one transfer at a time.
    ///
    /// A thread and a multi handle (with its wake-up socket pair) cost more to create than a small
    /// loopback request takes, so they are reused: a transfer goes to an idle worker, or to a new
    /// one when all are busy (streams can last minutes, so the pool never makes a transfer wait).
    /// Workers idle for 30 s exit.
    ///
    /// `@unchecked Sendable`: `jobs` and `idle` are guarded by `condition`.
    private final class CurlWorkerPool: @unchecked Sendable {
        static let shared = CurlWorkerPool()
        private static let idleLifetime: TimeInterval = 30

        private let condition = NSCondition()
        private var jobs: [@Sendable (UnsafeMutableRawPointer?) -> Void] = []
        private var idle = 0

        func submit(_ job: @escaping @Sendable (UnsafeMutableRawPointer?) -> Void) {
            condition.lock()
            jobs.append(job)
            let spawn = jobs.count > idle
            if !spawn { condition.signal() }
            condition.unlock()
            if spawn {
                let thread = Thread { [self] in work() }
                thread.name = "storyforge.curl"
                thread.start()
            }
        }

        private func work() {
            let multi = curl_multi_init()
            defer { if let multi { _ = curl_multi_cleanup(multi) } }
            while true {
                condition.lock()
                while jobs.isEmpty {
                    idle += 1
                    let signalled = condition.wait(until: Date(timeIntervalSinceNow: Self.idleLifetime))
                    idle -= 1
                    if !signalled, jobs.isEmpty {
                        condition.unlock()
                        return
                    }
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job(multi)
            }
        }
    }

    private func curlWriteCallback(
        data: UnsafeMutablePointer<CChar>?,
        size: Int,
        count: Int,
        context: UnsafeMutableRawPointer?
    ) -> Int {
        guard let data, let context else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
        return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
    }

    private func curlHeaderCallback(
        data: UnsafeMutablePointer<CChar>?,
        size: Int,
        count: Int,
        context: UnsafeMutableRawPointer?
    ) -> Int {
        guard let data, let context else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
        return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
    }
#endif
