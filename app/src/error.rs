//! The one error type every server function returns. Its text is always fit for the screen: internal
//! causes are logged on the server with a reference id, and only that id travels (STYLE.md, Errors).

use serde::{Deserialize, Serialize};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use shared::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// R25: a record of another company answers exactly as a missing one.
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("Something went wrong on our side (reference {0}). Nothing was changed.")]
    Internal(String),
    /// The database cannot be reached (down, restarting, or every connection busy): try again soon.
    #[error("The database is unavailable at the moment. Nothing was changed; please try again in a few seconds.")]
    Unavailable,
    /// The request itself could not be read (not JSON, a missing or mistyped argument): the text
    /// names the argument, e.g. "selection.Rows[0].version: invalid type".
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    /// The call itself failed: the network, or a request the server could not read.
    #[error("The server could not be reached or did not understand the request. Please try again.")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors(vec![shared::FieldError::new(field, message)]))
    }

    /// The HTTP status this refusal travels with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::Unauthenticated => S::UNAUTHORIZED,
            Self::Forbidden => S::FORBIDDEN,
            Self::NotFound => S::NOT_FOUND,
            Self::Conflict(_) => S::CONFLICT,
            Self::Invalid(_) => S::UNPROCESSABLE_ENTITY,
            Self::Transport(_) | Self::BadRequest(_) => S::BAD_REQUEST,
            Self::Internal(_) => S::INTERNAL_SERVER_ERROR,
            Self::Unavailable => S::SERVICE_UNAVAILABLE,
        }
    }
}

/// R23: a field's complaint is a 422 naming the field.
impl From<shared::FieldError> for AppError {
    fn from(error: shared::FieldError) -> Self {
        Self::Invalid(FieldErrors(vec![error]))
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::api::codec::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server: the body did not decode into the function's arguments.
            ServerFnErrorErr::Args(text) | ServerFnErrorErr::Deserialization(text) => Self::BadRequest(text),
            other => Self::Transport(other.to_string()),
        }
    }
}
