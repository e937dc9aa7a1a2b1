//! Candidate claims: `/api/v1/articles/{id}/candidates` and `/api/v1/candidates`.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::RestResult;
use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use crate::domain::{Actor, CandidateStatus};
use crate::service::candidates;
use crate::views::{AcceptedCandidate, ClaimCandidate};

pub fn scope() -> actix_web::Scope {
    web::scope("/candidates")
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_candidate))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/accept")
                .route(web::post().to(accept_candidate))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/dismiss")
                .route(web::post().to(dismiss_candidate))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// `/api/v1/articles/{id}/candidates`, registered in the articles scope.
pub fn article_resource() -> actix_web::Resource {
    web::resource("/{id}/candidates")
        .route(web::get().to(list_candidates))
        .route(web::post().to(extract_claims))
        .default_service(web::to(super::method_not_allowed))
}

/// Which candidates to list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateListParams {
    /// Only candidates in this status (open, accepted, dismissed).
    pub status: Option<CandidateStatus>,
}

/// The body of an accept: optionally, the source to attribute the claim to instead of
/// the speaker extraction proposed.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptCandidateInput {
    /// The source to attribute the new claim to (default: the matched or proposed one).
    #[serde(alias = "speaker_id")]
    pub speaker_id: Option<Uuid>,
    /// An existing claim this one is (see "checked before?"): the candidate becomes a
    /// new appearance of it instead of a new claim.
    #[serde(alias = "link_to_claim_id")]
    pub link_to_claim_id: Option<Uuid>,
}

/// List an article's candidate claims, in body order.
#[utoipa::path(get, path = "/api/v1/articles/{id}/candidates", tag = "candidates",
    params(("id" = Uuid, Path, description = "Article id"), CandidateListParams),
    responses(
        (status = 200, description = "The article's candidates", body = Vec<ClaimCandidate>),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_candidates(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    params: web::Query<CandidateListParams>,
) -> RestResult {
    let rows = candidates::list_for_article(&db.get(), &actor, *id, params.status).await?;
    let body: Vec<ClaimCandidate> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Extract candidate claims from the article's body (quotes, figures, reported
/// statements). Running it again keeps what checkers did with earlier candidates.
#[utoipa::path(post, path = "/api/v1/articles/{id}/candidates", tag = "candidates",
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 200, description = "All of the article's candidates after extraction", body = Vec<ClaimCandidate>),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn extract_claims(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    let rows = candidates::extract_for_article(&db.get(), &actor, *id).await?;
    let body: Vec<ClaimCandidate> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Get a candidate claim.
#[utoipa::path(get, path = "/api/v1/candidates/{id}", tag = "candidates",
    params(("id" = Uuid, Path, description = "Candidate id")),
    responses(
        (status = 200, description = "The candidate", body = ClaimCandidate),
        (status = 404, description = "No such candidate", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_candidate(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    let row = candidates::get(&db.get(), &actor, *id).await?;
    Ok(HttpResponse::Ok().json(ClaimCandidate::from(row)))
}

/// Accept a candidate: a claim is created with its appearance at the candidate's span
/// (201). Accepting it again returns that claim and creates nothing (200).
#[utoipa::path(post, path = "/api/v1/candidates/{id}/accept", tag = "candidates",
    request_body(content = Option<AcceptCandidateInput>, description = "Optional: the source to attribute the claim to, or an existing claim to link the candidate to"),
    params(("id" = Uuid, Path, description = "Candidate id")),
    responses(
        (status = 201, description = "Accepted: a claim was created", body = AcceptedCandidate, headers(("Location" = String))),
        (status = 200, description = "Accepted before: its claim", body = AcceptedCandidate),
        (status = 404, description = "No such candidate, or no such claim to link to", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The article changed since the candidate was proposed, or the claim to link to is archived", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn accept_candidate(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> RestResult {
    // The body is optional; when one is sent it must be valid.
    let input: AcceptCandidateInput = if body.iter().all(u8::is_ascii_whitespace) {
        AcceptCandidateInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            super::problem::Problem::invalid(&[crate::domain::FieldError::new(
                "body",
                e.to_string(),
            )])
        })?
    };
    let accepted = candidates::accept(
        &db.get(),
        &actor,
        *id,
        input.speaker_id,
        input.link_to_claim_id,
    )
    .await?;
    let location = format!("/api/v1/claims/{}", accepted.claim.id);
    let created = accepted.created;
    let body = AcceptedCandidate::from(accepted);
    Ok(if created {
        super::created(location, None, &body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Dismiss a candidate.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/dismiss", tag = "candidates",
    params(("id" = Uuid, Path, description = "Candidate id")),
    responses(
        (status = 200, description = "The dismissed candidate", body = ClaimCandidate),
        (status = 409, description = "Accepted already", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn dismiss_candidate(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    let row = candidates::dismiss(&db.get(), &actor, *id).await?;
    Ok(HttpResponse::Ok().json(ClaimCandidate::from(row)))
}
