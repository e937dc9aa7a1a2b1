//! Notes: `/api/v1/claims/{id}/notes` and `/api/v1/notes/{id}`. Internal: callers
//! without credentials are refused even where anonymous reads are on.

use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{
    PageParams, RestResult, created, expected_version, ok_versioned, page_response, read_versioned,
};
use crate::domain::Actor;
use crate::service::notes::{self, NoteFilter};
use crate::service::pagination::{Direction, ListOrder, SortField};
use crate::state::AppState;
use crate::views::inputs::{AddNoteInput, EditNoteInput, RetractNoteInput};
use crate::views::{Note, NoteRevision};

/// `/claims/{id}/notes` (mounted under the claims scope).
pub fn claim_notes_resource() -> actix_web::Resource {
    web::resource("/{id}/notes")
        .route(web::get().to(list_notes))
        .route(web::post().to(add_note))
        .default_service(web::to(super::method_not_allowed))
}

pub fn scope() -> actix_web::Scope {
    web::scope("/notes")
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_note))
                .route(web::patch().to(edit_note))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/retraction")
                .route(web::post().to(retract_note))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// A note with the earlier texts of it.
#[derive(Serialize, ToSchema)]
pub struct NoteResource {
    #[serde(flatten)]
    pub note: Note,
    /// Earlier texts, oldest first.
    pub history: Vec<NoteRevision>,
}

async fn resource(
    db: &RequestDb,
    actor: &Actor,
    note: Note,
) -> Result<NoteResource, crate::error::AppError> {
    let history = notes::revisions(&db.get(), actor, note.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(NoteResource { note, history })
}

/// Which of a claim's notes to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoteListParams {
    /// Only the notes on this verification.
    pub verification_id: Option<Uuid>,
    /// `true`: leave out retracted notes.
    pub without_retracted: Option<bool>,
}

/// List a claim's notes, oldest first.
#[utoipa::path(get, path = "/api/v1/claims/{id}/notes", tag = "notes",
    params(("id" = Uuid, Path, description = "Claim id"), ("limit" = Option<i32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor"), NoteListParams),
    responses(
        (status = 200, description = "One page of notes", body = super::ListPage<Note>),
        (status = 401, description = "Notes are internal: credentials required", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_notes(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
    params: web::Query<NoteListParams>,
) -> RestResult {
    crate::service::claims::get(&db.get(), &actor, *id).await?;
    let order = ListOrder {
        field: SortField::CreatedAt,
        direction: Direction::Asc,
    };
    let page = page.in_order(order, &state)?;
    let filter = NoteFilter {
        verification_id: params.verification_id,
        without_retracted: params.without_retracted.unwrap_or(false),
    };
    let rows = notes::for_claim(&db.get(), &actor, *id, filter, &page).await?;
    Ok(page_response(&request, rows.map(Note::from)))
}

/// Add a note to a claim (or to one of its verifications, with `verification_id`).
#[utoipa::path(post, path = "/api/v1/claims/{id}/notes", tag = "notes",
    request_body = AddNoteInput,
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 201, description = "Added", body = NoteResource, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the checker role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim is archived", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn add_note(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<AddNoteInput>,
) -> RestResult {
    let input = body.into_inner();
    let note = notes::add(&db.get(), &actor, *id, input.verification_id, &input.body).await?;
    let (location, version) = (format!("/api/v1/notes/{}", note.id), note.version);
    let body = resource(&db, &actor, note.into()).await?;
    Ok(created(location, Some(version), &body))
}

/// A note with its history.
#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 200, description = "The note", body = NoteResource, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 401, description = "Notes are internal: credentials required", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such note", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_note(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let note = notes::get(&db.get(), &actor, *id).await?;
    let version = note.version;
    Ok(read_versioned(
        &request,
        version,
        &resource(&db, &actor, note.into()).await?,
    ))
}

/// Change a note's text (its author only; `If-Match` with its ETag required).
#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "notes",
    request_body = EditNoteInput,
    params(("id" = Uuid, Path, description = "Note id"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The note", body = NoteResource, headers(("ETag" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such note", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Someone else's note, or a retracted one", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn edit_note(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<EditNoteInput>,
) -> RestResult {
    let version = expected_version(&request, async {
        Ok(notes::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    let note = notes::edit(&db.get(), &actor, *id, version, &body.body).await?;
    let version = note.version;
    Ok(ok_versioned(
        version,
        &resource(&db, &actor, note.into()).await?,
    ))
}

/// Withdraw a note (its author, or an editor): it stays, marked retracted.
#[utoipa::path(post, path = "/api/v1/notes/{id}/retraction", tag = "notes",
    request_body = RetractNoteInput,
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 200, description = "The retracted note", body = NoteResource, headers(("ETag" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Someone else's note, and not an editor", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such note", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Already retracted", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn retract_note(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<RetractNoteInput>,
) -> RestResult {
    let note = notes::retract(&db.get(), &actor, *id, &body.reason).await?;
    let version = note.version;
    Ok(ok_versioned(
        version,
        &resource(&db, &actor, note.into()).await?,
    ))
}
