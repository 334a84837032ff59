//! The refusals of Jira's own parser test (`TestDefaultJqlQueryParser`): each message and
//! position. Jira's test positions are zero-based columns; its messages (and these
//! expectations) add one.

use tether_jql::RESERVED_WORDS;

use crate::support::check_err;

const OPS: &str = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";
const ESCAPES: &str =
    "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX.";
const E: &str = "Error in the JQL Query: ";

fn at(line: u32, character: u32) -> String {
    format!(" (line {line}, character {character})")
}

#[test]
fn refused_structure() {
    let no_field_eof = format!("{E}Expecting a field name at the end of the query.");
    check_err(
        "  \t  \n\r\u{c}   ",
        &format!(
            "{E}The character 'U+000C' on line 2 at position 2 must be escaped. Use the escape '\\u000c' instead.{}",
            at(2, 2)
        ),
    );
    check_err("foo", &format!("{E}Expecting operator before the end of the query. {OPS}"));
    check_err(
        "foo=",
        "Error in JQL Query: Expecting either a value, list or function before the end of the query.",
    );
    check_err(
        "=",
        &format!(
            "{E}Expecting a field name but got '='. You must surround '=' in quotation marks to use it as a field name.{}",
            at(1, 1)
        ),
    );
    check_err(
        "!=",
        &format!(
            "{E}Expecting a field name but got '!='. You must surround '!=' in quotation marks to use it as a field name.{}",
            at(1, 1)
        ),
    );
    check_err(
        "foo bar and 78foo = bar",
        &format!("{E}Expecting operator but got 'bar'. {OPS}{}", at(1, 5)),
    );
    check_err(
        "and and",
        &format!(
            "{E}Expecting a field name but got 'and'. You must surround 'and' in quotation marks to use it as a field name.{}",
            at(1, 1)
        ),
    );
    check_err("a=b a=b", &format!("{E}Expecting either 'OR' or 'AND' but got 'a'.{}", at(1, 5)));
    check_err("foo=bar and", &no_field_eof);
    check_err(
        "foo=bar and and",
        &format!(
            "{E}Expecting a field name but got 'and'. You must surround 'and' in quotation marks to use it as a field name.{}",
            at(1, 13)
        ),
    );
    check_err(
        "foo=bar and 78foo",
        &format!("{E}Expecting operator before the end of the query. {OPS}"),
    );
    check_err(
        "foo=bar and 78foo=",
        "Error in JQL Query: Expecting either a value, list or function before the end of the query.",
    );
    check_err(
        "foo=bar and \n78foo",
        &format!("{E}Expecting operator before the end of the query. {OPS}"),
    );
    check_err(
        "foo=bar and 78foo brenden and a=b",
        &format!("{E}Expecting operator but got 'brenden'. {OPS}{}", at(1, 19)),
    );
    check_err(
        "foo=bar and \n78foo brenden and a=b",
        &format!("{E}Expecting operator but got 'brenden'. {OPS}{}", at(2, 7)),
    );
    check_err("foo=bar and not", &no_field_eof);
    check_err(
        "foo=bar and not foo =",
        "Error in JQL Query: Expecting either a value, list or function before the end of the query.",
    );
    check_err("not", &no_field_eof);
    check_err("not not", &no_field_eof);
    check_err(
        "a=b and not not=b",
        &format!(
            "{E}Expecting a field name but got '='. You must surround '=' in quotation marks to use it as a field name.{}",
            at(1, 16)
        ),
    );
    check_err(
        "a=b not a=b",
        &format!("{E}Expecting either 'OR' or 'AND' but got 'not'.{}", at(1, 5)),
    );
    check_err("(", &no_field_eof);
    check_err(
        "abc = ()",
        &format!(
            "Error in JQL Query: Expecting either a value, list or function but got ')'. You must surround ')' in quotation marks to use it as a value.{}",
            at(1, 8)
        ),
    );
    check_err(
        "abc ~ ()",
        &format!(
            "Error in JQL Query: Expecting either a value, list or function but got ')'. You must surround ')' in quotation marks to use it as a value.{}",
            at(1, 8)
        ),
    );
}

