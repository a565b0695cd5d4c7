//! The store's network actions: sharing a workspace through a relay, invites (made, listed,
//! cancelled), joining, sync.
//!
//! A join takes a sync on each side: `join(code)` admits this device and answers with
//! `awaiting_keys` set (every command on the practice, `sync()` included, is `AwaitingKeys`
//! until then); the inviting device (or an owner's or admin's) hands the practice's keys over
//! at its next `sync()` (`SyncReport.keys_granted`); this device's next `sync()` takes them and
//! pulls the practice.
//!
//! The core's sync client uses reqwest, which needs a tokio reactor: each method runs its work
//! on the bindings' one shared runtime ([`crate::runtime`]), whatever awaits it on the foreign
//! side (Kotlin coroutines, Swift tasks or Python's asyncio). No blocking call and no runtime
//! per call. The core never holds its database lock across a network call, so local writes go
//! on while a sync is under way.

use crate::error::TrellisError;
use crate::runtime::run;
use crate::store::TrellisStore;
use crate::types::{InviteView, Role, SyncReport, WorkspaceInfo};

#[uniffi::export]
impl TrellisStore {
    /// Creates a workspace and registers it on the relay at `relay_url` at once, with this
    /// user as owner, and makes it current. Needs the relay operator's signup secret (a wrong
    /// one fails with `NotAuthorized`). Nothing is stored locally unless the relay accepted.
    pub async fn create_shared_workspace(
        &self,
        name: String,
        relay_url: String,
        signup_secret: String,
    ) -> Result<WorkspaceInfo, TrellisError> {
        let store = self.store()?;
        run(async move {
            let info = store
                .create_shared_workspace(&name, &relay_url, &signup_secret)
                .await?;
            Ok(info.into())
        })
        .await
    }

    /// Registers the current, local-only workspace on a relay; what was recorded so far is
    /// pushed by the next `sync()`.
    pub async fn connect_workspace(
        &self,
        relay_url: String,
        signup_secret: String,
    ) -> Result<WorkspaceInfo, TrellisError> {
        let store = self.store()?;
        run(async move {
            let info = store.connect_workspace(&relay_url, &signup_secret).await?;
            Ok(info.into())
        })
        .await
    }

    /// Asks the relay for a single-use invite to the current workspace and returns the code
    /// to hand over. `device = true` invites another device of this member; otherwise a new
    /// member with `role` (owners and admins only). The invite admits one device within 72
    /// hours and can be cancelled until then (`cancel_invite`). The code holds no key: this
    /// device (or an owner's or admin's) hands the keys to the device it admitted at its next
    /// `sync()`. Still, share it only with the person it is for.
    pub async fn create_invite(&self, role: Role, device: bool) -> Result<String, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.create_invite(role.into(), device).await?) }).await
    }

    /// The current workspace's open invites (not used, cancelled or expired), newest first,
    /// as the practice's signed roster holds them once fetched from the relay.
    pub async fn invites(&self) -> Result<Vec<InviteView>, TrellisError> {
        let store = self.store()?;
        run(async move {
            let open = store.invites().await?;
            Ok(open.into_iter().map(InviteView::from).collect())
        })
        .await
    }

    /// Cancels the open invite whose id starts with `query` (owners and admins any, a member
    /// her own) and returns it as it was; its code then admits nobody. `NotFound` when no
    /// open invite matches, `Ambiguous` when several do.
    pub async fn cancel_invite(&self, query: String) -> Result<InviteView, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.cancel_invite(&query).await?.into()) }).await
    }

    /// Joins the workspace an invite code names, registers this device on its relay (or on
    /// `relay_override`, e.g. a LAN address) and makes it current. The answer has
    /// `awaiting_keys` set and no name yet: the practice's keys come from one of its devices
    /// when it next syncs, and until then `sync()` (and every command on the practice) fails
    /// with `AwaitingKeys`. The `sync()` after that takes the keys and pulls the practice.
    /// Repeated (after a lost answer, or with the same code later), it goes on where it stopped.
    #[uniffi::method(default(relay_override = None))]
    pub async fn join(
        &self,
        code: String,
        relay_override: Option<String>,
    ) -> Result<WorkspaceInfo, TrellisError> {
        let store = self.store()?;
        run(async move {
            let info = store.join(&code, relay_override.as_deref()).await?;
            Ok(info.into())
        })
        .await
    }

    /// Pushes the current workspace's unsent changes, then pulls everything new, and hands
    /// the practice's keys to devices admitted since (`keys_granted`). Right after a join it
    /// first takes the keys a device of the practice handed over, or fails with
    /// `AwaitingKeys` while none has. Offline it fails with `Network` and loses nothing: the
    /// changes stay queued for the next try.
    pub async fn sync(&self) -> Result<SyncReport, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.sync().await?.into()) }).await
    }
}
