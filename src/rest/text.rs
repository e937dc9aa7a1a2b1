//! No text the service keeps may hold a NUL character (PostgreSQL cannot store one, and
//! an export must import anywhere): REST requests carrying one, in the query string or
//! anywhere in a JSON body, are refused with 400 before a handler sees them.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};
use serde_json::Value;

use super::problem::Problem;
use crate::domain::{FieldError, NUL_MESSAGE, nul_path};

pub async fn reject_nul(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let refuse = |request: ServiceRequest, field: String| {
        let problem = Problem::invalid(&[FieldError::new(field, NUL_MESSAGE)]);
        Ok(request
            .into_response(problem.error_response())
            .map_into_right_body())
    };
    let in_query = url::form_urlencoded::parse(request.query_string().as_bytes())
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.into_owned());
    if let Some(name) = in_query {
        return refuse(request, name);
    }
    let is_json =
        request.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
        });
    if is_json {
        let body = match super::buffered_body(&mut request).await {
            Ok(body) => body,
            Err(problem) => {
                return Ok(request
                    .into_response(problem.error_response())
                    .map_into_right_body());
            }
        };
        // A body that is not JSON is for the handler to refuse.
        let found = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|value| nul_path(&value, ""));
        request.set_payload(Payload::from(body));
        if let Some(field) = found {
            return refuse(request, field);
        }
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}
