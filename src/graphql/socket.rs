//! GraphQL over websocket at `/graphql`: the graphql-transport-ws protocol (and the
//! legacy subscriptions-transport-ws one), implemented here so that every rule of the
//! protocol and of the HTTP door holds on a socket too:
//!
//! - `connection_init` must come within `live.init_timeout_secs` (else close 4408), once
//!   (4429); its credentials need read access (4401, or 4403 for a role that does not
//!   read); a client may hold at most `live.max_pending_sockets_per_client` sockets that
//!   have not been acknowledged yet;
//! - every operation is checked like an HTTP request: the credentials again (a revoked key
//!   or an expired token is refused, and the socket closed with 4401), the same
//!   per-principal rate-limit budget, the same cost ceilings;
//! - a malformed or unknown message closes with 4400, an operation before the
//!   acknowledgement with 4401, a repeated operation id with 4409, a frame over
//!   `server.max_body_bytes` with 1009;
//! - every message is awaited on the session: a client that stops reading pushes back
//!   instead of filling memory, and is disconnected after `live.send_timeout_secs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use async_graphql::{ErrorExtensions, Response, ServerError};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Door, transport};
use crate::auth::middleware::{self, client_ip};
use crate::auth::{Authenticator, Credentials, Resolved};
use crate::domain::{Actor, Role};
use crate::error::{AppError, ErrorCode};
use crate::live::{Hub, Identity};
use crate::service::require;
use crate::service::webhooks::Shaper;
use crate::state::AppState;

/// Close codes of graphql-transport-ws (and the websocket standard's).
mod close {
    pub const INVALID_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const SLOW_SUBSCRIBER: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Operations one socket may run at once.
const MAX_OPERATIONS: usize = 100;

/// What one connection's subscriptions share.
#[derive(Clone)]
pub struct Connection {
    pub hub: Hub,
    pub identity: Arc<Identity>,
    /// Set when a subscription of this connection fell too far behind: the connection is
    /// closed after that subscription's error has been sent.
    pub dropped: Arc<AtomicBool>,
}

/// Counts each client's sockets that have not been acknowledged yet, so that nobody can
/// hold thousands of idle, unauthenticated sockets open.
pub struct Gate {
    pending: Mutex<HashMap<String, u32>>,
    limit: u32,
}

impl Gate {
    pub fn new(limit: u32) -> Self {
        Self {
            pending: Mutex::default(),
            limit,
        }
    }
}

/// One pending socket of a client; the count drops when the socket is acknowledged or
/// closed.
struct Ticket {
    gate: web::Data<Gate>,
    client: String,
}

impl Ticket {
    fn take(gate: &web::Data<Gate>, client: String) -> Option<Self> {
        let mut pending = gate.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let count = pending.entry(client.clone()).or_default();
        if *count >= gate.limit {
            return None;
        }
        *count += 1;
        Some(Self {
            gate: gate.clone(),
            client,
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut pending = self
            .gate
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = pending.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                pending.remove(&self.client);
            }
        }
    }
}

/// The two subprotocols: the same states, different message names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// `graphql-transport-ws` (graphql-ws).
    TransportWs,
    /// `graphql-ws` (Apollo's legacy subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    fn from_header(value: &str) -> Option<Self> {
        value.split(',').find_map(|p| match p.trim() {
            "graphql-transport-ws" => Some(Self::TransportWs),
            "graphql-ws" => Some(Self::Legacy),
            _ => None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::TransportWs => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }
}

/// A message from the client.
enum ClientMessage {
    Init(Value),
    Ping(Option<Value>),
    Pong,
    Subscribe {
        id: String,
        request: Box<async_graphql::Request>,
    },
    Complete(String),
    Terminate,
}

impl ClientMessage {
    fn parse(protocol: Protocol, bytes: &[u8]) -> Result<Self, String> {
        let message: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid message: {e}"))?;
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .ok_or("invalid message: no type")?;
        let id = || {
            message
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("invalid message: {kind} without an id"))
        };
        let payload = message.get("payload").filter(|p| !p.is_null()).cloned();
        Ok(match (protocol, kind) {
            (_, "connection_init") => match payload {
                None => Self::Init(Value::Object(Default::default())),
                Some(payload @ Value::Object(_)) => Self::Init(payload),
                Some(_) => {
                    return Err("invalid message: connection_init payload must be an object".into());
                }
            },
            (Protocol::TransportWs, "ping") => Self::Ping(payload),
            (Protocol::TransportWs, "pong") => Self::Pong,
            (Protocol::TransportWs, "subscribe") | (Protocol::Legacy, "start") => {
                let id = id()?;
                let request = payload
                    .ok_or_else(|| format!("invalid message: {kind} without a payload"))
                    .and_then(|p| {
                        serde_json::from_value(p)
                            .map_err(|e| format!("invalid message: {kind} payload: {e}"))
                    })?;
                Self::Subscribe {
                    id,
                    request: Box::new(request),
                }
            }
            (Protocol::TransportWs, "complete") | (Protocol::Legacy, "stop") => {
                Self::Complete(id()?)
            }
            (Protocol::Legacy, "connection_terminate") => Self::Terminate,
            (_, other) => return Err(format!("invalid message: unknown type \"{other}\"")),
        })
    }
}

