//! The five catalogue kinds that share [`crate::model::Entity`]'s shape, and everything that differs
//! between them, declared once per kind in a [`Spec`].
//!
//! Adding a kind is one more [`Kind`] variant, its `Spec` const, its messages and its tests: the
//! routes, the views, the lists, the inputs and the documentation all read the spec.

use serde::{Deserialize, Serialize};
use shared::{Id, Msg};

use crate::{input::LinkInput, model::Product, views::ProductPaths};

/// A brand, category, subcategory, label or tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    Brand,
    Category,
    Subcategory,
    Label,
    Tag,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Brand,
        Kind::Category,
        Kind::Subcategory,
        Kind::Label,
        Kind::Tag,
    ];

    /// What this kind is and how it behaves.
    pub const fn spec(self) -> &'static Spec {
        match self {
            Kind::Brand => &BRAND,
            Kind::Category => &CATEGORY,
            Kind::Subcategory => &SUBCATEGORY,
            Kind::Label => &LABEL,
            Kind::Tag => &TAG,
        }
    }

    /// The path segment of the kind's routes (`brands`).
    pub fn path(self) -> &'static str {
        self.spec().path
    }

    /// The partition tag in the table (`CATALOG#BRAND`).
    pub fn tag(self) -> &'static str {
        self.spec().tag
    }
}

/// Everything that differs between the kinds.
pub struct Spec {
    /// The path segment of its routes: `/brands`, `/brands/staff`, ...
    pub path: &'static str,
    /// Its partition tag in the table (`CATALOG#BRAND`).
    pub tag: &'static str,
    /// How a link body names one of it (`brandId`), and the id it holds there.
    pub id_field: &'static str,
    pub link_id: fn(&LinkInput) -> Option<Id>,
    /// The field it has beyond the names.
    pub extra: Extra,
    /// The kind it belongs to through its `category` field (a subcategory's category).
    pub parent: Option<Kind>,
    /// What links to it and counts in its `linkCount`.
    pub children: Children,
    /// Whether a public read of one shows its enabled products (Belta's brand page).
    pub public_products: bool,
    pub not_found: Msg,
    pub on_delete: OnDelete,
    /// What a delete answers.
    pub deleted: Deleted,
    /// How a product links to it.
    pub product_link: ProductLink,
}

/// The field an entity has beyond its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    /// A required `cover` image URL.
    Cover,
    /// A required `color` (a CSS colour).
    Color,
    None,
}

/// What links to an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Children {
    /// Products; a single staff read shows them with these references populated (as Belta did).
    Products(ProductPaths),
    /// Entities of that kind (a category's subcategories).
    Entities(Kind),
}

/// What a delete does while children link here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDelete {
    /// 409 with this message.
    Refuse(Msg),
    /// Every product leaves it, in the same transaction as the delete (or in as many as it takes).
    UnlinkProducts,
}

/// Belta's answer to a delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deleted {
    /// `{message}` in the request's language.
    Message(Msg),
    /// `{success: true}`.
    Success,
}

/// How a product links to a kind.
pub enum ProductLink {
    /// It does not (a category's children are subcategories).
    None,
    /// At most one, in a product field (`brand`); linked through `/products/staff/link-<route>`
    /// and `/unlink-<route>`, where an unlink may name the one it undoes.
    One {
        route: &'static str,
        slot: Slot<Option<Id>>,
    },
    /// A list in a product field (`labels`), at most [`crate::input::MAX_LINKS_PER_PRODUCT`];
    /// linked through `/<path>/staff/link` and `/unlink`, which both name it.
    Many { list: Slot<Vec<Id>> },
}

/// A product field that holds links.
pub struct Slot<T: 'static> {
    pub get: fn(&Product) -> &T,
    pub get_mut: fn(&mut Product) -> &mut T,
}

