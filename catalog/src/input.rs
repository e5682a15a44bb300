//! Request bodies of the catalogue's staff endpoints and their rules.
//!
//! Create and PATCH share one wire type per record (`EntityInput`, ...): every field optional, so
//! PATCH changes only what was sent. Their documentation ([`documented`]) differs: a create's lists
//! its required fields, a PATCH's none, both with the limits the checks here enforce. A handler parses it, in one `TryFrom`, into what it applies:
//! [`Changes`] (every sent field passed its checks) for a PATCH, or [`NewEntity`], [`NewProduct`],
//! [`NewOffer`] (also every required field is there, naming the missing ones) for a create. Fields the server
//! owns (`_id`, timestamps, `finalPrice`, counters, relations outside the link endpoints) are not in
//! these types, so they are ignored like any unknown field and never stored.

use serde::Deserialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    kind::{Extra, Kind},
    model::{Entity, Offer, OfferType, Product},
};
use shared::{
    FieldErrors, FieldIssue, Id, Money,
    extract::Validate,
    text::{self, Lines},
};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
pub const MAX_URL_CHARS: usize = 2_048;
/// `rgba(255, 255, 255, 0.5)` is 24; room for spaces and other notations.
pub const MAX_COLOR_CHARS: usize = 64;
pub const MAX_COVERS: usize = 20;
/// Labels, and tags, per product: keeps a product's delete (which updates each) in one transaction.
pub const MAX_LINKS_PER_PRODUCT: usize = 30;
const MAX_QUANTITY: u64 = 1_000_000_000;
const MAX_PRICE_MINOR: i64 = 100_000_000_000;

/// A required name (one line) or description (many), when sent.
fn check_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&String>,
    lines: Lines,
    max: usize,
) {
    check_length(errors, field, value, lines, 1, max);
}

/// The required pair of names every entity and product has, when sent.
fn check_names(errors: &mut FieldErrors, name_ar: Option<&String>, name_en: Option<&String>) {
    for (field, name) in [("nameAr", name_ar), ("nameEn", name_en)] {
        check_text(errors, field, name, Lines::One, MAX_NAME_CHARS);
    }
}

fn check_length(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&String>,
    lines: Lines,
    min: usize,
    max: usize,
) {
    if let Some(Err(issue)) = value.map(|v| text::check(v, lines, min, max)) {
        errors.add(field, issue);
    }
}

fn is_url(value: &str) -> bool {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace))
        && value.len() <= MAX_URL_CHARS
}

fn check_url(errors: &mut FieldErrors, field: &str, value: Option<&String>) {
    if value.is_some_and(|v| !is_url(v)) {
        errors.add(field, FieldIssue::Invalid);
    }
}

fn require(errors: &mut FieldErrors, field: &str, present: bool) {
    if !present {
        errors.add(field, FieldIssue::Required);
    }
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned())
}

/// A CSS colour as the admin panel's colour picker sends it: `#RGB`, `#RGBA`, `#RRGGBB`, `#RRGGBBAA`,
/// a name (`red`) or a colour function (`rgba(25, 118, 210, 1)`, `hsl(210deg 50% 40%)`). Anything
/// else, such as `red; background: url(...)`, is refused: the colour ends up in a style attribute.
fn is_color(value: &str) -> bool {
    if let Some(hex) = value.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    let (name, arguments) = match value.split_once('(') {
        Some((name, rest)) => match rest.strip_suffix(')') {
            Some(arguments) => (name, Some(arguments)),
            None => return false,
        },
        None => (value, None),
    };
    let argument_char = |c: char| c.is_ascii_alphanumeric() || " .,%/+-".contains(c);
    value.len() <= MAX_COLOR_CHARS
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphabetic())
        && arguments.is_none_or(|a| !a.trim().is_empty() && a.chars().all(argument_char))
}

/// The body of a brand, category, subcategory, label or tag. `cover` and `color` count only for the
/// kinds that have them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityInput {
    pub name_ar: Option<String>,
    pub name_en: Option<String>,
    /// Brands, categories and subcategories: an image URL (from `/upload/single`).
    pub cover: Option<String>,
    /// Labels: a CSS colour, `#FF0000` or `rgba(25, 118, 210, 1)` (as the admin panel sends it).
    pub color: Option<String>,
    pub disabled: Option<bool>,
    pub employee_read_only: Option<bool>,
}

