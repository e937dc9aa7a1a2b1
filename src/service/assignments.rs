//! Assignment: who checks a claim, by when and how urgently, and each principal's queue.
//!
//! Rules: an editor (or admin) assigns any claim to any checker, editor or admin, sets
//! due times and priorities, and takes claims away; a checker may take an unassigned
//! claim for themselves and give back their own. Archived claims are read-only. Every
//! change is an audited claim event (`claim.assigned`, `claim.unassigned`), so webhooks
//! and subscriptions see it like any other change to the claim.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType, Order,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::pagination::{Page, PageCursor};
use super::{Db, Patch, begin_write, claims, now, principals, require};
use crate::domain::{Actor, Priority, Role};
use crate::entity::{assignment, claim, principal};
use crate::error::AppError;

/// An assignment to make or change. Absent fields keep what the claim has (or the
/// defaults for a new assignment: normal priority, no due time).
#[derive(Clone, Debug, Default)]
pub struct AssignmentChange {
    /// Who gets the claim; `None`: the caller.
    pub assignee_id: Option<Uuid>,
    pub priority: Option<Priority>,
    pub due_at: Patch<DateTime<Utc>>,
    /// The assignment's version the change was made from (optimistic concurrency).
    pub expected_version: Option<i32>,
}

/// An assignment with the principal it names.
pub type Assigned = (assignment::Model, principal::Model);

/// What the audit trail keeps of an assignment.
fn snapshot(a: Option<&assignment::Model>) -> Value {
    match a {
        Some(a) => json!({
            "assignee_id": a.assignee_id, "priority": a.priority.as_str(), "due_at": a.due_at,
        }),
        None => json!({ "assignee_id": null, "priority": null, "due_at": null }),
    }
}

async fn current(
    db: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Option<assignment::Model>, AppError> {
    Ok(assignment::Entity::find_by_id(claim_id).one(db).await?)
}

/// Checks `expected_version` against the stored assignment (none stored: version 0).
fn ensure_version(
    expected: Option<i32>,
    stored: Option<&assignment::Model>,
) -> Result<(), AppError> {
    let stored_version = stored.map_or(0, |a| a.version);
    match expected {
        Some(expected) if expected != stored_version => Err(AppError::stale_version(
            "assignment",
            expected,
            stored_version,
        )),
        _ => Ok(()),
    }
}

fn is_editor(actor: &Actor) -> bool {
    actor.role.is_some_and(|r| r.includes(Role::Editor))
}

/// Assigns (or reassigns, or re-prioritises) a claim. Returns the assignment as it is now.
pub async fn assign(
    db: &impl Db,
    actor: &Actor,
    claim_id: Uuid,
    change: AssignmentChange,
) -> Result<Assigned, AppError> {
    require(actor, Role::Checker)?;
    let txn = begin_write(db).await?;
    let me = principals::of_actor(&txn, actor).await?;
    // The claim row is the lock that orders concurrent changes to its assignment.
    let claim = claims::find_for_update(&txn, claim_id).await?;
    claims::ensure_not_archived(&claim)?;
    let stored = current(&txn, claim_id).await?;
    ensure_version(change.expected_version, stored.as_ref())?;

    // No assignee named: the claim keeps the one it has, or goes to the caller.
    let assignee_id = match (change.assignee_id, &stored, &me) {
        (Some(id), _, _) => id,
        (None, Some(stored), _) => stored.assignee_id,
        (None, None, Some(me)) => me.id,
        (None, None, None) => {
            return Err(AppError::invalid(
                "input.assigneeId",
                "name the assignee (this caller is not a principal that can hold claims)",
            ));
        }
    };
    let assignee = super::referred(
        principals::find(&txn, assignee_id).await,
        "input.assigneeId",
    )?;
    if !assignee.role.includes(Role::Checker) {
        return Err(AppError::invalid(
            "input.assigneeId",
            format!(
                "{} is a {}; claims go to checkers, editors and admins",
                assignee.name, assignee.role
            ),
        ));
    }
    if !is_editor(actor) {
        // A checker takes unassigned claims for themselves, and nothing else.
        let is_me = me.as_ref().is_some_and(|m| m.id == assignee_id);
        let free_or_mine = stored
            .as_ref()
            .is_none_or(|a| me.as_ref().is_some_and(|m| m.id == a.assignee_id));
        let sets_terms = change.priority.is_some() || change.due_at.is_some();
        if !is_me || !free_or_mine || sets_terms {
            return Err(AppError::Forbidden {
                needed: Role::Editor,
            });
        }
    }

    let at = now();
    // Stored at the precision both databases keep, so cursors compare exactly.
    let due_at = change.due_at.map(|due| due.map(|d| d.trunc_subsecs(6)));
    let next = match &stored {
        Some(s) => assignment::Model {
            assignee_id,
            priority: change.priority.unwrap_or(s.priority),
            due_at: due_at.unwrap_or(s.due_at),
            assigned_at: if s.assignee_id == assignee_id {
                s.assigned_at
            } else {
                at
            },
            assigned_by: if s.assignee_id == assignee_id {
                s.assigned_by.clone()
            } else {
                actor.name.clone()
            },
            version: s.version + 1,
            claim_id,
        },
        None => assignment::Model {
            claim_id,
            assignee_id,
            priority: change.priority.unwrap_or(Priority::Normal),
            due_at: due_at.flatten(),
            assigned_at: at,
            assigned_by: actor.name.clone(),
            version: 1,
        },
    };
    let changes = audit::diff(&snapshot(stored.as_ref()), &snapshot(Some(&next)));
    if changes.as_object().is_some_and(|c| c.is_empty()) {
        // Nothing changes (a checker taking a claim that is already theirs).
        if let Some(stored) = stored {
            super::commit(txn).await?;
            return Ok((stored, assignee));
        }
    }
    match &stored {
        Some(s) => {
            super::versioned::save::<assignment::Entity>(&txn, claim_id, s.version, next.clone())
                .await?;
        }
        None => {
            next.clone().into_active_model().insert(&txn).await?;
        }
    }
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: claims::ENTITY,
            entity_id: claim_id,
            claim_id: Some(claim_id),
            state: Some(claims::event_state(&claim)),
            operation: "assign",
            changes,
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok((next, assignee))
}

/// Takes a claim away from its assignee. Checkers may give back only their own claims.
/// Returns the assignment that ended.
pub async fn unassign(
    db: &impl Db,
    actor: &Actor,
    claim_id: Uuid,
    expected_version: Option<i32>,
) -> Result<assignment::Model, AppError> {
    require(actor, Role::Checker)?;
    let txn = begin_write(db).await?;
    let claim = claims::find_for_update(&txn, claim_id).await?;
    claims::ensure_not_archived(&claim)?;
    let Some(stored) = current(&txn, claim_id).await? else {
        return Err(AppError::not_found("assignment", claim_id));
    };
    ensure_version(expected_version, Some(&stored))?;
    if !is_editor(actor) {
        let me = principals::known(&txn, actor).await?;
        if me.is_none_or(|m| m.id != stored.assignee_id) {
            return Err(AppError::Forbidden {
                needed: Role::Editor,
            });
        }
    }
    assignment::Entity::delete_by_id(claim_id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: claims::ENTITY,
            entity_id: claim_id,
            claim_id: Some(claim_id),
            state: Some(claims::event_state(&claim)),
            operation: "unassign",
            changes: audit::diff(&snapshot(Some(&stored)), &snapshot(None)),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(stored)
}

/// A claim's assignment, if it has one.
pub async fn of_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_id: Uuid,
) -> Result<Option<Assigned>, AppError> {
    Ok(of_claims(db, actor, &[claim_id]).await?.pop())
}

/// The assignments of `claim_ids` with their assignees (one statement), for batch loading.
pub async fn of_claims(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_ids: &[Uuid],
) -> Result<Vec<Assigned>, AppError> {
    require(actor, Role::Viewer)?;
    if claim_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = assignment::Entity::find()
        .filter(assignment::Column::ClaimId.is_in(claim_ids.iter().copied()))
        .find_also_related(principal::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, p)| p.map(|p| (a, p)))
        .collect())
}

