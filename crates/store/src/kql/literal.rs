//! Reading text the way Kibana's KQL grammar does: the whitespace between tokens, the keywords
//! that end an unquoted value, quoted strings, and unquoted values with their escapes and
//! wildcards. The grammar (`syntax`) decides where a literal may stand; this module reads one.
//!
//! The rules, as Kibana applies them:
//! - whitespace between tokens is space, tab, CR, LF or no-break space;
//! - an unquoted value runs until a special character (`\ ( ) : < > " * { }`, though `*` is
//!   a wildcard inside it) or a keyword: `or` / `and` with whitespace on both sides, or `not`
//!   followed by whitespace — the latter even in the middle of a word. Spaces inside the value
//!   are kept; the value is trimmed at both ends;
//! - escapes in unquoted values: `\` before a special character, `\t` `\r` `\n`, `\uXXXX`, and
//!   `\and` / `\or` / `\not` (tried after `\n`, so `\not` is a line feed and `ot`);
//! - an unquoted `true`, `false` or `null` is a boolean or null, not text;
//! - in quoted strings only `\"`, `\\`, `\t`, `\r`, `\n` and `\uXXXX` are escapes; any other
//!   backslash is kept as it is, and `*` is literal.

use super::QueryError;

/// A piece of a wildcard value: literal text or a `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (escapes already resolved).
    Text(String),
    /// `*`: any run of characters, including none.
    Any,
}

/// What a literal holds, as Kibana's grammar types it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LitValue {
    /// A quoted string, or an unquoted value without a wildcard.
    Text(String),
    /// An unquoted value with at least one `*` (runs of `*` merged into one).
    Wildcard(Vec<Piece>),
    /// Unquoted `true` or `false`.
    Bool(bool),
    /// Unquoted `null`.
    Null,
}

/// A literal (a field name or a value) and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lit {
    /// The value.
    pub value: LitValue,
    /// Written in double quotes.
    pub quoted: bool,
    /// Character offset of its first character.
    pub position: usize,
}

impl Lit {
    /// The lone wildcard `*`.
    pub fn is_lone_wildcard(&self) -> bool {
        matches!(&self.value, LitValue::Wildcard(p) if p == &[Piece::Any])
    }

    /// The text of a plain (non-wildcard, non-null) literal; booleans as `true` / `false`.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            LitValue::Text(s) => Some(s),
            LitValue::Bool(true) => Some("true"),
            LitValue::Bool(false) => Some("false"),
            LitValue::Wildcard(_) | LitValue::Null => None,
        }
    }
}

/// Whitespace between tokens (and around keywords).
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{a0}')
}

/// Whitespace that trimming removes from the ends of an unquoted value (JavaScript's
/// `String.prototype.trim` set, which is what Kibana applies).
fn is_trimmed(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Characters that end an unquoted value unless escaped.
pub(crate) fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
    )
}

/// A position in the query, over its characters.
pub(crate) struct Cursor {
    chars: Vec<char>,
    /// Index of the next character.
    pub(crate) at: usize,
}

