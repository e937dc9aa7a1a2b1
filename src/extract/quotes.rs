//! Direct quotes: the quoted words, who said them, and where.

use super::names::{self, Mention, Resolver};
use super::text::Doc;
use super::{Found, Speaker, lexicon};
use crate::domain::ClaimKind;

/// A found quote, with the speech verb its attribution used (so that the same words
/// are not read again as a reported statement).
pub struct QuoteFound {
    pub found: Found,
    pub verb: Option<usize>,
}

/// What earlier sentences left for later ones.
#[derive(Default)]
pub struct State {
    /// Quotations already merged into an earlier quote (the second half of a split quote).
    consumed: Vec<usize>,
    /// The last quote found: its quotation, speaker and sentence.
    last: Option<(usize, Speaker, usize)>,
}

struct Attribution {
    mention: Mention,
    verb: usize,
    /// Where the words after the speaker and verb start (for the setting).
    tail: usize,
    rule: &'static str,
    confidence: f64,
}

/// Fewer quoted words than this are a term or a title ("the “Marseillaise”"), not a quote.
const MIN_WORDS: usize = 3;

/// The quoted words of a quotation, without its marks (a quotation running over several
/// paragraphs is joined with spaces), and without the comma that leads to an attribution.
fn quoted_words(doc: &Doc, q: usize) -> String {
    let region = &doc.quotes[q];
    let end = if region.closed {
        region.close
    } else {
        region.close + 1
    };
    let mut parts = Vec::new();
    let mut from = region.open + 1;
    for &reopen in region.reopenings.iter().chain(std::iter::once(&end)) {
        parts.push(doc.slice(from, reopen.min(end)).trim());
        from = reopen + 1;
    }
    let joined = parts.join(" ");
    joined
        .trim_end_matches([',', ' ', ';', ':', '—', '–'])
        .to_owned()
}

fn word_count(doc: &Doc, q: usize) -> usize {
    let region = &doc.quotes[q];
    (region.open + 1..region.close)
        .filter(|&i| doc.is_word(i))
        .count()
}

/// "…," Hollande told …; "…," he said; "…," said the minister; "…," according to X.
fn attribution_after(doc: &Doc, start: usize, limit: usize) -> Option<Attribution> {
    if start >= limit {
        return None;
    }
    let first = doc.lower(start);
    if first == "according" && doc.is_lower_word(start + 1, "to") {
        let mention = names::after(doc, start + 2, limit)?;
        return Some(Attribution {
            tail: mention.end,
            mention,
            verb: start,
            rule: "quote.according_to",
            confidence: 0.85,
        });
    }
    if doc.is_word(start) && lexicon::is_speech_verb(&first) {
        let mention = names::after(doc, start + 1, limit)?;
        return Some(Attribution {
            tail: mention.end,
            mention,
            verb: start,
            rule: "quote.attribution_after",
            confidence: 0.9,
        });
    }
    for verb in start + 1..(start + 10).min(limit) {
        if !doc.is_word(verb) {
            break;
        }
        if lexicon::is_speech_verb(&doc.lower(verb)) {
            let mention = names::before(doc, verb, start)?;
            return (mention.start == start).then_some(Attribution {
                mention,
                verb,
                tail: verb + 1,
                rule: "quote.attribution_after",
                confidence: 0.95,
            });
        }
    }
    None
}

/// he said, "…"; Hollande said on Monday: "…"; or, with no punctuation before the
/// quotation, a partial quote inside reported speech (Obama called it "an outrage").
fn attribution_before(doc: &Doc, floor: usize, open: usize) -> Option<Attribution> {
    let mut end = open;
    let punctuated = end > floor && (doc.is_punct(end - 1, ":") || doc.is_punct(end - 1, ","));
    if punctuated {
        end -= 1;
    }
    let verb = (floor..end)
        .rev()
        .find(|&i| doc.is_word(i) && lexicon::is_speech_verb(&doc.lower(i)))?;
    if doc.lower(verb) == "according" {
        return None;
    }
    let mention = names::before(doc, verb, floor).or_else(|| names::apposed(doc, floor, verb))?;
    let (rule, confidence) = if punctuated {
        ("quote.attribution_before", 0.9)
    } else {
        ("quote.partial", 0.7)
    };
    Some(Attribution {
        mention,
        verb,
        tail: verb + 1,
        rule,
        confidence,
    })
}

