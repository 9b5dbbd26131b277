-- Tables owned by the user service (see CONTRACT.md). The presence service only
-- reads them; this file creates them for tests and local runs.
CREATE TABLE IF NOT EXISTS user_table (
  user_id text PRIMARY KEY,
  email text UNIQUE NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  share_mode text NOT NULL DEFAULT 'default_none' CHECK (share_mode IN ('default_none', 'default_all')),
  domain_allow_array text[] NOT NULL DEFAULT '{}',
  domain_deny_array text[] NOT NULL DEFAULT '{}',
  profile_image_extension text NULL
);

CREATE TABLE IF NOT EXISTS friendship_table (
  user_id1 text NOT NULL,
  user_id2 text NOT NULL,
  requested_at timestamp NOT NULL DEFAULT now(),
  accepted_at timestamp NULL,
  PRIMARY KEY (user_id1, user_id2)
);

-- The user service's index for lookups by the second member of a pair.
CREATE INDEX IF NOT EXISTS friendship_table_user_id2_idx ON friendship_table (user_id2);
