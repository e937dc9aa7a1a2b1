//! What a GraphQL request may cost, measured on the parsed document before anything
//! else looks at it: before credentials are checked, before validation and before
//! execution (async-graphql's own validation expands every fragment spread again, so a
//! document of a few hundred bytes can mean billions of selections there).
//!
//! Three measures, each with a configured ceiling, summed over every operation of a
//! request (a batch is one budget):
//! - **selections**: every field (aliases, `__typename` and introspection fields
//!   included) and every directive, after fragment expansion;
//! - **nodes**: the objects connections may return, the way GitHub counts them: a
//!   connection field costs its `first` (or the default page size) times the pages of
//!   every connection around it; a plain list counts as one default page;
//! - **depth**: nested fields after fragment expansion.
//!
//! Fragment costs are computed once each (memoised), so measuring is linear in the
//! size of the document whatever its fan-out. The walk also refuses what async-graphql's
//! validation lets through: unknown directives, a non-repeatable directive used twice at
//! one place, directives where none may go, and (in the text, before parsing) brackets
//! nested deeper than the parser's own limit on selection sets.

use std::collections::{HashMap, HashSet};

use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, Directive, DirectiveLocation, DocumentOperations, ExecutableDocument,
    FragmentDefinition, OperationType, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};

use crate::config::GraphqlSettings;

/// Brackets (`{`, `[`, `(`) nested deeper than this in a query text are refused before
/// it is parsed: the parser recurses on nested list and object values without a limit.
pub const MAX_TEXT_NESTING: usize = 64;

/// Names (and numbers) longer than this are refused before parsing: validation compares
/// an unknown name with every known one to suggest a fix, at a cost that grows with its
/// length (a one-megabyte field name took seconds of CPU).
pub const MAX_NAME_LENGTH: usize = 256;

/// The ceilings, from `[graphql]` settings.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_selections: u64,
    pub max_nodes: u64,
    pub max_depth: u64,
    pub default_page_size: u64,
    pub max_page_size: u64,
}

impl Limits {
    pub fn from_settings(settings: &GraphqlSettings) -> Self {
        Self {
            max_selections: settings.max_selections,
            max_nodes: settings.max_nodes,
            max_depth: settings.max_depth as u64,
            default_page_size: u64::from(settings.default_page_size),
            max_page_size: u64::from(settings.max_page_size),
        }
    }
}

/// The cost of one document or of a whole request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub selections: u64,
    pub nodes: u64,
    pub depth: u64,
}

impl Cost {
    /// The cost of two operations of one request.
    pub fn plus(self, other: Cost) -> Cost {
        Cost {
            selections: self.selections.saturating_add(other.selections),
            nodes: self.nodes.saturating_add(other.nodes),
            depth: self.depth.max(other.depth),
        }
    }

    /// The first ceiling this cost passes, if any.
    pub fn check(&self, limits: &Limits) -> Result<(), Refusal> {
        let over = |measure, actual, limit| {
            (actual > limit).then_some(Refusal::TooCostly {
                measure,
                actual,
                limit,
            })
        };
        match over("depth", self.depth, limits.max_depth)
            .or_else(|| over("selections", self.selections, limits.max_selections))
            .or_else(|| over("nodes", self.nodes, limits.max_nodes))
        {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }
}

/// Why a document is refused before validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Over a ceiling: `measure` is `selections`, `nodes`, `depth` or `nesting`.
    TooCostly {
        measure: &'static str,
        actual: u64,
        limit: u64,
    },
    /// Not a valid document (the spec's validation would refuse it too).
    Invalid(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooCostly {
                measure: "nodes",
                actual,
                limit,
            } => write!(
                f,
                "this request could return {actual} nodes; at most {limit} are allowed (ask for smaller pages or fewer connections)"
            ),
            Refusal::TooCostly {
                measure,
                actual,
                limit,
            } => write!(
                f,
                "this request has {actual} {measure} after fragment expansion; at most {limit} are allowed"
            ),
            Refusal::Invalid(message) => f.write_str(message),
        }
    }
}

