//! RFC 9457 problem details: every REST error, including actix's own extractor failures,
//! as `application/problem+json` with a stable `type` per error code.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::error::AppError;

/// A problem detail (RFC 9457).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDetails {
    /// Stable identifier of the problem type, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The error code (the same vocabulary as GraphQL's `extensions.code`).
    pub code: String,
    /// Invalid input fields, for `bad-user-input`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Seconds to wait, for `rate-limited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One invalid input field.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Path of the field, e.g. `quantity.lower`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The problem types: (code, slug, title, status). Types are API: add, never rename.
pub const PROBLEM_TYPES: &[(&str, &str, &str, u16)] = &[
    (
        "BAD_USER_INPUT",
        "bad-user-input",
        "The request is invalid",
        400,
    ),
    (
        "UNAUTHENTICATED",
        "unauthenticated",
        "Authentication required",
        401,
    ),
    ("FORBIDDEN", "forbidden", "Not allowed for this role", 403),
    ("NOT_FOUND", "not-found", "No such resource", 404),
    (
        "METHOD_NOT_ALLOWED",
        "method-not-allowed",
        "Method not allowed on this resource",
        405,
    ),
    (
        "CONFLICT",
        "conflict",
        "The request conflicts with stored data",
        409,
    ),
    (
        "PRECONDITION_FAILED",
        "precondition-failed",
        "The resource changed since it was read",
        412,
    ),
    (
        "PAYLOAD_TOO_LARGE",
        "payload-too-large",
        "The request body is too large",
        413,
    ),
    (
        "UNSUPPORTED_MEDIA_TYPE",
        "unsupported-media-type",
        "Send application/json",
        415,
    ),
    (
        "IDEMPOTENCY_KEY_REUSED",
        "idempotency-key-reused",
        "The idempotency key was used for another request",
        422,
    ),
    (
        "PRECONDITION_REQUIRED",
        "precondition-required",
        "If-Match with the resource's ETag is required",
        428,
    ),
    ("RATE_LIMITED", "rate-limited", "Too many requests", 429),
    ("INTERNAL", "internal", "Internal error", 500),
    (
        "UNAVAILABLE",
        "unavailable",
        "The database is unavailable; retry shortly",
        503,
    ),
];

/// A REST error: problem details, boxed so that results stay small.
#[derive(Clone, Debug)]
pub struct Problem(pub Box<ProblemDetails>);

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

impl Problem {
    /// A problem of the type registered for `code`.
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        let (code, slug, title, status) = PROBLEM_TYPES
            .iter()
            .copied()
            .find(|(c, ..)| *c == code)
            .unwrap_or(("INTERNAL", "internal", "Internal error", 500));
        Problem(Box::new(ProblemDetails {
            problem_type: format!("/problems/{slug}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
            retry_after: None,
        }))
    }

    /// A bad-user-input problem naming the invalid fields.
    pub fn invalid(errors: &[FieldError]) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Problem::new("BAD_USER_INPUT", detail);
        problem.errors = errors
            .iter()
            .map(|e| FieldProblem {
                // REST bodies are the input itself: no `input.` prefix.
                field: e
                    .field
                    .strip_prefix("input.")
                    .unwrap_or(&e.field)
                    .to_owned(),
                message: e.message.clone(),
            })
            .collect();
        problem
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(&*self.0)
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        match &error {
            AppError::Validation(errors) => Problem::invalid(errors),
            AppError::StaleVersion(detail) => Problem::new("PRECONDITION_FAILED", detail.clone()),
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Problem::new("INTERNAL", error.to_string())
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(error = ?cause, "database unavailable");
                let mut problem = Problem::new("UNAVAILABLE", error.to_string());
                problem.retry_after = Some(1);
                problem
            }
            other => Problem::new(other.code().as_str(), other.to_string()),
        }
    }
}

/// The response for a request over its rate-limit budget.
pub fn rate_limited(retry_after: u64) -> HttpResponse {
    let mut problem = Problem::new(
        "RATE_LIMITED",
        format!("rate limit exceeded; retry in {retry_after} s"),
    );
    problem.retry_after = Some(retry_after);
    problem.error_response()
}
