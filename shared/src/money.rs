//! Exact money: integer minor units (piasters), rendered as Belta's JSON numbers with at most two decimals.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// An amount in minor units (1/100 of the currency unit). Arithmetic on it is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);
    /// Largest amount accepted from a client: well inside f64's exact integer range, far above any price.
    pub const MAX_UNITS: f64 = 1e12;

    pub const fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Reads a JSON number: whole units, or units with at most two decimals.
    pub fn from_units(units: f64) -> Result<Self, MoneyError> {
        if !units.is_finite() || units.abs() > Money::MAX_UNITS {
            return Err(MoneyError::OutOfRange);
        }
        let minor = (units * 100.0).round();
        // A genuine two-decimal number is within float noise of a whole number of piasters.
        if (units * 100.0 - minor).abs() > 1e-6 {
            return Err(MoneyError::TooManyDecimals);
        }
        Ok(Money(minor as i64))
    }

    fn as_json_number(self) -> serde_json::Number {
        if self.0 % 100 == 0 {
            serde_json::Number::from(self.0 / 100)
        } else {
            // `minor / 100.0` is the double nearest the decimal; its shortest rendering is that decimal.
            serde_json::Number::from_f64(self.0 as f64 / 100.0).expect("finite")
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("an amount has at most two decimal places")]
    TooManyDecimals,
    #[error("amount out of range")]
    OutOfRange,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_json_number().serialize(serializer)
    }
}

impl Money {
    /// The newtype name `Money` deserializes under, so the request extractors can name what is wrong
    /// with an amount from [`MoneyError`] ([`crate::extract::de`]); other deserializers read the number inside.
    pub const SERDE_NAME: &'static str = "shared::Money";
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Units;
        impl<'de> de::Visitor<'de> for Units {
            type Value = Money;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Money, D::Error> {
                Money::from_units(f64::deserialize(d)?).map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_newtype_struct(Money::SERDE_NAME, Units)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .multiple_of(Some(0.01))
            .description(Some("Amount in currency units with at most two decimals"))
            .into()
    }
}

impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_render_as_numbers_with_at_most_two_decimals() {
        let cases = [
            (12345, "123.45"),
            (1200, "12"),
            (1, "0.01"),
            (10, "0.1"),
            (0, "0"),
            (-250, "-2.5"),
        ];
        for (minor, json) in cases {
            assert_eq!(
                serde_json::to_string(&Money::from_minor(minor)).unwrap(),
                json
            );
        }
    }

    #[test]
    fn amounts_parse_exactly() {
        let cases = [
            ("19.99", 1999),
            ("0.1", 10),
            ("100", 10000),
            ("1e2", 10000),
            ("0.29", 29),
            ("1234567.89", 123456789),
        ];
        for (json, minor) in cases {
            assert_eq!(
                serde_json::from_str::<Money>(json).unwrap(),
                Money::from_minor(minor),
                "{json}"
            );
        }
    }

    #[test]
    fn more_than_two_decimals_or_absurd_amounts_are_refused() {
        assert_eq!(Money::from_units(1.005), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::from_units(0.001), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::from_units(f64::NAN), Err(MoneyError::OutOfRange));
        assert_eq!(Money::from_units(1e13), Err(MoneyError::OutOfRange));
        assert!(serde_json::from_str::<Money>("1.234").is_err());
    }

    #[test]
    fn display_is_plain_decimal() {
        assert_eq!(Money::from_minor(5).to_string(), "0.05");
        assert_eq!(Money::from_minor(-123456).to_string(), "-1234.56");
    }
}
