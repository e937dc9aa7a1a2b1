//! Verifications: append-only judgements of a claim, their evidence and retractions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use super::batch::Batch;
use super::outbox;
use super::pagination::{Direction, Page, PageRequest, fetch_page, top_n_per_parent};
use super::{Db, begin_write, now, require};
use crate::domain::{
    Actor, ArticleUrl, BoundedText, ClaimStatus, FieldError, Role, Stance, Validator, Verdict,
};
use crate::entity::{citation, claim, retraction, verification};
use crate::error::AppError;

const ENTITY: &str = "verification";
const MAX_CITATIONS: usize = 50;

/// A judgement to record.
#[derive(Clone, Debug)]
pub struct NewVerification {
    pub verdict: Verdict,
    pub summary: String,
    pub citations: Vec<NewCitation>,
    /// How the review is published, when it is.
    pub publication: Publication,
    /// Set by imports only.
    pub origin: Option<super::Origin>,
}

/// How a verification's review is published (all optional): the newsroom's own
/// fact-check article, the claim as the review words it, the review's language.
#[derive(Clone, Debug, Default)]
pub struct Publication {
    pub review_url: Option<String>,
    pub claim_reviewed: Option<String>,
    pub language: Option<String>,
}

/// The longest `claimReviewed` accepted: a summary, not the claim again.
pub const MAX_CLAIM_REVIEWED: usize = 300;

struct ValidPublication {
    review_url: Option<String>,
    claim_reviewed: Option<String>,
    language: Option<String>,
}

fn parse_publication(input: &Publication) -> Result<ValidPublication, Vec<FieldError>> {
    let mut v = Validator::default();
    let review_url = input
        .review_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| v.check(ArticleUrl::parse("input.reviewUrl", u)));
    let claim_reviewed = v.check(BoundedText::parse_optional(
        "input.claimReviewed",
        input.claim_reviewed.as_deref(),
        MAX_CLAIM_REVIEWED,
    ));
    let language = v.check(crate::domain::language_tag(
        "input.language",
        input.language.as_deref(),
    ));
    match (review_url, claim_reviewed, language) {
        (review_url @ (None | Some(Some(_))), Some(claim_reviewed), Some(language)) => {
            Ok(ValidPublication {
                review_url: review_url.flatten().map(ArticleUrl::into_inner),
                claim_reviewed: claim_reviewed.map(BoundedText::into_inner),
                language,
            })
        }
        _ => Err(v.into_errors()),
    }
}

/// A piece of evidence.
#[derive(Clone, Debug)]
pub struct NewCitation {
    pub url: String,
    pub source_id: Option<Uuid>,
    pub excerpt: Option<String>,
    pub stance: Stance,
}

/// A recorded verification with its evidence.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub verification: verification::Model,
    pub citations: Vec<citation::Model>,
}

struct ValidCitation {
    url: String,
    source_id: Option<Uuid>,
    excerpt: Option<String>,
    stance: Stance,
}

fn parse_citation(prefix: &str, input: &NewCitation) -> Result<ValidCitation, Vec<FieldError>> {
    let mut v = Validator::default();
    let url = v.check(ArticleUrl::parse(&format!("{prefix}.url"), &input.url));
    let excerpt = v.check(BoundedText::parse_optional(
        &format!("{prefix}.excerpt"),
        input.excerpt.as_deref(),
        5000,
    ));
    match (url, excerpt) {
        (Some(url), Some(excerpt)) => Ok(ValidCitation {
            url: url.into_inner(),
            source_id: input.source_id,
            excerpt: excerpt.map(BoundedText::into_inner),
            stance: input.stance,
        }),
        _ => Err(v.into_errors()),
    }
}