#[test]
fn refused_parentheses_and_trailing_text() {
    let close_eof = format!("{E}Expecting ')' before the end of the query.");
    check_err("abc in ((fee, fie, foe, fum), 787, (34, (45))", &close_eof);
    check_err(
        "priority = 12345=== not p jfkff fjfjfj",
        &format!("{E}Expecting either 'OR' or 'AND' but got '='.{}", at(1, 17)),
    );
    check_err(
        "priority = 12345 \njfkff fjfjfj",
        &format!("{E}Expecting either 'OR' or 'AND' but got 'jfkff'.{}", at(2, 1)),
    );
    check_err(
        "priority=a jfkff=fjfjfj",
        &format!("{E}Expecting either 'OR' or 'AND' but got 'jfkff'.{}", at(1, 12)),
    );
    check_err(
        "priority=12345 jfkff=fjfjfj",
        &format!("{E}Expecting either 'OR' or 'AND' but got 'jfkff'.{}", at(1, 16)),
    );
    check_err("a=b ,b", &format!("{E}Expecting either 'OR' or 'AND' but got ','.{}", at(1, 5)));
    check_err("a=b,b", &format!("{E}Expecting either 'OR' or 'AND' but got ','.{}", at(1, 4)));
    check_err(
        "abc = )foo(",
        &format!(
            "Error in JQL Query: Expecting either a value, list or function but got ')'. You must surround ')' in quotation marks to use it as a value.{}",
            at(1, 7)
        ),
    );
    check_err("(a in a", &close_eof);
    check_err("abc in (foo", &close_eof);
    check_err("abc in (foo(", &close_eof);
    check_err("abc IN ((foo) abc = a", &format!("{E}Expecting ')' but got 'abc'.{}", at(1, 15)));
    check_err(
        "abc in (foo))",
        &format!("{E}Expecting either 'OR' or 'AND' but got ')'.{}", at(1, 13)),
    );
    check_err("abc in ((foo), a", &close_eof);
    check_err("(abc  =        b or not (j=k and p=l)", &close_eof);
    check_err(
        "query = hello\nworld",
        &format!("{E}Expecting either 'OR' or 'AND' but got 'world'.{}", at(2, 1)),
    );
}

#[test]
fn refused_custom_fields_and_properties() {
    check_err("cf[1234 = x", &format!("{E}Expecting ']' but got '='.{}", at(1, 9)));
    check_err("cf1234] = x", &format!("{E}Expecting operator but got ']'. {OPS}{}", at(1, 7)));
    check_err(
        "cf[z123] = x",
        &format!("{E}Expecting a custom field id (a positive number) but got 'z123'.{}", at(1, 4)),
    );
    check_err(
        "cf[-123] = x",
        &format!("{E}Expecting a custom field id (a positive number) but got '-123'.{}", at(1, 4)),
    );
    check_err(
        "cf[9223372036854775817] = x",
        &format!(
            "{E}'9223372036854775817' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.{}",
            at(1, 4)
        ),
    );
    check_err(
        "cf[] = x",
        &format!("{E}Expecting a custom field id (a positive number) but got ']'.{}", at(1, 4)),
    );
    check_err(
        "[54] = x",
        &format!("{E}Expecting a field name but got '['. Did you mean 'cf['?{}", at(1, 1)),
    );
    check_err("cf = brenden", &format!("{E}Expecting '[' but got '='.{}", at(1, 4)));
    check_err("issue.property[x = x", &format!("{E}Expecting ']' but got '='.{}", at(1, 18)));
    check_err(
        "issue.property1234] = x",
        &format!("{E}Expecting operator but got ']'. {OPS}{}", at(1, 19)),
    );
    check_err(
        "issue.property[x.1] = ",
        "Error in JQL Query: Expecting either a value, list or function before the end of the query.",
    );
    check_err(
        "issue.property[x.1] unresolved",
        &format!("{E}Expecting operator but got 'unresolved'. {OPS}{}", at(1, 21)),
    );
    check_err(
        "[issue.status] = x",
        &format!("{E}Expecting a field name but got '['. Did you mean 'cf['?{}", at(1, 1)),
    );
    check_err(
        "issue.property[] = x",
        &format!(
            "{E}Expecting a property id but got ']'. You must surround ']' in quotation marks to use it as a value.{}",
            at(1, 16)
        ),
    );
    check_err(
        "comment.prop[author]..Author = Test",
        &format!(
            "{E}Expecting a property id but got '..Author'. You must surround '..Author' in quotation marks to use it as a value.{}",
            at(1, 21)
        ),
    );
}

#[test]
fn refused_function_arguments() {
    let bad_arg = |t: &str, ch| {
        format!(
            "{E}Expecting a function argument but got '{t}'. You must surround '{t}' in quotation marks to use it as an argument.{}",
            at(1, ch)
        )
    };
    check_err("q = func( [", &bad_arg("[", 11));
    check_err("q = func(a, [)", &bad_arg("[", 13));
    check_err("q = func(a, [", &bad_arg("[", 13));
    check_err("q = func(a, )", &format!("{E}Function argument must be specified.{}", at(1, 13)));
    check_err(
        "q = func(a, ",
        &format!("{E}Expecting a function argument at the end of the query."),
    );
    check_err("q = func(a", &format!("{E}Expecting ')' before the end of the query."));
    check_err("q = func(", &format!("{E}Expecting ')' before the end of the query."));
    check_err(
        "q = func(good, jack!, \"really good\")",
        &format!("{E}Expecting ')' or ',' but got '!'.{}", at(1, 20)),
    );
}

