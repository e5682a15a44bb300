//! List queries (`?page&limit&search&<filters>&sort`) and how they run on the in-memory catalogue.
//!
//! Page and limit are plain fields of each query type (serde cannot flatten numbers out of a query
//! string); [`paging`] makes them one [`PageQuery`], which `validate` checks and `run` pages with.

use std::cmp::Reverse;

use serde::Deserialize;
use utoipa::{
    IntoParams, ToSchema,
    openapi::{RefOr, Schema},
};

use super::{
    index::{Candidates, Catalog, Found, ProductEntry},
    kind::{Extra, Kind},
    model::{Entity, Offer, OfferType},
    search::{Query, normalize},
};
use shared::{
    FieldErrors, FieldIssue, Id, Lang, Money,
    api::schema,
    extract::Validate,
    pagination::{Page, PageQuery, PageRequest},
};

/// The `sort` parameter: newest first unless asked otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum Sort {
    #[default]
    #[serde(rename = "newest")]
    Newest,
    /// Final price, lowest first (products only).
    #[serde(rename = "price")]
    PriceAscending,
    /// Final price, highest first (products only).
    #[serde(rename = "-price")]
    PriceDescending,
    /// Name in the request's language.
    #[serde(rename = "name")]
    Name,
}

/// The query parameters only staff lists read (a public list shows enabled records only).
pub const STAFF_ONLY: &[&str] = &["disabled", "employeeReadOnly"];

const UNPRICED_SORTS: &[&str] = &["newest", "name"];
const SORTS: &[&str] = &["newest", "price", "-price", "name"];

fn entity_sort() -> RefOr<Schema> {
    schema::to_schema(schema::one_of(UNPRICED_SORTS))
}

fn product_sort() -> RefOr<Schema> {
    schema::to_schema(schema::one_of(SORTS))
}

fn offer_type() -> RefOr<Schema> {
    schema::to_schema(schema::one_of(OfferType::NAMES))
}

/// A price bound as [`Money`] reads it: two decimals at most, within its range.
fn price_bound() -> RefOr<Schema> {
    schema::to_schema(serde_json::json!({
        "type": "number",
        "multipleOf": 0.01,
        "minimum": -Money::MAX_UNITS,
        "maximum": Money::MAX_UNITS,
    }))
}

/// The visibility filters: the public sees enabled records only; staff may filter by both flags.
fn flags_match(
    public: bool,
    (disabled, employee_read_only): (bool, bool),
    (want_disabled, want_read_only): (Option<bool>, Option<bool>),
) -> bool {
    if public {
        return !disabled;
    }
    want_disabled.is_none_or(|d| disabled == d)
        && want_read_only.is_none_or(|r| employee_read_only == r)
}

/// A list query's `page` and `limit` as one value: checked by its `validate`, used by its `run`.
fn paging(page: Option<u32>, limit: Option<u32>) -> PageQuery {
    PageQuery { page, limit }
}

/// Query of a brand, category, subcategory, label or tag list. Filters a kind does not have are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EntityListQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    /// Case-insensitive, Arabic-normalized text in either name.
    pub search: Option<String>,
    /// Staff lists only.
    pub disabled: Option<bool>,
    /// Staff lists only.
    pub employee_read_only: Option<bool>,
    /// Subcategories: those of this category.
    #[param(schema_with = schema::id_schema)]
    pub category_id: Option<Id>,
    /// Labels: text in the color (`#ff`).
    pub color: Option<String>,
    /// `newest` (default) or `name`.
    #[param(schema_with = entity_sort)]
    pub sort: Option<Sort>,
}

impl Validate for EntityListQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut result = paging(self.page, self.limit).validate();
        if matches!(
            self.sort,
            Some(Sort::PriceAscending | Sort::PriceDescending)
        ) {
            let mut errors = result.err().unwrap_or_default();
            errors.add("sort", FieldIssue::OneOf(UNPRICED_SORTS));
            result = Err(errors);
        }
        result
    }
}