/// Records a verification of a claim: the claim becomes `reviewed` and takes the verdict
/// as its current verdict. An archived claim is not reviewed any more: CONFLICT.
pub async fn record(
    db: &impl Db,
    actor: &Actor,
    claim_id: Uuid,
    input: NewVerification,
) -> Result<Recorded, AppError> {
    require(actor, Role::Checker)?;
    let mut v = Validator::default();
    let summary = v.check(BoundedText::parse("input.summary", &input.summary, 20_000));
    if input.citations.len() > MAX_CITATIONS {
        v.check::<()>(Err(FieldError::new(
            "input.citations",
            format!("at most {MAX_CITATIONS} citations"),
        )));
    }
    let citations: Vec<ValidCitation> = input
        .citations
        .iter()
        .enumerate()
        .filter_map(|(i, c)| v.check_all(parse_citation(&format!("input.citations.{i}"), c)))
        .collect();
    let publication = v.check_all(parse_publication(&input.publication));
    let errors = v.into_errors();
    let (Some(summary), Some(publication)) = (summary.filter(|_| errors.is_empty()), publication)
    else {
        return Err(AppError::Validation(errors));
    };

    for (i, citation) in citations.iter().enumerate() {
        if let Some(source) = citation.source_id {
            super::referred(
                super::sources::find(db, source).await,
                format!("input.citations.{i}.sourceId"),
            )?;
        }
    }
    // Planned from a plain read and written as one batch guarded by the claim's version.
    let current = super::claims::find(db, claim_id).await?;
    let (planned, batch) =
        plan_record(actor, &current, &input, &summary, &citations, &publication)?;
    if !planned.reconciles && batch.apply(db).await? {
        return Ok(planned.recorded);
    }
    // Another writer changed the claim since it was read (checkers recording on it at
    // the same moment), or the verdict settles conflicts, which reads other figures:
    // planned again under the claim's row lock, in one transaction, so contended claims
    // take turns instead of retrying.
    let txn = begin_write(db).await?;
    let current = super::claims::find_for_update(&txn, claim_id).await?;
    let (planned, batch) =
        plan_record(actor, &current, &input, &summary, &citations, &publication)?;
    if !batch.apply(&txn).await? {
        return Err(AppError::Internal(anyhow::anyhow!(
            "claim {claim_id} changed while locked"
        )));
    }
    if planned.reconciles {
        super::quantities::reconcile(&txn, actor, [current.quantity_key.clone()]).await?;
    }
    super::commit(txn).await?;
    Ok(planned.recorded)
}

/// A verification as it will be written.
struct PlannedRecord {
    recorded: Recorded,
    /// Whether the verdict settles or reopens the conflicts of the claim's figure.
    reconciles: bool,
}