/// What the socket's writer is handed by the operations.
enum Outgoing {
    Message(Value),
    /// The operation ended (its last message, if any, was sent before this).
    Finished(String),
    /// A subscription fell too far behind: close once its error (sent before) is out.
    Drop,
}

/// What the upgrade hands to the socket.
struct Socket {
    session: Session,
    protocol: Protocol,
    state: AppState,
    door: web::Data<Door>,
    hub: Hub,
    authenticator: web::Data<Authenticator>,
    shaper: Option<web::Data<dyn Shaper>>,
    client: String,
    header_token: Option<String>,
    ticket: Option<Ticket>,
}

/// GET /graphql with `Upgrade: websocket`.
#[allow(clippy::too_many_arguments)]
pub async fn graphql_ws(
    http: HttpRequest,
    payload: web::Payload,
    door: web::Data<Door>,
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
    authenticator: web::Data<Authenticator>,
    gate: web::Data<Gate>,
) -> actix_web::Result<HttpResponse> {
    let protocol = http
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(Protocol::from_header)
        .ok_or_else(|| {
            actix_web::error::ErrorBadRequest(
                "the websocket must ask for the graphql-transport-ws (or graphql-ws) subprotocol",
            )
        })?;
    let client = client_ip(&http, authenticator.trust_forwarded_for());
    let Some(ticket) = Ticket::take(&gate, client.clone()) else {
        tracing::info!(%client, "websocket refused: too many unacknowledged sockets");
        return Ok(HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
            .insert_header((header::RETRY_AFTER, "10"))
            .json(json!({ "errors": [{
                "message": "too many websockets of this client are waiting for connection_init",
                "extensions": { "code": ErrorCode::RateLimited.as_str() }
            }] })));
    };
    let (mut response, session, messages) = actix_ws::handle(&http, payload)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.name()),
    );
    // Credentials may come with the upgrade request (non-browser clients) or, as browsers
    // must, in the connection_init payload; the payload wins.
    let header_token = http
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limit = state.settings.server.max_body_bytes;
    let messages = messages
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    let socket = Socket {
        session,
        protocol,
        state: state.get_ref().clone(),
        door,
        hub: hub.get_ref().clone(),
        authenticator,
        shaper: http.app_data::<web::Data<dyn Shaper>>().cloned(),
        client,
        header_token,
        ticket: Some(ticket),
    };
    actix_web::rt::spawn(socket.run(messages));
    Ok(response)
}

/// Why the socket ends.
struct Ending(Option<CloseReason>);

impl Ending {
    fn close(code: u16, reason: impl Into<String>) -> Self {
        Self(Some(CloseReason {
            code: CloseCode::from(code),
            description: Some(reason.into()),
        }))
    }

    fn quietly() -> Self {
        Self(None)
    }
}

/// The state of one connection after its acknowledgement.
struct Admitted {
    identity: Arc<Identity>,
    connection: Connection,
}

impl Socket {
    async fn run(mut self, mut messages: actix_ws::AggregatedMessageStream) {
        let settings = &self.state.settings.live;
        let send_timeout = Duration::from_secs(settings.send_timeout_secs.max(1));
        let init_deadline =
            tokio::time::Instant::now() + Duration::from_secs(settings.init_timeout_secs.max(1));
        let (outgoing, mut to_client) = mpsc::channel::<Outgoing>(64);
        let dropped = Arc::new(AtomicBool::new(false));
        let mut admitted: Option<Admitted> = None;
        let mut operations: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();

        let ending = loop {
            tokio::select! {
                _ = tokio::time::sleep_until(init_deadline), if admitted.is_none() => {
                    break Ending::close(close::INIT_TIMEOUT, "Connection initialisation timeout");
                }
                frame = messages.recv() => {
                    let bytes = match frame {
                        Some(Ok(AggregatedMessage::Text(text))) => text.into_bytes(),
                        Some(Ok(AggregatedMessage::Binary(bytes))) => bytes,
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            if self.session.pong(&bytes).await.is_err() {
                                break Ending::quietly();
                            }
                            continue;
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => continue,
                        Some(Ok(AggregatedMessage::Close(_))) | None => break Ending::quietly(),
                        Some(Err(ProtocolError::Overflow)) => {
                            break Ending::close(close::TOO_BIG, "message too big");
                        }
                        Some(Err(error)) => {
                            tracing::info!(%error, "websocket protocol error");
                            break Ending::close(close::INVALID_MESSAGE, "websocket protocol error");
                        }
                    };
                    let message = match ClientMessage::parse(self.protocol, &bytes) {
                        Ok(message) => message,
                        Err(reason) => break Ending::close(close::INVALID_MESSAGE, reason),
                    };
                    match self.handle(message, &mut admitted, &mut operations, &outgoing, &dropped).await {
                        Ok(()) => {}
                        Err(ending) => break ending,
                    }
                }
                Some(out) = to_client.recv() => match out {
                    Outgoing::Message(message) => {
                        match tokio::time::timeout(send_timeout, self.session.text(message.to_string())).await {
                            Ok(Ok(())) => {}
                            Ok(Err(_closed)) => break Ending::quietly(),
                            Err(_) => {
                                tracing::info!("websocket client stopped reading; disconnected");
                                break Ending::quietly();
                            }
                        }
                    }
                    Outgoing::Finished(id) => {
                        operations.remove(&id);
                    }
                    Outgoing::Drop => {
                        break Ending::close(close::SLOW_SUBSCRIBER, "slow subscriber: fell too far behind");
                    }
                },
            }
        };
        for (_, operation) in operations.drain() {
            operation.abort();
        }
        let _ = tokio::time::timeout(send_timeout, self.session.close(ending.0)).await;
    }

