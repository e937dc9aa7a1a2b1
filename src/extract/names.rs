//! Who speaks: names in the text, the phrases that introduce a speaker, and resolving
//! pronouns and role phrases to the nearest earlier name that fits.

use unicode_normalization::UnicodeNormalization;

use super::lexicon::{self, PronounKind};
use super::text::Doc;
use super::{KnownSource, Speaker};
use crate::domain::SourceKind;

/// A capitalized name in the text, with the title words before it as roles.
#[derive(Clone, Debug)]
pub struct Name {
    pub start: usize,
    /// The name's words as written, titles removed ("Francois Hollande").
    pub words: Vec<String>,
    /// Lowercase title and nationality words before it ("french", "president").
    pub roles: Vec<String>,
    /// What it names, when the words tell; `None` for places and the unknown.
    pub kind: Option<SourceKind>,
}

/// The phrase that names a speaker in an attribution.
#[derive(Clone, Debug)]
pub enum Form {
    Name(Name),
    Pronoun(PronounKind),
    /// "the French president": roles to match against earlier names.
    Role(Vec<String>),
    /// "Western officials": an unnamed group, which is its own speaker.
    Group(String),
}

#[derive(Clone, Debug)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub form: Form,
}

/// Lowercase, without accents or punctuation, for comparing names.
pub fn normalize(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    match words.split_first() {
        Some((&"the", rest)) if !rest.is_empty() => rest.join(" "),
        _ => words.join(" "),
    }
}

fn strip_possessive(word: &str) -> &str {
    word.strip_suffix("'s")
        .or_else(|| word.strip_suffix("’s"))
        .unwrap_or(word)
}

fn is_acronym(word: &str) -> bool {
    word.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && word
            .chars()
            .all(|c| c.is_uppercase() || c == '.' || c == '-')
}

/// Splits capitalized words into title/nationality roles and the name itself, and guesses
/// what the name is.
fn classify(start: usize, written: &[String]) -> Option<Name> {
    let lower: Vec<String> = written.iter().map(|w| w.to_lowercase()).collect();
    // Everything up to the last title before the name is roles ("Russian Foreign
    // Minister", "union leader", "Team principal").
    let mut at = 0;
    let mut titled = false;
    for k in 0..lower.len() {
        let title = lexicon::title_phrase_len(&lower[k..]);
        if title > 0 && k + title < lower.len() {
            titled = true;
            at = k + title;
        }
    }
    while !titled && at + 1 < lower.len() && lexicon::is_nationality(&lower[at]) {
        at += 1;
    }
    // "Aid group Sea Bridge", "mining company Veltrax": a lowercase description before
    // capitalized words describes the name; "group" or "company" makes it a body.
    let mut described_as_body = false;
    if let Some(k) = (at..written.len()).rev().find(|&k| {
        written[k].chars().next().is_some_and(char::is_lowercase)
            && !lexicon::is_name_connector(&lower[k])
    }) && k + 1 < written.len()
        && k >= at
    {
        described_as_body = lower[at..=k].iter().any(|w| {
            lexicon::is_organization_head(w)
                || matches!(
                    w.as_str(),
                    "company"
                        | "firm"
                        | "group"
                        | "charity"
                        | "carrier"
                        | "airline"
                        | "maker"
                        | "giant"
                        | "broadcaster"
                        | "newspaper"
                        | "agency"
                )
        });
        titled |= !described_as_body;
        at = k + 1;
    }
    // "Federal Prosecutor's Office": place words stay in an organisation's name.
    let last = lower.last().map(String::as_str).unwrap_or_default();
    if !titled && !described_as_body && lexicon::is_organization_head(last) {
        at = 0;
    }
    let words: Vec<String> = written[at..].to_vec();
    let name_lower = lower[at..].join(" ");
    if words.is_empty() || lexicon::is_title(&name_lower) {
        return None;
    }
    let has_connector = lower[at..].iter().any(|w| lexicon::is_name_connector(w));
    let kind = if described_as_body {
        Some(SourceKind::Organization)
    } else if lexicon::is_government_name(&name_lower) {
        Some(SourceKind::Government)
    } else if lexicon::is_organization_head(last) || words.iter().any(|w| is_acronym(w)) {
        if lexicon::is_government_name(&normalize(&name_lower)) {
            Some(SourceKind::Government)
        } else {
            Some(SourceKind::Organization)
        }
    } else if titled || (words.len() >= 2 && !has_connector) {
        Some(SourceKind::Person)
    } else if words.len() == 1 {
        // A lone capitalized word: a person when it speaks, decided at resolution.
        None
    } else {
        None
    };
    Some(Name {
        start,
        words,
        roles: lower[..at].to_vec(),
        kind,
    })
}