/// The rows recording a verification of `current` writes: the verification and its
/// citations, the claim reviewed with the verdict as its current one, the audit event
/// and the outbox events. An archived claim is not reviewed any more: CONFLICT.
fn plan_record(
    actor: &Actor,
    current: &claim::Model,
    input: &NewVerification,
    summary: &BoundedText,
    citations: &[ValidCitation],
    publication: &ValidPublication,
) -> Result<(PlannedRecord, Batch), AppError> {
    if current.status == ClaimStatus::Archived {
        return Err(AppError::Conflict(format!(
            "claim {} is archived; unarchived claims only can be verified",
            current.id
        )));
    }
    let origin = input.origin.as_ref();
    let created = verification::Model {
        id: origin.map_or_else(Uuid::now_v7, |o| o.id),
        claim_id: current.id,
        verdict: input.verdict,
        rating: input.verdict.rating().map(i16::from),
        summary: String::from(summary.as_ref()),
        // An imported verification keeps its original reviewer's name; the importer is
        // recorded in the audit event.
        reviewer_id: if origin.is_some() {
            None
        } else {
            actor.principal_id
        },
        reviewer_name: origin
            .and_then(|o| o.by.clone())
            .unwrap_or(actor.name.clone()),
        created_at: origin.map_or_else(now, |o| o.at),
        review_url: publication.review_url.clone(),
        claim_reviewed: publication.claim_reviewed.clone(),
        language: publication.language.clone(),
    };
    let stored: Vec<citation::Model> = citations
        .iter()
        .enumerate()
        .map(|(position, c)| citation::Model {
            id: Uuid::now_v7(),
            verification_id: created.id,
            position: position as i16,
            url: c.url.clone(),
            source_id: c.source_id,
            excerpt: c.excerpt.clone(),
            stance: c.stance,
        })
        .collect();
    let updated = claim::Model {
        status: ClaimStatus::Reviewed,
        current_verdict: Some(created.verdict),
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    let mut batch = Batch::update(
        &claim::ActiveModel {
            status: Set(updated.status),
            current_verdict: Set(updated.current_verdict),
            version: Set(updated.version),
            updated_at: Set(updated.updated_at),
            ..Default::default()
        },
        current.id,
        current.version,
    );
    batch.insert(&verification::ActiveModel::from(created.clone()));
    for c in &stored {
        batch.insert(&citation::ActiveModel::from(c.clone()));
    }
    let audit_id = audit::stage(
        &mut batch,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: created.id,
            claim_id: Some(current.id),
            state: Some(json!({ "verdict": created.verdict })),
            operation: "record",
            changes: json!({
                "verdict": created.verdict, "rating": created.rating, "summary": created.summary,
                "citations": stored.len(),
                "claim": audit::diff(&super::claims::snapshot(current), &super::claims::snapshot(&updated)),
            }),
        },
    );
    outbox::stage(&mut batch, actor, claim_event(current, &updated, audit_id));
    let planned = PlannedRecord {
        reconciles: reconciles(current, &updated),
        recorded: Recorded {
            verification: created,
            citations: stored,
        },
    };
    Ok((planned, batch))
}

/// Retracts a verification: a retraction record is added and the claim's current verdict
/// falls back to its latest verification that stands (none left: back to `in_review`).
pub async fn retract(
    db: &impl Db,
    actor: &Actor,
    verification_id: Uuid,
    reason: &str,
) -> Result<retraction::Model, AppError> {
    require(actor, Role::Checker)?;
    let reason = BoundedText::parse("input.reason", reason, 5000)?;
    let txn = begin_write(db).await?;
    let target = find(&txn, verification_id).await?;
    let already = retraction::Entity::find()
        .filter(retraction::Column::VerificationId.eq(verification_id))
        .one(&txn)
        .await?;
    if already.is_some() {
        return Err(AppError::Conflict(format!(
            "verification {verification_id} is already retracted"
        )));
    }
    let created = retraction::ActiveModel {
        id: Set(Uuid::now_v7()),
        verification_id: Set(verification_id),
        reason: Set(reason.into_inner()),
        retracted_by_id: Set(actor.principal_id),
        retracted_by_name: Set(actor.name.clone()),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    let current = super::claims::find_for_update(&txn, target.claim_id).await?;
    super::claims::ensure_not_archived(&current)?;
    let standing = latest_standing(&txn, target.claim_id).await?;
    let status = match (&standing, current.status) {
        (None, ClaimStatus::Reviewed) => ClaimStatus::InReview,
        (_, status) => status,
    };
    let updated = claim::Model {
        status,
        current_verdict: standing.map(|v| v.verdict),
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    super::claims::save(&txn, &updated, current.version).await?;
    let audit_id = audit::record(&txn, actor, Change {
        entity_type: ENTITY,
        entity_id: verification_id,
        claim_id: Some(target.claim_id),
        state: Some(json!({ "verdict": target.verdict })),
        operation: "retract",
        changes: json!({
            "reason": created.reason,
            "claim": audit::diff(&super::claims::snapshot(&current), &super::claims::snapshot(&updated)),
        }),
    })
    .await?;
    outbox::publish(&txn, actor, claim_event(&current, &updated, audit_id)).await?;
    if reconciles(&current, &updated) {
        super::quantities::reconcile(&txn, actor, [updated.quantity_key.clone()]).await?;
    }
    super::commit(txn).await?;
    Ok(created)
}

/// A verdict changes its claim too (status, current verdict): subscribers and webhooks
/// watching claims hear of it as a claim event of the same transaction.
fn claim_event<'a>(
    before: &claim::Model,
    after: &claim::Model,
    audit_event_id: Uuid,
) -> outbox::Event<'a> {
    outbox::Event {
        entity_type: super::claims::ENTITY,
        entity_id: after.id,
        claim_id: Some(after.id),
        state: Some(super::claims::event_state(after)),
        operation: if before.status == after.status {
            "updated"
        } else {
            "status_changed"
        },
        audit_event_id: Some(audit_event_id),
    }
}

