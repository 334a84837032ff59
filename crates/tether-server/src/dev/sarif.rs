//! A tolerant reader of the SARIF 2.1.0 fields findings need: per run the tool
//! (`tool.driver.name`) and its rules (the driver's, or the extension a result's
//! `rule.toolComponent.index` names, as CodeQL writes them: `id`, `name`, `shortDescription`, `helpUri`,
//! `defaultConfiguration.level`, `properties.security-severity`), per result the rule
//! (`ruleId`, `rule.id` or `ruleIndex`), `level` (else the rule's default, else
//! `warning`, as SARIF says), `message.text` (or `markdown`, or the rule's
//! `messageStrings` entry named by `message.id`), the first location's
//! `physicalLocation.artifactLocation.uri` and `region.startLine`, and its fingerprints.
//! Unknown fields are ignored; a result that cannot be read is skipped with a warning.
//!
//! Severity: a rule's `security-severity` (CodeQL, Trivy, and GitHub code scanning's
//! convention) as critical (≥ 9.0), high (≥ 7.0), medium (≥ 4.0) or low (> 0), else the
//! result's level (`error`, `warning`, `note`, `none`). The fingerprint that de-duplicates
//! imports: the result's `fingerprints`, else `partialFingerprints` (each in key order),
//! else a SHA-256 of the tool, rule, location and message.

use serde_json::Value;
use sha2::{Digest, Sha256};
use tether_store::dev::NewFinding;

/// What a SARIF document holds, and what of it could not be read.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub findings: Vec<NewFinding>,
    pub warnings: Vec<String>,
}

/// Reads the findings of a SARIF log; `Err` when it is no SARIF log at all.
pub(crate) fn read(doc: &Value) -> Result<Read, String> {
    let runs = doc.get("runs").and_then(Value::as_array).ok_or_else(|| {
        "not a SARIF log: it has no `runs` list (SARIF 2.1.0, as Semgrep, Trivy, CodeQL and \
         clippy-sarif write it)"
            .to_owned()
    })?;
    if let Some(v) = doc.get("version").and_then(Value::as_str)
        && v != "2.1.0"
    {
        return Err(format!("SARIF version {v} is not read; tether reads 2.1.0"));
    }
    let mut out = Read::default();
    for (r, run) in runs.iter().enumerate() {
        let driver = &run["tool"]["driver"];
        let tool = text(&driver["name"]).unwrap_or_else(|| "unknown tool".into());
        let rules: Vec<&Value> =
            driver["rules"].as_array().map(|r| r.iter().collect()).unwrap_or_default();
        for (i, result) in run["results"].as_array().into_iter().flatten().enumerate() {
            // CodeQL keeps its queries' rules in an extension the result names.
            let extension = result["rule"]["toolComponent"]["index"]
                .as_u64()
                .and_then(|c| run["tool"]["extensions"][c as usize]["rules"].as_array());
            let ext_rules: Vec<&Value>;
            let rules = match extension {
                Some(list) => {
                    ext_rules = list.iter().collect();
                    &ext_rules
                }
                None => &rules,
            };
            match finding(&tool, rules, result) {
                Ok(f) => out.findings.push(f),
                Err(why) => out.warnings.push(format!("run {r}, result {i} skipped: {why}")),
            }
        }
    }
    Ok(out)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn finding(tool: &str, rules: &[&Value], result: &Value) -> Result<NewFinding, String> {
    let rule_id = text(&result["ruleId"]).or_else(|| text(&result["rule"]["id"]));
    let by_index = result["ruleIndex"]
        .as_u64()
        .or_else(|| result["rule"]["index"].as_u64())
        .and_then(|i| rules.get(i as usize).copied());
    let rule = by_index.or_else(|| {
        let id = rule_id.as_deref()?;
        rules.iter().copied().find(|r| r["id"].as_str() == Some(id))
    });
    let rule_id = rule_id
        .or_else(|| rule.and_then(|r| text(&r["id"])))
        .ok_or("it names no rule (ruleId, rule.id or ruleIndex)")?;
    let null = Value::Null;
    let rule = rule.unwrap_or(&null);
    let message = text(&result["message"]["text"])
        .or_else(|| text(&result["message"]["markdown"]))
        .or_else(|| {
            let id = result["message"]["id"].as_str()?;
            text(&rule["messageStrings"][id]["text"])
        })
        .or_else(|| text(&rule["shortDescription"]["text"]))
        .ok_or("it has no message text")?;
    let level = text(&result["level"])
        .or_else(|| text(&rule["defaultConfiguration"]["level"]))
        .unwrap_or_else(|| "warning".into());
    let severity = security_severity(rule).unwrap_or(level);
    let physical = &result["locations"][0]["physicalLocation"];
    let uri = text(&physical["artifactLocation"]["uri"]).unwrap_or_default();
    let location = match physical["region"]["startLine"].as_u64() {
        Some(line) if !uri.is_empty() => format!("{uri}:{line}"),
        _ => uri,
    };
    let fingerprint = first_value(&result["fingerprints"])
        .or_else(|| first_value(&result["partialFingerprints"]))
        .unwrap_or_else(|| {
            let digest =
                Sha256::digest(format!("{tool}\n{rule_id}\n{location}\n{message}").as_bytes());
            digest.iter().map(|b| format!("{b:02x}")).collect()
        });
    Ok(NewFinding {
        fingerprint: fingerprint.chars().take(256).collect(),
        tool: tool.to_owned(),
        rule_name: text(&rule["name"])
            .or_else(|| text(&rule["shortDescription"]["text"]))
            .unwrap_or_default(),
        rule_id,
        severity,
        message,
        location,
        help_uri: text(&rule["helpUri"])
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
    })
}

/// The first value of a fingerprint object, by key.
fn first_value(v: &Value) -> Option<String> {
    let map = v.as_object()?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys.into_iter().find_map(|k| text(&map[k]).map(|v| format!("{k}:{v}")))
}

/// A rule's `security-severity` as a name.
fn security_severity(rule: &Value) -> Option<String> {
    let v = &rule["properties"]["security-severity"];
    let score = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
    Some(
        match score {
            s if s >= 9.0 => "critical",
            s if s >= 7.0 => "high",
            s if s >= 4.0 => "medium",
            s if s > 0.0 => "low",
            _ => return None,
        }
        .to_owned(),
    )
}

#[cfg(test)]
mod tests;
