//! Claims: checkable assertions, their workflow status and kind-specific fields.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::appearances::{self, NewAppearance};
use super::audit::{self, Change};
use super::pagination::{Page, PageRequest, SortField, fetch_page, into_page, keyset};
use super::{Db, Patch, begin_write, now, require};
use crate::domain::quantity::RawQuantity;
use crate::domain::{
    Actor, BoundedText, ClaimKind, ClaimStatus, FieldError, Quantity, Role, Validator, Verdict,
};
use crate::entity::{appearance, article, claim, source, verification};
use crate::error::AppError;

pub(crate) const ENTITY: &str = "claim";

/// A claim to create, optionally with the articles it appeared in.
#[derive(Clone, Debug)]
pub struct NewClaim {
    pub kind: ClaimKind,
    pub text: String,
    pub speaker_id: Option<Uuid>,
    pub status: Option<ClaimStatus>,
    pub quote: Option<String>,
    pub setting: Option<String>,
    pub quantity: Option<RawQuantity>,
    /// A BCP 47 tag; absent: the language of the first article it appeared in.
    pub language: Option<String>,
    pub appearances: Vec<NewAppearance>,
    /// Set by imports only.
    pub origin: Option<super::Origin>,
}

/// Changes to a claim; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ClaimPatch {
    pub kind: Option<ClaimKind>,
    pub text: Option<String>,
    pub speaker_id: Patch<Uuid>,
    pub status: Option<ClaimStatus>,
    pub quote: Patch<String>,
    pub setting: Patch<String>,
    pub quantity: Patch<RawQuantity>,
    pub language: Patch<String>,
}

impl ClaimPatch {
    /// Whether the patch changes nothing but the status (all an archived claim takes:
    /// restoring it).
    fn only_moves_status(&self) -> bool {
        let ClaimPatch {
            kind,
            text,
            speaker_id,
            status: _,
            quote,
            setting,
            quantity,
            language,
        } = self;
        kind.is_none()
            && text.is_none()
            && speaker_id.is_none()
            && quote.is_none()
            && setting.is_none()
            && quantity.is_none()
            && language.is_none()
    }
}

/// The refusal of a change to an archived claim: archived claims are read-only until an
/// editor restores them (moves their status back).
pub(crate) fn archived(id: Uuid) -> AppError {
    AppError::Conflict(format!(
        "claim {id} is archived and read-only; restore it first (set its status to UNREVIEWED or IN_REVIEW)"
    ))
}

/// Refuses changes to what an archived claim carries (appearances, verdicts).
pub(crate) fn ensure_not_archived(claim: &claim::Model) -> Result<(), AppError> {
    if claim.status == ClaimStatus::Archived {
        return Err(archived(claim.id));
    }
    Ok(())
}

/// Moves a claim's version on after a change to what its representation embeds (its
/// appearances), so that its ETag and expected versions see the change.
pub(crate) async fn touch(
    db: &impl ConnectionTrait,
    claim: &claim::Model,
) -> Result<claim::Model, AppError> {
    let touched = claim::Model {
        version: claim.version + 1,
        updated_at: now(),
        ..claim.clone()
    };
    save(db, &touched, claim.version).await?;
    Ok(touched)
}

/// Filters for listing claims; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct ClaimFilter {
    pub status: Option<Vec<ClaimStatus>>,
    pub kind: Option<Vec<ClaimKind>>,
    pub current_verdict: Option<Vec<Verdict>>,
    pub speaker_id: Option<Uuid>,
    pub article_id: Option<Uuid>,
    /// Appearing in an article this outlet published.
    pub outlet_id: Option<Uuid>,
    pub subject: Option<String>,
    pub measure: Option<String>,
    pub text_contains: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Only claims that appear in no article (exports list them apart).
    pub without_appearances: bool,
    /// Conditions on who has the claim, how urgently, by when.
    pub assignment: super::assignments::AssignmentFilter,
    /// Carrying any of these tags (names; unknown ones match nothing).
    pub tags: Option<Vec<String>>,
    /// Matching this full-text query.
    pub search: Option<super::search::SearchQuery>,
}

/// The kind-specific fields of a claim after validation.
struct Details {
    quote: Option<String>,
    setting: Option<String>,
    quantity: Option<Quantity>,
}

fn parse_text(raw: &str) -> Result<String, FieldError> {
    BoundedText::parse("input.text", raw, 5000).map(BoundedText::into_inner)
}

fn parse_optional(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    Ok(BoundedText::parse_optional(field, raw, max)?.map(BoundedText::into_inner))
}

