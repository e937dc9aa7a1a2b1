//! The interchange format: one line per article, with the records it carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{ClaimKind, ClaimStatus, SourceKind, Stance, Verdict};

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
    /// Tag names (added on import; tags already there stay).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
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
    /// Its language (a BCP 47 tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
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
    /// Tag names (added on import; tags already there stay).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_reviewed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
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
