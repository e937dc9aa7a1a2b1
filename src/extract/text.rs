//! The article body as tokens, paragraphs, sentences and quotation regions.
//!
//! Everything works on byte offsets into the body; spans leave this module as Unicode
//! character offsets (what appearances store).

use super::lexicon;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Letters and digits, with inner apostrophes, hyphens and abbreviation dots.
    Word,
    /// Digits with inner thousands commas or a decimal point.
    Number,
    /// A typographic opening mark (“ « „).
    Open,
    /// A typographic closing mark (” »).
    Close,
    /// A straight double quote, which opens or closes depending on the state.
    Straight,
    /// Any other single character that is not white space.
    Punct,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    /// The token starts a new paragraph (a line break came before it).
    pub paragraph_start: bool,
}

/// A quotation: its marks and the text between them, as token indexes.
#[derive(Clone, Debug)]
pub struct QuoteRegion {
    /// Index of the opening mark.
    pub open: usize,
    /// Index of the closing mark, or the last token of the paragraph when copy left the
    /// quotation unclosed.
    pub close: usize,
    /// Whether `close` is a closing mark (and so part of the region's span).
    pub closed: bool,
    /// Opening marks that reopen the quotation at the start of following paragraphs.
    pub reopenings: Vec<usize>,
}

pub struct Doc<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    /// Sentences as half-open token index ranges; a quotation never splits one.
    pub sentences: Vec<(usize, usize)>,
    pub quotes: Vec<QuoteRegion>,
    /// For each token, the quotation it sits inside (marks included), if any.
    pub in_quote: Vec<Option<usize>>,
    /// For each token, its sentence.
    pub sentence_of: Vec<usize>,
    char_index: Vec<u32>,
}

impl<'a> Doc<'a> {
    pub fn new(text: &'a str) -> Self {
        let tokens = tokenize(text);
        let mut doc = Doc {
            text,
            in_quote: vec![None; tokens.len()],
            sentence_of: vec![0; tokens.len()],
            tokens,
            sentences: Vec::new(),
            quotes: Vec::new(),
            char_index: char_index(text),
        };
        doc.find_quotes();
        doc.split_sentences();
        doc
    }

    /// The token's text; past the end, the empty string (rules look ahead freely).
    pub fn tok(&self, i: usize) -> &str {
        self.tokens
            .get(i)
            .map_or("", |t| &self.text[t.start..t.end])
    }

    /// The token's text lowercased.
    pub fn lower(&self, i: usize) -> String {
        self.tok(i).to_lowercase()
    }

    pub fn is_word(&self, i: usize) -> bool {
        i < self.tokens.len() && self.tokens[i].kind == Kind::Word
    }

    pub fn is_punct(&self, i: usize, p: &str) -> bool {
        i < self.tokens.len() && self.tokens[i].kind == Kind::Punct && self.tok(i) == p
    }

    pub fn is_lower_word(&self, i: usize, word: &str) -> bool {
        self.is_word(i) && self.tok(i).eq_ignore_ascii_case(word)
    }

    pub fn is_capitalized(&self, i: usize) -> bool {
        self.is_word(i) && self.tok(i).chars().next().is_some_and(char::is_uppercase)
    }

    pub fn is_quote_mark(&self, i: usize) -> bool {
        i < self.tokens.len()
            && matches!(
                self.tokens[i].kind,
                Kind::Open | Kind::Close | Kind::Straight
            )
    }

