use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Role;
use crate::service::keys::{CreatedKey, KeyRecord};

/// An API key as listed: never its secret.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct ApiKey {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// Short, non-secret identifier (also the part after `ct_` in the secret).
    pub key_id: String,
    /// The principal the key authenticates.
    pub principal_id: Uuid,
    /// Who or what holds it.
    pub name: String,
    /// What its holder may do.
    pub role: Role,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<KeyRecord> for ApiKey {
    fn from(r: KeyRecord) -> Self {
        let k = r.key;
        Self {
            id: k.id,
            key_id: k.key_id,
            principal_id: k.principal_id,
            name: k.name,
            role: r.role,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key just created, with its secret: shown this once, never stored.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

impl From<CreatedKey> for CreatedApiKey {
    fn from(created: CreatedKey) -> Self {
        Self {
            key: created.record.into(),
            secret: created.secret,
        }
    }
}
