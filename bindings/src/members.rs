//! Who is in a practice, through the relay: the roster, revoking a device, removing a member,
//! leaving, transferring ownership, rotating the key, and checkpoints.
//!
//! All of these are network calls, so they are async and run on the shared runtime. The relay
//! enforces the rules (roles, one owner); the core keeps the key ring and the store in step.
//! A device that learns it was removed gets `TrellisError.Removed`, and the workspace's data is
//! gone from it.

use crate::error::TrellisError;
use crate::runtime::run;
use crate::store::{list, TrellisStore};
use crate::types::{CheckpointReport, MemberView};

#[uniffi::export]
impl TrellisStore {
    /// The roster of the current workspace: members and their devices as the practice's signed
    /// roster holds them (removed members and revoked devices included), each device with its
    /// fingerprint and whether this device verified it.
    pub async fn roster(&self) -> Result<Vec<MemberView>, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(list(store.roster().await?)) }).await
    }

    /// This device's fingerprint ("12345 67890 12345 67890"), for a colleague to compare face
    /// to face.
    pub fn fingerprint(&self) -> Result<String, TrellisError> {
        Ok(self.store()?.fingerprint()?)
    }

    /// Records that a device of `member` (name or id prefix) showed `fingerprint` face to
    /// face. `Conflict` (nothing recorded) when no device of hers has it.
    pub fn verify_member(
        &self,
        member: String,
        fingerprint: String,
    ) -> Result<MemberView, TrellisError> {
        Ok(self.store()?.verify_member(&member, &fingerprint)?.into())
    }

    /// Revokes a device by id prefix (at least 4 hex digits): owners and admins any device,
    /// members their own. It loses access at once; call `rotate_key()` too if it was lost.
    pub async fn revoke_device(&self, device: String) -> Result<(), TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.revoke_device(&device).await?) }).await
    }

    /// Removes a member (by name or id prefix) and rotates the workspace key, so nothing
    /// written from now on is readable with the keys they had. Owners and admins only.
    pub async fn remove_member(&self, member: String) -> Result<(), TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.remove_member(&member).await?) }).await
    }

    /// Makes a new workspace key and seals it to every remaining device; returns the new key's
    /// epoch. Owners and admins only.
    pub async fn rotate_key(&self) -> Result<u32, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.rotate_key().await?) }).await
    }

    /// Leaves the practice: this member's devices lose access and this device deletes the
    /// workspace's data. The owner must transfer ownership first (else `NotAuthorized` or
    /// `Conflict`, as the relay says).
    pub async fn leave(&self) -> Result<(), TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.leave().await?) }).await
    }

    /// Makes another member (by name or id prefix) the owner; this member becomes an admin.
    pub async fn transfer_ownership(&self, member: String) -> Result<(), TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.transfer_ownership(&member).await?) }).await
    }

    /// Syncs, then uploads a checkpoint of every document at this device's cursor, so new
    /// devices start from it and the relay can compact its log. `Conflict` if changes were
    /// made meanwhile (try again) or this device is missing changes.
    pub async fn checkpoint(&self) -> Result<CheckpointReport, TrellisError> {
        let store = self.store()?;
        run(async move { Ok(store.checkpoint().await?.into()) }).await
    }
}
