//! The OFREP evaluation request body as evaluation reads it: `{"context": {...}}` to the
//! context's attributes, or the refusal with the OFREP error code the answer carries.

use serde_json::{Map, Value};

/// Why an OFREP request body was refused. [`ContextError::code`] is the OFREP `errorCode` of
/// the answer (HTTP 400) and the message its `errorDetails`.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The body is not JSON at all (`PARSE_ERROR`); the message says where it stops being so.
    #[error("the body is not JSON: {0}")]
    NotJson(serde_json::Error),
    /// The body is JSON but not an object (`PARSE_ERROR`).
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// `context` is neither an object nor `null` (`INVALID_CONTEXT`).
    #[error("\"context\" must be a JSON object")]
    ContextNotAnObject,
}

impl ContextError {
    /// The OFREP error code: `PARSE_ERROR` or `INVALID_CONTEXT`.
    pub fn code(&self) -> &'static str {
        match self {
            ContextError::NotJson(_) | ContextError::NotAnObject => "PARSE_ERROR",
            ContextError::ContextNotAnObject => "INVALID_CONTEXT",
        }
    }
}

/// The `context` object of an OFREP request body, ready for [`crate::Context::new`].
///
/// - A body of ASCII whitespace only (none at all included) is an empty context: a bulk
///   request need not send one.
/// - Otherwise the body must be JSON and a JSON object, else [`ContextError::NotJson`] or
///   [`ContextError::NotAnObject`] (`PARSE_ERROR`).
/// - Its `context` member, when present and not `null`, must be an object, else
///   [`ContextError::ContextNotAnObject`] (`INVALID_CONTEXT`); absent or `null` is an empty
///   context. Other members are ignored, and of a member given twice the last one counts, as
///   serde_json reads objects.
pub fn request_context(body: &[u8]) -> Result<Map<String, Value>, ContextError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let request: Value = serde_json::from_slice(body).map_err(ContextError::NotJson)?;
    let Value::Object(mut request) = request else {
        return Err(ContextError::NotAnObject);
    };
    match request.remove("context") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(context)) => Ok(context),
        Some(_) => Err(ContextError::ContextNotAnObject),
    }
}
