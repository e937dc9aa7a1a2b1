//! Wire types shared by the doors: what clients see, apart from how rows are stored.
//! Relation fields (speaker, appearances, …) are added per door (GraphQL `ComplexObject`s).

mod article;
mod assignment;
mod audit;
mod candidate;
mod claim;
mod decimal;
pub mod inputs;
mod key;
mod note;
mod quantity;
mod search;
mod source;
mod tag;
mod verification;
mod webhook;

pub use article::Article;
pub use assignment::{Assignment, Principal};
pub use audit::AuditEvent;
pub use candidate::{AcceptedCandidate, CandidateFigure, ClaimCandidate, ProposedSpeaker};
pub use claim::{Appearance, Claim, Quantity};
pub use decimal::Decimal;
pub use key::{ApiKey, CreatedApiKey};
pub use note::{Note, NoteRetraction, NoteRevision};
pub use quantity::{FigureSourceRole, QuantityConflict, QuantityFigure, QuantitySeries};
pub use search::{SearchHit, Snippet, SnippetField, SnippetFragment};
pub use source::{Source, SpeakerRecord, VerdictCount};
pub use tag::{Tag, TagCount};
pub use verification::{Citation, Retraction, Reviewer, Verification};
pub use webhook::{
    CreatedWebhookEndpoint, WebhookAttempt, WebhookDelivery, WebhookDeliveryState, WebhookEndpoint,
};