/// Checks that the kind-specific fields fit the kind: quantity claims carry a quantity and
/// only they do; only quote claims carry a quote (defaulting to the text).
fn check_details(
    kind: ClaimKind,
    text: &str,
    quote: Option<String>,
    setting: Option<String>,
    quantity: Option<Quantity>,
) -> Result<Details, FieldError> {
    match kind {
        ClaimKind::Quantity if quantity.is_none() => {
            return Err(FieldError::new(
                "input.quantity",
                "a quantity claim needs a quantity",
            ));
        }
        ClaimKind::Quote | ClaimKind::Event | ClaimKind::Other if quantity.is_some() => {
            return Err(FieldError::new(
                "input.quantity",
                "only quantity claims carry a quantity",
            ));
        }
        ClaimKind::Quantity | ClaimKind::Event | ClaimKind::Other if quote.is_some() => {
            return Err(FieldError::new(
                "input.quote",
                "only quote claims carry a quote",
            ));
        }
        _ => {}
    }
    let quote = match kind {
        ClaimKind::Quote => quote.or_else(|| Some(text.to_owned())),
        _ => None,
    };
    Ok(Details {
        quote,
        setting,
        quantity,
    })
}

fn decimal_text(value: Option<Decimal>) -> Option<String> {
    value.map(|d| d.normalize().to_string())
}

/// Reads the stored quantity back into its raw form (for patches that keep it).
fn stored_quantity(model: &claim::Model) -> Option<RawQuantity> {
    model.measure.as_ref().map(|measure| RawQuantity {
        subject: model.subject.clone(),
        measure: Some(measure.clone()),
        value: model.value.clone(),
        lower: model.lower_bound.clone(),
        upper: model.upper_bound.clone(),
        unit: model.unit.clone(),
        approximate: model.approximate,
        as_of: model.as_of,
    })
}

fn apply_details(model: &mut claim::Model, details: Details) {
    model.quote = details.quote;
    model.setting = details.setting;
    let q = details.quantity;
    model.subject = q.as_ref().and_then(|q| q.subject.clone());
    model.measure = q.as_ref().map(|q| q.measure.clone());
    model.value = decimal_text(q.as_ref().and_then(|q| q.value));
    model.lower_bound = decimal_text(q.as_ref().and_then(|q| q.lower));
    model.upper_bound = decimal_text(q.as_ref().and_then(|q| q.upper));
    model.unit = q.as_ref().and_then(|q| q.unit.clone());
    model.approximate = q.as_ref().is_some_and(|q| q.approximate);
    model.as_of = q.as_ref().and_then(|q| q.as_of);
    super::quantities::key_claim(model);
}

/// The stored form of a claim, for the audit trail.
pub fn snapshot(model: &claim::Model) -> Value {
    json!({
        "kind": model.kind, "text": model.text, "speaker_id": model.speaker_id,
        "status": model.status, "current_verdict": model.current_verdict,
        "quote": model.quote, "setting": model.setting, "language": model.language,
        "subject": model.subject,
        "measure": model.measure, "value": model.value, "lower": model.lower_bound,
        "upper": model.upper_bound, "unit": model.unit, "approximate": model.approximate,
        "as_of": model.as_of, "version": model.version,
    })
}

/// What live subscribers filter a claim event on, as it was when the event committed.
pub fn event_state(model: &claim::Model) -> Value {
    json!({ "status": model.status, "kind": model.kind, "speaker_id": model.speaker_id })
}

async fn ensure_speaker(
    db: &impl ConnectionTrait,
    speaker_id: Option<Uuid>,
) -> Result<(), AppError> {
    if let Some(id) = speaker_id {
        super::referred(super::sources::find(db, id).await, "input.speakerId")?;
    }
    Ok(())
}

