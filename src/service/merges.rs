//! Merging duplicates: a claim recorded twice becomes one. Everything attached to the
//! duplicate moves to the claim it is merged into (appearances, verifications with
//! their citations and retractions, notes, tags, extraction candidates, its audit
//! history); the duplicate's id keeps resolving to that claim.

use std::collections::HashSet;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use super::claims::{self, ENTITY};
use super::{Db, begin_write, ensure_version, now, require};
use crate::domain::{Actor, ClaimStatus, Role};
use crate::entity::{
    appearance, assignment, audit_event, claim, claim_candidate, claim_merge, claim_tag, note,
    verification,
};
use crate::error::AppError;

/// The claim `id` was merged into, if it was.
pub(crate) async fn merged_into(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(claim_merge::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| m.claim_id))
}

/// The ids of the claims merged into `id`, oldest merge first.
pub async fn merged_ids(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(claim_merge::Entity::find()
        .select_only()
        .column(claim_merge::Column::MergedId)
        .filter(claim_merge::Column::ClaimId.eq(id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// How far a claim's workflow has gone, to keep the further of two.
fn progress(status: ClaimStatus) -> u8 {
    match status {
        ClaimStatus::Unreviewed => 0,
        ClaimStatus::InReview => 1,
        ClaimStatus::Reviewed => 2,
        ClaimStatus::Archived => 3,
    }
}

/// Merges claim `from` into claim `into` (editors): what `from` carries moves to `into`,
/// whose current verdict becomes the latest standing one of both and whose status the
/// further of both (reviewed only with a standing verdict); `from` is deleted, and its
/// id resolves to `into` from then on. With expected versions, only at those versions
/// (else CONFLICT). Archived claims are read-only (CONFLICT). Audited and announced
/// as `claim.merged` for both. Returns the merged claim.
pub async fn merge(
    db: &impl Db,
    actor: &Actor,
    into: Uuid,
    from: Uuid,
    expected_into: Option<i32>,
    expected_from: Option<i32>,
) -> Result<claim::Model, AppError> {
    require(actor, Role::Editor)?;
    if into == from {
        return Err(AppError::invalid(
            "fromId",
            "a claim cannot be merged into itself",
        ));
    }
    let txn = begin_write(db).await?;
    // Locked in id order, so that two merges of the same pair cannot wait on each other.
    let (first, second) = if into < from {
        (into, from)
    } else {
        (from, into)
    };
    let locked_first = lock(&txn, first).await?;
    let locked_second = lock(&txn, second).await?;
    let (target, duplicate) = if first == into {
        (locked_first, locked_second)
    } else {
        (locked_second, locked_first)
    };
    ensure_version(ENTITY, expected_into, target.version)?;
    ensure_version(ENTITY, expected_from, duplicate.version)?;
    claims::ensure_not_archived(&target)?;
    claims::ensure_not_archived(&duplicate)?;

    // The duplicate's own merge event first: announced as about the duplicate, while
    // its audit row moves with the rest of its history below.
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: from,
            claim_id: Some(from),
            state: Some(claims::event_state(&duplicate)),
            operation: "merge",
            changes: json!({ "merged_into": into, "was": claims::snapshot(&duplicate) }),
        },
    )
    .await?;
    let appearances =
        move_rows::<appearance::Entity>(&txn, appearance::Column::ClaimId, into, from).await?;
    let verifications =
        move_rows::<verification::Entity>(&txn, verification::Column::ClaimId, into, from).await?;
    let notes = move_rows::<note::Entity>(&txn, note::Column::ClaimId, into, from).await?;
    move_rows::<claim_candidate::Entity>(&txn, claim_candidate::Column::ClaimId, into, from)
        .await?;
    // The duplicate's history becomes part of the claim's (each event still names the
    // record it was about).
    move_rows::<audit_event::Entity>(&txn, audit_event::Column::ClaimId, into, from).await?;
    let tags = merge_tags(&txn, into, from).await?;
    // The claim keeps its own assignment; it takes the duplicate's if it has none.
    if assignment::Entity::find_by_id(into)
        .one(&txn)
        .await?
        .is_none()
    {
        move_rows::<assignment::Entity>(&txn, assignment::Column::ClaimId, into, from).await?;
    }
    // Claims merged into the duplicate before now resolve to the claim.
    move_rows::<claim_merge::Entity>(&txn, claim_merge::Column::ClaimId, into, from).await?;
    claim::Entity::delete_by_id(from).exec(&txn).await?;
    claim_merge::Entity::insert(claim_merge::ActiveModel {
        merged_id: Set(from),
        claim_id: Set(into),
        merged_at: Set(now()),
        merged_by_id: Set(actor.principal_id),
        merged_by_name: Set(actor.name.clone()),
    })
    .exec_without_returning(&txn)
    .await?;

    let standing = super::verifications::latest_standing(&txn, into).await?;
    let further = if progress(duplicate.status) > progress(target.status) {
        duplicate.status
    } else {
        target.status
    };
    let status = match (&standing, further) {
        (None, ClaimStatus::Reviewed) => ClaimStatus::InReview,
        (_, status) => status,
    };
    let merged = claim::Model {
        status,
        current_verdict: standing.map(|v| v.verdict),
        version: target.version + 1,
        updated_at: now(),
        ..target.clone()
    };
    claims::save(&txn, &merged, target.version).await?;
    let counts = json!({
        "appearances": appearances,
        "verifications": verifications,
        "notes": notes,
        "tags": tags,
    });
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: into,
            claim_id: Some(into),
            state: Some(claims::event_state(&merged)),
            operation: "merge",
            changes: json!({
                "merged_from": from,
                "moved": counts,
                "claim": audit::diff(&claims::snapshot(&target), &claims::snapshot(&merged)),
            }),
        },
    )
    .await?;
    super::quantities::reconcile(
        &txn,
        actor,
        [target.quantity_key.clone(), duplicate.quantity_key.clone()],
    )
    .await?;
    super::commit(txn).await?;
    Ok(merged)
}

