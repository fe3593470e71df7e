import Foundation
import OfflineProviders
import ProviderKit
import ProviderKitTesting

/// Benchmarks for ProviderKit: SSE and NDJSON decoding throughput on a 10 MB recorded-shape stream,
/// and per-request transport overhead against the loopback server compared with the curl program
/// on the same server in the same run. Build with `-c release`; figures are wall-clock on this
/// machine, best and median of several runs. `--resilience` measures the resilience decorator
/// stack instead (see `ResilienceBench`), `--routing` the cost of a per-task routing decision (see `RoutingBench`).
@main
struct ProviderBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        var requests = 2000
        if let flag = arguments.firstIndex(of: "--requests") {
            // 1…10,000,000: a count the loops below can run; anything else is a usage error, not a trap.
            guard flag + 1 < arguments.count, let count = Int(arguments[flag + 1]), (1...10_000_000).contains(count)
            else {
                FileHandle.standardError.write(
                    Data("provider-bench: --requests takes a whole number in 1…10000000\n".utf8))
                exit(64)  // EX_USAGE
            }
            requests = count
        }
        if arguments.contains("--routing") {
            try RoutingBench.run()
            return
        }
        if arguments.contains("--resilience") {
            try await ResilienceBench.run(requests: requests)
            return
        }
        decoders()
        try await transport(requests: requests)
        try await placeholderArt()
    }

    static func measure(runs: Int = 7, _ body: () throws -> Void) rethrows -> (best: Double, median: Double) {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        times.sort()
        return (times[0], times[times.count / 2])
    }

    /// A stream shaped like a recorded OpenAI chat stream: one small JSON chunk per token, a
    /// keep-alive comment now and then, usage and [DONE] at the end; about 10 MB.
    static func sseStream() -> [UInt8] {
        var text = ""
        var index = 0
        let words = ["Once", " upon", " a", " time", ",", " in", " a", " harbour", " lit", " by", " fog", "."]
        while text.utf8.count < 10_000_000 {
            if index % 200 == 0 { text += ": keep-alive\n\n" }
            text += #"data: {"id":"chatcmpl-9x8y7z","object":"chat.completion.chunk","created":1718000000,"#
            text += #""model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_abc","choices":[{"index":0,"#
            text += #""delta":{"content":"\#(words[index % words.count])"},"logprobs":null,"finish_reason":null}]}"#
            text += "\n\n"
            index += 1
        }
        text += "data: [DONE]\n\n"
        return Array(text.utf8)
    }

    static func ndjsonStream() -> [UInt8] {
        var text = ""
        var index = 0
        while text.utf8.count < 10_000_000 {
            text += #"{"model":"llama3.2","created_at":"2024-06-01T12:00:00.123456Z","message":{"role":"assistant","#
            text += #""content":" token\#(index % 97)"},"done":false}"# + "\n"
            index += 1
        }
        text += #"{"model":"llama3.2","done":true,"done_reason":"stop","eval_count":\#(index)}"# + "\n"
        return Array(text.utf8)
    }

    static func chunks(_ bytes: [UInt8], size: Int = 16_384) -> [ArraySlice<UInt8>] {
        stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
    }

    static func decoders() {
        let sse = sseStream()
        let sseChunks = chunks(sse)
        var events = 0
        let sseTime = measure {
            var decoder = ServerSentEventDecoder()
            events = 0
            for chunk in sseChunks { events += (try? decoder.feed(chunk).count) ?? 0 }
            if decoder.finish() != nil { events += 1 }
        }
        let megabytes = Double(sse.count) / 1_000_000
        print(
            String(
                format: "SSE decode: %.1f MB, %d events, 16 KiB chunks: best %.1f MB/s, median %.1f MB/s",
                megabytes, events, megabytes / sseTime.best, megabytes / sseTime.median))

        let ndjson = ndjsonStream()
        let ndjsonChunks = chunks(ndjson)
        var lines = 0
        let ndjsonTime = measure {
            var decoder = JSONLinesDecoder()
            lines = 0
            for chunk in ndjsonChunks { lines += (try? decoder.feed(chunk).count) ?? 0 }
            if decoder.finish() != nil { lines += 1 }
        }
        let ndjsonMegabytes = Double(ndjson.count) / 1_000_000
        print(
            String(
                format: "NDJSON decode: %.1f MB, %d lines, 16 KiB chunks: best %.1f MB/s, median %.1f MB/s",
                ndjsonMegabytes, lines, ndjsonMegabytes / ndjsonTime.best, ndjsonMegabytes / ndjsonTime.median))
    }

    static func transport(requests: Int) async throws {
        let body = #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"content":"ok"}}]}"#
        let server = try LoopbackHTTPServer { _ in .json(body) }
        defer { server.shutdown() }
        let url = server.baseURL.appending(path: "v1/chat/completions")
        let transport = DefaultHTTPTransport()
        for _ in 0..<50 { _ = try await transport.send(HTTPRequest(url: url)) }  // warm up

        guard let curl = ["/usr/bin/curl", "/usr/local/bin/curl"].first(where: FileManager.default.isExecutableFile)
        else {
            throw ProviderError.unsupported("the curl program is needed for the comparison")
        }
        // Rounds alternate between the transport and curl so that both meet the same machine load.
        // curl is given every URL at once, so it reuses one connection: its per-request cost
        // without process start-up, the fair comparison for a long-lived client.
        var ours: [Double] = []
        var curlReuse: [Double] = []
        for _ in 0..<5 {
            var start = ContinuousClock.now
            for _ in 0..<requests {
                let response = try await transport.send(HTTPRequest(url: url))
                guard response.status == 200 else { throw ProviderError.server("status \(response.status)") }
            }
            ours.append(seconds(ContinuousClock.now - start) / Double(requests))
            let arguments = ["-s"] + Array(repeating: url.absoluteString, count: requests)
            start = ContinuousClock.now
            try run(curl, arguments)
            curlReuse.append(seconds(ContinuousClock.now - start) / Double(requests))
        }
        let ratios = zip(ours, curlReuse).map { $0 / $1 }.sorted()
        // One curl process per request, as a shell script would use it.
        let processRuns = min(requests, 200)
        let start = ContinuousClock.now
        for _ in 0..<processRuns { try run(curl, ["-s", "-o", "/dev/null", url.absoluteString]) }
        let curlProcess = seconds(ContinuousClock.now - start) / Double(processRuns)

        let bestOurs = ours.min()!
        let bestCurl = curlReuse.min()!
        print(
            String(format: "transport (%d sequential GETs, keep-alive): best %.1f µs/request", requests, bestOurs * 1e6)
        )
        print(
            String(format: "curl, %d URLs in one process (keep-alive): best %.1f µs/request", requests, bestCurl * 1e6))
        print(String(format: "curl, one process per request: %.1f µs/request", curlProcess * 1e6))
        print(
            String(
                format: "ratio transport / curl (keep-alive): best-to-best %.2f×, per round median %.2f× (%.2f…%.2f×)",
                bestOurs / bestCurl, ratios[ratios.count / 2], ratios.first!, ratios.last!))
    }

    /// How long one 1080×1920 placeholder frame takes, PNG encoding included.
    static func placeholderArt() async throws {
        let generator = ProceduralImageGenerator()
        var times: [Double] = []
        for seed in 0..<3 {
            let start = ContinuousClock.now
            _ = try await generator.generateImages(
                ImageRequest(prompt: "a calm ocean at dawn", width: 1080, height: 1920, seed: seed))
            times.append(seconds(ContinuousClock.now - start))
        }
        print(String(format: "procedural 1080×1920 PNG: best %.0f ms", times.min()! * 1000))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func run(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(filePath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProviderError.transport("curl exited \(process.terminationStatus)")
        }
    }
}
