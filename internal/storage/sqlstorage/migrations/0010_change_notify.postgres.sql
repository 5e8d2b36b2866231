-- Change notifications for the caches of other nodes (storage.ChangeFeed):
-- every write to a record some node keeps in memory sends a NOTIFY on
-- channel latchkey_changes from inside the writing transaction, so it is
-- delivered exactly when the change commits, and never for a rollback.
-- Triggers, not statements in the Go code, so no write path (a new method,
-- a Kickstart, an operator's manual UPDATE) can forget it. The payload names
-- the schema because channels are database-wide and several latchkey schemas
-- may share one database; listeners ignore other schemas. PostgreSQL only:
-- SQLite serves one node. (Numbered 0010 to leave 0004-0009 to work in
-- flight on other branches.)
CREATE FUNCTION latchkey_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rec_id TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        rec_id := OLD.id::text;
    ELSE
        rec_id := NEW.id::text;
    END IF;
    PERFORM pg_notify('latchkey_changes',
        json_build_object('schema', TG_TABLE_SCHEMA, 'kind', TG_ARGV[0], 'id', rec_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('tenant');
CREATE TRIGGER applications_notify AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('application');
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('signing_key');
CREATE TRIGGER api_keys_notify AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('api_key');
CREATE TRIGGER system_configuration_notify AFTER INSERT OR UPDATE OR DELETE ON system_configuration
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('system_configuration');
