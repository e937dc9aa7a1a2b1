use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000003_create_claims::Claims;
use crate::m20261126_000005_create_principals_and_api_keys::Principals;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Append-only: rows are never updated or deleted by the service.
        manager
            .create_table(
                Table::create()
                    .table(Verifications::Table)
                    .if_not_exists()
                    .col(uuid(Verifications::Id).primary_key())
                    .col(uuid(Verifications::ClaimId))
                    .col(string_len(Verifications::Verdict, 16))
                    .col(small_integer_null(Verifications::Rating))
                    .col(text(Verifications::Summary))
                    .col(uuid_null(Verifications::ReviewerId))
                    .col(string(Verifications::ReviewerName))
                    .col(timestamp_with_time_zone(Verifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-verifications-claim_id")
                            .from(Verifications::Table, Verifications::ClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-verifications-reviewer_id")
                            .from(Verifications::Table, Verifications::ReviewerId)
                            .to(Principals::Table, Principals::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Serves both the claim_id foreign key and "latest N per claim".
        manager
            .create_index(index(
                Verifications::Table,
                "idx-verifications-claim_id-created_at-id",
                &["claim_id", "created_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                Verifications::Table,
                "idx-verifications-reviewer_id",
                &["reviewer_id"],
            ))
            .await?;

        // A retraction is its own record; the verification it withdraws stays as it was.
        manager
            .create_table(
                Table::create()
                    .table(Retractions::Table)
                    .if_not_exists()
                    .col(uuid(Retractions::Id).primary_key())
                    .col(uuid_uniq(Retractions::VerificationId))
                    .col(text(Retractions::Reason))
                    .col(uuid_null(Retractions::RetractedById))
                    .col(string(Retractions::RetractedByName))
                    .col(timestamp_with_time_zone(Retractions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-retractions-verification_id")
                            .from(Retractions::Table, Retractions::VerificationId)
                            .to(Verifications::Table, Verifications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-retractions-retracted_by_id")
                            .from(Retractions::Table, Retractions::RetractedById)
                            .to(Principals::Table, Principals::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Retractions::Table,
                "idx-retractions-retracted_by_id",
                &["retracted_by_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Retractions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Verifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Verifications {
    Table,
    Id,
    ClaimId,
    Verdict,
    Rating,
    Summary,
    ReviewerId,
    ReviewerName,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Retractions {
    Table,
    Id,
    VerificationId,
    Reason,
    RetractedById,
    RetractedByName,
    CreatedAt,
}
