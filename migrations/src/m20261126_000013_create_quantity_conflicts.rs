use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000003_create_claims::Claims;

/// Figures about one quantity: each quantity claim gets its quantity key (normalised
/// subject + measure, filled by the application, which also keys existing claims at
/// start-up) and the moment its figure counts from (`as_of`, else when it was recorded);
/// disagreements between sources are kept as conflicts, open until resolved.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time. The key is
        // text: normalising can lengthen a subject (NFKD), so no length bound fits it.
        manager
            .alter_table(
                Table::alter()
                    .table(Claims::Table)
                    .add_column(text_null(QuantityColumns::QuantityKey))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Claims::Table)
                    .add_column(timestamp_with_time_zone_null(QuantityColumns::QuantityAt))
                    .to_owned(),
            )
            .await?;
        // A key's figures in time order, and its latest one, straight from the index.
        manager
            .create_index(index(
                Claims::Table,
                "idx-claims-quantity_key-quantity_at",
                &["quantity_key", "quantity_at", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuantityConflicts::Table)
                    .if_not_exists()
                    .col(uuid(QuantityConflicts::Id).primary_key())
                    .col(text(QuantityConflicts::QuantityKey))
                    .col(uuid_null(QuantityConflicts::FirstClaimId))
                    .col(uuid_null(QuantityConflicts::SecondClaimId))
                    .col(timestamp_with_time_zone(QuantityConflicts::DetectedAt))
                    .col(timestamp_with_time_zone_null(QuantityConflicts::ResolvedAt))
                    .col(string_len_null(QuantityConflicts::Resolution, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-quantity_conflicts-first_claim_id")
                            .from(QuantityConflicts::Table, QuantityConflicts::FirstClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-quantity_conflicts-second_claim_id")
                            .from(QuantityConflicts::Table, QuantityConflicts::SecondClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The dashboard's list: open conflicts, newest first.
        manager
            .create_index(index(
                QuantityConflicts::Table,
                "idx-quantity_conflicts-resolved_at-detected_at-id",
                &["resolved_at", "detected_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                QuantityConflicts::Table,
                "idx-quantity_conflicts-quantity_key-detected_at",
                &["quantity_key", "detected_at"],
            ))
            .await?;
        manager
            .create_index(index(
                QuantityConflicts::Table,
                "idx-quantity_conflicts-first_claim_id",
                &["first_claim_id"],
            ))
            .await?;
        manager
            .create_index(index(
                QuantityConflicts::Table,
                "idx-quantity_conflicts-second_claim_id",
                &["second_claim_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QuantityConflicts::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx-claims-quantity_key-quantity_at")
                    .table(Claims::Table)
                    .to_owned(),
            )
            .await?;
        for column in [QuantityColumns::QuantityAt, QuantityColumns::QuantityKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Claims::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum QuantityColumns {
    QuantityKey,
    QuantityAt,
}

#[derive(DeriveIden)]
pub enum QuantityConflicts {
    Table,
    Id,
    QuantityKey,
    FirstClaimId,
    SecondClaimId,
    DetectedAt,
    ResolvedAt,
    Resolution,
}
