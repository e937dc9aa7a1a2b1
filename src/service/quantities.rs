//! Figures about one quantity: every quantity claim with a subject is keyed (normalised
//! subject + measure + unit), each key's figures are assessed against each other, and
//! disagreements between sources are kept as conflicts. Conflicts are reconciled inside
//! the write that changes a figure, so the open-conflict list is never stale and each
//! new or ended conflict is an outbox event (subscriptions, webhooks) of that write.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::outbox::{self, Event};
use super::pagination::{Page, PageRequest, fetch_page};
use super::{now, require};
use crate::domain::figures::{
    self, ConflictResolution, Figure, Interval, Standing, conflict_window, quantity_key,
};
use crate::domain::{Actor, ClaimKind, ClaimStatus, Role, Verdict};
use crate::entity::{appearance, claim, quantity_conflict as conflict};
use crate::error::AppError;

/// The outbox's record type for conflicts (events `conflict.detected`, `conflict.resolved`).
pub const ENTITY: &str = "conflict";

/// Sets a claim's quantity key and moment from its fields (call after changing them).
pub fn key_claim(model: &mut claim::Model) {
    let is_quantity = model.kind == ClaimKind::Quantity;
    model.quantity_key = quantity_key(
        model.subject.as_deref(),
        model.measure.as_deref(),
        model.unit.as_deref(),
    )
    .filter(|_| is_quantity);
    model.quantity_at = model
        .quantity_key
        .as_ref()
        .map(|_| model.as_of.unwrap_or(model.created_at));
}

/// Judged false or mostly false, or archived: settled against the figure.
fn settled_against(verdict: Option<Verdict>, status: ClaimStatus) -> bool {
    matches!(verdict, Some(Verdict::False | Verdict::MostlyFalse))
        || status == ClaimStatus::Archived
}

/// Whether a claim's figure is refuted (see `settled_against`).
pub(crate) fn refuted(model: &claim::Model) -> bool {
    settled_against(model.current_verdict, model.status)
}

/// A keyed claim as a figure: its fields, and the outlet of the first article it appeared
/// in (who carried it, when it has no speaker).
#[derive(Clone, Debug, FromQueryResult)]
pub struct FigureRow {
    pub id: Uuid,
    pub quantity_key: String,
    pub quantity_at: DateTime<Utc>,
    pub text: String,
    pub speaker_id: Option<Uuid>,
    pub outlet_id: Option<Uuid>,
    pub subject: Option<String>,
    pub measure: Option<String>,
    pub value: Option<String>,
    pub lower_bound: Option<String>,
    pub upper_bound: Option<String>,
    pub unit: Option<String>,
    pub approximate: bool,
    pub as_of: Option<DateTime<Utc>>,
    pub status: ClaimStatus,
    pub current_verdict: Option<Verdict>,
    pub created_at: DateTime<Utc>,
}

fn decimal(raw: &Option<String>) -> Option<Decimal> {
    raw.as_deref().and_then(|d| d.parse().ok())
}

impl FigureRow {
    /// Who gives the figure: its speaker, else the outlet that carried it.
    pub fn source_id(&self) -> Option<Uuid> {
        self.speaker_id.or(self.outlet_id)
    }

    pub fn value(&self) -> Option<Decimal> {
        decimal(&self.value)
    }

    pub fn lower(&self) -> Option<Decimal> {
        decimal(&self.lower_bound)
    }

    pub fn upper(&self) -> Option<Decimal> {
        decimal(&self.upper_bound)
    }

    pub fn interval(&self) -> Interval {
        Interval::of(self.value(), self.lower(), self.upper(), self.approximate)
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.current_verdict
    }

    fn refuted(&self) -> bool {
        settled_against(self.current_verdict, self.status)
    }

    fn figure(&self) -> Figure {
        Figure {
            claim_id: self.id,
            source_id: self.source_id(),
            interval: self.interval(),
            at: self.quantity_at,
            refuted: self.refuted(),
            support: match self.verdict() {
                Some(Verdict::True) => 2,
                Some(Verdict::MostlyTrue) => 1,
                _ => 0,
            },
            recorded_at: self.created_at,
        }
    }
}

/// A figure with its standing among its quantity's figures.
#[derive(Clone, Debug)]
pub struct AssessedFigure {
    pub row: FigureRow,
    pub standing: Standing,
}

/// Every figure about one quantity, oldest first, each with its standing.
#[derive(Clone, Debug)]
pub struct Series {
    pub key: String,
    pub figures: Vec<AssessedFigure>,
}

