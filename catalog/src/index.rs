//! [`Catalog`]: the whole catalogue in memory, indexed for the list and read endpoints.
//!
//! Built once from every record (ARCHITECTURE.md §6), then kept current by [`Catalog::apply`], which
//! takes only the records that changed (the change log, [`crate::store`]) and costs what they touch,
//! not what the catalogue holds. It keeps: records ordered newest first, lookups by id, each parent's
//! children, and every searchable text already normalized, so a request only filters, sorts and pages.
//! Ordered sets (not sorted vectors) hold the orders, so that one record moves in O(log n).

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, HashMap},
};

use super::{
    kind::Kind,
    model::{Entity, Offer, Product},
    pricing::final_price,
    search::normalize,
};
use shared::{Id, Money};

/// Where a record sorts: newest first (creation time, then id).
type Newest = Reverse<(i64, Id)>;

fn newest(created_at: i64, id: Id) -> Newest {
    Reverse((created_at, id))
}

/// An entity and its normalized names.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityEntry {
    pub entity: Entity,
    /// `nameAr` and `nameEn`, normalized, one per line.
    pub search: String,
}

/// A product and what its filters and search need.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductEntry {
    pub product: Product,
    /// The category reached through its subcategory.
    pub category: Option<Id>,
    /// Its names and its brand's, subcategory's and tags' names, normalized, one per line.
    pub search: String,
}

/// One changed record as it is now, or its id when it is gone: what [`Catalog::apply`] takes.
#[derive(Clone, Debug)]
pub enum Changed {
    Entity(Id, Option<Entity>),
    Product(Id, Option<Product>),
    Offer(Id, Option<Offer>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    entities: HashMap<Id, EntityEntry>,
    /// Each kind's entities, newest first.
    listing: HashMap<Kind, BTreeSet<Newest>>,
    /// Newest first.
    products: BTreeMap<Newest, ProductEntry>,
    product_keys: HashMap<Id, Newest>,
    /// Newest first.
    offers: BTreeMap<Newest, Offer>,
    offer_keys: HashMap<Id, Newest>,
    /// A parent's children, newest first: products of a brand, subcategory, label or tag, and
    /// subcategories of a category. Kept for a parent that is gone too, as its children still name it.
    children: HashMap<Id, BTreeSet<Newest>>,
    /// When an offer starts or ends (Unix seconds, ascending): the only times a final price changes
    /// without a write.
    price_changes: Vec<i64>,
}

/// Takes `key` out of the set at `at`, and the set out of `sets` once empty (as a build leaves none).
fn remove_from<K: std::hash::Hash + Eq>(
    sets: &mut HashMap<K, BTreeSet<Newest>>,
    at: &K,
    key: &Newest,
) {
    if let Some(set) = sets.get_mut(at) {
        set.remove(key);
        if set.is_empty() {
            sets.remove(at);
        }
    }
}

fn names(ar: &str, en: &str) -> String {
    format!("{}\n{}", normalize(ar), normalize(en))
}

/// No children, for a parent without any.
static NONE: BTreeSet<Newest> = BTreeSet::new();

impl Catalog {
    pub fn build(entities: Vec<Entity>, products: Vec<Product>, offers: Vec<Offer>) -> Catalog {
        let mut catalog = Catalog::default();
        // Entities first: a product's search text and category come from them.
        for entity in entities {
            catalog.insert_entity(entity);
        }
        for product in products {
            catalog.insert_product(product);
        }
        for offer in offers {
            catalog.price_changes.extend(offer.starts_at);
            catalog.price_changes.extend(offer.ends_at);
            catalog.insert_offer(offer);
        }
        catalog.price_changes.sort_unstable();
        catalog
    }

