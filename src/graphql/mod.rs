//! The GraphQL door at `/graphql`: POST and GET (queries only) per GraphQL-over-HTTP,
//! GraphiQL for browsers.

mod article;
mod assignment;
mod candidate;
mod claim;
mod connection;
mod context;
mod error;
mod keys;
pub mod limits;
mod loaders;
mod note;
pub mod planner;
mod quantity;
pub mod schema;
pub(crate) mod search;
pub mod socket;
mod source;
mod subscription;
mod tag;
pub(crate) mod transport;
mod verification;
mod webhooks;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse};

use crate::auth::middleware;
use crate::auth::{Authenticator, Credentials};
use crate::config::IntrospectionPolicy;
use crate::domain::Actor;
use crate::error::ErrorCode;
use crate::state::AppState;
pub use schema::{AppSchema, sdl};

/// Whether browsers that GET /graphql are given GraphiQL (`crate::web::graphiql`).
pub struct GraphiqlPage(pub bool);

fn loader(state: &AppState, actor: Actor) -> loaders::RequestLoader {
    DataLoader::with_cache(
        loaders::DbLoader::new(state.db.clone(), actor),
        tokio::spawn,
        HashMapCache::default(),
    )
}

/// The loader of a websocket connection: it batches each event's relation fields, and
/// never caches, since every event must show the records as they are now.
pub fn live_loader(state: &AppState, actor: Actor) -> loaders::RequestLoader {
    let loader = loader(state, actor);
    loader.enable_all_cache(false);
    loader
}

fn prepare(
    http: &HttpRequest,
    state: &AppState,
    actor: Actor,
    mut request: async_graphql::Request,
) -> async_graphql::Request {
    let kind = operation_type(&mut request);
    let shaper = http.app_data::<web::Data<dyn crate::service::webhooks::Shaper>>();
    with_context(state, actor, shaper, kind, request)
}

/// A request with what its resolvers need: state, actor, loader (cached per request for
/// queries, never for mutations and subscriptions), and the webhook shaper.
pub fn with_context(
    state: &AppState,
    actor: Actor,
    shaper: Option<&web::Data<dyn crate::service::webhooks::Shaper>>,
    kind: Option<OperationType>,
    request: async_graphql::Request,
) -> async_graphql::Request {
    let loader = match kind {
        // Every event must show the records as they are now.
        Some(OperationType::Subscription) => live_loader(state, actor.clone()),
        _ => loader(state, actor.clone()),
    };
    // Queries cache per request: rows loaded together with others (speakers with claims,
    // articles and outlets with appearances) are fed in and not loaded again. Mutations
    // run one after another and change rows, so their reads always go to the database.
    if kind == Some(OperationType::Mutation) {
        loader.enable_all_cache(false);
    }
    let request = request.data(state.clone()).data(actor).data(loader);
    // Registering webhooks validates their payload selections against the schema.
    match shaper {
        Some(shaper) => request.data(shaper.clone()),
        None => request,
    }
}

/// The schemas served and what requests may cost: built once at start-up.
pub struct Door {
    /// With introspection and field suggestions.
    open: AppSchema,
    /// Without them, for callers the introspection policy keeps out.
    sealed: AppSchema,
    costs: std::sync::Arc<limits::CostModel>,
    introspection: IntrospectionPolicy,
    max_batch_size: usize,
    /// Claims queries answered by one statement (`graphql.compiled_queries`).
    planner: Option<planner::Planner>,
    /// The schema as SDL, written once.
    sdl: String,
}

impl Door {
    pub fn new(settings: &crate::config::GraphqlSettings) -> anyhow::Result<Self> {
        let open = schema::build(settings);
        let costs =
            limits::CostModel::from_sdl(&open.sdl(), limits::Limits::from_settings(settings))?;
        Ok(Self {
            sealed: schema::build_sealed(settings),
            open,
            costs: std::sync::Arc::new(costs),
            introspection: settings.introspection,
            max_batch_size: settings.max_batch_size,
            planner: settings
                .compiled_queries
                .then(|| planner::Planner::new(settings)),
            sdl: sdl(),
        })
    }

    /// The full schema (webhook payloads are shaped with it).
    pub fn schema(&self) -> &AppSchema {
        &self.open
    }

    /// Whether the introspection policy lets `actor` see the schema.
    fn may_introspect(&self, actor: &Actor) -> bool {
        match self.introspection {
            IntrospectionPolicy::Everyone => true,
            IntrospectionPolicy::Authenticated => actor.authenticated,
            IntrospectionPolicy::Off => false,
        }
    }

