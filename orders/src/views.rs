//! Response shapes, as Belta's store and admin panel read them. Names are localized per
//! `Accept-Language` (staff views also carry both); money is exact; dates are ISO strings.

use catalog::{index::Catalog, model::Product};
use identity::users::UserSummary;
use serde::Serialize;
use shared::{Id, Lang, Money, clock::iso_millis};
use utoipa::ToSchema;

use crate::model::{ActiveCart, DraftCart, DraftReason, Order, OrderLine, OrderStatus};

fn times(money: Money, quantity: u32) -> Money {
    Money::from_minor(money.minor() * i64::from(quantity))
}

fn cover(product: &Product) -> Option<String> {
    product.cover_list.first().cloned()
}

/// One line of the active cart.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartLineView {
    /// The line's id.
    #[serde(rename = "_id")]
    pub id: Id,
    pub product_id: Id,
    /// In the request's language.
    pub name: String,
    /// Staff views only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// The first of the product's `coverList`.
    pub cover: Option<String>,
    pub quantity: u32,
    /// The product's current final price.
    pub item_price: Money,
    pub total_price: Money,
}

/// The active cart.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartView {
    #[serde(rename = "_id")]
    pub id: Id,
    pub user: Id,
    pub products: Vec<CartLineView>,
    pub final_price: Money,
    pub created_at: String,
    pub updated_at: String,
}

/// The active cart as the client (`staff: false`) or staff (with both names) sees it. Every line's
/// product is in `catalog` and priced as added: reconciling the carts before rendering guarantees it.
pub fn cart(catalog: &Catalog, cart: &ActiveCart, lang: Lang, staff: bool) -> CartView {
    let products: Vec<CartLineView> = cart
        .lines
        .iter()
        .filter_map(|line| {
            let product = catalog.product(&line.product_id)?;
            Some(CartLineView {
                id: line.line_id,
                product_id: line.product_id,
                name: lang.pick(&product.name_ar, &product.name_en).to_owned(),
                name_ar: staff.then(|| product.name_ar.clone()),
                name_en: staff.then(|| product.name_en.clone()),
                cover: cover(product),
                quantity: line.quantity,
                item_price: line.added_price,
                total_price: times(line.added_price, line.quantity),
            })
        })
        .collect();
    CartView {
        id: cart.id,
        user: cart.user_id,
        final_price: Money::from_minor(products.iter().map(|l| l.total_price.minor()).sum()),
        products,
        created_at: iso_millis(cart.created_at),
        updated_at: iso_millis(cart.updated_at),
    }
}

/// One line of the draft cart, at the product's current final price.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftLineView {
    #[serde(rename = "_id")]
    pub id: Id,
    pub product_id: Id,
    pub name: String,
    pub cover: Option<String>,
    pub quantity: u32,
    pub item_price: Money,
    pub total_price: Money,
    /// Why it left the active cart; `null` when the client put it here.
    pub reason: Option<DraftReason>,
}

/// The draft cart ("collection"): no `finalPrice`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftView {
    #[serde(rename = "_id")]
    pub id: Id,
    pub user: Id,
    pub products: Vec<DraftLineView>,
    pub created_at: String,
    pub updated_at: String,
}

/// The draft cart; lines of products deleted since are left out.
pub fn draft(catalog: &Catalog, cart: &DraftCart, lang: Lang, now_secs: i64) -> DraftView {
    DraftView {
        id: cart.id,
        user: cart.user_id,
        products: cart
            .lines
            .iter()
            .filter_map(|line| {
                let product = catalog.product(&line.product_id)?;
                let price = catalog.final_price(product, now_secs);
                Some(DraftLineView {
                    id: line.line_id,
                    product_id: line.product_id,
                    name: lang.pick(&product.name_ar, &product.name_en).to_owned(),
                    cover: cover(product),
                    quantity: line.quantity,
                    item_price: price,
                    total_price: times(price, line.quantity),
                    reason: line.reason,
                })
            })
            .collect(),
        created_at: iso_millis(cart.created_at),
        updated_at: iso_millis(cart.updated_at),
    }
}

