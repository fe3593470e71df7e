/// The shape every StoryForge module's error has: a code to branch on, a message a person can act on, and the
/// error underneath, when there is one.
///
/// ```swift
/// catch let error as any StoryForgeError {
///     print(error.code, error.message)
/// }
/// ```
public protocol StoryForgeError: Error, Sendable {
    /// What kind of failure this is; errors compare equal by code.
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// What kind of failure this is.
    var code: Code { get }
    /// What went wrong and what to do about it; never a secret.
    var message: String { get }
    /// The error that caused this one, when there is one.
    var underlying: (any Error)? { get }
}
