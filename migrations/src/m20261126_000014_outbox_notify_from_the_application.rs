use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Instances now tell each other about committed outbox events themselves: one NOTIFY
/// per instance for the commits of a few milliseconds, sent after they committed. The
/// trigger that notified in every writing transaction goes: PostgreSQL serialises the
/// commits of notifying transactions on its notification queue's lock, which capped
/// writes at a few thousand per second whatever the hardware.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS outbox_events_notify ON outbox_events")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS outbox_events_notify()")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
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
}
