import SwiftUI
import TrellisCore
import TrellisUI

/// Contacts by name, with full-text search over names, needs and notes.
struct ContactsView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: ContactsModel? = nil

    var body: some View {
        Group {
            if let model { ContactsContent(session: session, model: model) } else { ProgressView() }
        }
        .task { @MainActor in
            if model == nil { model = ContactsModel(store: session.store) }
        }
    }
}

private struct ContactsContent: View {
    let session: TrellisSession
    @Bindable var model: ContactsModel

    var body: some View {
        List(model.contacts, id: \.id) { c in
            NavigationLink(value: c.id) {
                VStack(alignment: .leading) {
                    Text(c.name)
                    Text([c.role, c.organization].compactMap { $0 }.joined(separator: " · "))
                        .font(.caption).foregroundStyle(.secondary)
                }
            }
        }
        .searchable(text: $model.query, prompt: "Contacts, needs, notes")
        .navigationTitle("Contacts")
        .navigationDestination(for: String.self) { ContactView(session: session, contactId: $0) }
        .task(id: session.version(of: .contacts, .organizations)) { @MainActor in
            await model.refresh()
        }
    }
}

/// What to know before a visit: needs, the pitch for their category, history and notes.
struct ContactView: View {
    let session: TrellisSession
    let contactId: String
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: ContactModel? = nil

    var body: some View {
        Group {
            if let model { ContactContent(session: session, model: model) } else { ProgressView() }
        }
        .task(id: contactId) { @MainActor in
            if model == nil { model = ContactModel(store: session.store, contactId: contactId) }
        }
    }
}

private struct ContactContent: View {
    let session: TrellisSession
    let model: ContactModel
    @State private var note = ""

    var body: some View {
        List {
            if let d = model.detail {
                Section {
                    Text([d.contact.role, d.contact.organization].compactMap { $0 }.joined(separator: " · "))
                    Text("Last touch \(d.daysSinceTouch) days ago")
                }
                if let needs = d.contact.needs { Section("What they need") { Text(needs) } }
                if let help = d.contact.howWeHelp { Section("How we help") { Text(help) } }
                if let pitch = d.pitch { Section("Your pitch") { Text(pitch) } }
                if !d.followups.isEmpty {
                    Section("Open follow-ups") { ForEach(d.followups, id: \.id) { Text(Format.followUpTitle($0)) } }
                }
                Section("History") {
                    ForEach(model.history, id: \.id) { a in
                        Text("\(String(a.at.prefix(10))) · \(a.organization ?? "Visit") · \(Format.minutes(Int(a.minutes)))")
                    }
                }
                Section("Notes") {
                    ForEach(d.notes, id: \.id) { n in
                        VStack(alignment: .leading) {
                            Text(n.text)
                            Text(String(n.at.prefix(10))).font(.caption).foregroundStyle(.secondary)
                        }
                    }
                    TextField("Add a note", text: $note, axis: .vertical)
                    Text(notePrivacyHint()).font(.caption).foregroundStyle(.secondary)
                    Button("Add note") {
                        Task { if await model.addNote(note) { note = "" } }
                    }
                    .disabled(note.isEmpty)
                }
            }
            if let problem = model.problem { Text(problem).foregroundStyle(.red) }
        }
        .navigationTitle(model.detail?.contact.name ?? "")
        .task(id: session.version(of: .contacts, .activities, .followUps)) { @MainActor in
            await model.refresh()
        }
    }
}
