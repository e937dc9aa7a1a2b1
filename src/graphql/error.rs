//! GraphQL rendering of `AppError`: `extensions.code` from the one vocabulary.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{ErrorExtensions, Response, Value};
use std::sync::Arc;

use crate::error::{AppError, ErrorCode};

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            // The cause goes to the log only; the client sees a fixed sentence.
            AppError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(error = ?cause, "database unavailable"),
            _ => {}
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            if let AppError::Validation(errors) = self {
                if let Some(first) = errors.first() {
                    ext.set("field", first.field.clone());
                }
                let fields: Vec<Value> = errors
                    .iter()
                    .map(|e| {
                        let mut map = async_graphql::indexmap::IndexMap::new();
                        map.insert(
                            async_graphql::Name::new("field"),
                            Value::from(e.field.clone()),
                        );
                        map.insert(
                            async_graphql::Name::new("message"),
                            Value::from(e.message.clone()),
                        );
                        Value::Object(map)
                    })
                    .collect();
                ext.set("fieldErrors", Value::List(fields));
            }
        })
    }
}

impl From<&Arc<AppError>> for AppError {
    fn from(error: &Arc<AppError>) -> Self {
        match error.as_ref() {
            AppError::Validation(e) => AppError::Validation(e.clone()),
            AppError::NotFound { entity, id } => AppError::NotFound {
                entity,
                id: id.clone(),
            },
            AppError::Conflict(r) => AppError::Conflict(r.clone()),
            AppError::StaleVersion(r) => AppError::StaleVersion(r.clone()),
            AppError::Unauthenticated => AppError::Unauthenticated,
            AppError::Forbidden { needed } => AppError::Forbidden { needed: *needed },
            AppError::SlowSubscriber { missed } => AppError::SlowSubscriber { missed: *missed },
            AppError::Unavailable(e) => AppError::Unavailable(anyhow::anyhow!("{e:#}")),
            AppError::Internal(e) => AppError::Internal(anyhow::anyhow!("{e:#}")),
        }
    }
}

/// Converts service results into GraphQL results carrying the error code.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.extend())
    }
}

impl<T> GqlResult<T> for Result<T, Arc<AppError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| AppError::from(&e).extend())
    }
}

/// Gives errors raised by async-graphql itself the `BAD_USER_INPUT` code, so that every
/// error has one. Every error raised on our side carries its own code (INTERNAL for the
/// server's failures, see `context::data`), so an error without one is the library's
/// verdict on the request itself: its syntax, its validation, the coercion of its
/// arguments and variables, or an operation this transport does not run.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                extensions.set("code", ErrorCode::BadUserInput.as_str());
            }
        }
        response
    }
}
