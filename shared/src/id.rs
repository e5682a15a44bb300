//! Ids: 24 lowercase hex characters, laid out like MongoDB ObjectIds, so Belta's clients and any data
//! migrated from Belta keep working.
//!
//! Layout (12 bytes): 4-byte big-endian Unix seconds, 5 random bytes chosen once per process, and a
//! 3-byte counter that starts at a random value. Ids therefore sort by creation time (to the second, and
//! in creation order within one process): catalogue items use the id as their sort key, and that order
//! is "newest first" reversed.

use std::{
    fmt,
    str::FromStr,
    sync::{
        LazyLock,
        atomic::{AtomicU32, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id([u8; 12]);

static PROCESS_UNIQUE: LazyLock<[u8; 5]> = LazyLock::new(rand::random);
static COUNTER: LazyLock<AtomicU32> = LazyLock::new(|| AtomicU32::new(rand::random()));

impl Id {
    /// A new id, unique across processes and ordered by creation time.
    pub fn new() -> Self {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_parts(
            seconds as u32,
            *PROCESS_UNIQUE,
            COUNTER.fetch_add(1, Ordering::Relaxed),
        )
    }

    fn from_parts(seconds: u32, process: [u8; 5], counter: u32) -> Self {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&seconds.to_be_bytes());
        bytes[4..9].copy_from_slice(&process);
        bytes[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
        Id(bytes)
    }

    /// The id's 12 bytes (its text is their hex), for compact binary layouts.
    pub const fn to_bytes(self) -> [u8; 12] {
        self.0
    }

    /// The id whose 12 bytes these are (any 12 bytes are an id).
    pub const fn from_bytes(bytes: [u8; 12]) -> Self {
        Id(bytes)
    }

    /// The creation time in Unix seconds.
    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an id is 24 hexadecimal characters")]
pub struct InvalidId;

impl FromStr for Id {
    type Err = InvalidId;

    /// Exactly 24 lowercase hexadecimal digits, the form ids are written in (and MongoDB's
    /// `toHexString`): nothing else names the same id, so there is one spelling per id to cache,
    /// compare and document. (`u8::from_str_radix` alone would take `+f` for `0f`.)
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.as_bytes();
        if s.len() != 24 {
            return Err(InvalidId);
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(InvalidId),
        };
        let mut bytes = [0u8; 12];
        for (byte, pair) in bytes.iter_mut().zip(s.chunks_exact(2)) {
            *byte = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Ok(Id(bytes))
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Id {
    /// The newtype name `Id` deserializes under, so the request extractors can name a bad id
    /// ([`crate::extract::de`]); every other deserializer just reads the string inside.
    pub const SERDE_NAME: &'static str = "shared::Id";
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdText;
        impl<'de> de::Visitor<'de> for IdText {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 24-hex id")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Id, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                raw.parse().map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_newtype_struct(Id::SERDE_NAME, IdText)
    }
}

impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-f]{24}$"))
            .description(Some("24-hex id, time-ordered like a MongoDB ObjectId"))
            .into()
    }
}

impl utoipa::ToSchema for Id {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_lowercase_hex_and_round_trip() {
        let id = Id::new();
        let text = id.to_string();
        assert_eq!(text.len(), 24);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_eq!(text.parse::<Id>().unwrap(), id);
    }

    #[test]
    fn existing_mongodb_ids_parse_and_keep_their_timestamp() {
        // A user id from Belta's Postman collection; 0x682b7173 is 2025-05-19.
        let id: Id = "682b7173f5c8c863ab931a45".parse().unwrap();
        assert_eq!(id.timestamp(), 0x682b7173);
        assert_eq!(id.to_string(), "682b7173f5c8c863ab931a45");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "123",
            "682b7173f5c8c863ab931a4",
            "682b7173f5c8c863ab931a45f",
            "zz2b7173f5c8c863ab931a45",
            // A sign where a digit belongs (from_str_radix reads "+c" as 0x0c).
            "6b10449d9cd9+cd276fa413f",
            "+00000000000000000000000",
            "-00000000000000000000000",
            // One spelling per id: lower case.
            "682B7173F5C8C863AB931A45",
            " 82b7173f5c8c863ab931a45",
            "682b7173f5c8c863ab931a4é",
        ] {
            assert_eq!(bad.parse::<Id>(), Err(InvalidId), "{bad}");
        }
    }

    #[test]
    fn ids_sort_by_creation_time_and_then_creation_order() {
        let older = Id::from_parts(100, [9; 5], 5);
        let newer = Id::from_parts(101, [0; 5], 0);
        assert!(older < newer);
        assert!(
            older.to_string() < newer.to_string(),
            "string order is time order"
        );
        let ids: Vec<Id> = (0..1000).map(|_| Id::new()).collect();
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }

    #[test]
    fn ids_deserialize_from_their_text_and_refuse_a_bad_one() {
        let id: Id = serde_json::from_str("\"682b7173f5c8c863ab931a45\"").unwrap();
        assert_eq!(id.to_string(), "682b7173f5c8c863ab931a45");
        assert!(serde_json::from_str::<Id>("\"nope\"").is_err());
    }
}
