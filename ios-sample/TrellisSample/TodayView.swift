import SwiftUI
import TrellisCore
import TrellisUI

/// Today: follow-ups due (mine first, then my colleagues'), this week's networking minutes
/// against the goal, inviting a colleague, the members with their fingerprints and cards, and
/// my own card.
struct TodayView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor: `TodayModel` is main-actor isolated and Xcode 15
    /// rejects building it in the view's (nonisolated) initializer.
    @State private var model: TodayModel? = nil

    var body: some View {
        Group {
            if let model { TodayContent(session: session, model: model) } else { ProgressView() }
        }
        .task { @MainActor in
            if model == nil { model = TodayModel(store: session.store) }
        }
    }
}

private struct TodayContent: View {
    let session: TrellisSession
    let model: TodayModel

    var body: some View {
        List {
            Section {
                VStack(alignment: .leading, spacing: 8) {
                    Text("Networking this week").font(.headline)
                    ProgressView(value: model.progress)
                        .accessibilityLabel("Weekly goal")
                        .accessibilityValue(model.weekLine)
                    Text(model.weekLine)
                }
            }
            if let problem = model.problem { Text(problem).foregroundStyle(.red) }
            Section("Due") {
                if model.due.isEmpty { Text("Nothing due. Nice.") }
                ForEach(model.due, id: \.id) { row($0) }
            }
            if !model.upcoming.isEmpty {
                Section("Coming up") { ForEach(model.upcoming, id: \.id) { row($0) } }
            }
        }
        .navigationTitle(model.practice)
        .toolbar {
            ToolbarItem(placement: .bottomBar) { SyncStatusView(session: session) }
            ToolbarItem(placement: .primaryAction) {
                NavigationLink { InviteColleagueView(session: session) } label: {
                    Label("Invite a colleague", systemImage: "person.badge.plus")
                }
            }
            ToolbarItem(placement: .topBarLeading) {
                NavigationLink { MembersView(session: session) } label: {
                    Label("Members and fingerprints", systemImage: "checkmark.shield")
                }
            }
            ToolbarItem(placement: .topBarLeading) {
                NavigationLink { MyCardView(session: session) } label: {
                    Label("My card", systemImage: "person.text.rectangle")
                }
            }
        }
        // Loads when shown and again whenever follow-ups, visits or the practice change.
        .task(id: session.version(of: .followUps, .activities, .workspace)) { @MainActor in
            await model.refresh()
        }
    }

    private func row(_ f: FollowUp) -> some View {
        let title = Format.followUpTitle(f)
        return HStack {
            VStack(alignment: .leading) {
                Text(title)
                // A colleague's follow-up says whose it is: "Sam's · due tomorrow".
                Text([model.owner(f), Format.due(f.dueAt), f.note].compactMap { $0 }.joined(separator: " · "))
                    .font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            Button("Done") { Task { await model.complete(f) } }
                .buttonStyle(.borderless)
                .accessibilityLabel("Mark done: \(title)")
        }
    }
}
