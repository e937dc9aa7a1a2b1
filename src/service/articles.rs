//! Articles: published pieces, unique by canonical URL.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{Page, PageRequest, SortField, fetch_page};
use super::{Db, Patch, begin_write, now, require};
use crate::domain::{Actor, ArticleUrl, BoundedText, FieldError, Role, Validator};
use crate::entity::{appearance, article};
use crate::error::AppError;

pub(crate) const ENTITY: &str = "article";
const MAX_BODY_CHARS: usize = 1_000_000;

/// An article to create.
#[derive(Clone, Debug)]
pub struct NewArticle {
    pub url: String,
    pub title: String,
    pub outlet_id: Option<Uuid>,
    pub published_at: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub body: String,
}

/// Changes to an article; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ArticlePatch {
    pub url: Option<String>,
    pub title: Option<String>,
    pub outlet_id: Patch<Uuid>,
    pub published_at: Patch<DateTime<Utc>>,
    pub language: Patch<String>,
    pub body: Option<String>,
}

/// Filters for listing articles.
#[derive(Clone, Debug, Default)]
pub struct ArticleFilter {
    pub outlet_id: Option<Uuid>,
    pub language: Option<String>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    /// Carrying any of these tags (names; unknown ones match nothing).
    pub tags: Option<Vec<String>>,
}

fn parse_title(raw: &str) -> Result<String, FieldError> {
    BoundedText::parse("input.title", raw, 1000).map(BoundedText::into_inner)
}

fn parse_language(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    crate::domain::language_tag("input.language", raw)
}

fn parse_body(raw: &str) -> Result<String, FieldError> {
    let length = raw.chars().count();
    if length > MAX_BODY_CHARS {
        return Err(FieldError::new(
            "input.body",
            format!("must be at most {MAX_BODY_CHARS} characters (got {length})"),
        ));
    }
    Ok(raw.to_owned())
}

/// The stored form of an article, for the audit trail (the body by length only).
pub fn snapshot(model: &article::Model) -> Value {
    json!({
        "url": model.url, "title": model.title, "outlet_id": model.outlet_id,
        "published_at": model.published_at, "language": model.language,
        "body_chars": model.body.chars().count(), "version": model.version,
    })
}

async fn ensure_outlet(db: &impl ConnectionTrait, outlet_id: Option<Uuid>) -> Result<(), AppError> {
    if let Some(id) = outlet_id {
        super::referred(super::sources::find(db, id).await, "input.outletId")?;
    }
    Ok(())
}

async fn ensure_url_free(
    db: &impl ConnectionTrait,
    url: &ArticleUrl,
    except: Option<Uuid>,
) -> Result<(), AppError> {
    if let Some(existing) = get_by_url_canonical(db, url).await?
        && Some(existing.id) != except
    {
        return Err(AppError::Conflict(format!(
            "an article with the URL {} already exists (id {})",
            url.as_str(),
            existing.id
        )));
    }
    Ok(())
}

pub async fn create(
    db: &impl Db,
    actor: &Actor,
    input: NewArticle,
) -> Result<article::Model, AppError> {
    require(actor, Role::Editor)?;
    let mut v = Validator::default();
    let fields = (
        v.check(ArticleUrl::parse("input.url", &input.url)),
        v.check(parse_title(&input.title)),
        v.check(parse_body(&input.body)),
        v.check(parse_language(input.language.as_deref())),
    );
    let (Some(url), Some(title), Some(body), Some(language)) = fields else {
        return Err(AppError::Validation(v.into_errors()));
    };

    let txn = begin_write(db).await?;
    ensure_outlet(&txn, input.outlet_id).await?;
    ensure_url_free(&txn, &url, None).await?;
    let at = now();
    let created = article::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(url.into_inner()),
        title: Set(title),
        outlet_id: Set(input.outlet_id),
        published_at: Set(input.published_at),
        language: Set(language),
        body: Set(body),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: created.id,
            claim_id: None,
            state: None,
            operation: "create",
            changes: snapshot(&created),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(created)
}

pub async fn update(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: ArticlePatch,
) -> Result<article::Model, AppError> {
    require(actor, Role::Editor)?;
    let url = patch
        .url
        .as_deref()
        .map(|u| ArticleUrl::parse("input.url", u))
        .transpose()?;
    let title = patch.title.as_deref().map(parse_title).transpose()?;
    let body = patch.body.as_deref().map(parse_body).transpose()?;
    let language = patch
        .language
        .map(|l| parse_language(l.as_deref()))
        .transpose()?;

    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    if current.version != expected_version {
        return Err(AppError::stale_version(
            ENTITY,
            expected_version,
            current.version,
        ));
    }
    if let Some(outlet) = patch.outlet_id {
        ensure_outlet(&txn, outlet).await?;
    }
    if let Some(url) = &url {
        ensure_url_free(&txn, url, Some(id)).await?;
    }
    let updated = article::Model {
        url: url
            .map(ArticleUrl::into_inner)
            .unwrap_or(current.url.clone()),
        title: title.unwrap_or(current.title.clone()),
        outlet_id: patch.outlet_id.unwrap_or(current.outlet_id),
        published_at: patch.published_at.unwrap_or(current.published_at),
        language: language.unwrap_or(current.language.clone()),
        body: body.unwrap_or(current.body.clone()),
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    super::versioned::save::<article::Entity>(&txn, id, expected_version, updated.clone()).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "update",
            changes: audit::diff(&snapshot(&current), &snapshot(&updated)),
        },
    )
    .await?;
    if updated.outlet_id != current.outlet_id {
        let keys = super::quantities::keys_carried_by(&txn, id).await?;
        super::quantities::reconcile(&txn, actor, keys).await?;
    }
    super::commit(txn).await?;
    Ok(updated)
}

