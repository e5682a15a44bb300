//! [`Catalog`]: the whole catalogue in memory, indexed for the list and read endpoints.
//!
//! Built once from every record (ARCHITECTURE.md §6), then kept current by [`Catalog::apply`], which
//! takes only the records that changed (the change log, [`crate::store`]) and costs what they touch,
//! not what the catalogue holds.
//!
//! Products live in numbered slots. Every order (newest first, a parent's products, a category's
//! products) is an ordered set of small `(creation, id, slot)` keys, so a list walks compact keys
//! and reads only the products it keeps, and one record moves in O(log n). Searchable names are
//! normalized once and kept side by side in one text ([`Names`]), so a search is one pass of a
//! substring finder over a few bytes per product, whatever the query.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet},
};

use memchr::memmem;

use super::{
    kind::Kind,
    model::{Entity, Offer, Product},
    pricing::final_price,
    search::{Query, normalize_into},
};
use shared::{Id, Money};

/// The catalogue's maps, by id. foldhash: a cold start hashes hundreds of thousands of ids, and the
/// standard SipHash made that a good part of building the catalogue (ids are no secret).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Where a record sorts: newest first (creation time, then id).
type Newest = Reverse<(i64, Id)>;

fn newest(created_at: i64, id: Id) -> Newest {
    Reverse((created_at, id))
}

/// A product's place in [`Catalog`]'s store.
pub type Slot = u32;

/// The slot of a child that is not a product (a category's subcategories).
const NO_SLOT: Slot = Slot::MAX;

/// A key of an order: where the record sorts, and where a product is.
type Ranked = (Newest, Slot);

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
    /// Its own `nameAr` and `nameEn`, normalized, one per line. A search also finds a product by its
    /// brand's, subcategory's and tags' names ([`Catalog::search`]).
    pub search: String,
}

/// One changed record as it is now, or its id when it is gone: what [`Catalog::apply`] takes.
#[derive(Clone, Debug)]
pub enum Changed {
    Entity(Id, Option<Entity>),
    Product(Id, Option<Product>),
    Offer(Id, Option<Offer>),
}

/// The kinds whose names find their products (as the product's own names do).
const SEARCHED_WITH_PRODUCTS: [Kind; 3] = [Kind::Brand, Kind::Subcategory, Kind::Tag];

#[derive(Clone, Debug, Default)]
pub struct Catalog {
    entities: HashMap<Id, EntityEntry>,
    /// Each kind's entities, newest first.
    listing: HashMap<Kind, BTreeSet<Newest>>,
    /// Products by slot; the slot of a removed product is empty until a new one takes it.
    slots: Vec<Option<ProductEntry>>,
    /// Each slot's [`Facts`] (a removed product's stay until the slot is taken again).
    facts: Vec<Facts>,
    free: Vec<Slot>,
    product_slots: HashMap<Id, Slot>,
    /// Every product, newest first.
    products: BTreeSet<Ranked>,
    /// Every enabled product (what the public sees), newest first.
    enabled: BTreeSet<Ranked>,
    /// A parent's children, newest first: products of a brand, subcategory, label or tag, and
    /// subcategories of a category. Kept for a parent that is gone too, as its children still name it.
    children: HashMap<Id, BTreeSet<Ranked>>,
    /// A category's products (through their subcategory), newest first.
    category_products: HashMap<Id, BTreeSet<Ranked>>,
    /// Every product's [`ProductEntry::search`], for one pass of a search.
    names: Names,
    /// Newest first.
    offers: BTreeMap<Newest, Offer>,
    offer_keys: HashMap<Id, Newest>,
    /// When an offer starts or ends (Unix seconds, ascending): the only times a final price changes
    /// without a write.
    price_changes: Vec<i64>,
}

/// Takes `key` out of the set at `at`, and the set out of `sets` once empty (as a build leaves none).
fn remove_from<K: std::hash::Hash + Eq, T: Ord>(
    sets: &mut HashMap<K, BTreeSet<T>>,
    at: &K,
    key: &T,
) {
    if let Some(set) = sets.get_mut(at) {
        set.remove(key);
        if set.is_empty() {
            sets.remove(at);
        }
    }
}

/// Both names, normalized, one per line.
fn names(ar: &str, en: &str) -> String {
    let mut names = String::with_capacity(ar.len() + en.len() + 1);
    normalize_into(ar, &mut names);
    names.push('\n');
    normalize_into(en, &mut names);
    names
}

