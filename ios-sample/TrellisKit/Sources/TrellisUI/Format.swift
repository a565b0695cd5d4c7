import Foundation
import TrellisCore

/// How the sample app words numbers, times and states: pure functions of their inputs, the same
/// rules as the Android sample's `Format`.
public enum Format {
    /// "45 min", "1 h", "1 h 20 min".
    public static func minutes(_ total: Int) -> String {
        let h = total / 60, m = total % 60
        if h == 0 { return "\(m) min" }
        return m == 0 ? "\(h) h" : "\(h) h \(m) min"
    }

    /// "1 h 20 min of 2 h".
    public static func weekLine(_ minutes: Int, goal: Int) -> String {
        "\(Format.minutes(minutes)) of \(Format.minutes(goal))"
    }

    /// How far the week's goal is met, 0 to 1 (a goal of 0 is met).
    public static func progress(_ minutes: Int, goal: Int) -> Double {
        goal <= 0 ? 1 : min(max(Double(minutes) / Double(goal), 0), 1)
    }

    /// An RFC 3339 time from the core (with or without fractional seconds).
    static func date(_ rfc3339: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: rfc3339) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: rfc3339)
    }

    /// "due today", "due tomorrow", "due in 3 days", "2 days overdue", in `calendar`'s zone.
    public static func due(_ dueAt: String, now: Date = Date(), calendar: Calendar = .current) -> String {
        guard let day = date(dueAt) else { return dueAt }
        let days = calendar.dateComponents(
            [.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: day)
        ).day ?? 0
        switch days {
        case 0: return "due today"
        case 1: return "due tomorrow"
        case 2...: return "due in \(days) days"
        case -1: return "1 day overdue"
        default: return "\(-days) days overdue"
        }
    }

    /// "just now", "5 min ago", "3 h ago", "2 days ago".
    public static func ago(_ at: String, now: Date = Date()) -> String {
        guard let then = date(at) else { return at }
        let s = Int(now.timeIntervalSince(then))
        switch s {
        case ..<60: return "just now"
        case ..<3600: return "\(s / 60) min ago"
        case ..<86400: return "\(s / 3600) h ago"
        case ..<172_800: return "1 day ago"
        default: return "\(s / 86400) days ago"
        }
    }

    /// "Thank-you: Priya Shah, Lincoln Middle School".
    public static func followUpTitle(_ f: FollowUp) -> String {
        let what: String
        switch f.kind {
        case .thankYou: what = "Thank-you"
        case .checkIn: what = "Check in"
        case .sendResource: what = "Send a resource"
        case .custom: what = "Follow up"
        }
        let who = [f.contact, f.organization].compactMap { $0 }.joined(separator: ", ")
        return who.isEmpty ? what : "\(what): \(who)"
    }

    /// The status line for a sync state.
    public static func syncLine(_ state: SyncState, now: Date = Date()) -> String {
        switch state {
        case .idle(let last):
            return last.map { "Up to date · synced \(ago($0, now: now))" } ?? "Not synced yet"
        case .syncing:
            return "Syncing…"
        case .offline(let pending):
            switch pending {
            case 0: return "Offline"
            case 1: return "Offline · 1 change waiting"
            default: return "Offline · \(pending) changes waiting"
            }
        case .failed(let reason):
            return "Sync failed: \(reason)"
        }
    }

    /// The sentence to show for an error from the core.
    public static func problem(_ error: Error) -> String {
        guard let e = error as? TrellisError else { return error.localizedDescription }
        switch e {
        case .NotInitialized(let reason), .NoWorkspace(let reason), .NotConnected(let reason),
             .InvalidInput(let reason), .Conflict(let reason), .NotAuthorized(let reason),
             .Corrupt(let reason), .Storage(let reason), .AwaitingKeys(let reason), .Removed(let reason),
             .Closed(let reason):
            return reason
        case .NotFound(let reason, _), .Ambiguous(let reason, _):
            return reason
        case .Network(let reason):
            return "Offline: \(reason)"
        case .Relay(let reason, _, _):
            return reason
        }
    }
}
