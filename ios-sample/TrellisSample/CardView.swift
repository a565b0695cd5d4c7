import SwiftUI
import TrellisCore
import TrellisUI

/// A colleague's profile card, opened from her row on Members: her name and credentials,
/// whether she is taking new clients (and when she last said so), then the parts she filled in.
/// "Share as a vCard" hands it to a referral source through the share sheet.
struct CardView: View {
    let session: TrellisSession
    /// Her member id (a name or an id prefix would do too).
    let member: String
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: CardModel? = nil

    var body: some View {
        Group {
            if let model { CardContent(session: session, model: model) } else { ProgressView() }
        }
        .task(id: member) { @MainActor in
            if model == nil { model = CardModel(store: session.store, member: member) }
        }
    }
}

private struct CardContent: View {
    let session: TrellisSession
    let model: CardModel

    var body: some View {
        List {
            if let problem = model.problem { Text(problem).foregroundStyle(.red) }
            if let profile = model.profile {
                if ProfileFormat.isEmpty(profile.card) {
                    Text("\(profile.name) has not filled in a card yet, or it has not synced to this phone.")
                } else {
                    ForEach(Array(ProfileFormat.lines(profile.card).enumerated()), id: \.offset) { _, line in
                        VStack(alignment: .leading, spacing: 2) {
                            Text(line.title).font(.caption).foregroundStyle(.secondary)
                            Text(line.text)
                        }
                        .accessibilityElement(children: .combine)
                    }
                    if let at = profile.card.openingsConfirmedAt {
                        Text("Openings confirmed \(Format.ago(at))").font(.footnote).foregroundStyle(.secondary)
                    }
                    if let vcard = model.vcard {
                        ShareLink(item: vcard, preview: SharePreview("\(profile.name)'s card")) {
                            Label("Share as a vCard", systemImage: "person.crop.rectangle")
                        }
                    }
                }
            }
        }
        .navigationTitle(model.profile.map { ProfileFormat.nameLine($0) } ?? "Card")
        // Loads when shown and again whenever the practice's document (where cards live) changes.
        .task(id: session.version(of: .workspace)) { @MainActor in
            await model.refresh()
        }
    }
}
