-- The code mentions of a ticket, found as the store asks for them: by the key in upper case
-- (`upper(m.issue_key) = upper(t.key)`, as keys are matched whatever their case), and kind.
-- `dev_mentions_by_issue` is on the key as written, which that expression cannot use: the
-- insight's first commit per ticket read every mention for each ticket (a project's 10,000
-- tickets against 20,000 commit mentions took over two minutes on SQLite), as did JQL's
-- `"commit"`, `pullRequest` and `development[…]` per ticket.
CREATE INDEX dev_mentions_by_upper_key ON dev_mentions (upper(issue_key), kind, at);