#[test]
fn refused_operators() {
    check_err(
        "pri notin (x)",
        &format!(
            "{E}'notin' is a reserved JQL word. You must surround it in quotation marks to use it in a query.{}",
            at(1, 5)
        ),
    );
    check_err(
        "pri isnot empty",
        &format!("{E}Expecting operator but got 'isnot'. {OPS}{}", at(1, 5)),
    );
    check_err(
        "pri ^ empty",
        &format!(
            "{E}The character '^' is a reserved JQL character. You must enclose it in a string or use the escape '\\u005e' instead.{}",
            at(1, 5)
        ),
    );
    check_err(
        "pri is",
        "Error in JQL Query: Expecting either a value, list or function before the end of the query.",
    );
    check_err("pri not is empty", &format!("{E}Expecting 'IN' but got 'is'.{}", at(1, 9)));
    check_err("pri ! in (test)", &format!("{E}Expecting operator but got '!'. {OPS}{}", at(1, 5)));
    check_err("pri is ! empty", &format!("{E}Expecting 'NOT' but got '!'.{}", at(1, 8)));
}

#[test]
fn refused_strings_and_names() {
    check_err(
        "priority = \"\"\"",
        &format!("{E}The quoted string has not been completed.{}", at(1, 14)),
    );
    check_err(
        "priority = \"",
        &format!("{E}The quoted string has not been completed.{}", at(1, 12)),
    );
    check_err(
        "priority = '''",
        &format!("{E}The quoted string has not been completed.{}", at(1, 14)),
    );
    check_err(
        "priority = '",
        &format!("{E}The quoted string has not been completed.{}", at(1, 12)),
    );
    check_err(
        "what = hrejw'ewjrhejkw",
        &format!("{E}The quoted string 'ewjrhejkw' has not been completed.{}", at(1, 13)),
    );
    check_err(
        "wh\"at = hrejwewjrhejkw",
        &format!("{E}The quoted string 'at = hrejwewjrhejkw' has not been completed.{}", at(1, 3)),
    );
    check_err("'' = bad", &format!("{E}A field name cannot be empty.{}", at(1, 1)));
    check_err("\"\" = bad", &format!("{E}A field name cannot be empty.{}", at(1, 1)));
    check_err("\\     < 38", &format!("{E}A field name cannot be empty.{}", at(1, 1)));
    check_err("a \n= ''()", &format!("{E}A function name cannot be empty.{}", at(2, 3)));
    check_err("b = \"\"()", &format!("{E}A function name cannot be empty.{}", at(1, 5)));
}

#[test]
fn refused_escapes() {
    let illegal = |seq: &str, ch| {
        format!("{E}'{seq}' is an illegal JQL escape sequence. {ESCAPES}{}", at(1, ch))
    };
    check_err(
        "test = case\\",
        &format!("{E}The escape sequence has not been completed. {ESCAPES}{}", at(1, 12)),
    );
    check_err("test = case\\k", &illegal("\\k", 12));
    check_err("test = case\\u", &illegal("\\u", 12));
    check_err("test = case\\u278q", &illegal("\\u278q", 12));
    check_err("test = case\\u27", &illegal("\\u27", 12));
    check_err("test = case\\u-998", &illegal("\\u-", 12));
    check_err("test = case order by \\u-998", &illegal("\\u-", 22));
    check_err("test = case\\uzzzz", &illegal("\\uz", 12));
    check_err("test = case\\u278qzzzz", &illegal("\\u278q", 12));
    check_err("test = case\\u27zzzzz", &illegal("\\u27z", 12));
    check_err("tecase\\u-998zzzzz", &illegal("\\u-", 7));
    check_err("test = case order by \\u-998zzzzz", &illegal("\\u-", 22));
}

