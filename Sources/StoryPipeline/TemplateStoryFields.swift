import OfflineProviders

extension TemplateStoryWriter {
    /// The kind of text each string property of the story stages' JSON schemas gets from the offline writer: the
    /// idea (IdeaStages), the script (ScriptStages) and the shot visuals (PlanShots). A property added to one of
    /// those schemas belongs here too, or the offline run fills it with a plain sentence.
    static let storyFields: [String: Field] = [
        // The idea.
        "title": .title, "logline": .sentence, "tone": .mood, "theme": .theme, "narrator": .narrator,
        "target_audience": .audience, "tag": .tag,
        // The script.
        "narration": .tale,
        // The shot visuals.
        "visual_prompt": .visual, "mood": .mood, "camera": .camera,
    ]
}
