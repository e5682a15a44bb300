//! What a cart does, on the carts in memory (the store reads and writes them): adding and removing
//! products, the lines cap, and moving lines that can no longer be bought as they are to the draft
//! cart. Pure functions of the carts, the catalogue snapshot and the clock.
//!
//! # Why lines move when the cart is read
//! A line whose product's final price differs from the price it was added at, or whose product is out
//! of stock (fewer left than the line holds), disabled or deleted, moves to the draft cart with its
//! reason the next time the cart is read or written ([`Carts::reconcile`]). That is exact at the moment
//! it matters (the client sees the cart, or checks out) and needs no queue or stream consumer; reads
//! that find nothing to move write nothing. A stream consumer would move lines sooner, but the client
//! could only notice at its next read anyway, and it would have to write every cart holding a product
//! at each price change.

use catalog::{index::Catalog, model::Product};
use shared::{ApiError, FieldErrors, FieldIssue, Id, Msg, ProductProblem, clock::now_millis};

use crate::model::{ActiveCart, CartLine, DraftCart, DraftLine, DraftReason};

/// Lines per cart. Placing an order is one transaction of at most 100 items: the checkout, the order,
/// the cart, the catalogue version and its change log entry, plus per line the product's stock, the
/// offer and the client's use of it: 5 + 3 * 30 = 95.
pub const MAX_LINES: usize = 30;
/// Units per line.
pub const MAX_LINE_QUANTITY: u32 = 1_000;

/// A client's two carts, as read together.
#[derive(Clone, Debug)]
pub struct Carts {
    pub active: ActiveCart,
    pub draft: DraftCart,
}

/// Which carts an operation changed (and so must be written).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub active: bool,
    pub draft: bool,
}

impl Changed {
    pub fn any(self) -> bool {
        self.active || self.draft
    }
}

impl std::ops::BitOrAssign for Changed {
    fn bitor_assign(&mut self, other: Changed) {
        self.active |= other.active;
        self.draft |= other.draft;
    }
}

/// The `fields` entry that names a product a client cannot buy as asked.
pub fn product_issue(product: &Product, problem: ProductProblem) -> FieldIssue {
    FieldIssue::Product {
        name_ar: product.name_ar.clone(),
        name_en: product.name_en.clone(),
        problem,
    }
}

/// A 400 or 409 naming each product and what is wrong with it (`fields` keyed by product id).
pub fn unavailable(status: http::StatusCode, fields: FieldErrors) -> ApiError {
    ApiError::Rejected {
        status,
        msg: Msg::ProductsUnavailable,
        fields,
    }
}

/// Why the line cannot stay in the active cart now, if it cannot.
pub fn draft_reason(catalog: &Catalog, line: &CartLine, now_secs: i64) -> Option<DraftReason> {
    let product = catalog.product(&line.product_id);
    match product {
        None => Some(DraftReason::OutOfStock),
        Some(p) if p.disabled || p.quantity < u64::from(line.quantity) => {
            Some(DraftReason::OutOfStock)
        }
        Some(p) if catalog.final_price(p, now_secs) != line.added_price => {
            Some(DraftReason::PriceChange)
        }
        Some(_) => None,
    }
}

/// An enabled product of the catalogue, else 404.
fn buyable<'c>(catalog: &'c Catalog, id: &Id) -> Result<&'c Product, ApiError> {
    catalog
        .product(id)
        .filter(|p| !p.disabled)
        .ok_or(ApiError::NotFound(Msg::ProductNotFound))
}

fn quantity_range() -> FieldIssue {
    FieldIssue::Range {
        min: "1".into(),
        max: MAX_LINE_QUANTITY.to_string(),
    }
}

impl Carts {
    /// Moves every line that cannot stay to the draft cart, with its reason.
    pub fn reconcile(&mut self, catalog: &Catalog, now_secs: i64) -> Changed {
        let mut moved = Vec::new();
        self.active
            .lines
            .retain(|line| match draft_reason(catalog, line, now_secs) {
                Some(reason) => {
                    moved.push((line.product_id, line.quantity, reason));
                    false
                }
                None => true,
            });
        let changed = !moved.is_empty();
        for (product, quantity, reason) in moved {
            self.put_in_draft(product, quantity, Some(reason));
        }
        self.touch(Changed {
            active: changed,
            draft: changed,
        })
    }

