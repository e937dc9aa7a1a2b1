use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000003_create_claims::Claims;

/// Claims merged into others: a merged claim's id keeps resolving to the claim it became
/// part of.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClaimMerges::Table)
                    .if_not_exists()
                    .col(uuid(ClaimMerges::MergedId).primary_key())
                    .col(uuid(ClaimMerges::ClaimId))
                    .col(timestamp_with_time_zone(ClaimMerges::MergedAt))
                    .col(uuid_null(ClaimMerges::MergedById))
                    .col(text(ClaimMerges::MergedByName))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-claim_merges-claim_id")
                            .from(ClaimMerges::Table, ClaimMerges::ClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ClaimMerges::Table,
                "idx-claim_merges-claim_id",
                &["claim_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClaimMerges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ClaimMerges {
    Table,
    MergedId,
    ClaimId,
    MergedAt,
    MergedById,
    MergedByName,
}
