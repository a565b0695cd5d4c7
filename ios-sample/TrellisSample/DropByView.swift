import CoreLocation
import SwiftUI
import TrellisCore
import TrellisUI

/// Log a drop-by on one screen: a nearby place (or search), who you met, minutes, a note,
/// leave-behinds, save. Saving is local and works offline; the thank-you appears at once.
struct DropByView: View {
    let session: TrellisSession
    @State private var model: DropByModel
    @State private var placeQuery = ""
    @State private var location = OneShotLocation()

    init(session: TrellisSession) {
        self.session = session
        _model = State(initialValue: DropByModel(store: session.store))
    }

    var body: some View {
        Form {
            if let saved = model.saved {
                Section("Saved on this phone") {
                    Text("\(saved.organization ?? "Visit") · \(Format.minutes(Int(saved.minutes)))")
                    if let t = model.thankYou { Text("\(Format.followUpTitle(t)) · \(Format.due(t.dueAt))") }
                    Text("It syncs when you are online.").foregroundStyle(.secondary)
                    Button("Log another") { model = DropByModel(store: session.store) }
                }
            } else {
                Section("Where were you?") {
                    TextField("Search places", text: $placeQuery)
                        .onSubmit { model.searchPlaces(placeQuery) }
                    ForEach(model.places) { choice in
                        Button {
                            model.pick(choice.organization)
                        } label: {
                            HStack {
                                Text(choice.organization.name)
                                Spacer()
                                if let d = choice.distance { Text(d).foregroundStyle(.secondary) }
                                if model.place?.id == choice.id { Image(systemName: "checkmark") }
                            }
                        }
                    }
                }
                if !model.people.isEmpty {
                    Section("Who did you meet?") {
                        ForEach(model.people, id: \.id) { p in
                            Toggle(p.name, isOn: Binding(
                                get: { model.met.contains(p.id) },
                                set: { on in if on { model.met.insert(p.id) } else { model.met.remove(p.id) } }
                            ))
                        }
                    }
                }
                Section("Minutes") {
                    Picker("Minutes", selection: $model.minutes) {
                        ForEach([10, 15, 20, 30, 45, 60], id: \.self) { Text("\($0)").tag($0) }
                    }.pickerStyle(.segmented)
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
                        }
                    }
                }
                if let problem = model.problem { Text(problem).foregroundStyle(.red) }
                Button("Save drop-by") { model.save() }.disabled(!model.canSave)
            }
        }
        .navigationTitle("Log a drop-by")
        .task {
            if let here = await location.current() {
                model.showNearby(lat: here.latitude, lon: here.longitude)
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
