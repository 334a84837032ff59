//! OFREP's evaluation answers as JSON bytes, written from pieces each flag serialised once
//! when it was compiled: its key, each variation's `"value":…,"variant":…` and each rule's
//! id. An answer is then a few copies of bytes instead of a walk through serde's
//! serialiser, which escaped every string and formatted every value again for every flag of
//! every bulk request (a third of a 350-flag bulk answer's CPU; see the README's OFREP
//! figures).
//!
//! The bytes are those serde_json writes for OFREP's objects with their fields in
//! alphabetical order:
//! - success: `{"key":K,"metadata":{M},"reason":R,"value":V,"variant":N}`, where the
//!   metadata holds `"individualTarget":true` for an individual target, `"ruleId":ID` for a
//!   rule (served alone or by its rollout), and nothing otherwise;
//! - failure: `{"errorCode":C,"errorDetails":D,"key":K}`.

use serde_json::Value;

use crate::compile::CompiledFlag;
use crate::context::{Context, Memo};
use crate::eval::{self, ErrorCode, Evaluation, Match, Reason};
use crate::snapshot::Snapshot;

/// A flag's answer pieces, serialised when the flag is compiled.
#[derive(Debug)]
pub(crate) struct FlagWire {
    /// The key as a JSON string.
    key: Box<str>,
    /// Per variation (in the flag's order): `"value":V,"variant":N}`, the end of a success.
    served: Box<[Box<str>]>,
    /// The whole answer, when every context gets the same one (the flag is off, or on and
    /// static): written in one copy, without evaluating.
    fixed: Option<Box<str>>,
}

impl FlagWire {
    /// `fixed`: the variation every context is served and why, when that does not depend on
    /// the context.
    pub(crate) fn new(
        key: &str,
        variations: &[(String, Value)],
        fixed: Option<(usize, Reason<'static>)>,
    ) -> FlagWire {
        let served: Box<[Box<str>]> = variations
            .iter()
            .map(|(name, value)| format!("\"value\":{value},\"variant\":{}}}", json_string(name)))
            .map(String::into_boxed_str)
            .collect();
        let key = json_string(key).into_boxed_str();
        let fixed = fixed.and_then(|(variation, reason)| {
            let tail = served.get(variation)?;
            Some(format!(
                "{{\"key\":{key},\"metadata\":{{}},\"reason\":\"{}\",{tail}",
                reason.as_str()
            ))
        });
        FlagWire { key, served, fixed: fixed.map(String::into_boxed_str) }
    }
}

/// A string as JSON (quoted and escaped as serde_json escapes it).
pub(crate) fn json_string(s: &str) -> String {
    Value::from(s).to_string()
}

impl Snapshot {
    /// Writes OFREP's answer for one flag to `out` (the body of `POST
    /// /ofrep/v1/evaluate/flags/{key}`); `Err` with the error code when the answer is a
    /// failure (a 404 for `FLAG_NOT_FOUND`, otherwise a 400 in OFREP).
    pub fn write_answer(
        &self,
        flag_key: &str,
        ctx: &Context<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), ErrorCode> {
        match self.flag(flag_key) {
            Some(flag) => self.write_evaluated(flag, ctx, out),
            None => {
                let code = ErrorCode::FlagNotFound;
                write_failure(code, eval::NOT_FOUND, &json_string(flag_key), out);
                Err(code)
            }
        }
    }

    /// Writes OFREP's bulk answer, `{"flags":[…]}` with every flag of the snapshot in key
    /// order, to `out`.
    pub fn write_all_answers(&self, ctx: &Context<'_>, out: &mut Vec<u8>) {
        // The flags share the context's lookups and segment memberships.
        let memo = Memo::new(self.segments.len());
        let ctx = &ctx.remembering(&memo);
        out.extend_from_slice(b"{\"flags\":[");
        for (i, flag) in self.flags.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // A failure is one element of the list like any other.
            let _ = self.write_evaluated(flag, ctx, out);
        }
        out.extend_from_slice(b"]}");
    }

    /// One flag's answer: its whole answer when it has one that does not depend on the
    /// context, else written from its evaluation.
    fn write_evaluated(
        &self,
        flag: &CompiledFlag,
        ctx: &Context<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), ErrorCode> {
        if let Some(fixed) = &flag.wire.fixed {
            out.extend_from_slice(fixed.as_bytes());
            return Ok(());
        }
        write_flag(flag, &eval::evaluate_flag(self, flag, ctx), out)
    }
}

/// One flag's answer for `eval`, an evaluation of `flag`.
fn write_flag(
    flag: &CompiledFlag,
    eval: &Evaluation<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ErrorCode> {
    let wire = &flag.wire;
    if let Reason::Error { code, detail } = eval.reason {
        write_failure(code, detail, &wire.key, out);
        return Err(code);
    }
    let Some(tail) = eval.served.and_then(|i| wire.served.get(i)) else {
        write_failure(ErrorCode::General, "variation index out of range", &wire.key, out);
        return Err(ErrorCode::General);
    };
    out.extend_from_slice(b"{\"key\":");
    out.extend_from_slice(wire.key.as_bytes());
    out.extend_from_slice(b",\"metadata\":{");
    let rule = match eval.reason {
        Reason::TargetingMatch(Match::Rule(rule)) | Reason::Split { rule: Some(rule) } => {
            Some(rule)
        }
        Reason::TargetingMatch(Match::Target) => {
            out.extend_from_slice(b"\"individualTarget\":true");
            None
        }
        _ => None,
    };
    if let Some(rule) = rule {
        out.extend_from_slice(b"\"ruleId\":");
        match flag.rule_id_json(rule.index) {
            Some(id) => out.extend_from_slice(id.as_bytes()),
            None => out.extend_from_slice(json_string(rule.id).as_bytes()),
        }
    }
    out.extend_from_slice(b"},\"reason\":\"");
    out.extend_from_slice(eval.reason.as_str().as_bytes());
    out.extend_from_slice(b"\",");
    out.extend_from_slice(tail.as_bytes());
    Ok(())
}

fn write_failure(code: ErrorCode, detail: &str, key_json: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"errorCode\":\"");
    out.extend_from_slice(code.as_str().as_bytes());
    out.extend_from_slice(b"\",\"errorDetails\":");
    out.extend_from_slice(json_string(detail).as_bytes());
    out.extend_from_slice(b",\"key\":");
    out.extend_from_slice(key_json.as_bytes());
    out.push(b'}');
}
