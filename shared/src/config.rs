//! Typed configuration from environment variables.
//!
//! A function reads all its settings at cold start through one [`EnvReader`], which collects every
//! problem instead of stopping at the first, so a misconfigured deployment fails once with one message
//! that names every missing or malformed variable.

use std::{collections::HashMap, fmt, str::FromStr};

use crate::edge::EdgeSecret;

/// Reads variables and remembers what was wrong with them.
pub struct EnvReader {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl EnvReader {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// Reads the given pairs instead of the process environment (for tests and tools).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        EnvReader {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            problems: Vec::new(),
        }
    }

    /// A non-empty variable; records a problem (and returns an empty string) when it is missing.
    pub fn required(&mut self, name: &str) -> String {
        match self.optional(name) {
            Some(value) => value,
            None => {
                self.problems.push(format!("{name} is missing"));
                String::new()
            }
        }
    }

    /// A variable that may be absent; empty counts as absent.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A parsed variable with a default; records a problem when it is set but does not parse.
    pub fn parsed_or<T: FromStr>(&mut self, name: &str, default: T, expected: &str) -> T {
        match self.optional(name) {
            None => default,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                self.problems
                    .push(format!("{name} must be {expected} (got {raw:?})"));
                default
            }),
        }
    }

    /// A parsed variable that must also pass `check`, whose message says what is accepted.
    pub fn checked<T: FromStr + Clone>(
        &mut self,
        name: &str,
        default: T,
        expected: &str,
        check: impl Fn(&T) -> bool,
    ) -> T {
        let value = self.parsed_or(name, default.clone(), expected);
        if check(&value) {
            value
        } else {
            self.problems.push(format!("{name} must be {expected}"));
            default
        }
    }

    /// Records a problem found by the caller (for rules that span several variables).
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// `Ok` when every variable read was fine, else one error naming all problems.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

/// Everything wrong with the configuration, reported together.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

/// Settings every HTTP function shares.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes (`MAX_BODY_BYTES`, default 1 MiB). API Gateway's own
    /// limit is about 6 MB, so JSON endpoints stay far below it.
    pub max_body_bytes: usize,
    /// What CloudFront adds to the requests it sends (`ORIGIN_VERIFY_SECRET`, unset locally): on those,
    /// the caller's address is the viewer CloudFront reports ([`crate::edge`]).
    pub edge_secret: Option<EdgeSecret>,
}

impl HttpConfig {
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

    pub fn read(env: &mut EnvReader) -> Self {
        HttpConfig {
            max_body_bytes: env.checked(
                "MAX_BODY_BYTES",
                Self::DEFAULT_MAX_BODY_BYTES,
                "a whole number of bytes from 1024 to 6291456",
                |n| (1024..=6 * 1024 * 1024).contains(n),
            ),
            edge_secret: EdgeSecret::read(env),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            edge_secret: None,
        }
    }
}

/// The DynamoDB table of the shop (`TABLE_NAME`).
#[derive(Clone, Debug)]
pub struct TableConfig {
    pub table_name: String,
}

impl TableConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        TableConfig {
            table_name: env.required("TABLE_NAME"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut env = EnvReader::from_pairs([("MAX_BODY_BYTES", "lots"), ("TABLE_NAME", "  ")]);
        let _ = HttpConfig::read(&mut env);
        let _ = TableConfig::read(&mut env);
        let error = env.finish().unwrap_err();
        assert_eq!(error.0.len(), 2, "{error}");
        let message = error.to_string();
        assert!(
            message.contains("MAX_BODY_BYTES must be a whole number"),
            "{message}"
        );
        assert!(message.contains("TABLE_NAME is missing"), "{message}");
    }

    #[test]
    fn out_of_range_values_are_problems_and_good_values_pass() {
        let mut env = EnvReader::from_pairs([("MAX_BODY_BYTES", "10")]);
        let _ = HttpConfig::read(&mut env);
        assert!(env.finish().is_err());

        let mut env = EnvReader::from_pairs([("MAX_BODY_BYTES", "2048"), ("TABLE_NAME", "shop")]);
        let http = HttpConfig::read(&mut env);
        let table = TableConfig::read(&mut env);
        env.finish().unwrap();
        assert_eq!(
            (http.max_body_bytes, table.table_name.as_str()),
            (2048, "shop")
        );
    }
}
