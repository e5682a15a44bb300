//! Text that people read (names, descriptions): which characters it may hold.
//!
//! Refused, because there they can only hide or spoof what a reader sees: control characters (line
//! breaks and tabs only in multi-line text), bidirectional overrides and isolates (the "Trojan
//! Source" trick), and invisible characters such as the zero-width space, the word joiner and the
//! byte-order mark. Kept, because Arabic text needs them: the zero-width non-joiner and joiner
//! between two visible characters (inside a word, or an emoji sequence), and the directional marks
//! (LRM, RLM, ALM) that order mixed Arabic and English. A text with nothing visible left is blank.

use crate::FieldIssue;

/// Whether a text may span lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';

/// Marks that order mixed-direction text: allowed, but not visible.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters no reader-facing text needs.
fn is_refused(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\r' | '\t' => lines == Lines::One,
        c if c.is_control() => true,
        // Bidirectional embeddings, overrides and isolates.
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        // Zero-width space, word joiner and invisible operators, byte-order mark, Mongolian vowel
        // separator, interlinear annotation, soft hyphen, combining grapheme joiner, fillers.
        '\u{200B}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{180E}'
        | '\u{FFF9}'..='\u{FFFB}' => true,
        '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => true,
        _ => false,
    }
}

fn is_visible(c: char) -> bool {
    !c.is_whitespace() && c != ZWNJ && c != ZWJ && !is_direction_mark(c)
}

/// Trims `value` and checks it: its characters, then its length in characters (`min..=max`; a text
/// with nothing visible counts as empty).
pub fn check(value: &str, lines: Lines, min: usize, max: usize) -> Result<String, FieldIssue> {
    let value = value.trim();
    let chars: Vec<char> = value.chars().collect();
    for (at, &c) in chars.iter().enumerate() {
        let joiner_in_word = (c == ZWNJ || c == ZWJ)
            && at > 0
            && chars.get(at + 1).is_some_and(|&next| is_visible(next))
            && is_visible(chars[at - 1]);
        if is_refused(c, lines) || ((c == ZWNJ || c == ZWJ) && !joiner_in_word) {
            return Err(FieldIssue::HiddenCharacters);
        }
    }
    let length = if chars.iter().any(|&c| is_visible(c)) {
        chars.len()
    } else {
        0
    };
    if !(min..=max).contains(&length) {
        return Err(FieldIssue::Length { min, max });
    }
    Ok(value.to_owned())
}

/// The characters [`check`] accepts, as a JSON Schema (ECMA-262) `pattern`: none of the refused ones,
/// and at least one visible unless `min` is 0. The zero-width joiners, which [`check`] keeps only
/// inside a word, are left out altogether, and the length bounds of [`check`] count after trimming:
/// a description says so.
pub fn pattern(lines: Lines, min: usize) -> String {
    let controls = match lines {
        Lines::One => r"\u0000-\u001F",
        Lines::Many => r"\u0000-\u0008\u000B\u000C\u000E-\u001F",
    };
    let refused = format!(
        r"{controls}\u007F-\u009F\u00AD\u034F\u115F\u1160\u180E\u200B-\u200D\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0\uFFF9-\uFFFB"
    );
    if min == 0 {
        return format!(r"^[^{refused}]*$");
    }
    format!(r"^[^{refused}]*[^{refused}\s\u200E\u200F\u061C][^{refused}]*$")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(value: &str) -> Result<String, FieldIssue> {
        check(value, Lines::One, 1, 200)
    }

    #[test]
    fn names_that_hide_or_spoof_text_are_refused() {
        for hidden in [
            "\u{200b}",
            "\u{feff}",
            "\u{200d}\u{200c}\u{2060}",
            "Shoe\u{202e}gpj.exe",
            "a\u{2066}b",
            "nul\u{0}",
            "esc\u{1b}[31m",
            "two\nlines",
            "soft\u{ad}hyphen",
            "\u{200c}leading joiner",
        ] {
            assert_eq!(
                name(hidden),
                Err(FieldIssue::HiddenCharacters),
                "{hidden:?}"
            );
        }
    }

    #[test]
    fn a_name_with_nothing_visible_is_blank() {
        for blank in ["", "   ", "\u{200f}", " \u{200e} "] {
            assert_eq!(
                name(blank),
                Err(FieldIssue::Length { min: 1, max: 200 }),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn arabic_and_persian_words_and_emoji_sequences_keep_their_joiners() {
        for ok in [
            "حذاء جري",
            // Persian "می‌خواهم": ZWNJ inside the word.
            "می\u{200c}خواهم",
            // A family emoji: ZWJ between emoji.
            "👨\u{200d}👩\u{200d}👧",
            // An RLM ordering mixed text.
            "Nike \u{200f}نايكي",
        ] {
            assert_eq!(name(ok).as_deref(), Ok(ok), "{ok:?}");
        }
        assert_eq!(name("  Runner  ").as_deref(), Ok("Runner"));
    }

    #[test]
    fn descriptions_may_span_lines_but_not_hide_text() {
        let text = "Line one\nLine two\r\n\tindented";
        assert_eq!(check(text, Lines::Many, 1, 5000).as_deref(), Ok(text));
        assert_eq!(
            check("a\u{202e}b", Lines::Many, 1, 5000),
            Err(FieldIssue::HiddenCharacters)
        );
    }
}
