//! The shop's own origins (`ALLOWED_ORIGINS`, the list the API's CORS allows): every URL the API
//! sends a browser to (`successUrl`, `cancelUrl`, `redirectUrl`) must be on one, so the API is never
//! an open redirect. Checkout and sign-in both use it.

use crate::config::EnvReader;

/// The origin (`scheme://host[:port]`, lower case) of an absolute http(s) URL; `None` for anything
/// else, including URLs with credentials (`https://shop@evil.example`) or backslashes, which browsers
/// and parsers read differently.
pub fn origin_of(url: &str) -> Option<String> {
    if url.len() > 2_048
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{}://{}", scheme, authority).to_ascii_lowercase())
}

/// The origins a URL may be on.
#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// `ALLOWED_ORIGINS` (comma-separated; the template sets it from `CorsAllowedOrigins`), recording a
    /// problem for an entry that is not an origin. Unset, it allows nothing.
    pub fn read(env: &mut EnvReader) -> Self {
        let list = env.optional("ALLOWED_ORIGINS").unwrap_or_default();
        AllowedOrigins::parse(&list).unwrap_or_else(|entry| {
            env.problem(format!(
                "ALLOWED_ORIGINS must be a comma-separated list of origins (got {entry:?})"
            ));
            AllowedOrigins::default()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// From a comma-separated list; `Err` names an entry that is not an origin.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut origins = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match origin_of(entry) {
                Some(origin) if origin == entry.trim_end_matches('/').to_ascii_lowercase() => {
                    origins.push(origin)
                }
                _ => return Err(entry.to_owned()),
            }
        }
        Ok(AllowedOrigins(origins))
    }

    pub fn allows(&self, url: &str) -> bool {
        origin_of(url).is_some_and(|origin| self.0.contains(&origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urls_on_an_allowed_origin_pass() {
        let allowed = AllowedOrigins::parse("https://shop.example, http://localhost:3000").unwrap();
        for url in [
            "https://shop.example/checkout/done?x=1",
            "https://SHOP.example",
            "http://localhost:3000/orders",
        ] {
            assert!(allowed.allows(url), "{url}");
        }
        for url in [
            "https://evil.example/",
            "https://shop.example.evil.example/",
            "https://shop.example@evil.example/",
            "http://shop.example/",
            "http://localhost:3001/",
            "//evil.example/",
            "/relative",
            "javascript:alert(1)",
            "https://shop.example\\@evil.example",
            "https://shop.example /",
        ] {
            assert!(!allowed.allows(url), "{url}");
        }
    }

    #[test]
    fn a_configured_entry_must_be_a_bare_origin() {
        assert!(AllowedOrigins::parse("https://shop.example/path").is_err());
        assert!(AllowedOrigins::parse("shop.example").is_err());
        assert!(AllowedOrigins::parse("https://shop.example/").is_ok());
    }
}
