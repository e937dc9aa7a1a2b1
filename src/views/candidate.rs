use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{Claim, Decimal};
use crate::domain::{CandidateStatus, ClaimKind, SourceKind};
use crate::entity::claim_candidate;

/// A claim proposed by extraction from an article's body. It becomes a claim only when
/// a checker accepts it.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct ClaimCandidate {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// The article it was found in.
    pub article_id: Uuid,
    /// The article's version when it was found (spans refer to that body).
    pub article_version: i32,
    /// Quote, quantity, event or other.
    pub kind: ClaimKind,
    /// The claim's text: the quoted words, or the sentence or clause stating it.
    pub text: String,
    /// Quote candidates: the verbatim words.
    pub quote: Option<String>,
    /// Where it was said, when the text gives it.
    pub setting: Option<String>,
    /// Who made it: a stored source, or one proposed by name.
    pub speaker: Option<ProposedSpeaker>,
    /// Quantity candidates: the figure (its `asOf` is the article's publication time).
    pub quantity: Option<CandidateFigure>,
    /// Start of the claim in the body, in Unicode characters (inclusive).
    pub span_start: i32,
    /// End of the claim in the body, in Unicode characters (exclusive).
    pub span_end: i32,
    /// Figures: start of the words that give the number, hedge and measure.
    pub figure_start: Option<i32>,
    /// Figures: end of those words.
    pub figure_end: Option<i32>,
    /// How sure the rule is, from 0 to 1.
    pub confidence: f64,
    /// The rule that proposed it ("quote.attribution_after", "figure.casualty" …).
    pub rule: String,
    /// Open, accepted or dismissed.
    pub status: CandidateStatus,
    /// The claim made from it, once accepted.
    pub claim_id: Option<Uuid>,
    /// When it was first proposed.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// The speaker extraction found: matched to a stored source (`sourceId`), or proposed
/// as a new source that accepting the candidate creates.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct ProposedSpeaker {
    /// The full name ("Francois Hollande"), or the stored source's name when matched.
    pub name: String,
    /// Person, organization, government or group.
    pub kind: SourceKind,
    /// How the text referred to the speaker here ("he", "the French president").
    pub mention: Option<String>,
    /// The stored source it matched, if any.
    pub source_id: Option<Uuid>,
}

/// A figure as extraction read it. Numbers are exact decimals (strings on the wire).
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct CandidateFigure {
    /// The event or thing the figure is about, when the sentence names it.
    pub subject: Option<String>,
    /// What is counted ("deaths", "duration").
    pub measure: String,
    /// The stated value.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
    /// Lower bound ("more than a year": 1).
    #[schema(value_type = Option<String>)]
    pub lower: Option<Decimal>,
    /// Upper bound ("up to 40": 40).
    #[schema(value_type = Option<String>)]
    pub upper: Option<Decimal>,
    /// Unit ("year", "percent", "EUR"); none for counts.
    pub unit: Option<String>,
    /// The text hedged the figure ("about", "nearly").
    pub approximate: bool,
}

fn decimal(raw: &Option<String>) -> Option<Decimal> {
    raw.as_deref().and_then(|d| d.parse().ok()).map(Decimal)
}

impl From<claim_candidate::Model> for ClaimCandidate {
    fn from(m: claim_candidate::Model) -> Self {
        let speaker = m.speaker_name.clone().map(|name| ProposedSpeaker {
            name,
            kind: m.speaker_kind.unwrap_or(SourceKind::Person),
            mention: m.speaker_mention.clone(),
            source_id: m.speaker_id,
        });
        let quantity = m.measure.clone().map(|measure| CandidateFigure {
            subject: m.subject.clone(),
            measure,
            value: decimal(&m.value),
            lower: decimal(&m.lower_bound),
            upper: decimal(&m.upper_bound),
            unit: m.unit.clone(),
            approximate: m.approximate,
        });
        Self {
            id: m.id,
            article_id: m.article_id,
            article_version: m.article_version,
            kind: m.kind,
            text: m.text,
            quote: m.quote,
            setting: m.setting,
            speaker,
            quantity,
            span_start: m.span_start,
            span_end: m.span_end,
            figure_start: m.figure_start,
            figure_end: m.figure_end,
            confidence: m.confidence,
            rule: m.rule,
            status: m.status,
            claim_id: m.claim_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The result of accepting a candidate.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct AcceptedCandidate {
    /// The candidate, now accepted.
    pub candidate: ClaimCandidate,
    /// The claim made from it.
    pub claim: Claim,
    /// False when the candidate had been accepted before, or was linked (nothing new
    /// was created).
    pub created: bool,
    /// True when the claim had been recorded before (the same words, of the same
    /// speaker, at the same place in this article): the candidate was linked to it.
    pub linked: bool,
}

impl From<crate::service::candidates::Accepted> for AcceptedCandidate {
    fn from(a: crate::service::candidates::Accepted) -> Self {
        Self {
            candidate: a.candidate.into(),
            claim: a.claim.into(),
            created: a.created,
            linked: a.linked,
        }
    }
}
