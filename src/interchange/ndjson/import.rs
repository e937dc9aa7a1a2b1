//! Importing lines: each in its own transaction, upserting articles by canonical URL and
//! sources by kind and name; a report line per input line and a closing summary.

use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::quantity::RawQuantity;
use crate::domain::{Actor, ClaimStatus};
use crate::entity::{claim, source};
use crate::error::AppError;
use crate::service::appearances::NewAppearance;
use crate::service::articles::{ArticlePatch, NewArticle};
use crate::service::claims::{ClaimPatch, NewClaim};
use crate::service::sources::NewSource;
use crate::service::tags::{self, Link};
use crate::service::verifications::{NewCitation, NewVerification};
use crate::service::{Origin, appearances, articles, begin_write, claims, sources, verifications};

use super::*;

/// What importing one line did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LineOutcome {
    pub created: usize,
    pub updated: usize,
    pub article_id: Option<Uuid>,
}

impl LineOutcome {
    fn status(&self, existed: bool) -> &'static str {
        match (self.created, self.updated, existed) {
            (0, 0, _) => "unchanged",
            (_, _, false) => "created",
            _ => "updated",
        }
    }
}

/// The report line for line `number` (1-based).
pub fn report(number: usize, result: &Result<(LineOutcome, bool), AppError>) -> Value {
    match result {
        Ok((outcome, existed)) => json!({
            "line": number, "status": outcome.status(*existed), "article_id": outcome.article_id,
            "created": outcome.created, "updated": outcome.updated,
        }),
        Err(error) => {
            let fields: Vec<Value> = match error {
                AppError::Validation(errors) => errors
                    .iter()
                    .map(|e| json!({ "field": e.field, "message": e.message }))
                    .collect(),
                _ => Vec::new(),
            };
            json!({
                "line": number, "status": "failed",
                "error": { "code": error.code().as_str(), "message": error.to_string(), "errors": fields },
            })
        }
    }
}

/// Finds or creates a source by kind and name inside the line's transaction.
async fn upsert_source(
    txn: &impl crate::service::Db,
    actor: &Actor,
    record: &SourceRecord,
    outcome: &mut LineOutcome,
) -> Result<source::Model, AppError> {
    if let Some(found) = sources::find_by_kind_and_name(txn, record.kind, &record.name).await? {
        return Ok(found);
    }
    outcome.created += 1;
    sources::create(
        txn,
        actor,
        NewSource {
            kind: record.kind,
            name: record.name.clone(),
            aliases: record.aliases.clone(),
            description: record.description.clone(),
            url: record.url.clone(),
        },
    )
    .await
}

/// Imports one line in one transaction: everything in it is written, or nothing.
/// Returns what it did and whether the line's article existed before.
pub async fn import_line(
    db: &DatabaseConnection,
    actor: &Actor,
    text: &str,
) -> Result<(LineOutcome, bool), AppError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| AppError::invalid("line", e.to_string()))?;
    if let Some(field) = crate::domain::nul_path(&value, "") {
        return Err(AppError::invalid(field, crate::domain::NUL_MESSAGE));
    }
    let line: Line =
        serde_json::from_value(value).map_err(|e| AppError::invalid("line", e.to_string()))?;
    let txn = begin_write(db).await?;
    let mut outcome = LineOutcome::default();
    for record in &line.sources {
        upsert_source(&txn, actor, record, &mut outcome).await?;
    }
    let mut existed = false;
    let article = match &line.article {
        None => None,
        Some(record) => {
            let outlet = match &record.outlet {
                Some(o) => Some(upsert_source(&txn, actor, o, &mut outcome).await?.id),
                None => None,
            };
            let found = match articles::get_by_url(&txn, actor, &record.url).await {
                Ok(found) => Some(found),
                Err(AppError::NotFound { .. }) => None,
                Err(other) => return Err(other),
            };
            Some(match found {
                Some(current) => {
                    existed = true;
                    let changed = current.title != record.title.trim()
                        || current.published_at != record.published_at
                        || current.language != record.language
                        || current.body != record.body
                        || current.outlet_id != outlet;
                    if changed {
                        outcome.updated += 1;
                        let patch = ArticlePatch {
                            url: None,
                            title: Some(record.title.clone()),
                            outlet_id: Some(outlet),
                            published_at: Some(record.published_at),
                            language: Some(record.language.clone()),
                            body: Some(record.body.clone()),
                        };
                        articles::update(&txn, actor, current.id, current.version, patch).await?
                    } else {
                        current
                    }
                }
                None => {
                    outcome.created += 1;
                    let new = NewArticle {
                        url: record.url.clone(),
                        title: record.title.clone(),
                        outlet_id: outlet,
                        published_at: record.published_at,
                        language: record.language.clone(),
                        body: record.body.clone(),
                    };
                    articles::create(&txn, actor, new).await?
                }
            })
        }
    };
    outcome.article_id = article.as_ref().map(|a| a.id);
    if let (Some(article), Some(record)) = (&article, &line.article) {
        add_tags(
            &txn,
            actor,
            Link::Article,
            article.id,
            &record.tags,
            &mut outcome,
        )
        .await?;
    }

    for (i, record) in line.claims.iter().enumerate() {
        import_claim(
            &txn,
            actor,
            article.as_ref().map(|a| a.id),
            record,
            i,
            &mut outcome,
        )
        .await?;
    }
    crate::service::commit(txn).await?;
    Ok((outcome, existed))
}