impl EntityListQuery {
    /// The filters `kind` does not have, which its lists ignore (and its documentation leaves out).
    pub fn ignored_by(kind: Kind) -> &'static [&'static str] {
        let spec = kind.spec();
        match (spec.parent.is_some(), spec.extra == Extra::Color) {
            (true, true) => &[],
            (true, false) => &["color"],
            (false, true) => &["categoryId"],
            (false, false) => &["categoryId", "color"],
        }
    }

    /// The matching entities of `kind`, sorted and paged. `public` hides disabled ones and ignores the
    /// staff-only filters.
    pub fn run<'c>(
        &self,
        catalog: &'c Catalog,
        kind: Kind,
        public: bool,
        lang: Lang,
    ) -> Page<&'c Entity> {
        let spec = kind.spec();
        let search = self.search.as_deref().and_then(Query::new);
        let color = self.color.as_deref().map(str::to_ascii_uppercase);
        let mut matches: Vec<&Entity> = catalog
            .entities(kind)
            .filter(|entry| search.as_ref().is_none_or(|q| q.matches(&entry.search)))
            .map(|entry| &entry.entity)
            .filter(|e| {
                let flags = (e.disabled, e.employee_read_only);
                flags_match(public, flags, (self.disabled, self.employee_read_only))
                    && (spec.parent.is_none()
                        || self.category_id.is_none_or(|c| e.category == Some(c)))
                    && (spec.extra != Extra::Color
                        || color.as_deref().is_none_or(|c| {
                            e.color
                                .as_deref()
                                .is_some_and(|have| have.to_ascii_uppercase().contains(c))
                        }))
            })
            .collect();
        if self.sort == Some(Sort::Name) {
            matches.sort_by_cached_key(|e| normalize(lang.pick(&e.name_ar, &e.name_en)));
        }
        PageRequest::from(paging(self.page, self.limit)).paginate(&matches)
    }
}

/// Query of a product list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    /// Case-insensitive, Arabic-normalized text in the names or the brand's, subcategory's or tags' names.
    pub search: Option<String>,
    /// A category id, matched through the product's subcategory.
    #[param(schema_with = schema::id_schema)]
    pub category: Option<Id>,
    #[param(schema_with = schema::id_schema)]
    pub subcategory: Option<Id>,
    #[param(schema_with = schema::id_schema)]
    pub brand: Option<Id>,
    #[param(schema_with = schema::id_schema)]
    pub tag: Option<Id>,
    #[param(schema_with = schema::id_schema)]
    pub label: Option<Id>,
    /// Staff lists: products with this offer.
    #[param(schema_with = schema::id_schema)]
    pub offer: Option<Id>,
    /// Lowest final price, inclusive.
    #[param(schema_with = price_bound)]
    pub min_price: Option<Money>,
    /// Highest final price, inclusive.
    #[param(schema_with = price_bound)]
    pub max_price: Option<Money>,
    /// Staff lists only.
    pub disabled: Option<bool>,
    /// Staff lists only.
    pub employee_read_only: Option<bool>,
    /// `newest` (default), `price`, `-price` or `name`.
    #[param(schema_with = product_sort)]
    pub sort: Option<Sort>,
}

impl Validate for ProductListQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        paging(self.page, self.limit).validate()
    }
}

