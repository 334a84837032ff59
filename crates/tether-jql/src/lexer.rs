//! The JQL lexer: turns query text into tokens on demand, as Jira's ANTLR lexer does.
//!
//! Tokens are produced lazily so that, like Jira, a lexical error (a reserved word, a bad
//! escape, an unfinished string) is only reported when the parser reaches that token: an
//! earlier syntax error wins.
//!
//! Rules (from Jira's `Jql.g`): whitespace is space, tab, `\n` and `\r`; an unquoted string is
//! a run of characters other than whitespace, control characters, quotes and
//! `= ! < > ( ) ~ , [ ] | &` and the reserved characters `{ } * / % + ^ $ # @ ? ;`, with
//! backslash escapes. A run that spells a keyword exactly (any case) is that keyword; digits are
//! a positive number, `-` and digits a negative one. Quoted strings take either quote, the same
//! escapes, and any character but control characters (newlines are allowed, tabs are not).

use std::borrow::Cow;

use crate::chars::{self, is_blank, is_control, is_space, is_string_char};
use crate::error::{ParseError, ParseErrorKind, Position};

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LParen,
    RParen,
    Comma,
    LBracket,
    RBracket,
    Bang,
    Lt,
    Gt,
    LtEq,
    GtEq,
    Eq,
    NotEq,
    Like,
    NotLike,
    In,
    Is,
    And,
    Or,
    Not,
    Empty,
    Was,
    Changed,
    Before,
    After,
    From,
    To,
    On,
    During,
    Order,
    By,
    Asc,
    Desc,
    PosNumber,
    NegNumber,
    CustomField,
    /// An unquoted string.
    String,
    /// A string in double quotes.
    Quoted,
    /// A string in single quotes.
    SingleQuoted,
    Eof,
}

impl Kind {
    /// A token that can be a value or a function name (Jira's `string | numberString`).
    pub fn is_word(self) -> bool {
        matches!(
            self,
            Kind::String | Kind::Quoted | Kind::SingleQuoted | Kind::PosNumber | Kind::NegNumber
        )
    }

    /// A history predicate keyword.
    pub fn is_predicate(self) -> bool {
        matches!(
            self,
            Kind::From | Kind::To | Kind::By | Kind::Before | Kind::After | Kind::On | Kind::During
        )
    }
}

/// One token. `text` is decoded (escapes resolved, quotes removed) for strings and the
/// source text otherwise.
#[derive(Debug, Clone)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: Cow<'a, str>,
    pub start: Position,
    pub end: usize,
    /// Whitespace came right before this token (Jira tells a misplaced word from a bad
    /// property path by this).
    pub spaced: bool,
}

