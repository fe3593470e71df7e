public import Foundation
public import PipelineKit

extension StoryStudio {
    /// Runs the pipeline for `request` and exports the result to `directory`.
    ///
    /// The configuration is saved with the run (`runs/<id>-<hash>.json` in the store), so that
    /// ``savedConfiguration(of:in:)`` can give a resume the settings the run started with.
    ///
    /// - Parameter exporter: how the files are exported; the output directory is checked against it before the
    ///   run starts, so a directory that will be refused fails in a second, not after the render.
    /// - Throws: one flattened ``StoryRunError``: the failed stage, the innermost code and message, and the provider,
    ///   media or system error underneath; code ``StoryRunError/Code/busy`` while another process runs `runID`,
    ///   ``StoryRunError/Code/cancelled`` when the task was cancelled.
    public func run(
        _ request: StoryRequest, runID: RunID = RunID(), exportTo directory: URL, exporter: StoryExporter = .init()
    ) async throws(StoryRunError) -> Result {
        do {
            return try await runUnflattened(request, runID: runID, exportTo: directory, exporter: exporter)
        } catch {
            throw StoryRunError(flattening: error)
        }
    }

    /// Continues an interrupted run and exports the result to `directory`.
    ///
    /// - Throws: one flattened ``StoryRunError``: code ``StoryRunError/Code/runNotFound`` when the store has no such
    ///   run, ``StoryRunError/Code/busy`` while another process runs it, and a failed stage's code, message and
    ///   underlying error as for ``run(_:runID:exportTo:exporter:)``.
    public func resume(
        runID: RunID, exportTo directory: URL, exporter: StoryExporter = .init()
    ) async throws(StoryRunError) -> Result {
        do {
            return try await resumeUnflattened(runID: runID, exportTo: directory, exporter: exporter)
        } catch {
            throw StoryRunError(flattening: error)
        }
    }
}
