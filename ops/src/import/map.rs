//! Belta's documents onto our records: what each collection becomes, and every record that cannot
//! become one (skipped) or becomes one with a change (rounded money, a dropped dangling link), with why.
//!
//! Relations are taken from the side Belta's reads used and we store: the child's (a product's
//! `brand`, `subcategory`, `labels`, `tags`; a subcategory's `category`; an offer's `product`). The
//! parents' own `products`/`subcategories` arrays are ignored, and each parent's `linkCount` is counted
//! from the children that were imported.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use catalog::{
    kind::{Extra, Kind},
    model::{Counters, Entity, Offer, OfferType, Product},
    store::to_item,
};
use identity::{
    email::Email,
    users::{ImportedUser, UserStore},
};
use orders::{
    model::{Cart, CartLine, DraftLine, DraftReason, Order, OrderLine, OrderStatus},
    store::imported,
};
use shared::{Id, Money, auth::Role};

use super::{
    Dump,
    ejson::{Decimal, Doc, FieldError},
};

pub type Item = HashMap<String, AttributeValue>;

/// The collections Belta has, in the order they are written: parents before what links to them.
pub const ENTITIES: [(&str, Kind); 5] = [
    ("categories", Kind::Category),
    ("subcategories", Kind::Subcategory),
    ("brands", Kind::Brand),
    ("labels", Kind::Label),
    ("tags", Kind::Tag),
];
pub const PRODUCTS: &str = "products";
pub const OFFERS: &str = "offers";
pub const USERS: &str = "users";
/// Belta after its provider change keeps e-mail, password and GitHub id beside the user.
pub const USER_EMAILS: &str = "useremails";
pub const USER_PROVIDERS: &str = "userproviders";
pub const ACTIVE_CARTS: &str = "activecarts";
pub const DRAFT_CARTS: &str = "draftcarts";
pub const ORDERS: &str = "orders";

/// Collections Belta has that are not imported, and why.
pub const NOT_IMPORTED: [(&str, &str); 3] = [
    ("tokens", "refresh tokens: users log in once on the new API"),
    ("otps", "one-time codes expire within minutes"),
    (
        "metadatas",
        "upload bookkeeping; the images themselves stay where their URLs point",
    ),
];

/// A record that was skipped or changed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub collection: &'static str,
    /// The record's `_id`, or its line when it has none.
    pub record: String,
    pub reason: String,
}

/// Records per collection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub read: usize,
    pub mapped: usize,
    pub skipped: usize,
}

/// The items to write, collection by collection, and what the mapping found.
#[derive(Debug, Default)]
pub struct Plan {
    pub batches: Vec<(&'static str, Vec<Item>)>,
    pub tallies: BTreeMap<&'static str, Tally>,
    pub skipped: Vec<Note>,
    pub changed: Vec<Note>,
}

/// Money with two decimals: amounts with more are rounded half away from zero, and reported.
const MONEY_DECIMALS: u32 = 2;
/// A percent offer's fraction in basis points (Belta's 0.1 is 1,000).
const BASIS_POINT_DECIMALS: u32 = 4;
const MAX_MONEY_MINOR: i128 = 100_000_000_000_000;

struct Mapper<'a> {
    plan: Plan,
    /// Image URL rewrites from `--copy-images`.
    images: &'a HashMap<String, String>,
}

