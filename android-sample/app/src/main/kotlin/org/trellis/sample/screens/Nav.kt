package org.trellis.sample.screens

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Badge
import androidx.compose.material.icons.filled.Group
import androidx.compose.material.icons.filled.GroupAdd
import androidx.compose.material.icons.filled.Handshake
import androidx.compose.material.icons.filled.People
import androidx.compose.material.icons.filled.Public
import androidx.compose.material.icons.filled.Today
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import kotlinx.coroutines.withContext
import org.trellis.core.TrellisException
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.StoreDispatcher

private data class Tab(val route: String, val label: String, val icon: ImageVector)

private val tabs = listOf(
    Tab("today", "Today", Icons.Filled.Today),
    Tab("contacts", "Contacts", Icons.Filled.People),
    Tab("referrals", "Referrals", Icons.Filled.Handshake),
    Tab("exchange", "Exchange", Icons.Filled.Public),
)

/**
 * Whether this phone is in a practice it holds the keys of. A join still waiting for a
 * colleague's device to let this phone in is not yet: the join screen shows the wait.
 */
private fun hasPractice(session: TrellisSession): Boolean = try {
    val all = session.store.workspaces()
    all.isNotEmpty() && all.none { it.current && it.awaitingKeys }
} catch (e: TrellisException) {
    false
}

/**
 * The app's screens: join a practice (or start one) first if this phone is in none (or still
 * waits to be let into the one it joined), then the tabs, with My card, Members (and from
 * there a colleague's card) and Invite in the top bar. Each screen's state lives in its
 * view model (viewmodels/ViewModels.kt), scoped to its navigation entry, so it survives
 * rotation.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun TrellisNav(session: TrellisSession) {
    // null while the store is asked, off the main thread.
    var joined by rememberSaveable { mutableStateOf<Boolean?>(null) }
    LaunchedEffect(session) {
        if (joined == null) joined = withContext(StoreDispatcher) { hasPractice(session) }
    }
    when (joined) {
        null -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { CircularProgressIndicator() }
        false -> WelcomeScreen(session, onInPractice = { joined = true })
        true -> Tabs(session)
    }
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun Tabs(session: TrellisSession) {
    val nav = rememberNavController()
    val current by nav.currentBackStackEntryAsState()
    val route = current?.destination?.route
    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Column {
                        Text("Trellis")
                        SyncStatusLine(session)
                    }
                },
                actions = {
                    if (route != "card") {
                        IconButton(onClick = { nav.navigate("card") }) {
                            Icon(Icons.Filled.Badge, contentDescription = "My card")
                        }
                    }
                    if (route != "members") {
                        IconButton(onClick = { nav.navigate("members") }) {
                            Icon(Icons.Filled.Group, contentDescription = "Members and fingerprints")
                        }
                    }
                    if (route != "invite") {
                        IconButton(onClick = { nav.navigate("invite") }) {
                            Icon(Icons.Filled.GroupAdd, contentDescription = "Invite a colleague")
                        }
                    }
                },
            )
        },
        bottomBar = {
            NavigationBar {
                tabs.forEach { tab ->
                    NavigationBarItem(
                        selected = route == tab.route,
                        onClick = { nav.goToTab(tab.route) },
                        // The label below says it; TalkBack reads the label and the selection.
                        icon = { Icon(tab.icon, contentDescription = null) },
                        label = { Text(tab.label) },
                    )
                }
            }
        },
        floatingActionButton = {
            if (route != "dropby") {
                ExtendedFloatingActionButton(
                    onClick = { nav.navigate("dropby") },
                    icon = { Icon(Icons.Filled.Add, contentDescription = null) },
                    text = { Text("Log a drop-by") },
                )
            }
        },
    ) { padding ->
        NavHost(nav, startDestination = "today", modifier = Modifier.padding(padding)) {
            composable("today") { TodayScreen(session) }
            composable("contacts") { ContactsScreen(session, onOpen = { nav.navigate("contact/$it") }) }
            composable("contact/{id}") { entry ->
                ContactScreen(session, entry.arguments?.getString("id") ?: "")
            }
            composable("dropby") { DropByScreen(session, onDone = { nav.popBackStack() }) }
            composable("referrals") { ReferralsScreen(session) }
            composable("exchange") { ExchangeScreen(session) }
            composable("invite") { InviteScreen(session) }
            composable("members") { MembersScreen(session, onOpenCard = { nav.navigate("card/$it") }) }
            composable("card") { MyCardScreen(session) }
            composable("card/{member}") { entry ->
                CardScreen(session, entry.arguments?.getString("member") ?: "")
            }
        }
    }
}

private fun NavHostController.goToTab(route: String) = navigate(route) {
    popUpTo("today") { saveState = true }
    launchSingleTop = true
    restoreState = true
}
