//! Candidate claims: extraction from an article's body, accepting and dismissing.

use async_graphql::{ComplexObject, Context, Object};
use uuid::Uuid;

use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::SourceKey;
use crate::domain::CandidateStatus;
use crate::service::{candidates, claims};
use crate::views;

#[derive(Default)]
pub struct CandidateMutation;

#[Object]
impl CandidateMutation {
    /// Proposes candidate claims from the article's body: quotes with their speakers
    /// and settings, figures with their bounds, reported statements. Running it again
    /// keeps what checkers already did with earlier candidates. Needs the editor role.
    async fn extract_claims(
        &self,
        ctx: &Context<'_>,
        article_id: Uuid,
    ) -> async_graphql::Result<Vec<views::ClaimCandidate>> {
        let c = request_ctx(ctx)?;
        candidates::extract_for_article(&c.state.db, c.actor, article_id)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .gql()
    }

    /// Makes a claim from a candidate, with its appearance at the candidate's span and
    /// its speaker (the matched source, or the proposed one, created if new; `speakerId`
    /// chooses another). With `linkToClaimId` (one of its `checkedBefore` matches), the
    /// candidate becomes a new appearance of that existing claim instead. Accepting the
    /// same candidate again creates nothing.
    async fn accept_candidate(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        speaker_id: Option<Uuid>,
        link_to_claim_id: Option<Uuid>,
    ) -> async_graphql::Result<views::AcceptedCandidate> {
        let c = request_ctx(ctx)?;
        candidates::accept(&c.state.db, c.actor, id, speaker_id, link_to_claim_id)
            .await
            .map(Into::into)
            .gql()
    }

    /// Sets a candidate aside.
    async fn dismiss_candidate(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<views::ClaimCandidate> {
        let c = request_ctx(ctx)?;
        candidates::dismiss(&c.state.db, c.actor, id)
            .await
            .map(Into::into)
            .gql()
    }
}

#[ComplexObject]
impl views::ClaimCandidate {
    /// The claim made from it, once accepted.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Claim>> {
        let Some(id) = self.claim_id else {
            return Ok(None);
        };
        let c = request_ctx(ctx)?;
        claims::get(&c.state.db, c.actor, id)
            .await
            .map(|m| Some(m.into()))
            .gql()
    }

    /// "Checked before?": the existing claims most likely to be this one, best first,
    /// each with a score from 0 to 1 (see `checkedBefore` at the root). Accept with
    /// `linkToClaimId` to record it as another appearance of one of them.
    async fn checked_before(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many (1 to 20).", default = 5)] first: i32,
        #[graphql(desc = "Only matches scoring at least this (0 to 1).", default = 0.2)]
        min_score: f64,
    ) -> async_graphql::Result<Vec<super::search::ClaimMatch>> {
        let c = request_ctx(ctx)?;
        let language = c
            .loader
            .load_one(super::loaders::ArticleKey(self.article_id))
            .await
            .gql()?
            .and_then(|a| a.language);
        let except: Vec<Uuid> = self.claim_id.into_iter().collect();
        super::search::checked_before(
            ctx,
            &self.text,
            language.as_deref(),
            first,
            min_score,
            &except,
        )
        .await
    }

    /// The stored source the speaker matched, if any.
    async fn speaker_source(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<views::Source>> {
        let Some(id) = self.speaker.as_ref().and_then(|s| s.source_id) else {
            return Ok(None);
        };
        request_ctx(ctx)?.loader.load_one(SourceKey(id)).await.gql()
    }
}

/// The candidates of an article, for `Article.candidates`.
pub async fn of_article(
    ctx: &Context<'_>,
    article_id: Uuid,
    status: Option<CandidateStatus>,
) -> async_graphql::Result<Vec<views::ClaimCandidate>> {
    let c = request_ctx(ctx)?;
    candidates::list_for_article(&c.state.db, c.actor, article_id, status)
        .await
        .map(|rows| rows.into_iter().map(Into::into).collect())
        .gql()
}
