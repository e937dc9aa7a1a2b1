//! Full-text search: `GET /api/v1/search`.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{PageParams, RestResult, page_response};
use crate::domain::Actor;
use crate::domain::search::SearchKind;
use crate::error::AppError;
use crate::service::claims::ClaimFilter;
use crate::service::pagination::ListOrder;
use crate::service::search::{self, Search, SearchCursor, SearchPage, SearchQuery};
use crate::state::AppState;
use crate::views::SearchHit;
use crate::views::inputs::{ClaimFilterInput, comma_separated};

pub fn resource() -> actix_web::Resource {
    web::resource("/search")
        .route(web::get().to(search))
        .default_service(web::to(super::method_not_allowed))
}

/// What to look for.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words (any case, accents and form), `"a phrase"`, `OR`, `-excluded`.
    #[param(example = "francois bataclan killed")]
    pub q: String,
    /// The kinds of records to search, comma-separated (default: all).
    #[serde(default, deserialize_with = "comma_separated")]
    #[param(value_type = Option<String>, example = "claim,article")]
    pub kinds: Option<Vec<SearchKind>>,
}

/// Search claims (text, quote, speaker, subject, standing verdict summaries), articles
/// (title, outlet, body) and sources (name, aliases, description), most relevant first,
/// with the passages that matched; the claim filters narrow claim hits.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(SearchParams, ("limit" = Option<i32>, Query, description = "Page size: default 20, at most 100"), ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"), ClaimFilterInput),
    responses(
        (status = 200, description = "One page of hits, most relevant first", body = super::ListPage<SearchHit>),
        (status = 400, description = "Invalid query or parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn search(
    request: HttpRequest,
    state: web::Data<AppState>,
    db: RequestDb,
    actor: Actor,
    params: web::Query<SearchParams>,
    page: web::Query<PageParams>,
    filter: web::Query<ClaimFilterInput>,
) -> RestResult {
    let params = params.into_inner();
    let query = SearchQuery::parse("q", &params.q).map_err(|e| AppError::Validation(vec![e]))?;
    // The search's cursor is its own: only the page size is read the usual way.
    let first = PageParams {
        cursor: None,
        ..page.0.clone()
    }
    .in_order(ListOrder::default(), &state)?
    .first;
    let after = page
        .cursor
        .as_deref()
        .map(|raw| SearchCursor::decode("cursor", raw))
        .transpose()?;
    let search = Search {
        query,
        kinds: params.kinds.unwrap_or_default(),
        claims: Some(ClaimFilter::try_from(filter.into_inner())?),
    };
    let hits = search::search(&db.get(), &actor, &search, &SearchPage { first, after }).await?;
    Ok(page_response(&request, hits.map(SearchHit::from)))
}
