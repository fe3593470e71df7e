// A story stage is a PipelineKit stage: `StageID`, `StageContext`, `StageParameter` and the runner's types are part
// of writing one, so a host that imports StoryPipeline gets them without a second product (found by
// Examples/HostApp, which needed `import PipelineKit` for a stage of its own).
@_exported public import PipelineKit
