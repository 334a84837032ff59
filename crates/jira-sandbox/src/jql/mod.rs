//! The JQL subset the sandbox understands: a hand-written lexer and recursive-descent parser.
//!
//! Deliberately independent of tether's own JQL crate: two readings of JQL that disagree
//! should surface as a failing test, not be hidden by shared code. Parsing is pure; resolving
//! names against the sandbox's data (and the errors Jira gives for unknown values) lives in
//! `eval`.

mod eval;
mod property;
#[cfg(test)]
mod tests;

pub(crate) use eval::{Caller, compile};

/// A JQL problem, worded as Jira words it; answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JqlError(pub String);

fn syntax(msg: impl std::fmt::Display, pos: usize) -> JqlError {
    JqlError(format!("Error in the JQL Query: {msg} (line 1, character {})", pos + 1))
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub clause: Option<Expr>,
    pub order_by: Vec<OrderKey>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderKey {
    pub field: String,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Clause {
    pub field: String,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    NotLike,
    In,
    NotIn,
    Is,
    IsNot,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "~",
            Op::NotLike => "!~",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Is => "is",
            Op::IsNot => "is not",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// An unquoted word such as `DEMO-1`, `1706695200000` or `-5d`.
    Word(String),
    Quoted(String),
    Empty,
    Function(String, Vec<String>),
    List(Vec<Operand>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Op(Op),
    Bang,
    AndSym,
    OrSym,
    Word(String),
    Quoted(String),
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Op(op) => op.symbol().into(),
            Tok::Bang => "!".into(),
            Tok::AndSym => "&&".into(),
            Tok::OrSym => "||".into(),
            Tok::Word(w) | Tok::Quoted(w) => w.clone(),
            Tok::Eof => "EOF".into(),
        }
    }
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !"()=!<>~,\"'&|".contains(c)
}

fn lex(input: &str) -> Result<Vec<(Tok, usize)>, JqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let next = chars.get(i + 1).copied();
        let tok = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '=' => Tok::Op(Op::Eq),
            '~' => Tok::Op(Op::Like),
            '!' if next == Some('=') => Tok::Op(Op::Ne),
            '!' if next == Some('~') => Tok::Op(Op::NotLike),
            '!' => Tok::Bang,
            '<' if next == Some('=') => Tok::Op(Op::Le),
            '<' => Tok::Op(Op::Lt),
            '>' if next == Some('=') => Tok::Op(Op::Ge),
            '>' => Tok::Op(Op::Gt),
            '&' if next == Some('&') => Tok::AndSym,
            '&' => Tok::AndSym,
            '|' if next == Some('|') => Tok::OrSym,
            '|' => Tok::OrSym,
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(syntax("The quoted string has not been completed.", start));
                        }
                        Some(&ch) if ch == quote => break,
                        Some('\\') => {
                            let esc = chars
                                .get(i + 1)
                                .ok_or_else(|| syntax("Illegal escape sequence.", i))?;
                            s.push(match esc {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '"' | '\'' | '\\' | ' ' => *esc,
                                _ => {
                                    return Err(syntax(
                                        format!("Illegal escape sequence '\\{esc}'."),
                                        i,
                                    ));
                                }
                            });
                            i += 2;
                            continue;
                        }
                        Some(&ch) => s.push(ch),
                    }
                    i += 1;
                }
                toks.push((Tok::Quoted(s), start));
                i += 1;
                continue;
            }
            _ => {
                let mut s = String::new();
                while i < chars.len() && is_word_char(chars[i]) {
                    s.push(chars[i]);
                    i += 1;
                }
                toks.push((Tok::Word(s), start));
                continue;
            }
        };
        let len = match &tok {
            Tok::Op(Op::Ne | Op::NotLike | Op::Le | Op::Ge) => 2,
            Tok::AndSym if next == Some('&') => 2,
            Tok::OrSym if next == Some('|') => 2,
            _ => 1,
        };
        toks.push((tok, start));
        i += len;
    }
    toks.push((Tok::Eof, chars.len()));
    Ok(toks)
}

