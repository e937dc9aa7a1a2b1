use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000003_create_claims::Claims;

/// A claim's language (a BCP 47 tag), its own: stored claims take the language of the
/// first article they appeared in.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Claims::Table)
                    .add_column(text_null(ClaimLanguage::Language))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE claims SET language = (SELECT a.language FROM appearances ap \
                 JOIN articles a ON a.id = ap.article_id WHERE ap.claim_id = claims.id \
                 ORDER BY ap.created_at, ap.id LIMIT 1) WHERE language IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Claims::Table)
                    .drop_column(ClaimLanguage::Language)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ClaimLanguage {
    Language,
}