impl Mapper<'_> {
    fn skip(&mut self, collection: &'static str, record: String, reason: impl Into<String>) {
        self.plan.tallies.entry(collection).or_default().skipped += 1;
        self.plan.skipped.push(Note {
            collection,
            record,
            reason: reason.into(),
        });
    }

    fn change(&mut self, collection: &'static str, record: &Id, reason: impl Into<String>) {
        self.plan.changed.push(Note {
            collection,
            record: record.to_string(),
            reason: reason.into(),
        });
    }

    fn image(&self, url: String) -> String {
        self.images.get(&url).cloned().unwrap_or(url)
    }

    fn money(
        &mut self,
        collection: &'static str,
        id: &Id,
        field: &str,
        value: Decimal,
    ) -> Result<Money, String> {
        if value.is_negative() {
            return Err(format!("`{field}` is negative ({value})"));
        }
        let (minor, rounded) = value.in_steps(MONEY_DECIMALS);
        if minor > MAX_MONEY_MINOR {
            return Err(format!("`{field}` is out of range ({value})"));
        }
        let money = Money::from_minor(minor as i64);
        if rounded {
            self.change(
                collection,
                id,
                format!("`{field}` {value} rounded to {money}"),
            );
        }
        Ok(money)
    }

    /// Reads each document of `collection` with `map`; a document it refuses is skipped with the reason.
    fn each<T>(
        &mut self,
        dump: &Dump,
        collection: &'static str,
        mut map: impl FnMut(&mut Self, &Doc, Id) -> Result<T, String>,
    ) -> Vec<T> {
        let docs = dump.get(collection).map(Vec::as_slice).unwrap_or_default();
        self.plan.tallies.entry(collection).or_default().read += docs.len();
        let mut mapped = Vec::new();
        for (line, doc) in docs {
            // A refused record is named by its id when it has one, else by its line.
            let (record, result) = match doc {
                Err(reason) => (format!("line {line}"), Err(reason.clone())),
                Ok(doc) => match doc.id() {
                    Err(e) => (format!("line {line}"), Err(e.to_string())),
                    Ok(id) => (id.to_string(), map(self, doc, id)),
                },
            };
            match result {
                Ok(record) => mapped.push(record),
                Err(reason) => self.skip(collection, record, reason),
            }
        }
        self.plan.tallies.entry(collection).or_default().mapped += mapped.len();
        mapped
    }
}

fn field(error: FieldError) -> String {
    error.to_string()
}

/// When a record was made and last changed (Unix ms); a record from before Belta kept timestamps was
/// made when its id says.
fn times(doc: &Doc, id: &Id) -> Result<(i64, i64), String> {
    let created = doc
        .date("createdAt")
        .map_err(field)?
        .unwrap_or(i64::from(id.timestamp()) * 1000);
    let updated = doc.date("updatedAt").map_err(field)?.unwrap_or(created);
    Ok((created, updated))
}

fn count(value: Option<Decimal>, field_name: &str) -> Result<u64, String> {
    match value {
        None => Ok(0),
        Some(v) => v
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| format!("`{field_name}` is not a whole number ≥ 0 ({v})")),
    }
}

fn positive_u32(value: Decimal, field_name: &str) -> Result<u32, String> {
    value
        .as_integer()
        .and_then(|i| u32::try_from(i).ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("`{field_name}` is not a whole number ≥ 1 ({value})"))
}