fn ids(set: &BTreeSet<Ranked>) -> impl ExactSizeIterator<Item = Id> + Clone + '_ {
    set.iter().map(|(Reverse((_, id)), _)| *id)
}

/// No children, for a parent without any.
static NONE: BTreeSet<Ranked> = BTreeSet::new();

/// Every product's searchable names in one text, so that a search runs one substring finder over it
/// (a few bytes per product, in memory order) instead of visiting every product.
///
/// Each product's names are one segment, `\n` first: a query never holds a line break (normalizing
/// folds white space to one space), so a match never runs from one segment into the next. A removed
/// product's segment stays as garbage, skipped by a search, until garbage is half the text, when
/// the text is written again without it.
#[derive(Clone, Debug, Default)]
struct Names {
    text: String,
    /// Each segment's start and product, in text order.
    segments: Vec<(u32, Slot)>,
    /// Where each slot's live segment starts (`u32::MAX`: none).
    live: Vec<u32>,
    garbage: usize,
}

impl Names {
    const NOT_LIVE: u32 = u32::MAX;

    fn insert(&mut self, slot: Slot, names: &str) {
        let start = u32::try_from(self.text.len()).expect("a catalogue's names fit in 4 GB");
        self.text.push('\n');
        self.text.push_str(names);
        self.segments.push((start, slot));
        let slot = slot as usize;
        if self.live.len() <= slot {
            self.live.resize(slot + 1, Self::NOT_LIVE);
        }
        self.live[slot] = start;
    }

    fn remove(&mut self, slot: Slot, names: &str) {
        self.live[slot as usize] = Self::NOT_LIVE;
        self.garbage += 1 + names.len();
        if self.garbage > self.text.len() / 2 {
            self.compact();
        }
    }

    fn is_live(&self, (start, slot): (u32, Slot)) -> bool {
        self.live[slot as usize] == start
    }

    /// The text again, without the segments of removed products.
    fn compact(&mut self) {
        let mut kept = Names {
            live: vec![Self::NOT_LIVE; self.live.len()],
            ..Names::default()
        };
        for (i, &(start, slot)) in self.segments.iter().enumerate() {
            if self.is_live((start, slot)) {
                let end = self
                    .segments
                    .get(i + 1)
                    .map_or(self.text.len(), |s| s.0 as usize);
                kept.insert(slot, &self.text[start as usize + 1..end]);
            }
        }
        *self = kept;
    }

    /// Marks in `found` every product whose names contain `query`.
    fn find(&self, query: &Query, found: &mut Found) {
        let text = self.text.as_bytes();
        let mut segment = 0;
        for at in memmem::find_iter(text, query.as_str().as_bytes()) {
            // Matches come in text order: the segment holding one is at or after the last one's.
            while self
                .segments
                .get(segment + 1)
                .is_some_and(|next| next.0 as usize <= at)
            {
                segment += 1;
            }
            if let Some(&located) = self.segments.get(segment)
                && self.is_live(located)
            {
                found.insert(located.1);
            }
        }
    }
}

/// The products a search found, by slot: one bit each.
#[derive(Clone, Debug)]
pub struct Found(Vec<u64>);

impl Found {
    fn with_slots(slots: usize) -> Found {
        Found(vec![0; slots.div_ceil(64)])
    }

    fn insert(&mut self, slot: Slot) {
        self.0[slot as usize / 64] |= 1 << (slot % 64);
    }

    pub fn contains(&self, slot: Slot) -> bool {
        self.0
            .get(slot as usize / 64)
            .is_some_and(|word| word & (1 << (slot % 64)) != 0)
    }

    /// The slots found, ascending.
    fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    i as Slot * 64 + bit
                })
            })
        })
    }

    /// How many products were found.
    pub fn len(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|word| *word == 0)
    }
}

/// A list's candidates: the slots of products, newest first. A list checks a slot's [`Facts`] and
/// its search bit before it reads the product itself, so products it skips are never read.
pub struct Candidates<'c>(Box<dyn Iterator<Item = Slot> + 'c>);

impl Iterator for Candidates<'_> {
    type Item = Slot;

    fn next(&mut self) -> Option<Slot> {
        self.0.next()
    }
}

/// What every list checks on each candidate, kept apart from the product so that these checks read a
/// few bytes per product, not the product.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Facts {
    key: Newest,
    pub disabled: bool,
    pub employee_read_only: bool,
}

