//! Relay connections over service pages: opaque cursors, `first`/`after`, lazy totals.

use std::future::Future;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Enum, InputObject, Object, OutputType};
use futures_util::future::BoxFuture;

use super::error::GqlResult;
use crate::error::AppError;
use crate::service::pagination::{Direction, ListOrder, Page, PageLimits, PageRequest, SortField};

/// A connection of `T` nodes with an optional `totalCount`.
pub type ListConnection<T> = Connection<String, T, TotalCount>;

/// Counts the whole list on demand.
type Counter = Arc<dyn Fn() -> BoxFuture<'static, Result<u64, AppError>> + Send + Sync>;

/// `totalCount`, computed only when a client selects it (a count is a second statement).
pub struct TotalCount(Option<Counter>);

impl TotalCount {
    pub fn new<F, Fut>(count: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<u64, AppError>> + Send + 'static,
    {
        Self(Some(Arc::new(move || Box::pin(count()))))
    }

    /// For lists whose total is not cheap to know.
    pub fn unknown() -> Self {
        Self(None)
    }
}

#[Object]
impl TotalCount {
    /// How many items the whole list holds (all pages, same filters); null where not counted.
    async fn total_count(&self) -> async_graphql::Result<Option<u64>> {
        match &self.0 {
            Some(count) => count().await.map(Some).gql(),
            None => Ok(None),
        }
    }
}

/// Builds a connection from a page.
pub fn connection<T: OutputType>(page: Page<T>, total: TotalCount) -> ListConnection<T> {
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
    connection.edges = page
        .items
        .into_iter()
        .map(|(cursor, node)| Edge::new(cursor.encode(), node))
        .collect();
    connection
}

/// Which timestamp to order a list by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum OrderField {
    /// When the record was created.
    CreatedAt,
    /// When the record was last changed.
    UpdatedAt,
}

/// Ascending (oldest first) or descending (newest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    Asc,
    Desc,
}

/// The order of a list; ties are broken by id, so the order is total and stable.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct ListOrderInput {
    /// The timestamp to order by.
    #[graphql(default_with = "OrderField::CreatedAt")]
    pub field: OrderField,
    /// The direction.
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl From<ListOrderInput> for ListOrder {
    fn from(input: ListOrderInput) -> Self {
        ListOrder {
            field: match input.field {
                OrderField::CreatedAt => SortField::CreatedAt,
                OrderField::UpdatedAt => SortField::UpdatedAt,
            },
            direction: match input.direction {
                OrderDirection::Asc => Direction::Asc,
                OrderDirection::Desc => Direction::Desc,
            },
        }
    }
}

/// Validates paging arguments for a list in `order`.
pub fn page_request(
    limits: PageLimits,
    first: Option<i32>,
    after: Option<&str>,
    order: ListOrder,
) -> async_graphql::Result<PageRequest> {
    PageRequest::parse(first, after, order, limits).gql()
}
