//! The one place where database errors become `AppError`s: by SQLSTATE and constraint name, never by
//! message text; anything unexpected is logged with its cause and leaves only a reference id.

use crate::AppError;

/// Logs an unexpected fault and returns the opaque error the user sees.
pub fn internal(cause: impl std::fmt::Debug) -> AppError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(%reference, ?cause, "internal error");
    AppError::Internal(reference)
}

/// What a violated constraint means to the person who caused it.
fn constraint_message(constraint: &str) -> Option<AppError> {
    Some(match constraint {
        "people_company_email_key" => AppError::invalid("Email", "belongs to someone already known to your company"),
        "people_email_shape" => AppError::invalid("Email", "is not a valid email address"),
        "serial_numbers_group_name_length" => AppError::invalid("Group name", "is longer than 80 characters"),
        "shipping_locations_country_shape" => AppError::invalid("Country", "must be a two-letter ISO 3166-1 code"),
        // R7: one open request to change the CM per contract.
        "support_cases_one_open_manager_change" => AppError::Conflict(
            "There already is an open request to change the Contract Manager of this contract; your reseller will answer it first.".into(),
        ),
        _ => return None,
    })
}

/// Whether the error means "the database cannot be reached right now" rather than "this request is
/// wrong": the server answers 503 and serves again by itself once PostgreSQL is back.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        // 57P01-57P03: shutting down, crashed, not accepting connections yet; 08xxx: connection lost.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            tracing::warn!(%error, "database unavailable");
            return AppError::Unavailable;
        }
        match &error {
            sqlx::Error::RowNotFound => AppError::NotFound,
            sqlx::Error::Database(db) => {
                let mapped = db.constraint().and_then(constraint_message);
                match (mapped, db.code().as_deref()) {
                    (Some(mapped), _) => mapped,
                    // serialization failure / deadlock: somebody else changed the same rows
                    (None, Some("40001" | "40P01")) => AppError::Conflict(
                        "Someone else changed these records at the same moment. Reload and try again.".into(),
                    ),
                    // A safety net: text is checked before any query (shared::text), so this means a
                    // field that escaped its check; still the caller's input, not our fault.
                    (None, Some("22021" | "22P05")) => {
                        tracing::warn!(%error, "text with a NUL or unstorable character reached the database");
                        AppError::invalid("Text", "contains a character that cannot be stored (such as NUL)")
                    }
                    _ => internal(error),
                }
            }
            _ => internal(error),
        }
    }
}
