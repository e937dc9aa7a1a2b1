//! Verifications: recording, retracting, and their relation fields.

use async_graphql::{ComplexObject, Context, InputObject, Object};
use uuid::Uuid;

use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::{CitationsKey, ClaimKey, RetractionKey, SourceKey};
use crate::domain::{Stance, Verdict};
use crate::service::verifications::{self, NewCitation, NewVerification};
use crate::views;

/// A piece of evidence.
#[derive(InputObject)]
pub struct CitationInput {
    /// Where the evidence is (http or https).
    pub url: String,
    /// The source the evidence comes from.
    pub source_id: Option<Uuid>,
    /// The relevant passage.
    pub excerpt: Option<String>,
    /// How it bears on the claim (default CONTEXT).
    #[graphql(default_with = "Stance::Context")]
    pub stance: Stance,
}

/// A judgement to record.
#[derive(InputObject)]
pub struct RecordVerificationInput {
    /// The verdict.
    pub verdict: Verdict,
    /// The explanation.
    pub summary: String,
    /// The evidence, in order.
    #[graphql(default)]
    pub citations: Vec<CitationInput>,
}

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
        let command = NewVerification {
            verdict: input.verdict,
            summary: input.summary,
            citations: input
                .citations
                .into_iter()
                .map(|c| NewCitation {
                    url: c.url,
                    source_id: c.source_id,
                    excerpt: c.excerpt,
                    stance: c.stance,
                })
                .collect(),
        };
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
