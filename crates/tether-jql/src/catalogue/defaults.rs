//! The default fields: Jira's system fields (from its JQL field reference: names, aliases,
//! supported operators, sorting) and tether's own fields.

use super::{FieldDef, OperatorSet, Properties, ValueType as T};

/// Operator sets shared by many fields.
pub mod operator_sets {
    use crate::ast::{HistoryOperator as H, Operator, ValueOperator as V};
    use crate::catalogue::OperatorSet;

    const fn v(op: V) -> Operator {
        Operator::Value(op)
    }

    /// `=`, `!=`, `IN`, `NOT IN`.
    pub const EQUALITY: OperatorSet =
        OperatorSet::of(&[v(V::Equals), v(V::NotEquals), v(V::In), v(V::NotIn)]);
    /// `IS`, `IS NOT`.
    pub const EMPTINESS: OperatorSet = OperatorSet::of(&[v(V::Is), v(V::IsNot)]);
    /// `>`, `>=`, `<`, `<=`.
    pub const ORDERING: OperatorSet = OperatorSet::of(&[
        v(V::GreaterThan),
        v(V::GreaterThanEquals),
        v(V::LessThan),
        v(V::LessThanEquals),
    ]);
    /// `~`, `!~`.
    pub const TEXT: OperatorSet = OperatorSet::of(&[v(V::Like), v(V::NotLike)]);
    /// `WAS`, `WAS IN`, `WAS NOT`, `WAS NOT IN`, `CHANGED`.
    pub const HISTORY: OperatorSet = OperatorSet::of(&[
        Operator::History(H::Was),
        Operator::History(H::WasIn),
        Operator::History(H::WasNot),
        Operator::History(H::WasNotIn),
        Operator::Changed,
    ]);
    /// `=`, `!=`, `IN`, `NOT IN`, `IS`, `IS NOT`.
    pub const OPTIONAL: OperatorSet = EQUALITY.union(EMPTINESS);
    /// Equality, emptiness and ordering: dates, durations, versions, numbers.
    pub const RANGED: OperatorSet = OPTIONAL.union(ORDERING);
}

use operator_sets::{EMPTINESS, EQUALITY, HISTORY, OPTIONAL, ORDERING, RANGED, TEXT};

/// Jira's system fields.
pub fn jira_fields() -> Vec<FieldDef> {
    let f = FieldDef::new;
    let equals_only =
        OperatorSet::of(&[crate::ast::Operator::Value(crate::ast::ValueOperator::Equals)]);
    let like_only =
        OperatorSet::of(&[crate::ast::Operator::Value(crate::ast::ValueOperator::Like)]);
    let counts = EQUALITY.union(ORDERING);
    vec![
        f("affectedVersion", T::Version, RANGED, true).aliases(&["affectsVersion"]),
        f("approvals", T::Approval, equals_only, false),
        f("assignee", T::User, OPTIONAL.union(HISTORY), true),
        f("attachments", T::Attachment, EMPTINESS, false),
        f("category", T::ProjectCategory, OPTIONAL, false),
        f("comment", T::Text, TEXT, false),
        f("component", T::Component, OPTIONAL, true),
        f("created", T::Date, RANGED, true).aliases(&["createdDate"]),
        f("creator", T::User, OPTIONAL, true),
        f("description", T::Text, TEXT.union(EMPTINESS), false),
        f("due", T::Date, RANGED, true).aliases(&["duedate"]),
        f("environment", T::Text, TEXT.union(EMPTINESS), false),
        f("filter", T::Filter, EQUALITY, false).aliases(&[
            "request",
            "savedFilter",
            "searchRequest",
        ]),
        f("fixVersion", T::Version, RANGED.union(HISTORY), true),
        f("issueKey", T::Issue, counts, true).aliases(&["id", "issue", "key"]),
        f("issueLinkType", T::IssueLinkType, EQUALITY, false),
        f("issuetype", T::IssueType, OPTIONAL, true).aliases(&["type"]),
        f("labels", T::Label, OPTIONAL, true),
        f("lastViewed", T::Date, RANGED, true),
        f("level", T::SecurityLevel, OPTIONAL, true),
        f("originalEstimate", T::Duration, RANGED, true).aliases(&["timeOriginalEstimate"]),
        f("parent", T::Issue, EQUALITY, false),
        f("priority", T::Priority, RANGED.union(HISTORY), true),
        f("project", T::Project, OPTIONAL, true),
        f("projectType", T::ProjectType, EQUALITY, false),
        f("remainingEstimate", T::Duration, RANGED, true).aliases(&["timeEstimate"]),
        f("reporter", T::User, OPTIONAL.union(HISTORY), true),
        f("resolution", T::Resolution, RANGED.union(HISTORY), true),
        f("resolved", T::Date, RANGED, true).aliases(&["resolutionDate"]),
        f("sprint", T::Sprint, OPTIONAL, true),
        f("status", T::Status, OPTIONAL.union(HISTORY), true),
        f("statusCategory", T::StatusCategory, EQUALITY, false),
        f("statusCategoryChangedDate", T::Date, RANGED, true),
        f("summary", T::Text, TEXT, true),
        f("team", T::Team, OPTIONAL, true),
        f("text", T::Text, like_only, false),
        f("timeSpent", T::Duration, RANGED, true),
        f("updated", T::Date, RANGED, true).aliases(&["updatedDate"]),
        f("voter", T::User, EQUALITY, false),
        f("votes", T::Number, RANGED, true),
        f("watcher", T::User, OPTIONAL, false),
        f("watchers", T::Number, RANGED, true),
        f("worklogAuthor", T::User, OPTIONAL, false),
        f("worklogComment", T::Text, TEXT, false),
        f("worklogDate", T::Date, RANGED, false),
        f("workRatio", T::Number, RANGED, true),
        f("development", T::Development, counts, false)
            .properties(Properties::Keys(development_keys())),
        f("issue.property", T::Property, RANGED.union(TEXT), true).properties(Properties::Any),
    ]
}

/// `development[key].path`: the keys and the paths each takes.
fn development_keys() -> Vec<(String, Vec<String>)> {
    let keys: &[(&str, &[&str])] = &[
        ("commits", &["all"]),
        ("branches", &["all"]),
        ("pullrequests", &["all", "open"]),
        ("builds", &["all", "failing", "passing"]),
        ("deployments", &["all"]),
        ("reviews", &["all", "open"]),
    ];
    keys.iter()
        .map(|(k, paths)| ((*k).to_owned(), paths.iter().map(|p| (*p).to_owned()).collect()))
        .collect()
}

/// tether's fields beside Jira's.
pub fn tether_fields() -> Vec<FieldDef> {
    let f = FieldDef::new;
    let boolean = OperatorSet::of(&[
        crate::ast::Operator::Value(crate::ast::ValueOperator::Equals),
        crate::ast::Operator::Value(crate::ast::ValueOperator::NotEquals),
    ]);
    vec![
        f("flag", T::Flag, OPTIONAL, true),
        f("flagEnabled", T::Boolean, boolean, false),
        f("flagState", T::FlagState, EQUALITY, false).properties(Properties::Key),
        f("commit", T::Commit, OPTIONAL, false),
        f("repository", T::Repository, OPTIONAL, false),
        f("pullRequest", T::PullRequest, OPTIONAL, false),
        f("ticketCategory", T::TicketCategory, OPTIONAL, true),
    ]
}
