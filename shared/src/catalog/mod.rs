//! Catalogue logic shared by the catalogue functions (issue 4): search matching and offer pricing (pure
//! functions the read model runs on its in-memory snapshot), and the versioned snapshot itself.

pub mod pricing;
pub mod search;
pub mod snapshot;