/// Every capitalized name in the text, in order.
pub fn scan(doc: &Doc) -> Vec<Name> {
    let mut names = Vec::new();
    let n = doc.tokens.len();
    let mut i = 0;
    while i < n {
        if !doc.is_capitalized(i) {
            i += 1;
            continue;
        }
        let sentence_start = doc.sentences[doc.sentence_of[i]].0;
        let after_mark = i > 0 && doc.is_quote_mark(i - 1);
        let mut start = i;
        if (i == sentence_start || after_mark || doc.tokens[i].paragraph_start)
            && lexicon::is_sentence_stopword(&doc.lower(i))
        {
            start = i + 1;
        }
        let mut end = i + 1;
        while end < n {
            let glued_possessive =
                doc.tok(end - 1).ends_with("'s") || doc.tok(end - 1).ends_with("’s");
            // "France's involvement" ends the name; "the Prosecutor's Office" does not.
            if glued_possessive
                && !(doc.is_capitalized(end) && lexicon::is_organization_head(&doc.lower(end)))
            {
                break;
            }
            if doc.is_capitalized(end) {
                end += 1;
            } else if doc.is_word(end)
                && lexicon::is_name_connector(doc.tok(end))
                && doc.is_capitalized(end + 1)
                && doc.tok(end) != "and"
            {
                end += 2;
            } else {
                break;
            }
        }
        if start < end {
            let written = written_words(doc, start, end);
            if let Some(mut name) = classify(start, &written) {
                // "aid group Sea Bridge": the description before a name is its role.
                let described: Vec<String> = (start.saturating_sub(2)..start)
                    .filter(|&k| doc.is_word(k) && !doc.is_capitalized(k))
                    .map(|k| doc.lower(k))
                    .collect();
                if described
                    .iter()
                    .any(|w| lexicon::is_organization_head(w) || w == "company")
                {
                    name.roles.extend(described);
                    name.kind = Some(SourceKind::Organization);
                }
                // "the World Bank", "the Red Cross": a name after "the" is not a person.
                if start > 0 && doc.lower(start - 1) == "the" && name.roles.is_empty() {
                    name.kind = name
                        .kind
                        .filter(|k| *k != SourceKind::Person)
                        .or(Some(SourceKind::Organization));
                }
                names.push(name);
            }
        }
        i = end;
    }
    names
}

/// The words of a name as written, without the possessive on the last one.
fn written_words(doc: &Doc, start: usize, end: usize) -> Vec<String> {
    (start..end)
        .map(|k| {
            let word = doc.tok(k);
            if k + 1 == end {
                strip_possessive(word)
            } else {
                word
            }
            .to_owned()
        })
        .collect()
}

fn np_word(doc: &Doc, i: usize) -> bool {
    if !doc.is_word(i) {
        return false;
    }
    let lower = doc.lower(i);
    doc.is_capitalized(i)
        || lexicon::is_nationality(&lower)
        || lexicon::is_role_noun(&lower)
        || lexicon::is_group_noun(&lower)
        || lexicon::is_organization_head(&lower)
        || (lexicon::is_name_connector(&lower) && lower != "and" && doc.is_capitalized(i + 1))
}

fn is_determiner(word: &str) -> bool {
    matches!(word, "the" | "a" | "an" | "its" | "his" | "her" | "their")
}

