//! `/api/v1/sources`

use actix_web::{HttpRequest, web};
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{
    PageParams, RestResult, created, delete_precondition, expected_version, ok_versioned,
    page_response, parse_list, read_versioned,
};
use crate::domain::{Actor, SourceKind};
use crate::service::sources::{self, SourceFilter};
use crate::state::AppState;
use crate::views::inputs::{CreateSourceInput, UpdateSourceInput};
use crate::views::{self, Source};

pub fn scope() -> actix_web::Scope {
    web::scope("/sources")
        .service(
            web::resource("")
                .route(web::get().to(list_sources))
                .route(web::post().to(create_source))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}/record")
                .route(web::get().to(get_speaker_record))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_source))
                .route(web::patch().to(update_source))
                .route(web::delete().to(delete_source))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// Filters for listing sources.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceListParams {
    /// Comma-separated kinds, e.g. `person,organization`.
    pub kind: Option<String>,
    /// Name contains this text (case-insensitive).
    pub name_contains: Option<String>,
}

/// List sources.
#[utoipa::path(get, path = "/api/v1/sources", tag = "sources",
    params(PageParams, SourceListParams),
    responses(
        (status = 200, description = "One page of sources", body = super::ListPage<Source>),
        (status = 400, description = "Invalid parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_sources(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    page: web::Query<PageParams>,
    filter: web::Query<SourceListParams>,
) -> RestResult {
    let page = page.to_request(&state)?;
    let filter = SourceFilter {
        kind: parse_list::<SourceKind>("kind", &filter.kind)?,
        name_contains: filter.name_contains.clone(),
    };
    let rows = sources::list(&db.get(), &actor, &filter, &page).await?;
    Ok(page_response(&request, rows.map(Source::from)))
}

/// Create a source.
#[utoipa::path(post, path = "/api/v1/sources", tag = "sources",
    request_body = CreateSourceInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: the same key and body return the first response")),
    responses(
        (status = 201, description = "Created", body = Source, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A source with this kind and name exists", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_source(
    db: RequestDb,
    actor: Actor,
    body: web::Json<CreateSourceInput>,
) -> RestResult {
    let source = sources::create(&db.get(), &actor, body.into_inner().into()).await?;
    Ok(created(
        format!("/api/v1/sources/{}", source.id),
        Some(source.version),
        &Source::from(source),
    ))
}

/// Get a source.
#[utoipa::path(get, path = "/api/v1/sources/{id}", tag = "sources",
    params(("id" = Uuid, Path, description = "Source id"), ("If-None-Match" = Option<String>, Header, description = "304 when it names the current version")),
    responses(
        (status = 200, description = "The source", body = Source, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the version named by If-None-Match"),
        (status = 404, description = "No such source", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_source(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let source = sources::get(&db.get(), &actor, *id).await?;
    Ok(read_versioned(
        &request,
        source.version,
        &views::Source::from(source),
    ))
}

/// Change a source (`If-Match` with its ETag required).
#[utoipa::path(patch, path = "/api/v1/sources/{id}", tag = "sources",
    request_body = UpdateSourceInput,
    params(("id" = Uuid, Path, description = "Source id"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The changed source", body = Source, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since it was read", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update_source(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<UpdateSourceInput>,
) -> RestResult {
    let version = expected_version(&request, async {
        Ok(sources::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    let source = sources::update(&db.get(), &actor, *id, version, body.into_inner().into()).await?;
    Ok(ok_versioned(source.version, &Source::from(source)))
}

/// Delete a source that nothing refers to (with `If-Match`, only that version).
#[utoipa::path(delete, path = "/api/v1/sources/{id}", tag = "sources",
    params(("id" = Uuid, Path, description = "Source id"), ("If-Match" = Option<String>, Header, description = "Delete only this version (its ETag), or `*`")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "If-Match does not name the current version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such source", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Still referred to", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_source(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let version = delete_precondition(&request, async {
        Ok(sources::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    sources::delete(&db.get(), &actor, *id, version).await?;
    Ok(actix_web::HttpResponse::NoContent().finish())
}

/// The window of a speaker record.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordWindow {
    /// Start of the window (inclusive, RFC 3339); open when absent.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// End of the window (exclusive, RFC 3339); open when absent.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// How a source's claims were judged in a time window: each claim counted once, by its
/// latest verdict in the window that still stands.
#[utoipa::path(get, path = "/api/v1/sources/{id}/record", tag = "sources",
    params(("id" = Uuid, Path, description = "Source id"), RecordWindow),
    responses(
        (status = 200, description = "Counts by verdict", body = views::SpeakerRecord),
        (status = 400, description = "Invalid window", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such source", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_speaker_record(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    window: web::Query<RecordWindow>,
) -> RestResult {
    let record = crate::service::verifications::speaker_record(
        &db.get(),
        &actor,
        *id,
        window.from,
        window.to,
    )
    .await?;
    let record: views::SpeakerRecord = record.into();
    Ok(actix_web::HttpResponse::Ok().json(record))
}