/// Refuses a query text whose brackets nest deeper than `MAX_TEXT_NESTING`, or with a
/// name or number longer than `MAX_NAME_LENGTH` (strings and comments skipped, lexed as
/// GraphQL lexes them), before the parser and validation see it.
pub fn check_nesting(text: &str) -> Result<(), Refusal> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut token = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' {
            token += 1;
            if token > MAX_NAME_LENGTH {
                return Err(Refusal::Invalid(format!(
                    "names and numbers are at most {MAX_NAME_LENGTH} characters long"
                )));
            }
            i += 1;
            continue;
        }
        token = 0;
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the first `"""` not escaped as `\"""`.
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                // A string ends at an unescaped `"` (or a line end, which the parser
                // refuses anyway).
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    if deepest > MAX_TEXT_NESTING {
        return Err(Refusal::TooCostly {
            measure: "nesting",
            actual: deepest as u64,
            limit: MAX_TEXT_NESTING as u64,
        });
    }
    Ok(())
}

/// Refuses a request whose text inputs (variables, and string literals anywhere in the
/// document) hold a NUL character: no text the service keeps may (PostgreSQL cannot
/// store one, so an export from SQLite could not be imported there).
pub fn check_text(document: &ExecutableDocument, variables: &Variables) -> Result<(), Refusal> {
    fn const_has_nul(value: &ConstValue) -> bool {
        match value {
            ConstValue::String(s) => s.contains('\0'),
            ConstValue::List(items) => items.iter().any(const_has_nul),
            ConstValue::Object(fields) => fields
                .iter()
                .any(|(name, v)| name.contains('\0') || const_has_nul(v)),
            _ => false,
        }
    }
    fn has_nul(value: &Value) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::List(items) => items.iter().any(has_nul),
            Value::Object(fields) => fields.values().any(has_nul),
            _ => false,
        }
    }
    fn directives_have_nul(directives: &[Positioned<Directive>]) -> bool {
        directives
            .iter()
            .any(|d| d.node.arguments.iter().any(|(_, v)| has_nul(&v.node)))
    }
    fn set_has_nul(set: &SelectionSet) -> bool {
        set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => {
                field.node.arguments.iter().any(|(_, v)| has_nul(&v.node))
                    || directives_have_nul(&field.node.directives)
                    || set_has_nul(&field.node.selection_set.node)
            }
            Selection::FragmentSpread(spread) => directives_have_nul(&spread.node.directives),
            Selection::InlineFragment(inline) => {
                directives_have_nul(&inline.node.directives)
                    || set_has_nul(&inline.node.selection_set.node)
            }
        })
    }
    let in_variables = variables.iter().any(|(_, v)| const_has_nul(v));
    let in_document = document.operations.iter().any(|(_, op)| {
        op.node.variable_definitions.iter().any(|d| {
            d.node
                .default_value
                .as_ref()
                .is_some_and(|v| const_has_nul(&v.node))
        }) || directives_have_nul(&op.node.directives)
            || set_has_nul(&op.node.selection_set.node)
    }) || document.fragments.values().any(|f| {
        directives_have_nul(&f.node.directives) || set_has_nul(&f.node.selection_set.node)
    });
    if in_variables || in_document {
        return Err(Refusal::Invalid(format!(
            "a text input {}",
            crate::domain::NUL_MESSAGE
        )));
    }
    Ok(())
}

/// The shape of one field of the schema, as far as costs go.
#[derive(Clone, Debug)]
struct FieldShape {
    /// The named type the field returns (lists and non-null stripped).
    type_name: String,
    /// A Relay connection: its `first` multiplies what is selected under it.
    connection: bool,
    /// A plain list of objects.
    list: bool,
}

