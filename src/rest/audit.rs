//! Audit trails: `GET /api/v1/audit-events`.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{PageParams, RestResult, page_response};
use crate::domain::Actor;
use crate::error::AppError;
use crate::service::audit;
use crate::service::pagination::{Direction, ListOrder, SortField};
use crate::state::AppState;
use crate::views::AuditEvent;

pub fn resource() -> actix_web::Resource {
    web::resource("/audit-events")
        .route(web::get().to(list_audit_events))
        .default_service(web::to(super::method_not_allowed))
}

/// Whose trail: a claim's (with its appearances and verifications), or one record's own.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrailParams {
    /// A claim: its trail with its appearances' and verifications' events.
    pub claim_id: Option<Uuid>,
    /// With `entity_id`: one record's own events (`claim`, `article`, `source`,
    /// `verification`, `appearance`, `note`, `tag`, `candidate`, `conflict`,
    /// `webhook_endpoint`, `api_key`, `principal`), deleted and merged records included.
    pub entity_type: Option<String>,
    /// The record's id.
    pub entity_id: Option<Uuid>,
}

/// An audit trail, oldest first (`direction=desc`: newest first).
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit",
    params(TrailParams, PageParams),
    responses(
        (status = 200, description = "One page of the trail", body = super::ListPage<AuditEvent>),
        (status = 400, description = "Neither a claim nor a record named, or an unknown record type", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_audit_events(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    params: web::Query<TrailParams>,
    page: web::Query<PageParams>,
) -> RestResult {
    let direction = match page.direction.as_deref() {
        None | Some("asc") => Direction::Asc,
        Some("desc") => Direction::Desc,
        Some(other) => {
            return Err(
                AppError::invalid("direction", format!("'{other}' is not asc or desc")).into(),
            );
        }
    };
    let order = ListOrder {
        field: SortField::CreatedAt,
        direction,
    };
    let request_page = page.in_order(order, &state)?;
    let rows = match (&*params, params.entity_type.as_deref(), params.entity_id) {
        (
            TrailParams {
                claim_id: Some(claim),
                ..
            },
            None,
            None,
        ) => audit::for_claim(&db.get(), &actor, *claim, &request_page).await?,
        (TrailParams { claim_id: None, .. }, Some(kind), Some(id)) => {
            audit::for_record(&db.get(), &actor, kind, id, &request_page).await?
        }
        _ => {
            return Err(AppError::invalid(
                "claim_id",
                "give claim_id, or entity_type and entity_id",
            )
            .into());
        }
    };
    Ok(page_response(&request, rows.map(AuditEvent::from)))
}
