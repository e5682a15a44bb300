//! Case-insensitive, Arabic-normalized substring search. A query is plain text, never a pattern: no
//! user input is ever compiled into a regex.
//!
//! Normalization folds the spellings an Arabic shopper uses interchangeably: alef forms (أ إ آ ٱ -> ا),
//! taa marbuta (ة -> ه), alef maqsura (ى -> ي); it drops diacritics (tashkeel, U+064B..U+065F and the
//! superscript alef U+0670) and tatweel (U+0640), lower-cases everything else, and collapses runs of
//! white space, so "  القِـــهوة " finds "قهوه".

/// The normalized form of `text`, for indexing names once and for each query.
pub fn normalize(text: &str) -> String {
    let mut normalized = String::with_capacity(text.len());
    normalize_into(text, &mut normalized);
    normalized
}

/// [`normalize`], appended to `normalized`.
pub fn normalize_into(text: &str, normalized: &mut String) {
    let start = normalized.len();
    let mut pending_space = false;
    for c in text.chars() {
        let folded = match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ة' => 'ه',
            'ى' => 'ي',
            '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' => continue,
            c if c.is_whitespace() => {
                pending_space = normalized.len() > start;
                continue;
            }
            c => c,
        };
        if pending_space {
            normalized.push(' ');
            pending_space = false;
        }
        // ASCII and the Arabic block (which has no case) skip the Unicode case tables, which
        // most of a shop's names would otherwise pay for every letter.
        if folded.is_ascii() {
            normalized.push(folded.to_ascii_lowercase());
        } else if ('\u{0600}'..='\u{06FF}').contains(&folded) {
            normalized.push(folded);
        } else {
            normalized.extend(folded.to_lowercase());
        }
    }
}

/// A normalized query, matched against already-normalized texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query(String);

impl Query {
    /// `None` for a query that is empty once normalized (it matches everything: no filter).
    pub fn new(raw: &str) -> Option<Query> {
        let normalized = normalize(raw);
        (!normalized.is_empty()).then_some(Query(normalized))
    }

    /// The normalized query.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the (normalized) text contains the query.
    pub fn matches(&self, normalized_text: &str) -> bool {
        normalized_text.contains(self.0.as_str())
    }

    /// Whether any of the (normalized) texts contains the query.
    pub fn matches_any<'a>(&self, normalized_texts: impl IntoIterator<Item = &'a str>) -> bool {
        normalized_texts
            .into_iter()
            .any(|text| text.contains(self.0.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_spellings_fold_together() {
        let cases = [
            ("أحمد", "احمد", "hamza on alef"),
            ("إسلام", "اسلام", "hamza below alef"),
            ("آلة", "اله", "madda and taa marbuta"),
            ("مستشفى", "مستشفي", "alef maqsura"),
            ("قَهْوَةٌ", "قهوه", "diacritics"),
            ("قهـــوة", "قهوه", "tatweel"),
            ("ٱلرحمن", "الرحمن", "alef wasla"),
        ];
        for (written, expected, why) in cases {
            assert_eq!(normalize(written), expected, "{why}");
        }
    }

    #[test]
    fn normalizing_after_other_text_trims_only_its_own_spaces() {
        let mut names = String::from("قهوه\n");
        normalize_into("  Arabic   COFFEE ", &mut names);
        assert_eq!(names, "قهوه\narabic coffee");
    }

    #[test]
    fn latin_is_case_insensitive_and_spaces_collapse() {
        assert_eq!(normalize("  Samsung   GALAXY\tS24 "), "samsung galaxy s24");
        assert_eq!(normalize("ÉCLAIR"), "éclair");
    }

    #[test]
    fn queries_match_substrings_of_any_name() {
        let names = [normalize("قهوة عربية"), normalize("Arabic Coffee")];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for query in ["القهوة", "قهوه", "عربيّة", "coffee", "ARABIC c", "ic co"] {
            let matches = Query::new(query)
                .unwrap()
                .matches_any(names.iter().copied());
            assert_eq!(matches, !query.starts_with("الق"), "{query}");
        }
        assert!(
            !Query::new("tea")
                .unwrap()
                .matches_any(names.iter().copied())
        );
    }

    #[test]
    fn pattern_characters_are_plain_text() {
        let names = [normalize("a.b*c (x)")];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert!(
            Query::new("b*c (")
                .unwrap()
                .matches_any(names.iter().copied())
        );
        assert!(
            !Query::new(".*")
                .unwrap()
                .matches_any([normalize("anything").as_str()])
        );
    }

    #[test]
    fn blank_queries_are_no_filter() {
        assert_eq!(Query::new("   "), None);
        assert_eq!(Query::new("ـــ"), None, "only tatweel");
    }
}
