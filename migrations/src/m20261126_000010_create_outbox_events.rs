use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per committed change, written in the change's own transaction: live
        // subscriptions and webhooks read only from here, so an event exists exactly when
        // its write committed.
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .if_not_exists()
                    .col(
                        big_integer(OutboxEvents::Seq)
                            .auto_increment()
                            .primary_key(),
                    )
                    // The writing transaction's id on PostgreSQL (0 on SQLite, where writers
                    // are serialised). Readers take events in (tx, seq) order and only from
                    // transactions older than every running one, so a slow transaction's
                    // lower sequence number can never be skipped.
                    .col(big_integer(OutboxEvents::Tx).default(0))
                    .col(timestamp_with_time_zone(OutboxEvents::OccurredAt))
                    .col(string_len(OutboxEvents::EntityType, 32))
                    .col(uuid(OutboxEvents::EntityId))
                    .col(uuid_null(OutboxEvents::ClaimId))
                    .col(string_len(OutboxEvents::Operation, 32))
                    .col(uuid_null(OutboxEvents::PrincipalId))
                    .col(string(OutboxEvents::ActorName))
                    // What subscribers filter on, as the change left it.
                    .col(json_null(OutboxEvents::State))
                    .col(uuid_null(OutboxEvents::AuditEventId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                OutboxEvents::Table,
                "idx-outbox_events-tx-seq",
                &["tx", "seq"],
            ))
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared(
                "ALTER TABLE outbox_events ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint)",
            )
            .await?;
            // NOTIFY is sent at commit only, so other instances wake up exactly when there
            // is something committed to read. The payload names the schema: several
            // claimtrack databases may share one PostgreSQL cluster.
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 PERFORM pg_notify('claimtrack_outbox', TG_TABLE_SCHEMA); RETURN NULL; \
                 END $$",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events \
                 FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxEvents::Table).to_owned())
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS outbox_events_notify()")
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum OutboxEvents {
    Table,
    Seq,
    Tx,
    OccurredAt,
    EntityType,
    EntityId,
    ClaimId,
    Operation,
    PrincipalId,
    ActorName,
    State,
    AuditEventId,
}