/// The lexer state: a cursor into the query text.
#[derive(Debug)]
pub struct Lexer<'a> {
    src: &'a str,
    offset: usize,
    line: u32,
    /// Zero-based column in UTF-16 units.
    column: u32,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, offset: 0, line: 1, column: 0 }
    }

    fn here(&self) -> Position {
        Position { offset: self.offset, line: self.line, character: self.column + 1 }
    }

    fn peek_char(&self) -> Option<char> {
        let b = *self.src.as_bytes().get(self.offset)?;
        if b < 0x80 { Some(b as char) } else { self.src[self.offset..].chars().next() }
    }

    fn bump(&mut self, c: char) {
        self.offset += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += c.len_utf16() as u32;
        }
    }

    fn error(&self, kind: ParseErrorKind, at: Position) -> ParseError {
        ParseError::new(kind, at)
    }

    /// The next token, or the lexical error Jira would report for it.
    pub fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        let mut spaced = false;
        while let Some(c) = self.peek_char() {
            if !is_space(c) {
                break;
            }
            spaced = true;
            self.bump(c);
        }
        let start = self.here();
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                kind: Kind::Eof,
                text: Cow::Borrowed(""),
                start,
                end: self.offset,
                spaced,
            });
        };
        let single = |kind| Some((kind, 1));
        let next = self.src.as_bytes().get(self.offset + 1).copied();
        let punct = match c {
            '(' => single(Kind::LParen),
            ')' => single(Kind::RParen),
            ',' => single(Kind::Comma),
            '[' => single(Kind::LBracket),
            ']' => single(Kind::RBracket),
            '=' => single(Kind::Eq),
            '~' => single(Kind::Like),
            '!' => match next {
                Some(b'=') => Some((Kind::NotEq, 2)),
                Some(b'~') => Some((Kind::NotLike, 2)),
                _ => single(Kind::Bang),
            },
            '<' if next == Some(b'=') => Some((Kind::LtEq, 2)),
            '<' => single(Kind::Lt),
            '>' if next == Some(b'=') => Some((Kind::GtEq, 2)),
            '>' => single(Kind::Gt),
            '&' if next == Some(b'&') => Some((Kind::And, 2)),
            '&' => single(Kind::And),
            '|' if next == Some(b'|') => Some((Kind::Or, 2)),
            '|' => single(Kind::Or),
            _ => None,
        };
        if let Some((kind, len)) = punct {
            let text = &self.src[self.offset..self.offset + len];
            self.offset += len;
            self.column += len as u32;
            return Ok(Token { kind, text: Cow::Borrowed(text), start, end: self.offset, spaced });
        }
        match c {
            '"' | '\'' => self.quoted(c, start, spaced),
            _ if chars::RESERVED_CHARS.contains(&c) => {
                Err(self.error(ParseErrorKind::ReservedCharacter(c), start))
            }
            _ if is_control(c) => Err(self.error(ParseErrorKind::IllegalCharacter(c), start)),
            _ => self.unquoted(start, spaced),
        }
    }

    fn unquoted(&mut self, start: Position, spaced: bool) -> Result<Token<'a>, ParseError> {
        let mut decoded: Option<String> = None;
        let mut raw_end = self.offset;
        while let Some(c) = self.peek_char() {
            if c == '\\' {
                let out = decoded.get_or_insert_with(|| self.src[start.offset..raw_end].to_owned());
                let escaped = self.escape()?;
                out.push(escaped);
            } else if is_string_char(c) {
                self.bump(c);
                if let Some(out) = decoded.as_mut() {
                    out.push(c);
                }
            } else {
                break;
            }
            raw_end = self.offset;
        }
        let raw = &self.src[start.offset..self.offset];
        let end = self.offset;
        let Some(decoded) = decoded else {
            let kind = classify(raw);
            if kind == Kind::String && chars::is_reserved_word(raw) {
                return Err(self.error(ParseErrorKind::ReservedWord(raw.to_owned()), start));
            }
            return Ok(Token { kind, text: Cow::Borrowed(raw), start, end, spaced });
        };
        if !is_blank(&decoded) && chars::is_reserved_word(&decoded) {
            return Err(self.error(ParseErrorKind::ReservedWord(decoded), start));
        }
        Ok(Token { kind: Kind::String, text: Cow::Owned(decoded), start, end, spaced })
    }

    /// Reads one escape sequence at a backslash and returns the character it stands for.
    fn escape(&mut self) -> Result<char, ParseError> {
        let at = self.here();
        self.bump('\\');
        let Some(c) = self.peek_char() else {
            return Err(self.error(ParseErrorKind::IllegalEscape(None), at));
        };
        self.bump(c);
        let simple = match c {
            't' => Some('\t'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            '"' | '\'' | '\\' | ' ' => Some(c),
            'u' => None,
            _ => return Err(self.error(ParseErrorKind::IllegalEscape(Some(format!("\\{c}"))), at)),
        };
        if let Some(s) = simple {
            return Ok(s);
        }
        let unit = self.hex4(at)?;
        if (0xD800..0xDC00).contains(&unit) {
            // A high surrogate: Java keeps UTF-16, so a following `\uDC00`-`\uDFFF` escape
            // completes the character. A lone surrogate cannot live in a Rust string.
            let rest = &self.src.as_bytes()[self.offset..];
            if rest.len() >= 6
                && rest[0] == b'\\'
                && rest[1] == b'u'
                && let Some(low) = parse_hex4(&rest[2..6]).filter(|l| (0xDC00..0xE000).contains(l))
            {
                for _ in 0..6 {
                    self.bump('x');
                }
                let code = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
        }
        Ok(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'))
    }

    /// Four hex digits after `\u`; on failure Jira quotes what it read up to the bad one.
    fn hex4(&mut self, at: Position) -> Result<u16, ParseError> {
        let mut seen = String::from("\\u");
        let mut value: u16 = 0;
        for _ in 0..4 {
            let Some(c) = self.peek_char() else {
                return Err(self.error(ParseErrorKind::IllegalEscape(Some(seen)), at));
            };
            seen.push(c);
            let Some(d) = c.to_digit(16) else {
                return Err(self.error(ParseErrorKind::IllegalEscape(Some(seen)), at));
            };
            self.bump(c);
            value = value * 16 + d as u16;
        }
        Ok(value)
    }

    fn quoted(
        &mut self,
        quote: char,
        start: Position,
        spaced: bool,
    ) -> Result<Token<'a>, ParseError> {
        self.bump(quote);
        let content_start = self.offset;
        let mut decoded: Option<String> = None;
        loop {
            let Some(c) = self.peek_char() else {
                let raw = &self.src[content_start..];
                let text = if is_blank(raw) { None } else { Some(raw.to_owned()) };
                return Err(self.error(ParseErrorKind::UnfinishedString(text), start));
            };
            if c == quote {
                let text = match decoded {
                    Some(s) => Cow::Owned(s),
                    None => Cow::Borrowed(&self.src[content_start..self.offset]),
                };
                self.bump(c);
                let kind = if quote == '"' { Kind::Quoted } else { Kind::SingleQuoted };
                return Ok(Token { kind, text, start, end: self.offset, spaced });
            }
            if c == '\\' {
                let before = self.offset;
                let out = decoded.get_or_insert_with(|| self.src[content_start..before].to_owned());
                let escaped = self.escape()?;
                out.push(escaped);
                continue;
            }
            if is_control(c) {
                return Err(self.error(ParseErrorKind::IllegalCharacter(c), self.here()));
            }
            self.bump(c);
            if let Some(out) = decoded.as_mut() {
                out.push(c);
            }
        }
    }
}

fn parse_hex4(bytes: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(bytes).ok()?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

/// The kind of an unquoted run without escapes.
fn classify(raw: &str) -> Kind {
    let bytes = raw.as_bytes();
    if bytes.iter().all(u8::is_ascii_digit) {
        return Kind::PosNumber;
    }
    if bytes.len() > 1 && bytes[0] == b'-' && bytes[1..].iter().all(u8::is_ascii_digit) {
        return Kind::NegNumber;
    }
    chars::keyword(raw).unwrap_or(Kind::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().expect("lexes");
            if token.kind == Kind::Eof {
                return out;
            }
            out.push((token.kind, token.text.into_owned()));
        }
    }

    #[test]
    fn words_keywords_and_numbers_split_as_jira_does() {
        let got = kinds("inlanguage in -1 1-1 -78a cf Cf[5] a&&b|c NULL !~ != ! \\u0041x");
        let want = [
            (Kind::String, "inlanguage"),
            (Kind::In, "in"),
            (Kind::NegNumber, "-1"),
            (Kind::String, "1-1"),
            (Kind::String, "-78a"),
            (Kind::CustomField, "cf"),
            (Kind::CustomField, "Cf"),
            (Kind::LBracket, "["),
            (Kind::PosNumber, "5"),
            (Kind::RBracket, "]"),
            (Kind::String, "a"),
            (Kind::And, "&&"),
            (Kind::String, "b"),
            (Kind::Or, "|"),
            (Kind::String, "c"),
            (Kind::Empty, "NULL"),
            (Kind::NotLike, "!~"),
            (Kind::NotEq, "!="),
            (Kind::Bang, "!"),
            (Kind::String, "Ax"),
        ];
        let want: Vec<_> = want.iter().map(|(k, t)| (*k, (*t).to_owned())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn surrogate_pairs_in_escapes_make_one_character() {
        assert_eq!(
            kinds("\"\\uD83D\\uDE00\" \\uD83Dx"),
            [(Kind::Quoted, "\u{1F600}".to_owned()), (Kind::String, "\u{fffd}x".to_owned())]
        );
    }
}
