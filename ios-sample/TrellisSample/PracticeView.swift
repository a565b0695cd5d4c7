import CoreImage.CIFilterBuiltins
import SwiftUI
import TrellisCore
import TrellisUI

/// Starting a practice from the phone: your name, the practice's name and, to share it with
/// colleagues, the relay's address and its operator's signup secret. Without a relay the
/// practice stays on this phone.
struct StartPracticeView: View {
    let session: TrellisSession
    let onCreated: () -> Void
    let onBack: () -> Void
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: PracticeModel? = nil
    @State private var yourName = ""
    @State private var practice = ""
    @State private var relayUrl = ""
    @State private var secret = ""

    var body: some View {
        Form {
            Section("Start a practice") {
                TextField("Your name", text: $yourName)
                TextField("Practice name", text: $practice)
            }
            Section {
                TextField("Relay address (optional)", text: $relayUrl)
                    .textInputAutocapitalization(.never)
                    .keyboardType(.URL)
                SecureField("Relay signup secret", text: $secret)
                    .disabled(relayUrl.isEmpty)
            } footer: {
                Text("To invite colleagues, the practice needs a relay.")
            }
            if case .failed(let problem) = model?.phase { Text(problem).foregroundStyle(.red) }
            if model?.phase == .working {
                ProgressView().accessibilityLabel("Creating the practice")
            } else {
                Button("Create practice") {
                    guard let model else { return }
                    Task { await model.create(yourName: yourName, name: practice, relayUrl: relayUrl, signupSecret: secret) }
                }
                .disabled(model == nil || yourName.isEmpty || practice.isEmpty || (!relayUrl.isEmpty && secret.isEmpty))
            }
            Button("I have an invite code", action: onBack)
        }
        .task { @MainActor in
            if model == nil { model = PracticeModel(store: session.store) }
        }
        .onChange(of: model?.phase) { _, phase in
            if case .created = phase {
                session.startLiveSync()
                onCreated()
            }
        }
    }
}

/// Inviting a colleague: a single-use code from the relay, shared with the share sheet or
/// shown as a QR code to scan across the table. The code holds no key: this phone lets the
/// colleague's in at its next sync after the join.
struct InviteColleagueView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: PracticeModel? = nil
    @State private var role = Role.member

    var body: some View {
        Form {
            if case .invite(let code, let practice) = model?.phase {
                Section {
                    if let qr = qrImage(code) {
                        Image(decorative: qr, scale: 1)
                            .interpolation(.none)
                            .resizable()
                            .scaledToFit()
                            .frame(maxWidth: 280)
                            .frame(maxWidth: .infinity)
                            .accessibilityLabel("QR code of the invite to \(practice)")
                    }
                    Text("Single use, for 72 hours. It holds no key: once your colleague joins with it, this phone lets theirs in when it next syncs. Share it only with the colleague it is for; an invite that went astray can be cancelled on Members.")
                    ShareLink("Share invite", item: PracticeModel.shareText(practice: practice, code: code))
                    Button("Make another") { model?.dismiss() }
                }
            } else {
                Section("Invite a colleague") {
                    Picker("Role", selection: $role) {
                        Text("Member").tag(Role.member)
                        Text("Admin (can invite too)").tag(Role.admin)
                    }
                    .pickerStyle(.inline)
                }
                if case .failed(let problem) = model?.phase { Text(problem).foregroundStyle(.red) }
                if model?.phase == .working {
                    ProgressView().accessibilityLabel("Asking the relay for an invite")
                } else {
                    Button("Make an invite code") {
                        guard let model else { return }
                        Task { await model.invite(role: role) }
                    }
                    .disabled(model == nil)
                }
            }
        }
        .navigationTitle("Invite")
        .task { @MainActor in
            if model == nil { model = PracticeModel(store: session.store) }
        }
    }

    /// The code as a QR code (Core Image's generator), 10 points per module.
    private func qrImage(_ text: String) -> CGImage? {
        let filter = CIFilter.qrCodeGenerator()
        filter.message = Data(text.utf8)
        filter.correctionLevel = "M"
        guard let output = filter.outputImage?.transformed(by: CGAffineTransform(scaleX: 10, y: 10)) else { return nil }
        return CIContext().createCGImage(output, from: output.extent)
    }
}
