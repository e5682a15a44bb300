//! The single-table key layout (ARCHITECTURE.md §4): [`Key`], and the keys of the catalogue. Every
//! other item's key is built by the one store that owns the item:
//!
//! | item | PK | SK | built by |
//! |---|---|---|---|
//! | user | `USER#<id>` | `PROFILE` | `identity::users` |
//! | unique email | `EMAIL#<normalized>` | `EMAIL` | `identity::users` |
//! | failed logins | `EMAIL#<normalized>` | `LOGIN_ATTEMPTS` | `identity::attempts` |
//! | session | `USER#<id>` | `SESSION#<sid>` | [`crate::auth::session`] |
//! | one-time code | `OTP#<purpose>#<email>` | `OTP` | `identity::codes` |
//! | catalogue record | `CATALOG#<KIND>` | `<id>` | here |
//! | catalogue version | `CATALOG` | `VERSION` | here |
//!
//! Catalogue records of one kind share a partition, refining ARCHITECTURE.md §4 (which listed them through
//! GSI1): a snapshot reload is then a *consistent* Query, so a reload that follows a version bump always
//! sees the write that bumped it. A GSI is only eventually consistent and could miss it. Ids are
//! time-ordered, so the sort key is creation order as well.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::id::Id;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// Epoch seconds after which DynamoDB may delete the item. Deletion is lazy (and never happens in the
/// emulator), so code must always check expiry itself.
pub const EXPIRES_AT: &str = "expiresAt";

/// The primary key of one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key as the attribute map `GetItem`, `DeleteItem` and `UpdateItem` take.
    pub fn to_attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(self.pk.clone())),
            (SK.to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }

    /// A catalogue record of `kind` (`PRODUCT`, `BRAND`, ...).
    pub fn catalog(kind: &str, id: &Id) -> Self {
        Key::new(Key::catalog_partition(kind), id.to_string())
    }

    /// The partition holding every catalogue record of `kind`.
    pub fn catalog_partition(kind: &str) -> String {
        format!("CATALOG#{kind}")
    }

    pub fn catalog_version() -> Self {
        Key::new("CATALOG", "VERSION")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_documented_layout() {
        let id: Id = "682b7173f5c8c863ab931a45".parse().unwrap();
        assert_eq!(
            Key::catalog("BRAND", &id),
            Key {
                pk: "CATALOG#BRAND".into(),
                sk: "682b7173f5c8c863ab931a45".into()
            }
        );
        assert_eq!(
            Key::catalog_version(),
            Key {
                pk: "CATALOG".into(),
                sk: "VERSION".into()
            }
        );
    }
}
