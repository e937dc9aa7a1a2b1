//! Schema migrations for claimtrack. The same migrations run on SQLite and PostgreSQL.
//! Landed migrations are never edited: a change to the schema is a new file.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_sources;
mod m20261126_000002_create_articles;
mod m20261126_000003_create_claims;
mod m20261126_000004_create_appearances;
mod m20261126_000005_create_principals_and_api_keys;
mod m20261126_000006_create_verifications;
mod m20261126_000007_create_citations;
mod m20261126_000008_create_audit_events;
mod m20261126_000009_create_idempotency_keys;
mod m20261126_000010_create_outbox_events;
mod m20261126_000011_create_webhooks;
mod m20261126_000012_create_claim_candidates;
mod m20261126_000013_create_quantity_conflicts;
mod m20261126_000014_outbox_notify_from_the_application;
mod m20261201_000015_create_assignments;
mod m20261201_000016_create_notes;
mod m20261201_000017_create_tags;
mod m20261202_000018_create_search_documents;
mod m20261202_000019_create_claim_merges;
mod m20261202_000020_add_claim_language;
mod m20261202_000021_add_review_publication;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_sources::Migration),
            Box::new(m20261126_000002_create_articles::Migration),
            Box::new(m20261126_000003_create_claims::Migration),
            Box::new(m20261126_000004_create_appearances::Migration),
            Box::new(m20261126_000005_create_principals_and_api_keys::Migration),
            Box::new(m20261126_000006_create_verifications::Migration),
            Box::new(m20261126_000007_create_citations::Migration),
            Box::new(m20261126_000008_create_audit_events::Migration),
            Box::new(m20261126_000009_create_idempotency_keys::Migration),
            Box::new(m20261126_000010_create_outbox_events::Migration),
            Box::new(m20261126_000011_create_webhooks::Migration),
            Box::new(m20261126_000012_create_claim_candidates::Migration),
            Box::new(m20261126_000013_create_quantity_conflicts::Migration),
            Box::new(m20261126_000014_outbox_notify_from_the_application::Migration),
            Box::new(m20261201_000015_create_assignments::Migration),
            Box::new(m20261201_000016_create_notes::Migration),
            Box::new(m20261201_000017_create_tags::Migration),
            Box::new(m20261202_000018_create_search_documents::Migration),
            Box::new(m20261202_000019_create_claim_merges::Migration),
            Box::new(m20261202_000020_add_claim_language::Migration),
            Box::new(m20261202_000021_add_review_publication::Migration),
        ]
    }
}

/// Creates a (non-unique) index named `idx-<table>-<columns>`.
pub(crate) fn index<T: IntoIden + 'static>(
    table: T,
    name: &str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(Alias::new(*column));
    }
    stmt.to_owned()
}