    /// The schema `actor`'s requests run on, by the introspection policy.
    pub fn schema_for(&self, actor: &Actor) -> &AppSchema {
        if self.may_introspect(actor) {
            &self.open
        } else {
            &self.sealed
        }
    }

    /// Measures one request and adds it to `total` (see `CostModel::measure_request`).
    pub fn measure(
        &self,
        request: &mut async_graphql::Request,
        total: limits::Cost,
    ) -> Result<limits::Cost, limits::Refusal> {
        self.costs.measure_request(request, total)
    }

    /// The query planner, when planned queries are on.
    pub fn planner(&self) -> Option<&planner::Planner> {
        self.planner.as_ref()
    }

    /// What requests may cost (webhook selections are measured with it too).
    pub fn costs(&self) -> std::sync::Arc<limits::CostModel> {
        self.costs.clone()
    }
}

/// POST /graphql: one request, or a batch (a JSON array) of at most
/// `graphql.max_batch_size`, each with its own loader. Cheap refusals come first: the
/// body's size and type, a caller who may not read at all, the document's cost; only
/// then are credentials looked up and the request charged to its rate-limit budget.
pub async fn graphql_post(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    door: web::Data<Door>,
    authenticator: web::Data<Authenticator>,
) -> HttpResponse {
    let body = match transport::read_json_body(&http, payload, state.settings.server.max_body_bytes)
        .await
    {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(error) => {
            return transport::refusal(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &format!("the body is not a GraphQL request: {error}"),
            );
        }
    };
    if !may_read_anonymously(&http, &authenticator) {
        return transport::unauthenticated();
    }
    if let BatchRequest::Single(single) = &batch
        && let Some(planner) = door.planner()
        && let Some((key, plan)) = planner.lookup(&single.query)
    {
        // A text planned before has been measured before; only its page size can
        // differ, and the planner declines pages over the node ceiling.
        let actor = match admitted(&http, &authenticator).await {
            Ok(actor) => actor,
            Err(refused) => return refused,
        };
        if let Some(body) = planner.answer(key, &plan, &state, &actor, single).await {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(body);
        }
        // Declined (a page over the node ceiling, variables that do not parse): the
        // normal path, measured like any request.
        return match measured(&door, batch) {
            Ok(batch) => run(&http, &state, &door, actor, batch).await,
            Err(refusal) => refused(&refusal),
        };
    }
    let batch = match measured(&door, batch) {
        Ok(batch) => batch,
        Err(refusal) => return refused(&refusal),
    };
    let actor = match admitted(&http, &authenticator).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    run(&http, &state, &door, actor, batch).await
}

/// GET /graphql/schema.graphql: the schema as SDL (the text of `schema.graphql`), for
/// code generators and clients, to the callers the introspection policy lets introspect:
/// 401 for others without credentials, 403 for others with them.
pub async fn schema_sdl(
    http: HttpRequest,
    door: web::Data<Door>,
    authenticator: web::Data<Authenticator>,
) -> HttpResponse {
    if !may_read_anonymously(&http, &authenticator) {
        return transport::unauthenticated();
    }
    let actor = match admitted(&http, &authenticator).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    if !door.may_introspect(&actor) {
        if !actor.authenticated {
            return transport::unauthenticated();
        }
        return transport::refusal(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the schema is not published to this caller (graphql.introspection)",
        );
    }
    HttpResponse::Ok()
        .content_type("application/graphql; charset=utf-8")
        .body(door.sdl.clone())
}

/// Whether a caller without credentials may go on (with them, the lookup decides).
fn may_read_anonymously(http: &HttpRequest, authenticator: &Authenticator) -> bool {
    !matches!(middleware::credentials(http), Credentials::None) || authenticator.anonymous_reads()
}

/// The batch, each document parsed once and the whole measured as one budget.
fn measured(door: &Door, batch: BatchRequest) -> Result<BatchRequest, limits::Refusal> {
    match batch {
        BatchRequest::Single(mut single) => {
            door.measure(&mut single, limits::Cost::default())?;
            Ok(BatchRequest::Single(single))
        }
        BatchRequest::Batch(mut requests) => {
            if requests.len() > door.max_batch_size {
                return Err(limits::Refusal::Invalid(format!(
                    "a batch may hold at most {} requests (got {})",
                    door.max_batch_size,
                    requests.len()
                )));
            }
            let mut total = limits::Cost::default();
            for request in &mut requests {
                total = door.measure(request, total)?;
            }
            Ok(BatchRequest::Batch(requests))
        }
    }
}

