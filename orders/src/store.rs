//! The data access of carts, checkouts and orders: the only code that builds their keys and
//! expressions.
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | active cart | `USER#<uid>` | `CART#ACTIVE` | id, userId, lines `[{lineId, productId, quantity, addedPrice}]`, rev, createdAt, updatedAt; while non-empty also `GSI1PK=CARTS`, `GSI1SK=<userId>` (the staff list) |
//! | draft cart | `USER#<uid>` | `CART#DRAFT` | id, userId, lines `[{lineId, productId, quantity, reason}]`, rev, createdAt, updatedAt |
//! | checkout | `CHECKOUT#<provider session id>` | `CHECKOUT` | sessionId, userId, lines at checkout prices, total, status `open`/`placed`/`failed`, orderId, createdAt, expiresAt (TTL) |
//! | order | `USER#<uid>` | `ORDER#<orderId>` | id, userId, lines at checkout prices, finalPrice, status, checkoutSession, paymentIntent, rev, createdAt, updatedAt; `GSI1PK=ORDERS`, `GSI1SK=<orderId>` |
//! | offer use | `USER#<uid>` | `OFFERUSE#<offerId>` | `units`: how many units of the offer the client bought (its `maxPerClient`) |
//!
//! A client's carts are read together with one consistent Query (`begins_with(SK, "CART#")`). Every
//! cart write is conditioned on the `rev` that was read, so two tabs never overwrite each other. Order
//! ids are time-ordered, so `GSI1SK=<orderId>` lists orders newest first. GSI1 is only eventually
//! consistent: the staff lists read through it, and a staff read of one order uses it only to find the
//! owner, then reads the order itself consistently.
//!
//! Placing an order ([`OrdersStore::place`]) is one transaction: the checkout `open -> placed`, the
//! order, the cart without what was bought, and, through the catalogue's own [`Change`]s, each
//! product's stock, each offer's units and the catalogue version. Any condition failing cancels all of
//! it, and the cancellation reasons say which line was short.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, Put, TransactWriteItem, Update},
};
use catalog::{
    index::Catalog,
    store::{Change, commit},
};
use serde::{Serialize, de::DeserializeOwned};
use shared::{
    Id,
    clock::now_millis,
    db::{
        Key, StoreError, StoreResultExt, get_record,
        keys::{GSI1, GSI1PK, GSI1SK, PK, SK},
        query_all, query_index_all,
    },
};

use crate::{
    cart::{Carts, Changed, without_bought},
    model::{ActiveCart, Cart, Checkout, DraftCart, Order, OrderStatus},
};

const ACTIVE_CART: &str = "CART#ACTIVE";
const DRAFT_CART: &str = "CART#DRAFT";
const ORDER_PREFIX: &str = "ORDER#";
const OFFER_USE_PREFIX: &str = "OFFERUSE#";
const CARTS_INDEX: &str = "CARTS";
const ORDERS_INDEX: &str = "ORDERS";

fn user_partition(user: &Id) -> String {
    format!("USER#{user}")
}

fn order_key(user: &Id, order: &Id) -> Key {
    Key::new(user_partition(user), format!("{ORDER_PREFIX}{order}"))
}

fn checkout_key(session: &str) -> Key {
    Key::new(format!("CHECKOUT#{session}"), "CHECKOUT")
}

fn offer_use_key(user: &Id, offer: &Id) -> Key {
    Key::new(user_partition(user), format!("{OFFER_USE_PREFIX}{offer}"))
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn to_item(
    record: &impl Serialize,
    key: Key,
    index: Option<(&str, String)>,
) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(record).expect("records serialize to maps");
    item.extend(key.to_attributes());
    if let Some((partition, sort)) = index {
        item.insert(GSI1PK.into(), s(partition));
        item.insert(GSI1SK.into(), s(sort));
    }
    item
}

fn from_item<T: DeserializeOwned>(
    item: HashMap<String, AttributeValue>,
    what: &str,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("Malformed item for {what}: {e}")))
}

