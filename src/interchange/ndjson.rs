//! NDJSON interchange: one article per line with its outlet, sources, claims and their
//! verifications. Import upserts articles by canonical URL and sources by kind and name,
//! each line in its own transaction; export streams the same format, so an export
//! imported into an empty database reproduces the data (ids and times included).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::quantity::RawQuantity;
use crate::domain::{Actor, ClaimKind, ClaimStatus, SourceKind, Stance, Verdict};
use crate::entity::{claim, source};
use crate::error::AppError;
use crate::service::appearances::NewAppearance;
use crate::service::articles::{ArticlePatch, NewArticle};
use crate::service::claims::{ClaimFilter, ClaimPatch, NewClaim};
use crate::service::pagination::{Cursor, Direction, ListOrder, PageRequest, SortField};
use crate::service::sources::NewSource;
use crate::service::verifications::{NewCitation, NewVerification};
use crate::service::{Origin, appearances, articles, begin_write, claims, sources, verifications};

/// One line of the interchange format.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Sources to upsert (exports list every source first, so none is lost).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRecord>,
    /// The article; absent on lines of sources or of claims that appear nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<ArticleRecord>,
    /// Claims appearing in the article (or, without an article, anywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimRecord>,
}

/// A source, identified by kind and name.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRecord {
    pub kind: SourceKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleRecord {
    pub url: String,
    pub title: String,
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub outlet: Option<SourceRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRecord {
    /// Kept on export; on import an existing claim with this id is reused.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub kind: ClaimKind,
    pub text: String,
    #[serde(default)]
    pub speaker: Option<SourceRecord>,
    #[serde(default)]
    pub status: Option<ClaimStatus>,
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub setting: Option<String>,
    #[serde(default)]
    pub quantity: Option<QuantityRecord>,
    /// Where it appears in this line's article.
    #[serde(default)]
    pub excerpt: Option<String>,
    #[serde(default)]
    pub span_start: Option<i32>,
    #[serde(default)]
    pub span_end: Option<i32>,
    /// Oldest first.
    #[serde(default)]
    pub verifications: Vec<VerificationRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityRecord {
    #[serde(default)]
    pub subject: Option<String>,
    pub measure: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub lower: Option<String>,
    #[serde(default)]
    pub upper: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub approximate: bool,
    #[serde(default)]
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRecord {
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reviewer: Option<String>,
    pub verdict: Verdict,
    pub summary: String,
    #[serde(default)]
    pub citations: Vec<CitationRecord>,
    #[serde(default)]
    pub retraction: Option<RetractionRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitationRecord {
    pub url: String,
    #[serde(default)]
    pub source: Option<SourceRecord>,
    #[serde(default)]
    pub excerpt: Option<String>,
    #[serde(default = "context")]
    pub stance: Stance,
}

fn context() -> Stance {
    Stance::Context
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetractionRecord {
    pub reason: String,
}

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

fn source_record(model: &source::Model) -> SourceRecord {
    SourceRecord {
        kind: model.kind,
        name: model.name.clone(),
        aliases: serde_json::from_value(model.aliases.clone()).unwrap_or_default(),
        description: model.description.clone(),
        url: model.url.clone(),
    }
}

/// Builds claim records (with verifications, citations, retractions) for `models`;
/// `article` gives each claim's excerpt and span in that article.
async fn claim_records(
    db: &DatabaseConnection,
    actor: &Actor,
    models: Vec<claim::Model>,
    article: Option<Uuid>,
) -> Result<Vec<ClaimRecord>, AppError> {
    let ids: Vec<Uuid> = models.iter().map(|c| c.id).collect();
    let placed: HashMap<Uuid, _> = match article {
        Some(article) => appearances::in_article(db, actor, article, &ids)
            .await?
            .into_iter()
            .map(|a| (a.claim_id, a))
            .collect(),
        None => HashMap::new(),
    };
    let found_verifications = verifications::all_of_claims(db, actor, &ids).await?;
    let verification_ids: Vec<Uuid> = found_verifications.iter().map(|v| v.id).collect();
    let citations = verifications::citations_of(db, actor, &verification_ids).await?;
    let retractions = verifications::retractions_of(db, actor, &verification_ids).await?;
    let mut source_ids: Vec<Uuid> = models.iter().filter_map(|c| c.speaker_id).collect();
    source_ids.extend(citations.iter().filter_map(|c| c.source_id));
    let parties: HashMap<Uuid, source::Model> = sources::by_ids(db, actor, &source_ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(models
        .into_iter()
        .map(|c| {
            let appearance = placed.get(&c.id);
            ClaimRecord {
                id: Some(c.id),
                created_at: Some(c.created_at),
                kind: c.kind,
                speaker: c
                    .speaker_id
                    .and_then(|id| parties.get(&id))
                    .map(source_record),
                status: Some(c.status),
                quantity: c.measure.clone().map(|measure| QuantityRecord {
                    subject: c.subject.clone(),
                    measure,
                    value: c.value.clone(),
                    lower: c.lower_bound.clone(),
                    upper: c.upper_bound.clone(),
                    unit: c.unit.clone(),
                    approximate: c.approximate,
                    as_of: c.as_of,
                }),
                excerpt: appearance.map(|a| a.excerpt.clone()),
                span_start: appearance.and_then(|a| a.span_start),
                span_end: appearance.and_then(|a| a.span_end),
                verifications: found_verifications
                    .iter()
                    .filter(|v| v.claim_id == c.id)
                    .map(|v| VerificationRecord {
                        id: Some(v.id),
                        created_at: Some(v.created_at),
                        reviewer: Some(v.reviewer_name.clone()),
                        verdict: v.verdict,
                        summary: v.summary.clone(),
                        citations: citations
                            .iter()
                            .filter(|x| x.verification_id == v.id)
                            .map(|x| CitationRecord {
                                url: x.url.clone(),
                                source: x
                                    .source_id
                                    .and_then(|id| parties.get(&id))
                                    .map(source_record),
                                excerpt: x.excerpt.clone(),
                                stance: x.stance,
                            })
                            .collect(),
                        retraction: retractions.iter().find(|r| r.verification_id == v.id).map(
                            |r| RetractionRecord {
                                reason: r.reason.clone(),
                            },
                        ),
                    })
                    .collect(),
                text: c.text,
                quote: c.quote,
                setting: c.setting,
            }
        })
        .collect())
}

/// Where an export stands between two lines.
enum Phase {
    Sources(Option<Cursor>),
    Articles(Option<Cursor>),
    Unplaced(Option<Cursor>),
    Done,
}

const SOURCES_PER_LINE: u64 = 200;
const CLAIMS_PER_LINE: u64 = 100;

fn oldest_first(after: Option<Cursor>, first: u64) -> PageRequest {
    PageRequest {
        first,
        after,
        order: ListOrder {
            field: SortField::CreatedAt,
            direction: Direction::Asc,
        },
    }
}

/// Produces the next export line, or `None` at the end.
async fn next_line(
    db: &DatabaseConnection,
    actor: &Actor,
    phase: &mut Phase,
) -> Result<Option<Line>, AppError> {
    loop {
        match phase {
            Phase::Sources(after) => {
                let page = sources::list(
                    db,
                    actor,
                    &Default::default(),
                    &oldest_first(*after, SOURCES_PER_LINE),
                )
                .await?;
                *phase = match (page.has_next_page, page.items.last()) {
                    (true, Some((cursor, _))) => Phase::Sources(Some(*cursor)),
                    _ => Phase::Articles(None),
                };
                if !page.items.is_empty() {
                    return Ok(Some(Line {
                        sources: page.items.iter().map(|(_, s)| source_record(s)).collect(),
                        ..Line::default()
                    }));
                }
            }
            Phase::Articles(after) => {
                let page = articles::list(db, actor, &Default::default(), &oldest_first(*after, 1))
                    .await?;
                let Some((cursor, article)) = page.items.into_iter().next() else {
                    *phase = Phase::Unplaced(None);
                    continue;
                };
                *phase = Phase::Articles(Some(cursor));
                let filter = ClaimFilter {
                    article_id: Some(article.id),
                    ..ClaimFilter::default()
                };
                let mut models = Vec::new();
                let mut claim_cursor = None;
                loop {
                    let claims_page = claims::list(
                        db,
                        actor,
                        &filter,
                        &oldest_first(claim_cursor, CLAIMS_PER_LINE),
                    )
                    .await?;
                    claim_cursor = claims_page.items.last().map(|(c, _)| *c);
                    let more = claims_page.has_next_page;
                    models.extend(claims_page.items.into_iter().map(|(_, c)| c));
                    if !more {
                        break;
                    }
                }
                let outlet = match article.outlet_id {
                    Some(id) => Some(source_record(&sources::get(db, actor, id).await?)),
                    None => None,
                };
                let claims = claim_records(db, actor, models, Some(article.id)).await?;
                return Ok(Some(Line {
                    sources: Vec::new(),
                    article: Some(ArticleRecord {
                        url: article.url,
                        title: article.title,
                        published_at: article.published_at,
                        language: article.language,
                        body: article.body,
                        outlet,
                    }),
                    claims,
                }));
            }
            Phase::Unplaced(after) => {
                let filter = ClaimFilter {
                    without_appearances: true,
                    ..ClaimFilter::default()
                };
                let page = claims::list(db, actor, &filter, &oldest_first(*after, CLAIMS_PER_LINE))
                    .await?;
                *phase = match (page.has_next_page, page.items.last()) {
                    (true, Some((cursor, _))) => Phase::Unplaced(Some(*cursor)),
                    _ => Phase::Done,
                };
                if !page.items.is_empty() {
                    let models = page.items.into_iter().map(|(_, c)| c).collect();
                    return Ok(Some(Line {
                        claims: claim_records(db, actor, models, None).await?,
                        ..Line::default()
                    }));
                }
            }
            Phase::Done => return Ok(None),
        }
    }
}

/// The whole database as NDJSON lines, produced one at a time (memory does not grow
/// with the data).
pub fn export(
    db: DatabaseConnection,
    actor: Actor,
) -> impl Stream<Item = Result<String, AppError>> {
    futures_util::stream::unfold(Some(Phase::Sources(None)), move |state| {
        let (db, actor) = (db.clone(), actor.clone());
        async move {
            let mut phase = state?;
            match next_line(&db, &actor, &mut phase).await {
                Ok(Some(line)) => {
                    let text = serde_json::to_string(&line).map(|mut t| {
                        t.push('\n');
                        t
                    });
                    Some((text.map_err(|e| AppError::Internal(e.into())), Some(phase)))
                }
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        }
    })
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
