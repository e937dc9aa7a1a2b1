use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{Stance, Verdict};
use crate::entity::{citation, retraction, verification};

/// A checker's recorded judgement of a claim at a moment. Never changed or deleted:
/// a correction is a new verification, a withdrawal a retraction.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Verification {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// The claim judged.
    pub claim_id: Uuid,
    /// The judgement.
    pub verdict: Verdict,
    /// ClaimReview rating, 1 (false) to 5 (true); none for verdicts off the scale.
    pub rating: Option<i32>,
    /// The checker's explanation.
    pub summary: String,
    /// Id of the principal who recorded it, when it was an authenticated principal.
    pub reviewer_id: Option<Uuid>,
    /// Name of who recorded it.
    pub reviewer_name: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// The newsroom's own published fact-check article, if given.
    pub review_url: Option<String>,
    /// The claim as the published review words it, if given.
    pub claim_reviewed: Option<String>,
    /// The review's language, if given.
    pub language: Option<String>,
}

impl From<verification::Model> for Verification {
    fn from(m: verification::Model) -> Self {
        Self {
            id: m.id,
            claim_id: m.claim_id,
            verdict: m.verdict,
            rating: m.rating.map(i32::from),
            summary: m.summary,
            reviewer_id: m.reviewer_id,
            reviewer_name: m.reviewer_name,
            created_at: m.created_at,
            review_url: m.review_url,
            claim_reviewed: m.claim_reviewed,
            language: m.language,
        }
    }
}

/// Who recorded a verification: the acting principal.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct Reviewer {
    /// The principal's id, for API-key holders (token holders and system actors have none).
    pub id: Option<Uuid>,
    /// The principal's name ("jwt:<subject>" for identity-provider tokens).
    pub name: String,
}

/// A piece of evidence attached to a verification.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Citation {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// Where the evidence is.
    pub url: String,
    /// Id of the source the evidence comes from, if recorded.
    pub source_id: Option<Uuid>,
    /// The relevant passage.
    pub excerpt: Option<String>,
    /// How it bears on the claim.
    pub stance: Stance,
}

impl From<citation::Model> for Citation {
    fn from(m: citation::Model) -> Self {
        Self {
            id: m.id,
            url: m.url,
            source_id: m.source_id,
            excerpt: m.excerpt,
            stance: m.stance,
        }
    }
}

/// The withdrawal of a verification; the verification itself stays in the history.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct Retraction {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// The verification withdrawn.
    pub verification_id: Uuid,
    /// Why it was withdrawn.
    pub reason: String,
    /// Name of who withdrew it.
    pub retracted_by_name: String,
    /// When it was withdrawn.
    pub created_at: DateTime<Utc>,
}

impl From<retraction::Model> for Retraction {
    fn from(m: retraction::Model) -> Self {
        Self {
            id: m.id,
            verification_id: m.verification_id,
            reason: m.reason,
            retracted_by_name: m.retracted_by_name,
            created_at: m.created_at,
        }
    }
}