impl ProductListQuery {
    /// The matching products with their final prices at `now`, sorted and paged. Newest first (the
    /// default) without a price bound, matches are counted as they are found and only the page is kept.
    pub fn run<'c>(
        &self,
        catalog: &'c Catalog,
        public: bool,
        lang: Lang,
        now: i64,
    ) -> Page<&'c ProductEntry> {
        let found = self
            .search
            .as_deref()
            .and_then(Query::new)
            .map(|q| catalog.search(&q));
        let request = PageRequest::from(paging(self.page, self.limit));
        let sort = self.sort.unwrap_or_default();
        let newest = sort == Sort::Newest && self.min_price.is_none() && self.max_price.is_none();
        let by_fields = [
            self.category,
            self.subcategory,
            self.brand,
            self.tag,
            self.label,
            self.offer,
        ]
        .iter()
        .any(Option::is_some);
        let by_flags = !public && (self.disabled.is_some() || self.employee_read_only.is_some());
        if newest && found.is_none() && !by_fields && !by_flags {
            // The plain list (the store's every product): a page of an order whose size is known.
            return request.page_of(catalog.newest_products(public));
        }
        let matching = self
            .candidates(catalog, public, found.as_ref())
            .filter(|slot| {
                let facts = catalog.facts(*slot);
                let flags = (facts.disabled, facts.employee_read_only);
                found.as_ref().is_none_or(|f| f.contains(*slot))
                    && flags_match(public, flags, (self.disabled, self.employee_read_only))
            })
            // Only a filter on the product's links reads the product itself.
            .filter(|slot| !by_fields || self.links_match(catalog.slot(*slot)));
        if newest {
            let page = request.paginate_iter(matching);
            return render(page, |slot| catalog.slot(slot));
        }
        // A final price (offer lookup and terms) only where a bound or the order needs it.
        let priced = matches!(sort, Sort::PriceAscending | Sort::PriceDescending)
            || self.min_price.is_some()
            || self.max_price.is_some();
        let mut matches: Vec<(&ProductEntry, Money)> = matching
            .map(|slot| catalog.slot(slot))
            .map(|entry| {
                let p = &entry.product;
                let price = if priced {
                    catalog.final_price(p, now)
                } else {
                    p.price
                };
                (entry, price)
            })
            .filter(|(_, price)| {
                self.min_price.is_none_or(|min| *price >= min)
                    && self.max_price.is_none_or(|max| *price <= max)
            })
            .collect();
        match sort {
            Sort::Newest => {}
            Sort::PriceAscending => matches.sort_by_key(|(_, price)| *price),
            Sort::PriceDescending => matches.sort_by_key(|(_, price)| Reverse(*price)),
            Sort::Name => matches.sort_by_cached_key(|(e, _)| {
                normalize(lang.pick(&e.product.name_ar, &e.product.name_en))
            }),
        }
        request.paginate_iter(matches.into_iter().map(|(e, _)| e))
    }

    /// The products that can match, newest first: a parent's children when the query names one (a
    /// brand's products, a category's products), so a store page of a brand or a category costs what
    /// it lists, not what the catalogue holds; else a search's finds when they are few; otherwise every
    /// product.
    fn candidates<'c>(
        &self,
        catalog: &'c Catalog,
        public: bool,
        found: Option<&Found>,
    ) -> Candidates<'c> {
        if let Some(parent) = self.subcategory.or(self.brand).or(self.tag).or(self.label) {
            return catalog.products_of(&parent);
        }
        if let Some(category) = self.category {
            return catalog.products_in_category(&category);
        }
        match found {
            // Ordering a few finds reads each of them; walking every product's key costs little more
            // than a bit test each.
            Some(found) if found.len() * 16 < catalog.product_count() => {
                catalog.found_products(found)
            }
            _ => catalog.every_product(public),
        }
    }

    /// Whether the product has the category, subcategory, brand, tag, label and offer asked for.
    fn links_match(&self, entry: &ProductEntry) -> bool {
        let p = &entry.product;
        self.category.is_none_or(|c| entry.category == Some(c))
            && self.subcategory.is_none_or(|s| p.subcategory == Some(s))
            && self.brand.is_none_or(|b| p.brand == Some(b))
            && self.tag.is_none_or(|t| p.tags.contains(&t))
            && self.label.is_none_or(|l| p.labels.contains(&l))
            && self.offer.is_none_or(|o| p.offer == Some(o))
    }
}

/// Query of the (staff) offer list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OfferListQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    /// Text in the offer's names or its product's names.
    pub search: Option<String>,
    pub disabled: Option<bool>,
    pub employee_read_only: Option<bool>,
    /// `percent` or `fixed`.
    #[serde(rename = "type")]
    #[param(schema_with = offer_type, rename = "type")]
    pub offer_type: Option<OfferType>,
    #[param(schema_with = schema::id_schema)]
    pub product_id: Option<Id>,
}

impl Validate for OfferListQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        paging(self.page, self.limit).validate()
    }
}

impl OfferListQuery {
    pub fn run<'c>(&self, catalog: &'c Catalog) -> Page<&'c Offer> {
        let search = self.search.as_deref().and_then(Query::new);
        let matches: Vec<&Offer> = catalog
            .offers()
            .filter(|o| {
                let flags = (o.disabled, o.employee_read_only);
                flags_match(false, flags, (self.disabled, self.employee_read_only))
                    && self.offer_type.is_none_or(|t| o.offer_type == t)
                    && self.product_id.is_none_or(|p| o.product == p)
                    && search.as_ref().is_none_or(|q| {
                        let own = [o.name_ar.as_deref(), o.name_en.as_deref()]
                            .into_iter()
                            .flatten()
                            .map(normalize)
                            .any(|name| q.matches(&name));
                        own || catalog.product_matches(&o.product, q)
                    })
            })
            .collect();
        PageRequest::from(paging(self.page, self.limit)).paginate(&matches)
    }
}

