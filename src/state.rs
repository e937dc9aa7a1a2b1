//! What both doors share: the database, the settings, counters.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::db::StatementCounter;
use crate::service::keys::KeyEpoch;
use crate::service::pagination::PageLimits;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The background tasks' own small pool (outbox reader, webhook engine); closing it
    /// stops them.
    pub background: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub statements: StatementCounter,
    /// Statements sent by the background tasks (an idle instance should send none).
    pub background_statements: StatementCounter,
    /// Changes of API keys this application knows of (its remembered keys' validity).
    pub key_epoch: KeyEpoch,
}

impl AppState {
    pub fn page_limits(&self) -> PageLimits {
        PageLimits {
            default_size: self.settings.graphql.default_page_size,
            max_size: self.settings.graphql.max_page_size,
        }
    }
}
