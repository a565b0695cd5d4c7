package org.trellis.sample.screens

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.LocationManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Remove
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewmodel.compose.viewModel
import java.time.LocalDate
import java.time.ZoneId
import org.trellis.core.OrgKind
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.DropByViewModel

private val minutePresets = listOf(10, 15, 20, 30, 45, 60)

/** Kinds of place offered when adding one, most visited first. */
private val placeKinds = listOf(
    OrgKind.SCHOOL to "School",
    OrgKind.CLINIC to "Clinic",
    OrgKind.PRIMARY_CARE to "Doctor's office",
    OrgKind.PLACE_OF_WORSHIP to "Congregation",
    OrgKind.COMMUNITY_ORG to "Community group",
    OrgKind.OTHER to "Other",
)

/**
 * Log a drop-by on one screen, in a school corridor: pick a nearby place (or search, or add a
 * new one), tick who you met (or add them), minutes, a note, what you left behind, save. Saving
 * is local and works offline; the thank-you follow-up appears at once and sync sends the visit
 * when it can (in the background once the network is back, if the app was closed). The form
 * lives in a view model with saved state: turning the phone keeps what was entered.
 */
@Composable
fun DropByScreen(session: TrellisSession, onDone: () -> Unit) {
    val vm: DropByViewModel = viewModel { DropByViewModel(session, createSavedStateHandle()) }
    val state by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) lastLocation(context)?.let { (lat, lon) -> vm.showNearby(lat, lon) }
    }
    LaunchedEffect(Unit) {
        if (ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_COARSE_LOCATION) ==
            PackageManager.PERMISSION_GRANTED
        ) {
            lastLocation(context)?.let { (lat, lon) -> vm.showNearby(lat, lon) }
        } else {
            askLocation.launch(Manifest.permission.ACCESS_COARSE_LOCATION)
        }
    }
    // The small "add" forms: plain saveable text, kept across rotation with the rest.
    var newPlace by rememberSaveable { mutableStateOf("") }
    var newPlaceKind by rememberSaveable { mutableStateOf(OrgKind.SCHOOL) }
    var addingPlace by rememberSaveable { mutableStateOf(false) }
    var newPerson by rememberSaveable { mutableStateOf("") }
    var newRole by rememberSaveable { mutableStateOf("") }
    var addingPerson by rememberSaveable { mutableStateOf(false) }

    val saved = state.saved
    if (saved != null) {
        val zone = ZoneId.systemDefault()
        Card(Modifier.fillMaxWidth().padding(16.dp).semantics(mergeDescendants = true) { liveRegion = LiveRegionMode.Polite }) {
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text("Saved on this phone. It syncs when you are online.")
                state.thankYou?.let {
                    Text("${Format.followUpTitle(it)} · ${Format.due(it.dueAt, LocalDate.now(zone), zone)}")
                }
                TextButton(onClick = onDone) { Text("Done") }
            }
        }
        return
    }

    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Heading("Where were you?") }
        item {
            OutlinedTextField(
                value = state.placeQuery,
                onValueChange = vm::searchPlaces,
                label = { Text("Search places") },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
        }
        item {
            Column(Modifier.selectableGroup()) {
                state.places.forEach { choice ->
                    val selected = state.place?.id == choice.organization.id
                    ListItem(
                        headlineContent = { Text(choice.organization.name) },
                        supportingContent = { choice.distance?.let { Text(it) } },
                        // The whole row is the radio button; the button itself only shows it.
                        leadingContent = { RadioButton(selected = selected, onClick = null) },
                        modifier = Modifier.selectable(selected = selected, role = Role.RadioButton, onClick = { vm.pick(choice.organization) }),
                    )
                }
            }
        }
        item {
            if (!addingPlace) {
                TextButton(onClick = {
                    addingPlace = true
                    newPlace = state.placeQuery
                }) { Text("A new place? Add it") }
            } else {
                Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedTextField(newPlace, { newPlace = it }, Modifier.fillMaxWidth(), label = { Text("Name of the place") }, singleLine = true)
                    Row(Modifier.horizontalScroll(rememberScrollState()).selectableGroup(), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                        placeKinds.forEach { (kind, label) ->
                            FilterChip(
                                selected = newPlaceKind == kind,
                                onClick = { newPlaceKind = kind },
                                label = { Text(label) },
                                modifier = Modifier.semantics { role = Role.RadioButton },
                            )
                        }
                    }
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        Button(onClick = {
                            vm.addPlace(newPlace, newPlaceKind) { problem ->
                                if (problem == null) {
                                    addingPlace = false
                                    newPlace = ""
                                }
                            }
                        }, enabled = newPlace.isNotBlank()) { Text("Add place") }
                        TextButton(onClick = { addingPlace = false }) { Text("Cancel") }
                    }
                }
            }
        }
        if (state.place != null) item { Heading("Who did you meet?") }
        items(state.people, key = { it.id }) { person ->
            val met = person.id in state.met
            ListItem(
                headlineContent = { Text(person.name) },
                supportingContent = { person.role?.let { Text(it) } },
                leadingContent = { Checkbox(checked = met, onCheckedChange = null) },
                modifier = Modifier.toggleable(value = met, role = Role.Checkbox, onValueChange = { vm.toggleMet(person.id) }),
            )
        }
        if (state.place != null) {
            item {
                if (!addingPerson) {
                    TextButton(onClick = { addingPerson = true }) { Text("Met someone new? Add them") }
                } else {
                    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedTextField(newPerson, { newPerson = it }, Modifier.fillMaxWidth(), label = { Text("Their name") }, singleLine = true)
                        OutlinedTextField(newRole, { newRole = it }, Modifier.fillMaxWidth(), label = { Text("Role (e.g. School counselor)") }, singleLine = true)
                        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            Button(onClick = {
                                vm.addPerson(newPerson, newRole) { problem ->
                                    if (problem == null) {
                                        addingPerson = false
                                        newPerson = ""
                                        newRole = ""
                                    }
                                }
                            }, enabled = newPerson.isNotBlank()) { Text("Add person") }
                            TextButton(onClick = { addingPerson = false }) { Text("Cancel") }
                        }
                    }
                }
            }
        }
        item { Heading("Minutes") }
        item {
            Row(Modifier.horizontalScroll(rememberScrollState()).selectableGroup(), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                minutePresets.forEach { m ->
                    FilterChip(
                        selected = state.minutes == m,
                        onClick = { vm.setMinutes(m) },
                        label = { Text("$m") },
                        modifier = Modifier.semantics {
                            contentDescription = "$m minutes"
                            role = Role.RadioButton
                        },
                    )
                }
            }
        }
        item {
            OutlinedTextField(
                value = state.note,
                onValueChange = vm::setNote,
                label = { Text("Note") },
                supportingText = { Text(vm.noteHint) },
                modifier = Modifier.fillMaxWidth(),
            )
        }
        if (state.stock.isNotEmpty()) item { Heading("Left behind") }
        items(state.stock, key = { it.item }) { item ->
            val qty = state.leftBehind[item.item] ?: 0
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text("${item.name} (${item.stock} left)", Modifier.weight(1f))
                IconButton(onClick = { vm.setLeftBehind(item.item, qty - 1) }, enabled = qty > 0) {
                    Icon(Icons.Filled.Remove, contentDescription = "One fewer ${item.name}")
                }
                Text("$qty", Modifier.semantics { contentDescription = "$qty ${item.name}" })
                IconButton(onClick = { vm.setLeftBehind(item.item, qty + 1) }) {
                    Icon(Icons.Filled.Add, contentDescription = "One more ${item.name}")
                }
            }
        }
        state.problem?.let {
            item { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
        }
        item {
            Button(onClick = vm::save, enabled = state.canSave, modifier = Modifier.fillMaxWidth()) {
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
