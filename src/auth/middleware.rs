//! Resolves a request's `Authorization` into an `Actor` and charges the request to its
//! principal's (or client IP's) rate-limit budget. Each door renders the refusals its
//! own way (REST as problems, GraphQL as errors, websockets as close codes).

use actix_web::HttpRequest;
use actix_web::http::header;

use super::{Authenticator, Credentials, Resolved};
use crate::domain::Actor;
use crate::error::AppError;

/// Why a request is not let in before its own handler sees it.
pub enum Refusal {
    /// Over the rate-limit budget: retry after this many seconds.
    RateLimited(u64),
    /// The credentials could not be checked (the database is unreachable).
    Unchecked(AppError),
}

/// The request's credentials, from its `Authorization` header.
pub fn credentials(request: &HttpRequest) -> Credentials<'_> {
    match request.headers().get(header::AUTHORIZATION) {
        None => Credentials::None,
        Some(value) => Credentials::from_header(value.to_str().ok()),
    }
}

/// Resolves the request's credentials and charges the request to its budget.
pub async fn admit(
    request: &HttpRequest,
    authenticator: &Authenticator,
) -> Result<Resolved, Refusal> {
    let resolved = authenticator
        .resolve(credentials(request))
        .await
        .map_err(Refusal::Unchecked)?;
    charge(request, authenticator, &resolved.actor)?;
    Ok(resolved)
}

/// Charges one request by `actor` (principals by id, everyone else by client IP).
pub fn charge(
    request: &HttpRequest,
    authenticator: &Authenticator,
    actor: &Actor,
) -> Result<(), Refusal> {
    let client = client_ip(request, authenticator.trust_forwarded_for());
    charge_client(authenticator, actor, &client)
}

/// Charges one request or websocket operation by `actor` from `client` (an IP) to the
/// one budget HTTP and websockets share.
pub fn charge_client(
    authenticator: &Authenticator,
    actor: &Actor,
    client: &str,
) -> Result<(), Refusal> {
    let budget_key = budget_key(actor, client);
    authenticator.charge(&budget_key).map_err(|wait| {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        tracing::info!(principal = %actor.name, retry_after = seconds, "rate limit exceeded");
        Refusal::RateLimited(seconds)
    })
}

/// Principals are charged by id (or token subject); everyone else by client IP.
fn budget_key(actor: &Actor, client: &str) -> String {
    if actor.authenticated {
        return match actor.principal_id {
            Some(id) => format!("principal:{id}"),
            None => actor.name.clone(),
        };
    }
    format!("ip:{client}")
}

/// The client's IP: the peer, or the first `X-Forwarded-For` hop behind a trusted proxy.
pub fn client_ip(request: &HttpRequest, trust_forwarded_for: bool) -> String {
    let ip = if trust_forwarded_for {
        request
            .connection_info()
            .realip_remote_addr()
            .map(str::to_owned)
    } else {
        request.peer_addr().map(|addr| addr.ip().to_string())
    };
    ip.unwrap_or_default()
}
