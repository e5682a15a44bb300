//! The stored records of carts, checkouts and orders, as they sit in the table (one item each, keyed by
//! [`crate::store`]). Prices are exact ([`Money`]); times are Unix milliseconds unless named `_secs`.

use serde::{Deserialize, Serialize};
use shared::{Id, Money};

/// One product in the active cart, at the final price it had when it was added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    pub line_id: Id,
    pub product_id: Id,
    pub quantity: u32,
    /// The product's final price when the line was added (or last grew): a different price now moves
    /// the line to the draft cart, so the client never pays a price it did not see.
    pub added_price: Money,
}

/// Why a line left the active cart for the draft cart (`null` for a line the client put there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftReason {
    PriceChange,
    OutOfStock,
}

/// One product in the draft cart ("collection" in the store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftLine {
    pub line_id: Id,
    pub product_id: Id,
    pub quantity: u32,
    #[serde(default)]
    pub reason: Option<DraftReason>,
}

/// A cart of either kind: its lines, and a `rev` every write conditions on and moves on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cart<L> {
    pub id: Id,
    pub user_id: Id,
    pub lines: Vec<L>,
    /// 0 for a cart not stored yet; a write expects the stored item to have exactly this `rev`.
    pub rev: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub type ActiveCart = Cart<CartLine>;
pub type DraftCart = Cart<DraftLine>;

impl<L> Cart<L> {
    /// An empty cart of `user`, not stored yet (`rev` 0).
    pub fn empty(user_id: Id, now_millis: i64) -> Self {
        Cart {
            id: Id::new(),
            user_id,
            lines: Vec::new(),
            rev: 0,
            created_at: now_millis,
            updated_at: now_millis,
        }
    }

    /// Whether it is stored (a write then conditions on its `rev`, else on its absence).
    pub fn is_stored(&self) -> bool {
        self.rev > 0
    }
}

/// One product of a checkout or an order, with what it cost at checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product_id: Id,
    /// The offer whose price this is, which counts the units against its limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<Id>,
    pub name_ar: String,
    pub name_en: String,
    #[serde(default)]
    pub cover: Option<String>,
    pub item_price: Money,
    pub quantity: u32,
}

impl OrderLine {
    pub fn total(&self) -> Money {
        Money::from_minor(self.item_price.minor() * i64::from(self.quantity))
    }
}

/// The sum of the lines' totals.
pub fn total(lines: &[OrderLine]) -> Money {
    Money::from_minor(lines.iter().map(|l| l.total().minor()).sum())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckoutStatus {
    /// Waiting for the payment.
    Open,
    /// Its order exists (`orderId`).
    Placed,
    /// Paid, but a product ran out (or an offer's limit was reached) before the order could be placed;
    /// the payment was refunded.
    Failed,
}

/// A checkout session: what the client is paying for, fixed when the provider's session was created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkout {
    /// The payment provider's session id.
    pub session_id: String,
    pub user_id: Id,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub status: CheckoutStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Id>,
    pub created_at: i64,
    /// Unix seconds; the item's TTL, long after the provider's session has expired.
    pub expires_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Confirmed,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const NAMES: &'static [&'static str] = &["confirmed", "delivered", "cancelled"];

    /// Staff may mark a confirmed order delivered or cancel it; nothing else moves.
    pub fn can_become(self, next: OrderStatus) -> bool {
        self == OrderStatus::Confirmed && next != OrderStatus::Confirmed
    }
}

/// A placed (paid) order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: Id,
    pub user_id: Id,
    pub lines: Vec<OrderLine>,
    pub final_price: Money,
    pub status: OrderStatus,
    /// The provider's checkout session that paid for it.
    pub checkout_session: String,
    /// What a refund names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    pub rev: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_confirmed_order_moves_and_only_forward() {
        use OrderStatus::*;
        assert!(Confirmed.can_become(Delivered));
        assert!(Confirmed.can_become(Cancelled));
        for (from, to) in [
            (Confirmed, Confirmed),
            (Delivered, Cancelled),
            (Cancelled, Delivered),
            (Delivered, Confirmed),
            (Cancelled, Confirmed),
        ] {
            assert!(!from.can_become(to), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn totals_are_exact() {
        let line = |price, quantity| OrderLine {
            product_id: Id::new(),
            offer_id: None,
            name_ar: String::new(),
            name_en: String::new(),
            cover: None,
            item_price: Money::from_minor(price),
            quantity,
        };
        assert_eq!(total(&[line(1999, 3), line(1, 1)]), Money::from_minor(5998));
    }
}
