//! Error messages as Jira's REST API returns them: the cases of Jira's functional test of JQL
//! parsing (`TestJqlParsing`), the monolith side of Atlassian's editor parity tests, and
//! responses recorded from Jira Cloud.

use tether_jql::catalogue::FieldCatalogue;
use tether_jql::functions::FunctionCatalogue;
use tether_jql::parse;
use tether_jql::validate::validate;

use crate::support::check_err;

const OPS: &str = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";
const ESCAPES: &str =
    "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX.";
const E: &str = "Error in the JQL Query: ";
const OPERAND_EOF: &str =
    "Error in JQL Query: Expecting either a value, list or function before the end of the query.";

fn at(line: u32, character: u32) -> String {
    format!(" (line {line}, character {character})")
}

fn operand(found: &str, line: u32, ch: u32) -> String {
    format!(
        "Error in JQL Query: Expecting either a value, list or function but got '{found}'. You must surround '{found}' in quotation marks to use it as a value.{}",
        at(line, ch)
    )
}

fn field(found: &str, line: u32, ch: u32) -> String {
    format!(
        "{E}Expecting a field name but got '{found}'. You must surround '{found}' in quotation marks to use it as a field name.{}",
        at(line, ch)
    )
}

#[test]
fn strings_and_escapes() {
    check_err(
        "comment ~ 'test",
        &format!("{E}The quoted string 'test' has not been completed.{}", at(1, 11)),
    );
    check_err(
        "comment ~ 'test\n",
        &format!("{E}The quoted string 'test ' has not been completed.{}", at(1, 11)),
    );
    check_err(
        "priority=\"test\nword",
        &format!("{E}The quoted string 'test word' has not been completed.{}", at(1, 10)),
    );
    check_err("comment ~ '", &format!("{E}The quoted string has not been completed.{}", at(1, 11)));
    check_err(
        "summary ~ \"unclosed",
        &format!("{E}The quoted string 'unclosed' has not been completed.{}", at(1, 11)),
    );
    check_err(
        "status was not \"",
        &format!("{E}The quoted string has not been completed.{}", at(1, 16)),
    );
    let illegal = |seq: &str, line, ch| {
        format!("{E}'{seq}' is an illegal JQL escape sequence. {ESCAPES}{}", at(line, ch))
    };
    check_err("comme\\unt ~ 'test", &illegal("\\un", 1, 6));
    check_err("status =\n\n\n\n\n\n \\c", &illegal("\\c", 7, 2));
    check_err("status =\n\n\n\n \\csss", &illegal("\\c", 5, 2));
    check_err("status =\n\n\n\n\\u", &illegal("\\u", 5, 1));
    check_err("status =\n\n\n\n'\\u'", &illegal("\\u'", 5, 2));
    check_err("test = \"case\\k\"", &illegal("\\k", 1, 13));
    check_err("'test\\u", &illegal("\\u", 1, 6));
    check_err(
        "project = VP20 AND summary ~ \"Pentest\" AND creator \\!= currentUser()",
        &illegal("\\!", 1, 52),
    );
    let blank = |line, ch| {
        format!("{E}The escape sequence has not been completed. {ESCAPES}{}", at(line, ch))
    };
    check_err("status =\n\n\n\n\\", &blank(5, 1));
    check_err("test = \"case\\", &blank(1, 13));
    check_err("'test\\", &blank(1, 6));
}

#[test]
fn reserved_and_illegal_characters() {
    let reserved = |c: char, ch| {
        format!(
            "{E}The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead.{}",
            c as u32,
            at(1, ch)
        )
    };
    check_err("mine{www = qwwr", &reserved('{', 5));
    check_err("minewww# = qwwr", &reserved('#', 8));
    check_err("minewww = qwwr}", &reserved('}', 15));
    check_err("$status = open", &reserved('$', 1));
    check_err("status in %", &reserved('%', 11));
    let illegal = |ch| {
        format!(
            "{E}The character 'U+007F' on line 1 at position {ch} must be escaped. Use the escape '\\u007f' instead.{}",
            at(1, ch)
        )
    };
    check_err("minewww =\u{7f}qwwr", &illegal(10));
    check_err("mqwwr\u{7f}", &illegal(6));
    check_err("mqwwr=\"\u{7f} this is broken\"", &illegal(8));
}

