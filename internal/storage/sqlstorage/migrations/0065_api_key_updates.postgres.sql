-- API keys can be updated (PUT /api/api-key/{id}, issue 15): when they last
-- changed is kept beside when they were made (0 for a key never updated).
ALTER TABLE api_keys ADD COLUMN last_update_instant BIGINT NOT NULL DEFAULT 0;
