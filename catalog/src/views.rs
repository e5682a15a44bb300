//! Response shapes, as Belta's clients read them (belta-contract.md §4 to §10).
//!
//! Public shapes carry one `name`/`description` in the request's language and never show a disabled
//! item, not even as a relation. Staff shapes carry both languages, the flags and the timestamps.
//!
//! Every view is a typed struct that borrows from the snapshot, so a response serializes straight
//! from it without building an intermediate JSON tree, and its OpenAPI schema is derived from it.

use serde::Serialize;
use shared::{Id, Lang, Money, clock::iso_millis};
use utoipa::ToSchema;

use crate::{
    index::Catalog,
    kind::{Children, Kind},
    model::{Entity, Offer, OfferType, Product},
};

/// Belta's offer `value`: a fraction for `percent` (0.1 is 10%), currency units for `fixed`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OfferValue {
    Fraction(f64),
    Amount(Money),
}

impl OfferValue {
    fn of(offer: &Offer) -> Self {
        match offer.offer_type {
            OfferType::Percent => OfferValue::Fraction(offer.amount as f64 / 10_000.0),
            OfferType::Fixed => OfferValue::Amount(Money::from_minor(offer.amount)),
        }
    }
}

fn iso_secs(secs: Option<i64>) -> Option<String> {
    secs.map(|s| iso_millis(s * 1000))
}

/// An enabled entity of `kind`, for a public relation.
fn visible(catalog: &Catalog, kind: Kind, id: Option<Id>) -> Option<&Entity> {
    id.and_then(|id| catalog.entity(kind, &id))
        .filter(|e| !e.disabled)
}

/// `{_id, name}` plus the kind's `cover` or `color`: how the store sees a brand, category, label or tag.
#[derive(Serialize, ToSchema)]
pub struct PublicEntity<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cover: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<&'a str>,
}

impl<'a> PublicEntity<'a> {
    fn new(entity: &'a Entity, lang: Lang) -> Self {
        PublicEntity {
            id: entity.id,
            name: lang.pick(&entity.name_ar, &entity.name_en),
            cover: entity.cover.as_deref(),
            color: entity.color.as_deref(),
        }
    }
}

/// A public list item: the entity, and a subcategory's category id.
#[derive(Serialize, ToSchema)]
pub struct PublicListItem<'a> {
    #[serde(flatten)]
    entity: PublicEntity<'a>,
    /// Subcategories only.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Option<Id>>,
}

pub fn entity_public(entity: &Entity, lang: Lang) -> PublicListItem<'_> {
    PublicListItem {
        entity: PublicEntity::new(entity, lang),
        category: entity.kind.spec().parent.map(|_| entity.category),
    }
}

/// `{_id, name}` of a parent inside a public single read.
#[derive(Serialize, ToSchema)]
pub struct PublicRef<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name: &'a str,
}

/// A public single read: a brand with its (enabled) products, a subcategory with its category.
#[derive(Serialize, ToSchema)]
pub struct PublicEntityDetail<'a> {
    #[serde(flatten)]
    entity: PublicEntity<'a>,
    /// Brands only.
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<Vec<PublicProduct<'a>>>,
    /// Subcategories only; `null` when it has none or it is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Option<PublicRef<'a>>>,
}

pub fn entity_public_detail<'a>(
    catalog: &'a Catalog,
    entity: &'a Entity,
    lang: Lang,
    now: i64,
) -> PublicEntityDetail<'a> {
    let spec = entity.kind.spec();
    let products = spec.public_products.then(|| {
        catalog
            .children(&entity.id)
            .filter_map(|id| catalog.product(&id))
            .filter(|p| !p.disabled)
            .map(|p| product_public(catalog, p, lang, now))
            .collect()
    });
    let category = spec.parent.map(|parent| {
        visible(catalog, parent, entity.category).map(|c| PublicRef {
            id: c.id,
            name: lang.pick(&c.name_ar, &c.name_en),
        })
    });
    PublicEntityDetail {
        entity: PublicEntity::new(entity, lang),
        products,
        category,
    }
}