#[test]
fn numbers_sorting_and_names() {
    let number = |n: &str, ch| {
        format!(
            "{E}'{n}' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.{}",
            at(1, ch)
        )
    };
    check_err("aaaaa=-3482094382084092840932809482", &number("-3482094382084092840932809482", 7));
    check_err(
        "cf[1002020202002020202020202020020202822]=a",
        &number("1002020202002020202020202020020202822", 4),
    );
    check_err("a =b order", &format!("{E}Expecting 'by' before the end of the query."));
    check_err("a =b order summary", &format!("{E}Expecting 'by' but got 'summary'.{}", at(1, 12)));
    check_err("a =b order by", &format!("{E}Expecting a field name at the end of the query."));
    check_err("  a = b order by", &format!("{E}Expecting a field name at the end of the query."));
    check_err("a =b order by asc", &field("asc", 1, 15));
    check_err(
        "a =b order by ajsks blah",
        &format!("{E}Expecting either 'ASC' or 'DESC' but got 'blah'.{}", at(1, 21)),
    );
    check_err("a =b order by \"\" desc", &format!("{E}A field name cannot be empty.{}", at(1, 15)));
    check_err("'' = c", &format!("{E}A field name cannot be empty.{}", at(1, 1)));
    check_err(
        "summary ~ bad and \n\\ ~ cool",
        &format!("{E}A field name cannot be empty.{}", at(2, 1)),
    );
    check_err("a = ''()", &format!("{E}A function name cannot be empty.{}", at(1, 5)));
    check_err("a = \"\"()", &format!("{E}A function name cannot be empty.{}", at(1, 5)));
    check_err("a = \\ \n()", &format!("{E}A function name cannot be empty.{}", at(1, 5)));
    check_err(
        "field = open",
        &format!(
            "{E}'field' is a reserved JQL word. You must surround it in quotation marks to use it in a query.{}",
            at(1, 1)
        ),
    );
    check_err(
        "status = select()",
        &format!(
            "{E}'select' is a reserved JQL word. You must surround it in quotation marks to use it in a query.{}",
            at(1, 10)
        ),
    );
    check_err(
        "status was not field",
        &format!(
            "{E}'field' is a reserved JQL word. You must surround it in quotation marks to use it in a query.{}",
            at(1, 16)
        ),
    );
    check_err(
        "project = INT",
        &format!(
            "{E}'INT' is a reserved JQL word. You must surround it in quotation marks to use it in a query.{}",
            at(1, 11)
        ),
    );
}

