-- User accounts (DESIGN §5, identity). Sessions are not here: they live in Redis with a TTL.
-- Usernames are stored lower-case so that uniqueness is case-insensitive without a functional index;
-- the service normalizes before writing, and the CHECK makes any other writer obey too.

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL,
    -- bcrypt, modular crypt format ($2b$<cost>$<salt+hash>); never the password.
    password_hash  text NOT NULL,
    role           text NOT NULL,
    -- Disabled users cannot log in; disabling also revokes their sessions in Redis.
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_unique UNIQUE (username),
    CONSTRAINT users_username_lower_case CHECK (username = lower(username)),
    CONSTRAINT users_role_check CHECK (role IN ('admin', 'planner', 'dispatcher', 'payroll', 'analyst')),
    CONSTRAINT users_password_hash_bcrypt CHECK (password_hash LIKE '$2_$%')
);