impl Validate for EntityInput {}

impl Body for EntityInput {
    fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_names(&mut errors, self.name_ar.as_ref(), self.name_en.as_ref());
        check_url(&mut errors, "cover", self.cover.as_ref());
        if self.color.as_deref().is_some_and(|c| !is_color(c.trim())) {
            errors.add("color", FieldIssue::Invalid);
        }
        errors.finish()
    }
}

impl EntityInput {
    /// The fields a new entity of `kind` must have.
    fn missing(&self, kind: Kind) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        require(&mut errors, "nameAr", self.name_ar.is_some());
        require(&mut errors, "nameEn", self.name_en.is_some());
        match kind.spec().extra {
            Extra::Cover => require(&mut errors, "cover", self.cover.is_some()),
            Extra::Color => require(&mut errors, "color", self.color.is_some()),
            Extra::None => {}
        }
        errors.finish()
    }

    /// Copies the sent fields that `kind` has onto `entity`.
    fn apply(self, entity: &mut Entity) {
        let kind = entity.kind;
        if let Some(v) = trimmed(self.name_ar) {
            entity.name_ar = v;
        }
        if let Some(v) = trimmed(self.name_en) {
            entity.name_en = v;
        }
        if kind.spec().extra == Extra::Cover && self.cover.is_some() {
            entity.cover = self.cover;
        }
        if kind.spec().extra == Extra::Color
            && let Some(color) = self.color
        {
            // Hex is stored upper-case, as Belta's examples write it; notations keep their spelling.
            let color = color.trim();
            entity.color = Some(if color.starts_with('#') {
                color.to_ascii_uppercase()
            } else {
                color.to_owned()
            });
        }
        if let Some(v) = self.disabled {
            entity.disabled = v;
        }
        if let Some(v) = self.employee_read_only {
            entity.employee_read_only = v;
        }
    }
}

/// A product's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    pub name_ar: Option<String>,
    pub name_en: Option<String>,
    pub description_ar: Option<String>,
    pub description_en: Option<String>,
    /// Image URLs, 1 to 20; required on create (the admin panel shows the first unguarded).
    pub cover_list: Option<Vec<String>>,
    /// Units in stock.
    pub quantity: Option<u64>,
    pub price: Option<Money>,
    /// The floor an offer cannot push the price below.
    pub min_price: Option<Money>,
    pub disabled: Option<bool>,
    pub employee_read_only: Option<bool>,
}

impl Validate for ProductInput {}

impl Body for ProductInput {
    fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_names(&mut errors, self.name_ar.as_ref(), self.name_en.as_ref());
        for (field, value) in [
            ("descriptionAr", &self.description_ar),
            ("descriptionEn", &self.description_en),
        ] {
            check_text(
                &mut errors,
                field,
                value.as_ref(),
                Lines::Many,
                MAX_DESCRIPTION_CHARS,
            );
        }
        if let Some(covers) = &self.cover_list {
            // At least one: the admin panel's product list shows `coverList[0]` unguarded.
            if !(1..=MAX_COVERS).contains(&covers.len()) {
                errors.add(
                    "coverList",
                    FieldIssue::Length {
                        min: 1,
                        max: MAX_COVERS,
                    },
                );
            }
            for (i, cover) in covers.iter().enumerate() {
                check_url(&mut errors, &format!("coverList[{i}]"), Some(cover));
            }
        }
        if self.quantity.is_some_and(|q| q > MAX_QUANTITY) {
            errors.add(
                "quantity",
                FieldIssue::Range {
                    min: "0".into(),
                    max: MAX_QUANTITY.to_string(),
                },
            );
        }
        for (field, value) in [("price", self.price), ("minPrice", self.min_price)] {
            if value.is_some_and(|m| !(0..=MAX_PRICE_MINOR).contains(&m.minor())) {
                errors.add(
                    field,
                    FieldIssue::Range {
                        min: "0".into(),
                        max: Money::from_minor(MAX_PRICE_MINOR).to_string(),
                    },
                );
            }
        }
        errors.finish()
    }
}

