//! `Idempotency-Key` on POST: a retried request with the same key and body gets the
//! first response and acts nothing new; the same key with another body is a 422.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use chrono::Duration;
use serde_json::{Map, Value};

use super::problem::Problem;
use crate::domain::{Actor, FieldError};
use crate::service::idempotency::{self, Claim, StoredResponse};
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
/// Response headers kept for replay.
const KEPT_HEADERS: [header::HeaderName; 3] =
    [header::LOCATION, header::ETAG, header::CONTENT_TYPE];

fn problem_response(request: ServiceRequest, problem: Problem) -> ServiceResponse<BoxBody> {
    request.into_response(problem.error_response())
}

pub async fn idempotency(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = request
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let actor = request.extensions().get::<Actor>().cloned();
    // Imports stream bodies of any size and report per line; they are not buffered here.
    let keyed_post = request.method() == Method::POST && !request.path().ends_with("/import");
    let (Some(key), true, Some(actor)) = (key, keyed_post, actor) else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if actor.role.is_none() {
        // Refused before anything is stored; the handler answers 401.
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let key = match key {
        Ok(key) if (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) => {
            key
        }
        _ => {
            let problem = Problem::invalid(&[FieldError::new(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )]);
            return Ok(problem_response(request, problem));
        }
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("state missing"));
    };
    let owner = actor
        .principal_id
        .map(|id| id.to_string())
        .unwrap_or(actor.name.clone());
    let body = request.extract::<web::Bytes>().await?;
    request.set_payload(Payload::from(body.clone()));
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let fingerprint = idempotency::fingerprint("POST", &path, &body);
    let ttl = Duration::hours(i64::from(state.settings.rest.idempotency_ttl_hours));

    match idempotency::begin(&state.db, &owner, &key, &fingerprint, ttl).await {
        Err(error) => Ok(problem_response(request, error.into())),
        Ok(Claim::Mismatch) => Ok(problem_response(
            request,
            Problem::new(
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used for a different request; use a new key",
            ),
        )),
        Ok(Claim::InProgress) => Ok(problem_response(
            request,
            Problem::new(
                "CONFLICT",
                "the first request with this Idempotency-Key is still being processed; retry shortly",
            ),
        )),
        Ok(Claim::Replay(stored)) => Ok(request.into_response(replay(&stored))),
        Ok(Claim::Fresh) => {
            let response = match next.call(request).await {
                Ok(response) => response,
                Err(error) => {
                    idempotency::abandon(&state.db, &owner, &key).await.ok();
                    return Err(error);
                }
            };
            if !response.status().is_success() {
                idempotency::abandon(&state.db, &owner, &key).await.ok();
                return Ok(response.map_into_boxed_body());
            }
            let (http_request, response) = response.into_parts();
            let status = response.status();
            let mut headers = Map::new();
            for name in &KEPT_HEADERS {
                if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
                    headers.insert(name.as_str().to_owned(), Value::String(value.to_owned()));
                }
            }
            let bytes = actix_web::body::to_bytes(response.into_body())
                .await
                .map_err(|_| {
                    actix_web::error::ErrorInternalServerError("response body unreadable")
                })?;
            let stored = StoredResponse {
                status: status.as_u16(),
                headers: Value::Object(headers),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            };
            if let Err(error) = idempotency::complete(&state.db, &owner, &key, &stored).await {
                tracing::error!(%error, "storing an idempotent response failed");
            }
            Ok(ServiceResponse::new(http_request, rebuild(&stored, false)))
        }
    }
}

fn rebuild(stored: &StoredResponse, replayed: bool) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    if let Some(headers) = stored.headers.as_object() {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                response.insert_header((name.as_str(), value));
            }
        }
    }
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    response.body(stored.body.clone())
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    rebuild(stored, true)
}
