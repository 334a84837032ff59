//! The JQL parser: recursive descent over the lexer's tokens, following the decisions (and so
//! the error messages) of Jira's ANTLR grammar `Jql.g`.
//!
//! ```text
//! query     := [or] [ORDER BY sort ("," sort)*] EOF
//! or        := and (OR and)*                          OR is also | and ||
//! and       := not (AND not)*                         AND is also & and &&
//! not       := (NOT | "!") not | "(" or ")" | terminal
//! terminal  := field operator (operand predicate* | predicate*)
//! operator  := = != ~ !~ < > <= >= IN | NOT IN | IS [NOT] | WAS [NOT] [IN] | CHANGED
//! predicate := (FROM | TO | BY | BEFORE | AFTER | ON | DURING) operand
//! sort      := field [ASC | DESC]
//! ```
//! Fields, operands and functions are in [`operand`](self::operand).

mod operand;

use std::collections::VecDeque;

use crate::ast::{
    Clause, Condition, HistoryOperator, Junction, Operator, Query, SortKey, SortOrder, Span,
    TerminalClause, ValueOperator,
};
use crate::chars::normalize;
use crate::error::{Found, ParseError, ParseErrorKind, Position};
use crate::lexer::{Kind, Lexer, Token};

/// How deeply parentheses, `NOT` and lists may nest. Jira's parser has no stated limit but
/// overflows its stack on deep enough nesting; this keeps ours from doing the same. Parsing at
/// this depth takes under 128 KiB of stack in a release build and under 1 MiB in a debug one.
pub const MAX_NESTING: usize = 100;

/// Parses a JQL query into its syntax tree, or the error Jira would report.
pub fn parse(src: &str) -> Result<Query, ParseError> {
    let mut parser = Parser {
        lexer: Lexer::new(src),
        buf: VecDeque::new(),
        failed: None,
        prev_end: 0,
        depth: 0,
    };
    parser.query()
}

