//! Admission to the REST door: the middleware that resolves each request's credentials
//! into an `Actor` (auth's rules) and answers refusals as problems, and `Actor` as an
//! extractor for the handlers. A caller with no access at all is refused before the body
//! is even read.

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};

use super::problem::{Problem, rate_limited};
use crate::auth::Authenticator;
use crate::auth::middleware::{Refusal, admit};
use crate::domain::Actor;
use crate::error::AppError;

/// The REST door's middleware: the actor goes into the request extensions for the
/// handlers; refusals are answered as problems.
pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(authenticator) = request.app_data::<web::Data<Authenticator>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "authenticator missing",
        ));
    };
    match admit(request.request(), &authenticator).await {
        Ok(resolved) => {
            request.extensions_mut().insert(resolved.actor);
            next.call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        }
        Err(refusal) => {
            let response = match refusal {
                Refusal::RateLimited(seconds) => rate_limited(seconds),
                Refusal::Unchecked(error) => {
                    actix_web::ResponseError::error_response(&Problem::from(error))
                }
            };
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}

impl FromRequest for Actor {
    type Error = Problem;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Without the middleware nothing was authenticated: refuse rather than guess.
        let actor = request
            .extensions()
            .get::<Actor>()
            .cloned()
            .unwrap_or_else(Actor::refused);
        ready(match actor.role {
            Some(_) => Ok(actor),
            None => Err(AppError::Unauthenticated.into()),
        })
    }
}
