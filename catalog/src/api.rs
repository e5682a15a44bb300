//! The platform's route table ([`shared::api`]) over the catalogue's state: what every catalogue
//! route module declares its routes with.

pub use shared::api::Op;

/// A catalogue function's routes and their documentation.
pub type Api = shared::api::Api<crate::CatalogState>;
