//! Candidate claims: proposed by extraction from an article's body, then accepted (a
//! claim with its appearance is created) or dismissed by a checker.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::appearances::NewAppearance;
use super::audit::{self, Change};
use super::claims::{self, NewClaim};
use super::sources::{self, NewSource};
use super::{Db, begin_write, now, require};
use crate::domain::quantity::RawQuantity;
use crate::domain::{Actor, CandidateStatus, ClaimKind, Role, SourceKind};
use crate::entity::{article, claim, claim_candidate as candidate, source};
use crate::error::AppError;
use crate::extract::{self, Candidate, KnownSource};

const ENTITY: &str = "candidate";

/// What an accept did: the candidate, its claim, and whether the claim is new (false
/// when the candidate had been accepted before).
pub struct Accepted {
    pub candidate: candidate::Model,
    pub claim: claim::Model,
    pub created: bool,
}

/// The sources speakers are matched against. Outlets and documents do not speak.
async fn known_sources(db: &impl ConnectionTrait) -> Result<Vec<KnownSource>, AppError> {
    let speaking = [
        SourceKind::Person,
        SourceKind::Organization,
        SourceKind::Government,
        SourceKind::Group,
    ]
    .map(SourceKind::as_str);
    let rows: Vec<(Uuid, String, String, serde_json::Value)> = source::Entity::find()
        .select_only()
        .columns([
            source::Column::Id,
            source::Column::Kind,
            source::Column::Name,
            source::Column::Aliases,
        ])
        .filter(source::Column::Kind.is_in(speaking))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, name, aliases)| {
            Some(KnownSource {
                id,
                kind: kind.parse().ok()?,
                name,
                aliases: serde_json::from_value(aliases).unwrap_or_default(),
            })
        })
        .collect())
}

