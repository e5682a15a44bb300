//! The single-table key layout (ARCHITECTURE.md §4). Every key is built here, nowhere else.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | user | `USER#<id>` | `PROFILE` |
//! | unique email | `EMAIL#<normalized>` | `EMAIL` |
//! | session | `USER#<id>` | `SESSION#<sid>` |
//! | one-time code | `OTP#<purpose>#<email>` | `OTP` |
//! | catalogue entity | `<TYPE>#<id>` | `<TYPE>` (listed through `GSI1PK=<TYPE>`, `GSI1SK=<createdAt>#<id>`) |
//! | catalogue version | `CATALOG` | `VERSION` |

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
    fn new(pk: String, sk: impl Into<String>) -> Self {
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

    /// A catalogue entity of `kind` (`PRODUCT`, `BRAND`, ...).
    pub fn entity(kind: &str, id: &Id) -> Self {
        Key::new(format!("{kind}#{id}"), kind)
    }

    pub fn catalog_version() -> Self {
        Key::new("CATALOG".to_owned(), "VERSION")
    }
}

/// `GSI1` keys that list every entity of a kind in creation order.
pub fn entity_listing(
    kind: &str,
    created_at_millis: i64,
    id: &Id,
) -> [(String, AttributeValue); 2] {
    [
        (GSI1PK.to_owned(), AttributeValue::S(kind.to_owned())),
        (
            GSI1SK.to_owned(),
            AttributeValue::S(format!("{created_at_millis:013}#{id}")),
        ),
    ]
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
        assert_eq!(
            Key::entity("BRAND", &id),
            Key {
                pk: "BRAND#682b7173f5c8c863ab931a45".into(),
                sk: "BRAND".into()
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

    #[test]
    fn listing_sort_keys_sort_by_creation_time() {
        let id = Id::new();
        let [_, (_, early)] = entity_listing("TAG", 999, &id);
        let [_, (_, late)] = entity_listing("TAG", 1_700_000_000_000, &id);
        assert!(early.as_s().unwrap() < late.as_s().unwrap());
    }
}
