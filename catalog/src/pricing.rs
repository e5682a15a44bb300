//! A product's `finalPrice`: its price with the offer applied while the offer is live, never below the
//! product's `minPrice`, exact to the piaster.

use shared::money::Money;

/// How an offer discounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    /// A fraction of the price, in basis points (Belta's `value` 0.01 to 0.95 is 100 to 9500).
    Percent { basis_points: u32 },
    /// A fixed amount off.
    Fixed(Money),
}

impl Discount {
    /// Belta's `percent` `value` (a fraction 0.01 to 0.95, at most four decimals) as basis points.
    pub fn percent_from_fraction(fraction: f64) -> Option<Discount> {
        let basis_points = (fraction * 10_000.0).round();
        let exact = (fraction * 10_000.0 - basis_points).abs() < 1e-6;
        (exact && (100.0..=9_500.0).contains(&basis_points)).then_some(Discount::Percent {
            basis_points: basis_points as u32,
        })
    }
}

/// What decides whether an offer applies now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferTerms {
    pub discount: Discount,
    pub disabled: bool,
    /// Unix seconds; `None` means open-ended.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub offer_quantity: u32,
    pub quantity_purchased: u32,
}

impl OfferTerms {
    /// Enabled, inside its dates (start inclusive, end exclusive) and not sold out.
    pub fn is_live(&self, now: i64) -> bool {
        !self.disabled
            && self.starts_at.is_none_or(|start| now >= start)
            && self.ends_at.is_none_or(|end| now < end)
            && self.quantity_purchased < self.offer_quantity
    }
}

/// The price a customer pays now. A percent discount is rounded to the nearest piaster (halves away
/// from zero); the result is never below `min_price` nor below zero, and never above `price`.
pub fn final_price(price: Money, min_price: Money, offer: Option<&OfferTerms>, now: i64) -> Money {
    let Some(offer) = offer.filter(|o| o.is_live(now)) else {
        return price;
    };
    let discounted = match offer.discount {
        Discount::Percent { basis_points } => {
            let off = (price.minor() as i128 * basis_points as i128 + 5_000) / 10_000;
            price.minor() - off as i64
        }
        Discount::Fixed(amount) => price.minor() - amount.minor(),
    };
    let floor = min_price.minor().clamp(0, price.minor());
    Money::from_minor(discounted.max(floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn egp(units: f64) -> Money {
        Money::from_units(units).unwrap()
    }

    fn offer(discount: Discount) -> OfferTerms {
        OfferTerms {
            discount,
            disabled: false,
            starts_at: None,
            ends_at: None,
            offer_quantity: 10,
            quantity_purchased: 0,
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn percent_offers_are_exact_to_the_piaster() {
        let ten_percent = offer(Discount::percent_from_fraction(0.1).unwrap());
        assert_eq!(
            final_price(egp(199.99), Money::ZERO, Some(&ten_percent), NOW),
            egp(179.99),
            "19.999 off rounds to 20.00"
        );
        let third = offer(Discount::percent_from_fraction(0.3333).unwrap());
        assert_eq!(
            final_price(egp(10.0), Money::ZERO, Some(&third), NOW),
            egp(6.67)
        );
        let half = offer(Discount::percent_from_fraction(0.5).unwrap());
        assert_eq!(
            final_price(egp(0.03), Money::ZERO, Some(&half), NOW),
            egp(0.01),
            "1.5 piasters off rounds to 2"
        );
    }

    #[test]
    fn fixed_offers_subtract_and_never_go_below_min_price_or_zero() {
        let fifty_off = offer(Discount::Fixed(egp(50.0)));
        assert_eq!(
            final_price(egp(120.0), Money::ZERO, Some(&fifty_off), NOW),
            egp(70.0)
        );
        assert_eq!(
            final_price(egp(120.0), egp(80.0), Some(&fifty_off), NOW),
            egp(80.0),
            "floor"
        );
        assert_eq!(
            final_price(egp(30.0), Money::ZERO, Some(&fifty_off), NOW),
            Money::ZERO,
            "not negative"
        );
        assert_eq!(
            final_price(egp(30.0), egp(40.0), Some(&fifty_off), NOW),
            egp(30.0),
            "a min above the price never raises it"
        );
    }

    #[test]
    fn only_live_offers_discount() {
        let base = offer(Discount::Fixed(egp(10.0)));
        let price = egp(100.0);
        let cases = [
            (
                OfferTerms {
                    disabled: true,
                    ..base
                },
                "disabled",
            ),
            (
                OfferTerms {
                    starts_at: Some(NOW + 1),
                    ..base
                },
                "not started",
            ),
            (
                OfferTerms {
                    ends_at: Some(NOW),
                    ..base
                },
                "ended (end is exclusive)",
            ),
            (
                OfferTerms {
                    quantity_purchased: 10,
                    ..base
                },
                "sold out",
            ),
        ];
        for (terms, why) in cases {
            assert_eq!(
                final_price(price, Money::ZERO, Some(&terms), NOW),
                price,
                "{why}"
            );
        }
        let live = OfferTerms {
            starts_at: Some(NOW),
            ends_at: Some(NOW + 1),
            quantity_purchased: 9,
            ..base
        };
        assert_eq!(final_price(price, Money::ZERO, Some(&live), NOW), egp(90.0));
        assert_eq!(final_price(price, Money::ZERO, None, NOW), price);
    }

    #[test]
    fn belta_fractions_convert_within_bounds_only() {
        assert_eq!(
            Discount::percent_from_fraction(0.01),
            Some(Discount::Percent { basis_points: 100 })
        );
        assert_eq!(
            Discount::percent_from_fraction(0.95),
            Some(Discount::Percent {
                basis_points: 9_500
            })
        );
        for bad in [0.0, 0.009, 0.96, 1.0, 0.123_45, f64::NAN] {
            assert_eq!(Discount::percent_from_fraction(bad), None, "{bad}");
        }
    }
}
