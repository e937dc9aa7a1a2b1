//! GraphQL over websocket at `/graphql`: the graphql-transport-ws protocol, and the
//! legacy subscriptions-transport-ws one. Built on actix-ws, whose session is awaited on
//! every message: a client that stops reading pushes back instead of filling memory, and
//! is disconnected after `live.send_timeout_secs`.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use async_graphql::Data;
use async_graphql::http::{WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::Value;

use super::{Hub, Identity};
use crate::auth::{Authenticator, Credentials};
use crate::domain::Role;
use crate::graphql::AppSchema;
use crate::service::require;
use crate::state::AppState;

/// Largest message a client may send (a subscription document with its variables).
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// graphql-transport-ws close codes for a refused `connection_init`.
const UNAUTHORIZED: u16 = 4401;
const FORBIDDEN: u16 = 4403;

/// What one connection's subscriptions share.
pub struct Connection {
    pub hub: Hub,
    pub identity: Arc<Identity>,
    /// Set when a subscription of this connection fell too far behind: the connection is
    /// closed after that subscription's error has been sent.
    pub dropped: Arc<AtomicBool>,
}

/// GET /graphql with `Upgrade: websocket`.
pub async fn graphql_ws(
    http: HttpRequest,
    payload: web::Payload,
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
    authenticator: web::Data<Authenticator>,
) -> actix_web::Result<HttpResponse> {
    let protocol = http
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .ok_or_else(|| {
            actix_web::error::ErrorBadRequest(
                "the websocket must ask for the graphql-transport-ws (or graphql-ws) subprotocol",
            )
        })?;
    let (mut response, session, messages) = actix_ws::handle(&http, payload)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    // Credentials may come with the upgrade request (non-browser clients) or, as browsers
    // must, in the connection_init payload; the payload wins.
    let header_token = http
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let socket = Socket {
        session,
        state: state.get_ref().clone(),
        hub: hub.get_ref().clone(),
        authenticator: authenticator.clone(),
        header_token,
        send_timeout: Duration::from_secs(state.settings.live.send_timeout_secs.max(1)),
    };
    let messages = messages
        .max_frame_size(MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES);
    actix_web::rt::spawn(socket.run(schema.get_ref().clone(), protocol, messages));
    Ok(response)
}

struct Socket {
    session: Session,
    state: AppState,
    hub: Hub,
    authenticator: web::Data<Authenticator>,
    header_token: Option<String>,
    send_timeout: Duration,
}

impl Socket {
    async fn run(
        mut self,
        schema: AppSchema,
        protocol: WebSocketProtocols,
        mut messages: actix_ws::AggregatedMessageStream,
    ) {
        // Client → GraphQL: protocol messages are forwarded, pings answered here.
        let (incoming, to_graphql) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
        let mut pong = self.session.clone();
        let reader = actix_web::rt::spawn(async move {
            while let Some(Ok(message)) = messages.recv().await {
                let forwarded = match message {
                    AggregatedMessage::Text(text) => incoming.send(text.as_bytes().to_vec()).await,
                    AggregatedMessage::Binary(bytes) => incoming.send(bytes.to_vec()).await,
                    AggregatedMessage::Ping(bytes) => {
                        let _ = pong.pong(&bytes).await;
                        Ok(())
                    }
                    AggregatedMessage::Pong(_) => Ok(()),
                    AggregatedMessage::Close(_) => break,
                };
                if forwarded.is_err() {
                    break;
                }
            }
        });
        let from_client = futures_util::stream::unfold(to_graphql, |mut receiver| async move {
            receiver.recv().await.map(|message| (message, receiver))
        });

        let refused = Arc::new(AtomicU16::new(0));
        let dropped = Arc::new(AtomicBool::new(false));
        let init = Init {
            state: self.state.clone(),
            hub: self.hub.clone(),
            authenticator: self.authenticator.clone(),
            header_token: self.header_token.take(),
            refused: refused.clone(),
            dropped: dropped.clone(),
        };
        let graphql = async_graphql::http::WebSocket::new(schema, from_client, protocol)
            .on_connection_init(move |payload| init.connect(payload));
        futures_util::pin_mut!(graphql);

        let mut close = None;
        while let Some(message) = graphql.next().await {
            match message {
                WsMessage::Text(text) => {
                    match tokio::time::timeout(self.send_timeout, self.session.text(text)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_closed)) => break,
                        Err(_) => {
                            tracing::info!("websocket client stopped reading; disconnected");
                            reader.abort();
                            return;
                        }
                    }
                    if dropped.load(Ordering::Relaxed) {
                        close = Some(CloseReason {
                            code: CloseCode::Policy,
                            description: Some("slow subscriber: fell too far behind".into()),
                        });
                        break;
                    }
                }
                WsMessage::Close(code, reason) => {
                    let code = match refused.load(Ordering::Relaxed) {
                        0 => code,
                        refusal => refusal,
                    };
                    close = Some(CloseReason {
                        code: CloseCode::from(code),
                        description: Some(reason),
                    });
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(self.send_timeout, self.session.close(close)).await;
        reader.abort();
    }
}

/// What `connection_init` needs to admit a connection.
struct Init {
    state: AppState,
    hub: Hub,
    authenticator: web::Data<Authenticator>,
    header_token: Option<String>,
    refused: Arc<AtomicU16>,
    dropped: Arc<AtomicBool>,
}

impl Init {
    /// Admits the connection when its credentials (payload `Authorization` or the upgrade
    /// request's header) carry at least the viewer role.
    async fn connect(self, payload: Value) -> async_graphql::Result<Data> {
        let authorization = ["Authorization", "authorization"]
            .iter()
            .find_map(|key| payload.get(key).and_then(Value::as_str))
            .map(str::to_owned)
            .or(self.header_token);
        let credentials = match authorization.as_deref() {
            None => Credentials::None,
            Some(value) => Credentials::from_header(Some(value)),
        };
        let actor = self.authenticator.resolve(credentials).await;
        if let Err(refusal) = require(&actor, Role::Viewer) {
            let code = if actor.authenticated {
                FORBIDDEN
            } else {
                UNAUTHORIZED
            };
            self.refused.store(code, Ordering::Relaxed);
            return Err(async_graphql::Error::new(refusal.to_string()));
        }
        let token = authorization
            .as_deref()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let identity = Arc::new(Identity::new(self.authenticator, token, actor.clone()));
        let mut data = Data::default();
        data.insert(crate::graphql::live_loader(&self.state, actor.clone()));
        data.insert(self.state);
        data.insert(actor);
        data.insert(Connection {
            hub: self.hub,
            identity,
            dropped: self.dropped,
        });
        Ok(data)
    }
}
