//! Password hashing: argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing takes tens of milliseconds of CPU on purpose, so it runs on the blocking thread pool and
//! never stalls the async runtime.

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier},
};

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The hash of 32 random bytes that were thrown away, with the same parameters as real hashes. A login
/// for an unknown email verifies against it, so it costs the same time as one with a wrong password; a
/// constant keeps that cost out of cold starts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$/jb4d2Dn7nuy5BI4PxrnYw$kLdrK0IPeU3brfdIp3OoecLOxZqKPswz2izL0ZYUTAA";

fn hash_blocking(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes())
        .expect("hashing with a fresh salt cannot fail")
        .to_string()
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) of `password` with a fresh random salt.
pub async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || hash_blocking(&password)).await?)
}

/// Whether `password` matches `phc`. With `phc = None` (unknown user) it verifies against a dummy hash
/// and answers `false`, taking the same time.
pub async fn verify(password: String, phc: Option<String>) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let matches = argon2()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok();
        known && matches
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            verify("correct horse".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("wrong horse".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert_ne!(
            phc,
            hash("correct horse".into()).await.unwrap(),
            "every hash has its own salt"
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await.unwrap());
        assert!(
            DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "same cost as real hashes"
        );
    }
}