/// Maps a whole dump. `images` rewrites image URLs (empty without `--copy-images`).
pub fn plan(dump: &Dump, images: &HashMap<String, String>) -> Plan {
    let mut m = Mapper {
        plan: Plan::default(),
        images,
    };

    // Catalogue entities, a subcategory's category checked against the categories.
    let mut entities: HashMap<Kind, BTreeMap<Id, Entity>> = HashMap::new();
    for (collection, kind) in ENTITIES {
        let parents: HashSet<Id> = kind
            .spec()
            .parent
            .and_then(|parent| entities.get(&parent))
            .map(|p| p.keys().copied().collect())
            .unwrap_or_default();
        let mapped = m.each(dump, collection, |m, doc, id| {
            let (created_at, updated_at) = times(doc, &id)?;
            let mut entity = Entity::new(kind, created_at);
            entity.id = id;
            entity.updated_at = updated_at;
            entity.name_ar = doc.required_text("nameAr").map_err(field)?;
            entity.name_en = doc.required_text("nameEn").map_err(field)?;
            entity.disabled = doc.flag("disabled").map_err(field)?;
            entity.employee_read_only = doc.flag("employeeReadOnly").map_err(field)?;
            match kind.spec().extra {
                Extra::Cover => {
                    entity.cover = Some(m.image(doc.required_text("cover").map_err(field)?))
                }
                Extra::Color => entity.color = Some(doc.required_text("color").map_err(field)?),
                Extra::None => {}
            }
            let category = match kind.spec().parent {
                Some(_) => doc.oid("category").map_err(field)?,
                None => None,
            };
            if let Some(category) = category {
                if parents.contains(&category) {
                    entity.category = Some(category);
                } else {
                    m.change(
                        collection,
                        &id,
                        format!("`category` {category} does not exist: left out"),
                    );
                }
            }
            Ok(entity)
        });
        entities.insert(kind, mapped.into_iter().map(|e| (e.id, e)).collect());
    }
    // A category counts its subcategories.
    let subcategory_parents: Vec<Id> = entities[&Kind::Subcategory]
        .values()
        .filter_map(|s| s.category)
        .collect();
    for category in subcategory_parents {
        if let Some(parent) = entities
            .get_mut(&Kind::Category)
            .and_then(|c| c.get_mut(&category))
        {
            parent.link_count += 1;
        }
    }

    // Products, each link checked against the entities.
    let mut products: BTreeMap<Id, Product> = m
        .each(dump, PRODUCTS, |m, doc, id| {
            let (created_at, updated_at) = times(doc, &id)?;
            let mut product = Product::new(created_at);
            product.id = id;
            product.updated_at = updated_at;
            product.name_ar = doc.required_text("nameAr").map_err(field)?;
            product.name_en = doc.required_text("nameEn").map_err(field)?;
            product.description_ar = doc
                .text("descriptionAr")
                .map_err(field)?
                .unwrap_or_default();
            product.description_en = doc
                .text("descriptionEn")
                .map_err(field)?
                .unwrap_or_default();
            product.cover_list = doc
                .texts("coverList")
                .map_err(field)?
                .into_iter()
                .map(|url| m.image(url))
                .collect();
            product.quantity = count(doc.number("quantity").map_err(field)?, "quantity")?;
            product.price = m.money(
                PRODUCTS,
                &id,
                "price",
                doc.required_number("price").map_err(field)?,
            )?;
            product.min_price = match doc.number("minPrice").map_err(field)? {
                Some(value) => m.money(PRODUCTS, &id, "minPrice", value)?,
                None => Money::ZERO,
            };
            product.disabled = doc.flag("disabled").map_err(field)?;
            product.employee_read_only = doc.flag("employeeReadOnly").map_err(field)?;
            let rating = doc.number("rating").map_err(field)?;
            product.counters = Counters {
                rating: rating.map_or(0.0, |r| r.to_string().parse().unwrap_or(0.0)),
                reviews: count(doc.number("reviews").map_err(field)?, "reviews")?,
                views_count: count(doc.number("viewsCount").map_err(field)?, "viewsCount")?,
                orders_count: count(doc.number("ordersCount").map_err(field)?, "ordersCount")?,
                purchase_count: count(
                    doc.number("purchaseCount").map_err(field)?,
                    "purchaseCount",
                )?,
                return_count: count(doc.number("returnCount").map_err(field)?, "returnCount")?,
            };
            let exists = |kind: Kind, id: &Id| entities[&kind].contains_key(id);
            for (name, kind) in [("brand", Kind::Brand), ("subcategory", Kind::Subcategory)] {
                let Some(parent) = doc.oid(name).map_err(field)? else {
                    continue;
                };
                if exists(kind, &parent) {
                    match kind {
                        Kind::Brand => product.brand = Some(parent),
                        _ => product.subcategory = Some(parent),
                    }
                } else {
                    m.change(
                        PRODUCTS,
                        &id,
                        format!("`{name}` {parent} does not exist: left out"),
                    );
                }
            }
            for (name, kind) in [("labels", Kind::Label), ("tags", Kind::Tag)] {
                let mut kept = Vec::new();
                for parent in doc.oids(name).map_err(field)? {
                    if !exists(kind, &parent) {
                        m.change(
                            PRODUCTS,
                            &id,
                            format!("`{name}` {parent} does not exist: left out"),
                        );
                    } else if !kept.contains(&parent) {
                        kept.push(parent);
                    }
                }
                match kind {
                    Kind::Label => product.labels = kept,
                    _ => product.tags = kept,
                }
            }
            Ok(product)
        })
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    for product in products.values() {
        for (kind, parent) in product.parents() {
            if let Some(entity) = entities.get_mut(&kind).and_then(|e| e.get_mut(&parent)) {
                entity.link_count += 1;
            }
        }
    }

    // Offers: one per product; a second offer on a product is skipped (the newer one wins).
    let offers = m.each(dump, OFFERS, |m, doc, id| {
        let (created_at, updated_at) = times(doc, &id)?;
        // Older Belta kept a list `products`; one product per offer since.
        let product = match doc.oid("product").map_err(field)? {
            Some(product) => product,
            None => match doc.oids("products").map_err(field)?.as_slice() {
                [product] => *product,
                _ => return Err("`product` is missing".into()),
            },
        };
        if !products.contains_key(&product) {
            return Err(format!("its product {product} does not exist"));
        }
        let mut offer = Offer::new(product, created_at);
        offer.id = id;
        offer.updated_at = updated_at;
        offer.name_ar = doc
            .text("nameAr")
            .map_err(field)?
            .filter(|s| !s.trim().is_empty());
        offer.name_en = doc
            .text("nameEn")
            .map_err(field)?
            .filter(|s| !s.trim().is_empty());
        let value = doc.required_number("value").map_err(field)?;
        (offer.offer_type, offer.amount) = match doc.text("type").map_err(field)?.as_deref() {
            Some("percent") => {
                let (basis_points, rounded) = value.in_steps(BASIS_POINT_DECIMALS);
                if !(100..=9_500).contains(&basis_points) {
                    return Err(format!("a percent `value` is 0.01 to 0.95, not {value}"));
                }
                if rounded {
                    m.change(
                        OFFERS,
                        &id,
                        format!(
                            "`value` {value} rounded to {}",
                            basis_points as f64 / 10_000.0
                        ),
                    );
                }
                (OfferType::Percent, basis_points as i64)
            }
            Some("fixed") => {
                let amount = m.money(OFFERS, &id, "value", value)?;
                if amount.minor() < 100 {
                    return Err(format!("a fixed `value` is at least 1, not {value}"));
                }
                (OfferType::Fixed, amount.minor())
            }
            other => return Err(format!("`type` is not percent or fixed ({other:?})")),
        };
        offer.offer_quantity = positive_u32(
            doc.required_number("offerQuantity").map_err(field)?,
            "offerQuantity",
        )?;
        offer.max_per_client = positive_u32(
            doc.required_number("maxPerClient").map_err(field)?,
            "maxPerClient",
        )?;
        offer.quantity_purchased = u32::try_from(count(
            doc.number("quantityPurchased").map_err(field)?,
            "quantityPurchased",
        )?)
        .map_err(|_| "`quantityPurchased` is out of range".to_owned())?;
        offer.disabled = doc.flag("disabled").map_err(field)?;
        offer.employee_read_only = doc.flag("employeeReadOnly").map_err(field)?;
        Ok(offer)
    });
    let mut by_product: BTreeMap<Id, Offer> = BTreeMap::new();
    for offer in offers {
        let earlier = by_product.remove(&offer.product);
        let (kept, dropped) = match earlier {
            Some(earlier) if earlier.created_at > offer.created_at => (earlier, Some(offer)),
            Some(earlier) => (offer, Some(earlier)),
            None => (offer, None),
        };
        if let Some(dropped) = dropped {
            let tally = m.plan.tallies.entry(OFFERS).or_default();
            tally.mapped -= 1;
            m.skip(
                OFFERS,
                dropped.id.to_string(),
                format!("product {} has a newer offer {}", kept.product, kept.id),
            );
        }
        by_product.insert(kept.product, kept);
    }
    for offer in by_product.values() {
        if let Some(product) = products.get_mut(&offer.product) {
            product.offer = Some(offer.id);
        }
    }

    // Users: e-mail and password on the user (Belta before its provider change) or beside it.
    let mut emails: HashMap<Id, (Option<String>, Option<String>)> = HashMap::new();
    for (_, doc) in dump.get(USER_EMAILS).into_iter().flatten() {
        let Ok(doc) = doc else { continue };
        if let Ok(user) = doc.required_oid("user") {
            emails.insert(
                user,
                (
                    doc.text("email").ok().flatten(),
                    doc.text("password").ok().flatten(),
                ),
            );
        }
    }
    let mut github: HashMap<Id, String> = HashMap::new();
    for (_, doc) in dump.get(USER_PROVIDERS).into_iter().flatten() {
        let Ok(doc) = doc else { continue };
        if let (Ok(user), Ok(Some(subject))) = (doc.required_oid("user"), doc.text("providerId")) {
            github.insert(user, subject);
        }
    }
    for collection in [USER_EMAILS, USER_PROVIDERS] {
        let read = dump.get(collection).map_or(0, Vec::len);
        if read > 0 {
            let tally = m.plan.tallies.entry(collection).or_default();
            tally.read += read;
            tally.mapped += read;
        }
    }
    let users = m.each(dump, USERS, |m, doc, id| {
        let (created_at, updated_at) = times(doc, &id)?;
        let (side_email, side_password) = emails.remove(&id).unwrap_or_default();
        let email = doc.text("email").map_err(field)?.or(side_email);
        let password_hash = doc.text("password").map_err(field)?.or(side_password);
        let github_id = match doc.text("provider").map_err(field)?.as_deref() {
            Some("github") => Some(
                doc.text("providerId")
                    .map_err(field)?
                    .or_else(|| github.remove(&id))
                    .ok_or("a GitHub account without `providerId`")?,
            ),
            None | Some("email") => None,
            Some(other) => return Err(format!("`provider` {other} is not email or github")),
        };
        let email = match email {
            Some(raw) => {
                Some(Email::parse(&raw).map_err(|_| format!("`email` {raw:?} is not an address"))?)
            }
            None if github_id.is_some() => None,
            None => return Err("`email` is missing".into()),
        };
        if github_id.is_none()
            && password_hash
                .as_deref()
                .is_none_or(|h| !identity::password::is_legacy_hash(h))
        {
            return Err("`password` is not a bcrypt hash".into());
        }
        let role = match doc.text("role").map_err(field)?.as_deref() {
            Some("client") => Role::Client,
            Some("employee") => Role::Employee,
            Some("admin") => Role::Admin,
            // Belta's first user model called employees sellers.
            Some("seller") => {
                m.change(USERS, &id, "role `seller` became `employee`");
                Role::Employee
            }
            other => {
                return Err(format!(
                    "`role` is not client, employee or admin ({other:?})"
                ));
            }
        };
        Ok(ImportedUser {
            id,
            email,
            full_name: doc.required_text("fullName").map_err(field)?,
            role,
            confirmed: doc.flag("confirmed").map_err(field)?,
            created_at,
            updated_at,
            password_hash: password_hash.filter(|_| github_id.is_none()),
            github_id,
        })
    });
    // One account per address: ours are case-insensitive, Belta's were not. The confirmed one stays,
    // then the one used last.
    let mut by_email: HashMap<String, ImportedUser> = HashMap::new();
    let mut imported_users = Vec::new();
    for user in users {
        let Some(email) = user.email.as_ref().map(|e| e.as_str().to_owned()) else {
            imported_users.push(user);
            continue;
        };
        let (kept, dropped) = match by_email.remove(&email) {
            None => (user, None),
            Some(other)
                if (other.confirmed, other.updated_at) >= (user.confirmed, user.updated_at) =>
            {
                (other, Some(user))
            }
            Some(other) => (user, Some(other)),
        };
        if let Some(dropped) = dropped {
            m.plan.tallies.entry(USERS).or_default().mapped -= 1;
            m.skip(
                USERS,
                dropped.id.to_string(),
                format!("its e-mail differs only in case from {}'s, which is kept; its orders stay, shown as a deleted user", kept.id),
            );
        }
        by_email.insert(email, kept);
    }
    imported_users.extend(by_email.into_values());
    imported_users.sort_by_key(|u| u.id);
    let user_ids: HashSet<Id> = imported_users.iter().map(|u| u.id).collect();

    // Carts: lines whose product is gone are left out; one line per product.
    let active = m.each(dump, ACTIVE_CARTS, |m, doc, id| {
        cart(
            m,
            ACTIVE_CARTS,
            doc,
            id,
            &user_ids,
            &products,
            |m, line, product, quantity| {
                let price = m.money(
                    ACTIVE_CARTS,
                    &id,
                    "itemPrice",
                    line.required_number("itemPrice").map_err(field)?,
                )?;
                Ok(CartLine {
                    line_id: line_id(line, &id)?,
                    product_id: product,
                    quantity,
                    added_price: price,
                })
            },
        )
    });
    let drafts = m.each(dump, DRAFT_CARTS, |m, doc, id| {
        cart(
            m,
            DRAFT_CARTS,
            doc,
            id,
            &user_ids,
            &products,
            |_, line, product, quantity| {
                let reason = match line.text("reason").map_err(field)?.as_deref() {
                    Some("price_change") => Some(DraftReason::PriceChange),
                    Some("out_of_stock") => Some(DraftReason::OutOfStock),
                    _ => None,
                };
                Ok(DraftLine {
                    line_id: line_id(line, &id)?,
                    product_id: product,
                    quantity,
                    reason,
                })
            },
        )
    });

    // Orders are history: they stay whatever became of their products and owners.
    let orders = m.each(dump, ORDERS, |m, doc, id| {
        let (created_at, updated_at) = times(doc, &id)?;
        let user_id = doc.required_oid("user").map_err(field)?;
        if !user_ids.contains(&user_id) {
            m.change(
                ORDERS,
                &id,
                format!("its owner {user_id} was not imported: staff see a deleted user"),
            );
        }
        let mut lines = Vec::new();
        for line in doc.docs("products").map_err(field)? {
            lines.push(OrderLine {
                product_id: line.required_oid("productId").map_err(field)?,
                offer_id: None,
                name_ar: line.required_text("nameAr").map_err(field)?,
                name_en: line.required_text("nameEn").map_err(field)?,
                cover: line.text("cover").map_err(field)?.map(|url| m.image(url)),
                item_price: m.money(
                    ORDERS,
                    &id,
                    "itemPrice",
                    line.required_number("itemPrice").map_err(field)?,
                )?,
                quantity: positive_u32(
                    line.required_number("quantity").map_err(field)?,
                    "quantity",
                )?,
            });
        }
        let final_price = match doc.number("finalPrice").map_err(field)? {
            Some(value) => m.money(ORDERS, &id, "finalPrice", value)?,
            None => orders::model::total(&lines),
        };
        let status = match doc.text("status").map_err(field)?.as_deref() {
            None | Some("confirmed") => OrderStatus::Confirmed,
            Some("delivered") => OrderStatus::Delivered,
            Some("cancelled") => OrderStatus::Cancelled,
            Some(other) => {
                return Err(format!(
                    "`status` {other} is not confirmed, delivered or cancelled"
                ));
            }
        };
        Ok(Order {
            id,
            user_id,
            lines,
            final_price,
            status,
            checkout_session: doc.text("sessionId").map_err(field)?.unwrap_or_default(),
            payment_intent: None,
            rev: 1,
            created_at,
            updated_at,
        })
    });

    let mut batches: Vec<(&'static str, Vec<Item>)> = Vec::new();
    for (collection, kind) in ENTITIES {
        batches.push((collection, entities[&kind].values().map(to_item).collect()));
    }
    batches.push((PRODUCTS, products.values().map(to_item).collect()));
    batches.push((OFFERS, by_product.values().map(to_item).collect()));
    let mut user_items = Vec::new();
    for user in imported_users {
        let id = user.id;
        match UserStore::imported_items(user) {
            Ok(items) => user_items.extend(items),
            Err(e) => m.skip(USERS, id.to_string(), format!("{e:#}")),
        }
    }
    batches.push((USERS, user_items));
    batches.push((
        ACTIVE_CARTS,
        active.iter().map(imported::active_cart).collect(),
    ));
    batches.push((
        DRAFT_CARTS,
        drafts.iter().map(imported::draft_cart).collect(),
    ));
    batches.push((ORDERS, orders.iter().map(imported::order).collect()));
    m.plan.batches = batches;
    m.plan
}

/// A cart of either kind; `line` maps one line whose product exists.
fn cart<L>(
    m: &mut Mapper,
    collection: &'static str,
    doc: &Doc,
    id: Id,
    users: &HashSet<Id>,
    products: &BTreeMap<Id, Product>,
    mut line: impl FnMut(&mut Mapper, &Doc, Id, u32) -> Result<L, String>,
) -> Result<Cart<L>, String>
where
    L: CartLineOf,
{
    let (created_at, updated_at) = times(doc, &id)?;
    let user_id = doc.required_oid("user").map_err(field)?;
    if !users.contains(&user_id) {
        return Err(format!("its owner {user_id} was not imported"));
    }
    let mut lines: Vec<L> = Vec::new();
    for entry in doc.docs("products").map_err(field)? {
        let product = entry.required_oid("productId").map_err(field)?;
        let quantity = positive_u32(
            entry.required_number("quantity").map_err(field)?,
            "quantity",
        )?;
        if !products.contains_key(&product) {
            m.change(
                collection,
                &id,
                format!("a line of product {product}, which does not exist, left out"),
            );
        } else if let Some(existing) = lines.iter_mut().find(|l| l.product() == product) {
            m.change(
                collection,
                &id,
                format!("two lines of product {product} merged"),
            );
            existing.add(quantity);
        } else {
            lines.push(line(m, &entry, product, quantity)?);
        }
    }
    Ok(Cart {
        id,
        user_id,
        lines,
        rev: 1,
        created_at,
        updated_at,
    })
}

/// What [`cart`] needs of a line of either kind.
trait CartLineOf {
    fn product(&self) -> Id;
    fn add(&mut self, quantity: u32);
}

impl CartLineOf for CartLine {
    fn product(&self) -> Id {
        self.product_id
    }
    fn add(&mut self, quantity: u32) {
        self.quantity = self.quantity.saturating_add(quantity);
    }
}

impl CartLineOf for DraftLine {
    fn product(&self) -> Id {
        self.product_id
    }
    fn add(&mut self, quantity: u32) {
        self.quantity = self.quantity.saturating_add(quantity);
    }
}

/// A line's own `_id` (Mongoose gives every array entry one).
fn line_id(line: &Doc, cart: &Id) -> Result<Id, String> {
    line.id().map_err(|e| format!("a line of cart {cart}: {e}"))
}
