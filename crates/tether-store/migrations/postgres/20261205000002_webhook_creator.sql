-- The API token that created a webhook (postgres): deliveries carry only events of
-- projects that token may view. Webhooks made before this have none and stay
-- as they were (every project).

ALTER TABLE webhooks ADD COLUMN created_by BIGINT REFERENCES api_tokens (id);
