package org.trellis.sample

import android.app.Application
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import org.trellis.sample.ui.TrellisSession

/**
 * Owns the one open store for the whole process. Background sync runs while the app is in the
 * foreground (the process lifecycle's start/stop) and stops when it leaves it; the store stays
 * open, so saving a drop-by never waits for the network.
 */
class TrellisApplication : Application() {
    lateinit var session: TrellisSession
        private set

    override fun onCreate() {
        super.onCreate()
        session = TrellisSession.open(filesDir.resolve("trellis/store.sqlite3").path)
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) = session.startLiveSync()
            override fun onStop(owner: LifecycleOwner) = session.stopLiveSync()
        })
    }
}