/// What measuring needs to know of the schema: each object's fields, the root types and
/// the directives a document may use. Built once from the schema's SDL.
#[derive(Clone, Debug)]
pub struct CostModel {
    fields: HashMap<String, HashMap<String, FieldShape>>,
    roots: Vec<(OperationType, String)>,
    /// Executable directives by name, with where each may go. None may be repeated at
    /// one place: the schema has no repeatable executable directive (and the parser
    /// reads every directive definition as repeatable, so its flag cannot be used).
    directives: HashMap<String, Vec<DirectiveLocation>>,
    limits: Limits,
}

fn is_list(ty: &async_graphql::parser::types::Type) -> bool {
    matches!(ty.base, BaseType::List(_))
}

fn named(ty: &async_graphql::parser::types::Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => named(inner),
    }
}

impl CostModel {
    /// Reads the schema's SDL (as `AppSchema::sdl()` prints it).
    pub fn from_sdl(sdl: &str, limits: Limits) -> anyhow::Result<Self> {
        let document = async_graphql::parser::parse_schema(sdl)?;
        let mut fields = HashMap::new();
        let mut roots = Vec::new();
        let mut directives = HashMap::new();
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = &schema.node;
                    for (ty, root) in [
                        (OperationType::Query, &schema.query),
                        (OperationType::Mutation, &schema.mutation),
                        (OperationType::Subscription, &schema.subscription),
                    ] {
                        if let Some(root) = root {
                            roots.push((ty, root.node.to_string()));
                        }
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    // A connection's own lists (`nodes`, `edges`) hold its page: the
                    // field returning the connection already counted them.
                    let paged = ty.node.name.node.ends_with("Connection");
                    let definitions = match &ty.node.kind {
                        TypeKind::Object(object) => &object.fields,
                        TypeKind::Interface(interface) => &interface.fields,
                        _ => continue,
                    };
                    let shapes = definitions
                        .iter()
                        .map(|field| {
                            let field = &field.node;
                            let type_name = named(&field.ty.node);
                            let connection = type_name.ends_with("Connection")
                                && field.arguments.iter().any(|a| a.node.name.node == "first");
                            let shape = FieldShape {
                                connection,
                                list: !connection && !paged && is_list(&field.ty.node),
                                type_name,
                            };
                            (field.name.node.to_string(), shape)
                        })
                        .collect();
                    fields.insert(ty.node.name.node.to_string(), shapes);
                }
                TypeSystemDefinition::Directive(directive) => {
                    let directive = &directive.node;
                    let locations: Vec<_> = directive.locations.iter().map(|l| l.node).collect();
                    directives.insert(directive.name.node.to_string(), locations);
                }
            }
        }
        anyhow::ensure!(
            roots.iter().any(|(ty, _)| *ty == OperationType::Query),
            "the schema names no query root"
        );
        Ok(Self {
            fields,
            roots,
            directives,
            limits,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Measures one request (its document parsed here, once, and kept in it), refuses
    /// text inputs holding NUL, and adds it to `total`; refuses it, or the total, when
    /// over a ceiling. A document that does not parse costs nothing here: executing it
    /// reports the syntax error.
    pub fn measure_request(
        &self,
        request: &mut async_graphql::Request,
        total: Cost,
    ) -> Result<Cost, Refusal> {
        check_nesting(&request.query)?;
        let variables = request.variables.clone();
        let Ok(document) = request.parsed_query() else {
            return Ok(total);
        };
        check_text(document, &variables)?;
        let total = total.plus(self.measure(document, &variables)?);
        total.check(&self.limits)?;
        Ok(total)
    }

    /// The cost of every operation of `document` (one request), or why it is refused.
    /// Only the ceilings' measures are counted here; `Cost::check` applies them.
    pub fn measure(
        &self,
        document: &ExecutableDocument,
        variables: &Variables,
    ) -> Result<Cost, Refusal> {
        let mut walk = Walk {
            model: self,
            document,
            variables,
            fragments: HashMap::new(),
            visiting: HashSet::new(),
            used: HashSet::new(),
        };
        let mut total = Cost::default();
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            let location = match operation.ty {
                OperationType::Query => DirectiveLocation::Query,
                OperationType::Mutation => DirectiveLocation::Mutation,
                OperationType::Subscription => DirectiveLocation::Subscription,
            };
            let directives = walk.directives(&operation.directives, location)?;
            let root = self
                .roots
                .iter()
                .find(|(ty, _)| *ty == operation.ty)
                .map(|(_, root)| root)
                .ok_or_else(|| {
                    Refusal::Invalid(format!("this schema has no {} root", operation.ty))
                })?;
            let cost = walk.selection_set(&operation.selection_set.node, Some(root))?;
            total = total.plus(Cost {
                selections: cost.selections.saturating_add(directives),
                ..cost
            });
            // Stop early: a huge document need not be walked to its end.
            total.check(&self.limits)?;
        }
        if let DocumentOperations::Multiple(operations) = &document.operations
            && operations.is_empty()
        {
            return Err(Refusal::Invalid("the document has no operation".into()));
        }
        if let Some(unused) = document
            .fragments
            .keys()
            .find(|name| !walk.used.contains(name.as_str()))
        {
            // The spec's "fragments must be used" rule; refused here so that an unused
            // fragment cannot carry an unmeasured selection set into validation.
            return Err(Refusal::Invalid(format!(
                "fragment \"{unused}\" is never used"
            )));
        }
        Ok(total)
    }
}

