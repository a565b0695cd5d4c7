import Foundation
import Observation
import TrellisCore

/// What the members screen reads from the phone's own store, off the main actor, once the
/// roster has come from the relay.
private struct MembersLocal: Sendable {
    let fingerprint: String
    let rosterProblem: String?
    let cards: [Profile]
}

/// Members and their devices, each with its fingerprint, and recording a face-to-face check: a
/// colleague's phone shows its fingerprint, this member reads it and types it here. The core
/// keeps the check on this phone only, and flags the member when she later has a device nobody
/// here verified (a new phone, or keys someone slipped in). Each member's row also offers her
/// profile card, read from this phone's store. Below them, the open invites this member may
/// cancel (a code that went astray admits nobody once cancelled). The same screen logic as the
/// Android sample's tested `MembersModel`.
@MainActor
@Observable
public final class MembersModel {
    /// The practice's signed roster, as this phone checked it.
    public private(set) var members: [MemberView] = []
    /// The open invites this member may cancel, newest first: every one for owners and admins,
    /// a member's own device invites for a member.
    public private(set) var invites: [InviteView] = []
    /// This phone's fingerprint, shown large for a colleague who compares it.
    public private(set) var fingerprint = ""
    /// The profile cards written in the practice that reached this phone, by member id.
    public private(set) var cards: [String: Profile] = [:]
    /// Why the relay's copy of the roster last failed this phone's checks, or nil.
    public private(set) var rosterProblem: String?
    /// The roster is being fetched from the relay.
    public private(set) var loading = false
    /// A problem to show (the roster could not be fetched, a fingerprint did not match).
    public private(set) var problem: String?
    /// What the last action did: "Sam's device is verified on this phone.", an invite cancelled.
    public private(set) var notice: String?
    private let store: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    /// Fetches the roster and the open invites from the relay (the core checks the roster) and
    /// reads this phone's fingerprint, whether the roster's check failed, and the cards.
    public func refresh() async {
        let load = loads.start()
        loading = true
        do {
            let roster = try await store.roster()
            let openInvites = try await store.invites()
            let local = try await readLocal()
            guard loads.isLatest(load) else { return }
            members = roster
            invites = Self.cancellable(openInvites, members: roster)
            fingerprint = local.fingerprint
            rosterProblem = local.rosterProblem
            cards = Self.byMember(local.cards)
            problem = nil
        } catch {
            // Offline, or the roster the relay served failed the checks: say why, and still show
            // this phone's own fingerprint and the cards (they are local).
            let local = try? await readLocal()
            guard loads.isLatest(load) else { return }
            problem = Format.problem(error)
            if let local {
                fingerprint = local.fingerprint
                rosterProblem = local.rosterProblem
                cards = Self.byMember(local.cards)
            }
        }
        loading = false
    }

    /// This phone's fingerprint, the roster's last check and the cards, from the phone's own
    /// store.
    private func readLocal() async throws -> MembersLocal {
        try await offMain { [store] () -> MembersLocal in
            MembersLocal(
                fingerprint: try store.fingerprint(),
                rosterProblem: try store.status().rosterProblem,
                cards: try store.profiles()
            )
        }
    }

