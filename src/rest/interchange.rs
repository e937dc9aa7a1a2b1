//! `POST /api/v1/import` and `GET /api/v1/export`: NDJSON in and out, streamed.

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;

use super::RestResult;
use super::problem::ProblemDetails;
use crate::domain::Actor;
use crate::error::AppError;
use crate::interchange::ndjson::{self, ImportSummary, MAX_LINE_BYTES};
use crate::state::AppState;

const NDJSON: &str = "application/x-ndjson";

struct Reader {
    payload: web::Payload,
    buffer: BytesMut,
    number: usize,
    /// Dropping the rest of an over-long line.
    skipping: bool,
    finished: bool,
}

enum Next {
    Line(usize, Bytes),
    TooLong(usize),
    End,
}

impl Reader {
    /// The next complete line, reading chunks as needed (one line in memory at a time).
    async fn next(&mut self) -> Result<Next, actix_web::error::PayloadError> {
        loop {
            if let Some(at) = self.buffer.iter().position(|b| *b == b'\n') {
                let line = self.buffer.split_to(at + 1).freeze();
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                self.number += 1;
                return Ok(Next::Line(self.number, line));
            }
            if self.buffer.len() > MAX_LINE_BYTES && !self.skipping {
                self.buffer.clear();
                self.skipping = true;
                self.number += 1;
                return Ok(Next::TooLong(self.number));
            }
            if self.skipping {
                self.buffer.clear();
            }
            if self.finished {
                if self.buffer.is_empty() || self.skipping {
                    return Ok(Next::End);
                }
                self.number += 1;
                return Ok(Next::Line(self.number, self.buffer.split().freeze()));
            }
            match self.payload.next().await {
                Some(chunk) => self.buffer.extend_from_slice(&chunk?),
                None => self.finished = true,
            }
        }
    }
}

/// Options of an import.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Also propose candidate claims from each imported article's body (each report
    /// line then says how many are open).
    #[serde(default)]
    pub extract: bool,
}

/// Import NDJSON: one article per line, each line in its own transaction.
#[utoipa::path(post, path = "/api/v1/import", tag = "interchange",
    params(ImportParams),
    request_body(content = String, content_type = "application/x-ndjson", description = "One JSON object per line: {sources?, article?, claims?}"),
    responses(
        (status = 200, description = "A report line per input line ({line, status: created|updated|unchanged|failed, error?}), then {summary}", body = String, content_type = "application/x-ndjson"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the editor role", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn import(
    state: web::Data<AppState>,
    actor: Actor,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> RestResult {
    ndjson::authorize_import(&actor)?;
    let summary = ImportSummary {
        extract: params.extract,
        ..ImportSummary::default()
    };
    let reader = Reader {
        payload,
        buffer: BytesMut::new(),
        number: 0,
        skipping: false,
        finished: false,
    };
    let report = futures_util::stream::unfold(Some((reader, summary)), move |state_| {
        let (db, actor) = (state.db.clone(), actor.clone());
        async move {
            let (mut reader, mut summary) = state_?;
            let value = loop {
                match reader.next().await {
                    Ok(Next::Line(number, bytes)) => {
                        let Ok(text) = std::str::from_utf8(&bytes) else {
                            break summary.unreadable(number, "is not UTF-8");
                        };
                        if text.trim().is_empty() {
                            continue;
                        }
                        break summary.import(&db, &actor, number, text).await;
                    }
                    Ok(Next::TooLong(number)) => {
                        break summary
                            .unreadable(number, &format!("is longer than {MAX_LINE_BYTES} bytes"));
                    }
                    Ok(Next::End) => {
                        let closing = summary.closing_line();
                        return Some((
                            Ok::<_, actix_web::Error>(Bytes::from(format!("{closing}\n"))),
                            None,
                        ));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "import body ended early");
                        let closing = summary.closing_line();
                        return Some((Ok(Bytes::from(format!("{closing}\n"))), None));
                    }
                }
            };
            Some((
                Ok(Bytes::from(format!("{value}\n"))),
                Some((reader, summary)),
            ))
        }
    });
    Ok(HttpResponse::Ok().content_type(NDJSON).streaming(report))
}

/// Export everything as NDJSON (sources, then one article per line, then claims that
/// appear in no article); importing it into an empty database reproduces the data.
#[utoipa::path(get, path = "/api/v1/export", tag = "interchange",
    responses(
        (status = 200, description = "The data, one JSON object per line", body = String, content_type = "application/x-ndjson"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(state: web::Data<AppState>, actor: Actor) -> RestResult {
    crate::service::require(&actor, crate::domain::Role::Viewer)?;
    let lines = ndjson::export(state.db.clone(), actor).map(|line| {
        line.map(Bytes::from).map_err(|error: AppError| {
            tracing::error!(%error, "export failed midway");
            actix_web::error::ErrorInternalServerError("export failed")
        })
    });
    Ok(HttpResponse::Ok().content_type(NDJSON).streaming(lines))
}
