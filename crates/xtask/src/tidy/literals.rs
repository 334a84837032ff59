//! The string literals of a Rust source file, with their line, skipping comments,
//! char literals and lifetimes: enough lexing for tidy's rules about what code
//! (not prose) says.

/// One string literal: where it starts (1-based line) and its text between the quotes,
/// escapes left as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub line: usize,
    pub text: String,
}

/// Every string literal of `source` (`"…"`, `b"…"`, `r#"…"#`, `br"…"`, `c"…"`), in order.
pub fn string_literals(source: &str) -> Vec<Literal> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '\'' => i = skip_char_or_lifetime(&chars, i),
            '"' => {
                let (text, end, lines) = quoted(&chars, i + 1);
                out.push(Literal { line, text });
                line += lines;
                i = end;
            }
            'r' | 'b' | 'c' if !ident_before(&chars, i) => match raw_or_prefixed(&chars, i) {
                Some((text, end, lines)) => {
                    out.push(Literal { line, text });
                    line += lines;
                    i = end;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// A string starting at `start` (just after the opening quote): its text, the index
/// after the closing quote and the newlines inside.
fn quoted(chars: &[char], start: usize) -> (String, usize, usize) {
    let mut i = start;
    let mut lines = 0;
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' {
            i += 1;
        }
        if chars.get(i) == Some(&'\n') {
            lines += 1;
        }
        i += 1;
    }
    let end = i.min(chars.len());
    (chars[start..end].iter().collect(), (end + 1).min(chars.len()), lines)
}

/// `r"…"`, `r#"…"#`, `b"…"`, `br#"…"#`, `c"…"` at `i`, if one starts there.
fn raw_or_prefixed(chars: &[char], i: usize) -> Option<(String, usize, usize)> {
    let mut j = i;
    while j < chars.len() && matches!(chars[j], 'b' | 'c') && j - i < 1 {
        j += 1;
    }
    let raw = chars.get(j) == Some(&'r');
    if raw {
        j += 1;
    }
    if !raw && j == i {
        return None;
    }
    let mut hashes = 0;
    while raw && chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    if !raw {
        return Some(quoted(chars, j + 1));
    }
    let start = j + 1;
    let mut k = start;
    let mut lines = 0;
    while k < chars.len() {
        if chars[k] == '"' && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#')) {
            let text = chars[start..k].iter().collect();
            return Some((text, k + 1 + hashes, lines));
        }
        if chars[k] == '\n' {
            lines += 1;
        }
        k += 1;
    }
    Some((chars[start..].iter().collect(), chars.len(), lines))
}

/// Past a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => {
            let mut k = i + 2;
            while k < chars.len() && chars[k] != '\'' && chars[k] != '\n' {
                k += 1;
            }
            k + 1
        }
        (Some(_), Some('\'')) => i + 3,
        _ => i + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str, expect: &[(usize, &str)]) {
        let got: Vec<(usize, String)> =
            string_literals(source).into_iter().map(|l| (l.line, l.text)).collect();
        let expect: Vec<(usize, String)> =
            expect.iter().map(|(l, t)| (*l, t.to_string())).collect();
        assert_eq!(got, expect, "{source:?}");
    }

    #[test]
    fn literals_are_found_and_comments_chars_and_lifetimes_skipped() {
        check(r#"let a = "one";"#, &[(1, "one")]);
        check("// \"not this\"\nlet b = \"two\";", &[(2, "two")]);
        check("/* \"no\" /* \"nested\" */ */ \"yes\"", &[(1, "yes")]);
        check(r#"let q = '"'; let s = "after";"#, &[(1, "after")]);
        check(r#"fn f<'a>(x: &'a str) -> &'a str { "lt" }"#, &[(1, "lt")]);
        check(r##"let r = r#"raw "quoted" text"#;"##, &[(1, r#"raw "quoted" text"#)]);
        check(
            r#"let e = "esc \" quote"; let b = b"bytes";"#,
            &[(1, r#"esc \" quote"#), (1, "bytes")],
        );
        check("let m = \"two\nlines\"; let n = \"next\";", &[(1, "two\nlines"), (2, "next")]);
        check(r#"let bar = brr; let x = r"raw";"#, &[(1, "raw")]);
        check(r#"let c = '\n'; let d = "d";"#, &[(1, "d")]);
    }
}