impl ProductInput {
    fn missing(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        require(&mut errors, "nameAr", self.name_ar.is_some());
        require(&mut errors, "nameEn", self.name_en.is_some());
        require(&mut errors, "descriptionAr", self.description_ar.is_some());
        require(&mut errors, "descriptionEn", self.description_en.is_some());
        require(&mut errors, "coverList", self.cover_list.is_some());
        require(&mut errors, "quantity", self.quantity.is_some());
        require(&mut errors, "price", self.price.is_some());
        require(&mut errors, "minPrice", self.min_price.is_some());
        errors.finish()
    }

    fn apply(self, product: &mut Product) {
        let text_fields = [
            (self.name_ar, &mut product.name_ar),
            (self.name_en, &mut product.name_en),
            (self.description_ar, &mut product.description_ar),
            (self.description_en, &mut product.description_en),
        ];
        for (sent, stored) in text_fields {
            if let Some(v) = trimmed(sent) {
                *stored = v;
            }
        }
        if let Some(v) = self.cover_list {
            product.cover_list = v;
        }
        if let Some(v) = self.quantity {
            product.quantity = v;
        }
        if let Some(v) = self.price {
            product.price = v;
        }
        if let Some(v) = self.min_price {
            product.min_price = v;
        }
        if let Some(v) = self.disabled {
            product.disabled = v;
        }
        if let Some(v) = self.employee_read_only {
            product.employee_read_only = v;
        }
    }
}

/// A date-time in RFC 3339 (`2026-12-01T00:00:00Z`), or `null` to clear it on PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(|t| Timestamp(t.unix_timestamp()))
            .map_err(|_| serde::de::Error::custom("not an RFC 3339 date-time"))
    }
}

/// `Some(None)` when the field was sent as `null`, `None` when it was not sent.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An offer's body. Create takes `productId`; PATCH moves the offer with `product` (as in Belta).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferInput {
    pub product_id: Option<Id>,
    pub product: Option<Id>,
    pub name_ar: Option<String>,
    pub name_en: Option<String>,
    #[serde(rename = "type")]
    pub offer_type: Option<OfferType>,
    /// `percent`: a fraction from 0.01 to 0.95 (0.1 is 10%); `fixed`: an amount of at least 1.
    pub value: Option<f64>,
    pub offer_quantity: Option<u32>,
    pub max_per_client: Option<u32>,
    #[serde(default, deserialize_with = "nullable")]
    pub starts_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    pub ends_at: Option<Option<Timestamp>>,
    pub disabled: Option<bool>,
    pub employee_read_only: Option<bool>,
}

impl Validate for OfferInput {}

impl Body for OfferInput {
    fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        // Offer names are optional, and an empty one means none: the admin panel sends "" for a
        // name typed and then cleared, which Belta took as no name.
        check_length(
            &mut errors,
            "nameAr",
            self.name_ar.as_ref(),
            Lines::One,
            0,
            MAX_NAME_CHARS,
        );
        check_length(
            &mut errors,
            "nameEn",
            self.name_en.as_ref(),
            Lines::One,
            0,
            MAX_NAME_CHARS,
        );
        let one_or_more = FieldIssue::Range {
            min: "1".into(),
            max: u32::MAX.to_string(),
        };
        if self.offer_quantity == Some(0) {
            errors.add("offerQuantity", one_or_more.clone());
        }
        if self.max_per_client == Some(0) {
            errors.add("maxPerClient", one_or_more);
        }
        errors.finish()
    }
}

impl OfferInput {
    /// The amount `value` stands for under `offer_type`: basis points or piasters.
    pub fn amount(value: f64, offer_type: OfferType) -> Result<i64, FieldIssue> {
        match offer_type {
            OfferType::Percent => super::pricing::Discount::percent_from_fraction(value)
                .map(|d| match d {
                    super::pricing::Discount::Percent { basis_points } => basis_points as i64,
                    super::pricing::Discount::Fixed(m) => m.minor(),
                })
                .ok_or(FieldIssue::Range {
                    min: "0.01".into(),
                    max: "0.95".into(),
                }),
            OfferType::Fixed => match Money::from_units(value) {
                Ok(m) if (100..=MAX_PRICE_MINOR).contains(&m.minor()) => Ok(m.minor()),
                Err(shared::money::MoneyError::TooManyDecimals) => Err(FieldIssue::TooManyDecimals),
                _ => Err(FieldIssue::Range {
                    min: "1".into(),
                    max: Money::from_minor(MAX_PRICE_MINOR).to_string(),
                }),
            },
        }
    }

