import Crypto
import Foundation
import StoryForgeCore

/// The cache key of a stage or fan-out child.
///
/// SHA-256 over, each length-prefixed so no two field lists collide: stage id, version, canonical input (sorted-key
/// JSON), canonical stage parameters, and the upstream stage's key. The upstream key chains every result to its
/// lineage, so bumping a stage's version invalidates that stage and everything downstream of it.
enum CacheKey {
    static func make(stage: StageID, version: Int, input: Data, parameters: Data, upstream: String) -> String {
        var hasher = SHA256()
        for field in [
            Data("storyforge.cache.v1".utf8), Data(stage.rawValue.utf8), Data(String(version).utf8),
            input, parameters, Data(upstream.utf8),
        ] {
            var length = UInt64(field.count).littleEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: field)
        }
        return HexDigest.hex(hasher.finalize())
    }
}
