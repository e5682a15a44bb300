//! Catalogue logic shared by the catalogue functions (issue 4): search matching and offer pricing.
//! Pure functions, no I/O: the read model calls them on its in-memory snapshot.

pub mod pricing;
pub mod search;
