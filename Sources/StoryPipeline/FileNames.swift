import Foundation
import StoryForgeCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Names derived from titles or model output, made safe for a file system.
enum FileNames {
    /// A file error's cause in a few words ("Permission denied", "Not a directory"), not Foundation's dump.
    static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let failure = error as? DurableFile.Failure { return String(cString: strerror(failure.code)) }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }

    /// A file name for a run id that no other run id shares: the sanitized id (at most 48 characters) and the
    /// first 12 hex digits (48 bits) of the SHA-256 of the exact id, so ids differing only in case, in characters
    /// the sanitizing drops, or beyond the kept length still get different names.
    static func unique(forRunID runID: String) -> String {
        let prefix = String(sanitized(runID, fallback: "run").prefix(48))
        return prefix + "-" + HexDigest.sha256(runID).prefix(12)
    }

    /// Keeps letters, digits, `-` and `_`, lower-cased, at most 60 characters; `fallback` when nothing is left.
    static func sanitized(_ text: String, fallback: String) -> String {
        let kept = text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
        let collapsed = String(kept).split(separator: "-", omittingEmptySubsequences: true).joined(separator: "-")
        let ascii = collapsed.unicodeScalars.filter { $0.isASCII }.map(String.init).joined()
        let result = String(ascii.prefix(60))
        return result.isEmpty ? fallback : result
    }
}
