use super::Decimal;
use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{ClaimKind, ClaimStatus, Verdict};
use crate::entity::{appearance, claim};

/// One checkable assertion: what was said, by whom, where, and where checking stands.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Claim {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// Quote, quantity, event or other.
    pub kind: ClaimKind,
    /// The claim as stated.
    pub text: String,
    /// Id of the source the claim is attributed to, if any.
    pub speaker_id: Option<Uuid>,
    /// Where the claim is in the checking workflow.
    pub status: ClaimStatus,
    /// The verdict of the latest verification that has not been retracted.
    pub current_verdict: Option<Verdict>,
    /// Quote claims: the verbatim words.
    pub quote: Option<String>,
    /// Where or to whom it was said ("told a joint session of Parliament at Versailles").
    pub setting: Option<String>,
    /// Its language, a BCP 47 tag (`en`, `fr-FR`): set by hand, on import, or taken from
    /// the article it was found in.
    pub language: Option<String>,
    /// Quantity claims: the figure.
    pub quantity: Option<Quantity>,
    /// Incremented by every change; pass it back as `expectedVersion` when updating.
    pub version: i32,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was last changed (edits, verifications, retractions).
    pub updated_at: DateTime<Utc>,
}

/// A figure as the text gave it. Numbers are exact decimals (strings on the wire).
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Quantity {
    /// Of what ("November 2015 Paris attacks").
    pub subject: Option<String>,
    /// What is counted ("deaths").
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
    /// Unit ("people", "year", "USD", "%").
    pub unit: Option<String>,
    /// The text hedged the figure ("about", "nearly").
    pub approximate: bool,
    /// The moment the figure refers to.
    pub as_of: Option<DateTime<Utc>>,
    /// Groups the figures about one quantity across articles and sources: normalised
    /// subject, measure and unit ("paris attacks:death"); null without a subject.
    pub key: Option<String>,
}

fn decimal(raw: &Option<String>) -> Option<Decimal> {
    raw.as_deref().and_then(|d| d.parse().ok()).map(Decimal)
}

impl From<claim::Model> for Claim {
    fn from(m: claim::Model) -> Self {
        let quantity = m.measure.clone().map(|measure| Quantity {
            subject: m.subject.clone(),
            measure,
            value: decimal(&m.value),
            lower: decimal(&m.lower_bound),
            upper: decimal(&m.upper_bound),
            unit: m.unit.clone(),
            approximate: m.approximate,
            as_of: m.as_of,
            key: m.quantity_key.clone(),
        });
        Self {
            id: m.id,
            kind: m.kind,
            text: m.text,
            speaker_id: m.speaker_id,
            status: m.status,
            current_verdict: m.current_verdict,
            quote: m.quote,
            setting: m.setting,
            language: m.language,
            quantity,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A claim appearing in an article.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Appearance {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// The claim.
    pub claim_id: Uuid,
    /// The article it appeared in.
    pub article_id: Uuid,
    /// The passage around the claim.
    pub excerpt: String,
    /// Start of the claim in the article body, in Unicode characters (inclusive).
    pub span_start: Option<i32>,
    /// End of the claim in the article body, in Unicode characters (exclusive).
    pub span_end: Option<i32>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl From<appearance::Model> for Appearance {
    fn from(m: appearance::Model) -> Self {
        Self {
            id: m.id,
            claim_id: m.claim_id,
            article_id: m.article_id,
            excerpt: m.excerpt,
            span_start: m.span_start,
            span_end: m.span_end,
            created_at: m.created_at,
        }
    }
}
