import Foundation
import Observation
import TrellisCore

/// The Today screen: due follow-ups and this week's minutes against the goal.
@MainActor
@Observable
public final class TodayModel {
    public private(set) var practice = ""
    public private(set) var due: [FollowUp] = []
    public private(set) var upcoming: [FollowUp] = []
    public private(set) var minutesThisWeek = 0
    public private(set) var goalMinutes = 0
    public private(set) var problem: String?
    private let store: TrellisStore

    public init(store: TrellisStore) { self.store = store }

    /// "1 h 20 min of 2 h".
    public var weekLine: String { Format.weekLine(minutesThisWeek, goal: goalMinutes) }
    /// For the progress bar.
    public var progress: Double { Format.progress(minutesThisWeek, goal: goalMinutes) }

    /// Reloads from the store.
    public func refresh() {
        do {
            due = try store.followups(filter: .due)
            let dueIds = Set(due.map(\.id))
            upcoming = try store.followups(filter: .open).filter { !dueIds.contains($0.id) }
            let week = try store.timeReport(fromDay: nil, toDay: nil)
            minutesThisWeek = Int(week.weeks.last?.minutes ?? 0)
            goalMinutes = Int(week.goalMinutes)
            practice = try store.workspaces().first(where: \.current)?.name ?? ""
            problem = nil
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Marks a follow-up done.
    public func complete(_ followUp: FollowUp) {
        do { _ = try store.completeFollowup(id: followUp.id) } catch { problem = Format.problem(error) }
        refresh()
    }
}

/// The contacts list with the core's full-text search.
@MainActor
@Observable
public final class ContactsModel {
    public var query = "" { didSet { refresh() } }
    public private(set) var contacts: [Contact] = []
    public private(set) var problem: String?
    private let store: TrellisStore

    public init(store: TrellisStore) { self.store = store }

    /// Reloads: every contact by name, or the search's matches, best first.
    public func refresh() {
        do {
            let all = try store.contacts()
            if query.trimmingCharacters(in: .whitespaces).isEmpty {
                contacts = all
            } else {
                let byId = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
                contacts = try store.search(query: query).filter { $0.kind == "contact" }.compactMap { byId[$0.id] }
            }
            problem = nil
        } catch {
            problem = Format.problem(error)
        }
    }
}

/// One contact's page: needs, pitch, follow-ups, history and notes.
@MainActor
@Observable
public final class ContactModel {
    public private(set) var detail: ContactDetail?
    public private(set) var history: [Activity] = []
    public private(set) var problem: String?
    private let store: TrellisStore
    private let contactId: String

    public init(store: TrellisStore, contactId: String) {
        self.store = store
        self.contactId = contactId
    }

    public func refresh() {
        do {
            let page = try store.contact(query: contactId)
            detail = page
            history = page.history
            problem = nil
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Appends a dated note entry; false (with `problem` set) if the core refused it.
    public func addNote(_ text: String) -> Bool {
        do {
            _ = try store.appendNote(contact: contactId, text: text)
        } catch {
            problem = Format.problem(error)
            return false
        }
        refresh()
        return true
    }
}

/// A place to pick on the drop-by screen.
public struct PlaceChoice: Identifiable, Hashable {
    public let organization: Organization
    /// "0.4 km" when found nearby.
    public let distance: String?
    public var id: String { organization.id }
}

/// The one-screen "log a drop-by" flow; saving is local and works offline.
@MainActor
@Observable
public final class DropByModel {
    public private(set) var places: [PlaceChoice] = []
    public private(set) var place: Organization?
    public private(set) var people: [Contact] = []
    public var met: Set<String> = []
    public var minutes = 15
    public var note = ""
    public private(set) var stock: [StockItem] = []
    public var leftBehind: [String: Int] = [:]
    public private(set) var problem: String?
    public private(set) var saved: Activity?
    public private(set) var thankYou: FollowUp?
    /// The privacy hint to show under the note field.
    public let noteHint = notePrivacyHint()
    private let store: TrellisStore

    public init(store: TrellisStore) {
        self.store = store
        stock = (try? store.stock()) ?? []
    }

    public var canSave: Bool { place != nil && minutes > 0 && saved == nil }

    /// Offers the places within 2 km, nearest first.
    public func showNearby(lat: Double, lon: Double) {
        do {
            places = try store.nearby(lat: lat, lon: lon, withinKm: 2).map {
                PlaceChoice(organization: $0.organization, distance: String(format: "%.1f km", $0.distanceKm))
            }
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Searches places by name.
    public func searchPlaces(_ query: String) {
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        do {
            let orgs = Dictionary(uniqueKeysWithValues: try store.organizations().map { ($0.id, $0) })
            places = try store.search(query: query).filter { $0.kind == "organization" }
                .compactMap { orgs[$0.id] }.map { PlaceChoice(organization: $0, distance: nil) }
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Picks the place and lists the people there.
    public func pick(_ org: Organization) {
        place = org
        met = []
        people = ((try? store.contacts()) ?? []).filter { $0.organizationId == org.id }
    }

    /// Saves the drop-by; the core records the thank-you and takes leave-behinds out of stock.
    public func save() {
        guard let place else {
            problem = "Pick the place you visited."
            return
        }
        do {
            let activity = try store.logDropBy(dropBy: NewDropBy(
                organization: place.id,
                contacts: Array(met),
                minutes: UInt32(max(minutes, 0)),
                note: note.isEmpty ? nil : note,
                leftBehind: leftBehind.filter { $0.value > 0 }.map { LeftBehind(item: $0.key, qty: UInt32($0.value)) }
            ))
            saved = activity
            thankYou = try store.followups(filter: .open).first { $0.activityId == activity.id }
            stock = (try? store.stock()) ?? stock
            problem = nil
        } catch {
            problem = Format.problem(error)
        }
    }
}

/// Referrals received and sent, and recording one.
@MainActor
@Observable
public final class ReferralsModel {
    public private(set) var referrals: [Referral] = []
    public private(set) var reasons: [String] = []
    public private(set) var problem: String?
    private let store: TrellisStore

    public init(store: TrellisStore) { self.store = store }

    public func refresh() {
        do {
            referrals = try store.referrals(fromDay: nil, toDay: nil)
            reasons = try store.referralReasons()
            problem = nil
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Records a referral from or to `partner` (a contact or place, by name).
    public func record(_ direction: ReferralDirection, partner: String, reason: String, note: String) -> Bool {
        do {
            _ = try store.addReferral(referral: NewReferral(
                direction: direction, partner: partner, reason: reason, note: note.isEmpty ? nil : note
            ))
        } catch {
            problem = Format.problem(error)
            return false
        }
        refresh()
        return true
    }
}

/// Joining a practice by pasting an invite code.
@MainActor
@Observable
public final class JoinModel {
    public enum Phase: Equatable {
        case idle, joining, joined(WorkspaceInfo), failed(String)
    }

    public private(set) var phase: Phase = .idle
    private let store: TrellisStore

    public init(store: TrellisStore) { self.store = store }

    /// Sets up this phone for `name` if needed, joins with `code` and pulls the practice.
    public func join(name: String, code: String) async {
        phase = .joining
        do {
            do {
                _ = try store.device()
            } catch TrellisError.NotInitialized {
                _ = try store.`init`(name: name)
            }
            let ws = try await store.join(code: code.trimmingCharacters(in: .whitespacesAndNewlines), relayOverride: nil)
            _ = try await store.sync()
            phase = .joined(ws)
        } catch {
            phase = .failed(Format.problem(error))
        }
    }
}
