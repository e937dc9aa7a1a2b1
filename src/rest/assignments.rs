//! Assignment: `/api/v1/claims/{id}/assignment`, the caller's `/api/v1/queue`, and the
//! principals work can be given to.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::claims::{ClaimResource, with_appearances};
use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{
    PageParams, RestResult, delete_precondition, ok_versioned, page_response, read_versioned,
};
use crate::domain::Actor;
use crate::error::AppError;
use crate::service::assignments::{self, QueueCursor, QueuePage};
use crate::service::claims::ClaimFilter;
use crate::service::pagination::{ListOrder, Page};
use crate::service::principals;
use crate::state::AppState;
use crate::views::inputs::{AssignClaimInput, ClaimFilterInput};
use crate::views::{Assignment, Principal};

/// `/claims/{id}/assignment` (mounted under the claims scope).
pub fn resource() -> actix_web::Resource {
    web::resource("/{id}/assignment")
        .route(web::get().to(get_assignment))
        .route(web::put().to(assign_claim))
        .route(web::delete().to(unassign_claim))
        .default_service(web::to(super::method_not_allowed))
}

pub fn queue_resource() -> actix_web::Resource {
    web::resource("/queue")
        .route(web::get().to(my_queue))
        .default_service(web::to(super::method_not_allowed))
}

pub fn principals_scope() -> actix_web::Scope {
    web::scope("/principals")
        .service(
            web::resource("")
                .route(web::get().to(list_assignable))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/me")
                .route(web::get().to(get_me))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// The version an assignment change must find, if the request names one (`If-Match`);
/// a claim nobody has is at version 0.
async fn precondition(
    request: &HttpRequest,
    db: &RequestDb,
    actor: &Actor,
    claim_id: Uuid,
) -> Result<Option<i32>, super::problem::Problem> {
    delete_precondition(request, async {
        Ok(assignments::of_claim(&db.get(), actor, claim_id)
            .await?
            .map_or(0, |(a, _)| a.version))
    })
    .await
}

/// Who checks a claim, by when, how urgently.
#[utoipa::path(get, path = "/api/v1/claims/{id}/assignment", tag = "assignment",
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The assignment", body = Assignment, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "No such claim, or nobody has it", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_assignment(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    crate::service::claims::get(&db.get(), &actor, *id).await?;
    let (assignment, assignee) = assignments::of_claim(&db.get(), &actor, *id)
        .await?
        .ok_or_else(|| AppError::not_found("assignment", *id))?;
    let version = assignment.version;
    Ok(read_versioned(
        &request,
        version,
        &Assignment::new(assignment, assignee),
    ))
}

/// Assign a claim, or change its assignee, priority or due time. Editors assign anyone;
/// a checker may take an unassigned claim for themselves (the body `{}`).
#[utoipa::path(put, path = "/api/v1/claims/{id}/assignment", tag = "assignment",
    request_body = AssignClaimInput,
    params(("id" = Uuid, Path, description = "Claim id"), ("If-Match" = Option<String>, Header, description = "Change only this version of the assignment (its ETag; \"0\" for none)")),
    responses(
        (status = 200, description = "The assignment as it is now", body = Assignment, headers(("ETag" = String))),
        (status = 400, description = "Invalid input, or an assignee who cannot hold claims", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "A checker assigning someone else, taking someone's claim, or setting terms", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim is archived", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "The assignment changed since it was read", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn assign_claim(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<AssignClaimInput>,
) -> RestResult {
    let version = precondition(&request, &db, &actor, *id).await?;
    let input = body.into_inner();
    let assigned = assignments::assign(&db.get(), &actor, *id, input.into_change(version)).await?;
    let version = assigned.0.version;
    Ok(ok_versioned(version, &Assignment::from(assigned)))
}

/// Take a claim away from its assignee (checkers: give back their own).
#[utoipa::path(delete, path = "/api/v1/claims/{id}/assignment", tag = "assignment",
    params(("id" = Uuid, Path, description = "Claim id"), ("If-Match" = Option<String>, Header, description = "Only this version of the assignment (its ETag), or `*`")),
    responses(
        (status = 204, description = "Nobody has the claim now"),
        (status = 403, description = "A checker giving back someone else's claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim, or nobody has it", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim is archived", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "The assignment changed since it was read", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn unassign_claim(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let version = precondition(&request, &db, &actor, *id).await?;
    assignments::unassign(&db.get(), &actor, *id, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A claim in a queue, with its assignment.
#[derive(Serialize, ToSchema)]
pub struct QueuedClaim {
    #[serde(flatten)]
    pub claim: ClaimResource,
    /// Its assignment (the caller's).
    pub assignment: Assignment,
}

/// The caller's queue: claims assigned to them by due time (none last), then priority
/// (most urgent first); the claim filters narrow it.
#[utoipa::path(get, path = "/api/v1/queue", tag = "assignment",
    params(("limit" = Option<i32>, Query, description = "Page size: default 20, at most 100"), ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"), ClaimFilterInput),
    responses(
        (status = 200, description = "One page of the queue", body = super::ListPage<QueuedClaim>),
        (status = 400, description = "Invalid parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn my_queue(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    page: web::Query<PageParams>,
    filter: web::Query<ClaimFilterInput>,
) -> RestResult {
    // The queue's cursor is its own: only the page size is read the usual way.
    let first = PageParams {
        cursor: None,
        ..page.0.clone()
    }
    .in_order(ListOrder::default(), &state)?
    .first;
    let after = page
        .cursor
        .as_deref()
        .map(|raw| QueueCursor::decode("cursor", raw))
        .transpose()?;
    let filter = ClaimFilter::try_from(filter.into_inner())?;
    let Some(me) = principals::of_actor(&db.get(), &actor).await? else {
        return Ok(page_response::<QueuedClaim, QueueCursor>(
            &request,
            Page {
                items: Vec::new(),
                has_next_page: false,
                has_previous_page: false,
            },
        ));
    };
    let rows = assignments::queue(
        &db.get(),
        &actor,
        me.id,
        &filter,
        &QueuePage { first, after },
    )
    .await?;
    let claims = rows.items.iter().map(|(_, (c, _))| c.clone()).collect();
    let resources = with_appearances(&db.get(), &actor, claims).await?;
    let queued = rows
        .items
        .iter()
        .zip(resources)
        .map(|((_, (_, a)), claim)| QueuedClaim {
            claim,
            assignment: Assignment::new(a.clone(), me.clone()),
        })
        .collect();
    Ok(page_response(&request, rows.with_items(queued)))
}

/// The caller as a principal (a token holder is registered on first call).
#[utoipa::path(get, path = "/api/v1/principals/me", tag = "assignment",
    responses(
        (status = 200, description = "The caller", body = Principal),
        (status = 404, description = "The caller is no principal (anonymous reads)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_me(db: RequestDb, actor: Actor) -> RestResult {
    let me = principals::of_actor(&db.get(), &actor)
        .await?
        .ok_or_else(|| AppError::not_found("principal", &actor.name))?;
    Ok(HttpResponse::Ok().json(Principal::from(me)))
}

/// Everyone claims can be assigned to (checkers, editors, admins), by name.
#[utoipa::path(get, path = "/api/v1/principals", tag = "assignment",
    responses(
        (status = 200, description = "Assignable principals", body = Vec<Principal>),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_assignable(db: RequestDb, actor: Actor) -> RestResult {
    let principals: Vec<Principal> = principals::assignable(&db.get(), &actor)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(principals))
}
