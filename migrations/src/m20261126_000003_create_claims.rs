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
                    .table(Claims::Table)
                    .if_not_exists()
                    .col(uuid(Claims::Id).primary_key())
                    .col(string_len(Claims::Kind, 16))
                    .col(text(Claims::Text))
                    .col(uuid_null(Claims::SpeakerId))
                    .col(string_len(Claims::Status, 16))
                    // Derived from the latest non-retracted verification, kept in the same
                    // transaction as the verification so that it can be filtered and indexed.
                    .col(string_len_null(Claims::CurrentVerdict, 16))
                    .col(text_null(Claims::Quote))
                    .col(text_null(Claims::Setting))
                    .col(string_null(Claims::Subject))
                    .col(string_null(Claims::Measure))
                    // Exact decimals as canonical text: SQLite has no exact decimal type,
                    // and text keeps both backends byte-for-byte identical.
                    .col(string_len_null(Claims::Value, 64))
                    .col(string_len_null(Claims::LowerBound, 64))
                    .col(string_len_null(Claims::UpperBound, 64))
                    .col(string_len_null(Claims::Unit, 64))
                    .col(boolean(Claims::Approximate).default(false))
                    .col(timestamp_with_time_zone_null(Claims::AsOf))
                    .col(integer(Claims::Version))
                    .col(timestamp_with_time_zone(Claims::CreatedAt))
                    .col(timestamp_with_time_zone(Claims::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-claims-speaker_id")
                            .from(Claims::Table, Claims::SpeakerId)
                            .to(Sources::Table, Sources::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx-claims-speaker_id", &["speaker_id"][..]),
            (
                "idx-claims-status-created_at",
                &["status", "created_at"][..],
            ),
            ("idx-claims-kind-created_at", &["kind", "created_at"][..]),
            (
                "idx-claims-current_verdict-created_at",
                &["current_verdict", "created_at"][..],
            ),
            ("idx-claims-subject-measure", &["subject", "measure"][..]),
            ("idx-claims-measure", &["measure"][..]),
            ("idx-claims-created_at-id", &["created_at", "id"][..]),
            ("idx-claims-updated_at-id", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Claims::Table, name, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Claims::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Claims {
    Table,
    Id,
    Kind,
    Text,
    SpeakerId,
    Status,
    CurrentVerdict,
    Quote,
    Setting,
    Subject,
    Measure,
    Value,
    LowerBound,
    UpperBound,
    Unit,
    Approximate,
    AsOf,
    Version,
    CreatedAt,
    UpdatedAt,
}
