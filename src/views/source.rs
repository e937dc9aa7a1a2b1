use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::SourceKind;
use crate::entity::source;

/// Someone or something that says or carries information: a person, an organisation,
/// an outlet, a government, a group, a document or a dataset.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Source {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// What kind of source this is.
    pub kind: SourceKind,
    /// The name used for it (unique per kind).
    pub name: String,
    /// Other names it is known by ("ISIS" for the Islamic State).
    pub aliases: Vec<String>,
    /// A short description.
    pub description: Option<String>,
    /// Its web page, if any.
    pub url: Option<String>,
    /// Incremented by every change; pass it back as `expectedVersion` when updating.
    pub version: i32,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<source::Model> for Source {
    fn from(m: source::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            name: m.name,
            aliases: serde_json::from_value(m.aliases).unwrap_or_default(),
            description: m.description,
            url: m.url,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// How a source's claims were judged in a time window.
#[derive(Clone, Debug, serde::Serialize, async_graphql::SimpleObject, utoipa::ToSchema)]
pub struct SpeakerRecord {
    /// The window's start (inclusive), if bounded.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// The window's end (exclusive), if bounded.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Claims with a standing verdict recorded in the window.
    pub judged: u64,
    /// Every verdict with how many of the source's claims got it (each claim counted
    /// once, by its latest standing verdict in the window).
    pub by_verdict: Vec<VerdictCount>,
}

/// A verdict and a count.
#[derive(Clone, Debug, serde::Serialize, async_graphql::SimpleObject, utoipa::ToSchema)]
pub struct VerdictCount {
    /// The verdict.
    pub verdict: crate::domain::Verdict,
    /// How many claims.
    pub count: u64,
}

impl From<crate::service::verifications::SpeakerRecord> for SpeakerRecord {
    fn from(r: crate::service::verifications::SpeakerRecord) -> Self {
        Self {
            judged: r.judged(),
            from: r.from,
            to: r.to,
            by_verdict: r
                .by_verdict
                .into_iter()
                .map(|(verdict, count)| VerdictCount { verdict, count })
                .collect(),
        }
    }
}
