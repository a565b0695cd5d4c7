//! The store's network actions, each returning a `Promise`: sharing a workspace through a
//! relay, invites (making, listing, cancelling), joining, the roster and its changes, sync. They run on the page's (or
//! worker's) event loop through `fetch` (the core's browser transport, docs/WEB.md); local
//! calls go on meanwhile. Beside the roster, two local calls: this device's fingerprint, and
//! recording a colleague's checked face to face.

use std::rc::Rc;

use js_sys::Promise;
use trellis_core::Role;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::convert::to_js;
use crate::error::{WebError, WebResult};
use crate::store::TrellisStore;

#[wasm_bindgen]
impl TrellisStore {
    /// Creates a workspace and registers it on the relay at `relayUrl` with this user as
    /// owner, and makes it current. Needs the relay operator's signup secret. Resolves to the
    /// workspace.
    #[wasm_bindgen(js_name = createSharedWorkspace)]
    pub fn create_shared_workspace(
        &self,
        name: String,
        relay_url: String,
        signup_secret: String,
    ) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let info = store
                .create_shared_workspace(&name, &relay_url, &signup_secret)
                .await
                .map_err(WebError::from)?;
            Ok(to_js(&info)?)
        })
    }

    /// Asks the relay for a single-use invite code to the current workspace: for another
    /// device of this member when `device`, else for a new member with `role` (`"member"` or
    /// `"admin"`). Resolves to the code. It holds no key (this device, or an owner's or
    /// admin's, hands the keys to the device it admits at its next sync), but whoever uses it
    /// first joins: share it privately.
    #[wasm_bindgen(js_name = createInvite)]
    pub fn create_invite(&self, role: String, device: bool) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let role = Role::parse(&role)
                .ok_or_else(|| WebError::invalid("a role is \"member\" or \"admin\""))?;
            let code = store
                .create_invite(role, device)
                .await
                .map_err(WebError::from)?;
            Ok(JsValue::from_str(&code))
        })
    }

    /// The current workspace's open invites (not used, cancelled or expired), newest first, as
    /// the practice's signed roster holds them: `{invite_id, role, device, invited_by,
    /// made_here, expires_at}`.
    pub fn invites(&self) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let open = store.invites().await.map_err(WebError::from)?;
            Ok(to_js(&open)?)
        })
    }

    /// Cancels the open invite whose id starts with `query` (owners and admins any, a member
    /// her own); its code then admits nobody. Resolves to the invite as it was; `not_found`
    /// when no open invite has that id, `ambiguous` when several do.
    #[wasm_bindgen(js_name = cancelInvite)]
    pub fn cancel_invite(&self, query: String) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let invite = store.cancel_invite(&query).await.map_err(WebError::from)?;
            Ok(to_js(&invite)?)
        })
    }

    /// Joins the workspace an invite code names (on its relay, or on `relayOverride`) and
    /// makes it current. Resolves to the workspace, with `awaiting_keys` set (and no name yet)
    /// until a device of the practice (the one that made the invite, or an owner's or admin's)
    /// hands this one the keys at its next sync; until then `sync()` and every command on the
    /// practice reject with code `awaiting_keys`, and the first `sync()` after the hand-over
    /// finishes the join and pulls the practice. Repeated with the same code, it goes on where
    /// it stopped.
    pub fn join(&self, code: String, relay_override: Option<String>) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let info = store
                .join(&code, relay_override.as_deref())
                .await
                .map_err(WebError::from)?;
            Ok(to_js(&info)?)
        })
    }

    /// Connects the current (local) workspace to the relay at `relayUrl` with this user as
    /// owner; needs the relay operator's signup secret. Resolves to the workspace.
    #[wasm_bindgen(js_name = connectWorkspace)]
    pub fn connect_workspace(&self, relay_url: String, signup_secret: String) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let info = store
                .connect_workspace(&relay_url, &signup_secret)
                .await
                .map_err(WebError::from)?;
            Ok(to_js(&info)?)
        })
    }

    /// The roster, as the practice's signed roster holds it after fetching what the relay
    /// added: members (removed ones included, `unverified_device` when one of her devices was
    /// verified here and she has another nobody here verified) with their devices
    /// (`this_device` marks this one; each with its `fingerprint` and whether this device
    /// `verified` it).
    pub fn roster(&self) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let roster = store.roster().await.map_err(WebError::from)?;
            Ok(to_js(&roster)?)
        })
    }

    /// This device's fingerprint (`"12345 67890 12345 67890"`), for a colleague to compare
    /// face to face with what her roster shows.
    pub fn fingerprint(&self) -> WebResult<String> {
        Ok(self.store.fingerprint()?)
    }

    /// Records that a device of `member` (name or id prefix) showed `fingerprint` face to
    /// face; returns the member as `roster()` lists her. Rejects with `conflict`, recording
    /// nothing, when no device of hers has that fingerprint (`invalid_input` when it is not 20
    /// digits). Local: the check is this device's own.
    #[wasm_bindgen(js_name = verifyMember)]
    pub fn verify_member(&self, member: &str, fingerprint: &str) -> WebResult<JsValue> {
        to_js(&self.store.verify_member(member, fingerprint)?)
    }

    /// Revokes a device (by id prefix): owners and admins any device, members their own. It
    /// loses access at once; rotate the key afterwards if it was lost.
    #[wasm_bindgen(js_name = revokeDevice)]
    pub fn revoke_device(&self, device: String) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            store.revoke_device(&device).await.map_err(WebError::from)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes a member (by name or id prefix) and rotates the practice's key.
    #[wasm_bindgen(js_name = removeMember)]
    pub fn remove_member(&self, member: String) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            store.remove_member(&member).await.map_err(WebError::from)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Makes the next key epoch and seals it to every remaining device; resolves to the
    /// epoch.
    #[wasm_bindgen(js_name = rotateKey)]
    pub fn rotate_key(&self) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let epoch = store.rotate_key().await.map_err(WebError::from)?;
            Ok(JsValue::from(epoch))
        })
    }

    /// Where the current workspace's live socket is: `{url, protocols}` for
    /// `new WebSocket(url, protocols)` (the protocols carry this device's token: keep them in
    /// the worker). Fails with `not_connected` for a workspace kept on this device only.
    #[wasm_bindgen(js_name = liveEndpoint)]
    pub fn live_endpoint(&self) -> WebResult<JsValue> {
        to_js(&self.store.live_endpoint()?)
    }

    /// Pushes the current workspace's unsent changes, then pulls everything new, and hands the
    /// practice's keys to devices admitted since (`keys_granted` in the report). Resolves to
    /// what moved; offline it rejects with code `network` and loses nothing; on a join still
    /// waiting for its keys with `awaiting_keys` (the first sync after they arrive finishes
    /// the join).
    pub fn sync(&self) -> Promise {
        let store = Rc::clone(&self.store);
        future_to_promise(async move {
            let report = store.sync().await.map_err(WebError::from)?;
            Ok(to_js(&report)?)
        })
    }
}