#[test]
fn operators_and_custom_fields() {
    check_err("a", &format!("{E}Expecting operator before the end of the query. {OPS}"));
    check_err("a blah >", &format!("{E}Expecting operator but got 'blah'. {OPS}{}", at(1, 3)));
    check_err(
        "invalid query",
        &format!("{E}Expecting operator but got 'query'. {OPS}{}", at(1, 9)),
    );
    check_err("project ENG", &format!("{E}Expecting operator but got 'ENG'. {OPS}{}", at(1, 9)));
    check_err("a =a and j not is empty", &format!("{E}Expecting 'IN' but got 'is'.{}", at(1, 16)));
    check_err("a =a and j is ! empty", &format!("{E}Expecting 'NOT' but got '!'.{}", at(1, 15)));
    check_err("a not was \"Open\"", &format!("{E}Expecting 'IN' but got 'was'.{}", at(1, 7)));
    check_err("cf", &format!("{E}Expecting '[' before the end of the query."));
    check_err("a = b and not (cf = 6)", &format!("{E}Expecting '[' but got '='.{}", at(1, 19)));
    let cf_eof =
        format!("{E}Expecting a custom field id (a positive number) before the end of the query.");
    check_err("cf[", &cf_eof);
    check_err("order by cf[", &cf_eof);
    let cf_id = |t: &str, ch| {
        format!("{E}Expecting a custom field id (a positive number) but got '{t}'.{}", at(1, ch))
    };
    check_err("cf[ = 9", &cf_id("=", 5));
    check_err("cf[] = 1", &cf_id("]", 4));
    check_err("order by cf[]", &cf_id("]", 13));
    check_err("cf[29829k] = ", &cf_id("29829k", 4));
    check_err("cf[-29829] = ", &cf_id("-29829", 4));
    check_err("cf[29829 = world", &format!("{E}Expecting ']' but got '='.{}", at(1, 10)));
    check_err("cf[29829", &format!("{E}Expecting ']' before the end of the query."));
    check_err("order by issuetype[123", &format!("{E}Expecting ']' before the end of the query."));
    check_err("issue.property[abc!] = x", &format!("{E}Expecting ']' but got '!'.{}", at(1, 19)));
    let arg_eof = format!("{E}Expecting a function argument at the end of the query.");
    check_err("issuetype[", &arg_eof);
    check_err("order by issuetype[", &arg_eof);
    let bad_arg = |t: &str, ch| {
        format!(
            "{E}Expecting a function argument but got '{t}'. You must surround '{t}' in quotation marks to use it as an argument.{}",
            at(1, ch)
        )
    };
    check_err("issue.property[!] = x", &bad_arg("!", 16));
    check_err("order by issue.property[!]", &bad_arg("!", 25));
}

#[test]
fn functions_brackets_and_operands() {
    let close_eof = format!("{E}Expecting ')' before the end of the query.");
    check_err("a = func(", &close_eof);
    check_err("a = func(, and not (a = x)", &format!("{E}Expecting ')' but got ','.{}", at(1, 10)));
    check_err("q = func(,)", &format!("{E}Expecting ')' but got ','.{}", at(1, 10)));
    check_err("b=func(bad", &close_eof);
    check_err("bas=func(bad,)", &format!("{E}Function argument must be specified.{}", at(1, 14)));
    check_err(
        "bas=func(bad,",
        &format!("{E}Expecting a function argument at the end of the query."),
    );
    check_err(
        "k = func(!",
        &format!(
            "{E}Expecting a function argument but got '!'. You must surround '!' in quotation marks to use it as an argument.{}",
            at(1, 10)
        ),
    );
    check_err("k = func(abc, jk!)", &format!("{E}Expecting ')' or ',' but got '!'.{}", at(1, 17)));
    check_err("(a=b and c = d", &close_eof);
    check_err("a=b or (c=d and not l ~ kate", &close_eof);
    check_err("b in ((12, (288)", &close_eof);
    check_err("project = LAUNCH AND (status = Done", &close_eof);
    check_err("abc IN ((foo) abc = a", &format!("{E}Expecting ')' but got 'abc'.{}", at(1, 15)));
    check_err("a=", OPERAND_EOF);
    check_err("project =", OPERAND_EOF);
    check_err("a was", OPERAND_EOF);
    check_err("a=(a,", OPERAND_EOF);
    check_err("status in (", OPERAND_EOF);
    check_err("status in (foo, ", OPERAND_EOF);
    check_err("a=!", &operand("!", 1, 3));
    check_err("a=(a,(,bad))", &operand(",", 1, 7));
    check_err("abc in (,", &operand(",", 1, 9));
    check_err("project = LAUNCH AND status = = Done", &operand("=", 1, 31));
    let and_or =
        |t: &str, ch| format!("{E}Expecting either 'OR' or 'AND' but got '{t}'.{}", at(1, ch));
    check_err("a=b c=d", &and_or("c", 5));
    check_err("a=b !c=d", &and_or("!", 5));
    check_err("comment !~ \"brenden\" jack = jill", &and_or("jack", 22));
    check_err("project = LAUNCH status", &and_or("status", 18));
    let field_eof = format!("{E}Expecting a field name at the end of the query.");
    check_err("a = ((c,d), d, e, f, yyy) and", &field_eof);
    check_err("comment !~ \"brenden\" and", &field_eof);
    check_err("project = LAUNCH AND", &field_eof);
    check_err(
        "comment !~ \"brenden\" and cf[1000] = jill order by a desc b",
        &format!("{E}Expecting ',' but got 'b'.{}", at(1, 58)),
    );
    check_err(", a = b", &field(",", 1, 1));
    check_err("order by a desc d", &format!("{E}Expecting ',' but got 'd'.{}", at(1, 17)));
    check_err(
        "[brenden] = a",
        &format!("{E}Expecting a field name but got '['. Did you mean 'cf['?{}", at(1, 1)),
    );
    check_err(
        "a = brenden and [78] = q",
        &format!("{E}Expecting a field name but got '['. Did you mean 'cf['?{}", at(1, 17)),
    );
}

