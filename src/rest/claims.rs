//! `/api/v1/claims`, with their appearances.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{
    PageParams, RestResult, created, delete_precondition, expected_version, ok_versioned,
    page_response, read_versioned,
};
use crate::domain::Actor;
use crate::entity::claim;
use crate::error::AppError;
use crate::service::appearances;
use crate::service::claims::{self, ClaimFilter};
use crate::service::pagination::{Direction, ListOrder, SortField};
use crate::state::AppState;
use crate::views::inputs::{AppearanceInput, ClaimFilterInput, CreateClaimInput, UpdateClaimInput};
use crate::views::{Appearance, Claim};

/// Appearances shown inline with a claim (a claim appears in few articles).
const INLINE_APPEARANCES: u64 = 100;

pub fn scope() -> actix_web::Scope {
    let [tags, tag] = super::tags::claim_resources();
    web::scope("/claims")
        .service(tags)
        .service(tag)
        .service(
            web::resource("")
                .route(web::get().to(list_claims))
                .route(web::post().to(create_claim))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_claim))
                .route(web::patch().to(update_claim))
                .route(web::delete().to(delete_claim))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/appearances")
                .route(web::get().to(list_appearances))
                .route(web::post().to(add_appearance))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/appearances/{appearance_id}")
                .route(web::delete().to(remove_appearance))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/standing")
                .route(web::get().to(super::verifications::get_standing))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/merge")
                .route(web::post().to(merge_claim))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(super::assignments::resource())
        .service(super::notes::claim_notes_resource())
        .service(
            web::resource("/{id}/claimreview")
                .route(web::get().to(get_claim_review))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/verifications")
                .route(web::get().to(super::verifications::list_verifications))
                .route(web::post().to(super::verifications::record_verification))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// A claim with where it appeared.
#[derive(Serialize, ToSchema)]
pub struct ClaimResource {
    #[serde(flatten)]
    pub claim: Claim,
    /// The articles it appeared in, oldest first.
    pub appearances: Vec<Appearance>,
}

/// Adds the appearances of `claims` (one statement for all of them).
pub(crate) async fn with_appearances(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claims: Vec<claim::Model>,
) -> Result<Vec<ClaimResource>, AppError> {
    let ids: Vec<Uuid> = claims.iter().map(|c| c.id).collect();
    let mut by_claim: HashMap<Uuid, Vec<Appearance>> = HashMap::new();
    for row in
        appearances::first_n_per_claim(db, actor, &ids, INLINE_APPEARANCES, Direction::Asc).await?
    {
        by_claim.entry(row.claim_id).or_default().push(row.into());
    }
    Ok(claims
        .into_iter()
        .map(|c| ClaimResource {
            appearances: by_claim.remove(&c.id).unwrap_or_default(),
            claim: c.into(),
        })
        .collect())
}

async fn one_with_appearances(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim: claim::Model,
) -> Result<ClaimResource, AppError> {
    let id = claim.id;
    with_appearances(db, actor, vec![claim])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("claim", id))
}

