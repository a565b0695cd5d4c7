package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.DataChanged
import org.trellis.core.LiveSyncHandle
import org.trellis.core.SubscriptionHandle
import org.trellis.core.SyncState
import org.trellis.core.TrellisListener
import org.trellis.core.TrellisStore

/**
 * The app's one open store (and its region store on the same file, for the exchange), with what every screen needs from it: a flow of data changes (to
 * reload) and the sync state (for the status line), both fed by one listener, and the
 * background sync, started while the app is in the foreground.
 *
 * One owner: the application object opens it and closes it. Listener callbacks arrive on the
 * store's event thread; flows hand them to whoever collects (Compose collects on the main
 * thread).
 */
class TrellisSession private constructor(
    val store: TrellisStore,
    /** The same file acting on regions (`TrellisStore.openRegion`): the Exchange screen's. */
    val region: TrellisStore,
) : AutoCloseable {
    private val _changes = MutableSharedFlow<DataChanged>(extraBufferCapacity = 64)
    private val _sync = MutableStateFlow<SyncState>(SyncState.Idle(lastSync()))

    /** Every data change, local or pulled. */
    val changes: SharedFlow<DataChanged> = _changes.asSharedFlow()

    /** The latest sync state. */
    val syncState: StateFlow<SyncState> = _sync.asStateFlow()

    private val subscription: SubscriptionHandle = store.subscribe(object : TrellisListener {
        override fun dataChanged(change: DataChanged) {
            _changes.tryEmit(change)
        }

        override fun syncState(state: SyncState) {
            _sync.value = state
        }
    })

    private var live: LiveSyncHandle? = null

    /** Starts background sync (app in the foreground); harmless when already running. */
    @Synchronized
    fun startLiveSync() {
        if (live == null) live = store.startLiveSync()
    }

    /** Stops background sync (app in the background). */
    @Synchronized
    fun stopLiveSync() {
        live?.close()
        live = null
    }

    /** Whether background sync is running. */
    val isLive: Boolean
        @Synchronized get() = live?.isRunning() == true

    private fun lastSync(): String? = try {
        store.status().lastSyncAt
    } catch (e: org.trellis.core.TrellisException) {
        null
    }

    override fun close() {
        stopLiveSync()
        subscription.close()
        region.close()
        store.close()
    }

    companion object {
        /** Opens (or creates) the store at [path], and its region store. */
        fun open(path: String): TrellisSession {
            val store = TrellisStore.open(path)
            val region = try {
                TrellisStore.openRegion(path)
            } catch (e: org.trellis.core.TrellisException) {
                store.close()
                throw e
            }
            return TrellisSession(store, region)
        }
    }
}
