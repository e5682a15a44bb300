//! [`Email`]: an address that was checked and normalized once, so no later code sees a raw string.

use std::fmt;

use shared::FieldIssue;

/// Trimmed and lower-cased (`" Sara@Example.COM "` and `"sara@example.com"` are one account), and
/// plausible: RFC 5321 lengths, one `@`, a dotted domain, no spaces or control characters, and none of
/// `<>"(),;:\[]` — a bare address only, never a display name or a list that a mail service would
/// deliver to another mailbox (`"1"<victim@corp.com>`). Whether the address works is proven by the
/// one-time code, not by a regex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldIssue> {
        let email = raw.trim().to_lowercase();
        if is_plausible(&email) {
            Ok(Email(email))
        } else {
            Err(FieldIssue::Invalid)
        }
    }

    /// An address as a login presents it: normalized, not checked. An implausible one finds no account.
    pub fn presented(raw: &str) -> Self {
        Email(raw.trim().to_lowercase())
    }

    /// An address as stored (already normalized), e.g. read back from a user item.
    pub(crate) fn stored(normalized: String) -> Self {
        Email(normalized)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that make an address more than a bare `local@domain`: `@` a second time, and RFC 5322's
/// specials for display names, quoting, comments, lists and domain literals.
const SPECIALS: &str = "@<>\"(),;:\\[]";

/// What [`Email::parse`] accepts, as JSON Schema: a `pattern` mirroring [`is_plausible`] (lengths in
/// characters; the address is trimmed and lower-cased first, which a description says). No `format`: the
/// server accepts any letters on both sides of the `@` and any label, which neither `email` nor
/// `idn-email` (RFC 5322 / IDNA) allows; the one-time code proves the address.
pub fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    let refused = r#"\s\u0000-\u001F\u007F-\u009F@<>"(),;:\\\[\]"#;
    let label = format!(r"[^{refused}.\-]([^{refused}.]*[^{refused}.\-])?");
    shared::api::schema::to_schema(serde_json::json!({
        "type": "string",
        "maxLength": 254,
        "pattern": format!(r"^[^{refused}]{{1,64}}@{label}(\.{label})+$"),
        "description": "A bare address (no display name), trimmed and lower-cased.",
    }))
}

fn is_plausible(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !SPECIALS.contains(c))
    };
    email.len() <= 254
        && local.len() <= 64
        && plain(local)
        && plain(domain)
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse("  Sara@Example.COM ").unwrap().as_str(),
            "sara@example.com"
        );
        for good in ["a@b.co", "first.last+tag@sub.example.eg", "ahmed@مثال.مصر"] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "plain",
            "@b.co",
            "a@",
            "a@b",
            "a b@c.de",
            "a@@b.co",
            "a@b..co",
            "a@-b.co",
            &format!("{}@b.co", "x".repeat(65)),
        ] {
            assert_eq!(Email::parse(bad), Err(FieldIssue::Invalid), "{bad}");
        }
    }

    #[test]
    fn only_a_bare_address_is_accepted() {
        for bad in [
            "\"1\"<victim@corp.com>",
            "1<victim@corp.com>",
            "victim@corp.com>",
            "Victim <victim@corp.com>",
            "a@b.co,c@d.co",
            "a@b.co;c@d.co",
            "(comment)a@b.co",
            "\"a b\"@b.co",
            "a\\b@b.co",
            "a:b@b.co",
            "a@[127.0.0.1]",
            "a\tb@b.co",
        ] {
            assert_eq!(Email::parse(bad), Err(FieldIssue::Invalid), "{bad}");
        }
    }
}
