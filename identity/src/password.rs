//! Passwords: [`Password`], a length-checked secret, and argon2id hashing with OWASP's parameters
//! (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing takes tens of milliseconds of CPU on purpose, so it runs on the blocking thread pool and
//! never stalls the async runtime.
//!
//! Accounts imported from Belta (`ops import-belta`) keep their bcrypt hash until they first log in:
//! [`Password::verify_login`] alone accepts one, and hands back its argon2id replacement, which login
//! stores in the same request. Nothing else (password change, account deletion) accepts bcrypt.

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier},
};
use secrecy::{ExposeSecret, SecretString};
use shared::FieldIssue;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

/// A password of 8 to 128 characters. Never logged: its `Debug` is redacted.
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    /// What [`Password::parse`] accepts, as JSON Schema.
    pub fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        shared::api::schema::to_schema(serde_json::json!({
            "type": "string", "minLength": MIN_LENGTH, "maxLength": MAX_LENGTH,
        }))
    }

    pub fn parse(raw: String) -> Result<Self, FieldIssue> {
        if (MIN_LENGTH..=MAX_LENGTH).contains(&raw.chars().count()) {
            Ok(Password(SecretString::from(raw)))
        } else {
            Err(FieldIssue::Length {
                min: MIN_LENGTH,
                max: MAX_LENGTH,
            })
        }
    }

    /// A password as a login presents it, of any length: one set under older rules still logs in, and
    /// anything else is just a wrong password.
    pub fn presented(raw: String) -> Self {
        Password(SecretString::from(raw))
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) of this password with a fresh random salt.
    pub async fn hash(&self) -> anyhow::Result<String> {
        let password = self.0.clone();
        Ok(tokio::task::spawn_blocking(move || {
            argon2()
                .hash_password(password.expose_secret().as_bytes())
                .expect("hashing with a fresh salt cannot fail")
                .to_string()
        })
        .await?)
    }

    /// Whether this password matches `phc`. With `phc = None` (unknown user) it verifies against a dummy
    /// hash and answers `false`, taking the same time.
    pub async fn verify(&self, phc: Option<String>) -> anyhow::Result<bool> {
        let password = self.0.clone();
        Ok(tokio::task::spawn_blocking(move || {
            let known = phc.is_some();
            let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let matches = argon2()
                .verify_password(password.expose_secret().as_bytes(), phc.as_str())
                .is_ok();
            known && matches
        })
        .await?)
    }
}

/// What a login's password check found.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginCheck {
    NoMatch,
    Matches,
    /// It matched a legacy (bcrypt) hash: store this argon2id hash in its place.
    MatchesLegacy {
        rehashed: String,
    },
}

impl LoginCheck {
    pub fn matches(&self) -> bool {
        !matches!(self, LoginCheck::NoMatch)
    }
}

/// Whether a stored hash is a bcrypt one (`$2a$`, `$2b$`, `$2y$`), as Belta stored them.
pub fn is_legacy_hash(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p))
}

impl Password {
    /// [`Password::verify`] for a login, which alone also accepts a bcrypt hash imported from Belta. An
    /// unknown user (`None`) costs one argon2id verification, as before; a bcrypt account costs one
    /// bcrypt verification (10 rounds, about as long), plus one argon2id hash when it matches.
    pub async fn verify_login(&self, stored: Option<String>) -> anyhow::Result<LoginCheck> {
        let Some(legacy) = stored.clone().filter(|h| is_legacy_hash(h)) else {
            return Ok(match self.verify(stored).await? {
                true => LoginCheck::Matches,
                false => LoginCheck::NoMatch,
            });
        };
        let password = self.0.clone();
        let matches = tokio::task::spawn_blocking(move || {
            // bcrypt compares in constant time; a malformed hash is just no match.
            bcrypt::verify(password.expose_secret().as_bytes(), &legacy).unwrap_or(false)
        })
        .await?;
        Ok(match matches {
            true => LoginCheck::MatchesLegacy {
                rehashed: self.hash().await?,
            },
            false => LoginCheck::NoMatch,
        })
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The hash of 32 random bytes that were thrown away, with the same parameters as real hashes. A login
/// for an unknown email verifies against it, so it costs the same time as one with a wrong password; a
/// constant keeps that cost out of cold starts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$/jb4d2Dn7nuy5BI4PxrnYw$kLdrK0IPeU3brfdIp3OoecLOxZqKPswz2izL0ZYUTAA";

#[cfg(test)]
mod tests {
    use super::*;

    fn password(raw: &str) -> Password {
        Password::parse(raw.into()).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = password("correct horse").hash().await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            password("correct horse")
                .verify(Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !password("wrong horse")
                .verify(Some(phc.clone()))
                .await
                .unwrap()
        );
        assert_ne!(
            phc,
            password("correct horse").hash().await.unwrap(),
            "every hash has its own salt"
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!password("anything").verify(None).await.unwrap());
        assert!(
            DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "same cost as real hashes"
        );
    }

    #[tokio::test]
    async fn only_a_login_accepts_a_bcrypt_hash_and_gets_its_argon2id_replacement() {
        // Belta's hashes: bcrypt, 10 rounds (`$2b$10$...`; bcryptjs wrote `$2a$`).
        let bcrypt_hash = bcrypt::hash("belta password", 10).unwrap();
        assert!(is_legacy_hash(&bcrypt_hash), "{bcrypt_hash}");
        let right = Password::presented("belta password".into());
        let LoginCheck::MatchesLegacy { rehashed } =
            right.verify_login(Some(bcrypt_hash.clone())).await.unwrap()
        else {
            panic!("the right password matches a bcrypt hash at login");
        };
        assert!(rehashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(right.verify(Some(rehashed.clone())).await.unwrap());
        assert_eq!(
            right.verify_login(Some(rehashed)).await.unwrap(),
            LoginCheck::Matches
        );
        assert_eq!(
            Password::presented("wrong password".into())
                .verify_login(Some(bcrypt_hash.clone()))
                .await
                .unwrap(),
            LoginCheck::NoMatch
        );
        assert!(
            !right.verify(Some(bcrypt_hash)).await.unwrap(),
            "outside login a bcrypt hash never verifies"
        );
        assert_eq!(right.verify_login(None).await.unwrap(), LoginCheck::NoMatch);
    }

    #[test]
    fn passwords_have_8_to_128_characters() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        assert!(
            Password::parse("ب".repeat(128)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            Password::parse("x".repeat(129)).unwrap_err(),
            FieldIssue::Length { min: 8, max: 128 }
        );
    }
}
