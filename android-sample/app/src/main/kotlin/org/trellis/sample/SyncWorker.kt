package org.trellis.sample

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import java.util.concurrent.TimeUnit
import org.trellis.sample.ui.SyncDecision
import org.trellis.sample.ui.SyncPolicy

/**
 * Pushes (and pulls) the practice's changes in the background, once the phone is online. Runs
 * in the app's process with the application's open store. What a result means (done, retry
 * later, stop) is decided by `SyncPolicy.afterAttempt` in core-ui; this class only maps the
 * decision onto WorkManager's results.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val session = (applicationContext as TrellisApplication).session
        val outcome = SyncPolicy.attempt(session.store)
        return when (val decision = SyncPolicy.afterAttempt(outcome, runAttemptCount)) {
            SyncDecision.Done -> Result.success()
            // WorkManager waits FIRST_BACKOFF_SECONDS * 2^attempt (capped at 5 h) and runs it
            // again once the CONNECTED constraint holds: the same delays as SyncPolicy.backoffSeconds.
            is SyncDecision.Retry -> Result.retry()
            is SyncDecision.Stop -> Result.failure(workDataOf(REASON to decision.reason))
        }
    }

    companion object {
        private const val NAME = "trellis-background-sync"
        private const val REASON = "reason"

        /**
         * Schedules one run for when the network is connected. KEEP: a run already waiting or
         * running covers the new changes too (a run that ends with changes left retries).
         */
        fun schedule(context: Context) {
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncPolicy.FIRST_BACKOFF_SECONDS, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(NAME, ExistingWorkPolicy.KEEP, request)
        }
    }
}