    /// Adds a line to the draft cart (or grows the one for that product, taking the new reason). A move
    /// never fails: past [`MAX_LINES`], the oldest draft lines give way.
    fn put_in_draft(&mut self, product_id: Id, quantity: u32, reason: Option<DraftReason>) {
        let lines = &mut self.draft.lines;
        match lines.iter_mut().find(|l| l.product_id == product_id) {
            Some(line) => {
                line.quantity = line
                    .quantity
                    .saturating_add(quantity)
                    .min(MAX_LINE_QUANTITY);
                line.reason = reason;
            }
            None => lines.push(DraftLine {
                line_id: Id::new(),
                product_id,
                quantity,
                reason,
            }),
        }
        if lines.len() > MAX_LINES {
            lines.drain(..lines.len() - MAX_LINES);
        }
    }

    /// Adds `quantity` of a product to the active cart at its current final price: 404 for an unknown
    /// or disabled product, 400 when fewer are in stock than the line would hold or the cart is full.
    pub fn add(
        &mut self,
        catalog: &Catalog,
        product_id: Id,
        quantity: u32,
        now_secs: i64,
    ) -> Result<Changed, ApiError> {
        let product = buyable(catalog, &product_id)?;
        let price = catalog.final_price(product, now_secs);
        let lines = &mut self.active.lines;
        let position = lines.iter().position(|l| l.product_id == product_id);
        let held = position.map_or(0, |i| lines[i].quantity);
        let wanted = held.saturating_add(quantity);
        if wanted > MAX_LINE_QUANTITY {
            return Err(FieldErrors::single("quantity", quantity_range()).into());
        }
        if product.quantity < u64::from(wanted) {
            let problem = ProductProblem::OutOfStock {
                available: product.quantity,
            };
            let fields =
                FieldErrors::single(product_id.to_string(), product_issue(product, problem));
            return Err(unavailable(http::StatusCode::BAD_REQUEST, fields));
        }
        match position {
            Some(i) => {
                lines[i].quantity = wanted;
                lines[i].added_price = price;
            }
            None if lines.len() >= MAX_LINES => return Err(ApiError::BadRequest(Msg::CartFull)),
            None => lines.push(CartLine {
                line_id: Id::new(),
                product_id,
                quantity,
                added_price: price,
            }),
        }
        Ok(self.touch(Changed {
            active: true,
            draft: false,
        }))
    }

    /// Adds several products the way a returning guest's cart (or an order again) should land: what
    /// can be bought goes to the active cart; what cannot (too few in stock, a full cart) goes to the
    /// draft cart, so nothing the client chose is lost; unknown or disabled products are skipped.
    pub fn add_many(
        &mut self,
        catalog: &Catalog,
        items: &[(Id, u32)],
        now_secs: i64,
    ) -> Result<Changed, ApiError> {
        let mut changed = Changed::default();
        for &(product_id, quantity) in items {
            if buyable(catalog, &product_id).is_err() {
                continue;
            }
            match self.add(catalog, product_id, quantity, now_secs) {
                Ok(c) => changed |= c,
                Err(ApiError::Validation(fields)) => return Err(ApiError::Validation(fields)),
                Err(error) => {
                    // The client chose it: a full cart is no reason, too few in stock is.
                    let reason = match error {
                        ApiError::BadRequest(Msg::CartFull) => None,
                        _ => Some(DraftReason::OutOfStock),
                    };
                    self.put_in_draft(product_id, quantity, reason);
                    changed |= self.touch(Changed {
                        active: false,
                        draft: true,
                    });
                }
            }
        }
        Ok(changed)
    }

    /// Takes `quantity` of a product out of the active cart, the whole line when it holds no more than
    /// that; 404 when the cart has no line for it.
    pub fn remove(&mut self, product_id: Id, quantity: u32) -> Result<Changed, ApiError> {
        remove_from(
            &mut self.active.lines,
            product_id,
            quantity,
            |l| &mut l.quantity,
            |l| l.product_id,
        )?;
        Ok(self.touch(Changed {
            active: true,
            draft: false,
        }))
    }

