//! Claims and appearances: queries, mutations and relation fields.

use async_graphql::{ComplexObject, Context, Object};
use uuid::Uuid;

use super::connection::{
    AppearanceConnection, AuditEventConnection, ClaimConnection, ListOrderInput, NoteConnection,
    TotalCount, VerificationConnection, connection, page_request,
};
use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::{
    AppearancesKey, ArticleKey, AssignmentKey, ClaimKey, SourceKey, StandingKey, VerificationsKey,
};
use crate::service::appearances;
use crate::service::claims::{self, ClaimFilter, ClaimPatch, NewClaim};
use crate::service::notes::NoteFilter;
use crate::service::pagination::{Direction, ListOrder, SortField, into_page};
use crate::service::{audit, verifications};
use crate::views;
use crate::views::inputs::{AppearanceInput, ClaimFilterInput, CreateClaimInput, UpdateClaimInput};

/// Lists claims as a connection (shared by `claims`, `Source.claims`, `Article.claims`).
pub async fn list_claims(
    ctx: &Context<'_>,
    filter: ClaimFilter,
    order_by: Option<ListOrderInput>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<ClaimConnection> {
    let c = request_ctx(ctx)?;
    let order = order_by.map(ListOrder::from).unwrap_or_default();
    let page = page_request(c.state.page_limits(), first, after.as_deref(), order)?;
    let look = ctx.look_ahead();
    let wants_speaker = look.field("edges").field("node").field("speaker").exists()
        || look.field("nodes").field("speaker").exists();
    let rows = if wants_speaker {
        // Speakers come joined to the claims; the speaker field then hits the cache.
        let rows = claims::list_with_speakers(&c.state.db, c.actor, &filter, &page)
            .await
            .gql()?;
        let speakers = rows
            .items
            .iter()
            .filter_map(|(_, (_, s))| s.clone().map(|s| (SourceKey(s.id), views::Source::from(s))));
        c.loader.feed_many(speakers).await;
        rows.map(|(claim, _)| claim)
    } else {
        claims::list(&c.state.db, c.actor, &filter, &page)
            .await
            .gql()?
    };
    let (db, actor) = (c.state.db.clone(), c.actor.clone());
    let total = TotalCount::new(move || {
        let (db, actor, filter) = (db.clone(), actor.clone(), filter.clone());
        async move { claims::count(&db, &actor, &filter).await }
    });
    Ok(connection(rows.map(views::Claim::from), total))
}

#[derive(Default)]
pub struct ClaimQuery;

#[Object]
impl ClaimQuery {
    /// One claim by id.
    async fn claim(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<views::Claim>> {
        let c = request_ctx(ctx)?;
        claims::get(&c.state.db, c.actor, id)
            .await
            .map(|m| Some(m.into()))
            .gql()
    }

    /// The audit trail of any record by its type (`claim`, `article`, `source`,
    /// `verification`, `appearance`, `note`, `tag`, `candidate`, `conflict`,
    /// `webhook_endpoint`, `api_key`, `principal`) and id, including deleted and merged
    /// records: their own events, oldest first unless `orderBy` says otherwise.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        entity_type: String,
        entity_id: Uuid,
        order_by: Option<ListOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditEventConnection> {
        trail(
            ctx,
            Trail::Record(&entity_type, entity_id),
            order_by,
            first,
            after,
        )
        .await
    }

    /// Claims, newest first unless `orderBy` says otherwise.
    async fn claims(
        &self,
        ctx: &Context<'_>,
        filter: Option<ClaimFilterInput>,
        order_by: Option<ListOrderInput>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<ClaimConnection> {
        let filter = ClaimFilter::try_from(filter.unwrap_or_default()).gql()?;
        list_claims(ctx, filter, order_by, first, after).await
    }
}

#[derive(Default)]
pub struct ClaimMutation;

#[Object]
impl ClaimMutation {
    /// Creates a claim, with the articles it appeared in. Needs the editor role.
    async fn create_claim(
        &self,
        ctx: &Context<'_>,
        input: CreateClaimInput,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        let command: NewClaim = input.into();
        claims::create(&c.state.db, c.actor, command)
            .await
            .map(Into::into)
            .gql()
    }

    /// Changes a claim if `expectedVersion` is still its version (else CONFLICT).
    async fn update_claim(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: i32,
        input: UpdateClaimInput,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        let command: ClaimPatch = input.into();
        claims::update(&c.state.db, c.actor, id, expected_version, command)
            .await
            .map(Into::into)
            .gql()
    }

    /// Deletes a claim without verifications (verified claims are history: archive them).
    /// With `expectedVersion`, only that version (else CONFLICT, nothing deleted).
    /// Returns its id.
    async fn delete_claim(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Uuid> {
        let c = request_ctx(ctx)?;
        claims::delete(&c.state.db, c.actor, id, expected_version)
            .await
            .map(|m| m.id)
            .gql()
    }

    /// Merges a duplicate (`fromId`) into a claim (`intoId`). Needs the editor role.
    /// Its appearances, verifications, notes, tags, candidates and history move to the
    /// claim, whose current verdict becomes the latest standing one of both; the
    /// duplicate is gone and its id resolves to the claim from then on (`claim(id:)`
    /// answers with it). With expected versions, only at those versions (else
    /// CONFLICT); archived claims are read-only (CONFLICT). Returns the claim.
    async fn merge_claims(
        &self,
        ctx: &Context<'_>,
        into_id: Uuid,
        from_id: Uuid,
        #[graphql(desc = "The claim's version you merge into.")] expected_version: Option<i32>,
        #[graphql(desc = "The duplicate's version you merge.")] expected_from_version: Option<i32>,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        crate::service::merges::merge(
            &c.state.db,
            c.actor,
            into_id,
            from_id,
            expected_version,
            expected_from_version,
        )
        .await
        .map(Into::into)
        .gql()
    }

    /// Records that a claim appeared in an article.
    async fn add_appearance(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        input: AppearanceInput,
    ) -> async_graphql::Result<views::Appearance> {
        let c = request_ctx(ctx)?;
        appearances::add(&c.state.db, c.actor, claim_id, input.into())
            .await
            .map(Into::into)
            .gql()
    }

    /// Removes an appearance. Returns its id.
    async fn remove_appearance(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        let c = request_ctx(ctx)?;
        appearances::remove(&c.state.db, c.actor, id, None)
            .await
            .map(|m| m.id)
            .gql()
    }
}

#[ComplexObject]
impl views::Claim {
    /// The source the claim is attributed to.
    async fn speaker(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Source>> {
        let Some(id) = self.speaker_id else {
            return Ok(None);
        };
        request_ctx(ctx)?.loader.load_one(SourceKey(id)).await.gql()
    }

    /// The ids of the duplicates merged into it (each resolves to this claim).
    async fn merged_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Uuid>> {
        let c = request_ctx(ctx)?;
        crate::service::merges::merged_ids(&c.state.db, self.id)
            .await
            .gql()
    }

    /// Its tags, by name.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<views::Tag>> {
        super::tag::tags_of(ctx, crate::service::tags::Link::Claim, self.id).await
    }

    /// Who checks the claim, by when, how urgently; null while nobody has it.
    async fn assignment(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<views::Assignment>> {
        request_ctx(ctx)?
            .loader
            .load_one(AssignmentKey(self.id))
            .await
            .gql()
    }

    /// The team's notes on this claim and its verifications, oldest first (callers with
    /// credentials only: notes are internal).
    async fn notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Leave out retracted notes (default: keep them, marked).")]
        without_retracted: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<NoteConnection> {
        let filter = NoteFilter {
            verification_id: None,
            without_retracted: without_retracted.unwrap_or(false),
        };
        super::note::list_notes(ctx, self.id, filter, first, after).await
    }

    /// Where the claim appeared, oldest first.
    async fn appearances(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AppearanceConnection> {
        let c = request_ctx(ctx)?;
        let order = ListOrder {
            field: SortField::CreatedAt,
            direction: Direction::Asc,
        };
        let page = page_request(c.state.page_limits(), first, after.as_deref(), order)?;
        let rows = if page.after.is_none() {
            // The common case (first page) is batched across all claims of the response.
            let key = AppearancesKey {
                claim: self.id,
                n: page.first + 1,
            };
            let placed = c.loader.load_one(key).await.gql()?.unwrap_or_default();
            // Articles and outlets came in the same statement: their fields hit the cache.
            let articles = placed
                .iter()
                .map(|p| (ArticleKey(p.article.id), p.article.clone()));
            c.loader.feed_many(articles).await;
            let outlets = placed
                .iter()
                .filter_map(|p| p.outlet.clone().map(|o| (SourceKey(o.id), o)));
            c.loader.feed_many(outlets).await;
            let rows = placed.into_iter().map(|p| p.appearance).collect();
            into_page(rows, &page, |a| (a.created_at, a.id))
        } else {
            appearances::for_claim(&c.state.db, c.actor, self.id, &page)
                .await
                .gql()?
                .map(Into::into)
        };
        Ok(connection(rows, TotalCount::unknown()))
    }

    /// Verification history, newest first. `first: 3` gives the latest three.
    async fn verifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<VerificationConnection> {
        let c = request_ctx(ctx)?;
        let page = page_request(
            c.state.page_limits(),
            first,
            after.as_deref(),
            ListOrder::NEWEST_FIRST,
        )?;
        let rows = if page.after.is_none() {
            let key = VerificationsKey {
                claim: self.id,
                n: page.first + 1,
            };
            let rows = c.loader.load_one(key).await.gql()?.unwrap_or_default();
            into_page(rows, &page, |v| (v.created_at, v.id))
        } else {
            verifications::history(&c.state.db, c.actor, self.id, &page)
                .await
                .gql()?
                .map(Into::into)
        };
        Ok(connection(rows, TotalCount::unknown()))
    }

    /// The verification the current verdict comes from (latest not retracted).
    async fn current_verification(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<views::Verification>> {
        if self.current_verdict.is_none() {
            return Ok(None);
        }
        request_ctx(ctx)?
            .loader
            .load_one(StandingKey(self.id))
            .await
            .gql()
    }

    /// The schema.org ClaimReview (JSON-LD) of the current verification; null while no
    /// verification stands.
    async fn claim_review(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<async_graphql::Json<serde_json::Value>>> {
        if self.current_verdict.is_none() {
            return Ok(None);
        }
        let c = request_ctx(ctx)?;
        crate::interchange::claim_review::document(
            &c.state.db,
            c.actor,
            &c.state.settings.public,
            self.id,
        )
        .await
        .map(|d| Some(async_graphql::Json(d)))
        .gql()
    }

    /// Every write that concerned this claim (the claim, its appearances, its
    /// verifications), oldest first unless `orderBy` says otherwise.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        order_by: Option<ListOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditEventConnection> {
        trail(ctx, Trail::Claim(self.id), order_by, first, after).await
    }

    /// Its verdict as it stood at `asOf` (now when omitted): the latest verification
    /// recorded by then that had not been retracted by then; null when none had been.
    async fn verdict(
        &self,
        ctx: &Context<'_>,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> async_graphql::Result<Option<crate::domain::Verdict>> {
        let Some(at) = as_of else {
            return Ok(self.current_verdict);
        };
        Ok(self
            .standing_verification(ctx, Some(at))
            .await?
            .map(|v| v.verdict))
    }

    /// The verification that stood at `asOf` (now when omitted), by the rule of
    /// `verdict(asOf:)`; null when none did.
    async fn standing_verification(
        &self,
        ctx: &Context<'_>,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> async_graphql::Result<Option<views::Verification>> {
        let c = request_ctx(ctx)?;
        let at = as_of.unwrap_or_else(crate::service::now);
        crate::service::verifications::standing_as_of(&c.state.db, c.actor, self.id, at)
            .await
            .map(|v| v.map(Into::into))
            .gql()
    }
}

/// Whose audit trail to page through.
pub(super) enum Trail<'a> {
    /// A claim's, with its appearances' and verifications' events.
    Claim(Uuid),
    /// One record's own events (it may be deleted).
    Record(&'a str, Uuid),
}

/// A page of an audit trail, oldest first unless `order_by` says otherwise.
pub(super) async fn trail(
    ctx: &Context<'_>,
    of: Trail<'_>,
    order_by: Option<ListOrderInput>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<AuditEventConnection> {
    let c = request_ctx(ctx)?;
    let order = order_by.map(ListOrder::from).unwrap_or(ListOrder {
        field: SortField::CreatedAt,
        direction: Direction::Asc,
    });
    let page = page_request(c.state.page_limits(), first, after.as_deref(), order)?;
    let rows = match of {
        Trail::Claim(id) => audit::for_claim(&c.state.db, c.actor, id, &page).await,
        Trail::Record(kind, id) => audit::for_record(&c.state.db, c.actor, kind, id, &page).await,
    }
    .gql()?;
    Ok(connection(
        rows.map(views::AuditEvent::from),
        TotalCount::unknown(),
    ))
}

#[ComplexObject]
impl views::Appearance {
    /// The article the claim appeared in.
    async fn article(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Article>> {
        request_ctx(ctx)?
            .loader
            .load_one(ArticleKey(self.article_id))
            .await
            .gql()
    }

    /// The claim.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Claim>> {
        request_ctx(ctx)?
            .loader
            .load_one(ClaimKey(self.claim_id))
            .await
            .gql()
    }
}