/// Every stored field of an entity, without its relations.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffEntity<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name_ar: &'a str,
    name_en: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cover: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<&'a str>,
    disabled: bool,
    employee_read_only: bool,
    created_at: String,
    updated_at: String,
}

impl<'a> StaffEntity<'a> {
    fn new(entity: &'a Entity) -> Self {
        StaffEntity {
            id: entity.id,
            name_ar: &entity.name_ar,
            name_en: &entity.name_en,
            cover: entity.cover.as_deref(),
            color: entity.color.as_deref(),
            disabled: entity.disabled,
            employee_read_only: entity.employee_read_only,
            created_at: iso_millis(entity.created_at),
            updated_at: iso_millis(entity.updated_at),
        }
    }
}

/// An entity as Mongoose gives a document it has not populated: its own references are ids
/// (`products`, a category's `subcategories`, a subcategory's `category`). This is how an entity
/// appears inside another record, so a populated relation keeps the shape Belta's admin panel reads
/// (`label.products.includes(productId)`).
#[derive(Serialize, ToSchema)]
pub struct EntityDoc<'a> {
    #[serde(flatten)]
    entity: StaffEntity<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<Vec<Id>>,
    /// Categories only.
    #[serde(skip_serializing_if = "Option::is_none")]
    subcategories: Option<Vec<Id>>,
    /// Subcategories only; `null` when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Option<Id>>,
}

/// The ids of `entity`'s children that the snapshot still holds, under the field its kind uses.
fn child_ids(catalog: &Catalog, entity: &Entity) -> (Option<Vec<Id>>, Option<Vec<Id>>) {
    let children = catalog.children(&entity.id);
    match entity.kind.spec().children {
        Children::Products(_) => {
            let ids = children.filter(|id| catalog.product(id).is_some());
            (Some(ids.collect()), None)
        }
        Children::Entities(kind) => {
            let ids = children.filter(|id| catalog.entity(kind, id).is_some());
            (None, Some(ids.collect()))
        }
    }
}

fn entity_doc<'a>(catalog: &'a Catalog, entity: &'a Entity) -> EntityDoc<'a> {
    let (products, subcategories) = child_ids(catalog, entity);
    EntityDoc {
        entity: StaffEntity::new(entity),
        products,
        subcategories,
        category: entity.kind.spec().parent.map(|parent| {
            entity
                .category
                .filter(|id| catalog.entity(parent, id).is_some())
        }),
    }
}

/// One reference: the id, or the record when the path is populated.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum EntityRef<'a> {
    Id(Id),
    Record(EntityDoc<'a>),
}

/// A staff view's products: ids, or records.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RelatedProducts<'a> {
    Ids(Vec<Id>),
    Records(Vec<StaffProduct<'a>>),
}

/// A staff view's brands, subcategories, labels or tags: ids, or records.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RelatedEntities<'a> {
    Ids(Vec<Id>),
    Records(Vec<EntityDoc<'a>>),
}

/// A staff read of an entity with its children (products, or a category's subcategories), and a
/// subcategory's category.
#[derive(Serialize, ToSchema)]
pub struct StaffEntityView<'a> {
    #[serde(flatten)]
    entity: StaffEntity<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<RelatedProducts<'a>>,
    /// Categories only.
    #[serde(skip_serializing_if = "Option::is_none")]
    subcategories: Option<RelatedEntities<'a>>,
    /// Subcategories only; `null` when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Option<EntityDoc<'a>>>,
}

