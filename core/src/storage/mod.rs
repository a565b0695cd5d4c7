//! The storage layer: the SQLite file and what is kept in it below the index: the schema and
//! its migrations, the automerge documents as stored (with a cache of recent ones), and the
//! workspace rows and this device's identity.

pub mod db;
pub(crate) mod docstore;
pub(crate) mod pending_join;
pub(crate) mod workspace;
