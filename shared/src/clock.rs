//! The current time, and dates written the way Belta's (JavaScript) clients read them.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, macros::format_description};

/// Unix seconds (token claims, expiries, rate-limit windows).
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Unix milliseconds (`createdAt`/`updatedAt`).
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// ISO 8601 in UTC with milliseconds (`2025-06-19T21:46:40.123Z`), as JavaScript's `toISOString`.
pub fn iso_millis(unix_millis: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(unix_millis as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_with_milliseconds_like_javascript() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_750_369_600_123), "2025-06-19T21:46:40.123Z");
        assert_eq!(iso_millis(1_750_369_600_100), "2025-06-19T21:46:40.100Z");
    }
}
