//! Random 128-bit identifiers, written as 32 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A random 128-bit identifier (workspace, member, device or document).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub [u8; 16]);

/// In the OpenAPI document an id is a string of 32 hexadecimal digits.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-fA-F]{32}$"))
            .description(Some("A random 128-bit id: 32 hexadecimal digits."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Id {}

/// An id that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an id must be 32 hexadecimal digits")]
pub struct IdError;

impl Id {
    /// A fresh id from the operating system's random source.
    pub fn random() -> Id {
        let mut bytes = [0u8; 16];
        fill_random(&mut bytes);
        Id(bytes)
    }

    /// The id's 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Reads an id from a 16-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Id, IdError> {
        <[u8; 16]>::try_from(bytes).map(Id).map_err(|_| IdError)
    }

    /// The 32 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Fills `buf` from the operating system's random source.
///
/// # Panics
///
/// Only if the operating system has no random source at all, where nothing secure can be done.
pub fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source is unavailable");
}

/// A fresh 256-bit secret as 64 hex digits: device tokens and invite secrets.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    hex::encode(bytes)
}

impl FromStr for Id {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Id, IdError> {
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| IdError)?;
        Ok(Id(bytes))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.to_hex())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex_and_reject_garbage() {
        let id = Id::random();
        assert_eq!(id.to_hex().len(), 32);
        assert_eq!(id.to_hex().parse::<Id>(), Ok(id));
        assert_ne!(Id::random(), id);
        assert_eq!("xyz".parse::<Id>(), Err(IdError));
        assert_eq!("00".repeat(17).parse::<Id>(), Err(IdError));
        assert!(Id::from_slice(&[1u8; 15]).is_err());
    }
}
