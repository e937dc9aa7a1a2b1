//! `Actor` as an actix extractor for the REST door: what the auth middleware resolved.
//! A caller with no access at all is refused here, before the body is even read.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::domain::Actor;
use crate::error::AppError;
use crate::rest::problem::Problem;

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