/// A staff read of an entity with its children: ids in lists; in a single read (`populate`) the
/// children as records, products with the relations Belta populated for that kind
/// ([`Children::Products`]).
pub fn entity_staff<'a>(
    catalog: &'a Catalog,
    entity: &'a Entity,
    populate: bool,
    now: i64,
) -> StaffEntityView<'a> {
    let spec = entity.kind.spec();
    let children = catalog.children(&entity.id);
    let (products, subcategories) = match (spec.children, populate) {
        (Children::Entities(kind), true) => {
            let records = children
                .filter_map(|id| catalog.entity(kind, &id))
                .map(|e| entity_doc(catalog, e));
            (None, Some(RelatedEntities::Records(records.collect())))
        }
        (Children::Products(paths), true) => {
            let records = children
                .filter_map(|id| catalog.product(&id))
                .map(|p| product_staff(catalog, p, paths, now));
            (Some(RelatedProducts::Records(records.collect())), None)
        }
        (_, false) => {
            let (products, subcategories) = child_ids(catalog, entity);
            (
                products.map(RelatedProducts::Ids),
                subcategories.map(RelatedEntities::Ids),
            )
        }
    };
    let category = spec.parent.map(|parent| {
        entity
            .category
            .and_then(|id| catalog.entity(parent, &id))
            .map(|e| entity_doc(catalog, e))
    });
    StaffEntityView {
        entity: StaffEntity::new(entity),
        products,
        subcategories,
        category,
    }
}

/// A subcategory inside a public product, with its category.
#[derive(Serialize, ToSchema)]
pub struct PublicSubcategory<'a> {
    #[serde(flatten)]
    entity: PublicEntity<'a>,
    category: Option<PublicEntity<'a>>,
}

/// A live offer inside a public product.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicOffer<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name: Option<&'a str>,
    #[serde(rename = "type")]
    offer_type: OfferType,
    value: OfferValue,
    max_per_client: u32,
    offer_quantity: u32,
    quantity_purchased: u32,
    starts_at: Option<String>,
    ends_at: Option<String>,
}

/// A product as the store sees it, for lists and single reads alike (Belta's detail shape, which is a
/// superset of its list shape): only live offers and enabled relations show.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicProduct<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name: &'a str,
    description: &'a str,
    cover_list: &'a [String],
    rating: f64,
    reviews: u64,
    offer: Option<PublicOffer<'a>>,
    brand: Option<PublicEntity<'a>>,
    subcategory: Option<PublicSubcategory<'a>>,
    labels: Vec<PublicEntity<'a>>,
    tags: Vec<PublicEntity<'a>>,
    quantity: u64,
    disabled: bool,
    price: Money,
    final_price: Money,
}

pub fn product_public<'a>(
    catalog: &'a Catalog,
    product: &'a Product,
    lang: Lang,
    now: i64,
) -> PublicProduct<'a> {
    let public =
        |kind: Kind, id: Option<Id>| visible(catalog, kind, id).map(|e| PublicEntity::new(e, lang));
    let related = |kind: Kind, ids: &[Id]| -> Vec<PublicEntity<'a>> {
        ids.iter()
            .filter_map(|id| public(kind, Some(*id)))
            .collect()
    };
    let subcategory =
        visible(catalog, Kind::Subcategory, product.subcategory).map(|s| PublicSubcategory {
            entity: PublicEntity::new(s, lang),
            category: public(Kind::Category, s.category),
        });
    let offer = catalog.live_offer(product, now).map(|o| PublicOffer {
        id: o.id,
        name: o
            .name_ar
            .as_deref()
            .zip(o.name_en.as_deref())
            .map(|(ar, en)| lang.pick(ar, en)),
        offer_type: o.offer_type,
        value: OfferValue::of(o),
        max_per_client: o.max_per_client,
        offer_quantity: o.offer_quantity,
        quantity_purchased: o.quantity_purchased,
        starts_at: iso_secs(o.starts_at),
        ends_at: iso_secs(o.ends_at),
    });
    PublicProduct {
        id: product.id,
        name: lang.pick(&product.name_ar, &product.name_en),
        description: lang.pick(&product.description_ar, &product.description_en),
        cover_list: &product.cover_list,
        rating: product.counters.rating,
        reviews: product.counters.reviews,
        offer,
        brand: public(Kind::Brand, product.brand),
        subcategory,
        labels: related(Kind::Label, &product.labels),
        tags: related(Kind::Tag, &product.tags),
        quantity: product.quantity,
        disabled: product.disabled,
        price: product.price,
        final_price: catalog.final_price(product, now),
    }
}

