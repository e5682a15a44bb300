//! Reading `mongoexport` output: one MongoDB Extended JSON document per line, in either of its two modes.
//!
//! | value | relaxed (the default) | canonical (`--jsonFormat=canonical`) |
//! |---|---|---|
//! | ObjectId | `{"$oid": "<24 hex>"}` | the same |
//! | date | `{"$date": "2025-06-01T10:00:00.000Z"}` | `{"$date": {"$numberLong": "<ms>"}}` |
//! | double | a JSON number | `{"$numberDouble": "19.99"}` |
//! | int32, int64 | a JSON number | `{"$numberInt": "5"}`, `{"$numberLong": "5"}` |
//! | decimal128 | `{"$numberDecimal": "19.99"}` | the same |
//!
//! Numbers are kept as exact decimals ([`Decimal`]): a relaxed double is read as the shortest decimal
//! that reads back as the same double, which is the number Belta's clients were shown.

use serde_json::{Map, Value};
use shared::Id;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// One exported document.
#[derive(Clone, Debug)]
pub struct Doc(pub Map<String, Value>);

/// Why a field could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("`{0}` is missing")]
    Missing(String),
    #[error("`{0}` is not {1}")]
    Wrong(String, &'static str),
}

impl Doc {
    pub fn parse(line: &str) -> Result<Doc, String> {
        match serde_json::from_str(line) {
            Ok(Value::Object(map)) => Ok(Doc(map)),
            Ok(_) => Err("a line is not a JSON object".into()),
            Err(e) => Err(format!("malformed JSON: {e}")),
        }
    }

    /// A field that is present and not null.
    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    fn wrong(field: &str, what: &'static str) -> FieldError {
        FieldError::Wrong(field.to_owned(), what)
    }

    pub fn id(&self) -> Result<Id, FieldError> {
        self.required_oid("_id")
    }

    pub fn oid(&self, field: &str) -> Result<Option<Id>, FieldError> {
        self.get(field)
            .map(|v| oid(v).ok_or_else(|| Self::wrong(field, "an ObjectId")))
            .transpose()
    }

    pub fn required_oid(&self, field: &str) -> Result<Id, FieldError> {
        self.oid(field)?
            .ok_or_else(|| FieldError::Missing(field.to_owned()))
    }

    /// An array of ObjectIds (absent: empty).
    pub fn oids(&self, field: &str) -> Result<Vec<Id>, FieldError> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| oid(v).ok_or_else(|| Self::wrong(field, "a list of ObjectIds")))
                .collect(),
            Some(_) => Err(Self::wrong(field, "a list of ObjectIds")),
        }
    }

    pub fn text(&self, field: &str) -> Result<Option<String>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Self::wrong(field, "a string")),
        }
    }

    /// A string that is present and not blank, trimmed (Mongoose trimmed Belta's names).
    pub fn required_text(&self, field: &str) -> Result<String, FieldError> {
        self.text(field)?
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| FieldError::Missing(field.to_owned()))
    }

    pub fn texts(&self, field: &str) -> Result<Vec<String>, FieldError> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| Self::wrong(field, "a list of strings"))
                })
                .collect(),
            Some(_) => Err(Self::wrong(field, "a list of strings")),
        }
    }

    pub fn flag(&self, field: &str) -> Result<bool, FieldError> {
        match self.get(field) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Self::wrong(field, "true or false")),
        }
    }

    pub fn number(&self, field: &str) -> Result<Option<Decimal>, FieldError> {
        self.get(field)
            .map(|v| number(v).ok_or_else(|| Self::wrong(field, "a number")))
            .transpose()
    }

    pub fn required_number(&self, field: &str) -> Result<Decimal, FieldError> {
        self.number(field)?
            .ok_or_else(|| FieldError::Missing(field.to_owned()))
    }

    /// Unix milliseconds.
    pub fn date(&self, field: &str) -> Result<Option<i64>, FieldError> {
        self.get(field)
            .map(|v| date(v).ok_or_else(|| Self::wrong(field, "a date")))
            .transpose()
    }

    /// Embedded documents (absent: none).
    pub fn docs(&self, field: &str) -> Result<Vec<Doc>, FieldError> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| match v {
                    Value::Object(map) => Ok(Doc(map.clone())),
                    _ => Err(Self::wrong(field, "a list of documents")),
                })
                .collect(),
            Some(_) => Err(Self::wrong(field, "a list of documents")),
        }
    }
}

/// The single `$key` of a wrapper object such as `{"$oid": ...}`.
fn wrapped<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(key),
        _ => None,
    }
}

fn oid(value: &Value) -> Option<Id> {
    wrapped(value, "$oid")?.as_str()?.parse().ok()
}

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(Decimal::from_int(i)),
            // The shortest decimal that reads back as this double: what JavaScript printed.
            (None, Some(f)) if f.is_finite() => Decimal::parse(&f.to_string()),
            _ => None,
        },
        Value::Object(_) => [
            "$numberDouble",
            "$numberInt",
            "$numberLong",
            "$numberDecimal",
        ]
        .iter()
        .find_map(|key| wrapped(value, key))
        .and_then(Value::as_str)
        .and_then(Decimal::parse),
        _ => None,
    }
}

fn date(value: &Value) -> Option<i64> {
    match wrapped(value, "$date")? {
        Value::String(iso) => {
            let at = OffsetDateTime::parse(iso, &Rfc3339).ok()?;
            i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
        }
        Value::Number(n) => n.as_i64(),
        long => wrapped(long, "$numberLong")?.as_str()?.parse().ok(),
    }
}

/// An exact decimal number: `units / 10^scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    units: i128,
    scale: u32,
}