    /// The body text from the start of token `a` to the end of token `b - 1`.
    pub fn slice(&self, a: usize, b: usize) -> &'a str {
        if a >= b || b > self.tokens.len() {
            return "";
        }
        &self.text[self.tokens[a].start..self.tokens[b - 1].end]
    }

    /// A byte offset as a Unicode character offset.
    pub fn char_offset(&self, byte: usize) -> usize {
        self.char_index[byte] as usize
    }

    /// Token `i` ends a sentence: terminal punctuation that is not an abbreviation's
    /// dot, followed by a capital, a quotation mark, a digit, a line break or the end.
    fn ends_sentence_at(&self, i: usize) -> bool {
        let t = &self.tokens[i];
        let terminal = t.kind == Kind::Punct && matches!(self.tok(i), "." | "!" | "?");
        if !terminal {
            return false;
        }
        if self.tok(i) == "."
            && i > 0
            && self.tokens[i - 1].end == t.start
            && lexicon::is_abbreviation(self.tok(i - 1))
        {
            return false;
        }
        let next = i + 1;
        next >= self.tokens.len()
            || self.tokens[next].paragraph_start
            || self.is_capitalized(next)
            || self.is_quote_mark(next)
            || self.tokens[next].kind == Kind::Number
    }

    fn find_quotes(&mut self) {
        let n = self.tokens.len();
        let mut open: Option<QuoteRegion> = None;
        let mut i = 0;
        while i < n {
            let kind = self.tokens[i].kind;
            let paragraph_ends = i + 1 >= n || self.tokens[i + 1].paragraph_start;
            let Some(mut region) = open.take() else {
                if matches!(kind, Kind::Open | Kind::Straight) && !paragraph_ends {
                    open = Some(QuoteRegion {
                        open: i,
                        close: i,
                        closed: false,
                        reopenings: Vec::new(),
                    });
                }
                i += 1;
                continue;
            };
            // A second opening mark glued to the quoted words is a typo for the closing one.
            let glued_open = kind == Kind::Open && self.tokens[i - 1].end == self.tokens[i].start;
            if matches!(kind, Kind::Close | Kind::Straight) || glued_open {
                region.close = i;
                region.closed = true;
                self.quotes.push(region);
            } else if paragraph_ends {
                // Unclosed at the end of a paragraph: a quotation running on into the
                // next paragraph reopens there; otherwise it ends with the paragraph.
                let next = i + 1;
                if next < n && matches!(self.tokens[next].kind, Kind::Open | Kind::Straight) {
                    region.reopenings.push(next);
                    open = Some(region);
                    i += 2;
                    continue;
                }
                region.close = i;
                self.quotes.push(region);
            } else {
                open = Some(region);
            }
            i += 1;
        }
        for (q, region) in self.quotes.iter().enumerate() {
            for slot in &mut self.in_quote[region.open..=region.close] {
                *slot = Some(q);
            }
        }
    }

    fn split_sentences(&mut self) {
        let n = self.tokens.len();
        let mut start = 0;
        for i in 0..n {
            let breaks_before_next = i + 1 >= n || self.tokens[i + 1].paragraph_start;
            let inside = self.in_quote[i].is_some_and(|q| {
                let region = &self.quotes[q];
                i != region.close || !region.closed
            });
            let mut ends = breaks_before_next && !self.continues_quote(i);
            if !inside && self.ends_sentence_at(i) {
                ends = true;
            }
            // A quotation whose last words end a sentence ends it too when the text
            // after it starts a new one (“… we will win.” Then …).
            if !ends
                && self.tokens[i].kind != Kind::Punct
                && self.in_quote[i]
                    .is_some_and(|q| self.quotes[q].close == i && self.quotes[q].closed)
                && i > 0
                && matches!(self.tok(i - 1), "." | "!" | "?")
                && self.is_capitalized(i + 1)
                && !lexicon::is_speech_verb(&self.lower(i + 1))
                && !lexicon::is_pronoun(&self.lower(i + 1))
            {
                ends = self.capitalized_run_is_not_attribution(i + 1);
            }
            if ends {
                self.sentences.push((start, i + 1));
                start = i + 1;
            }
        }
        if start < n {
            self.sentences.push((start, n));
        }
        for (s, &(a, b)) in self.sentences.iter().enumerate() {
            for slot in &mut self.sentence_of[a..b] {
                *slot = s;
            }
        }
    }

    /// After a closed quotation: does a capitalized run start a new sentence, or is it
    /// the speaker of an attribution (“…,” Hollande said)?
    fn capitalized_run_is_not_attribution(&self, mut i: usize) -> bool {
        let limit = (i + 8).min(self.tokens.len());
        while i < limit && (self.is_capitalized(i) || lexicon::is_name_connector(self.tok(i))) {
            i += 1;
        }
        !(i < limit && lexicon::is_speech_verb(&self.lower(i)))
    }

    /// Token `i` is the last of a paragraph inside a quotation that reopens next paragraph.
    fn continues_quote(&self, i: usize) -> bool {
        self.in_quote[i].is_some_and(|q| self.quotes[q].reopenings.contains(&(i + 1)))
    }
}