/// Which of a product's references a staff view populates; the others stay ids, as in Mongoose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductPaths {
    pub offer: bool,
    pub brand: bool,
    pub subcategory: bool,
    pub labels: bool,
    pub tags: bool,
}

impl ProductPaths {
    /// A single read and every write's answer: everything populated.
    pub const ALL: ProductPaths = ProductPaths {
        offer: true,
        brand: true,
        subcategory: true,
        labels: true,
        tags: true,
    };
    /// Belta's staff list looked up `offer`, `brand`, `subcategory` and `tags`; `labels` stayed ids.
    pub const LIST: ProductPaths = ProductPaths {
        labels: false,
        ..ProductPaths::ALL
    };
    /// Only `brand` and `subcategory` (inside a label or tag).
    pub const BRAND_AND_SUBCATEGORY: ProductPaths = ProductPaths {
        offer: false,
        labels: false,
        tags: false,
        ..ProductPaths::ALL
    };
    /// Only `brand` (inside a subcategory).
    pub const BRAND: ProductPaths = ProductPaths {
        subcategory: false,
        ..ProductPaths::BRAND_AND_SUBCATEGORY
    };
    /// Only `subcategory` (inside a brand).
    pub const SUBCATEGORY: ProductPaths = ProductPaths {
        brand: false,
        ..ProductPaths::BRAND_AND_SUBCATEGORY
    };
}

/// A product's offer: its id, or the record when populated.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OfferRef<'a> {
    Id(Id),
    Record(Box<StaffOffer<'a>>),
}

/// A product as staff see it, with the references [`ProductPaths`] names populated.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffProduct<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name_ar: &'a str,
    name_en: &'a str,
    description_ar: &'a str,
    description_en: &'a str,
    cover_list: &'a [String],
    rating: f64,
    reviews: u64,
    views_count: u64,
    orders_count: u64,
    purchase_count: u64,
    return_count: u64,
    offer: Option<OfferRef<'a>>,
    brand: Option<EntityRef<'a>>,
    subcategory: Option<EntityRef<'a>>,
    labels: RelatedEntities<'a>,
    tags: RelatedEntities<'a>,
    quantity: u64,
    disabled: bool,
    price: Money,
    min_price: Money,
    final_price: Money,
    employee_read_only: bool,
    created_at: String,
    updated_at: String,
}

