import ProviderKit

extension ResponseOrigin {
    /// The origin of an answer served from storage (the response cache or a recording) by the decorator named
    /// `name`: the identity of the provider that first answered, marked as not fresh.
    static func stored(identity: ProviderIdentity, call: ProviderCall, servedAs name: String) -> ResponseOrigin {
        var origin = ResponseOrigin(identity: identity, call: call, fromCache: true)
        origin.provider = name
        return origin
    }
}
