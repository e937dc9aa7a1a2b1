//! Around GraphQL execution: the request body read under the size limit and its content
//! type, and the errors of requests refused before any operation runs (by HTTP or on a
//! websocket).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::ServerError;
use futures_util::StreamExt;
use serde_json::json;

use super::limits::Refusal;
use crate::auth::middleware;
use crate::error::{AppError, ErrorCode};

/// An error with its code, raised before execution.
pub fn coded(code: ErrorCode, message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

/// Sets one more extension on an error made by `coded`.
fn with(mut error: ServerError, name: &str, value: impl Into<async_graphql::Value>) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set(name, value);
    error
}

/// The error for a document refused by the cost measure (saying what was measured) or
/// found invalid on the way.
pub fn refused_document(refusal: &Refusal) -> ServerError {
    match refusal {
        Refusal::TooCostly {
            measure,
            actual,
            limit,
        } => {
            let error = coded(ErrorCode::QueryTooComplex, &refusal.to_string());
            let error = with(error, "measure", *measure);
            let error = with(error, "actual", *actual);
            with(error, "limit", *limit)
        }
        Refusal::Invalid(message) => coded(ErrorCode::BadUserInput, message),
    }
}

/// The error (and HTTP status) for a request the admission refused: over its rate-limit
/// budget, or credentials that could not be checked.
pub fn refused_admission(refusal: middleware::Refusal) -> (StatusCode, ServerError) {
    match refusal {
        middleware::Refusal::RateLimited(seconds) => {
            let message = format!("rate limit exceeded; retry in {seconds} s");
            let error = coded(ErrorCode::RateLimited, &message);
            (
                StatusCode::TOO_MANY_REQUESTS,
                with(error, "retryAfter", seconds),
            )
        }
        middleware::Refusal::Unchecked(error) => {
            let status = match &error {
                AppError::Unavailable(cause) => {
                    tracing::warn!(error = ?cause, "credentials could not be checked");
                    StatusCode::SERVICE_UNAVAILABLE
                }
                AppError::Internal(cause) => {
                    tracing::error!(error = ?cause, "credentials could not be checked");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, coded(error.code(), &error.to_string()))
        }
    }
}

/// A request refused before execution, as a GraphQL response.
pub fn respond(status: StatusCode, error: ServerError) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    match status {
        StatusCode::UNAUTHORIZED => {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        _ => {}
    }
    if let Some(seconds) = error
        .extensions
        .as_ref()
        .and_then(|e| e.get("retryAfter"))
        .map(ToString::to_string)
    {
        response.insert_header((header::RETRY_AFTER, seconds));
    }
    response.json(json!({ "errors": [error] }))
}

/// The same, for a coded message.
pub fn refusal(status: StatusCode, code: ErrorCode, message: &str) -> HttpResponse {
    respond(status, coded(code, message))
}

/// 401 for a caller who may not read at all: nothing of the request is looked at.
pub fn unauthenticated() -> HttpResponse {
    refusal(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        "authentication required",
    )
}

/// Reads a POST body of at most `limit` bytes. A declared length over the limit is
/// refused (413) before anything is read; a chunked body as soon as it passes the limit.
/// Only `application/json` is accepted (415 otherwise: a form post is not run).
pub async fn read_json_body(
    http: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, HttpResponse> {
    let is_json = http.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
    });
    if !is_json {
        return Err(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadUserInput,
            "send the GraphQL request as JSON with Content-Type: application/json",
        ));
    }
    let too_large = || {
        refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            &format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = http
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.map_or(8192, |l| l as usize));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            refusal(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &format!("the body could not be read: {error}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The GraphQL-over-HTTP media type of responses.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Whether the client accepts `application/graphql-response+json` (then it gets it, with
/// a 4xx status for a request that failed before execution; with plain
/// `application/json`, such a request is answered 200, as older clients expect).
pub fn accepts_graphql_response(http: &HttpRequest) -> bool {
    http.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media.eq_ignore_ascii_case(GRAPHQL_RESPONSE) && !refused
        })
}

/// Middleware for `/graphql`: JSON answers carry `application/graphql-response+json`
/// when the client accepts it (the handlers decide the status; this only names the
/// media type, for refusals and planned answers alike).
pub async fn media_type(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let wanted = accepts_graphql_response(request.request());
    let mut response = next.call(request).await?;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if wanted && is_json {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/graphql-response+json; charset=utf-8"),
        );
    }
    Ok(response)
}