impl Cursor {
    pub(crate) fn new(input: &str) -> Cursor {
        Cursor {
            chars: input.chars().collect(),
            at: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.chars.len()
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.chars.len()
    }

    /// The text between two offsets.
    pub(crate) fn slice(&self, from: usize, to: usize) -> String {
        self.chars[from.min(self.len())..to.min(self.len())]
            .iter()
            .collect()
    }

    pub(crate) fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.at += 1;
        }
    }

    fn space_at(&self, i: usize) -> bool {
        self.char_at(i).is_some_and(is_space)
    }

    /// `word` (ASCII, any case) at `i`.
    fn word_at(&self, i: usize, word: &str) -> bool {
        word.chars().enumerate().all(|(k, w)| {
            self.char_at(i + k)
                .is_some_and(|c| c.eq_ignore_ascii_case(&w))
        })
    }

    /// Whether a keyword starts at `i`, which ends an unquoted value there: whitespace, `or`
    /// or `and`, whitespace; or `not` and whitespace.
    fn keyword_at(&self, i: usize) -> bool {
        (self.space_at(i)
            && ((self.word_at(i + 1, "or") && self.space_at(i + 3))
                || (self.word_at(i + 1, "and") && self.space_at(i + 4))))
            || (self.word_at(i, "not") && self.space_at(i + 3))
    }

    /// If whitespace, `word` and whitespace follow, where the text after them starts.
    fn binary_keyword_end(&self, word: &str) -> Option<usize> {
        let mut i = self.at;
        while self.space_at(i) {
            i += 1;
        }
        if i == self.at || !self.word_at(i, word) {
            return None;
        }
        i += word.len();
        let after_word = i;
        while self.space_at(i) {
            i += 1;
        }
        (i > after_word).then_some(i)
    }

    /// Consumes `or` / `and` with the whitespace around it; false if it is not there.
    pub(crate) fn eat_binary_keyword(&mut self, word: &str) -> bool {
        match self.binary_keyword_end(word) {
            Some(end) => {
                self.at = end;
                true
            }
            None => false,
        }
    }

    /// Whether `not` and whitespace come next.
    pub(crate) fn at_not(&self) -> bool {
        self.word_at(self.at, "not") && self.space_at(self.at + 3)
    }

    /// Consumes `not` and the whitespace after it; false if it is not there.
    pub(crate) fn eat_not(&mut self) -> bool {
        if !self.at_not() {
            return false;
        }
        self.at += 3;
        self.skip_space();
        true
    }

    /// A range operator at the cursor, consumed.
    pub(crate) fn eat_range_op(&mut self) -> Option<super::RangeOp> {
        use super::RangeOp;
        let eq = self.char_at(self.at + 1) == Some('=');
        let op = match (self.peek()?, eq) {
            ('<', true) => RangeOp::Le,
            ('>', true) => RangeOp::Ge,
            ('<', false) => RangeOp::Lt,
            ('>', false) => RangeOp::Gt,
            _ => return None,
        };
        self.at += if eq { 2 } else { 1 };
        Some(op)
    }

    /// Reads a quoted string or an unquoted value; `None` if neither starts here.
    pub(crate) fn literal(&mut self) -> Result<Option<Lit>, QueryError> {
        if self.peek() == Some('"') {
            self.quoted().map(Some)
        } else {
            self.unquoted()
        }
    }

    /// `\uXXXX` at `i`: the UTF-16 unit.
    fn unicode_unit_at(&self, i: usize) -> Option<u32> {
        if self.char_at(i) != Some('\\') || self.char_at(i + 1) != Some('u') {
            return None;
        }
        let mut unit = 0;
        for k in 0..4 {
            unit = unit * 16 + self.char_at(i + 2 + k)?.to_digit(16)?;
        }
        Some(unit)
    }

    /// A `\uXXXX` escape at the cursor (a surrogate pair takes two escapes): the character,
    /// consumed. `Ok(None)` when there is no such escape here.
    fn unicode_escape(&mut self) -> Result<Option<char>, QueryError> {
        let Some(unit) = self.unicode_unit_at(self.at) else {
            return Ok(None);
        };
        let start = self.at;
        if let Some(c) = char::from_u32(unit) {
            self.at += 6;
            return Ok(Some(c));
        }
        // A surrogate: only a high one followed by an escaped low one makes a character.
        let low = self.unicode_unit_at(start + 6);
        match low {
            Some(low) if (0xd800..0xdc00).contains(&unit) && (0xdc00..0xe000).contains(&low) => {
                let c = char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
                self.at += 12;
                Ok(c)
            }
            _ => Err(QueryError::new(
                start,
                format!(
                    "`\\u{unit:04X}` is half of a UTF-16 surrogate pair; write both halves \
                     (`\\uD83D\\uDE00`) or the character itself"
                ),
            )),
        }
    }

    /// A quoted string; the cursor is on its opening `"`.
    fn quoted(&mut self) -> Result<Lit, QueryError> {
        let position = self.at;
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(QueryError::new(
                        position,
                        "unterminated quoted value: the closing `\"` is missing",
                    ));
                }
                Some('"') => {
                    self.at += 1;
                    break;
                }
                Some('\\') => {
                    let escaped = match self.char_at(self.at + 1) {
                        Some('t') => Some('\t'),
                        Some('r') => Some('\r'),
                        Some('n') => Some('\n'),
                        Some(c @ ('\\' | '"')) => Some(c),
                        _ => None,
                    };
                    if let Some(c) = escaped {
                        text.push(c);
                        self.at += 2;
                    } else if let Some(c) = self.unicode_escape()? {
                        text.push(c);
                    } else {
                        // Not an escape: the backslash is an ordinary character.
                        text.push('\\');
                        self.at += 1;
                    }
                }
                Some(c) => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
        Ok(Lit {
            value: LitValue::Text(text),
            quoted: true,
            position,
        })
    }

    /// An unquoted value, or `None` if none starts here.
    fn unquoted(&mut self) -> Result<Option<Lit>, QueryError> {
        let position = self.at;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut text = String::new();
        let mut wildcard = false;
        while let Some(c) = self.peek() {
            if c == '\\' {
                let next = self.char_at(self.at + 1);
                let simple = match next {
                    Some('t') => Some('\t'),
                    Some('r') => Some('\r'),
                    Some('n') => Some('\n'),
                    Some(s) if is_special(s) => Some(s),
                    _ => None,
                };
                if let Some(e) = simple {
                    text.push(e);
                    self.at += 2;
                } else if let Some(e) = self.unicode_escape()? {
                    text.push(e);
                } else if let Some(word) = ["and", "or", "not"]
                    .into_iter()
                    .find(|w| self.word_at(self.at + 1, w))
                {
                    // The keyword as written, in its own case.
                    let from = self.at + 1;
                    text.extend(&self.chars[from..from + word.len()]);
                    self.at = from + word.len();
                } else {
                    // Not an escape: the value ends here, and the caller reports the backslash.
                    break;
                }
            } else if c == '*' {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                if pieces.last() != Some(&Piece::Any) {
                    pieces.push(Piece::Any);
                }
                wildcard = true;
                self.at += 1;
            } else if is_special(c) || self.keyword_at(self.at) {
                break;
            } else {
                text.push(c);
                self.at += 1;
            }
        }
        if self.at == position {
            return Ok(None);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        trim_pieces(&mut pieces);
        let value = if wildcard {
            LitValue::Wildcard(pieces)
        } else {
            let text = match pieces.pop() {
                Some(Piece::Text(t)) => t,
                _ => String::new(),
            };
            match text.as_str() {
                "true" => LitValue::Bool(true),
                "false" => LitValue::Bool(false),
                "null" => LitValue::Null,
                _ => LitValue::Text(text),
            }
        };
        Ok(Some(Lit {
            value,
            quoted: false,
            position,
        }))
    }

    /// A short description of what stands at `i`, for error messages.
    pub(crate) fn describe_at(&self, i: usize) -> String {
        match self.char_at(i) {
            None => "the end of the query".into(),
            Some('"') => "a quoted value".into(),
            Some('<' | '>') if self.char_at(i + 1) == Some('=') => {
                format!("`{}=`", self.chars[i])
            }
            Some('\\') => match self.char_at(i + 1) {
                Some(n) => format!("`\\{n}`"),
                None => "`\\`".into(),
            },
            Some(c) if is_special(c) => format!("`{c}`"),
            Some(_) => {
                let word: String = self.chars[i..]
                    .iter()
                    .take_while(|c| !is_space(**c) && !is_special(**c))
                    .take(24)
                    .collect();
                format!("`{word}`")
            }
        }
    }
}

