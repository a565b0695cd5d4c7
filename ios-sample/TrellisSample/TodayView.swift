import SwiftUI
import TrellisCore
import TrellisUI

/// Today: follow-ups due, and this week's networking minutes against the goal.
struct TodayView: View {
    let session: TrellisSession
    @State private var model: TodayModel

    init(session: TrellisSession) {
        self.session = session
        _model = State(initialValue: TodayModel(store: session.store))
    }

    var body: some View {
        List {
            Section {
                VStack(alignment: .leading, spacing: 8) {
                    Text("Networking this week").font(.headline)
                    ProgressView(value: model.progress)
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
        .toolbar { ToolbarItem(placement: .bottomBar) { SyncStatusView(session: session) } }
        .onAppear { model.refresh() }
        .onChange(of: session.version(of: .followUps, .activities, .workspace)) { model.refresh() }
    }

    private func row(_ f: FollowUp) -> some View {
        HStack {
            VStack(alignment: .leading) {
                Text(Format.followUpTitle(f))
                Text([Format.due(f.dueAt), f.note].compactMap { $0 }.joined(separator: " · "))
                    .font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            Button("Done") { model.complete(f) }.buttonStyle(.borderless)
        }
    }
}
