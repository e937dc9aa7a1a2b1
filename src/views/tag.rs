use async_graphql::SimpleObject;
use serde::Serialize;
use uuid::Uuid;

use crate::entity::tag;
use crate::service::tags::TagUse;

/// A topic on claims and articles ("elections-2027").
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct Tag {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// Lower case, words joined by hyphens.
    pub name: String,
}

impl From<tag::Model> for Tag {
    fn from(m: tag::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
        }
    }
}

/// A tag with how much it is used.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct TagCount {
    /// The tag.
    pub tag: Tag,
    /// Claims carrying it.
    pub claims: u64,
    /// Articles carrying it.
    pub articles: u64,
}

impl From<TagUse> for TagCount {
    fn from(u: TagUse) -> Self {
        Self {
            tag: u.tag.into(),
            claims: u.claims,
            articles: u.articles,
        }
    }
}
