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
use crate::domain::{Actor, CandidateStatus, Role, SourceKind, same_words};
use crate::entity::{appearance, article, claim, claim_candidate as candidate, source};
use crate::error::AppError;
use crate::extract::{self, Candidate, KnownSource};

const ENTITY: &str = "candidate";

/// What an accept did: the candidate, its claim, whether the claim is new (false when
/// the candidate had been accepted before, or was linked), and whether it was linked to
/// a claim recorded before for the same words at the same place.
pub struct Accepted {
    pub candidate: candidate::Model,
    pub claim: claim::Model,
    pub created: bool,
    pub linked: bool,
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
    let rows: Vec<(Uuid, SourceKind, String, serde_json::Value)> = source::Entity::find()
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
        .map(|(id, kind, name, aliases)| KnownSource {
            id,
            kind,
            name,
            aliases: serde_json::from_value(aliases).unwrap_or_default(),
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
        kind: Set(c.kind),
        text: Set(c.text.clone()),
        quote: Set(c.quote.clone()),
        setting: Set(c.setting.as_ref().map(|s| at_most(s, 1000))),
        speaker_name: Set(c.speaker.as_ref().map(|s| at_most(&s.name, 300))),
        speaker_kind: Set(c.speaker.as_ref().map(|s| s.kind)),
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
        status: Set(CandidateStatus::Open),
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

/// What a proposal says, wherever it stands in the body: the same rule finding the same
/// words is the same candidate after an edit moved them.
fn content_key(
    rule: &str,
    kind: &str,
    text: &str,
    measure: Option<&str>,
    value: Option<&str>,
) -> String {
    format!(
        "{rule}|{kind}|{}|{}|{}",
        text.split_whitespace().collect::<Vec<_>>().join(" "),
        measure.unwrap_or_default(),
        value.unwrap_or_default()
    )
}

fn proposed_key(c: &Candidate) -> String {
    let value = c
        .quantity
        .as_ref()
        .and_then(|q| q.value)
        .map(|d| d.normalize().to_string());
    content_key(
        c.rule,
        c.kind.as_str(),
        &c.text,
        c.quantity.as_ref().map(|q| q.measure.as_str()),
        value.as_deref(),
    )
}

fn stored_key(row: &candidate::Model) -> String {
    content_key(
        &row.rule,
        row.kind.as_str(),
        &row.text,
        row.measure.as_deref(),
        row.value.as_deref(),
    )
}

/// Runs extraction on an article's body and stores what it proposes, for the body as it
/// is now. A proposal made before (the same rule finding the same words, wherever an
/// edit moved them) keeps its id and what checkers did with it, and takes the current
/// article version and spans (an open one also takes what extraction now says of its
/// speaker and setting); open ones the body no longer gives are removed. Returns the
/// article's candidates.
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
    let mut unmatched = of_article(&txn, article_id, None).await?;
    let at = now();
    let (mut added, mut refreshed) = (0, 0);
    for c in &proposed {
        let key = proposed_key(c);
        // The nearest earlier proposal with the same words, if any.
        let start = span(c.span.start);
        let matched = unmatched
            .iter()
            .enumerate()
            .filter(|(_, row)| stored_key(row) == key)
            .min_by_key(|(_, row)| (row.span_start - start).abs())
            .map(|(index, _)| index);
        let Some(index) = matched else {
            new_row(&article, c, at).insert(&txn).await?;
            added += 1;
            continue;
        };
        let existing = unmatched.swap_remove(index);
        let fresh = new_row(&article, c, at);
        let moved = existing.article_version != article.version
            || existing.span_start != start
            || existing.fingerprint != fingerprint(c);
        if !moved {
            continue;
        }
        let open = existing.status == CandidateStatus::Open;
        let mut row: candidate::ActiveModel = existing.into();
        row.article_version = fresh.article_version;
        row.fingerprint = fresh.fingerprint;
        row.span_start = fresh.span_start;
        row.span_end = fresh.span_end;
        row.figure_start = fresh.figure_start;
        row.figure_end = fresh.figure_end;
        if open {
            row.text = fresh.text;
            row.quote = fresh.quote;
            row.setting = fresh.setting;
            row.speaker_name = fresh.speaker_name;
            row.speaker_kind = fresh.speaker_kind;
            row.speaker_mention = fresh.speaker_mention;
            row.speaker_id = fresh.speaker_id;
            row.subject = fresh.subject;
            row.lower_bound = fresh.lower_bound;
            row.upper_bound = fresh.upper_bound;
            row.unit = fresh.unit;
            row.approximate = fresh.approximate;
            row.confidence = fresh.confidence;
        }
        row.updated_at = Set(at);
        row.update(&txn).await?;
        refreshed += 1;
    }
    let stale: Vec<Uuid> = unmatched
        .iter()
        .filter(|e| e.status == CandidateStatus::Open)
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
                "proposed": proposed.len(), "added": added, "refreshed": refreshed,
                "removed": stale.len(),
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
/// the article at the candidate's span; or, with `link_to`, into a new appearance of
/// that existing claim (the same claim, checked before). Accepting an accepted
/// candidate again returns its claim and creates nothing.
pub async fn accept(
    db: &impl Db,
    actor: &Actor,
    id: Uuid,
    speaker_id: Option<Uuid>,
    link_to: Option<Uuid>,
) -> Result<Accepted, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find_for_update(&txn, id).await?;
    // Accepted before, and its claim still there (not merely unreadable just now).
    let previous = match current.claim_id {
        Some(claim_id) => found(claims::find(&txn, claim_id).await)?,
        None => None,
    };
    if let Some(claim) = previous {
        super::commit(txn).await?;
        return Ok(Accepted {
            candidate: current,
            claim,
            created: false,
            linked: false,
        });
    }
    let article = super::articles::find(&txn, current.article_id).await?;
    if article.version != current.article_version {
        return Err(AppError::Conflict(format!(
            "article {} changed since this candidate was proposed; extract its claims again",
            article.id
        )));
    }
    if let Some(claim_id) = link_to {
        let appearance = NewAppearance {
            article_id: article.id,
            excerpt: excerpt(&article.body, &current),
            span_start: Some(current.span_start),
            span_end: Some(current.span_end),
        };
        super::appearances::add(&txn, actor, claim_id, appearance).await?;
        let claim = claims::find(&txn, claim_id).await?;
        let accepted = mark_accepted(&txn, actor, current, &claim, true).await?;
        super::commit(txn).await?;
        return Ok(Accepted {
            candidate: accepted,
            claim,
            created: false,
            linked: true,
        });
    }
    // The matched speaker, unless its source has been deleted since.
    let matched = match current.speaker_id {
        Some(id) => found(sources::find(&txn, id).await)?.map(|s| s.id),
        None => None,
    };
    let known_speaker = speaker_id.or(matched);
    if let Some(claim) = recorded_claim(&txn, &current, known_speaker).await? {
        // Already recorded (by hand, an import or the demo): linked, not made again.
        let accepted = mark_accepted(&txn, actor, current, &claim, true).await?;
        super::commit(txn).await?;
        return Ok(Accepted {
            candidate: accepted,
            claim,
            created: false,
            linked: true,
        });
    }
    let speaker_id = match (speaker_id, matched, &current.speaker_name) {
        (Some(chosen), _, _) => Some(chosen),
        (None, Some(matched), _) => Some(matched),
        (None, _, Some(name)) => {
            let kind = current.speaker_kind.unwrap_or(SourceKind::Person);
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
    let kind = current.kind;
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
            // The language of the article it was found in.
            language: article.language.clone(),
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
    let accepted = mark_accepted(&txn, actor, current, &claim, false).await?;
    super::commit(txn).await?;
    Ok(Accepted {
        candidate: accepted,
        claim,
        created: true,
        linked: false,
    })
}

/// A record that may be gone: `None` when it is not found; any other failure (the
/// database's) is an error, never taken for "gone".
fn found<T>(result: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match result {
        Ok(record) => Ok(Some(record)),
        Err(AppError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Records that `current` was accepted as `claim` (made from it, or `linked`: recorded
/// before), with its audit event.
async fn mark_accepted(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    current: candidate::Model,
    claim: &claim::Model,
    linked: bool,
) -> Result<candidate::Model, AppError> {
    let mut row: candidate::ActiveModel = current.into();
    row.status = Set(CandidateStatus::Accepted);
    row.claim_id = Set(Some(claim.id));
    row.updated_at = Set(now());
    let accepted = row.update(txn).await?;
    audit::record(
        txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: accepted.id,
            claim_id: Some(claim.id),
            state: None,
            operation: "accept",
            changes: json!({ "article_id": accepted.article_id, "claim_id": claim.id, "linked": linked }),
        },
    )
    .await?;
    Ok(accepted)
}

/// A claim already recorded for what `candidate` proposes: it appears in the same
/// article, over the candidate's place in the body, is of the same kind, says the same
/// words (its text or its quote), and has the same speaker when both name one.
async fn recorded_claim(
    txn: &impl ConnectionTrait,
    candidate: &candidate::Model,
    speaker: Option<Uuid>,
) -> Result<Option<claim::Model>, AppError> {
    let overlapping = appearance::Entity::find()
        .filter(appearance::Column::ArticleId.eq(candidate.article_id))
        .filter(appearance::Column::SpanStart.lt(candidate.span_end))
        .filter(appearance::Column::SpanEnd.gt(candidate.span_start))
        .all(txn)
        .await?;
    let claims = claim::Entity::find()
        .filter(claim::Column::Id.is_in(overlapping.iter().map(|a| a.claim_id)))
        .all(txn)
        .await?;
    let placed = overlapping.into_iter().map(|appearance| {
        let claim = claims.iter().find(|c| c.id == appearance.claim_id).cloned();
        (appearance, claim)
    });
    let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => same_words(a, b),
        _ => false,
    };
    Ok(placed.into_iter().find_map(|(_, claim)| {
        let claim = claim?;
        let says_it =
            same_words(&claim.text, &candidate.text) || same(&claim.quote, &candidate.quote);
        let speaker_fits = match (speaker, claim.speaker_id) {
            (Some(wanted), Some(actual)) => wanted == actual,
            _ => true,
        };
        (says_it && speaker_fits && claim.kind == candidate.kind).then_some(claim)
    }))
}

/// Sets a candidate aside. An accepted candidate cannot be dismissed (delete its claim).
pub async fn dismiss(db: &impl Db, actor: &Actor, id: Uuid) -> Result<candidate::Model, AppError> {
    require(actor, Role::Editor)?;
    let txn = begin_write(db).await?;
    let current = find_for_update(&txn, id).await?;
    if current.status == CandidateStatus::Accepted {
        return Err(AppError::Conflict(format!(
            "candidate {id} was accepted as a claim; delete the claim instead"
        )));
    }
    if current.status == CandidateStatus::Dismissed {
        super::commit(txn).await?;
        return Ok(current);
    }
    let mut row: candidate::ActiveModel = current.into();
    row.status = Set(CandidateStatus::Dismissed);
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
