//! [`Catalog`]: the whole catalogue in memory, indexed for the list and read endpoints.
//!
//! Built once per catalogue version (ARCHITECTURE.md §6): records sorted newest first, lookups by id,
//! each parent's children, and every searchable text already normalized, so a request only filters,
//! sorts and pages.

use std::{cmp::Reverse, collections::HashMap};

use super::{
    kind::Kind,
    model::{Entity, Offer, Product},
    pricing::final_price,
    search::normalize,
};
use shared::{Id, Money};

/// An entity and its normalized names.
#[derive(Debug)]
pub struct EntityEntry {
    pub entity: Entity,
    /// `nameAr` and `nameEn`, normalized, one per line.
    pub search: String,
}

/// A product and what its filters and search need.
#[derive(Debug)]
pub struct ProductEntry {
    pub product: Product,
    /// The category reached through its subcategory.
    pub category: Option<Id>,
    /// Its names and its brand's, subcategory's and tags' names, normalized, one per line.
    pub search: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    entities: HashMap<Id, EntityEntry>,
    /// Each kind's ids, newest first.
    listing: HashMap<Kind, Vec<Id>>,
    /// Newest first.
    products: Vec<ProductEntry>,
    product_index: HashMap<Id, usize>,
    /// Newest first.
    offers: Vec<Offer>,
    offer_index: HashMap<Id, usize>,
    /// A parent's children, newest first: products of a brand, subcategory, label or tag, and
    /// subcategories of a category.
    children: HashMap<Id, Vec<Id>>,
    /// When an offer starts or ends (Unix seconds, ascending): the only times a final price changes
    /// without a write.
    price_changes: Vec<i64>,
}

fn names(ar: &str, en: &str) -> String {
    format!("{}\n{}", normalize(ar), normalize(en))
}

impl Catalog {
    pub fn build(
        mut entities: Vec<Entity>,
        mut products: Vec<Product>,
        mut offers: Vec<Offer>,
    ) -> Catalog {
        entities.sort_by_key(|e| Reverse((e.created_at, e.id)));
        products.sort_by_key(|p| Reverse((p.created_at, p.id)));
        offers.sort_by_key(|o| Reverse((o.created_at, o.id)));

        let mut catalog = Catalog::default();
        for entity in entities {
            catalog
                .listing
                .entry(entity.kind)
                .or_default()
                .push(entity.id);
            if let Some(category) = entity.category {
                catalog
                    .children
                    .entry(category)
                    .or_default()
                    .push(entity.id);
            }
            let search = names(&entity.name_ar, &entity.name_en);
            catalog
                .entities
                .insert(entity.id, EntityEntry { entity, search });
        }
        for product in products {
            let mut search = names(&product.name_ar, &product.name_en);
            let related = [product.brand, product.subcategory]
                .into_iter()
                .flatten()
                .chain(product.tags.iter().copied());
            for id in related {
                if let Some(entry) = catalog.entities.get(&id) {
                    search.push('\n');
                    search.push_str(&entry.search);
                }
            }
            for (_, parent) in product.parents() {
                catalog.children.entry(parent).or_default().push(product.id);
            }
            let category = product
                .subcategory
                .and_then(|s| catalog.entities.get(&s))
                .and_then(|s| s.entity.category);
            catalog
                .product_index
                .insert(product.id, catalog.products.len());
            catalog.products.push(ProductEntry {
                product,
                category,
                search,
            });
        }
        for offer in offers {
            catalog.offer_index.insert(offer.id, catalog.offers.len());
            catalog.price_changes.extend(offer.starts_at);
            catalog.price_changes.extend(offer.ends_at);
            catalog.offers.push(offer);
        }
        catalog.price_changes.sort_unstable();
        catalog
    }

    /// How many offer starts and ends have passed at `now` (Unix seconds). With the catalogue version
    /// it fixes every final price: it is part of a public response's `ETag`.
    pub fn price_epoch(&self, now_secs: i64) -> usize {
        self.price_changes.partition_point(|at| *at <= now_secs)
    }

