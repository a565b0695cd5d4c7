import SwiftUI
import TrellisCore
import TrellisUI

/// Members and their devices: this phone's fingerprint in large type (a colleague compares it
/// with what her phone shows for you), each device's fingerprint and whether this phone
/// verified it, the core's flag on a member with a device nobody here verified, and "Verify":
/// type the fingerprint a colleague's phone shows, read across the table. A mistyped one is
/// refused and nothing is recorded. A member whose profile card has synced here shows its
/// headline ("Taking new clients · Anxiety, ADHD"), and "Card" opens it. A roster that failed
/// this phone's checks shows a warning. Last, the open invites this member may cancel (owners and admins: all; a member: her own
/// device invites), each with "Cancel": a code that went astray then lets nobody in.
struct MembersView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: MembersModel? = nil

    var body: some View {
        Group {
            if let model { MembersContent(session: session, model: model) } else { ProgressView() }
        }
        .navigationTitle("Members")
        .task { @MainActor in
            if model == nil { model = MembersModel(store: session.store) }
        }
    }
}

private struct MembersContent: View {
    let session: TrellisSession
    let model: MembersModel
    /// The member whose "Verify" form is open, and what was typed there.
    @State private var verifying: String? = nil
    @State private var typed = ""
    @State private var saving = false

    var body: some View {
        List {
            if let problem = model.rosterProblem {
                Section {
                    Label(MembersFormat.rosterWarning(problem), systemImage: "exclamationmark.triangle")
                        .foregroundStyle(.red)
                }
            }
            Section {
                Text(model.fingerprint)
                    .font(.title2.monospaced())
                    .textSelection(.enabled)
                    .accessibilityLabel("This phone's fingerprint: \(MembersFormat.spoken(model.fingerprint))")
            } header: {
                Text("This phone's fingerprint")
            } footer: {
                Text("A colleague checking you compares it with what her phone shows for you.")
            }
            if let problem = model.problem { Text(problem).foregroundStyle(.red) }
            if let notice = model.notice { Text(notice) }
            if model.loading && model.members.isEmpty {
                ProgressView().accessibilityLabel("Fetching the roster")
            }
            ForEach(model.members, id: \.memberId) { (member: MemberView) in
                Section {
                    if let flag = MembersFormat.flag(member) {
                        Label(flag, systemImage: "exclamationmark.shield").foregroundStyle(.red)
                    }
                    if let card = model.cards[member.memberId], let headline = ProfileFormat.headline(card) {
                        NavigationLink {
                            CardView(session: session, member: member.memberId)
                        } label: {
                            VStack(alignment: .leading, spacing: 2) {
                                Text("Card").font(.subheadline)
                                Text(headline).font(.caption).foregroundStyle(.secondary)
                            }
                        }
                        .accessibilityLabel("\(member.name)'s card: \(headline)")
                    }
                    ForEach(member.devices, id: \.deviceId) { (device: DeviceView) in
                        VStack(alignment: .leading, spacing: 2) {
                            Text("\(MembersFormat.deviceName(device)) · \(MembersFormat.deviceStatus(device))")
                                .font(.subheadline)
                            Text(device.fingerprint).font(.body.monospaced())
                        }
                        // One element for VoiceOver: the device, its state, the digits one by one.
                        .accessibilityElement(children: .ignore)
                        .accessibilityLabel(
                            "\(MembersFormat.deviceName(device)), \(MembersFormat.deviceStatus(device)), "
                                + "fingerprint \(MembersFormat.spoken(device.fingerprint))"
                        )
                    }
                    if MembersModel.canVerify(member) { verifyRow(member) }
                } header: {
                    Text("\(member.name) (\(MembersFormat.role(member)))")
                }
            }
            Section("Open invites") {
                if model.invites.isEmpty && !model.loading { Text("No open invites.") }
                ForEach(model.invites, id: \.inviteId) { (invite: InviteView) in
                    HStack {
                        Text(MembersFormat.invite(invite))
                        Spacer()
                        Button("Cancel", role: .destructive) {
                            Task { _ = await model.cancel(invite) }
                        }
                        .buttonStyle(.borderless)
                        .accessibilityLabel("Cancel \(MembersFormat.inviteName(invite))")
                    }
                }
            }
        }
        .refreshable { await model.refresh() }
        // Loads when shown and again whenever the practice (its members) changes.
        .task(id: session.version(of: .workspace)) { @MainActor in
            await model.refresh()
        }
    }

    @ViewBuilder
    private func verifyRow(_ member: MemberView) -> some View {
        if verifying == member.memberId {
            TextField("Fingerprint", text: $typed)
                .keyboardType(.numberPad)
                .font(.body.monospaced())
                .accessibilityHint("The 20 digits \(member.name)'s phone shows as its own")
            HStack {
                Button("Verify") {
                    saving = true
                    Task {
                        if await model.verify(member, fingerprint: typed) {
                            verifying = nil
                            typed = ""
                        }
                        saving = false
                    }
                }
                .disabled(typed.isEmpty || saving)
                Spacer()
                Button("Cancel", role: .cancel) { verifying = nil }
            }
            .buttonStyle(.borderless)
        } else {
            Button("Verify") {
                verifying = member.memberId
                typed = ""
            }
            .accessibilityLabel("Verify \(member.name)'s device")
        }
    }
}
