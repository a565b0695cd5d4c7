//! Profile cards: this member's card written (`setProfile`), a colleague's or her own read
//! (`profile`), every card of the practice (`profiles`), and one as a vCard 4.0
//! (`profileVcard`). Each method is one call of [`trellis_core::Store`], converted like the
//! rest (`convert.rs`); the closed lists a card picks from are in `TrellisStore.choices()`.

use trellis_core::CardUpdate;
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, to_js, CardInput};
use crate::error::WebResult;
use crate::store::TrellisStore;

#[wasm_bindgen]
impl TrellisStore {
    /// Changes this member's card (`{specialties?, populations?, age_bands?, modalities?,
    /// panels?, self_pay?, languages?, zip3?, telehealth?, credentials?, openings?, pitch?}`):
    /// each field given replaces hers, the others stay; giving `openings` confirms them as of
    /// now. Returns the card as `profile()` does. A refused value stores nothing
    /// (`invalid_input`, with the core's sentence).
    #[wasm_bindgen(js_name = setProfile)]
    pub fn set_profile(&self, update: JsValue) -> WebResult<JsValue> {
        let input: CardInput = from_js(&update, "card")?;
        to_js(&self.store.set_profile(&CardUpdate::try_from(input)?)?)
    }

    /// A member's card (`{member_id, name, mine, card, openings_stale}`): a colleague's by
    /// name or id prefix, or this member's own when `member` is left out. A member who wrote
    /// none has an empty card.
    pub fn profile(&self, member: Option<String>) -> WebResult<JsValue> {
        to_js(&self.store.profile(member.as_deref())?)
    }

    /// Every card the practice's members wrote, by name.
    pub fn profiles(&self) -> WebResult<JsValue> {
        to_js(&self.store.profiles()?)
    }

    /// A member's card (this member's when `member` is left out) as vCard 4.0 text, to hand a
    /// referral source.
    #[wasm_bindgen(js_name = profileVcard)]
    pub fn profile_vcard(&self, member: Option<String>) -> WebResult<String> {
        Ok(self.store.profile_vcard(member.as_deref())?)
    }
}
