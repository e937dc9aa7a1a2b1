//! Candidate claims from article text: direct quotes with their speakers and settings,
//! figures with their bounds, and reported statements.
//!
//! Rule-based and deterministic: the same text and the same known sources always give
//! the same candidates, and nothing is fetched at run time. Each candidate names the rule
//! that produced it and a confidence, so checkers can see why it was proposed.

mod figures;
mod lexicon;
mod names;
mod quotes;
mod reported;
mod text;

pub mod evaluation;

use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{ClaimKind, SourceKind};

pub use names::normalize as normalize_name;

/// A stored source that speakers are matched against (by name or alias).
#[derive(Clone, Debug)]
pub struct KnownSource {
    pub id: Uuid,
    pub kind: SourceKind,
    pub name: String,
    pub aliases: Vec<String>,
}

/// Who made a claim: a stored source (`source_id`), or a proposed new one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Speaker {
    /// The full name ("Francois Hollande"), or the stored source's name when matched.
    pub name: String,
    pub kind: SourceKind,
    pub source_id: Option<Uuid>,
    /// How the text referred to the speaker here ("he", "the French president").
    pub mention: String,
}

/// A figure as the text gives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// The event or thing the figure is about, when the sentence names it.
    pub subject: Option<String>,
    /// What is counted ("deaths", "duration").
    pub measure: String,
    pub value: Option<Decimal>,
    pub lower: Option<Decimal>,
    pub upper: Option<Decimal>,
    pub unit: Option<String>,
    pub approximate: bool,
}

/// Half-open range of Unicode character offsets into the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A proposed claim. It becomes a claim only when a checker accepts it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub kind: ClaimKind,
    /// The claim's text: the quoted words, or the sentence or clause stating it.
    pub text: String,
    pub quote: Option<String>,
    /// Where it was said, when the text gives it.
    pub setting: Option<String>,
    pub speaker: Option<Speaker>,
    pub quantity: Option<Figure>,
    /// Where the claim is in the body (a quotation with its marks, a sentence, a clause).
    pub span: Span,
    /// For figures: the words that give the number, its hedge and what it counts.
    pub figure_span: Option<Span>,
    /// How sure the rule is, from 0 to 1.
    pub confidence: f64,
    /// The rule that produced it ("quote.attribution_after", "figure.casualty" …).
    pub rule: &'static str,
}

/// A candidate as token positions, before spans become character offsets.
struct Found {
    kind: ClaimKind,
    text: String,
    quote: Option<String>,
    setting: Option<String>,
    speaker: Option<Speaker>,
    quantity: Option<Figure>,
    /// Byte range of the claim.
    bytes: (usize, usize),
    figure_bytes: Option<(usize, usize)>,
    confidence: f64,
    rule: &'static str,
}

/// Proposes candidate claims for an article body. `known` are the stored sources that
/// speakers are matched against.
pub fn extract(body: &str, known: &[KnownSource]) -> Vec<Candidate> {
    let doc = text::Doc::new(body);
    let mut resolver = names::Resolver::new(names::scan(&doc), known);
    let mut found: Vec<Found> = Vec::new();
    let mut quote_speakers: Vec<(usize, usize, Option<Speaker>)> = Vec::new();
    let mut statement_speakers: Vec<(usize, usize, Option<Speaker>)> = Vec::new();
    let mut used_verbs = Vec::new();
    let mut state = quotes::State::default();
    // One pass in text order, so pronouns resolve against the speakers found before them.
    for s in 0..doc.sentences.len() {
        for quote in quotes::in_sentence(&doc, &mut resolver, s, &mut state) {
            quote_speakers.push((
                quote.found.bytes.0,
                quote.found.bytes.1,
                quote.found.speaker.clone(),
            ));
            used_verbs.extend(quote.verb);
            found.push(quote.found);
        }
        for statement in reported::in_sentence(&doc, &mut resolver, s, &used_verbs) {
            statement_speakers.push((
                statement.bytes.0,
                statement.bytes.1,
                statement.speaker.clone(),
            ));
            found.push(statement);
        }
    }
    for s in 0..doc.sentences.len() {
        for mut figure in figures::in_sentence(&doc, s) {
            let at = figure.figure_bytes.map_or(figure.bytes.0, |b| b.0);
            // A figure inside a quotation or a reported statement is its speaker's.
            figure.speaker = quote_speakers
                .iter()
                .chain(statement_speakers.iter())
                .find(|(a, b, _)| *a <= at && at < *b)
                .and_then(|(_, _, speaker)| speaker.clone());
            found.push(figure);
        }
    }
    found.sort_by_key(|f| (f.bytes.0, f.figure_bytes.map(|b| b.0), f.bytes.1));
    let span = |(a, b): (usize, usize)| Span {
        start: doc.char_offset(a),
        end: doc.char_offset(b),
    };
    found
        .into_iter()
        .map(|f| Candidate {
            kind: f.kind,
            text: f.text,
            quote: f.quote,
            setting: f.setting,
            speaker: f.speaker,
            quantity: f.quantity,
            span: span(f.bytes),
            figure_span: f.figure_bytes.map(span),
            confidence: f.confidence,
            rule: f.rule,
        })
        .collect()
}

#[cfg(test)]
mod tests;