impl Series {
    fn of(key: String, rows: Vec<FigureRow>) -> Self {
        let standings = figures::assess(&rows.iter().map(FigureRow::figure).collect::<Vec<_>>());
        Series {
            key,
            figures: rows
                .into_iter()
                .zip(standings)
                .map(|(row, standing)| AssessedFigure { row, standing })
                .collect(),
        }
    }
}

/// The figure columns of keyed claims, with the first appearance's outlet.
fn figure_select() -> sea_orm::Select<claim::Entity> {
    use claim::Column as C;
    claim::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::QuantityKey,
            C::QuantityAt,
            C::Text,
            C::SpeakerId,
            C::Subject,
            C::Measure,
            C::Value,
            C::LowerBound,
            C::UpperBound,
            C::Unit,
            C::Approximate,
            C::AsOf,
            C::Status,
            C::CurrentVerdict,
            C::CreatedAt,
        ])
        .expr_as(
            Expr::cust(
                "(SELECT ar.outlet_id FROM appearances ap JOIN articles ar ON ar.id = ap.article_id \
                 WHERE ap.claim_id = claims.id AND ar.outlet_id IS NOT NULL \
                 ORDER BY ap.created_at, ap.id LIMIT 1)",
            ),
            "outlet_id",
        )
        .filter(C::QuantityKey.is_not_null())
        .order_by_asc(C::QuantityAt)
        .order_by_asc(C::Id)
}

async fn figures_of_keys(
    db: &impl ConnectionTrait,
    keys: &BTreeSet<String>,
) -> Result<Vec<Series>, AppError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows = figure_select()
        .filter(claim::Column::QuantityKey.is_in(keys.iter().cloned()))
        .into_model::<FigureRow>()
        .all(db)
        .await?;
    let mut by_key: HashMap<String, Vec<FigureRow>> = HashMap::new();
    for row in rows {
        by_key
            .entry(row.quantity_key.clone())
            .or_default()
            .push(row);
    }
    Ok(keys
        .iter()
        .filter_map(|key| by_key.remove_entry(key))
        .map(|(key, rows)| Series::of(key, rows))
        .collect())
}

/// Every figure about the quantity `key`, or `None` when it has none.
pub async fn series(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> Result<Option<Series>, AppError> {
    require(actor, Role::Viewer)?;
    let keys = BTreeSet::from([key.to_owned()]);
    Ok(figures_of_keys(db, &keys).await?.into_iter().next())
}

/// The key figures with this subject, measure and unit would have (`None` without one).
pub fn key_of(subject: &str, measure: &str, unit: Option<&str>) -> Result<String, AppError> {
    quantity_key(Some(subject), Some(measure), unit).ok_or_else(|| {
        AppError::invalid(
            "subject",
            "needs at least one letter or digit to name what is counted",
        )
    })
}

/// Which conflicts to list.
#[derive(Clone, Debug, Default)]
pub struct ConflictFilter {
    /// Only open (true) or only resolved (false) conflicts; both when `None`.
    pub open: Option<bool>,
    pub key: Option<String>,
}

/// A conflict with its two figures as they stand now (`None` when a claim is gone or no
/// longer a figure).
#[derive(Clone, Debug)]
pub struct ConflictView {
    pub conflict: conflict::Model,
    pub first: Option<AssessedFigure>,
    pub second: Option<AssessedFigure>,
}

/// The figures of `claim_ids` as they stand in their quantities now.
async fn standing_of_claims(
    db: &impl ConnectionTrait,
    claim_ids: &[Uuid],
) -> Result<HashMap<Uuid, AssessedFigure>, AppError> {
    if claim_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: BTreeSet<String> = claim::Entity::find()
        .select_only()
        .column(claim::Column::QuantityKey)
        .filter(claim::Column::Id.is_in(claim_ids.iter().copied()))
        .filter(claim::Column::QuantityKey.is_not_null())
        .into_tuple::<Option<String>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(figures_of_keys(db, &keys)
        .await?
        .into_iter()
        .flat_map(|series| series.figures)
        .filter(|f| claim_ids.contains(&f.row.id))
        .map(|f| (f.row.id, f))
        .collect())
}

async fn with_figures(
    db: &impl ConnectionTrait,
    conflicts: Vec<conflict::Model>,
) -> Result<Vec<ConflictView>, AppError> {
    let ids: Vec<Uuid> = conflicts
        .iter()
        .flat_map(|c| [c.first_claim_id, c.second_claim_id])
        .flatten()
        .collect();
    let figures = standing_of_claims(db, &ids).await?;
    let take = |id: Option<Uuid>| id.and_then(|id| figures.get(&id).cloned());
    Ok(conflicts
        .into_iter()
        .map(|conflict| ConflictView {
            first: take(conflict.first_claim_id),
            second: take(conflict.second_claim_id),
            conflict,
        })
        .collect())
}

fn filtered(filter: &ConflictFilter) -> sea_orm::Select<conflict::Entity> {
    let mut select = conflict::Entity::find();
    select = match filter.open {
        Some(true) => select.filter(conflict::Column::ResolvedAt.is_null()),
        Some(false) => select.filter(conflict::Column::ResolvedAt.is_not_null()),
        None => select,
    };
    if let Some(key) = &filter.key {
        select = select.filter(conflict::Column::QuantityKey.eq(key.clone()));
    }
    select
}

/// Conflicts, newest first.
pub async fn list_conflicts(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ConflictFilter,
    page: &PageRequest,
) -> Result<Page<ConflictView>, AppError> {
    require(actor, Role::Viewer)?;
    let page = fetch_page(
        db,
        filtered(filter),
        conflict::Column::DetectedAt,
        conflict::Column::Id,
        page,
        |c| (c.detected_at, c.id),
    )
    .await?;
    let views = with_figures(db, page.rows()).await?;
    Ok(page.with_items(views))
}

/// How many conflicts `filter` matches.
pub async fn count_conflicts(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ConflictFilter,
) -> Result<u64, AppError> {
    require(actor, Role::Viewer)?;
    Ok(filtered(filter).count(db).await?)
}

/// One conflict.
pub async fn get_conflict(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<ConflictView, AppError> {
    require(actor, Role::Viewer)?;
    let found = conflict::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))?;
    let mut views = with_figures(db, vec![found]).await?;
    views.pop().ok_or_else(|| AppError::not_found(ENTITY, id))
}

