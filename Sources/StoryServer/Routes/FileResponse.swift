import Foundation
import Hummingbird

/// A story's file as an HTTP answer: `ETag` (the manifest's SHA-256) with `If-None-Match` → 304, one
/// `Range: bytes=…` → 206 with `Content-Range` (what a browser's video player sends to seek), a range past the end
/// → 416 with `Content-Range: bytes */<size>`, several ranges or an `If-Range` that does not match → the whole file.
enum FileResponse {
    /// The byte range of a `Range` header against a file of `size` bytes.
    enum RangeRequest: Equatable {
        /// No usable range: send the whole file.
        case whole
        /// These bytes.
        case bytes(ClosedRange<Int64>)
        /// A range the file cannot satisfy.
        case unsatisfiable
    }

    static func response(_ location: StoryFileLocation, request: Request, context: some RequestContext)
        async throws -> Response
    {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: location.url.path)
        } catch {
            throw StoryServerError.notFound("the file is listed in the manifest but is not in the store")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular,
            let size = (attributes[.size] as? NSNumber)?.int64Value, size >= 0
        else {
            throw StoryServerError.notFound("the file is listed in the manifest but is not a regular file")
        }
        var headers: HTTPFields = [
            .eTag: location.etag, .acceptRanges: "bytes", .contentType: location.contentType,
            .cacheControl: "private, max-age=0, must-revalidate",
        ]
        if let match = request.headers[.ifNoneMatch], matches(match, etag: location.etag) {
            return Response(status: .notModified, headers: headers)
        }
        var range = parse(request.headers[.range], size: size)
        if let ifRange = request.headers[.ifRange], ifRange.trimmingCharacters(in: .whitespaces) != location.etag {
            range = .whole
        }
        let fileIO = FileIO()
        switch range {
        case .unsatisfiable:
            return APIResponse.error(
                .rangeNotSatisfiable, code: "range_not_satisfiable",
                message: "the range is outside the file's \(size) bytes", headers: [.contentRange: "bytes */\(size)"])
        case .whole:
            headers[.contentLength] = String(size)
            guard size > 0 else { return Response(status: .ok, headers: headers, body: .init()) }
            let body = try await fileIO.loadFile(
                path: location.url.path, range: 0...Int(size - 1), context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .bytes(let bytes):
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(size)"
            headers[.contentLength] = String(bytes.upperBound - bytes.lowerBound + 1)
            let body = try await fileIO.loadFile(
                path: location.url.path, range: Int(bytes.lowerBound)...Int(bytes.upperBound), context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }

    /// Whether `If-None-Match` names the tag (or is `*`); weak tags (`W/"…"`) match by their value.
    static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }

    /// Parses `Range` (RFC 9110 §14.1.2) for one range: `bytes=a-b`, `bytes=a-`, `bytes=-n`.
    static func parse(_ header: String?, size: Int64) -> RangeRequest {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        // Several ranges would need multipart/byteranges; a server may send the whole file instead (§14.2).
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ text: String) -> Int64? {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return nil
            }
            return Int64(text)
        }
        if first.isEmpty {
            // A suffix: the last n bytes.
            guard let count = number(last) else { return .whole }
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .bytes(max(0, size - count)...(size - 1))
        }
        guard let start = number(first) else { return .whole }
        let end: Int64
        if last.isEmpty {
            end = size - 1
        } else {
            guard let parsed = number(last) else { return .whole }
            guard parsed >= start else { return .whole }
            end = min(parsed, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .bytes(start...end)
    }
}