    /// Acts on one client message; `Err` ends the connection.
    async fn handle(
        &mut self,
        message: ClientMessage,
        admitted: &mut Option<Admitted>,
        operations: &mut HashMap<String, tokio::task::JoinHandle<()>>,
        outgoing: &mpsc::Sender<Outgoing>,
        dropped: &Arc<AtomicBool>,
    ) -> Result<(), Ending> {
        match message {
            ClientMessage::Init(payload) => {
                if admitted.is_some() || self.ticket.is_none() {
                    return Err(Ending::close(
                        close::TOO_MANY_INITS,
                        "Too many initialisation requests",
                    ));
                }
                let (identity, resolved) = self.connect(&payload).await?;
                let identity = Arc::new(identity);
                *admitted = Some(Admitted {
                    connection: Connection {
                        hub: self.hub.clone(),
                        identity: identity.clone(),
                        dropped: dropped.clone(),
                    },
                    identity,
                });
                // Acknowledged: no longer one of the client's pending sockets.
                self.ticket = None;
                tracing::debug!(principal = %resolved.actor.name, "websocket acknowledged");
                self.send(json!({ "type": "connection_ack" })).await
            }
            ClientMessage::Ping(payload) => {
                let mut pong = json!({ "type": "pong" });
                if let Some(payload) = payload {
                    pong["payload"] = payload;
                }
                self.send(pong).await
            }
            ClientMessage::Pong => Ok(()),
            ClientMessage::Terminate => Err(Ending::quietly()),
            ClientMessage::Complete(id) => {
                if let Some(operation) = operations.remove(&id) {
                    operation.abort();
                    if self.protocol == Protocol::Legacy {
                        return self.send(json!({ "type": "complete", "id": id })).await;
                    }
                }
                Ok(())
            }
            ClientMessage::Subscribe { id, request } => {
                let Some(admitted) = admitted.as_ref() else {
                    return Err(Ending::close(close::UNAUTHORIZED, "Unauthorized"));
                };
                if operations.contains_key(&id) {
                    return Err(Ending::close(
                        close::DUPLICATE_ID,
                        format!("Subscriber for {id} already exists"),
                    ));
                }
                if operations.len() >= MAX_OPERATIONS {
                    let error = transport::coded(
                        ErrorCode::RateLimited,
                        &format!(
                            "at most {MAX_OPERATIONS} operations may run at once on one connection"
                        ),
                    );
                    return self.send_errors(&id, vec![error]).await;
                }
                let actor = match admitted.identity.for_operation().await {
                    Ok(actor) => actor,
                    Err(error) => return self.send_errors(&id, vec![app_error(&error)]).await,
                };
                if require(&actor, Role::Viewer).is_err() {
                    // Revoked or expired since the connection was made: nothing more runs.
                    self.send_errors(&id, vec![app_error(&AppError::Unauthenticated)])
                        .await?;
                    return Err(Ending::close(
                        close::UNAUTHORIZED,
                        "credentials no longer valid",
                    ));
                }
                if let Err(refusal) =
                    middleware::charge_client(&self.authenticator, &actor, &self.client)
                {
                    let (_, error) = transport::refused_admission(refusal);
                    return self.send_errors(&id, vec![error]).await;
                }
                let mut request = *request;
                if let Err(refusal) = self.door.measure(&mut request, Default::default()) {
                    return self
                        .send_errors(&id, vec![transport::refused_document(&refusal)])
                        .await;
                }
                let operation = self.operation(
                    id.clone(),
                    request,
                    actor,
                    admitted.connection.clone(),
                    outgoing.clone(),
                );
                operations.insert(id, operation);
                Ok(())
            }
        }
    }

