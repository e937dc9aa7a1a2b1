//! What a subscriber watches, and its stream of matching events: every event is checked
//! against the subscriber's current permissions and filters, then the changed record is
//! read as that subscriber may see it.

use std::sync::Arc;

use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{Event, Hub, Identity};
use crate::domain::{Actor, ClaimKind, ClaimStatus, Role, Verdict};
use crate::entity::{appearance, claim, verification};
use crate::error::AppError;
use crate::service::quantities::{self, ConflictView};
use crate::service::{claims, require, verifications};

/// A filter over events and the records they changed.
pub trait Watch: Send + Sync + 'static {
    type Notice: Send;

    /// The notice for `event` when it matches, read with `actor`'s permissions.
    fn check(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        event: &Event,
    ) -> impl Future<Output = Result<Option<Self::Notice>, AppError>> + Send;
}

struct Subscriber<W> {
    events: tokio::sync::broadcast::Receiver<Event>,
    db: DatabaseConnection,
    identity: Arc<Identity>,
    watch: W,
}

/// The matching events from now on, in commit order. Ends with an error when the
/// subscriber loses its access or falls further behind than its buffer allows.
pub fn subscribe<W: Watch>(
    hub: &Hub,
    db: DatabaseConnection,
    identity: Arc<Identity>,
    watch: W,
) -> impl Stream<Item = Result<W::Notice, AppError>> + Send + use<W> {
    let subscriber = Subscriber {
        events: hub.subscribe(),
        db,
        identity,
        watch,
    };
    futures_util::stream::unfold(Some(subscriber), |subscriber| async move {
        let mut subscriber = subscriber?;
        loop {
            let event = match subscriber.events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "slow subscriber dropped");
                    return Some((Err(AppError::SlowSubscriber { missed }), None));
                }
                Err(RecvError::Closed) => return None,
            };
            let keys_changed = event.entity_type == "api_key";
            let actor = match subscriber.identity.for_event(keys_changed).await {
                Ok(actor) => actor,
                Err(error) => return Some((Err(error), Some(subscriber))),
            };
            if let Err(refused) = require(&actor, Role::Viewer) {
                return Some((Err(refused), None));
            }
            match subscriber.watch.check(&subscriber.db, &actor, &event).await {
                Ok(Some(notice)) => return Some((Ok(notice), Some(subscriber))),
                Ok(None) => continue,
                // Deleted again since: nothing left to show.
                Err(AppError::NotFound { .. }) => continue,
                Err(error) => return Some((Err(error), Some(subscriber))),
            }
        }
    })
}

/// The entity type of appearance events.
const APPEARANCE: &str = "appearance";

/// How a claim changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimChange {
    Created,
    Updated,
    StatusChanged,
    Deleted,
    Assigned,
    Unassigned,
    Merged,
}

impl ClaimChange {
    fn of(operation: &str) -> Option<Self> {
        Some(match operation {
            "created" => Self::Created,
            "updated" => Self::Updated,
            "status_changed" => Self::StatusChanged,
            "deleted" => Self::Deleted,
            "assigned" => Self::Assigned,
            "unassigned" => Self::Unassigned,
            "merged" => Self::Merged,
            _ => return None,
        })
    }
}

/// Claims to watch; every given filter must hold.
#[derive(Default)]
pub struct ClaimWatch {
    pub changes: Option<Vec<ClaimChange>>,
    pub status: Option<Vec<ClaimStatus>>,
    pub kind: Option<Vec<ClaimKind>>,
    pub speaker_id: Option<Uuid>,
    pub article_id: Option<Uuid>,
}

/// A claim event with the claim as it is now (`None` once deleted).
pub struct ClaimNotice {
    pub event: Event,
    pub change: ClaimChange,
    pub claim: Option<claim::Model>,
}

fn allows<T: PartialEq>(wanted: &Option<Vec<T>>, value: Option<&T>) -> bool {
    match (wanted, value) {
        (None, _) => true,
        (Some(wanted), Some(value)) => wanted.contains(value),
        (Some(_), None) => false,
    }
}

/// An attribute of the record as the event left it.
fn attribute<T: std::str::FromStr>(event: &Event, name: &str) -> Option<T> {
    event.state.as_ref()?.get(name)?.as_str()?.parse().ok()
}

impl Watch for ClaimWatch {
    type Notice = ClaimNotice;

