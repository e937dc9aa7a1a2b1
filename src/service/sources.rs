//! Sources: the people, organisations and outlets that say or carry information.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, sea_query::Expr, sea_query::Func,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{Page, PageRequest, SortField, fetch_page};
use super::{Db, Patch, begin_write, now, require};
use crate::domain::{Actor, BoundedText, FieldError, Role, SourceKind, Validator};
use crate::entity::{article, citation, claim, source};
use crate::error::AppError;

const ENTITY: &str = "source";

/// A source to create.
#[derive(Clone, Debug)]
pub struct NewSource {
    pub kind: SourceKind,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub url: Option<String>,
}

/// Changes to a source; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct SourcePatch {
    pub kind: Option<SourceKind>,
    pub name: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub description: Patch<String>,
    pub url: Patch<String>,
}

/// Filters for listing sources.
#[derive(Clone, Debug, Default)]
pub struct SourceFilter {
    pub kind: Option<Vec<SourceKind>>,
    pub name_contains: Option<String>,
}

fn parse_name(raw: &str) -> Result<String, FieldError> {
    BoundedText::parse("input.name", raw, 300).map(BoundedText::into_inner)
}

fn parse_aliases(raw: &[String]) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut aliases: Vec<String> = Vec::new();
    for (i, alias) in raw.iter().enumerate() {
        match BoundedText::parse(&format!("input.aliases.{i}"), alias, 300) {
            Ok(text) if !aliases.contains(&text.as_ref().to_owned()) => {
                aliases.push(text.into_inner())
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(json!(aliases))
    } else {
        Err(errors)
    }
}

fn parse_optional(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    Ok(BoundedText::parse_optional(field, raw, max)?.map(BoundedText::into_inner))
}

/// The stored form of a source, for the audit trail.
pub fn snapshot(model: &source::Model) -> Value {
    json!({
        "kind": model.kind, "name": model.name, "aliases": model.aliases,
        "description": model.description, "url": model.url, "version": model.version,
    })
}

pub async fn create(
    db: &impl Db,
    actor: &Actor,
    input: NewSource,
) -> Result<source::Model, AppError> {
    require(actor, Role::Editor)?;
    let mut v = Validator::default();
    let fields = (
        v.check(parse_name(&input.name)),
        v.check_all(parse_aliases(&input.aliases)),
        v.check(parse_optional(
            "input.description",
            input.description.as_deref(),
            5000,
        )),
        v.check(parse_optional("input.url", input.url.as_deref(), 2048)),
    );
    let (Some(name), Some(aliases), Some(description), Some(url)) = fields else {
        return Err(AppError::Validation(v.into_errors()));
    };

    let txn = begin_write(db).await?;
    let created = insert(&txn, input.kind, name, aliases, description, url).await?;
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

async fn insert(
    db: &impl ConnectionTrait,
    kind: SourceKind,
    name: String,
    aliases: Value,
    description: Option<String>,
    url: Option<String>,
) -> Result<source::Model, AppError> {
    if find_by_kind_and_name(db, kind, &name).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a {kind} source named '{name}' already exists"
        )));
    }
    let at = now();
    let model = source::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        name: Set(name),
        aliases: Set(aliases),
        description: Set(description),
        url: Set(url),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    Ok(model.insert(db).await?)
}

pub async fn find_by_kind_and_name(
    db: &impl ConnectionTrait,
    kind: SourceKind,
    name: &str,
) -> Result<Option<source::Model>, AppError> {
    Ok(source::Entity::find()
        .filter(source::Column::Kind.eq(kind.as_str()))
        .filter(source::Column::Name.eq(name.trim()))
        .one(db)
        .await?)
}

/// Returns the source with this kind and name, creating it when there is none.
pub async fn find_or_create(
    db: &impl Db,
    actor: &Actor,
    input: NewSource,
) -> Result<source::Model, AppError> {
    match find_by_kind_and_name(db, input.kind, &input.name).await? {
        Some(existing) => Ok(existing),
        None => create(db, actor, input).await,
    }
}

pub async fn update(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: SourcePatch,
) -> Result<source::Model, AppError> {
    require(actor, Role::Editor)?;
    let name = patch.name.as_deref().map(parse_name).transpose()?;
    let aliases = patch.aliases.as_deref().map(parse_aliases).transpose()?;
    let description = patch
        .description
        .map(|d| parse_optional("input.description", d.as_deref(), 5000))
        .transpose()?;
    let url = patch
        .url
        .map(|u| parse_optional("input.url", u.as_deref(), 2048))
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
    let kind = patch.kind.unwrap_or(current.kind);
    let name = name.unwrap_or(current.name.clone());
    if (kind != current.kind || name != current.name)
        && let Some(other) = source::Entity::find()
            .filter(source::Column::Kind.eq(kind))
            .filter(source::Column::Name.eq(&name))
            .one(&txn)
            .await?
        && other.id != id
    {
        return Err(AppError::Conflict(format!(
            "a {kind} source named '{name}' already exists"
        )));
    }
    let updated = source::Model {
        kind,
        name,
        aliases: aliases.unwrap_or(current.aliases.clone()),
        description: description.unwrap_or(current.description.clone()),
        url: url.unwrap_or(current.url.clone()),
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    super::versioned::save::<source::Entity>(&txn, id, expected_version, updated.clone()).await?;
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
    super::commit(txn).await?;
    Ok(updated)
}

/// Deletes a source that nothing refers to; one still used is a CONFLICT.
/// Deletes a source nothing refers to (else CONFLICT); with `expected_version`, only
/// that version of it.
pub async fn delete(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<source::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    super::ensure_version(ENTITY, expected_version, current.version)?;
    let uses = claim::Entity::find()
        .filter(claim::Column::SpeakerId.eq(id))
        .count(&txn)
        .await?
        + article::Entity::find()
            .filter(article::Column::OutletId.eq(id))
            .count(&txn)
            .await?
        + citation::Entity::find()
            .filter(citation::Column::SourceId.eq(id))
            .count(&txn)
            .await?;
    if uses > 0 {
        return Err(AppError::Conflict(format!(
            "source {id} is still referred to by {uses} claims, articles or citations"
        )));
    }
    source::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "delete",
            changes: snapshot(&current),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(current)
}

/// Reads a record without a permission check (inside the service's own transactions).
pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<source::Model, AppError> {
    source::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<source::Model, AppError> {
    require(actor, Role::Viewer)?;
    find(db, id).await
}

/// Sources by id, for batch loading.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<Vec<source::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(source::Entity::find()
        .filter(source::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

fn filtered(filter: &SourceFilter) -> sea_orm::Select<source::Entity> {
    let mut select = source::Entity::find();
    if let Some(kinds) = &filter.kind {
        select = select.filter(source::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    }
    if let Some(text) = filter.name_contains.as_deref().filter(|t| !t.is_empty()) {
        select = select.filter(
            Expr::expr(Func::lower(Expr::col(source::Column::Name)))
                .like(super::claims::contains_pattern(text)),
        );
    }
    select
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &SourceFilter,
    page: &PageRequest,
) -> Result<Page<source::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let (column, key): (_, fn(&source::Model) -> _) = match page.order.field {
        SortField::CreatedAt => (source::Column::CreatedAt, |m| (m.created_at, m.id)),
        SortField::UpdatedAt => (source::Column::UpdatedAt, |m| (m.updated_at, m.id)),
    };
    fetch_page(db, filtered(filter), column, source::Column::Id, page, key).await
}

pub async fn count(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &SourceFilter,
) -> Result<u64, AppError> {
    require(actor, Role::Viewer)?;
    Ok(filtered(filter).count(db).await?)
}