/// The setting after a speech verb: "told a joint session of Parliament at the Palace of
/// Versailles", "said in an interview with Le Monde". Ends at a time expression, a
/// participle clause, or the end of the attribution.
fn setting(doc: &Doc, verb: usize, from: usize, limit: usize) -> Option<String> {
    let told = matches!(doc.lower(verb).as_str(), "told" | "tells" | "tell");
    let mut start = from;
    if !told {
        loop {
            if start >= limit || !doc.is_word(start) {
                return None;
            }
            let w = doc.lower(start);
            let time_next = doc.is_word(start + 1) && lexicon::is_time_word(&doc.lower(start + 1));
            let opens_venue =
                matches!(w.as_str(), "in" | "at" | "during" | "before" | "to") && !time_next;
            start += 1;
            if opens_venue {
                break;
            }
        }
    }
    let mut end = start;
    while end < limit {
        if doc.is_quote_mark(end) {
            break;
        }
        if !doc.is_word(end) {
            let p = doc.tok(end);
            let continues = p == ","
                && doc.is_word(end + 1)
                && !doc.lower(end + 1).ends_with("ing")
                && !matches!(
                    doc.lower(end + 1).as_str(),
                    "who"
                        | "which"
                        | "where"
                        | "while"
                        | "as"
                        | "but"
                        | "and"
                        | "according"
                        | "after"
                        | "before"
                        | "when"
                        | "then"
                        | "in"
                        | "on"
                        | "at"
                        | "with"
                );
            if !(continues || p == "-" || p == "'") {
                break;
            }
            end += 1;
            continue;
        }
        let w = doc.lower(end);
        let time_follows = doc.is_word(end + 1) && lexicon::is_time_word(&doc.lower(end + 1));
        let starts_time = (matches!(
            w.as_str(),
            "on" | "late" | "early" | "last" | "this" | "earlier" | "later"
        ) && (time_follows || matches!(w.as_str(), "earlier" | "later")))
            || (lexicon::is_time_word(&w) && doc.is_capitalized(end));
        if starts_time || matches!(w.as_str(), "that" | "promising" | "saying" | "adding") {
            break;
        }
        end += 1;
    }
    if end <= start {
        return None;
    }
    let venue = (start..end).any(|i| {
        doc.is_word(i)
            && (lexicon::is_setting_noun(&doc.lower(i)) || (i > start && doc.is_capitalized(i)))
    });
    venue.then(|| {
        doc.slice(start, end)
            .trim_end_matches([',', ' '])
            .to_owned()
    })
}

/// Quotes whose quotation opens in sentence `s`.
pub fn in_sentence(
    doc: &Doc,
    resolver: &mut Resolver,
    s: usize,
    state: &mut State,
) -> Vec<QuoteFound> {
    let (sa, sb) = doc.sentences[s];
    let mut out = Vec::new();
    let in_this: Vec<usize> = (0..doc.quotes.len())
        .filter(|&q| (sa..sb).contains(&doc.quotes[q].open))
        .collect();
    for &q in &in_this {
        if state.consumed.contains(&q) {
            continue;
        }
        let region = &doc.quotes[q];
        let next_open = doc
            .quotes
            .get(q + 1)
            .map(|r| r.open)
            .filter(|&o| o < sb)
            .unwrap_or(sb);
        let mut after = region.close + 1;
        while after < next_open && doc.is_punct(after, ",") {
            after += 1;
        }
        let previous_close = q
            .checked_sub(1)
            .map(|p| doc.quotes[p].close + 1)
            .filter(|&c| c > sa)
            .unwrap_or(sa);
        let mut attribution = attribution_after(doc, after, next_open)
            .or_else(|| attribution_before(doc, previous_close, region.open));
        // A quotation opening a paragraph after one that ends "Hollande said:".
        if attribution.is_none() && region.open == sa && s > 0 {
            let (pa, pb) = doc.sentences[s - 1];
            if doc.is_punct(pb - 1, ":") {
                attribution = attribution_before(doc, pa, pb);
            }
        }
        let mut text = quoted_words(doc, q);
        let mut last = q;
        let mut words = word_count(doc, q);
        let (speaker, setting, rule, confidence, verb) = match attribution {
            Some(att) => {
                let Some(speaker) = resolver.resolve(doc, &att.mention, att.mention.start) else {
                    continue;
                };
                let limit = if att.verb > region.open {
                    next_open
                } else {
                    region.open
                };
                let setting = setting(doc, att.verb, att.tail, limit);
                let mut rule = att.rule;
                // “We must,” he said, “combine our forces.”: one quote split by its attribution.
                if att.verb > region.open
                    && next_open < sb
                    && doc.is_punct(next_open - 1, ",")
                    && q + 1 < doc.quotes.len()
                {
                    text = format!("{} {}", text, quoted_words(doc, q + 1));
                    words += word_count(doc, q + 1);
                    state.consumed.push(q + 1);
                    last = q + 1;
                    rule = "quote.split";
                }
                (
                    speaker,
                    setting,
                    rule,
                    att.confidence,
                    Some((att.verb, att.mention.start)),
                )
            }
            None => {
                // A quotation right after an attributed one continues it ("…," he said. "…").
                let Some((_, speaker, last_sentence)) = state.last.clone() else {
                    continue;
                };
                if last_sentence + 1 != s || region.open != sa {
                    continue;
                }
                (speaker, None, "quote.continued", 0.7, None)
            }
        };
        if words < MIN_WORDS {
            continue;
        }
        if let Some((_, at)) = verb {
            resolver.speakers.push((at, speaker.clone()));
        }
        state.last = Some((last, speaker.clone(), s));
        let end_region = &doc.quotes[last];
        let found = Found {
            kind: ClaimKind::Quote,
            quote: Some(text.clone()),
            text,
            setting,
            speaker: Some(speaker),
            quantity: None,
            bytes: (
                doc.tokens[region.open].start,
                doc.tokens[end_region.close].end,
            ),
            figure_bytes: None,
            confidence,
            rule,
        };
        out.push(QuoteFound {
            found,
            verb: verb.map(|(v, _)| v),
        });
    }
    out
}