impl Facts {
    fn of(product: &Product) -> Facts {
        Facts {
            key: newest(product.created_at, product.id),
            disabled: product.disabled,
            employee_read_only: product.employee_read_only,
        }
    }
}

impl Catalog {
    pub fn build(entities: Vec<Entity>, products: Vec<Product>, offers: Vec<Offer>) -> Catalog {
        let mut catalog = Catalog::default();
        // Entities first: a product's category comes from its subcategory.
        for entity in entities {
            catalog.insert_entity(entity);
        }
        // Products in bulk, each in the slot of its place in `products`: each order is built from its
        // keys at once (sorted once), not one insertion at a time.
        let mut order = Vec::with_capacity(products.len());
        let mut children: HashMap<Id, Vec<Ranked>> = HashMap::default();
        let mut category_products: HashMap<Id, Vec<Ranked>> = HashMap::default();
        catalog.slots.reserve(products.len());
        catalog.facts.reserve(products.len());
        catalog.product_slots.reserve(products.len());
        for (slot, product) in products.into_iter().enumerate() {
            let slot = Slot::try_from(slot).expect("fewer than 4 billion products");
            let key = (newest(product.created_at, product.id), slot);
            order.push(key);
            for (_, parent) in product.parents() {
                children.entry(parent).or_default().push(key);
            }
            let entry = catalog.entry(product);
            if let Some(category) = entry.category {
                category_products.entry(category).or_default().push(key);
            }
            catalog.names.insert(slot, &entry.search);
            catalog.product_slots.insert(entry.product.id, slot);
            catalog.facts.push(Facts::of(&entry.product));
            catalog.slots.push(Some(entry));
        }
        catalog.enabled = order
            .iter()
            .filter(|(_, slot)| !catalog.facts[*slot as usize].disabled)
            .copied()
            .collect();
        catalog.products = order.into_iter().collect();
        for (parent, keys) in children {
            catalog.children.entry(parent).or_default().extend(keys);
        }
        catalog.category_products = category_products
            .into_iter()
            .map(|(category, keys)| (category, keys.into_iter().collect()))
            .collect();
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
            // A subcategory's products reach their category through it: place them again.
            let linked: Vec<Ranked> = self
                .children
                .get(&id)
                .into_iter()
                .flatten()
                .copied()
                .collect();
            for (key, slot) in linked {
                if slot == NO_SLOT {
                    continue;
                }
                let entry = self.slots[slot as usize]
                    .as_ref()
                    .expect("ordered products exist");
                let category = self.category_of(&entry.product);
                if category != entry.category {
                    let old = entry.category;
                    if let Some(old) = old {
                        remove_from(&mut self.category_products, &old, &(key, slot));
                    }
                    if let Some(category) = category {
                        self.category_products
                            .entry(category)
                            .or_default()
                            .insert((key, slot));
                    }
                    self.slots[slot as usize]
                        .as_mut()
                        .expect("just read")
                        .category = category;
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
            self.children
                .entry(category)
                .or_default()
                .insert((key, NO_SLOT));
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
            remove_from(&mut self.children, &category, &(key, NO_SLOT));
        }
    }

    /// The category a product reaches through its subcategory, as the entities are now.
    fn category_of(&self, product: &Product) -> Option<Id> {
        product
            .subcategory
            .and_then(|s| self.entities.get(&s))
            .and_then(|s| s.entity.category)
    }

    /// A product with its search text and category, from the entities as they are now.
    fn entry(&self, product: Product) -> ProductEntry {
        ProductEntry {
            category: self.category_of(&product),
            search: names(&product.name_ar, &product.name_en),
            product,
        }
    }

    fn insert_product(&mut self, product: Product) {
        let facts = Facts::of(&product);
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.facts.push(facts);
            Slot::try_from(self.slots.len() - 1).expect("fewer than 4 billion products")
        });
        self.facts[slot as usize] = facts;
        let key = (newest(product.created_at, product.id), slot);
        for (_, parent) in product.parents() {
            self.children.entry(parent).or_default().insert(key);
        }
        let entry = self.entry(product);
        if let Some(category) = entry.category {
            self.category_products
                .entry(category)
                .or_default()
                .insert(key);
        }
        self.products.insert(key);
        if !facts.disabled {
            self.enabled.insert(key);
        }
        self.names.insert(slot, &entry.search);
        self.product_slots.insert(entry.product.id, slot);
        self.slots[slot as usize] = Some(entry);
    }

    fn remove_product(&mut self, id: &Id) {
        let Some(slot) = self.product_slots.remove(id) else {
            return;
        };
        let entry = self.slots[slot as usize]
            .take()
            .expect("slots and products agree");
        let key = (newest(entry.product.created_at, entry.product.id), slot);
        self.products.remove(&key);
        self.enabled.remove(&key);
        for (_, parent) in entry.product.parents() {
            remove_from(&mut self.children, &parent, &key);
        }
        if let Some(category) = entry.category {
            remove_from(&mut self.category_products, &category, &key);
        }
        self.names.remove(slot, &entry.search);
        self.free.push(slot);
    }

    fn insert_offer(&mut self, offer: Offer) {
        let key = newest(offer.created_at, offer.id);
        self.offer_keys.insert(offer.id, key);
        self.offers.insert(key, offer);
    }

    /// The product in `slot`, which a [`Candidates`] or a [`Found`] gave.
    pub fn slot(&self, slot: Slot) -> &ProductEntry {
        self.slots[slot as usize]
            .as_ref()
            .expect("ordered products exist")
    }

    /// The [`Facts`] of the product in `slot`.
    pub fn facts(&self, slot: Slot) -> Facts {
        self.facts[slot as usize]
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
        self.slots[*self.product_slots.get(id)? as usize].as_ref()
    }

    /// Every product, newest first.
    pub fn products(&self) -> impl ExactSizeIterator<Item = &ProductEntry> + DoubleEndedIterator {
        self.newest_products(false)
    }

    /// Every product (`enabled_only`: every enabled product), newest first, as a list's candidates.
    pub fn every_product(&self, enabled_only: bool) -> Candidates<'_> {
        self.candidates(self.order(enabled_only))
    }

    /// Every product (`enabled_only`: every enabled product), newest first.
    pub fn newest_products(
        &self,
        enabled_only: bool,
    ) -> impl ExactSizeIterator<Item = &ProductEntry> + DoubleEndedIterator {
        self.order(enabled_only)
            .iter()
            .map(|(_, slot)| self.slot(*slot))
    }

    fn order(&self, enabled_only: bool) -> &BTreeSet<Ranked> {
        if enabled_only {
            &self.enabled
        } else {
            &self.products
        }
    }

    /// The products of a brand, subcategory, label or tag, newest first.
    pub fn products_of(&self, parent: &Id) -> Candidates<'_> {
        self.candidates(self.children.get(parent).unwrap_or(&NONE))
    }

    /// The products of a category (through their subcategory), newest first.
    pub fn products_in_category(&self, category: &Id) -> Candidates<'_> {
        self.candidates(self.category_products.get(category).unwrap_or(&NONE))
    }

    /// The products found by slot, newest first.
    pub fn found_products<'c>(&'c self, found: &Found) -> Candidates<'c> {
        let mut keys: Vec<Ranked> = found
            .slots()
            .map(|slot| (self.facts[slot as usize].key, slot))
            .collect();
        keys.sort_unstable();
        Candidates(Box::new(keys.into_iter().map(|(_, slot)| slot)))
    }

    fn candidates<'c>(&'c self, set: &'c BTreeSet<Ranked>) -> Candidates<'c> {
        Candidates(Box::new(
            set.iter()
                .map(|(_, slot)| *slot)
                .filter(|slot| *slot != NO_SLOT),
        ))
    }

    /// The products whose names, or whose brand's, subcategory's or a tag's names, contain `query`.
    pub fn search(&self, query: &Query) -> Found {
        let mut found = Found::with_slots(self.slots.len());
        self.names.find(query, &mut found);
        for kind in SEARCHED_WITH_PRODUCTS {
            for entry in self.entities(kind) {
                if query.matches(&entry.search) {
                    let linked = self.children.get(&entry.entity.id).into_iter().flatten();
                    // Only a category has children that are not products, and it is not searched.
                    for (_, slot) in linked.filter(|(_, slot)| *slot != NO_SLOT) {
                        found.insert(*slot);
                    }
                }
            }
        }
        found
    }

    /// Whether a search for `query` finds the product ([`Catalog::search`]'s rule for one product).
    pub fn product_matches(&self, id: &Id, query: &Query) -> bool {
        let Some(entry) = self.product_entry(id) else {
            return false;
        };
        let p = &entry.product;
        query.matches(&entry.search)
            || [p.brand, p.subcategory]
                .into_iter()
                .flatten()
                .chain(p.tags.iter().copied())
                .filter_map(|id| self.entities.get(&id))
                .any(|e| query.matches(&e.search))
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
        ids(self.children.get(parent).unwrap_or(&NONE))
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
        let products = self.products().map(|e| &e.product).collect();
        (entities, products, self.offers.values().collect())
    }

    /// How many products the catalogue holds.
    pub fn product_count(&self) -> usize {
        self.product_slots.len()
    }

    /// How many records the catalogue holds.
    pub fn len(&self) -> usize {
        self.entities.len() + self.product_slots.len() + self.offers.len()
    }

    /// Whether the catalogue holds no record at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let trees = |sets: &HashMap<Id, BTreeSet<Ranked>>| {
            sets.values()
                .map(|set| tree(set.len(), size_of::<Ranked>()))
                .sum::<usize>()
                + map(sets.capacity(), size_of::<(Id, BTreeSet<Ranked>)>())
        };
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
            .products()
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
        let listing: usize = self
            .listing
            .values()
            .map(|set| tree(set.len(), size_of::<Newest>()))
            .sum();
        let names = self.names.text.capacity()
            + self.names.segments.capacity() * size_of::<(u32, Slot)>()
            + self.names.live.capacity() * size_of::<u32>();
        entities
            + map(self.entities.capacity(), size_of::<(Id, EntityEntry)>())
            + listing
            + products
            + self.slots.capacity() * size_of::<Option<ProductEntry>>()
            + self.facts.capacity() * size_of::<Facts>()
            + map(self.product_slots.capacity(), size_of::<(Id, Slot)>())
            + tree(
                self.products.len() + self.enabled.len(),
                size_of::<Ranked>(),
            )
            + trees(&self.children)
            + trees(&self.category_products)
            + names
            + offers
            + tree(self.offers.len(), size_of::<(Newest, Offer)>())
            + map(self.offer_keys.capacity(), size_of::<(Id, Newest)>())
    }
}