/// A verdict that refutes a figure (or stops refuting it) settles (or reopens) its
/// conflicts; other verdicts, and claims without a figure, leave them as they are.
fn reconciles(before: &claim::Model, after: &claim::Model) -> bool {
    after.quantity_key.is_some()
        && super::quantities::refuted(before) != super::quantities::refuted(after)
}

/// The latest verification of a claim that has not been retracted.
pub(crate) async fn latest_standing(
    db: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Option<verification::Model>, AppError> {
    Ok(verification::Entity::find()
        .filter(verification::Column::ClaimId.eq(claim_id))
        .filter(
            verification::Column::Id.not_in_subquery(
                Query::select()
                    .column(retraction::Column::VerificationId)
                    .from(retraction::Entity)
                    .to_owned(),
            ),
        )
        .order_by_desc(verification::Column::CreatedAt)
        .order_by_desc(verification::Column::Id)
        .one(db)
        .await?)
}

/// Reads a record without a permission check (inside the service's own transactions).
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<verification::Model, AppError> {
    verification::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<verification::Model, AppError> {
    require(actor, Role::Viewer)?;
    find(db, id).await
}

/// A claim's verification history, newest first unless the page says otherwise.
pub async fn history(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_id: Uuid,
    page: &PageRequest,
) -> Result<Page<verification::Model>, AppError> {
    require(actor, Role::Viewer)?;
    let select = verification::Entity::find().filter(verification::Column::ClaimId.eq(claim_id));
    fetch_page(
        db,
        select,
        verification::Column::CreatedAt,
        verification::Column::Id,
        page,
        |v| (v.created_at, v.id),
    )
    .await
}

/// The newest `n` verifications of each claim, in one statement (batch loading).
pub async fn latest_n_per_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_ids: &[Uuid],
    n: u64,
    direction: Direction,
) -> Result<Vec<verification::Model>, AppError> {
    require(actor, Role::Viewer)?;
    top_n_per_parent::<verification::Entity>(
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

/// The standing (latest non-retracted) verification of each claim, in one statement.
pub async fn standing_per_claim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_ids: &[Uuid],
) -> Result<Vec<verification::Model>, AppError> {
    require(actor, Role::Viewer)?;
    top_n_per_parent::<verification::Entity>(
        db,
        "claim_id",
        "created_at",
        claim_ids,
        1,
        Direction::Desc,
        "AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.verification_id = t.id)",
    )
    .await
}

/// The verification that stood for a claim at `at`: the latest recorded by then and not
/// retracted by then (a retraction counts from its own time). `None`: no verdict then.
pub async fn standing_as_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<verification::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(verification::Entity::find()
        .filter(verification::Column::ClaimId.eq(claim_id))
        .filter(verification::Column::CreatedAt.lte(at))
        .filter(
            verification::Column::Id.not_in_subquery(
                Query::select()
                    .column(retraction::Column::VerificationId)
                    .from(retraction::Entity)
                    .and_where(retraction::Column::CreatedAt.lte(at))
                    .to_owned(),
            ),
        )
        .order_by_desc(verification::Column::CreatedAt)
        .order_by_desc(verification::Column::Id)
        .one(db)
        .await?)
}

/// Citations of each verification, in position order (batch loading).
pub async fn citations_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    verification_ids: &[Uuid],
) -> Result<Vec<citation::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(citation::Entity::find()
        .filter(citation::Column::VerificationId.is_in(verification_ids.iter().copied()))
        .order_by_asc(citation::Column::VerificationId)
        .order_by_asc(citation::Column::Position)
        .all(db)
        .await?)
}

