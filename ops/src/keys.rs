//! Token keys for operators: a new Ed25519 signing key with its id (`ops keys new`), printed as the
//! value of the signing-key secret and as its entry in `TOKEN_PUBLIC_KEYS`. README, "Token keys and
//! their rotation", says what to do with them.

use identity::SigningKey;
use secrecy::ExposeSecret;
use shared::clock::now_secs;

/// A new key; its kid is `kid`, or the day's date and a random suffix (`2026-12-03-1a2b`), which sorts
/// keys by age and never repeats in practice.
pub fn new_key(kid: Option<&str>) -> anyhow::Result<SigningKey> {
    let kid = match kid {
        Some(kid) => kid.to_owned(),
        None => {
            let today = time::OffsetDateTime::from_unix_timestamp(now_secs())?.date();
            format!("{today}-{:04x}", rand::random::<u16>())
        }
    };
    SigningKey::generate(&kid).map_err(anyhow::Error::from)
}

/// What `ops keys new` prints for an operator.
pub fn instructions(key: &SigningKey) -> String {
    format!(
        "kid: {kid}\n\n\
         1. The signing-key secret's value (only the auth function reads it; never put it in a parameter,\n   \
         a file in the repository or a ticket):\n\n{secret}\n\n\
         2. The public key, to add to the TokenPublicKeys parameter (comma-separated, at most 3):\n\n{public}\n",
        kid = key.kid(),
        secret = key.to_secret_json().expose_secret(),
        public = key.public().entry(),
    )
}

/// The same key as shell-quoted variables for `.dev/token-keys.env` (the local stack):
/// `TOKEN_SIGNING_KEY` (the secret's value, which `ops bootstrap --local-token-key` writes into the
/// emulator) and `TOKEN_PUBLIC_KEYS`.
pub fn env_lines(key: &SigningKey) -> String {
    format!(
        "TOKEN_SIGNING_KEY='{}'\nTOKEN_PUBLIC_KEYS={}\n",
        key.to_secret_json().expose_secret(),
        key.public().entry()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_reads_back_from_what_is_printed() {
        let key = new_key(None).unwrap();
        let (date, suffix) = key.kid().rsplit_once('-').unwrap();
        assert_eq!((date.len(), suffix.len()), (10, 4), "{}", key.kid());

        let lines = env_lines(&key);
        let secret = lines
            .lines()
            .find_map(|l| l.strip_prefix("TOKEN_SIGNING_KEY='"))
            .and_then(|v| v.strip_suffix('\''))
            .unwrap();
        let read = SigningKey::from_secret_json(secret).unwrap();
        assert_eq!(read.public(), key.public());
        assert!(lines.contains(&format!("TOKEN_PUBLIC_KEYS={}", key.public().entry())));
        assert!(instructions(&key).contains(&key.public().entry()));

        assert_eq!(new_key(Some("k-1")).unwrap().kid(), "k-1");
        assert!(new_key(Some("bad kid")).is_err());
    }
}
