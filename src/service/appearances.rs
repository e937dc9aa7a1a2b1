//! Appearances: where a claim was published (an article, an excerpt, a character span).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    IdenStatic, Iterable, QueryFilter, Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{
    Direction, Page, PageRequest, fetch_page, per_parent_order, top_n_per_parent,
};
use super::{Db, begin_write, now, require};
use crate::dialect::first_n_per_parent_sql;
use crate::domain::{
    Actor, BoundedText, FieldError, Role, Validator, char_slice, locate, same_words,
};
use crate::entity::{appearance, article, claim, source};
use crate::error::AppError;

const ENTITY: &str = "appearance";

/// A claim's appearance in an article. Spans count Unicode characters of the body,
/// `start` inclusive, `end` exclusive.
#[derive(Clone, Debug)]
pub struct NewAppearance {
    pub article_id: Uuid,
    pub excerpt: String,
    pub span_start: Option<i32>,
    pub span_end: Option<i32>,
}

/// A validated appearance (the span is checked against the body when inserting).
#[derive(Clone, Debug)]
pub struct ValidAppearance {
    article_id: Uuid,
    excerpt: String,
    span: Option<(i32, i32)>,
}

impl NewAppearance {
    pub fn parse(&self, prefix: &str) -> Result<ValidAppearance, Vec<FieldError>> {
        let mut v = Validator::default();
        let excerpt = v.check(BoundedText::parse(
            &format!("{prefix}.excerpt"),
            &self.excerpt,
            5000,
        ));
        let span = match (self.span_start, self.span_end) {
            (None, None) => Some(None),
            (Some(start), Some(end)) if 0 <= start && start < end => Some(Some((start, end))),
            (Some(_), Some(_)) => v.check(Err(FieldError::new(
                format!("{prefix}.spanStart"),
                "must be at least 0 and less than spanEnd",
            ))),
            _ => v.check(Err(FieldError::new(
                format!("{prefix}.spanEnd"),
                "spanStart and spanEnd go together",
            ))),
        };
        match (excerpt, span) {
            (Some(excerpt), Some(span)) => Ok(ValidAppearance {
                article_id: self.article_id,
                excerpt: excerpt.into_inner(),
                span,
            }),
            _ => Err(v.into_errors()),
        }
    }
}

pub fn snapshot(model: &appearance::Model) -> Value {
    json!({
        "claim_id": model.claim_id, "article_id": model.article_id, "excerpt": model.excerpt,
        "span_start": model.span_start, "span_end": model.span_end,
    })
}

/// Where `input` stands in `body`. An article without a body takes the excerpt and span
/// as given; otherwise the excerpt must be the body's text at the span (runs of
/// whitespace aside), and without a span it is looked for in the body, which gives the
/// span. The stored excerpt is the body's own text there.
fn anchor(
    body: &str,
    input: &ValidAppearance,
    prefix: &str,
) -> Result<(String, Option<(i32, i32)>), AppError> {
    let length = body.chars().count();
    if let Some((_, end)) = input.span
        && end as usize > length
    {
        return Err(AppError::invalid(
            format!("{prefix}.spanEnd"),
            format!("is beyond the end of the article body ({length} characters)"),
        ));
    }
    if body.is_empty() {
        return Ok((input.excerpt.clone(), input.span));
    }
    let (start, end) = match input.span {
        Some((start, end)) => (start as usize, end as usize),
        None => locate(body, &input.excerpt).ok_or_else(|| {
            AppError::invalid(
                format!("{prefix}.excerpt"),
                "is not in the article's body; quote the body's own words (or give the span)",
            )
        })?,
    };
    let at_span = char_slice(body, start, end).unwrap_or_default();
    if !same_words(at_span, &input.excerpt) {
        let shown: String = at_span.chars().take(200).collect();
        return Err(AppError::invalid(
            format!("{prefix}.excerpt"),
            format!("differs from the article's body at {start}..{end}, which reads \"{shown}\""),
        ));
    }
    let span = (i32::try_from(start), i32::try_from(end));
    let (Ok(start), Ok(end)) = span else {
        return Err(AppError::invalid(
            format!("{prefix}.spanEnd"),
            "is too large",
        ));
    };
    Ok((at_span.trim().to_owned(), Some((start, end))))
}

/// Inserts an appearance of `claim` inside the caller's transaction, with its audit
/// event (which carries the claim's state, for subscribers' filters).
pub(crate) async fn insert(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    claim: &claim::Model,
    input: ValidAppearance,
    prefix: &str,
) -> Result<appearance::Model, AppError> {
    let article = super::referred(
        super::articles::find(txn, input.article_id).await,
        format!("{prefix}.articleId"),
    )?;
    let existing = appearance::Entity::find()
        .filter(appearance::Column::ClaimId.eq(claim.id))
        .filter(appearance::Column::ArticleId.eq(input.article_id))
        .one(txn)
        .await?;
    if existing.is_some() {
        return Err(AppError::Conflict(format!(
            "claim {} already has an appearance in article {}",
            claim.id, input.article_id
        )));
    }
    let (excerpt, span) = anchor(&article.body, &input, prefix)?;
    let created = appearance::ActiveModel {
        id: Set(Uuid::now_v7()),
        claim_id: Set(claim.id),
        article_id: Set(input.article_id),
        excerpt: Set(excerpt),
        span_start: Set(span.map(|s| s.0)),
        span_end: Set(span.map(|s| s.1)),
        created_at: Set(now()),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: created.id,
            claim_id: Some(claim.id),
            state: Some(super::claims::event_state(claim)),
            operation: "create",
            changes: snapshot(&created),
        },
    )
    .await?;
    Ok(created)
}

