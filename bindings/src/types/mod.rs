//! Records and enums that cross the FFI, mirroring the core's model and reports field for
//! field.
//!
//! The core has no uniffi attributes (it knows nothing of FFI), so each type is restated here
//! and converted with `From`. Times are RFC 3339 strings, days `YYYY-MM-DD` and ids 32 hex
//! digits, as in the core; nothing is computed here.
//!
//! Files by concern: [`enums`] (the core's closed sets of names), [`records`] (organizations,
//! contacts, notes, activities, workspaces, sync and open invites), [`relationships`]
//! (follow-ups, referrals, goals, leave-behind stock, memberships, losing touch, nearby),
//! [`profile`] (profile cards and their closed vocabularies), [`exchange`] (needs, posts,
//! replies and their closed lists), [`live`] (change events, sync
//! states, the roster, checkpoints, imports) and [`reports`].

/// Restates one of the core's closed enums and converts both ways. A variant added to the core
/// and not here fails the build instead of being dropped.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $core:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                match v {
                    $($core::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => $core::$variant),+
                }
            }
        }
    };
}

/// Restates one of the core's output records and converts it from the core. The core value
/// is destructured without `..`, so a field added to the core and not here fails the build
/// instead of being dropped. A field marked `[into]` converts with `Into` (an enum or a
/// nested record), `[opt]` maps an `Option` with `Into`, `[list]` maps a `Vec` with `Into`;
/// the rest move as they are.
macro_rules! mirror_record {
    (
        $(#[$meta:meta])*
        $name:ident from $($core:ident)::+ {
            $($(#[$fmeta:meta])* $field:ident: $ty:ty $([$how:ident])?),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, uniffi::Record)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty),+
        }

        impl From<$($core)::+> for $name {
            fn from(v: $($core)::+) -> Self {
                let $($core)::+ { $($field),+ } = v;
                $name {
                    $($field: mirror_record!(@convert $($how)? $field)),+
                }
            }
        }
    };
    (@convert into $v:ident) => { $v.into() };
    (@convert opt $v:ident) => { $v.map(Into::into) };
    (@convert list $v:ident) => { $v.into_iter().map(Into::into).collect() };
    (@convert $v:ident) => { $v };
}

mod enums;
mod exchange;
mod live;
mod profile;
mod records;
mod relationships;
mod reports;

pub use enums::*;
pub use exchange::*;
pub use live::*;
pub use profile::*;
pub use records::*;
pub use relationships::*;
pub use reports::*;
