mod bulk_dialog;
mod console;
mod error_banner;
mod products_tab;

pub use console::Console;
pub use error_banner::ErrorBanner;
pub use products_tab::ProductsTab;
