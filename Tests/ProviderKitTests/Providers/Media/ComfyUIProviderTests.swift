import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// ComfyUI's HTTP protocol over real loopback: queue, history, view, upload, interrupt, with its faults.
@Suite("ComfyUI over loopback")
struct ComfyUIProviderTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 7, count: 32)
    static let webm = Data([0x1A, 0x45, 0xDF, 0xA3]) + Data(repeating: 0, count: 60)

    static let template: JSONValue = [
        "3": ["class_type": "KSampler", "inputs": ["seed": "{{seed}}", "steps": 20]],
        "5": ["class_type": "EmptyLatentImage", "inputs": ["width": "{{width}}", "height": "{{height}}"]],
        "6": ["class_type": "CLIPTextEncode", "inputs": ["text": "{{prompt}}, best quality"]],
        "7": ["class_type": "CLIPTextEncode", "inputs": ["text": "{{negative_prompt}}"]],
        "10": ["class_type": "LoadImage", "inputs": ["image": "{{reference_image}}"]],
        "40": ["class_type": "EmptyHunyuanLatentVideo", "inputs": ["length": "{{frames}}"]],
    ]

    static func provider(_ server: LoopbackHTTPServer, image: JSONValue? = template, video: JSONValue? = template)
        -> ComfyUIProvider
    {
        // A short idle limit: a poll whose body stalls fails in a second. The job limit is far above what a working
        // job takes, so that a loaded machine (the whole suite on 2 cores) does not fail it.
        ComfyUIProvider(
            configuration: .init(
                baseURL: server.baseURL, imageWorkflow: image, videoWorkflow: video, pollInterval: .milliseconds(10),
                maxWait: .seconds(120),
                timeouts: HTTPTimeouts(
                    connect: .seconds(30), firstByte: .seconds(30), idle: .seconds(1), total: .seconds(60))))
    }

    static func history(_ id: String, file: String) -> String {
        #"{"\#(id)":{"outputs":{"9":{"images":[{"filename":"\#(file)","subfolder":"","type":"output"}]}},"#
            + #""status":{"status_str":"success","completed":true,"messages":[]}}}"#
    }

    @Test("an image job uploads the reference, fills the template, follows history and downloads the output")
    func imageJob() async throws {
        let polls = MediaRequestCounter()
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.path.split(separator: "?").first.map(String.init) ?? "") {
            case ("POST", "/upload/image"): return .json(#"{"name":"ref.png","subfolder":"storyforge","type":"input"}"#)
            case ("POST", "/prompt"): return .json(#"{"prompt_id":"p-1","number":1,"node_errors":{}}"#)
            case ("GET", "/history/p-1"):
                return polls.next() < 2 ? .json("{}") : .json(Self.history("p-1", file: "out_0001.png"))
            case ("GET", "/view"): return .bytes(Self.png, contentType: "image/png")
            default: return .json(#"{"error":"no route"}"#, status: 404)
            }
        }
        defer { server.shutdown() }
        let images = try await Self.provider(server).generateImages(
            ImageRequest(prompt: "a lighthouse", negativePrompt: "text", width: 512, height: 768, seed: 42),
            references: [Self.png])
        #expect(images.first?.data == Self.png)
        let queued = try #require(server.requests.first { $0.path == "/prompt" })
        let body = try JSONValue(parsing: queued.body)
        let workflow = try #require(body["prompt"])
        #expect(workflow["3"]?["inputs"]?["seed"] == .number(42))
        #expect(workflow["5"]?["inputs"]?["width"] == .number(512))
        #expect(workflow["6"]?["inputs"]?["text"] == .string("a lighthouse, best quality"))
        #expect(workflow["7"]?["inputs"]?["text"] == .string("text"))
        #expect(workflow["10"]?["inputs"]?["image"] == .string("storyforge/ref.png"))
        #expect(workflow["40"]?["inputs"]?["length"] == .number(1))
        let view = try #require(server.requests.first { $0.path.hasPrefix("/view") })
        #expect(view.path.contains("filename=out_0001.png") && view.path.contains("type=output"))
        #expect(server.requests.first { $0.path == "/upload/image" }?.bodyText.contains("name=\"image\"") == true)
    }

    @Test("a workflow with a reference slot and no reference image is a bad request naming the fix")
    func missingReference() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"prompt_id":"p"}"#) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.provider(server).generateImages(ImageRequest(prompt: "x"))
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("media.references") == true)
        #expect(server.requests.isEmpty)
    }

    @Test("a job that fails is a server error with ComfyUI's exception message")
    func failedJob() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path == "/prompt" { return .json(#"{"prompt_id":"p-2"}"#) }
            return .json(
                #"{"p-2":{"outputs":{},"status":{"status_str":"error","completed":false,"messages":["#
                    + #"["execution_start",{}],["execution_error",{"exception_message":"CUDA out of memory"}]]}}}"#)
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.provider(server, image: ["1": ["inputs": ["text": "{{prompt}}"]]])
                .generateImages(ImageRequest(prompt: "x"))
        }
        #expect(error?.code == .server)
        #expect(error?.message.contains("CUDA out of memory") == true)
    }

    @Test("a connection that drops mid-run is tolerated and the job still finishes")
    func droppedConnection() async throws {
        let polls = MediaRequestCounter()
        let server = try LoopbackHTTPServer { request in
            if request.path == "/prompt" { return .json(#"{"prompt_id":"p-3"}"#) }
            if request.path.hasPrefix("/view") { return .bytes(Self.webm, contentType: "video/webm") }
            switch polls.next() {
            case 0: return .json("{}")
            // A body cut short: the server promises 500 bytes and sends 2; the poll fails (the idle limit or the close).
            case 1: return .init(status: 200, parts: [.data(Data("{\"".utf8))], framing: .contentLength(500))
            default: return .json(Self.history("p-3", file: "clip_0001.webm"))
            }
        }
        defer { server.shutdown() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("comfy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try await Self.provider(server, video: ["40": ["inputs": ["length": "{{frames}}"]]]).generateClip(
            ClipRequest(prompt: "surf", seconds: 3, width: 480, height: 832),
            to: directory.appendingPathComponent("c.webm"))
        #expect(try Data(contentsOf: clip.file) == Self.webm)
        #expect(clip.seconds == 3)
        let queued = try JSONValue(parsing: try #require(server.requests.first { $0.path == "/prompt" }).body)
        #expect(queued["prompt"]?["40"]?["inputs"]?["length"] == .number(48))  // 3 s × 16 fps
    }

    /// A server whose `/ws` reports progress of job `p-ws` and then either ends the job or drops mid-run.
    static func webSocketServer(drops: Bool) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            if request.path.hasPrefix("/ws") {
                func progress(_ value: Int) -> LoopbackHTTPServer.WebSocketScript.Step {
                    .text(#"{"type":"progress","data":{"value":\#(value),"max":4,"prompt_id":"p-ws","node":"3"}}"#)
                }
                var steps: [LoopbackHTTPServer.WebSocketScript.Step] = [
                    .text(#"{"type":"status","data":{"status":{"exec_info":{"queue_remaining":1}}}}"#),
                    .pause(.milliseconds(150)), progress(1), progress(2),
                ]
                if !drops {
                    steps += [progress(4), .text(#"{"type":"executing","data":{"node":null,"prompt_id":"p-ws"}}"#)]
                }
                return .init(status: 101, webSocket: .init(steps, drops: drops))
            }
            if request.path == "/prompt" { return .json(#"{"prompt_id":"p-ws"}"#) }
            if request.path.hasPrefix("/view") { return .bytes(Self.png, contentType: "image/png") }
            return .json(Self.history("p-ws", file: "out.png"))
        }
    }

    @Test("progress comes over /ws, and the end of the job there needs one look at history")
    func webSocketProgress() async throws {
        let server = try Self.webSocketServer(drops: false)
        defer { server.shutdown() }
        let seen = ProgressLog()
        var configuration = ComfyUIProvider.Configuration(
            baseURL: server.baseURL, imageWorkflow: ["1": ["inputs": ["text": "{{prompt}}"]]],
            pollInterval: .milliseconds(10), maxWait: .seconds(120))
        configuration.progress = { seen.append($0) }
        let images = try await ComfyUIProvider(configuration: configuration).generateImages(ImageRequest(prompt: "x"))
        #expect(images.first?.data == Self.png)
        #expect(seen.values == [0.25, 0.5, 1])
        #expect(server.requests.filter { $0.path.hasPrefix("/history") }.count == 1)
        let upgrade = try #require(server.requests.first { $0.path.hasPrefix("/ws") })
        #expect(upgrade.path.contains("clientId="))
        let queued = try JSONValue(parsing: try #require(server.requests.first { $0.path == "/prompt" }).body)
        #expect(upgrade.path.hasSuffix(queued["client_id"]?.stringValue ?? "?"))
    }

    @Test("a WebSocket that drops mid-run falls back to polling history, and the job still finishes")
    func webSocketDrops() async throws {
        let server = try Self.webSocketServer(drops: true)
        defer { server.shutdown() }
        let seen = ProgressLog()
        var configuration = ComfyUIProvider.Configuration(
            baseURL: server.baseURL, imageWorkflow: ["1": ["inputs": ["text": "{{prompt}}"]]],
            pollInterval: .milliseconds(10), maxWait: .seconds(120))
        configuration.progress = { seen.append($0) }
        let images = try await ComfyUIProvider(configuration: configuration).generateImages(ImageRequest(prompt: "x"))
        #expect(images.first?.data == Self.png)
        #expect(seen.values == [0.25, 0.5])
        #expect(server.requests.contains { $0.path.hasPrefix("/history") })
    }

    @Test("the handshake's accept value is RFC 6455's example")
    func handshakeAccept() {
        // RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" is answered with "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
        #expect(WebSocketHandshake.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("an output that is not a video is a malformed response")
    func notAVideo() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path == "/prompt" { return .json(#"{"prompt_id":"p-4"}"#) }
            if request.path.hasPrefix("/view") { return .bytes(Data("not a video".utf8), contentType: "text/plain") }
            return .json(Self.history("p-4", file: "x.mp4"))
        }
        defer { server.shutdown() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("comfy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.provider(server, video: ["1": ["inputs": [:]]]).generateClip(
                ClipRequest(prompt: "x", seconds: 2), to: directory.appendingPathComponent("c.mp4"))
        }
        #expect(error?.code == .malformedResponse)
    }

    @Test("cancelling a running job interrupts it")
    func cancelInterrupts() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path == "/prompt" { return .json(#"{"prompt_id":"p-5"}"#) }
            if request.path == "/interrupt" { return .json("{}") }
            return .json("{}")
        }
        defer { server.shutdown() }
        let provider = Self.provider(server, image: ["1": ["inputs": [:]]])
        let task = Task { try await provider.generateImages(ImageRequest(prompt: "x")) }
        while !server.requests.contains(where: { $0.path.hasPrefix("/history") }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        _ = await task.result
        for _ in 0..<2000 where !server.requests.contains(where: { $0.path == "/interrupt" }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(server.requests.contains { $0.method == "POST" && $0.path == "/interrupt" })
    }

    @Test("the shipped example templates load and have the placeholders")
    func shippedTemplates() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["image-workflow.json", "video-workflow.json"] {
            let workflow = try ComfyUIProvider.Configuration.workflow(
                contentsOf: root.appendingPathComponent("Examples/comfyui/\(name)"))
            for placeholder in ["{{prompt}}", "{{seed}}", "{{width}}", "{{height}}"] {
                #expect(workflow.jsonText.contains(placeholder), "\(name) lacks \(placeholder)")
            }
        }
    }
}

/// Progress fractions reported from the provider's socket thread (guarded by `lock`).
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Double] = []
    func append(_ value: Double) { lock.withLock { list.append(value) } }
    var values: [Double] { lock.withLock { list } }
}