    /// Brings the catalogue up to date with `changes` (each record as it is now, or gone): the same
    /// catalogue as [`Catalog::build`] of every record now, at a cost of what the changes touch.
    pub fn apply(&mut self, changes: Vec<Changed>) {
        let mut entities = Vec::new();
        let mut products = Vec::new();
        let mut offers = Vec::new();
        for change in changes {
            match change {
                Changed::Entity(id, now) => entities.push((id, now)),
                Changed::Product(id, now) => products.push((id, now)),
                Changed::Offer(id, now) => offers.push((id, now)),
            }
        }
        for (id, now) in entities {
            self.remove_entity(&id);
            if let Some(entity) = now {
                self.insert_entity(entity);
            }
            // Its products' search text and category name it: read them again.
            let linked: Vec<Id> = self.children(&id).collect();
            for child in linked {
                if let Some(key) = self.product_keys.get(&child).copied() {
                    let entry = self.products.remove(&key).expect("keys and products agree");
                    self.products.insert(key, self.entry(entry.product));
                }
            }
        }
        for (id, now) in products {
            self.remove_product(&id);
            if let Some(product) = now {
                self.insert_product(product);
            }
        }
        for (id, now) in offers {
            if let Some(key) = self.offer_keys.remove(&id) {
                let old = self.offers.remove(&key).expect("keys and offers agree");
                for at in old.starts_at.into_iter().chain(old.ends_at) {
                    if let Ok(i) = self.price_changes.binary_search(&at) {
                        self.price_changes.remove(i);
                    }
                }
            }
            if let Some(offer) = now {
                for at in offer.starts_at.into_iter().chain(offer.ends_at) {
                    let i = self.price_changes.partition_point(|t| *t <= at);
                    self.price_changes.insert(i, at);
                }
                self.insert_offer(offer);
            }
        }
    }

    fn insert_entity(&mut self, entity: Entity) {
        let key = newest(entity.created_at, entity.id);
        self.listing.entry(entity.kind).or_default().insert(key);
        if let Some(category) = entity.category {
            self.children.entry(category).or_default().insert(key);
        }
        let search = names(&entity.name_ar, &entity.name_en);
        self.entities
            .insert(entity.id, EntityEntry { entity, search });
    }

    fn remove_entity(&mut self, id: &Id) {
        let Some(EntityEntry { entity, .. }) = self.entities.remove(id) else {
            return;
        };
        let key = newest(entity.created_at, entity.id);
        remove_from(&mut self.listing, &entity.kind, &key);
        if let Some(category) = entity.category {
            remove_from(&mut self.children, &category, &key);
        }
    }

    /// A product with its search text and category, from the entities as they are now.
    fn entry(&self, product: Product) -> ProductEntry {
        let mut search = names(&product.name_ar, &product.name_en);
        let related = [product.brand, product.subcategory]
            .into_iter()
            .flatten()
            .chain(product.tags.iter().copied());
        for id in related {
            if let Some(entry) = self.entities.get(&id) {
                search.push('\n');
                search.push_str(&entry.search);
            }
        }
        let category = product
            .subcategory
            .and_then(|s| self.entities.get(&s))
            .and_then(|s| s.entity.category);
        ProductEntry {
            product,
            category,
            search,
        }
    }

    fn insert_product(&mut self, product: Product) {
        let key = newest(product.created_at, product.id);
        for (_, parent) in product.parents() {
            self.children.entry(parent).or_default().insert(key);
        }
        self.product_keys.insert(product.id, key);
        let entry = self.entry(product);
        self.products.insert(key, entry);
    }

    fn remove_product(&mut self, id: &Id) {
        let Some(key) = self.product_keys.remove(id) else {
            return;
        };
        let entry = self.products.remove(&key).expect("keys and products agree");
        for (_, parent) in entry.product.parents() {
            remove_from(&mut self.children, &parent, &key);
        }
    }

    fn insert_offer(&mut self, offer: Offer) {
        let key = newest(offer.created_at, offer.id);
        self.offer_keys.insert(offer.id, key);
        self.offers.insert(key, offer);
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
            .filter_map(|Reverse((_, id))| self.entities.get(id))
    }

    pub fn product(&self, id: &Id) -> Option<&Product> {
        self.product_entry(id).map(|e| &e.product)
    }

    pub fn product_entry(&self, id: &Id) -> Option<&ProductEntry> {
        self.products.get(self.product_keys.get(id)?)
    }

    /// Every product, newest first.
    pub fn products(&self) -> impl ExactSizeIterator<Item = &ProductEntry> + DoubleEndedIterator {
        self.products.values()
    }

    pub fn offer(&self, id: &Id) -> Option<&Offer> {
        self.offers.get(self.offer_keys.get(id)?)
    }

    /// Every offer, newest first.
    pub fn offers(&self) -> impl ExactSizeIterator<Item = &Offer> + DoubleEndedIterator {
        self.offers.values()
    }

