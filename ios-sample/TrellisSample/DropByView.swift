import CoreLocation
import SwiftUI
import TrellisCore
import TrellisUI

/// Log a drop-by on one screen: a nearby place (or search, or add a new one), who you met (or
/// add them), minutes, a note, leave-behinds, save. Saving is local and works offline; the
/// thank-you appears at once, and a background run sends the visit once online.
struct DropByView: View {
    let session: TrellisSession
    /// Made in `.task`, on the main actor (see TodayView); "Log another" makes a fresh one.
    @State private var model: DropByModel? = nil

    var body: some View {
        Group {
            if let model {
                DropByForm(model: model) { self.model = DropByModel(store: session.store) }
            } else {
                ProgressView()
            }
        }
        .navigationTitle("Log a drop-by")
        .task { @MainActor in
            if model == nil { model = DropByModel(store: session.store) }
        }
    }
}

/// Kinds of place offered when adding one, most visited first.
private let placeKinds: [OrgKind] = [.school, .clinic, .primaryCare, .placeOfWorship, .communityOrg, .other]

/// How the picker names a kind of place.
private func placeKindLabel(_ kind: OrgKind) -> String {
    switch kind {
    case .school: return "School"
    case .clinic: return "Clinic"
    case .primaryCare: return "Doctor's office"
    case .placeOfWorship: return "Congregation"
    case .communityOrg: return "Community group"
    default: return "Other"
    }
}

private struct DropByForm: View {
    @Bindable var model: DropByModel
    let logAnother: () -> Void
    @State private var placeQuery = ""
    /// Made in `.task` too: OneShotLocation is main-actor isolated.
    @State private var location: OneShotLocation? = nil
    @State private var addingPlace = false
    @State private var newPlace = ""
    @State private var newPlaceKind = OrgKind.school
    @State private var addingPerson = false
    @State private var newPerson = ""
    @State private var newRole = ""

    var body: some View {
        Form {
            if let saved = model.saved {
                Section("Saved on this phone") {
                    Text("\(saved.organization ?? "Visit") · \(Format.minutes(Int(saved.minutes)))")
                    if let t = model.thankYou { Text("\(Format.followUpTitle(t)) · \(Format.due(t.dueAt))") }
                    Text("It syncs when you are online.").foregroundStyle(.secondary)
                    Button("Log another", action: logAnother)
                }
            } else {
                Section("Where were you?") {
                    TextField("Search places", text: $placeQuery)
                        .onSubmit { Task { await model.searchPlaces(placeQuery) } }
                    ForEach(model.places) { choice in
                        let selected = model.place?.id == choice.id
                        Button {
                            Task { await model.pick(choice.organization) }
                        } label: {
                            HStack {
                                Text(choice.organization.name)
                                Spacer()
                                if let d = choice.distance { Text(d).foregroundStyle(.secondary) }
                                if selected { Image(systemName: "checkmark").accessibilityHidden(true) }
                            }
                        }
                        .accessibilityLabel([choice.organization.name, choice.distance].compactMap { $0 }.joined(separator: ", "))
                        .accessibilityAddTraits(selected ? .isSelected : [])
                    }
                    if addingPlace {
                        TextField("Name of the place", text: $newPlace)
                        Picker("Kind of place", selection: $newPlaceKind) {
                            ForEach(placeKinds, id: \.self) { kind in Text(placeKindLabel(kind)).tag(kind) }
                        }
                        HStack {
                            Button("Add place") {
                                Task {
                                    if await model.addPlace(name: newPlace, kind: newPlaceKind) {
                                        addingPlace = false
                                        newPlace = ""
                                    }
                                }
                            }
                            .disabled(newPlace.trimmingCharacters(in: .whitespaces).isEmpty)
                            Spacer()
                            Button("Cancel", role: .cancel) { addingPlace = false }
                        }
                        .buttonStyle(.borderless)
                    } else {
                        Button("A new place? Add it") {
                            newPlace = placeQuery
                            addingPlace = true
                        }
                    }
                }
                if model.place != nil {
                    Section("Who did you meet?") {
                        ForEach(model.people, id: \.id) { p in
                            Toggle(p.name, isOn: Binding(
                                get: { model.met.contains(p.id) },
                                set: { on in if on { model.met.insert(p.id) } else { model.met.remove(p.id) } }
                            ))
                            .accessibilityHint(p.role ?? "")
                        }
                        if addingPerson {
                            TextField("Their name", text: $newPerson)
                            TextField("Role (e.g. School counselor)", text: $newRole)
                            HStack {
                                Button("Add person") {
                                    Task {
                                        if await model.addPerson(name: newPerson, role: newRole) {
                                            addingPerson = false
                                            newPerson = ""
                                            newRole = ""
                                        }
                                    }
                                }
                                .disabled(newPerson.trimmingCharacters(in: .whitespaces).isEmpty)
                                Spacer()
                                Button("Cancel", role: .cancel) { addingPerson = false }
                            }
                            .buttonStyle(.borderless)
                        } else {
                            Button("Met someone new? Add them") { addingPerson = true }
                        }
                    }
                }
                Section("Minutes") {
                    Picker("Minutes", selection: $model.minutes) {
                        ForEach([10, 15, 20, 30, 45, 60], id: \.self) { Text("\($0)").tag($0).accessibilityLabel("\($0) minutes") }
                    }
                    .pickerStyle(.segmented)
                    .accessibilityLabel("Minutes spent")
                }
                Section {
                    TextField("Note", text: $model.note, axis: .vertical)
                } footer: {
                    Text(model.noteHint)
                }
                if !model.stock.isEmpty {
                    Section("Left behind") {
                        ForEach(model.stock, id: \.item) { item in
                            Stepper(
                                "\(item.name): \(model.leftBehind[item.item] ?? 0) (\(item.stock) left)",
                                value: Binding(
                                    get: { model.leftBehind[item.item] ?? 0 },
                                    set: { model.leftBehind[item.item] = $0 }
                                ),
                                in: 0...99
                            )
                            .accessibilityLabel("\(item.name) left behind")
                            .accessibilityValue("\(model.leftBehind[item.item] ?? 0), \(item.stock) in stock")
                        }
                    }
                }
                if let problem = model.problem { Text(problem).foregroundStyle(.red) }
                Button("Save drop-by") { Task { await model.save() } }.disabled(!model.canSave)
            }
        }
        // Again for each new model ("Log another"): the stock, then the places nearby.
        .task(id: ObjectIdentifier(model)) { @MainActor in
            await model.loadStock()
            let finder = location ?? OneShotLocation()
            location = finder
            if let here = await finder.current() {
                await model.showNearby(lat: here.latitude, lon: here.longitude)
            }
        }
    }
}

/// Asks once for the phone's location (when-in-use permission), for "nearby places".
@MainActor
final class OneShotLocation: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private var waiting: CheckedContinuation<CLLocationCoordinate2D?, Never>?

    func current() async -> CLLocationCoordinate2D? {
        if let known = manager.location { return known.coordinate }
        return await withCheckedContinuation { continuation in
            waiting = continuation
            manager.delegate = self
            manager.desiredAccuracy = kCLLocationAccuracyHundredMeters
            manager.requestWhenInUseAuthorization()
            manager.requestLocation()
        }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let coordinate = locations.last?.coordinate
        Task { @MainActor in self.finish(coordinate) }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        Task { @MainActor in self.finish(nil) }
    }

    private func finish(_ coordinate: CLLocationCoordinate2D?) {
        waiting?.resume(returning: coordinate)
        waiting = nil
    }
}