/// Jira's reserved words: unquoted, they break a query (`project = INT` is the classic).
const RESERVED: &[&str] = &[
    "abort",
    "access",
    "add",
    "after",
    "alias",
    "all",
    "alter",
    "and",
    "any",
    "as",
    "asc",
    "audit",
    "avg",
    "before",
    "begin",
    "between",
    "boolean",
    "break",
    "by",
    "byte",
    "catch",
    "cf",
    "char",
    "character",
    "check",
    "checkpoint",
    "collate",
    "collation",
    "column",
    "commit",
    "connect",
    "continue",
    "count",
    "create",
    "current",
    "date",
    "decimal",
    "declare",
    "decrement",
    "default",
    "defaults",
    "define",
    "delete",
    "delimiter",
    "desc",
    "difference",
    "distinct",
    "divide",
    "do",
    "double",
    "drop",
    "else",
    "empty",
    "encoding",
    "end",
    "equals",
    "escape",
    "exclusive",
    "exec",
    "execute",
    "exists",
    "explain",
    "false",
    "fetch",
    "file",
    "field",
    "first",
    "float",
    "for",
    "from",
    "function",
    "go",
    "goto",
    "grant",
    "greater",
    "group",
    "having",
    "identified",
    "if",
    "immediate",
    "in",
    "increment",
    "index",
    "initial",
    "inner",
    "inout",
    "input",
    "insert",
    "int",
    "integer",
    "intersect",
    "intersection",
    "into",
    "is",
    "isempty",
    "isnull",
    "join",
    "last",
    "left",
    "less",
    "like",
    "limit",
    "lock",
    "long",
    "max",
    "min",
    "minus",
    "mode",
    "modify",
    "modulo",
    "more",
    "multiply",
    "next",
    "noaudit",
    "not",
    "notin",
    "nowait",
    "null",
    "number",
    "object",
    "of",
    "on",
    "option",
    "or",
    "order",
    "outer",
    "output",
    "power",
    "previous",
    "prior",
    "privileges",
    "public",
    "raise",
    "raw",
    "remainder",
    "rename",
    "resource",
    "return",
    "returns",
    "revoke",
    "right",
    "row",
    "rowid",
    "rownum",
    "rows",
    "select",
    "session",
    "set",
    "share",
    "size",
    "sqrt",
    "start",
    "strict",
    "string",
    "subtract",
    "sum",
    "synonym",
    "table",
    "then",
    "to",
    "trans",
    "transaction",
    "trigger",
    "true",
    "uid",
    "union",
    "unique",
    "update",
    "user",
    "validate",
    "values",
    "view",
    "when",
    "whenever",
    "where",
    "while",
    "with",
];

fn is_reserved(w: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(w))
}

fn reserved_error(w: &str, pos: usize) -> JqlError {
    syntax(
        format!(
            "'{w}' is a reserved JQL word. You must surround it in quotation marks to use it in a query."
        ),
        pos,
    )
}

