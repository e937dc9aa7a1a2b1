//! Full-text search over claims, articles and sources: matching and ranking by the
//! database's own full-text engine over the terms `domain::search` writes, combinable
//! with every claim filter, keyset-paged by relevance, with highlighted snippets.

pub mod index;
pub mod similar;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, Order, Query, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, QuerySelect, QueryTrait};
use uuid::Uuid;

use crate::domain::search::snippet;
pub use crate::domain::search::{Fragment, Query as SearchQuery, SearchKind};
use crate::domain::{Actor, Role};
use crate::entity::{claim, search_document};
use crate::error::AppError;
use crate::service::claims::{ClaimFilter, filtered};
use crate::service::pagination::{Page, PageCursor};
use crate::service::{Db, require};

/// Column weights of SQLite's `bm25` (title, detail, body), in the proportions of
/// PostgreSQL's default `ts_rank` weights for A, B and C (1.0, 0.4, 0.2), so that a word
/// in a claim's text counts for more than the same word in a verdict's summary on both.
const BM25_WEIGHTS: &str = "1.0, 0.4, 0.2";

/// The condition "matches `query`" on a column holding search documents' entity ids
/// (`claims.id IN (…)`): what the claim filter `search` adds.
pub(crate) fn matching(
    backend: DbBackend,
    id: impl ColumnTrait,
    kind: SearchKind,
    query: &SearchQuery,
) -> Condition {
    let ids = match backend {
        DbBackend::Postgres => Query::select()
            .column(search_document::Column::EntityId)
            .from(search_document::Entity)
            .and_where(search_document::Column::Kind.eq(kind))
            .and_where(postgres_match(query))
            .to_owned(),
        _ => Query::select()
            .column((search_document::Entity, search_document::Column::EntityId))
            .from(Alias::new("search_fts"))
            .inner_join(
                search_document::Entity,
                Expr::cust("search_documents.doc = search_fts.rowid"),
            )
            .and_where(search_document::Column::Kind.eq(kind))
            .and_where(sqlite_match(query))
            .to_owned(),
    };
    Condition::all().add(id.in_subquery(ids))
}

fn postgres_match(query: &SearchQuery) -> SimpleExpr {
    Expr::cust_with_values(
        "search_documents.terms @@ to_tsquery('simple', $1)",
        [query.to_tsquery()],
    )
}

fn sqlite_match(query: &SearchQuery) -> SimpleExpr {
    Expr::cust_with_values("search_fts MATCH ?", [query.to_fts5()])
}

/// The documents of `kinds` matching `query`, with their texts and their `score`
/// (higher is better), unordered: the base of every search.
pub(crate) fn ranked_documents(
    backend: DbBackend,
    query: &SearchQuery,
    kinds: &[SearchKind],
) -> sea_orm::sea_query::SelectStatement {
    use search_document::Column as C;
    let mut hits = Query::select();
    hits.columns([
        (search_document::Entity, C::EntityId),
        (search_document::Entity, C::Kind),
        (search_document::Entity, C::Language),
        (search_document::Entity, C::Title),
        (search_document::Entity, C::Detail),
        (search_document::Entity, C::Body),
    ])
    .from(search_document::Entity)
    .and_where(C::Kind.is_in(kinds.iter().copied()));
    match backend {
        DbBackend::Postgres => {
            hits.expr_as(
                Expr::cust_with_values(
                    "CAST(ts_rank(search_documents.terms, to_tsquery('simple', $1)) AS double precision)",
                    [query.to_tsquery()],
                ),
                Alias::new("score"),
            )
            .and_where(postgres_match(query));
        }
        _ => {
            // bm25 is lower for better matches.
            hits.expr_as(
                Expr::cust(format!("-bm25(search_fts, {BM25_WEIGHTS})")),
                Alias::new("score"),
            )
            .inner_join(
                Alias::new("search_fts"),
                Expr::cust("search_fts.rowid = search_documents.doc"),
            )
            .and_where(sqlite_match(query));
        }
    }
    hits
}

/// How many claims match `query`, counted up to `cap` (past it the count stops): what
/// tells a rare word from a common one without scanning every match.
pub(crate) fn capped_count(
    backend: DbBackend,
    query: &SearchQuery,
    cap: u64,
) -> sea_orm::sea_query::SelectStatement {
    let mut matches = Query::select();
    matches
        .expr(Expr::val(1))
        .from(search_document::Entity)
        .and_where(search_document::Column::Kind.eq(SearchKind::Claim))
        .limit(cap);
    match backend {
        DbBackend::Postgres => {
            matches.and_where(postgres_match(query));
        }
        _ => {
            matches
                .inner_join(
                    Alias::new("search_fts"),
                    Expr::cust("search_fts.rowid = search_documents.doc"),
                )
                .and_where(sqlite_match(query));
        }
    }
    Query::select()
        .expr_as(Expr::cust("count(*)"), Alias::new("n"))
        .from_subquery(matches, Alias::new("matches"))
        .to_owned()
}

/// A search: what to look for, in which kinds of records, and the claim filters that
/// claim hits must also pass (articles and sources are not filtered by them).
#[derive(Clone, Debug)]
pub struct Search {
    pub query: SearchQuery,
    /// Empty: every kind.
    pub kinds: Vec<SearchKind>,
    pub claims: Option<ClaimFilter>,
}

