//! Validation against the field and function catalogues, with Jira's messages.

use tether_jql::catalogue::{FieldCatalogue, FieldDef, ValueType, operator_sets};
use tether_jql::functions::FunctionCatalogue;
use tether_jql::validate::validate;
use tether_jql::{CustomFieldId, parse};

fn fields() -> FieldCatalogue {
    let mut fields = FieldCatalogue::tether();
    let id = CustomFieldId::new(10010).expect("valid id");
    let ops = operator_sets::RANGED;
    fields.add(FieldDef::custom(id, "Story Points", ValueType::Number, ops, true));
    fields
}

#[track_caller]
fn check(jql: &str, expect: &[&str]) {
    let query = parse(jql).unwrap_or_else(|e| panic!("{jql:?}: {e}"));
    let errors: Vec<String> = validate(&query, &fields(), &FunctionCatalogue::jira())
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors, expect, "validating {jql:?}");
}

const DATE_FORMATS: &str = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";

#[test]
fn fields_and_operators() {
    check("project = ABC", &[]);
    check("PROJECT = ABC AND Status = Open AND type = Bug", &[]);
    check(
        "universe = 42",
        &["Field 'universe' does not exist or you do not have permission to view it."],
    );
    check("summary = test", &["The operator '=' is not supported by the 'summary' field."]);
    check("project ~ ABC", &["The operator '~' is not supported by the 'project' field."]);
    check("summary was x", &["The operator 'was' is not supported by the 'summary' field."]);
    check("created changed", &["The operator 'changed' is not supported by the 'created' field."]);
    check(
        "status[x] = a",
        &["Field 'status[x]' does not exist or you do not have permission to view it."],
    );
}

#[test]
fn operand_shapes() {
    check(
        "summary in test",
        &["Operator 'in' does not support the non-list value '\"test\"' for field 'summary'."],
    );
    check(
        "assignee in currentUser()",
        &[
            "Operator 'in' does not support the non-list value 'currentUser()' for field 'assignee'.",
        ],
    );
    check(
        "assignee = membersOf(devs)",
        &["Operator '=' does not support the list value 'membersOf(devs)' for field 'assignee'."],
    );
    check(
        "assignee = (a, b)",
        &["Operator '=' does not support the list value '(\"a\", \"b\")' for field 'assignee'."],
    );
    check("assignee in (currentUser(), jsmith, EMPTY)", &[]);
    check(
        "votes > EMPTY",
        &[
            "Operator '>' does not support the empty value representation 'EMPTY' for field 'votes'.",
        ],
    );
    check(
        "assignee in EMPTY",
        &[
            "Operator 'in' does not support the empty value representation 'EMPTY' for field 'assignee'.",
        ],
    );
    check(
        "assignee is jsmith",
        &["Operator 'is' does not support searching for non-empty values for field 'assignee'."],
    );
    check(
        "assignee is not (a)",
        &[
            "Operator 'is not' does not support searching for non-empty values for field 'assignee'.",
        ],
    );
    check("summary ~ EMPTY", &["The field 'summary' does not support searching for EMPTY values."]);
    check("summary = EMPTY", &["The operator '=' is not supported by the 'summary' field."]);
}

#[test]
fn functions_and_values() {
    check(
        "created > -1d AND created < 1706695200000 AND due > startOfDay(-1) AND updated > '2024/01/31 10:15'",
        &[],
    );
    check(
        "created > \"yesterday\"",
        &[&format!("Date value 'yesterday' for field 'created' is invalid. {DATE_FORMATS}")],
    );
    check(
        "created in (\"2024-01-01\", \"31/01/2024\")",
        &[&format!("Date value '31/01/2024' for field 'created' is invalid. {DATE_FORMATS}")],
    );
    check(
        "created > currentUser()",
        &["A value provided by the function 'currentUser' is invalid for the field 'created'."],
    );
    check(
        "project in openSprints()",
        &["A value provided by the function 'openSprints' is invalid for the field 'project'."],
    );
    check("sprint in openSprints() AND fixVersion in unreleasedVersions(ABC)", &[]);
    check("assignee in (bogus())", &["Unable to find JQL function 'bogus()'."]);
    check(
        "due < endOfWeek(\"+1x\")",
        &[
            "Duration for function 'endOfWeek' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.",
        ],
    );
    check(
        "issue in linkedIssues()",
        &["Function 'linkedIssues' expected between '1' and '2' arguments but received '0'."],
    );
    check("issue.property[x].y = currentUser()", &[]);
}

