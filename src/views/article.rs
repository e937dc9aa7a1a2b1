use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::entity::article;

/// One published piece, identified by its canonical URL.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Article {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// Canonical URL (lower-case host, no fragment, no tracking parameters); unique.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Id of the outlet (a source) that published it.
    pub outlet_id: Option<Uuid>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Language tag, e.g. `en`.
    pub language: Option<String>,
    /// Full text. Appearance spans count Unicode characters of this text.
    pub body: String,
    /// Incremented by every change; pass it back as `expectedVersion` when updating.
    pub version: i32,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<article::Model> for Article {
    fn from(m: article::Model) -> Self {
        Self {
            id: m.id,
            url: m.url,
            title: m.title,
            outlet_id: m.outlet_id,
            published_at: m.published_at,
            language: m.language,
            body: m.body,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
