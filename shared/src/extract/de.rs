//! A serde deserializer over a request's parsed JSON or its query pairs, whose errors are data.
//!
//! serde's own deserializers report problems as text. This one owns its error type, so a bad request
//! names its field and its problem without reading any message:
//! - a missing field comes from serde's `missing_field(name)`;
//! - the expected kind (string, integer, number, boolean, array, object) is known from the
//!   `deserialize_*` method the type called, and `null` from serde's typed `Unexpected::Unit`;
//! - [`Id`] and [`Money`] announce themselves by their newtype name (as serde_json's `RawValue`
//!   does), and this deserializer reports the typed error of their own parser;
//! - the field path comes from `serde_path_to_error`.
//!
//! Query values are text: numbers and booleans are read from it, as `serde_urlencoded` did.
//!
//! A body is parsed first into [`Json`], which keeps a key sent twice, so the type sees it twice and
//! refuses it, as it did when serde_json streamed the body into the type.

use serde::de::{
    self, Deserialize, DeserializeOwned, IntoDeserializer, Unexpected, Visitor,
    value::{MapDeserializer, SeqDeserializer},
};

use crate::{
    i18n::{FieldIssue, JsonKind},
    id::{Id, InvalidId},
    money::{Money, MoneyError},
};

/// What is wrong with one value, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The type requires this field and it is absent.
    MissingField(&'static str),
    /// This field (a body key or a query parameter) was sent more than once.
    Repeated(&'static str),
    /// `null` where a value is required.
    Null,
    WrongType(JsonKind),
    /// A value of the wrong kind, seen by a type that read through `deserialize_any` and so never said
    /// which kind it wanted.
    UnexpectedType,
    InvalidId,
    TooManyDecimals,
    OutOfRange,
    /// The right kind but not acceptable: an unknown enum value, a negative count, a bad date...
    Invalid,
}

/// A [`Problem`] and the field it sits on, for [`FieldErrors`](crate::FieldErrors).
#[derive(Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// `None` for the whole body or query.
    pub field: Option<String>,
    pub problem: Problem,
}

impl FieldProblem {
    /// The field to name in the answer and its issue; a problem of the whole body is named `body`.
    pub fn into_issue(self) -> (String, FieldIssue) {
        // Raised by the object that lacks or repeats the field, so the path ends at that object.
        if let Problem::MissingField(name) | Problem::Repeated(name) = self.problem {
            let field = match self.field {
                Some(parent) => format!("{parent}.{name}"),
                None => name.to_owned(),
            };
            let issue = match self.problem {
                Problem::Repeated(_) => FieldIssue::Repeated,
                _ => FieldIssue::Required,
            };
            return (field, issue);
        }
        let field = self.field.unwrap_or_else(|| "body".to_owned());
        let issue = match self.problem {
            Problem::MissingField(_) | Problem::Repeated(_) | Problem::Null => FieldIssue::Required,
            Problem::WrongType(kind) => FieldIssue::WrongType(kind),
            Problem::InvalidId => FieldIssue::InvalidId,
            Problem::TooManyDecimals => FieldIssue::TooManyDecimals,
            Problem::UnexpectedType | Problem::OutOfRange | Problem::Invalid => FieldIssue::Invalid,
        };
        (field, issue)
    }
}

/// The error type of [`Input`]: just its [`Problem`]; the path is added by `serde_path_to_error`.
#[derive(Debug, PartialEq, Eq)]
pub struct Error(Problem);

impl Error {
    /// Settles a wrong-kind error raised by a visitor at this value: `kind` is what was asked for.
    fn expected(self, kind: JsonKind) -> Self {
        match self.0 {
            Problem::UnexpectedType => Error(Problem::WrongType(kind)),
            _ => self,
        }
    }
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Error(problem)
    }
}

impl From<InvalidId> for Error {
    fn from(_: InvalidId) -> Self {
        Error(Problem::InvalidId)
    }
}

impl From<MoneyError> for Error {
    fn from(error: MoneyError) -> Self {
        Error(match error {
            MoneyError::TooManyDecimals => Problem::TooManyDecimals,
            MoneyError::OutOfRange => Problem::OutOfRange,
        })
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    /// A `Deserialize` impl refused a value of the right kind (a bad date, say).
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Error(Problem::Invalid)
    }

    fn invalid_type(unexpected: Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Error(match unexpected {
            Unexpected::Unit => Problem::Null,
            _ => Problem::UnexpectedType,
        })
    }

    fn invalid_value(_: Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Error(Problem::Invalid)
    }