    /// Cards by member id.
    private nonisolated static func byMember(_ cards: [Profile]) -> [String: Profile] {
        Dictionary(cards.map { ($0.memberId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Records that a device of `member` showed `typed` (spaces and dashes do not matter).
    /// False, with `problem` set and nothing recorded, when none of her devices has it.
    public func verify(_ member: MemberView, fingerprint typed: String) async -> Bool {
        let memberId = member.memberId
        let shown = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let updated = try await offMain { [store] in try store.verifyMember(member: memberId, fingerprint: shown) }
            members = members.map { $0.memberId == updated.memberId ? updated : $0 }
            problem = nil
            notice = "\(updated.name)'s device is verified on this phone."
            return true
        } catch {
            problem = Format.problem(error)
            notice = nil
            return false
        }
    }

    /// Cancels `invite`: its code admits nobody from now on. False, with `problem` set, when
    /// refused; the list leaves it out once cancelled.
    public func cancel(_ invite: InviteView) async -> Bool {
        do {
            let cancelled = try await store.cancelInvite(query: invite.inviteId)
            invites = invites.filter { $0.inviteId != cancelled.inviteId }
            problem = nil
            notice = MembersFormat.cancelled(cancelled)
            return true
        } catch {
            problem = Format.problem(error)
            notice = nil
            return false
        }
    }

    /// The invites of `all` (the open ones) that the member using this phone may cancel, as
    /// `members` says who that is: all of them for an owner or an admin; for a member, her own
    /// device invites (made on this phone, or in her name on another of her devices).
    public nonisolated static func cancellable(_ all: [InviteView], members: [MemberView]) -> [InviteView] {
        let me = members.first(where: { m in m.devices.contains(where: { $0.thisDevice }) })
        guard let me else { return all.filter { $0.madeHere } }
        switch me.role {
        case .owner, .admin:
            return all
        case .member:
            return all.filter { $0.device && ($0.madeHere || $0.invitedBy == me.name) }
        }
    }

    /// Whether `member` has a device this phone can still verify (not this phone, not revoked).
    public nonisolated static func canVerify(_ member: MemberView) -> Bool {
        if member.removed { return false }
        return member.devices.contains { !($0.thisDevice || $0.revoked || $0.verified) }
    }
}

/// The members screen's wording: the same rules as the Android sample's `MembersFormat`.
public enum MembersFormat {
    /// What a device row says after its fingerprint.
    public static func deviceStatus(_ d: DeviceView) -> String {
        if d.revoked { return "revoked" }
        if d.thisDevice { return "this phone" }
        return d.verified ? "verified" : "not verified"
    }

    /// "Device 3f2a9c01", the first 8 hex digits of its id.
    public static func deviceName(_ d: DeviceView) -> String { "Device \(d.deviceId.prefix(8))" }

    /// "owner", "admin", "member", and ", removed" for a member who left or was removed.
    public static func role(_ member: MemberView) -> String {
        let role: String
        switch member.role {
        case .owner: role = "owner"
        case .admin: role = "admin"
        case .member: role = "member"
        }
        return member.removed ? "\(role), removed" : role
    }

    /// The warning on a member the core flagged, or nil.
    public static func flag(_ member: MemberView) -> String? {
        member.unverifiedDevice
            ? "\(member.name) has a new device nobody here verified: compare its fingerprint before trusting it."
            : nil
    }

    /// The warning above the roster when the relay's copy of it failed this phone's checks.
    public static func rosterWarning(_ problem: String) -> String {
        "The relay's copy of the practice's roster failed this phone's checks: \(problem)"
    }

    /// "Invite 3f2a9c01", the first 8 hex digits of its id.
    public static func inviteName(_ i: InviteView) -> String { "Invite \(i.inviteId.prefix(8))" }

    /// Who an invite lets in: "a new member", "a new admin", "another device".
    public static func inviteFor(_ i: InviteView) -> String {
        if i.device { return "another device" }
        switch i.role {
        case .owner: return "a new owner"
        case .admin: return "a new admin"
        case .member: return "a new member"
        }
    }

    /// An invite's row, with no name of anyone in it: "Invite 3f2a9c01 · a new member · made on
    /// this phone · expires in 3 days".
    public static func invite(_ i: InviteView, now: Date = Date()) -> String {
        let origin = i.madeHere ? "made on this phone" : "made on another device"
        return "\(inviteName(i)) · \(inviteFor(i)) · \(origin) · \(expires(i.expiresAt, now: now))"
    }

    /// "expires in 40 min", "expires in 5 h", "expires in 3 days"; "expired" once past.
    public static func expires(_ at: String, now: Date = Date()) -> String {
        guard let end = Format.date(at) else { return "expires \(at)" }
        let s = Int(end.timeIntervalSince(now))
        switch s {
        case ...0: return "expired"
        case ..<3600: return "expires in \(max(1, s / 60)) min"
        case ..<172_800: return "expires in \(s / 3600) h"
        default: return "expires in \(s / 86400) days"
        }
    }

    /// What cancelling said: "Invite 3f2a9c01 cancelled: its code lets nobody in now."
    public static func cancelled(_ i: InviteView) -> String { "\(inviteName(i)) cancelled: its code lets nobody in now." }

    /// A fingerprint as VoiceOver should say it, digit by digit in its groups of five.
    public static func spoken(_ fingerprint: String) -> String {
        fingerprint.split(whereSeparator: { $0.isWhitespace })
            .map { group in group.map(String.init).joined(separator: " ") }
            .joined(separator: ", ")
    }
}