pub(crate) struct Parser<'a> {
    lexer: Lexer<'a>,
    buf: VecDeque<Token<'a>>,
    /// The lexical error met while looking ahead, reported when the parser reaches it.
    failed: Option<ParseError>,
    /// Byte offset just past the last token taken.
    prev_end: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn fill(&mut self, k: usize) -> Result<(), ParseError> {
        while self.buf.len() <= k {
            if self.buf.back().is_some_and(|t| t.kind == Kind::Eof) {
                return Ok(());
            }
            if let Some(err) = &self.failed {
                return Err(err.clone());
            }
            match self.lexer.next_token() {
                Ok(token) => self.buf.push_back(token),
                Err(err) => {
                    self.failed = Some(err.clone());
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    /// The token `k` places ahead (0 is the next one); the end of the query repeats.
    fn peek(&mut self, k: usize) -> Result<&Token<'a>, ParseError> {
        self.fill(k)?;
        let i = k.min(self.buf.len() - 1);
        Ok(&self.buf[i])
    }

    fn kind(&mut self, k: usize) -> Result<Kind, ParseError> {
        Ok(self.peek(k)?.kind)
    }

    fn take(&mut self) -> Result<Token<'a>, ParseError> {
        self.fill(0)?;
        let token = if self.buf.len() == 1 && self.buf[0].kind == Kind::Eof {
            self.buf[0].clone()
        } else {
            self.buf.pop_front().unwrap_or_else(|| unreachable_eof(self.prev_end))
        };
        self.prev_end = token.end;
        Ok(token)
    }

    /// An error about the token `k` places ahead.
    fn error_at(&mut self, k: usize, kind: impl FnOnce(Found) -> ParseErrorKind) -> ParseError {
        match self.peek(k) {
            Ok(token) => ParseError::new(kind(found(token)), token.start),
            Err(err) => err,
        }
    }

    fn expected(&mut self, expected: &'static str) -> ParseError {
        self.error_at(0, |found| ParseErrorKind::Expected { expected, found })
    }

    fn field_error(&mut self) -> ParseError {
        match self.peek(0) {
            Ok(t) if t.kind == Kind::LBracket => {
                ParseError::new(ParseErrorKind::ExpectedFieldGotBracket, t.start)
            }
            Ok(t) => ParseError::new(ParseErrorKind::ExpectedField(found(t)), t.start),
            Err(err) => err,
        }
    }

    fn enter(&mut self, at: Position) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ParseError::new(ParseErrorKind::TooDeep, at));
        }
        Ok(())
    }

    fn query(&mut self) -> Result<Query, ParseError> {
        let clause = if starts_clause(self.kind(0)?) { Some(self.or_clause()?) } else { None };
        let mut order_by = Vec::new();
        let sorted = self.kind(0)? == Kind::Order;
        if sorted {
            order_by = self.order_by()?;
        }
        if self.kind(0)? != Kind::Eof {
            return Err(if sorted {
                self.expected(",")
            } else if clause.is_none() {
                self.field_error()
            } else {
                self.error_at(0, ParseErrorKind::ExpectedLogicalOperator)
            });
        }
        Ok(Query { clause, order_by })
    }

    fn or_clause(&mut self) -> Result<Clause, ParseError> {
        let first = self.and_clause()?;
        if self.kind(0)? != Kind::Or {
            return Ok(first);
        }
        let mut clauses = vec![first];
        while self.kind(0)? == Kind::Or {
            self.take()?;
            clauses.push(self.and_clause()?);
        }
        Ok(Clause::Or(Junction::joined(clauses)))
    }

    fn and_clause(&mut self) -> Result<Clause, ParseError> {
        let first = self.not_clause()?;
        if self.kind(0)? != Kind::And {
            return Ok(first);
        }
        let mut clauses = vec![first];
        while self.kind(0)? == Kind::And {
            self.take()?;
            clauses.push(self.not_clause()?);
        }
        Ok(Clause::And(Junction::joined(clauses)))
    }

    fn not_clause(&mut self) -> Result<Clause, ParseError> {
        let token = self.peek(0)?;
        let (kind, at) = (token.kind, token.start);
        match kind {
            Kind::Not | Kind::Bang => {
                self.enter(at)?;
                self.take()?;
                let inner = self.not_clause()?;
                self.depth -= 1;
                Ok(Clause::Not(Box::new(inner)))
            }
            Kind::LParen => {
                self.enter(at)?;
                self.take()?;
                let inner = self.or_clause()?;
                if self.kind(0)? != Kind::RParen {
                    return Err(self.expected(")"));
                }
                self.take()?;
                self.depth -= 1;
                Ok(inner)
            }
            _ if starts_field(kind) => {
                self.terminal_clause().map(|t| Clause::Terminal(Box::new(t)))
            }
            _ => Err(self.field_error()),
        }
    }

    fn terminal_clause(&mut self) -> Result<TerminalClause, ParseError> {
        let start = self.peek(0)?.start;
        let field = self.field()?;
        let operator = self.operator()?;
        let next = self.kind(0)?;
        let operand = if starts_operand(next) {
            Some(self.operand(0)?)
        } else if next.is_predicate() || (operator == Operator::Changed && follows_clause(next)) {
            None
        } else {
            return Err(self.error_at(0, ParseErrorKind::BadOperand));
        };
        let predicates = self.predicates()?;
        let span = Span { start, end: self.prev_end };
        let condition = match (operator, operand) {
            (Operator::Changed, Some(operand)) => {
                let kind = ParseErrorKind::UnsupportedOperand {
                    operator: "CHANGED",
                    operand: operand.to_string(),
                };
                return Err(ParseError::new(kind, start));
            }
            (Operator::Changed, None) => Condition::Changed { predicates },
            (_, None) => return Err(self.error_at(0, ParseErrorKind::BadOperand)),
            (Operator::History(operator), Some(operand)) => {
                Condition::History { operator, operand, predicates }
            }
            (Operator::Value(operator), Some(operand)) => {
                if !predicates.is_empty() {
                    let predicate = predicates
                        .iter()
                        .map(|p| format!("{} {}", p.operator.display(), p.operand))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let kind = ParseErrorKind::UnsupportedPredicate {
                        operator: Operator::Value(operator).enum_name(),
                        predicate,
                    };
                    return Err(ParseError::new(kind, start));
                }
                Condition::Value { operator, operand }
            }
        };
        Ok(TerminalClause { field, condition, span })
    }

    fn operator(&mut self) -> Result<Operator, ParseError> {
        use HistoryOperator as H;
        use ValueOperator as V;
        let (operator, length) = match self.kind(0)? {
            Kind::Eq => (Operator::Value(V::Equals), 1),
            Kind::NotEq => (Operator::Value(V::NotEquals), 1),
            Kind::Like => (Operator::Value(V::Like), 1),
            Kind::NotLike => (Operator::Value(V::NotLike), 1),
            Kind::Lt => (Operator::Value(V::LessThan), 1),
            Kind::Gt => (Operator::Value(V::GreaterThan), 1),
            Kind::LtEq => (Operator::Value(V::LessThanEquals), 1),
            Kind::GtEq => (Operator::Value(V::GreaterThanEquals), 1),
            Kind::In => (Operator::Value(V::In), 1),
            Kind::Changed => (Operator::Changed, 1),
            Kind::Is => match self.kind(1)? {
                Kind::Not => (Operator::Value(V::IsNot), 2),
                next if after_bare_operator(next) => (Operator::Value(V::Is), 1),
                _ => {
                    return Err(self
                        .error_at(1, |found| ParseErrorKind::Expected { expected: "NOT", found }));
                }
            },
            Kind::Not => match self.kind(1)? {
                Kind::In => (Operator::Value(V::NotIn), 2),
                _ => {
                    return Err(self
                        .error_at(1, |found| ParseErrorKind::Expected { expected: "IN", found }));
                }
            },
            Kind::Was => match self.kind(1)? {
                Kind::In => (Operator::History(H::WasIn), 2),
                Kind::Not if self.kind(2)? == Kind::In => (Operator::History(H::WasNotIn), 3),
                Kind::Not => (Operator::History(H::WasNot), 2),
                next if after_bare_operator(next) => (Operator::History(H::Was), 1),
                _ => return Err(self.error_at(1, ParseErrorKind::BadOperand)),
            },
            _ => return Err(self.error_at(0, ParseErrorKind::ExpectedOperator)),
        };
        for _ in 0..length {
            self.take()?;
        }
        Ok(operator)
    }

    fn order_by(&mut self) -> Result<Vec<SortKey>, ParseError> {
        self.take()?;
        if self.kind(0)? != Kind::By {
            return Err(self.expected("by"));
        }
        self.take()?;
        let mut keys = Vec::new();
        loop {
            let field = self.field()?;
            let order = match self.kind(0)? {
                Kind::Asc => Some(SortOrder::Asc),
                Kind::Desc => Some(SortOrder::Desc),
                Kind::Eof | Kind::Comma => None,
                _ => return Err(self.error_at(0, ParseErrorKind::ExpectedSortOrder)),
            };
            if order.is_some() {
                self.take()?;
            }
            keys.push(SortKey { field, order });
            if self.kind(0)? != Kind::Comma {
                return Ok(keys);
            }
            self.take()?;
        }
    }
}

