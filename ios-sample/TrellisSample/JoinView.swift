import SwiftUI
import TrellisUI

/// A phone in no practice yet: join one with an invite code, or start one.
struct WelcomeView: View {
    let session: TrellisSession
    let onInPractice: () -> Void
    @State private var starting = false

    var body: some View {
        if starting {
            StartPracticeView(session: session, onCreated: onInPractice) { starting = false }
        } else {
            JoinView(session: session, onJoined: onInPractice) { starting = true }
        }
    }
}

/// Joining a practice: your name and the invite code a colleague sent (paste it, or scan their
/// QR code with the Camera app and paste what it reads).
struct JoinView: View {
    let session: TrellisSession
    let onJoined: () -> Void
    let onStartInstead: () -> Void
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: JoinModel? = nil
    @State private var name = ""
    @State private var code = ""

    var body: some View {
        Form {
            Section("Join your practice") {
                TextField("Your name", text: $name)
                TextField("Invite code", text: $code, axis: .vertical)
                PasteButton(payloadType: String.self) { strings in
                    if let first = strings.first { code = first }
                }
                .accessibilityLabel("Paste invite code")
            }
            if case .failed(let problem) = model?.phase { Text(problem).foregroundStyle(.red) }
            if model?.phase == .joining {
                ProgressView().accessibilityLabel("Joining")
            } else {
                // The join runs in a Task the model's phase outlives: leaving this screen or
                // rotating the phone does not cancel it.
                Button("Join") {
                    guard let model else { return }
                    Task { await model.join(name: name, code: code) }
                }
                .disabled(model == nil || name.isEmpty || code.isEmpty)
            }
            Button("No invite? Start a new practice", action: onStartInstead)
        }
        .task { @MainActor in
            if model == nil { model = JoinModel(store: session.store) }
        }
        .onChange(of: model?.phase) { _, phase in
            if case .joined = phase {
                session.startLiveSync()
                onJoined()
            }
        }
    }
}
