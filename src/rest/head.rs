//! HEAD on every GET (RFC 9110 §9.3.2): the request is routed as the GET it mirrors, and
//! the HTTP layer, which saw HEAD, sends the GET's status and headers (its
//! `Content-Length` included) without the body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
    }
    next.call(request).await
}
