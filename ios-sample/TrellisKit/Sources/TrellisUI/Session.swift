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

/// What opening the store finds, read off the main actor.
private struct Opened: Sendable {
    let store: TrellisStore
    let region: TrellisStore
    let lastSyncAt: String?
    let hasPractice: Bool
}

/// The app's one open store, the sync state for the status line, a counter per kind of data
/// that screens watch to reload, and the background sync (started while the app is active).
@MainActor
@Observable
public final class TrellisSession {
    /// The store. The models call it through `offMain` (its synchronous calls block) or await
    /// its async calls; nothing on the main actor waits for it.
    public let store: TrellisStore
    /// The same file acting on regions (`TrellisStore.openRegion`): the Exchange screen's.
    public let region: TrellisStore
    /// The latest sync state.
    public private(set) var syncState: SyncState
    /// Bumped for each kind of data that changed: a view reloads with `.task(id:)`.
    public private(set) var version: [ChangeKind: Int] = [:]
    /// Whether this phone is in a practice it holds the keys of (read when the store opens and
    /// after each change to the practice). A join still waiting for a colleague's device to let
    /// this phone in is not yet: the join screen shows the wait.
    public private(set) var hasPractice: Bool

    @ObservationIgnored private var subscription: SubscriptionHandle?
    @ObservationIgnored private var live: LiveSyncHandle?
    /// Whether live sync should run: it is asked for and dropped faster than it starts.
    @ObservationIgnored private var wantsLive = false
    @ObservationIgnored private var startingLive = false
    @ObservationIgnored private var practiceLoads = LoadCounter()

    private init(_ opened: Opened) {
        store = opened.store
        region = opened.region
        syncState = .idle(lastSyncAt: opened.lastSyncAt)
        hasPractice = opened.hasPractice
    }

    /// Opens (or creates) the store in `directory` (created if missing), kept out of iCloud
    /// and Finder backups: the store holds this device's key and relay token and the practice's
    /// keys, so a restored copy would be a clone of this device. A new phone joins with an
    /// invite instead and gets the data by sync. The folder, the database and its migrations
    /// are all handled off the main actor.
    public static func open(directory: URL) async throws -> TrellisSession {
        let opened = try await offMain { () -> Opened in
            var dir = directory
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            try dir.setResourceValues(values)
            let path = dir.appendingPathComponent("store.sqlite3").path
            let store = try TrellisStore.open(path: path)
            let region: TrellisStore
            do {
                region = try TrellisStore.openRegion(path: path)
            } catch {
                store.close()
                throw error
            }
            return Opened(
                store: store,
                region: region,
                lastSyncAt: try? store.status().lastSyncAt,
                hasPractice: Self.inPractice((try? store.workspaces()) ?? [])
            )
        }
        let session = TrellisSession(opened)
        do {
            try await session.listen()
        } catch {
            await session.close()
            throw error
        }
        return session
    }

    /// Subscribes to the store's events: data changes bump `version` (and recheck
    /// `hasPractice` when the practice changed), sync states update `syncState`.
    private func listen() async throws {
        // Weak at both levels: the store holds the bridge until the subscription closes.
        let bridge = ListenerBridge(
            onChange: { [weak self] change in
                Task { @MainActor [weak self] in
                    guard let self else { return }
                    for kind in change.kinds { self.version[kind, default: 0] += 1 }
                    if change.kinds.contains(.workspace) { await self.refreshPractice() }
                }
            },
            onSync: { [weak self] state in
                Task { @MainActor [weak self] in self?.syncState = state }
            }
        )
        subscription = try await offMain { [store] in try store.subscribe(listener: bridge) }
    }

    private func refreshPractice() async {
        let load = practiceLoads.start()
        let inPractice = (try? await offMain { [store] in Self.inPractice(try store.workspaces()) }) ?? hasPractice
        if practiceLoads.isLatest(load) { hasPractice = inPractice }
    }

    /// Whether `workspaces` (the store's list) puts this phone in a practice it holds the keys
    /// of: some practice, and the current one not a join still waiting for them.
    private nonisolated static func inPractice(_ workspaces: [WorkspaceInfo]) -> Bool {
        !workspaces.isEmpty && !workspaces.contains { $0.current && $0.awaitingKeys }
    }

    /// A number that moves whenever one of `kinds` changes.
    public func version(of kinds: ChangeKind...) -> Int {
        kinds.reduce(0) { $0 + (version[$1] ?? 0) }
    }

    /// Starts background sync (the app became active); harmless when running or starting.
    /// The store starts it off the main actor; a stop asked for meanwhile wins.
    public func startLiveSync() {
        wantsLive = true
        guard live == nil, !startingLive else { return }
        startingLive = true
        Task {
            let handle = try? await offMain { [store] in try store.startLiveSync() }
            startingLive = false
            if wantsLive, live == nil {
                live = handle
            } else {
                handle?.close()
            }
        }
    }

    /// Stops background sync (the app went to the background). Closing the handle only
    /// signals the sync task to end, so it is done here; a sync under way finishes first.
    public func stopLiveSync() {
        wantsLive = false
        live?.close()
        live = nil
    }

    /// Syncs now (the status line was tapped); the listener reports how it went.
    public func syncNow() async {
        _ = try? await store.sync()
    }

    /// Stops sync and events and closes the store (releasing the database off the main actor).
    public func close() async {
        stopLiveSync()
        subscription?.close()
        subscription = nil
        _ = try? await offMain { [store, region] in
            region.close()
            store.close()
        }
    }
}