/// The write of a cart that was read at `cart.rev`: the next revision, conditioned on the stored one
/// (or on there being none, for a cart never stored).
fn cart_put<L: Serialize>(table: &str, cart: &Cart<L>, sort_key: &str, indexed: bool) -> Put {
    let mut next = to_item(
        cart,
        Key::new(user_partition(&cart.user_id), sort_key),
        indexed.then(|| (CARTS_INDEX, cart.user_id.to_string())),
    );
    next.insert("rev".into(), n(cart.rev as i64 + 1));
    let put = Put::builder().table_name(table).set_item(Some(next));
    let put = if cart.is_stored() {
        put.condition_expression("rev = :rev")
            .expression_attribute_values(":rev", n(cart.rev as i64))
    } else {
        put.condition_expression("attribute_not_exists(PK)")
    };
    put.build().expect("table and item are set")
}

fn active_put(table: &str, cart: &ActiveCart) -> Put {
    cart_put(table, cart, ACTIVE_CART, !cart.lines.is_empty())
}

fn draft_put(table: &str, cart: &DraftCart) -> Put {
    cart_put(table, cart, DRAFT_CART, false)
}

fn transact_put(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

/// Carts and orders brought over from Belta (`ops import-belta`), as this store keys and indexes them.
pub mod imported {
    use super::*;

    pub fn active_cart(cart: &ActiveCart) -> HashMap<String, AttributeValue> {
        to_item(
            cart,
            Key::new(user_partition(&cart.user_id), ACTIVE_CART),
            (!cart.lines.is_empty()).then(|| (CARTS_INDEX, cart.user_id.to_string())),
        )
    }

    pub fn draft_cart(cart: &DraftCart) -> HashMap<String, AttributeValue> {
        to_item(
            cart,
            Key::new(user_partition(&cart.user_id), DRAFT_CART),
            None,
        )
    }

    pub fn order(order: &Order) -> HashMap<String, AttributeValue> {
        to_item(
            order,
            order_key(&order.user_id, &order.id),
            Some((ORDERS_INDEX, order.id.to_string())),
        )
    }
}

/// Why a cart write did not apply.
#[derive(Debug, thiserror::Error)]
pub enum CartWriteError {
    /// The cart changed since it was read (another tab, an order placed): read again and retry.
    #[error("the cart changed since it was read")]
    Changed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one line of an order needs from the catalogue, and which of its writes failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// Too few left (or the product was disabled or deleted).
    Stock,
    /// The offer has fewer units left than the line.
    OfferQuantity,
    /// The client would pass the offer's `maxPerClient`.
    PerClient,
}

/// Why an order was not placed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// The checkout is no longer open: it was placed (`Placed` with its order) or failed already.
    #[error("the checkout is {0:?} already")]
    NotOpen(Checkout),
    /// These lines (index into the checkout's lines) could not be had.
    #[error("some lines are short: {0:?}")]
    Short(Vec<(usize, Shortfall)>),
    /// The cart changed under the placement; read it again and retry.
    #[error("the cart changed")]
    CartChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A status change that did not apply.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The order moved on (or a product or offer to give back changed) since it was read.
    #[error("the order changed since it was read")]
    Changed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Carts, checkouts and orders in the table.
#[derive(Clone)]
pub struct OrdersStore {
    db: Client,
    table: String,
}

impl OrdersStore {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        OrdersStore {
            db,
            table: table.into(),
        }
    }

    /// The deletes of the user's carts, as items of a transaction another store commits (an account's
    /// deletion). Orders and offer uses stay: they keep only the user's id, which then leads to no one.
    pub fn erase_carts_in_transaction(&self, user: &Id) -> Vec<TransactWriteItem> {
        [ACTIVE_CART, DRAFT_CART]
            .into_iter()
            .map(|sort_key| {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(
                        Key::new(user_partition(user), sort_key).to_attributes(),
                    ))
                    .build()
                    .expect("table and key are set");
                TransactWriteItem::builder().delete(delete).build()
            })
            .collect()
    }

    /// The client's active and draft carts, both read by one consistent Query; an absent cart is
    /// empty and not stored yet.
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn carts(&self, user: &Id) -> Result<Carts, StoreError> {
        let output = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :carts)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(user_partition(user)))
            .expression_attribute_values(":carts", s("CART#"))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to load the carts")?;
        let now = now_millis();
        let mut carts = Carts {
            active: Cart::empty(*user, now),
            draft: Cart::empty(*user, now),
        };
        for item in output.items.unwrap_or_default() {
            match item.get(SK).and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some(ACTIVE_CART) => carts.active = from_item(item, "a cart")?,
                Some(DRAFT_CART) => carts.draft = from_item(item, "a draft cart")?,
                _ => {}
            }
        }
        Ok(carts)
    }

    /// Writes the carts that `changed` names: one conditional PutItem for one cart, one transaction
    /// for both (a move between them is all or nothing). Their `rev`s move on in `carts`.
    #[tracing::instrument(skip_all)]
    pub async fn save_carts(
        &self,
        carts: &mut Carts,
        changed: Changed,
    ) -> Result<(), CartWriteError> {
        let table = &self.table;
        let result = match (changed.active, changed.draft) {
            (false, false) => return Ok(()),
            (true, true) => self
                .db
                .transact_write_items()
                .transact_items(transact_put(active_put(table, &carts.active)))
                .transact_items(transact_put(draft_put(table, &carts.draft)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| StoreError::from_transaction(e, "Failed to save the carts")),
            (active, _) => {
                let put = if active {
                    active_put(table, &carts.active)
                } else {
                    draft_put(table, &carts.draft)
                };
                self.db
                    .put_item()
                    .table_name(table)
                    .set_item(Some(put.item))
                    .set_condition_expression(put.condition_expression)
                    .set_expression_attribute_values(put.expression_attribute_values)
                    .send()
                    .await
                    .map(|_| ())
                    .store_context("Failed to save a cart")
            }
        };
        match result {
            Ok(()) => {
                if changed.active {
                    carts.active.rev += 1;
                }
                if changed.draft {
                    carts.draft.rev += 1;
                }
                Ok(())
            }
            Err(StoreError::ConditionFailed | StoreError::TransactionCanceled(_)) => {
                Err(CartWriteError::Changed)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Every non-empty active cart (GSI1 `CARTS`, eventually consistent), in user id order.
    #[tracing::instrument(skip_all)]
    pub async fn active_carts(&self) -> Result<Vec<ActiveCart>, StoreError> {
        self.index(CARTS_INDEX, true, "carts").await
    }

    /// Every order, newest first (GSI1 `ORDERS`, eventually consistent).
    #[tracing::instrument(skip_all)]
    pub async fn all_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.index(ORDERS_INDEX, false, "orders").await
    }

    /// Every item of one GSI1 partition, all pages (eventually consistent, as indexes are).
    async fn index<T: DeserializeOwned>(
        &self,
        partition: &str,
        forward: bool,
        what: &str,
    ) -> Result<Vec<T>, StoreError> {
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(forward);
        query_index_all(query, what).await
    }

    /// The client's orders, newest first, read consistently (an order placed a moment ago is there).
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn orders_of(&self, user: &Id) -> Result<Vec<Order>, StoreError> {
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :orders)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(user_partition(user)))
            .expression_attribute_values(":orders", s(ORDER_PREFIX))
            .scan_index_forward(false);
        query_all(query, "orders").await
    }

    /// One of the client's own orders; someone else's is simply not under their partition.
    #[tracing::instrument(skip_all, fields(%user, %order))]
    pub async fn order(&self, user: &Id, order: &Id) -> Result<Option<Order>, StoreError> {
        get_record(&self.db, &self.table, &order_key(user, order), "an order").await
    }

    /// Any client's order (staff): GSI1 finds its owner, then the order itself is read consistently.
    #[tracing::instrument(skip_all, fields(%order))]
    pub async fn find_order(&self, order: &Id) -> Result<Option<Order>, StoreError> {
        let output = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk AND #sk = :id")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_names("#sk", GSI1SK)
            .expression_attribute_values(":pk", s(ORDERS_INDEX))
            .expression_attribute_values(":id", s(order.to_string()))
            .projection_expression("userId")
            .send()
            .await
            .store_context("Failed to find an order")?;
        let owner = output
            .items
            .unwrap_or_default()
            .into_iter()
            .find_map(|item| item.get("userId")?.as_s().ok()?.parse::<Id>().ok());
        match owner {
            Some(user) => self.order(&user, order).await,
            None => Ok(None),
        }
    }

    /// How many units of each offer the client has bought (`maxPerClient` counts them).
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn offer_uses(&self, user: &Id) -> Result<HashMap<Id, u64>, StoreError> {
        #[derive(serde::Deserialize)]
        struct OfferUse {
            #[serde(rename = "SK")]
            sk: String,
            units: u64,
        }
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :uses)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(user_partition(user)))
            .expression_attribute_values(":uses", s(OFFER_USE_PREFIX));
        let uses: Vec<OfferUse> = query_all(query, "offer uses").await?;
        Ok(uses
            .into_iter()
            .filter_map(|u| {
                let offer = u.sk.strip_prefix(OFFER_USE_PREFIX)?.parse().ok()?;
                Some((offer, u.units))
            })
            .collect())
    }

    /// Stores a new checkout (its provider session id is new).
    #[tracing::instrument(skip_all, fields(session = %checkout.session_id))]
    pub async fn create_checkout(&self, checkout: &Checkout) -> Result<(), StoreError> {
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(
                checkout,
                checkout_key(&checkout.session_id),
                None,
            )))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .store_context("Failed to save a checkout")?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn checkout(&self, session: &str) -> Result<Option<Checkout>, StoreError> {
        get_record(&self.db, &self.table, &checkout_key(session), "a checkout").await
    }

    /// Marks an open checkout failed; `false` when it was not open any more (someone else decided).
    #[tracing::instrument(skip_all)]
    pub async fn fail_checkout(&self, session: &str) -> Result<bool, StoreError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(checkout_key(session).to_attributes()))
            .update_expression("SET #status = :failed")
            .condition_expression("#status = :open")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":open", s("open"))
            .send()
            .await
            .store_context("Failed to mark a checkout failed");
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Places the order of an open, paid checkout in one transaction (see the module docs): the
    /// checkout `open -> placed`, the order, `cart` without what was bought, each line's stock, offer
    /// units and the client's use of the offer, and the catalogue version. `catalog` supplies the
    /// offers' current `offerQuantity`.
    #[tracing::instrument(skip_all, fields(session = %checkout.session_id))]
    pub async fn place(
        &self,
        checkout: &Checkout,
        payment_intent: Option<String>,
        cart: &ActiveCart,
        catalog: &Catalog,
    ) -> Result<Order, PlaceError> {
        let table = &self.table;
        let now = now_millis();
        let order = Order {
            id: Id::new(),
            user_id: checkout.user_id,
            lines: checkout.lines.clone(),
            final_price: checkout.total,
            status: OrderStatus::Confirmed,
            checkout_session: checkout.session_id.clone(),
            payment_intent,
            rev: 1,
            created_at: now,
            updated_at: now,
        };
        let bought: Vec<(Id, u32)> = order
            .lines
            .iter()
            .map(|l| (l.product_id, l.quantity))
            .collect();
        let mut items = vec![
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(checkout_key(&checkout.session_id).to_attributes()))
                        .update_expression("SET #status = :placed, orderId = :order")
                        .condition_expression("#status = :open")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":placed", s("placed"))
                        .expression_attribute_values(":open", s("open"))
                        .expression_attribute_values(":order", s(order.id.to_string()))
                        .build()
                        .expect("table, key and expressions are set"),
                )
                .build(),
            transact_put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(to_item(
                        &order,
                        order_key(&order.user_id, &order.id),
                        Some((ORDERS_INDEX, order.id.to_string())),
                    )))
                    .condition_expression("attribute_not_exists(PK)")
                    .build()
                    .expect("table and item are set"),
            ),
            transact_put(active_put(table, &without_bought(cart, &bought))),
        ];
        const CHECKOUT: usize = 0;
        const CART: usize = 2;
        const LINES_FROM: usize = 3;
        // What each further item stands for: (line, what its condition guards).
        let mut meaning = Vec::new();
        let mut short = Vec::new();
        let mut changed = Vec::new();
        let mut push = |items: &mut Vec<TransactWriteItem>, change: Change| {
            changed.push(change.key());
            items.push(change.into_transact_item(table));
        };
        for (index, line) in order.lines.iter().enumerate() {
            let units = u64::from(line.quantity);
            push(&mut items, Change::take_stock(line.product_id, units));
            meaning.push((index, Shortfall::Stock));
            let Some(offer) = line.offer_id.and_then(|id| catalog.offer(&id)) else {
                continue;
            };
            push(&mut items, Change::consume_offer(offer, units));
            meaning.push((index, Shortfall::OfferQuantity));
            let limit = u64::from(offer.max_per_client);
            if units > limit {
                short.push((index, Shortfall::PerClient));
            }
            items.push(offer_use(
                table,
                &order.user_id,
                &offer.id,
                units as i64,
                Some(limit),
            ));
            meaning.push((index, Shortfall::PerClient));
        }
        if !short.is_empty() {
            return Err(PlaceError::Short(short));
        }
        let result = commit(
            &self.db,
            table,
            items,
            &changed,
            None,
            "Failed to place an order",
        )
        .await;
        let error = match result {
            Ok(_) => return Ok(order),
            Err(error) => error,
        };
        if error.failed_condition_at(CHECKOUT) {
            let current = self
                .checkout(&checkout.session_id)
                .await?
                .ok_or_else(|| StoreError::Other(anyhow::anyhow!("a checkout vanished")))?;
            return Err(PlaceError::NotOpen(current));
        }
        let short: Vec<(usize, Shortfall)> = meaning
            .iter()
            .enumerate()
            .filter(|(i, _)| error.failed_condition_at(LINES_FROM + i))
            .map(|(_, m)| *m)
            .collect();
        if !short.is_empty() {
            return Err(PlaceError::Short(short));
        }
        if error.failed_condition_at(CART) {
            return Err(PlaceError::CartChanged);
        }
        Err(error.into())
    }

    /// Moves a confirmed order to `next`, conditioned on the status and `rev` that were read. A
    /// cancellation gives back, in the same transaction, each line's stock, its offer units and the
    /// client's use of the offer (of products and offers that still exist in `catalog`).
    #[tracing::instrument(skip_all, fields(order = %order.id, ?next))]
    pub async fn set_status(
        &self,
        order: &Order,
        next: OrderStatus,
        catalog: &Catalog,
    ) -> Result<Order, StatusError> {
        let table = &self.table;
        let mut updated = order.clone();
        updated.status = next;
        updated.rev += 1;
        updated.updated_at = now_millis();
        let mut items = vec![
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(order_key(&order.user_id, &order.id).to_attributes()))
                        .update_expression("SET #status = :next, rev = :rev, updatedAt = :now")
                        .condition_expression("#status = :confirmed AND rev = :read")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":next", s(status_name(next)))
                        .expression_attribute_values(":confirmed", s("confirmed"))
                        .expression_attribute_values(":rev", n(updated.rev as i64))
                        .expression_attribute_values(":read", n(order.rev as i64))
                        .expression_attribute_values(":now", n(updated.updated_at))
                        .build()
                        .expect("table, key and expressions are set"),
                )
                .build(),
        ];
        let mut changed = Vec::new();
        if next == OrderStatus::Cancelled {
            let mut push = |items: &mut Vec<TransactWriteItem>, change: Change| {
                changed.push(change.key());
                items.push(change.into_transact_item(table));
            };
            for line in &order.lines {
                let units = u64::from(line.quantity);
                if catalog.product(&line.product_id).is_some() {
                    push(&mut items, Change::return_stock(line.product_id, units));
                }
                if let Some(offer) = line.offer_id.filter(|id| catalog.offer(id).is_some()) {
                    push(&mut items, Change::release_offer(offer, units));
                }
                if let Some(offer) = line.offer_id {
                    items.push(offer_use(
                        table,
                        &order.user_id,
                        &offer,
                        -(units as i64),
                        None,
                    ));
                }
            }
        }
        let context = "Failed to change an order";
        let result = if changed.is_empty() {
            self.db
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
                .map(drop)
                .map_err(|e| StoreError::from_transaction(e, context))
        } else {
            // Stock and offer units come back: the catalogue moves on with them.
            commit(&self.db, table, items, &changed, None, context).await
        };
        result.map_err(|e| match e {
            StoreError::TransactionCanceled(_) => StatusError::Changed,
            other => other.into(),
        })?;
        Ok(updated)
    }
}

fn status_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Confirmed => "confirmed",
        OrderStatus::Delivered => "delivered",
        OrderStatus::Cancelled => "cancelled",
    }
}

/// Moves the client's count of units bought at an offer's price by `delta`; with a `limit` (at least
/// `delta`, which the caller checks), only while the count stays within it.
fn offer_use(
    table: &str,
    user: &Id,
    offer: &Id,
    delta: i64,
    limit: Option<u64>,
) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(offer_use_key(user, offer).to_attributes()))
        .update_expression("ADD units :delta")
        .expression_attribute_values(":delta", n(delta));
    let update = match limit {
        Some(limit) => update
            .condition_expression("attribute_not_exists(units) OR units <= :room")
            .expression_attribute_values(":room", n(limit as i64 - delta)),
        None => update,
    };
    TransactWriteItem::builder()
        .update(update.build().expect("table, key and expression are set"))
        .build()
}
