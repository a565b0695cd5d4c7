//! The store's network actions: sharing a workspace through a relay, invites, joining, sync.
//!
//! The core's sync client uses reqwest, which needs a tokio reactor: each method runs its work
//! on the bindings' one shared runtime ([`crate::runtime`]), whatever awaits it on the foreign
//! side (Kotlin coroutines, Swift tasks or Python's asyncio). No blocking call and no runtime
//! per call. The core never holds its database lock across a network call, so local writes go
//! on while a sync is under way.

use crate::error::TrellisError;
use crate::runtime::run;
use crate::store::TrellisStore;
use crate::types::{Role, SyncReport, WorkspaceInfo};

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
    /// member with `role` (owners and admins only). The code holds the workspace key: share
    /// it only with the person it is for.
    pub async fn create_invite(&self, role: Role, device: bool) -> Result<String, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.create_invite(role.into(), device).await?) }).await
    }

    /// Joins the workspace an invite code names, registers this device on its relay (or on
    /// `relay_override`, e.g. a LAN address) and makes it current. Call `sync()` next to
    /// receive the practice's data.
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

    /// Pushes the current workspace's unsent changes, then pulls everything new. Offline it
    /// fails with `Network` and loses nothing: the changes stay queued for the next try.
    pub async fn sync(&self) -> Result<SyncReport, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.sync().await?.into()) }).await
    }
}
