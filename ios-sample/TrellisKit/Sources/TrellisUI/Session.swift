import Foundation
import Observation
import TrellisCore

/// Hands the store's events (delivered on its own thread) to the main actor.
final class ListenerBridge: TrellisListener, @unchecked Sendable {
    // Set once at creation, then only read: safe to share across threads.
    private let onChange: @Sendable (DataChanged) -> Void
    private let onSync: @Sendable (SyncState) -> Void

    init(onChange: @escaping @Sendable (DataChanged) -> Void, onSync: @escaping @Sendable (SyncState) -> Void) {
        self.onChange = onChange
        self.onSync = onSync
    }

    func dataChanged(change: DataChanged) { onChange(change) }
    func syncState(state: SyncState) { onSync(state) }
}

/// The app's one open store, the sync state for the status line, a counter per kind of data
/// that screens watch to reload, and the background sync (started while the app is active).
@MainActor
@Observable
public final class TrellisSession {
    /// The store. Local calls are short reads and writes of the phone's own database, made on
    /// the main actor by the models; network calls (join, sync, invites) are async.
    public let store: TrellisStore
    /// The latest sync state.
    public private(set) var syncState: SyncState
    /// Bumped for each kind of data that changed: a view reloads with `.onChange(of:)`.
    public private(set) var version: [ChangeKind: Int] = [:]

    @ObservationIgnored private var subscription: SubscriptionHandle?
    @ObservationIgnored private var live: LiveSyncHandle?

    /// Opens (or creates) the store in `directory` (created if missing), kept out of iCloud
    /// and Finder backups: the store holds this device's key and relay token and the practice's
    /// keys, so a restored copy would be a clone of this device. A new phone joins with an
    /// invite instead and gets the data by sync.
    public convenience init(directory: URL) throws {
        var dir = directory
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try dir.setResourceValues(values)
        try self.init(path: dir.appendingPathComponent("store.sqlite3").path)
    }

    /// Opens (or creates) the store at `path`.
    public init(path: String) throws {
        store = try TrellisStore.open(path: path)
        syncState = .idle(lastSyncAt: try? store.status().lastSyncAt)
        let bridge = ListenerBridge(
            onChange: { change in
                Task { @MainActor [weak self] in
                    for kind in change.kinds { self?.version[kind, default: 0] += 1 }
                }
            },
            onSync: { state in
                Task { @MainActor [weak self] in self?.syncState = state }
            }
        )
        subscription = try store.subscribe(listener: bridge)
    }

    /// A number that moves whenever one of `kinds` changes.
    public func version(of kinds: ChangeKind...) -> Int {
        kinds.reduce(0) { $0 + (version[$1] ?? 0) }
    }

    /// Whether this phone is in a practice yet.
    public var hasPractice: Bool { !((try? store.workspaces()) ?? []).isEmpty }

    /// Starts background sync (the app became active); harmless when running.
    public func startLiveSync() {
        if live == nil { live = try? store.startLiveSync() }
    }

    /// Stops background sync (the app went to the background).
    public func stopLiveSync() {
        live?.close()
        live = nil
    }

    /// Syncs now (the status line was tapped); the listener reports how it went.
    public func syncNow() async {
        _ = try? await store.sync()
    }

    /// Stops sync and events and closes the store.
    public func close() {
        stopLiveSync()
        subscription?.close()
        subscription = nil
        store.close()
    }
}
