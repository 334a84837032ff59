//! Fields, operands, lists, functions and history predicates, with Jira's error choices.
//!
//! ```text
//! field     := number | (string | cf "[" posnumber "]") ("[" argument "]" path*)*
//! path      := a string starting with one dot, written right after "]"   (".all")
//! operand   := EMPTY | value | function | "(" operand ("," operand)* ")"
//! value     := string | number
//! function  := (string | number) "(" [argument ("," argument)*] ")"
//! argument  := string | number
//! ```
//! A value is only read as such when followed by something that may end it (`AND`, `OR`, `)`,
//! `,`, `ORDER`, a history predicate or the end); otherwise Jira asks for `AND`/`OR` (or `,`/`)`
//! inside a list) at the next token. The same applies here.

use super::{Parser, found, starts_operand};
use crate::ast::{
    CustomFieldId, Field, FieldName, Name, Operand, OperandKind, OperandList, Predicate,
    PredicateOperator, Property, PropertyPath, Span,
};
use crate::error::{ParseError, ParseErrorKind};
use crate::lexer::{Kind, Token};

impl<'a> Parser<'a> {
    pub(super) fn field(&mut self) -> Result<Field, ParseError> {
        let kind = self.kind(0)?;
        if !(kind.is_word() || kind == Kind::CustomField) {
            return Err(self.field_error());
        }
        let token = self.take()?;
        let start = token.start;
        let name = match token.kind {
            Kind::PosNumber | Kind::NegNumber => {
                let name = Name::new(token.text.into_owned());
                let name =
                    name.ok_or_else(|| ParseError::new(ParseErrorKind::EmptyFieldName, start))?;
                let span = Span { start, end: self.prev_end };
                return Ok(Field { name: FieldName::Named(name), properties: Vec::new(), span });
            }
            Kind::CustomField => FieldName::Custom(self.custom_field_id()?),
            _ => {
                let name = Name::new(token.text.into_owned());
                FieldName::Named(
                    name.ok_or_else(|| ParseError::new(ParseErrorKind::EmptyFieldName, start))?,
                )
            }
        };
        let mut properties = Vec::new();
        while self.kind(0)? == Kind::LBracket {
            self.take()?;
            let key = self.bracket_argument()?;
            if self.kind(0)? != Kind::RBracket {
                return Err(self.expected("]"));
            }
            self.take()?;
            let mut parts: Vec<String> = Vec::new();
            while self.kind(0)?.is_word() {
                let token = self.take()?;
                let mut chars = token.text.chars();
                let well_formed =
                    chars.next() == Some('.') && chars.next().is_some_and(|c| c != '.');
                if !well_formed {
                    let kind = if token.spaced {
                        ParseErrorKind::ExpectedOperator(found(&token))
                    } else {
                        ParseErrorKind::BadPropertyId(found(&token))
                    };
                    return Err(ParseError::new(kind, token.start));
                }
                parts.push(token.text[1..].to_owned());
            }
            let path = PropertyPath::new(parts.join("."));
            properties.push(Property { key, path });
        }
        Ok(Field { name, properties, span: Span { start, end: self.prev_end } })
    }

    /// `[ 10010 ]` after `cf`.
    fn custom_field_id(&mut self) -> Result<CustomFieldId, ParseError> {
        if self.kind(0)? != Kind::LBracket {
            return Err(self.expected("["));
        }
        self.take()?;
        if self.kind(0)? != Kind::PosNumber {
            return Err(self.error_at(0, ParseErrorKind::BadCustomFieldId));
        }
        let token = self.take()?;
        let id = token.text.parse::<u64>().ok().and_then(CustomFieldId::new);
        let id = id.ok_or_else(|| illegal_number(&token))?;
        if self.kind(0)? != Kind::RBracket {
            return Err(self.expected("]"));
        }
        self.take()?;
        Ok(id)
    }

    /// The key between a field's brackets, read as Jira reads a function argument.
    fn bracket_argument(&mut self) -> Result<String, ParseError> {
        if self.kind(0)?.is_word() {
            return Ok(self.take()?.text.into_owned());
        }
        Err(self.argument_error())
    }

    /// Jira's error for a missing or malformed function argument at the next token.
    fn argument_error(&mut self) -> ParseError {
        match self.kind(0) {
            Ok(Kind::Comma | Kind::RParen) => match self.peek(0) {
                Ok(token) => ParseError::new(ParseErrorKind::EmptyFunctionArgument, token.start),
                Err(err) => err,
            },
            Ok(Kind::RBracket) => self.error_at(0, ParseErrorKind::BadPropertyId),
            Ok(_) => self.error_at(0, ParseErrorKind::BadFunctionArgument),
            Err(err) => err,
        }
    }

