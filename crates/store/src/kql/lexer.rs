//! Splits a query into tokens, tracking character positions for error messages.

use super::{QueryError, RangeOp};

/// A piece of a value: literal text or a `*` wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (escapes already removed).
    Text(String),
    /// `*`: any run of characters.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    Colon,
    Range(RangeOp),
    And,
    Or,
    Not,
    /// An unquoted word; wildcards kept as [`Piece::Any`].
    Word(Vec<Piece>),
    /// A quoted string: always literal.
    Quoted(String),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Character (not byte) offset of the token's first character.
    pub pos: usize,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Range(op) => format!("`{}`", op.as_str()),
            Tok::And => "`and`".into(),
            Tok::Or => "`or`".into(),
            Tok::Not => "`not`".into(),
            Tok::Word(_) => "a value".into(),
            Tok::Quoted(_) => "a quoted value".into(),
            Tok::Eof => "the end of the query".into(),
        }
    }
}

fn is_special(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | ':' | '<' | '>' | '"')
}

/// Tokenises `input`. After a range operator a word may contain `:` (for RFC 3339 times).
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let pos = i;
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token { tok, pos });
            i += 1;
            continue;
        }
        if c == '<' || c == '>' {
            let eq = chars.get(i + 1) == Some(&'=');
            let op = match (c, eq) {
                ('<', false) => RangeOp::Lt,
                ('<', true) => RangeOp::Le,
                ('>', false) => RangeOp::Gt,
                _ => RangeOp::Ge,
            };
            out.push(Token {
                tok: Tok::Range(op),
                pos,
            });
            i += if eq { 2 } else { 1 };
            continue;
        }
        if c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(QueryError::new(pos, "unterminated quoted value")),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match chars.get(i + 1) {
                        Some(&e) => {
                            text.push(e);
                            i += 2;
                        }
                        None => return Err(QueryError::new(pos, "unterminated quoted value")),
                    },
                    Some(&other) => {
                        text.push(other);
                        i += 1;
                    }
                }
            }
            out.push(Token {
                tok: Tok::Quoted(text),
                pos,
            });
            continue;
        }
        let after_range = matches!(
            out.last(),
            Some(Token {
                tok: Tok::Range(_),
                ..
            })
        );
        let mut pieces: Vec<Piece> = Vec::new();
        let mut text = String::new();
        let mut plain = true;
        while let Some(&ch) = chars.get(i) {
            if ch == '\\' {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(QueryError::new(i, "a `\\` at the end escapes nothing"));
                };
                text.push(e);
                plain = false;
                i += 2;
            } else if ch == '*' {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                if pieces.last() != Some(&Piece::Any) {
                    pieces.push(Piece::Any);
                }
                plain = false;
                i += 1;
            } else if is_special(ch) && !(after_range && ch == ':') {
                break;
            } else {
                text.push(ch);
                i += 1;
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let tok = match pieces.as_slice() {
            [Piece::Text(w)] if plain && w.eq_ignore_ascii_case("and") => Tok::And,
            [Piece::Text(w)] if plain && w.eq_ignore_ascii_case("or") => Tok::Or,
            [Piece::Text(w)] if plain && w.eq_ignore_ascii_case("not") => Tok::Not,
            _ => Tok::Word(pieces),
        };
        out.push(Token { tok, pos });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: chars.len(),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_wildcards_escapes_and_operators() {
        assert_eq!(
            toks(r#"a:b* and NOT "x\"y" >= 2"#),
            vec![
                Tok::Word(vec![Piece::Text("a".into())]),
                Tok::Colon,
                Tok::Word(vec![Piece::Text("b".into()), Piece::Any]),
                Tok::And,
                Tok::Not,
                Tok::Quoted("x\"y".into()),
                Tok::Range(RangeOp::Ge),
                Tok::Word(vec![Piece::Text("2".into())]),
                Tok::Eof,
            ]
        );
        // An escaped star is literal; an escaped keyword is a value.
        assert_eq!(
            toks(r"a\*\:b")[0],
            Tok::Word(vec![Piece::Text("a*:b".into())])
        );
        assert_eq!(toks(r"\and")[0], Tok::Word(vec![Piece::Text("and".into())]));
    }

    #[test]
    fn time_after_range_operator_keeps_colons() {
        assert_eq!(
            toks("t > 2026-01-02T03:04:05Z")[2],
            Tok::Word(vec![Piece::Text("2026-01-02T03:04:05Z".into())])
        );
    }

    #[test]
    fn unterminated_quote_reports_opening_position_in_chars() {
        let e = tokenize("é : \"abc").unwrap_err();
        assert_eq!(e.position, 4);
        assert!(e.message.contains("unterminated"));
    }
}