    /// The fields a new offer must have.
    fn missing(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        require(&mut errors, "productId", self.product_id.is_some());
        require(&mut errors, "type", self.offer_type.is_some());
        require(&mut errors, "value", self.value.is_some());
        require(&mut errors, "offerQuantity", self.offer_quantity.is_some());
        require(&mut errors, "maxPerClient", self.max_per_client.is_some());
        errors.finish()
    }

    /// Copies the sent fields onto `offer` and checks the rules that span fields on the result: the
    /// value against the type, both names or none, `maxPerClient <= offerQuantity`, `startsAt < endsAt`.
    fn apply(self, offer: &mut Offer) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let type_changed = self.offer_type.is_some_and(|t| t != offer.offer_type);
        if let Some(t) = self.offer_type {
            offer.offer_type = t;
        }
        match self.value {
            Some(value) => match OfferInput::amount(value, offer.offer_type) {
                Ok(amount) => offer.amount = amount,
                Err(issue) => errors.add("value", issue),
            },
            None if type_changed => errors.add("value", FieldIssue::Required),
            None => {}
        }
        let name = |sent: Option<String>| trimmed(sent).filter(|name| !name.is_empty());
        if self.name_ar.is_some() {
            offer.name_ar = name(self.name_ar);
        }
        if self.name_en.is_some() {
            offer.name_en = name(self.name_en);
        }
        if offer.name_ar.is_some() != offer.name_en.is_some() {
            let missing = if offer.name_ar.is_none() {
                "nameAr"
            } else {
                "nameEn"
            };
            errors.add(missing, FieldIssue::Required);
        }
        if let Some(v) = self.offer_quantity {
            offer.offer_quantity = v;
        }
        if let Some(v) = self.max_per_client {
            offer.max_per_client = v;
        }
        if offer.max_per_client > offer.offer_quantity {
            errors.add(
                "maxPerClient",
                FieldIssue::Range {
                    min: "1".into(),
                    max: offer.offer_quantity.to_string(),
                },
            );
        }
        if let Some(v) = self.starts_at {
            offer.starts_at = v.map(|t| t.0);
        }
        if let Some(v) = self.ends_at {
            offer.ends_at = v.map(|t| t.0);
        }
        if let (Some(start), Some(end)) = (offer.starts_at, offer.ends_at)
            && start >= end
        {
            errors.add("endsAt", FieldIssue::Invalid);
        }
        if let Some(v) = self.disabled {
            offer.disabled = v;
        }
        if let Some(v) = self.employee_read_only {
            offer.employee_read_only = v;
        }
        errors.finish()
    }
}

/// What the parsed bodies share: their field checks and the flag only an admin may set.
trait Body {
    /// Checks each sent field on its own.
    fn check(&self) -> Result<(), FieldErrors>;
}

/// A PATCH body whose every sent field passed its checks.
pub struct Changes<T>(T);

/// `Changes::try_from(input)` for each body type.
macro_rules! parse_changes {
    ($($input:ty),*) => {$(
        impl TryFrom<$input> for Changes<$input> {
            type Error = FieldErrors;

            fn try_from(input: $input) -> Result<Self, FieldErrors> {
                input.check()?;
                Ok(Changes(input))
            }
        }
    )*};
}

parse_changes!(EntityInput, ProductInput, OfferInput);

impl<T> Changes<T> {
    pub fn input(&self) -> &T {
        &self.0
    }
}

impl Changes<EntityInput> {
    /// Copies the sent fields that the entity's kind has onto it.
    pub fn apply(self, entity: &mut Entity) {
        self.0.apply(entity)
    }
}

impl Changes<ProductInput> {
    pub fn apply(self, product: &mut Product) {
        self.0.apply(product)
    }
}

