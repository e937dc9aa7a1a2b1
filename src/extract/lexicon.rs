//! Word lists the rules use. All lookups take lowercase words.

fn contains(list: &[&str], word: &str) -> bool {
    list.contains(&word)
}

/// Words whose trailing dot does not end a sentence (compared case-sensitively as
/// written, so "No." is an abbreviation and "no." is not).
pub fn is_abbreviation(word: &str) -> bool {
    const LIST: &[&str] = &[
        "Mr", "Mrs", "Ms", "Dr", "St", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Sgt", "Capt",
        "Prof", "Jr", "Sr", "No", "vs", "Jan", "Feb", "Mar", "Apr", "Aug", "Sept", "Sep", "Oct",
        "Nov", "Dec", "Rev", "Maj", "Adm", "Cmdr", "Insp", "Supt", "approx", "est", "Inc", "Corp",
        "Ltd", "Co", "Mt", "Ft",
    ];
    LIST.contains(&word) || (word.ends_with('.') && word.len() <= 6)
}

/// Abbreviated titles written with a dot ("Dr. Brandt").
pub fn is_title_abbreviation(word: &str) -> bool {
    matches!(
        word,
        "Mr" | "Mrs"
            | "Ms"
            | "Dr"
            | "Gen"
            | "Sen"
            | "Rep"
            | "Gov"
            | "Lt"
            | "Col"
            | "Sgt"
            | "Capt"
            | "Prof"
            | "Rev"
            | "Maj"
            | "Adm"
            | "Cmdr"
            | "Insp"
            | "Supt"
            | "St"
    )
}

/// Verbs that introduce what someone said.
pub fn is_speech_verb(word: &str) -> bool {
    const LIST: &[&str] = &[
        "said",
        "says",
        "say",
        "told",
        "tells",
        "tell",
        "added",
        "adds",
        "stated",
        "states",
        "declared",
        "declares",
        "announced",
        "announces",
        "insisted",
        "insists",
        "warned",
        "warns",
        "wrote",
        "writes",
        "explained",
        "explains",
        "argued",
        "argues",
        "noted",
        "notes",
        "asked",
        "asks",
        "replied",
        "replies",
        "responded",
        "responds",
        "continued",
        "acknowledged",
        "admitted",
        "conceded",
        "recalled",
        "remarked",
        "promised",
        "pledged",
        "vowed",
        "urged",
        "tweeted",
        "posted",
        "claimed",
        "claims",
        "stressed",
        "emphasized",
        "emphasised",
        "cautioned",
        "predicted",
        "quipped",
        "shouted",
        "confirmed",
        "denied",
        "complained",
        "boasted",
        "observed",
        "concluded",
        "suggested",
        "maintained",
        "contended",
        "according",
        "testified",
        "reported",
        "reports",
        "estimated",
        "estimates",
        "believe",
        "believes",
        "alleged",
        "alleges",
        "countered",
        "thundered",
        "called",
        "described",
        "branded",
        "labelled",
        "labeled",
        "dubbed",
    ];
    contains(LIST, word)
}

/// Speech verbs that introduce a reported statement without quotation marks
/// ("officials say it has …"); the rest need "that" after them.
pub fn reports_without_that(word: &str) -> bool {
    matches!(
        word,
        "said"
            | "says"
            | "say"
            | "told"
            | "tells"
            | "believe"
            | "believes"
            | "estimate"
            | "estimates"
            | "estimated"
            | "warned"
            | "warns"
            | "insisted"
            | "insists"
            | "claimed"
            | "claims"
            | "reported"
            | "reports"
            | "confirmed"
    )
}

/// Words that can sit between a speaker and the speech verb ("he also said", "has said").
pub fn is_attribution_filler(word: &str) -> bool {
    matches!(
        word,
        "has"
            | "have"
            | "had"
            | "also"
            | "later"
            | "then"
            | "again"
            | "previously"
            | "once"
            | "earlier"
            | "would"
            | "will"
            | "since"
            | "repeatedly"
            | "separately"
            | "publicly"
            | "privately"
            | "recently"
            | "already"
            | "further"
            | "flatly"
            | "firmly"
            | "simply"
            | "quickly"
            | "finally"
            | "did"
            | "does"
            | "do"
            | "never"
            | "often"
            | "reportedly"
    )
}

