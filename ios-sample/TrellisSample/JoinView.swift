import SwiftUI
import TrellisUI

/// Joining a practice: your name and the invite code a colleague sent (paste it).
struct JoinView: View {
    let session: TrellisSession
    let onJoined: () -> Void
    @State private var model: JoinModel
    @State private var name = ""
    @State private var code = ""

    init(session: TrellisSession, onJoined: @escaping () -> Void) {
        self.session = session
        self.onJoined = onJoined
        _model = State(initialValue: JoinModel(store: session.store))
    }

    var body: some View {
        Form {
            Section("Join your practice") {
                TextField("Your name", text: $name)
                TextField("Invite code", text: $code, axis: .vertical)
                PasteButton(payloadType: String.self) { strings in
                    if let first = strings.first { code = first }
                }
            }
            if case .failed(let problem) = model.phase { Text(problem).foregroundStyle(.red) }
            if model.phase == .joining {
                ProgressView()
            } else {
                Button("Join") { Task { await model.join(name: name, code: code) } }
                    .disabled(name.isEmpty || code.isEmpty)
            }
        }
        .onChange(of: model.phase) { _, phase in
            if case .joined = phase {
                session.startLiveSync()
                onJoined()
            }
        }
    }
}
