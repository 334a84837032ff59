//! Parse errors, worded and positioned as Jira words and positions them.
//!
//! Each variant is one of Jira's `jql.parse.*` messages. The text is what Jira's REST API puts
//! in `errorMessages`: `Error in the JQL Query: …` (Jira Cloud words the operand messages
//! `Error in JQL Query: …`, without "the", and so do we), followed by `(line L, character C)`
//! unless the problem is the end of the query. Lines count from 1; characters count UTF-16
//! units from 1 within the line, as Java does.

use std::fmt;

use crate::chars::{forced_escape, normalize, printable};

/// Where something is in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    /// Byte offset into the query string.
    pub offset: usize,
    /// Line, from 1 (only `\n` starts a line, as in Jira).
    pub line: u32,
    /// Character within the line, from 1, counted in UTF-16 units as Jira counts them.
    pub character: u32,
}

/// What the parser met where it expected something else: a token's text (decoded, as Jira
/// shows it) or the end of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The end of the query.
    End,
    /// A token, by its text.
    Token(String),
}

/// A query Jira would refuse to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", self.kind.prefix(), self.message())]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// Where: the offending token or character.
    pub position: Position,
}

/// The kinds of parse error, one per Jira message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// `jql.parse.reserved.word`: an unquoted reserved word such as `select`.
    ReservedWord(String),
    /// `jql.parse.illegal.escape`; `None` when the query ends right after the backslash.
    IllegalEscape(Option<String>),
    /// `jql.parse.unfinished.string`: the text after the opening quote (`None` if blank).
    UnfinishedString(Option<String>),
    /// `jql.parse.illegal.character`: a control character that must be escaped.
    IllegalCharacter(char),
    /// `jql.parse.reserved.character`: one of `{}*/%+^$#@?;` outside quotes.
    ReservedCharacter(char),
    /// `jql.parse.illegal.number`: a number outside Java's `long`.
    IllegalNumber(String),
    /// `jql.parse.empty.field`.
    EmptyFieldName,
    /// `jql.parse.empty.function`.
    EmptyFunctionName,
    /// `jql.parse.no.field` / `jql.parse.no.field.eof`.
    ExpectedField(Found),
    /// `jql.parse.no.cf.field`: a field starting with `[`.
    ExpectedFieldGotBracket,
    /// `jql.parse.no.order` / `.eof`.
    ExpectedSortOrder(Found),
    /// `jql.parse.no.operator` / `.eof`.
    ExpectedOperator(Found),
    /// `jql.parse.bad.property.id` / `.eof`.
    BadPropertyId(Found),
    /// `jql.parse.bad.custom.field.id` / `.eof`.
    BadCustomFieldId(Found),
    /// `jql.parse.bad.function.argument` / `.eof`.
    BadFunctionArgument(Found),
    /// `jql.parse.empty.function.argument`: `f(a, )`.
    EmptyFunctionArgument,
    /// `jql.parse.logical.operator` / `.eof`: two clauses without `AND`/`OR`.
    ExpectedLogicalOperator(Found),
    /// `jql.parse.bad.operand` / `.eof`.
    BadOperand(Found),
    /// `jql.parse.expected.text` / `.eof`: one expected token.
    Expected { expected: &'static str, found: Found },
    /// `jql.parse.expected.text.2` / `.eof`: either of two tokens.
    ExpectedEither { first: &'static str, second: &'static str, found: Found },
    /// `jql.parse.predicate.unsupported`: a history predicate after a non-history operator.
    UnsupportedPredicate { operator: &'static str, predicate: String },
    /// `jql.parse.operand.unsupported`: `CHANGED` followed by a value.
    UnsupportedOperand { operator: &'static str, operand: String },
    /// Not one of Jira's: more than [`MAX_NESTING`](crate::MAX_NESTING) levels of
    /// parentheses, `NOT` and lists (Jira's parser overflows its stack instead).
    TooDeep,
}

const VALID_OPERATORS: &str = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";
const VALID_ESCAPES: &str =
    "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX.";
const END: &str = "before the end of the query.";

impl ParseErrorKind {
    fn prefix(&self) -> &'static str {
        match self {
            ParseErrorKind::BadOperand(_) => "Error in JQL Query: ",
            _ => "Error in the JQL Query: ",
        }
    }

    /// Whether Jira appends `(line L, character C)` to this message.
    pub fn shows_position(&self) -> bool {
        use ParseErrorKind::*;
        match self {
            ExpectedField(found)
            | ExpectedSortOrder(found)
            | ExpectedOperator(found)
            | BadPropertyId(found)
            | BadCustomFieldId(found)
            | BadFunctionArgument(found)
            | ExpectedLogicalOperator(found)
            | BadOperand(found)
            | Expected { found, .. }
            | ExpectedEither { found, .. } => *found != Found::End,
            UnsupportedPredicate { .. } | UnsupportedOperand { .. } => false,
            _ => true,
        }
    }

    fn text(&self, position: &Position) -> String {
        use Found::{End, Token};
        use ParseErrorKind::*;
        match self {
            ReservedWord(word) => format!(
                "'{}' is a reserved JQL word. You must surround it in quotation marks to use it in a query.",
                normalize(word)
            ),
            IllegalEscape(Some(seq)) => {
                format!("'{}' is an illegal JQL escape sequence. {VALID_ESCAPES}", normalize(seq))
            }
            IllegalEscape(None) => {
                format!("The escape sequence has not been completed. {VALID_ESCAPES}")
            }
            UnfinishedString(Some(text)) => {
                format!("The quoted string '{}' has not been completed.", normalize(text))
            }
            UnfinishedString(None) => "The quoted string has not been completed.".to_owned(),
            IllegalCharacter(c) => format!(
                "The character '{}' on line {} at position {} must be escaped. Use the escape '{}' instead.",
                printable(*c),
                position.line,
                position.character,
                forced_escape(*c)
            ),
            ReservedCharacter(c) => format!(
                "The character '{}' is a reserved JQL character. You must enclose it in a string or use the escape '{}' instead.",
                printable(*c),
                forced_escape(*c)
            ),
            IllegalNumber(n) => format!(
                "'{n}' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807."
            ),
            EmptyFieldName => "A field name cannot be empty.".to_owned(),
            EmptyFunctionName => "A function name cannot be empty.".to_owned(),
            ExpectedField(End) => "Expecting a field name at the end of the query.".to_owned(),
            ExpectedField(Token(t)) => format!(
                "Expecting a field name but got '{t}'. You must surround '{t}' in quotation marks to use it as a field name."
            ),
            ExpectedFieldGotBracket => {
                "Expecting a field name but got '['. Did you mean 'cf['?".to_owned()
            }
            ExpectedSortOrder(End) => format!("Expecting either 'ASC' or 'DESC' {END}"),
            ExpectedSortOrder(Token(t)) => {
                format!("Expecting either 'ASC' or 'DESC' but got '{t}'.")
            }
            ExpectedOperator(End) => format!("Expecting operator {END} {VALID_OPERATORS}"),
            ExpectedOperator(Token(t)) => {
                format!("Expecting operator but got '{t}'. {VALID_OPERATORS}")
            }
            BadPropertyId(End) => format!("Expecting a property id {END}"),
            BadPropertyId(Token(t)) => format!(
                "Expecting a property id but got '{t}'. You must surround '{t}' in quotation marks to use it as a value."
            ),
            BadCustomFieldId(End) => {
                format!("Expecting a custom field id (a positive number) {END}")
            }
            BadCustomFieldId(Token(t)) => {
                format!("Expecting a custom field id (a positive number) but got '{t}'.")
            }
            BadFunctionArgument(End) => {
                "Expecting a function argument at the end of the query.".to_owned()
            }
            BadFunctionArgument(Token(t)) => format!(
                "Expecting a function argument but got '{t}'. You must surround '{t}' in quotation marks to use it as an argument."
            ),
            EmptyFunctionArgument => "Function argument must be specified.".to_owned(),
            ExpectedLogicalOperator(End) => format!("Expecting either 'OR' or 'AND' {END}"),
            ExpectedLogicalOperator(Token(t)) => {
                format!("Expecting either 'OR' or 'AND' but got '{t}'.")
            }
            BadOperand(End) => format!("Expecting either a value, list or function {END}"),
            BadOperand(Token(t)) => format!(
                "Expecting either a value, list or function but got '{t}'. You must surround '{t}' in quotation marks to use it as a value."
            ),
            Expected { expected, found: End } => format!("Expecting '{expected}' {END}"),
            Expected { expected, found: Token(t) } => {
                format!("Expecting '{expected}' but got '{t}'.")
            }
            ExpectedEither { first, second, found: End } => {
                format!("Expecting '{first}' or '{second}' {END}")
            }
            ExpectedEither { first, second, found: Token(t) } => {
                format!("Expecting '{first}' or '{second}' but got '{t}'.")
            }
            UnsupportedPredicate { operator, predicate } => {
                format!(
                    "The {operator} operator does not support the use of the {predicate} predicate."
                )
            }
            UnsupportedOperand { operator, operand } => format!(
                "The {operator} operator does not support the use of values without predicates. You must prefix the {operand} value with a suitable predicate."
            ),
            TooDeep => format!(
                "The query nests parentheses, NOT and lists more than {} levels deep.",
                crate::MAX_NESTING
            ),
        }
    }
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, position: Position) -> Self {
        ParseError { kind, position }
    }

    /// The message without Jira's `Error in the JQL Query: ` prefix, with the position
    /// suffix when Jira shows one. `Display` gives the whole message.
    pub fn message(&self) -> String {
        let mut text = self.kind.text(&self.position);
        if self.kind.shows_position() {
            text.push_str(&format!(
                " (line {}, character {})",
                self.position.line, self.position.character
            ));
        }
        text
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::End => f.write_str("the end of the query"),
            Found::Token(t) => write!(f, "'{t}'"),
        }
    }
}