    /// Admits the connection when its credentials (payload `Authorization` or the upgrade
    /// request's header) carry at least the viewer role; the init is charged like an
    /// operation.
    async fn connect(&self, payload: &Value) -> Result<(Identity, Resolved), Ending> {
        let authorization = ["Authorization", "authorization"]
            .iter()
            .find_map(|key| payload.get(key).and_then(Value::as_str))
            .map(str::to_owned)
            .or_else(|| self.header_token.clone());
        let credentials = match authorization.as_deref() {
            None => Credentials::None,
            Some(value) => Credentials::from_header(Some(value)),
        };
        let resolved = match self.authenticator.resolve(credentials).await {
            Ok(resolved) => resolved,
            Err(error) => {
                tracing::warn!(%error, "websocket credentials could not be checked");
                return Err(Ending::close(close::TRY_AGAIN_LATER, error.to_string()));
            }
        };
        if let Err(refused) = require(&resolved.actor, Role::Viewer) {
            let code = if resolved.actor.authenticated {
                close::FORBIDDEN
            } else {
                close::UNAUTHORIZED
            };
            return Err(Ending::close(code, refused.to_string()));
        }
        if let Err(middleware::Refusal::RateLimited(seconds)) =
            middleware::charge_client(&self.authenticator, &resolved.actor, &self.client)
        {
            return Err(Ending::close(
                close::TRY_AGAIN_LATER,
                format!("rate limit exceeded; retry in {seconds} s"),
            ));
        }
        let token = authorization
            .as_deref()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let identity = Identity::new(self.authenticator.clone(), token, resolved.clone());
        Ok((identity, resolved))
    }

    /// Runs one operation in a task of its own; its messages go through `outgoing`, in
    /// order, then `Finished`.
    fn operation(
        &self,
        id: String,
        mut request: async_graphql::Request,
        actor: Actor,
        connection: Connection,
        outgoing: mpsc::Sender<Outgoing>,
    ) -> tokio::task::JoinHandle<()> {
        let protocol = self.protocol;
        let schema = self.door.schema_for(&actor).clone();
        let kind = super::operation_type(&mut request);
        let dropped = connection.dropped.clone();
        let request = super::with_context(&self.state, actor, self.shaper.as_ref(), kind, request)
            .data(connection);
        actix_web::rt::spawn(async move {
            let mut responses = schema.execute_stream(request);
            let mut first = true;
            while let Some(response) = responses.next().await {
                // Refused before it ran (validation, say): one `error`, no `complete`.
                if first && protocol == Protocol::TransportWs && refused_before_running(&response) {
                    let message = json!({ "type": "error", "id": id, "payload": response.errors });
                    let _ = outgoing.send(Outgoing::Message(message)).await;
                    let _ = outgoing.send(Outgoing::Finished(id)).await;
                    return;
                }
                first = false;
                let kind = match protocol {
                    Protocol::TransportWs => "next",
                    Protocol::Legacy => "data",
                };
                let message = json!({ "type": kind, "id": id, "payload": response });
                if outgoing.send(Outgoing::Message(message)).await.is_err() {
                    return;
                }
                if dropped.load(Ordering::Relaxed) {
                    let _ = outgoing.send(Outgoing::Drop).await;
                    return;
                }
            }
            let _ = outgoing
                .send(Outgoing::Message(json!({ "type": "complete", "id": id })))
                .await;
            let _ = outgoing.send(Outgoing::Finished(id)).await;
        })
    }

    async fn send(&mut self, message: Value) -> Result<(), Ending> {
        let timeout = Duration::from_secs(self.state.settings.live.send_timeout_secs.max(1));
        match tokio::time::timeout(timeout, self.session.text(message.to_string())).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Ending::quietly()),
        }
    }

    /// An operation refused before it ran: graphql-transport-ws `error` (no `complete`
    /// follows); the legacy protocol has no such message: `data` with the errors, then
    /// `complete`.
    async fn send_errors(&mut self, id: &str, errors: Vec<ServerError>) -> Result<(), Ending> {
        match self.protocol {
            Protocol::TransportWs => {
                self.send(json!({ "type": "error", "id": id, "payload": errors }))
                    .await
            }
            Protocol::Legacy => {
                self.send(json!({ "type": "data", "id": id, "payload": { "data": null, "errors": errors } }))
                    .await?;
                self.send(json!({ "type": "complete", "id": id })).await
            }
        }
    }
}

/// Whether a first response says the operation never ran (no data, errors without a
/// path: parsing or validation refused it).
fn refused_before_running(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn app_error(error: &AppError) -> ServerError {
    error
        .extend()
        .into_server_error(async_graphql::Pos::default())
}