pub async fn create(
    db: &impl Db,
    actor: &Actor,
    input: NewClaim,
) -> Result<claim::Model, AppError> {
    require(actor, Role::Editor)?;
    let mut v = Validator::default();
    let text = v.check(parse_text(&input.text));
    let quote = v.check(parse_optional("input.quote", input.quote.as_deref(), 5000));
    let setting = v.check(parse_optional(
        "input.setting",
        input.setting.as_deref(),
        1000,
    ));
    let quantity = match input.quantity {
        Some(raw) => v
            .check_all(Quantity::parse("input.quantity", raw))
            .map(Some),
        None => Some(None),
    };
    let language = v.check(crate::domain::language_tag(
        "input.language",
        input.language.as_deref(),
    ));
    let status = input.status.unwrap_or(ClaimStatus::Unreviewed);
    if !matches!(status, ClaimStatus::Unreviewed | ClaimStatus::InReview) {
        v.check::<()>(Err(FieldError::new(
            "input.status",
            "a new claim starts as UNREVIEWED or IN_REVIEW",
        )));
    }
    let appearances: Vec<_> = input
        .appearances
        .iter()
        .enumerate()
        .filter_map(|(i, a)| v.check_all(a.parse(&format!("input.appearances.{i}"))))
        .collect();
    let (Some(text), Some(quote), Some(setting), Some(quantity), Some(language)) =
        (text, quote, setting, quantity, language)
    else {
        return Err(AppError::Validation(v.into_errors()));
    };
    let details = v.check(check_details(input.kind, &text, quote, setting, quantity));
    let errors = v.into_errors();
    let Some(details) = details.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };

    let txn = begin_write(db).await?;
    ensure_speaker(&txn, input.speaker_id).await?;
    // Unless given, a claim is in the language of the first article it appeared in.
    let language = match (language, input.appearances.first()) {
        (Some(language), _) => Some(language),
        (None, Some(first)) => match super::articles::find(&txn, first.article_id).await {
            Ok(article) => article.language,
            // Reported with the appearance's own check below.
            Err(AppError::NotFound { .. }) => None,
            Err(error) => return Err(error),
        },
        (None, None) => None,
    };
    let at = input.origin.as_ref().map_or_else(now, |o| o.at);
    let mut model = claim::Model {
        id: input.origin.as_ref().map_or_else(Uuid::now_v7, |o| o.id),
        kind: input.kind,
        text,
        speaker_id: input.speaker_id,
        status,
        current_verdict: None,
        quote: None,
        setting: None,
        language,
        subject: None,
        measure: None,
        value: None,
        lower_bound: None,
        upper_bound: None,
        unit: None,
        approximate: false,
        as_of: None,
        quantity_key: None,
        quantity_at: None,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    apply_details(&mut model, details);
    let created = claim::ActiveModel::from(model)
        .reset_all()
        .insert(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: created.id,
            claim_id: Some(created.id),
            state: Some(event_state(&created)),
            operation: "create",
            changes: snapshot(&created),
        },
    )
    .await?;
    for (i, appearance) in appearances.into_iter().enumerate() {
        appearances::insert(
            &txn,
            actor,
            &created,
            appearance,
            &format!("input.appearances.{i}"),
        )
        .await?;
    }
    super::quantities::reconcile(&txn, actor, [created.quantity_key.clone()]).await?;
    super::commit(txn).await?;
    Ok(created)
}

pub async fn update(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    patch: ClaimPatch,
) -> Result<claim::Model, AppError> {
    require(actor, Role::Editor)?;
    let restoring_only = patch.only_moves_status();
    let mut v = Validator::default();
    let text = patch.text.as_deref().map(|t| v.check(parse_text(t)));
    let quote_given = patch.quote.is_some();
    let quote = patch
        .quote
        .map(|q| v.check(parse_optional("input.quote", q.as_deref(), 5000)));
    let setting = patch
        .setting
        .map(|s| v.check(parse_optional("input.setting", s.as_deref(), 1000)));
    let language = patch
        .language
        .map(|l| v.check(crate::domain::language_tag("input.language", l.as_deref())));
    let quantity = patch.quantity.map(|q| match q {
        Some(raw) => v
            .check_all(Quantity::parse("input.quantity", raw))
            .map(Some),
        None => Some(None),
    });
    let errors = v.into_errors();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    if current.version != expected_version {
        return Err(AppError::stale_version(
            ENTITY,
            expected_version,
            current.version,
        ));
    }
    let current_status = current.status;
    if current_status == ClaimStatus::Archived && !restoring_only {
        return Err(archived(id));
    }
    if let Some(next) = patch.status {
        current_status
            .move_to(next, current.current_verdict.is_some())
            .map_err(|reason| AppError::invalid("input.status", reason))?;
    }
    if let Some(speaker) = patch.speaker_id {
        ensure_speaker(&txn, speaker).await?;
    }
    let kind = match patch.kind {
        Some(kind) => kind,
        None => current.kind,
    };
    let text = text.flatten().unwrap_or(current.text.clone());
    // Fields not in the patch keep their stored values; the combination is checked again.
    let quote = quote.flatten().unwrap_or(current.quote.clone());
    let quote = if patch.kind.is_some() && !quote_given && kind != ClaimKind::Quote {
        None
    } else {
        quote
    };
    let quantity = match quantity.flatten() {
        Some(q) => q,
        None => stored_quantity(&current)
            .map(|raw| Quantity::parse("input.quantity", raw))
            .transpose()
            .map_err(AppError::Validation)?,
    };
    let setting = setting.flatten().unwrap_or(current.setting.clone());
    let details = check_details(kind, &text, quote, setting, quantity)?;
    let mut updated = claim::Model {
        kind,
        text,
        speaker_id: patch.speaker_id.unwrap_or(current.speaker_id),
        status: patch.status.unwrap_or(current_status),
        language: language.map_or(current.language.clone(), Option::flatten),
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    apply_details(&mut updated, details);
    save(&txn, &updated, expected_version).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: Some(id),
            state: Some(event_state(&updated)),
            operation: "update",
            changes: audit::diff(&snapshot(&current), &snapshot(&updated)),
        },
    )
    .await?;
    super::quantities::reconcile(
        &txn,
        actor,
        [current.quantity_key.clone(), updated.quantity_key.clone()],
    )
    .await?;
    super::commit(txn).await?;
    Ok(updated)
}

