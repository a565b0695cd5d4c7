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
/// QR code with the Camera app and paste what it reads). Once joined, the phone waits for a
/// colleague's device to let it in: "Sync now" looks again, and a background sync that takes
/// the keys ends the wait too. A join the app was closed in the middle of is picked up here.
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
            if let model, case .awaitingKeys = model.phase {
                waiting(model)
            } else {
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
        }
        .task { @MainActor in
            if model == nil {
                let made = JoinModel(store: session.store)
                model = made
                _ = await made.resume()
            }
        }
        .onChange(of: model?.phase) { _, phase in
            if case .joined = phase {
                session.startLiveSync()
                onJoined()
            }
        }
        // Live sync runs while the app is active: one that went through may have taken the keys.
        .onChange(of: session.syncState) { _, state in
            guard case .idle = state, let model else { return }
            Task { await model.recheck() }
        }
    }

    /// Joined, and waiting for a colleague's device (the one that made the invite, or an owner's
    /// or admin's) to let this phone in when it next syncs. No name of anyone here: the
    /// practice's name arrives with its keys.
    @ViewBuilder
    private func waiting(_ model: JoinModel) -> some View {
        Section {
            Text(JoinModel.waitingText)
                .font(.headline)
                .accessibilityAddTraits(.isHeader)
            Text(JoinModel.waitingHint)
            if let problem = model.problem { Text(problem).foregroundStyle(.red) }
            if model.checking {
                ProgressView().accessibilityLabel("Checking whether this phone was let in")
            } else {
                Button("Sync now") { Task { await model.syncNow() } }
            }
        }
    }
}
