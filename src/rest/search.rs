//! Full-text search: `GET /api/v1/search`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::claims::{ClaimResource, with_appearances};
use super::idempotency::RequestDb;
use super::problem::ProblemDetails;
use super::{PageParams, RestResult, page_response};
use crate::domain::Actor;
use crate::domain::search::SearchKind;
use crate::error::AppError;
use crate::service::claims::ClaimFilter;
use crate::service::pagination::ListOrder;
use crate::service::search::{self, Search, SearchCursor, SearchPage, SearchQuery, similar};
use crate::state::AppState;
use crate::views::SearchHit;
use crate::views::inputs::{ClaimFilterInput, comma_separated};

pub fn resources() -> (actix_web::Resource, actix_web::Resource) {
    (
        web::resource("/search")
            .route(web::get().to(search))
            .default_service(web::to(super::method_not_allowed)),
        web::resource("/checked-before")
            .route(web::post().to(checked_before))
            .default_service(web::to(super::method_not_allowed)),
    )
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

/// A text to look for among the claims already recorded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckedBeforeInput {
    /// A sentence from a new article, a candidate claim, a pasted post (at most 10,000
    /// characters).
    #[schema(max_length = 10000)]
    pub text: String,
    /// Its language, e.g. `fr` (default: the claims' most common).
    pub language: Option<String>,
    /// At most this many matches (1 to 20; default 5).
    #[schema(minimum = 1, maximum = 20)]
    pub limit: Option<i32>,
    /// Only matches scoring at least this (0 to 1; default 0.2).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub min_score: Option<f64>,
}

/// An existing claim the text may make.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClaimMatch {
    /// The claim, with its current verdict.
    pub claim: ClaimResource,
    /// How likely it is the same claim, from 0 to 1.
    pub score: f64,
}

/// The matches, best first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckedBefore {
    pub matches: Vec<ClaimMatch>,
}

/// "Checked before?": the existing claims most likely to be the claim a text makes,
/// best first, each with a score; figures that differ and a denial against an assertion
/// count against a match.
#[utoipa::path(post, path = "/api/v1/checked-before", tag = "search",
    request_body = CheckedBeforeInput,
    responses(
        (status = 200, description = "The matches, best first", body = CheckedBefore),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn checked_before(
    db: RequestDb,
    actor: Actor,
    body: web::Json<CheckedBeforeInput>,
) -> RestResult {
    let input = body.into_inner();
    let limit = match input.limit.map(usize::try_from) {
        None => 5,
        Some(Ok(n @ 1..=20)) => n,
        Some(_) => return Err(AppError::invalid("limit", "must be between 1 and 20").into()),
    };
    let min_score = input.min_score.unwrap_or(0.2);
    if !(0.0..=1.0).contains(&min_score) {
        return Err(AppError::invalid("min_score", "must be between 0 and 1").into());
    }
    let matches = similar::checked_before(
        &db.get(),
        &actor,
        &input.text,
        input.language.as_deref(),
        limit,
        min_score,
        &[],
    )
    .await?;
    let scores: Vec<f64> = matches.iter().map(|m| m.score).collect();
    let claims = with_appearances(
        &db.get(),
        &actor,
        matches.into_iter().map(|m| m.claim).collect(),
    )
    .await?;
    let matches = claims
        .into_iter()
        .zip(scores)
        .map(|(claim, score)| ClaimMatch { claim, score })
        .collect();
    Ok(HttpResponse::Ok().json(CheckedBefore { matches }))
}