impl Changes<OfferInput> {
    /// Copies the sent fields onto `offer`, then checks the rules that span fields on the result.
    pub fn apply(self, offer: &mut Offer) -> Result<(), FieldErrors> {
        self.0.apply(offer)
    }
}

/// A create body for an entity of one kind, with every field the kind requires.
pub struct NewEntity {
    kind: Kind,
    fields: Changes<EntityInput>,
}

impl TryFrom<(Kind, EntityInput)> for NewEntity {
    type Error = FieldErrors;

    fn try_from((kind, input): (Kind, EntityInput)) -> Result<Self, FieldErrors> {
        input.check()?;
        input.missing(kind)?;
        Ok(NewEntity {
            kind,
            fields: Changes(input),
        })
    }
}

impl NewEntity {
    pub fn input(&self) -> &EntityInput {
        self.fields.input()
    }

    pub fn into_entity(self, now_millis: i64) -> Entity {
        let mut entity = Entity::new(self.kind, now_millis);
        self.fields.apply(&mut entity);
        entity
    }
}

/// A create body for a product, with every required field.
pub struct NewProduct(Changes<ProductInput>);

impl TryFrom<ProductInput> for NewProduct {
    type Error = FieldErrors;

    fn try_from(input: ProductInput) -> Result<Self, FieldErrors> {
        input.check()?;
        input.missing()?;
        Ok(NewProduct(Changes(input)))
    }
}

impl NewProduct {
    pub fn input(&self) -> &ProductInput {
        self.0.input()
    }

    pub fn into_product(self, now_millis: i64) -> Product {
        let mut product = Product::new(now_millis);
        self.0.apply(&mut product);
        product
    }
}

/// A create body for an offer: the product it discounts and every required field.
pub struct NewOffer {
    product: Id,
    fields: Changes<OfferInput>,
}

impl TryFrom<OfferInput> for NewOffer {
    type Error = FieldErrors;

    fn try_from(input: OfferInput) -> Result<Self, FieldErrors> {
        input.check()?;
        input.missing()?;
        match input.product_id {
            Some(product) => Ok(NewOffer {
                product,
                fields: Changes(input),
            }),
            None => Err(FieldErrors::single("productId", FieldIssue::Required)),
        }
    }
}

impl NewOffer {
    pub fn input(&self) -> &OfferInput {
        self.fields.input()
    }

    pub fn product(&self) -> Id {
        self.product
    }

    /// The offer, once the rules that span its fields hold.
    pub fn into_offer(self, now_millis: i64) -> Result<Offer, FieldErrors> {
        let mut offer = Offer::new(self.product, now_millis);
        self.fields.apply(&mut offer)?;
        Ok(offer)
    }
}

/// `{productId, <parent>Id}` of a link or unlink endpoint; which fields are required depends on the
/// endpoint, so presence is checked there.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkInput {
    pub product_id: Option<Id>,
    pub subcategory_id: Option<Id>,
    pub brand_id: Option<Id>,
    pub category_id: Option<Id>,
    pub label_id: Option<Id>,
    pub tag_id: Option<Id>,
}

impl Validate for LinkInput {}

/// The ids a link endpoint needs, each named by its field, or one 400 naming every missing one.
pub fn required_ids<const N: usize>(
    fields: [(&str, Option<Id>); N],
) -> Result<[Id; N], FieldErrors> {
    let mut errors = FieldErrors::new();
    let ids: Vec<Id> = fields
        .iter()
        .filter_map(|(field, value)| {
            require(&mut errors, field, value.is_some());
            *value
        })
        .collect();
    ids.try_into().map_err(|_| errors)
}

/// The documented bodies, built from the limits the checks above use, so that a body the description
/// accepts is one the API accepts.
pub mod documented {
    use serde_json::{Value, json};
    use shared::{
        Money,
        api::schema::{self, Field},
        text::Lines,
    };

    use super::*;
    use crate::model::OfferType;

    fn name() -> Value {
        schema::text(Lines::One, 1, MAX_NAME_CHARS)
    }

    fn flags() -> [Field; 2] {
        [
            Field::optional("disabled", schema::boolean()),
            Field::optional(
                "employeeReadOnly",
                json!({"type": "boolean", "description": "Only an admin may set it to true (403)."}),
            ),
        ]
    }

