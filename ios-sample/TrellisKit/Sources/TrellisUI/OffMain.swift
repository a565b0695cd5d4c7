import Foundation
import TrellisCore

/// Runs `work` (synchronous calls on the store) on a thread of the concurrency runtime's pool,
/// never on the caller's actor, and hands its result back to the caller.
///
/// The store's synchronous calls are short reads and writes of the phone's own database, but
/// they block their thread: a write waits for the one writer connection while a pull applies,
/// and opening the store runs its migrations. The models are `@MainActor`, so they make every
/// such call through this helper; the store's `async` calls (join, sync, invites) suspend
/// instead of blocking and are awaited directly. `Task.detached` rather than a `nonisolated
/// async` function: its closure runs on the global executor whatever the compiler's defaults
/// for nonisolated functions (Swift 6.2 can run those on the caller's actor).
///
/// `work` is `@Sendable`, so it cannot touch the model's main-actor state: it captures what it
/// needs (`[store, query]`) and returns what the model then assigns on the main actor.
func offMain<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await Task.detached(priority: .userInitiated, operation: work).value
}

/// Numbers the loads a model starts, so that a slow load finishing after a newer one is
/// dropped instead of overwriting fresher data.
struct LoadCounter {
    private var latest = 0

    /// Starts a load; keep the number to ask `isLatest` when its results arrive.
    mutating func start() -> Int {
        latest += 1
        return latest
    }

    /// Whether no load started after `load`.
    func isLatest(_ load: Int) -> Bool { load == latest }
}
