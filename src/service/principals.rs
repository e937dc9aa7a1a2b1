//! Principals: the people and systems work can be given to. Key holders are principals
//! from the moment their key is created; holders of the identity provider's tokens
//! become principals the first time they need to be known (they open their queue, take
//! a claim, or ask who they are), with the role of their latest token.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{Db, begin_write, now, require};
use crate::domain::{Actor, Role};
use crate::entity::{api_key, principal};
use crate::error::AppError;

pub(crate) const ENTITY: &str = "principal";

/// The caller's principal, registering a token holder on first use. `None` for callers
/// that are no principal (operator commands, anonymous readers).
pub async fn of_actor(db: &impl Db, actor: &Actor) -> Result<Option<principal::Model>, AppError> {
    require(actor, Role::Viewer)?;
    if let Some(id) = actor.principal_id {
        return principal::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Some)
            .ok_or_else(|| AppError::not_found(ENTITY, id));
    }
    let (Some(subject), Some(role)) = (actor.token_subject(), actor.role) else {
        return Ok(None);
    };
    let txn = begin_write(db).await?;
    let found = principal::Entity::find()
        .filter(principal::Column::Subject.eq(subject))
        .one(&txn)
        .await?;
    let registered = match found {
        Some(known) if known.role == role => known,
        // The token's role is the identity provider's word: it follows it.
        Some(known) => {
            let mut changed: principal::ActiveModel = known.into();
            changed.role = Set(role);
            changed.update(&txn).await?
        }
        None => {
            principal::ActiveModel {
                id: Set(Uuid::now_v7()),
                name: Set(actor.name.clone()),
                role: Set(role),
                created_at: Set(now()),
                subject: Set(Some(subject.to_owned())),
            }
            .insert(&txn)
            .await?
        }
    };
    super::commit(txn).await?;
    Ok(Some(registered))
}

/// The caller's principal if it is already known (reads never register anyone).
pub async fn known(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
) -> Result<Option<principal::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let select = match (actor.principal_id, actor.token_subject()) {
        (Some(id), _) => principal::Entity::find_by_id(id),
        (None, Some(subject)) => {
            principal::Entity::find().filter(principal::Column::Subject.eq(subject))
        }
        (None, None) => return Ok(None),
    };
    Ok(select.one(db).await?)
}

pub async fn get(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<principal::Model, AppError> {
    require(actor, Role::Viewer)?;
    find(db, id).await
}

pub(crate) async fn find(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
) -> Result<principal::Model, AppError> {
    principal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

/// Principals by id, for batch loading.
pub async fn by_ids(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<Vec<principal::Model>, AppError> {
    require(actor, Role::Viewer)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(principal::Entity::find()
        .filter(principal::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Everyone claims can be assigned to (checkers, editors and admins who can still sign
/// in), by name: what an editor picks an assignee from.
pub async fn assignable(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<principal::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let roles = [Role::Checker, Role::Editor, Role::Admin].map(|r| r.as_str());
    // Who can still sign in: an identity-provider token holder, or a key neither
    // revoked nor expired. A principal whose keys are all gone can take no work.
    let with_a_key = sea_orm::sea_query::Query::select()
        .column(api_key::Column::PrincipalId)
        .from(api_key::Entity)
        .and_where(api_key::Column::RevokedAt.is_null())
        .cond_where(
            sea_orm::Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now())),
        )
        .to_owned();
    Ok(principal::Entity::find()
        .filter(principal::Column::Role.is_in(roles))
        .filter(
            sea_orm::Condition::any()
                .add(principal::Column::Subject.is_not_null())
                .add(principal::Column::Id.in_subquery(with_a_key)),
        )
        .order_by_asc(principal::Column::Name)
        .order_by_asc(principal::Column::Id)
        .all(db)
        .await?)
}
