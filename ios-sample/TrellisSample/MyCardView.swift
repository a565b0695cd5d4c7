import SwiftUI
import TrellisCore
import TrellisUI

/// My profile card, what colleagues (and, as a vCard, referral sources) read: whether I am
/// taking new clients, what I treat, whom I see and the ages, how I work, insurance panels and
/// self-pay fees, languages, where (a 3-digit ZIP and the states I offer telehealth in),
/// credentials and my pitch. Each closed list opens a list of checkmarks. When my openings were
/// last confirmed more than 30 days ago (or never), the form opens with the nudge "Are you
/// still taking new clients?" and a button per answer, which confirms at once. Saving is local;
/// colleagues see the card after the next sync. A refused card (a ZIP that is not 3 digits, a
/// pitch too long) stores nothing and keeps what was typed, with the reason.
struct MyCardView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView).
    @State private var model: MyCardModel? = nil

    var body: some View {
        Group {
            if let model { MyCardContent(session: session, model: model) } else { ProgressView() }
        }
        .navigationTitle("My card")
        .task { @MainActor in
            if model == nil { model = MyCardModel(store: session.store) }
        }
    }
}

/// Main-actor isolated as a whole: its helper properties (the nudge, the openings picker and
/// its binding) read the model, not only `body`.
@MainActor
private struct MyCardContent: View {
    let session: TrellisSession
    @Bindable var model: MyCardModel

    var body: some View {
        Form {
            if model.nudge { nudge }
            if let notice = model.notice { Text(notice) }
            Section("Taking new clients?") { openingsPicker }
            Section("What you do") {
                MultiPick(title: "Treats", all: model.choices.specialties, selection: $model.draft.specialties) {
                    ProfileFormat.label($0)
                }
                MultiPick(title: "Sees", all: model.choices.populations, selection: $model.draft.populations) {
                    ProfileFormat.label($0)
                }
                MultiPick(title: "Ages", all: model.choices.ageBands, selection: $model.draft.ageBands) {
                    ProfileFormat.label($0)
                }
                MultiPick(title: "Works with", all: model.choices.modalities, selection: $model.draft.modalities) {
                    ProfileFormat.label($0)
                }
                // The core lists languages by code; the list reads better by name.
                MultiPick(
                    title: "Languages",
                    all: model.choices.languages.sorted { ProfileFormat.label($0) < ProfileFormat.label($1) },
                    selection: $model.draft.languages
                ) { ProfileFormat.label($0) }
                MultiPick(title: "Credentials", all: model.choices.credentials, selection: $model.draft.credentials) {
                    ProfileFormat.label($0)
                }
            }
            Section {
                MultiPick(title: "Insurance panels", all: model.choices.panels, selection: $model.draft.panels) {
                    ProfileFormat.label($0)
                }
                HStack {
                    TextField("Lowest fee, $", text: $model.draft.feeMin).keyboardType(.numberPad)
                    TextField("Highest fee, $", text: $model.draft.feeMax).keyboardType(.numberPad)
                }
            } header: {
                Text("Payment")
            } footer: {
                Text("Self-pay fees in whole dollars a session; both empty: no self-pay.")
            }
            Section {
                TextField("First 3 digits of the ZIP code", text: $model.draft.zip3)
                    .keyboardType(.numberPad)
                    .onChange(of: model.draft.zip3) { _, typed in
                        if typed.count > 3 { model.draft.zip3 = String(typed.prefix(3)) }
                    }
                MultiPick(title: "Telehealth in", all: model.choices.usStates, selection: $model.draft.telehealth) { $0 }
            } header: {
                Text("Where")
            } footer: {
                Text("Never more than 3 digits: the card names an area, not an address. Empty: no office.")
            }
            Section {
                TextField("A few sentences for a referral source", text: $model.draft.pitch, axis: .vertical)
                    .lineLimit(3...8)
            } header: {
                Text("Your pitch")
            } footer: {
                Text("About what you offer; no client names or details.")
            }
            if let problem = model.problem {
                Text(problem).foregroundStyle(.red)
            }
            Section {
                Button("Save my card") { Task { _ = await model.save() } }
                    .disabled(!model.edited || model.saving)
                Button("Discard changes", role: .destructive) { model.discard() }
                    .disabled(!model.edited)
            }
        }
        // Loads when shown and again whenever the practice's document (where cards live) changes.
        .task(id: session.version(of: .workspace)) { @MainActor in
            await model.load()
        }
    }