/// Where a queue page continues: the last row's due time (none sorts last), priority
/// and claim id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueCursor {
    pub due_at: Option<DateTime<Utc>>,
    pub priority: Priority,
    pub claim_id: Uuid,
}

impl PageCursor for QueueCursor {
    fn encode(&self) -> String {
        let due = self
            .due_at
            .map_or_else(|| "-".to_owned(), |d| d.timestamp_micros().to_string());
        URL_SAFE_NO_PAD.encode(format!(
            "q1|{due}|{}|{}",
            self.priority.rank(),
            self.claim_id
        ))
    }
}

impl QueueCursor {
    fn of(a: &assignment::Model) -> Self {
        Self {
            due_at: a.due_at,
            priority: a.priority,
            claim_id: a.claim_id,
        }
    }

    /// Reads a cursor this module wrote; anything else is BAD_USER_INPUT on `field`.
    pub fn decode(field: &str, raw: &str) -> Result<Self, AppError> {
        let invalid = || AppError::invalid(field, "is not a valid cursor for this queue");
        let text = URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(invalid)?;
        let parts: Vec<&str> = text.split('|').collect();
        let ["q1", due, rank, id] = parts.as_slice() else {
            return Err(invalid());
        };
        let due_at = match *due {
            "-" => None,
            micros => Some(
                micros
                    .parse::<i64>()
                    .ok()
                    .and_then(DateTime::from_timestamp_micros)
                    .ok_or_else(invalid)?,
            ),
        };
        let priority = rank
            .parse::<i32>()
            .ok()
            .and_then(|r| {
                [
                    Priority::Low,
                    Priority::Normal,
                    Priority::High,
                    Priority::Urgent,
                ]
                .into_iter()
                .find(|p| p.rank() == r)
            })
            .ok_or_else(invalid)?;
        let claim_id = id.parse().map_err(|_| invalid())?;
        Ok(Self {
            due_at,
            priority,
            claim_id,
        })
    }
}

