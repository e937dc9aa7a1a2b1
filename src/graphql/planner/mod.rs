//! The query planner: a query whose only root field is `claims`, selecting the
//! dashboard's kind of fields (claim values, quantity, speaker, first appearances with
//! articles and outlets, latest verifications, cursors and page info), is answered by
//! one statement that builds the JSON in the database (`statement`), without a resolver
//! per field. Anything else, and anything that fails, goes the normal way.
//!
//! A query text is planned only after it has been executed the normal way without any
//! error, so the document is known to be valid (fields, arguments, depth, cost); each
//! later request then only checks its variables, through the same input types and the
//! same rules as the resolvers (required variables, unknown input fields). Each
//! application has its own planner: its plans depend on the application's page limits.

mod statement;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{InputType, Name, Positioned, Variables};
use async_graphql_value::{ConstValue, Value};
use sha2::{Digest, Sha256};

use self::statement::{
    AppearanceAttr, AppearanceField, ArticleAttr, ArticleField, ClaimAttr, ClaimField, Fields,
    List, ListPart, QuantityAttr, SourceAttr, VerificationAttr,
};
use super::connection::{ListOrderInput, page_request};
use crate::config::GraphqlSettings;
use crate::domain::Actor;
use crate::error::AppError;
use crate::service::claims::{self, ClaimFilter};
use crate::service::pagination::{ListOrder, PageLimits};
use crate::state::AppState;
use crate::views::inputs::ClaimFilterInput;

/// A query text's key: its SHA-256, so a cache entry costs the same whatever the text's
/// length (padding a query with comments pins no memory).
type Key = [u8; 32];

fn key_of(query: &str) -> Key {
    Sha256::digest(query.as_bytes()).into()
}

/// One application's plans, by query text; `None`: that text is not a plannable
/// claims query (or its plan failed).
pub struct Planner {
    limits: PageLimits,
    max_nodes: u64,
    capacity: usize,
    plans: Mutex<HashMap<Key, Option<Arc<Plan>>>>,
    answered: AtomicU64,
    dropped: AtomicU64,
}

/// Bounds memory: past this many distinct query texts, texts that are not plannable are
/// forgotten first, then everything.
const MAX_PLANS: usize = 1000;