pub fn product_staff<'a>(
    catalog: &'a Catalog,
    product: &'a Product,
    paths: ProductPaths,
    now: i64,
) -> StaffProduct<'a> {
    let one = |kind: Kind, id: Option<Id>, populate: bool| {
        let entity = catalog.entity(kind, &id?)?;
        Some(if populate {
            EntityRef::Record(entity_doc(catalog, entity))
        } else {
            EntityRef::Id(entity.id)
        })
    };
    let many = |kind: Kind, ids: &[Id], populate: bool| {
        let found = ids.iter().filter_map(|id| catalog.entity(kind, id));
        if populate {
            RelatedEntities::Records(found.map(|e| entity_doc(catalog, e)).collect())
        } else {
            RelatedEntities::Ids(found.map(|e| e.id).collect())
        }
    };
    let offer = product.offer.and_then(|id| catalog.offer(&id)).map(|o| {
        if paths.offer {
            OfferRef::Record(Box::new(StaffOffer::new(
                o,
                OfferProduct::Id(o.product),
                now,
            )))
        } else {
            OfferRef::Id(o.id)
        }
    });
    let c = &product.counters;
    StaffProduct {
        id: product.id,
        name_ar: &product.name_ar,
        name_en: &product.name_en,
        description_ar: &product.description_ar,
        description_en: &product.description_en,
        cover_list: &product.cover_list,
        rating: c.rating,
        reviews: c.reviews,
        views_count: c.views_count,
        orders_count: c.orders_count,
        purchase_count: c.purchase_count,
        return_count: c.return_count,
        offer,
        brand: one(Kind::Brand, product.brand, paths.brand),
        subcategory: one(Kind::Subcategory, product.subcategory, paths.subcategory),
        labels: many(Kind::Label, &product.labels, paths.labels),
        tags: many(Kind::Tag, &product.tags, paths.tags),
        quantity: product.quantity,
        disabled: product.disabled,
        price: product.price,
        min_price: product.min_price,
        final_price: catalog.final_price(product, now),
        employee_read_only: product.employee_read_only,
        created_at: iso_millis(product.created_at),
        updated_at: iso_millis(product.updated_at),
    }
}

/// An offer's product: its id inside a product, its summary (Belta's projection) on the offer routes.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OfferProduct<'a> {
    Id(Id),
    Summary(ProductSummary<'a>),
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductSummary<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name_ar: &'a str,
    name_en: &'a str,
    cover_list: &'a [String],
    price: Money,
    min_price: Money,
    final_price: Money,
}

/// Every stored field of an offer, its product, and whether it discounts now (`active`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffOffer<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name_ar: Option<&'a str>,
    name_en: Option<&'a str>,
    product: OfferProduct<'a>,
    #[serde(rename = "type")]
    offer_type: OfferType,
    value: OfferValue,
    offer_quantity: u32,
    max_per_client: u32,
    quantity_purchased: u32,
    starts_at: Option<String>,
    ends_at: Option<String>,
    disabled: bool,
    active: bool,
    employee_read_only: bool,
    created_at: String,
    updated_at: String,
}

impl<'a> StaffOffer<'a> {
    fn new(offer: &'a Offer, product: OfferProduct<'a>, now: i64) -> Self {
        StaffOffer {
            id: offer.id,
            name_ar: offer.name_ar.as_deref(),
            name_en: offer.name_en.as_deref(),
            product,
            offer_type: offer.offer_type,
            value: OfferValue::of(offer),
            offer_quantity: offer.offer_quantity,
            max_per_client: offer.max_per_client,
            quantity_purchased: offer.quantity_purchased,
            starts_at: iso_secs(offer.starts_at),
            ends_at: iso_secs(offer.ends_at),
            disabled: offer.disabled,
            active: offer.terms().is_live(now),
            employee_read_only: offer.employee_read_only,
            created_at: iso_millis(offer.created_at),
            updated_at: iso_millis(offer.updated_at),
        }
    }
}

/// An offer for the staff endpoints, with its product's summary.
pub fn offer_staff<'a>(catalog: &'a Catalog, offer: &'a Offer, now: i64) -> StaffOffer<'a> {
    let product = match catalog.product(&offer.product) {
        Some(p) => OfferProduct::Summary(ProductSummary {
            id: p.id,
            name_ar: &p.name_ar,
            name_en: &p.name_en,
            cover_list: &p.cover_list,
            price: p.price,
            min_price: p.min_price,
            final_price: catalog.final_price(p, now),
        }),
        None => OfferProduct::Id(offer.product),
    };
    StaffOffer::new(offer, product, now)
}

/// Belta's `{message}` answer to a delete, in the request's language.
#[derive(Serialize, ToSchema)]
pub struct DeletedMessage {
    pub message: &'static str,
}

/// The tags function's `{success: true}` answer to a delete.
#[derive(Serialize, ToSchema)]
pub struct DeletedSuccess {
    pub success: bool,
}
