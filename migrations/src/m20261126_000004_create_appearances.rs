use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000002_create_articles::Articles;
use crate::m20261126_000003_create_claims::Claims;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Appearances::Table)
                    .if_not_exists()
                    .col(uuid(Appearances::Id).primary_key())
                    .col(uuid(Appearances::ClaimId))
                    .col(uuid(Appearances::ArticleId))
                    .col(text(Appearances::Excerpt))
                    .col(integer_null(Appearances::SpanStart))
                    .col(integer_null(Appearances::SpanEnd))
                    .col(timestamp_with_time_zone(Appearances::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-appearances-claim_id")
                            .from(Appearances::Table, Appearances::ClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-appearances-article_id")
                            .from(Appearances::Table, Appearances::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A claim appears in an article once; the unique index also serves claim_id lookups.
        manager
            .create_index(
                index(
                    Appearances::Table,
                    "idx-appearances-claim_id-article_id",
                    &["claim_id", "article_id"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Appearances::Table,
                "idx-appearances-article_id",
                &["article_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Appearances::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Appearances {
    Table,
    Id,
    ClaimId,
    ArticleId,
    Excerpt,
    SpanStart,
    SpanEnd,
    CreatedAt,
}
