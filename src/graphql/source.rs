//! Sources: queries, mutations and relation fields.

use async_graphql::{ComplexObject, Context, InputObject, Object};
use uuid::Uuid;

use super::connection::{
    ClaimConnection, ListOrderInput, SourceConnection, TotalCount, connection, page_request,
};
use super::context::request_ctx;
use super::error::GqlResult;
use crate::domain::SourceKind;
use crate::service::claims::ClaimFilter;
use crate::service::pagination::ListOrder;
use crate::service::sources::{self, NewSource, SourceFilter, SourcePatch};
use crate::service::verifications;
use crate::views;
use crate::views::inputs::{CreateSourceInput, UpdateSourceInput};
use chrono::{DateTime, Utc};

/// Filters for `sources`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct SourceFilterInput {
    /// Any of these kinds.
    pub kind: Option<Vec<SourceKind>>,
    /// Name contains this text (case-insensitive).
    pub name_contains: Option<String>,
}

impl From<SourceFilterInput> for SourceFilter {
    fn from(f: SourceFilterInput) -> Self {
        SourceFilter {
            kind: f.kind,
            name_contains: f.name_contains,
        }
    }
}

#[derive(Default)]
pub struct SourceQuery;

#[Object]
impl SourceQuery {
    /// One source by id.
    async fn source(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<views::Source>> {
        let c = request_ctx(ctx)?;
        sources::get(&c.state.db, c.actor, id)
            .await
            .map(|m| Some(m.into()))
            .gql()
    }

    /// Sources, newest first unless `orderBy` says otherwise.
    async fn sources(
        &self,
        ctx: &Context<'_>,
        filter: Option<SourceFilterInput>,
        order_by: Option<ListOrderInput>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<SourceConnection> {
        let c = request_ctx(ctx)?;
        let order = order_by.map(ListOrder::from).unwrap_or_default();
        let page = page_request(c.state.page_limits(), first, after.as_deref(), order)?;
        let filter = SourceFilter::from(filter.unwrap_or_default());
        let rows = sources::list(&c.state.db, c.actor, &filter, &page)
            .await
            .gql()?;
        let (db, actor) = (c.state.db.clone(), c.actor.clone());
        let total = TotalCount::new(move || {
            let (db, actor, filter) = (db.clone(), actor.clone(), filter.clone());
            async move { sources::count(&db, &actor, &filter).await }
        });
        Ok(connection(rows.map(views::Source::from), total))
    }
}

#[derive(Default)]
pub struct SourceMutation;

#[Object]
impl SourceMutation {
    /// Creates a source. Needs the editor role.
    async fn create_source(
        &self,
        ctx: &Context<'_>,
        input: CreateSourceInput,
    ) -> async_graphql::Result<views::Source> {
        let c = request_ctx(ctx)?;
        let command: NewSource = input.into();
        sources::create(&c.state.db, c.actor, command)
            .await
            .map(Into::into)
            .gql()
    }

    /// Changes a source if `expectedVersion` is still its version (else CONFLICT).
    async fn update_source(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: i32,
        input: UpdateSourceInput,
    ) -> async_graphql::Result<views::Source> {
        let c = request_ctx(ctx)?;
        let patch_command: SourcePatch = input.into();
        sources::update(&c.state.db, c.actor, id, expected_version, patch_command)
            .await
            .map(Into::into)
            .gql()
    }

    /// Deletes a source nothing refers to (else CONFLICT). With `expectedVersion`, only
    /// that version (else CONFLICT, nothing deleted). Returns its id.
    async fn delete_source(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Uuid> {
        let c = request_ctx(ctx)?;
        sources::delete(&c.state.db, c.actor, id, expected_version)
            .await
            .map(|m| m.id)
            .gql()
    }
}

#[ComplexObject]
impl views::Source {
    /// Every write to this source, oldest first unless `orderBy` says otherwise.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        order_by: Option<super::connection::ListOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::connection::AuditEventConnection> {
        let of = super::claim::Trail::Record("source", self.id);
        super::claim::trail(ctx, of, order_by, first, after).await
    }

    /// Claims attributed to this source, newest first unless `orderBy` says otherwise.
    async fn claims(
        &self,
        ctx: &Context<'_>,
        order_by: Option<ListOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ClaimConnection> {
        let filter = ClaimFilter {
            speaker_id: Some(self.id),
            ..ClaimFilter::default()
        };
        super::claim::list_claims(ctx, filter, order_by, first, after).await
    }

    /// How this source's claims were judged in `[from, to)` (either end may be left
    /// open): each claim counted once, by its latest verdict in the window that still
    /// stands.
    async fn record(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<views::SpeakerRecord> {
        let c = request_ctx(ctx)?;
        verifications::speaker_record(&c.state.db, c.actor, self.id, from, to)
            .await
            .map(Into::into)
            .gql()
    }
}
