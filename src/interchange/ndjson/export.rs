//! Exporting the whole database as lines, produced one at a time.

use std::collections::HashMap;

use futures_util::Stream;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::Actor;
use crate::entity::{claim, source};
use crate::error::AppError;
use crate::service::claims::ClaimFilter;
use crate::service::pagination::{Cursor, Direction, ListOrder, PageRequest, SortField};
use crate::service::tags::{self, Link};
use crate::service::{appearances, articles, claims, sources, verifications};

use super::*;

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
    let mut claim_tags = tags::of(db, actor, Link::Claim, &ids).await?;
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
                tags: tag_names(claim_tags.remove(&c.id)),
                id: Some(c.id),
                created_at: Some(c.created_at),
                kind: c.kind,
                speaker: c
                    .speaker_id
                    .and_then(|id| parties.get(&id))
                    .map(source_record),
                status: Some(c.status),
                language: c.language.clone(),
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
                        review_url: v.review_url.clone(),
                        claim_reviewed: v.claim_reviewed.clone(),
                        language: v.language.clone(),
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
                        tags: tag_names(
                            tags::of(db, actor, Link::Article, &[article.id])
                                .await?
                                .remove(&article.id),
                        ),
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

/// Tag names as the records carry them (sorted by name, as `tags::of` gives them).
fn tag_names(found: Option<Vec<crate::entity::tag::Model>>) -> Vec<String> {
    found
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.name)
        .collect()
}