impl ProductLink {
    /// The ids of this kind a product links to.
    pub fn ids<'p>(&self, product: &'p Product) -> &'p [Id] {
        match self {
            ProductLink::None => &[],
            ProductLink::One { slot, .. } => (slot.get)(product).as_slice(),
            ProductLink::Many { list } => (list.get)(product),
        }
    }

    /// Takes `parent` off the product, wherever this kind keeps it.
    pub fn remove(&self, product: &mut Product, parent: Id) {
        match self {
            ProductLink::None => {}
            ProductLink::One { slot, .. } => {
                let slot = (slot.get_mut)(product);
                if *slot == Some(parent) {
                    *slot = None;
                }
            }
            ProductLink::Many { list } => (list.get_mut)(product).retain(|id| *id != parent),
        }
    }
}

pub const BRAND: Spec = Spec {
    path: "brands",
    tag: "BRAND",
    id_field: "brandId",
    link_id: |body| body.brand_id,
    extra: Extra::Cover,
    parent: None,
    children: Children::Products(ProductPaths::SUBCATEGORY),
    public_products: true,
    not_found: Msg::BrandNotFound,
    on_delete: OnDelete::Refuse(Msg::BrandHasProducts),
    deleted: Deleted::Message(Msg::BrandDeleted),
    product_link: ProductLink::One {
        route: "brand",
        slot: Slot {
            get: |p| &p.brand,
            get_mut: |p| &mut p.brand,
        },
    },
};

pub const CATEGORY: Spec = Spec {
    path: "categories",
    tag: "CATEGORY",
    id_field: "categoryId",
    link_id: |body| body.category_id,
    extra: Extra::Cover,
    parent: None,
    children: Children::Entities(Kind::Subcategory),
    public_products: false,
    not_found: Msg::CategoryNotFound,
    on_delete: OnDelete::Refuse(Msg::CategoryHasSubcategories),
    deleted: Deleted::Message(Msg::CategoryDeleted),
    product_link: ProductLink::None,
};

pub const SUBCATEGORY: Spec = Spec {
    path: "subcategories",
    tag: "SUBCATEGORY",
    id_field: "subcategoryId",
    link_id: |body| body.subcategory_id,
    extra: Extra::Cover,
    parent: Some(Kind::Category),
    children: Children::Products(ProductPaths::BRAND),
    public_products: false,
    not_found: Msg::SubcategoryNotFound,
    on_delete: OnDelete::Refuse(Msg::SubcategoryHasProducts),
    deleted: Deleted::Message(Msg::SubcategoryDeleted),
    product_link: ProductLink::One {
        route: "subcategory",
        slot: Slot {
            get: |p| &p.subcategory,
            get_mut: |p| &mut p.subcategory,
        },
    },
};

pub const LABEL: Spec = Spec {
    path: "labels",
    tag: "LABEL",
    id_field: "labelId",
    link_id: |body| body.label_id,
    extra: Extra::Color,
    parent: None,
    children: Children::Products(ProductPaths::BRAND_AND_SUBCATEGORY),
    public_products: false,
    not_found: Msg::LabelNotFound,
    on_delete: OnDelete::UnlinkProducts,
    deleted: Deleted::Message(Msg::LabelDeleted),
    product_link: ProductLink::Many {
        list: Slot {
            get: |p| &p.labels,
            get_mut: |p| &mut p.labels,
        },
    },
};

pub const TAG: Spec = Spec {
    path: "tags",
    tag: "TAG",
    id_field: "tagId",
    link_id: |body| body.tag_id,
    extra: Extra::None,
    parent: None,
    children: Children::Products(ProductPaths::BRAND_AND_SUBCATEGORY),
    public_products: false,
    not_found: Msg::TagNotFound,
    on_delete: OnDelete::UnlinkProducts,
    deleted: Deleted::Success,
    product_link: ProductLink::Many {
        list: Slot {
            get: |p| &p.tags,
            get_mut: |p| &mut p.tags,
        },
    },
};
