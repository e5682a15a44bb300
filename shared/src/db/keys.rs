//! The single-table key layout (ARCHITECTURE.md §4): [`Key`]. Every item's key is built by the one
//! store that owns the item, with [`Key::new`], and nowhere else:
//!
//! | item | PK | SK | built by |
//! |---|---|---|---|
//! | user | `USER#<id>` | `PROFILE` | `identity::users` |
//! | unique email, password hash, reset grant | `EMAIL#<normalized>` | `EMAIL` | `identity::users` |
//! | failed logins | `EMAIL#<normalized>` | `LOGIN_ATTEMPTS` | `identity::attempts` |
//! | session | `SESSION#<id>` | `<sid>` | [`crate::auth::session`] |
//! | one-time code | `OTP#<purpose>#<email>` | `OTP` | `identity::codes` |
//! | catalogue record | `CATALOG#<KIND>` | `<id>` | `catalog::store` |
//! | catalogue version | `CATALOG` | `VERSION` | `catalog::store` |
//! | catalogue change log entry | `CATALOG` | `LOG#<version, 20 digits>` | `catalog::store` |
//! | carts, checkouts, orders, offer uses | `USER#<id>`, `CHECKOUT#<session>` | see the store | `orders::store` |
//! | presigned upload | `UPLOAD#<id>` | `UPLOAD` | `upload::presigned` |
//!
//! The catalogue's keys (`CATALOG#<KIND>`) are built by its store (`catalog::store`). One generic index,
//! [`GSI1`] (`GSI1PK`/`GSI1SK`, every attribute projected), serves the staff lists that span users
//! (non-empty carts, every order); it is sparse: only items that set `GSI1PK` are in it. It is
//! eventually consistent, so nothing that must see its own write reads through it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// The generic secondary index and its keys.
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
    /// A key from its two parts; only the store that owns the item builds it.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_becomes_the_attribute_map_dynamodb_takes() {
        let attributes = Key::new("USER#1", "PROFILE").to_attributes();
        assert_eq!(attributes["PK"], AttributeValue::S("USER#1".into()));
        assert_eq!(attributes["SK"], AttributeValue::S("PROFILE".into()));
        assert_eq!(attributes.len(), 2);
    }
}
