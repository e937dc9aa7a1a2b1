//! sea-orm entities: the storage shape of each table, nothing more.
//! Tables are plural (`claims`), modules singular (`entity::claim`).

pub mod api_key;
pub mod appearance;
pub mod article;
pub mod article_tag;
pub mod assignment;
pub mod audit_event;
pub mod citation;
pub mod claim;
pub mod claim_candidate;
pub mod claim_merge;
pub mod claim_tag;
pub mod idempotency_key;
pub mod note;
pub mod note_revision;
pub mod outbox_cursor;
pub mod outbox_event;
pub mod principal;
pub mod quantity_conflict;
pub mod retraction;
pub mod search_document;
pub mod source;
pub mod tag;
pub mod verification;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
