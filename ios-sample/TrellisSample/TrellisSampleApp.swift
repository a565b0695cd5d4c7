import BackgroundTasks
import SwiftUI
import TrellisCore
import TrellisUI

/// The app: one store for the process, live sync while the app is active, a background run
/// scheduled when it leaves with changes still waiting; join or start a practice first, then
/// the tabs.
@main
struct TrellisSampleApp: App {
    @Environment(\.scenePhase) private var phase
    /// Opened in `.task`, on the main actor (`TrellisSession` is main-actor isolated, and a
    /// view's or app's stored-property initializer is not).
    @State private var session: Result<TrellisSession, Error>? = nil

    var body: some Scene {
        WindowGroup {
            Group {
                switch session {
                case .success(let session):
                    RootView(session: session)
                        .onChange(of: phase, initial: true) { _, now in
                            switch now {
                            case .active: session.startLiveSync()
                            case .background:
                                session.stopLiveSync()
                                Task { await AppStore.scheduleIfWaiting() }
                            default: break
                            }
                        }
                case .failure:
                    Text("The store could not be opened.")
                case nil:
                    ProgressView()
                }
            }
            .task { @MainActor in
                if session == nil { session = await AppStore.session() }
            }
        }
        // iOS wakes the app for the refresh task scheduled by AppStore (Info.plist lists its
        // identifier under BGTaskSchedulerPermittedIdentifiers).
        .backgroundTask(.appRefresh(AppStore.refreshTask)) {
            await AppStore.backgroundRun()
        }
    }
}

/// The process's one store, opened the first time the UI or a background run needs it, and
/// the background-sync scheduling. What to schedule and when is `SyncPolicy` (TrellisUI);
/// this only hands its decisions to BGTaskScheduler.
@MainActor
enum AppStore {
    static let refreshTask = "org.trellis.sample.sync"
    private static let attemptKey = "backgroundSyncAttempt"
    /// The one opening of the store: the UI and a background run that ask at the same time
    /// share it (two opens of the same database would be two stores).
    private static var opening: Task<TrellisSession, Error>?

    /// The session; the store lives in Application Support/trellis, out of backups, and is
    /// opened off the main actor.
    static func session() async -> Result<TrellisSession, Error> {
        let task: Task<TrellisSession, Error>
        if let opening {
            task = opening
        } else {
            task = Task {
                let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
                    .appendingPathComponent("trellis", isDirectory: true)
                return try await TrellisSession.open(directory: dir)
            }
            opening = task
        }
        return await task.result
    }

    /// Asks iOS for a background run, not before `delay` seconds, if changes wait for a relay.
    static func scheduleIfWaiting(after delay: TimeInterval = 0) async {
        guard case .success(let opened) = await session(), await SyncPolicy.needsRun(opened.store) else { return }
        let request = BGAppRefreshTaskRequest(identifier: refreshTask)
        request.earliestBeginDate = Date(timeIntervalSinceNow: delay)
        try? BGTaskScheduler.shared.submit(request)
    }

    /// One background run: sync, then what SyncPolicy decides (done, retry later, stop).
    static func backgroundRun() async {
        guard case .success(let opened) = await session() else { return }
        let attempt = UserDefaults.standard.integer(forKey: attemptKey)
        let outcome = await SyncPolicy.attempt(opened.store)
        switch SyncPolicy.afterAttempt(outcome, attempt: attempt) {
        case .done, .stop:
            UserDefaults.standard.set(0, forKey: attemptKey)
        case .retry(let after):
            UserDefaults.standard.set(attempt + 1, forKey: attemptKey)
            await scheduleIfWaiting(after: after)
        }
    }
}

/// Join or start a practice first if this phone is in none (or still waits to be let into the
/// one it joined: the join screen shows the wait), then the tabs.
struct RootView: View {
    let session: TrellisSession
    @State private var inPractice = false

    var body: some View {
        if inPractice || session.hasPractice {
            TabView {
                NavigationStack { TodayView(session: session) }
                    .tabItem { Label("Today", systemImage: "sun.max") }
                NavigationStack { ContactsView(session: session) }
                    .tabItem { Label("Contacts", systemImage: "person.2") }
                NavigationStack { DropByView(session: session) }
                    .tabItem { Label("Log a drop-by", systemImage: "plus.circle") }
                NavigationStack { ReferralsView(session: session) }
                    .tabItem { Label("Referrals", systemImage: "arrow.left.arrow.right") }
                NavigationStack { ExchangeView(session: session) }
                    .tabItem { Label("Exchange", systemImage: "globe") }
            }
        } else {
            WelcomeView(session: session) { inPractice = true }
        }
    }
}

/// The sync status line; tap to sync now.
struct SyncStatusView: View {
    let session: TrellisSession

    var body: some View {
        Button(Format.syncLine(session.syncState)) { Task { await session.syncNow() } }
            .font(.footnote)
            .foregroundStyle(.secondary)
            .accessibilityLabel("Sync status: \(Format.syncLine(session.syncState))")
            .accessibilityHint("Syncs now")
    }
}