    /// What [`is_color`] accepts.
    fn color() -> Value {
        let argument = "a-zA-Z0-9.,%/+-";
        json!({
            "type": "string",
            "maxLength": MAX_COLOR_CHARS,
            "pattern": format!(
                r"^\s*(#([0-9a-fA-F]{{3,4}}|[0-9a-fA-F]{{6}}|[0-9a-fA-F]{{8}})|[a-zA-Z]+(\([ {argument}]*[{argument}][ {argument}]*\))?)\s*$"
            ),
            "description": "A CSS colour: `#RGB`, `#RGBA`, `#RRGGBB`, `#RRGGBBAA`, a name or a colour function.",
        })
    }

    fn entity_fields(kind: Kind) -> Vec<Field> {
        let mut fields = vec![
            Field::required("nameAr", name()),
            Field::required("nameEn", name()),
        ];
        match kind.spec().extra {
            Extra::Cover => fields.push(Field::required("cover", schema::url(MAX_URL_CHARS))),
            Extra::Color => fields.push(Field::required("color", color())),
            Extra::None => {}
        }
        fields.extend(flags());
        fields
    }

    /// The create body of an entity of `kind`: the names and the field the kind has beyond them.
    pub fn entity_create(kind: Kind) -> Value {
        schema::create(
            &format!("A new one of {}.", kind.path()),
            &entity_fields(kind),
        )
    }

    pub fn entity_patch(kind: Kind) -> Value {
        schema::patch(
            &format!(
                "The fields of one of {} to change; a field not sent (or null) stays.",
                kind.path()
            ),
            &entity_fields(kind),
        )
    }

    fn product_fields() -> Vec<Field> {
        let price = || schema::money(Money::from_minor(MAX_PRICE_MINOR));
        let mut fields = vec![
            Field::required("nameAr", name()),
            Field::required("nameEn", name()),
            Field::required(
                "descriptionAr",
                schema::text(Lines::Many, 1, MAX_DESCRIPTION_CHARS),
            ),
            Field::required(
                "descriptionEn",
                schema::text(Lines::Many, 1, MAX_DESCRIPTION_CHARS),
            ),
            Field::required(
                "coverList",
                json!({"type": "array", "items": schema::url(MAX_URL_CHARS), "minItems": 1, "maxItems": MAX_COVERS}),
            ),
            Field::required("quantity", schema::integer(0, MAX_QUANTITY)),
            Field::required("price", price()),
            Field::required("minPrice", price()),
        ];
        fields.extend(flags());
        fields
    }

    pub fn product_create() -> Value {
        schema::create("A new product.", &product_fields())
    }

    pub fn product_patch() -> Value {
        schema::patch(
            "The fields of a product to change; a field not sent (or null) stays.",
            &product_fields(),
        )
    }

    /// `value` under each `type`: a fraction of the price, or an amount off it.
    fn value_of(offer_type: OfferType) -> Value {
        match offer_type {
            OfferType::Percent => {
                json!({"type": "number", "minimum": 0.01, "maximum": 0.95, "multipleOf": 0.0001})
            }
            OfferType::Fixed => {
                let amount = schema::money(Money::from_minor(MAX_PRICE_MINOR));
                json!({"type": "number", "minimum": 1, "maximum": amount["maximum"], "multipleOf": 0.01})
            }
        }
    }

    fn offer_fields(product: Field) -> Vec<Field> {
        let when = |what: &str| {
            json!({"type": "string", "format": "date-time",
                   "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
                   "description": format!("RFC 3339; {what}")})
        };
        let count = || schema::integer(1, u64::from(u32::MAX));
        let mut fields = vec![
            product,
            Field::optional("nameAr", schema::text(Lines::One, 0, MAX_NAME_CHARS)),
            Field::optional("nameEn", schema::text(Lines::One, 0, MAX_NAME_CHARS)),
            Field::required("type", schema::one_of(OfferType::NAMES)),
            Field::required(
                "value",
                json!({"type": "number", "description": "`percent`: a fraction from 0.01 to 0.95 \
                       (0.1 is 10%), at most four decimals; `fixed`: an amount from 1, at most two decimals."}),
            ),
            Field::required("offerQuantity", count()),
            Field::required("maxPerClient", count()),
            Field::optional("startsAt", when("null clears it")),
            Field::optional("endsAt", when("after `startsAt`; null clears it")),
        ];
        fields.extend(flags());
        fields
    }

