public import Hummingbird

/// A request context the story routes can run in: it carries the caller's ``StoryOwner``, set by the routes'
/// authentication middleware before any story route runs.
///
/// A host with its own context conforms it (one stored property) and mounts ``StoryServerRoutes`` on its router.
public protocol StoryRequestContextProtocol: RequestContext {
    /// The caller, once authenticated; `nil` before.
    var owner: StoryOwner? { get set }
}

/// The request context of `story-server`: Hummingbird's core storage and the caller's owner.
public struct StoryRequestContext: StoryRequestContextProtocol {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The caller, once authenticated.
    public var owner: StoryOwner?

    /// Creates a context for a request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        owner = nil
    }

    /// The most a route collects of a body (the story routes apply their own, smaller limit).
    public var maxUploadSize: Int { StoryServerRoutes<Self>.Configuration.defaultMaximumBodyBytes }
}
