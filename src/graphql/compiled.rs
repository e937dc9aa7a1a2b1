//! Compiled claims queries: a query whose only root field is `claims`, selecting the
//! dashboard's kind of fields (claim values, quantity, speaker, first appearances with
//! articles and outlets, latest verifications, cursors and page info), is answered by
//! one statement that builds the JSON in the database (`service::feed`), without a
//! resolver per field. Anything else, and anything that fails, goes the normal way.
//!
//! A query text is compiled only after it has been executed the normal way without any
//! error, so the document is known to be valid (fields, arguments, depth, complexity);
//! each later request then only checks its variables, through the same input types.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{InputType, Name, Positioned, Variables};
use async_graphql_value::{ConstValue, Value};

use super::claim::ClaimFilterInput;
use super::connection::{ListOrderInput, page_request};
use crate::domain::Actor;
use crate::service::claims::{self, ClaimFilter};
use crate::service::feed::{
    self, AppearanceAttr, AppearanceField, ArticleAttr, ArticleField, ClaimAttr, ClaimField,
    Fields, List, ListPart, QuantityAttr, SourceAttr, VerificationAttr,
};
use crate::service::pagination::{ListOrder, PageLimits};
use crate::state::AppState;

/// Plans by page-size limits (nested lists take their default size from them, and one
/// process may serve several configurations, as tests do) and query text; `None`: that
/// text is not a compilable claims query.
type Plans = HashMap<(u32, u32), HashMap<String, Option<Arc<Plan>>>>;

static PLANS: LazyLock<Mutex<Plans>> = LazyLock::new(Mutex::default);

/// Bounds memory: past this many distinct query texts the cache starts over.
const MAX_PLANS: usize = 1000;

/// A compiled claims query.
#[derive(Debug)]
pub struct Plan {
    operation: Option<Name>,
    defaults: HashMap<Name, ConstValue>,
    alias: String,
    arguments: Vec<(Name, Value)>,
    parts: Vec<(String, Part)>,
    node: feed::Shape,
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

/// What the cache knows of a query text.
pub enum Known {
    Compiled(Arc<Plan>),
    NotCompilable,
    Unseen,
}

pub fn lookup(query: &str, limits: PageLimits) -> Known {
    let plans = PLANS.lock().unwrap_or_else(PoisonError::into_inner);
    match plans
        .get(&(limits.default_size, limits.max_size))
        .and_then(|texts| texts.get(query))
    {
        Some(Some(plan)) => Known::Compiled(plan.clone()),
        Some(None) => Known::NotCompilable,
        None => Known::Unseen,
    }
}

/// Compiles `query`, which just ran the normal way without errors, and remembers it.
pub fn learn(query: &str, limits: PageLimits) {
    let plan = async_graphql::parser::parse_query(query)
        .ok()
        .and_then(|document| compile(&document, limits))
        .map(Arc::new);
    let mut plans = PLANS.lock().unwrap_or_else(PoisonError::into_inner);
    let texts = plans
        .entry((limits.default_size, limits.max_size))
        .or_default();
    if texts.len() >= MAX_PLANS {
        texts.clear();
    }
    texts.insert(query.to_owned(), plan);
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
    let nodes_per_claim = node
        .iter()
        .flatten()
        .fold(1u64, |nodes, (_, field)| match field {
            ClaimField::Appearances(list) => nodes.saturating_add(list.first),
            ClaimField::Verifications(list) => nodes.saturating_add(list.first),
            _ => nodes,
        });
    Some(Plan {
        nodes_per_claim,
        operation: name,
        defaults,
        alias: alias.clone(),
        arguments,
        parts,
        node: feed::Shape::new(&node.unwrap_or_default()),
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
    let filter = <Option<ClaimFilterInput>>::parse(take("filter")).ok()?;
    let first = <Option<i32>>::parse(take("first")).ok()?;
    let after = <Option<String>>::parse(take("after")).ok()?;
    let order = <Option<ListOrderInput>>::parse(take("orderBy")).ok()?;
    if !values.is_empty() {
        return None;
    }
    Some(Arguments {
        filter: filter.unwrap_or_default().into(),
        first,
        after,
        order: order.map(ListOrder::from).unwrap_or_default(),
    })
}

fn text(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// Answers `plan` with the request's variables as `actor`: the response body, or `None`
/// to take the normal path (variables that do not parse, any error).
pub async fn execute(
    state: &AppState,
    actor: &Actor,
    plan: &Plan,
    request: &async_graphql::Request,
) -> Option<String> {
    let named = request.operation_name.as_deref();
    if named.is_some_and(|name| plan.operation.as_deref() != Some(name)) {
        return None;
    }
    let variables = &request.variables;
    let arguments = arguments(plan, variables)?;
    let page = page_request(
        state.page_limits(),
        arguments.first,
        arguments.after.as_deref(),
        arguments.order,
    )
    .ok()?;
    // Over the node ceiling: the normal path refuses it with the usual error.
    if page.first.saturating_mul(plan.nodes_per_claim) > state.settings.graphql.max_nodes {
        return None;
    }
    let nodes = feed::claims_page(&state.db, actor, &arguments.filter, &page, &plan.node)
        .await
        .ok()?;
    let total = if plan.parts.iter().any(|(_, p)| *p == Part::TotalCount) {
        Some(
            claims::count(&state.db, actor, &arguments.filter)
                .await
                .ok()?,
        )
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
    Some(out)
}
