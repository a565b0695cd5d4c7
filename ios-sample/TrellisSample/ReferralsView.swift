import SwiftUI
import TrellisCore
import TrellisUI

/// Referrals received and sent, and a quick form to record one.
struct ReferralsView: View {
    let session: TrellisSession
    @State private var model: ReferralsModel
    @State private var direction = ReferralDirection.received
    @State private var partner = ""
    @State private var reason = ""
    @State private var note = ""

    init(session: TrellisSession) {
        self.session = session
        _model = State(initialValue: ReferralsModel(store: session.store))
    }

    var body: some View {
        Form {
            Section("Record a referral") {
                Picker("Direction", selection: $direction) {
                    Text("Received").tag(ReferralDirection.received)
                    Text("Sent").tag(ReferralDirection.sent)
                }.pickerStyle(.segmented)
                TextField("From or to (contact or place)", text: $partner)
                TextField("Reason", text: $reason)
                TextField("Note (no client details)", text: $note)
                if let problem = model.problem { Text(problem).foregroundStyle(.red) }
                Button("Save referral") {
                    if model.record(direction, partner: partner, reason: reason, note: note) {
                        partner = ""; reason = ""; note = ""
                    }
                }.disabled(partner.isEmpty || reason.isEmpty)
            }
            Section("Referrals") {
                ForEach(model.referrals, id: \.id) { r in
                    VStack(alignment: .leading) {
                        Text("\(r.reason) \(r.direction == .received ? "from" : "to") \(r.contact ?? r.organization ?? "?")")
                        Text("\(r.day) · \(r.recordedBy)").font(.caption).foregroundStyle(.secondary)
                    }
                }
            }
        }
        .navigationTitle("Referrals")
        .onAppear { model.refresh() }
        .onChange(of: session.version(of: .referrals, .workspace)) { model.refresh() }
    }
}
