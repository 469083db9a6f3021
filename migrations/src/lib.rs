//! The schema of Seatkeeper as sqlx migrations, embedded so the server binary and the tests migrate
//! from the same files (`#[sqlx::test(migrator = "migrations::MIGRATOR")]`).

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./sql");
