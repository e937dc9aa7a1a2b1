//! Assignment and queues: who checks what, by when.

use async_graphql::{Context, Object};
use uuid::Uuid;

use super::connection::{ClaimConnection, TotalCount, connection};
use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::AssignmentKey;
use crate::service::assignments::{self, QueueCursor, QueuePage};
use crate::service::claims::{self, ClaimFilter};
use crate::service::pagination::{ListOrder, PageRequest};
use crate::service::principals;
use crate::views;
use crate::views::inputs::{AssignClaimInput, ClaimFilterInput};

#[derive(Default)]
pub struct AssignmentQuery;

#[Object]
impl AssignmentQuery {
    /// The caller as a principal (a token holder is registered on first call, so that
    /// editors can assign them work); null for callers that are not principals.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Principal>> {
        let c = request_ctx(ctx)?;
        principals::of_actor(&c.state.db, c.actor)
            .await
            .map(|p| p.map(Into::into))
            .gql()
    }

    /// Everyone claims can be assigned to (checkers, editors, admins), by name.
    async fn assignable_principals(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<views::Principal>> {
        let c = request_ctx(ctx)?;
        principals::assignable(&c.state.db, c.actor)
            .await
            .map(|ps| ps.into_iter().map(Into::into).collect())
            .gql()
    }

    /// The caller's queue: the claims assigned to them, by due time (claims without one
    /// last), then priority (most urgent first). `filter` narrows it like `claims`.
    async fn my_queue(
        &self,
        ctx: &Context<'_>,
        filter: Option<ClaimFilterInput>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<ClaimConnection> {
        let c = request_ctx(ctx)?;
        let filter = ClaimFilter::try_from(filter.unwrap_or_default()).gql()?;
        let first = PageRequest::parse(first, None, ListOrder::default(), c.state.page_limits())
            .gql()?
            .first;
        let after = after
            .map(|raw| QueueCursor::decode("after", &raw))
            .transpose()
            .gql()?;
        let Some(me) = principals::of_actor(&c.state.db, c.actor).await.gql()? else {
            return Ok(connection(
                crate::service::pagination::Page::<views::Claim, QueueCursor> {
                    items: Vec::new(),
                    has_next_page: false,
                    has_previous_page: false,
                },
                TotalCount::unknown(),
            ));
        };
        let page = assignments::queue(
            &c.state.db,
            c.actor,
            me.id,
            &filter,
            &QueuePage { first, after },
        )
        .await
        .gql()?;
        // The assignments came with the claims: their field hits the cache.
        let assigned = page.items.iter().map(|(_, (claim, a))| {
            (
                AssignmentKey(claim.id),
                views::Assignment::new(a.clone(), me.clone()),
            )
        });
        c.loader.feed_many(assigned).await;
        let (db, actor) = (c.state.db.clone(), c.actor.clone());
        let mut counted = filter.clone();
        counted.assignment.assignee_id = Some(me.id);
        let total = TotalCount::new(move || {
            let (db, actor, filter) = (db.clone(), actor.clone(), counted.clone());
            async move { claims::count(&db, &actor, &filter).await }
        });
        Ok(connection(page.map(|(claim, _)| claim.into()), total))
    }
}

#[derive(Default)]
pub struct AssignmentMutation;

#[Object]
impl AssignmentMutation {
    /// Assigns a claim (or changes its assignee, priority or due time). Editors assign
    /// anyone; a checker may take an unassigned claim for themselves (omit
    /// `assigneeId`). With `expectedVersion` (the assignment's; 0 for none), only if it
    /// is still that version (else STALE_VERSION). Returns the claim.
    async fn assign_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        input: Option<AssignClaimInput>,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        let change = input.unwrap_or_default().into_change(expected_version);
        assignments::assign(&c.state.db, c.actor, claim_id, change)
            .await
            .gql()?;
        claims::get(&c.state.db, c.actor, claim_id)
            .await
            .map(Into::into)
            .gql()
    }

    /// Takes a claim away from its assignee (checkers: give back their own). Returns the
    /// claim.
    async fn unassign_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        assignments::unassign(&c.state.db, c.actor, claim_id, expected_version)
            .await
            .gql()?;
        claims::get(&c.state.db, c.actor, claim_id)
            .await
            .map(Into::into)
            .gql()
    }
}
