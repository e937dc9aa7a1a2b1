//! Keyset pagination: opaque cursors over `(time, id)`, never OFFSET.

use crate::dialect::first_n_per_parent_sql;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
    Statement, Value,
};
use uuid::Uuid;

use crate::error::AppError;

/// Which timestamp a list is ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
}

impl SortField {
    fn tag(self) -> &'static str {
        match self {
            SortField::CreatedAt => "c",
            SortField::UpdatedAt => "u",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// The order of a list: a timestamp, then the id to break ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListOrder {
    pub field: SortField,
    pub direction: Direction,
}

impl ListOrder {
    pub const NEWEST_FIRST: ListOrder = ListOrder {
        field: SortField::CreatedAt,
        direction: Direction::Desc,
    };
}

impl Default for ListOrder {
    fn default() -> Self {
        Self::NEWEST_FIRST
    }
}

/// A position in a list: the sort key of the last row seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub order: ListOrder,
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// Opaque to clients; versioned so the format can change.
    pub fn encode(&self) -> String {
        let raw = format!(
            "1|{}|{}|{}",
            order_tag(self.order),
            self.at.timestamp_micros(),
            self.id
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes a cursor made for `order`; a cursor from another order or list is rejected.
    pub fn decode(field: &str, raw: &str, order: ListOrder) -> Result<Self, AppError> {
        let invalid = || AppError::invalid(field, "is not a valid cursor for this list and order");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.split('|');
        let (Some("1"), Some(tag), Some(micros), Some(id), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid());
        };
        if tag != order_tag(order) {
            return Err(invalid());
        }
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(invalid)?;
        let id = id.parse::<Uuid>().map_err(|_| invalid())?;
        Ok(Cursor { order, at, id })
    }
}

fn order_tag(order: ListOrder) -> String {
    let direction = match order.direction {
        Direction::Asc => "a",
        Direction::Desc => "d",
    };
    format!("{}{direction}", order.field.tag())
}

/// Page-size limits from configuration.
#[derive(Clone, Copy, Debug)]
pub struct PageLimits {
    pub default_size: u32,
    pub max_size: u32,
}

/// A validated request for one page.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Cursor>,
    pub order: ListOrder,
}

impl PageRequest {
    /// Validates `first` (0..=max; larger is an error, never a silent clamp) and `after`.
    pub fn parse(
        first: Option<i32>,
        after: Option<&str>,
        order: ListOrder,
        limits: PageLimits,
    ) -> Result<Self, AppError> {
        let first = match first {
            None => u64::from(limits.default_size),
            Some(n) if n < 0 => return Err(AppError::invalid("first", "must not be negative")),
            Some(n) if n as u64 > u64::from(limits.max_size) => {
                return Err(AppError::invalid(
                    "first",
                    format!("must be at most {} (got {n})", limits.max_size),
                ));
            }
            Some(n) => n as u64,
        };
        let after = after
            .map(|raw| Cursor::decode("after", raw, order))
            .transpose()?;
        Ok(Self {
            first,
            after,
            order,
        })
    }
}

/// What a page's rows are found again by, written into the opaque cursors clients pass
/// back: a time and an id for most lists (`Cursor`), the queue's own order for queues.
pub trait PageCursor {
    fn encode(&self) -> String;
}

impl PageCursor for Cursor {
    fn encode(&self) -> String {
        Cursor::encode(self)
    }
}

