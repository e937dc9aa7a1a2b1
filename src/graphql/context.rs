//! Access to what the handler put into each request's context.

use async_graphql::Context;

use super::loaders::RequestLoader;
use crate::domain::Actor;
use crate::state::AppState;

/// The state, the acting party and the request's loader.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub actor: &'a Actor,
    pub loader: &'a RequestLoader,
}

pub fn request_ctx<'a>(ctx: &Context<'a>) -> async_graphql::Result<Ctx<'a>> {
    Ok(Ctx {
        state: ctx.data::<AppState>()?,
        actor: ctx.data::<Actor>()?,
        loader: ctx.data::<RequestLoader>()?,
    })
}
