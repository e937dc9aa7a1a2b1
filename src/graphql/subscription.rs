//! Subscriptions (over the websocket at `/graphql`): committed changes, in commit order,
//! each with the changed record through the normal types.

use async_graphql::{Context, Enum, ID, InputObject, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use super::socket::Connection;
use crate::domain::{ClaimKind, ClaimStatus, Verdict};
use crate::error::AppError;
use crate::live::Event;
use crate::live::watch::{
    self, ClaimNotice, ClaimWatch, ConflictNotice, ConflictWatch, VerificationNotice,
    VerificationWatch,
};
use crate::state::AppState;
use crate::views;
use async_graphql::ErrorExtensions;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a claim changed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::live::watch::ClaimChange")]
pub enum ClaimChange {
    /// The claim was created.
    Created,
    /// Edited, or its current verdict changed, with its status unchanged.
    Updated,
    /// Its status changed (by an edit, or because a verification was recorded or retracted).
    StatusChanged,
    /// The claim was deleted (the event carries no claim).
    Deleted,
    /// Someone got the claim, or its priority or due time changed.
    Assigned,
    /// Nobody has the claim any more.
    Unassigned,
    /// Another claim was merged into it; or it was merged into another (its id now
    /// resolves to that one).
    Merged,
}

/// How a verification changed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::live::watch::VerificationChange")]
pub enum VerificationChange {
    /// A verification was recorded.
    Recorded,
    /// A verification was retracted (it shows its retraction).
    Retracted,
}

/// How a conflict between figures changed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::live::watch::ConflictChange")]
pub enum ConflictChange {
    /// Two sources were found giving disjoint figures for the same time.
    Detected,
    /// The conflict ended (see its `resolution`).
    Resolved,
}

/// Which claim changes to receive; every given filter must hold.
#[derive(InputObject, Default)]
pub struct ClaimChangedFilter {
    /// Only these kinds of change.
    pub changes: Option<Vec<ClaimChange>>,
    /// Claims (now) in any of these statuses.
    pub status: Option<Vec<ClaimStatus>>,
    /// Claims of any of these kinds.
    pub kind: Option<Vec<ClaimKind>>,
    /// Claims attributed to this source.
    pub speaker_id: Option<Uuid>,
    /// Claims appearing in this article.
    pub article_id: Option<Uuid>,
}

impl From<ClaimChangedFilter> for ClaimWatch {
    fn from(f: ClaimChangedFilter) -> Self {
        ClaimWatch {
            changes: f.changes.map(|c| c.into_iter().map(Into::into).collect()),
            status: f.status,
            kind: f.kind,
            speaker_id: f.speaker_id,
            article_id: f.article_id,
        }
    }
}

/// Which verification events to receive; every given filter must hold.
#[derive(InputObject, Default)]
pub struct VerificationRecordedFilter {
    /// Verifications of this claim.
    pub claim_id: Option<Uuid>,
    /// With any of these verdicts.
    pub verdict: Option<Vec<Verdict>>,
    /// Of claims attributed to this source.
    pub speaker_id: Option<Uuid>,
    /// Also retractions (default true).
    #[graphql(default = true)]
    pub include_retractions: bool,
}

impl From<VerificationRecordedFilter> for VerificationWatch {
    fn from(f: VerificationRecordedFilter) -> Self {
        VerificationWatch {
            claim_id: f.claim_id,
            verdict: f.verdict,
            speaker_id: f.speaker_id,
            include_retractions: f.include_retractions,
        }
    }
}

/// A committed change to a claim.
#[derive(SimpleObject)]
pub struct ClaimChangedEvent {
    /// Unique per event; events arrive in commit order.
    pub event_id: ID,
    /// What happened.
    pub change: ClaimChange,
    /// The claim changed (also for a deleted one).
    pub claim_id: Uuid,
    /// The claim as it is now; null once deleted.
    pub claim: Option<views::Claim>,
    /// Who made the change.
    pub actor: String,
    /// When the change was made.
    pub occurred_at: DateTime<Utc>,
}

/// A verification recorded or retracted.
#[derive(SimpleObject)]
pub struct VerificationEvent {
    /// Unique per event; events arrive in commit order.
    pub event_id: ID,
    /// What happened.
    pub change: VerificationChange,
    /// The verification as it is now.
    pub verification: views::Verification,
    /// Who recorded or retracted it.
    pub actor: String,
    /// When it was recorded or retracted.
    pub occurred_at: DateTime<Utc>,
}

/// A conflict between figures detected or resolved.
#[derive(SimpleObject)]
pub struct QuantityConflictEvent {
    /// Unique per event; events arrive in commit order.
    pub event_id: ID,
    /// What happened.
    pub change: ConflictChange,
    /// The conflict as it is now.
    pub conflict: views::QuantityConflict,
    /// Whose change made it happen.
    pub actor: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl From<ConflictNotice> for QuantityConflictEvent {
    fn from(n: ConflictNotice) -> Self {
        QuantityConflictEvent {
            event_id: event_id(&n.event),
            change: n.change.into(),
            conflict: n.conflict.into(),
            actor: n.event.actor_name.clone(),
            occurred_at: n.event.occurred_at,
        }
    }
}

fn event_id(event: &Event) -> ID {
    ID(format!("{}.{}", event.tx, event.seq))
}

impl From<ClaimNotice> for ClaimChangedEvent {
    fn from(n: ClaimNotice) -> Self {
        ClaimChangedEvent {
            event_id: event_id(&n.event),
            change: n.change.into(),
            claim_id: n.event.claim_id.unwrap_or(n.event.entity_id),
            claim: n.claim.map(Into::into),
            actor: n.event.actor_name.clone(),
            occurred_at: n.event.occurred_at,
        }
    }
}

impl From<VerificationNotice> for VerificationEvent {
    fn from(n: VerificationNotice) -> Self {
        VerificationEvent {
            event_id: event_id(&n.event),
            change: n.change.into(),
            verification: n.verification.into(),
            actor: n.event.actor_name.clone(),
            occurred_at: n.event.occurred_at,
        }
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

/// The stream of `watch`'s notices for this connection, as GraphQL values.
fn serve<W, T>(
    ctx: &Context<'_>,
    watch: W,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<T>> + use<W, T>>
where
    W: watch::Watch,
    T: From<W::Notice>,
{
    let state = super::context::data::<AppState>(ctx)?;
    let Ok(connection) = ctx.data::<Connection>() else {
        return Err(AppError::invalid(
            "operation",
            "subscriptions are served over the websocket at /graphql (graphql-transport-ws)",
        )
        .extend());
    };
    let notices = watch::subscribe(
        &connection.hub,
        state.db.clone(),
        connection.identity.clone(),
        watch,
    );
    Ok(rendered(notices, connection.dropped.clone()))
}

/// A subscriber that fell behind gets the SLOW_SUBSCRIBER error, then its connection is
/// closed (`dropped`).
fn rendered<N, T: From<N>>(
    notices: impl Stream<Item = Result<N, AppError>>,
    dropped: Arc<AtomicBool>,
) -> impl Stream<Item = async_graphql::Result<T>> {
    notices.map(move |notice| {
        notice.map(T::from).map_err(|error| {
            if matches!(error, AppError::SlowSubscriber { .. }) {
                dropped.store(true, Ordering::Relaxed);
            }
            error.extend()
        })
    })
}

/// Every subscription (websocket at `/graphql`, graphql-transport-ws protocol; the
/// `connection_init` payload carries `{"Authorization": "Bearer <key or token>"}`).
#[Subscription]
impl SubscriptionRoot {
    /// Claims created, edited, changing status (also through verifications), assigned or
    /// deleted,
    /// from now on, in commit order, across every instance serving this database.
    async fn claim_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<ClaimChangedFilter>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ClaimChangedEvent>>> {
        serve(ctx, ClaimWatch::from(filter.unwrap_or_default()))
    }

    /// Verifications recorded (and, unless filtered out, retracted) from now on, in
    /// commit order, across every instance serving this database.
    async fn verification_recorded(
        &self,
        ctx: &Context<'_>,
        filter: Option<VerificationRecordedFilter>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<VerificationEvent>>> {
        let filter = filter.unwrap_or(VerificationRecordedFilter {
            include_retractions: true,
            ..Default::default()
        });
        serve(ctx, VerificationWatch::from(filter))
    }

    /// Conflicts between figures detected or resolved from now on (those about `key`
    /// only, when given), in commit order, across every instance serving this database.
    async fn quantity_conflict_changed(
        &self,
        ctx: &Context<'_>,
        key: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<QuantityConflictEvent>>>
    {
        serve(ctx, ConflictWatch { key })
    }
}