async fn import_claim(
    txn: &impl crate::service::Db,
    actor: &Actor,
    article: Option<Uuid>,
    record: &ClaimRecord,
    index: usize,
    outcome: &mut LineOutcome,
) -> Result<(), AppError> {
    let prefix = |e: AppError| match e {
        AppError::Validation(errors) => AppError::Validation(
            errors
                .into_iter()
                .map(|mut f| {
                    f.field = f.field.replacen("input", &format!("claims.{index}"), 1);
                    f
                })
                .collect(),
        ),
        other => other,
    };
    let speaker = match &record.speaker {
        Some(s) => Some(upsert_source(txn, actor, s, outcome).await?.id),
        None => None,
    };
    let appearance = article.map(|article_id| NewAppearance {
        article_id,
        excerpt: record
            .excerpt
            .clone()
            .unwrap_or_else(|| record.text.clone()),
        span_start: record.span_start,
        span_end: record.span_end,
    });
    let existing: Option<claim::Model> = match record.id {
        Some(id) => claims::find(txn, id).await.ok(),
        None => None,
    };
    let claim = match existing {
        Some(found) => {
            if let Some(appearance) = appearance {
                let present =
                    appearances::in_article(txn, actor, appearance.article_id, &[found.id]).await?;
                if present.is_empty() {
                    outcome.updated += 1;
                    appearances::add(txn, actor, found.id, appearance)
                        .await
                        .map_err(prefix)?;
                }
            }
            found
        }
        None => {
            outcome.created += 1;
            let initial = match record.status {
                Some(ClaimStatus::Unreviewed) | None => ClaimStatus::Unreviewed,
                Some(_) => ClaimStatus::InReview,
            };
            let q = record.quantity.as_ref().map(|q| RawQuantity {
                subject: q.subject.clone(),
                measure: Some(q.measure.clone()),
                value: q.value.clone(),
                lower: q.lower.clone(),
                upper: q.upper.clone(),
                unit: q.unit.clone(),
                approximate: q.approximate,
                as_of: q.as_of,
            });
            let new = NewClaim {
                kind: record.kind,
                text: record.text.clone(),
                speaker_id: speaker,
                status: Some(initial),
                quote: record.quote.clone(),
                setting: record.setting.clone(),
                quantity: q,
                language: record.language.clone(),
                appearances: appearance.into_iter().collect(),
                origin: record.id.map(|id| Origin {
                    id,
                    at: record.created_at.unwrap_or_else(crate::service::now),
                    by: None,
                }),
            };
            claims::create(txn, actor, new).await.map_err(prefix)?
        }
    };
    // An archived claim is read-only: its tags stay as they are.
    if claim.status != ClaimStatus::Archived {
        add_tags(txn, actor, Link::Claim, claim.id, &record.tags, outcome)
            .await
            .map_err(prefix)?;
    }

    for (j, v) in record.verifications.iter().enumerate() {
        if let Some(id) = v.id
            && verifications::get(txn, actor, id).await.is_ok()
        {
            continue;
        }
        let mut citations = Vec::with_capacity(v.citations.len());
        for c in &v.citations {
            let source_id = match &c.source {
                Some(s) => Some(upsert_source(txn, actor, s, outcome).await?.id),
                None => None,
            };
            citations.push(NewCitation {
                url: c.url.clone(),
                source_id,
                excerpt: c.excerpt.clone(),
                stance: c.stance,
            });
        }
        let new = NewVerification {
            verdict: v.verdict,
            summary: v.summary.clone(),
            citations,
            publication: crate::service::verifications::Publication {
                review_url: v.review_url.clone(),
                claim_reviewed: v.claim_reviewed.clone(),
                language: v.language.clone(),
            },
            origin: v.id.map(|id| Origin {
                id,
                at: v.created_at.unwrap_or_else(crate::service::now),
                by: v.reviewer.clone(),
            }),
        };
        outcome.created += 1;
        let recorded = verifications::record(txn, actor, claim.id, new)
            .await
            .map_err(|e| match e {
                AppError::Validation(errors) => AppError::Validation(
                    errors
                        .into_iter()
                        .map(|mut f| {
                            f.field = f.field.replacen(
                                "input",
                                &format!("claims.{index}.verifications.{j}"),
                                1,
                            );
                            f
                        })
                        .collect(),
                ),
                other => other,
            })?;
        if let Some(retraction) = &v.retraction {
            verifications::retract(txn, actor, recorded.verification.id, &retraction.reason)
                .await?;
        }
    }

    // Bring the workflow status to the exported one.
    if let Some(target) = record.status {
        let current = claims::find(txn, claim.id).await?;
        let mut status = current.status;
        let mut version = current.version;
        while status != target {
            let next = match (status, target) {
                (_, ClaimStatus::Archived) => ClaimStatus::Archived,
                (ClaimStatus::Unreviewed, _) => ClaimStatus::InReview,
                (ClaimStatus::InReview, ClaimStatus::Reviewed) => ClaimStatus::Reviewed,
                // Statuses cannot move backwards; keep what the verifications made it.
                _ => break,
            };
            let patch = ClaimPatch {
                status: Some(next),
                ..ClaimPatch::default()
            };
            let updated = claims::update(txn, actor, claim.id, version, patch).await?;
            version = updated.version;
            status = next;
            outcome.updated += 1;
        }
    }
    Ok(())
}

