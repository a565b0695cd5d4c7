import Foundation
import Observation
import TrellisCore

/// What the Today screen reads in one go, off the main actor.
private struct TodayLoad: Sendable {
    let practice: String
    let me: String?
    let due: [FollowUp]
    let open: [FollowUp]
    let week: TimeReport
}

/// The Today screen: due follow-ups (mine first, then my colleagues') and this week's minutes
/// against the goal.
@MainActor
@Observable
public final class TodayModel {
    public private(set) var practice = ""
    /// This phone's member id in the practice: whose follow-ups are "mine".
    public private(set) var me: String?
    public private(set) var due: [FollowUp] = []
    public private(set) var upcoming: [FollowUp] = []
    public private(set) var minutesThisWeek = 0
    public private(set) var goalMinutes = 0
    public private(set) var problem: String?
    private let store: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    /// "1 h 20 min of 2 h".
    public var weekLine: String { Format.weekLine(minutesThisWeek, goal: goalMinutes) }
    /// For the progress bar.
    public var progress: Double { Format.progress(minutesThisWeek, goal: goalMinutes) }

    /// Reloads from the store.
    public func refresh() async {
        let load = loads.start()
        do {
            let found = try await offMain { [store] () -> TodayLoad in
                let current = try store.workspaces().first(where: \.current)
                return TodayLoad(
                    practice: current?.name ?? "",
                    me: current?.memberId,
                    due: try store.followups(filter: .due),
                    open: try store.followups(filter: .open),
                    week: try store.timeReport(fromDay: nil, toDay: nil)
                )
            }
            guard loads.isLatest(load) else { return }
            me = found.me
            practice = found.practice
            let dueIds = Set(found.due.map(\.id))
            due = Self.mineFirst(found.due, me: me)
            upcoming = Self.mineFirst(found.open.filter { !dueIds.contains($0.id) }, me: me)
            minutesThisWeek = Int(found.week.weeks.last?.minutes ?? 0)
            goalMinutes = Int(found.week.goalMinutes)
            problem = nil
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
        }
    }

    /// `followUps` with those assigned to `me` first; each part keeps the core's order.
    public nonisolated static func mineFirst(_ followUps: [FollowUp], me: String?) -> [FollowUp] {
        followUps.filter { $0.assignedToId == me } + followUps.filter { $0.assignedToId != me }
    }

    /// Under a colleague's follow-up: "Sam's"; nil for mine.
    public func owner(_ followUp: FollowUp) -> String? {
        followUp.assignedToId == me ? nil : "\(followUp.assignedTo)'s"
    }

    /// Marks a follow-up done.
    public func complete(_ followUp: FollowUp) async {
        let id = followUp.id
        do {
            _ = try await offMain { [store] in try store.completeFollowup(id: id) }
        } catch {
            problem = Format.problem(error)
        }
        await refresh()
    }
}