    fn missing_field(field: &'static str) -> Self {
        Error(Problem::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Error(Problem::Repeated(field))
    }
}

/// One value of a request: parsed JSON, the text of one query parameter, or the query's pairs.
pub enum Input {
    Json(Json),
    Text(String),
    Query(Vec<(String, String)>),
}

/// A parsed JSON document ([`Json::parse`]). Unlike `serde_json::Value` an object keeps its keys in
/// order, duplicates included, and a number with a fraction or an exponent knows how many decimal
/// places its text really has.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    /// A number that is not integral; `decimals` counts its significant fraction digits as written
    /// (`19.999999999` has 9, though as an `f64` it is within float noise of 20).
    Float {
        value: f64,
        decimals: u32,
    },
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Unsigned(n))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Signed(n))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        // Settled from the text by `Json::parse`.
        Ok(Json::Float {
            value: n,
            decimals: u32::MAX,
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some(field) = map.next_entry()? {
            fields.push(field);
        }
        Ok(Json::Object(fields))
    }
}

impl Json {
    /// Parses JSON text, reading numbers with a fraction or an exponent again from their text: an
    /// integral one (`1.0`, `1e2`) becomes an integer, as JSON Schema counts it, and the others keep
    /// their real number of decimal places, which the `f64` serde_json gives cannot tell.
    pub fn parse(text: &[u8]) -> Result<Json, serde_json::Error> {
        let mut json: Json = serde_json::from_slice(text)?;
        json.settle_numbers(&mut number_literals(text).into_iter());
        Ok(json)
    }

    /// Walks the tree in document order, the order of `literals`.
    fn settle_numbers<'t>(&mut self, literals: &mut impl Iterator<Item = &'t str>) {
        match self {
            Json::Unsigned(_) | Json::Signed(_) => {
                literals.next();
            }
            Json::Float { value, decimals } => {
                let literal = literals.next().expect("one literal per number");
                *decimals = decimal_places(literal);
                // Integral and exactly representable: an integer (below 2^53 an f64 is exact).
                if *decimals == 0 && value.abs() < 9_007_199_254_740_992.0 {
                    *self = if *value < 0.0 {
                        Json::Signed(*value as i64)
                    } else {
                        Json::Unsigned(*value as u64)
                    };
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|i| i.settle_numbers(literals)),
            Json::Object(fields) => fields
                .iter_mut()
                .for_each(|(_, v)| v.settle_numbers(literals)),
            Json::Null | Json::Bool(_) | Json::String(_) => {}
        }
    }
}

/// The number literals of JSON text, in document order (strings, keys included, are skipped).
fn number_literals(text: &[u8]) -> Vec<&str> {
    let mut literals = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'"' => {
                at += 1;
                while at < text.len() && text[at] != b'"' {
                    at += if text[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = at;
                while at < text.len()
                    && matches!(text[at], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    at += 1;
                }
                // Valid JSON (already parsed) is ASCII here.
                literals.push(std::str::from_utf8(&text[start..at]).unwrap_or_default());
            }
            _ => at += 1,
        }
    }
    literals
}

/// How many decimal places a JSON number literal has, exactly: `1.50` has 1, `1e2` and `100e-2` 0,
/// `1.5e-3` 4.
fn decimal_places(literal: &str) -> u32 {
    let unsigned = literal.trim_start_matches('-');
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_end_matches('0');
    if significant.trim_start_matches('0').is_empty() {
        return 0;
    }
    let trailing_zeros = (digits.len() - significant.len()) as i64;
    let places = fraction.len() as i64 - exponent - trailing_zeros;
    places.clamp(0, i64::from(u32::MAX)) as u32
}

/// Deserializes `T` from `input`; the error names the field and the problem.
pub fn deserialize<T: DeserializeOwned>(input: Input) -> Result<T, FieldProblem> {
    serde_path_to_error::deserialize(input).map_err(|error| {
        let path = error.path();
        let field = (path.iter().next().is_some()).then(|| path.to_string());
        FieldProblem {
            field,
            problem: error.into_inner().0,
        }
    })
}