fn found(token: &Token<'_>) -> Found {
    match token.kind {
        Kind::Eof => Found::End,
        _ => Found::Token(normalize(&token.text)),
    }
}

fn starts_field(kind: Kind) -> bool {
    kind.is_word() || kind == Kind::CustomField
}

fn starts_clause(kind: Kind) -> bool {
    starts_field(kind) || matches!(kind, Kind::Not | Kind::Bang | Kind::LParen)
}

fn starts_operand(kind: Kind) -> bool {
    kind.is_word() || matches!(kind, Kind::Empty | Kind::LParen)
}

/// The tokens that may end a terminal clause.
fn follows_clause(kind: Kind) -> bool {
    matches!(kind, Kind::Eof | Kind::And | Kind::Or | Kind::RParen | Kind::Order)
}

/// What may follow a bare `IS` or `WAS` for Jira to read it as that operator (anything else
/// makes it expect `IS NOT` or a value).
fn after_bare_operator(kind: Kind) -> bool {
    starts_operand(kind) || kind.is_predicate() || follows_clause(kind)
}

// The parser pops only after filling, so the buffer is never empty there; a library must not
// panic, so the impossible case degrades to the end of the query.
fn unreachable_eof<'a>(end: usize) -> Token<'a> {
    Token {
        kind: Kind::Eof,
        text: std::borrow::Cow::Borrowed(""),
        start: Position { offset: end, line: 1, character: 1 },
        end,
        spaced: false,
    }
}