/// Reads the words `[start, end)` as a speaker phrase.
fn mention_of(doc: &Doc, start: usize, end: usize) -> Option<Mention> {
    if start >= end {
        return None;
    }
    if end - start == 1
        && let Some(kind) = lexicon::speaker_pronoun(&doc.lower(start))
    {
        return Some(Mention {
            start,
            end,
            form: Form::Pronoun(kind),
        });
    }
    let first = if is_determiner(&doc.lower(start)) {
        start + 1
    } else {
        start
    };
    if first >= end {
        return None;
    }
    let lower: Vec<String> = (first..end).map(|k| doc.lower(k)).collect();
    let last = lower.last().map(String::as_str).unwrap_or_default();
    let has_name_word = (first..end).any(|k| {
        let w = doc.lower(k);
        let descriptive = lexicon::is_nationality(&w)
            || lexicon::is_role_noun(&w)
            || lexicon::is_group_noun(&w)
            || (k == first && lexicon::is_sentence_stopword(&w));
        doc.is_capitalized(k) && !descriptive
    });
    let form = if lexicon::is_group_noun(last) && (!doc.is_capitalized(end - 1) || end - 1 == first)
    {
        let phrase = doc.slice(first, end);
        let mut chars = phrase.chars();
        let name = chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default();
        Form::Group(name)
    } else if has_name_word {
        let written = written_words(doc, first, end);
        let mut name = classify(first, &written)?;
        if first > start && name.roles.is_empty() && name.kind == Some(SourceKind::Person) {
            name.kind = Some(SourceKind::Organization);
        }
        Form::Name(name)
    } else if lexicon::is_role_noun(last) || lexicon::is_organization_head(last) {
        Form::Role(lower)
    } else {
        return None;
    };
    Some(Mention { start, end, form })
}

/// Words that never modify a title.
const STOPS: &[&str] = &[
    "and", "or", "but", "of", "in", "on", "at", "to", "for", "by", "with", "from", "that", "which",
    "who", "said", "says", "told", "was", "is", "were", "are", "has", "have", "had", "also",
    "then", "when", "while", "as", "after", "before",
];

/// The speaker phrase that ends right before token `verb` (skipping "has", "also" …),
/// not reaching back past `floor`.
pub fn before(doc: &Doc, verb: usize, floor: usize) -> Option<Mention> {
    let mut end = verb;
    while end > floor && doc.is_word(end - 1) && lexicon::is_attribution_filler(&doc.lower(end - 1))
    {
        end -= 1;
    }
    if end <= floor {
        return None;
    }
    if lexicon::speaker_pronoun(&doc.lower(end - 1)).is_some() {
        return mention_of(doc, end - 1, end);
    }
    // Name words, plus up to two lowercase words modifying a title or body ("union
    // leader Tomas Rey", "the United Nations refugee agency").
    let mut start = end;
    let mut modifiers = 0;
    while start > floor {
        let k = start - 1;
        if np_word(doc, k) {
            start = k;
        } else if modifiers < 2
            && start < end
            && doc.is_word(k)
            && !doc.is_capitalized(k)
            && !is_determiner(&doc.lower(k))
            && !STOPS.contains(&doc.lower(k).as_str())
            && !lexicon::is_speech_verb(&doc.lower(k))
            && !lexicon::is_pronoun(&doc.lower(k))
        {
            start = k;
            modifiers += 1;
        } else {
            break;
        }
    }
    if start > floor && is_determiner(&doc.lower(start - 1)) && start < end {
        start -= 1;
    }
    mention_of(doc, start, end)
}

/// "Ahmed Saleh, the opposition leader, insisted …", "Grace Mwangi, who has taught there
/// for 22 years, said": the name before an apposition that ends right before `verb`.
pub fn apposed(doc: &Doc, floor: usize, verb: usize) -> Option<Mention> {
    if verb <= floor + 1 || !doc.is_punct(verb - 1, ",") {
        return None;
    }
    let close = verb - 1;
    let open = (floor..close)
        .rev()
        .take(14)
        .find(|&k| doc.is_punct(k, ","))?;
    let plain = (open + 1..close)
        .all(|k| doc.is_word(k) || doc.tokens[k].kind == super::text::Kind::Number);
    if !plain || open <= floor {
        return None;
    }
    let clause = (floor..open)
        .rev()
        .find(|&k| !doc.is_word(k))
        .map_or(floor, |k| k + 1);
    before(doc, open, clause).filter(|m| m.start == clause && matches!(m.form, Form::Name(_)))
}