/// Counts of an import's lines, for its closing summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub lines: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Propose candidate claims from each imported article's body.
    #[serde(skip)]
    pub extract: bool,
}

impl ImportSummary {
    /// Imports one line (1-based `number`) and returns its report line.
    pub async fn import(
        &mut self,
        db: &DatabaseConnection,
        actor: &Actor,
        number: usize,
        text: &str,
    ) -> Value {
        self.lines += 1;
        let result = import_line(db, actor, text).await;
        match &result {
            Ok((outcome, existed)) => match outcome.status(*existed) {
                "created" => self.created += 1,
                "updated" => self.updated += 1,
                _ => self.unchanged += 1,
            },
            Err(_) => self.failed += 1,
        }
        let mut line = report(number, &result);
        if self.extract
            && let Ok((outcome, _)) = &result
            && let Some(article_id) = outcome.article_id
        {
            // The line is imported whatever extraction does; its report says both.
            match crate::service::candidates::extract_for_article(db, actor, article_id).await {
                Ok(rows) => {
                    let open = rows
                        .iter()
                        .filter(|r| r.status == crate::domain::CandidateStatus::Open)
                        .count();
                    line["candidates"] = json!(open);
                }
                Err(error) => {
                    line["extraction_error"] =
                        json!({ "code": error.code().as_str(), "message": error.to_string() });
                }
            }
        }
        line
    }

    /// A line that could not be read at all (too long, not UTF-8).
    pub fn unreadable(&mut self, number: usize, message: &str) -> Value {
        self.lines += 1;
        self.failed += 1;
        report(number, &Err(AppError::invalid("line", message)))
    }

    pub fn closing_line(&self) -> Value {
        json!({ "summary": self })
    }
}

/// Imports need the editor role (they create articles, claims and sources); checked
/// once up front so a refused import is one clear answer, not a failure per line.
pub fn authorize_import(actor: &Actor) -> Result<(), AppError> {
    crate::service::require(actor, crate::domain::Role::Editor)
}

/// Longest line accepted; a longer one is reported as failed and skipped.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Adds a record's tags; a line that adds any counts as an update (unless it created
/// the record).
async fn add_tags(
    txn: &impl crate::service::Db,
    actor: &Actor,
    link: Link,
    owner: Uuid,
    names: &[String],
    outcome: &mut LineOutcome,
) -> Result<(), AppError> {
    if names.is_empty() {
        return Ok(());
    }
    let before = tags::of(txn, actor, link, &[owner])
        .await?
        .remove(&owner)
        .unwrap_or_default()
        .len();
    let after = tags::tag(txn, actor, link, owner, names).await?.len();
    if after != before && outcome.created == 0 {
        outcome.updated += 1;
    }
    Ok(())
}
