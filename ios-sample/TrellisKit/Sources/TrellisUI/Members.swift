import Foundation
import Observation
import TrellisCore

/// What the members screen reads from the phone's own store, off the main actor, once the
/// roster has come from the relay.
private struct MembersLocal: Sendable {
    let fingerprint: String
    let rosterProblem: String?
}

/// Members and their devices, each with its fingerprint, and recording a face-to-face check: a
/// colleague's phone shows its fingerprint, this member reads it and types it here. The core
/// keeps the check on this phone only, and flags the member when she later has a device nobody
/// here verified (a new phone, or keys someone slipped in). The same screen logic as the
/// Android sample's tested `MembersModel`.
@MainActor
@Observable
public final class MembersModel {
    /// The practice's signed roster, as this phone checked it.
    public private(set) var members: [MemberView] = []
    /// This phone's fingerprint, shown large for a colleague who compares it.
    public private(set) var fingerprint = ""
    /// Why the relay's copy of the roster last failed this phone's checks, or nil.
    public private(set) var rosterProblem: String?
    /// The roster is being fetched from the relay.
    public private(set) var loading = false
    /// A problem to show (the roster could not be fetched, a fingerprint did not match).
    public private(set) var problem: String?
    /// What the last verification did: "Sam's device is verified on this phone."
    public private(set) var notice: String?
    private let store: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    /// Fetches the roster from the relay (the core checks it) and reads this phone's fingerprint
    /// and whether the roster's check failed.
    public func refresh() async {
        let load = loads.start()
        loading = true
        do {
            let roster = try await store.roster()
            let local = try await readLocal()
            guard loads.isLatest(load) else { return }
            members = roster
            fingerprint = local.fingerprint
            rosterProblem = local.rosterProblem
            problem = nil
        } catch {
            // Offline, or the roster the relay served failed the checks: say why, and still show
            // this phone's own fingerprint (it is local).
            let local = try? await readLocal()
            guard loads.isLatest(load) else { return }
            problem = Format.problem(error)
            if let local {
                fingerprint = local.fingerprint
                rosterProblem = local.rosterProblem
            }
        }
        loading = false
    }

    /// This phone's fingerprint and the roster's last check, from the phone's own store.
    private func readLocal() async throws -> MembersLocal {
        try await offMain { [store] () -> MembersLocal in
            MembersLocal(fingerprint: try store.fingerprint(), rosterProblem: try store.status().rosterProblem)
        }
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

    /// A fingerprint as VoiceOver should say it, digit by digit in its groups of five.
    public static func spoken(_ fingerprint: String) -> String {
        fingerprint.split(whereSeparator: { $0.isWhitespace })
            .map { group in group.map(String.init).joined(separator: " ") }
            .joined(separator: ", ")
    }
}
