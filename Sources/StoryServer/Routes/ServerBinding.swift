/// The rule for where a server may listen: without tokens, only on loopback, where no other machine reaches it.
public enum ServerBinding {
    /// Whether `host` is a loopback address (`127.0.0.0/8`, `::1`) or `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            octet.count <= 3 && octet.allSatisfy(\.isASCII) && Int(octet).map { (0...255).contains($0) } == true
        }
    }

    /// Refuses to serve on `host` without tokens unless it is loopback.
    ///
    /// - Throws: ``StoryServerError`` with code `invalidConfiguration` saying how to give the server tokens.
    public static func check(host: String, tokens: BearerTokens?) throws {
        if isLoopback(host) { return }
        guard let tokens, !tokens.entries.isEmpty else {
            throw StoryServerError.invalidConfiguration(
                "refusing to listen on \(host) without tokens: anyone who reaches it could make and download "
                    + "stories. Pass --tokens FILE (lines of `<name> sha256:<hex>`, from `story-server hash-token`), "
                    + "or listen on 127.0.0.1")
        }
    }
}
