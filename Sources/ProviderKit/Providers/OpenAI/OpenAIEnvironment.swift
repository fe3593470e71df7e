import Foundation

/// The environment variables every OpenAI provider reads, read one way: an empty value counts as unset, and a base
/// URL that does not parse is ignored (the default stays).
enum OpenAIEnvironment {
    /// `OPENAI_BASE_URL`, when set and a URL.
    static func baseURL(_ environment: [String: String]) -> URL? {
        guard let base = environment["OPENAI_BASE_URL"], !base.isEmpty else { return nil }
        return URL(string: base)
    }

    /// `OPENAI_API_KEY`, when set.
    static func apiKey(_ environment: [String: String]) -> String? {
        guard let key = environment["OPENAI_API_KEY"], !key.isEmpty else { return nil }
        return key
    }
}
