//! A page of claims as JSON built by PostgreSQL in one statement: the claims with their
//! speakers, quantities, first appearances (with articles and outlets) and latest
//! verifications, shaped as the caller asks. This is how the dashboard's question is
//! answered without a statement per relation or a resolver per field; the values are
//! written exactly as the API writes them elsewhere (enums upper-case, times RFC 3339
//! with `+00:00` and only the sub-second digits there are, decimals as strings).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};
use uuid::Uuid;

use super::claims::{ClaimFilter, filtered};
use super::pagination::{Direction, Page, PageRequest, SortField, into_page, keyset};
use super::require;
use crate::domain::{Actor, Role};
use crate::entity::claim;
use crate::error::AppError;

/// How a stored value is written in the API's JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// As the database's JSON writes it (text, numbers, booleans, ids).
    Plain,
    /// A stored lower_snake_case enum, written UPPER_SNAKE_CASE.
    Enum,
    /// A timestamp, written as `to_rfc3339` does: seconds, then 3 or 6 sub-second digits
    /// only when there are any, and `+00:00`.
    Time,
}

/// Names a stored column and how it is written.
pub trait Attribute: Copy {
    fn column(self) -> (&'static str, Form);
}

macro_rules! attributes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => ($column:literal, $form:ident)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl Attribute for $name {
            fn column(self) -> (&'static str, Form) {
                match self { $($name::$variant => ($column, Form::$form)),+ }
            }
        }
    };
}

attributes! {
    /// A claim's own values.
    ClaimAttr {
        Id => ("id", Plain), Kind => ("kind", Enum), Text => ("text", Plain),
        SpeakerId => ("speaker_id", Plain), Status => ("status", Enum),
        CurrentVerdict => ("current_verdict", Enum), Quote => ("quote", Plain),
        Setting => ("setting", Plain), Version => ("version", Plain),
        CreatedAt => ("created_at", Time), UpdatedAt => ("updated_at", Time),
    }
}

attributes! {
    /// A quantity claim's figure.
    QuantityAttr {
        Subject => ("subject", Plain), Measure => ("measure", Plain), Value => ("value", Plain),
        Lower => ("lower_bound", Plain), Upper => ("upper_bound", Plain), Unit => ("unit", Plain),
        Approximate => ("approximate", Plain), AsOf => ("as_of", Time), Key => ("quantity_key", Plain),
    }
}

attributes! {
    /// A source's values (speakers, outlets).
    SourceAttr {
        Id => ("id", Plain), Kind => ("kind", Enum), Name => ("name", Plain),
        Description => ("description", Plain), Url => ("url", Plain), Version => ("version", Plain),
        CreatedAt => ("created_at", Time), UpdatedAt => ("updated_at", Time),
    }
}

attributes! {
    /// An appearance's own values.
    AppearanceAttr {
        Id => ("id", Plain), ClaimId => ("claim_id", Plain), ArticleId => ("article_id", Plain),
        Excerpt => ("excerpt", Plain), SpanStart => ("span_start", Plain),
        SpanEnd => ("span_end", Plain), CreatedAt => ("created_at", Time),
    }
}

attributes! {
    /// An article's values (the body is left out: dashboards do not ship it).
    ArticleAttr {
        Id => ("id", Plain), Url => ("url", Plain), Title => ("title", Plain),
        OutletId => ("outlet_id", Plain), PublishedAt => ("published_at", Time),
        Language => ("language", Plain), Version => ("version", Plain),
        CreatedAt => ("created_at", Time), UpdatedAt => ("updated_at", Time),
    }
}

attributes! {
    /// A verification's values.
    VerificationAttr {
        Id => ("id", Plain), ClaimId => ("claim_id", Plain), Verdict => ("verdict", Enum),
        Rating => ("rating", Plain), Summary => ("summary", Plain),
        ReviewerId => ("reviewer_id", Plain), ReviewerName => ("reviewer_name", Plain),
        CreatedAt => ("created_at", Time),
    }
}

