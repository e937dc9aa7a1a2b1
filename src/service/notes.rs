//! Notes: checkers discuss a claim (or one of its verifications) before they decide.
//!
//! Notes are internal: only callers with accepted credentials read them (never anonymous
//! readers), and nothing public carries them (ClaimReview, the NDJSON export). Checkers
//! and up write notes; only a note's author edits it, and each edit keeps the earlier
//! text as a revision; deleting a note is a retraction by its author or an editor, which
//! keeps the note (marked retracted), like a verdict's. The audit trail records each
//! write without the text, so it says who discussed what, never what was said.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{Page, PageRequest, fetch_page};
use super::{Db, begin_write, claims, now, principals, require};
use crate::domain::{Actor, BoundedText, Role};
use crate::entity::{note, note_revision};
use crate::error::AppError;

pub(crate) const ENTITY: &str = "note";

/// The longest note, in characters.
const MAX_BODY: usize = 20_000;

/// Notes are for the team: a caller without accepted credentials (an anonymous reader)
/// is refused even where anonymous reads are on.
fn require_member(actor: &Actor, needed: Role) -> Result<(), AppError> {
    if !actor.authenticated {
        return Err(AppError::Unauthenticated);
    }
    require(actor, needed)
}

fn parse_body(raw: &str) -> Result<String, AppError> {
    Ok(BoundedText::parse("input.body", raw, MAX_BODY)?.into_inner())
}

pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<note::Model, AppError> {
    note::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

fn is_editor(actor: &Actor) -> bool {
    actor.role.is_some_and(|r| r.includes(Role::Editor))
}

/// Whether `actor` wrote `note` (key holders by principal, token holders by name).
fn is_author(actor: &Actor, note: &note::Model) -> bool {
    match (actor.principal_id, note.author_id) {
        (Some(me), Some(author)) => me == author,
        _ => note.author_name == actor.name,
    }
}

/// Adds a note to a claim, or to one of its verifications.
pub async fn add(
    db: &impl Db,
    actor: &Actor,
    claim_id: Uuid,
    verification_id: Option<Uuid>,
    body: &str,
) -> Result<note::Model, AppError> {
    require_member(actor, Role::Checker)?;
    let body = parse_body(body)?;
    let txn = begin_write(db).await?;
    let claim = claims::find(&txn, claim_id).await?;
    claims::ensure_not_archived(&claim)?;
    if let Some(verification) = verification_id {
        let found = super::referred(
            super::verifications::find(&txn, verification).await,
            "input.verificationId",
        )?;
        if found.claim_id != claim_id {
            return Err(AppError::invalid(
                "input.verificationId",
                format!("verification {verification} is not of claim {claim_id}"),
            ));
        }
    }
    let author = principals::of_actor(&txn, actor).await?;
    let at = now();
    let created = note::ActiveModel {
        id: Set(Uuid::now_v7()),
        claim_id: Set(claim_id),
        verification_id: Set(verification_id),
        author_id: Set(author.map(|a| a.id)),
        author_name: Set(actor.name.clone()),
        body: Set(body),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        retracted_at: Set(None),
        retracted_by: Set(None),
        retraction_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: created.id,
            claim_id: Some(claim_id),
            state: None,
            operation: "create",
            changes: json!({ "verification_id": verification_id, "version": 1 }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(created)
}

/// Changes a note's text (its author only) if it is still at `expected_version`; the
/// earlier text is kept as a revision.
pub async fn edit(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    body: &str,
) -> Result<note::Model, AppError> {
    require_member(actor, Role::Checker)?;
    let body = parse_body(body)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    if !is_author(actor, &current) {
        return Err(AppError::Conflict(format!(
            "note {id} is {}'s; only its author edits it",
            current.author_name
        )));
    }
    if current.retracted_at.is_some() {
        return Err(AppError::Conflict(format!("note {id} is retracted")));
    }
    if current.version != expected_version {
        return Err(AppError::stale_version(
            ENTITY,
            expected_version,
            current.version,
        ));
    }
    if current.body == body {
        super::commit(txn).await?;
        return Ok(current);
    }
    note_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        note_id: Set(id),
        version: Set(current.version),
        body: Set(current.body.clone()),
        written_at: Set(current.updated_at),
    }
    .insert(&txn)
    .await?;
    let updated = note::Model {
        body,
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    save(&txn, &updated, current.version).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: Some(current.claim_id),
            state: None,
            operation: "update",
            changes: json!({ "version": { "from": current.version, "to": updated.version } }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(updated)
}

async fn save(
    db: &impl ConnectionTrait,
    updated: &note::Model,
    expected_version: i32,
) -> Result<(), AppError> {
    let result = note::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(note::Column::Id.eq(updated.id))
        .filter(note::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::stale_version(
            ENTITY,
            expected_version,
            expected_version + 1,
        ));
    }
    Ok(())
}

/// Retracts a note (its author, or an editor), with a reason; the note stays, marked.
pub async fn retract(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<note::Model, AppError> {
    require_member(actor, Role::Checker)?;
    let reason = BoundedText::parse("input.reason", reason, 5000)?.into_inner();
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    if !is_author(actor, &current) && !is_editor(actor) {
        return Err(AppError::Forbidden {
            needed: Role::Editor,
        });
    }
    if current.retracted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "note {id} is already retracted"
        )));
    }
    let at = now();
    let updated = note::Model {
        version: current.version + 1,
        updated_at: at,
        retracted_at: Some(at),
        retracted_by: Some(actor.name.clone()),
        retraction_reason: Some(reason.clone()),
        ..current.clone()
    };
    save(&txn, &updated, current.version).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: Some(current.claim_id),
            state: None,
            operation: "retract",
            changes: json!({ "reason": reason }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(updated)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<note::Model, AppError> {
    require_member(actor, Role::Viewer)?;
    find(db, id).await
}

/// Which notes of a claim to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoteFilter {
    /// Only the notes on this verification.
    pub verification_id: Option<Uuid>,
    /// Leave out retracted notes.
    pub without_retracted: bool,
}

/// A claim's notes, oldest first unless the page asks otherwise.
pub async fn for_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_id: Uuid,
    filter: NoteFilter,
    page: &PageRequest,
) -> Result<Page<note::Model>, AppError> {
    require_member(actor, Role::Viewer)?;
    let mut select = note::Entity::find().filter(note::Column::ClaimId.eq(claim_id));
    if let Some(verification) = filter.verification_id {
        select = select.filter(note::Column::VerificationId.eq(verification));
    }
    if filter.without_retracted {
        select = select.filter(note::Column::RetractedAt.is_null());
    }
    fetch_page(
        db,
        select,
        note::Column::CreatedAt,
        note::Column::Id,
        page,
        |n| (n.created_at, n.id),
    )
    .await
}

/// The earlier texts of a note, oldest first.
pub async fn revisions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    note_id: Uuid,
) -> Result<Vec<note_revision::Model>, AppError> {
    require_member(actor, Role::Viewer)?;
    Ok(note_revision::Entity::find()
        .filter(note_revision::Column::NoteId.eq(note_id))
        .order_by_asc(note_revision::Column::Version)
        .all(db)
        .await?)
}