/// Writes `updated` if the stored version is still `expected_version`.
pub(crate) async fn save(
    db: &impl ConnectionTrait,
    updated: &claim::Model,
    expected_version: i32,
) -> Result<(), AppError> {
    super::versioned::save::<claim::Entity>(db, updated.id, expected_version, updated.clone()).await
}

/// Deletes a claim and its appearances. A claim with verifications is history and cannot
/// be deleted (archive it instead): CONFLICT.
pub async fn delete(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<claim::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find(&txn, id).await?;
    super::ensure_version(ENTITY, expected_version, current.version)?;
    let verifications = verification::Entity::find()
        .filter(verification::Column::ClaimId.eq(id))
        .count(&txn)
        .await?;
    if verifications > 0 {
        return Err(AppError::Conflict(format!(
            "claim {id} has {verifications} verifications; verified claims are kept as history, archive it instead"
        )));
    }
    claim::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: id,
            claim_id: Some(id),
            state: Some(event_state(&current)),
            operation: "delete",
            changes: snapshot(&current),
        },
    )
    .await?;
    super::quantities::reconcile(&txn, actor, [current.quantity_key.clone()]).await?;
    super::commit(txn).await?;
    Ok(current)
}

/// Reads a record without a permission check (inside the service's own transactions).
/// A claim merged into another resolves to that one.
pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<claim::Model, AppError> {
    if let Some(claim) = claim::Entity::find_by_id(id).one(db).await? {
        return Ok(claim);
    }
    match super::merges::merged_into(db, id).await? {
        Some(into) => claim::Entity::find_by_id(into)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found(ENTITY, id)),
        None => Err(AppError::not_found(ENTITY, id)),
    }
}

