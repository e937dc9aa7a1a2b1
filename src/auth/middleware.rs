//! Resolves `Authorization` once per request into an `Actor` in the request extensions,
//! and charges the request to its principal's (or client IP's) rate-limit budget.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use serde_json::json;

use super::{Authenticator, Credentials};
use crate::domain::Actor;
use crate::error::ErrorCode;

pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(authenticator) = request.app_data::<web::Data<Authenticator>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "authenticator missing",
        ));
    };
    let header_value = request.headers().get(header::AUTHORIZATION).cloned();
    let credentials = match &header_value {
        None => Credentials::None,
        Some(value) => Credentials::from_header(value.to_str().ok()),
    };
    let actor = authenticator.resolve(credentials).await;
    let budget_key = budget_key(&request, &actor, authenticator.trust_forwarded_for());
    if let Err(wait) = authenticator.charge(&budget_key) {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        tracing::info!(principal = %actor.name, retry_after = seconds, "rate limit exceeded");
        let response = if request.path().starts_with("/api/") {
            crate::rest::problem::rate_limited(seconds)
        } else {
            rate_limited(seconds)
        };
        return Ok(request.into_response(response).map_into_right_body());
    }
    request.extensions_mut().insert(actor);
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Principals are charged by id (or token subject); everyone else by client IP.
fn budget_key(request: &ServiceRequest, actor: &Actor, trust_forwarded_for: bool) -> String {
    if actor.authenticated {
        return match actor.principal_id {
            Some(id) => format!("principal:{id}"),
            None => actor.name.clone(),
        };
    }
    let ip = if trust_forwarded_for {
        request
            .connection_info()
            .realip_remote_addr()
            .map(str::to_owned)
    } else {
        request.peer_addr().map(|addr| addr.ip().to_string())
    };
    format!("ip:{}", ip.unwrap_or_default())
}

/// 429 with `Retry-After`, shaped as a GraphQL response with the RATE_LIMITED code.
fn rate_limited(retry_after: u64) -> HttpResponse {
    HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
        .insert_header((header::RETRY_AFTER, retry_after.to_string()))
        .json(json!({
            "errors": [{
                "message": format!("rate limit exceeded; retry in {retry_after} s"),
                "extensions": { "code": ErrorCode::RateLimited.as_str(), "retryAfter": retry_after }
            }]
        }))
}
