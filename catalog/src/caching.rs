//! HTTP caching of public catalogue reads: an `ETag`, `Cache-Control` a CDN may follow, and `304 Not
//! Modified` to a matching `If-None-Match` without rendering anything.
//!
//! A public response depends only on the catalogue version, on which offers have started or ended
//! ([`Catalog::price_epoch`]), on the path and query, on the language, and on the code that renders
//! it (`BELTA_BUILD_ID`, the commit `make build` stamps in, so new code never answers 304 to what older
//! code rendered). The `ETag` is a digest of exactly these. Staff responses carry none and are never
//! cached (`shared::http` marks every response without its own `Cache-Control` `no-store`).

use std::{
    convert::Infallible,
    hash::{DefaultHasher, Hash, Hasher},
};

use axum::{
    extract::FromRequestParts,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header, request::Parts};
use shared::{ApiResult, Lang};

use crate::index::Catalog;

/// Public reads may be kept as long as a public read trusts a confirmed version (one second by
/// default): browsers and the CDN then revalidate, which costs a 304.
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=1";

/// What identifies the rendering code; `make build` sets it to the commit.
const BUILD_ID: &str = match option_env!("BELTA_BUILD_ID") {
    Some(id) => id,
    None => "unversioned",
};

/// The request's `If-None-Match` and what it asks for, taken before the handler renders anything.
pub struct Revalidation {
    if_none_match: Option<String>,
    resource: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Revalidation {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Revalidation {
            if_none_match: parts
                .headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            resource: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        })
    }
}

impl Revalidation {
    /// 304 when the client holds this very response, else `render`'s; a successful answer carries the
    /// `ETag` and `Cache-Control`.
    pub fn respond(
        self,
        version: u64,
        catalog: &Catalog,
        lang: Lang,
        now_secs: i64,
        render: impl FnOnce() -> ApiResult<Response>,
    ) -> ApiResult<Response> {
        let etag = self.etag(version, catalog.price_epoch(now_secs), lang);
        let mut response = if self.held(&etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            render()?
        };
        let headers = response.headers_mut();
        headers.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex in quotes"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
        );
        Ok(response)
    }

    fn etag(&self, version: u64, price_epoch: usize, lang: Lang) -> String {
        // SipHash with fixed keys: the same in every process of a build.
        let mut hasher = DefaultHasher::new();
        (BUILD_ID, version, price_epoch, &self.resource, lang as u8).hash(&mut hasher);
        format!("\"{:016x}\"", hasher.finish())
    }

    /// Whether `If-None-Match` names `etag` (weakly, as RFC 9110 §13.1.2 compares), or is `*`.
    fn held(&self, etag: &str) -> bool {
        self.if_none_match.as_deref().is_some_and(|list| {
            list.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(if_none_match: Option<&str>, resource: &str) -> Revalidation {
        Revalidation {
            if_none_match: if_none_match.map(str::to_owned),
            resource: resource.to_owned(),
        }
    }

    #[test]
    fn the_tag_changes_with_the_version_the_prices_the_query_and_the_language() {
        let base = asking(None, "/products?page=1").etag(7, 0, Lang::En);
        assert_eq!(base, asking(None, "/products?page=1").etag(7, 0, Lang::En));
        for other in [
            asking(None, "/products?page=1").etag(8, 0, Lang::En),
            asking(None, "/products?page=1").etag(7, 1, Lang::En),
            asking(None, "/products?page=2").etag(7, 0, Lang::En),
            asking(None, "/products?page=1").etag(7, 0, Lang::Ar),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn if_none_match_is_compared_weakly_in_a_list() {
        let tag = "\"00000000000000ab\"";
        assert!(asking(Some(tag), "/").held(tag));
        assert!(asking(Some(&format!("\"x\", W/{tag}")), "/").held(tag));
        assert!(asking(Some("*"), "/").held(tag));
        assert!(!asking(Some("\"00000000000000ac\""), "/").held(tag));
        assert!(!asking(None, "/").held(tag));
    }
}
