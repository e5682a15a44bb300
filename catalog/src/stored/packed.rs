//! The snapshot object's layout: every record's fields in a fixed order, without their names.
//!
//! A fresh Lambda decodes the whole catalogue from it before its first answer, so the layout is made
//! for decoding: integers little-endian at full width, text as its length and its bytes, ids as their
//! 12 bytes, no field names, nothing to escape. JSON took most of a cold start at 50,000 products.
//!
//! [`packed!`] lists each record's fields once; it destructures and builds the record without `..`,
//! so a field added to a record and not here fails to compile instead of being lost. Any change to a
//! list (an added field, a new order) changes the layout: move [`super::FORMAT`] on with it.

use anyhow::{Context, bail};
use shared::{Id, Money};

use crate::{
    kind::Kind,
    model::{Counters, Entity, Offer, OfferType, Product},
};

/// A value written into, and read back from, the object.
pub trait Packed: Sized {
    fn pack(&self, out: &mut Vec<u8>);
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self>;
}

/// The bytes not read yet.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        if self.0.len() < n {
            bail!("the object ends early");
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> anyhow::Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    /// A length, checked against what is left so that a corrupt one cannot ask for a huge allocation.
    fn len(&mut self, item_size: usize) -> anyhow::Result<usize> {
        let len = u32::unpack(self)? as usize;
        if len.saturating_mul(item_size) > self.0.len() {
            bail!("a length of {len} is past the end of the object");
        }
        Ok(len)
    }
}

macro_rules! packed_numbers {
    ($($type:ty),*) => {$(
        impl Packed for $type {
            fn pack(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
                Ok(<$type>::from_le_bytes(input.array()?))
            }
        }
    )*};
}

packed_numbers!(u32, u64, i64, f64);

impl Packed for bool {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        match input.array::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            [other] => bail!("{other} is not a flag"),
        }
    }
}

impl Packed for String {
    fn pack(&self, out: &mut Vec<u8>) {
        (u32::try_from(self.len()).expect("a text under 4 GB")).pack(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        let len = input.len(1)?;
        let bytes = input.take(len)?;
        Ok(std::str::from_utf8(bytes)
            .context("a text that is not UTF-8")?
            .to_owned())
    }
}

impl Packed for Id {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        Ok(Id::from_bytes(input.array()?))
    }
}

impl Packed for Money {
    fn pack(&self, out: &mut Vec<u8>) {
        self.minor().pack(out);
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        Ok(Money::from_minor(i64::unpack(input)?))
    }
}

impl Packed for Kind {
    fn pack(&self, out: &mut Vec<u8>) {
        let at = Kind::ALL
            .iter()
            .position(|k| k == self)
            .expect("every kind is in ALL");
        out.push(at as u8);
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        let [at] = input.array()?;
        Kind::ALL
            .get(at as usize)
            .copied()
            .context("an unknown kind")
    }
}

impl Packed for OfferType {
    fn pack(&self, out: &mut Vec<u8>) {
        (*self == OfferType::Fixed).pack(out);
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        Ok(if bool::unpack(input)? {
            OfferType::Fixed
        } else {
            OfferType::Percent
        })
    }
}

impl<T: Packed> Packed for Option<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        self.is_some().pack(out);
        if let Some(value) = self {
            value.pack(out);
        }
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        Ok(if bool::unpack(input)? {
            Some(T::unpack(input)?)
        } else {
            None
        })
    }
}

impl<T: Packed> Packed for Vec<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        (u32::try_from(self.len()).expect("under 4 billion items")).pack(out);
        for item in self {
            item.pack(out);
        }
    }
    fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
        // Every item takes at least one byte.
        let len = input.len(1)?;
        (0..len).map(|_| T::unpack(input)).collect()
    }
}

/// [`Packed`] for a record, field by field in the order given.
macro_rules! packed {
    ($type:ident { $($field:ident),* $(,)? }) => {
        impl Packed for $type {
            fn pack(&self, out: &mut Vec<u8>) {
                let $type { $($field),* } = self;
                $($field.pack(out);)*
            }
            fn unpack(input: &mut Input<'_>) -> anyhow::Result<Self> {
                Ok($type { $($field: Packed::unpack(input)?),* })
            }
        }
    };
}

packed!(Entity {
    kind,
    id,
    name_ar,
    name_en,
    cover,
    color,
    category,
    disabled,
    employee_read_only,
    link_count,
    rev,
    created_at,
    updated_at,
});

packed!(Counters {
    rating,
    reviews,
    views_count,
    orders_count,
    purchase_count,
    return_count,
});

packed!(Product {
    id,
    name_ar,
    name_en,
    description_ar,
    description_en,
    cover_list,
    quantity,
    price,
    min_price,
    disabled,
    employee_read_only,
    brand,
    subcategory,
    labels,
    tags,
    offer,
    counters,
    rev,
    created_at,
    updated_at,
});

packed!(Offer {
    id,
    name_ar,
    name_en,
    product,
    offer_type,
    amount,
    offer_quantity,
    max_per_client,
    quantity_purchased,
    starts_at,
    ends_at,
    disabled,
    employee_read_only,
    rev,
    created_at,
    updated_at,
});
