-- Superseded refresh-token values are no longer purged by age (issue 13):
-- a value names its family, so reuse is detected from the family's row for
-- the family's whole life, and the history rows still written (values of the
-- earlier format, rotated once each) go with their family (ON DELETE
-- CASCADE). The index that let the janitor find old history rows is unused.
DROP INDEX IF EXISTS refresh_token_history_superseded;
