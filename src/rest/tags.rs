//! Tags: `/api/v1/tags`, and the tags of `/api/v1/claims/{id}` and `/api/v1/articles/{id}`.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::RestResult;
use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use crate::domain::Actor;
use crate::service::tags::{self, Link};
use crate::service::{articles, claims};
use crate::views::inputs::{RenameTagInput, TagsInput};
use crate::views::{Tag, TagCount};

pub fn scope() -> actix_web::Scope {
    web::scope("/tags")
        .service(
            web::resource("")
                .route(web::get().to(list_tags))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}")
                .route(web::patch().to(rename_tag))
                .route(web::delete().to(delete_tag))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// `/{id}/tags` and `/{id}/tags/{name}` under the claims scope.
pub fn claim_resources() -> [actix_web::Resource; 2] {
    [
        web::resource("/{id}/tags")
            .route(web::get().to(claim_tags))
            .route(web::post().to(tag_claim))
            .default_service(web::to(super::method_not_allowed)),
        web::resource("/{id}/tags/{name}")
            .route(web::delete().to(untag_claim))
            .default_service(web::to(super::method_not_allowed)),
    ]
}

/// `/{id}/tags` and `/{id}/tags/{name}` under the articles scope.
pub fn article_resources() -> [actix_web::Resource; 2] {
    [
        web::resource("/{id}/tags")
            .route(web::get().to(article_tags))
            .route(web::post().to(tag_article))
            .default_service(web::to(super::method_not_allowed)),
        web::resource("/{id}/tags/{name}")
            .route(web::delete().to(untag_article))
            .default_service(web::to(super::method_not_allowed)),
    ]
}

fn tag_list(found: Vec<crate::entity::tag::Model>) -> HttpResponse {
    HttpResponse::Ok().json(found.into_iter().map(Tag::from).collect::<Vec<_>>())
}

async fn current(db: &RequestDb, actor: &Actor, link: Link, owner: Uuid) -> RestResult {
    let found = tags::of(&db.get(), actor, link, &[owner])
        .await?
        .remove(&owner)
        .unwrap_or_default();
    Ok(tag_list(found))
}

/// Every tag, by name, with how many claims and articles carry it.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags",
    responses(
        (status = 200, description = "Every tag", body = Vec<TagCount>),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_tags(db: RequestDb, actor: Actor) -> RestResult {
    let found: Vec<TagCount> = tags::list(&db.get(), &actor)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(found))
}

/// Rename a tag everywhere it is used (editors).
#[utoipa::path(patch, path = "/api/v1/tags/{id}", tag = "tags",
    request_body = RenameTagInput,
    params(("id" = Uuid, Path, description = "Tag id")),
    responses(
        (status = 200, description = "The renamed tag", body = Tag),
        (status = 400, description = "Invalid name", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Another tag has that name", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn rename_tag(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<RenameTagInput>,
) -> RestResult {
    let renamed = tags::rename(&db.get(), &actor, *id, &body.name).await?;
    Ok(HttpResponse::Ok().json(Tag::from(renamed)))
}

/// Delete a tag, taking it off everything (editors).
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags",
    params(("id" = Uuid, Path, description = "Tag id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_tag(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    tags::delete(&db.get(), &actor, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A claim's tags, by name.
#[utoipa::path(get, path = "/api/v1/claims/{id}/tags", tag = "tags",
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 200, description = "Its tags", body = Vec<Tag>),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn claim_tags(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    claims::get(&db.get(), &actor, *id).await?;
    current(&db, &actor, Link::Claim, *id).await
}

/// Add tags to a claim by name (new names become tags); answers its tags.
#[utoipa::path(post, path = "/api/v1/claims/{id}/tags", tag = "tags",
    request_body = TagsInput,
    params(("id" = Uuid, Path, description = "Claim id")),
    responses(
        (status = 200, description = "Its tags now", body = Vec<Tag>),
        (status = 400, description = "Invalid names", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the checker role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The claim is archived", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn tag_claim(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<TagsInput>,
) -> RestResult {
    Ok(tag_list(
        tags::tag(&db.get(), &actor, Link::Claim, *id, &body.tags).await?,
    ))
}

/// Take a tag off a claim; answers its tags.
#[utoipa::path(delete, path = "/api/v1/claims/{id}/tags/{name}", tag = "tags",
    params(("id" = Uuid, Path, description = "Claim id"), ("name" = String, Path, description = "Tag name")),
    responses(
        (status = 200, description = "Its tags now", body = Vec<Tag>),
        (status = 404, description = "No such claim", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn untag_claim(
    db: RequestDb,
    actor: Actor,
    path: web::Path<(Uuid, String)>,
) -> RestResult {
    let (id, name) = path.into_inner();
    Ok(tag_list(
        tags::untag(&db.get(), &actor, Link::Claim, id, &[name]).await?,
    ))
}

/// An article's tags, by name.
#[utoipa::path(get, path = "/api/v1/articles/{id}/tags", tag = "tags",
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 200, description = "Its tags", body = Vec<Tag>),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn article_tags(db: RequestDb, actor: Actor, id: web::Path<Uuid>) -> RestResult {
    articles::get(&db.get(), &actor, *id).await?;
    current(&db, &actor, Link::Article, *id).await
}

/// Add tags to an article by name; answers its tags.
#[utoipa::path(post, path = "/api/v1/articles/{id}/tags", tag = "tags",
    request_body = TagsInput,
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 200, description = "Its tags now", body = Vec<Tag>),
        (status = 400, description = "Invalid names", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the checker role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn tag_article(
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<TagsInput>,
) -> RestResult {
    Ok(tag_list(
        tags::tag(&db.get(), &actor, Link::Article, *id, &body.tags).await?,
    ))
}

/// Take a tag off an article; answers its tags.
#[utoipa::path(delete, path = "/api/v1/articles/{id}/tags/{name}", tag = "tags",
    params(("id" = Uuid, Path, description = "Article id"), ("name" = String, Path, description = "Tag name")),
    responses(
        (status = 200, description = "Its tags now", body = Vec<Tag>),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn untag_article(
    db: RequestDb,
    actor: Actor,
    path: web::Path<(Uuid, String)>,
) -> RestResult {
    let (id, name) = path.into_inner();
    Ok(tag_list(
        tags::untag(&db.get(), &actor, Link::Article, id, &[name]).await?,
    ))
}
