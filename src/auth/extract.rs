//! `Actor` as an actix extractor: what the auth middleware resolved for the request.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::domain::Actor;

impl FromRequest for Actor {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Without the middleware nothing was authenticated: refuse rather than guess.
        ready(Ok(request
            .extensions()
            .get::<Actor>()
            .cloned()
            .unwrap_or_else(Actor::refused)))
    }
}
