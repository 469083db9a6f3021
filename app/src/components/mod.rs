mod bulk_dialog;
mod console;
mod coordinators_tab;
mod error_banner;
mod focus;
mod products_tab;

pub use console::Console;
pub use coordinators_tab::CoordinatorsTab;
pub use error_banner::{ErrorBanner, OutcomeBanner};
pub use focus::focus_when_shown;
pub use products_tab::ProductsTab;
