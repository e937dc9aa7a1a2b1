//! Relay connections over service pages: opaque cursors, `first`/`after`, lazy totals.

use std::future::Future;
use std::sync::Arc;

use async_graphql::connection::PageInfo;
use async_graphql::{Enum, InputObject};
use futures_util::future::BoxFuture;

use super::error::GqlResult;
use crate::error::AppError;
use crate::service::pagination::{
    Direction, ListOrder, Page, PageCursor, PageLimits, PageRequest, SortField,
};
use crate::views;

/// `totalCount`, computed only when a client selects it (a count is a second statement).
pub struct TotalCount(Option<Counter>);

/// Counts the whole list on demand.
type Counter = Arc<dyn Fn() -> BoxFuture<'static, Result<u64, AppError>> + Send + Sync>;

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

    async fn resolve(&self) -> async_graphql::Result<Option<u64>> {
        match &self.0 {
            Some(count) => count().await.map(Some).gql(),
            None => Ok(None),
        }
    }
}

/// Builds a Relay connection from a service page.
pub trait FromPage<T>: Sized {
    fn from_page<K: PageCursor>(page: Page<T, K>, total: TotalCount) -> Self;
}

/// Builds a connection of the type the caller returns.
pub fn connection<C: FromPage<T>, T, K: PageCursor>(page: Page<T, K>, total: TotalCount) -> C {
    C::from_page(page, total)
}

fn page_info<T, K: PageCursor>(page: &Page<T, K>) -> PageInfo {
    PageInfo {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        start_cursor: page.items.first().map(|(c, _)| c.encode()),
        end_cursor: page.items.last().map(|(c, _)| c.encode()),
    }
}

/// Declares a concrete Relay connection and edge type for a node type.
macro_rules! connection_type {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ": edges with opaque cursors, and how to continue.")]
        #[derive(async_graphql::SimpleObject)]
        #[graphql(complex)]
        pub struct $connection {
            /// The items of this page, each with its cursor.
            pub edges: Vec<$edge>,
            /// The items of this page, without cursors.
            pub nodes: Vec<$node>,
            /// Whether more pages follow, and the cursors to continue from.
            pub page_info: PageInfo,
            #[graphql(skip)]
            pub total: TotalCount,
        }

        #[doc = concat!("One of ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Pass as `after` to continue after this item.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        #[async_graphql::ComplexObject]
        impl $connection {
            /// How many items the whole list holds (all pages, same filters); null where
            /// it is not counted. Costs one more statement: select it only when shown.
            async fn total_count(&self) -> async_graphql::Result<Option<u64>> {
                self.total.resolve().await
            }
        }

        impl FromPage<$node> for $connection {
            fn from_page<K: PageCursor>(page: Page<$node, K>, total: TotalCount) -> Self {
                let page_info = page_info(&page);
                let (edges, nodes) = page
                    .items
                    .into_iter()
                    .map(|(cursor, node)| {
                        let edge = $edge {
                            cursor: cursor.encode(),
                            node: node.clone(),
                        };
                        (edge, node)
                    })
                    .unzip();
                Self {
                    edges,
                    nodes,
                    page_info,
                    total,
                }
            }
        }
    };
}

connection_type!(SourceConnection, SourceEdge, views::Source, "sources");
connection_type!(ArticleConnection, ArticleEdge, views::Article, "articles");
connection_type!(ClaimConnection, ClaimEdge, views::Claim, "claims");
connection_type!(NoteConnection, NoteEdge, views::Note, "notes");
connection_type!(
    AppearanceConnection,
    AppearanceEdge,
    views::Appearance,
    "appearances"
);
connection_type!(
    VerificationConnection,
    VerificationEdge,
    views::Verification,
    "verifications"
);
connection_type!(
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    views::WebhookDelivery,
    "webhook deliveries"
);
connection_type!(
    QuantityConflictConnection,
    QuantityConflictEdge,
    views::QuantityConflict,
    "conflicts between figures"
);
connection_type!(
    AuditEventConnection,
    AuditEventEdge,
    views::AuditEvent,
    "audit events"
);

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
    /// Oldest first.
    Asc,
    /// Newest first.
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
