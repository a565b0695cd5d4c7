package org.trellis.sample

import android.app.Application
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.launch
import org.trellis.core.ChangeKind
import org.trellis.sample.ui.SyncPolicy
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.StoreDispatcher

/**
 * Owns the one open store for the whole process. Live sync runs while the app is in the
 * foreground (the process lifecycle's start/stop). When the app leaves the foreground with
 * changes still waiting (a drop-by logged in a basement), or when changes are made while it is
 * in the background, a [SyncWorker] is scheduled: WorkManager runs it once the network is back,
 * without the app being opened. Whether to schedule is `SyncPolicy.shouldSchedule`, in core-ui.
 */
class TrellisApplication : Application() {
    lateinit var session: TrellisSession
        private set

    private val scope = CoroutineScope(SupervisorJob() + StoreDispatcher)

    @Volatile
    private var inForeground = false

    override fun onCreate() {
        super.onCreate()
        session = TrellisSession.open(filesDir.resolve("trellis/store.sqlite3").path)
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) {
                inForeground = true
                session.startLiveSync()
            }

            override fun onStop(owner: LifecycleOwner) {
                inForeground = false
                session.stopLiveSync()
                scheduleIfWaiting()
            }
        })
        // Changes waiting for the relay moved while no live sync runs (e.g. a worker's pull
        // left local changes behind): make sure a run is scheduled.
        scope.launch {
            session.changes.filter { ChangeKind.PENDING in it.kinds }.collect {
                if (!inForeground) scheduleIfWaiting()
            }
        }
        // Work left over from an earlier process (unsent changes and no run scheduled).
        scope.launch { scheduleIfWaiting() }
    }

    private fun scheduleIfWaiting() {
        scope.launch {
            if (SyncPolicy.needsRun(session.store)) SyncWorker.schedule(this@TrellisApplication)
        }
    }
}
