//! `/api/v1/webhooks` (endpoints) and `/api/v1/webhook-deliveries` (the delivery log),
//! for admins.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::{Problem, ProblemDetails};
use super::{
    PageParams, RestResult, created, delete_precondition, expected_version, ok_versioned,
    page_response, read_versioned,
};
use crate::domain::{Actor, FieldError};
use crate::service::pagination::ListOrder;
use crate::service::webhooks::{self, Shaper, TargetPolicy};
use crate::state::AppState;
use crate::views::inputs::{CreateWebhookInput, UpdateWebhookInput};
use crate::views::{CreatedWebhookEndpoint, WebhookDelivery, WebhookEndpoint};

pub fn endpoints_scope() -> actix_web::Scope {
    web::scope("/webhooks")
        .service(
            web::resource("")
                .route(web::get().to(list_webhooks))
                .route(web::post().to(create_webhook))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_webhook))
                .route(web::patch().to(update_webhook))
                .route(web::delete().to(delete_webhook))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/deliveries")
                .route(web::get().to(list_deliveries))
                .default_service(web::to(super::method_not_allowed)),
        )
}

pub fn deliveries_scope() -> actix_web::Scope {
    web::scope("/webhook-deliveries")
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_delivery))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/replay")
                .route(web::post().to(replay_delivery))
                .default_service(web::to(super::method_not_allowed)),
        )
}

fn policy(state: &AppState) -> TargetPolicy {
    TargetPolicy {
        allow_private: state.settings.webhooks.allow_private_targets,
    }
}

/// List webhook endpoints.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses(
        (status = 200, description = "Every endpoint, oldest first", body = Vec<WebhookEndpoint>),
        (status = 403, description = "Needs the admin role", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_webhooks(db: RequestDb, actor: Actor) -> RestResult {
    let rows = webhooks::list(&db.get(), &actor).await?;
    let rows: Vec<WebhookEndpoint> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(rows))
}

/// Register a webhook endpoint (the answer holds its signing secret, shown this once).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = CreateWebhookInput,
    responses(
        (status = 201, description = "Registered", body = CreatedWebhookEndpoint, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid URL, event type or selection", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the admin role", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    db: RequestDb,
    shaper: web::Data<dyn Shaper>,
    actor: Actor,
    body: web::Json<CreateWebhookInput>,
) -> RestResult {
    let created_endpoint = webhooks::create(
        &db.get(),
        &actor,
        body.into_inner().into(),
        &policy(&state),
        shaper.get_ref(),
    )
    .await?;
    let view = CreatedWebhookEndpoint::from(created_endpoint);
    Ok(created(
        format!("/api/v1/webhooks/{}", view.endpoint.id),
        Some(view.endpoint.version),
        &view,
    ))
}

/// Get a webhook endpoint (with why it is failing, if it is).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the version named by If-None-Match"),
        (status = 404, description = "No such endpoint", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_webhook(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let endpoint = webhooks::get(&db.get(), &actor, *id).await?;
    Ok(read_versioned(
        &request,
        endpoint.version,
        &WebhookEndpoint::from(endpoint),
    ))
}

/// Change a webhook endpoint (`If-Match` required); `active: true` clears a failure.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    request_body = UpdateWebhookInput,
    params(("id" = Uuid, Path, description = "Endpoint id"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The changed endpoint", body = WebhookEndpoint, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since it was read", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update_webhook(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    shaper: web::Data<dyn Shaper>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<UpdateWebhookInput>,
) -> RestResult {
    let version = expected_version(&request, async {
        Ok(webhooks::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    let endpoint = webhooks::update(
        &db.get(),
        &actor,
        *id,
        version,
        body.into_inner().into(),
        &policy(&state),
        shaper.get_ref(),
    )
    .await?;
    Ok(ok_versioned(
        endpoint.version,
        &WebhookEndpoint::from(endpoint),
    ))
}

/// Remove a webhook endpoint and its delivery log (with `If-Match`, only that version).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id"), ("If-Match" = Option<String>, Header, description = "Delete only this version (its ETag), or `*`")),
    responses(
        (status = 204, description = "Removed"),
        (status = 412, description = "If-Match does not name the current version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_webhook(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let version = delete_precondition(&request, async {
        Ok(webhooks::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    webhooks::delete(&db.get(), &actor, *id, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Filters for the delivery log.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// `pending`, `delivered` or `failed`.
    pub state: Option<String>,
}

/// An endpoint's delivery log, newest first, each delivery with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id"), PageParams, DeliveryListParams),
    responses(
        (status = 200, description = "One page of deliveries", body = super::ListPage<WebhookDelivery>),
        (status = 404, description = "No such endpoint", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_deliveries(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
    filter: web::Query<DeliveryListParams>,
) -> RestResult {
    let page = page.in_order(ListOrder::NEWEST_FIRST, &state)?;
    if let Some(value) = &filter.state {
        webhooks::check_state(value, "state").map_err(|e: FieldError| Problem::invalid(&[e]))?;
    }
    let rows = webhooks::deliveries(&db.get(), &actor, *id, filter.state.as_deref(), &page).await?;
    let ids = rows.items.iter().map(|(_, d)| d.id).collect();
    let attempts = webhooks::attempts_of(&db.get(), ids).await?;
    Ok(page_response(
        &request,
        rows.map(|d| WebhookDelivery::with_attempts(d, &attempts)),
    ))
}

/// One delivery with its attempts.
#[utoipa::path(get, path = "/api/v1/webhook-deliveries/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 200, description = "The delivery", body = WebhookDelivery),
        (status = 404, description = "No such delivery", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_delivery(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    let delivery = webhooks::delivery(&db.get(), &actor, *id).await?;
    let attempts = webhooks::attempts_of(&db.get(), vec![delivery.id]).await?;
    Ok(HttpResponse::Ok().json(WebhookDelivery::with_attempts(delivery, &attempts)))
}

/// Send a delivery again: a new delivery with the same payload.
#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/replay", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 201, description = "The new delivery", body = WebhookDelivery, headers(("Location" = String))),
        (status = 404, description = "No such delivery", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn replay_delivery(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    let replay = webhooks::replay(&db.get(), &actor, *id).await?;
    Ok(created(
        format!("/api/v1/webhook-deliveries/{}", replay.id),
        None,
        &WebhookDelivery::with_attempts(replay, &[]),
    ))
}
