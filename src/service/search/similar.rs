//! "Checked before?": the existing claims most likely to be the claim a text makes. The
//! database's full-text engine gathers the claims sharing any of the text's content
//! words (a pool, best-ranked first); `domain::similarity` scores each against the text.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order};
use uuid::Uuid;

use super::{SearchKind, SearchQuery, capped_count, index, ranked_documents};
use crate::domain::search::{language_code, words};
use crate::domain::similarity::{Profile, scores};
use crate::domain::{Actor, FieldError, NUL_MESSAGE, Role};
use crate::entity::claim;
use crate::error::AppError;
use crate::service::{Db, require};

/// Claims gathered for scoring at most.
const POOL: u64 = 200;
/// Longest text accepted, in characters (a pasted post or a paragraph).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Words of the text looked up at most (the rarest-looking: figures, then the longest
/// words).
const POOL_WORDS: usize = 24;
/// A word in this many claims or more is common: it does not gather the pool.
const COMMON: u64 = 1_000;

/// An existing claim and how likely it is the same claim, in `[0, 1]`.
#[derive(Clone, Debug)]
pub struct Match {
    pub claim: claim::Model,
    pub score: f64,
}

/// The claims most likely to be the claim `text` makes, best first: at most `limit`,
/// each scoring at least `min_score`, without the claims in `except`. `language` is the
/// text's (an article's); unknown, it is taken to be the most common language among the
/// claims gathered.
pub async fn checked_before(
    db: &impl Db,
    actor: &Actor,
    text: &str,
    language: Option<&str>,
    limit: usize,
    min_score: f64,
    except: &[Uuid],
) -> Result<Vec<Match>, AppError> {
    require(actor, Role::Viewer)?;
    if text.contains('\0') {
        return Err(AppError::Validation(vec![FieldError::new(
            "text",
            NUL_MESSAGE,
        )]));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    let mut pool_words: Vec<String> = words(text)
        .into_iter()
        .map(|(_, _, w)| w)
        .filter(|w| Profile::of(w, language).terms.len() == 1)
        .collect();
    pool_words.sort_by_key(|w| {
        let figure = w.chars().all(|c| c.is_ascii_digit() || c == '.');
        (!figure, std::cmp::Reverse(w.chars().count()))
    });
    pool_words.dedup();
    pool_words.truncate(POOL_WORDS);
    if pool_words.is_empty() {
        return Ok(Vec::new());
    }
    index::freshen(db).await?;
    let backend = db.get_database_backend();
    // The pool is gathered by the text's rare words: a claim sharing any of them is a
    // candidate. Ranking every claim that shares a common word ("reported", "people")
    // would cost the database a scan of most claims for each call.
    let mut counted = Vec::with_capacity(pool_words.len());
    for word in pool_words {
        let Some(alone) = SearchQuery::any_of(std::slice::from_ref(&word)) else {
            continue;
        };
        let row = db.query_one(&capped_count(backend, &alone, COMMON)).await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        if n > 0 {
            counted.push((n, word));
        }
    }
    counted.sort();
    let rare: Vec<String> = counted
        .iter()
        .filter(|(n, _)| *n < COMMON as i64)
        .map(|(_, w)| w.clone())
        .collect();
    let query = if rare.is_empty() {
        // Only common words: the claims holding the least common three together.
        let least: Vec<String> = counted.iter().take(3).map(|(_, w)| w.clone()).collect();
        SearchQuery::all_of(&least)
    } else {
        SearchQuery::any_of(&rare)
    };
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    let pool = ranked_documents(backend, &query, &[SearchKind::Claim]);
    let mut statement = sea_orm::sea_query::Query::select();
    statement
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(pool, Alias::new("pool"))
        .order_by(Alias::new("score"), Order::Desc)
        .order_by(Alias::new("entity_id"), Order::Desc)
        .limit(POOL);
    if !except.is_empty() {
        statement.and_where(Expr::col(Alias::new("entity_id")).is_not_in(except.iter().copied()));
    }
    let rows = db.query_all(&statement).await?;
    let mut gathered = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: Uuid = row.try_get("", "entity_id")?;
        let doc_language: String = row.try_get("", "language")?;
        let title: String = row.try_get("", "title")?;
        gathered.push((id, doc_language, title));
    }
    // The text's language: given, else the claims' most common one.
    let language = match language {
        Some(language) => language_code(Some(language)).to_owned(),
        None => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for (_, l, _) in &gathered {
                *counts.entry(l.as_str()).or_default() += 1;
            }
            counts
                .into_iter()
                .max_by_key(|(l, n)| (*n, std::cmp::Reverse(*l)))
                .map_or_else(|| "en".to_owned(), |(l, _)| l.to_owned())
        }
    };
    let profiles: Vec<Profile> = gathered
        .iter()
        .map(|(_, l, title)| Profile::of(title, Some(l)))
        .collect();
    let scored = scores(&Profile::of(text, Some(&language)), &profiles);
    let mut ranked: Vec<(Uuid, f64)> = gathered
        .iter()
        .zip(scored)
        .map(|((id, _, _), score)| (*id, score))
        .filter(|(_, score)| *score >= min_score)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    ranked.truncate(limit);
    let ids: Vec<Uuid> = ranked.iter().map(|(id, _)| *id).collect();
    let claims: HashMap<Uuid, claim::Model> = crate::service::claims::by_ids(db, actor, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(ranked
        .into_iter()
        .filter_map(|(id, score)| {
            claims.get(&id).map(|claim| Match {
                claim: claim.clone(),
                score,
            })
        })
        .collect())
}
