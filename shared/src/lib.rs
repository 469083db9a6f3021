//! Domain types and rules of Seatkeeper, shared by the server and the browser. No I/O here: every
//! function is pure and unit-tested, and both sides validate with the same code.

pub mod audit;
pub mod bulk_add;
pub mod coordinators;
pub mod email;
pub mod field;
pub mod history;
pub mod names;
pub mod people;
pub mod products;
pub mod shipping;
pub mod text;
pub mod time;
pub mod viewer;

pub use email::Email;
pub use field::{FieldError, FieldErrors};
pub use names::PersonName;
pub use viewer::{Principal, Viewer};