/// Parses JQL text. Empty (or whitespace-only) JQL means "no restriction".
pub(crate) fn parse(input: &str) -> Result<Query, JqlError> {
    let toks = lex(input)?;
    let mut p = Parser { toks, pos: 0 };
    let clause =
        if p.at_keyword("order") || p.peek() == &Tok::Eof { None } else { Some(p.or_expr()?) };
    let mut order_by = Vec::new();
    if p.at_keyword("order") {
        p.pos += 1;
        if !p.at_keyword("by") {
            return Err(p.unexpected("Expecting 'by' but got"));
        }
        p.pos += 1;
        loop {
            let (field, pos) = match p.next() {
                (Tok::Word(w), pos) | (Tok::Quoted(w), pos) => (w, pos),
                (tok, pos) => {
                    return Err(syntax(
                        format!("Expecting a field name but got '{}'.", tok.describe()),
                        pos,
                    ));
                }
            };
            let _ = pos;
            let descending = if p.at_keyword("desc") {
                p.pos += 1;
                true
            } else {
                if p.at_keyword("asc") {
                    p.pos += 1;
                }
                false
            };
            order_by.push(OrderKey { field, descending });
            if p.peek() == &Tok::Comma {
                p.pos += 1;
                continue;
            }
            break;
        }
    }
    if p.peek() != &Tok::Eof {
        return Err(if clause.is_some() && order_by.is_empty() {
            p.unexpected("Expecting either 'OR' or 'AND' but got")
        } else {
            p.unexpected("Expecting end of query but got")
        });
    }
    Ok(Query { clause, order_by })
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        let i = (self.pos + ahead).min(self.toks.len() - 1);
        &self.toks[i].0
    }

    fn next(&mut self) -> (Tok, usize) {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn unexpected(&self, what: &str) -> JqlError {
        let (tok, pos) = &self.toks[self.pos];
        syntax(format!("{what} '{}'.", tok.describe()), *pos)
    }

    fn or_expr(&mut self) -> Result<Expr, JqlError> {
        let mut parts = vec![self.and_expr()?];
        while self.at_keyword("or") || self.peek() == &Tok::OrSym {
            self.pos += 1;
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and_expr(&mut self) -> Result<Expr, JqlError> {
        let mut parts = vec![self.not_expr()?];
        while self.at_keyword("and") || self.peek() == &Tok::AndSym {
            self.pos += 1;
            parts.push(self.not_expr()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn not_expr(&mut self) -> Result<Expr, JqlError> {
        if self.at_keyword("not") || self.peek() == &Tok::Bang {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        if self.peek() == &Tok::LParen {
            self.pos += 1;
            let e = self.or_expr()?;
            if self.peek() != &Tok::RParen {
                return Err(self.unexpected("Expecting ')' but got"));
            }
            self.pos += 1;
            return Ok(e);
        }
        self.clause()
    }

    fn clause(&mut self) -> Result<Expr, JqlError> {
        let field = match self.next() {
            (Tok::Word(w), pos) => {
                if is_reserved(&w) {
                    return Err(reserved_error(&w, pos));
                }
                w
            }
            (Tok::Quoted(w), _) => w,
            (tok, pos) => {
                return Err(syntax(
                    format!("Expecting a field name but got '{}'.", tok.describe()),
                    pos,
                ));
            }
        };
        let op = match self.peek().clone() {
            Tok::Op(op) => {
                self.pos += 1;
                op
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("in") => {
                self.pos += 1;
                Op::In
            }
            Tok::Word(w)
                if w.eq_ignore_ascii_case("not")
                    && matches!(self.peek_at(1), Tok::Word(n) if n.eq_ignore_ascii_case("in")) =>
            {
                self.pos += 2;
                Op::NotIn
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("is") => {
                self.pos += 1;
                if self.at_keyword("not") {
                    self.pos += 1;
                    Op::IsNot
                } else {
                    Op::Is
                }
            }
            _ => {
                return Err(self.unexpected("Expecting operator but got").map_msg(|m| {
                    m.replacen(
                        "'. (",
                        "'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (",
                        1,
                    )
                }));
            }
        };
        let operand = match op {
            Op::In | Op::NotIn => self.list()?,
            Op::Is | Op::IsNot => {
                if self.at_keyword("empty") || self.at_keyword("null") {
                    self.pos += 1;
                    Operand::Empty
                } else {
                    return Err(self.unexpected("Expecting 'EMPTY' or 'NULL' but got"));
                }
            }
            _ => self.operand()?,
        };
        Ok(Expr::Clause(Clause { field, op, operand }))
    }

    fn list(&mut self) -> Result<Operand, JqlError> {
        // A function returning a list: `sprint in openSprints()`.
        if matches!(self.peek(), Tok::Word(_)) && self.peek_at(1) == &Tok::LParen {
            return Ok(Operand::List(vec![self.operand()?]));
        }
        if self.peek() != &Tok::LParen {
            return Err(self.unexpected("Expecting '(' but got"));
        }
        self.pos += 1;
        let mut items = vec![self.operand()?];
        while self.peek() == &Tok::Comma {
            self.pos += 1;
            items.push(self.operand()?);
        }
        if self.peek() != &Tok::RParen {
            return Err(self.unexpected("Expecting ')' but got"));
        }
        self.pos += 1;
        Ok(Operand::List(items))
    }

    fn operand(&mut self) -> Result<Operand, JqlError> {
        match self.next() {
            (Tok::Quoted(s), _) => Ok(Operand::Quoted(s)),
            (Tok::Word(w), pos) => {
                if w.eq_ignore_ascii_case("empty") || w.eq_ignore_ascii_case("null") {
                    return Ok(Operand::Empty);
                }
                if self.peek() == &Tok::LParen {
                    self.pos += 1;
                    let mut args = Vec::new();
                    while self.peek() != &Tok::RParen {
                        match self.next() {
                            (Tok::Word(a), _) | (Tok::Quoted(a), _) => args.push(a),
                            (tok, pos) => {
                                return Err(syntax(
                                    format!(
                                        "Expecting a function argument but got '{}'.",
                                        tok.describe()
                                    ),
                                    pos,
                                ));
                            }
                        }
                        if self.peek() == &Tok::Comma {
                            self.pos += 1;
                        } else if self.peek() != &Tok::RParen {
                            return Err(self.unexpected("Expecting ')' but got"));
                        }
                    }
                    self.pos += 1;
                    return Ok(Operand::Function(w, args));
                }
                if is_reserved(&w) {
                    return Err(reserved_error(&w, pos));
                }
                Ok(Operand::Word(w))
            }
            (tok, pos) => Err(syntax(
                format!("Expecting either a value, list or function but got '{}'.", tok.describe()),
                pos,
            )),
        }
    }
}

trait MapMsg {
    fn map_msg(self, f: impl FnOnce(String) -> String) -> Self;
}

impl MapMsg for JqlError {
    fn map_msg(self, f: impl FnOnce(String) -> String) -> Self {
        JqlError(f(self.0))
    }
}