#[test]
fn refused_numbers_and_control_characters() {
    let big = "9223372036854775817";
    let number = |ch| {
        format!(
            "{E}'{big}' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.{}",
            at(1, ch)
        )
    };
    check_err(&format!("priority = {big}"), &number(12));
    check_err(&format!("priority in  ({big}, 2)"), &number(15));
    let control = |shown: &str, escape: &str, line, ch| {
        format!(
            "{E}The character '{shown}' on line {line} at position {ch} must be escaped. Use the escape '{escape}' instead.{}",
            at(line, ch)
        )
    };
    check_err("c = q\u{ffff}", &control("U+FFFF", "\\uffff", 1, 6));
    check_err("c = c\u{fdd0}", &control("U+FDD0", "\\ufdd0", 1, 6));
    check_err("c = aa\u{fdd0}kkk", &control("U+FDD0", "\\ufdd0", 1, 7));
    check_err("\u{0}iuyiuyiu", &control("U+0000", "\\u0000", 1, 1));
    check_err("aa = bb order by \u{1}", &control("U+0001", "\\u0001", 1, 18));
    check_err("control = \"char\u{fffe}\"", &control("U+FFFE", "\\ufffe", 1, 16));
    check_err("control = \"char\u{fdef}\"", &control("U+FDEF", "\\ufdef", 1, 16));
    check_err("\"\u{1f}\"", &control("U+001F", "\\u001f", 1, 2));
    check_err("control = \"char\u{8}\"", &control("U+0008", "\\u0008", 1, 16));
    check_err("control = a order by \"char\u{8}\"", &control("U+0008", "\\u0008", 1, 27));
    check_err("control\n = 'char\u{2}'", &control("U+0002", "\\u0002", 2, 9));
    check_err("control = '\u{fdd5}'", &control("U+FDD5", "\\ufdd5", 1, 12));
    check_err("control = '\u{fdef}'", &control("U+FDEF", "\\ufdef", 1, 12));
    check_err("control = 'char\t'", &control("TAB", "\\t", 1, 16));
    check_err("control = a order by 'char\t'", &control("TAB", "\\t", 1, 27));
    check_err("cont\nrol = ''", &format!("{E}Expecting operator but got 'rol'. {OPS}{}", at(2, 1)));
    check_err(
        "control = f\run()",
        &format!("{E}Expecting either 'OR' or 'AND' but got 'un'.{}", at(1, 13)),
    );
    check_err("control = fun('\u{ffff}')", &control("U+FFFF", "\\uffff", 1, 16));
}

#[test]
fn refused_order_by() {
    check_err("a = b order by", &format!("{E}Expecting a field name at the end of the query."));
    check_err("a = b order", &format!("{E}Expecting 'by' before the end of the query."));
    check_err("a = b order bad", &format!("{E}Expecting 'by' but got 'bad'.{}", at(1, 13)));
    check_err(
        "a = b order BY abc desc, ",
        &format!("{E}Expecting a field name at the end of the query."),
    );
    check_err(
        "a = b order BY abc desc, ]",
        &format!(
            "{E}Expecting a field name but got ']'. You must surround ']' in quotation marks to use it as a field name.{}",
            at(1, 26)
        ),
    );
    check_err(
        "order BY abc s",
        &format!("{E}Expecting either 'ASC' or 'DESC' but got 's'.{}", at(1, 14)),
    );
    check_err(
        "order BY desc",
        &format!(
            "{E}Expecting a field name but got 'desc'. You must surround 'desc' in quotation marks to use it as a field name.{}",
            at(1, 10)
        ),
    );
    check_err(
        "order BY era desc extra",
        &format!("{E}Expecting ',' but got 'extra'.{}", at(1, 19)),
    );
}

#[test]
fn refused_reserved_characters_and_words() {
    for c in "{}*/%+$#@?;".chars() {
        let message = format!(
            "{E}The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead.",
            c as u32
        );
        check_err(&format!("test{c}dfjd = 'bad'"), &format!("{message}{}", at(1, 5)));
        check_err(&format!("bbain = {c}"), &format!("{message}{}", at(1, 9)));
    }
    let parsed_words = [
        "empty", "null", "and", "or", "not", "in", "is", "cf", "order", "by", "desc", "asc", "on",
        "before", "to", "after", "from",
    ];
    for word in RESERVED_WORDS.iter().filter(|w| !parsed_words.contains(w)) {
        check_err(
            &format!("priority NOT IN {word}('arg', 10)"),
            &format!(
                "{E}'{word}' is a reserved JQL word. You must surround it in quotation marks to use it in a query.{}",
                at(1, 17)
            ),
        );
    }
    check_err(
        "f\n = \n \n abc *",
        &format!(
            "{E}The character '*' is a reserved JQL character. You must enclose it in a string or use the escape '\\u002a' instead.{}",
            at(4, 6)
        ),
    );
    check_err(
        "f *= abc",
        &format!(
            "{E}The character '*' is a reserved JQL character. You must enclose it in a string or use the escape '\\u002a' instead.{}",
            at(1, 3)
        ),
    );
}