/// Two catalogues are equal when they hold the same records, indexed alike: the same orders, children
/// and search texts. Where a product sits (its slot) is not part of it.
impl PartialEq for Catalog {
    fn eq(&self, other: &Catalog) -> bool {
        let orders = |sets: &HashMap<Id, BTreeSet<Ranked>>| -> HashMap<Id, Vec<Id>> {
            sets.iter()
                .map(|(parent, set)| (*parent, ids(set).collect()))
                .collect()
        };
        let searched = |c: &Catalog| -> BTreeMap<Id, String> {
            let mut texts = BTreeMap::new();
            for (i, &(start, slot)) in c.names.segments.iter().enumerate() {
                if c.names.is_live((start, slot)) {
                    let end = c
                        .names
                        .segments
                        .get(i + 1)
                        .map_or(c.names.text.len(), |s| s.0 as usize);
                    let id = c.slot(slot).product.id;
                    texts.insert(id, c.names.text[start as usize + 1..end].to_owned());
                }
            }
            texts
        };
        self.entities == other.entities
            && self.listing == other.listing
            && self.products().eq(other.products())
            && self.newest_products(true).eq(other.newest_products(true))
            && orders(&self.children) == orders(&other.children)
            && orders(&self.category_products) == orders(&other.category_products)
            && searched(self) == searched(other)
            && self.offers == other.offers
            && self.offer_keys == other.offer_keys
            && self.price_changes == other.price_changes
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

        /// The products whose names or whose brand's, subcategory's or a tag's names hold `query`,
        /// read off the records one by one.
        fn search(&self, query: &Query) -> Vec<Id> {
            let holds = |ar: &str, en: &str| query.matches(&names(ar, en));
            let mut ids: Vec<Id> = self
                .products
                .values()
                .filter(|p| {
                    holds(&p.name_ar, &p.name_en)
                        || [p.brand, p.subcategory]
                            .into_iter()
                            .flatten()
                            .chain(p.tags.iter().copied())
                            .filter_map(|id| self.entities.get(&id))
                            .any(|e| holds(&e.name_ar, &e.name_en))
                })
                .map(|p| p.id)
                .collect();
            ids.sort();
            ids
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
                for query in ["قهو", "TEA", "ي", "ḿil", "شاي ا", "r"] {
                    let query = Query::new(query).unwrap();
                    let found = kept.search(&query);
                    let mut listed: Vec<Id> = kept
                        .found_products(&found)
                        .map(|slot| kept.slot(slot).product.id)
                        .collect();
                    listed.sort();
                    assert_eq!(listed, shop.search(&query), "seed {seed}, step {step}");
                }
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
