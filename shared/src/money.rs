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

    /// Reads a number: whole units, or units with at most two decimals.
    ///
    /// Decided on the shortest decimal that reads back as this double (the number the client wrote,
    /// or one equal to it), never on float arithmetic: a fixed tolerance refused large genuine amounts
    /// (float noise at 10^10 exceeds it) and let tiny fractions through as 0.
    pub fn from_units(units: f64) -> Result<Self, MoneyError> {
        if !units.is_finite() || units.abs() > Money::MAX_UNITS {
            return Err(MoneyError::OutOfRange);
        }
        // `Display` of an f64 is that shortest decimal, never in exponent form.
        let text = units.abs().to_string();
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if fraction.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let digits = |text: &str| text.parse::<i64>().map_err(|_| MoneyError::OutOfRange);
        let minor = digits(whole)? * 100 + digits(&format!("{fraction:0<2}"))?;
        Ok(Money(if units < 0.0 { -minor } else { minor }))
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
        assert_eq!(
            Money::from_units(0.1 + 0.2),
            Err(MoneyError::TooManyDecimals),
            "0.30000000000000004"
        );
        assert_eq!(
            Money::from_units(-1.75e-273),
            Err(MoneyError::TooManyDecimals),
            "not 0"
        );
    }

    #[test]
    fn large_amounts_with_two_decimals_are_exact() {
        // As an f64 times 100 these are off a whole piaster count by more than 1e-6.
        for (units, minor) in [
            (8_845_030_887.71, 884_503_088_771),
            (-8_845_030_887.71, -884_503_088_771),
            (999_999_999_999.99, 99_999_999_999_999),
            (19.99, 1999),
            (-0.05, -5),
            (-0.0, 0),
        ] {
            assert_eq!(
                Money::from_units(units),
                Ok(Money::from_minor(minor)),
                "{units}"
            );
        }
    }

    #[test]
    fn display_is_plain_decimal() {
        assert_eq!(Money::from_minor(5).to_string(), "0.05");
        assert_eq!(Money::from_minor(-123456).to_string(), "-1234.56");
    }
}