pub fn is_pronoun(word: &str) -> bool {
    matches!(
        word,
        "he" | "she" | "they" | "it" | "i" | "we" | "you" | "his" | "her" | "their" | "its"
    )
}

/// Pronouns that can be the speaker of an attribution.
pub fn speaker_pronoun(word: &str) -> Option<PronounKind> {
    match word {
        "he" | "she" => Some(PronounKind::Person),
        "it" => Some(PronounKind::Body),
        "they" => Some(PronounKind::Plural),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PronounKind {
    /// he, she: a person.
    Person,
    /// it: an organisation or government.
    Body,
    /// they: a group, or an organisation.
    Plural,
}

/// Connectors that may sit inside a name ("Palace of Versailles", "Bashar al-Assad").
pub fn is_name_connector(word: &str) -> bool {
    matches!(
        word,
        "of" | "de"
            | "du"
            | "la"
            | "le"
            | "van"
            | "von"
            | "der"
            | "den"
            | "bin"
            | "al"
            | "el"
            | "da"
            | "dos"
            | "del"
            | "for"
            | "and"
    )
}

/// Capitalized words that start sentences without being names.
pub fn is_sentence_stopword(word: &str) -> bool {
    const LIST: &[&str] = &[
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "but",
        "and",
        "or",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "this",
        "that",
        "these",
        "those",
        "after",
        "before",
        "when",
        "while",
        "as",
        "if",
        "for",
        "from",
        "with",
        "without",
        "by",
        "to",
        "of",
        "his",
        "her",
        "their",
        "its",
        "our",
        "my",
        "there",
        "here",
        "since",
        "although",
        "though",
        "yet",
        "so",
        "still",
        "meanwhile",
        "however",
        "also",
        "even",
        "only",
        "then",
        "now",
        "today",
        "yesterday",
        "last",
        "next",
        "some",
        "many",
        "most",
        "all",
        "both",
        "each",
        "every",
        "no",
        "not",
        "what",
        "who",
        "which",
        "where",
        "why",
        "how",
        "despite",
        "during",
        "under",
        "over",
        "about",
        "around",
        "nearly",
        "almost",
        "more",
        "less",
        "fewer",
        "at",
        "up",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "image",
        "photo",
        "on",
        "among",
        "according",
        "asked",
        "speaking",
        "earlier",
        "later",
        "until",
        "once",
        "other",
        "another",
        "such",
        "officials",
        "police",
        "witnesses",
        "analysts",
    ];
    contains(LIST, word)
}

/// Titles before a name; their words become the person's roles.
pub fn title_phrase_len(words: &[String]) -> usize {
    const PHRASES: &[&[&str]] = &[
        &["secretary", "of", "state"],
        &["secretary", "of", "defense"],
        &["secretary", "general"],
        &["prime", "minister"],
        &["foreign", "minister"],
        &["interior", "minister"],
        &["defense", "minister"],
        &["defence", "minister"],
        &["finance", "minister"],
        &["health", "minister"],
        &["justice", "minister"],
        &["defense", "secretary"],
        &["defence", "secretary"],
        &["home", "secretary"],
        &["foreign", "secretary"],
        &["vice", "president"],
        &["police", "chief"],
        &["attorney", "general"],
        &["chief", "executive"],
    ];
    for phrase in PHRASES {
        if words.len() >= phrase.len() && words.iter().zip(phrase.iter()).all(|(w, p)| w == p) {
            return phrase.len();
        }
    }
    usize::from(words.first().is_some_and(|w| is_title(w)))
}

pub fn is_title(word: &str) -> bool {
    const LIST: &[&str] = &[
        "president",
        "minister",
        "secretary",
        "senator",
        "sen.",
        "rep.",
        "representative",
        "governor",
        "gov.",
        "mayor",
        "chancellor",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "general",
        "gen.",
        "colonel",
        "col.",
        "chief",
        "dr.",
        "mr.",
        "mrs.",
        "ms.",
        "prof.",
        "professor",
        "judge",
        "justice",
        "ambassador",
        "commissioner",
        "director",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "deputy",
        "ceo",
        "chairman",
        "chairwoman",
        "leader",
        "lawmaker",
        "archbishop",
        "bishop",
        "rev.",
        "premier",
        "sheikh",
        "ayatollah",
        "lt.",
        "sgt.",
        "capt.",
        "captain",
        "commander",
        "admiral",
        "inspector",
        "prosecutor",
        "lord",
        "lady",
        "sir",
        "dame",
        "mp",
        "mep",
        "congressman",
        "congresswoman",
        "envoy",
        "superintendent",
        "detective",
        "officer",
        "coach",
        "economist",
        "analyst",
        "sergeant",
        "principal",
        "president-elect",
        "counterpart",
    ];
    contains(LIST, word)
}

/// Adjectives of place before a title ("French President …").
pub fn is_nationality(word: &str) -> bool {
    const LIST: &[&str] = &[
        "french",
        "russian",
        "syrian",
        "american",
        "british",
        "german",
        "chinese",
        "iranian",
        "iraqi",
        "israeli",
        "palestinian",
        "ukrainian",
        "turkish",
        "italian",
        "spanish",
        "western",
        "u.s.",
        "us",
        "uk",
        "eu",
        "european",
        "belgian",
        "dutch",
        "japanese",
        "indian",
        "canadian",
        "australian",
        "mexican",
        "brazilian",
        "egyptian",
        "saudi",
        "afghan",
        "pakistani",
        "kurdish",
        "lebanese",
        "jordanian",
        "polish",
        "swedish",
        "greek",
        "irish",
        "scottish",
        "welsh",
        "english",
        "nigerian",
        "kenyan",
        "korean",
        "north",
        "south",
        "former",
        "then",
        "acting",
        "interim",
        "outgoing",
        "incoming",
        "un",
        "nato",
        "state",
        "federal",
        "local",
        "regional",
        "senior",
        "top",
        "u.n.",
    ];
    contains(LIST, word)
}

/// Last words that make a name an organisation.
pub fn is_organization_head(word: &str) -> bool {
    const LIST: &[&str] = &[
        "state",
        "party",
        "agency",
        "council",
        "committee",
        "commission",
        "union",
        "group",
        "organization",
        "organisation",
        "institute",
        "association",
        "bank",
        "company",
        "corporation",
        "inc",
        "inc.",
        "corp",
        "corp.",
        "ltd",
        "university",
        "court",
        "front",
        "brigade",
        "brigades",
        "forces",
        "network",
        "foundation",
        "fund",
        "times",
        "post",
        "news",
        "press",
        "coalition",
        "alliance",
        "movement",
        "army",
        "navy",
        "federation",
        "league",
        "club",
        "hospital",
        "board",
        "authority",
        "service",
        "services",
        "society",
        "international",
        "watch",
        "centre",
        "center",
        "office",
        "bureau",
        "guard",
        "police",
        "reuters",
        "journal",
        "channel",
        "tv",
        "media",
        "ministry",
        "department",
        "government",
        "administration",
        "parliament",
        "congress",
        "senate",
        "assembly",
        "kremlin",
        "pentagon",
        "cabinet",
    ];
    contains(LIST, word)
}

/// Names of governments and their seats, which speak as governments ("the Kremlin said").
pub fn is_government_name(name: &str) -> bool {
    const LIST: &[&str] = &[
        "kremlin",
        "pentagon",
        "white house",
        "elysee",
        "élysée",
        "downing street",
        "state department",
        "foreign office",
        "france",
        "russia",
        "britain",
        "china",
        "germany",
        "iran",
        "israel",
        "syria",
        "iraq",
        "turkey",
        "ukraine",
        "united states",
        "washington",
        "moscow",
        "beijing",
        "london",
        "paris",
        "tehran",
        "ankara",
        "kyiv",
        "kiev",
        "damascus",
        "baghdad",
        "berlin",
        "brussels",
        "tokyo",
        "delhi",
        "japan",
        "india",
        "egypt",
        "saudi arabia",
        "canada",
        "australia",
        "mexico",
        "brazil",
    ];
    contains(LIST, name)
        || name.starts_with("ministry")
        || name.starts_with("department of")
        || name.ends_with("ministry")
        || name.ends_with("government")
        || name.ends_with("administration")
        || name.ends_with("department")
}

/// Plural nouns naming unnamed groups that speak ("Western officials say").
pub fn is_group_noun(word: &str) -> bool {
    const LIST: &[&str] = &[
        "officials",
        "police",
        "authorities",
        "witnesses",
        "analysts",
        "experts",
        "investigators",
        "prosecutors",
        "sources",
        "diplomats",
        "residents",
        "activists",
        "doctors",
        "observers",
        "critics",
        "researchers",
        "scientists",
        "economists",
        "lawmakers",
        "leaders",
        "ministers",
        "officers",
        "rebels",
        "militants",
        "organizers",
        "organisers",
        "aides",
        "medics",
        "rescuers",
        "survivors",
        "neighbors",
        "neighbours",
        "parliamentarians",
        "protesters",
        "campaigners",
        "spokesmen",
        "commanders",
        "auditors",
        "statisticians",
        "pollsters",
        "regulators",
        "unions",
        "firefighters",
        "paramedics",
        "guards",
        "monitors",
        "inspectors",
        "volunteers",
        "farmers",
        "teachers",
        "nurses",
    ];
    contains(LIST, word)
}

/// Singular role nouns that stand for a person named earlier ("the French president").
pub fn is_role_noun(word: &str) -> bool {
    is_title(word) || matches!(word, "official" | "minister" | "head" | "founder")
}

/// Words that start a time expression, which ends a setting ("on Monday").
pub fn is_time_word(word: &str) -> bool {
    const LIST: &[&str] = &[
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "yesterday",
        "today",
        "tonight",
        "tomorrow",
        "morning",
        "afternoon",
        "evening",
        "night",
        "week",
        "weekend",
        "month",
        "year",
        "earlier",
        "later",
        "late",
        "early",
        "last",
        "this",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    contains(LIST, word)
}

/// Nouns that make a phrase after a speech verb a setting (a venue, an occasion).
pub fn is_setting_noun(word: &str) -> bool {
    const LIST: &[&str] = &[
        "session",
        "conference",
        "meeting",
        "rally",
        "summit",
        "hearing",
        "interview",
        "briefing",
        "speech",
        "address",
        "parliament",
        "congress",
        "senate",
        "assembly",
        "gathering",
        "event",
        "ceremony",
        "forum",
        "debate",
        "chamber",
        "crowd",
        "audience",
        "committee",
        "convention",
        "broadcast",
        "statement",
        "television",
        "radio",
        "podcast",
        "newspaper",
        "palace",
        "hall",
        "house",
        "court",
        "courtroom",
        "council",
        "visit",
        "memorial",
        "funeral",
        "vigil",
        "parade",
        "campaign",
        "stop",
        "program",
        "programme",
        "show",
        "post",
        "tweet",
        "letter",
        "report",
        "communique",
        "communiqué",
        "video",
    ];
    contains(LIST, word)
}

/// Units of time for durations.
pub fn duration_unit(word: &str) -> Option<&'static str> {
    Some(match word {
        "second" | "seconds" => "second",
        "minute" | "minutes" => "minute",
        "hour" | "hours" => "hour",
        "day" | "days" => "day",
        "week" | "weeks" => "week",
        "month" | "months" => "month",
        "year" | "years" => "year",
        "decade" | "decades" => "decade",
        "century" | "centuries" => "century",
        _ => return None,
    })
}

/// Verbs whose object count is a casualty measure ("attacks that killed 129").
pub fn casualty_measure(word: &str) -> Option<&'static str> {
    Some(match word {
        "killed" | "killing" | "kill" | "kills" | "dead" | "died" | "die" | "deaths" | "death"
        | "slain" | "murdered" => "deaths",
        "wounded" | "wounding" | "injured" | "injuring" | "injuries" | "hurt" => "injuries",
        "arrested" | "arresting" | "detained" | "arrests" | "detentions" => "arrests",
        "displaced" | "displacing" => "displaced people",
        "evacuated" | "evacuating" => "evacuations",
        "hospitalized" | "hospitalised" | "hospitalizations" => "hospitalisations",
        "missing" => "missing people",
        _ => return None,
    })
}

/// Nouns for people counted, which take a casualty verb's measure when one follows.
pub fn is_people_noun(word: &str) -> bool {
    matches!(
        word,
        "people"
            | "persons"
            | "civilians"
            | "soldiers"
            | "children"
            | "men"
            | "women"
            | "victims"
            | "residents"
            | "fighters"
            | "troops"
            | "police"
            | "officers"
            | "migrants"
            | "refugees"
            | "passengers"
            | "workers"
            | "students"
            | "others"
            | "hostages"
            | "militants"
            | "protesters"
            | "demonstrators"
            | "patients"
            | "firefighters"
            | "journalists"
            | "guards"
            | "officials"
            | "tourists"
            | "pilgrims"
            | "inmates"
            | "prisoners"
            | "miners"
            | "sailors"
            | "crew"
            | "staff"
            | "bystanders"
    )
}

pub fn number_word(word: &str) -> Option<u32> {
    Some(match word {
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    })
}

/// "million" → 10^6 and so on.
pub fn scale_word(word: &str) -> Option<u32> {
    Some(match word {
        "hundred" => 2,
        "thousand" => 3,
        "million" | "mln" => 6,
        "billion" | "bn" => 9,
        "trillion" => 12,
        _ => return None,
    })
}

/// Months, whose following number is a day, not a figure.
pub fn is_month(word: &str) -> bool {
    matches!(
        word,
        "january"
            | "february"
            | "march"
            | "april"
            | "may"
            | "june"
            | "july"
            | "august"
            | "september"
            | "october"
            | "november"
            | "december"
            | "jan"
            | "feb"
            | "mar"
            | "apr"
            | "jun"
            | "jul"
            | "aug"
            | "sep"
            | "sept"
            | "oct"
            | "nov"
            | "dec"
    )
}

/// Currency words and symbols to ISO codes.
pub fn currency(word: &str) -> Option<&'static str> {
    Some(match word {
        "$" | "dollars" | "dollar" | "usd" | "us$" => "USD",
        "€" | "euros" | "euro" | "eur" => "EUR",
        "£" | "pounds" | "pound" | "gbp" => "GBP",
        "¥" | "yen" => "JPY",
        "rubles" | "roubles" => "RUB",
        _ => return None,
    })
}

