//! SARIF logs in the shapes scanners write them: a Semgrep-like run (rules in the driver,
//! fingerprints), a Trivy-like run (security-severity), a CodeQL-like run (rules in an
//! extension, partial fingerprints, message strings), clippy-sarif (no rules, level only),
//! and what is refused or skipped.

use serde_json::json;

use super::read;

fn summary(doc: serde_json::Value) -> Vec<String> {
    match read(&doc) {
        Err(e) => vec![format!("error: {e}")],
        Ok(r) => r
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {} {:?} [{}] {}",
                    f.tool,
                    f.rule_id,
                    f.severity,
                    f.location,
                    f.rule_name,
                    f.fingerprint,
                    f.message
                )
            })
            .chain(r.warnings.iter().map(|w| format!("warning: {w}")))
            .collect(),
    }
}

#[test]
#[rustfmt::skip] // one case a line
fn scanners_shapes() {
    let semgrep = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS", "rules": [
        {"id": "python.lang.security.audit.eval", "name": "eval-detected", "shortDescription": {"text": "Eval detected"},
         "helpUri": "https://semgrep.dev/r/python.lang.security.audit.eval", "defaultConfiguration": {"level": "warning"}}]}},
        "results": [{"ruleId": "python.lang.security.audit.eval", "message": {"text": "Detected the use of eval()"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/views.py"}, "region": {"startLine": 42}}}],
            "fingerprints": {"matchBasedId/v1": "abc123"}}]}]});
    assert_eq!(summary(semgrep), [r#"Semgrep OSS python.lang.security.audit.eval warning app/views.py:42 "eval-detected" [matchBasedId/v1:abc123] Detected the use of eval()"#]);
    let trivy = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "rules": [
        {"id": "CVE-2023-1234", "shortDescription": {"text": "openssl: buffer overflow"}, "properties": {"security-severity": "9.8"}},
        {"id": "CVE-2023-9999", "shortDescription": {"text": "zlib"}, "properties": {"security-severity": 5.3}}]}},
        "results": [
            {"ruleId": "CVE-2023-1234", "ruleIndex": 0, "level": "error", "message": {"text": "Package: openssl"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "Cargo.lock"}, "region": {"startLine": 1}}}]},
            {"ruleId": "CVE-2023-9999", "ruleIndex": 1, "message": {"text": "Package: zlib"}}]}]});
    let got = summary(trivy);
    assert!(got[0].starts_with(r#"Trivy CVE-2023-1234 critical Cargo.lock:1 "openssl: buffer overflow" ["#), "{got:?}");
    assert!(got[1].starts_with(r#"Trivy CVE-2023-9999 medium  "zlib" ["#), "{got:?}");
    let codeql = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL"}, "extensions": [
        {"name": "codeql/js-queries", "rules": [{"id": "js/sql-injection", "name": "js/sql-injection",
            "messageStrings": {"default": {"text": "Query built from user input"}}, "properties": {"security-severity": "8.8"}}]}]},
        "results": [{"rule": {"id": "js/sql-injection", "index": 0, "toolComponent": {"index": 0}}, "message": {"id": "default"},
            "partialFingerprints": {"primaryLocationLineHash": "f00d:1"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js"}, "region": {"startLine": 7}}}]}]}]});
    assert_eq!(summary(codeql), [r#"CodeQL js/sql-injection high src/db.js:7 "js/sql-injection" [primaryLocationLineHash:f00d:1] Query built from user input"#]);
    let clippy = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "clippy"}},
        "results": [{"ruleId": "clippy::unwrap_used", "level": "warning", "message": {"text": "used `unwrap()`"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/main.rs"}, "region": {"startLine": 3}}}]},
            {"level": "note", "message": {"text": "no rule"}},
            {"ruleId": "clippy::x"}]}]});
    let got = summary(clippy);
    assert!(got[0].starts_with(r#"clippy clippy::unwrap_used warning src/main.rs:3 "" ["#), "{got:?}");
    assert_eq!(&got[1..], ["warning: run 0, result 1 skipped: it names no rule (ruleId, rule.id or ruleIndex)", "warning: run 0, result 2 skipped: it has no message text"]);
    assert_eq!(summary(json!({"version": "2.0.0", "runs": []})), ["error: SARIF version 2.0.0 is not read; tether reads 2.1.0"]);
    assert_eq!(summary(json!({"results": []})), ["error: not a SARIF log: it has no `runs` list (SARIF 2.1.0, as Semgrep, Trivy, CodeQL and clippy-sarif write it)"]);
}

/// The same result read twice has the same fingerprint; another location another.
#[test]
fn made_fingerprints_are_stable() {
    let doc = |line: u64| {
        json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
        "results": [{"ruleId": "r", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": line}}}]}]}]})
    };
    let fp = |d| read(&d).unwrap().findings[0].fingerprint.clone();
    assert_eq!(fp(doc(1)), fp(doc(1)));
    assert_ne!(fp(doc(1)), fp(doc(2)));
}
