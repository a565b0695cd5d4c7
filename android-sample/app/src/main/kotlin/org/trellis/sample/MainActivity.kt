package org.trellis.sample

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.material3.MaterialTheme
import org.trellis.sample.screens.TrellisNav

/** The one activity: Compose screens over the application's session. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val session = (application as TrellisApplication).session
        setContent {
            MaterialTheme {
                TrellisNav(session)
            }
        }
    }
}