/// A non-empty cart in the staff list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffCartItem {
    #[serde(rename = "_id")]
    pub id: Id,
    /// `{_id, fullName, email}` and nothing else of the user; `null` for an account deleted since.
    pub user: Option<UserSummary>,
    pub final_price: Money,
    pub products_count: usize,
}

/// A staff list row: the cart at its lines' current prices (what it would cost now).
pub fn staff_cart_item(
    catalog: &Catalog,
    cart: &ActiveCart,
    user: Option<UserSummary>,
    now_secs: i64,
) -> StaffCartItem {
    let total = cart
        .lines
        .iter()
        .filter_map(|l| {
            let product = catalog.product(&l.product_id)?;
            Some(times(catalog.final_price(product, now_secs), l.quantity).minor())
        })
        .sum();
    StaffCartItem {
        id: cart.id,
        user,
        final_price: Money::from_minor(total),
        products_count: cart.lines.len(),
    }
}

/// An order in the client's list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderListItem {
    #[serde(rename = "_id")]
    pub id: Id,
    pub final_price: Money,
    pub status: OrderStatus,
    pub created_at: String,
}

pub fn order_list_item(order: &Order) -> OrderListItem {
    OrderListItem {
        id: order.id,
        final_price: order.final_price,
        status: order.status,
        created_at: iso_millis(order.created_at),
    }
}

/// An order in the staff list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffOrderItem {
    #[serde(rename = "_id")]
    pub id: Id,
    /// `{_id, fullName, email}` and nothing else of the user (Belta sent the whole user document); for
    /// an account deleted since, `{_id, fullName: "Deleted user", email: "", deleted: true}`.
    pub user: UserSummary,
    pub products_count: usize,
    pub final_price: Money,
    pub status: OrderStatus,
    pub created_at: String,
}

pub fn staff_order_item(order: &Order, user: UserSummary) -> StaffOrderItem {
    StaffOrderItem {
        id: order.id,
        user,
        products_count: order.lines.len(),
        final_price: order.final_price,
        status: order.status,
        created_at: iso_millis(order.created_at),
    }
}

/// One product of an order, at the price paid.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineView {
    pub product_id: Id,
    pub name: String,
    /// Staff views only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub item_price: Money,
    pub quantity: u32,
    pub total_price: Money,
    pub cover: Option<String>,
}

/// Who placed an order: the client's own id, or (staff) `{_id, fullName, email}`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OrderUser {
    Id(Id),
    /// Also for an account deleted since: its former id, "Deleted user", no email.
    Summary(UserSummary),
}

/// One order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    #[serde(rename = "_id")]
    pub id: Id,
    pub user: OrderUser,
    pub final_price: Money,
    pub status: OrderStatus,
    pub created_at: String,
    pub updated_at: String,
    pub products: Vec<OrderLineView>,
}

fn order_line(line: &OrderLine, lang: Lang, staff: bool) -> OrderLineView {
    OrderLineView {
        product_id: line.product_id,
        name: lang.pick(&line.name_ar, &line.name_en).to_owned(),
        name_ar: staff.then(|| line.name_ar.clone()),
        name_en: staff.then(|| line.name_en.clone()),
        item_price: line.item_price,
        quantity: line.quantity,
        total_price: line.total(),
        cover: line.cover.clone(),
    }
}

/// The order for its client (`user` is their id), or for staff with `Some(summary)`.
pub fn order(order: &Order, lang: Lang, staff: Option<UserSummary>) -> OrderView {
    let is_staff = staff.is_some();
    OrderView {
        id: order.id,
        user: match staff {
            Some(summary) => OrderUser::Summary(summary),
            None => OrderUser::Id(order.user_id),
        },
        final_price: order.final_price,
        status: order.status,
        created_at: iso_millis(order.created_at),
        updated_at: iso_millis(order.updated_at),
        products: order
            .lines
            .iter()
            .map(|l| order_line(l, lang, is_staff))
            .collect(),
    }
}

/// `{url}`: where the browser pays.
#[derive(Serialize, ToSchema)]
pub struct CheckoutSessionView {
    pub url: String,
}
