//! A planned page of claims as JSON built by the database in one statement: the claims
//! with their speakers, quantities, first appearances (with articles and outlets) and
//! latest verifications, shaped as the query asks. The values are written exactly as
//! the resolvers write them (enums by their GraphQL names, times RFC 3339 with `+00:00`
//! and only the sub-second digits there are, decimals as strings); which claims a
//! caller sees, and in what order, is the service's rule (`claims::filtered`, keyset
//! pages), used as it is.

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, QueryTrait, Statement};
use uuid::Uuid;

use crate::domain::{Actor, ClaimKind, ClaimStatus, Role, SourceKind, Verdict};
use crate::entity::claim;
use crate::error::AppError;
use crate::service::claims::{ClaimFilter, filtered};
use crate::service::pagination::{Direction, Page, PageRequest, SortField, into_page, keyset};
use crate::service::require;

/// How a stored value is written in the API's JSON.
#[derive(Clone, Copy, Debug)]
pub enum Form {
    /// As the database's JSON writes it (text, numbers, booleans, ids).
    Plain,
    /// A stored enum, written by its GraphQL name (its stored and GraphQL spellings).
    Enum(fn() -> Vec<(String, &'static str)>),
    /// A timestamp, written as `to_rfc3339` does: seconds, then 3 or 6 sub-second digits
    /// only when there are any, and `+00:00`.
    Time,
    /// A UUID, written in its hyphenated form.
    Id,
    /// A boolean.
    Flag,
}

/// An enum's stored spelling and GraphQL name for each value, from the enum's own
/// definitions (sea-orm's and async-graphql's).
fn spellings<T>() -> Vec<(String, &'static str)>
where
    T: sea_orm::ActiveEnum<Value = String> + async_graphql::resolver_utils::EnumType + 'static,
{
    T::items()
        .iter()
        .map(|item| (item.value.to_value(), item.name))
        .collect()
}

/// Names a stored column and how it is written.
pub trait Attribute: Copy {
    fn column(self) -> (&'static str, Form);
}

macro_rules! attributes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => ($column:literal, $form:expr)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl Attribute for $name {
            fn column(self) -> (&'static str, Form) {
                use Form::*;
                match self { $($name::$variant => ($column, $form)),+ }
            }
        }
    };
}

attributes! {
    /// A claim's own values.
    ClaimAttr {
        Id => ("id", Id), Kind => ("kind", Enum(spellings::<ClaimKind>)),
        Text => ("text", Plain), SpeakerId => ("speaker_id", Id),
        Status => ("status", Enum(spellings::<ClaimStatus>)),
        CurrentVerdict => ("current_verdict", Enum(spellings::<Verdict>)), Quote => ("quote", Plain),
        Setting => ("setting", Plain), Language => ("language", Plain),
        Version => ("version", Plain),
        CreatedAt => ("created_at", Time), UpdatedAt => ("updated_at", Time),
    }
}

attributes! {
    /// A quantity claim's figure.
    QuantityAttr {
        Subject => ("subject", Plain), Measure => ("measure", Plain), Value => ("value", Plain),
        Lower => ("lower_bound", Plain), Upper => ("upper_bound", Plain), Unit => ("unit", Plain),
        Approximate => ("approximate", Flag), AsOf => ("as_of", Time), Key => ("quantity_key", Plain),
    }
}

attributes! {
    /// A source's values (speakers, outlets).
    SourceAttr {
        Id => ("id", Id), Kind => ("kind", Enum(spellings::<SourceKind>)), Name => ("name", Plain),
        Description => ("description", Plain), Url => ("url", Plain), Version => ("version", Plain),
        CreatedAt => ("created_at", Time), UpdatedAt => ("updated_at", Time),
    }
}

attributes! {
    /// An appearance's own values.
    AppearanceAttr {
        Id => ("id", Id), ClaimId => ("claim_id", Id), ArticleId => ("article_id", Id),
        Excerpt => ("excerpt", Plain), SpanStart => ("span_start", Plain),
        SpanEnd => ("span_end", Plain), CreatedAt => ("created_at", Time),
    }
}

attributes! {
    /// An article's values (the body is left out: dashboards do not ship it).
    ArticleAttr {
        Id => ("id", Id), Url => ("url", Plain), Title => ("title", Plain),
        OutletId => ("outlet_id", Id), PublishedAt => ("published_at", Time),
        Language => ("language", Plain), Version => ("version", Plain),
        CreatedAt => ("created_at", Time), UpdatedAt => ("updated_at", Time),
    }
}

attributes! {
    /// A verification's values.
    VerificationAttr {
        Id => ("id", Id), ClaimId => ("claim_id", Id), Verdict => ("verdict", Enum(spellings::<Verdict>)),
        Rating => ("rating", Plain), Summary => ("summary", Plain),
        ReviewerId => ("reviewer_id", Id), ReviewerName => ("reviewer_name", Plain),
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

/// The SQL of one database's JSON functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Postgres,
    Sqlite,
}

/// A member's value: a scalar, or JSON (an object or array) to be nested as such.
enum Member {
    Scalar(String),
    Json(String),
}

impl Dialect {
    fn render(self, expr: &str, form: Form) -> String {
        match (self, form) {
            (_, Form::Enum(spellings)) => {
                let cases: String = spellings()
                    .iter()
                    .map(|(stored, name)| {
                        format!(" WHEN {} THEN {}", literal(stored), literal(name))
                    })
                    .collect();
                // A stored value the enum does not have fails the statement (the plan is
                // dropped and the resolvers report the error), never a made-up value.
                let unreadable = match self {
                    Dialect::Postgres => format!(
                        "(({expr}) || ' is not a stored value of this enum')::integer::text"
                    ),
                    Dialect::Sqlite => {
                        format!("json(({expr}) || ' is not a stored value of this enum')")
                    }
                };
                format!(
                    "CASE WHEN {expr} IS NULL THEN NULL ELSE CASE {expr}{cases} ELSE {unreadable} END END"
                )
            }
            (Dialect::Postgres, Form::Time) => format!(
                "(to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || \
                 CASE WHEN extract(microseconds FROM {expr})::bigint % 1000000 = 0 THEN '' \
                 WHEN extract(microseconds FROM {expr})::bigint % 1000 = 0 THEN '.' || to_char({expr}, 'MS') \
                 ELSE '.' || to_char({expr}, 'US') END || '+00:00')"
            ),
            // SQLite stores times as the API writes them (RFC 3339, `+00:00`).
            (Dialect::Postgres, Form::Plain | Form::Id | Form::Flag)
            | (Dialect::Sqlite, Form::Plain | Form::Time) => expr.to_owned(),
            // SQLite stores ids as 16-byte blobs.
            (Dialect::Sqlite, Form::Id) => format!(
                "CASE WHEN {expr} IS NULL THEN NULL ELSE lower(substr(hex({expr}), 1, 8) || '-' || \
                 substr(hex({expr}), 9, 4) || '-' || substr(hex({expr}), 13, 4) || '-' || \
                 substr(hex({expr}), 17, 4) || '-' || substr(hex({expr}), 21)) END"
            ),
            // SQLite stores booleans as 0 and 1.
            (Dialect::Sqlite, Form::Flag) => {
                format!("json(CASE WHEN {expr} THEN 'true' ELSE 'false' END)")
            }
        }
    }

    fn attr<A: Attribute>(self, alias: &str, attribute: A) -> Member {
        let (column, form) = attribute.column();
        Member::Scalar(self.render(&format!("{alias}.{column}"), form))
    }

    fn object(self, members: Vec<(String, Member)>) -> String {
        let members: Vec<String> = members
            .into_iter()
            .map(|(name, value)| {
                let value = match (self, value) {
                    (_, Member::Scalar(value)) | (Dialect::Postgres, Member::Json(value)) => value,
                    // SQLite nests JSON only when it is marked as such.
                    (Dialect::Sqlite, Member::Json(value)) => format!("json({value})"),
                };
                format!("{}, {value}", literal(&name))
            })
            .collect();
        match self {
            Dialect::Postgres => format!("json_build_object({})", members.join(", ")),
            Dialect::Sqlite => format!("json_object({})", members.join(", ")),
        }
    }

    /// `object` of `fields`, or null when the row at `alias` is missing.
    fn row_object<A: Attribute>(self, alias: &str, present: &str, fields: &Fields<A>) -> Member {
        let members = fields
            .iter()
            .map(|(name, a)| (name.clone(), self.attr(alias, *a)))
            .collect();
        Member::Json(format!(
            "CASE WHEN {present} IS NULL THEN NULL ELSE {} END",
            self.object(members)
        ))
    }

    /// The JSON array of `element` over `rows`, in `order`.
    fn array(self, element: &str, rows: &str, order: &str) -> String {
        match self {
            Dialect::Postgres => format!(
                "(SELECT coalesce(json_agg({element} ORDER BY {order}), '[]'::json) FROM {rows})"
            ),
            // An ordered derived table: SQLite aggregates rows in the order they come.
            Dialect::Sqlite => format!(
                "(SELECT json_group_array(json(e)) FROM (SELECT {element} AS e FROM {rows} ORDER BY {order}))"
            ),
        }
    }

    /// A connection object over `rows` (a derived table), each row written by `node`,
    /// in `order`: `{ nodes: [...] }` and/or `{ edges: [{ node }] }`.
    fn list<F>(
        self,
        list: &List<F>,
        rows: &str,
        order: &str,
        node: impl Fn(&Fields<F>) -> String,
    ) -> Member {
        let members = list
            .parts
            .iter()
            .map(|(name, part)| {
                let element = match part {
                    ListPart::Nodes(fields) => node(fields),
                    ListPart::Edges(node_name, fields) => {
                        self.object(vec![(node_name.clone(), Member::Json(node(fields)))])
                    }
                };
                (
                    name.clone(),
                    Member::Json(self.array(&element, rows, order)),
                )
            })
            .collect();
        Member::Json(self.object(members))
    }

    fn appearance_object(self, fields: &Fields<AppearanceField>) -> String {
        let members = fields
            .iter()
            .map(|(name, field)| {
                let value = match field {
                    AppearanceField::Attr(a) => self.attr("ap", *a),
                    AppearanceField::Article(article) => Member::Json(
                        self.object(
                            article
                                .iter()
                                .map(|(name, field)| {
                                    let value = match field {
                                        ArticleField::Attr(a) => self.attr("a", *a),
                                        ArticleField::Outlet(outlet) => {
                                            self.row_object("o", "o.id", outlet)
                                        }
                                    };
                                    (name.clone(), value)
                                })
                                .collect(),
                        ),
                    ),
                };
                (name.clone(), value)
            })
            .collect();
        self.object(members)
    }

    fn claim_object(self, fields: &Fields<ClaimField>) -> String {
        let members = fields
            .iter()
            .map(|(name, field)| {
                let value = match field {
                    ClaimField::Attr(a) => self.attr("c", *a),
                    ClaimField::Quantity(q) => self.row_object("c", "c.measure", q),
                    // A subquery, not a join: a join lets PostgreSQL hash every source
                    // to find a page's speakers, where this reads one index entry each.
                    ClaimField::Speaker(s) => Member::Json(format!(
                        "(SELECT {} FROM sources s WHERE s.id = c.speaker_id)",
                        self.object(
                            s.iter()
                                .map(|(name, a)| (name.clone(), self.attr("s", *a)))
                                .collect()
                        )
                    )),
                    ClaimField::Appearances(l) => self.list(
                        l,
                        &format!(
                            "(SELECT * FROM appearances x WHERE x.claim_id = c.id \
                             ORDER BY x.created_at, x.id LIMIT {}) ap \
                             JOIN articles a ON a.id = ap.article_id \
                             LEFT JOIN sources o ON o.id = a.outlet_id",
                            l.first
                        ),
                        "ap.created_at, ap.id",
                        |fields| self.appearance_object(fields),
                    ),
                    ClaimField::Verifications(l) => self.list(
                        l,
                        &format!(
                            "(SELECT * FROM verifications x WHERE x.claim_id = c.id \
                             ORDER BY x.created_at DESC, x.id DESC LIMIT {}) v",
                            l.first
                        ),
                        "v.created_at DESC, v.id DESC",
                        |fields| {
                            self.object(
                                fields
                                    .iter()
                                    .map(|(name, a)| (name.clone(), self.attr("v", *a)))
                                    .collect(),
                            )
                        },
                    ),
                };
                (name.clone(), value)
            })
            .collect();
        self.object(members)
    }
}

/// One claim of the page: its JSON node and its sort key.
#[derive(Clone, Debug)]
pub struct Node {
    pub json: String,
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// What each claim of a page is written as, with its SQL built once.
#[derive(Clone, Debug)]
pub struct Shape {
    postgres: String,
    sqlite: String,
}

/// The most members one JSON object of a statement may have: PostgreSQL's
/// `json_build_object` takes at most 100 arguments, a name and a value per member.
const MAX_MEMBERS: usize = 50;

/// Whether every object `fields` builds stays within `MAX_MEMBERS`.
fn fits(fields: &Fields<ClaimField>) -> bool {
    fn list<F>(list: &List<F>, node: impl Fn(&Fields<F>) -> bool) -> bool {
        list.parts.len() <= MAX_MEMBERS
            && list.parts.iter().all(|(_, part)| match part {
                ListPart::Nodes(fields) | ListPart::Edges(_, fields) => node(fields),
            })
    }
    let appearance = |fields: &Fields<AppearanceField>| {
        fields.len() <= MAX_MEMBERS
            && fields.iter().all(|(_, field)| match field {
                AppearanceField::Attr(_) => true,
                AppearanceField::Article(article) => {
                    article.len() <= MAX_MEMBERS
                        && article.iter().all(|(_, field)| match field {
                            ArticleField::Attr(_) => true,
                            ArticleField::Outlet(outlet) => outlet.len() <= MAX_MEMBERS,
                        })
                }
            })
    };
    fields.len() <= MAX_MEMBERS
        && fields.iter().all(|(_, field)| match field {
            ClaimField::Attr(_) => true,
            ClaimField::Quantity(q) => q.len() <= MAX_MEMBERS,
            ClaimField::Speaker(s) => s.len() <= MAX_MEMBERS,
            ClaimField::Appearances(l) => list(l, appearance),
            ClaimField::Verifications(l) => list(l, |v| v.len() <= MAX_MEMBERS),
        })
}

impl Shape {
    /// The statement's SQL for `fields`; `None` when an object would be too wide for it.
    pub fn new(fields: &Fields<ClaimField>) -> Option<Self> {
        if !fits(fields) {
            return None;
        }
        Some(Self {
            postgres: Dialect::Postgres.claim_object(fields),
            sqlite: Dialect::Sqlite.claim_object(fields),
        })
    }
}

/// A page of claims (as `claims::list` pages them), each written as `shape` says, in
/// one statement.
pub async fn claims_page(
    db: &impl crate::service::Db,
    actor: &Actor,
    filter: &ClaimFilter,
    page: &PageRequest,
    shape: &Shape,
) -> Result<Page<Node>, AppError> {
    require(actor, Role::Viewer)?;
    crate::service::claims::prepare_search(db, filter).await?;
    let backend = db.get_database_backend();
    let (object, text) = match backend {
        DbBackend::Postgres => (&shape.postgres, "::text"),
        _ => (&shape.sqlite, ""),
    };
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
    let inner = keyset(filtered(filter, backend), time, claim::Column::Id, page).build(backend);
    let sql = format!(
        "SELECT ({object}){text} AS node, c.{time_name} AS at, c.id AS id FROM ({} LIMIT {}) c \
         ORDER BY c.{time_name} {direction}, c.id {direction}",
        inner.sql,
        page.first + 1,
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
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