/// Words after which a number is a label, not a figure ("Resolution 2249").
pub fn labels_number(word: &str) -> bool {
    matches!(
        word,
        "no."
            | "number"
            | "page"
            | "article"
            | "chapter"
            | "section"
            | "resolution"
            | "flight"
            | "route"
            | "highway"
            | "room"
            | "platform"
            | "gate"
            | "line"
            | "world"
            | "war"
            | "g"
            | "image"
            | "photo"
            | "version"
            | "episode"
            | "season"
            | "act"
            | "paragraph"
            | "bill"
            | "proposition"
            | "amendment"
            | "district"
            | "precinct"
            | "apartment"
    )
}

/// Verbs of events, which make a reported statement an event claim.
pub fn is_event_verb(word: &str) -> bool {
    matches!(
        word,
        "killed"
            | "attacked"
            | "hit"
            | "struck"
            | "bombed"
            | "launched"
            | "arrested"
            | "died"
            | "fired"
            | "seized"
            | "captured"
            | "shot"
            | "exploded"
            | "destroyed"
            | "invaded"
            | "raided"
            | "targeted"
            | "detonated"
            | "carried"
            | "crashed"
            | "collapsed"
            | "occurred"
            | "happened"
            | "took"
            | "met"
            | "signed"
            | "resigned"
            | "fled"
            | "responsibility"
            | "kidnapped"
            | "abducted"
            | "shelled"
            | "stormed"
            | "burned"
    )
}
