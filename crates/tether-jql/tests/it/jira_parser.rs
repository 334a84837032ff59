//! The accepted cases of Jira's own parser test (`TestDefaultJqlQueryParser`): what it parses
//! and into what tree. Its refusals are in `jira_parser_errors`.

use tether_jql::RESERVED_WORDS;

use crate::support::{check, check_err};

#[test]
fn whitespace_and_simple_clauses() {
    check("priority = \"qwerty\"", r#"(= priority "qwerty")"#);
    check("priority=\"qwerty\"", r#"(= priority "qwerty")"#);
    check("priority=qwerty", r#"(= priority "qwerty")"#);
    check("  priority=qwerty  ", r#"(= priority "qwerty")"#);
    check(
        "priority=     qwerty order      by priority, other",
        r#"(= priority "qwerty") order(priority, other)"#,
    );
    check("", "-");
    check("       ", "-");
}

#[test]
fn minus_is_not_reserved() {
    check("key = one-1", r#"(= key "one-1")"#);
    check("key in (one-1, -1)", r#"(in key ["one-1", -1])"#);
    check("key in (one-1, 1-1)", r#"(in key ["one-1", "1-1"])"#);
    check("-78a = a", r#"(= -78a "a")"#);
    check("numberfield >= -29202", "(>= numberfield -29202)");
    check("numberfield >= -29202-", r#"(>= numberfield "-29202-")"#);
    check("numberfield >= w-88 ", r#"(>= numberfield "w-88")"#);
}

#[test]
fn newlines_in_strings_raw_or_escaped() {
    check("newline = \"hello\nworld\"", r#"(= newline "hello\nworld")"#);
    check("newline = \"hello\\nworld\"", r#"(= newline "hello\nworld")"#);
    check("newline = 'hello\r'", r#"(= newline "hello\r")"#);
    check("newline = 'hello\\r'", r#"(= newline "hello\r")"#);
    check("newline = '\r'", r#"(= newline "\r")"#);
    check("newline = '\\r'", r#"(= newline "\r")"#);
    check("'new\nline' = 'b'", r#"(= "new\nline" "b")"#);
    check("'new\\nline' = 'b'", r#"(= "new\nline" "b")"#);
    check("'newline' = 'fun\rc'()", "(= newline fun\rc())");
    check("'newline' = 'fun\\rc'()", "(= newline fun\rc())");
}

#[test]
fn comparison_and_list_operators() {
    check("coolness >= awesome", r#"(>= coolness "awesome")"#);
    check("coolness > awesome", r#"(> coolness "awesome")"#);
    check("coolness < awesome", r#"(< coolness "awesome")"#);
    check("coolness <= awesome", r#"(<= coolness "awesome")"#);
    check(
        "coolness        !=       awesome order     by     coolness desc",
        r#"(!= coolness "awesome") order(coolness desc)"#,
    );
    check("language in (java, c, \"python2\")", r#"(in language ["java", "c", "python2"])"#);
    check(
        "languagein   IN    (   java, c     , \"python2\")",
        r#"(in languagein ["java", "c", "python2"])"#,
    );
    check("inlanguage in (java, c, \"python2\")", r#"(in inlanguage ["java", "c", "python2"])"#);
    check("pri in (java,c,\"python2\")", r#"(in pri ["java", "c", "python2"])"#);
    check("pri in(java)", r#"(in pri ["java"])"#);
    check("pri In(java)", r#"(in pri ["java"])"#);
    check("pri iN(java)", r#"(in pri ["java"])"#);
    check(
        "language not in (java, c, \"python2\")",
        r#"(not-in language ["java", "c", "python2"])"#,
    );
    check(
        "languagein  NOT   IN    (   java, c     , \"python2\")",
        r#"(not-in languagein ["java", "c", "python2"])"#,
    );
    check(
        "inlanguage not in (java, c, \"python2\")",
        r#"(not-in inlanguage ["java", "c", "python2"])"#,
    );
    check("pri NOT in (java,c,\"python2\")", r#"(not-in pri ["java", "c", "python2"])"#);
    check("pri not in(java)", r#"(not-in pri ["java"])"#);
    check("pri NoT In(java)", r#"(not-in pri ["java"])"#);
    check("pri nOT iN(java)", r#"(not-in pri ["java"])"#);
    check("pri iN((java), duke)", r#"(in pri [["java"], "duke"])"#);
}

#[test]
fn like_and_is_operators() {
    check("pri ~ stuff", r#"(~ pri "stuff")"#);
    check("pri~stuff", r#"(~ pri "stuff")"#);
    check("pri ~ 12", "(~ pri 12)");
    check("pri~12", "(~ pri 12)");
    check("pri ~ (\"stuff\", 12)", r#"(~ pri ["stuff", 12])"#);
    check("pri !~ stuff", r#"(!~ pri "stuff")"#);
    check("pri!~stuff", r#"(!~ pri "stuff")"#);
    check("pri !~ 12", "(!~ pri 12)");
    check("pri!~12", "(!~ pri 12)");
    check("pri !~ (\"stuff\", 12)", r#"(!~ pri ["stuff", 12])"#);
    check("pri IS stuff", r#"(is pri "stuff")"#);
    check("pri is stuff", r#"(is pri "stuff")"#);
    check("pri IS EMPTY", "(is pri EMPTY)");
    check("pri IS NOT stuff", r#"(is-not pri "stuff")"#);
    check("pri IS not stuff", r#"(is-not pri "stuff")"#);
    check("pri is Not stuff", r#"(is-not pri "stuff")"#);
    check("pri is not stuff", r#"(is-not pri "stuff")"#);
}

#[test]
fn numbers_and_custom_fields() {
    check("priority = 12345", "(= priority 12345)");
    check("priority = -12345", "(= priority -12345)");
    check("priority = \"12a345\"", r#"(= priority "12a345")"#);
    check("priority = 12345a", r#"(= priority "12345a")"#);
    check("priority = \"12345\"", r#"(= priority "12345")"#);
    check("priority=\"12a345\"", r#"(= priority "12a345")"#);
    check("version= 1.2.3", r#"(= version "1.2.3")"#);
    check("cf[12345] = 12345a", r#"(= cf[12345] "12345a")"#);
    check("Cf  [ 0005 ] = x", r#"(= cf[5] "x")"#);
}

#[test]
fn entity_properties() {
    check("issue.property[x] = x", r#"(= issue.property[x] "x")"#);
    check(
        "issue.property[issue.status] = resolved",
        r#"(= issue.property[issue.status] "resolved")"#,
    );
    check(
        "ISSUE.property[\"issue.status\"] = resolved",
        r#"(= ISSUE.property[issue.status] "resolved")"#,
    );
    check(
        "issue.property['issue.status'] = resolved",
        r#"(= issue.property[issue.status] "resolved")"#,
    );
    check(
        "issue.property     ['issue.status'] = resolved",
        r#"(= issue.property[issue.status] "resolved")"#,
    );
    check("issue.property['1@4s'] = resolved", r#"(= issue.property["1@4s"] "resolved")"#);
    check("issue.property[1234] = resolved", r#"(= issue.property[1234] "resolved")"#);
    check("issue.property[-1234] = resolved", r#"(= issue.property[-1234] "resolved")"#);
    check("issue.property.x = y", r#"(= issue.property.x "y")"#);
    check("issue.ProPeRty['-@.,@'] = resolved", r#"(= issue.ProPeRty["-@.,@"] "resolved")"#);
    check("comment.prop[author] = filip", r#"(= comment.prop[author] "filip")"#);
    check(
        "comment.prop[author].author.name = filip",
        r#"(= comment.prop[author].author.name "filip")"#,
    );
    check("comment.prop[author].Author < filip", r#"(< comment.prop[author].Author "filip")"#);
}

#[test]
fn empty_and_null() {
    check("testfield = EMPTY", "(= testfield EMPTY)");
    check("testfield = empty", "(= testfield EMPTY)");
    check("testfield = NULL", "(= testfield EMPTY)");
    check("testfield = null", "(= testfield EMPTY)");
    check("testfield = \"null\"", r#"(= testfield "null")"#);
    check("testfield = \"NULL\"", r#"(= testfield "NULL")"#);
    check("testfield = \"EMPTY\"", r#"(= testfield "EMPTY")"#);
    check("testfield = \"empty\"", r#"(= testfield "empty")"#);
}

#[test]
fn strange_field_names_and_values() {
    check(
        "priority = \"a big string ~ != foo and priority = haha \"",
        r#"(= priority "a big string ~ != foo and priority = haha ")"#,
    );
    check("priority = \"\"", r#"(= priority "")"#);
    check("prior\\'ty = testvalue", r#"(= "prior'ty" "testvalue")"#);
    check("priority\\ ty=testvalue", r#"(= "priority ty" "testvalue")"#);
    check("priority\u{2ee5} > 6", "(> \"priority\u{2ee5}\" 6)");
    check("priori\\nty\\u2ee5 > 6", "(> \"priori\\nty\u{2ee5}\" 6)");
    check("\"this is a strange field \" = google", r#"(= "this is a strange field " "google")"#);
    check("\"don't\" = 'true'", r#"(= "don't" "true")"#);
    check("\"don\\\"t\" = 'false'", r#"(= "don\"t" "false")"#);
    check("\"don't\" = 'false'", r#"(= "don't" "false")"#);
    check(
        "'don\\'t' = 'false' order by 'don\\'t' DEsc",
        r#"(= "don't" "false") order("don't" desc)"#,
    );
    check("'don\"t' = 'false'", r#"(= "don\"t" "false")"#);
    check("'cf[1220]' = abc", r#"(= "cf[1220]" "abc")"#);
    check("'cf' = abc", r#"(= cf "abc")"#);
    check(
        "10245948 = abc      order          by 10245948",
        r#"(= 10245948 "abc") order(10245948)"#,
    );
    check("-10245948 = abc", r#"(= -10245948 "abc")"#);
    check("new\\nline = abc", r#"(= "new\nline" "abc")"#);
    check(
        "some\\u0082control = abc  order by some\\u0082control",
        "(= \"some\\u{82}control\" \"abc\") order(\"some\\u{82}control\")",
    );
    check("b = ''", r#"(= b "")"#);
    check("b = \\ ", r#"(= b " ")"#);
    check("b = don\\'t\\ stop\\ me\\ now", r#"(= b "don't stop me now")"#);
    check("b = \u{2ee5}", "(= b \"\u{2ee5}\")");
    check("b = \\u2EE5jkdfskjfd", "(= b \"\u{2ee5}jkdfskjfd\")");
    check("b not in 'jack says, \"Hello World!\"'", r#"(not-in b "jack says, \"Hello World!\"")"#);
    check("b not in 'jack says, \\'Hello World!\\''", r#"(not-in b "jack says, 'Hello World!'")"#);
    check("b not in \"jack says, 'Hello World!'\"", r#"(not-in b "jack says, 'Hello World!'")"#);
    check(
        "b not in \"jack says, \\\"Hello World!'\\\"\"",
        r#"(not-in b "jack says, \"Hello World!'\"")"#,
    );
    check("b not in \"jack says, \\tnothing\"", r#"(not-in b "jack says, \tnothing")"#);
    check("bad ~ wt\\u007f", r#"(~ bad "wt\u{7f}")"#);
}

#[test]
fn escapes() {
    check("priority = \"a \\n new \\r line\"", r#"(= priority "a \n new \r line")"#);
    check(
        "priority = \"Tab:\\t NewLine:\\n Carrage Return:\\r\"",
        r#"(= priority "Tab:\t NewLine:\n Carrage Return:\r")"#,
    );
    check(
        "priority = \"Quote:\\\" Single:\\' Back Slash:\\\\ Space:\\ \"",
        r#"(= priority "Quote:\" Single:' Back Slash:\\ Space: ")"#,
    );
    check(
        "priority = \"Unicode: \\ufeeF1 Unicode2: \\u6EEF\"",
        "(= priority \"Unicode: \u{feef}1 Unicode2: \u{6eef}\")",
    );
    check("priority = 'Escape\" don\\'t'", r#"(= priority "Escape\" don't")"#);
    check("priority = \"Escape' don\\\"t\"", r#"(= priority "Escape' don\"t")"#);
}

#[test]
fn functions() {
    check("priority = higherThan(Major)", r#"(= priority higherThan("Major"))"#);
    check(
        "priority In     randomName(Major, Minor,      \"cool\", -65784)",
        r#"(in priority randomName("Major", "Minor", "cool", "-65784"))"#,
    );
    check("priority    >=    randomName()", "(>= priority randomName())");
    check("pri not in func(9223372036854775817)", r#"(not-in pri func("9223372036854775817"))"#);
    check("pri not in fun(name\\u0082e)", "(not-in pri fun(\"name\\u{82}e\"))");
    check("a = func\\'  ()", "(= a func'())");
    check("a = fu\\\"nc\\'()", "(= a fu\"nc'())");
    check("a=function\\ name(  )", "(= a function name())");
    check("a = \u{2ee5}()", "(= a \u{2ee5}())");
    check("a = somereallystrangestring\\u2ee5()", "(= a somereallystrangestring\u{2ee5}())");
    check("version <= \"affected\\ versions\"(   )", "(<= version affected versions())");
    check("version <= \"affected\\ versio'ns\"(   )", "(<= version affected versio'ns())");
    check("version <= \"affected versio\\\"ns\"(   )", "(<= version affected versio\"ns())");
    check(
        "version <= 'my messed up versio\\'ns'     (   )",
        "(<= version my messed up versio'ns())",
    );
    check(
        "version <= 'my m\\nessed up\\ versio\"ns'     (   )",
        "(<= version my m\nessed up versio\"ns())",
    );
    check("version <= 4759879855`(   )", "(<= version 4759879855`())");
    check("version <= 4759879(   )", "(<= version 4759879())");
    check("version = badname\\u0091", r#"(= version "badname\u{91}")"#);
}

#[test]
fn logical_operators_and_precedence() {
    check("a=b&c=d", r#"(and (= a "b") (= c "d"))"#);
    check("a=b&&c=d", r#"(and (= a "b") (= c "d"))"#);
    check("a=b|c=d", r#"(or (= a "b") (= c "d"))"#);
    check("a=b||c=d", r#"(or (= a "b") (= c "d"))"#);
    check("a<b", r#"(< a "b")"#);
    check("a>b", r#"(> a "b")"#);
    check("a~b", r#"(~ a "b")"#);
    let major_and_bar = r#"(and (= priority "major") (> foo bar()))"#;
    check("priority = major and foo > bar()", major_and_bar);
    check("priority = majorand and foo>bar()", r#"(and (= priority "majorand") (> foo bar()))"#);
    check(
        "priority != major    and      foo >      bar()",
        r#"(and (!= priority "major") (> foo bar()))"#,
    );
    check(
        "priority != major    &&      foo >      bar()",
        r#"(and (!= priority "major") (> foo bar()))"#,
    );
    check(
        "priority != andmajor    &      foo >      bar()",
        r#"(and (!= priority "andmajor") (> foo bar()))"#,
    );
    check(
        "priority != andmajor    and      foo >      bar() order by priority     DESC,      foo",
        r#"(and (!= priority "andmajor") (> foo bar())) order(priority desc, foo)"#,
    );
    check("priority = major or foo > bar()", r#"(or (= priority "major") (> foo bar()))"#);
    let three = r#"(or (= priority "major") (> foo bar()) (= priority "minor"))"#;
    check("priority = major or foo > bar() or priority = minor", three);
    check("priority = major || foo > bar() | priority = minor", three);
    check("priority = major or foo > bar() || priority = minor", three);
    let outer = r#"(or (and (= priority "major") (> foo bar("1", "2", "3"))) (and (= priority "minor") (!= baz 1234)))"#;
    check("priority = major and foo > bar(1,2,3) | priority = minor and baz != 1234", outer);
    check("priority =     major AND foo > bar(1,2,3) oR priority = minor and baz != 1234", outer);
    check("priority=major and foo>bar(1,2,3)|| priority=minor  and  baz!=1234", outer);
    check("priority = major AND foo > bar(1,2,3) Or priority = minor AND baz != 1234", outer);
    check(
        "priority = major && foo > bar(1,2,3) & priority = minor and baz != 1234",
        r#"(and (= priority "major") (> foo bar("1", "2", "3")) (= priority "minor") (!= baz 1234))"#,
    );
    check(
        "priority = major and (foo > bar(1,2,3) | priority = minor) and baz != 1234",
        r#"(and (= priority "major") (or (> foo bar("1", "2", "3")) (= priority "minor")) (!= baz 1234))"#,
    );
    check(
        "priority = major or (foo > bar(1,2,3) or priority = minor) && baz != 1234",
        r#"(or (= priority "major") (and (or (> foo bar("1", "2", "3")) (= priority "minor")) (!= baz 1234)))"#,
    );
    check(
        "not priority = major or foo > bar() or priority = minor",
        r#"(or (not (= priority "major")) (> foo bar()) (= priority "minor"))"#,
    );
    check(
        "not priority = major or foo > bar() AnD priority=\"minor\"",
        r#"(or (not (= priority "major")) (and (> foo bar()) (= priority "minor")))"#,
    );
    check(
        "not priority = major or not foo > bar() AnD priority=\"minor\"",
        r#"(or (not (= priority "major")) (and (not (> foo bar())) (= priority "minor")))"#,
    );
    let not_group =
        r#"(and (not (or (= priority "major") (not (> foo bar())))) (= priority "minor"))"#;
    check("not (priority = major or not foo > bar()) AnD priority=\"minor\"", not_group);
    check("! (priority = major or ! foo > bar()) AnD priority=\"minor\"", not_group);
    check(
        "not ! (! priority = major or     foo >bar()) &         priority=\"minor\"",
        r#"(and (not (not (or (not (= priority "major")) (> foo bar())))) (= priority "minor"))"#,
    );
}

#[test]
fn quoting_makes_reserved_characters_and_words_usable() {
    for c in "{}*/%+$#@?;^".chars() {
        let name = format!("test{c}dfjd");
        check(&format!("'{name}' = 'good'"), &format!("(= {name:?} \"good\")"));
    }
    for word in RESERVED_WORDS {
        check(&format!("priority NOT IN ('{word}')"), &format!("(not-in priority [{word:?}])"));
    }
}

#[test]
fn sorting_without_a_condition() {
    check("order by crap", "- order(crap)");
    check("order by crap  DESC", "- order(crap desc)");
    check("order by crap  ASC", "- order(crap asc)");
    check("order by cf[12345]  ASC", "- order(cf[12345] asc)");
}

#[test]
fn history_operators() {
    check("status was open", r#"(was status "open")"#);
    check_err(
        "status was",
        "Error in JQL Query: Expecting either a value, list or function before the end of the query.",
    );
}