    /// An entity of `kind` (an id of another kind is not found).
    pub fn entity(&self, kind: Kind, id: &Id) -> Option<&Entity> {
        self.entities
            .get(id)
            .map(|e| &e.entity)
            .filter(|e| e.kind == kind)
    }

    /// Every entity of `kind`, newest first.
    pub fn entities(&self, kind: Kind) -> impl Iterator<Item = &EntityEntry> {
        self.listing
            .get(&kind)
            .into_iter()
            .flatten()
            .filter_map(|id| self.entities.get(id))
    }

    pub fn product(&self, id: &Id) -> Option<&Product> {
        self.product_entry(id).map(|e| &e.product)
    }

    pub fn product_entry(&self, id: &Id) -> Option<&ProductEntry> {
        self.product_index.get(id).map(|&i| &self.products[i])
    }

    /// Every product, newest first.
    pub fn products(&self) -> &[ProductEntry] {
        &self.products
    }

    pub fn offer(&self, id: &Id) -> Option<&Offer> {
        self.offer_index.get(id).map(|&i| &self.offers[i])
    }

    /// Every offer, newest first.
    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }

    /// The ids of a parent's children, newest first.
    pub fn children(&self, parent: &Id) -> &[Id] {
        self.children.get(parent).map_or(&[], Vec::as_slice)
    }

    /// What the product costs at `now` (unix seconds): its offer applied while the offer is live.
    pub fn final_price(&self, product: &Product, now: i64) -> Money {
        let terms = product
            .offer
            .and_then(|id| self.offer(&id))
            .map(Offer::terms);
        final_price(product.price, product.min_price, terms.as_ref(), now)
    }

    /// The product's offer while it discounts.
    pub fn live_offer(&self, product: &Product, now: i64) -> Option<&Offer> {
        product
            .offer
            .and_then(|id| self.offer(&id))
            .filter(|o| o.terms().is_live(now))
    }

    /// How many records the catalogue holds.
    pub fn len(&self) -> usize {
        self.entities.len() + self.products.len() + self.offers.len()
    }

    /// Whether the catalogue holds no record at all.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty() && self.products.is_empty() && self.offers.is_empty()
    }

    /// The memory the snapshot holds, counted by capacity: its records, their strings and vectors, and
    /// its maps (each slot plus a control byte). What the benchmark reports.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let text = |s: &String| s.capacity();
        let texts = |v: &Vec<String>| {
            v.capacity() * size_of::<String>() + v.iter().map(text).sum::<usize>()
        };
        let ids = |v: &Vec<Id>| v.capacity() * size_of::<Id>();
        let map = |slots: usize, slot: usize| slots * (slot + 1);
        let entities: usize = self
            .entities
            .values()
            .map(|entry| {
                let e = &entry.entity;
                text(&entry.search)
                    + text(&e.name_ar)
                    + text(&e.name_en)
                    + e.cover.as_ref().map_or(0, text)
                    + e.color.as_ref().map_or(0, text)
            })
            .sum();
        let products: usize = self
            .products
            .iter()
            .map(|e| {
                let p = &e.product;
                text(&e.search)
                    + [&p.name_ar, &p.name_en, &p.description_ar, &p.description_en]
                        .into_iter()
                        .map(text)
                        .sum::<usize>()
                    + texts(&p.cover_list)
                    + ids(&p.labels)
                    + ids(&p.tags)
            })
            .sum();
        let offers: usize = self
            .offers
            .iter()
            .map(|o| o.name_ar.as_ref().map_or(0, text) + o.name_en.as_ref().map_or(0, text))
            .sum();
        let children: usize = self.children.values().map(ids).sum();
        entities
            + map(self.entities.capacity(), size_of::<(Id, EntityEntry)>())
            + self.listing.values().map(ids).sum::<usize>()
            + products
            + self.products.capacity() * size_of::<ProductEntry>()
            + map(self.product_index.capacity(), size_of::<(Id, usize)>())
            + offers
            + self.offers.capacity() * size_of::<Offer>()
            + map(self.offer_index.capacity(), size_of::<(Id, usize)>())
            + children
            + map(self.children.capacity(), size_of::<(Id, Vec<Id>)>())
    }
}
