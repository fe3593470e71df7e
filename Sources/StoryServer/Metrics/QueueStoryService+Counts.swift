import QueueKit
import StoryQueue

extension QueueStoryService {
    /// The most stories counted per state: 10 000, the queue's largest listing (``QueueKit/JobFilter/limit``); the
    /// gauge reads 10 000 past that.
    public static let maximumCountedPerState = 10_000

    /// How many stories (all owners') are in each state, for `storyforge_stories`: one listing per state.
    public func countsByState() async throws -> [StoryStatus.State: Int] {
        var counts: [StoryStatus.State: Int] = [:]
        for state in StoryStatus.State.allCases {
            let states = Set(StoryRecordMapping.jobStates(for: state))
            counts[state] = try await queue.jobs(
                JobFilter(states: states, kind: StoryJob.kind, limit: Self.maximumCountedPerState)
            ).count
        }
        return counts
    }
}
