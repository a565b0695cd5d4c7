import SwiftUI
import TrellisUI

/// The app: one store for the process, background sync while the app is active.
@main
struct TrellisSampleApp: App {
    @Environment(\.scenePhase) private var phase
    @State private var session: TrellisSession? = {
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        return try? TrellisSession(path: dir.appendingPathComponent("trellis/store.sqlite3").path)
    }()

    var body: some Scene {
        WindowGroup {
            if let session {
                RootView(session: session)
                    .onChange(of: phase, initial: true) { _, now in
                        if now == .active { session.startLiveSync() } else { session.stopLiveSync() }
                    }
            } else {
                Text("The store could not be opened.")
            }
        }
    }
}

/// Join first if this phone is in no practice, then the tabs.
struct RootView: View {
    let session: TrellisSession
    @State private var joined = false

    var body: some View {
        if joined || session.hasPractice {
            TabView {
                NavigationStack { TodayView(session: session) }
                    .tabItem { Label("Today", systemImage: "sun.max") }
                NavigationStack { ContactsView(session: session) }
                    .tabItem { Label("Contacts", systemImage: "person.2") }
                NavigationStack { DropByView(session: session) }
                    .tabItem { Label("Log a drop-by", systemImage: "plus.circle") }
                NavigationStack { ReferralsView(session: session) }
                    .tabItem { Label("Referrals", systemImage: "arrow.left.arrow.right") }
            }
        } else {
            JoinView(session: session) { joined = true }
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
    }
}
