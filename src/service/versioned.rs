//! Records changed under optimistic concurrency: every update names the version it was
//! made from, and is written only if the stored row is still at that version. One rule,
//! one place, for claims, articles, sources and webhook endpoints.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use crate::entity::{article, assignment, claim, source, webhook_endpoint};
use crate::error::AppError;

/// A table whose rows carry an id and a version that every update moves on.
pub(crate) trait Versioned: EntityTrait {
    /// The record's name in errors and audit events.
    const NAME: &'static str;
    fn id_column() -> Self::Column;
    fn version_column() -> Self::Column;
    fn version_of(model: &Self::Model) -> i32;
}

macro_rules! versioned {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(
            impl Versioned for $module::Entity {
                const NAME: &'static str = $name;
                fn id_column() -> Self::Column {
                    $module::Column::Id
                }
                fn version_column() -> Self::Column {
                    $module::Column::Version
                }
                fn version_of(model: &Self::Model) -> i32 {
                    model.version
                }
            }
        )*
    };
}

versioned! {
    claim => "claim",
    article => "article",
    source => "source",
    webhook_endpoint => "webhook_endpoint",
}

// An assignment is keyed by its claim.
impl Versioned for assignment::Entity {
    const NAME: &'static str = "assignment";
    fn id_column() -> Self::Column {
        assignment::Column::ClaimId
    }
    fn version_column() -> Self::Column {
        assignment::Column::Version
    }
    fn version_of(model: &Self::Model) -> i32 {
        model.version
    }
}

/// Writes `updated` (every column) over record `id` if it is still at
/// `expected_version`; otherwise STALE_VERSION naming the version stored now (NOT_FOUND
/// if it is gone).
pub(crate) async fn save<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    updated: E::Model,
) -> Result<(), AppError>
where
    E: Versioned,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let result = E::update_many()
        .set(updated.into_active_model().reset_all())
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected > 0 {
        return Ok(());
    }
    match E::find().filter(E::id_column().eq(id)).one(db).await? {
        Some(stored) => Err(AppError::stale_version(
            E::NAME,
            expected_version,
            E::version_of(&stored),
        )),
        None => Err(AppError::NotFound {
            entity: E::NAME,
            id: id.to_string(),
        }),
    }
}
