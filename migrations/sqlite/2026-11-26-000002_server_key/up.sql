-- Facts about the deployment as a whole. `server_key_fingerprint` names
-- the server key the database was first used with: a process started with
-- another key is refused, since links it mints would open nowhere.
CREATE TABLE deployment (
    name text PRIMARY KEY,
    value text NOT NULL
);
