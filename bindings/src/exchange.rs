//! Regions and the referral exchange.
//!
//! A region is a shared space of therapists of many practices, a workspace of another kind:
//! [`TrellisStore::open_region`] opens the same file as the practice's store, acting on regions
//! (its own current region and its own list). Every workspace call works on it as on a
//! practice: `create_shared_workspace` creates a region on a relay, `create_invite` invites
//! (`Role.Admin` makes a moderator), `join`, `workspaces`, `use_workspace`, `roster`,
//! `remove_member`, `leave`, `sync`. The exchange calls here act on the region store; a
//! practice store, or a region store with no current region, fails with `NoWorkspace`.
//! [`TrellisStore::record_exchange`] runs on the practice's store, given the region's.
//!
//! Every rule (what a post's text may hold, how needs are ranked, who reads replies, what a
//! connection records) is the core's (`core/src/features/exchange.rs`); this only converts.

use std::sync::Arc;

use crate::error::TrellisError;
use crate::store::{list, TrellisStore};
use crate::types::{NewPost, Outcome, Post, PostFilter, Reply, ReplyInput};

/// The notice every substance-use need carries (42 CFR Part 2): show it wherever such a need
/// is written or read.
#[uniffi::export]
pub fn part2_notice() -> String {
    trellis_core::PART2_NOTICE.to_string()
}

#[uniffi::export]
impl TrellisStore {
    /// Opens the store at `path` acting on regions: the same file (device, relay, keys) as
    /// `open(path)`, with its own current region and list. Open it beside the practice's
    /// store, and close both when done.
    #[uniffi::constructor]
    pub fn open_region(path: String) -> Result<Arc<Self>, TrellisError> {
        let store = trellis_core::Store::open_with(
            path,
            trellis_core::StoreOptions {
                scope: trellis_core::Scope::Region,
                ..Default::default()
            },
        )?;
        Ok(TrellisStore::wrap(store))
    }

    /// Whether this store acts on regions (opened with `open_region`).
    pub fn is_region(&self) -> Result<bool, TrellisError> {
        Ok(self.store()?.scope() == trellis_core::Scope::Region)
    }

    /// Posts a need to the current region, open for `expires_days` (7 by default, 1 to 30).
    /// Its text is refused with `InvalidInput`, and nothing stored, when it names a contact or
    /// an organization this device knows (in any practice), or holds a date, a phone number,
    /// an email address or an identifying word; a substance-use need holds no text at all.
    /// It reaches colleagues at the next `sync()`.
    pub fn post_need(&self, post: NewPost) -> Result<Post, TrellisError> {
        Ok(self.store()?.post_need(&post.into())?.into())
    }

    /// The current region's posts: open ones first, those that fit this member's card (of her
    /// current practice) first among them, best fit first, then newest. `fits_me` keeps the
    /// open posts that fit; `mine` keeps this member's own.
    pub fn posts(&self, filter: PostFilter) -> Result<Vec<Post>, TrellisError> {
        Ok(list(self.store()?.posts(filter.into())?))
    }

    /// The post whose id starts with `query`; `NotFound` or `Ambiguous` otherwise.
    pub fn post(&self, query: String) -> Result<Post, TrellisError> {
        Ok(self.store()?.post(&query)?.into())
    }

    /// Replies to an open post of a colleague (`query`: an id prefix): yes, waitlist (within
    /// `weeks`) or no, with a short note (checked as a post's text is) and this member's card,
    /// sealed to each device of the post's author: the relay and the other members see only
    /// that she replied. A second reply replaces the first. Her own post, or one no longer
    /// open, is `InvalidInput`. Returns the post; the reply leaves at the next `sync()`.
    pub fn reply(&self, query: String, reply: ReplyInput) -> Result<Post, TrellisError> {
        Ok(self.store()?.reply(&query, &reply.into())?.into())
    }

    /// The replies to one of this member's posts, yes first, then waitlists, then the rest,
    /// each with the responder's card. A colleague's post is `InvalidInput`: replies are
    /// sealed to the author's devices.
    pub fn replies(&self, query: String) -> Result<Vec<Reply>, TrellisError> {
        Ok(list(self.store()?.replies(&query)?))
    }

    /// Closes one of this member's posts: `Connected` with `connected_with` (the colleague, by name or
    /// id prefix, the client was connected with), `NotPlaced` or `Withdrawn` (no `connected_with`).
    /// Anything else is `InvalidInput`. Afterwards call `record_exchange` on the practice's
    /// store to count the connection there.
    #[uniffi::method(default(connected_with = None))]
    pub fn close_post(
        &self,
        query: String,
        outcome: Outcome,
        connected_with: Option<String>,
    ) -> Result<Post, TrellisError> {
        Ok(self
            .store()?
            .close_post(&query, outcome.into(), connected_with.as_deref())?
            .into())
    }

    /// On the practice's store: records the connections `region` (the region store of the
    /// same file) holds that involve this member and were not recorded yet: her post closed as
    /// connected is a referral sent (with a thank-you due in two days), a colleague's post
    /// closed as connected with her a referral received; the colleague becomes a contact when
    /// she is none yet. Each is recorded once, on any of her devices. Returns how many it
    /// recorded (0 with no current region). Call it after closing a post and after the
    /// region's `sync()`, then sync the practice.
    pub fn record_exchange(&self, region: Arc<TrellisStore>) -> Result<u64, TrellisError> {
        let region = region.store()?;
        Ok(self.store()?.record_exchange(&region)?)
    }
}
