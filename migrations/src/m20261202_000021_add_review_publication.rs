use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000006_create_verifications::Verifications;

/// What a verification's published review says beside its verdict: the URL of the
/// newsroom's own fact-check article (the ClaimReview `url`), the claim as the review
/// words it (a short `claimReviewed`), and the review's language. One column per
/// statement: SQLite alters one column at a time.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Verifications::Table)
                        .add_column(text_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Verifications::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

const COLUMNS: [ReviewPublication; 3] = [
    ReviewPublication::ReviewUrl,
    ReviewPublication::ClaimReviewed,
    ReviewPublication::Language,
];

#[derive(DeriveIden, Clone, Copy)]
enum ReviewPublication {
    ReviewUrl,
    ClaimReviewed,
    Language,
}
