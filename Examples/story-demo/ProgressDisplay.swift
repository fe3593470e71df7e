import Foundation
import PipelineKit
import Synchronization

/// Shows a run's progress: one updating line (stage, percent, elapsed, ETA) on a terminal, plain lines otherwise;
/// and keeps what the summary needs (per-stage durations, cache hits).
final class ProgressDisplay: PipelineEventSink, Sendable {
    /// Rough share of a typical offline run's time per stage, for the percentage and the ETA.
    static let weights: [String: Double] = [
        "ideas": 1, "select-idea": 0.2, "script": 1, "revise": 1, "shots": 1, "voice": 4, "timing": 1,
        "keyframe-plan": 0.2, "keyframes": 4, "keyframe-collect": 0.2, "upscale": 6, "assemble": 55, "qc": 20,
    ]
    static let totalWeight = weights.values.reduce(0, +)

    private struct State {
        var start = ContinuousClock.now
        var totalStages = 0
        var doneWeight = 0.0
        var current: (stage: String, weight: Double, fraction: Double)?
        var durations: [(stage: String, seconds: Double, note: String)] = []
        var reused: Set<String> = []
        var ran: Set<String> = []
        var retries: [String: Int] = [:]
        /// Fan-outs whose children came from the cache, and those where a child ran.
        var childHits: Set<String> = []
        var childrenRan: Set<String> = []
        var lastDraw = ContinuousClock.now
        var lineOpen = false
    }

    private let interactive: Bool
    private let state = Mutex(State())

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func start(totalStages: Int) {
        state.withLock {
            $0.start = .now
            $0.totalStages = totalStages
        }
    }

    var elapsed: Double { state.withLock { Self.seconds(.now - $0.start) } }
    /// Stages whose result was reused (a fan-out counts when every child was).
    var cacheHits: Int { state.withLock { $0.reused.subtracting($0.ran).count } }
    /// Stages that ran or were reused.
    var stagesSeen: Int { state.withLock { $0.reused.union($0.ran).count } }

    func stageSummary() -> [String] {
        state.withLock { state in
            state.durations.map { entry in
                entry.stage.padding(toLength: max(16, entry.stage.count), withPad: " ", startingAt: 0)
                    + String(format: "%7.2f s", entry.seconds) + entry.note
            }
        }
    }

    func receive(_ event: PipelineEvent) {
        state.withLock { state in
            // Run events carry no stage; every other kind this display knows does.
            guard let stage = event.stage else { return }
            switch event.kind {
            case .stageStarted:
                state.current = (stage.rawValue, Self.weights[stage.rawValue] ?? 1, 0)
                draw(&state, force: true, message: "\(stage.rawValue): started")
            case .progress:
                if state.current?.stage == stage.rawValue, let fraction = event.fraction {
                    state.current?.fraction = fraction
                }
                if event.detail?.hasSuffix("children") == true { state.childrenRan.insert(stage.rawValue) }
                draw(&state, force: false, message: nil)
            case .cacheHit:
                guard state.current?.stage != stage.rawValue else {
                    state.childHits.insert(stage.rawValue)  // a fan-out's children
                    break
                }
                state.reused.insert(stage.rawValue)
                state.doneWeight += Self.weights[stage.rawValue] ?? 1
                state.current = nil
                let from = event.source == .checkpoint ? "from this run's checkpoint" : "from the cache"
                state.durations.append((stage.rawValue, 0, "  (\(from))"))
                draw(&state, force: true, message: "\(stage.rawValue): reused \(from)")
            case .stageSkipped:
                state.reused.insert(stage.rawValue)
                state.doneWeight += Self.weights[stage.rawValue] ?? 1
                state.durations.append((stage.rawValue, 0, "  (disabled)"))
                draw(&state, force: true, message: "\(stage.rawValue): disabled")
            case .stageFinished:
                let name = stage.rawValue
                let duration = event.duration ?? .zero
                let reused = state.childHits.contains(name) && !state.childrenRan.contains(name)
                if reused { state.reused.insert(name) } else { state.ran.insert(name) }
                state.doneWeight += Self.weights[name] ?? 1
                state.current = nil
                let retries = state.retries[name] ?? 0
                let note = reused ? "  (children from the cache)" : retries > 0 ? "  (\(retries) retries)" : ""
                state.durations.append((name, Self.seconds(duration), note))
                draw(
                    &state, force: true,
                    message: String(format: "%@: done in %.2f s", name, Self.seconds(duration)))
            case .retrying:
                state.retries[stage.rawValue, default: 0] += 1
                draw(
                    &state, force: true,
                    message: "\(stage.rawValue): attempt \(event.attempt ?? 0) failed (\(event.error ?? "")); retrying")
            case .stageFailed:
                draw(&state, force: true, message: "\(stage.rawValue): failed")
            default:
                break  // kinds added later are not drawn
            }
        }
    }

    /// Ends the updating line so that what follows starts on its own line.
    func finishLine() {
        state.withLock { state in
            if interactive, state.lineOpen {
                FileHandle.standardOutput.write(Data("\n".utf8))
                state.lineOpen = false
            }
        }
    }

    private func draw(_ state: inout State, force: Bool, message: String?) {
        let now = ContinuousClock.now
        guard force || now - state.lastDraw > .milliseconds(200) else { return }
        state.lastDraw = now
        let current = state.current.map { $0.weight * $0.fraction } ?? 0
        let fraction = min(1, (state.doneWeight + current) / Self.totalWeight)
        let elapsed = Self.seconds(now - state.start)
        let eta = fraction > 0.02 ? String(format: "ETA %.0f s", elapsed / fraction - elapsed) : "ETA –"
        let stage = state.current?.stage ?? "…"
        if interactive {
            let line = String(
                format: "\r\u{1B}[2K[%3.0f%%] %@  %.1f s  %@", fraction * 100, stage as NSString, elapsed,
                eta as NSString)
            FileHandle.standardOutput.write(Data(line.utf8))
            state.lineOpen = true
        } else if let message {
            say(String(format: "[%3.0f%%] %6.1f s  %@", fraction * 100, elapsed, message as NSString))
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
