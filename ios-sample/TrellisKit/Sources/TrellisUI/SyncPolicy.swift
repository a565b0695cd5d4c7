import Foundation
import TrellisCore

/// How one background sync attempt ended.
public enum SyncOutcome {
    /// The relay took the changes; `pendingLeft` were made meanwhile and still wait.
    case synced(pendingLeft: UInt64)
    /// The attempt failed.
    case failed(Error)
}

/// What the app should ask BGTaskScheduler for after an attempt.
public enum SyncDecision: Equatable {
    /// Nothing waits: no further run until the next local change.
    case done
    /// Run again, not before `after` seconds (offline, relay busy, or changes made meanwhile).
    case retry(after: TimeInterval)
    /// Stop retrying: this device cannot sync until the user acts.
    case stop(reason: String)
}

/// The background-sync decisions, apart from BGTaskScheduler which carries them out: when to
/// schedule a run, what a run's result means, and the backoff. The same rules as the Android
/// sample's `SyncPolicy` (core-ui), which CI tests; BGAppRefreshTask runs no earlier than the
/// date asked for, and iOS picks the moment (usually later, never while there is no network
/// worth using).
public enum SyncPolicy {
    /// The first retry's delay; each further retry doubles it.
    public static let firstBackoff: TimeInterval = 30
    /// The longest delay between retries.
    public static let maxBackoff: TimeInterval = 5 * 60 * 60

    /// Whether to schedule a background push: changes wait for the relay and the practice has
    /// one (a local-only practice has nowhere to push).
    public static func shouldSchedule(_ status: Status) -> Bool {
        status.pendingChanges > 0 && status.relayUrl != nil
    }

    /// The delay before retry number `attempt` (0 for the first retry).
    public static func backoff(attempt: Int) -> TimeInterval {
        let doublings = min(max(attempt, 0), 30)
        return min(firstBackoff * pow(2, Double(doublings)), maxBackoff)
    }

    /// What to do after attempt number `attempt` (0 for the first run) ended with `outcome`.
    public static func afterAttempt(_ outcome: SyncOutcome, attempt: Int) -> SyncDecision {
        switch outcome {
        case .synced(let pendingLeft):
            return pendingLeft == 0 ? .done : .retry(after: firstBackoff)
        case .failed(let error):
            switch error as? TrellisError {
            case .Network, .Closed:
                return .retry(after: backoff(attempt: attempt))
            // Joined, and no device of the practice has let this one in yet: it will at its next
            // sync, so try again later.
            case .AwaitingKeys:
                return .retry(after: backoff(attempt: attempt))
            case .Relay(_, let status, _) where status >= 500 || status == 429:
                return .retry(after: backoff(attempt: attempt))
            case .NotInitialized, .NoWorkspace, .NotConnected:
                return .done
            default:
                return .stop(reason: Format.problem(error))
            }
        }
    }

    /// One background attempt: push and pull, then what still waits.
    public static func attempt(_ store: TrellisStore) async -> SyncOutcome {
        do {
            _ = try await store.sync()
            return .synced(pendingLeft: try await offMain { try store.status().pendingChanges })
        } catch {
            return .failed(error)
        }
    }

    /// Whether the store has changes a background run should push.
    public static func needsRun(_ store: TrellisStore) async -> Bool {
        guard let status = try? await offMain({ try store.status() }) else { return false }
        return shouldSchedule(status)
    }
}