/// The speaker phrase that starts at token `start` ("said the French president"),
/// reading no further than `limit`.
pub fn after(doc: &Doc, start: usize, limit: usize) -> Option<Mention> {
    if start >= limit {
        return None;
    }
    if lexicon::speaker_pronoun(&doc.lower(start)).is_some() {
        return mention_of(doc, start, start + 1);
    }
    let mut end = start;
    if is_determiner(&doc.lower(start)) {
        end += 1;
    }
    // "the interior ministry": lowercase words up to a body's name.
    if let Some(head) = (end..(end + 4).min(limit))
        .take_while(|&k| doc.is_word(k) && !doc.is_capitalized(k))
        .find(|&k| lexicon::is_organization_head(&doc.lower(k)))
    {
        end = head + 1;
    }
    while end < limit && np_word(doc, end) {
        end += 1;
    }
    // "a spokesman for the Interior Ministry": the body the role speaks for.
    if end < limit && doc.is_lower_word(end, "for") {
        let mut body_end = end + 1;
        if body_end < limit && is_determiner(&doc.lower(body_end)) {
            body_end += 1;
        }
        while body_end < limit && np_word(doc, body_end) {
            body_end += 1;
        }
        if body_end > end + 1 {
            return mention_of(doc, end + 1, body_end).map(|m| Mention { start, ..m });
        }
    }
    mention_of(doc, start, end)
}

/// A lowercase body ("the district education office") as a speaker of its own.
fn body_of(roles: &[String]) -> Option<(String, SourceKind)> {
    let words: Vec<&str> = roles
        .iter()
        .map(String::as_str)
        .filter(|w| !is_determiner(w))
        .collect();
    let last = words.last()?;
    // A bare "the group" names nobody; "the electoral commission" names a body.
    let specific = matches!(
        *last,
        "government" | "military" | "army" | "cabinet" | "kremlin"
    );
    if !lexicon::is_organization_head(last) || (words.len() < 2 && !specific) {
        return None;
    }
    let name = words.join(" ");
    let kind = if lexicon::is_government_name(&name) {
        SourceKind::Government
    } else {
        SourceKind::Organization
    };
    Some((name, kind))
}

/// What resolution knows: the names in the text, the sources already stored, and the
/// speakers found so far (in text order).
pub struct Resolver<'k> {
    pub names: Vec<Name>,
    pub known: &'k [KnownSource],
    pub speakers: Vec<(usize, Speaker)>,
}

impl<'k> Resolver<'k> {
    pub fn new(names: Vec<Name>, known: &'k [KnownSource]) -> Self {
        Resolver {
            names,
            known,
            speakers: Vec::new(),
        }
    }

    /// Resolves a mention made at token `at` to a speaker.
    pub fn resolve(&self, doc: &Doc, mention: &Mention, at: usize) -> Option<Speaker> {
        let written = doc.slice(mention.start, mention.end).to_owned();
        let (name, kind) = match &mention.form {
            Form::Name(name) => self.full_name(name, at),
            Form::Group(group) => (group.clone(), SourceKind::Group),
            Form::Pronoun(kind) => {
                let found = self.antecedent(*kind, at)?;
                return Some(Speaker {
                    mention: written,
                    ..found
                });
            }
            Form::Role(roles) => match self.by_role(roles, at) {
                Some(found) => found,
                // "the interior ministry said": an unnamed body is its own speaker.
                None => body_of(roles)?,
            },
        };
        let (source_id, name, kind) = match self.match_known(&name, kind) {
            Some(known) => (Some(known.id), known.name.clone(), known.kind),
            None => (None, name, kind),
        };
        Some(Speaker {
            name,
            kind,
            source_id,
            mention: written,
        })
    }

