//! Character classes, keywords and reserved words of JQL, shared by the lexer and the printer.
//!
//! These follow Jira's own grammar (`Jql.g`) and `JqlStringSupportImpl`: what may appear in an
//! unquoted string, what is a control character, which characters are reserved for future use
//! and which words must be quoted.

/// Jira's reserved words (`JqlStringSupportImpl.RESERVED_WORDS`), sorted for binary search.
/// Several are also keywords (`and`, `in`, `empty` …); those never reach the reserved-word
/// check unless written with escapes.
pub const RESERVED_WORDS: &[&str] = &[
    "abort",
    "access",
    "add",
    "after",
    "alias",
    "all",
    "alter",
    "and",
    "any",
    "as",
    "asc",
    "audit",
    "avg",
    "before",
    "begin",
    "between",
    "boolean",
    "break",
    "by",
    "byte",
    "catch",
    "cf",
    "char",
    "character",
    "check",
    "checkpoint",
    "collate",
    "collation",
    "column",
    "commit",
    "connect",
    "continue",
    "count",
    "create",
    "current",
    "date",
    "decimal",
    "declare",
    "decrement",
    "default",
    "defaults",
    "define",
    "delete",
    "delimiter",
    "desc",
    "difference",
    "distinct",
    "divide",
    "do",
    "double",
    "drop",
    "else",
    "empty",
    "encoding",
    "end",
    "equals",
    "escape",
    "exclusive",
    "exec",
    "execute",
    "exists",
    "explain",
    "false",
    "fetch",
    "field",
    "file",
    "first",
    "float",
    "for",
    "from",
    "function",
    "go",
    "goto",
    "grant",
    "greater",
    "group",
    "having",
    "identified",
    "if",
    "immediate",
    "in",
    "increment",
    "index",
    "initial",
    "inner",
    "inout",
    "input",
    "insert",
    "int",
    "integer",
    "intersect",
    "intersection",
    "into",
    "is",
    "isempty",
    "isnull",
    "join",
    "last",
    "left",
    "less",
    "like",
    "limit",
    "lock",
    "long",
    "max",
    "min",
    "minus",
    "mode",
    "modify",
    "modulo",
    "more",
    "multiply",
    "next",
    "noaudit",
    "not",
    "notin",
    "nowait",
    "null",
    "number",
    "object",
    "of",
    "on",
    "option",
    "or",
    "order",
    "outer",
    "output",
    "power",
    "previous",
    "prior",
    "privileges",
    "public",
    "raise",
    "raw",
    "remainder",
    "rename",
    "resource",
    "return",
    "returns",
    "revoke",
    "right",
    "row",
    "rowid",
    "rownum",
    "rows",
    "select",
    "session",
    "set",
    "share",
    "size",
    "sqrt",
    "start",
    "strict",
    "string",
    "subtract",
    "sum",
    "synonym",
    "table",
    "then",
    "to",
    "trans",
    "transaction",
    "trigger",
    "true",
    "uid",
    "union",
    "unique",
    "update",
    "user",
    "validate",
    "values",
    "view",
    "when",
    "whenever",
    "where",
    "while",
    "with",
];

/// The characters Jira reserves: refused outside quotes with their own message.
pub const RESERVED_CHARS: &[char] = &['{', '}', '*', '/', '%', '+', '^', '$', '#', '@', '?', ';'];

/// Whether `word` is reserved, compared as Jira does (`toLowerCase(Locale.ENGLISH)`).
pub fn is_reserved_word(word: &str) -> bool {
    if word.is_ascii() {
        return (2..=12).contains(&word.len())
            && RESERVED_WORDS.binary_search_by(|w| cmp_ignore_ascii_case(w, word)).is_ok();
    }
    // Java lowercases the Kelvin sign to `k`, so a non-ASCII word can still be reserved.
    let lower = word.to_lowercase();
    lower.is_ascii() && RESERVED_WORDS.binary_search(&lower.as_str()).is_ok()
}

fn cmp_ignore_ascii_case(stored: &str, word: &str) -> std::cmp::Ordering {
    let a = stored.bytes();
    let b = word.bytes().map(|c| c.to_ascii_lowercase());
    a.cmp(b)
}

