use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000003_create_claims::Claims;
use crate::m20261126_000005_create_principals_and_api_keys::Principals;

/// Who checks what, by when: a claim's assignment to a principal, with a due time and a
/// priority (stored as its rank, so queues sort on it). Principals also get the subject
/// of the identity provider's tokens, so token holders can be assigned like key holders.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Principals::Table)
                    .add_column(text_null(PrincipalSubject::Subject))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-principals-subject")
                    .table(Principals::Table)
                    .col(PrincipalSubject::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Assignments::Table)
                    .if_not_exists()
                    .col(uuid(Assignments::ClaimId).primary_key())
                    .col(uuid(Assignments::AssigneeId))
                    .col(integer(Assignments::Priority))
                    .col(timestamp_with_time_zone_null(Assignments::DueAt))
                    .col(timestamp_with_time_zone(Assignments::AssignedAt))
                    .col(text(Assignments::AssignedBy))
                    .col(integer(Assignments::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-assignments-claim_id")
                            .from(Assignments::Table, Assignments::ClaimId)
                            .to(Claims::Table, Claims::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-assignments-assignee_id")
                            .from(Assignments::Table, Assignments::AssigneeId)
                            .to(Principals::Table, Principals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A checker's queue, in its order (due time, then priority).
        manager
            .create_index(index(
                Assignments::Table,
                "idx-assignments-assignee_id-due_at-priority",
                &["assignee_id", "due_at", "priority"],
            ))
            .await?;
        // Overdue work across the desk.
        manager
            .create_index(index(
                Assignments::Table,
                "idx-assignments-due_at",
                &["due_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Assignments::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx-principals-subject")
                    .table(Principals::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Principals::Table)
                    .drop_column(PrincipalSubject::Subject)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PrincipalSubject {
    Subject,
}

#[derive(DeriveIden)]
enum Assignments {
    Table,
    ClaimId,
    AssigneeId,
    Priority,
    DueAt,
    AssignedAt,
    AssignedBy,
    Version,
}
