import Foundation
import HTTPTypes

/// Streams a response body into a file, bounded, for the media providers (clips are too large to buffer).
enum MediaDownload {
    /// Sends `request` and writes a 2xx body to `destination` (replacing it), at most `maxBytes`.
    ///
    /// - Returns: the bytes written and the response's `Content-Type`.
    /// - Throws: the mapped ``ProviderError`` for a non-2xx answer, ``ProviderError/responseTooLarge(_:)`` past
    ///   `maxBytes` (the partial file is removed), ``ProviderError/transport(_:underlying:)`` when the file cannot be
    ///   written.
    static func download(
        _ request: HTTPRequest, with client: ProviderHTTPClient, to destination: URL, maxBytes: Int, what: String
    ) async throws -> (bytes: Int, contentType: String?) {
        let response = try await client.transport.stream(request)
        ResponseHeadObserver.notify(response.head)
        guard response.head.status.kind == .successful else {
            let body = (try? await response.collect(upTo: 1 << 20)) ?? Data()
            throw client.mapError(status: response.head.status.code, head: response.head, body: body)
        }
        let manager = FileManager.default
        try? manager.removeItem(at: destination)
        guard manager.createFile(atPath: destination.path, contents: nil) else {
            throw ProviderError.transport("\(client.providerName): cannot create \(destination.lastPathComponent)")
        }
        var written = 0
        do {
            let handle = try FileHandle(forWritingTo: destination)
            defer { try? handle.close() }
            for try await chunk in response.body {
                let (total, overflow) = written.addingReportingOverflow(chunk.count)
                guard !overflow, total <= maxBytes else {
                    throw ProviderError.responseTooLarge(
                        "\(client.providerName): \(what) is larger than \(maxBytes) bytes")
                }
                try handle.write(contentsOf: chunk)
                written = total
            }
            if Task.isCancelled { throw ProviderError.cancelled("the download of \(what) was cancelled") }
        } catch let error as ProviderError {
            try? manager.removeItem(at: destination)
            throw error
        } catch {
            try? manager.removeItem(at: destination)
            throw ProviderError.transport(
                "\(client.providerName): cannot write \(what) to \(destination.lastPathComponent)", underlying: error)
        }
        return (written, response.head.headers[.contentType])
    }

    /// Whether `data` starts like a video container: ISO BMFF (`ftyp` at offset 4: MP4, MOV), Matroska/WebM (EBML
    /// magic). A quick check before ffprobe's; an HTML error page or a JSON body is caught here.
    static func looksLikeVideo(_ prefix: Data) -> Bool {
        let bytes = [UInt8](prefix.prefix(12))
        if bytes.count >= 8, bytes[4...7].elementsEqual("ftyp".utf8) { return true }
        return bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3])
    }

    /// The first bytes of a file, for ``looksLikeVideo(_:)``.
    static func prefix(of url: URL) -> Data {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return Data() }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 16)) ?? Data()
    }

    /// A `multipart/form-data` body: text fields, then files.
    static func multipart(
        fields: [(String, String)], files: [(name: String, filename: String, type: String, data: Data)]
    ) -> (body: Data, contentType: String) {
        let boundary = "storyforge-" + UUID().uuidString
        var body = Data()
        for (name, value) in fields {
            body.append(
                Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        for file in files {
            body.append(
                Data(
                    ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; "
                        + "filename=\"\(file.filename)\"\r\nContent-Type: \(file.type)\r\n\r\n").utf8))
            body.append(file.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    /// `image/png` or `image/jpeg` from the signature.
    static func imageType(_ data: Data) -> String {
        data.starts(with: [0xFF, 0xD8, 0xFF]) ? "image/jpeg" : "image/png"
    }
}