impl Planner {
    pub fn new(settings: &GraphqlSettings) -> Self {
        Self {
            limits: PageLimits {
                default_size: settings.default_page_size,
                max_size: settings.max_page_size,
            },
            max_nodes: settings.max_nodes,
            capacity: MAX_PLANS,
            plans: Mutex::default(),
            answered: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Requests answered by a plan so far.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Plans dropped because their statement failed.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The plan learned for `query`, if any.
    pub fn lookup(&self, query: &str) -> Option<(Key, Arc<Plan>)> {
        let key = key_of(query);
        let plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        plans.get(&key).cloned().flatten().map(|plan| (key, plan))
    }

    /// Plans `query`, which just ran the normal way without errors, and remembers it
    /// (or that it is not plannable).
    pub fn learn(&self, query: &str) {
        let key = key_of(query);
        let mut plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        if plans.contains_key(&key) {
            return;
        }
        drop(plans);
        let plan = async_graphql::parser::parse_query(query)
            .ok()
            .and_then(|document| compile(&document, self.limits))
            .map(Arc::new);
        plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        if plans.len() >= self.capacity {
            plans.retain(|_, plan| plan.is_some());
            if plans.len() >= self.capacity {
                plans.clear();
            }
        }
        plans.insert(key, plan);
    }

    /// Answers `request` with `plan`: the response body, or `None` to take the normal
    /// path (variables the plan cannot take as the resolvers would, a page over the node
    /// ceiling, a failure). A plan whose statement fails is dropped and reported; the
    /// normal path then answers, and reports the error if there is one.
    pub async fn answer(
        &self,
        key: Key,
        plan: &Plan,
        state: &AppState,
        actor: &Actor,
        request: &async_graphql::Request,
    ) -> Option<String> {
        match execute(state, actor, plan, self.max_nodes, request).await {
            Ok(body) => {
                if body.is_some() {
                    self.answered.fetch_add(1, Ordering::Relaxed);
                }
                body
            }
            // A statement that failed: the plan is dropped for good (the normal path
            // answers this text from now on).
            Err(AppError::Internal(error)) => {
                tracing::warn!(error = %format!("{error:#}"), "a planned claims query failed; its plan is dropped");
                self.dropped.fetch_add(1, Ordering::Relaxed);
                let mut plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
                plans.insert(key, None);
                None
            }
            // The database is away, or the caller may not read: the normal path says so.
            Err(_) => None,
        }
    }
}

/// A compiled claims query.
#[derive(Debug)]
pub struct Plan {
    operation: Option<Name>,
    defaults: HashMap<Name, ConstValue>,
    /// Variables of a non-null type without a default: the resolvers refuse a request
    /// without them.
    required: Vec<Name>,
    alias: String,
    arguments: Vec<(Name, Value)>,
    parts: Vec<(String, Part)>,
    node: statement::Shape,
    /// Connection nodes per claim: the claim and the pages of its nested lists (the
    /// request's cost is this times its page of claims).
    nodes_per_claim: u64,
}

#[derive(Debug, PartialEq)]
enum Part {
    Nodes,
    Edges(Vec<(String, EdgeField)>),
    PageInfo(Vec<(String, PageInfoField)>),
    TotalCount,
}

#[derive(Debug, PartialEq)]
enum EdgeField {
    Cursor,
    Node,
}

#[derive(Debug, PartialEq)]
enum PageInfoField {
    HasNextPage,
    HasPreviousPage,
    StartCursor,
    EndCursor,
}

/// A field without directives: the only kind compiled.
fn plain(selection: &Positioned<Selection>) -> Option<&Field> {
    match &selection.node {
        Selection::Field(field) if field.node.directives.is_empty() => Some(&field.node),
        _ => None,
    }
}

/// The fields of `set` under their response names; `None` on a repeated name, a
/// fragment or a directive.
fn fields_of(set: &SelectionSet) -> Option<Vec<(String, &Field)>> {
    let mut fields: Vec<(String, &Field)> = Vec::new();
    for selection in &set.items {
        let field = plain(selection)?;
        let key = field.response_key().node.to_string();
        if fields.iter().any(|(k, _)| *k == key) {
            return None;
        }
        fields.push((key, field));
    }
    Some(fields)
}

/// A leaf: no arguments, no selection.
fn leaf<A>(field: &Field, attribute: Option<A>) -> Option<A> {
    (field.arguments.is_empty() && field.selection_set.node.items.is_empty())
        .then_some(attribute)
        .flatten()
}

fn leaves<A>(set: &SelectionSet, attribute: impl Fn(&str) -> Option<A>) -> Option<Fields<A>> {
    fields_of(set)?
        .into_iter()
        .map(|(key, field)| Some((key, leaf(field, attribute(field.name.node.as_str()))?)))
        .collect()
}

fn quantity_attr(name: &str) -> Option<QuantityAttr> {
    use QuantityAttr as Q;
    Some(match name {
        "subject" => Q::Subject,
        "measure" => Q::Measure,
        "value" => Q::Value,
        "lower" => Q::Lower,
        "upper" => Q::Upper,
        "unit" => Q::Unit,
        "approximate" => Q::Approximate,
        "asOf" => Q::AsOf,
        "key" => Q::Key,
        _ => return None,
    })
}

fn source_attr(name: &str) -> Option<SourceAttr> {
    use SourceAttr as S;
    Some(match name {
        "id" => S::Id,
        "kind" => S::Kind,
        "name" => S::Name,
        "description" => S::Description,
        "url" => S::Url,
        "version" => S::Version,
        "createdAt" => S::CreatedAt,
        "updatedAt" => S::UpdatedAt,
        _ => return None,
    })
}

fn verification_attr(name: &str) -> Option<VerificationAttr> {
    use VerificationAttr as V;
    Some(match name {
        "id" => V::Id,
        "claimId" => V::ClaimId,
        "verdict" => V::Verdict,
        "rating" => V::Rating,
        "summary" => V::Summary,
        "reviewerId" => V::ReviewerId,
        "reviewerName" => V::ReviewerName,
        "createdAt" => V::CreatedAt,
        _ => return None,
    })
}

fn article_fields(set: &SelectionSet) -> Option<Fields<ArticleField>> {
    use ArticleAttr as A;
    fields_of(set)?
        .into_iter()
        .map(|(key, field)| {
            let attribute = match field.name.node.as_str() {
                "outlet" if field.arguments.is_empty() => {
                    return Some((
                        key,
                        ArticleField::Outlet(leaves(&field.selection_set.node, source_attr)?),
                    ));
                }
                "id" => Some(A::Id),
                "url" => Some(A::Url),
                "title" => Some(A::Title),
                "outletId" => Some(A::OutletId),
                "publishedAt" => Some(A::PublishedAt),
                "language" => Some(A::Language),
                "version" => Some(A::Version),
                "createdAt" => Some(A::CreatedAt),
                "updatedAt" => Some(A::UpdatedAt),
                _ => None,
            };
            Some((key, ArticleField::Attr(leaf(field, attribute)?)))
        })
        .collect()
}

fn appearance_fields(set: &SelectionSet) -> Option<Fields<AppearanceField>> {
    use AppearanceAttr as A;
    fields_of(set)?
        .into_iter()
        .map(|(key, field)| {
            let attribute = match field.name.node.as_str() {
                "article" if field.arguments.is_empty() => {
                    return Some((
                        key,
                        AppearanceField::Article(article_fields(&field.selection_set.node)?),
                    ));
                }
                "id" => Some(A::Id),
                "claimId" => Some(A::ClaimId),
                "articleId" => Some(A::ArticleId),
                "excerpt" => Some(A::Excerpt),
                "spanStart" => Some(A::SpanStart),
                "spanEnd" => Some(A::SpanEnd),
                "createdAt" => Some(A::CreatedAt),
                _ => None,
            };
            Some((key, AppearanceField::Attr(leaf(field, attribute)?)))
        })
        .collect()
}

/// A nested connection with only a literal `first` (or none): its nodes and/or edges
/// with only their node.
fn nested_list<F>(
    field: &Field,
    limits: PageLimits,
    node: impl Fn(&SelectionSet) -> Option<Fields<F>>,
) -> Option<List<F>> {
    let mut first = u64::from(limits.default_size);
    for (name, value) in &field.arguments {
        match (name.node.as_str(), &value.node) {
            ("first", Value::Number(n)) => {
                first = n.as_u64().filter(|n| *n <= u64::from(limits.max_size))?;
            }
            _ => return None,
        }
    }
    let parts = fields_of(&field.selection_set.node)?
        .into_iter()
        .map(|(key, part)| {
            if !part.arguments.is_empty() {
                return None;
            }
            let part = match part.name.node.as_str() {
                "nodes" => ListPart::Nodes(node(&part.selection_set.node)?),
                "edges" => {
                    let inner = fields_of(&part.selection_set.node)?;
                    let [(node_key, node_field)] = inner.as_slice() else {
                        return None;
                    };
                    if node_field.name.node.as_str() != "node" || !node_field.arguments.is_empty() {
                        return None;
                    }
                    ListPart::Edges(node_key.clone(), node(&node_field.selection_set.node)?)
                }
                _ => return None,
            };
            Some((key, part))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(List { first, parts })
}

fn claim_fields(set: &SelectionSet, limits: PageLimits) -> Option<Fields<ClaimField>> {
    use ClaimAttr as C;
    fields_of(set)?
        .into_iter()
        .map(|(key, field)| {
            let sub = &field.selection_set.node;
            let compiled = match field.name.node.as_str() {
                "quantity" if field.arguments.is_empty() => {
                    ClaimField::Quantity(leaves(sub, quantity_attr)?)
                }
                "speaker" if field.arguments.is_empty() => {
                    ClaimField::Speaker(leaves(sub, source_attr)?)
                }
                "appearances" => {
                    ClaimField::Appearances(nested_list(field, limits, appearance_fields)?)
                }
                "verifications" => ClaimField::Verifications(nested_list(field, limits, |s| {
                    leaves(s, verification_attr)
                })?),
                name => {
                    let attribute = match name {
                        "id" => Some(C::Id),
                        "kind" => Some(C::Kind),
                        "text" => Some(C::Text),
                        "speakerId" => Some(C::SpeakerId),
                        "status" => Some(C::Status),
                        "currentVerdict" => Some(C::CurrentVerdict),
                        "quote" => Some(C::Quote),
                        "setting" => Some(C::Setting),
                        "language" => Some(C::Language),
                        "version" => Some(C::Version),
                        "createdAt" => Some(C::CreatedAt),
                        "updatedAt" => Some(C::UpdatedAt),
                        _ => None,
                    };
                    ClaimField::Attr(leaf(field, attribute)?)
                }
            };
            Some((key, compiled))
        })
        .collect()
}

fn compile(document: &ExecutableDocument, limits: PageLimits) -> Option<Plan> {
    if !document.fragments.is_empty() {
        return None;
    }
    let (name, operation) = match &document.operations {
        DocumentOperations::Single(operation) => (None, &operation.node),
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            let (name, operation) = operations.iter().next()?;
            (Some(name.clone()), &operation.node)
        }
        DocumentOperations::Multiple(_) => return None,
    };
    if operation.ty != OperationType::Query || !operation.directives.is_empty() {
        return None;
    }
    let root = fields_of(&operation.selection_set.node)?;
    let [(alias, claims)] = root.as_slice() else {
        return None;
    };
    if claims.name.node.as_str() != "claims" {
        return None;
    }
    let mut node: Option<Fields<ClaimField>> = None;
    // nodes and edges.node must ask for the same fields: one JSON per claim.
    let mut same_node = |set: &SelectionSet| -> Option<()> {
        let fields = claim_fields(set, limits)?;
        match &node {
            Some(existing) if *existing != fields => None,
            _ => {
                node = Some(fields);
                Some(())
            }
        }
    };
    let mut parts = Vec::new();
    for (key, field) in fields_of(&claims.selection_set.node)? {
        if !field.arguments.is_empty() {
            return None;
        }
        let sub = &field.selection_set.node;
        let part = match field.name.node.as_str() {
            "nodes" => {
                same_node(sub)?;
                Part::Nodes
            }
            "totalCount" if sub.items.is_empty() => Part::TotalCount,
            "edges" => Part::Edges(
                fields_of(sub)?
                    .into_iter()
                    .map(|(key, edge)| {
                        if !edge.arguments.is_empty() {
                            return None;
                        }
                        let compiled = match edge.name.node.as_str() {
                            "cursor" if edge.selection_set.node.items.is_empty() => {
                                EdgeField::Cursor
                            }
                            "node" => {
                                same_node(&edge.selection_set.node)?;
                                EdgeField::Node
                            }
                            _ => return None,
                        };
                        Some((key, compiled))
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
            "pageInfo" => Part::PageInfo(leaves(sub, |name| {
                Some(match name {
                    "hasNextPage" => PageInfoField::HasNextPage,
                    "hasPreviousPage" => PageInfoField::HasPreviousPage,
                    "startCursor" => PageInfoField::StartCursor,
                    "endCursor" => PageInfoField::EndCursor,
                    _ => return None,
                })
            })?),
            _ => return None,
        };
        parts.push((key, part));
    }
    let arguments = claims
        .arguments
        .iter()
        .map(|(name, value)| (name.node.clone(), value.node.clone()))
        .collect();
    let defaults = operation
        .variable_definitions
        .iter()
        .filter_map(|v| {
            v.node
                .default_value
                .as_ref()
                .map(|d| (v.node.name.node.clone(), d.node.clone()))
        })
        .collect();
    let required = operation
        .variable_definitions
        .iter()
        .filter(|v| !v.node.var_type.node.nullable && v.node.default_value.is_none())
        .map(|v| v.node.name.node.clone())
        .collect();
    let node = node.unwrap_or_default();
    let shape = statement::Shape::new(&node)?;
    let nodes_per_claim = node.iter().fold(1u64, |nodes, (_, field)| match field {
        ClaimField::Appearances(list) => nodes.saturating_add(list.first),
        ClaimField::Verifications(list) => nodes.saturating_add(list.first),
        _ => nodes,
    });
    Some(Plan {
        nodes_per_claim,
        operation: name,
        defaults,
        required,
        alias: alias.clone(),
        arguments,
        parts,
        node: shape,
    })
}

/// The plan's `claims` arguments with `variables`; `None` when one does not parse (the
/// normal path then reports it).
struct Arguments {
    filter: ClaimFilter,
    first: Option<i32>,
    after: Option<String>,
    order: ListOrder,
}

fn arguments(plan: &Plan, variables: &Variables) -> Option<Arguments> {
    if plan
        .required
        .iter()
        .any(|name| variables.get(name).is_none())
    {
        return None;
    }
    let mut values: HashMap<&str, ConstValue> = HashMap::new();
    for (name, value) in &plan.arguments {
        let value = value
            .clone()
            .into_const_with(|variable| {
                variables
                    .get(&variable)
                    .or_else(|| plan.defaults.get(&variable))
                    .cloned()
                    .map_or(Ok(ConstValue::Null), Ok::<_, ()>)
            })
            .ok()?;
        values.insert(name.as_str(), value);
    }
    let mut take = |name: &str| values.remove(name);
    let filter = exact::<Option<ClaimFilterInput>>(take("filter"))?;
    let first = exact::<Option<i32>>(take("first"))?;
    let after = exact::<Option<String>>(take("after"))?;
    let order = exact::<Option<ListOrderInput>>(take("orderBy"))?;
    if !values.is_empty() {
        return None;
    }
    Some(Arguments {
        // An invalid filter (a search the parser refuses): the resolvers report it.
        filter: filter.unwrap_or_default().try_into().ok()?,
        first,
        after,
        order: order.map(ListOrder::from).unwrap_or_default(),
    })
}

/// `value` as `T`, as the resolvers would take it: parsed by the same input type, and
/// refused when an input object names a field the type does not have (parsing alone
/// would ignore it; the resolvers' validation refuses it).
fn exact<T: InputType>(value: Option<ConstValue>) -> Option<T> {
    let parsed = T::parse(value.clone()).ok()?;
    let known = parsed.to_value();
    value
        .is_none_or(|value| only_known_fields(&value, &known))
        .then_some(parsed)
}

fn only_known_fields(given: &ConstValue, known: &ConstValue) -> bool {
    match (given, known) {
        (ConstValue::Object(given), ConstValue::Object(known)) => {
            given.iter().all(|(name, value)| {
                known
                    .get(name)
                    .is_some_and(|known| only_known_fields(value, known))
            })
        }
        (ConstValue::List(given), ConstValue::List(known)) => {
            given.len() == known.len()
                && given
                    .iter()
                    .zip(known)
                    .all(|(g, k)| only_known_fields(g, k))
        }
        // A single value where a list is expected is taken as a list of one.
        (given, ConstValue::List(known)) if known.len() == 1 => only_known_fields(given, &known[0]),
        _ => true,
    }
}

fn text(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// Answers `plan` with the request's variables as `actor`: the response body, or
/// `Ok(None)` to take the normal path (variables the plan does not take, a page over the
/// node ceiling).
async fn execute(
    state: &AppState,
    actor: &Actor,
    plan: &Plan,
    max_nodes: u64,
    request: &async_graphql::Request,
) -> Result<Option<String>, AppError> {
    let named = request.operation_name.as_deref();
    if named.is_some_and(|name| plan.operation.as_deref() != Some(name)) {
        return Ok(None);
    }
    let Some(arguments) = arguments(plan, &request.variables) else {
        return Ok(None);
    };
    let Ok(page) = page_request(
        state.page_limits(),
        arguments.first,
        arguments.after.as_deref(),
        arguments.order,
    ) else {
        return Ok(None);
    };
    // Over the node ceiling: the normal path refuses it with the usual error.
    if page.first.saturating_mul(plan.nodes_per_claim) > max_nodes {
        return Ok(None);
    }
    let nodes =
        statement::claims_page(&state.db, actor, &arguments.filter, &page, &plan.node).await?;
    let total = if plan.parts.iter().any(|(_, p)| *p == Part::TotalCount) {
        Some(claims::count(&state.db, actor, &arguments.filter).await?)
    } else {
        None
    };
    let cursors: Vec<String> = nodes.items.iter().map(|(c, _)| c.encode()).collect();
    let mut out = format!("{{\"data\":{{{}:{{", text(&plan.alias));
    for (i, (key, part)) in plan.parts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&text(key));
        out.push(':');
        match part {
            Part::Nodes => {
                let list: Vec<&str> = nodes.items.iter().map(|(_, n)| n.json.as_str()).collect();
                out.push_str(&format!("[{}]", list.join(",")));
            }
            Part::Edges(fields) => {
                let edges: Vec<String> = nodes
                    .items
                    .iter()
                    .zip(&cursors)
                    .map(|((_, node), cursor)| {
                        let members: Vec<String> = fields
                            .iter()
                            .map(|(key, field)| match field {
                                EdgeField::Cursor => format!("{}:{}", text(key), text(cursor)),
                                EdgeField::Node => format!("{}:{}", text(key), node.json),
                            })
                            .collect();
                        format!("{{{}}}", members.join(","))
                    })
                    .collect();
                out.push_str(&format!("[{}]", edges.join(",")));
            }
            Part::PageInfo(fields) => {
                let optional = |c: Option<&String>| c.map_or("null".to_owned(), |c| text(c));
                let members: Vec<String> = fields
                    .iter()
                    .map(|(key, field)| {
                        let value = match field {
                            PageInfoField::HasNextPage => nodes.has_next_page.to_string(),
                            PageInfoField::HasPreviousPage => nodes.has_previous_page.to_string(),
                            PageInfoField::StartCursor => optional(cursors.first()),
                            PageInfoField::EndCursor => optional(cursors.last()),
                        };
                        format!("{}:{value}", text(key))
                    })
                    .collect();
                out.push_str(&format!("{{{}}}", members.join(",")));
            }
            Part::TotalCount => out.push_str(&total.unwrap_or_default().to_string()),
        }
    }
    out.push_str("}}}");
    Ok(Some(out))
}
