import SwiftUI
import TrellisCore
import TrellisUI

/// Referrals received and sent, and a quick form to record one.
struct ReferralsView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: ReferralsModel? = nil

    var body: some View {
        Group {
            if let model { ReferralsContent(session: session, model: model) } else { ProgressView() }
        }
        .task { @MainActor in
            if model == nil { model = ReferralsModel(store: session.store) }
        }
    }
}

private struct ReferralsContent: View {
    let session: TrellisSession
    let model: ReferralsModel
    @State private var direction = ReferralDirection.received
    @State private var partner = ""
    @State private var reason = ""
    @State private var note = ""

    var body: some View {
        Form {
            Section("Record a referral") {
                Picker("Direction", selection: $direction) {
                    Text("Received").tag(ReferralDirection.received)
                    Text("Sent").tag(ReferralDirection.sent)
                }
                .pickerStyle(.segmented)
                .accessibilityLabel("Referral received or sent")
                TextField("From or to (contact or place)", text: $partner)
                TextField("Reason", text: $reason)
                TextField("Note (no client details)", text: $note)
                if let problem = model.problem { Text(problem).foregroundStyle(.red) }
                Button("Save referral") {
                    Task {
                        if await model.record(direction, partner: partner, reason: reason, note: note) {
                            partner = ""; reason = ""; note = ""
                        }
                    }
                }
                .disabled(partner.isEmpty || reason.isEmpty || model.saving)
            }
            Section("Referrals") {
                ForEach(model.referrals, id: \.id) { r in
                    VStack(alignment: .leading) {
                        Text("\(r.reason) \(r.direction == .received ? "from" : "to") \(r.contact ?? r.organization ?? "?")")
                        Text("\(r.day) · \(r.recordedBy)").font(.caption).foregroundStyle(.secondary)
                    }
                    .accessibilityElement(children: .combine)
                }
            }
        }
        .navigationTitle("Referrals")
        .task(id: session.version(of: .referrals, .workspace)) { @MainActor in
            await model.refresh()
        }
    }
}
