public import ProviderKit

extension ProviderRouter {
    /// The router kinds of the offline stand-ins: `"template"` (``TemplateStoryWriter``) and `"procedural"`
    /// (``ProceduralImageGenerator``), both local.
    ///
    /// ```swift
    /// let router = try ProviderRouter(configuration: configuration, factories: ProviderRouter.offlineFactories)
    /// ```
    public static let offlineFactories: [String: Factory] = [
        "template": { entry, _ in
            Route(name: entry.name, textGenerator: TemplateStoryWriter(), isLocal: true)
        },
        "procedural": { entry, _ in
            Route(name: entry.name, imageGenerator: ProceduralImageGenerator(), isLocal: true)
        },
    ]
}
