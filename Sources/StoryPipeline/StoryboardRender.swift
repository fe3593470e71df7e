import Foundation
public import PipelineKit
import ProviderKit
import StoryModels

/// The input of a storyboard re-render: a run's state with the storyboard's edits applied, and the shots whose
/// keyframes must be painted again.
public struct StoryboardRender: Codable, Hashable, Sendable {
    /// The edited state.
    public var state: StoryState
    /// The ids of the shots to repaint (their prompt or mood changed), in order.
    public var repaint: [Int]
    /// The run the storyboard was written from.
    public var baseRun: String

    /// Creates the input.
    public init(state: StoryState, repaint: [Int], baseRun: String) {
        self.state = state
        self.repaint = repaint
        self.baseRun = baseRun
    }
}

/// The first stage of a storyboard re-render: paints the keyframes of the shots whose prompt changed, with
/// ``PaintKeyframe`` (so with the `keyframes` stage's parameters and the image provider), and keeps every other
/// keyframe as the run made it.
///
/// Parameters: those of ``PaintKeyframe`` (the studio passes the `keyframes` stage's settings on).
public struct ApplyStoryboard: PipelineStage {
    /// `storyboard`.
    public static let id: StageID = "storyboard"
    /// Bumped when the repaint changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices

    /// The parameters the stage reads: ``PaintKeyframe``'s.
    public static var parameters: [StageParameter]? { PaintKeyframe.parameters }

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Repaints the listed shots and returns the state.
    public func run(_ input: StoryboardRender, context: StageContext) async throws -> StoryState {
        var state = input.state
        guard !input.repaint.isEmpty else { return state }
        let shots = try state.required(\.shotlist).shots
        var keyframes = try state.required(\.keyframes)
        var prompts = state.keyframePrompts ?? []
        let painter = PaintKeyframe(services: services)
        let stateRef = try await context.artifacts.put(StoryJSON.encode(state), fileExtension: "json")
        for (done, id) in input.repaint.enumerated() {
            try context.checkCancellation()
            guard let index = shots.firstIndex(where: { $0.id == id }), index < keyframes.count else {
                throw StoryPipelineError.missingInput("the storyboard repaints shot \(id), which has no keyframe")
            }
            let shot = shots[index]
            // The prompt and seed as PlanKeyframes makes them, so a repainted shot looks like its neighbours.
            let seed =
                prompts.first { $0.shotId == id }?.seed
                ?? UInt64(truncatingIfNeeded: state.request.seed) &* 1000 &+ UInt64(truncatingIfNeeded: shot.id)
            let prompt = KeyframePrompt(shotId: id, prompt: "\(shot.visualPrompt). Mood: \(shot.mood).", seed: seed)
            let image = try await painter.run(KeyframeJob(prompt: prompt, state: stateRef), context: context)
            keyframes[index] = image.image
            prompts.removeAll { $0.shotId == id }
            prompts.append(prompt)
            state.shotMedia?.removeAll { $0.shotID == id }
            context.reportProgress(
                fraction: Double(done + 1) / Double(input.repaint.count), detail: "keyframe of shot \(id)")
        }
        if state.shotMedia?.isEmpty == true { state.shotMedia = nil }
        state.keyframes = keyframes
        state.keyframePrompts = prompts.sorted { $0.shotId < $1.shotId }
        return state
    }
}