/// Retractions of the given verifications (batch loading).
pub async fn retractions_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    verification_ids: &[Uuid],
) -> Result<Vec<retraction::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(retraction::Entity::find()
        .filter(retraction::Column::VerificationId.is_in(verification_ids.iter().copied()))
        .all(db)
        .await?)
}

/// Every verification of the given claims, oldest first (exports).
pub async fn all_of_claims(
    db: &impl ConnectionTrait,
    actor: &Actor,
    claim_ids: &[Uuid],
) -> Result<Vec<verification::Model>, AppError> {
    require(actor, Role::Viewer)?;
    Ok(verification::Entity::find()
        .filter(verification::Column::ClaimId.is_in(claim_ids.iter().copied()))
        .order_by_asc(verification::Column::CreatedAt)
        .order_by_asc(verification::Column::Id)
        .all(db)
        .await?)
}

/// How a source's claims were judged in a time window: for each of its claims, the
/// latest verification recorded in `[from, to)` that still stands, counted by verdict.
pub struct SpeakerRecord {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Every verdict with its count (zeros included), in the verdicts' order.
    pub by_verdict: Vec<(Verdict, u64)>,
}

impl SpeakerRecord {
    /// Claims with a verdict in the window.
    pub fn judged(&self) -> u64 {
        self.by_verdict.iter().map(|(_, n)| n).sum()
    }
}

/// The speaker record of `source_id` over `[from, to)` (open ends: no bound), in one
/// statement: each claim counted by its latest verdict recorded in the window that had
/// not been retracted by the window's end (the rule of `standing_as_of`). Needs the
/// viewer role.
pub async fn speaker_record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    source_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<SpeakerRecord, AppError> {
    require(actor, Role::Viewer)?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(AppError::invalid("to", "must be after from"));
    }
    super::sources::find(db, source_id).await?;
    let backend = db.get_database_backend();
    let p = |i: usize| crate::dialect::placeholder(backend, i);
    let mut values: Vec<sea_orm::Value> = vec![source_id.into()];
    let mut window = String::new();
    if let Some(from) = from {
        values.push(from.into());
        window.push_str(&format!(" AND v.created_at >= {}", p(values.len())));
    }
    // As of the window's end: verdicts recorded before it, retractions made before it
    // (a verdict retracted later still stood then).
    let mut retracted_by = String::new();
    if let Some(to) = to {
        values.push(to.into());
        window.push_str(&format!(" AND v.created_at < {}", p(values.len())));
        // Bound again: SQLite's placeholders are positional.
        values.push(to.into());
        retracted_by = format!(" AND r.created_at < {}", p(values.len()));
    }
    let sql = format!(
        "SELECT verdict, count(*) AS n FROM (SELECT v.verdict, ROW_NUMBER() OVER \
         (PARTITION BY v.claim_id ORDER BY v.created_at DESC, v.id DESC) AS latest \
         FROM verifications v JOIN claims c ON c.id = v.claim_id \
         WHERE c.speaker_id = {}{window} \
         AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.verification_id = v.id{retracted_by})) t \
         WHERE latest = 1 GROUP BY verdict",
        p(1)
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut counts = std::collections::HashMap::new();
    for row in rows {
        let verdict: String = row.try_get("", "verdict")?;
        let n: i64 = row.try_get("", "n")?;
        counts.insert(verdict, u64::try_from(n).unwrap_or(0));
    }
    Ok(SpeakerRecord {
        from,
        to,
        by_verdict: Verdict::ALL
            .iter()
            .map(|v| (*v, counts.get(v.as_str()).copied().unwrap_or(0)))
            .collect(),
    })
}
