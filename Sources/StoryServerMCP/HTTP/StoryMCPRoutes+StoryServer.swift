public import Hummingbird
public import StoryServer

extension StoryMCPRoutes {
    /// Adds the routes behind the REST API's own authentication: the same bearer tokens, and the same per-token
    /// rate when `auth` is the REST routes' ``StoryServerRoutes/authMiddleware`` (one bucket for both).
    ///
    /// ```swift
    /// let routes = StoryServerRoutes<StoryRequestContext>(service: service, tokens: tokens)
    /// routes.add(to: router)
    /// StoryMCPRoutes(server: StoryMCPServer(service: service)).add(to: router, auth: routes.authMiddleware)
    /// ```
    public func add<Context: StoryRequestContextProtocol>(
        to router: some RouterMethods<Context>, auth: StoryAuthMiddleware<Context>
    ) {
        add(to: router.group().add(middleware: auth)) { _, context in
            // The middleware sets the owner or answers 401 itself, so this is only reached with one.
            guard let owner = context.owner else { throw StoryServerError.unauthorized("no bearer token") }
            return owner
        }
    }
}
