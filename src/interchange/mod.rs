//! Interchange formats built on the service layer.

pub mod claim_review;
pub mod ndjson;
