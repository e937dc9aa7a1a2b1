//! Scores extraction against annotated passages: precision and recall per kind.

use std::fmt::Write;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{Candidate, extract, normalize_name};
use crate::domain::ClaimKind;

/// A short news passage with the claims a checker expects from it.
#[derive(Clone, Debug, Deserialize)]
pub struct Passage {
    pub id: String,
    /// The constructions it exercises, for readers of the set.
    #[serde(default)]
    pub covers: Vec<String>,
    pub text: String,
    pub expected: Vec<Expected>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expected {
    /// The quoted words (without marks) and who said them.
    Quote { quote: String, speaker: String },
    /// A figure's value and bounds (as decimal text), its unit, and what it counts.
    Figure {
        #[serde(default)]
        value: Option<String>,
        #[serde(default)]
        lower: Option<String>,
        #[serde(default)]
        upper: Option<String>,
        #[serde(default)]
        unit: Option<String>,
        /// What is counted, when the annotator named it (scored apart from the figure).
        #[serde(default)]
        measure: Option<String>,
    },
    /// A reported statement: its speaker and words its text must contain.
    Statement { speaker: String, contains: String },
}

/// Precision and recall for one kind of claim.
#[derive(Clone, Debug)]
pub struct Score {
    pub category: &'static str,
    pub expected: usize,
    pub predicted: usize,
    pub matched: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        ratio(self.matched, self.predicted)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.matched, self.expected)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The outcome of an evaluation: scores per kind and what was missed or wrongly found.
#[derive(Clone, Debug)]
pub struct Report {
    pub scores: Vec<Score>,
    pub misses: Vec<String>,
    pub false_alarms: Vec<String>,
    /// Figures matched on value and bounds whose measure also matched.
    pub measures_right: usize,
    /// Figures matched on value and bounds whose measure did not.
    pub measure_misses: Vec<String>,
}

impl Report {
    pub fn score(&self, category: &str) -> Option<&Score> {
        self.scores.iter().find(|s| s.category == category)
    }

    /// A table for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<34} {:>8} {:>9} {:>7} {:>9} {:>6}",
            "kind", "expected", "predicted", "matched", "precision", "recall"
        );
        for s in &self.scores {
            let _ = writeln!(
                out,
                "{:<34} {:>8} {:>9} {:>7} {:>9.2} {:>6.2}",
                s.category,
                s.expected,
                s.predicted,
                s.matched,
                s.precision(),
                s.recall()
            );
        }
        if let Some(figures) = self.score("figures (value and bounds)") {
            let _ = writeln!(
                out,
                "figures whose measure also matched: {} of {}",
                self.measures_right, figures.matched
            );
        }
        out
    }
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn decimal(raw: &Option<String>) -> Option<Decimal> {
    raw.as_deref()
        .and_then(|r| r.parse::<Decimal>().ok())
        .map(|d| d.normalize())
}

fn speaker_is(candidate: &Candidate, expected: &str) -> bool {
    candidate
        .speaker
        .as_ref()
        .is_some_and(|s| normalize_name(&s.name) == normalize_name(expected))
}

fn describe(c: &Candidate) -> String {
    let speaker = c.speaker.as_ref().map_or("-", |s| s.name.as_str());
    match &c.quantity {
        Some(q) => format!(
            "figure value={:?} lower={:?} upper={:?} unit={:?} measure={:?} ({})",
            q.value.map(|d| d.to_string()),
            q.lower.map(|d| d.to_string()),
            q.upper.map(|d| d.to_string()),
            q.unit,
            q.measure,
            c.rule
        ),
        None => format!("{} by {speaker}: {:?} ({})", c.kind, c.text, c.rule),
    }
}

/// Runs extraction on every passage (with no stored sources) and scores it.
pub fn evaluate(passages: &[Passage]) -> Report {
    let mut quotes = Score {
        category: "quotes (words and speaker)",
        expected: 0,
        predicted: 0,
        matched: 0,
    };
    let mut figures = Score {
        category: "figures (value and bounds)",
        ..quotes.clone()
    };
    let mut statements = Score {
        category: "reported statements (speaker)",
        ..quotes.clone()
    };
    let mut misses = Vec::new();
    let mut false_alarms = Vec::new();
    let mut measures_right = 0;
    let mut measure_misses = Vec::new();
    for passage in passages {
        let candidates = extract(&passage.text, &[]);
        let mut used = vec![false; candidates.len()];
        for expected in &passage.expected {
            let (score, found) = match expected {
                Expected::Quote { quote, speaker } => (
                    &mut quotes,
                    candidates.iter().enumerate().position(|(k, c)| {
                        !used[k]
                            && c.kind == ClaimKind::Quote
                            && c.quote.as_deref().map(squash) == Some(squash(quote))
                            && speaker_is(c, speaker)
                    }),
                ),
                Expected::Figure {
                    value,
                    lower,
                    upper,
                    unit,
                    measure,
                } => {
                    let found = candidates.iter().enumerate().position(|(k, c)| {
                        !used[k]
                            && c.quantity.as_ref().is_some_and(|q| {
                                q.value == decimal(value)
                                    && q.lower == decimal(lower)
                                    && q.upper == decimal(upper)
                                    && q.unit == *unit
                            })
                    });
                    if let Some(k) = found
                        && let Some(q) = &candidates[k].quantity
                    {
                        if measure
                            .as_deref()
                            .is_none_or(|m| squash(&q.measure) == squash(m))
                        {
                            measures_right += 1;
                        } else {
                            measure_misses.push(format!(
                                "{}: measure {:?}, expected {measure:?}",
                                passage.id, q.measure
                            ));
                        }
                    }
                    (&mut figures, found)
                }
                Expected::Statement { speaker, contains } => (
                    &mut statements,
                    candidates.iter().enumerate().position(|(k, c)| {
                        !used[k]
                            && matches!(c.kind, ClaimKind::Event | ClaimKind::Other)
                            && speaker_is(c, speaker)
                            && squash(&c.text).contains(&squash(contains))
                    }),
                ),
            };
            score.expected += 1;
            match found {
                Some(k) => {
                    used[k] = true;
                    score.matched += 1;
                }
                None => misses.push(format!("{}: missed {expected:?}", passage.id)),
            }
        }
        for (k, c) in candidates.iter().enumerate() {
            let score = match c.kind {
                ClaimKind::Quote => &mut quotes,
                ClaimKind::Quantity => &mut figures,
                ClaimKind::Event | ClaimKind::Other => &mut statements,
            };
            score.predicted += 1;
            if !used[k] {
                false_alarms.push(format!("{}: found {}", passage.id, describe(c)));
            }
        }
    }
    Report {
        scores: vec![quotes, figures, statements],
        misses,
        false_alarms,
        measures_right,
        measure_misses,
    }
}
