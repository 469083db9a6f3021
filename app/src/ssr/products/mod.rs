//! The store of the Products tab (R2, R3, R8-R11, R23, R24): the filtered, sorted page of a
//! contract's serials (`page`, served through the exact cache of `cache`), bulk actions over a
//! selection (`bulk`) and their undo (`undo`). Who may do what is decided in `authz`; every
//! statement is set-based.

mod bulk;
mod cache;
mod filter;
mod page;
mod undo;

pub use bulk::{apply, preview};
pub use cache::ListCache;
pub use page::{coordinators_of, managed_contracts, products_page, products_page_cached, search_people, ContractSummaryRow};
pub use undo::undo;