/// One page of rows, each with its cursor.
#[derive(Clone, Debug)]
pub struct Page<T, C = Cursor> {
    pub items: Vec<(C, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T, C> Page<T, C> {
    /// The same page with each row replaced, in order, by one of `items` (built from
    /// `rows()` in one go, e.g. with related records loaded for the whole page).
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U, C> {
        Page {
            items: self.items.into_iter().map(|(c, _)| c).zip(items).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }

    /// The rows of the page, without cursors.
    pub fn rows(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.items.iter().map(|(_, row)| row.clone()).collect()
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U, C> {
        Page {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// Adds the keyset condition and order for `page` to a query on `(time_col, id_col)`.
pub fn keyset<Q, C>(mut query: Q, time_col: C, id_col: C, page: &PageRequest) -> Q
where
    Q: QueryFilter + QueryOrder,
    C: ColumnTrait,
{
    let descending = page.order.direction == Direction::Desc;
    if let Some(cursor) = page.after {
        // A row-value comparison, `(time, id) < (t, i)`: both databases walk the
        // `(time, id)` index from the cursor, where the equivalent OR would scan.
        let key = Expr::tuple([
            Expr::col((time_col.entity_name(), time_col)),
            Expr::col((id_col.entity_name(), id_col)),
        ]);
        let from = Expr::tuple([Expr::value(cursor.at), Expr::value(cursor.id)]);
        query = query.filter(if descending {
            key.lt(from)
        } else {
            key.gt(from)
        });
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    query
        .order_by(time_col, order.clone())
        .order_by(id_col, order)
}

/// Runs a keyset page query: fetches `first + 1` rows to learn whether more follow.
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    time_col: E::Column,
    id_col: E::Column,
    page: &PageRequest,
    key: impl Fn(&E::Model) -> (DateTime<Utc>, Uuid),
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    if page.first == 0 {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: page.after.is_some(),
        });
    }
    let rows = keyset(select, time_col, id_col, page)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(into_page(rows, page, key))
}

/// Cuts a `first + 1` result into a page.
pub fn into_page<T>(
    mut rows: Vec<T>,
    page: &PageRequest,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> Page<T> {
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    Page {
        items: rows
            .into_iter()
            .map(|row| {
                let (at, id) = key(&row);
                (
                    Cursor {
                        order: page.order,
                        at,
                        id,
                    },
                    row,
                )
            })
            .collect(),
        has_next_page,
        has_previous_page: page.after.is_some(),
    }
}

/// The ORDER BY that keeps each parent's rows together, in order, for rows aliased `alias`.
pub fn per_parent_order(
    alias: &str,
    parent_column: &str,
    time_column: &str,
    direction: Direction,
) -> String {
    let dir = match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    format!("ORDER BY {alias}.{parent_column}, {alias}.{time_column} {dir}, {alias}.id {dir}")
}

/// The newest (or oldest) `n` rows of `E`'s table for each parent in `parents`, in one
/// statement, so nothing is cut in Rust.
pub async fn top_n_per_parent<E: EntityTrait>(
    db: &impl ConnectionTrait,
    parent_column: &str,
    time_column: &str,
    parents: &[Uuid],
    n: u64,
    direction: Direction,
    extra: &str,
) -> Result<Vec<E::Model>, AppError> {
    if parents.is_empty() || n == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let table = E::default().table_name().to_owned();
    let sql = format!(
        "SELECT r.* FROM {} r {}",
        first_n_per_parent_sql(
            backend,
            &table,
            parent_column,
            time_column,
            direction,
            n,
            extra,
            parents.len()
        ),
        per_parent_order("r", parent_column, time_column, direction)
    );
    let values = parents.iter().map(|id| Value::from(*id));
    Ok(E::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PageLimits = PageLimits {
        default_size: 20,
        max_size: 100,
    };

    #[test]
    fn a_cursor_round_trips_and_is_bound_to_its_order() {
        let cursor = Cursor {
            order: ListOrder::NEWEST_FIRST,
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        let raw = cursor.encode();
        assert_eq!(
            Cursor::decode("after", &raw, ListOrder::NEWEST_FIRST).unwrap(),
            cursor
        );
        let other = ListOrder {
            field: SortField::UpdatedAt,
            direction: Direction::Desc,
        };
        assert!(Cursor::decode("after", &raw, other).is_err());
        assert!(Cursor::decode("after", "garbage!", ListOrder::NEWEST_FIRST).is_err());
    }

    #[test]
    fn page_size_defaults_and_is_never_silently_clamped() {
        let order = ListOrder::NEWEST_FIRST;
        assert_eq!(
            PageRequest::parse(None, None, order, LIMITS).unwrap().first,
            20
        );
        assert_eq!(
            PageRequest::parse(Some(100), None, order, LIMITS)
                .unwrap()
                .first,
            100
        );
        assert!(PageRequest::parse(Some(101), None, order, LIMITS).is_err());
        assert!(PageRequest::parse(Some(-1), None, order, LIMITS).is_err());
    }
}