#[test]
fn history_predicates() {
    check(
        "status was open by jsmith during (\"2024/01/01\", now()) before -1d after startOfMonth() on 2024-02-01",
        &[],
    );
    check("status changed from a to b by me during (-1w, now())", &[]);
    check(
        "status was open from a",
        &["The WAS operator does not support the use of the from \"a\" predicate."],
    );
    check(
        "status was not in (a, b) to b",
        &["The WAS_NOT_IN operator does not support the use of the to \"b\" predicate."],
    );
    check(
        "status changed after yesterday",
        &[&format!("Date value 'yesterday' for predicate 'after' is invalid. {DATE_FORMATS}")],
    );
    check(
        "status changed during (-1w)",
        &["The DURING predicate must be supplied with exactly 2 date values."],
    );
    check(
        "status changed after (-1w, -2w)",
        &["The AFTER predicate must be supplied with only 1 date value."],
    );
    check("status changed on (-1w, -2w) by EMPTY", &[]);
    check(
        "status changed before membersOf(x)",
        &["A date for the predicate 'before' provided by the function 'membersOf' is not valid."],
    );
    check("created > -1d and fixVersion changed from \"1.0\" to 2.0", &[]);
}

#[test]
fn entity_properties_and_development_information() {
    check(
        "development[commits].all > 0 AND development[pullrequests].open > 0 AND development[builds].failing > 0",
        &[],
    );
    check(
        "development[commits].open > 0",
        &[
            "Field 'development[commits].open' does not exist or you do not have permission to view it.",
        ],
    );
    check(
        "development[foo].all > 0",
        &["Field 'development[foo].all' does not exist or you do not have permission to view it."],
    );
    check(
        "development > 0",
        &["Field 'development' does not exist or you do not have permission to view it."],
    );
    check(
        "development[commits].all ~ x",
        &["The operator '~' is not supported by the 'development' field."],
    );
    check("issue.property[x].y = 1 AND issue.property[\"a b\"] ~ c", &[]);
    check(
        "issue.property = 1",
        &["Field 'issue.property' does not exist or you do not have permission to view it."],
    );
}

#[test]
fn custom_fields() {
    check("cf[10010] > 5 AND \"Story Points\" <= 8 AND \"story points\" is not empty", &[]);
    check(
        "cf[99] = 1",
        &["Field 'cf[99]' does not exist or you do not have permission to view it."],
    );
    check("\"cf[10010]\" = 3", &[]);
    check("order by cf[10010] desc, \"Story Points\"", &[]);
}

#[test]
fn tether_fields() {
    check("flag = \"new-checkout\" AND flag in (a, b) AND flag is not empty", &[]);
    check("flagEnabled = \"true\" AND flagEnabled != 'FALSE'", &[]);
    check(
        "flagEnabled = \"yes\"",
        &["The value 'yes' does not exist for the field 'flagEnabled'."],
    );
    check("flagEnabled = 1", &["The value '1' does not exist for the field 'flagEnabled'."]);
    check("flagEnabled ~ x", &["The operator '~' is not supported by the 'flagEnabled' field."]);
    check("flagState[production] = enabled AND flagState[staging] in (enabled, disabled)", &[]);
    check(
        "flagState = enabled",
        &["Field 'flagState' does not exist or you do not have permission to view it."],
    );
    check(
        "flagState[production].x = y",
        &[
            "Field 'flagState[production].x' does not exist or you do not have permission to view it.",
        ],
    );
    check("\"commit\" = 4f2a9c1 AND repository = \"acme/shop\" AND pullRequest is empty", &[]);
    check("pullRequest > 1", &["The operator '>' is not supported by the 'pullRequest' field."]);
    check("ticketCategory in (bug, story) AND ticketCategory is not empty", &[]);
    check(
        "ticketCategory ~ bug",
        &["The operator '~' is not supported by the 'ticketCategory' field."],
    );
    check("order by ticketCategory", &[]);
    let jira_only = parse("flag = x").expect("parses");
    let errors = validate(&jira_only, &FieldCatalogue::jira(), &FunctionCatalogue::jira());
    assert_eq!(errors.len(), 1, "tether's fields are not Jira's");
}

#[test]
fn ordering() {
    check("order by summary, created desc, key", &[]);
    check("order by description", &["Not able to sort using field 'description'."]);
    check(
        "order by nope",
        &["Field 'nope' does not exist or you do not have permission to view it."],
    );
    check("order by development[commits].all", &["Not able to sort using field 'development'."]);
}

#[test]
fn every_problem_is_reported_in_order_with_its_place() {
    let jql = "a = 1 and summary = x order by nope";
    check(
        jql,
        &[
            "Field 'a' does not exist or you do not have permission to view it.",
            "The operator '=' is not supported by the 'summary' field.",
            "Field 'nope' does not exist or you do not have permission to view it.",
        ],
    );
    let query = parse(jql).expect("parses");
    let spans: Vec<(u32, &str)> = validate(&query, &fields(), &FunctionCatalogue::jira())
        .iter()
        .map(|e| (e.span.start.character, &jql[e.span.start.offset..e.span.end]))
        .collect();
    assert_eq!(spans, [(1, "a = 1"), (11, "summary = x"), (32, "nope")]);
}
