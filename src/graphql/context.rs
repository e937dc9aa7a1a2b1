//! Access to what the handler put into each request's context.

use async_graphql::{Context, ErrorExtensions};

use super::loaders::RequestLoader;
use crate::domain::Actor;
use crate::error::AppError;
use crate::state::AppState;

/// The state, the acting party and the request's loader.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub actor: &'a Actor,
    pub loader: &'a RequestLoader,
}

pub fn request_ctx<'a>(ctx: &Context<'a>) -> async_graphql::Result<Ctx<'a>> {
    Ok(Ctx {
        state: data::<AppState>(ctx)?,
        actor: data::<Actor>(ctx)?,
        loader: data::<RequestLoader>(ctx)?,
    })
}

/// Something the door puts into every request's context. Missing, it is the server's
/// fault, never the client's: an INTERNAL error (every error raised on our side carries
/// its code; errors without one are the library's verdicts on the request itself).
pub fn data<'a, T: std::any::Any + Send + Sync>(ctx: &Context<'a>) -> async_graphql::Result<&'a T> {
    ctx.data::<T>().map_err(|error| {
        AppError::Internal(anyhow::anyhow!("request context: {}", error.message)).extend()
    })
}
