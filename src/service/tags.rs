//! Tags: topics ("elections-2027", "health") on claims and articles. Claims and articles
//! refer to a tag by id, so renaming it renames it everywhere. Names are normalised
//! (lower case, words joined by hyphens), so "Elections 2027" and "elections-2027" are
//! one tag. Checkers tag and untag; editors rename and delete tags. A tag change is an
//! update of the claim or article (audited, announced as `claim.updated` /
//! `article.updated`).

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::{Db, begin_write, now, require};
use crate::domain::{Actor, FieldError, Role};
use crate::entity::{article_tag, claim_tag, tag};
use crate::error::AppError;

pub(crate) const ENTITY: &str = "tag";

/// The longest tag name, in characters.
const MAX_NAME: usize = 64;
/// The most tags one request may add or remove.
const MAX_PER_REQUEST: usize = 50;

/// A tag name in its stored form: trimmed, lower case, runs of whitespace as one hyphen.
pub fn normalize(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase();
    if name.is_empty() {
        return Err(FieldError::new(field, "a tag needs a name"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(FieldError::new(
            field,
            format!("a tag name has at most {MAX_NAME} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "a tag name has no control characters",
        ));
    }
    Ok(name)
}

/// Names for a filter: normalised, and those that cannot be tag names dropped (they name
/// no tag, so they match nothing, as an unknown tag does).
pub fn filter_names(raw: &[String]) -> Vec<String> {
    raw.iter()
        .filter_map(|n| normalize("tags", n).ok())
        .collect()
}

/// The condition "carries any of these tags" on the id column of the owning table.
pub(crate) fn carrying_any<C: ColumnTrait>(owner_id: C, link: Link, names: &[String]) -> Condition {
    let (table, owner) = match link {
        Link::Claim => ("claim_tags", "claim_id"),
        Link::Article => ("article_tags", "article_id"),
    };
    let names = filter_names(names);
    let tag_ids = Query::select()
        .column(tag::Column::Id)
        .from(tag::Entity)
        .and_where(tag::Column::Name.is_in(names))
        .to_owned();
    Condition::all().add(
        owner_id.in_subquery(
            Query::select()
                .column(Alias::new(owner))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new("tag_id")).in_subquery(tag_ids))
                .to_owned(),
        ),
    )
}

/// What a tag is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    Claim,
    Article,
}