/// Filters for listing claims (lists are comma-separated).
#[utoipa::path(get, path = "/api/v1/claims", tag = "claims",
    params(PageParams, ClaimFilterInput),
    responses(
        (status = 200, description = "One page of claims", body = super::ListPage<ClaimResource>),
        (status = 400, description = "Invalid parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_claims(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    page: web::Query<PageParams>,
    filter: web::Query<ClaimFilterInput>,
) -> RestResult {
    let page = page.to_request(&state)?;
    let filter = ClaimFilter::try_from(filter.into_inner())?;
    let rows = claims::list(&db.get(), &actor, &filter, &page).await?;
    let resources = with_appearances(&db.get(), &actor, rows.rows()).await?;
    Ok(page_response(&request, rows.with_items(resources)))
}

/// Create a claim, with the articles it appeared in.
#[utoipa::path(post, path = "/api/v1/claims", tag = "claims",
    request_body = CreateClaimInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe")),
    responses(
        (status = 201, description = "Created", body = ClaimResource, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_claim(
    db: RequestDb,
    actor: Actor,
    body: web::Json<CreateClaimInput>,
) -> RestResult {
    let claim = claims::create(&db.get(), &actor, body.into_inner().into()).await?;
    let (id, version) = (claim.id, claim.version);
    let resource = one_with_appearances(&db.get(), &actor, claim).await?;
    Ok(created(
        format!("/api/v1/claims/{id}"),
        Some(version),
        &resource,
    ))
}

/// Get a claim with its appearances.
#[utoipa::path(get, path = "/api/v1/claims/{id}", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id"), ("If-None-Match" = Option<String>, Header, description = "304 when it names the current version")),
    responses(
        (status = 200, description = "The claim", body = ClaimResource, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the version named by If-None-Match"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_claim(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let claim = claims::get(&db.get(), &actor, *id).await?;
    let version = claim.version;
    Ok(read_versioned(
        &request,
        version,
        &one_with_appearances(&db.get(), &actor, claim).await?,
    ))
}

/// Change a claim (`If-Match` with its ETag required).
#[utoipa::path(patch, path = "/api/v1/claims/{id}", tag = "claims",
    request_body = UpdateClaimInput,
    params(("id" = Uuid, Path, description = "Claim id"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The changed claim", body = ClaimResource, headers(("ETag" = String))),
        (status = 400, description = "Invalid input or status move", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Changed by someone else since it was read", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update_claim(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<UpdateClaimInput>,
) -> RestResult {
    let version = expected_version(&request, async {
        Ok(claims::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    let claim = claims::update(&db.get(), &actor, *id, version, body.into_inner().into()).await?;
    let version = claim.version;
    Ok(ok_versioned(
        version,
        &one_with_appearances(&db.get(), &actor, claim).await?,
    ))
}

/// A duplicate to merge into a claim.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeClaimInput {
    /// The duplicate: it is deleted, and its id resolves to the claim from then on.
    pub from_id: Uuid,
    /// Merge it only at this version (else 412).
    pub expected_from_version: Option<i32>,
}

/// Merge a duplicate into this claim (editors): its appearances, verifications, notes,
/// tags, candidates and history move here; the current verdict becomes the latest
/// standing one of both; the duplicate's id resolves to this claim from then on.
#[utoipa::path(post, path = "/api/v1/claims/{id}/merge", tag = "claims",
    request_body = MergeClaimInput,
    params(("id" = Uuid, Path, description = "The claim to merge into"), ("If-Match" = Option<String>, Header, description = "Merge only into this version (its ETag), or `*`")),
    responses(
        (status = 200, description = "The merged claim", body = ClaimResource, headers(("ETag" = String))),
        (status = 400, description = "Invalid input (a claim merged into itself)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A claim is archived, or the duplicate was merged already", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "A version does not match", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn merge_claim(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<MergeClaimInput>,
) -> RestResult {
    let version = delete_precondition(&request, async {
        Ok(claims::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    let input = body.into_inner();
    let claim = crate::service::merges::merge(
        &db.get(),
        &actor,
        *id,
        input.from_id,
        version,
        input.expected_from_version,
    )
    .await?;
    let version = claim.version;
    Ok(ok_versioned(
        version,
        &one_with_appearances(&db.get(), &actor, claim).await?,
    ))
}

/// Delete a claim that has no verifications (verified claims are history: archive them).
#[utoipa::path(delete, path = "/api/v1/claims/{id}", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id"), ("If-Match" = Option<String>, Header, description = "Delete only this version (its ETag), or `*`")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "If-Match does not name the current version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim has verifications", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_claim(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let version = delete_precondition(&request, async {
        Ok(claims::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    claims::delete(&db.get(), &actor, *id, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a claim's appearances, oldest first.
#[utoipa::path(get, path = "/api/v1/claims/{id}/appearances", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id"), ("limit" = Option<i32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses(
        (status = 200, description = "One page of appearances", body = super::ListPage<Appearance>),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_appearances(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> RestResult {
    claims::get(&db.get(), &actor, *id).await?;
    let order = ListOrder {
        field: SortField::CreatedAt,
        direction: Direction::Asc,
    };
    let page = page.in_order(order, &state)?;
    let rows = appearances::for_claim(&db.get(), &actor, *id, &page).await?;
    Ok(page_response(&request, rows.map(Appearance::from)))
}

/// Record that a claim appeared in an article.
#[utoipa::path(post, path = "/api/v1/claims/{id}/appearances", tag = "claims",
    request_body = AppearanceInput,
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 201, description = "Created", body = Appearance, headers(("Location" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim already appears in that article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn add_appearance(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<AppearanceInput>,
) -> RestResult {
    let appearance = appearances::add(&db.get(), &actor, *id, body.into_inner().into()).await?;
    let location = format!(
        "/api/v1/claims/{}/appearances/{}",
        appearance.claim_id, appearance.id
    );
    Ok(created(location, None, &Appearance::from(appearance)))
}

/// Remove an appearance.
#[utoipa::path(delete, path = "/api/v1/claims/{id}/appearances/{appearance_id}", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id"), ("appearance_id" = Uuid, Path, description = "Appearance id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such appearance", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn remove_appearance(
    db: RequestDb,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
) -> RestResult {
    let (claim_id, appearance_id) = path.into_inner();
    appearances::remove(&db.get(), &actor, appearance_id, Some(claim_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The schema.org ClaimReview (JSON-LD) of the claim's current verification.
#[utoipa::path(get, path = "/api/v1/claims/{id}/claimreview", tag = "claims",
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 200, description = "ClaimReview JSON-LD", body = Object, content_type = "application/ld+json"),
        (status = 404, description = "No such claim, or no verification that stands", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_claim_review(
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let document =
        crate::interchange::claim_review::document(&db.get(), &actor, &state.settings.public, *id)
            .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .json(document))
}
