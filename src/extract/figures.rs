//! Figures: numbers in digits or words, their hedges as bounds, what they count, and the
//! event they are about.

use rust_decimal::Decimal;

use super::text::{Doc, Kind};
use super::{Figure, Found, lexicon};
use crate::domain::ClaimKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hedge {
    /// more than, at least: the figure is a lower bound.
    Lower,
    /// up to, fewer than: an upper bound.
    Upper,
    /// nearly, almost: an upper bound, approached.
    Nearly,
    /// about, some: the value, approximately.
    About,
}

const HEDGES: &[(&[&str], Hedge)] = &[
    (&["no", "more", "than"], Hedge::Upper),
    (&["no", "fewer", "than"], Hedge::Lower),
    (&["no", "less", "than"], Hedge::Lower),
    (&["in", "excess", "of"], Hedge::Lower),
    (&["a", "minimum", "of"], Hedge::Lower),
    (&["a", "maximum", "of"], Hedge::Upper),
    (&["as", "many", "as"], Hedge::Upper),
    (&["as", "much", "as"], Hedge::Upper),
    (&["more", "than"], Hedge::Lower),
    (&["upwards", "of"], Hedge::Lower),
    (&["at", "least"], Hedge::Lower),
    (&["just", "under"], Hedge::Nearly),
    (&["close", "to"], Hedge::Nearly),
    (&["not", "quite"], Hedge::Nearly),
    (&["an", "estimated"], Hedge::About),
    (&["up", "to"], Hedge::Upper),
    (&["at", "most"], Hedge::Upper),
    (&["fewer", "than"], Hedge::Upper),
    (&["less", "than"], Hedge::Upper),
    (&["over"], Hedge::Lower),
    (&["exceeding"], Hedge::Lower),
    (&["nearly"], Hedge::Nearly),
    (&["almost"], Hedge::Nearly),
    (&["about"], Hedge::About),
    (&["around"], Hedge::About),
    (&["roughly"], Hedge::About),
    (&["approximately"], Hedge::About),
    (&["some"], Hedge::About),
    (&["estimated"], Hedge::About),
    (&["under"], Hedge::Upper),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Count,
    Percent,
    Money(&'static str),
}

/// A number as written: tokens `[start, end)`, its value, and how it is counted.
#[derive(Clone, Debug)]
struct Amount {
    start: usize,
    end: usize,
    value: Decimal,
    unit: Unit,
    /// Written in words ("two"), which needs a counted noun to be a figure.
    in_words: bool,
    /// "dozens of", "hundreds of": at least twice the scale.
    vague: bool,
}

fn pow10(exp: u32) -> Decimal {
    (0..exp).fold(Decimal::ONE, |acc, _| acc * Decimal::TEN)
}

fn parse_digits(raw: &str) -> Option<Decimal> {
    raw.replace(',', "").parse::<Decimal>().ok()
}

fn words_value(word: &str) -> Option<Decimal> {
    if let Some(n) = lexicon::number_word(word) {
        return Some(Decimal::from(n));
    }
    // "twenty-five"
    let (tens, ones) = word.split_once('-')?;
    let tens = lexicon::number_word(tens).filter(|t| *t >= 20 && t % 10 == 0)?;
    let ones = lexicon::number_word(ones).filter(|o| *o < 10)?;
    Some(Decimal::from(tens + ones))
}

/// The number starting at token `i`, if one does.
fn amount_at(doc: &Doc, i: usize, end: usize) -> Option<Amount> {
    if i >= end.min(doc.tokens.len()) {
        return None;
    }
    let mut at = i;
    let mut unit = Unit::Count;
    if doc.tokens[at].kind == Kind::Punct
        && let Some(code) = lexicon::currency(doc.tok(at))
    {
        if at + 1 >= end || doc.tokens[at + 1].kind != Kind::Number {
            return None;
        }
        unit = Unit::Money(code);
        at += 1;
    }
    let word = doc.lower(at);
    let previous = i.checked_sub(1).map(|p| doc.lower(p)).unwrap_or_default();
    let (mut value, in_words, vague, mut next) = match doc.tokens[at].kind {
        Kind::Number => {
            if lexicon::is_month(&previous) || lexicon::labels_number(&previous) {
                return None;
            }
            if doc.is_punct(at + 1, ":")
                && doc
                    .tokens
                    .get(at + 2)
                    .is_some_and(|t| t.kind == Kind::Number)
            {
                return None; // a time of day
            }
            (parse_digits(doc.tok(at))?, false, false, at + 1)
        }
        Kind::Word => {
            if word == "dozen" && previous == "a" {
                (Decimal::from(12), true, false, at + 1)
            } else if matches!(
                word.as_str(),
                "dozens" | "hundreds" | "thousands" | "millions"
            ) && doc.is_lower_word(at + 1, "of")
            {
                let scale = match word.as_str() {
                    "dozens" => Decimal::from(12),
                    "hundreds" => Decimal::from(100),
                    "thousands" => Decimal::from(1000),
                    _ => Decimal::from(1_000_000),
                };
                (scale * Decimal::TWO, true, true, at + 2)
            } else if let Some(v) = words_value(&word) {
                if matches!(
                    previous.as_str(),
                    "the" | "these" | "those" | "its" | "their" | "his" | "her"
                ) {
                    return None;
                }
                (v, true, false, at + 1)
            } else {
                return None;
            }
        }
        _ => return None,
    };
    while next < end && doc.is_word(next) {
        match lexicon::scale_word(&doc.lower(next)) {
            Some(exp) if !vague => {
                value *= pow10(exp);
                next += 1;
            }
            _ => break,
        }
    }
    if doc.is_punct(next, "%") || doc.is_lower_word(next, "percent") {
        unit = Unit::Percent;
        next += 1;
    } else if doc.is_lower_word(next, "per") && doc.is_lower_word(next + 1, "cent") {
        unit = Unit::Percent;
        next += 2;
    } else if doc.is_word(next)
        && unit == Unit::Count
        && let Some(code) = lexicon::currency(&doc.lower(next))
    {
        unit = Unit::Money(code);
        next += 1;
    }
    // A bare four-digit number from 1800 to 2100 is a year.
    let raw = doc.tok(at);
    if doc.tokens[at].kind == Kind::Number
        && unit == Unit::Count
        && next == at + 1
        && raw.len() == 4
        && (Decimal::from(1800)..=Decimal::from(2100)).contains(&value)
    {
        return None;
    }
    if doc.is_word(next)
        && (lexicon::is_month(&doc.lower(next))
            || matches!(
                doc.lower(next).as_str(),
                "a.m." | "p.m." | "am" | "pm" | "gmt" | "utc"
            ))
    {
        return None; // "17 November", "6 p.m."
    }
    Some(Amount {
        start: i,
        end: next,
        value: value.normalize(),
        unit,
        in_words,
        vague,
    })
}

/// The hedge ending right before token `at`: its kind and first token.
fn hedge_before(doc: &Doc, at: usize, floor: usize) -> Option<(Hedge, usize)> {
    HEDGES.iter().find_map(|(words, hedge)| {
        let start = at.checked_sub(words.len())?;
        (start >= floor
            && words
                .iter()
                .enumerate()
                .all(|(k, w)| doc.is_lower_word(start + k, w)))
        .then_some((*hedge, start))
    })
}

const NOUN_STOPS: &[&str] = &[
    "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or", "were", "was", "are",
    "is", "have", "has", "had", "will", "would", "who", "that", "which", "as", "than", "per", "a",
    "an", "the", "since", "after", "before", "during", "into", "across", "over", "under", "this",
    "last", "each", "more", "less", "but", "could", "may", "might", "be", "been", "being", "so",
    "not", "said", "says", "say", "also", "still", "then", "when", "while", "if", "its", "their",
    "his", "her", "our", "ago", "later", "earlier", "onto", "remain", "took", "can", "should",
    "must",
];

/// The counted noun after a number: up to three lowercase words, ending at a stop word,
/// punctuation, or the first plural ("police officers onto" → "police officers").
fn noun_after(doc: &Doc, from: usize, end: usize) -> (usize, Vec<String>) {
    let mut k = from;
    let mut words = Vec::new();
    while k < end && words.len() < 3 && doc.is_word(k) && !doc.is_capitalized(k) {
        let w = doc.lower(k);
        if NOUN_STOPS.contains(&w.as_str()) {
            break;
        }
        let plural = (w.ends_with('s') && !w.ends_with("ss")) || lexicon::is_people_noun(&w);
        words.push(w);
        k += 1;
        if plural {
            return (k, words);
        }
    }
    // No plural: a singular or invariable noun ("people", "aircraft") is one word.
    words.truncate(1);
    (from + words.len(), words)
}

/// A noun phrase after a preposition ("in the Paris attacks"), up to punctuation.
fn phrase_after(doc: &Doc, from: usize, end: usize, max: usize) -> Option<String> {
    let mut k = from;
    while k < end && k < from + max && doc.is_word(k) {
        if k > from
            && matches!(
                doc.lower(k).as_str(),
                "and" | "that" | "which" | "who" | "on" | "in" | "since" | "after"
            )
        {
            break;
        }
        k += 1;
    }
    (k > from).then(|| doc.slice(from, k).to_owned())
}

/// The noun phrase before a relative pronoun ("the suicide bombings and shootings that
/// killed 129"), back to a preposition or punctuation.
fn phrase_before(doc: &Doc, end: usize, floor: usize) -> Option<String> {
    const BOUNDARIES: &[&str] = &[
        "to", "in", "for", "on", "at", "by", "with", "from", "after", "against", "of", "into",
        "than", "about", "over", "is", "was", "were", "are", "said", "says",
    ];
    let mut k = end;
    while k > floor
        && end - k < 8
        && doc.is_word(k - 1)
        && !BOUNDARIES.contains(&doc.lower(k - 1).as_str())
    {
        k -= 1;
    }
    (k < end).then(|| doc.slice(k, end).to_owned())
}

/// The words from the clause start up to `end` ("The U.S.-led coalition has been
/// bombing ISIS" before "for more than a year").
fn clause_before(doc: &Doc, sentence_start: usize, end: usize) -> Option<String> {
    let start = (sentence_start..end)
        .rev()
        .find(|&k| !doc.is_word(k) && matches!(doc.tok(k), "," | ";" | ":"))
        .map_or(sentence_start, |k| k + 1);
    (start < end).then(|| doc.slice(start, end).to_owned())
}

/// The subject of the clause ending at `verb`, without its determiner and without a
/// trailing place ("Inflation in Marovia slowed" → "Inflation").
fn subject_of(doc: &Doc, sentence_start: usize, verb: usize) -> Option<String> {
    let mut start = (sentence_start..verb)
        .rev()
        .find(|&k| !doc.is_word(k) || matches!(doc.lower(k).as_str(), "that" | "and" | "but"))
        .map_or(sentence_start, |k| k + 1);
    if matches!(
        doc.lower(start).as_str(),
        "the" | "a" | "an" | "its" | "their"
    ) {
        start += 1;
    }
    let end = (start..verb)
        .find(|&k| {
            matches!(
                doc.lower(k).as_str(),
                "in" | "at" | "on" | "during" | "across"
            )
        })
        .unwrap_or(verb);
    (start < end).then(|| doc.slice(start, end).to_owned())
}

/// A word that starts a measure phrase's predicate ("rose", "fell") or that closes it.
fn is_change_verb(word: &str) -> bool {
    matches!(
        word,
        "rose"
            | "fell"
            | "increased"
            | "decreased"
            | "dropped"
            | "climbed"
            | "reached"
            | "stood"
            | "was"
            | "is"
            | "grew"
            | "jumped"
            | "slipped"
            | "declined"
            | "surged"
            | "hit"
            | "totalled"
            | "totaled"
            | "amounted"
            | "came"
            | "stands"
            | "rises"
            | "falls"
    )
}

struct Bounds {
    value: Option<Decimal>,
    lower: Option<Decimal>,
    upper: Option<Decimal>,
    approximate: bool,
}

fn bounds(amount: &Amount, hedge: Option<Hedge>) -> Bounds {
    let n = amount.value;
    if amount.vague {
        return Bounds {
            value: None,
            lower: Some(n),
            upper: None,
            approximate: true,
        };
    }
    match hedge {
        None => Bounds {
            value: Some(n),
            lower: None,
            upper: None,
            approximate: false,
        },
        Some(Hedge::Lower) => Bounds {
            value: None,
            lower: Some(n),
            upper: None,
            approximate: false,
        },
        Some(Hedge::Upper) => Bounds {
            value: None,
            lower: None,
            upper: Some(n),
            approximate: false,
        },
        Some(Hedge::Nearly) => Bounds {
            value: None,
            lower: None,
            upper: Some(n),
            approximate: true,
        },
        Some(Hedge::About) => Bounds {
            value: Some(n),
            lower: None,
            upper: None,
            approximate: true,
        },
    }
}

struct Reading {
    measure: String,
    subject: Option<String>,
    unit: Option<String>,
    /// Where the figure's words start and end (hedge and counted noun included).
    first: usize,
    last: usize,
    rule: &'static str,
    confidence: f64,
}

/// "for more than a year": a duration, with "a"/"an" read as one.
fn duration(doc: &Doc, i: usize, sa: usize, sb: usize) -> Option<(Amount, Reading, Option<Hedge>)> {
    let w = doc.lower(i);
    let amount = if matches!(w.as_str(), "a" | "an" | "one") {
        Amount {
            start: i,
            end: i + 1,
            value: Decimal::ONE,
            unit: Unit::Count,
            in_words: true,
            vague: false,
        }
    } else {
        amount_at(doc, i, sb).filter(|a| a.unit == Unit::Count && !a.vague)?
    };
    let unit = lexicon::duration_unit(&doc.lower(amount.end))?;
    let hedge = hedge_before(doc, i, sa);
    let before = hedge.map_or(i, |(_, start)| start);
    if before == 0 || !doc.is_lower_word(before - 1, "for") {
        return None;
    }
    let subject = clause_before(doc, sa, before - 1);
    let reading = Reading {
        measure: "duration".into(),
        subject,
        unit: Some(unit.into()),
        first: before - 1,
        last: amount.end + 1,
        rule: "figure.duration",
        confidence: 0.8,
    };
    Some((amount, reading, hedge.map(|(h, _)| h)))
}

fn casualty_subject(doc: &Doc, verb: usize, sa: usize, sb: usize, after: usize) -> Option<String> {
    if verb >= 2
        && verb - 1 > sa
        && matches!(doc.lower(verb - 1).as_str(), "that" | "which" | "who")
    {
        return phrase_before(doc, verb - 1, sa);
    }
    let k = (after..(after + 4).min(sb))
        .find(|&k| doc.is_word(k) && matches!(doc.lower(k).as_str(), "in" | "during" | "by"))?;
    phrase_after(doc, k + 1, sb, 8)
}

/// How a number is read: what it counts, about what, in which unit.
fn reading(doc: &Doc, amount: &Amount, first: usize, sa: usize, sb: usize) -> Option<Reading> {
    let make = |measure: String, subject, unit, last, rule, confidence| Reading {
        measure,
        subject,
        unit,
        first,
        last,
        rule,
        confidence,
    };
    match amount.unit {
        Unit::Percent => {
            let measure = if doc.is_lower_word(amount.end, "of") {
                phrase_after(doc, amount.end + 1, sb, 4)
            } else {
                (sa..first)
                    .rev()
                    .find(|&k| doc.is_word(k) && is_change_verb(&doc.lower(k)))
                    .and_then(|verb| subject_of(doc, sa, verb))
            };
            let measure = measure.unwrap_or_else(|| "share".into()).to_lowercase();
            Some(make(
                measure,
                None,
                Some("percent".into()),
                amount.end,
                "figure.percent",
                0.85,
            ))
        }
        Unit::Money(code) => {
            let measure = if doc.is_word(amount.end)
                && matches!(doc.lower(amount.end).as_str(), "in" | "for" | "of" | "on")
            {
                phrase_after(doc, amount.end + 1, sb, 4)
            } else if first > sa + 1 && doc.is_lower_word(first - 1, "of") {
                phrase_before(doc, first - 1, sa)
            } else {
                None
            };
            let measure = measure.unwrap_or_else(|| "amount".into()).to_lowercase();
            Some(make(
                measure,
                None,
                Some(code.into()),
                amount.end,
                "figure.money",
                0.85,
            ))
        }
        Unit::Count => {
            // "attacks that killed 129"
            if first > sa
                && let Some(measure) = lexicon::casualty_measure(&doc.lower(first - 1))
            {
                let (noun_end, _) = noun_after(doc, amount.end, sb);
                let subject = casualty_subject(doc, first - 1, sa, sb, noun_end);
                return Some(
                    make(
                        measure.into(),
                        subject,
                        None,
                        noun_end.max(amount.end),
                        "figure.casualty",
                        0.9,
                    )
                    .with_first(first - 1),
                );
            }
            let (noun_end, words) = noun_after(doc, amount.end, sb);
            // "9 were missing", "14 have died"
            if words.is_empty()
                && matches!(
                    doc.lower(amount.end).as_str(),
                    "were" | "are" | "was" | "have" | "had"
                )
            {
                let verb = (amount.end + 1..(amount.end + 3).min(sb)).find(|&k| {
                    doc.is_word(k) && lexicon::casualty_measure(&doc.lower(k)).is_some()
                })?;
                let measure = lexicon::casualty_measure(&doc.lower(verb))?;
                let subject = casualty_subject(doc, first, sa, sb, verb + 1);
                return Some(make(
                    measure.into(),
                    subject,
                    None,
                    verb + 1,
                    "figure.casualty",
                    0.8,
                ));
            }
            let head = words.last()?;
            if lexicon::duration_unit(head).is_some() {
                return None; // a duration not introduced by "for": "two years ago"
            }
            if let Some(measure) = lexicon::casualty_measure(head) {
                let subject = casualty_subject(doc, first, sa, sb, noun_end);
                return Some(make(
                    measure.into(),
                    subject,
                    None,
                    noun_end,
                    "figure.casualty",
                    0.9,
                ));
            }
            if lexicon::is_people_noun(head) {
                let verb = (noun_end..(noun_end + 4).min(sb)).find(|&k| {
                    doc.is_word(k) && lexicon::casualty_measure(&doc.lower(k)).is_some()
                });
                if let Some(verb) = verb
                    && let Some(measure) = lexicon::casualty_measure(&doc.lower(verb))
                {
                    let subject = casualty_subject(doc, first, sa, sb, verb + 1);
                    return Some(make(
                        measure.into(),
                        subject,
                        None,
                        verb + 1,
                        "figure.casualty",
                        0.85,
                    ));
                }
            }
            if amount.in_words && !amount.vague && words.len() == 1 && !head.ends_with('s') {
                return None; // "two-thirds", "one day": not a count of things
            }
            Some(make(
                words.join(" "),
                None,
                None,
                noun_end,
                "figure.count",
                0.75,
            ))
        }
    }
}

impl Reading {
    fn with_first(mut self, first: usize) -> Self {
        self.first = first;
        self
    }
}

/// Figures in sentence `s`, each with the sentence as its text.
pub fn in_sentence(doc: &Doc, s: usize) -> Vec<Found> {
    let (sa, sb) = doc.sentences[s];
    let sentence = (doc.tokens[sa].start, doc.tokens[sb - 1].end);
    let text = doc.text[sentence.0..sentence.1].trim().to_owned();
    let mut out = Vec::new();
    let mut previous_measure: Option<String> = None;
    let mut i = sa;
    while i < sb {
        let (amount, reading, hedge) = if let Some(found) = duration(doc, i, sa, sb) {
            found
        } else if let Some(mut amount) = amount_at(doc, i, sb) {
            let hedge = hedge_before(doc, amount.start, sa);
            let mut first = hedge.map_or(amount.start, |(_, start)| start);
            let mut hedge = hedge.map(|(h, _)| h);
            // "10,000 or more applications", "200 or so"
            if doc.is_lower_word(amount.end, "or") {
                let after = doc.lower(amount.end + 1);
                if after == "more" || after == "so" {
                    hedge = Some(if after == "more" {
                        Hedge::Lower
                    } else {
                        Hedge::About
                    });
                    amount.end += 2;
                }
            }
            // "between 10 and 15", "10 to 15"
            let mut upper_amount = None;
            let joiner = amount.end;
            if (doc.is_lower_word(joiner, "and")
                && first > sa
                && doc.is_lower_word(first - 1, "between"))
                || (doc.is_lower_word(joiner, "to")
                    && !doc.is_lower_word(first.saturating_sub(1), "from"))
            {
                upper_amount = amount_at(doc, joiner + 1, sb)
                    .filter(|u| u.unit == amount.unit || amount.unit == Unit::Count);
            }
            let counted = upper_amount.as_ref().unwrap_or(&amount);
            // "rooms for 200,000 people now hold more than 600,000": the count elided.
            let elided = previous_measure.as_ref().filter(|_| {
                counted.unit == Unit::Count && !counted.in_words && !doc.is_word(counted.end)
            });
            let Some(mut reading) = reading(doc, counted, first, sa, sb).or_else(|| {
                elided.map(|measure| Reading {
                    measure: measure.clone(),
                    subject: None,
                    unit: None,
                    first,
                    last: counted.end,
                    rule: "figure.count",
                    confidence: 0.6,
                })
            }) else {
                i += 1;
                continue;
            };
            if let Some(upper) = &upper_amount {
                if doc.is_lower_word(first.saturating_sub(1), "between") {
                    first -= 1;
                }
                reading.first = reading.first.min(first);
                let quantity = Figure {
                    subject: reading.subject.clone(),
                    measure: reading.measure.clone(),
                    value: None,
                    lower: Some(amount.value),
                    upper: Some(upper.value),
                    unit: reading.unit.clone(),
                    approximate: false,
                };
                out.push(found(
                    doc,
                    &text,
                    sentence,
                    quantity,
                    &reading,
                    "figure.range",
                ));
                i = upper.end.max(reading.last);
                continue;
            }
            if amount.in_words
                && !amount.vague
                && reading.rule == "figure.count"
                && hedge.is_none()
                && amount.value < Decimal::TWO
            {
                i += 1;
                continue;
            }
            (amount, reading, hedge)
        } else {
            i += 1;
            continue;
        };
        let b = bounds(&amount, hedge);
        let quantity = Figure {
            subject: reading.subject.clone(),
            measure: reading.measure.clone(),
            value: b.value,
            lower: b.lower,
            upper: b.upper,
            unit: reading.unit.clone(),
            approximate: b.approximate,
        };
        let rule = reading.rule;
        if amount.unit == Unit::Count && reading.unit.is_none() {
            previous_measure = Some(reading.measure.clone());
        }
        out.push(found(doc, &text, sentence, quantity, &reading, rule));
        i = reading.last.max(amount.end).max(i + 1);
    }
    out
}

fn found(
    doc: &Doc,
    text: &str,
    sentence: (usize, usize),
    quantity: Figure,
    reading: &Reading,
    rule: &'static str,
) -> Found {
    let first = doc.tokens[reading.first].start;
    let last = doc.tokens[reading.last.max(reading.first + 1) - 1].end;
    Found {
        kind: ClaimKind::Quantity,
        text: text.to_owned(),
        quote: None,
        setting: None,
        speaker: None,
        quantity: Some(quantity),
        bytes: sentence,
        figure_bytes: Some((first, last)),
        confidence: reading.confidence,
        rule,
    }
}
