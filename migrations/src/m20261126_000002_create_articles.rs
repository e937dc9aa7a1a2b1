use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000001_create_sources::Sources;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .if_not_exists()
                    .col(uuid(Articles::Id).primary_key())
                    .col(string_uniq(Articles::Url))
                    .col(text(Articles::Title))
                    .col(uuid_null(Articles::OutletId))
                    .col(timestamp_with_time_zone_null(Articles::PublishedAt))
                    .col(string_len_null(Articles::Language, 35))
                    .col(text(Articles::Body))
                    .col(integer(Articles::Version))
                    .col(timestamp_with_time_zone(Articles::CreatedAt))
                    .col(timestamp_with_time_zone(Articles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-articles-outlet_id")
                            .from(Articles::Table, Articles::OutletId)
                            .to(Sources::Table, Sources::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx-articles-outlet_id", &["outlet_id"][..]),
            ("idx-articles-published_at", &["published_at"][..]),
            ("idx-articles-created_at-id", &["created_at", "id"][..]),
            ("idx-articles-updated_at-id", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Articles::Table, name, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Articles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Articles {
    Table,
    Id,
    Url,
    Title,
    OutletId,
    PublishedAt,
    Language,
    Body,
    Version,
    CreatedAt,
    UpdatedAt,
}
