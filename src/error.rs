//! One error vocabulary for both doors. Framework-free: GraphQL renders it in
//! `graphql::error`, later doors render the same codes their own way.

use sea_orm::{DbErr, SqlErr};

use crate::domain::{FieldError, Role};

/// Stable, client-visible error codes. Codes are API: add, never rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BadUserInput,
    NotFound,
    Conflict,
    Unauthenticated,
    Forbidden,
    RateLimited,
    /// A live subscriber fell further behind than its buffer allows (GraphQL only).
    SlowSubscriber,
    /// A GraphQL request over a cost ceiling (selections, nodes, depth, nesting),
    /// refused before anything ran.
    QueryTooComplex,
    /// A request body over `server.max_body_bytes`.
    PayloadTooLarge,
    /// The database cannot be reached right now (credentials could not be checked
    /// either); nothing was changed, retry shortly.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::BadUserInput,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::SlowSubscriber,
        ErrorCode::QueryTooComplex,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::SlowSubscriber => "SLOW_SUBSCRIBER",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {}", describe(.0))]
    Validation(Vec<FieldError>),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    /// An update whose expected version is no longer the record's version.
    #[error("{0}")]
    StaleVersion(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("this operation needs the {needed} role")]
    Forbidden { needed: Role },
    #[error(
        "this subscriber fell {missed} events behind and was dropped; subscribe again and reload what it shows"
    )]
    SlowSubscriber { missed: u64 },
    /// The database could not be reached (a lost connection, an exhausted pool). The
    /// cause is logged where the error is rendered.
    #[error("the database is unavailable right now; nothing was changed, retry shortly")]
    Unavailable(#[source] anyhow::Error),
    // The cause is logged where the error is rendered, never shown to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation(_) => ErrorCode::BadUserInput,
            AppError::NotFound { .. } => ErrorCode::NotFound,
            AppError::Conflict(_) | AppError::StaleVersion(_) => ErrorCode::Conflict,
            AppError::Unauthenticated => ErrorCode::Unauthenticated,
            AppError::Forbidden { .. } => ErrorCode::Forbidden,
            AppError::SlowSubscriber { .. } => ErrorCode::SlowSubscriber,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        AppError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// The error for an update whose expected version is no longer current.
    pub fn stale_version(entity: &'static str, expected: i32, current: i32) -> Self {
        AppError::StaleVersion(format!(
            "{entity} was changed by someone else: expected version {expected}, current version is {current}; reload and try again"
        ))
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Validation(vec![error])
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Validation(errors)
    }
}

impl From<DbErr> for AppError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("a record with the same unique value already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => AppError::invalid(
                "input",
                "refers to a record that does not exist, or is still referred to by other records",
            ),
            _ if crate::db::is_connection_error(&error) => AppError::Unavailable(error.into()),
            _ => AppError::Internal(error.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        AppError::Internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_distinct() {
        let spelled: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "BAD_USER_INPUT",
                "NOT_FOUND",
                "CONFLICT",
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "RATE_LIMITED",
                "SLOW_SUBSCRIBER",
                "QUERY_TOO_COMPLEX",
                "PAYLOAD_TOO_LARGE",
                "UNAVAILABLE",
                "INTERNAL"
            ]
        );
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let error = AppError::Internal(anyhow::anyhow!("SELECT secret FROM keys failed"));
        assert_eq!(error.to_string(), "internal error");
    }
}