/// Reads a claim inside a write transaction and keeps others from changing it until
/// that transaction ends, so concurrent writes to one claim (two checkers recording at
/// once) wait for each other instead of failing on its version. SQLite's write
/// transactions already exclude each other.
pub(crate) async fn find_for_update(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<claim::Model, AppError> {
    if let Some(claim) = super::for_update(db, claim::Entity::find_by_id(id))
        .one(db)
        .await?
    {
        return Ok(claim);
    }
    // A claim merged into another: writes to its id go to that one.
    match super::merges::merged_into(db, id).await? {
        Some(into) => super::for_update(db, claim::Entity::find_by_id(into))
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found(ENTITY, id)),
        None => Err(AppError::not_found(ENTITY, id)),
    }
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<claim::Model, AppError> {
    require(actor, Role::Viewer)?;
    find(db, id).await
}

/// Claims by id, for batch loading.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<Vec<claim::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(claim::Entity::find()
        .filter(claim::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A case-insensitive `LIKE` pattern matching `text` anywhere, with wildcards escaped.
pub fn contains_pattern(text: &str) -> LikeExpr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// The claims `filter` lets through, as a query for `backend` (full-text search is
/// written in each database's own terms).
pub(crate) fn filtered(filter: &ClaimFilter, backend: DbBackend) -> sea_orm::Select<claim::Entity> {
    let mut select = claim::Entity::find();
    if let Some(query) = &filter.search {
        select = select.filter(super::search::matching(
            backend,
            claim::Column::Id,
            super::search::SearchKind::Claim,
            query,
        ));
    }
    if let Some(statuses) = &filter.status {
        select = select.filter(claim::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
    }
    if let Some(kinds) = &filter.kind {
        select = select.filter(claim::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    }
    if let Some(verdicts) = &filter.current_verdict {
        select =
            select.filter(claim::Column::CurrentVerdict.is_in(verdicts.iter().map(|v| v.as_str())));
    }
    if let Some(speaker) = filter.speaker_id {
        select = select.filter(claim::Column::SpeakerId.eq(speaker));
    }
    if let Some(article) = filter.article_id {
        select = select.filter(
            claim::Column::Id.in_subquery(
                Query::select()
                    .column(appearance::Column::ClaimId)
                    .from(appearance::Entity)
                    .and_where(appearance::Column::ArticleId.eq(article))
                    .to_owned(),
            ),
        );
    }
    if let Some(outlet) = filter.outlet_id {
        select = select.filter(
            claim::Column::Id.in_subquery(
                Query::select()
                    .column((appearance::Entity, appearance::Column::ClaimId))
                    .from(appearance::Entity)
                    .inner_join(
                        article::Entity,
                        Expr::col((article::Entity, article::Column::Id))
                            .equals((appearance::Entity, appearance::Column::ArticleId)),
                    )
                    .and_where(Expr::col((article::Entity, article::Column::OutletId)).eq(outlet))
                    .to_owned(),
            ),
        );
    }
    if let Some(subject) = &filter.subject {
        select = select.filter(claim::Column::Subject.eq(subject.trim()));
    }
    if let Some(measure) = &filter.measure {
        select = select.filter(claim::Column::Measure.eq(measure.trim()));
    }
    if let Some(text) = filter.text_contains.as_deref().filter(|t| !t.is_empty()) {
        select = select.filter(
            Expr::expr(Func::lower(Expr::col(claim::Column::Text))).like(contains_pattern(text)),
        );
    }
    if filter.without_appearances {
        select = select.filter(
            claim::Column::Id.not_in_subquery(
                Query::select()
                    .column(appearance::Column::ClaimId)
                    .from(appearance::Entity)
                    .to_owned(),
            ),
        );
    }
    if let Some(tags) = filter.tags.as_ref().filter(|t| !t.is_empty()) {
        select = select.filter(super::tags::carrying_any(
            claim::Column::Id,
            super::tags::Link::Claim,
            tags,
        ));
    }
    if !filter.assignment.is_empty() {
        select = select.filter(filter.assignment.condition());
    }
    if let Some(after) = filter.created_after {
        select = select.filter(claim::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(claim::Column::CreatedAt.lt(before));
    }
    select
}

/// Brings the search index up to what has been committed when `filter` searches, so
/// that callers find what they have just written.
pub(crate) async fn prepare_search(db: &impl Db, filter: &ClaimFilter) -> Result<(), AppError> {
    if filter.search.is_some() {
        super::search::index::freshen(db).await?;
    }
    Ok(())
}

pub async fn list(
    db: &impl Db,
    actor: &Actor,
    filter: &ClaimFilter,
    page: &PageRequest,
) -> Result<Page<claim::Model>, AppError> {
    require(actor, Role::Viewer)?;
    prepare_search(db, filter).await?;
    let (column, key): (_, fn(&claim::Model) -> _) = match page.order.field {
        SortField::CreatedAt => (claim::Column::CreatedAt, |m| (m.created_at, m.id)),
        SortField::UpdatedAt => (claim::Column::UpdatedAt, |m| (m.updated_at, m.id)),
    };
    let select = filtered(filter, db.get_database_backend());
    fetch_page(db, select, column, claim::Column::Id, page, key).await
}

/// A claim with its speaker, as a join returns them.
pub type ClaimWithSpeaker = (claim::Model, Option<source::Model>);

/// A page of claims with their speakers, in one statement (a join).
pub async fn list_with_speakers(
    db: &impl Db,
    actor: &Actor,
    filter: &ClaimFilter,
    page: &PageRequest,
) -> Result<Page<ClaimWithSpeaker>, AppError> {
    require(actor, Role::Viewer)?;
    prepare_search(db, filter).await?;
    if page.first == 0 {
        return Ok(into_page(Vec::new(), page, |(c, _): &ClaimWithSpeaker| {
            (c.created_at, c.id)
        }));
    }
    let (column, key): (_, fn(&ClaimWithSpeaker) -> _) = match page.order.field {
        SortField::CreatedAt => (claim::Column::CreatedAt, |(m, _)| (m.created_at, m.id)),
        SortField::UpdatedAt => (claim::Column::UpdatedAt, |(m, _)| (m.updated_at, m.id)),
    };
    let query = filtered(filter, db.get_database_backend()).find_also_related(source::Entity);
    let rows = keyset(query, column, claim::Column::Id, page)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(into_page(rows, page, key))
}

pub async fn count(db: &impl Db, actor: &Actor, filter: &ClaimFilter) -> Result<u64, AppError> {
    require(actor, Role::Viewer)?;
    prepare_search(db, filter).await?;
    Ok(filtered(filter, db.get_database_backend())
        .count(db)
        .await?)
}
