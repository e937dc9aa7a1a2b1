//! The GraphQL door at `/graphql`: POST and GET (queries only) per GraphQL-over-HTTP,
//! GraphiQL for browsers.

mod article;
mod candidate;
mod claim;
mod compiled;
mod connection;
mod context;
mod error;
mod keys;
mod loaders;
mod quantity;
pub mod schema;
mod source;
mod subscription;
mod verification;
mod webhooks;

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_actix_web::GraphQLBatchRequest;

use crate::domain::Actor;
use crate::state::AppState;
pub use schema::{AppSchema, sdl};

/// The GraphiQL page with its script base URL replaced by the configured one, rendered
/// once at start-up.
pub struct GraphiqlPage(pub Option<String>);

impl GraphiqlPage {
    pub fn render(settings: &crate::config::GraphqlSettings) -> Self {
        if !settings.graphiql {
            return Self(None);
        }
        let html = GraphiQLSource::build()
            .endpoint("/graphql")
            .title("claimtrack GraphiQL")
            .finish();
        let base = settings.graphiql_cdn.trim_end_matches('/');
        Self(Some(html.replace("https://unpkg.com", base)))
    }
}

/// The actor the auth middleware resolved for this request.
fn request_actor(http: &HttpRequest) -> Actor {
    http.extensions()
        .get::<Actor>()
        .cloned()
        .unwrap_or_else(Actor::refused)
}

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
    let loader = loader(state, actor.clone());
    // Queries cache per request: rows loaded together with others (speakers with claims,
    // articles and outlets with appearances) are fed in and not loaded again. Mutations
    // run one after another and change rows, so their reads always go to the database.
    if is_mutation(&mut request) {
        loader.enable_all_cache(false);
    }
    let request = request.data(state.clone()).data(actor).data(loader);
    // Registering webhooks validates their payload selections against the schema.
    match http.app_data::<web::Data<crate::webhooks::GraphqlShaper>>() {
        Some(shaper) => request.data(shaper.clone()),
        None => request,
    }
}

/// POST /graphql: one request, or a batch (a JSON array) of at most
/// `graphql.max_batch_size`, each with its own loader.
pub async fn graphql_post(
    http: HttpRequest,
    state: web::Data<AppState>,
    schema: web::Data<AppSchema>,
    request: GraphQLBatchRequest,
) -> HttpResponse {
    let actor = request_actor(&http);
    let mut learn = None;
    let batch = match request.into_inner() {
        BatchRequest::Single(single) => {
            if state.settings.graphql.compiled_queries {
                match compiled::lookup(&single.query, state.page_limits()) {
                    compiled::Known::Compiled(plan) => {
                        if let Some(body) = compiled::execute(&state, &actor, &plan, &single).await
                        {
                            return HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body);
                        }
                    }
                    compiled::Known::Unseen => learn = Some(single.query.clone()),
                    compiled::Known::NotCompilable => {}
                }
            }
            BatchRequest::Single(prepare(&http, &state, actor, single))
        }
        BatchRequest::Batch(requests) => {
            let limit = state.settings.graphql.max_batch_size;
            if requests.len() > limit {
                let message = format!(
                    "a batch may hold at most {limit} requests (got {})",
                    requests.len()
                );
                return error_response(actix_web::http::StatusCode::BAD_REQUEST, &message);
            }
            BatchRequest::Batch(
                requests
                    .into_iter()
                    .map(|r| prepare(&http, &state, actor.clone(), r))
                    .collect(),
            )
        }
    };
    // One after another, in order: a batch may mix reads and writes, and each must see
    // what the ones before it wrote (the library would run them concurrently).
    let response = match batch {
        BatchRequest::Single(request) => {
            let response = schema.execute(request).await;
            // Only a text that ran without any error is known to be a valid document.
            if let Some(query) = learn.filter(|_| response.errors.is_empty()) {
                compiled::learn(&query, state.page_limits());
            }
            BatchResponse::Single(response)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(schema.execute(request).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    HttpResponse::Ok().json(response)
}

/// GET /graphql: GraphiQL for a browser, otherwise a query from the URL. Mutations are
/// refused over GET (405), as GraphQL-over-HTTP requires.
pub async fn graphql_get(
    http: HttpRequest,
    state: web::Data<AppState>,
    schema: web::Data<AppSchema>,
    graphiql: web::Data<GraphiqlPage>,
) -> HttpResponse {
    let query_string = http.query_string();
    let wants_html = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html
        && !query_string.contains("query=")
        && let Some(page) = &graphiql.0
    {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page.clone());
    }
    let mut request = match async_graphql::http::parse_query_string(query_string) {
        Ok(request) => request,
        Err(e) => return error_response(actix_web::http::StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if is_mutation(&mut request) {
        let mut response = error_response(
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
            "mutations are only accepted over POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let response = schema
        .execute(prepare(&http, &state, request_actor(&http), request))
        .await;
    HttpResponse::Ok().json(response)
}

fn error_response(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }]
    }))
}

/// Whether the request's operation is a mutation. The document parsed here stays with the
/// request, so that executing it does not parse it again.
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let is_mutation = |ty: OperationType| ty == OperationType::Mutation;
    match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => is_mutation(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .any(|(n, op)| n.as_str() == name && is_mutation(op.node.ty)),
        (DocumentOperations::Multiple(ops), None) => ops.values().any(|op| is_mutation(op.node.ty)),
    }
}
