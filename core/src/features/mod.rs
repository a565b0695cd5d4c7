//! The features layer: what a therapist does with the network, one file per concern, each a set
//! of [`Store`](crate::Store) methods that read through the read layer and write through
//! [`Store::write`](crate::Store) and `change_doc`.

pub(crate) mod exchange;
pub(crate) mod followups;
pub mod interop;
pub mod lifecycle;
pub(crate) mod lists;
pub(crate) mod profile;
pub(crate) mod records;
pub(crate) mod referrals;
pub mod reports;
pub(crate) mod settings;
