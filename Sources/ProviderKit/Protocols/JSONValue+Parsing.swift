public import Foundation
public import StoryForgeCore

extension JSONValue {
    /// Parses JSON text.
    ///
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:)`` when the text is not JSON.
    public init(parsing data: Data) throws {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ProviderError.malformedResponse(
                "not valid JSON: \(error)", rawText: String(decoding: data.prefix(4096), as: UTF8.self))
        }
    }
}
