//! Rich text both ways: the small documents tether writes, rendered as Atlassian Document
//! Format (v3) or wiki markup (v2), and plain text extracted from either when reading.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A text body as Jira returns it: ADF on API v3, wiki markup on v2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    Wiki(String),
    Adf(Value),
}

impl Body {
    /// The text a person would read, without markup.
    pub fn plain_text(&self) -> String {
        match self {
            Body::Wiki(s) => wiki_to_text(s),
            Body::Adf(v) => adf_to_text(v),
        }
    }
}

/// A document tether writes (comments, descriptions): deliberately small, so that both ADF
/// and wiki markup can express all of it exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// Quoted text, e.g. a commit message; kept verbatim, line breaks included.
    Quote(String),
    /// Preformatted text, shown as is.
    Code(String),
    BulletList(Vec<Vec<Inline>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Code(String),
    Link { text: String, url: String },
}

impl Doc {
    /// A document of one paragraph of plain text.
    pub fn text(s: impl Into<String>) -> Doc {
        Doc { blocks: vec![Block::Paragraph(vec![Inline::Text(s.into())])] }
    }

    /// The document as ADF, for API v3 bodies.
    pub fn to_adf(&self) -> Value {
        let content: Vec<Value> = self.blocks.iter().map(block_adf).collect();
        json!({"type": "doc", "version": 1, "content": content})
    }

    /// The document as wiki markup, for API v2 bodies; text is escaped so that nothing in it
    /// (a commit message with `*` or `[`) turns into markup.
    pub fn to_wiki(&self) -> String {
        let blocks: Vec<String> = self.blocks.iter().map(block_wiki).collect();
        blocks.join("\n\n")
    }

    /// The document as the body the given platform API version expects.
    pub fn to_body(&self, api_version: u8) -> Value {
        if api_version >= 3 { self.to_adf() } else { Value::String(self.to_wiki()) }
    }

    /// What a reader sees, without markup (for comparing with what Jira returns).
    pub fn plain_text(&self) -> String {
        adf_to_text(&self.to_adf())
    }
}

fn block_adf(b: &Block) -> Value {
    match b {
        Block::Paragraph(inlines) => paragraph_adf(inlines),
        Block::Quote(text) => {
            let paragraphs: Vec<Value> = text
                .split("\n\n")
                .map(|p| json!({"type": "paragraph", "content": lines_adf(p, &[])}))
                .collect();
            json!({"type": "blockquote", "content": paragraphs})
        }
        Block::Code(text) => {
            let content =
                if text.is_empty() { vec![] } else { vec![json!({"type": "text", "text": text})] };
            json!({"type": "codeBlock", "content": content})
        }
        Block::BulletList(items) => {
            let items: Vec<Value> = items
                .iter()
                .map(|i| json!({"type": "listItem", "content": [paragraph_adf(i)]}))
                .collect();
            json!({"type": "bulletList", "content": items})
        }
    }
}

fn paragraph_adf(inlines: &[Inline]) -> Value {
    let mut content = Vec::new();
    for i in inlines {
        match i {
            Inline::Text(t) => content.extend(lines_adf(t, &[])),
            Inline::Strong(t) => content.extend(lines_adf(t, &[json!({"type": "strong"})])),
            Inline::Code(t) => content.extend(lines_adf(t, &[json!({"type": "code"})])),
            Inline::Link { text, url } => {
                content.extend(lines_adf(text, &[json!({"type": "link", "attrs": {"href": url}})]))
            }
        }
    }
    json!({"type": "paragraph", "content": content})
}

/// Text nodes with hard breaks for newlines: ADF text nodes must not be empty, and a newline
/// inside one is not shown as a break.
fn lines_adf(text: &str, marks: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push(json!({"type": "hardBreak"}));
        }
        if line.is_empty() {
            continue;
        }
        let mut node = json!({"type": "text", "text": line});
        if !marks.is_empty() {
            node["marks"] = Value::Array(marks.to_vec());
        }
        out.push(node);
    }
    out
}

fn block_wiki(b: &Block) -> String {
    match b {
        Block::Paragraph(inlines) => inlines_wiki(inlines),
        // `{quote}` and `{noformat}` keep their content verbatim, so it is not escaped; a
        // closing tag inside it is the one thing that must be broken up.
        Block::Quote(text) => {
            format!("{{quote}}\n{}\n{{quote}}", text.replace("{quote}", "{ quote}"))
        }
        Block::Code(text) => {
            format!("{{noformat}}\n{}\n{{noformat}}", text.replace("{noformat}", "{ noformat}"))
        }
        Block::BulletList(items) => {
            let lines: Vec<String> =
                items.iter().map(|i| format!("* {}", inlines_wiki(i).replace('\n', " "))).collect();
            lines.join("\n")
        }
    }
}

fn inlines_wiki(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) => out.push_str(&escape_wiki(t)),
            Inline::Strong(t) => out.push_str(&format!("*{}*", escape_wiki(t))),
            Inline::Code(t) => out.push_str(&format!("{{{{{}}}}}", escape_wiki(t))),
            Inline::Link { text, url } => {
                out.push_str(&format!("[{}|{}]", escape_wiki(text), url.replace(['|', ']'], "")))
            }
        }
    }
    out
}

