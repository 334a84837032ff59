//! Errors: parse errors with a position, and the errors of building a statement from parts.

use thiserror::Error;

/// Text that is not a valid glob, action pattern, resource specifier, resource or statement.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} (at byte {pos})")]
pub struct ParseError {
    /// 0-based byte offset into the parsed text where the problem is.
    pub pos: usize,
    /// What is wrong there.
    pub kind: ParseErrorKind,
}

impl ParseError {
    pub(crate) fn new(pos: usize, kind: ParseErrorKind) -> ParseError {
        ParseError { pos, kind }
    }

    /// The same error, found inside a larger text that starts `by` bytes earlier.
    pub(crate) fn shifted(self, by: usize) -> ParseError {
        ParseError { pos: self.pos + by, ..self }
    }
}

/// What a [`ParseError`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    #[error("nothing to parse")]
    Empty,
    #[error("expected a resource segment such as `proj/<glob>`")]
    MissingSegment,
    #[error(
        "unknown resource kind `{0}`; expected proj, env, flag, segment, webhook, integration, token, member or role"
    )]
    UnknownKind(String),
    #[error("expected `/` after the resource kind")]
    MissingSlash,
    #[error("empty key, pattern or tag")]
    EmptyKey,
    #[error("character `{0}` is not allowed here")]
    InvalidChar(char),
    #[error("`{found}` is not allowed here: {hint}")]
    UnexpectedSegment { found: String, hint: &'static str },
    #[error("tags are not allowed on a `member` segment")]
    TagsNotAllowed,
    #[error("`{0}` matches no known action")]
    UnknownAction(String),
    #[error("unknown effect `{0}`; expected `allow` or `deny`")]
    UnknownEffect(String),
    #[error("expected at least one action")]
    MissingActions,
    #[error("expected `on` and at least one resource specifier")]
    MissingResources,
}

/// A statement assembled from wire-style parts (see [`crate::Statement::from_parts`]) that is
/// not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatementError {
    #[error("unknown effect `{0}`; expected `allow` or `deny`")]
    Effect(String),
    #[error("exactly one of `actions` and `notActions` must be given")]
    Actions,
    #[error("exactly one of `resources` and `notResources` must be given")]
    Resources,
    #[error("`{field}` must not be empty")]
    EmptyList { field: &'static str },
    #[error("`{field}[{index}]`: {source}")]
    Item {
        field: &'static str,
        index: usize,
        #[source]
        source: ParseError,
    },
}
