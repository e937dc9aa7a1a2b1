use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::entity::{note, note_revision};

/// A checker's note on a claim (or on one of its verifications): internal, never in
/// ClaimReview or the export.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Note {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// The claim discussed.
    pub claim_id: Uuid,
    /// The verification discussed, if the note is about one.
    pub verification_id: Option<Uuid>,
    /// Who wrote it.
    pub author: String,
    /// The text as it is now.
    pub body: String,
    /// Moves with every edit; pass it back as `expectedVersion` (or `If-Match`).
    pub version: i32,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited (or retracted).
    pub updated_at: DateTime<Utc>,
    /// Set once it is retracted: the note stays, marked.
    pub retraction: Option<NoteRetraction>,
}

/// Why, when and by whom a note was withdrawn.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct NoteRetraction {
    /// When it was retracted.
    pub at: DateTime<Utc>,
    /// Who retracted it.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// An earlier text of an edited note.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct NoteRevision {
    /// The note's version while it read so.
    pub version: i32,
    /// The text then.
    pub body: String,
    /// When that text was written.
    pub written_at: DateTime<Utc>,
}

impl From<note::Model> for Note {
    fn from(m: note::Model) -> Self {
        let retraction = match (m.retracted_at, m.retracted_by, m.retraction_reason) {
            (Some(at), Some(by), reason) => Some(NoteRetraction {
                at,
                by,
                reason: reason.unwrap_or_default(),
            }),
            _ => None,
        };
        Self {
            id: m.id,
            claim_id: m.claim_id,
            verification_id: m.verification_id,
            author: m.author_name,
            body: m.body,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            retraction,
        }
    }
}

impl From<note_revision::Model> for NoteRevision {
    fn from(m: note_revision::Model) -> Self {
        Self {
            version: m.version,
            body: m.body,
            written_at: m.written_at,
        }
    }
}
