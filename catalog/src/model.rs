//! The catalogue's stored records, as they sit in the table (one item each, keyed by [`crate::store`]).
//!
//! Brands, categories, subcategories, labels and tags share one shape, [`Entity`], told apart by their
//! [`Kind`] ([`crate::kind`] says how they differ). Products and offers have their own. Relations are stored once, on the child (a product's
//! `brand`, `subcategory`, `labels`, `tags`, `offer`; a subcategory's `category`); a parent keeps only a
//! `linkCount`, which its delete rule checks and every link and unlink moves in the same transaction.
//! Every record carries a `rev` that each write increments and conditions on, so a change computed from
//! a record that has moved on fails instead of overwriting it.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use shared::{Id, Money};

use crate::{kind::Kind, pricing::Discount};

/// A brand, category, subcategory, label or tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub kind: Kind,
    pub id: Id,
    pub name_ar: String,
    pub name_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// A subcategory's category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Id>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub employee_read_only: bool,
    /// How many children link here: products, or subcategories for a category.
    #[serde(default)]
    pub link_count: u64,
    pub rev: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Entity {
    /// A new, empty entity of `kind` created at `now_millis`; the caller fills in its fields.
    pub fn new(kind: Kind, now_millis: i64) -> Self {
        Entity {
            kind,
            id: Id::new(),
            name_ar: String::new(),
            name_en: String::new(),
            cover: None,
            color: None,
            category: None,
            disabled: false,
            employee_read_only: false,
            link_count: 0,
            rev: 1,
            created_at: now_millis,
            updated_at: now_millis,
        }
    }
}

/// A product. `finalPrice` is not stored: it depends on the offer and the clock, so it is computed
/// whenever a product is read ([`crate::pricing::final_price`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: Id,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    #[serde(default)]
    pub cover_list: Vec<String>,
    pub quantity: u64,
    pub price: Money,
    pub min_price: Money,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub employee_read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<Id>,
    #[serde(default)]
    pub labels: Vec<Id>,
    #[serde(default)]
    pub tags: Vec<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Id>,
    #[serde(default)]
    pub counters: Counters,
    pub rev: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Product {
    /// A new, empty product created at `now_millis`; the caller fills in its fields.
    pub fn new(now_millis: i64) -> Self {
        Product {
            id: Id::new(),
            name_ar: String::new(),
            name_en: String::new(),
            description_ar: String::new(),
            description_en: String::new(),
            cover_list: Vec::new(),
            quantity: 0,
            price: Money::ZERO,
            min_price: Money::ZERO,
            disabled: false,
            employee_read_only: false,
            brand: None,
            subcategory: None,
            labels: Vec::new(),
            tags: Vec::new(),
            offer: None,
            counters: Counters::default(),
            rev: 1,
            created_at: now_millis,
            updated_at: now_millis,
        }
    }

    /// Every entity the product links to, each of which counts it in its `linkCount`.
    pub fn parents(&self) -> impl Iterator<Item = (Kind, Id)> + '_ {
        Kind::ALL.into_iter().flat_map(move |kind| {
            let ids = kind.spec().product_link.ids(self);
            ids.iter().map(move |id| (kind, *id))
        })
    }
}

/// Server-owned figures Belta shows on a product. Nothing writes them yet (orders come later).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub rating: f64,
    pub reviews: u64,
    pub views_count: u64,
    pub orders_count: u64,
    pub purchase_count: u64,
    pub return_count: u64,
}

/// Belta's offer `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OfferType {
    Percent,
    Fixed,
}

impl OfferType {
    pub const NAMES: &'static [&'static str] = &["percent", "fixed"];
}

/// A product's offer. At most one per product, enforced by the product's `offer` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_ar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub product: Id,
    #[serde(rename = "type")]
    pub offer_type: OfferType,
    /// Basis points for `percent` (1000 = Belta's 0.1), piasters for `fixed`.
    pub amount: i64,
    pub offer_quantity: u32,
    pub max_per_client: u32,
    #[serde(default)]
    pub quantity_purchased: u32,
    /// Unix seconds; absent means open-ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub employee_read_only: bool,
    pub rev: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Offer {
    /// A new offer on `product` created at `now_millis` (10% off, one unit), to be filled in by the caller.
    pub fn new(product: Id, now_millis: i64) -> Self {
        Offer {
            id: Id::new(),
            name_ar: None,
            name_en: None,
            product,
            offer_type: OfferType::Percent,
            amount: 1_000,
            offer_quantity: 1,
            max_per_client: 1,
            quantity_purchased: 0,
            starts_at: None,
            ends_at: None,
            disabled: false,
            employee_read_only: false,
            rev: 1,
            created_at: now_millis,
            updated_at: now_millis,
        }
    }

    pub fn discount(&self) -> Discount {
        match self.offer_type {
            OfferType::Percent => Discount::Percent {
                basis_points: self.amount as u32,
            },
            OfferType::Fixed => Discount::Fixed(Money::from_minor(self.amount)),
        }
    }

    pub fn terms(&self) -> crate::pricing::OfferTerms {
        crate::pricing::OfferTerms {
            discount: self.discount(),
            disabled: self.disabled,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            offer_quantity: self.offer_quantity,
            quantity_purchased: self.quantity_purchased,
        }
    }
}

/// What every stored catalogue record has: a kind and an id (its key, which [`crate::store`]
/// builds), a revision and the read-only flag.
pub trait Record: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static {
    /// The partition tag of its kind (`PRODUCT`, `BRAND`, ...).
    fn tag(&self) -> &'static str;
    fn id(&self) -> Id;
    fn rev(&self) -> u64;
    fn employee_read_only(&self) -> bool;
    /// Moves `rev` one step on and sets `updatedAt`.
    fn touch(&mut self, now_millis: i64);

    /// A copy with `change` applied and the revision moved on, for [`crate::store::Change::replace`].
    fn revised(&self, now_millis: i64, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        change(&mut next);
        next.touch(now_millis);
        next
    }

    /// [`Record::revised`], or `None` when `change` leaves the record as it is: a PATCH that sends
    /// nothing, or only the stored values, writes nothing (no `updatedAt` move, no version bump that
    /// would make every warm catalogue function reload).
    fn revised_if_changed(&self, now_millis: i64, change: impl FnOnce(&mut Self)) -> Option<Self> {
        let mut next = self.clone();
        change(&mut next);
        (next != *self).then(|| {
            next.touch(now_millis);
            next
        })
    }
}

pub const PRODUCT: &str = "PRODUCT";
pub const OFFER: &str = "OFFER";

/// The [`Record`] methods, which read the same fields on every record type.
macro_rules! record {
    ($type:ty, |$record:ident| $tag:expr) => {
        impl Record for $type {
            fn tag(&self) -> &'static str {
                let $record = self;
                $tag
            }
            fn id(&self) -> Id {
                self.id
            }
            fn rev(&self) -> u64 {
                self.rev
            }
            fn employee_read_only(&self) -> bool {
                self.employee_read_only
            }
            fn touch(&mut self, now_millis: i64) {
                self.rev += 1;
                self.updated_at = now_millis;
            }
        }
    };
}

record!(Entity, |entity| entity.kind.tag());
record!(Product, |_product| PRODUCT);
record!(Offer, |_offer| OFFER);
