//! API keys: creation (the secret is shown once), listing, revocation, and
//! authentication by the secret's digest. Only a SHA-256 digest is stored: the secret
//! carries 256 random bits, so a slow password hash would add nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use rand::RngExt;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{self, Change};
use super::{Db, begin_write, now, require};
use crate::domain::{Actor, BoundedText, FieldError, Role};
use crate::entity::{api_key, principal};
use crate::error::AppError;

const ENTITY: &str = "api_key";
/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "ct_";
const MAX_EXPIRY_DAYS: u32 = 3650;
/// `last_used_at` is refreshed at most this often, so reads do not all become writes.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// A key as listed: never the secret.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub key: api_key::Model,
    pub role: Role,
}

/// A new key and its secret, which is not stored and cannot be shown again.
#[derive(Clone, Debug)]
pub struct CreatedKey {
    pub record: KeyRecord,
    pub secret: String,
}

/// Why a presented key was refused (for the log; clients get one message for all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    Malformed,
    Unknown,
    Revoked { key_id: String },
    Expired { key_id: String },
}

/// One application's count of key changes: bumped whenever any key may have changed
/// (revoked through it, or any `api_key` event its outbox reader reads), so that the
/// authentications it remembers from before are looked up again. Per application, not
/// per process: several applications in one process (tests) do not disturb each other.
#[derive(Clone, Debug, Default)]
pub struct KeyEpoch(Arc<AtomicU64>);

impl KeyEpoch {
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Marks every remembered authentication stale.
    pub fn keys_changed(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// The digest stored for a secret.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh secret `ct_<key id>_<43 characters>`: 48 random bits of public id, 256 of secret.
fn new_secret() -> (String, String) {
    let mut rng = rand::rng();
    let id_bytes: [u8; 6] = rng.random();
    let secret_bytes: [u8; 32] = rng.random();
    let key_id: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let secret = format!(
        "{KEY_PREFIX}{key_id}_{}",
        URL_SAFE_NO_PAD.encode(secret_bytes)
    );
    (key_id, secret)
}

fn role_of(principal: &principal::Model) -> Result<Role, AppError> {
    Ok(principal.role)
}

/// Creates a principal with `role` and a key for it. Needs the admin role.
pub async fn create(
    db: &impl Db,
    actor: &Actor,
    name: &str,
    role: Role,
    expires_in_days: Option<u32>,
) -> Result<CreatedKey, AppError> {
    require(actor, Role::Admin)?;
    let name = BoundedText::parse("input.name", name, 200)?.into_inner();
    if let Some(days) = expires_in_days
        && !(1..=MAX_EXPIRY_DAYS).contains(&days)
    {
        return Err(FieldError::new(
            "input.expiresInDays",
            format!("must be between 1 and {MAX_EXPIRY_DAYS}"),
        )
        .into());
    }
    let (key_id, secret) = new_secret();
    let at = now();
    let txn = begin_write(db).await?;
    let principal = principal::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.clone()),
        role: Set(role),
        created_at: Set(at),
        subject: Set(None),
    }
    .insert(&txn)
    .await?;
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        principal_id: Set(principal.id),
        key_id: Set(key_id),
        secret_hash: Set(digest(&secret)),
        name: Set(name),
        created_at: Set(at),
        expires_at: Set(expires_in_days.map(|d| at + Duration::days(i64::from(d)))),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: key.id,
            claim_id: None,
            state: None,
            operation: "create",
            changes: json!({
                "key_id": key.key_id, "name": key.name, "role": role.as_str(),
                "expires_at": key.expires_at,
            }),
        },
    )
    .await?;
    super::commit(txn).await?;
    Ok(CreatedKey {
        record: KeyRecord { key, role },
        secret,
    })
}

/// Every key, oldest first. Needs the admin role.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<KeyRecord>, AppError> {
    require(actor, Role::Admin)?;
    let rows = api_key::Entity::find()
        .find_also_related(principal::Entity)
        .order_by_asc(api_key::Column::CreatedAt)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(key, principal)| {
            let role = principal
                .as_ref()
                .map(role_of)
                .transpose()?
                .unwrap_or(Role::Viewer);
            Ok(KeyRecord { key, role })
        })
        .collect()
}

