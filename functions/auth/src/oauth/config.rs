//! Where the providers are, who we are to them, and where browsers may be sent back to.

use shared::{
    config::EnvReader,
    origin::{AllowedOrigins, origin_of},
};

/// One provider's endpoints and client id; `None` in [`OAuthConfig`] when its client id is unset.
#[derive(Clone, Debug)]
pub struct GithubConfig {
    /// `GITHUB_CLIENT_ID`
    pub client_id: String,
    /// `GITHUB_AUTHORIZE_URL` (default `https://github.com/login/oauth/authorize`)
    pub authorize_url: String,
    /// `GITHUB_TOKEN_URL` (default `https://github.com/login/oauth/access_token`)
    pub token_url: String,
    /// `GITHUB_API_URL` (default `https://api.github.com`): `/user` is read there.
    pub api_url: String,
}

#[derive(Clone, Debug)]
pub struct GoogleConfig {
    /// `GOOGLE_CLIENT_ID`: also the `aud` every ID token must carry.
    pub client_id: String,
    /// `GOOGLE_AUTHORIZE_URL` (default `https://accounts.google.com/o/oauth2/v2/auth`)
    pub authorize_url: String,
    /// `GOOGLE_TOKEN_URL` (default `https://oauth2.googleapis.com/token`)
    pub token_url: String,
    /// `GOOGLE_JWKS_URL` (default `https://www.googleapis.com/oauth2/v3/certs`)
    pub jwks_url: String,
    /// `GOOGLE_ISSUERS`, comma-separated (default Google's two spellings).
    pub issuers: Vec<String>,
    /// `GOOGLE_AUTH_REDIRECT_URL`: where seed 002's callback sends the browser with its tokens (its
    /// `authRedirectUrl`); must be on an allowed origin. Unset: that flow is off (`POST /auth/google`
    /// still works).
    pub app_redirect_url: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct OAuthConfig {
    /// `ALLOWED_ORIGINS`: comma-separated origins (`https://shop.example.com`) redirect targets must be
    /// on; the template sets it from `CorsAllowedOrigins`. Empty: every target is refused.
    pub allowed_origins: AllowedOrigins,
    /// `OAUTH_CALLBACK_BASE_URL`: the API's public base URL, where the providers send the browser back
    /// (`<base>/auth/github/callback`, `<base>/v1/auth/google/callback`). Required with a provider.
    pub callback_base_url: String,
    /// `OAUTH_SECRET_ID`: Secrets Manager secret holding `{"githubClientSecret", "googleClientSecret"}`.
    /// Required with a provider.
    pub secret_id: String,
    pub github: Option<GithubConfig>,
    pub google: Option<GoogleConfig>,
}

impl OAuthConfig {
    /// Whether `url` may receive a browser after sign-in.
    pub fn allows(&self, url: &str) -> bool {
        self.allowed_origins.allows(url)
    }

    pub fn read(env: &mut EnvReader) -> Self {
        let or = |env: &EnvReader, name: &str, default: &str| {
            env.optional(name).unwrap_or_else(|| default.to_owned())
        };
        let allowed_origins = AllowedOrigins::read(env);
        let github = env
            .optional("GITHUB_CLIENT_ID")
            .map(|client_id| GithubConfig {
                client_id,
                authorize_url: or(
                    env,
                    "GITHUB_AUTHORIZE_URL",
                    "https://github.com/login/oauth/authorize",
                ),
                token_url: or(
                    env,
                    "GITHUB_TOKEN_URL",
                    "https://github.com/login/oauth/access_token",
                ),
                api_url: or(env, "GITHUB_API_URL", "https://api.github.com")
                    .trim_end_matches('/')
                    .to_owned(),
            });
        let google = env
            .optional("GOOGLE_CLIENT_ID")
            .map(|client_id| GoogleConfig {
                client_id,
                authorize_url: or(
                    env,
                    "GOOGLE_AUTHORIZE_URL",
                    "https://accounts.google.com/o/oauth2/v2/auth",
                ),
                token_url: or(
                    env,
                    "GOOGLE_TOKEN_URL",
                    "https://oauth2.googleapis.com/token",
                ),
                jwks_url: or(
                    env,
                    "GOOGLE_JWKS_URL",
                    "https://www.googleapis.com/oauth2/v3/certs",
                ),
                issuers: or(
                    env,
                    "GOOGLE_ISSUERS",
                    "https://accounts.google.com,accounts.google.com",
                )
                .split(',')
                .map(|i| i.trim().to_owned())
                .filter(|i| !i.is_empty())
                .collect(),
                app_redirect_url: env.optional("GOOGLE_AUTH_REDIRECT_URL"),
            });
        let enabled = github.is_some() || google.is_some();
        let mut config = OAuthConfig {
            allowed_origins,
            callback_base_url: env
                .optional("OAUTH_CALLBACK_BASE_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
            secret_id: env.optional("OAUTH_SECRET_ID").unwrap_or_default(),
            github,
            google,
        };
        if enabled {
            if origin_of(&config.callback_base_url).is_none() {
                env.problem("OAUTH_CALLBACK_BASE_URL must be the API's http(s) base URL when GITHUB_CLIENT_ID or GOOGLE_CLIENT_ID is set");
            }
            if config.secret_id.is_empty() {
                env.problem(
                    "OAUTH_SECRET_ID is missing (GITHUB_CLIENT_ID or GOOGLE_CLIENT_ID is set)",
                );
            }
        }
        if let Some(target) = config
            .google
            .as_ref()
            .and_then(|g| g.app_redirect_url.clone())
            && !config.allows(&target)
        {
            env.problem("GOOGLE_AUTH_REDIRECT_URL must be on one of ALLOWED_ORIGINS");
            config
                .google
                .as_mut()
                .expect("checked above")
                .app_redirect_url = None;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_allowed_origins_pass() {
        let config = OAuthConfig {
            allowed_origins: AllowedOrigins::parse(
                "https://shop.example.com,http://localhost:3000",
            )
            .unwrap(),
            ..OAuthConfig::default()
        };
        for ok in [
            "https://shop.example.com/en/auth/provider-login",
            "https://SHOP.example.com",
            "http://localhost:3000/auth/login?github_error=true",
        ] {
            assert!(config.allows(ok), "{ok}");
        }
        for bad in [
            "https://shop.example.com.evil.test/x",
            "https://shop.example.com@evil.test/x",
            "http://shop.example.com/x",
            "https://evil.test/?https://shop.example.com",
            "//shop.example.com/x",
            "javascript:alert(1)",
            "http://localhost:3001/",
            "",
        ] {
            assert!(!config.allows(bad), "{bad}");
        }
    }

    #[test]
    fn a_provider_needs_its_callback_base_and_secret() {
        let mut env = EnvReader::from_pairs([("GITHUB_CLIENT_ID", "abc")]);
        let _ = OAuthConfig::read(&mut env);
        let error = env.finish().unwrap_err().to_string();
        assert!(error.contains("OAUTH_CALLBACK_BASE_URL"), "{error}");
        assert!(error.contains("OAUTH_SECRET_ID"), "{error}");
        let mut env = EnvReader::from_pairs([("ALLOWED_ORIGINS", "http://localhost:3000/")]);
        let config = OAuthConfig::read(&mut env);
        env.finish().unwrap();
        assert!(config.github.is_none() && config.google.is_none());
        assert!(config.allows("http://localhost:3000/auth/login"));
    }
}