    /// The ids of a parent's children, newest first.
    pub fn children<'c>(
        &'c self,
        parent: &Id,
    ) -> impl ExactSizeIterator<Item = Id> + Clone + use<'c> {
        self.children
            .get(parent)
            .unwrap_or(&NONE)
            .iter()
            .map(|Reverse((_, id))| *id)
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

    /// Every record: entities, products and offers, newest first (what the snapshot object holds).
    pub fn records(&self) -> (Vec<&Entity>, Vec<&Product>, Vec<&Offer>) {
        let mut entities: Vec<&Entity> = self.entities.values().map(|e| &e.entity).collect();
        entities.sort_by_key(|e| newest(e.created_at, e.id));
        let products = self.products.values().map(|e| &e.product).collect();
        (entities, products, self.offers.values().collect())
    }

    /// How many records the catalogue holds.
    pub fn len(&self) -> usize {
        self.entities.len() + self.products.len() + self.offers.len()
    }

    /// Whether the catalogue holds no record at all.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty() && self.products.is_empty() && self.offers.is_empty()
    }

    /// The memory the snapshot holds, counted by capacity: its records, their strings and vectors, its
    /// maps (each slot plus a control byte) and its ordered sets (each entry, plus about a third for
    /// B-tree nodes that are not full). What the benchmark reports.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let text = |s: &String| s.capacity();
        let texts = |v: &Vec<String>| {
            v.capacity() * size_of::<String>() + v.iter().map(text).sum::<usize>()
        };
        let ids = |v: &Vec<Id>| v.capacity() * size_of::<Id>();
        let map = |slots: usize, slot: usize| slots * (slot + 1);
        let tree = |entries: usize, entry: usize| entries * entry * 4 / 3;
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
            .values()
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
            .values()
            .map(|o| o.name_ar.as_ref().map_or(0, text) + o.name_en.as_ref().map_or(0, text))
            .sum();
        let children: usize = self
            .children
            .values()
            .map(|set| tree(set.len(), size_of::<Newest>()))
            .sum();
        let listing: usize = self
            .listing
            .values()
            .map(|set| tree(set.len(), size_of::<Newest>()))
            .sum();
        entities
            + map(self.entities.capacity(), size_of::<(Id, EntityEntry)>())
            + listing
            + products
            + tree(self.products.len(), size_of::<(Newest, ProductEntry)>())
            + map(self.product_keys.capacity(), size_of::<(Id, Newest)>())
            + offers
            + tree(self.offers.len(), size_of::<(Newest, Offer)>())
            + map(self.offer_keys.capacity(), size_of::<(Id, Newest)>())
            + children
            + map(
                self.children.capacity(),
                size_of::<(Id, BTreeSet<Newest>)>(),
            )
    }
}

impl crate::snapshot::Incremental for Catalog {
    type Changes = Vec<Changed>;

    fn apply(&mut self, changes: Vec<Changed>) {
        Catalog::apply(self, changes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so a failure replays.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, below: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % below as u64) as usize
        }

        fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
            (!from.is_empty()).then(|| from[self.roll(from.len())])
        }
    }

    /// Every record of a shop, as the table would hold it.
    #[derive(Default)]
    struct Shop {
        entities: HashMap<Id, Entity>,
        products: HashMap<Id, Product>,
        offers: HashMap<Id, Offer>,
        clock: i64,
    }

    impl Shop {
        fn build(&self) -> Catalog {
            Catalog::build(
                self.entities.values().cloned().collect(),
                self.products.values().cloned().collect(),
                self.offers.values().cloned().collect(),
            )
        }

        fn ids(&self, kind: Kind) -> Vec<Id> {
            let mut ids: Vec<Id> = self
                .entities
                .values()
                .filter(|e| e.kind == kind)
                .map(|e| e.id)
                .collect();
            ids.sort();
            ids
        }

        fn sorted<T>(map: &HashMap<Id, T>) -> Vec<Id> {
            let mut ids: Vec<Id> = map.keys().copied().collect();
            ids.sort();
            ids
        }

        /// One random write, as the API could make it; returns what it changed.
        fn write(&mut self, dice: &mut Dice) -> Changed {
            self.clock += 1 + dice.roll(3) as i64;
            let words = ["قهوة", "Tea", "Ḿilk", "شاي أخضر", "Sugar", "كاكاو"];
            match dice.roll(9) {
                0 | 1 => {
                    let kind = Kind::ALL[dice.roll(Kind::ALL.len())];
                    let mut entity = match dice.pick(&self.ids(kind)) {
                        Some(id) if dice.roll(3) > 0 => self.entities[&id].clone(),
                        _ => Entity::new(kind, self.clock / 3),
                    };
                    entity.name_ar = words[dice.roll(words.len())].into();
                    entity.name_en = words[dice.roll(words.len())].into();
                    if kind == Kind::Subcategory {
                        entity.category = dice.pick(&self.ids(Kind::Category));
                    }
                    self.entities.insert(entity.id, entity.clone());
                    Changed::Entity(entity.id, Some(entity))
                }
                2 => match dice.pick(&Self::sorted(&self.entities)) {
                    Some(id) => {
                        self.entities.remove(&id);
                        Changed::Entity(id, None)
                    }
                    None => self.write(dice),
                },
                3..=5 => {
                    let mut product = match dice.pick(&Self::sorted(&self.products)) {
                        Some(id) if dice.roll(2) > 0 => self.products[&id].clone(),
                        // Creation times repeat, so ties are broken by id.
                        _ => Product::new(self.clock / 3),
                    };
                    product.name_en = words[dice.roll(words.len())].into();
                    product.brand = dice.pick(&self.ids(Kind::Brand));
                    product.subcategory = dice.pick(&self.ids(Kind::Subcategory));
                    product.tags = dice.pick(&self.ids(Kind::Tag)).into_iter().collect();
                    product.labels = dice.pick(&self.ids(Kind::Label)).into_iter().collect();
                    product.offer = dice.pick(&Self::sorted(&self.offers));
                    self.products.insert(product.id, product.clone());
                    Changed::Product(product.id, Some(product))
                }
                6 => match dice.pick(&Self::sorted(&self.products)) {
                    Some(id) => {
                        self.products.remove(&id);
                        Changed::Product(id, None)
                    }
                    None => self.write(dice),
                },
                7 => {
                    let mut offer = match dice.pick(&Self::sorted(&self.offers)) {
                        Some(id) if dice.roll(2) > 0 => self.offers[&id].clone(),
                        _ => Offer::new(Id::new(), self.clock),
                    };
                    let at = self.clock;
                    offer.starts_at = (dice.roll(2) > 0).then_some(at);
                    offer.ends_at = (dice.roll(2) > 0).then_some(at + dice.roll(5) as i64);
                    self.offers.insert(offer.id, offer.clone());
                    Changed::Offer(offer.id, Some(offer))
                }
                _ => match dice.pick(&Self::sorted(&self.offers)) {
                    Some(id) => {
                        self.offers.remove(&id);
                        Changed::Offer(id, None)
                    }
                    None => self.write(dice),
                },
            }
        }
    }

    /// The point of [`Catalog::apply`]: whatever the writes, a snapshot kept current by the changes
    /// alone is the catalogue a full load would build, in every index, order and search text.
    #[test]
    fn applying_changes_gives_the_catalogue_a_full_load_builds() {
        for seed in 1..=40 {
            let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ seed);
            let mut shop = Shop::default();
            let mut kept = Catalog::default();
            for step in 0..150 {
                // One write per refresh, or several together, as a snapshot a few versions behind sees.
                let batch = 1 + dice.roll(4);
                let changes: Vec<Changed> = (0..batch).map(|_| shop.write(&mut dice)).collect();
                kept.apply(changes);
                assert!(kept == shop.build(), "seed {seed}, step {step}");
            }
            assert!(kept.len() > 10, "the shop grew (seed {seed})");
        }
    }

    /// A change that names a record twice (written twice between two refreshes) or a record already
    /// gone is applied as the record is now.
    #[test]
    fn applying_the_same_change_twice_changes_nothing_more() {
        let brand = Entity::new(Kind::Brand, 1);
        let mut product = Product::new(2);
        product.brand = Some(brand.id);
        let mut catalog = Catalog::build(vec![brand.clone()], vec![product.clone()], vec![]);
        let once = vec![
            Changed::Entity(brand.id, Some(brand.clone())),
            Changed::Product(product.id, None),
            Changed::Product(product.id, None),
        ];
        catalog.apply(once.clone());
        let after_once = catalog.clone();
        catalog.apply(once);
        assert_eq!(catalog, after_once);
        assert_eq!(catalog, Catalog::build(vec![brand], vec![], vec![]));
    }
}
