//! The provider's signing keys (JWKS), fetched on first use and again when their `max-age` has passed,
//! and ID-token verification against them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use tokio::sync::RwLock;

/// Used when the answer has no usable `max-age`.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// At most this long, whatever the provider says.
const LONGEST_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Default)]
pub struct JwksCache {
    keys: Arc<RwLock<Option<(JwkSet, Instant)>>>,
}

/// The claims we use from an ID token (signature, `aud`, `iss` and `exp` are checked by the decoder).
#[derive(Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Google has sent `email_verified` as a string in some tokens.
fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Bool(b) => b,
        Raw::Text(t) => t == "true",
    })
}

fn max_age(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|d| d.trim().strip_prefix("max-age=")?.parse::<u64>().ok())
        })
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_MAX_AGE)
        .min(LONGEST_MAX_AGE)
}

#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    /// Bad signature, unknown key, wrong `aud`/`iss`, expired, malformed.
    #[error("the ID token is not valid: {0}")]
    Invalid(String),
    /// The keys could not be fetched.
    #[error(transparent)]
    Keys(#[from] anyhow::Error),
}

impl JwksCache {
    async fn fresh_keys(&self, http: &reqwest::Client, url: &str) -> anyhow::Result<JwkSet> {
        if let Some((keys, until)) = self.keys.read().await.as_ref()
            && Instant::now() < *until
        {
            return Ok(keys.clone());
        }
        let response = http.get(url).send().await?.error_for_status()?;
        let until = Instant::now() + max_age(response.headers());
        let keys: JwkSet = response.json().await?;
        *self.keys.write().await = Some((keys.clone(), until));
        Ok(keys)
    }

    /// Verifies an RS256 ID token: signature by a published key, `aud`, `iss`, `exp` (60 s leeway).
    pub async fn verify(
        &self,
        http: &reqwest::Client,
        jwks_url: &str,
        token: &str,
        audience: &str,
        issuers: &[String],
    ) -> Result<IdClaims, IdTokenError> {
        let invalid = |e: jsonwebtoken::errors::Error| IdTokenError::Invalid(e.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        if header.alg != Algorithm::RS256 {
            return Err(IdTokenError::Invalid("not RS256".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| IdTokenError::Invalid("no kid".into()))?;
        let keys = self.fresh_keys(http, jwks_url).await?;
        let jwk = keys
            .find(&kid)
            .ok_or_else(|| IdTokenError::Invalid("unknown kid".into()))?;
        let key = DecodingKey::from_jwk(jwk).map_err(invalid)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[audience]);
        validation.set_issuer(issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<IdClaims>(token, &key, &validation).map_err(invalid)?;
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{CACHE_CONTROL, HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn max_age_comes_from_cache_control_within_bounds() {
        let mut headers = HeaderMap::new();
        assert_eq!(max_age(&headers), DEFAULT_MAX_AGE);
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=19923, must-revalidate"),
        );
        assert_eq!(max_age(&headers), Duration::from_secs(19923));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=99999999"));
        assert_eq!(max_age(&headers), LONGEST_MAX_AGE);
    }
}
