//! `Idempotency-Key` on POST: a retried request with the same key and body gets the
//! first response and acts nothing new; the same key with another body is a 422.
//!
//! The key is claimed in a write transaction that the handler then works in (through
//! `RequestDb`), and the response is stored in it before it commits: the write, the key
//! and the stored response commit together or not at all. A request that fails rolls
//! back and leaves its key free; a concurrent request with the same key waits for the
//! first and replays its response.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use chrono::Duration;
use sea_orm::{DatabaseConnection, DatabaseExecutor, DatabaseTransaction};
use serde_json::{Map, Value};

use super::problem::Problem;
use crate::domain::{Actor, FieldError};
use crate::service::idempotency::{self, Claim, StoredResponse};
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
/// Response headers kept for replay.
const KEPT_HEADERS: [header::HeaderName; 3] =
    [header::LOCATION, header::ETAG, header::CONTENT_TYPE];

/// The transaction a keyed request runs in, shared with its handler.
#[derive(Clone)]
struct RequestTransaction(Arc<DatabaseTransaction>);

/// The database a REST handler works on: the request's transaction when the request
/// carries an Idempotency-Key (the write, the key and the stored response then commit
/// together), else the pool.
pub struct RequestDb {
    pool: DatabaseConnection,
    transaction: Option<Arc<DatabaseTransaction>>,
}

impl RequestDb {
    pub fn get(&self) -> DatabaseExecutor<'_> {
        match &self.transaction {
            Some(txn) => DatabaseExecutor::Transaction(txn),
            None => DatabaseExecutor::Connection(&self.pool),
        }
    }
}

impl FromRequest for RequestDb {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = request.app_data::<web::Data<AppState>>() else {
            return ready(Err(Problem::new("INTERNAL", "internal error")));
        };
        ready(Ok(Self {
            pool: state.db.clone(),
            transaction: request
                .extensions()
                .get::<RequestTransaction>()
                .map(|t| t.0.clone()),
        }))
    }
}

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
    let body = match super::buffered_body(&mut request).await {
        Ok(body) => body,
        Err(problem) => return Ok(problem_response(request, problem)),
    };
    request.set_payload(Payload::from(body.clone()));
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let fingerprint = idempotency::fingerprint("POST", &path, &body);
    let ttl = Duration::hours(i64::from(state.settings.rest.idempotency_ttl_hours));

    let txn = match crate::service::begin_write(&state.db).await {
        Ok(txn) => txn,
        Err(error) => return Ok(problem_response(request, error.into())),
    };
    match idempotency::begin(&txn, &owner, &key, &fingerprint, ttl).await {
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
                "the first request with this Idempotency-Key did not complete; use a new key",
            ),
        )),
        Ok(Claim::Replay(stored)) => Ok(request.into_response(rebuild(&stored, true))),
        Ok(Claim::Fresh) => {
            let shared = Arc::new(txn);
            request
                .extensions_mut()
                .insert(RequestTransaction(shared.clone()));
            let response = next.call(request).await;
            let response = match response {
                Ok(response) => response,
                // Dropping the transaction rolls it back: nothing written, key free.
                Err(error) => return Err(error),
            };
            response
                .request()
                .extensions_mut()
                .remove::<RequestTransaction>();
            let Ok(txn) = Arc::try_unwrap(shared) else {
                tracing::error!("a handler kept the request's transaction");
                return Err(actix_web::error::ErrorInternalServerError("internal error"));
            };
            if !response.status().is_success() {
                return Ok(response.map_into_boxed_body());
            }
            let (http_request, response) = response.into_parts();
            let stored = stored(response).await?;
            let committed = match idempotency::complete(&txn, &owner, &key, &stored).await {
                Ok(()) => crate::service::commit(txn).await,
                Err(error) => Err(error),
            };
            let response = match committed {
                Ok(()) => rebuild(&stored, false),
                // Nothing was written: the client may retry with the same key.
                Err(error) => Problem::from(error).error_response(),
            };
            Ok(ServiceResponse::new(http_request, response))
        }
    }
}

/// The parts of a response kept for replay.
async fn stored(response: HttpResponse<impl MessageBody>) -> Result<StoredResponse, Error> {
    let status = response.status();
    let mut headers = Map::new();
    for name in &KEPT_HEADERS {
        if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.insert(name.as_str().to_owned(), Value::String(value.to_owned()));
        }
    }
    let bytes = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("response body unreadable"))?;
    Ok(StoredResponse {
        status: status.as_u16(),
        headers: Value::Object(headers),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
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