/// Fields under their response names, in order.
pub type Fields<F> = Vec<(String, F)>;

/// What a claim node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum ClaimField {
    Attr(ClaimAttr),
    /// Null unless the claim is a quantity claim.
    Quantity(Fields<QuantityAttr>),
    /// Null without a speaker.
    Speaker(Fields<SourceAttr>),
    /// The first `n` appearances, oldest first.
    Appearances(List<AppearanceField>),
    /// The latest `n` verifications, newest first.
    Verifications(List<VerificationAttr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum AppearanceField {
    Attr(AppearanceAttr),
    Article(Fields<ArticleField>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArticleField {
    Attr(ArticleAttr),
    /// Null without an outlet.
    Outlet(Fields<SourceAttr>),
}

/// A nested list as a connection: `{ nodes: [...] }` and/or `{ edges: [{ node }] }`.
#[derive(Clone, Debug, PartialEq)]
pub struct List<F> {
    pub first: u64,
    pub parts: Fields<ListPart<F>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ListPart<F> {
    Nodes(Fields<F>),
    /// Edges with only their node (under the given name).
    Edges(String, Fields<F>),
}

/// A response name as a SQL string literal. Names are GraphQL names (letters, digits,
/// underscores), checked by the caller; quotes are doubled all the same.
fn literal(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

fn render(expr: &str, form: Form) -> String {
    match form {
        Form::Plain => expr.to_owned(),
        Form::Enum => format!("upper({expr})"),
        Form::Time => format!(
            "(to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || \
             CASE WHEN extract(microseconds FROM {expr})::bigint % 1000000 = 0 THEN '' \
             WHEN extract(microseconds FROM {expr})::bigint % 1000 = 0 THEN '.' || to_char({expr}, 'MS') \
             ELSE '.' || to_char({expr}, 'US') END || '+00:00')"
        ),
    }
}

fn attr<A: Attribute>(alias: &str, attribute: A) -> String {
    let (column, form) = attribute.column();
    render(&format!("{alias}.{column}"), form)
}

fn object(members: Vec<(String, String)>) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(name, value)| format!("{}, {value}", literal(&name)))
        .collect();
    format!("json_build_object({})", members.join(", "))
}

/// `object` of `fields`, or null when the row at `alias` is missing.
fn row_object<A: Attribute>(alias: &str, present: &str, fields: &Fields<A>) -> String {
    let members = fields
        .iter()
        .map(|(name, a)| (name.clone(), attr(alias, *a)))
        .collect();
    format!(
        "CASE WHEN {present} IS NULL THEN NULL ELSE {} END",
        object(members)
    )
}

/// A connection object over `rows` (a derived table), each row written by `node`,
/// aggregated in `order`: `{ nodes: [...] }` and/or `{ edges: [{ node }] }`.
fn list<F>(list: &List<F>, rows: &str, order: &str, node: impl Fn(&Fields<F>) -> String) -> String {
    let members = list
        .parts
        .iter()
        .map(|(name, part)| {
            let element = match part {
                ListPart::Nodes(fields) => node(fields),
                ListPart::Edges(node_name, fields) => {
                    object(vec![(node_name.clone(), node(fields))])
                }
            };
            let aggregate = format!(
                "(SELECT coalesce(json_agg({element} ORDER BY {order}), '[]'::json) FROM {rows})"
            );
            (name.clone(), aggregate)
        })
        .collect();
    object(members)
}

fn appearance_object(fields: &Fields<AppearanceField>) -> String {
    let members = fields
        .iter()
        .map(|(name, field)| {
            let value = match field {
                AppearanceField::Attr(a) => attr("ap", *a),
                AppearanceField::Article(article) => object(
                    article
                        .iter()
                        .map(|(name, field)| {
                            let value = match field {
                                ArticleField::Attr(a) => attr("a", *a),
                                ArticleField::Outlet(outlet) => row_object("o", "o.id", outlet),
                            };
                            (name.clone(), value)
                        })
                        .collect(),
                ),
            };
            (name.clone(), value)
        })
        .collect();
    object(members)
}

fn claim_object(fields: &Fields<ClaimField>) -> String {
    let members = fields
        .iter()
        .map(|(name, field)| {
            let value = match field {
                ClaimField::Attr(a) => attr("c", *a),
                ClaimField::Quantity(q) => row_object("c", "c.measure", q),
                ClaimField::Speaker(s) => row_object("s", "s.id", s),
                ClaimField::Appearances(l) => list(
                    l,
                    &format!(
                        "(SELECT * FROM appearances x WHERE x.claim_id = c.id \
                         ORDER BY x.created_at, x.id LIMIT {}) ap \
                         JOIN articles a ON a.id = ap.article_id \
                         LEFT JOIN sources o ON o.id = a.outlet_id",
                        l.first
                    ),
                    "ap.created_at, ap.id",
                    appearance_object,
                ),
                ClaimField::Verifications(l) => list(
                    l,
                    &format!(
                        "(SELECT * FROM verifications x WHERE x.claim_id = c.id \
                         ORDER BY x.created_at DESC, x.id DESC LIMIT {}) v",
                        l.first
                    ),
                    "v.created_at DESC, v.id DESC",
                    |fields| {
                        object(
                            fields
                                .iter()
                                .map(|(name, a)| (name.clone(), attr("v", *a)))
                                .collect(),
                        )
                    },
                ),
            };
            (name.clone(), value)
        })
        .collect();
    object(members)
}

/// One claim of the page: its JSON node and its sort key.
#[derive(Clone, Debug)]
pub struct Node {
    pub json: String,
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// Whether this database builds the JSON itself (PostgreSQL).
pub fn supported(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// What each claim of a page is written as, with its SQL built once.
#[derive(Clone, Debug)]
pub struct Shape {
    object: String,
    speaker_join: bool,
}

impl Shape {
    pub fn new(fields: &Fields<ClaimField>) -> Self {
        Self {
            object: claim_object(fields),
            speaker_join: fields
                .iter()
                .any(|(_, f)| matches!(f, ClaimField::Speaker(_))),
        }
    }
}

/// A page of claims (as `claims::list` pages them), each written as `shape` says, in
/// one statement.
pub async fn claims_page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ClaimFilter,
    page: &PageRequest,
    shape: &Shape,
) -> Result<Page<Node>, AppError> {
    require(actor, Role::Viewer)?;
    if !supported(db) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "claims as JSON need PostgreSQL"
        )));
    }
    let time = match page.order.field {
        SortField::CreatedAt => claim::Column::CreatedAt,
        SortField::UpdatedAt => claim::Column::UpdatedAt,
    };
    let (time_name, direction) = (
        sea_orm::IdenStatic::as_str(&time),
        match page.order.direction {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        },
    );
    if page.first == 0 {
        return Ok(into_page(Vec::new(), page, |n: &Node| (n.at, n.id)));
    }
    // The limit is written into the text, not bound: under generic plans a bound limit is
    // planned as a tenth of the table, and the planner then sorts every claim.
    let inner = keyset(filtered(filter), time, claim::Column::Id, page).build(DbBackend::Postgres);
    let speaker_join = if shape.speaker_join {
        "LEFT JOIN sources s ON s.id = c.speaker_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT ({})::text AS node, c.{time_name} AS at, c.id AS id FROM ({} LIMIT {}) c \
         {speaker_join} ORDER BY c.{time_name} {direction}, c.id {direction}",
        shape.object,
        inner.sql,
        page.first + 1,
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            inner.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await?;
    let nodes = rows
        .iter()
        .map(|row| {
            Ok(Node {
                json: row.try_get("", "node")?,
                at: row.try_get("", "at")?,
                id: row.try_get("", "id")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(into_page(nodes, page, |n| (n.at, n.id)))
}
