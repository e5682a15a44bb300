//! Where the payment provider is and which secret holds its keys.

use reqwest::Url;
use shared::config::EnvReader;

/// Stripe's API, the default provider.
pub const STRIPE_API_URL: &str = "https://api.stripe.com";

#[derive(Clone, Debug)]
pub struct PaymentConfig {
    /// `PAYMENT_API_URL`, without a trailing slash. HTTPS, or plain HTTP only on a loopback host (the
    /// local provider), so a deployment can never send card payments to a stand-in by accident.
    pub api_url: String,
    /// `PAYMENT_SECRET_ID`: the Secrets Manager secret (name or ARN) holding
    /// `{"secretKey": "...", "webhookSecret": "..."}`.
    pub secret_id: String,
    /// `PAYMENT_CURRENCY`: ISO 4217 code in Stripe's lower case (default `egp`).
    pub currency: String,
}

impl PaymentConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        let api_url = match env.optional("PAYMENT_API_URL") {
            None => STRIPE_API_URL.to_owned(),
            Some(raw) => check_api_url(&raw).unwrap_or_else(|problem| {
                env.problem(format!("PAYMENT_API_URL {problem} (got {raw:?})"));
                STRIPE_API_URL.to_owned()
            }),
        };
        let currency = env
            .optional("PAYMENT_CURRENCY")
            .map(|c| c.to_ascii_lowercase())
            .unwrap_or_else(|| "egp".to_owned());
        if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_lowercase())) {
            env.problem(format!(
                "PAYMENT_CURRENCY must be a three-letter currency code (got {currency:?})"
            ));
        }
        PaymentConfig {
            api_url,
            secret_id: env.required("PAYMENT_SECRET_ID"),
            currency,
        }
    }
}

/// The base URL, trimmed of its trailing slash, or what is wrong with it.
fn check_api_url(raw: &str) -> Result<String, &'static str> {
    let url = Url::parse(raw).map_err(|_| "must be an absolute URL")?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("must not carry a query, a fragment or credentials");
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err("may use plain http only on a loopback host (127.0.0.1, ::1, localhost)");
        }
        _ => return Err("must be an https URL"),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<PaymentConfig, String> {
        let mut env = EnvReader::from_pairs(pairs.iter().copied());
        let config = PaymentConfig::read(&mut env);
        env.finish().map(|()| config).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_stripe_and_egp() {
        let config = read(&[("PAYMENT_SECRET_ID", "belta/payments")]).unwrap();
        assert_eq!(config.api_url, "https://api.stripe.com");
        assert_eq!(config.currency, "egp");
        assert_eq!(config.secret_id, "belta/payments");
    }

    #[test]
    fn plain_http_is_only_for_loopback_hosts() {
        for url in [
            "http://127.0.0.1:4243/",
            "http://127.9.9.9:1",
            "http://[::1]:4243",
            "http://localhost:4243",
            "https://pay.example.com",
        ] {
            let config = read(&[("PAYMENT_SECRET_ID", "s"), ("PAYMENT_API_URL", url)]);
            assert!(config.is_ok(), "{url}: {config:?}");
        }
        assert_eq!(
            read(&[
                ("PAYMENT_SECRET_ID", "s"),
                ("PAYMENT_API_URL", "http://127.0.0.1:4243/")
            ])
            .unwrap()
            .api_url,
            "http://127.0.0.1:4243"
        );
        for url in [
            "http://api.stripe.com",
            "http://10.0.0.5:4243",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
            "https://user:pw@api.stripe.com",
            "https://api.stripe.com?x=1",
            "api.stripe.com",
        ] {
            let error = read(&[("PAYMENT_SECRET_ID", "s"), ("PAYMENT_API_URL", url)]).unwrap_err();
            assert!(error.contains("PAYMENT_API_URL"), "{url}: {error}");
        }
    }

    #[test]
    fn every_problem_is_named() {
        let error = read(&[("PAYMENT_CURRENCY", "pounds")]).unwrap_err();
        assert!(error.contains("PAYMENT_SECRET_ID is missing"), "{error}");
        assert!(error.contains("PAYMENT_CURRENCY"), "{error}");
        assert_eq!(
            read(&[("PAYMENT_SECRET_ID", "s"), ("PAYMENT_CURRENCY", "USD")])
                .unwrap()
                .currency,
            "usd"
        );
    }
}