/// One measurement: fragment costs memoised by name.
struct Walk<'a> {
    model: &'a CostModel,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    fragments: HashMap<&'a str, Cost>,
    visiting: HashSet<&'a str>,
    used: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    /// Counts directives (one selection each), refusing unknown, misplaced and repeated
    /// ones.
    fn directives(
        &self,
        directives: &'a [Positioned<Directive>],
        location: DirectiveLocation,
    ) -> Result<u64, Refusal> {
        let mut seen: HashSet<&str> = HashSet::new();
        for directive in directives {
            let name = directive.node.name.node.as_str();
            let Some(locations) = self.model.directives.get(name) else {
                return Err(Refusal::Invalid(format!("unknown directive \"@{name}\"")));
            };
            if !locations.contains(&location) {
                return Err(Refusal::Invalid(format!(
                    "directive \"@{name}\" may not be used on {location:?}"
                )));
            }
            if !seen.insert(name) {
                return Err(Refusal::Invalid(format!(
                    "directive \"@{name}\" may be used only once at one place"
                )));
            }
        }
        Ok(directives.len() as u64)
    }

    /// The cost of a selection set on `type_name` (`None`: a type the schema does not
    /// have, or an introspection type; its fields are still counted).
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        type_name: Option<&str>,
    ) -> Result<Cost, Refusal> {
        let limits = self.model.limits;
        let mut total = Cost::default();
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let directives =
                        self.directives(&field.directives, DirectiveLocation::Field)?;
                    let shape = type_name
                        .and_then(|t| self.model.fields.get(t))
                        .and_then(|fields| fields.get(field.name.node.as_str()))
                        .cloned();
                    let inner = self.selection_set(
                        &field.selection_set.node,
                        shape.as_ref().map(|s| s.type_name.as_str()),
                    )?;
                    let pages = match &shape {
                        Some(shape) if shape.connection => self.first(field.get_argument("first")),
                        Some(shape) if shape.list && !field.selection_set.node.items.is_empty() => {
                            limits.default_page_size
                        }
                        _ => 1,
                    };
                    let own_nodes = if shape.as_ref().is_some_and(|s| s.connection) {
                        pages
                    } else {
                        0
                    };
                    Cost {
                        selections: inner.selections.saturating_add(1 + directives),
                        nodes: inner.nodes.saturating_mul(pages).saturating_add(own_nodes),
                        depth: inner.depth.saturating_add(1),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    let directives =
                        self.directives(&spread.directives, DirectiveLocation::FragmentSpread)?;
                    let cost = self.fragment(&spread.fragment_name.node)?;
                    Cost {
                        selections: cost.selections.saturating_add(directives),
                        ..cost
                    }
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let directives =
                        self.directives(&inline.directives, DirectiveLocation::InlineFragment)?;
                    let on = inline
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(type_name);
                    let cost = self.selection_set(&inline.selection_set.node, on)?;
                    Cost {
                        selections: cost.selections.saturating_add(directives),
                        ..cost
                    }
                }
            };
            total = Cost {
                selections: total.selections.saturating_add(cost.selections),
                nodes: total.nodes.saturating_add(cost.nodes),
                depth: total.depth.max(cost.depth),
            };
            // However wide or deep the document, the walk stops at the first ceiling.
            total.check(&limits)?;
        }
        Ok(total)
    }

    /// A fragment's cost, computed at its first spread and remembered.
    fn fragment(&mut self, name: &'a Name) -> Result<Cost, Refusal> {
        let key = name.as_str();
        self.used.insert(key);
        if let Some(cost) = self.fragments.get(key) {
            return Ok(*cost);
        }
        let Some(definition) = self.document.fragments.get(name) else {
            return Err(Refusal::Invalid(format!("unknown fragment \"{name}\"")));
        };
        if !self.visiting.insert(key) {
            return Err(Refusal::Invalid(format!(
                "fragment \"{name}\" spreads itself"
            )));
        }
        let FragmentDefinition {
            type_condition,
            directives,
            selection_set,
        } = &definition.node;
        let directives = self.directives(directives, DirectiveLocation::FragmentDefinition)?;
        let on = type_condition.node.on.node.as_str();
        let cost = self.selection_set(&selection_set.node, Some(on))?;
        let cost = Cost {
            selections: cost.selections.saturating_add(directives),
            ..cost
        };
        self.visiting.remove(key);
        self.fragments.insert(key, cost);
        Ok(cost)
    }

    /// The page size a connection's `first` asks for: a literal or a variable, else the
    /// default. Values out of range are refused by the resolvers; here they count as
    /// the largest page.
    fn first(&self, argument: Option<&Positioned<Value>>) -> u64 {
        let limits = self.model.limits;
        let value = match argument.map(|a| &a.node) {
            None | Some(Value::Null) => return limits.default_page_size,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::Variable(name)) => match self.variables.get(name) {
                None | Some(ConstValue::Null) => return limits.default_page_size,
                Some(ConstValue::Number(n)) => n.as_i64(),
                Some(_) => None,
            },
            Some(_) => None,
        };
        match value {
            Some(n) if (0..=limits.max_page_size as i64).contains(&n) => n as u64,
            _ => limits.max_page_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
        directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
        type Source { id: ID! name: String! claims(first: Int): ClaimConnection! }
        type Claim { id: ID! speaker: Source tags: [Tag!]! verifications(first: Int): VerificationConnection! }
        type Tag { name: String! }
        type Verification { id: ID! }
        type ClaimConnection { nodes: [Claim!]! totalCount: Int! }
        type VerificationConnection { nodes: [Verification!]! }
        type QueryRoot { claims(first: Int): ClaimConnection! sources(first: Int): SourceConnection! }
        type SourceConnection { nodes: [Source!]! }
        schema { query: QueryRoot }
    "#;

    fn limits() -> Limits {
        Limits {
            max_selections: 2000,
            max_nodes: 10_000,
            max_depth: 16,
            default_page_size: 20,
            max_page_size: 100,
        }
    }

    fn measure(query: &str, variables: serde_json::Value) -> Result<Cost, Refusal> {
        let model = CostModel::from_sdl(SDL, limits()).unwrap();
        check_nesting(query)?;
        let document = async_graphql::parser::parse_query(query).unwrap();
        model.measure(&document, &Variables::from_json(variables))
    }

    #[test]
    fn connections_multiply_by_their_page_size() {
        let cost = measure(
            "{ claims(first: 50) { nodes { id verifications(first: 3) { nodes { id } } } } }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(cost.nodes, 50 + 50 * 3);
        assert_eq!(cost.selections, 6);
        assert_eq!(cost.depth, 5);
        // A variable and the default page size count the same way.
        let cost = measure(
            "query($n: Int) { claims(first: $n) { nodes { verifications { nodes { id } } } } }",
            serde_json::json!({ "n": 10 }),
        )
        .unwrap();
        assert_eq!(cost.nodes, 10 + 10 * 20);
    }

    #[test]
    fn aliases_of_big_pages_pass_the_node_ceiling() {
        let fields: String = (0..101)
            .map(|i| format!("a{i}: sources(first: 100) {{ nodes {{ id }} }} "))
            .collect();
        let refusal = measure(&format!("{{ {fields} }}"), serde_json::json!({})).unwrap_err();
        assert!(
            matches!(
                refusal,
                Refusal::TooCostly {
                    measure: "nodes",
                    ..
                }
            ),
            "{refusal:?}"
        );
    }

    #[test]
    fn fragment_fan_out_is_counted_without_being_expanded() {
        let mut query = String::from("query { ...F9 }\nfragment F0 on QueryRoot { __typename }\n");
        for i in 1..10 {
            let spreads = format!("...F{} ", i - 1).repeat(10);
            query.push_str(&format!("fragment F{i} on QueryRoot {{ {spreads} }}\n"));
        }
        let started = std::time::Instant::now();
        let refusal = measure(&query, serde_json::json!({})).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            matches!(
                refusal,
                Refusal::TooCostly {
                    measure: "selections",
                    ..
                }
            ),
            "{refusal:?}"
        );
    }

    #[test]
    fn unknown_repeated_and_misplaced_directives_are_refused() {
        for query in [
            "{ __typename @nosuchdirective(x: 1) }",
            "{ __typename @skip(if: false) @skip(if: false) }",
            "query @skip(if: true) { __typename }",
        ] {
            assert!(
                matches!(
                    measure(query, serde_json::json!({})),
                    Err(Refusal::Invalid(_))
                ),
                "{query}"
            );
        }
        assert!(measure("{ __typename @skip(if: false) }", serde_json::json!({})).is_ok());
    }

    #[test]
    fn cycles_unused_and_unknown_fragments_are_refused() {
        for query in [
            "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }",
            "{ __typename } fragment A on QueryRoot { __typename }",
            "{ ...Missing }",
        ] {
            assert!(
                matches!(
                    measure(query, serde_json::json!({})),
                    Err(Refusal::Invalid(_))
                ),
                "{query}"
            );
        }
    }

    #[test]
    fn deeply_nested_literals_are_refused_before_parsing() {
        let nested = format!(
            "{{ claims(first: {}1{}) {{ totalCount }} }}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(matches!(
            check_nesting(&nested),
            Err(Refusal::TooCostly {
                measure: "nesting",
                ..
            })
        ));
        // Brackets inside strings and comments do not count.
        let quoted = format!("{{ a(b: \"{}\") }} # {}", "[".repeat(100), "{".repeat(100));
        assert!(check_nesting(&quoted).is_ok());
        let block = format!("{{ a(b: \"\"\"{}\"\"\") }}", "[\\\"\"\"".repeat(50));
        assert!(check_nesting(&block).is_ok());
        // Names and numbers are bounded; long strings are not names.
        assert!(check_nesting(&format!("{{ {} }}", "a".repeat(300))).is_err());
        assert!(check_nesting(&format!("{{ a(first: {}) }}", "9".repeat(300))).is_err());
        assert!(check_nesting(&format!("{{ a(b: \"{}\") }}", "a".repeat(300))).is_ok());
    }

    #[test]
    fn plain_lists_count_as_a_default_page() {
        let cost = measure(
            "{ claims(first: 10) { nodes { tags { name } } } }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(cost.nodes, 10);
        let cost = measure(
            "{ claims(first: 10) { nodes { tags { name } verifications(first: 2) { nodes { id } } } } }",
            serde_json::json!({}),
        )
        .unwrap();
        // verifications sit beside tags, not under them.
        assert_eq!(cost.nodes, 10 + 10 * 2);
    }
}