fn parse_names(raw: &[String]) -> Result<Vec<String>, AppError> {
    if raw.len() > MAX_PER_REQUEST {
        return Err(AppError::invalid(
            "tags",
            format!("at most {MAX_PER_REQUEST} tags at once"),
        ));
    }
    let mut names = BTreeSet::new();
    let mut errors = Vec::new();
    for (i, name) in raw.iter().enumerate() {
        match normalize(&format!("tags.{i}"), name) {
            Ok(n) => {
                names.insert(n);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(names.into_iter().collect())
}

/// The tags named, created if missing.
async fn ensure_tags(
    db: &impl ConnectionTrait,
    names: &[String],
) -> Result<Vec<tag::Model>, AppError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let at = now();
    let rows = names.iter().map(|name| tag::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.clone()),
        created_at: Set(at),
    });
    // Another writer may create the same tag at the same moment: both keep the one stored.
    tag::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(tag::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(tag::Entity::find()
        .filter(tag::Column::Name.is_in(names.iter().cloned()))
        .all(db)
        .await?)
}

/// The tags of each of `owners`, by name.
pub async fn of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    link: Link,
    owners: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tag::Model>>, AppError> {
    require(actor, Role::Viewer)?;
    let mut out: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
    if owners.is_empty() {
        return Ok(out);
    }
    match link {
        Link::Claim => {
            let rows = claim_tag::Entity::find()
                .filter(claim_tag::Column::ClaimId.is_in(owners.iter().copied()))
                .find_also_related(tag::Entity)
                .all(db)
                .await?;
            for (l, t) in rows {
                out.entry(l.claim_id).or_default().extend(t);
            }
        }
        Link::Article => {
            let rows = article_tag::Entity::find()
                .filter(article_tag::Column::ArticleId.is_in(owners.iter().copied()))
                .find_also_related(tag::Entity)
                .all(db)
                .await?;
            for (l, t) in rows {
                out.entry(l.article_id).or_default().extend(t);
            }
        }
    }
    for tags in out.values_mut() {
        tags.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

async fn names_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    link: Link,
    owner: Uuid,
) -> Result<Vec<String>, AppError> {
    Ok(of(db, actor, link, &[owner])
        .await?
        .remove(&owner)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.name)
        .collect())
}

/// Adds (`add: true`) or removes tags on a claim or article; returns its tags now.
async fn change(
    db: &impl Db,
    actor: &Actor,
    link: Link,
    owner: Uuid,
    raw: &[String],
    add: bool,
) -> Result<Vec<tag::Model>, AppError> {
    require(actor, Role::Checker)?;
    let names = parse_names(raw)?;
    let txn = begin_write(db).await?;
    // The owner must exist and take changes; its row lock orders concurrent taggers.
    let (entity_type, claim_id, state) = match link {
        Link::Claim => {
            let claim = super::claims::find_for_update(&txn, owner).await?;
            super::claims::ensure_not_archived(&claim)?;
            (
                super::claims::ENTITY,
                Some(owner),
                Some(super::claims::event_state(&claim)),
            )
        }
        Link::Article => {
            super::articles::find(&txn, owner).await?;
            (super::articles::ENTITY, None, None)
        }
    };
    let before = names_of(&txn, actor, link, owner).await?;
    if add {
        let tags = ensure_tags(&txn, &names).await?;
        let ids = tags.iter().map(|t| t.id);
        match link {
            Link::Claim => {
                let rows = ids.map(|tag_id| claim_tag::ActiveModel {
                    claim_id: Set(owner),
                    tag_id: Set(tag_id),
                });
                claim_tag::Entity::insert_many(rows)
                    .on_conflict(
                        OnConflict::columns([claim_tag::Column::ClaimId, claim_tag::Column::TagId])
                            .do_nothing()
                            .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
            }
            Link::Article => {
                let rows = ids.map(|tag_id| article_tag::ActiveModel {
                    article_id: Set(owner),
                    tag_id: Set(tag_id),
                });
                article_tag::Entity::insert_many(rows)
                    .on_conflict(
                        OnConflict::columns([
                            article_tag::Column::ArticleId,
                            article_tag::Column::TagId,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
    } else if !names.is_empty() {
        let tag_ids = Query::select()
            .column(tag::Column::Id)
            .from(tag::Entity)
            .and_where(tag::Column::Name.is_in(names.iter().cloned()))
            .to_owned();
        match link {
            Link::Claim => {
                claim_tag::Entity::delete_many()
                    .filter(claim_tag::Column::ClaimId.eq(owner))
                    .filter(claim_tag::Column::TagId.in_subquery(tag_ids))
                    .exec(&txn)
                    .await?;
            }
            Link::Article => {
                article_tag::Entity::delete_many()
                    .filter(article_tag::Column::ArticleId.eq(owner))
                    .filter(article_tag::Column::TagId.in_subquery(tag_ids))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    let now_tags = of(&txn, actor, link, &[owner])
        .await?
        .remove(&owner)
        .unwrap_or_default();
    let after: Vec<String> = now_tags.iter().map(|t| t.name.clone()).collect();
    if after != before {
        audit::record(
            &txn,
            actor,
            Change {
                entity_type,
                entity_id: owner,
                claim_id,
                state,
                operation: "update",
                changes: json!({ "tags": { "from": before, "to": after } }),
            },
        )
        .await?;
    }
    super::commit(txn).await?;
    Ok(now_tags)
}

pub async fn tag(
    db: &impl Db,
    actor: &Actor,
    link: Link,
    owner: Uuid,
    names: &[String],
) -> Result<Vec<tag::Model>, AppError> {
    change(db, actor, link, owner, names, true).await
}

pub async fn untag(
    db: &impl Db,
    actor: &Actor,
    link: Link,
    owner: Uuid,
    names: &[String],
) -> Result<Vec<tag::Model>, AppError> {
    change(db, actor, link, owner, names, false).await
}

/// A tag with how many claims and articles carry it.
#[derive(Clone, Debug)]
pub struct TagUse {
    pub tag: tag::Model,
    pub claims: u64,
    pub articles: u64,
}

async fn counts<E: EntityTrait>(
    db: &impl ConnectionTrait,
    tag_column: E::Column,
) -> Result<HashMap<Uuid, u64>, AppError> {
    let rows: Vec<(Uuid, i64)> = E::find()
        .select_only()
        .column(tag_column)
        .column_as(Expr::col(tag_column).count(), "uses")
        .group_by(tag_column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Every tag, by name, with its use.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<TagUse>, AppError> {
    require(actor, Role::Viewer)?;
    let tags = tag::Entity::find()
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?;
    let claims = counts::<claim_tag::Entity>(db, claim_tag::Column::TagId).await?;
    let articles = counts::<article_tag::Entity>(db, article_tag::Column::TagId).await?;
    Ok(tags
        .into_iter()
        .map(|tag| TagUse {
            claims: claims.get(&tag.id).copied().unwrap_or(0),
            articles: articles.get(&tag.id).copied().unwrap_or(0),
            tag,
        })
        .collect())
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<tag::Model, AppError> {
    tag::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

/// Renames a tag everywhere it is used. A name another tag has is a CONFLICT naming it
/// (merge by tagging with the other name and deleting this one).
pub async fn rename(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    raw: &str,
) -> Result<tag::Model, AppError> {
    require(actor, Role::Editor)?;
    let name = normalize("input.name", raw)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    if current.name == name {
        super::commit(txn).await?;
        return Ok(current);
    }
    if let Some(other) = tag::Entity::find()
        .filter(tag::Column::Name.eq(name.clone()))
        .one(&txn)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "tag {} is already named '{name}'",
            other.id
        )));
    }
    let renamed = tag::Model {
        name: name.clone(),
        ..current.clone()
    };
    tag::Entity::update(tag::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        name: Set(name.clone()),
        created_at: sea_orm::ActiveValue::Unchanged(current.created_at),
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "update",
            changes: json!({ "name": { "from": current.name, "to": name } }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(renamed)
}

/// Deletes a tag, and so takes it off everything that carried it.
pub async fn delete(db: &impl Db, actor: &Actor, id: Uuid) -> Result<tag::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    tag::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: None,
            state: None,
            operation: "delete",
            changes: json!({ "name": current.name }) as Value,
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(current)
}
