//! Notes: the team's internal discussion of claims and verifications.

use async_graphql::{ComplexObject, Context, Object};
use uuid::Uuid;

use super::connection::{NoteConnection, TotalCount, connection, page_request};
use super::context::request_ctx;
use super::error::GqlResult;
use crate::service::notes::{self, NoteFilter};
use crate::service::pagination::{Direction, ListOrder, SortField};
use crate::views;
use crate::views::inputs::{AddNoteInput, EditNoteInput, RetractNoteInput};

/// A claim's notes (or a verification's), oldest first: the discussion in order.
pub async fn list_notes(
    ctx: &Context<'_>,
    claim_id: Uuid,
    filter: NoteFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<NoteConnection> {
    let c = request_ctx(ctx)?;
    let order = ListOrder {
        field: SortField::CreatedAt,
        direction: Direction::Asc,
    };
    let page = page_request(c.state.page_limits(), first, after.as_deref(), order)?;
    let rows = notes::for_claim(&c.state.db, c.actor, claim_id, filter, &page)
        .await
        .gql()?;
    Ok(connection(
        rows.map(views::Note::from),
        TotalCount::unknown(),
    ))
}

#[derive(Default)]
pub struct NoteQuery;

#[Object]
impl NoteQuery {
    /// One note by id (callers with credentials only: notes are internal).
    async fn note(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<views::Note>> {
        let c = request_ctx(ctx)?;
        notes::get(&c.state.db, c.actor, id)
            .await
            .map(|n| Some(n.into()))
            .gql()
    }
}

#[derive(Default)]
pub struct NoteMutation;

#[Object]
impl NoteMutation {
    /// Adds a note to a claim (or, with `verificationId`, to one of its verifications).
    /// Needs the checker role.
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        input: AddNoteInput,
    ) -> async_graphql::Result<views::Note> {
        let c = request_ctx(ctx)?;
        notes::add(
            &c.state.db,
            c.actor,
            claim_id,
            input.verification_id,
            &input.body,
        )
        .await
        .map(Into::into)
        .gql()
    }

    /// Changes a note's text (its author only) if `expectedVersion` is still its version;
    /// the earlier text stays in its history.
    async fn edit_note(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: i32,
        input: EditNoteInput,
    ) -> async_graphql::Result<views::Note> {
        let c = request_ctx(ctx)?;
        notes::edit(&c.state.db, c.actor, id, expected_version, &input.body)
            .await
            .map(Into::into)
            .gql()
    }

    /// Withdraws a note (its author, or an editor): it stays, marked retracted.
    async fn retract_note(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: RetractNoteInput,
    ) -> async_graphql::Result<views::Note> {
        let c = request_ctx(ctx)?;
        notes::retract(&c.state.db, c.actor, id, &input.reason)
            .await
            .map(Into::into)
            .gql()
    }
}

#[ComplexObject]
impl views::Note {
    /// The earlier texts of this note, oldest first (empty if it was never edited).
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<views::NoteRevision>> {
        let c = request_ctx(ctx)?;
        notes::revisions(&c.state.db, c.actor, self.id)
            .await
            .map(|rs| rs.into_iter().map(Into::into).collect())
            .gql()
    }
}