/// Identifies a proposal within an article: the same rule finding the same words at the
/// same place is the same candidate, however often extraction runs.
fn fingerprint(c: &Candidate) -> String {
    let mut hasher = Sha256::new();
    hasher.update(
        format!(
            "{}|{}|{}|{}|{:?}|{}",
            c.rule, c.kind, c.span.start, c.span.end, c.figure_span, c.text
        )
        .as_bytes(),
    );
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Cuts text to at most `max` characters (stored columns have limits; the span keeps
/// the full place in the body).
fn at_most(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn span(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn new_row(
    article: &article::Model,
    c: &Candidate,
    at: chrono::DateTime<chrono::Utc>,
) -> candidate::ActiveModel {
    let q = c.quantity.as_ref();
    let decimal = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string());
    candidate::ActiveModel {
        id: Set(Uuid::now_v7()),
        article_id: Set(article.id),
        article_version: Set(article.version),
        fingerprint: Set(fingerprint(c)),
        kind: Set(c.kind.as_str().to_owned()),
        text: Set(c.text.clone()),
        quote: Set(c.quote.clone()),
        setting: Set(c.setting.as_ref().map(|s| at_most(s, 1000))),
        speaker_name: Set(c.speaker.as_ref().map(|s| at_most(&s.name, 300))),
        speaker_kind: Set(c.speaker.as_ref().map(|s| s.kind.as_str().to_owned())),
        speaker_mention: Set(c.speaker.as_ref().map(|s| at_most(&s.mention, 300))),
        speaker_id: Set(c.speaker.as_ref().and_then(|s| s.source_id)),
        subject: Set(q.and_then(|q| q.subject.as_ref()).map(|s| at_most(s, 300))),
        measure: Set(q.map(|q| at_most(&q.measure, 200))),
        value: Set(decimal(q.and_then(|q| q.value))),
        lower_bound: Set(decimal(q.and_then(|q| q.lower))),
        upper_bound: Set(decimal(q.and_then(|q| q.upper))),
        unit: Set(q.and_then(|q| q.unit.clone())),
        approximate: Set(q.is_some_and(|q| q.approximate)),
        span_start: Set(span(c.span.start)),
        span_end: Set(span(c.span.end)),
        figure_start: Set(c.figure_span.map(|s| span(s.start))),
        figure_end: Set(c.figure_span.map(|s| span(s.end))),
        confidence: Set(c.confidence),
        rule: Set(c.rule.to_owned()),
        status: Set(CandidateStatus::Open.as_str().to_owned()),
        claim_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

async fn of_article(
    db: &impl ConnectionTrait,
    article_id: Uuid,
    status: Option<CandidateStatus>,
) -> Result<Vec<candidate::Model>, AppError> {
    let mut select = candidate::Entity::find().filter(candidate::Column::ArticleId.eq(article_id));
    if let Some(status) = status {
        select = select.filter(candidate::Column::Status.eq(status.as_str()));
    }
    Ok(select
        .order_by_asc(candidate::Column::SpanStart)
        .order_by_asc(candidate::Column::FigureStart)
        .order_by_asc(candidate::Column::Id)
        .all(db)
        .await?)
}

/// Runs extraction on an article's body and stores what it proposes. Running it again
/// keeps the candidates already proposed (and what checkers did with them); open ones
/// the current body no longer gives are removed. Returns the article's candidates.
pub async fn extract_for_article(
    db: &impl Db,
    actor: &Actor,
    article_id: Uuid,
) -> Result<Vec<candidate::Model>, AppError> {
    require(actor, Role::Editor)?;
    let known = known_sources(db).await?;
    let txn = begin_write(db).await?;
    let article = super::articles::find(&txn, article_id).await?;
    let proposed = extract::extract(&article.body, &known);
    let existing = of_article(&txn, article_id, None).await?;
    let at = now();
    let mut fingerprints = Vec::with_capacity(proposed.len());
    let mut added = 0;
    for c in &proposed {
        let print = fingerprint(c);
        if !existing.iter().any(|e| e.fingerprint == print) && !fingerprints.contains(&print) {
            new_row(&article, c, at).insert(&txn).await?;
            added += 1;
        }
        fingerprints.push(print);
    }
    let stale: Vec<Uuid> = existing
        .iter()
        .filter(|e| {
            e.status == CandidateStatus::Open.as_str() && !fingerprints.contains(&e.fingerprint)
        })
        .map(|e| e.id)
        .collect();
    if !stale.is_empty() {
        candidate::Entity::delete_many()
            .filter(candidate::Column::Id.is_in(stale.clone()))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: "article",
            entity_id: article_id,
            claim_id: None,
            state: None,
            operation: "extract",
            changes: json!({
                "article_version": article.version,
                "proposed": proposed.len(), "added": added, "removed": stale.len(),
            }),
        },
    )
    .await?;
    let all = of_article(&txn, article_id, None).await?;
    super::commit(txn).await?;
    Ok(all)
}

/// An article's candidates in body order, optionally only those in one status.
pub async fn list_for_article(
    db: &impl ConnectionTrait,
    actor: &Actor,
    article_id: Uuid,
    status: Option<CandidateStatus>,
) -> Result<Vec<candidate::Model>, AppError> {
    require(actor, Role::Viewer)?;
    super::articles::find(db, article_id).await?;
    of_article(db, article_id, status).await
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<candidate::Model, AppError> {
    candidate::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

/// Reads a candidate, locking it on PostgreSQL so that concurrent accepts take turns
/// (SQLite write transactions already do).
async fn find_for_update(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<candidate::Model, AppError> {
    super::for_update(db, candidate::Entity::find_by_id(id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<candidate::Model, AppError> {
    require(actor, Role::Viewer)?;
    find(db, id).await
}

/// The candidate's words in the article body, by its character span.
fn excerpt(body: &str, c: &candidate::Model) -> String {
    let start = usize::try_from(c.span_start).unwrap_or(0);
    let end = usize::try_from(c.span_end).unwrap_or(0);
    body.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

/// Turns a candidate into a claim attributed to its speaker (the matched source, an
/// existing source of that name, or a new one; `speaker_id` overrides), appearing in
/// the article at the candidate's span. Accepting an accepted candidate again returns
/// its claim and creates nothing.
pub async fn accept(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    speaker_id: Option<Uuid>,
) -> Result<Accepted, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find_for_update(&txn, id).await?;
    if let Some(claim_id) = current.claim_id
        && let Ok(claim) = claims::find(&txn, claim_id).await
    {
        super::commit(txn).await?;
        return Ok(Accepted {
            candidate: current,
            claim,
            created: false,
        });
    }
    let article = super::articles::find(&txn, current.article_id).await?;
    if article.version != current.article_version {
        return Err(AppError::Conflict(format!(
            "article {} changed since this candidate was proposed; extract its claims again",
            article.id
        )));
    }
    let speaker_id = match (speaker_id, current.speaker_id, &current.speaker_name) {
        (Some(chosen), _, _) => Some(chosen),
        (None, Some(matched), _) if sources::find(&txn, matched).await.is_ok() => Some(matched),
        (None, _, Some(name)) => {
            let kind = current
                .speaker_kind
                .as_deref()
                .and_then(|k| k.parse().ok())
                .unwrap_or(SourceKind::Person);
            let proposed = NewSource {
                kind,
                name: name.clone(),
                aliases: Vec::new(),
                description: None,
                url: None,
            };
            Some(sources::find_or_create(&txn, actor, proposed).await?.id)
        }
        (None, _, None) => None,
    };
    let kind: ClaimKind = current
        .kind
        .parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
    let quantity = current.measure.clone().map(|measure| RawQuantity {
        subject: current.subject.clone(),
        measure: Some(measure),
        value: current.value.clone(),
        lower: current.lower_bound.clone(),
        upper: current.upper_bound.clone(),
        unit: current.unit.clone(),
        approximate: current.approximate,
        as_of: article.published_at,
    });
    let claim = claims::create(
        &txn,
        actor,
        NewClaim {
            kind,
            text: current.text.clone(),
            speaker_id,
            status: None,
            quote: current.quote.clone(),
            setting: current.setting.clone(),
            quantity,
            appearances: vec![NewAppearance {
                article_id: article.id,
                excerpt: excerpt(&article.body, &current),
                span_start: Some(current.span_start),
                span_end: Some(current.span_end),
            }],
            origin: None,
        },
    )
    .await?;
    let mut row: candidate::ActiveModel = current.into();
    row.status = Set(CandidateStatus::Accepted.as_str().to_owned());
    row.claim_id = Set(Some(claim.id));
    row.updated_at = Set(now());
    let accepted = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: accepted.id,
            claim_id: Some(claim.id),
            state: None,
            operation: "accept",
            changes: json!({ "article_id": accepted.article_id, "claim_id": claim.id }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(Accepted {
        candidate: accepted,
        claim,
        created: true,
    })
}

/// Sets a candidate aside. An accepted candidate cannot be dismissed (delete its claim).
pub async fn dismiss(db: &impl Db, actor: &Actor, id: Uuid) -> Result<candidate::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find_for_update(&txn, id).await?;
    if current.status == CandidateStatus::Accepted.as_str() {
        return Err(AppError::Conflict(format!(
            "candidate {id} was accepted as a claim; delete the claim instead"
        )));
    }
    if current.status == CandidateStatus::Dismissed.as_str() {
        super::commit(txn).await?;
        return Ok(current);
    }
    let mut row: candidate::ActiveModel = current.into();
    row.status = Set(CandidateStatus::Dismissed.as_str().to_owned());
    row.updated_at = Set(now());
    let dismissed = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: dismissed.id,
            claim_id: None,
            state: None,
            operation: "dismiss",
            changes: json!({ "article_id": dismissed.article_id }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(dismissed)
}