/// 400 for a request refused by `measured`.
fn refused(refusal: &limits::Refusal) -> HttpResponse {
    transport::respond(
        StatusCode::BAD_REQUEST,
        transport::refused_document(refusal),
    )
}

/// The caller's actor, charged to its budget; refused callers get 401, and a failure
/// to check the credentials is UNAVAILABLE, never a refusal.
async fn admitted(
    http: &HttpRequest,
    authenticator: &Authenticator,
) -> Result<Actor, HttpResponse> {
    let resolved = middleware::admit(http, authenticator)
        .await
        .map_err(|refusal| {
            let (status, error) = transport::refused_admission(refusal);
            transport::respond(status, error)
        })?;
    if resolved.actor.role.is_none() {
        return Err(transport::unauthenticated());
    }
    Ok(resolved.actor)
}

/// Executes a measured batch as `actor`. One after another, in order: a batch may mix
/// reads and writes, and each must see what the ones before it wrote (the library would
/// run them concurrently).
async fn run(
    http: &HttpRequest,
    state: &AppState,
    door: &Door,
    actor: Actor,
    batch: BatchRequest,
) -> HttpResponse {
    let schema = door.schema_for(&actor);
    let response = match batch {
        BatchRequest::Single(request) => {
            let learn = door
                .planner()
                .map(|planner| (planner, request.query.clone()));
            let response = schema.execute(prepare(http, state, actor, request)).await;
            // Only a text that ran without any error is known to be a valid document.
            if let Some((planner, query)) = learn.filter(|_| response.errors.is_empty()) {
                planner.learn(&query);
            }
            BatchResponse::Single(response)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(
                    schema
                        .execute(prepare(http, state, actor.clone(), request))
                        .await,
                );
            }
            BatchResponse::Batch(responses)
        }
    };
    // GraphQL over HTTP: with its own media type, a request that failed before execution
    // (a document that does not validate) has no data and a 4xx status.
    if transport::accepts_graphql_response(http)
        && let BatchResponse::Single(single) = &response
        && failed_before_execution(single)
    {
        let errors = serde_json::to_value(&single.errors).unwrap_or_default();
        return HttpResponse::BadRequest().json(serde_json::json!({ "errors": errors }));
    }
    HttpResponse::Ok().json(response)
}

/// Whether `response` is a request error: no data, and errors none of which is a field's.
fn failed_before_execution(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// GET /graphql: GraphiQL for a browser, otherwise a query from the URL. Mutations are
/// refused over GET (405), as GraphQL-over-HTTP requires.
pub async fn graphql_get(
    http: HttpRequest,
    state: web::Data<AppState>,
    door: web::Data<Door>,
    authenticator: web::Data<Authenticator>,
    graphiql: web::Data<GraphiqlPage>,
) -> HttpResponse {
    let query_string = http.query_string();
    let wants_html = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && !query_string.contains("query=") && graphiql.0 {
        return crate::web::graphiql();
    }
    if !may_read_anonymously(&http, &authenticator) {
        return transport::unauthenticated();
    }
    let request = match async_graphql::http::parse_query_string(query_string) {
        Ok(request) => request,
        Err(e) => {
            return transport::refusal(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &e.to_string(),
            );
        }
    };
    let BatchRequest::Single(mut request) = (match measured(&door, BatchRequest::Single(request)) {
        Ok(batch) => batch,
        Err(refusal) => return refused(&refusal),
    }) else {
        return transport::refusal(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "one request per GET",
        );
    };
    if is_mutation(&mut request) {
        let mut response = transport::refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            "mutations are only accepted over POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let actor = match admitted(&http, &authenticator).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    let response = door
        .schema_for(&actor)
        .execute(prepare(&http, &state, actor, request))
        .await;
    HttpResponse::Ok().json(response)
}

/// Whether the request's operation is a mutation. The document parsed here stays with the
/// request, so that executing it does not parse it again.
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    operation_type(request) == Some(OperationType::Mutation)
}

/// The type of the operation the request runs (`None` when its document does not
/// parse, or names no operation it has). The document parsed here stays with the
/// request, so that executing it does not parse it again.
pub fn operation_type(request: &mut async_graphql::Request) -> Option<OperationType> {
    let operation_name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op.node.ty),
        (DocumentOperations::Multiple(ops), None) => {
            // Ambiguous (execution refuses it): a mutation if any could be one.
            let mut types = ops.values().map(|op| op.node.ty);
            if types.clone().any(|ty| ty == OperationType::Mutation) {
                Some(OperationType::Mutation)
            } else {
                types.next()
            }
        }
    }
}
