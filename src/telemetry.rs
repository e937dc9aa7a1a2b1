//! Logging: structured events to stderr (stdout is for command output), pretty or JSON.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // One line per finished request span, with its request id and duration.
        .with_span_events(FmtSpan::CLOSE);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        // Colours only for a terminal: a file or a log collector gets plain text.
        LogFormat::Pretty => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

/// The request id a caller sent (`X-Request-Id`), kept when it is short and plain: the
/// response carries it back and every log line of the request names it.
#[derive(Clone, Debug)]
pub struct CallerRequestId(pub String);

/// Longest caller request id kept (longer ones are replaced by our own).
const MAX_REQUEST_ID: usize = 128;

/// `raw` as a request id to keep: 1 to 128 characters of letters, digits and `-_.:/+=@`.
pub fn caller_request_id(raw: &str) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.:/+=@".contains(c);
    (!raw.is_empty() && raw.len() <= MAX_REQUEST_ID && raw.chars().all(plain))
        .then(|| raw.to_owned())
}

/// The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), when it
/// is well-formed and not all zeros.
pub fn trace_id(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0')
        && (version != "00" || parts.next().is_none());
    valid.then(|| trace.to_ascii_lowercase())
}

/// Each request's root span: tracing-actix-web's (method, route, status, its own request
/// id), with the caller's request id and W3C trace id when they sent them.
pub struct RequestSpans;

impl tracing_actix_web::RootSpanBuilder for RequestSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let caller = header("x-request-id").and_then(|raw| caller_request_id(&raw));
        let trace = header("traceparent").and_then(|raw| trace_id(&raw));
        let span = tracing_actix_web::root_span!(
            request,
            caller_request_id = tracing::field::Empty,
            trace_id = tracing::field::Empty
        );
        if let Some(caller) = caller {
            span.record("caller_request_id", caller.as_str());
            request.extensions_mut().insert(CallerRequestId(caller));
        }
        if let Some(trace) = trace {
            span.record("trace_id", trace.as_str());
        }
        span
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_request_ids_are_kept_only_when_short_and_plain() {
        assert_eq!(
            caller_request_id("req-42_a.b:c").as_deref(),
            Some("req-42_a.b:c")
        );
        assert_eq!(caller_request_id(""), None);
        assert_eq!(caller_request_id("has space"), None);
        assert_eq!(caller_request_id("line\nbreak"), None);
        assert_eq!(caller_request_id(&"a".repeat(129)), None);
        assert!(caller_request_id(&"a".repeat(128)).is_some());
    }

    #[test]
    fn trace_ids_come_from_well_formed_traceparents() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            trace_id(header).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(
            trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            trace_id("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            trace_id("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(trace_id("garbage"), None);
    }
}