    /// "Are you still taking new clients?" with one button per answer: the current one ("Still
    /// true"), taking new clients, not taking any. A different waitlist is picked below and saved.
    private var nudge: some View {
        let current = model.profile?.card.openings
        return Section {
            Text(ProfileFormat.nudge).font(.headline)
            if let current {
                Text("Your card says: \(ProfileFormat.openings(current)).")
                Button("Still true") { Task { _ = await model.confirmOpenings(current) } }
            }
            if current != .accepting {
                Button("Yes, taking new clients") { Task { _ = await model.confirmOpenings(.accepting) } }
            }
            if current != .full {
                Button("No, not taking new clients") { Task { _ = await model.confirmOpenings(.full) } }
            }
        } footer: {
            Text("On a waitlist? Pick it below, with the weeks, and save.")
        }
    }

    /// Taking new clients, a waitlist of about N weeks (with a stepper), or full.
    @ViewBuilder
    private var openingsPicker: some View {
        Picker("Openings", selection: openingsKind) {
            // The core keeps openings once said; "not said yet" is only there until then.
            if model.profile?.card.openings == nil { Text("Not said yet").tag(OpeningsKind.unsaid) }
            Text("Taking new clients").tag(OpeningsKind.accepting)
            Text("Waitlist").tag(OpeningsKind.waitlist)
            Text("Not taking new clients").tag(OpeningsKind.full)
        }
        .pickerStyle(.inline)
        .labelsHidden()
        if case .waitlist(let weeks)? = model.draft.openings {
            // 1 to 104 weeks: what the core takes for a waitlist.
            Stepper(
                ProfileFormat.openings(.waitlist(weeks: weeks)),
                value: Binding(
                    get: { Int(weeks) },
                    set: { model.draft.openings = .waitlist(weeks: UInt32($0)) }
                ),
                in: 1...104
            )
        }
    }

    /// The picker's choice, mapped onto the draft's openings (a waitlist starts at 4 weeks).
    private var openingsKind: Binding<OpeningsKind> {
        Binding(
            get: {
                switch model.draft.openings {
                case nil: return .unsaid
                case .accepting?: return .accepting
                case .waitlist(_)?: return .waitlist
                case .full?: return .full
                }
            },
            set: { kind in
                switch kind {
                case .unsaid: model.draft.openings = nil
                case .accepting: model.draft.openings = .accepting
                case .waitlist:
                    if case .waitlist(_)? = model.draft.openings { return }
                    model.draft.openings = .waitlist(weeks: 4)
                case .full: model.draft.openings = .full
                }
            }
        )
    }
}

/// The openings picker's rows.
private enum OpeningsKind: Hashable {
    case unsaid, accepting, waitlist, full
}

/// A closed list as a row that opens a list of checkmarks; the row shows what is ticked.
struct MultiPick<T: Hashable>: View {
    let title: String
    let all: [T]
    @Binding var selection: Set<T>
    let label: (T) -> String

    var body: some View {
        NavigationLink {
            List(all, id: \.self) { value in
                let on = selection.contains(value)
                Button {
                    selection = selection.toggled(value)
                } label: {
                    HStack {
                        Text(label(value))
                        Spacer()
                        if on { Image(systemName: "checkmark").foregroundStyle(.tint) }
                    }
                }
                .foregroundStyle(.primary)
                .accessibilityAddTraits(on ? .isSelected : [])
            }
            .navigationTitle(title)
        } label: {
            LabeledContent(title, value: summary)
        }
    }

    /// "Anxiety, ADHD", or "None".
    private var summary: String {
        let picked = all.filter { selection.contains($0) }.map(label)
        return picked.isEmpty ? "None" : picked.joined(separator: ", ")
    }
}
