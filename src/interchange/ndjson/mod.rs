//! NDJSON interchange: one article per line with its outlet, sources, claims and their
//! verifications. Import upserts articles by canonical URL and sources by kind and name,
//! each line in its own transaction; export streams the same format, so an export
//! imported into an empty database reproduces the data (ids and times included).
//!
//! Three parts: `records` (the format), `import` and `export`.

mod export;
mod import;
mod records;

pub use export::*;
pub use import::*;
pub use records::*;
