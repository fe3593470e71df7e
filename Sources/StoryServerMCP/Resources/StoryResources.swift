import Foundation
import MCP
import StoryServer

/// A finished story's file as an MCP resource: `storyforge://stories/{id}/{name}`, where `name` is the file's name
/// in the story's manifest (`video.mp4`, `manifest.json`, `keyframes/001.png`).
///
/// The name is looked up in the manifest by ``StoryService/file(_:name:owner:)``, never joined to a path, so a
/// `../` in it finds nothing; the parser still refuses control characters and empty parts.
struct StoryResourceURI: Hashable {
    static let scheme = "storyforge://stories/"

    var story: String
    var name: String

    /// `storyforge://stories/{id}/`: where a story's files are.
    static func prefix(story: String) -> String { scheme + story + "/" }

    /// The URI text.
    var text: String { Self.prefix(story: story) + name }

    init(story: String, name: String) {
        self.story = story
        self.name = name
    }

    /// Parses a URI a client sent.
    init(parsing uri: String) throws(MCPError) {
        // 2 KiB: far above any id and manifest name, short enough to quote in an error.
        guard uri.utf8.count <= 2048, uri.hasPrefix(Self.scheme) else {
            throw .invalidParams("unknown resource URI: StoryForge's resources are storyforge://stories/{id}/{name}")
        }
        let rest = uri.dropFirst(Self.scheme.count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw .invalidParams("resource URI \(uri) has no file name: storyforge://stories/{id}/{name}")
        }
        let story = String(rest[..<slash])
        let name = String(rest[rest.index(after: slash)...])
        guard !story.isEmpty, !name.isEmpty,
            !uri.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw .invalidParams("resource URI must be storyforge://stories/{id}/{name} with no empty part")
        }
        self.init(story: story, name: name)
    }
}

/// `resources/list`, `resources/templates/list` and `resources/read` over a ``StoryService``.
enum StoryResources {
    /// MCP's code for "resource not found" (the specification's `-32002`).
    static let notFoundCode = -32002

    static let template = Resource.Template(
        uriTemplate: "storyforge://stories/{id}/{name}", name: "story-file", title: "A finished story's file",
        description: """
            The files of a succeeded story, by their names in its manifest: video.mp4, voice.wav, subtitles.srt, \
            script.md, manifest.json, keyframes/001.png, …
            """)

    /// One page of the owner's succeeded stories' files; the cursor is the story list's.
    static func list(
        cursor: String?, owner: StoryOwner, service: any StoryService, configuration: StoryMCPServer.Configuration
    ) async throws -> ListResources.Result {
        let page: StoryPage
        do {
            page = try await service.stories(
                owner: owner, status: .succeeded, cursor: cursor, limit: configuration.storiesPerResourcePage)
        } catch let error as StoryServerError {
            throw StoryMCPServer.protocolError(error)
        }
        var resources: [Resource] = []
        for story in page.stories where story.status == .succeeded {
            for file in story.files {
                resources.append(
                    Resource(
                        name: "\(story.id)/\(file.name)", uri: StoryResourceURI(story: story.id, name: file.name).text,
                        title: "\(story.title ?? story.topic): \(file.name)", mimeType: file.contentType,
                        size: Int(exactly: file.size)))
            }
        }
        return ListResources.Result(resources: resources, nextCursor: page.nextCursor)
    }

    /// A file's contents: text for text and JSON, base64 for the rest, up to the configuration's limits.
    static func read(
        _ uri: String, owner: StoryOwner, service: any StoryService, configuration: StoryMCPServer.Configuration
    ) async throws -> ReadResource.Result {
        let parsed = try StoryResourceURI(parsing: uri)
        let location: StoryFileLocation?
        do {
            location = try await service.file(parsed.story, name: parsed.name, owner: owner)
        } catch let error as StoryServerError {
            throw StoryMCPServer.protocolError(error)
        }
        guard let location else {
            throw MCPError.serverError(
                code: notFoundCode,
                message: "no resource \(uri): the story does not exist, is not finished, or has no such file")
        }
        let textual = isText(location.contentType)
        let limit = textual ? configuration.maxTextResourceBytes : configuration.maxBlobResourceBytes
        guard location.size >= 0, location.size <= Int64(limit) else {
            throw MCPError.invalidParams(
                "\(uri) is \(location.size) bytes, over the \(limit) bytes this server sends as a resource; "
                    + "download it from /v1/stories/\(parsed.story)/files/\(parsed.name) instead")
        }
        let data = try readFile(location, uri: uri, limit: limit)
        if textual, let text = String(validating: data, as: UTF8.self) {
            return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: location.contentType)])
        }
        return ReadResource.Result(contents: [.binary(data, uri: uri, mimeType: location.contentType)])
    }

    /// Text is sent as text; everything else (video, audio, images) as a base64 blob.
    static func isText(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return type.hasPrefix("text/") || type == "application/json" || type.hasSuffix("+json")
            || type == "application/x-subrip"
    }

    /// Reads at most `limit` bytes and checks that the file is the size its manifest says (a file that changed
    /// under the server is an error, not a silently short resource).
    private static func readFile(_ location: StoryFileLocation, uri: String, limit: Int) throws -> Data {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: location.url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw MCPError.internalError("cannot read \(uri) from the story store")
        }
        guard Int64(data.count) == location.size else {
            throw MCPError.internalError(
                "\(uri) on disk is not the size its manifest lists (\(location.size) bytes); the story store changed")
        }
        return data
    }
}