/// The contacts list with the core's full-text search.
@MainActor
@Observable
public final class ContactsModel {
    /// The search; each change reloads.
    public var query = "" { didSet { Task { await refresh() } } }
    public private(set) var contacts: [Contact] = []
    public private(set) var problem: String?
    private let store: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    /// Reloads: every contact by name, or the search's matches, best first.
    public func refresh() async {
        let load = loads.start()
        do {
            let found = try await offMain { [store, query] () -> [Contact] in
                let all = try store.contacts()
                if query.trimmingCharacters(in: .whitespaces).isEmpty { return all }
                let byId = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
                return try store.search(query: query).filter { $0.kind == "contact" }.compactMap { byId[$0.id] }
            }
            guard loads.isLatest(load) else { return }
            contacts = found
            problem = nil
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
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
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore, contactId: String) {
        self.store = store
        self.contactId = contactId
    }

    public func refresh() async {
        let load = loads.start()
        do {
            let page = try await offMain { [store, contactId] in try store.contact(query: contactId) }
            guard loads.isLatest(load) else { return }
            detail = page
            history = page.history
            problem = nil
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
        }
    }

    /// Appends a dated note entry; false (with `problem` set) if the core refused it.
    public func addNote(_ text: String) async -> Bool {
        do {
            _ = try await offMain { [store, contactId] in try store.appendNote(contact: contactId, text: text) }
        } catch {
            problem = Format.problem(error)
            return false
        }
        await refresh()
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

/// What saving a drop-by brings back, read off the main actor.
private struct SavedDropBy: Sendable {
    let activity: Activity
    let thankYou: FollowUp?
    let stock: [StockItem]?
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
    /// A save is under way (the button waits for it, so a double tap logs one visit).
    public private(set) var saving = false
    public private(set) var saved: Activity?
    public private(set) var thankYou: FollowUp?
    /// The privacy hint to show under the note field.
    public let noteHint = notePrivacyHint()
    private let store: TrellisStore
    @ObservationIgnored private var placeLoads = LoadCounter()
    @ObservationIgnored private var peopleLoads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    public var canSave: Bool { place != nil && minutes > 0 && saved == nil && !saving }

    /// Where the phone was last seen, given to a place added here (nearby next time).
    @ObservationIgnored private var here: GeoPoint?

    /// Loads the leave-behinds in stock (when the screen opens).
    public func loadStock() async {
        let items = try? await offMain { [store] in try store.stock() }
        if let items { stock = items }
    }

    /// Offers the places within 2 km, nearest first.
    public func showNearby(lat: Double, lon: Double) async {
        here = GeoPoint(lat: lat, lon: lon)
        let load = placeLoads.start()
        do {
            let found = try await offMain { [store] in try store.nearby(lat: lat, lon: lon, withinKm: 2) }
            guard placeLoads.isLatest(load) else { return }
            places = found.map {
                PlaceChoice(organization: $0.organization, distance: String(format: "%.1f km", $0.distanceKm))
            }
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Searches places by name.
    public func searchPlaces(_ query: String) async {
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let load = placeLoads.start()
        do {
            let found = try await offMain { [store] () -> [Organization] in
                let orgs = Dictionary(uniqueKeysWithValues: try store.organizations().map { ($0.id, $0) })
                return try store.search(query: query).filter { $0.kind == "organization" }.compactMap { orgs[$0.id] }
            }
            guard placeLoads.isLatest(load) else { return }
            places = found.map { PlaceChoice(organization: $0, distance: nil) }
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Picks the place and lists the people there.
    public func pick(_ org: Organization) async {
        place = org
        met = []
        people = []
        let load = peopleLoads.start()
        let orgId = org.id
        let found = (try? await offMain { [store] in try store.contacts().filter { $0.organizationId == orgId } }) ?? []
        if peopleLoads.isLatest(load) { people = found }
    }

    /// Adds a place not known yet (a school visited for the first time) at the phone's
    /// location when known, and picks it. False (with `problem` set) if the core refused it.
    public func addPlace(name: String, kind: OrgKind) async -> Bool {
        let new = NewOrg(name: name.trimmingCharacters(in: .whitespaces), kind: kind, location: here)
        do {
            let org = try await offMain { [store] in try store.addOrg(org: new) }
            places.insert(PlaceChoice(organization: org, distance: nil), at: 0)
            problem = nil
            await pick(org)
            return true
        } catch {
            problem = Format.problem(error)
            return false
        }
    }

    /// Adds someone met at the picked place and ticks them. False (with `problem`) if refused.
    public func addPerson(name: String, role: String) async -> Bool {
        guard let place else {
            problem = "Pick the place you visited."
            return false
        }
        let role = role.trimmingCharacters(in: .whitespaces)
        let new = NewContact(
            name: name.trimmingCharacters(in: .whitespaces), organization: place.id, role: role.isEmpty ? nil : role
        )
        do {
            let contact = try await offMain { [store] in try store.addContact(contact: new) }
            people.append(contact)
            met.insert(contact.id)
            problem = nil
            return true
        } catch {
            problem = Format.problem(error)
            return false
        }
    }

    /// Saves the drop-by; the core records the thank-you and takes leave-behinds out of stock.
    public func save() async {
        guard let place else {
            problem = "Pick the place you visited."
            return
        }
        guard !saving else { return }
        saving = true
        defer { saving = false }
        let dropBy = NewDropBy(
            organization: place.id,
            contacts: Array(met),
            minutes: UInt32(max(minutes, 0)),
            note: note.isEmpty ? nil : note,
            leftBehind: leftBehind.filter { $0.value > 0 }.map { LeftBehind(item: $0.key, qty: UInt32($0.value)) }
        )
        do {
            let result = try await offMain { [store] () -> SavedDropBy in
                let activity = try store.logDropBy(dropBy: dropBy)
                // The visit is saved: what follows only fills the screen, and must not fail it.
                return SavedDropBy(
                    activity: activity,
                    thankYou: (try? store.followups(filter: .open))?.first { $0.activityId == activity.id },
                    stock: try? store.stock()
                )
            }
            saved = result.activity
            thankYou = result.thankYou
            stock = result.stock ?? stock
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
    /// A referral is being recorded (the button waits for it).
    public private(set) var saving = false
    private let store: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    public func refresh() async {
        let load = loads.start()
        do {
            let (found, reasons) = try await offMain { [store] in
                (try store.referrals(fromDay: nil, toDay: nil), try store.referralReasons())
            }
            guard loads.isLatest(load) else { return }
            referrals = found
            self.reasons = reasons
            problem = nil
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
        }
    }

    /// Records a referral from or to `partner` (a contact or place, by name).
    public func record(_ direction: ReferralDirection, partner: String, reason: String, note: String) async -> Bool {
        guard !saving else { return false }
        saving = true
        defer { saving = false }
        let referral = NewReferral(direction: direction, partner: partner, reason: reason, note: note.isEmpty ? nil : note)
        do {
            _ = try await offMain { [store] in try store.addReferral(referral: referral) }
        } catch {
            problem = Format.problem(error)
            return false
        }
        await refresh()
        return true
    }
}

/// Sets up this phone for `name` unless it already is.
private func setUpDevice(_ store: TrellisStore, name: String) async throws {
    try await offMain {
        do {
            _ = try store.device()
        } catch TrellisError.NotInitialized {
            _ = try store.`init`(name: name)
        }
    }
}

/// Joining a practice by pasting an invite code. The code holds no key: after the join this
/// phone waits until a colleague's device (the one that made the invite, or an owner's or an
/// admin's) lets it in, which that device does when it next syncs; `syncNow()` then takes the
/// keys and pulls the practice. The same screen logic as the Android sample's tested `JoinModel`.
@MainActor
@Observable
public final class JoinModel {
    public enum Phase: Equatable {
        case idle, joining, joined(WorkspaceInfo), failed(String)
        /// Joined, and waiting for a colleague's device to let this phone in. The workspace has
        /// no name yet: it arrives with the keys.
        case awaitingKeys(WorkspaceInfo)
    }

    /// What the waiting screen says, with no name of anyone in it.
    public nonisolated static let waitingText = "Waiting for a colleague's device to let this one in"
    /// What the waiting screen says under `waitingText`.
    public nonisolated static let waitingHint =
        "The colleague who invited you lets this phone in when their device next syncs. Then tap Sync now."

    public private(set) var phase: Phase = .idle
    /// While waiting: "Sync now" is under way.
    public private(set) var checking = false
    /// While waiting: why the last check failed (offline); the join is kept.
    public private(set) var problem: String?
    private let store: TrellisStore

    public init(store: TrellisStore) { self.store = store }

    /// Sets up this phone for `name` if needed, joins with `code`, then tries a first sync:
    /// usually no device has let this one in yet, and the phase is `.awaitingKeys`.
    public func join(name: String, code: String) async {
        phase = .joining
        problem = nil
        let ws: WorkspaceInfo
        do {
            try await setUpDevice(store, name: name.trimmingCharacters(in: .whitespacesAndNewlines))
            ws = try await store.join(code: code.trimmingCharacters(in: .whitespacesAndNewlines), relayOverride: nil)
        } catch {
            phase = .failed(Format.problem(error))
            return
        }
        phase = .awaitingKeys(ws)
        await syncNow()
    }

    /// Picks up a join this phone started earlier and still waits for keys (the app was closed
    /// meanwhile). Returns whether there was one.
    public func resume() async -> Bool {
        guard let ws = await Self.awaiting(store) else { return false }
        if case .awaitingKeys = phase { return true }
        phase = .awaitingKeys(ws)
        return true
    }

    /// "Sync now" while waiting: syncs, which takes the keys if a colleague's device has handed
    /// them over and pulls the practice (`.joined`); else keeps waiting. Offline, `problem` says
    /// so and the join is kept; a refusal that ends the join (this phone revoked meanwhile) is
    /// `.failed`.
    public func syncNow() async {
        guard case .awaitingKeys(let waiting) = phase, !checking else { return }
        checking = true
        problem = nil
        do {
            _ = try await store.sync()
            await moveOnIfLetIn(waiting)
        } catch {
            switch error as? TrellisError {
            case .AwaitingKeys:
                break // not let in yet: keep waiting
            case .Network:
                problem = Format.problem(error)
            default:
                phase = .failed(Format.problem(error))
            }
        }
        checking = false
    }

    /// Whether the join finished without this model (a background sync took the keys): read
    /// from the phone's own store, no network. Moves on to `.joined` if so.
    public func recheck() async {
        guard case .awaitingKeys(let waiting) = phase, !checking else { return }
        await moveOnIfLetIn(waiting)
    }

    private func moveOnIfLetIn(_ waiting: WorkspaceInfo) async {
        let id = waiting.id
        let listed: WorkspaceInfo? = try? await offMain { [store] in try store.workspaces().first(where: { $0.id == id }) }
        if let ws = listed, !ws.awaitingKeys { phase = .joined(ws) }
    }

    /// The current practice when this phone joined it and still waits for its keys, else nil.
    public nonisolated static func awaiting(_ store: TrellisStore) async -> WorkspaceInfo? {
        try? await offMain { [store] in try store.workspaces().first(where: { $0.current && $0.awaitingKeys }) }
    }
}

/// Starting a practice from the phone, and inviting colleagues to it.
@MainActor
@Observable
public final class PracticeModel {
    public enum Phase: Equatable {
        case idle, working, created(WorkspaceInfo), failed(String)
        /// A single-use invite code to share (share sheet, QR code). It holds no key: this phone
        /// lets the colleague's in at its next sync after the join.
        case invite(code: String, practice: String)
    }

    public private(set) var phase: Phase = .idle
    private let store: TrellisStore

    public init(store: TrellisStore) { self.store = store }

    /// Sets up this phone for `yourName` if needed and creates the practice `name`: on the relay
    /// at `relayUrl` with `signupSecret` when given, else on this phone only (invites need a relay).
    public func create(yourName: String, name: String, relayUrl: String, signupSecret: String) async {
        phase = .working
        let trimmed = { (s: String) in s.trimmingCharacters(in: .whitespacesAndNewlines) }
        do {
            try await setUpDevice(store, name: trimmed(yourName))
            let ws: WorkspaceInfo
            if trimmed(relayUrl).isEmpty {
                let practiceName = trimmed(name)
                ws = try await offMain { [store] in try store.createWorkspace(name: practiceName) }
            } else {
                ws = try await store.createSharedWorkspace(
                    name: trimmed(name), relayUrl: trimmed(relayUrl), signupSecret: trimmed(signupSecret)
                )
            }
            phase = .created(ws)
        } catch {
            phase = .failed(Format.problem(error))
        }
    }

    /// Asks the relay for a single-use invite for a new colleague with `role`.
    public func invite(role: Role) async {
        phase = .working
        do {
            let practice = try await offMain { [store] in try store.workspaces().first(where: \.current)?.name ?? "" }
            let code = try await store.createInvite(role: role, device: false)
            phase = .invite(code: code, practice: practice)
        } catch {
            phase = .failed(Format.problem(error))
        }
    }

    /// Back to idle (the invite was shared, or the problem read).
    public func dismiss() { phase = .idle }

    /// The text shared with an invite: what it is, then the code on a line of its own.
    public nonisolated static func shareText(practice: String, code: String) -> String {
        "Join \(practice) in Trellis: open the app, choose \"Join a practice\" and paste this code.\n\n\(code)"
    }
}