/// Larger than any amount a shop stores, small enough that nothing overflows.
const MAX_DIGITS: usize = 30;

impl Decimal {
    pub fn from_int(value: i64) -> Decimal {
        Decimal {
            units: i128::from(value),
            scale: 0,
        }
    }

    /// `-12.345`, `12`, `1.5e3`, `1e-7`; not `NaN` or `Infinity`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{whole}{fraction}");
        if digits.is_empty()
            || digits.len() > MAX_DIGITS
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut units: i128 = digits.parse().ok()?;
        let mut scale = fraction.len() as i32 - exponent;
        while scale < 0 {
            units = units.checked_mul(10)?;
            scale += 1;
        }
        if scale > MAX_DIGITS as i32 {
            return None;
        }
        let units = if negative { -units } else { units };
        Some(
            Decimal {
                units,
                scale: scale as u32,
            }
            .normalized(),
        )
    }

    /// Without trailing zeros after the point (`1.50` is `1.5`).
    fn normalized(mut self) -> Decimal {
        while self.scale > 0 && self.units % 10 == 0 {
            self.units /= 10;
            self.scale -= 1;
        }
        self
    }

    /// The value in `1/10^decimals` steps, rounded half away from zero, and whether rounding changed it.
    pub fn in_steps(self, decimals: u32) -> (i128, bool) {
        if self.scale <= decimals {
            return (self.units * 10i128.pow(decimals - self.scale), false);
        }
        let divisor = 10i128.pow(self.scale - decimals);
        let (quotient, remainder) = (self.units / divisor, self.units % divisor);
        let rounded = if remainder.abs() * 2 >= divisor {
            quotient + self.units.signum()
        } else {
            quotient
        };
        (rounded, true)
    }

    /// A whole number, if it is one.
    pub fn as_integer(self) -> Option<i128> {
        (self.scale == 0).then_some(self.units)
    }

    pub fn is_negative(self) -> bool {
        self.units < 0
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let digits = format!(
            "{:0>width$}",
            self.units.unsigned_abs(),
            width = self.scale as usize + 1
        );
        let (whole, fraction) = digits.split_at(digits.len() - self.scale as usize);
        match fraction {
            "" => write!(f, "{sign}{whole}"),
            _ => write!(f, "{sign}{whole}.{fraction}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Doc {
        Doc::parse(json).unwrap()
    }

    #[test]
    fn reads_both_modes_of_mongoexport() {
        let relaxed = doc(
            r#"{"_id":{"$oid":"6650a1b2c3d4e5f6a7b8c9d0"},"price":19.99,"quantity":5,"createdAt":{"$date":"2024-05-24T14:00:50.123Z"},"d":{"$numberDecimal":"7.10"}}"#,
        );
        let canonical = doc(
            r#"{"_id":{"$oid":"6650a1b2c3d4e5f6a7b8c9d0"},"price":{"$numberDouble":"19.99"},"quantity":{"$numberInt":"5"},"createdAt":{"$date":{"$numberLong":"1716559250123"}},"d":{"$numberDecimal":"7.10"}}"#,
        );
        for doc in [relaxed, canonical] {
            assert_eq!(doc.id().unwrap().to_string(), "6650a1b2c3d4e5f6a7b8c9d0");
            assert_eq!(doc.required_number("price").unwrap().to_string(), "19.99");
            assert_eq!(
                doc.required_number("quantity").unwrap().as_integer(),
                Some(5)
            );
            assert_eq!(doc.date("createdAt").unwrap(), Some(1_716_559_250_123));
            assert_eq!(doc.required_number("d").unwrap().to_string(), "7.1");
        }
    }

    #[test]
    fn missing_null_and_wrong_fields_are_told_apart() {
        let doc = doc(r#"{"brand":null,"labels":[{"$oid":"zz"}],"name":" ","flag":"yes"}"#);
        assert_eq!(doc.oid("brand"), Ok(None));
        assert_eq!(doc.oid("subcategory"), Ok(None));
        assert!(matches!(doc.oids("labels"), Err(FieldError::Wrong(..))));
        assert!(matches!(
            doc.required_text("name"),
            Err(FieldError::Missing(_))
        ));
        assert!(matches!(doc.flag("flag"), Err(FieldError::Wrong(..))));
        assert!(matches!(doc.id(), Err(FieldError::Missing(_))));
    }

    #[test]
    fn decimals_are_exact_and_round_half_away_from_zero() {
        let steps = |text: &str| Decimal::parse(text).unwrap().in_steps(2);
        assert_eq!(steps("19.99"), (1999, false));
        assert_eq!(steps("20"), (2000, false));
        assert_eq!(steps("19.999999999"), (2000, true));
        assert_eq!(steps("10.000000001"), (1000, true));
        assert_eq!(steps("10.005"), (1001, true));
        assert_eq!(steps("10.004"), (1000, true));
        assert_eq!(steps("-0.125"), (-13, true));
        assert_eq!(steps("1.5e2"), (15000, false));
        assert_eq!(steps("1e-7"), (0, true));
        assert_eq!(Decimal::parse("0.1").unwrap().in_steps(4), (1000, false));
        for bad in ["", "NaN", "Infinity", "1.2.3", "0x10", "1e99999"] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_relaxed_double_reads_as_the_decimal_javascript_printed() {
        // 0.1 + 0.2 as Belta's Node.js computed and stored it.
        let doc = doc(r#"{"price":0.30000000000000004}"#);
        let price = doc.required_number("price").unwrap();
        assert_eq!(price.to_string(), "0.30000000000000004");
        assert_eq!(price.in_steps(2), (30, true));
    }
}
