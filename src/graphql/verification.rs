//! Verifications: recording, retracting, and their relation fields.

use async_graphql::{ComplexObject, Context, Object};
use uuid::Uuid;

use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::{CitationsKey, ClaimKey, RetractionKey, SourceKey};
use crate::service::verifications::{self, NewVerification};
use crate::views;
use crate::views::inputs::RecordVerificationInput;

#[derive(Default)]
pub struct VerificationQuery;

#[Object]
impl VerificationQuery {
    /// One verification by id.
    async fn verification(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<views::Verification>> {
        let c = request_ctx(ctx)?;
        verifications::get(&c.state.db, c.actor, id)
            .await
            .map(|m| Some(m.into()))
            .gql()
    }
}

#[derive(Default)]
pub struct VerificationMutation;

#[Object]
impl VerificationMutation {
    /// Records a verification of a claim: the claim becomes REVIEWED and its current
    /// verdict is this one. Needs the checker role.
    async fn record_verification(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        input: RecordVerificationInput,
    ) -> async_graphql::Result<views::Verification> {
        let c = request_ctx(ctx)?;
        let command: NewVerification = input.into();
        verifications::record(&c.state.db, c.actor, claim_id, command)
            .await
            .map(|r| r.verification.into())
            .gql()
    }

    /// Retracts a verification (it stays in the history, marked retracted); the claim's
    /// current verdict falls back to its latest verification that stands.
    async fn retract_verification(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<views::Verification> {
        let c = request_ctx(ctx)?;
        verifications::retract(&c.state.db, c.actor, id, &reason)
            .await
            .gql()?;
        verifications::get(&c.state.db, c.actor, id)
            .await
            .map(Into::into)
            .gql()
    }
}

#[ComplexObject]
impl views::Verification {
    /// The team's notes on this verification, oldest first (callers with credentials
    /// only: notes are internal).
    async fn notes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::connection::NoteConnection> {
        let filter = crate::service::notes::NoteFilter {
            verification_id: Some(self.id),
            without_retracted: false,
        };
        super::note::list_notes(ctx, self.claim_id, filter, first, after).await
    }

    /// The claim judged.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Claim>> {
        request_ctx(ctx)?
            .loader
            .load_one(ClaimKey(self.claim_id))
            .await
            .gql()
    }

    /// Who recorded it.
    async fn reviewer(&self) -> views::Reviewer {
        views::Reviewer {
            id: self.reviewer_id,
            name: self.reviewer_name.clone(),
        }
    }

    /// The evidence, in order.
    async fn citations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<views::Citation>> {
        let found = request_ctx(ctx)?
            .loader
            .load_one(CitationsKey(self.id))
            .await
            .gql()?;
        Ok(found.unwrap_or_default())
    }

    /// The retraction, if this verification was withdrawn.
    async fn retraction(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<views::Retraction>> {
        request_ctx(ctx)?
            .loader
            .load_one(RetractionKey(self.id))
            .await
            .gql()
    }
}

#[ComplexObject]
impl views::Citation {
    /// The source the evidence comes from.
    async fn source(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Source>> {
        let Some(id) = self.source_id else {
            return Ok(None);
        };
        request_ctx(ctx)?.loader.load_one(SourceKey(id)).await.gql()
    }
}
