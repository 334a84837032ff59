-- Flag configuration changes announced to every tether process on the database: a
-- statement that creates, deletes or moves the `config_version` of environments notifies
-- `tether_config` (once per transaction, at its commit), and each process brings its
-- evaluation snapshots up to date at once instead of at its next poll.
CREATE FUNCTION tether_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tether_config', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER environments_config_changed
    AFTER INSERT OR UPDATE OF config_version OR DELETE ON environments
    FOR EACH STATEMENT EXECUTE FUNCTION tether_config_changed();
