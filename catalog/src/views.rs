//! Response shapes, as Belta's clients read them (belta-contract.md §4 to §10).
//!
//! Public shapes carry one `name`/`description` in the request's language and never show a disabled
//! item, not even as a relation. Staff shapes carry both languages, the flags and the timestamps.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{
    index::Catalog,
    model::{Entity, Kind, Offer, OfferType, Product},
};
use shared::{Id, Lang, Money, clock::iso_millis};

/// Belta's percent `value` (a fraction) or fixed `value` (currency units).
fn offer_value(offer: &Offer) -> Value {
    match offer.offer_type {
        OfferType::Percent => json!(offer.amount as f64 / 10_000.0),
        OfferType::Fixed => json!(Money::from_minor(offer.amount)),
    }
}

fn iso_secs(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, |s| Value::String(iso_millis(s * 1000)))
}

/// An enabled entity of `kind`, for a public relation.
fn visible(catalog: &Catalog, kind: Kind, id: Option<Id>) -> Option<&Entity> {
    id.and_then(|id| catalog.entity(kind, &id))
        .filter(|e| !e.disabled)
}

/// `{_id, name}` plus the kind's `cover` or `color`: how the store sees a brand, category, label or tag.
///
/// The public views are typed and borrow from the snapshot, so a list serializes straight from it
/// without building an intermediate JSON tree (the hot path of the store).
#[derive(Serialize)]
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
#[derive(Serialize)]
pub struct PublicListItem<'a> {
    #[serde(flatten)]
    entity: PublicEntity<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Option<Id>>,
}

pub fn entity_public(entity: &Entity, lang: Lang) -> PublicListItem<'_> {
    PublicListItem {
        entity: PublicEntity::new(entity, lang),
        category: (entity.kind == Kind::Subcategory).then_some(entity.category),
    }
}

fn entity_public_base(entity: &Entity, lang: Lang) -> Map<String, Value> {
    match serde_json::to_value(PublicEntity::new(entity, lang)) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A public single read: a brand with its (enabled) products, a subcategory with its category.
pub fn entity_public_detail(catalog: &Catalog, entity: &Entity, lang: Lang, now: i64) -> Value {
    let mut view = entity_public_base(entity, lang);
    match entity.kind {
        Kind::Brand => {
            let products: Vec<Value> = catalog
                .children(&entity.id)
                .iter()
                .filter_map(|id| catalog.product(id))
                .filter(|p| !p.disabled)
                .filter_map(|p| serde_json::to_value(product_public(catalog, p, lang, now)).ok())
                .collect();
            view.insert("products".into(), Value::Array(products));
        }
        Kind::Subcategory => {
            let category = visible(catalog, Kind::Category, entity.category)
                .map(|c| json!({"_id": c.id, "name": lang.pick(&c.name_ar, &c.name_en)}));
            view.insert("category".into(), json!(category));
        }
        _ => {}
    }
    Value::Object(view)
}

/// Every stored field of an entity, without its relations.
pub fn entity_staff_base(entity: &Entity) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("_id".into(), json!(entity.id));
    view.insert("nameAr".into(), json!(entity.name_ar));
    view.insert("nameEn".into(), json!(entity.name_en));
    if let Some(cover) = &entity.cover {
        view.insert("cover".into(), json!(cover));
    }
    if let Some(color) = &entity.color {
        view.insert("color".into(), json!(color));
    }
    view.insert("disabled".into(), json!(entity.disabled));
    view.insert("employeeReadOnly".into(), json!(entity.employee_read_only));
    view.insert("createdAt".into(), json!(iso_millis(entity.created_at)));
    view.insert("updatedAt".into(), json!(iso_millis(entity.updated_at)));
    view
}

/// A staff read of an entity with its children: ids in lists, whole records when `populate`
/// (a single read). A subcategory's category is always an object.
pub fn entity_staff(catalog: &Catalog, entity: &Entity, populate: bool, now: i64) -> Value {
    let mut view = entity_staff_base(entity);
    let children = catalog.children(&entity.id);
    let (field, listed) = if entity.kind == Kind::Category {
        let subcategories = children
            .iter()
            .filter_map(|id| catalog.entity(Kind::Subcategory, id));
        let listed = if populate {
            subcategories
                .map(|s| Value::Object(entity_staff_base(s)))
                .collect()
        } else {
            subcategories.map(|s| json!(s.id)).collect()
        };
        ("subcategories", listed)
    } else {
        let products = children.iter().filter_map(|id| catalog.product(id));
        let listed = if populate {
            products
                .map(|p| product_staff(catalog, p, false, now))
                .collect()
        } else {
            products.map(|p| json!(p.id)).collect()
        };
        ("products", listed)
    };
    view.insert(field.into(), Value::Array(listed));
    if entity.kind == Kind::Subcategory {
        let category = entity
            .category
            .and_then(|id| catalog.entity(Kind::Category, &id))
            .map(|c| Value::Object(entity_staff_base(c)));
        view.insert("category".into(), json!(category));
    }
    Value::Object(view)
}

