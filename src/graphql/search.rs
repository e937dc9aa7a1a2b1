//! Full-text search: ranked hits of any kind, with highlighted snippets.

use std::collections::HashMap;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, SimpleObject, Union};

use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::{ArticleKey, ClaimKey, SourceKey};
use crate::domain::search::SearchKind;
use crate::error::AppError;
use crate::service::claims::ClaimFilter;
use crate::service::pagination::{ListOrder, PageCursor, PageRequest};
use crate::service::search::{self, Search, SearchCursor, SearchPage, SearchQuery, similar};
use crate::views;
use crate::views::inputs::ClaimFilterInput;

/// A record a search found.
#[derive(Clone, Union)]
pub enum SearchResult {
    Claim(views::Claim),
    Article(views::Article),
    Source(views::Source),
}

/// One hit: the record, how well it matched, why, and its cursor.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Pass as `after` to continue after this hit.
    pub cursor: String,
    /// The record.
    pub node: SearchResult,
    /// Relevance: higher is better; comparable within one search only.
    pub score: f64,
    /// The passages of the record that matched, with the matching words highlighted,
    /// title first.
    pub snippets: Vec<views::Snippet>,
}

/// A page of search hits, most relevant first.
#[derive(SimpleObject)]
pub struct SearchConnection {
    /// The hits of this page, each with its cursor, score and snippets.
    pub edges: Vec<SearchEdge>,
    /// Whether more pages follow, and the cursors to continue from.
    pub page_info: PageInfo,
}

/// An existing claim a text may make, and how likely: "checked before?".
#[derive(SimpleObject)]
pub struct ClaimMatch {
    /// The claim (with its `currentVerdict`).
    pub claim: views::Claim,
    /// How likely it is the same claim, from 0 to 1.
    pub score: f64,
}

/// The claims most likely to be the claim `text` makes (the root field and the
/// candidates' field share it).
pub async fn checked_before(
    ctx: &Context<'_>,
    text: &str,
    language: Option<&str>,
    first: i32,
    min_score: f64,
    except: &[uuid::Uuid],
) -> async_graphql::Result<Vec<ClaimMatch>> {
    let c = request_ctx(ctx)?;
    let limit = match usize::try_from(first) {
        Ok(n @ 1..=20) => n,
        _ => return Err(AppError::invalid("first", "must be between 1 and 20")).gql(),
    };
    if !(0.0..=1.0).contains(&min_score) {
        return Err(AppError::invalid("minScore", "must be between 0 and 1")).gql();
    }
    let matches = similar::checked_before(
        &c.state.db,
        c.actor,
        text,
        language,
        limit,
        min_score,
        except,
    )
    .await
    .gql()?;
    Ok(matches
        .into_iter()
        .map(|m| ClaimMatch {
            claim: m.claim.into(),
            score: m.score,
        })
        .collect())
}

#[derive(Default)]
pub struct SearchQueryRoot;

#[Object]
impl SearchQueryRoot {
    /// "Checked before?": given any text (a sentence from a new article, a candidate
    /// claim, a pasted post), the existing claims most likely to be the same claim, best
    /// first, each with a score from 0 to 1. Words are compared in any form and case;
    /// figures that differ and a denial against an assertion count against a match.
    async fn checked_before(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The text to look for (at most 10,000 characters).")] text: String,
        #[graphql(desc = "Its language, e.g. `fr` (default: the claims' most common).")]
        language: Option<String>,
        #[graphql(desc = "At most this many (1 to 20).", default = 5)] first: i32,
        #[graphql(desc = "Only matches scoring at least this (0 to 1).", default = 0.2)]
        min_score: f64,
    ) -> async_graphql::Result<Vec<ClaimMatch>> {
        checked_before(ctx, &text, language.as_deref(), first, min_score, &[]).await
    }

    /// Searches claims (text, quote, speaker, subject, standing verdict summaries),
    /// articles (title, outlet, body) and sources (name, aliases, description), most
    /// relevant first. Words match in any case, with or without accents, and in any form
    /// of the record's language ("killed" finds "kill"; "francois" finds "François");
    /// every word must occur somewhere; `"a phrase"` must occur as written; `OR` between
    /// two words or phrases accepts either; `-word` excludes. `claims` narrows claim hits
    /// like the `claims` list's filter.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to look for.")] query: String,
        #[graphql(desc = "The kinds of records to search (default: all).")] kinds: Option<
            Vec<SearchKind>,
        >,
        #[graphql(desc = "Conditions claim hits must also meet.")] claims: Option<ClaimFilterInput>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<SearchConnection> {
        let c = request_ctx(ctx)?;
        let query = SearchQuery::parse("query", &query)
            .map_err(|e| AppError::Validation(vec![e]))
            .gql()?;
        let claims = claims.map(ClaimFilter::try_from).transpose().gql()?;
        let first = PageRequest::parse(first, None, ListOrder::default(), c.state.page_limits())
            .gql()?
            .first;
        let after = after
            .map(|raw| SearchCursor::decode("after", &raw))
            .transpose()
            .gql()?;
        let search = Search {
            query,
            kinds: kinds.unwrap_or_default(),
            claims,
        };
        let page = search::search(&c.state.db, c.actor, &search, &SearchPage { first, after })
            .await
            .gql()?;
        let ids = |kind: SearchKind| {
            page.items
                .iter()
                .filter(move |(_, hit)| hit.kind == kind)
                .map(|(_, hit)| hit.id)
        };
        let loader = &c.loader;
        let claims: HashMap<_, _> = loader
            .load_many(ids(SearchKind::Claim).map(ClaimKey))
            .await
            .gql()?
            .into_iter()
            .map(|(k, v)| (k.0, v))
            .collect();
        let articles: HashMap<_, _> = loader
            .load_many(ids(SearchKind::Article).map(ArticleKey))
            .await
            .gql()?
            .into_iter()
            .map(|(k, v)| (k.0, v))
            .collect();
        let sources: HashMap<_, _> = loader
            .load_many(ids(SearchKind::Source).map(SourceKey))
            .await
            .gql()?
            .into_iter()
            .map(|(k, v)| (k.0, v))
            .collect();
        let page_info = PageInfo {
            has_previous_page: page.has_previous_page,
            has_next_page: page.has_next_page,
            start_cursor: page.items.first().map(|(c, _)| c.encode()),
            end_cursor: page.items.last().map(|(c, _)| c.encode()),
        };
        let edges = page
            .items
            .into_iter()
            .filter_map(|(cursor, hit)| {
                // A record deleted since it was indexed is left out.
                let node = match hit.kind {
                    SearchKind::Claim => SearchResult::Claim(claims.get(&hit.id)?.clone()),
                    SearchKind::Article => SearchResult::Article(articles.get(&hit.id)?.clone()),
                    SearchKind::Source => SearchResult::Source(sources.get(&hit.id)?.clone()),
                };
                Some(SearchEdge {
                    cursor: cursor.encode(),
                    node,
                    score: hit.score,
                    snippets: hit.snippets.into_iter().map(Into::into).collect(),
                })
            })
            .collect();
        Ok(SearchConnection { edges, page_info })
    }
}