    /// The longest name in the text that ends with this one ("Hollande" → "Francois
    /// Hollande"), preferring names before `at`.
    fn full_name(&self, name: &Name, at: usize) -> (String, SourceKind) {
        let wanted: Vec<String> = name.words.iter().map(|w| normalize(w)).collect();
        let ends_with = |other: &Name| {
            let words: Vec<String> = other.words.iter().map(|w| normalize(w)).collect();
            words.len() >= wanted.len() && words[words.len() - wanted.len()..] == wanted[..]
        };
        let earlier = self
            .names
            .iter()
            .filter(|n| n.start < at && ends_with(n))
            .max_by_key(|n| (n.words.len(), n.start));
        let best = earlier.or_else(|| {
            self.names
                .iter()
                .filter(|n| ends_with(n))
                .max_by_key(|n| (n.words.len(), std::cmp::Reverse(n.start)))
        });
        let chosen = best
            .filter(|n| n.words.len() > name.words.len())
            .unwrap_or(name);
        let kind = chosen
            .kind
            .or(name.kind)
            .or_else(|| best.and_then(|n| n.kind))
            .unwrap_or(SourceKind::Person);
        (chosen.words.join(" "), kind)
    }

    /// The nearest earlier speaker, or failing that the nearest earlier name, that a
    /// pronoun can stand for.
    fn antecedent(&self, pronoun: PronounKind, at: usize) -> Option<Speaker> {
        let fits = |kind: SourceKind| match pronoun {
            PronounKind::Person => kind == SourceKind::Person,
            PronounKind::Body => matches!(
                kind,
                SourceKind::Organization | SourceKind::Government | SourceKind::Outlet
            ),
            PronounKind::Plural => matches!(
                kind,
                SourceKind::Group | SourceKind::Organization | SourceKind::Government
            ),
        };
        let speaker = self
            .speakers
            .iter()
            .rev()
            .find(|(pos, s)| *pos < at && fits(s.kind));
        let name = self
            .names
            .iter()
            .rev()
            .find(|n| n.start < at && n.kind.is_some_and(fits));
        match (speaker, name) {
            (Some((pos, _)), Some(name)) if name.start > *pos && name.words.len() > 1 => {
                Some(self.speaker_for(name, at))
            }
            (Some((_, speaker)), _) => Some(speaker.clone()),
            (None, Some(name)) => Some(self.speaker_for(name, at)),
            (None, None) => None,
        }
    }

    fn speaker_for(&self, name: &Name, at: usize) -> Speaker {
        let (full, kind) = self.full_name(name, at);
        let (source_id, full, kind) = match self.match_known(&full, kind) {
            Some(known) => (Some(known.id), known.name.clone(), known.kind),
            None => (None, full, kind),
        };
        Speaker {
            name: full,
            kind,
            source_id,
            mention: name.words.join(" "),
        }
    }

    /// "the French president": the nearest earlier person whose titles include every
    /// role word.
    fn by_role(&self, roles: &[String], at: usize) -> Option<(String, SourceKind)> {
        let wanted: Vec<&String> = roles.iter().filter(|r| !is_determiner(r)).collect();
        // "the French president" matches titles; "the bank" matches "World Bank".
        let found = self.names.iter().rev().find(|n| {
            let own: Vec<String> = n.words.iter().map(|w| w.to_lowercase()).collect();
            n.start < at
                && n.kind.is_some()
                && wanted
                    .iter()
                    .all(|r| n.roles.contains(r) || own.contains(r))
        })?;
        Some(self.full_name(found, at))
    }

    /// A stored source with this name or alias; a lone surname matches one person.
    fn match_known(&self, name: &str, kind: SourceKind) -> Option<&'k KnownSource> {
        let wanted = normalize(name);
        let exact = self.known.iter().find(|k| {
            normalize(&k.name) == wanted || k.aliases.iter().any(|a| normalize(a) == wanted)
        });
        if exact.is_some() || kind != SourceKind::Person {
            return exact;
        }
        let surname = wanted.split_whitespace().last()?;
        let mut people = self.known.iter().filter(|k| {
            k.kind == SourceKind::Person
                && normalize(&k.name).split_whitespace().last() == Some(surname)
                && (wanted.split_whitespace().count() == 1
                    || normalize(&k.name).split_whitespace().count() == 1)
        });
        let first = people.next()?;
        people.next().is_none().then_some(first)
    }
}
