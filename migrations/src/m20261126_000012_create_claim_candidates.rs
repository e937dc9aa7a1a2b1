use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000001_create_sources::Sources;
use crate::m20261126_000002_create_articles::Articles;
use crate::m20261126_000003_create_claims::Claims;

/// Candidate claims proposed by extraction from an article's body, until a checker
/// accepts (a claim is created) or dismisses them.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClaimCandidates::Table)
                    .if_not_exists()
                    .col(uuid(ClaimCandidates::Id).primary_key())
                    .col(uuid(ClaimCandidates::ArticleId))
                    .col(integer(ClaimCandidates::ArticleVersion))
                    .col(string_len(ClaimCandidates::Fingerprint, 128))
                    .col(string_len(ClaimCandidates::Kind, 32))
                    .col(text(ClaimCandidates::Text))
                    .col(text_null(ClaimCandidates::Quote))
                    .col(text_null(ClaimCandidates::Setting))
                    .col(string_len_null(ClaimCandidates::SpeakerName, 300))
                    .col(string_len_null(ClaimCandidates::SpeakerKind, 32))
                    .col(string_len_null(ClaimCandidates::SpeakerMention, 300))
                    .col(uuid_null(ClaimCandidates::SpeakerId))
                    .col(string_len_null(ClaimCandidates::Subject, 300))
                    .col(string_len_null(ClaimCandidates::Measure, 200))
                    .col(string_len_null(ClaimCandidates::Value, 64))
                    .col(string_len_null(ClaimCandidates::LowerBound, 64))
                    .col(string_len_null(ClaimCandidates::UpperBound, 64))
                    .col(string_len_null(ClaimCandidates::Unit, 64))
                    .col(boolean(ClaimCandidates::Approximate).default(false))
                    .col(integer(ClaimCandidates::SpanStart))
                    .col(integer(ClaimCandidates::SpanEnd))
                    .col(integer_null(ClaimCandidates::FigureStart))
                    .col(integer_null(ClaimCandidates::FigureEnd))
                    .col(double(ClaimCandidates::Confidence))
                    .col(string_len(ClaimCandidates::Rule, 64))
                    .col(string_len(ClaimCandidates::Status, 16))
                    .col(uuid_null(ClaimCandidates::ClaimId))
                    .col(timestamp_with_time_zone(ClaimCandidates::CreatedAt))
                    .col(timestamp_with_time_zone(ClaimCandidates::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-claim_candidates-article_id")
                            .from(ClaimCandidates::Table, ClaimCandidates::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-claim_candidates-speaker_id")
                            .from(ClaimCandidates::Table, ClaimCandidates::SpeakerId)
                            .to(Sources::Table, Sources::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-claim_candidates-claim_id")
                            .from(ClaimCandidates::Table, ClaimCandidates::ClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Extracting an article again finds the candidates it already proposed; the
        // index also serves listing an article's candidates.
        manager
            .create_index(
                index(
                    ClaimCandidates::Table,
                    "idx-claim_candidates-article_id-fingerprint",
                    &["article_id", "fingerprint"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ClaimCandidates::Table,
                "idx-claim_candidates-claim_id",
                &["claim_id"],
            ))
            .await?;
        manager
            .create_index(index(
                ClaimCandidates::Table,
                "idx-claim_candidates-speaker_id",
                &["speaker_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClaimCandidates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum ClaimCandidates {
    Table,
    Id,
    ArticleId,
    ArticleVersion,
    Fingerprint,
    Kind,
    Text,
    Quote,
    Setting,
    SpeakerName,
    SpeakerKind,
    SpeakerMention,
    SpeakerId,
    Subject,
    Measure,
    Value,
    LowerBound,
    UpperBound,
    Unit,
    Approximate,
    SpanStart,
    SpanEnd,
    FigureStart,
    FigureEnd,
    Confidence,
    Rule,
    Status,
    ClaimId,
    CreatedAt,
    UpdatedAt,
}
