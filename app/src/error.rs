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
            Self::Transport(_) => S::BAD_REQUEST,
            Self::Internal(_) => S::INTERNAL_SERVER_ERROR,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::api::codec::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}
