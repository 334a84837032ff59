//! Rich-text bodies: ADF documents (Cloud v3) and wiki-markup strings (v2), kept as sent.

use serde_json::{Value, json};

/// A description or comment body as it was written, so a v3 reader gets back the exact ADF
/// a v3 writer sent and a v2 reader the exact string a v2 writer sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Adf(Value),
    Wiki(String),
}

impl Body {
    /// Plain text, for `~` searches and for inspection.
    pub fn plain_text(&self) -> String {
        match self {
            Body::Wiki(s) => s.clone(),
            Body::Adf(doc) => adf_to_text(doc),
        }
    }

    /// What v3 returns: ADF. A wiki string becomes one paragraph per line.
    pub fn to_adf(&self) -> Value {
        match self {
            Body::Adf(doc) => doc.clone(),
            Body::Wiki(s) => text_to_adf(s),
        }
    }

    /// What v2 returns: a string. ADF is flattened to text (Cloud renders it to wiki markup;
    /// plain text is the part of that tether relies on).
    pub fn to_wiki(&self) -> String {
        match self {
            Body::Wiki(s) => s.clone(),
            Body::Adf(doc) => adf_to_text(doc),
        }
    }
}

pub fn text_to_adf(s: &str) -> Value {
    let content: Vec<Value> = s
        .split('\n')
        .map(|line| {
            if line.is_empty() {
                json!({"type": "paragraph", "content": []})
            } else {
                json!({"type": "paragraph", "content": [{"type": "text", "text": line}]})
            }
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// Whether a value looks like an ADF document: `{"type":"doc","version":1,"content":[...]}`.
pub fn is_adf_doc(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("doc")
        && v.get("version").and_then(Value::as_u64) == Some(1)
        && v.get("content").is_some_and(Value::is_array)
}

pub fn adf_to_text(doc: &Value) -> String {
    let mut blocks = Vec::new();
    if let Some(content) = doc.get("content").and_then(Value::as_array) {
        for node in content {
            let mut s = String::new();
            collect_text(node, &mut s);
            blocks.push(s);
        }
    }
    blocks.join("\n")
}

fn collect_text(node: &Value, out: &mut String) {
    match node.get("type").and_then(Value::as_str) {
        Some("text") => {
            if let Some(t) = node.get("text").and_then(Value::as_str) {
                out.push_str(t);
            }
        }
        Some("hardBreak") => out.push('\n'),
        Some("mention") => {
            if let Some(t) = node.pointer("/attrs/text").and_then(Value::as_str) {
                out.push_str(t);
            }
        }
        Some("inlineCard" | "blockCard") => {
            if let Some(t) = node.pointer("/attrs/url").and_then(Value::as_str) {
                out.push_str(t);
            }
        }
        _ => {}
    }
    if let Some(children) = node.get("content").and_then(Value::as_array) {
        let block = matches!(
            node.get("type").and_then(Value::as_str),
            Some("bulletList" | "orderedList" | "table" | "tableRow")
        );
        for (i, child) in children.iter().enumerate() {
            if block && i > 0 {
                out.push('\n');
            }
            collect_text(child, out);
        }
    }
}