/// Backslash-escapes every character that can open or close wiki markup.
pub fn escape_wiki(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '+'
                | '^'
                | '~'
                | '?'
                | '-'
                | '{'
                | '}'
                | '['
                | ']'
                | '|'
                | '!'
                | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Plain text of an ADF document: text nodes, with line breaks between blocks and at hard
/// breaks; mentions, emoji, dates and cards by their visible text.
pub fn adf_to_text(v: &Value) -> String {
    let mut out = String::new();
    adf_walk(v, &mut out);
    out.trim_end_matches('\n').to_owned()
}

fn adf_walk(v: &Value, out: &mut String) {
    let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
    let attr = |k: &str| v.get("attrs").and_then(|a| a.get(k)).and_then(Value::as_str);
    match ty {
        "text" => out.push_str(v.get("text").and_then(Value::as_str).unwrap_or("")),
        "hardBreak" => out.push('\n'),
        "mention" => out.push_str(attr("text").unwrap_or("")),
        "emoji" => out.push_str(attr("text").or(attr("shortName")).unwrap_or("")),
        "inlineCard" | "blockCard" | "embedCard" => out.push_str(attr("url").unwrap_or("")),
        "status" => out.push_str(attr("text").unwrap_or("")),
        "date" => out.push_str(attr("timestamp").unwrap_or("")),
        _ => {
            let children = v.get("content").and_then(Value::as_array);
            for c in children.into_iter().flatten() {
                adf_walk(c, out);
            }
            let block = matches!(
                ty,
                "paragraph"
                    | "heading"
                    | "codeBlock"
                    | "rule"
                    | "panel"
                    | "tableRow"
                    | "mediaGroup"
            );
            if block && !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
}

/// Plain text of wiki markup: links by their text, macros (`{code}`, `{quote}`, `{color}` …)
/// dropped while keeping what they enclose, emphasis marks, list bullets, heading and quote
/// prefixes, images and escapes removed.
pub fn wiki_to_text(s: &str) -> String {
    let mut lines = Vec::new();
    let mut verbatim = false;
    for line in s.lines() {
        let trimmed = line.trim_start();
        // A line that is only a macro tag (`{code:java}`, `{quote}`, `{panel}`) vanishes.
        if let Some(tag) = macro_tag(trimmed)
            && trimmed.len() == tag
        {
            let name = trimmed[1..].split([':', '}']).next().unwrap_or("");
            if matches!(name, "code" | "noformat") {
                verbatim = !verbatim;
            }
            continue;
        }
        if verbatim {
            lines.push(line.to_owned());
            continue;
        }
        let mut rest = trimmed;
        for prefix in ["h1. ", "h2. ", "h3. ", "h4. ", "h5. ", "h6. ", "bq. "] {
            if let Some(r) = rest.strip_prefix(prefix) {
                rest = r;
            }
        }
        let bullets = rest.chars().take_while(|c| matches!(c, '*' | '#' | '-')).count();
        if bullets > 0 && rest[bullets..].starts_with(' ') {
            rest = &rest[bullets + 1..];
        }
        lines.push(wiki_inline_text(rest));
    }
    lines.join("\n").trim().to_owned()
}

/// Length of the `{...}` macro tag at the start of `s`, if it starts with one.
fn macro_tag(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('{')?;
    let end = rest.find('}')?;
    let name = rest[..end].split(':').next()?;
    let known = [
        "code", "noformat", "quote", "panel", "color", "anchor", "status", "expand", "info",
        "note", "warning", "tip",
    ];
    known.contains(&name).then_some(end + 2)
}

fn wiki_inline_text(s: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let rest = &s[i..];
        let after = &s[i + c.len_utf8()..];
        match c {
            '\\' => {
                if let Some(n) = after.chars().next() {
                    out.push(n);
                    i += 1 + n.len_utf8();
                    continue;
                }
            }
            '[' => {
                if let Some(end) = after.find(']') {
                    let inner = &after[..end];
                    match inner.split_once('|') {
                        Some((text, _)) => out.push_str(&wiki_inline_text(text)),
                        None => out.push_str(inner.trim_start_matches('~')),
                    }
                    i += 1 + end + 1;
                    continue;
                }
            }
            '{' => {
                if let Some(inner) = rest.strip_prefix("{{")
                    && let Some(end) = inner.find("}}")
                {
                    out.push_str(&inner[..end]);
                    i += 2 + end + 2;
                    continue;
                }
                if let Some(len) = macro_tag(rest) {
                    i += len;
                    continue;
                }
            }
            '!' => {
                // `!image.png!` and `!image.png|thumbnail!` embed an image: no text.
                if let Some(end) = after.find('!') {
                    let inner = &after[..end];
                    if !inner.is_empty() && !inner.contains(' ') && inner.contains('.') {
                        i += 1 + end + 1;
                        continue;
                    }
                }
            }
            '*' | '_' | '+' | '^' | '~' | '-' | '?' => {
                // A mark hugs its words: `*bold*`, `_it_`, `-struck-`, `??cite??`. Elsewhere
                // (`a - b`, `x*y`) the character is text.
                let mark = if c == '?' { "??" } else { &rest[..1] };
                let prev = out.chars().last().unwrap_or(' ');
                if rest.starts_with(mark)
                    && !prev.is_alphanumeric()
                    && let Some(end) = closing_mark(&rest[mark.len()..], mark)
                {
                    out.push_str(&wiki_inline_text(&rest[mark.len()..mark.len() + end]));
                    i += mark.len() + end + mark.len();
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Where the mark closing an emphasis opened just before `s` is: not at the start, after a
/// non-space and before a non-word character.
fn closing_mark(s: &str, mark: &str) -> Option<usize> {
    if s.starts_with(char::is_whitespace) {
        return None;
    }
    s.match_indices(mark).map(|(n, _)| n).find(|&n| {
        n > 0
            && !s[..n].ends_with(char::is_whitespace)
            && s[n + mark.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
    })
}

#[cfg(test)]
mod tests;