    /// Puts a product in the draft cart (no reason: the client chose it); 404 for an unknown or
    /// disabled product, 400 when the draft cart is full.
    pub fn add_to_draft(
        &mut self,
        catalog: &Catalog,
        product_id: Id,
        quantity: u32,
    ) -> Result<Changed, ApiError> {
        buyable(catalog, &product_id)?;
        let lines = &mut self.draft.lines;
        let full = lines.len() >= MAX_LINES;
        match lines.iter_mut().find(|l| l.product_id == product_id) {
            Some(line) => {
                let wanted = line.quantity.saturating_add(quantity);
                if wanted > MAX_LINE_QUANTITY {
                    return Err(FieldErrors::single("quantity", quantity_range()).into());
                }
                line.quantity = wanted;
                line.reason = None;
            }
            None if full => return Err(ApiError::BadRequest(Msg::CartFull)),
            None => lines.push(DraftLine {
                line_id: Id::new(),
                product_id,
                quantity,
                reason: None,
            }),
        }
        Ok(self.touch(Changed {
            active: false,
            draft: true,
        }))
    }

    /// Like [`Carts::add_many`], for the draft cart: unknown or disabled products are skipped.
    pub fn add_many_to_draft(
        &mut self,
        catalog: &Catalog,
        items: &[(Id, u32)],
    ) -> Result<Changed, ApiError> {
        let mut changed = Changed::default();
        for &(product_id, quantity) in items {
            match self.add_to_draft(catalog, product_id, quantity) {
                Ok(c) => changed |= c,
                Err(ApiError::NotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(changed)
    }

    pub fn remove_from_draft(
        &mut self,
        product_id: Id,
        quantity: u32,
    ) -> Result<Changed, ApiError> {
        remove_from(
            &mut self.draft.lines,
            product_id,
            quantity,
            |l| &mut l.quantity,
            |l| l.product_id,
        )?;
        Ok(self.touch(Changed {
            active: false,
            draft: true,
        }))
    }

    /// Sets `updatedAt` on what changed, and says what changed.
    fn touch(&mut self, changed: Changed) -> Changed {
        let now = now_millis();
        if changed.active {
            self.active.updated_at = now;
        }
        if changed.draft {
            self.draft.updated_at = now;
        }
        changed
    }
}

fn remove_from<L>(
    lines: &mut Vec<L>,
    product_id: Id,
    quantity: u32,
    quantity_of: impl Fn(&mut L) -> &mut u32,
    product_of: impl Fn(&L) -> Id,
) -> Result<(), ApiError> {
    let position = lines
        .iter()
        .position(|l| product_of(l) == product_id)
        .ok_or(ApiError::NotFound(Msg::ProductNotFound))?;
    let held = quantity_of(&mut lines[position]);
    if *held <= quantity {
        lines.remove(position);
    } else {
        *held -= quantity;
    }
    Ok(())
}

/// The active cart after an order bought `bought` (product, units) from it: those units leave their
/// lines, and lines left with none leave the cart. Lines added since the checkout stay.
pub fn without_bought(cart: &ActiveCart, bought: &[(Id, u32)]) -> ActiveCart {
    let mut next = cart.clone();
    for &(product_id, units) in bought {
        let _ = remove_from(
            &mut next.lines,
            product_id,
            units,
            |l| &mut l.quantity,
            |l| l.product_id,
        );
    }
    next.updated_at = now_millis();
    next
}

#[cfg(test)]
mod tests {
    use catalog::model::{Offer, Product};
    use shared::Money;

    use super::*;
    use crate::model::Cart;

    const NOW: i64 = 1_800_000_000;

    fn product(name: &str, price: i64, stock: u64) -> Product {
        let mut p = Product::new(0);
        p.name_en = name.into();
        p.name_ar = name.into();
        p.price = Money::from_minor(price);
        p.quantity = stock;
        p
    }

    fn carts() -> Carts {
        let user = Id::new();
        Carts {
            active: Cart::empty(user, 0),
            draft: Cart::empty(user, 0),
        }
    }

    fn catalog(products: Vec<Product>, offers: Vec<Offer>) -> Catalog {
        Catalog::build(Vec::new(), products, offers)
    }

    #[test]
    fn adding_merges_lines_at_the_current_price_and_respects_stock() {
        let coffee = product("Coffee", 1_000, 3);
        let catalog = catalog(vec![coffee.clone()], vec![]);
        let mut carts = carts();
        carts.add(&catalog, coffee.id, 2, NOW).unwrap();
        carts.add(&catalog, coffee.id, 1, NOW).unwrap();
        assert_eq!(carts.active.lines.len(), 1);
        assert_eq!(carts.active.lines[0].quantity, 3);
        assert_eq!(carts.active.lines[0].added_price, Money::from_minor(1_000));
        let error = carts.add(&catalog, coffee.id, 1, NOW).unwrap_err();
        assert_eq!(error.status(), http::StatusCode::BAD_REQUEST, "a 4th of 3");
        assert_eq!(
            carts.active.lines[0].quantity, 3,
            "unchanged after a refusal"
        );
        let missing = carts.add(&catalog, Id::new(), 1, NOW).unwrap_err();
        assert_eq!(missing.status(), http::StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_cart_holds_at_most_max_lines() {
        let products: Vec<Product> = (0..=MAX_LINES)
            .map(|i| product(&i.to_string(), 100, 5))
            .collect();
        let catalog = catalog(products.clone(), vec![]);
        let mut carts = carts();
        for p in &products[..MAX_LINES] {
            carts.add(&catalog, p.id, 1, NOW).unwrap();
        }
        let error = carts
            .add(&catalog, products[MAX_LINES].id, 1, NOW)
            .unwrap_err();
        assert!(
            matches!(error, ApiError::BadRequest(Msg::CartFull)),
            "{error:?}"
        );
        carts
            .add(&catalog, products[0].id, 1, NOW)
            .expect("an existing line may still grow");
    }

    #[test]
    fn lines_that_cannot_be_bought_as_they_are_move_to_the_draft_with_their_reason() {
        let (cheap, scarce, gone, off) = (
            product("Cheap", 1_000, 9),
            product("Scarce", 1_000, 9),
            product("Gone", 1_000, 9),
            product("Off", 1_000, 9),
        );
        let keep = product("Keep", 500, 9);
        let before = catalog(
            vec![
                cheap.clone(),
                scarce.clone(),
                gone.clone(),
                off.clone(),
                keep.clone(),
            ],
            vec![],
        );
        let mut carts = carts();
        for p in [&cheap, &scarce, &gone, &off, &keep] {
            carts.add(&before, p.id, 2, NOW).unwrap();
        }
        assert_eq!(
            carts.reconcile(&before, NOW),
            Changed::default(),
            "nothing moves"
        );

        let mut repriced = cheap.clone();
        repriced.price = Money::from_minor(900);
        let mut short = scarce.clone();
        short.quantity = 1;
        let mut disabled = off.clone();
        disabled.disabled = true;
        let after = catalog(vec![repriced, short, disabled, keep.clone()], vec![]);
        let changed = carts.reconcile(&after, NOW);
        assert!(changed.active && changed.draft);
        assert_eq!(carts.active.lines.len(), 1);
        assert_eq!(carts.active.lines[0].product_id, keep.id);
        let reason = |id: Id| {
            carts
                .draft
                .lines
                .iter()
                .find(|l| l.product_id == id)
                .unwrap()
                .reason
        };
        assert_eq!(reason(cheap.id), Some(DraftReason::PriceChange));
        assert_eq!(reason(scarce.id), Some(DraftReason::OutOfStock));
        assert_eq!(reason(gone.id), Some(DraftReason::OutOfStock), "deleted");
        assert_eq!(reason(off.id), Some(DraftReason::OutOfStock), "disabled");
    }

    #[test]
    fn a_guest_cart_lands_whole_what_cannot_be_bought_goes_to_the_draft() {
        let (plenty, short) = (product("Plenty", 100, 9), product("Short", 100, 1));
        let catalog = catalog(vec![plenty.clone(), short.clone()], vec![]);
        let mut carts = carts();
        let changed = carts
            .add_many(
                &catalog,
                &[(plenty.id, 2), (short.id, 3), (Id::new(), 1)],
                NOW,
            )
            .unwrap();
        assert!(changed.active && changed.draft);
        assert_eq!(carts.active.lines.len(), 1);
        assert_eq!(carts.draft.lines.len(), 1);
        assert_eq!(carts.draft.lines[0].reason, Some(DraftReason::OutOfStock));
    }

    #[test]
    fn removing_takes_units_then_the_line_and_an_order_takes_what_it_bought() {
        let coffee = product("Coffee", 100, 9);
        let tea = product("Tea", 100, 9);
        let catalog = catalog(vec![coffee.clone(), tea.clone()], vec![]);
        let mut carts = carts();
        carts.add(&catalog, coffee.id, 5, NOW).unwrap();
        carts.add(&catalog, tea.id, 1, NOW).unwrap();
        carts.remove(coffee.id, 2).unwrap();
        assert_eq!(carts.active.lines[0].quantity, 3);
        let after = without_bought(&carts.active, &[(coffee.id, 3), (tea.id, 1)]);
        assert!(after.lines.is_empty());
        carts.remove(coffee.id, 99).unwrap();
        assert!(carts.remove(coffee.id, 1).is_err(), "no line left");
    }
}