/// One page of a queue request.
#[derive(Clone, Copy, Debug)]
pub struct QueuePage {
    pub first: u64,
    pub after: Option<QueueCursor>,
}

/// The rows after `cursor` in queue order: due time (none last), then priority (most
/// urgent first), then claim id.
fn after(cursor: QueueCursor) -> Condition {
    let due = || Expr::col((assignment::Entity, assignment::Column::DueAt));
    let priority = || Expr::col((assignment::Entity, assignment::Column::Priority));
    let id = || Expr::col((assignment::Entity, assignment::Column::ClaimId));
    let rank = cursor.priority.rank();
    let same_due_later = Condition::any().add(priority().lt(rank)).add(
        Condition::all()
            .add(priority().eq(rank))
            .add(id().gt(cursor.claim_id)),
    );
    match cursor.due_at {
        Some(d) => Condition::any()
            .add(due().gt(d))
            .add(due().is_null())
            .add(Condition::all().add(due().eq(d)).add(same_due_later)),
        None => Condition::all().add(due().is_null()).add(same_due_later),
    }
}

/// Claims assigned to `assignee`, in queue order, with their assignments.
pub async fn queue(
    db: &impl super::Db,
    actor: &Actor,
    assignee: Uuid,
    filter: &claims::ClaimFilter,
    page: &QueuePage,
) -> Result<Page<(claim::Model, assignment::Model), QueueCursor>, AppError> {
    require(actor, Role::Viewer)?;
    if page.first == 0 {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: page.after.is_some(),
        });
    }
    claims::prepare_search(db, filter).await?;
    let mut select = claims::filtered(filter, db.get_database_backend())
        .join(JoinType::InnerJoin, claim::Relation::Assignment.def())
        .filter(assignment::Column::AssigneeId.eq(assignee));
    if let Some(cursor) = page.after {
        select = select.filter(after(cursor));
    }
    let mut rows = select
        .order_by(
            Expr::col((assignment::Entity, assignment::Column::DueAt)).is_null(),
            Order::Asc,
        )
        .order_by(assignment::Column::DueAt, Order::Asc)
        .order_by(assignment::Column::Priority, Order::Desc)
        .order_by(assignment::Column::ClaimId, Order::Asc)
        .limit(page.first + 1)
        .select_also(assignment::Entity)
        .all(db)
        .await?;
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    Ok(Page {
        items: rows
            .into_iter()
            .filter_map(|(c, a)| a.map(|a| (QueueCursor::of(&a), (c, a))))
            .collect(),
        has_next_page,
        has_previous_page: page.after.is_some(),
    })
}

/// The filter conditions on assignments a claim list can ask for.
#[derive(Clone, Debug, Default)]
pub struct AssignmentFilter {
    pub assignee_id: Option<Uuid>,
    /// `Some(false)`: only unassigned claims; `Some(true)`: only assigned ones.
    pub assigned: Option<bool>,
    pub priority: Option<Vec<Priority>>,
    /// Due before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Only claims past their due time and not yet reviewed (or archived).
    pub overdue: bool,
}

impl AssignmentFilter {
    pub fn is_empty(&self) -> bool {
        self.assignee_id.is_none()
            && self.assigned.is_none()
            && self.priority.is_none()
            && self.due_before.is_none()
            && !self.overdue
    }

    /// The conditions on the claims' `id` column.
    pub fn condition(&self) -> Condition {
        use sea_orm::sea_query::Query;
        let mut of_assigned = Query::select();
        of_assigned
            .column(assignment::Column::ClaimId)
            .from(assignment::Entity);
        let mut narrowed = false;
        if let Some(assignee) = self.assignee_id {
            of_assigned.and_where(assignment::Column::AssigneeId.eq(assignee));
            narrowed = true;
        }
        if let Some(priorities) = &self.priority {
            of_assigned
                .and_where(assignment::Column::Priority.is_in(priorities.iter().map(|p| p.rank())));
            narrowed = true;
        }
        let due_limit = match (self.due_before, self.overdue) {
            (Some(before), true) => Some(std::cmp::min(before, now())),
            (Some(before), false) => Some(before),
            (None, true) => Some(now()),
            (None, false) => None,
        };
        if let Some(limit) = due_limit {
            of_assigned.and_where(assignment::Column::DueAt.lt(limit));
            narrowed = true;
        }
        let mut condition = Condition::all();
        if narrowed || self.assigned == Some(true) {
            condition = condition.add(claim::Column::Id.in_subquery(of_assigned.to_owned()));
        }
        if self.assigned == Some(false) {
            condition = condition.add(
                claim::Column::Id.not_in_subquery(
                    Query::select()
                        .column(assignment::Column::ClaimId)
                        .from(assignment::Entity)
                        .to_owned(),
                ),
            );
        }
        if self.overdue {
            use crate::domain::ClaimStatus;
            condition = condition.add(claim::Column::Status.is_not_in([
                ClaimStatus::Reviewed.as_str(),
                ClaimStatus::Archived.as_str(),
            ]));
        }
        condition
    }
}
