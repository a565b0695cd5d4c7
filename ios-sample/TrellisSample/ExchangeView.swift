import SwiftUI
import TrellisCore
import TrellisUI

/// The regional referral exchange: the current region's needs (those that fit my card first,
/// "fits you"), a short form to post one (facets only; the core refuses a text that names
/// anyone), Yes / Waitlist / No on a colleague's open post, and on mine its replies and
/// "Connected with …" to close it (recorded in the practice as a referral sent).
struct ExchangeView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: ExchangeModel? = nil

    var body: some View {
        Group {
            if let model { ExchangeContent(model: model) } else { ProgressView() }
        }
        .task { @MainActor in
            if model == nil { model = ExchangeModel(store: session.store, region: session.region) }
            await model?.refresh()
        }
    }
}

private struct ExchangeContent: View {
    let model: ExchangeModel
    @State private var ageBand = AgeBand.adult
    @State private var specialty = Specialty.anxiety
    @State private var urgency = Urgency.routine
    @State private var text = ""
    @State private var connectedWith = ""

    var body: some View {
        Form {
            Section(model.regionName.map { "Exchange · \($0)" } ?? "Exchange") {
                if model.regionName == nil {
                    Text("This phone is in no region yet: a colleague invites you to one.")
                }
                Button("Sync region") { Task { await model.sync() } }
                if model.recorded > 0 { Text("Recorded \(model.recorded) referral(s) in your practice.") }
                if let problem = model.problem { Text(problem).foregroundStyle(.red) }
            }
            Section("Post a need") {
                Picker("Age", selection: $ageBand) {
                    ForEach(ProfileFormat.choices.ageBands, id: \.self) { Text(ProfileFormat.label($0)).tag($0) }
                }
                Picker("About", selection: $specialty) {
                    ForEach(ProfileFormat.choices.specialties, id: \.self) { Text(ProfileFormat.label($0)).tag($0) }
                }
                Picker("How soon", selection: $urgency) {
                    Text("Routine").tag(Urgency.routine)
                    Text("Soon").tag(Urgency.soon)
                    Text("Urgent").tag(Urgency.urgent)
                }
                TextField("A short text (no names, dates or numbers)", text: $text)
                Button("Post") {
                    let need = Need(
                        service: .individual, ageBand: ageBand, specialties: [specialty], modalities: [],
                        payer: nil, zip3: nil, telehealth: nil, language: nil, when: nil,
                        urgency: urgency, text: text.isEmpty ? nil : text
                    )
                    Task { if await model.post(need) { text = "" } }
                }
                .disabled(model.regionName == nil)
            }
            Section("Needs in the region") {
                ForEach(model.posts, id: \.id) { post in
                    VStack(alignment: .leading, spacing: 4) {
                        Text(ExchangeModel.headline(post))
                        Text([post.author, post.status, post.notice, post.need.text].compactMap { $0 }.joined(separator: " · "))
                            .font(.caption).foregroundStyle(.secondary)
                        if post.status == "open" && !post.mine {
                            HStack {
                                Button("Yes") { Task { _ = await model.reply(to: post.id, fit: .yes, note: nil) } }
                                Button("Waitlist") { Task { _ = await model.reply(to: post.id, fit: .waitlist, note: nil) } }
                                Button("Not a fit") { Task { _ = await model.reply(to: post.id, fit: .no, note: nil) } }
                            }
                            .buttonStyle(.borderless)
                        }
                        if post.mine {
                            Button("Replies (\(post.replies))") { Task { await model.openReplies(post.id) } }
                                .buttonStyle(.borderless)
                            if let open = model.replies, open.post == post.id {
                                ForEach(open.replies, id: \.memberId) { reply in
                                    Button(ExchangeModel.line(reply)) { connectedWith = reply.member }
                                        .buttonStyle(.borderless)
                                }
                                if post.status == "open" {
                                    TextField("Connected with", text: $connectedWith)
                                    Button("Close as connected") {
                                        Task { _ = await model.close(post.id, outcome: .connected, with: connectedWith) }
                                    }
                                    .disabled(connectedWith.isEmpty)
                                }
                            }
                        }
                    }
                }
            }
        }
        .navigationTitle("Exchange")
    }
}
