//! The HTTP side of identity: `Authorization: Bearer …` → an `Actor` for the request,
//! and the per-principal rate limit. Role checks themselves live in the service layer.

pub mod jwt;
pub mod middleware;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::DatabaseConnection;

use crate::config::{AuthSettings, RateLimitSettings};
use crate::domain::Actor;
use crate::error::AppError;
use crate::service::keys::{self, KeyEpoch, KeyRefusal};
use jwt::JwtVerifier;

/// Resolves credentials and applies the rate limit; shared by every worker.
pub struct Authenticator {
    db: DatabaseConnection,
    accepted: KeyCache,
    jwt: Option<JwtVerifier>,
    anonymous_reads: bool,
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    trust_forwarded_for: bool,
}

/// Tries of a key lookup whose connection broke before it answers UNAVAILABLE.
const LOOKUP_ATTEMPTS: u32 = 3;

/// Whose credentials a request carried, and until when they hold (an API key's or a
/// token's expiry), so long-lived connections can tell when to stop without asking.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub actor: Actor,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Resolved {
    fn lasting(actor: Actor) -> Self {
        Self {
            actor,
            expires_at: None,
        }
    }

    fn refused() -> Self {
        Self::lasting(Actor::refused())
    }

    /// Whether the credentials have expired since they were resolved.
    pub fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| at <= Utc::now())
    }
}

/// What the request carried.
pub enum Credentials<'a> {
    None,
    Bearer(&'a str),
    Malformed,
}

impl<'a> Credentials<'a> {
    /// From an `Authorization` value (also accepted in a websocket's `connection_init`):
    /// `Bearer <token>` (the scheme in any case, RFC 9110), anything else is malformed.
    pub fn from_header(value: Option<&'a str>) -> Self {
        let token = value
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match token {
            Some(token) if !token.is_empty() && !token.contains(' ') => Credentials::Bearer(token),
            _ => Credentials::Malformed,
        }
    }
}

impl Authenticator {
    pub fn new(
        db: DatabaseConnection,
        key_epoch: KeyEpoch,
        auth: &AuthSettings,
        limits: &RateLimitSettings,
    ) -> anyhow::Result<Self> {
        let jwt = auth
            .jwt
            .enabled
            .then(|| JwtVerifier::from_settings(&auth.jwt))
            .transpose()?;
        let limiter = limits
            .enabled
            .then(|| -> anyhow::Result<_> {
                let per_minute = NonZeroU32::new(limits.requests_per_minute).ok_or_else(|| {
                    anyhow::anyhow!("rate_limit.requests_per_minute must be at least 1")
                })?;
                let burst = NonZeroU32::new(limits.burst)
                    .ok_or_else(|| anyhow::anyhow!("rate_limit.burst must be at least 1"))?;
                Ok(Arc::new(RateLimiter::keyed(
                    Quota::per_minute(per_minute).allow_burst(burst),
                )))
            })
            .transpose()?;
        Ok(Self {
            db,
            accepted: KeyCache::new(Duration::from_secs(auth.key_cache_secs), key_epoch),
            jwt,
            anonymous_reads: auth.anonymous_reads,
            limiter,
            trust_forwarded_for: limits.trust_forwarded_for,
        })
    }