/// A JQL control character (`JqlStringSupportImpl.isJqlControl`), judged on a UTF-16 unit as
/// Jira does; characters outside the BMP are never control characters.
pub fn is_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{9}'
        | '\u{b}'..='\u{c}'
        | '\u{e}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{fdd0}'..='\u{fdef}'
        | '\u{fffe}'..='\u{ffff}')
}

/// Whitespace between tokens: space, tab, newline and carriage return only.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// A character that may appear unescaped in an unquoted string.
pub fn is_string_char(c: char) -> bool {
    !(is_space(c)
        || is_control(c)
        || matches!(
            c,
            '\\' | '"'
                | '\''
                | '='
                | '!'
                | '<'
                | '>'
                | '('
                | ')'
                | '~'
                | ','
                | '['
                | ']'
                | '|'
                | '&'
        )
        || RESERVED_CHARS.contains(&c))
}

/// Java's `Character.isWhitespace`, which decides whether a field or function name is blank.
pub fn is_java_whitespace(c: char) -> bool {
    match c {
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{1c}'..='\u{1f}' => true,
        '\u{a0}' | '\u{2007}' | '\u{202f}' => false,
        _ => c.is_whitespace() && c != '\u{85}',
    }
}

/// Java's `StringUtils.isBlank`: empty or only whitespace.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_java_whitespace)
}

/// The keyword an unquoted word spells, if any (case-insensitive, exact).
pub fn keyword(word: &str) -> Option<crate::lexer::Kind> {
    use crate::lexer::Kind;
    let eq = |k: &str| word.eq_ignore_ascii_case(k);
    let kind = match word.len() {
        2 if eq("in") => Kind::In,
        2 if eq("is") => Kind::Is,
        2 if eq("or") => Kind::Or,
        2 if eq("to") => Kind::To,
        2 if eq("on") => Kind::On,
        2 if eq("by") => Kind::By,
        2 if eq("cf") => Kind::CustomField,
        3 if eq("and") => Kind::And,
        3 if eq("not") => Kind::Not,
        3 if eq("was") => Kind::Was,
        3 if eq("asc") => Kind::Asc,
        4 if eq("null") => Kind::Empty,
        4 if eq("from") => Kind::From,
        4 if eq("desc") => Kind::Desc,
        5 if eq("empty") => Kind::Empty,
        5 if eq("after") => Kind::After,
        5 if eq("order") => Kind::Order,
        6 if eq("before") => Kind::Before,
        6 if eq("during") => Kind::During,
        7 if eq("changed") => Kind::Changed,
        _ => return None,
    };
    Some(kind)
}

/// How Jira shows a character in its messages: `TAB`, `U+XXXX` for control and whitespace
/// characters, otherwise the character itself.
pub fn printable(c: char) -> String {
    if c == '\t' {
        "TAB".to_owned()
    } else if is_control(c) || is_java_whitespace(c) || c == '\u{fffd}' || c == '\u{fffc}' {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

/// The escape Jira suggests for a character (`encodeCharacterForce`).
pub fn forced_escape(c: char) -> String {
    match c {
        '\t' => "\\t".to_owned(),
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        '"' => "\\\"".to_owned(),
        '\'' => "\\'".to_owned(),
        '\\' => "\\\\".to_owned(),
        _ => {
            let mut units = [0u16; 2];
            c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04x}")).collect()
        }
    }
}

/// Replaces newlines and carriage returns by spaces, as Jira does for text in messages.
pub fn normalize(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_and_lowercase() {
        let mut sorted = RESERVED_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, RESERVED_WORDS);
        assert!(RESERVED_WORDS.iter().all(|w| w.len() <= 12 && *w == w.to_lowercase()));
    }

    #[test]
    fn reserved_word_lookup_ignores_case() {
        for (word, expect) in [
            ("select", true),
            ("SeLeCt", true),
            ("selects", false),
            ("int", true),
            ("transaction", true),
            ("intersection", true),
            ("x", false),
            ("brea\u{212a}", true),
            ("f\u{131}eld", false),
        ] {
            assert_eq!(is_reserved_word(word), expect, "{word}");
        }
    }
}