/// Trims whitespace from both ends of the value (the wildcards stay).
fn trim_pieces(pieces: &mut Vec<Piece>) {
    if let Some(Piece::Text(t)) = pieces.first_mut() {
        *t = t.trim_start_matches(is_trimmed).to_owned();
    }
    if let Some(Piece::Text(t)) = pieces.last_mut() {
        *t = t.trim_end_matches(is_trimmed).to_owned();
    }
    pieces.retain(|p| p != &Piece::Text(String::new()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> (Option<LitValue>, usize) {
        let mut c = Cursor::new(s);
        let lit = c.literal().unwrap();
        (lit.map(|l| l.value), c.at)
    }

    fn text(s: &str) -> Option<LitValue> {
        Some(LitValue::Text(s.into()))
    }

    #[test]
    fn unquoted_values_keep_inner_spaces_and_stop_before_keywords() {
        assert_eq!(read("API Server"), (text("API Server"), 10));
        assert_eq!(read("API Server and x"), (text("API Server"), 10));
        assert_eq!(read("a  OR b"), (text("a"), 2));
        // `and` / `or` need whitespace on both sides; `not` only after it.
        assert_eq!(read("android sandor"), (text("android sandor"), 14));
        assert_eq!(read("a and"), (text("a and"), 5));
        assert_eq!(read("cannot run"), (text("can"), 3));
        assert_eq!(read("a\u{a0}and b"), (text("a"), 1));
        assert_eq!(read("  "), (text(""), 2));
    }

    #[test]
    fn unquoted_values_end_at_special_characters() {
        for (s, at) in [
            ("a:b", 1),
            ("a (b", 2),
            ("a)", 1),
            ("x<1", 1),
            ("a\"b", 1),
            ("a{", 1),
        ] {
            assert_eq!(read(s).1, at, "{s}");
        }
        assert_eq!(read(":"), (None, 0));
    }

    #[test]
    fn escapes_in_unquoted_values() {
        assert_eq!(read(r#"a\:b\*\"\\\(\)"#).0, text(r#"a:b*"\()"#));
        assert_eq!(read(r"a\tb").0, text("a\tb"));
        assert_eq!(read(r"\u0041\u00e9").0, text("Aé"));
        assert_eq!(read(r"\uD83D\uDE00").0, text("😀"));
        assert_eq!(read(r"x \and y \OR z").0, text("x and y OR z"));
        // `\n` wins over the escaped keyword `\not`.
        assert_eq!(read(r"a\not").0, text("a\not"));
        // Escaped whitespace is trimmed like any other at the ends of the value.
        assert_eq!(read(r"\not").0, text("ot"));
        assert_eq!(read(r"\NOT").0, text("NOT"));
        // An unknown escape ends the value at the backslash.
        assert_eq!(read(r"ab\q"), (text("ab"), 2));
        assert!(Cursor::new(r"\uD800").literal().is_err());
    }

    #[test]
    fn wildcards_booleans_and_null() {
        assert_eq!(
            read("kube-* x**").0,
            Some(LitValue::Wildcard(vec![
                Piece::Text("kube-".into()),
                Piece::Any,
                Piece::Text(" x".into()),
                Piece::Any
            ]))
        );
        assert_eq!(read(r"a\*").0, text("a*"));
        assert_eq!(read(" true ").0, Some(LitValue::Bool(true)));
        assert_eq!(read("null").0, Some(LitValue::Null));
        assert_eq!(read("nulls").0, text("nulls"));
    }

    #[test]
    fn quoted_strings_keep_unknown_escapes_and_stars() {
        assert_eq!(read(r#""a\"b\\c""#).0, text(r#"a"b\c"#));
        assert_eq!(read(r#""C:\path\*""#).0, text(r"C:\path\*"));
        assert_eq!(read(r#""x\ty\u0041 and *""#).0, text("x\tyA and *"));
        assert_eq!(read(r#""true""#).0, text("true"));
        let e = Cursor::new("\"abc\\\"").literal().unwrap_err();
        assert_eq!(e.position, 0);
        assert!(e.message.starts_with("unterminated quoted value"));
    }
}
