//! The Tickets page's filters, tab and sort as GitLab's "View Jira issues" takes them, read
//! from the query string, written back into links, and turned into the one JQL query that
//! finds the tickets (values quoted as Jira reads them), so the filters and the JQL box are
//! one code path and the page can show people the JQL behind what they clicked.

use tether_jql::print::encode_value;
use tether_jql::{Query, SortOrder};

/// Open / Closed / All, by status category, as GitLab's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Tab {
    #[default]
    Open,
    Closed,
    All,
}

impl Tab {
    pub(crate) const ALL: [Tab; 3] = [Tab::Open, Tab::Closed, Tab::All];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tab::Open => "open",
            Tab::Closed => "closed",
            Tab::All => "all",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Tab::Open => "Open",
            Tab::Closed => "Closed",
            Tab::All => "All",
        }
    }

    /// Also GitLab's `opened`.
    fn parse(s: &str) -> Option<Tab> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("opened") {
            return Some(Tab::Open);
        }
        Tab::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// The clause the tab adds: any status other than Done is open.
    fn clause(self) -> Option<&'static str> {
        match self {
            Tab::Open => Some("statusCategory != Done"),
            Tab::Closed => Some("statusCategory = Done"),
            Tab::All => None,
        }
    }
}

/// A column the list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Column {
    Key,
    Summary,
    Status,
    Type,
    Assignee,
    #[default]
    Created,
    Updated,
}

impl Column {
    pub(crate) const ALL: [Column; 7] = [
        Column::Key,
        Column::Summary,
        Column::Type,
        Column::Status,
        Column::Assignee,
        Column::Created,
        Column::Updated,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Column::Key => "key",
            Column::Summary => "summary",
            Column::Status => "status",
            Column::Type => "type",
            Column::Assignee => "assignee",
            Column::Created => "created",
            Column::Updated => "updated",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Column::Key => "Ticket",
            Column::Summary => "Summary",
            Column::Status => "Status",
            Column::Type => "Type",
            Column::Assignee => "Assignee",
            Column::Created => "Created",
            Column::Updated => "Updated",
        }
    }

    /// The JQL field it sorts by.
    fn field(self) -> &'static str {
        match self {
            Column::Type => "issuetype",
            other => other.as_str(),
        }
    }

    /// The column a JQL sort field is, under any of its names.
    fn of_field(name: &str) -> Option<Column> {
        Some(match name.to_ascii_lowercase().as_str() {
            "key" | "issuekey" | "issue" | "id" => Column::Key,
            "summary" => Column::Summary,
            "status" => Column::Status,
            "issuetype" | "type" => Column::Type,
            "assignee" => Column::Assignee,
            "created" | "createddate" => Column::Created,
            "updated" | "updateddate" => Column::Updated,
            _ => return None,
        })
    }

    fn parse(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// A first click sorts dates newest first and the rest from A.
    fn first_order(self) -> Order {
        match self {
            Column::Created | Column::Updated => Order::Desc,
            _ => Order::Asc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Order {
    Asc,
    #[default]
    Desc,
}

impl Order {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }

    fn reversed(self) -> Order {
        match self {
            Order::Asc => Order::Desc,
            Order::Desc => Order::Asc,
        }
    }

    /// As `aria-sort` names it.
    pub(crate) fn aria(self) -> &'static str {
        match self {
            Order::Asc => "ascending",
            Order::Desc => "descending",
        }
    }
}

/// What the page was asked for. Empty strings are filters not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Filters {
    pub(crate) site: String,
    pub(crate) project: String,
    /// A status by name (`In Progress`).
    pub(crate) status: String,
    /// An issue type by name.
    pub(crate) issue_type: String,
    /// A ticket category (`bug`, `story` …).
    pub(crate) category: String,
    pub(crate) reporter: String,
    pub(crate) assignee: String,
    /// Words in the summary or the description.
    pub(crate) q: String,
    /// Every one must be on a ticket.
    pub(crate) labels: Vec<String>,
    pub(crate) tab: Tab,
    pub(crate) sort: Column,
    pub(crate) order: Order,
    /// A JQL query; when given, it decides the list instead of the filters, tab and sort.
    pub(crate) jql: String,
    pub(crate) page: i64,
}

