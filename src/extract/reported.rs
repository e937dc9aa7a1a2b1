//! Reported statements without quotation marks: "Western officials say it has mainly hit
//! …", "The Islamic State has claimed responsibility for …", "…, according to police".

use super::names::{self, Form, Resolver};
use super::text::Doc;
use super::{Found, lexicon};
use crate::domain::ClaimKind;

/// Where the clause holding token `at` starts: after the last comma, semicolon, colon or
/// coordinating word before it, or the sentence start.
fn clause_start(doc: &Doc, sentence_start: usize, at: usize) -> usize {
    (sentence_start..at)
        .rev()
        .find(|&k| {
            (!doc.is_word(k) && matches!(doc.tok(k), "," | ";" | ":" | "—" | "–"))
                || (doc.is_word(k)
                    && matches!(
                        doc.lower(k).as_str(),
                        "but"
                            | "and"
                            | "while"
                            | "whereas"
                            | "although"
                            | "though"
                            | "as"
                            | "because"
                            | "since"
                    ))
        })
        .map_or(sentence_start, |k| k + 1)
}

/// Skips "on Monday", "late Monday", "in a statement" … and an optional "that".
fn complement_start(doc: &Doc, mut at: usize, end: usize) -> usize {
    loop {
        if at >= end || !doc.is_word(at) {
            return at;
        }
        let w = doc.lower(at);
        let next_time = doc.is_word(at + 1) && lexicon::is_time_word(&doc.lower(at + 1));
        if (matches!(w.as_str(), "on" | "late" | "early" | "last" | "this") && next_time)
            || (lexicon::is_time_word(&w) && doc.is_capitalized(at))
        {
            at += if lexicon::is_time_word(&w) { 1 } else { 2 };
            continue;
        }
        if w == "that" {
            return at + 1;
        }
        return at;
    }
}

/// Statements reported in sentence `s`, at most one per sentence. `used_verbs` are the
/// speech verbs already read as quote attributions.
pub fn in_sentence(
    doc: &Doc,
    resolver: &mut Resolver,
    s: usize,
    used_verbs: &[usize],
) -> Vec<Found> {
    let (sa, sb) = doc.sentences[s];
    let sentence_end = doc.tokens[sb - 1].end;
    for v in sa..sb {
        if doc.in_quote[v].is_some() || used_verbs.contains(&v) || !doc.is_word(v) {
            continue;
        }
        let w = doc.lower(v);
        let floor = clause_start(doc, sa, v);
        let (mention, rule, confidence, from) =
            if matches!(w.as_str(), "claimed" | "claim" | "claims")
                && doc.is_lower_word(v + 1, "responsibility")
            {
                let Some(m) = names::before(doc, v, floor) else {
                    continue;
                };
                (m, "statement.responsibility", 0.9, None)
            } else if w == "according" && doc.is_lower_word(v + 1, "to") {
                let Some(m) = names::after(doc, v + 2, sb) else {
                    continue;
                };
                (m, "statement.according_to", 0.75, Some((sa, sb)))
            } else if lexicon::is_speech_verb(&w) {
                let Some(m) = names::before(doc, v, floor).or_else(|| names::apposed(doc, sa, v))
                else {
                    continue;
                };
                if m.start != floor && !doc.is_punct(v - 1, ",") {
                    continue;
                }
                if (sa..sb).any(|k| doc.in_quote[k].is_some()) {
                    continue;
                }
                let complement = complement_start(doc, v + 1, sb);
                let that = complement > v + 1 && doc.is_lower_word(complement - 1, "that");
                let words = (complement..sb).filter(|&k| doc.is_word(k)).count();
                // "The storm damaged 214 schools, officials said (in a statement).": the
                // statement comes first.
                let trailing = words == 0
                    || doc.is_punct(complement, ",")
                    || (words <= 6
                        && !that
                        && (matches!(w.as_str(), "told" | "tells")
                            || matches!(
                                doc.lower(complement).as_str(),
                                "in" | "at" | "on" | "during" | "to"
                            )));
                if floor > sa + 1 && doc.is_punct(floor - 1, ",") && trailing {
                    let clause_words = (sa..floor - 1).filter(|&k| doc.is_word(k)).count();
                    if clause_words < 4 {
                        continue;
                    }
                    (m, "statement.reported_after", 0.75, Some((sa, floor - 1)))
                } else if (lexicon::reports_without_that(&w) || that) && words >= 4 {
                    (m, "statement.reported", 0.75, None)
                } else {
                    continue;
                }
            } else {
                continue;
            };
        if matches!(mention.form, Form::Pronoun(_)) && !rule.starts_with("statement.reported") {
            continue;
        }
        let Some(speaker) = resolver.resolve(doc, &mention, mention.start) else {
            continue;
        };
        resolver.speakers.push((mention.start, speaker.clone()));
        let (byte_start, byte_end) = match from {
            Some((a, b)) => (doc.tokens[a].start, doc.tokens[b - 1].end),
            None => (doc.tokens[mention.start].start, sentence_end),
        };
        let text = doc.text[byte_start..byte_end].to_owned();
        let event = rule == "statement.responsibility"
            || (v + 1..sb).any(|k| doc.is_word(k) && lexicon::is_event_verb(&doc.lower(k)));
        return vec![Found {
            kind: if event {
                ClaimKind::Event
            } else {
                ClaimKind::Other
            },
            text,
            quote: None,
            setting: None,
            speaker: Some(speaker),
            quantity: None,
            bytes: (byte_start, byte_end),
            figure_bytes: None,
            confidence,
            rule,
        }];
    }
    Vec::new()
}