    async fn check(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        event: &Event,
    ) -> Result<Option<ClaimNotice>, AppError> {
        let change = match event.entity_type.as_str() {
            claims::ENTITY => ClaimChange::of(&event.operation),
            // A claim's appearances are part of it: one added or removed (an article
            // deleted, say) updates the claim.
            APPEARANCE if event.claim_id.is_some() => Some(ClaimChange::Updated),
            _ => None,
        };
        let Some(change) = change else {
            return Ok(None);
        };
        let claim_id = event.claim_id.unwrap_or(event.entity_id);
        if !allows(&self.changes, Some(&change)) {
            return Ok(None);
        }
        // Filters apply to the claim as this change left it.
        let status = attribute(event, "status");
        let kind = attribute(event, "kind");
        let speaker: Option<Uuid> = attribute(event, "speaker_id");
        if !allows(&self.status, status.as_ref())
            || !allows(&self.kind, kind.as_ref())
            || self
                .speaker_id
                .is_some_and(|wanted| speaker != Some(wanted))
        {
            return Ok(None);
        }
        if let Some(article) = self.article_id {
            let placed = appearance::Entity::find()
                .filter(appearance::Column::ClaimId.eq(claim_id))
                .filter(appearance::Column::ArticleId.eq(article))
                .count(db)
                .await?;
            if placed == 0 {
                return Ok(None);
            }
        }
        let claim = match change {
            ClaimChange::Deleted => None,
            _ => Some(claims::get(db, actor, claim_id).await?),
        };
        Ok(Some(ClaimNotice {
            event: event.clone(),
            change,
            claim,
        }))
    }
}

/// How a verification changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationChange {
    Recorded,
    Retracted,
}

/// Verifications to watch; every given filter must hold.
pub struct VerificationWatch {
    pub claim_id: Option<Uuid>,
    pub verdict: Option<Vec<Verdict>>,
    pub speaker_id: Option<Uuid>,
    pub include_retractions: bool,
}

/// A verification event with the verification (retracted ones show their retraction).
pub struct VerificationNotice {
    pub event: Event,
    pub change: VerificationChange,
    pub verification: verification::Model,
}

impl Watch for VerificationWatch {
    type Notice = VerificationNotice;

    async fn check(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        event: &Event,
    ) -> Result<Option<VerificationNotice>, AppError> {
        if event.entity_type != "verification" {
            return Ok(None);
        }
        let change = match event.operation.as_str() {
            "recorded" => VerificationChange::Recorded,
            "retracted" if self.include_retractions => VerificationChange::Retracted,
            _ => return Ok(None),
        };
        if self
            .claim_id
            .is_some_and(|wanted| event.claim_id != Some(wanted))
        {
            return Ok(None);
        }
        let verdict = attribute(event, "verdict");
        if !allows(&self.verdict, verdict.as_ref()) {
            return Ok(None);
        }
        let verification = verifications::get(db, actor, event.entity_id).await?;
        if let Some(wanted) = self.speaker_id {
            let claim = claims::get(db, actor, verification.claim_id).await?;
            if claim.speaker_id != Some(wanted) {
                return Ok(None);
            }
        }
        Ok(Some(VerificationNotice {
            event: event.clone(),
            change,
            verification,
        }))
    }
}

/// How a conflict between figures changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictChange {
    Detected,
    Resolved,
}

/// Conflicts to watch: all, or those about one quantity key.
pub struct ConflictWatch {
    pub key: Option<String>,
}

/// A conflict event with the conflict as it is now.
pub struct ConflictNotice {
    pub event: Event,
    pub change: ConflictChange,
    pub conflict: ConflictView,
}

impl Watch for ConflictWatch {
    type Notice = ConflictNotice;

    async fn check(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        event: &Event,
    ) -> Result<Option<ConflictNotice>, AppError> {
        if event.entity_type != quantities::ENTITY {
            return Ok(None);
        }
        let change = match event.operation.as_str() {
            "detected" => ConflictChange::Detected,
            "resolved" => ConflictChange::Resolved,
            _ => return Ok(None),
        };
        let key: Option<String> = attribute(event, "key");
        if self.key.is_some() && key != self.key {
            return Ok(None);
        }
        let conflict = quantities::get_conflict(db, actor, event.entity_id).await?;
        Ok(Some(ConflictNotice {
            event: event.clone(),
            change,
            conflict,
        }))
    }
}
