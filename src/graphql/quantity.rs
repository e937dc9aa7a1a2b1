//! Figures about one quantity and the conflicts between them.

use async_graphql::{ComplexObject, Context, InputObject, Object};
use uuid::Uuid;

use super::connection::{QuantityConflictConnection, TotalCount, connection, page_request};
use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::{ClaimKey, SourceKey};
use crate::service::pagination::ListOrder;
use crate::service::quantities::{self, ConflictFilter};
use crate::views;

/// Which conflicts to list.
#[derive(InputObject, Default)]
pub struct QuantityConflictFilter {
    /// Open conflicts only (the default), resolved ones only (false), or both (null).
    #[graphql(default_with = "Some(true)")]
    pub open: Option<bool>,
    /// Conflicts about this quantity key only.
    pub key: Option<String>,
}

#[derive(Default)]
pub struct QuantityQuery;

async fn series_of(
    ctx: &Context<'_>,
    key: &str,
) -> async_graphql::Result<Option<views::QuantitySeries>> {
    let c = request_ctx(ctx)?;
    quantities::series(&c.state.db, c.actor, key)
        .await
        .map(|s| s.map(Into::into))
        .gql()
}

async fn list(
    ctx: &Context<'_>,
    filter: ConflictFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<QuantityConflictConnection> {
    let c = request_ctx(ctx)?;
    let page = page_request(
        c.state.page_limits(),
        first,
        after.as_deref(),
        ListOrder::NEWEST_FIRST,
    )?;
    let rows = quantities::list_conflicts(&c.state.db, c.actor, &filter, &page)
        .await
        .gql()?;
    let (db, actor) = (c.state.db.clone(), c.actor.clone());
    let total = TotalCount::new(move || {
        let (db, actor, filter) = (db.clone(), actor.clone(), filter.clone());
        async move { quantities::count_conflicts(&db, &actor, &filter).await }
    });
    Ok(connection(rows.map(views::QuantityConflict::from), total))
}

#[Object]
impl QuantityQuery {
    /// Every figure about one quantity over time, each with its source, interval, as-of
    /// time, verdict and standing (consistent, superseded, in conflict). Name it by `key`
    /// (see `Quantity.key`), or by `subject` and `measure` (and `unit`), which are
    /// normalised the same way. Null when no claim states a figure about it.
    async fn quantity(
        &self,
        ctx: &Context<'_>,
        key: Option<String>,
        subject: Option<String>,
        measure: Option<String>,
        unit: Option<String>,
    ) -> async_graphql::Result<Option<views::QuantitySeries>> {
        let key = match (key, subject, measure) {
            (Some(key), None, None) => key,
            (None, Some(subject), Some(measure)) => {
                quantities::key_of(&subject, &measure, unit.as_deref()).gql()?
            }
            _ => {
                return Err(crate::error::AppError::invalid(
                    "key",
                    "give either key, or subject and measure",
                ))
                .gql();
            }
        };
        series_of(ctx, &key).await
    }

    /// Conflicts between figures from different sources, newest first: open ones unless
    /// the filter says otherwise. A dashboard's list of what checkers must settle.
    async fn quantity_conflicts(
        &self,
        ctx: &Context<'_>,
        filter: Option<QuantityConflictFilter>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<QuantityConflictConnection> {
        let filter = filter.unwrap_or(QuantityConflictFilter {
            open: Some(true),
            key: None,
        });
        let filter = ConflictFilter {
            open: filter.open,
            key: filter.key,
        };
        list(ctx, filter, first, after).await
    }

    /// One conflict by id.
    async fn quantity_conflict(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<views::QuantityConflict>> {
        let c = request_ctx(ctx)?;
        quantities::get_conflict(&c.state.db, c.actor, id)
            .await
            .map(|v| Some(v.into()))
            .gql()
    }
}

#[ComplexObject]
impl views::QuantityFigure {
    /// The claim stating the figure.
    async fn claim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Claim>> {
        request_ctx(ctx)?
            .loader
            .load_one(ClaimKey(self.claim_id))
            .await
            .gql()
    }

    /// Who gives the figure.
    async fn source(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Source>> {
        let Some(id) = self.source_id else {
            return Ok(None);
        };
        request_ctx(ctx)?.loader.load_one(SourceKey(id)).await.gql()
    }
}

#[ComplexObject]
impl views::QuantitySeries {
    /// Conflicts about this quantity, newest first: open ones unless `open` says
    /// otherwise (null: all).
    async fn conflicts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(true)")] open: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<QuantityConflictConnection> {
        let filter = ConflictFilter {
            open,
            key: Some(self.key.clone()),
        };
        list(ctx, filter, first, after).await
    }
}

#[ComplexObject]
impl views::Quantity {
    /// Every figure about this quantity, from every source (null without a key).
    async fn series(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<views::QuantitySeries>> {
        match &self.key {
            Some(key) => series_of(ctx, key).await,
            None => Ok(None),
        }
    }
}
