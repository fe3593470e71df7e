import Foundation
import StoryForgeCore

/// A provider that can say which server and account answer it, for cache keys.
package protocol CacheScoped {
    /// The server's base URL and a fingerprint of the account, e.g.
    /// `https://api.openai.com/v1 account:3f5a…`; never a credential.
    var cacheScope: String { get }
}

/// The cache scope of `provider`, or of the provider under its decorators; `nil` when none says.
package func cacheScope(of provider: Any) -> String? {
    if let scoped = provider as? any CacheScoped { return scoped.cacheScope }
    if let decorator = provider as? any ProviderDecorator { return cacheScope(of: decorator.base) }
    return nil
}

/// `baseURL` without trailing slashes and the SHA-256 (hex) of the account's credentials and
/// headers, each length-prefixed so that no two different sets give the same text.
func makeCacheScope(baseURL: URL, credentials: [(name: String, value: String)]) -> String {
    var base = baseURL.absoluteString
    while base.hasSuffix("/") { base.removeLast() }
    var account = ""
    for (name, value) in credentials.sorted(by: { ($0.name, $0.value) < ($1.name, $1.value) }) {
        account += "\(name.utf8.count):\(name.lowercased())\(value.utf8.count):\(value)"
    }
    return "\(base) account:\(HexDigest.sha256(account))"
}
