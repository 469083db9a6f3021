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
        _ => return None,
    })
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
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
                    _ => internal(error),
                }
            }
            _ => internal(error),
        }
    }
}
