package org.trellis.sample.screens

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.LocationManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import java.time.LocalDate
import java.time.ZoneId
import org.trellis.sample.ui.DropByModel
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.TrellisSession

private val minutePresets = listOf(10, 15, 20, 30, 45, 60)

/**
 * Log a drop-by on one screen, in a school corridor: pick a nearby place (or search), tick who
 * you met, minutes, a note, what you left behind, save. Saving is local and works offline; the
 * thank-you follow-up appears at once and background sync sends the visit when it can.
 */
@Composable
fun DropByScreen(session: TrellisSession, onDone: () -> Unit) {
    val model = remember(session) { DropByModel(session.store) }
    val state by model.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) lastLocation(context)?.let { (lat, lon) -> model.showNearby(lat, lon) }
    }
    LaunchedEffect(Unit) {
        if (ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_COARSE_LOCATION) ==
            PackageManager.PERMISSION_GRANTED
        ) {
            lastLocation(context)?.let { (lat, lon) -> model.showNearby(lat, lon) }
        } else {
            askLocation.launch(Manifest.permission.ACCESS_COARSE_LOCATION)
        }
    }

    val saved = state.saved
    if (saved != null) {
        val zone = ZoneId.systemDefault()
        Card(Modifier.fillMaxWidth()) {
            Text("Saved on this phone. It syncs when you are online.", Modifier.fillMaxWidth())
            state.thankYou?.let {
                Text("${Format.followUpTitle(it)} · ${Format.due(it.dueAt, LocalDate.now(zone), zone)}")
            }
            TextButton(onClick = onDone) { Text("Done") }
        }
        return
    }

    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Text("Where were you?", style = MaterialTheme.typography.titleMedium) }
        item {
            OutlinedTextField(
                value = state.placeQuery,
                onValueChange = model::searchPlaces,
                label = { Text("Search places") },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
        }
        items(state.places, key = { it.organization.id }) { choice ->
            ListItem(
                headlineContent = { Text(choice.organization.name) },
                supportingContent = { choice.distance?.let { Text(it) } },
                leadingContent = {
                    RadioButton(selected = state.place?.id == choice.organization.id, onClick = { model.pick(choice.organization) })
                },
            )
        }
        if (state.people.isNotEmpty()) item { Text("Who did you meet?", style = MaterialTheme.typography.titleMedium) }
        items(state.people, key = { it.id }) { person ->
            ListItem(
                headlineContent = { Text(person.name) },
                supportingContent = { person.role?.let { Text(it) } },
                leadingContent = { Checkbox(checked = person.id in state.met, onCheckedChange = { model.toggleMet(person.id) }) },
            )
        }
        item { Text("Minutes", style = MaterialTheme.typography.titleMedium) }
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                minutePresets.forEach { m ->
                    FilterChip(selected = state.minutes == m, onClick = { model.setMinutes(m) }, label = { Text("$m") })
                }
            }
        }
        item {
            OutlinedTextField(
                value = state.note,
                onValueChange = model::setNote,
                label = { Text("Note") },
                supportingText = { Text(model.noteHint) },
                modifier = Modifier.fillMaxWidth(),
            )
        }
        if (state.stock.isNotEmpty()) item { Text("Left behind", style = MaterialTheme.typography.titleMedium) }
        items(state.stock, key = { it.item }) { item ->
            val qty = state.leftBehind[item.item] ?: 0
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text("${item.name} (${item.stock} left)", Modifier.weight(1f))
                TextButton(onClick = { model.setLeftBehind(item.item, qty - 1) }) { Text("−") }
                Text("$qty")
                TextButton(onClick = { model.setLeftBehind(item.item, qty + 1) }) { Text("+") }
            }
        }
        state.problem?.let { item { Text(it, color = MaterialTheme.colorScheme.error) } }
        item {
            Button(onClick = model::save, enabled = state.canSave, modifier = Modifier.fillMaxWidth()) {
                Text("Save drop-by")
            }
        }
    }
}

/** The last known coarse location, if the permission was granted and one is known. */
@SuppressLint("MissingPermission") // checked by the callers
private fun lastLocation(context: Context): Pair<Double, Double>? {
    val manager = context.getSystemService(LocationManager::class.java) ?: return null
    val location = manager.getProviders(true)
        .mapNotNull { runCatching { manager.getLastKnownLocation(it) }.getOrNull() }
        .maxByOrNull { it.time } ?: return null
    return location.latitude to location.longitude
}