    /// An operand; `level` counts the lists it sits in.
    pub(super) fn operand(&mut self, level: usize) -> Result<Operand, ParseError> {
        let token = self.peek(0)?;
        let (kind, start) = (token.kind, token.start);
        match kind {
            Kind::Empty => {
                self.take()?;
                Ok(Operand { kind: OperandKind::Empty, span: Span { start, end: self.prev_end } })
            }
            Kind::LParen => self.list(level),
            _ if kind.is_word() => {
                let next = self.kind(1)?;
                if next == Kind::LParen {
                    return self.function();
                }
                if !ends_value(next) {
                    return Err(if level == 0 {
                        self.error_at(1, ParseErrorKind::ExpectedLogicalOperator)
                    } else {
                        self.error_at(1, |found| ParseErrorKind::ExpectedEither {
                            first: ",",
                            second: ")",
                            found,
                        })
                    });
                }
                let token = self.take()?;
                let kind = match token.kind {
                    Kind::PosNumber | Kind::NegNumber => OperandKind::Number(
                        token.text.parse::<i64>().map_err(|_| illegal_number(&token))?,
                    ),
                    _ => OperandKind::String(token.text.into_owned()),
                };
                Ok(Operand { kind, span: Span { start, end: self.prev_end } })
            }
            _ => Err(self.error_at(0, ParseErrorKind::BadOperand)),
        }
    }

    fn list(&mut self, level: usize) -> Result<Operand, ParseError> {
        let start = self.peek(0)?.start;
        self.enter(start)?;
        self.take()?;
        let mut items = vec![self.operand(level + 1)?];
        while self.kind(0)? == Kind::Comma {
            self.take()?;
            items.push(self.operand(level + 1)?);
        }
        if self.kind(0)? != Kind::RParen {
            return Err(self.expected(")"));
        }
        self.take()?;
        self.depth -= 1;
        let kind = OperandKind::List(OperandList::joined(items));
        Ok(Operand { kind, span: Span { start, end: self.prev_end } })
    }

    fn function(&mut self) -> Result<Operand, ParseError> {
        let token = self.take()?;
        let start = token.start;
        let name = Name::new(token.text.into_owned());
        let name = name.ok_or_else(|| ParseError::new(ParseErrorKind::EmptyFunctionName, start))?;
        self.take()?;
        let mut args = Vec::new();
        if self.kind(0)?.is_word() {
            loop {
                args.push(self.take()?.text.into_owned());
                if self.kind(0)? != Kind::Comma {
                    break;
                }
                self.take()?;
                if !self.kind(0)?.is_word() {
                    return Err(self.argument_error());
                }
            }
            if !matches!(self.kind(0)?, Kind::Eof | Kind::RParen) {
                return Err(self.error_at(0, |found| ParseErrorKind::ExpectedEither {
                    first: ")",
                    second: ",",
                    found,
                }));
            }
        }
        match self.kind(0)? {
            Kind::RParen => {}
            Kind::Eof | Kind::Comma => return Err(self.expected(")")),
            _ => return Err(self.error_at(0, ParseErrorKind::BadFunctionArgument)),
        }
        self.take()?;
        Ok(Operand {
            kind: OperandKind::Function { name, args },
            span: Span { start, end: self.prev_end },
        })
    }

    pub(super) fn predicates(&mut self) -> Result<Vec<Predicate>, ParseError> {
        let mut predicates = Vec::new();
        loop {
            let operator = match self.kind(0)? {
                Kind::From => PredicateOperator::From,
                Kind::To => PredicateOperator::To,
                Kind::By => PredicateOperator::By,
                Kind::Before => PredicateOperator::Before,
                Kind::After => PredicateOperator::After,
                Kind::On => PredicateOperator::On,
                Kind::During => PredicateOperator::During,
                _ => return Ok(predicates),
            };
            self.take()?;
            if !starts_operand(self.kind(0)?) {
                return Err(self.error_at(0, ParseErrorKind::BadOperand));
            }
            let operand = self.operand(0)?;
            predicates.push(Predicate { operator, operand });
        }
    }
}

/// The tokens after which a string or number is a complete value.
fn ends_value(kind: Kind) -> bool {
    kind.is_predicate()
        || matches!(
            kind,
            Kind::Eof | Kind::Or | Kind::And | Kind::RParen | Kind::Comma | Kind::Order
        )
}

fn illegal_number(token: &Token<'_>) -> ParseError {
    ParseError::new(ParseErrorKind::IllegalNumber(token.text.clone().into_owned()), token.start)
}
