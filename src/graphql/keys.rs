//! API key management for admins.

use async_graphql::{Context, Object};
use uuid::Uuid;

use super::context::request_ctx;
use super::error::GqlResult;
use crate::service::keys;
use crate::views;
use crate::views::inputs::CreateApiKeyInput;

#[derive(Default)]
pub struct KeyQuery;

#[Object]
impl KeyQuery {
    /// Every API key, oldest first. Needs the admin role.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<views::ApiKey>>> {
        let c = request_ctx(ctx)?;
        let rows = keys::list(&c.state.db, c.actor).await.gql()?;
        Ok(Some(rows.into_iter().map(Into::into).collect()))
    }
}

#[derive(Default)]
pub struct KeyMutation;

#[Object]
impl KeyMutation {
    /// Creates a principal and an API key for it; the secret is in the answer and
    /// nowhere else. Needs the admin role.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<views::CreatedApiKey> {
        let c = request_ctx(ctx)?;
        keys::create(
            &c.state.db,
            c.actor,
            &input.name,
            input.role,
            input.expires_in_days,
        )
        .await
        .map(Into::into)
        .gql()
    }

    /// Revokes a key (by id); it stops working at once. Needs the admin role.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<views::ApiKey> {
        let c = request_ctx(ctx)?;
        let revoked = keys::revoke(&c.state.db, c.actor, &id.to_string())
            .await
            .gql()?;
        // Here at once; other instances when their outbox readers reach the revocation.
        c.state.key_epoch.keys_changed();
        Ok(revoked.into())
    }
}
