use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000005_create_principals_and_api_keys::Principals;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys to the audited rows: the trail outlives what it describes.
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(uuid(AuditEvents::Id).primary_key())
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(uuid_null(AuditEvents::PrincipalId))
                    .col(string(AuditEvents::ActorName))
                    .col(string_len(AuditEvents::EntityType, 32))
                    .col(uuid(AuditEvents::EntityId))
                    // The claim an event concerns (claim, appearance, verification), for its trail.
                    .col(uuid_null(AuditEvents::ClaimId))
                    .col(string_len(AuditEvents::Operation, 32))
                    .col(json(AuditEvents::Changes))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-audit_events-principal_id")
                            .from(AuditEvents::Table, AuditEvents::PrincipalId)
                            .to(Principals::Table, Principals::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx-audit_events-claim_id-occurred_at",
                &["claim_id", "occurred_at", "id"][..],
            ),
            (
                "idx-audit_events-entity",
                &["entity_type", "entity_id", "occurred_at"][..],
            ),
            ("idx-audit_events-principal_id", &["principal_id"][..]),
            ("idx-audit_events-occurred_at", &["occurred_at", "id"][..]),
        ] {
            manager
                .create_index(index(AuditEvents::Table, name, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    PrincipalId,
    ActorName,
    EntityType,
    EntityId,
    ClaimId,
    Operation,
    Changes,
}