/// Brings the stored conflicts of `keys` in line with their figures, inside the caller's
/// write transaction: new disagreements are recorded and announced, ended ones resolved.
pub(crate) async fn reconcile(
    db: &impl ConnectionTrait,
    actor: &Actor,
    keys: impl IntoIterator<Item = Option<String>>,
) -> Result<(), AppError> {
    // One order for every writer, so two writers locking two keys never deadlock.
    let keys: BTreeSet<String> = keys.into_iter().flatten().collect();
    for key in keys {
        reconcile_key(db, actor, &key).await?;
    }
    Ok(())
}

/// The keys of the speakerless figures an article carries: their source is its outlet,
/// so changing the outlet or deleting the article can change who disagrees with whom.
pub(crate) async fn keys_carried_by(
    db: &impl ConnectionTrait,
    article_id: Uuid,
) -> Result<Vec<Option<String>>, AppError> {
    let carried = sea_orm::sea_query::Query::select()
        .column(appearance::Column::ClaimId)
        .from(appearance::Entity)
        .and_where(appearance::Column::ArticleId.eq(article_id))
        .to_owned();
    Ok(claim::Entity::find()
        .select_only()
        .column(claim::Column::QuantityKey)
        .distinct()
        .filter(claim::Column::SpeakerId.is_null())
        .filter(claim::Column::QuantityKey.is_not_null())
        .filter(claim::Column::Id.in_subquery(carried))
        .into_tuple()
        .all(db)
        .await?)
}

/// Serialises writers of one key until the transaction ends, so that two figures
/// committed at once still see each other. SQLite has one writer at a time already.
async fn lock_key(db: &impl ConnectionTrait, key: &str) -> Result<(), AppError> {
    crate::dialect::advisory_lock(db, 727275, key).await?;
    Ok(())
}

/// The figures of `key` in its current time window (only those can be in conflict).
async fn current_figures(db: &impl ConnectionTrait, key: &str) -> Result<Vec<FigureRow>, AppError> {
    let latest: Option<Option<DateTime<Utc>>> = claim::Entity::find()
        .select_only()
        .column(claim::Column::QuantityAt)
        .filter(claim::Column::QuantityKey.eq(key))
        .order_by_desc(claim::Column::QuantityAt)
        .into_tuple()
        .one(db)
        .await?;
    let Some(latest) = latest.flatten() else {
        return Ok(Vec::new());
    };
    Ok(figure_select()
        .filter(claim::Column::QuantityKey.eq(key))
        .filter(claim::Column::QuantityAt.gt(latest - conflict_window()))
        .into_model::<FigureRow>()
        .all(db)
        .await?)
}