/// Deletes an article and its appearances (the claims themselves stay); with
/// `expected_version`, only that version of it.
///
/// An article that claims with a standing verdict appear in is what their published
/// reviews rest on (their ClaimReview names it): deleting it is refused (CONFLICT) unless
/// `force`d. Every appearance it carried is removed in the open: audited on its claim,
/// announced as `appearance.deleted`, and the claim's version moves on.
pub async fn delete(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    force: bool,
) -> Result<article::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    super::ensure_version(ENTITY, expected_version, current.version)?;
    let placed = appearance::Entity::find()
        .filter(appearance::Column::ArticleId.eq(id))
        .all(&txn)
        .await?;
    let mut claims = Vec::with_capacity(placed.len());
    for appearance in &placed {
        claims.push(super::claims::find_for_update(&txn, appearance.claim_id).await?);
    }
    let verified: Vec<String> = claims
        .iter()
        .filter(|claim| claim.current_verdict.is_some())
        .map(|claim| claim.id.to_string())
        .collect();
    if !verified.is_empty() && !force {
        return Err(AppError::Conflict(format!(
            "article {id} is where {} verified claims appeared ({}); their published reviews rest on it. Delete it with force to remove those appearances anyway",
            verified.len(),
            verified.join(", ")
        )));
    }
    // Read before the appearances go.
    let carried = super::quantities::keys_carried_by(&txn, id).await?;
    let reason = format!("article {id} deleted");
    for (appearance, claim) in placed.iter().zip(&claims) {
        super::appearances::delete_in(&txn, actor, appearance, claim, Some(&reason)).await?;
    }
    article::Entity::delete_by_id(id).exec(&txn).await?;
    let mut changes = snapshot(&current);
    if force {
        changes["forced"] = Value::from(true);
    }
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "delete",
            changes,
        },
    )
    .await?;
    super::quantities::reconcile(&txn, actor, carried).await?;
    super::commit(txn).await?;
    Ok(current)
}

/// Reads a record without a permission check (inside the service's own transactions).
pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<article::Model, AppError> {
    article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<article::Model, AppError> {
    require(actor, Role::Viewer)?;
    find(db, id).await
}

async fn get_by_url_canonical(
    db: &impl ConnectionTrait,
    url: &ArticleUrl,
) -> Result<Option<article::Model>, AppError> {
    Ok(article::Entity::find()
        .filter(article::Column::Url.eq(url.as_str()))
        .one(db)
        .await?)
}

/// Finds an article by any spelling of its URL (canonicalised before lookup).
pub async fn get_by_url(
    db: &impl ConnectionTrait,
    actor: &Actor,
    raw_url: &str,
) -> Result<article::Model, AppError> {
    require(actor, Role::Viewer)?;
    let url = ArticleUrl::parse("url", raw_url)?;
    get_by_url_canonical(db, &url)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, url.as_str()))
}

/// Articles by id, for batch loading.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<Vec<article::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(article::Entity::find()
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

fn filtered(filter: &ArticleFilter) -> sea_orm::Select<article::Entity> {
    let mut select = article::Entity::find();
    if let Some(outlet) = filter.outlet_id {
        select = select.filter(article::Column::OutletId.eq(outlet));
    }
    if let Some(language) = &filter.language {
        select = select.filter(article::Column::Language.eq(language.trim()));
    }
    if let Some(after) = filter.published_after {
        select = select.filter(article::Column::PublishedAt.gte(after));
    }
    if let Some(before) = filter.published_before {
        select = select.filter(article::Column::PublishedAt.lt(before));
    }
    if let Some(tags) = filter.tags.as_ref().filter(|t| !t.is_empty()) {
        select = select.filter(super::tags::carrying_any(
            article::Column::Id,
            super::tags::Link::Article,
            tags,
        ));
    }
    select
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ArticleFilter,
    page: &PageRequest,
) -> Result<Page<article::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let (column, key): (_, fn(&article::Model) -> _) = match page.order.field {
        SortField::CreatedAt => (article::Column::CreatedAt, |m| (m.created_at, m.id)),
        SortField::UpdatedAt => (article::Column::UpdatedAt, |m| (m.updated_at, m.id)),
    };
    fetch_page(db, filtered(filter), column, article::Column::Id, page, key).await
}

pub async fn count(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ArticleFilter,
) -> Result<u64, AppError> {
    require(actor, Role::Viewer)?;
    Ok(filtered(filter).count(db).await?)
}
