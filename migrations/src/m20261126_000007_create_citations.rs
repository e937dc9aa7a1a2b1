use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000001_create_sources::Sources;
use crate::m20261126_000006_create_verifications::Verifications;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Citations::Table)
                    .if_not_exists()
                    .col(uuid(Citations::Id).primary_key())
                    .col(uuid(Citations::VerificationId))
                    .col(small_integer(Citations::Position))
                    .col(text(Citations::Url))
                    .col(uuid_null(Citations::SourceId))
                    .col(text_null(Citations::Excerpt))
                    .col(string_len(Citations::Stance, 16))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-citations-verification_id")
                            .from(Citations::Table, Citations::VerificationId)
                            .to(Verifications::Table, Verifications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-citations-source_id")
                            .from(Citations::Table, Citations::SourceId)
                            .to(Sources::Table, Sources::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Citations::Table,
                "idx-citations-verification_id-position",
                &["verification_id", "position"],
            ))
            .await?;
        manager
            .create_index(index(
                Citations::Table,
                "idx-citations-source_id",
                &["source_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Citations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Citations {
    Table,
    Id,
    VerificationId,
    Position,
    Url,
    SourceId,
    Excerpt,
    Stance,
}
