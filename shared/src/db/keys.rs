//! The single-table key layout (ARCHITECTURE.md §4). Every platform key is built here; a domain crate
//! builds its own items' keys with [`Key::new`] in its store, and nowhere else.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | user | `USER#<id>` | `PROFILE` |
//! | unique email | `EMAIL#<normalized>` | `EMAIL` |
//! | session | `USER#<id>` | `SESSION#<sid>` |
//! | one-time code | `OTP#<purpose>#<email>` | `OTP` |
//!
//! The catalogue's keys (`CATALOG#<KIND>`) are built by its store (`catalog::store`). The table has no
//! secondary index: every listing is a consistent partition Query, and an index would only cost a write
//! per item.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::id::Id;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
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
    /// A key from its two parts; only a store builds keys.
    pub fn new(pk: String, sk: impl Into<String>) -> Self {
        Key { pk, sk: sk.into() }
    }

    /// The key as the attribute map `GetItem`, `DeleteItem` and `UpdateItem` take.
    pub fn to_attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(self.pk.clone())),
            (SK.to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }

    pub fn user(id: &Id) -> Self {
        Key::new(format!("USER#{id}"), "PROFILE")
    }

    /// The marker that keeps an email unique; `normalized` is trimmed and lower-cased by the caller.
    pub fn email(normalized: &str) -> Self {
        Key::new(format!("EMAIL#{normalized}"), "EMAIL")
    }

    pub fn session(user: &Id, session: &Id) -> Self {
        Key::new(format!("USER#{user}"), format!("SESSION#{session}"))
    }

    pub fn one_time_code(purpose: &str, normalized_email: &str) -> Self {
        Key::new(format!("OTP#{purpose}#{normalized_email}"), "OTP")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_documented_layout() {
        let id: Id = "682b7173f5c8c863ab931a45".parse().unwrap();
        assert_eq!(
            Key::user(&id),
            Key {
                pk: "USER#682b7173f5c8c863ab931a45".into(),
                sk: "PROFILE".into()
            }
        );
        assert_eq!(
            Key::session(&id, &id).sk,
            "SESSION#682b7173f5c8c863ab931a45"
        );
        assert_eq!(Key::email("a@b.co").pk, "EMAIL#a@b.co");
        assert_eq!(
            Key::one_time_code("reset_password", "a@b.co").pk,
            "OTP#reset_password#a@b.co"
        );
    }
}
