//! The read layer: everything that reads the index and turns rows into the public types, on a
//! connection the caller holds. Features build their screens from these; none of them writes.

pub(crate) mod members;
pub(crate) mod resolve;
pub(crate) mod rows;
pub(crate) mod status;