/// A subcategory inside a public product, with its category.
#[derive(Serialize)]
pub struct PublicSubcategory<'a> {
    #[serde(flatten)]
    entity: PublicEntity<'a>,
    category: Option<PublicEntity<'a>>,
}

/// A live offer inside a public product.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicOffer<'a> {
    #[serde(rename = "_id")]
    id: Id,
    name: Option<&'a str>,
    #[serde(rename = "type")]
    offer_type: OfferType,
    value: Value,
    max_per_client: u32,
    offer_quantity: u32,
    quantity_purchased: u32,
    starts_at: Value,
    ends_at: Value,
}

/// A product as the store sees it, for lists and single reads alike (Belta's detail shape, which is a
/// superset of its list shape): only live offers and enabled relations show.
#[derive(Serialize)]
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
        value: offer_value(o),
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

/// A product as staff see it. Relations are whole records, except `labels`, which are ids in lists
/// (as in Belta) and records when `populate_labels` (a single read).
pub fn product_staff(
    catalog: &Catalog,
    product: &Product,
    populate_labels: bool,
    now: i64,
) -> Value {
    let staff_entity = |kind: Kind, id: Option<Id>| {
        id.and_then(|id| catalog.entity(kind, &id))
            .map(|e| Value::Object(entity_staff_base(e)))
    };
    let staff_entities = |kind: Kind, ids: &[Id]| -> Value {
        ids.iter()
            .filter_map(|id| staff_entity(kind, Some(*id)))
            .collect()
    };
    let labels = if populate_labels {
        staff_entities(Kind::Label, &product.labels)
    } else {
        json!(product.labels)
    };
    let offer = product
        .offer
        .and_then(|id| catalog.offer(&id))
        .map(|o| offer_staff_base(o, now));
    let c = &product.counters;
    json!({
        "_id": product.id,
        "nameAr": product.name_ar,
        "nameEn": product.name_en,
        "descriptionAr": product.description_ar,
        "descriptionEn": product.description_en,
        "coverList": product.cover_list,
        "rating": c.rating,
        "reviews": c.reviews,
        "viewsCount": c.views_count,
        "ordersCount": c.orders_count,
        "purchaseCount": c.purchase_count,
        "returnCount": c.return_count,
        "offer": offer,
        "brand": staff_entity(Kind::Brand, product.brand),
        "subcategory": staff_entity(Kind::Subcategory, product.subcategory),
        "labels": labels,
        "tags": staff_entities(Kind::Tag, &product.tags),
        "quantity": product.quantity,
        "disabled": product.disabled,
        "price": product.price,
        "minPrice": product.min_price,
        "finalPrice": catalog.final_price(product, now),
        "employeeReadOnly": product.employee_read_only,
        "createdAt": iso_millis(product.created_at),
        "updatedAt": iso_millis(product.updated_at),
    })
}

/// Every stored field of an offer, `product` as an id, and whether it discounts now (`active`).
fn offer_staff_base(offer: &Offer, now: i64) -> Value {
    json!({
        "_id": offer.id,
        "nameAr": offer.name_ar,
        "nameEn": offer.name_en,
        "product": offer.product,
        "type": offer.offer_type,
        "value": offer_value(offer),
        "offerQuantity": offer.offer_quantity,
        "maxPerClient": offer.max_per_client,
        "quantityPurchased": offer.quantity_purchased,
        "startsAt": iso_secs(offer.starts_at),
        "endsAt": iso_secs(offer.ends_at),
        "disabled": offer.disabled,
        "active": offer.terms().is_live(now),
        "employeeReadOnly": offer.employee_read_only,
        "createdAt": iso_millis(offer.created_at),
        "updatedAt": iso_millis(offer.updated_at),
    })
}

/// An offer for the staff endpoints, with its product's summary (Belta's projection).
pub fn offer_staff(catalog: &Catalog, offer: &Offer, now: i64) -> Value {
    let mut view = offer_staff_base(offer, now);
    let product = catalog.product(&offer.product).map(|p| {
        json!({
            "_id": p.id,
            "nameAr": p.name_ar,
            "nameEn": p.name_en,
            "coverList": p.cover_list,
            "price": p.price,
            "minPrice": p.min_price,
            "finalPrice": catalog.final_price(p, now),
        })
    });
    view["product"] = product.unwrap_or_else(|| json!(offer.product));
    view
}