fn char_index(text: &str) -> Vec<u32> {
    let mut index = vec![0u32; text.len() + 1];
    let mut count = 0u32;
    for (byte, c) in text.char_indices() {
        for slot in &mut index[byte..byte + c.len_utf8()] {
            *slot = count;
        }
        count += 1;
    }
    index[text.len()] = count;
    index
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Splits the body into tokens. Inner apostrophes (“We're”), hyphens (“U.S.-backed”) and
/// abbreviation dots (“U.S.”) stay inside a word; a number keeps “1,500” and “1.5” whole.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut paragraph_start = true;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            if c == '\n' || c == '\r' || c == '\u{2029}' {
                paragraph_start = true;
            }
            i += 1;
            continue;
        }
        let next = |k: usize| chars.get(k).map(|&(_, c)| c);
        let (kind, end_index) = if is_word_char(c) {
            let mut j = i + 1;
            let mut segment_len = 1; // letters since the last inner dot
            let mut has_dot = false;
            while j < chars.len() {
                let c = chars[j].1;
                if is_word_char(c) {
                    segment_len += 1;
                    j += 1;
                    continue;
                }
                let following = next(j + 1);
                let digits_around = chars[j - 1].1.is_ascii_digit()
                    && following.is_some_and(|f| f.is_ascii_digit());
                let joins = match c {
                    '\'' | '’' | '-' | '‑' => following.is_some_and(is_word_char),
                    ',' => {
                        digits_around
                            && (j + 1..j + 4).all(|k| next(k).is_some_and(|d| d.is_ascii_digit()))
                            && !next(j + 4).is_some_and(|d| d.is_ascii_digit())
                    }
                    // "U.S.", "p.m.": single letters with dots are one word.
                    '.' => {
                        let letter = chars[j - 1].1;
                        let next_is_letter_dot =
                            following.is_some_and(char::is_alphabetic) && next(j + 2) == Some('.');
                        digits_around
                            || (segment_len == 1
                                && letter.is_alphabetic()
                                && (has_dot
                                    || (letter.is_uppercase()
                                        && following.is_some_and(char::is_uppercase))
                                    || next_is_letter_dot))
                    }
                    _ => false,
                };
                if !joins {
                    break;
                }
                if c == '.' {
                    has_dot = true;
                }
                segment_len = 0;
                j += 1;
            }
            // "Dr.", "Mr.": a title's dot belongs to it and does not end the sentence.
            if next(j) == Some('.')
                && lexicon::is_title_abbreviation(
                    &text[start..chars.get(j).map_or(text.len(), |&(b, _)| b)],
                )
            {
                j += 1;
            }
            let word = &text[start..chars.get(j).map_or(text.len(), |&(b, _)| b)];
            let numeric = word
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
            (if numeric { Kind::Number } else { Kind::Word }, j)
        } else {
            let kind = match c {
                '“' | '«' | '„' => Kind::Open,
                '”' | '»' => Kind::Close,
                '"' => Kind::Straight,
                _ => Kind::Punct,
            };
            (kind, i + 1)
        };
        let end = chars.get(end_index).map_or(text.len(), |&(b, _)| b);
        tokens.push(Token {
            start,
            end,
            kind,
            paragraph_start,
        });
        paragraph_start = false;
        i = end_index;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let doc = Doc::new(text);
        (0..doc.tokens.len())
            .map(|i| doc.tok(i).to_owned())
            .collect()
    }

    #[test]
    fn words_keep_abbreviations_apostrophes_and_numbers_whole() {
        assert_eq!(
            words("U.S.-backed strikes, we're told: 1,500 or 1.5 million."),
            [
                "U.S.-backed",
                "strikes",
                ",",
                "we're",
                "told",
                ":",
                "1,500",
                "or",
                "1.5",
                "million",
                "."
            ]
        );
        assert_eq!(words("the U.S., Russia"), ["the", "U.S.", ",", "Russia"]);
    }

    #[test]
    fn mixed_quotation_marks_pair_up() {
        let doc = Doc::new("“France is at war,\" Hollande said. He sang the “Marseillaise\" too.");
        assert_eq!(doc.quotes.len(), 2);
        assert_eq!(
            doc.slice(doc.quotes[0].open, doc.quotes[0].close + 1),
            "“France is at war,\""
        );
        assert_eq!(doc.sentences.len(), 2);
    }

    #[test]
    fn a_quotation_does_not_split_its_sentence() {
        let doc = Doc::new("“We lost. We will win,” he said. Then he left.");
        assert_eq!(doc.sentences.len(), 2);
        assert_eq!(
            doc.slice(doc.sentences[1].0, doc.sentences[1].1),
            "Then he left."
        );
    }

    #[test]
    fn spans_count_characters() {
        let doc = Doc::new("“é” x");
        assert_eq!(doc.char_offset(doc.tokens[3].start), 4);
    }
}
