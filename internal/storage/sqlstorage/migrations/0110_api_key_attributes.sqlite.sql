-- An API key keeps its metaData.attributes besides "description" (which has
-- its own column), as FusionAuth does: a JSON object of strings, '{}' when
-- none (every key stored before this migration).
ALTER TABLE api_keys ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