/// Locks claim `id` for the merge (by its own id only: a merged id is no claim to merge).
async fn lock(txn: &impl ConnectionTrait, id: Uuid) -> Result<claim::Model, AppError> {
    match super::for_update(txn, claim::Entity::find_by_id(id))
        .one(txn)
        .await?
    {
        Some(claim) => Ok(claim),
        None => match merged_into(txn, id).await? {
            Some(other) => Err(AppError::Conflict(format!(
                "claim {id} was merged into claim {other} already"
            ))),
            None => Err(AppError::not_found(ENTITY, id)),
        },
    }
}

/// Points the rows of `E` whose `column` names `from` at `into`; returns how many.
async fn move_rows<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    column: E::Column,
    into: Uuid,
    from: Uuid,
) -> Result<u64, AppError> {
    Ok(E::update_many()
        .col_expr(column, Expr::value(into))
        .filter(column.eq(from))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Gives `into` the tags of `from` it lacks; returns how many it gained.
async fn merge_tags(txn: &impl ConnectionTrait, into: Uuid, from: Uuid) -> Result<u64, AppError> {
    let tags_of = |claim: Uuid| {
        claim_tag::Entity::find()
            .select_only()
            .column(claim_tag::Column::TagId)
            .filter(claim_tag::Column::ClaimId.eq(claim))
            .into_tuple::<Uuid>()
            .all(txn)
    };
    let own: HashSet<Uuid> = tags_of(into).await?.into_iter().collect();
    let gained: Vec<Uuid> = tags_of(from)
        .await?
        .into_iter()
        .filter(|t| !own.contains(t))
        .collect();
    if !gained.is_empty() {
        claim_tag::Entity::insert_many(gained.iter().map(|tag_id| claim_tag::ActiveModel {
            claim_id: Set(into),
            tag_id: Set(*tag_id),
        }))
        .on_conflict(
            OnConflict::columns([claim_tag::Column::ClaimId, claim_tag::Column::TagId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    claim_tag::Entity::delete_many()
        .filter(claim_tag::Column::ClaimId.eq(from))
        .exec(txn)
        .await?;
    Ok(gained.len() as u64)
}