impl Filters {
    /// From the query string's pairs. Labels come as `labels` (several, or one list split at
    /// commas and spaces: Jira labels hold neither) or GitLab's `labels[]`; what is not
    /// understood is ignored, as a link from elsewhere may carry more.
    pub(crate) fn read(pairs: &[(String, String)]) -> Filters {
        let mut f = Filters { page: 1, ..Filters::default() };
        let mut order = None;
        for (k, v) in pairs {
            let text = v.trim().to_owned();
            match k.as_str() {
                "site" => f.site = text,
                "project" => f.project = text,
                "status" => f.status = text,
                "type" => f.issue_type = text,
                "category" => f.category = text,
                "reporter" | "author_username" => f.reporter = text,
                "assignee" | "assignee_username" => f.assignee = text,
                "q" | "search" => f.q = text,
                "labels" | "labels[]" => {
                    for label in v.split(|c: char| c == ',' || c.is_whitespace()) {
                        if !label.is_empty() && !f.labels.iter().any(|l| l == label) {
                            f.labels.push(label.to_owned());
                        }
                    }
                }
                "state" => f.tab = Tab::parse(&text).unwrap_or_default(),
                "sort" => f.sort = Column::parse(&text).unwrap_or_default(),
                "order" => {
                    order = match text.to_ascii_lowercase().as_str() {
                        "asc" => Some(Order::Asc),
                        "desc" => Some(Order::Desc),
                        _ => None,
                    }
                }
                "jql" => f.jql = v.clone(),
                "page" => f.page = text.parse::<i64>().unwrap_or(1).max(1),
                _ => {}
            }
        }
        f.order = order.unwrap_or(f.sort.first_order());
        f
    }

    /// Whether a JQL query decides the list.
    pub(crate) fn by_jql(&self) -> bool {
        !self.jql.trim().is_empty()
    }

    /// Whether anything narrows the list beyond the tab.
    pub(crate) fn filtered(&self) -> bool {
        self.by_jql()
            || ![
                &self.site,
                &self.project,
                &self.status,
                &self.issue_type,
                &self.category,
                &self.reporter,
                &self.assignee,
                &self.q,
            ]
            .iter()
            .all(|s| s.is_empty())
            || !self.labels.is_empty()
    }

    /// The filters, tab and sort as one JQL query.
    pub(crate) fn to_jql(&self) -> String {
        self.jql_with(self.tab)
    }

    /// The same with another tab.
    pub(crate) fn jql_with(&self, tab: Tab) -> String {
        let mut clauses = Vec::new();
        let mut equals = |field: &str, value: &str| {
            if !value.is_empty() {
                clauses.push(format!("{field} = {}", encode_value(value)));
            }
        };
        equals("project", &self.project);
        for label in &self.labels {
            equals("labels", label);
        }
        equals("status", &self.status);
        equals("issuetype", &self.issue_type);
        equals("ticketCategory", &self.category);
        equals("reporter", &self.reporter);
        equals("assignee", &self.assignee);
        if !self.q.is_empty() {
            let text = encode_value(&self.q);
            clauses.push(format!("(summary ~ {text} OR description ~ {text})"));
        }
        clauses.extend(tab.clause().map(str::to_owned));
        let sort = format!("ORDER BY {} {}", self.sort.field(), self.order.as_str().to_uppercase());
        if clauses.is_empty() { sort } else { format!("{} {sort}", clauses.join(" AND ")) }
    }

