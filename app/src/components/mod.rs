mod console;
mod error_banner;

pub use console::Console;
pub use error_banner::ErrorBanner;