async fn reconcile_key(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> Result<(), AppError> {
    lock_key(db, key).await?;
    let current = current_figures(db, key).await?;
    let wanted =
        figures::open_conflicts(&current.iter().map(FigureRow::figure).collect::<Vec<_>>());
    let stored = conflict::Entity::find()
        .filter(conflict::Column::QuantityKey.eq(key))
        .filter(conflict::Column::ResolvedAt.is_null())
        .all(db)
        .await?;
    let pair = |c: &conflict::Model| c.first_claim_id.zip(c.second_claim_id);
    for ended in stored
        .iter()
        .filter(|c| pair(c).is_none_or(|p| !wanted.contains(&p)))
    {
        let resolution = why_ended(db, key, ended, &current).await?;
        let mut row: conflict::ActiveModel = ended.clone().into();
        row.resolved_at = Set(Some(now()));
        row.resolution = Set(Some(resolution));
        let resolved = row.update(db).await?;
        announce(db, actor, &resolved, "resolved").await?;
    }
    for (first, second) in wanted {
        if stored.iter().any(|c| pair(c) == Some((first, second))) {
            continue;
        }
        let detected = conflict::ActiveModel {
            id: Set(Uuid::now_v7()),
            quantity_key: Set(key.to_owned()),
            first_claim_id: Set(Some(first)),
            second_claim_id: Set(Some(second)),
            detected_at: Set(now()),
            resolved_at: Set(None),
            resolution: Set(None),
        }
        .insert(db)
        .await?;
        tracing::info!(key, %first, %second, "figures in conflict");
        announce(db, actor, &detected, "detected").await?;
    }
    Ok(())
}

/// Why a stored conflict no longer holds, judged from its claims as they are now.
async fn why_ended(
    db: &impl ConnectionTrait,
    key: &str,
    ended: &conflict::Model,
    current: &[FigureRow],
) -> Result<ConflictResolution, AppError> {
    let (Some(first), Some(second)) = (ended.first_claim_id, ended.second_claim_id) else {
        return Ok(ConflictResolution::Withdrawn);
    };
    let in_window = |id: Uuid| current.iter().find(|f| f.id == id);
    if let (Some(a), Some(b)) = (in_window(first), in_window(second)) {
        return Ok(if a.refuted() || b.refuted() {
            ConflictResolution::Refuted
        } else {
            ConflictResolution::Revised
        });
    }
    let claims = claim::Entity::find()
        .filter(claim::Column::Id.is_in([first, second]))
        .all(db)
        .await?;
    if claims.len() < 2 {
        return Ok(ConflictResolution::Withdrawn);
    }
    if claims
        .iter()
        .any(|c| c.quantity_key.as_deref() != Some(key))
    {
        return Ok(ConflictResolution::Revised);
    }
    Ok(ConflictResolution::Superseded)
}

async fn announce(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conflict: &conflict::Model,
    operation: &str,
) -> Result<(), AppError> {
    outbox::publish(
        db,
        actor,
        Event {
            entity_type: ENTITY,
            entity_id: conflict.id,
            claim_id: None,
            operation,
            state: Some(json!({
                "key": conflict.quantity_key,
                "claims": [conflict.first_claim_id, conflict.second_claim_id],
            })),
            audit_event_id: None,
        },
    )
    .await
}

/// Keys the quantity claims stored before keys existed (or whose key was cleared for
/// re-keying), then reconciles their keys. Runs after migrations: one statement per
/// distinct subject, measure and unit; one cheap query when all are keyed.
pub async fn key_stored_figures(db: &impl super::Db) -> Result<u64, AppError> {
    use claim::Column as C;
    let groups: Vec<(String, String, Option<String>)> = claim::Entity::find()
        .filter(C::Kind.eq(ClaimKind::Quantity.as_str()))
        .filter(C::QuantityKey.is_null())
        .filter(C::Subject.is_not_null())
        .filter(C::Measure.is_not_null())
        .select_only()
        .columns([C::Subject, C::Measure, C::Unit])
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    if groups.is_empty() {
        return Ok(0);
    }
    let txn = super::begin_write(db).await?;
    let mut keys = BTreeSet::new();
    let mut keyed = 0;
    for (subject, measure, unit) in groups {
        let Some(key) = quantity_key(Some(&subject), Some(&measure), unit.as_deref()) else {
            continue;
        };
        let unit = match unit {
            Some(unit) => C::Unit.eq(unit),
            None => C::Unit.is_null(),
        };
        keyed += claim::Entity::update_many()
            .col_expr(C::QuantityKey, Expr::value(key.clone()))
            .col_expr(
                C::QuantityAt,
                Func::coalesce([Expr::col(C::AsOf), Expr::col(C::CreatedAt)]).into(),
            )
            .filter(C::Kind.eq(ClaimKind::Quantity.as_str()))
            .filter(C::QuantityKey.is_null())
            .filter(C::Subject.eq(subject))
            .filter(C::Measure.eq(measure))
            .filter(unit)
            .exec(&txn)
            .await?
            .rows_affected;
        keys.insert(key);
    }
    let actor = Actor::system("quantity keys");
    reconcile(&txn, &actor, keys.into_iter().map(Some)).await?;
    super::commit(txn).await?;
    Ok(keyed)
}