    /// The query string of everything but the page (defaults left out).
    fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let texts = [
            ("site", &self.site),
            ("project", &self.project),
            ("status", &self.status),
            ("type", &self.issue_type),
            ("category", &self.category),
            ("reporter", &self.reporter),
            ("assignee", &self.assignee),
            ("q", &self.q),
        ];
        pairs.extend(texts.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, (*v).clone())));
        if !self.labels.is_empty() {
            pairs.push(("labels", self.labels.join(",")));
        }
        if self.tab != Tab::Open {
            pairs.push(("state", self.tab.as_str().to_owned()));
        }
        if self.sorted_otherwise() {
            pairs.push(("sort", self.sort.as_str().to_owned()));
            pairs.push(("order", self.order.as_str().to_owned()));
        }
        if self.by_jql() {
            pairs.push(("jql", self.jql.clone()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", tether_jira::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// This list with a change, from its first page.
    fn href(&self, change: impl FnOnce(&mut Filters)) -> String {
        let mut f = self.clone();
        f.page = 1;
        change(&mut f);
        let query = f.query();
        let page = if f.page > 1 { format!("page={}", f.page) } else { String::new() };
        match (query.is_empty(), page.is_empty()) {
            (true, true) => "/tickets".to_owned(),
            (false, true) => format!("/tickets?{query}"),
            (true, false) => format!("/tickets?{page}"),
            (false, false) => format!("/tickets?{query}&{page}"),
        }
    }

    /// Another page of this list.
    pub(crate) fn page_href(&self, page: i64) -> String {
        self.href(|f| f.page = page.max(1))
    }

    /// This list on another tab.
    pub(crate) fn tab_href(&self, tab: Tab) -> String {
        self.href(|f| f.tab = tab)
    }

    /// The same tab and sort without filters.
    pub(crate) fn clear_href(&self) -> String {
        let (tab, sort, order) = (self.tab, self.sort, self.order);
        self.href(|f| *f = Filters { tab, sort, order, page: 1, ..Filters::default() })
    }

    /// Whether the sort is not the default one (newest created first).
    pub(crate) fn sorted_otherwise(&self) -> bool {
        (self.sort, self.order) != (Column::default(), Order::default())
    }

    /// The filters' query in the JQL box (the site kept: it is where, not what).
    pub(crate) fn as_jql_href(&self) -> String {
        let jql = self.to_jql();
        let site = self.site.clone();
        self.href(|f| *f = Filters { jql, site, page: 1, ..Filters::default() })
    }

    /// How the list is sorted: by the filters, or by the JQL query's first sort key (newest
    /// created first without one); `None` when that is not a column.
    pub(crate) fn sorted(&self) -> Option<(Column, Order)> {
        if !self.by_jql() {
            return Some((self.sort, self.order));
        }
        let query = tether_jql::parse(&self.jql).ok()?;
        let Some(first) = query.order_by.first() else {
            return Some((Column::Created, Order::Desc));
        };
        let column = Column::of_field(&first.field.display_name())?;
        Some((column, if first.order == Some(SortOrder::Desc) { Order::Desc } else { Order::Asc }))
    }

    /// The link a column's header is: sorted by it, or the other way round when it already
    /// is. With a JQL query, its `ORDER BY` rewritten; `None` when the query does not parse.
    pub(crate) fn sort_href(&self, column: Column) -> Option<String> {
        let order = match self.sorted() {
            Some((c, o)) if c == column => o.reversed(),
            _ => column.first_order(),
        };
        if !self.by_jql() {
            return Some(self.href(|f| {
                f.sort = column;
                f.order = order;
            }));
        }
        let query = tether_jql::parse(&self.jql).ok()?;
        let clause = tether_jql::print::to_jql(&Query { clause: query.clause, order_by: vec![] });
        let sort = format!("ORDER BY {} {}", column.field(), order.as_str().to_uppercase());
        let jql = if clause.is_empty() { sort } else { format!("{clause} {sort}") };
        Some(self.href(|f| f.jql = jql))
    }
}

#[cfg(test)]
mod tests;
