//! Verifications: `/api/v1/claims/{id}/verifications` and `/api/v1/verifications/{id}`.

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{PageParams, RestResult, created, page_response};
use crate::domain::Actor;
use crate::entity::verification;
use crate::error::AppError;
use crate::service::pagination::ListOrder;
use crate::service::{claims, verifications};
use crate::state::AppState;
use crate::views::inputs::{RecordVerificationInput, RetractVerificationInput};
use crate::views::{Citation, Retraction, Reviewer, Verification};

pub fn scope() -> actix_web::Scope {
    web::scope("/verifications")
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_verification))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/retraction")
                .route(web::post().to(retract_verification))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// A verification with its reviewer, evidence and retraction.
#[derive(Serialize, ToSchema)]
pub struct VerificationResource {
    #[serde(flatten)]
    pub verification: Verification,
    /// Who recorded it.
    pub reviewer: Reviewer,
    /// The evidence, in order.
    pub citations: Vec<Citation>,
    /// The retraction, if it was withdrawn.
    pub retraction: Option<Retraction>,
}

/// Adds evidence and retractions to verifications (two statements for all of them).
async fn resources(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rows: Vec<verification::Model>,
) -> Result<Vec<VerificationResource>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|v| v.id).collect();
    let mut citations: HashMap<Uuid, Vec<Citation>> = HashMap::new();
    for c in verifications::citations_of(db, actor, &ids).await? {
        citations
            .entry(c.verification_id)
            .or_default()
            .push(c.into());
    }
    let mut retractions: HashMap<Uuid, Retraction> = verifications::retractions_of(db, actor, &ids)
        .await?
        .into_iter()
        .map(|r| (r.verification_id, r.into()))
        .collect();
    Ok(rows
        .into_iter()
        .map(|v| VerificationResource {
            reviewer: Reviewer {
                id: v.reviewer_id,
                name: v.reviewer_name.clone(),
            },
            citations: citations.remove(&v.id).unwrap_or_default(),
            retraction: retractions.remove(&v.id),
            verification: v.into(),
        })
        .collect())
}

async fn resource(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<VerificationResource, AppError> {
    let row = verifications::get(db, actor, id).await?;
    resources(db, actor, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("verification", id))
}

/// A claim's verification history, newest first.
#[utoipa::path(get, path = "/api/v1/claims/{id}/verifications", tag = "verifications",
    params(("id" = Uuid, Path, description = "Claim id"), ("limit" = Option<i32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses(
        (status = 200, description = "One page of the history", body = super::ListPage<VerificationResource>),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_verifications(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> RestResult {
    claims::get(&db.get(), &actor, *id).await?;
    let page = page.in_order(ListOrder::NEWEST_FIRST, &state)?;
    let rows = verifications::history(&db.get(), &actor, *id, &page).await?;
    let full = resources(&db.get(), &actor, rows.rows()).await?;
    Ok(page_response(&request, rows.with_items(full)))
}

/// Record a verification: the claim becomes `reviewed` with this verdict.
#[utoipa::path(post, path = "/api/v1/claims/{id}/verifications", tag = "verifications",
    request_body = RecordVerificationInput,
    params(("id" = Uuid, Path, description = "Claim id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe")),
    responses(
        (status = 201, description = "Recorded", body = VerificationResource, headers(("Location" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the checker role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim is archived", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn record_verification(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<RecordVerificationInput>,
) -> RestResult {
    let recorded = verifications::record(&db.get(), &actor, *id, body.into_inner().into()).await?;
    let id = recorded.verification.id;
    let resource = resource(&db.get(), &actor, id).await?;
    Ok(created(
        format!("/api/v1/verifications/{id}"),
        None,
        &resource,
    ))
}

/// Get a verification.
#[utoipa::path(get, path = "/api/v1/verifications/{id}", tag = "verifications",
    params(("id" = Uuid, Path, description = "Verification id")),
    responses(
        (status = 200, description = "The verification", body = VerificationResource),
        (status = 404, description = "No such verification", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_verification(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    Ok(actix_web::HttpResponse::Ok().json(resource(&db.get(), &actor, *id).await?))
}

/// Retract a verification: it stays in the history, marked retracted, and the claim's
/// current verdict falls back to its latest verification that stands.
#[utoipa::path(post, path = "/api/v1/verifications/{id}/retraction", tag = "verifications",
    request_body = RetractVerificationInput,
    params(("id" = Uuid, Path, description = "Verification id")),
    responses(
        (status = 201, description = "Retracted", body = VerificationResource, headers(("Location" = String))),
        (status = 403, description = "Needs the checker role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such verification", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Already retracted", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn retract_verification(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<RetractVerificationInput>,
) -> RestResult {
    verifications::retract(&db.get(), &actor, *id, &body.reason).await?;
    let resource = resource(&db.get(), &actor, *id).await?;
    Ok(created(
        format!("/api/v1/verifications/{id}"),
        None,
        &resource,
    ))
}

/// When to ask about.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// The instant (RFC 3339); default: now.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
}

/// A claim's standing at an instant.
#[derive(Serialize, ToSchema)]
pub struct Standing {
    /// The instant asked about.
    pub as_of: chrono::DateTime<chrono::Utc>,
    /// The verdict that stood then; null when none did.
    pub verdict: Option<crate::domain::Verdict>,
    /// The verification it came from.
    pub verification: Option<VerificationResource>,
}

/// A claim's verdict as it stood at an instant: the latest verification recorded by
/// then that had not been retracted by then (a retraction counts from its own time).
#[utoipa::path(get, path = "/api/v1/claims/{id}/standing", tag = "verifications",
    params(("id" = Uuid, Path, description = "Claim id"), AsOfParams),
    responses(
        (status = 200, description = "The standing then", body = Standing),
        (status = 400, description = "Invalid instant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_standing(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    params: web::Query<AsOfParams>,
) -> RestResult {
    let claim = claims::get(&db.get(), &actor, *id).await?;
    let as_of = params.as_of.unwrap_or_else(crate::service::now);
    let standing = verifications::standing_as_of(&db.get(), &actor, claim.id, as_of).await?;
    let verdict = standing.as_ref().map(|v| v.verdict);
    let verification = match standing {
        Some(row) => resources(&db.get(), &actor, vec![row]).await?.pop(),
        None => None,
    };
    Ok(actix_web::HttpResponse::Ok().json(Standing {
        as_of,
        verdict,
        verification,
    }))
}
