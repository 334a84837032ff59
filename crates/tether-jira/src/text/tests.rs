//! Unit tests of ADF and wiki rendering and text extraction.

use serde_json::json;

use super::*;

fn sample() -> Doc {
    Doc {
        blocks: vec![
            Block::Paragraph(vec![
                Inline::Strong("Ana".into()),
                Inline::Text(" mentioned this issue in commit ".into()),
                Inline::Link {
                    text: "a1b2c3d".into(),
                    url: "https://git.example/c/a1b2c3d".into(),
                },
                Inline::Text(" on ".into()),
                Inline::Code("main".into()),
            ]),
            Block::Quote("Fix *all* the [things]\n\nsecond paragraph".into()),
            Block::BulletList(vec![
                vec![Inline::Text("one".into())],
                vec![Inline::Text("two".into())],
            ]),
            Block::Code("let x = {y};".into()),
        ],
    }
}

#[test]
fn renders_adf() {
    let adf = sample().to_adf();
    assert_eq!(adf["type"], "doc");
    assert_eq!(adf["version"], 1);
    let p = &adf["content"][0]["content"];
    assert_eq!(p[0], json!({"type": "text", "text": "Ana", "marks": [{"type": "strong"}]}));
    assert_eq!(
        p[2]["marks"][0],
        json!({"type": "link", "attrs": {"href": "https://git.example/c/a1b2c3d"}})
    );
    assert_eq!(p[4]["marks"][0]["type"], "code");
    assert_eq!(adf["content"][1]["type"], "blockquote");
    assert_eq!(adf["content"][1]["content"].as_array().unwrap().len(), 2);
    assert_eq!(adf["content"][2]["content"][1]["type"], "listItem");
    assert_eq!(
        adf["content"][3],
        json!({"type": "codeBlock", "content": [{"type": "text", "text": "let x = {y};"}]})
    );
}

#[test]
fn renders_wiki_with_escapes() {
    assert_eq!(
        sample().to_wiki(),
        "*Ana* mentioned this issue in commit [a1b2c3d|https://git.example/c/a1b2c3d] on {{main}}\n\n\
         {quote}\nFix *all* the [things]\n\nsecond paragraph\n{quote}\n\n\
         * one\n* two\n\n\
         {noformat}\nlet x = {y};\n{noformat}"
    );
    assert_eq!(
        Doc::text("a *b* [c] {d} x-y !e! _f_").to_wiki(),
        r"a \*b\* \[c\] \{d\} x\-y \!e\! \_f\_"
    );
}

#[test]
fn rendered_text_reads_back_the_same_both_ways() {
    let doc = sample();
    let want = "Ana mentioned this issue in commit a1b2c3d on main\n\
                Fix *all* the [things]\n\
                second paragraph\n\
                one\n\
                two\n\
                let x = {y};";
    assert_eq!(adf_to_text(&doc.to_adf()), want);
    let via_wiki: Vec<String> =
        wiki_to_text(&doc.to_wiki()).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect();
    // The quote is verbatim in wiki markup, so its own markup characters are read as markup.
    assert_eq!(via_wiki.join("\n"), want.replace("*all* the [things]", "all the things"));
    assert_eq!(
        wiki_to_text(&Doc::text("a *b* [c] {d} x-y !e! _f_").to_wiki()),
        "a *b* [c] {d} x-y !e! _f_"
    );
}

#[test]
fn extracts_text_from_wiki() {
    let cases: &[(&str, &str)] = &[
        ("plain", "plain"),
        ("*bold* and _it_ and -struck- and +under+", "bold and it and struck and under"),
        ("a - b, x*y, snake_case_name", "a - b, x*y, snake_case_name"),
        ("see [the docs|https://x.test] or [https://y.test]", "see the docs or https://y.test"),
        ("ping [~jdoe]", "ping jdoe"),
        ("h1. Title\nbq. quoted", "Title\nquoted"),
        ("* one\n** two\n# three", "one\ntwo\nthree"),
        ("{code:java}\nint *x* = 1;\n{code}", "int *x* = 1;"),
        ("{color:red}red{color} text", "red text"),
        ("use {{cargo test}}", "use cargo test"),
        ("!screenshot.png|thumbnail! caption", "caption"),
        (r"escaped \*star\* and \[bracket\]", "escaped *star* and [bracket]"),
        ("??citation??", "citation"),
        ("über *größe*", "über größe"),
    ];
    for (input, want) in cases {
        assert_eq!(wiki_to_text(input), *want, "{input:?}");
    }
}

#[test]
fn extracts_text_from_adf() {
    let adf = json!({"type": "doc", "version": 1, "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Title"}]},
        {"type": "paragraph", "content": [
            {"type": "text", "text": "hi "},
            {"type": "mention", "attrs": {"id": "abc", "text": "@Ana"}},
            {"type": "hardBreak"},
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            {"type": "inlineCard", "attrs": {"url": "https://x.test"}},
            {"type": "unknownNode", "content": [{"type": "text", "text": "!"}]}
        ]},
        {"type": "bulletList", "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}]}
        ]}
    ]});
    assert_eq!(adf_to_text(&adf), "Title\nhi @Ana\n😄https://x.test!\na");
    assert_eq!(Body::Adf(adf).plain_text().lines().count(), 4);
    assert_eq!(Body::Wiki("*x*".into()).plain_text(), "x");
    assert_eq!(adf_to_text(&json!(null)), "");
}

#[test]
fn bodies_decode_by_shape() {
    let wiki: Body = serde_json::from_value(json!("text")).unwrap();
    assert_eq!(wiki, Body::Wiki("text".into()));
    let adf: Body = serde_json::from_value(json!({"type": "doc", "content": []})).unwrap();
    assert!(matches!(adf, Body::Adf(_)));
    assert_eq!(Doc::text("x").to_body(2), json!("x"));
    assert_eq!(Doc::text("x").to_body(3)["type"], "doc");
}