/// Revokes a key, by its id or its short key id; it stops working at once.
pub async fn revoke(db: &impl Db, actor: &Actor, id: &str) -> Result<KeyRecord, AppError> {
    require(actor, Role::Admin)?;
    let txn = begin_write(db).await?;
    let filter = match id.parse::<Uuid>() {
        Ok(uuid) => api_key::Column::Id.eq(uuid),
        Err(_) => api_key::Column::KeyId.eq(id.trim()),
    };
    let (key, principal) = api_key::Entity::find()
        .filter(filter)
        .find_also_related(principal::Entity)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))?;
    if key.revoked_at.is_some() {
        return Err(AppError::Conflict(format!(
            "key {} is already revoked",
            key.key_id
        )));
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(now()));
    let key = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: key.id,
            claim_id: None,
            state: None,
            operation: "revoke",
            changes: json!({ "key_id": key.key_id, "name": key.name }),
        },
    )
    .await?;
    super::commit(txn).await?;
    let role = principal
        .as_ref()
        .map(role_of)
        .transpose()?
        .unwrap_or(Role::Viewer);
    Ok(KeyRecord { key, role })
}

/// A key accepted: who it acts for, and until when.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub actor: Actor,
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

/// Resolves a presented secret to its principal. Revoked and expired keys are refused.
pub async fn authenticate(
    db: &impl Db,
    secret: &str,
) -> Result<Result<Accepted, KeyRefusal>, AppError> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() > 200 {
        return Ok(Err(KeyRefusal::Malformed));
    }
    let Some((key, Some(principal))) = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(digest(secret)))
        .find_also_related(principal::Entity)
        .one(db)
        .await?
    else {
        return Ok(Err(KeyRefusal::Unknown));
    };
    let at = Utc::now();
    if key.revoked_at.is_some() {
        return Ok(Err(KeyRefusal::Revoked { key_id: key.key_id }));
    }
    if key.expires_at.is_some_and(|expiry| expiry <= at) {
        return Ok(Err(KeyRefusal::Expired { key_id: key.key_id }));
    }
    if key
        .last_used_at
        .is_none_or(|used| (at - used).num_seconds() >= LAST_USED_GRANULARITY_SECS)
    {
        // Bookkeeping only: a write that cannot be made now (SQLite's write lock held
        // past the busy timeout, say) must not refuse a valid key.
        if let Err(error) = api_key::Entity::update_many()
            .col_expr(
                api_key::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now()),
            )
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await
        {
            tracing::warn!(%error, key_id = %key.key_id, "recording a key's last use failed");
        }
    }
    Ok(Ok(Accepted {
        actor: Actor::principal(principal.id, &principal.name, role_of(&principal)?),
        expires_at: key.expires_at,
    }))
}

/// On a database with no usable admin key, creates one (first start). Returns it so the
/// caller can show the secret once.
pub async fn ensure_admin_key(db: &DatabaseConnection) -> Result<Option<CreatedKey>, AppError> {
    let at = now();
    let admins = api_key::Entity::find()
        .find_also_related(principal::Entity)
        .filter(principal::Column::Role.eq(Role::Admin.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    let usable = admins
        .iter()
        .any(|(key, _)| key.expires_at.is_none_or(|expiry| expiry > at));
    if usable {
        return Ok(None);
    }
    create(
        db,
        &Actor::system("first-start"),
        "first-start admin",
        Role::Admin,
        None,
    )
    .await
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_digested() {
        let (id_a, secret_a) = new_secret();
        let (_, secret_b) = new_secret();
        let random = secret_a.strip_prefix(&format!("ct_{id_a}_")).unwrap();
        assert_ne!(secret_a, secret_b);
        // 32 random bytes in unpadded base64url: 43 characters.
        assert_eq!(random.len(), 43);
        assert_eq!(id_a.len(), 12);
        assert_eq!(digest("abc").len(), 64);
        assert_ne!(digest(&secret_a), digest(&secret_b));
    }
}