/// Renders a page of records.
pub fn render<T, V>(page: Page<T>, view: impl Fn(T) -> V) -> Page<V> {
    Page {
        data: page.data.into_iter().map(view).collect(),
        metadata: page.metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        kind::Kind,
        model::{Entity, Product},
    };

    /// Answering a list from a parent's children, a search's finds, the enabled products' order or
    /// their facts gives the same pages as filtering every product, public or staff.
    #[test]
    fn a_list_through_a_parent_s_children_is_the_list_of_every_matching_product() {
        let categories: Vec<Entity> = (0..2).map(|i| Entity::new(Kind::Category, i)).collect();
        let subcategories: Vec<Entity> = (0..4)
            .map(|i| {
                let mut sub = Entity::new(Kind::Subcategory, 10 + i);
                sub.category = Some(categories[i as usize % 2].id);
                sub
            })
            .collect();
        let brands: Vec<Entity> = (0..3)
            .map(|i| {
                let mut brand = Entity::new(Kind::Brand, 20 + i);
                brand.name_en = ["Tea House", "Acme", "Roastery"][i as usize].into();
                brand
            })
            .collect();
        let tag = Entity::new(Kind::Tag, 30);
        let products: Vec<Product> = (0..60)
            .map(|i| {
                // Creation times repeat: ties are broken by id.
                let mut product = Product::new(100 + i / 3);
                product.subcategory = (i % 5 != 0).then(|| subcategories[i as usize % 4].id);
                product.brand = Some(brands[i as usize % 3].id);
                product.tags = if i % 2 == 0 { vec![tag.id] } else { vec![] };
                product.disabled = i % 7 == 0;
                product.employee_read_only = i % 4 == 1;
                product.name_en = ["Green tea", "Coffee beans", "Cocoa"][i as usize % 3].into();
                product
            })
            .collect();
        let mut entities = categories.clone();
        entities.extend(subcategories.iter().cloned());
        entities.extend(brands.iter().cloned());
        entities.push(tag.clone());
        let catalog = Catalog::build(entities, products, vec![]);

        let every = |query: &ProductListQuery, public: bool| -> Vec<Id> {
            let search = query.search.as_deref().and_then(Query::new);
            catalog
                .products()
                .filter(|e| {
                    let p = &e.product;
                    flags_match(
                        public,
                        (p.disabled, p.employee_read_only),
                        (query.disabled, query.employee_read_only),
                    ) && search
                        .as_ref()
                        .is_none_or(|q| catalog.product_matches(&p.id, q))
                        && query.category.is_none_or(|c| e.category == Some(c))
                        && query
                            .subcategory
                            .is_none_or(|s| e.product.subcategory == Some(s))
                        && query.brand.is_none_or(|b| e.product.brand == Some(b))
                        && query.tag.is_none_or(|t| e.product.tags.contains(&t))
                })
                .map(|e| e.product.id)
                .collect()
        };
        let queries = [
            ProductListQuery {
                category: Some(categories[0].id),
                ..Default::default()
            },
            ProductListQuery {
                category: Some(categories[1].id),
                brand: Some(brands[0].id),
                ..Default::default()
            },
            ProductListQuery {
                subcategory: Some(subcategories[2].id),
                ..Default::default()
            },
            ProductListQuery {
                brand: Some(brands[1].id),
                ..Default::default()
            },
            ProductListQuery {
                tag: Some(tag.id),
                category: Some(categories[0].id),
                ..Default::default()
            },
            ProductListQuery::default(),
            ProductListQuery {
                disabled: Some(true),
                ..Default::default()
            },
            ProductListQuery {
                employee_read_only: Some(false),
                ..Default::default()
            },
            // Found by its own name, and by its brand's.
            ProductListQuery {
                search: Some("TEA".into()),
                ..Default::default()
            },
            ProductListQuery {
                search: Some("coc".into()),
                brand: Some(brands[2].id),
                ..Default::default()
            },
            ProductListQuery {
                search: Some("acme".into()),
                category: Some(categories[1].id),
                ..Default::default()
            },
        ];
        for query in queries {
            for public in [true, false] {
                let matching = every(&query, public);
                assert!(!matching.is_empty(), "{query:?}");
                for page in 1..=4 {
                    let query = ProductListQuery {
                        page: Some(page),
                        limit: Some(7),
                        search: query.search.clone(),
                        ..query
                    };
                    let listed = query.run(&catalog, public, Lang::En, 0);
                    let ids: Vec<Id> = listed.data.iter().map(|e| e.product.id).collect();
                    let expected: Vec<Id> = matching
                        .iter()
                        .copied()
                        .skip(7 * (page as usize - 1))
                        .take(7)
                        .collect();
                    assert_eq!(ids, expected, "{query:?}, public: {public}");
                    assert_eq!(listed.metadata.total, matching.len() as u64);
                }
            }
        }
    }
}
