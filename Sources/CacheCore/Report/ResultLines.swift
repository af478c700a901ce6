/// One line per cache, the same shape for restore and save, so a person scanning a long job log
/// finds every cache's outcome, key, sizes and speed in one place.
enum ResultLines {
    static func restore(_ result: RestoreResult) -> String {
        let id = result.cache.id
        switch result.outcome {
        case .exact(let key), .fallback(let key):
            let kind = result.outcome.hitValue == "exact" ? "hit" : "fallback hit"
            return "✅ \(id): \(kind) on '\(key)'" + (kind == "hit" ? "" : " (wanted '\(result.cache.key)')")
                + ": " + figures(archive: result.archiveBytes, content: result.contentBytes, files: result.files,
                                 duration: result.duration, verb: "restored")
        case .miss(let reason):
            return "➖ \(id): miss for '\(result.cache.key)': \(reason) (\(Formatting.duration(result.duration)))"
        case .failed(let reason):
            return "⚠️  \(id): failed to restore '\(result.cache.key)': \(reason) (\(Formatting.duration(result.duration)))"
        }
    }

    static func save(_ result: SaveResult) -> String {
        let id = result.cache.id
        switch result.outcome {
        case .saved:
            return "✅ \(id): saved '\(result.cache.key)': "
                + figures(archive: result.archiveBytes, content: result.contentBytes, files: result.files,
                          duration: result.duration, verb: "archived")
        case .alreadyCached:
            return "✔️  \(id): '\(result.cache.key)' is already cached (\(Formatting.duration(result.duration)))"
        case .alreadySavedByAnotherJob:
            return "✔️  \(id): found '\(result.cache.key)' already saved by another job when committing; kept that entry "
                + "(\(Formatting.duration(result.duration)))"
        case .skipped(let reason):
            return "➖ \(id): not saved: \(reason)"
        case .failed(let reason):
            return "⚠️  \(id): not saved: \(reason) (\(Formatting.duration(result.duration)))"
        }
    }

    private static func figures(archive: Int64, content: Int64, files: Int, duration: Duration, verb: String) -> String {
        "archive \(Formatting.bytes(archive)), \(verb) \(Formatting.bytes(content)) in \(Formatting.count(files, "file")), "
            + "ratio \(Formatting.ratio(archive, content)), \(Formatting.speed(content, over: duration)), "
            + Formatting.duration(duration)
    }
}
