//! Webhook endpoints and their delivery log, for admins.

use actix_web::web;
use async_graphql::{Context, Object};
use uuid::Uuid;

use super::connection::{TotalCount, WebhookDeliveryConnection, connection, page_request};
use super::context::request_ctx;
use super::error::GqlResult;
use crate::service::pagination::ListOrder;
use crate::service::webhooks::{self, Shaper, TargetPolicy};
use crate::views::inputs::{CreateWebhookInput, UpdateWebhookInput};
use crate::views::{self, WebhookDeliveryState};

fn shaper<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a dyn Shaper> {
    Ok(super::context::data::<web::Data<dyn Shaper>>(ctx)?.get_ref())
}

fn policy(ctx: &Context<'_>) -> async_graphql::Result<TargetPolicy> {
    let c = request_ctx(ctx)?;
    Ok(TargetPolicy {
        allow_private: c.state.settings.webhooks.allow_private_targets,
    })
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook endpoint, oldest first. Needs the admin role.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<views::WebhookEndpoint>> {
        let c = request_ctx(ctx)?;
        let rows = webhooks::list(&c.state.db, c.actor).await.gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One webhook endpoint. Needs the admin role.
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<views::WebhookEndpoint> {
        let c = request_ctx(ctx)?;
        webhooks::get(&c.state.db, c.actor, id)
            .await
            .map(Into::into)
            .gql()
    }

    /// The delivery log of an endpoint, newest first, with every attempt. Needs the
    /// admin role.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Uuid,
        state: Option<WebhookDeliveryState>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<WebhookDeliveryConnection> {
        let c = request_ctx(ctx)?;
        let page = page_request(
            c.state.page_limits(),
            first,
            after.as_deref(),
            ListOrder::NEWEST_FIRST,
        )?;
        let rows = webhooks::deliveries(
            &c.state.db,
            c.actor,
            endpoint_id,
            state.map(WebhookDeliveryState::as_str),
            &page,
        )
        .await
        .gql()?;
        let ids = rows.items.iter().map(|(_, d)| d.id).collect();
        let attempts = webhooks::attempts_of(&c.state.db, ids).await.gql()?;
        Ok(connection(
            rows.map(|d| views::WebhookDelivery::with_attempts(d, &attempts)),
            TotalCount::unknown(),
        ))
    }

    /// One delivery with its attempts. Needs the admin role.
    async fn webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<views::WebhookDelivery> {
        let c = request_ctx(ctx)?;
        let delivery = webhooks::delivery(&c.state.db, c.actor, id).await.gql()?;
        let attempts = webhooks::attempts_of(&c.state.db, vec![id]).await.gql()?;
        Ok(views::WebhookDelivery::with_attempts(delivery, &attempts))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook endpoint; the answer holds its signing secret, shown this
    /// once. Needs the admin role.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> async_graphql::Result<views::CreatedWebhookEndpoint> {
        let c = request_ctx(ctx)?;
        webhooks::create(
            &c.state.db,
            c.actor,
            input.into(),
            &policy(ctx)?,
            shaper(ctx)?,
        )
        .await
        .map(Into::into)
        .gql()
    }

    /// Changes an endpoint at `expectedVersion`; `active: true` also clears a failure
    /// and resumes its waiting deliveries. Needs the admin role.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: i32,
        input: UpdateWebhookInput,
    ) -> async_graphql::Result<views::WebhookEndpoint> {
        let c = request_ctx(ctx)?;
        webhooks::update(
            &c.state.db,
            c.actor,
            id,
            expected_version,
            input.into(),
            &policy(ctx)?,
            shaper(ctx)?,
        )
        .await
        .map(Into::into)
        .gql()
    }

    /// Removes an endpoint and its delivery log. Needs the admin role. With
    /// `expectedVersion`, only that version (else CONFLICT, nothing deleted).
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<views::WebhookEndpoint> {
        let c = request_ctx(ctx)?;
        webhooks::delete(&c.state.db, c.actor, id, expected_version)
            .await
            .map(Into::into)
            .gql()
    }

    /// Sends a delivery again (same payload, new delivery id). Needs the admin role.
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<views::WebhookDelivery> {
        let c = request_ctx(ctx)?;
        webhooks::replay(&c.state.db, c.actor, id)
            .await
            .map(|d| views::WebhookDelivery::with_attempts(d, &[]))
            .gql()
    }
}