#[test]
fn history_predicates_in_the_wrong_place() {
    check_err(
        "status = \"Open\" by admin",
        &format!("{E}The EQUALS operator does not support the use of the by \"admin\" predicate."),
    );
    check_err(
        "status = todo AFTER now",
        &format!("{E}The EQUALS operator does not support the use of the after \"now\" predicate."),
    );
    check_err(
        "status in (todo) BEFORE now after tomorrow",
        &format!(
            "{E}The IN operator does not support the use of the before \"now\" after \"tomorrow\" predicate."
        ),
    );
    check_err(
        "fixVersion changed 4 by \"I can type complete rubbish here\"",
        &format!(
            "{E}The CHANGED operator does not support the use of values without predicates. You must prefix the 4 value with a suitable predicate."
        ),
    );
    check_err(
        "status changed todo",
        &format!(
            "{E}The CHANGED operator does not support the use of values without predicates. You must prefix the \"todo\" value with a suitable predicate."
        ),
    );
}

#[test]
fn unquoted_reserved_words_after_an_operator() {
    for word in [
        "abort",
        "access",
        "add",
        "alias",
        "all",
        "alter",
        "any",
        "as",
        "audit",
        "avg",
        "begin",
        "between",
        "boolean",
        "break",
        "byte",
        "catch",
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
        "difference",
        "distinct",
        "divide",
        "do",
        "double",
        "drop",
        "else",
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
        "notin",
        "nowait",
        "number",
        "object",
        "of",
        "option",
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
    ] {
        check_err(
            &format!("summary ~ {word}"),
            &format!(
                "{E}'{word}' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 11)"
            ),
        );
    }
}

/// Jira's functional test checks these after parsing, against its own fields and functions.
#[test]
fn history_validation_messages() {
    let fields = FieldCatalogue::jira();
    let functions = FunctionCatalogue::jira();
    let check = |jql: &str, expect: &str| {
        let query = parse(jql).unwrap_or_else(|e| panic!("{jql:?}: {e}"));
        let errors: Vec<String> =
            validate(&query, &fields, &functions).iter().map(|e| e.to_string()).collect();
        assert_eq!(errors, [expect], "validating {jql:?}");
    };
    check(
        "status changed after \"20/12/10\"",
        "Date value '20/12/10' for predicate 'after' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
    );
    check(
        "status changed after currentUser()",
        "A date for the predicate 'after' provided by the function 'currentUser' is not valid.",
    );
    check(
        "status changed before (11, 12)",
        "The BEFORE predicate must be supplied with only 1 date value.",
    );
    check(
        "status changed during 11",
        "The DURING predicate must be supplied with exactly 2 date values.",
    );
    check("assignee changed by bogus()", "Unable to find JQL function 'bogus()'.");
    check("assignee was bogus()", "Unable to find JQL function 'bogus()'.");
    let duration = "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.";
    check("status was Reopened by currentUser() AFTER startOfDay(\"invalid\")", duration);
    check("status changed AFTER startOfDay(\"invalid\")", duration);
    let now = "Function 'now' expected '0' arguments but received '1'.";
    check("status was Reopened by currentUser() AFTER now(\"invalid\")", now);
    check("status changed AFTER now(\"invalid\")", now);
}