    /// What JSON Schema cannot say about an offer: rules across its fields.
    const OFFER_RULES: &str = " Both names or neither (an empty name is none); `maxPerClient` at \
        most `offerQuantity`; `endsAt` after `startsAt`.";

    /// A new offer: with `type` and `value` both required, the value's range follows the type.
    pub fn offer_create() -> Value {
        let body = schema::create(
            &format!("A new offer on the product `productId`.{OFFER_RULES}"),
            &offer_fields(Field::required("productId", schema::id())),
        );
        let by_type: Vec<Value> = [OfferType::Percent, OfferType::Fixed]
            .into_iter()
            .zip(OfferType::NAMES)
            .map(|(offer_type, name)| {
                let properties =
                    json!({"type": schema::one_of(&[name]), "value": value_of(offer_type)});
                json!({"type": "object", "properties": properties})
            })
            .collect();
        json!({"allOf": [body, {"oneOf": by_type}]})
    }

    /// A PATCH: `value` is read under the `type` sent or stored, so its range is in the description.
    pub fn offer_patch() -> Value {
        schema::patch(
            &format!(
                "The fields of an offer to change; `product` moves it to another product. A new \
                 `type` needs a `value`.{OFFER_RULES}"
            ),
            &offer_fields(Field::optional("product", schema::id())),
        )
    }

    /// A link body naming `required` ids, and `optional` ones.
    pub fn link(required: &[&'static str], optional: &[&'static str]) -> Value {
        let fields: Vec<Field> = required
            .iter()
            .map(|name| Field::required(name, schema::id()))
            .chain(
                optional
                    .iter()
                    .map(|name| Field::optional(name, schema::id())),
            )
            .collect();
        schema::create("The ids to link or unlink.", &fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa reads each documented body back without losing a keyword.
    #[test]
    fn documented_bodies_survive_utoipa_whole() {
        let mut bodies = vec![
            ("product create", documented::product_create()),
            ("product patch", documented::product_patch()),
            ("offer create", documented::offer_create()),
            ("offer patch", documented::offer_patch()),
            ("link", documented::link(&["productId"], &["brandId"])),
        ];
        for kind in Kind::ALL {
            bodies.push(("entity create", documented::entity_create(kind)));
            bodies.push(("entity patch", documented::entity_patch(kind)));
        }
        for (what, body) in bodies {
            let schema = std::panic::catch_unwind(|| shared::api::schema::to_schema(body.clone()))
                .unwrap_or_else(|_| panic!("{what}: {body:#}"));
            assert_eq!(serde_json::to_value(schema).unwrap(), body, "{what}");
        }
    }

    #[test]
    fn offer_values_follow_their_type() {
        assert_eq!(OfferInput::amount(0.1, OfferType::Percent), Ok(1_000));
        assert!(OfferInput::amount(0.96, OfferType::Percent).is_err());
        assert_eq!(OfferInput::amount(12.5, OfferType::Fixed), Ok(1_250));
        assert!(
            OfferInput::amount(0.5, OfferType::Fixed).is_err(),
            "below 1"
        );
        assert_eq!(
            OfferInput::amount(1.234, OfferType::Fixed),
            Err(FieldIssue::TooManyDecimals)
        );
    }

    #[test]
    fn colors_and_urls_are_checked() {
        for color in [
            "#FF0000",
            "#abc",
            "#abcd",
            "red",
            "rgba(25, 118, 210, 1)",
            "hsl(210deg 50% 40%)",
        ] {
            assert!(is_color(color), "{color}");
        }
        for color in [
            "#ff000",
            "#gg0000",
            "",
            "rgb(1,2,3",
            "rgb()",
            "(1,2,3)",
            "red; x: y",
            "url(x:y)",
        ] {
            assert!(!is_color(color), "{color}");
        }
        assert!(!is_color(&format!("rgb({})", "1,".repeat(40))), "too long");
        assert!(is_url("https://cdn.example/a.jpg"));
        assert!(!is_url("javascript:alert(1)") && !is_url("https://"));
    }
}
