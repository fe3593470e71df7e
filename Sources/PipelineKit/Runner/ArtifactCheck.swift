import Foundation

/// Checks the artifacts a checkpointed or cached result refers to before the runner reuses it: a result whose
/// artifact is missing or damaged (truncated, overwritten) is a miss, and the stage runs again, which stores the
/// artifact anew. Each artifact is verified at most once per execution, however many later stages carry its
/// reference.
///
/// `@unchecked Sendable`: `verified` is only touched under `lock`.
final class ArtifactCheck: @unchecked Sendable {
    private let lock = NSLock()
    private var verified: Set<ArtifactRef> = []

    /// The first reference in `output` whose artifact is not intact in `store`, or `nil` when all are.
    func firstDamaged(in output: Data, store: any ArtifactStore) async -> ArtifactRef? {
        for ref in Self.references(in: output) {
            if lock.withLock({ verified.contains(ref) }) { continue }
            guard await store.isIntact(ref) else { return ref }
            lock.withLock { _ = verified.insert(ref) }
        }
        return nil
    }

    /// Every ``ArtifactRef`` encoded in a stage's JSON output: objects with exactly `path`, `sha256` and
    /// `byteCount`, however deeply nested.
    static func references(in output: Data) -> [ArtifactRef] {
        // Most outputs hold no reference: skip the parse for them, so that restoring a long run stays cheap.
        guard output.range(of: Data(#""sha256""#.utf8)) != nil,
            let root = try? JSONSerialization.jsonObject(with: output, options: [.fragmentsAllowed])
        else { return [] }
        var found: [ArtifactRef] = []
        var seen: Set<ArtifactRef> = []
        var pending: [Any] = [root]
        while let value = pending.popLast() {
            if let object = value as? [String: Any] {
                if object.count == 3, let path = object["path"] as? String, let sha256 = object["sha256"] as? String,
                    let count = object["byteCount"] as? NSNumber, let byteCount = Int(exactly: count.doubleValue)
                {
                    let ref = ArtifactRef(path: path, sha256: sha256, byteCount: byteCount)
                    if seen.insert(ref).inserted { found.append(ref) }
                } else {
                    pending.append(contentsOf: object.values)
                }
            } else if let array = value as? [Any] {
                pending.append(contentsOf: array)
            }
        }
        return found
    }
}