impl Search {
    fn kinds(&self) -> Vec<SearchKind> {
        if self.kinds.is_empty() {
            SearchKind::ALL.to_vec()
        } else {
            self.kinds.clone()
        }
    }
}

/// Where a page of hits ends: the last hit's score and id (hits are ordered by score,
/// best first, then by id).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchCursor {
    pub score: f64,
    pub id: Uuid,
}

impl PageCursor for SearchCursor {
    fn encode(&self) -> String {
        // The score's bits, so that the next page starts exactly after this hit.
        URL_SAFE_NO_PAD.encode(format!("s1|{:016x}|{}", self.score.to_bits(), self.id))
    }
}

impl SearchCursor {
    /// Reads a cursor this module wrote; anything else is BAD_USER_INPUT on `field`.
    pub fn decode(field: &str, raw: &str) -> Result<Self, AppError> {
        let invalid = || AppError::invalid(field, "is not a valid cursor for this search");
        let text = URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(invalid)?;
        let parts: Vec<&str> = text.split('|').collect();
        let ["s1", bits, id] = parts.as_slice() else {
            return Err(invalid());
        };
        let score = u64::from_str_radix(bits, 16)
            .ok()
            .map(f64::from_bits)
            .filter(|s| s.is_finite())
            .ok_or_else(invalid)?;
        let id = id.parse().map_err(|_| invalid())?;
        Ok(Self { score, id })
    }
}

/// Which text of a record a snippet comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A claim's text (and quote), an article's title, a source's name.
    Title,
    /// A claim's speaker, subject and measure; an article's outlet; a source's aliases.
    Detail,
    /// A claim's verdict summaries, an article's body, a source's description.
    Body,
}

/// The part of one of a hit's texts that shows why it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub field: Field,
    pub fragments: Vec<Fragment>,
}

/// A record that matched, with its relevance (higher is better; comparable within one
/// search only) and snippets of each of its texts that matched, in field order.
#[derive(Clone, Debug)]
pub struct Hit {
    pub kind: SearchKind,
    pub id: Uuid,
    /// The record's own words as indexed: a claim's text, an article's title, a
    /// source's name.
    pub title: String,
    pub score: f64,
    pub snippets: Vec<Snippet>,
}

/// One page of a search.
#[derive(Clone, Copy, Debug)]
pub struct SearchPage {
    pub first: u64,
    pub after: Option<SearchCursor>,
}

/// Runs `search`, most relevant first. The latest commits are indexed first, so that
/// callers find what they have just written.
pub async fn search(
    db: &impl Db,
    actor: &Actor,
    search: &Search,
    page: &SearchPage,
) -> Result<Page<Hit, SearchCursor>, AppError> {
    require(actor, Role::Viewer)?;
    if page.first == 0 {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: page.after.is_some(),
        });
    }
    index::freshen(db).await?;
    let backend = db.get_database_backend();
    use search_document::Column as C;
    let mut hits = ranked_documents(backend, &search.query, &search.kinds());
    if let Some(filter) = &search.claims {
        let claims = filtered(filter, backend)
            .select_only()
            .column(claim::Column::Id)
            .into_query();
        hits.cond_where(
            Condition::any()
                .add(C::Kind.ne(SearchKind::Claim))
                .add(C::EntityId.in_subquery(claims)),
        );
    }
    let score = || Expr::col(Alias::new("score"));
    let id = || Expr::col(Alias::new("entity_id"));
    let mut ranked = Query::select();
    ranked
        .column(Asterisk)
        .from_subquery(hits, Alias::new("hits"))
        .order_by(Alias::new("score"), Order::Desc)
        .order_by(Alias::new("entity_id"), Order::Desc)
        .limit(page.first + 1);
    if let Some(after) = page.after {
        ranked.cond_where(
            Condition::any().add(score().lt(after.score)).add(
                Condition::all()
                    .add(score().eq(after.score))
                    .add(id().lt(after.id)),
            ),
        );
    }
    let rows = db.query_all(&ranked).await?;
    let wanted = search.query.highlight_terms();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(page.first as usize) {
        let id: Uuid = row.try_get("", "entity_id")?;
        let score: f64 = row.try_get("", "score")?;
        let kind: SearchKind = row.try_get("", "kind")?;
        let language: String = row.try_get("", "language")?;
        let title: String = row.try_get("", "title")?;
        let mut snippets = Vec::new();
        for (field, column) in [
            (Field::Title, "title"),
            (Field::Detail, "detail"),
            (Field::Body, "body"),
        ] {
            let text: String = row.try_get("", column)?;
            if let Some(fragments) = snippet(&text, Some(&language), &wanted) {
                snippets.push(Snippet { field, fragments });
            }
        }
        items.push((
            SearchCursor { score, id },
            Hit {
                kind,
                id,
                title,
                score,
                snippets,
            },
        ));
    }
    Ok(Page {
        items,
        has_next_page: rows.len() as u64 > page.first,
        has_previous_page: page.after.is_some(),
    })
}
