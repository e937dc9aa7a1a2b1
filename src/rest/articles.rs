//! `/api/v1/articles`

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{
    PageParams, RestResult, created, delete_precondition, expected_version, ok_versioned,
    page_response, read_versioned,
};
use crate::domain::Actor;
use crate::service::articles::{self, ArticleFilter};
use crate::state::AppState;
use crate::views::Article;
use crate::views::inputs::{CreateArticleInput, UpdateArticleInput};

pub fn scope() -> actix_web::Scope {
    let [tags, tag] = super::tags::article_resources();
    web::scope("/articles")
        .service(tags)
        .service(tag)
        .service(
            web::resource("")
                .route(web::get().to(list_articles))
                .route(web::post().to(create_article))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_article))
                .route(web::patch().to(update_article))
                .route(web::delete().to(delete_article))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(super::candidates::article_resource())
}

/// Filters for listing articles.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListParams {
    /// The article with this URL (any spelling: it is canonicalised), as a list of 0 or 1.
    pub url: Option<String>,
    /// Published by this outlet.
    pub outlet_id: Option<Uuid>,
    /// In this language.
    pub language: Option<String>,
    /// Published at or after this time (RFC 3339).
    pub published_after: Option<DateTime<Utc>>,
    /// Published before this time (RFC 3339).
    pub published_before: Option<DateTime<Utc>>,
    /// Carrying any of these tags (comma-separated names; unknown ones match nothing).
    #[serde(default, deserialize_with = "crate::views::inputs::comma_separated")]
    #[param(value_type = Option<String>, example = "elections-2027,health")]
    pub tags: Option<Vec<String>>,
}

/// List articles.
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles",
    params(PageParams, ArticleListParams),
    responses(
        (status = 200, description = "One page of articles", body = super::ListPage<Article>),
        (status = 400, description = "Invalid parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_articles(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    page: web::Query<PageParams>,
    filter: web::Query<ArticleListParams>,
) -> RestResult {
    let page = page.to_request(&state)?;
    if let Some(url) = &filter.url {
        // A URL names at most one article: answer it as a one-item (or empty) page.
        let found = match articles::get_by_url(&db.get(), &actor, url).await {
            Ok(article) => vec![Article::from(article)],
            Err(crate::error::AppError::NotFound { .. }) => Vec::new(),
            Err(other) => return Err(other.into()),
        };
        return Ok(HttpResponse::Ok().json(super::ListPage {
            items: found,
            next_cursor: None,
            next: None,
        }));
    }
    let filter = ArticleFilter {
        outlet_id: filter.outlet_id,
        language: filter.language.clone(),
        published_after: filter.published_after,
        published_before: filter.published_before,
        tags: filter.tags.clone(),
    };
    let rows = articles::list(&db.get(), &actor, &filter, &page).await?;
    Ok(page_response(&request, rows.map(Article::from)))
}

/// Create an article.
#[utoipa::path(post, path = "/api/v1/articles", tag = "articles",
    request_body = CreateArticleInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe")),
    responses(
        (status = 201, description = "Created", body = Article, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "An article with this canonical URL exists", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_article(
    db: RequestDb,
    actor: Actor,
    body: web::Json<CreateArticleInput>,
) -> RestResult {
    let article = articles::create(&db.get(), &actor, body.into_inner().into()).await?;
    Ok(created(
        format!("/api/v1/articles/{}", article.id),
        Some(article.version),
        &Article::from(article),
    ))
}

/// Get an article.
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles",
    params(("id" = Uuid, Path, description = "Article id"), ("If-None-Match" = Option<String>, Header, description = "304 when it names the current version")),
    responses(
        (status = 200, description = "The article", body = Article, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the version named by If-None-Match"),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_article(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let article = articles::get(&db.get(), &actor, *id).await?;
    Ok(read_versioned(
        &request,
        article.version,
        &Article::from(article),
    ))
}

/// Change an article (`If-Match` with its ETag required).
#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "articles",
    request_body = UpdateArticleInput,
    params(("id" = Uuid, Path, description = "Article id"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The changed article", body = Article, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since it was read", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update_article(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    body: web::Json<UpdateArticleInput>,
) -> RestResult {
    let version = expected_version(&request, async {
        Ok(articles::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    let article =
        articles::update(&db.get(), &actor, *id, version, body.into_inner().into()).await?;
    Ok(ok_versioned(article.version, &Article::from(article)))
}

/// How an article is deleted.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteArticleParams {
    /// Delete it even though claims with a standing verdict appeared in it (their
    /// appearances go, each audited and announced).
    #[serde(default)]
    pub force: bool,
}

/// Delete an article and its appearances (claims stay). An article where claims with a
/// standing verdict appeared is what their published reviews rest on: 409 unless
/// `force=true`. With `If-Match`, only that version.
#[utoipa::path(delete, path = "/api/v1/articles/{id}", tag = "articles",
    params(("id" = Uuid, Path, description = "Article id"), DeleteArticleParams, ("If-Match" = Option<String>, Header, description = "Delete only this version (its ETag), or `*`")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such article", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Verified claims appeared in it (and force was not given)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not name the current version", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_article(
    request: HttpRequest,
    db: RequestDb,
    actor: Actor,
    id: web::Path<Uuid>,
    params: web::Query<DeleteArticleParams>,
) -> RestResult {
    let version = delete_precondition(&request, async {
        Ok(articles::get(&db.get(), &actor, *id).await?.version)
    })
    .await?;
    articles::delete(&db.get(), &actor, *id, version, params.force).await?;
    Ok(HttpResponse::NoContent().finish())
}
