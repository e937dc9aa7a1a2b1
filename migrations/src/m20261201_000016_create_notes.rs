use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000003_create_claims::Claims;

/// Notes: checkers' internal discussion of a claim (or of one of its verifications).
/// Edits keep the earlier text as revisions; deleting a note is a retraction that keeps
/// it, like a verdict's.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notes::Table)
                    .if_not_exists()
                    .col(uuid(Notes::Id).primary_key())
                    .col(uuid(Notes::ClaimId))
                    .col(uuid_null(Notes::VerificationId))
                    .col(uuid_null(Notes::AuthorId))
                    .col(text(Notes::AuthorName))
                    .col(text(Notes::Body))
                    .col(integer(Notes::Version))
                    .col(timestamp_with_time_zone(Notes::CreatedAt))
                    .col(timestamp_with_time_zone(Notes::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Notes::RetractedAt))
                    .col(text_null(Notes::RetractedBy))
                    .col(text_null(Notes::RetractionReason))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-notes-claim_id")
                            .from(Notes::Table, Notes::ClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-notes-verification_id")
                            .from(Notes::Table, Notes::VerificationId)
                            .to(Verifications::Table, Verifications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A claim's discussion in order; a verification's notes.
        manager
            .create_index(index(
                Notes::Table,
                "idx-notes-claim_id-created_at-id",
                &["claim_id", "created_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                Notes::Table,
                "idx-notes-verification_id",
                &["verification_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NoteRevisions::Table)
                    .if_not_exists()
                    .col(uuid(NoteRevisions::Id).primary_key())
                    .col(uuid(NoteRevisions::NoteId))
                    .col(integer(NoteRevisions::Version))
                    .col(text(NoteRevisions::Body))
                    .col(timestamp_with_time_zone(NoteRevisions::WrittenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-note_revisions-note_id")
                            .from(NoteRevisions::Table, NoteRevisions::NoteId)
                            .to(Notes::Table, Notes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                NoteRevisions::Table,
                "idx-note_revisions-note_id-version",
                &["note_id", "version"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NoteRevisions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notes {
    Table,
    Id,
    ClaimId,
    VerificationId,
    AuthorId,
    AuthorName,
    Body,
    Version,
    CreatedAt,
    UpdatedAt,
    RetractedAt,
    RetractedBy,
    RetractionReason,
}

#[derive(DeriveIden)]
enum NoteRevisions {
    Table,
    Id,
    NoteId,
    Version,
    Body,
    WrittenAt,
}