impl<'de> IntoDeserializer<'de, Error> for Input {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl Input {
    /// Hands the value to `visitor` as what it is; a wrong kind stays [`Problem::UnexpectedType`]
    /// until the calling method, which knows the kind it wanted, settles it.
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Input::Json(Json::Null) => visitor.visit_unit(),
            Input::Json(Json::Bool(b)) => visitor.visit_bool(b),
            Input::Json(Json::Unsigned(n)) => visitor.visit_u64(n),
            Input::Json(Json::Signed(n)) => visitor.visit_i64(n),
            Input::Json(Json::Float { value, .. }) => visitor.visit_f64(value),
            Input::Json(Json::String(s)) | Input::Text(s) => visitor.visit_string(s),
            Input::Json(Json::Array(items)) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Input::Json));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Input::Json(Json::Object(fields)) => {
                let pairs = fields.into_iter().map(|(k, v)| (k, Input::Json(v)));
                visit_map(pairs, visitor)
            }
            Input::Query(pairs) => {
                let pairs = pairs.into_iter().map(|(k, v)| (k, Input::Text(v)));
                visit_map(pairs, visitor)
            }
        }
    }

    /// [`Id`] and [`Money`] are checked by their own parser here, so their typed error names the problem.
    fn check_named(&self, name: &str) -> Result<(), Error> {
        match (name, self) {
            (Id::SERDE_NAME, Input::Json(Json::String(text)) | Input::Text(text)) => {
                text.parse::<Id>()?;
            }
            (Money::SERDE_NAME, Input::Json(json)) => {
                let units = match *json {
                    Json::Unsigned(n) => n as f64,
                    Json::Signed(n) => n as f64,
                    // Decided on the text: as an f64, 19.999999999 is within float noise of 20.
                    Json::Float { decimals, .. } if decimals > 2 => {
                        return Err(Problem::TooManyDecimals.into());
                    }
                    Json::Float { value, .. } => value,
                    _ => return Ok(()),
                };
                Money::from_units(units)?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn visit_map<'de, V: Visitor<'de>>(
    pairs: impl Iterator<Item = (String, Input)>,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut map = MapDeserializer::new(pairs);
    let value = visitor.visit_map(&mut map)?;
    map.end()?;
    Ok(value)
}

/// Methods that ask for one JSON kind.
macro_rules! expecting {
    ($($method:ident => $kind:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.visit(visitor).map_err(|e| e.expected(JsonKind::$kind))
        }
    )*};
}

/// Number methods: from JSON they ask for a kind; from query text they parse it (a failure reads as
/// "not a number", whatever the width).
macro_rules! numbers {
    ($($method:ident, $visit:ident, $ty:ty => $kind:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self {
                Input::Text(text) => {
                    let n: $ty = text
                        .parse()
                        .map_err(|_| Problem::WrongType(JsonKind::Number))?;
                    visitor.$visit(n)
                }
                input => input.visit(visitor).map_err(|e| e.expected(JsonKind::$kind)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Input {
    type Error = Error;

    /// The type did not say what it wants, so a wrong kind cannot be named.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.visit(visitor).map_err(|e| match e.0 {
            Problem::UnexpectedType => Error(Problem::Invalid),
            _ => e,
        })
    }

    expecting! {
        deserialize_char => String,
        deserialize_str => String,
        deserialize_string => String,
        deserialize_identifier => String,
        deserialize_bytes => String,
        deserialize_byte_buf => String,
        deserialize_seq => Array,
        deserialize_map => Object,
    }

    numbers! {
        deserialize_i8, visit_i8, i8 => Integer,
        deserialize_i16, visit_i16, i16 => Integer,
        deserialize_i32, visit_i32, i32 => Integer,
        deserialize_i64, visit_i64, i64 => Integer,
        deserialize_u8, visit_u8, u8 => Integer,
        deserialize_u16, visit_u16, u16 => Integer,
        deserialize_u32, visit_u32, u32 => Integer,
        deserialize_u64, visit_u64, u64 => Integer,
        deserialize_f32, visit_f32, f32 => Number,
        deserialize_f64, visit_f64, f64 => Number,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Input::Text(text) => visitor.visit_bool(text.parse().map_err(|_| Problem::Invalid)?),
            input => input
                .visit(visitor)
                .map_err(|e| e.expected(JsonKind::Boolean)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Input::Json(Json::Null) => visitor.visit_none(),
            input => visitor.visit_some(input),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.check_named(name)?;
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    /// Enums of a request are unit variants spelled as strings.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Input::Json(Json::String(text)) | Input::Text(text) => {
                visitor.visit_enum(text.into_deserializer())
            }
            input => input
                .visit(visitor)
                .map_err(|e| e.expected(JsonKind::String)),
        }
    }

    serde::forward_to_deserialize_any! { unit unit_struct ignored_any }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::*;

    fn parsed(body: &Value) -> Input {
        Input::Json(Json::parse(body.to_string().as_bytes()).unwrap())
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Order {
        email: String,
        count: u32,
        share: Option<f64>,
        gift: Option<bool>,
        tags: Option<Vec<String>>,
        address: Option<Address>,
        product_id: Option<Id>,
        price: Option<Money>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Address {
        city: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Gift,
        Sale,
    }

    fn json_problem(body: Value) -> (Option<String>, Problem) {
        let error = deserialize::<Order>(parsed(&body)).unwrap_err();
        (error.field, error.problem)
    }

    fn at(field: &str, problem: Problem) -> (Option<String>, Problem) {
        (Some(field.to_owned()), problem)
    }

    #[test]
    fn a_json_problem_is_recorded_as_data_with_its_field() {
        let base = || json!({"email": "a@b.co", "count": 1});
        let with = |key: &str, value: Value| {
            let mut body = base();
            body[key] = value;
            body
        };
        let cases = [
            (json!({"count": 1}), (None, Problem::MissingField("email"))),
            (with("email", json!(null)), at("email", Problem::Null)),
            (
                with("email", json!(5)),
                at("email", Problem::WrongType(JsonKind::String)),
            ),
            (
                with("count", json!("5")),
                at("count", Problem::WrongType(JsonKind::Integer)),
            ),
            (
                with("count", json!(1.5)),
                at("count", Problem::WrongType(JsonKind::Integer)),
            ),
            (with("count", json!(-1)), at("count", Problem::Invalid)),
            (
                with("count", json!(5_000_000_000u64)),
                at("count", Problem::Invalid),
            ),
            (
                with("share", json!("half")),
                at("share", Problem::WrongType(JsonKind::Number)),
            ),
            (
                with("gift", json!("yes")),
                at("gift", Problem::WrongType(JsonKind::Boolean)),
            ),
            (
                with("tags", json!("a")),
                at("tags", Problem::WrongType(JsonKind::Array)),
            ),
            (
                with("tags", json!(["a", 1])),
                at("tags[1]", Problem::WrongType(JsonKind::String)),
            ),
            (
                with("tags", json!(["a", null])),
                at("tags[1]", Problem::Null),
            ),
            (
                with("address", json!(7)),
                at("address", Problem::WrongType(JsonKind::Object)),
            ),
            (
                with("address", json!({})),
                at("address", Problem::MissingField("city")),
            ),
            (
                with("productId", json!("nope")),
                at("productId", Problem::InvalidId),
            ),
            (
                with("productId", json!(5)),
                at("productId", Problem::WrongType(JsonKind::String)),
            ),
            (
                with("price", json!(1.234)),
                at("price", Problem::TooManyDecimals),
            ),
            (with("price", json!(1e13)), at("price", Problem::OutOfRange)),
            // Within float noise of 20 and 10: decided on the text, not on the f64.
            (
                with("price", json!(19.999999999)),
                at("price", Problem::TooManyDecimals),
            ),
            (
                with("price", json!(10.000000001)),
                at("price", Problem::TooManyDecimals),
            ),
            (
                with("count", json!(1.5)),
                at("count", Problem::WrongType(JsonKind::Integer)),
            ),
            (
                with("price", json!("1")),
                at("price", Problem::WrongType(JsonKind::Number)),
            ),
            (with("kind", json!("loan")), at("kind", Problem::Invalid)),
            (
                with("kind", json!(3)),
                at("kind", Problem::WrongType(JsonKind::String)),
            ),
            (json!("text"), (None, Problem::WrongType(JsonKind::Object))),
        ];
        for (body, expected) in cases {
            assert_eq!(json_problem(body.clone()), expected, "{body}");
        }
    }

    #[test]
    fn good_json_deserializes_and_unknown_fields_are_ignored() {
        let body = json!({
            "email": "a@b.co", "count": 2, "share": 1, "gift": false, "tags": ["x"],
            "address": {"city": "Cairo"}, "productId": "682b7173f5c8c863ab931a45",
            "price": 19.99, "kind": "sale", "role": "admin"
        });
        let order: Order = deserialize(parsed(&body)).unwrap();
        assert_eq!(order.count, 2);
        assert_eq!(order.share, Some(1.0));
        assert_eq!(
            order.address,
            Some(Address {
                city: "Cairo".into()
            })
        );
        assert_eq!(
            order.product_id.unwrap().to_string(),
            "682b7173f5c8c863ab931a45"
        );
        assert_eq!(order.price, Some(Money::from_minor(1999)));
        assert_eq!(order.kind, Some(Kind::Sale));
    }

    #[test]
    fn numbers_are_read_from_their_text() {
        for (literal, places) in [
            ("1", 0),
            ("1.0", 0),
            ("1.50", 1),
            ("-0.05", 2),
            ("1e2", 0),
            ("100e-2", 0),
            ("1.5e-3", 4),
            ("19.999999999", 9),
            ("0.0", 0),
        ] {
            assert_eq!(decimal_places(literal), places, "{literal}");
        }
        let body = br#"{"email": "a@b.co", "count": 1.0, "price": 100e-2, "note": "1.234", "tags": ["7.5"]}"#;
        let order: Order = deserialize(Input::Json(Json::parse(body).unwrap())).unwrap();
        assert_eq!(
            order.count, 1,
            "an integral number is an integer, as in JSON Schema"
        );
        assert_eq!(order.price, Some(Money::from_minor(100)));
        let body = br#"{"email": "a\"1.234", "count": 2e0, "price": 0.125}"#;
        let error = deserialize::<Order>(Input::Json(Json::parse(body).unwrap())).unwrap_err();
        assert_eq!(
            error.problem,
            Problem::TooManyDecimals,
            "strings never shift the numbers"
        );
    }

    #[test]
    fn a_key_sent_twice_reaches_the_type_twice_and_is_refused() {
        let body = r#"{"email": "a@b.co", "count": 1, "count": 2}"#;
        let error = deserialize::<Order>(Input::Json(Json::parse(body.as_bytes()).unwrap()));
        assert_eq!(
            error.unwrap_err().into_issue(),
            ("count".to_owned(), FieldIssue::Repeated),
            "the key is named, not the body"
        );
        let body = r#"{"email": "a@b.co", "count": "x", "count": 2}"#;
        let error = deserialize::<Order>(Input::Json(Json::parse(body.as_bytes()).unwrap()));
        assert_eq!(
            error.unwrap_err(),
            FieldProblem {
                field: Some("count".into()),
                problem: Problem::WrongType(JsonKind::Integer)
            },
            "the first value is read first"
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct ListQuery {
        page: Option<u32>,
        flag: Option<bool>,
        id: Option<Id>,
        kind: Option<Kind>,
    }

    fn query(text: &str) -> Result<ListQuery, FieldProblem> {
        let pairs = form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect();
        deserialize(Input::Query(pairs))
    }

    #[test]
    fn query_values_are_read_from_text() {
        let parsed = query("page=3&flag=true&id=682b7173f5c8c863ab931a45&kind=gift&x=1").unwrap();
        assert_eq!(
            (parsed.page, parsed.flag, parsed.kind),
            (Some(3), Some(true), Some(Kind::Gift))
        );
        let number = Problem::WrongType(JsonKind::Number);
        for (text, field, problem) in [
            ("page=abc", "page", number.clone()),
            ("page=1.5", "page", number.clone()),
            ("page=-1", "page", number.clone()),
            ("page=", "page", number),
            ("flag=maybe", "flag", Problem::Invalid),
            ("id=xyz", "id", Problem::InvalidId),
            ("kind=loan", "kind", Problem::Invalid),
        ] {
            let error = query(text).unwrap_err();
            assert_eq!(
                (error.field.as_deref(), error.problem),
                (Some(field), problem),
                "{text}"
            );
        }
    }

    #[test]
    fn a_query_parameter_sent_twice_is_named() {
        let error = query("page=1&flag=true&page=2").unwrap_err();
        assert_eq!(
            error.into_issue(),
            ("page".to_owned(), FieldIssue::Repeated),
            "the parameter, not `body`"
        );
    }

    #[test]
    fn problems_become_the_issues_of_the_answer() {
        let cases = [
            (
                None,
                Problem::MissingField("email"),
                "email",
                FieldIssue::Required,
            ),
            (
                Some("address"),
                Problem::MissingField("city"),
                "address.city",
                FieldIssue::Required,
            ),
            (Some("email"), Problem::Null, "email", FieldIssue::Required),
            (
                None,
                Problem::WrongType(JsonKind::Object),
                "body",
                FieldIssue::WrongType(JsonKind::Object),
            ),
            (
                Some("price"),
                Problem::OutOfRange,
                "price",
                FieldIssue::Invalid,
            ),
            (
                Some("price"),
                Problem::TooManyDecimals,
                "price",
                FieldIssue::TooManyDecimals,
            ),
            (Some("id"), Problem::InvalidId, "id", FieldIssue::InvalidId),
        ];
        for (field, problem, name, issue) in cases {
            let found = FieldProblem {
                field: field.map(str::to_owned),
                problem,
            }
            .into_issue();
            assert_eq!(found, (name.to_owned(), issue));
        }
    }
}
