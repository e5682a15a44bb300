//! JSON Schema for request bodies whose rules a Rust type alone cannot say: the limits the validation
//! code enforces, which fields a create requires, and the difference between a create and a PATCH.
//!
//! Built as JSON (the keywords read as in the specification) and turned into utoipa's schema when the
//! document is generated, never when a function starts.

use serde_json::{Value, json};
use utoipa::openapi::{RefOr, Schema};

use crate::{money::Money, text::Lines};

/// Text people read: `min..=max` characters, none hidden (`crate::text`).
pub fn text(lines: Lines, min: usize, max: usize) -> Value {
    json!({
        "type": "string",
        "minLength": min,
        "maxLength": max,
        "pattern": crate::text::pattern(lines, min),
        "description": "Counted in characters after trimming; control, bidirectional and invisible \
                        characters are refused (a zero-width joiner only inside a word is kept).",
    })
}

/// A 24-character lowercase hexadecimal id.
pub fn id() -> Value {
    json!({"type": "string", "pattern": "^[0-9a-f]{24}$"})
}

/// [`id`] as utoipa's schema, for `#[param(schema_with = ...)]` and `#[schema(schema_with = ...)]`.
pub fn id_schema() -> RefOr<Schema> {
    to_schema(id())
}

/// An amount of money from 0 to `max` with at most two decimals.
pub fn money(max: Money) -> Value {
    let maximum = match max.minor() % 100 {
        0 => json!(max.minor() / 100),
        _ => json!(max.minor() as f64 / 100.0),
    };
    json!({"type": "number", "minimum": 0, "maximum": maximum, "multipleOf": 0.01})
}

pub fn integer(min: u64, max: u64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

pub fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// One of `values`.
pub fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// An `http(s)` URL without spaces, at most `max` characters. The spaces are spelled out: they are
/// Rust's `char::is_whitespace`, which the server applies, and not a regex's `\S` (ECMA's lets
/// U+0085 through and refuses U+FEFF).
pub fn url(max: usize) -> Value {
    let pattern =
        r"^https?://[^\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$";
    json!({"type": "string", "pattern": pattern, "maxLength": max})
}

/// `schema`, or `null`, which the API reads as a field not sent.
pub fn nullable(mut schema: Value) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(kind)) => {
            schema["type"] = json!([kind, "null"]);
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
            schema
        }
        _ => json!({"anyOf": [schema, {"type": "null"}]}),
    }
}

/// One field of a body: its name, its schema, and whether a create must send it.
pub struct Field {
    pub name: &'static str,
    pub schema: Value,
    pub required: bool,
}

impl Field {
    pub fn required(name: &'static str, schema: Value) -> Field {
        Field {
            name,
            schema,
            required: true,
        }
    }

    pub fn optional(name: &'static str, schema: Value) -> Field {
        Field {
            name,
            schema,
            required: false,
        }
    }
}

/// The body of a create: every required field sent and not null; the others may be null (not sent).
pub fn create(description: &str, fields: &[Field]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| {
            let schema = if f.required {
                f.schema.clone()
            } else {
                nullable(f.schema.clone())
            };
            (f.name.to_owned(), schema)
        })
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
    })
}

/// The body of a PATCH: the same fields and limits, none required; a field sent as null is not changed.
pub fn patch(description: &str, fields: &[Field]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_owned(), nullable(f.schema.clone())))
        .collect();
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
    })
}

/// The utoipa schema of a JSON Schema value.
pub fn to_schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a JSON Schema that utoipa reads")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_requires_its_fields_and_a_patch_none() {
        let fields = [
            Field::required("nameEn", text(Lines::One, 1, 200)),
            Field::optional("disabled", boolean()),
        ];
        let created = create("x", &fields);
        assert_eq!(created["required"], json!(["nameEn"]));
        assert_eq!(created["properties"]["nameEn"]["type"], "string");
        assert_eq!(
            created["properties"]["disabled"]["type"],
            json!(["boolean", "null"])
        );
        let patched = patch("x", &fields);
        assert!(patched.get("required").is_none());
        assert_eq!(
            patched["properties"]["nameEn"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(patched["properties"]["nameEn"]["maxLength"], 200);
        assert_eq!(
            nullable(one_of(&["a"]))["enum"],
            json!(["a", null]),
            "null is one of the values too"
        );
    }

    #[test]
    fn the_schemas_survive_utoipa() {
        let value = create(
            "x",
            &[Field::required("price", money(Money::from_minor(100)))],
        );
        let round_trip = serde_json::to_value(to_schema(value.clone())).unwrap();
        assert_eq!(
            round_trip["properties"]["price"],
            value["properties"]["price"]
        );
        assert_eq!(round_trip["required"], value["required"]);
    }
}
