//! The core's integration tests, linked as one test binary (linking each file on its own cost
//! more than running them). Each module is one story, told in the file of its name; `common`
//! holds what the sync stories share.

mod common;

mod bootstrap_index;
mod events;
mod interop;
mod leaked_codes;
mod live;
mod offline_phone;
mod practices;
mod profiles;
mod storage_faults;
