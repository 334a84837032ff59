-- JQL's `~` over the ingested tickets: English full-text indexes (stems, as Jira's text
-- search) on each ticket's summary and description and on every comment.
CREATE INDEX tickets_summary_words ON tickets USING GIN (to_tsvector('english', summary));
CREATE INDEX tickets_description_words ON tickets USING GIN (to_tsvector('english', coalesce(description, '')));
CREATE INDEX ticket_comments_words ON ticket_comments USING GIN (to_tsvector('english', body));