    /// The actor for a request's credentials, and until when they hold. Refused
    /// credentials never fall back to anonymous access; the reason is logged, the
    /// secret never. A failure to check them (the database unreachable) is an error,
    /// never a refusal.
    pub async fn resolve(&self, credentials: Credentials<'_>) -> Result<Resolved, AppError> {
        let token = match credentials {
            Credentials::None => {
                return Ok(Resolved::lasting(Actor::anonymous(self.anonymous_reads)));
            }
            Credentials::Malformed => {
                tracing::info!(
                    reason = "malformed Authorization header",
                    "credentials refused"
                );
                return Ok(Resolved::refused());
            }
            Credentials::Bearer(token) => token,
        };
        if token.starts_with(keys::KEY_PREFIX) {
            let digest = keys::digest(token);
            if let Some(resolved) = self.accepted.get(&digest) {
                return Ok(resolved);
            }
            // Read before the lookup: a change committed during it makes the entry stale.
            let epoch = self.accepted.epoch.current();
            match self.look_up(token).await? {
                Ok(accepted) => {
                    self.accepted.put(digest, &accepted, epoch);
                    Ok(Resolved {
                        actor: accepted.actor,
                        expires_at: accepted.expires_at,
                    })
                }
                Err(refusal) => {
                    let reason = match &refusal {
                        KeyRefusal::Malformed => "malformed API key".to_owned(),
                        KeyRefusal::Unknown => "unknown API key".to_owned(),
                        KeyRefusal::Revoked { key_id } => format!("revoked API key {key_id}"),
                        KeyRefusal::Expired { key_id } => format!("expired API key {key_id}"),
                    };
                    tracing::info!(%reason, "credentials refused");
                    Ok(Resolved::refused())
                }
            }
        } else if let Some(jwt) = &self.jwt {
            Ok(match jwt.verify(token) {
                Ok((actor, expires_at)) => Resolved { actor, expires_at },
                Err(reason) => {
                    tracing::info!(%reason, "credentials refused");
                    Resolved::refused()
                }
            })
        } else {
            tracing::info!(
                reason = "bearer token is neither an API key nor accepted JWT",
                "credentials refused"
            );
            Ok(Resolved::refused())
        }
    }

    /// Looks a key up, trying again when the connection it got had broken (a database
    /// restart or failover leaves dead connections in the pool; each failed try drops
    /// one), so that a valid key is not refused for the database's trouble.
    async fn look_up(&self, token: &str) -> Result<Result<keys::Accepted, KeyRefusal>, AppError> {
        let mut attempt = 1;
        loop {
            match keys::authenticate(&self.db, token).await {
                Err(AppError::Unavailable(cause)) if attempt < LOOKUP_ATTEMPTS => {
                    tracing::warn!(error = ?cause, attempt, "API key lookup failed; trying again");
                    attempt += 1;
                }
                Err(AppError::Unavailable(cause)) => {
                    tracing::error!(error = ?cause, "API key lookup failed; the database is unavailable");
                    return Err(AppError::Unavailable(cause));
                }
                Err(AppError::Internal(cause)) => {
                    tracing::error!(error = ?cause, "API key lookup failed");
                    return Err(AppError::Internal(cause));
                }
                other => return other,
            }
        }
    }

    /// Charges one request to `key`; `Err(wait)` when over budget.
    pub fn charge(&self, key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        // Keys are owned strings; the limiter forgets idle ones in `forget_idle`.
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Drops rate-limit state of keys that have been idle (bounded memory).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Whether callers without credentials may read.
    pub fn anonymous_reads(&self) -> bool {
        self.anonymous_reads
    }

    pub fn trust_forwarded_for(&self) -> bool {
        self.trust_forwarded_for
    }
}

/// Accepted API keys by digest, each remembered until its time is up, its key expires,
/// or any key changes (the application's `KeyEpoch`). Refusals are never remembered.
struct KeyCache {
    ttl: Duration,
    epoch: KeyEpoch,
    entries: Mutex<HashMap<String, Remembered>>,
}

struct Remembered {
    actor: Actor,
    until: Instant,
    expires_at: Option<DateTime<Utc>>,
    epoch: u64,
}

/// Bounds memory: past this many keys the cache starts over.
const MAX_REMEMBERED_KEYS: usize = 10_000;

impl KeyCache {
    fn new(ttl: Duration, epoch: KeyEpoch) -> Self {
        Self {
            ttl,
            epoch,
            entries: Mutex::default(),
        }
    }

    fn get(&self, digest: &str) -> Option<Resolved> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(digest)?;
        let fresh = entry.until > Instant::now()
            && entry.epoch == self.epoch.current()
            && entry.expires_at.is_none_or(|expiry| expiry > Utc::now());
        fresh.then(|| Resolved {
            actor: entry.actor.clone(),
            expires_at: entry.expires_at,
        })
    }

    fn put(&self, digest: String, accepted: &keys::Accepted, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_REMEMBERED_KEYS {
            entries.clear();
        }
        entries.insert(
            digest,
            Remembered {
                actor: accepted.actor.clone(),
                until: Instant::now() + self.ttl,
                expires_at: accepted.expires_at,
                epoch,
            },
        );
    }
}