/// Records that a claim appeared in an article. The claim's version moves on (its
/// representation lists its appearances); an archived claim takes none.
pub async fn add(
    db: &impl Db,
    actor: &Actor,
    claim_id: Uuid,
    input: NewAppearance,
) -> Result<appearance::Model, AppError> {
    require(actor, Role::Editor)?;
    let valid = input.parse("input")?;
    let txn = begin_write(db).await?;
    let claim = super::claims::find_for_update(&txn, claim_id).await?;
    super::claims::ensure_not_archived(&claim)?;
    let created = insert(&txn, actor, &claim, valid, "input").await?;
    let claim = super::claims::touch(&txn, &claim).await?;
    outlet_changed(&txn, actor, &claim).await?;
    super::commit(txn).await?;
    Ok(created)
}

/// Removes an appearance; with `of_claim`, only if it belongs to that claim. An archived
/// claim keeps its appearances.
pub async fn remove(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    of_claim: Option<Uuid>,
) -> Result<appearance::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = appearance::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|a| of_claim.is_none_or(|claim| a.claim_id == claim))
        .ok_or_else(|| AppError::not_found(ENTITY, id))?;
    let claim = super::claims::find_for_update(&txn, current.claim_id).await?;
    super::claims::ensure_not_archived(&claim)?;
    let claim = delete_in(&txn, actor, &current, &claim, None).await?;
    outlet_changed(&txn, actor, &claim).await?;
    super::commit(txn).await?;
    Ok(current)
}

/// Deletes `appearance` of `claim` inside the caller's transaction: audited (with
/// `reason`, when the deletion follows another one), announced as `appearance.deleted`,
/// and the claim's version moved on. Returns the claim as it is now.
pub(crate) async fn delete_in(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    appearance: &appearance::Model,
    claim: &claim::Model,
    reason: Option<&str>,
) -> Result<claim::Model, AppError> {
    appearance::Entity::delete_by_id(appearance.id)
        .exec(txn)
        .await?;
    let mut changes = snapshot(appearance);
    if let Some(reason) = reason {
        changes["reason"] = Value::from(reason);
    }
    audit::record(
        txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: appearance.id,
            claim_id: Some(claim.id),
            state: Some(super::claims::event_state(claim)),
            operation: "delete",
            changes,
        },
    )
    .await?;
    super::claims::touch(txn, claim).await
}

/// A figure without a speaker is given by the outlet that carried it, so adding or
/// removing where it appeared can change who disagrees with whom.
async fn outlet_changed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim: &crate::entity::claim::Model,
) -> Result<(), AppError> {
    if claim.speaker_id.is_none() {
        super::quantities::reconcile(db, actor, [claim.quantity_key.clone()]).await?;
    }
    Ok(())
}

/// One claim's appearances, oldest first unless the page says otherwise.
pub async fn for_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_id: Uuid,
    page: &PageRequest,
) -> Result<Page<appearance::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let select = appearance::Entity::find().filter(appearance::Column::ClaimId.eq(claim_id));
    fetch_page(
        db,
        select,
        appearance::Column::CreatedAt,
        appearance::Column::Id,
        page,
        |a| (a.created_at, a.id),
    )
    .await
}

/// The first `n` appearances of each claim, in one statement (batch loading).
pub async fn first_n_per_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_ids: &[Uuid],
    n: u64,
    direction: Direction,
) -> Result<Vec<appearance::Model>, AppError> {
    require(actor, Role::Viewer)?;
    top_n_per_parent::<appearance::Entity>(
        db,
        "claim_id",
        "created_at",
        claim_ids,
        n,
        direction,
        "",
    )
    .await
}

/// The appearances of the given claims in one article (exports).
pub async fn in_article(
    db: &impl ConnectionTrait,
    actor: &Actor,
    article_id: Uuid,
    claim_ids: &[Uuid],
) -> Result<Vec<appearance::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(appearance::Entity::find()
        .filter(appearance::Column::ArticleId.eq(article_id))
        .filter(appearance::Column::ClaimId.is_in(claim_ids.iter().copied()))
        .all(db)
        .await?)
}

/// An appearance with its article and that article's outlet.
#[derive(Clone, Debug)]
pub struct Placed {
    pub appearance: appearance::Model,
    pub article: article::Model,
    pub outlet: Option<source::Model>,
}

/// `alias.column AS prefix_column, …` for every column of `E`.
fn prefixed_columns<E: EntityTrait>(alias: &str, prefix: &str) -> String {
    E::Column::iter()
        .map(|c| format!("{alias}.{col} AS {prefix}{col}", col = c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first `n` appearances of each claim with their articles and outlets, in one
/// statement (the dashboard's appearance → article → outlet path).
pub async fn first_n_per_claim_placed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_ids: &[Uuid],
    n: u64,
) -> Result<Vec<Placed>, AppError> {
    require(actor, Role::Viewer)?;
    if claim_ids.is_empty() || n == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT {}, {}, {} FROM {} ap JOIN articles ar ON ar.id = ap.article_id \
         LEFT JOIN sources s ON s.id = ar.outlet_id {}",
        prefixed_columns::<appearance::Entity>("ap", "ap_"),
        prefixed_columns::<article::Entity>("ar", "ar_"),
        prefixed_columns::<source::Entity>("s", "s_"),
        first_n_per_parent_sql(
            backend,
            "appearances",
            "claim_id",
            "created_at",
            Direction::Asc,
            n,
            "",
            claim_ids.len()
        ),
        per_parent_order("ap", "claim_id", "created_at", Direction::Asc),
    );
    let values = claim_ids.iter().map(|id| sea_orm::Value::from(*id));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Placed {
                appearance: appearance::Model::from_query_result(row, "ap_")?,
                article: article::Model::from_query_result(row, "ar_")?,
                outlet: source::Model::from_query_result_optional(row, "s_")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(AppError::from)
}
