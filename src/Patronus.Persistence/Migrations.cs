namespace Patronus.Persistence;

/// <summary>One schema step, written once per dialect. Never edit a released migration: add a new one.</summary>
public sealed record Migration(int Version, string Name, string Sqlite, string Postgres);

/// <summary>
/// The versioned schema. Times are stored as INTEGER/BIGINT Unix milliseconds (UTC) in both
/// providers so ordering and range queries behave identically; lists (targets, backup paths) are
/// JSON arrays in TEXT columns.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "sites, links, paths, path health, failover policies and events",
            Sqlite: """
            CREATE TABLE sdwan_sites (
                site_id     TEXT PRIMARY KEY,
                name        TEXT NOT NULL,
                description TEXT,
                source      TEXT NOT NULL CHECK (source IN ('config', 'quickstart', 'api')),
                created_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL
            );
            CREATE TABLE sdwan_links (
                link_id        TEXT PRIMARY KEY,
                site_id        TEXT NOT NULL REFERENCES sdwan_sites(site_id),
                name           TEXT NOT NULL,
                interface      TEXT,
                source_address TEXT,
                gateway        TEXT,
                cost           INTEGER NOT NULL DEFAULT 10,
                source         TEXT NOT NULL CHECK (source IN ('config', 'quickstart', 'api')),
                created_at     INTEGER NOT NULL,
                updated_at     INTEGER NOT NULL
            );
            CREATE INDEX idx_links_site ON sdwan_links(site_id);
            CREATE TABLE sdwan_paths (
                path_id        TEXT PRIMARY KEY,
                name           TEXT NOT NULL,
                link_id        TEXT NOT NULL REFERENCES sdwan_links(link_id),
                remote_site_id TEXT REFERENCES sdwan_sites(site_id),
                targets        TEXT NOT NULL,
                source         TEXT NOT NULL CHECK (source IN ('config', 'quickstart', 'api')),
                created_at     INTEGER NOT NULL,
                updated_at     INTEGER NOT NULL
            );
            CREATE INDEX idx_paths_link ON sdwan_paths(link_id);
            CREATE INDEX idx_paths_remote_site ON sdwan_paths(remote_site_id);
            CREATE TABLE sdwan_path_health (
                health_id       INTEGER PRIMARY KEY AUTOINCREMENT,
                path_id         TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                timestamp       INTEGER NOT NULL,
                latency_ms      REAL NOT NULL,
                packet_loss_pct REAL NOT NULL,
                jitter_ms       REAL NOT NULL,
                health_score    REAL NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('up', 'degraded', 'down'))
            );
            CREATE INDEX idx_path_health_path_time ON sdwan_path_health(path_id, timestamp);
            CREATE TABLE sdwan_failover_policies (
                policy_id           INTEGER PRIMARY KEY AUTOINCREMENT,
                name                TEXT NOT NULL UNIQUE,
                primary_path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id),
                backup_path_ids     TEXT NOT NULL,
                failover_threshold  REAL NOT NULL DEFAULT 50.0,
                failback_threshold  REAL NOT NULL DEFAULT 80.0,
                failback_delay_secs INTEGER NOT NULL DEFAULT 60,
                enabled             INTEGER NOT NULL DEFAULT 1,
                created_at          INTEGER NOT NULL,
                updated_at          INTEGER NOT NULL
            );
            CREATE TABLE sdwan_failover_events (
                event_id     INTEGER PRIMARY KEY AUTOINCREMENT,
                policy_id    INTEGER NOT NULL REFERENCES sdwan_failover_policies(policy_id) ON DELETE CASCADE,
                event_type   TEXT NOT NULL,
                from_path_id TEXT,
                to_path_id   TEXT,
                reason       TEXT NOT NULL DEFAULT '',
                timestamp    INTEGER NOT NULL
            );
            CREATE INDEX idx_failover_events_policy_time ON sdwan_failover_events(policy_id, timestamp);
            """,
            Postgres: """
            CREATE TABLE sdwan_sites (
                site_id     TEXT PRIMARY KEY,
                name        TEXT NOT NULL,
                description TEXT,
                source      TEXT NOT NULL CHECK (source IN ('config', 'quickstart', 'api')),
                created_at  BIGINT NOT NULL,
                updated_at  BIGINT NOT NULL
            );
            CREATE TABLE sdwan_links (
                link_id        TEXT PRIMARY KEY,
                site_id        TEXT NOT NULL REFERENCES sdwan_sites(site_id),
                name           TEXT NOT NULL,
                interface      TEXT,
                source_address TEXT,
                gateway        TEXT,
                cost           INTEGER NOT NULL DEFAULT 10,
                source         TEXT NOT NULL CHECK (source IN ('config', 'quickstart', 'api')),
                created_at     BIGINT NOT NULL,
                updated_at     BIGINT NOT NULL
            );
            CREATE INDEX idx_links_site ON sdwan_links(site_id);
            CREATE TABLE sdwan_paths (
                path_id        TEXT PRIMARY KEY,
                name           TEXT NOT NULL,
                link_id        TEXT NOT NULL REFERENCES sdwan_links(link_id),
                remote_site_id TEXT REFERENCES sdwan_sites(site_id),
                targets        TEXT NOT NULL,
                source         TEXT NOT NULL CHECK (source IN ('config', 'quickstart', 'api')),
                created_at     BIGINT NOT NULL,
                updated_at     BIGINT NOT NULL
            );
            CREATE INDEX idx_paths_link ON sdwan_paths(link_id);
            CREATE INDEX idx_paths_remote_site ON sdwan_paths(remote_site_id);
            CREATE TABLE sdwan_path_health (
                health_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                path_id         TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                timestamp       BIGINT NOT NULL,
                latency_ms      DOUBLE PRECISION NOT NULL,
                packet_loss_pct DOUBLE PRECISION NOT NULL,
                jitter_ms       DOUBLE PRECISION NOT NULL,
                health_score    DOUBLE PRECISION NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('up', 'degraded', 'down'))
            );
            CREATE INDEX idx_path_health_path_time ON sdwan_path_health(path_id, timestamp);
            CREATE TABLE sdwan_failover_policies (
                policy_id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                name                TEXT NOT NULL UNIQUE,
                primary_path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id),
                backup_path_ids     TEXT NOT NULL,
                failover_threshold  DOUBLE PRECISION NOT NULL DEFAULT 50.0,
                failback_threshold  DOUBLE PRECISION NOT NULL DEFAULT 80.0,
                failback_delay_secs INTEGER NOT NULL DEFAULT 60,
                enabled             INTEGER NOT NULL DEFAULT 1,
                created_at          BIGINT NOT NULL,
                updated_at          BIGINT NOT NULL
            );
            CREATE TABLE sdwan_failover_events (
                event_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                policy_id    BIGINT NOT NULL REFERENCES sdwan_failover_policies(policy_id) ON DELETE CASCADE,
                event_type   TEXT NOT NULL,
                from_path_id TEXT,
                to_path_id   TEXT,
                reason       TEXT NOT NULL DEFAULT '',
                timestamp    BIGINT NOT NULL
            );
            CREATE INDEX idx_failover_events_policy_time ON sdwan_failover_events(policy_id, timestamp);
            """),
        new(2, "per-path probe protocol, quorum and scoring thresholds",
            Sqlite: """
            ALTER TABLE sdwan_paths ADD COLUMN probe TEXT NOT NULL DEFAULT 'stamp' CHECK (probe IN ('stamp', 'icmp'));
            ALTER TABLE sdwan_paths ADD COLUMN quorum INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE sdwan_paths ADD COLUMN latency_threshold_ms REAL;
            ALTER TABLE sdwan_paths ADD COLUMN loss_threshold_pct REAL;
            ALTER TABLE sdwan_paths ADD COLUMN jitter_threshold_ms REAL;
            """,
            Postgres: """
            ALTER TABLE sdwan_paths ADD COLUMN probe TEXT NOT NULL DEFAULT 'stamp' CHECK (probe IN ('stamp', 'icmp'));
            ALTER TABLE sdwan_paths ADD COLUMN quorum INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE sdwan_paths ADD COLUMN latency_threshold_ms DOUBLE PRECISION;
            ALTER TABLE sdwan_paths ADD COLUMN loss_threshold_pct DOUBLE PRECISION;
            ALTER TABLE sdwan_paths ADD COLUMN jitter_threshold_ms DOUBLE PRECISION;
            """),

        // Rollup and retention jobs scan by time across all paths, hence the time-first indexes
        // (the (path_id, …) keys serve per-path history reads); the 1-minute one also covers
        // samples, which the hour rollup sums to tell whether an hour changed. SQLite keeps the rollup tables
        // WITHOUT ROWID so a path's buckets sit together in the primary key's b-tree.
        new(3, "path status events, 1-minute and 1-hour health rollups",
            Sqlite: """
            CREATE TABLE sdwan_path_events (
                event_id        INTEGER PRIMARY KEY AUTOINCREMENT,
                path_id         TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                timestamp       INTEGER NOT NULL,
                from_status     TEXT CHECK (from_status IN ('up', 'degraded', 'down')),
                to_status       TEXT NOT NULL CHECK (to_status IN ('up', 'degraded', 'down')),
                health_score    REAL NOT NULL,
                latency_ms      REAL NOT NULL,
                packet_loss_pct REAL NOT NULL,
                jitter_ms       REAL NOT NULL,
                reason          TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX idx_path_events_path_time ON sdwan_path_events(path_id, timestamp);
            CREATE INDEX idx_path_health_time ON sdwan_path_health(timestamp);
            CREATE TABLE sdwan_path_health_1m (
                path_id        TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                bucket_start   INTEGER NOT NULL,
                samples        INTEGER NOT NULL,
                latency_avg_ms REAL NOT NULL,
                latency_min_ms REAL NOT NULL,
                latency_max_ms REAL NOT NULL,
                latency_p95_ms REAL NOT NULL,
                loss_avg_pct   REAL NOT NULL,
                jitter_avg_ms  REAL NOT NULL,
                score_avg      REAL NOT NULL,
                score_min      REAL NOT NULL,
                up_samples     INTEGER NOT NULL,
                PRIMARY KEY (path_id, bucket_start)
            ) WITHOUT ROWID;
            CREATE INDEX idx_path_health_1m_bucket ON sdwan_path_health_1m(bucket_start, samples);
            CREATE TABLE sdwan_path_health_1h (
                path_id        TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                bucket_start   INTEGER NOT NULL,
                samples        INTEGER NOT NULL,
                latency_avg_ms REAL NOT NULL,
                latency_min_ms REAL NOT NULL,
                latency_max_ms REAL NOT NULL,
                latency_p95_ms REAL NOT NULL,
                loss_avg_pct   REAL NOT NULL,
                jitter_avg_ms  REAL NOT NULL,
                score_avg      REAL NOT NULL,
                score_min      REAL NOT NULL,
                up_samples     INTEGER NOT NULL,
                PRIMARY KEY (path_id, bucket_start)
            ) WITHOUT ROWID;
            CREATE INDEX idx_path_health_1h_bucket ON sdwan_path_health_1h(bucket_start);
            """,
            Postgres: """
            CREATE TABLE sdwan_path_events (
                event_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                path_id         TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                timestamp       BIGINT NOT NULL,
                from_status     TEXT CHECK (from_status IN ('up', 'degraded', 'down')),
                to_status       TEXT NOT NULL CHECK (to_status IN ('up', 'degraded', 'down')),
                health_score    DOUBLE PRECISION NOT NULL,
                latency_ms      DOUBLE PRECISION NOT NULL,
                packet_loss_pct DOUBLE PRECISION NOT NULL,
                jitter_ms       DOUBLE PRECISION NOT NULL,
                reason          TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX idx_path_events_path_time ON sdwan_path_events(path_id, timestamp);
            CREATE INDEX idx_path_health_time ON sdwan_path_health(timestamp);
            CREATE TABLE sdwan_path_health_1m (
                path_id        TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                bucket_start   BIGINT NOT NULL,
                samples        INTEGER NOT NULL,
                latency_avg_ms DOUBLE PRECISION NOT NULL,
                latency_min_ms DOUBLE PRECISION NOT NULL,
                latency_max_ms DOUBLE PRECISION NOT NULL,
                latency_p95_ms DOUBLE PRECISION NOT NULL,
                loss_avg_pct   DOUBLE PRECISION NOT NULL,
                jitter_avg_ms  DOUBLE PRECISION NOT NULL,
                score_avg      DOUBLE PRECISION NOT NULL,
                score_min      DOUBLE PRECISION NOT NULL,
                up_samples     INTEGER NOT NULL,
                PRIMARY KEY (path_id, bucket_start)
            );
            CREATE INDEX idx_path_health_1m_bucket ON sdwan_path_health_1m(bucket_start, samples);
            CREATE TABLE sdwan_path_health_1h (
                path_id        TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                bucket_start   BIGINT NOT NULL,
                samples        INTEGER NOT NULL,
                latency_avg_ms DOUBLE PRECISION NOT NULL,
                latency_min_ms DOUBLE PRECISION NOT NULL,
                latency_max_ms DOUBLE PRECISION NOT NULL,
                latency_p95_ms DOUBLE PRECISION NOT NULL,
                loss_avg_pct   DOUBLE PRECISION NOT NULL,
                jitter_avg_ms  DOUBLE PRECISION NOT NULL,
                score_avg      DOUBLE PRECISION NOT NULL,
                score_min      DOUBLE PRECISION NOT NULL,
                up_samples     INTEGER NOT NULL,
                PRIMARY KEY (path_id, bucket_start)
            );
            CREATE INDEX idx_path_health_1h_bucket ON sdwan_path_health_1h(bucket_start);
            """),

        // A path's BFD session settings as one JSON document (BfdSettingsJson): they are read and
        // written with the path, never queried by field, and new fields need no migration.
        new(4, "per-path BFD session settings",
            Sqlite: "ALTER TABLE sdwan_paths ADD COLUMN bfd TEXT;",
            Postgres: "ALTER TABLE sdwan_paths ADD COLUMN bfd TEXT;"),

        // Policies come from config (read-only, matched by name) or the API, and steer prefixes
        // (a JSON list, read with the policy). Events keep the path inputs that caused them.
        new(5, "failover policy source and prefixes, event details",
            Sqlite: """
            ALTER TABLE sdwan_failover_policies ADD COLUMN source TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('config', 'api'));
            ALTER TABLE sdwan_failover_policies ADD COLUMN prefixes TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE sdwan_failover_events ADD COLUMN details TEXT;
            CREATE INDEX idx_failover_events_time ON sdwan_failover_events(timestamp);
            """,
            Postgres: """
            ALTER TABLE sdwan_failover_policies ADD COLUMN source TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('config', 'api'));
            ALTER TABLE sdwan_failover_policies ADD COLUMN prefixes TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE sdwan_failover_events ADD COLUMN details TEXT;
            CREATE INDEX idx_failover_events_time ON sdwan_failover_events(timestamp);
            """),

        // Users, refresh tokens, the audit log and secrets (the JWT signing key shared by every
        // instance). token_version is bumped by every password, role or disabled change and access
        // tokens carry it, so those changes end every session at once. Refresh tokens are opaque and
        // stored as SHA-256 hashes only; a family is one login's chain of rotations.
        new(6, "users, refresh tokens, audit log, secrets",
            Sqlite: """
            CREATE TABLE sdwan_users (
                username      TEXT PRIMARY KEY,
                role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
                password_hash TEXT NOT NULL,
                disabled      INTEGER NOT NULL DEFAULT 0,
                token_version INTEGER NOT NULL DEFAULT 1,
                created_at    INTEGER NOT NULL,
                updated_at    INTEGER NOT NULL
            );
            CREATE TABLE sdwan_refresh_tokens (
                token_hash  TEXT PRIMARY KEY,
                family_id   TEXT NOT NULL,
                username    TEXT NOT NULL REFERENCES sdwan_users(username) ON DELETE CASCADE,
                issued_at   INTEGER NOT NULL,
                expires_at  INTEGER NOT NULL,
                consumed_at INTEGER,
                revoked_at  INTEGER
            );
            CREATE INDEX idx_refresh_tokens_family ON sdwan_refresh_tokens(family_id);
            CREATE INDEX idx_refresh_tokens_user ON sdwan_refresh_tokens(username);
            CREATE INDEX idx_refresh_tokens_expiry ON sdwan_refresh_tokens(expires_at);
            CREATE TABLE sdwan_audit_log (
                audit_id       INTEGER PRIMARY KEY AUTOINCREMENT,
                timestamp      INTEGER NOT NULL,
                username       TEXT,
                action         TEXT NOT NULL,
                target         TEXT,
                client_address TEXT,
                result         TEXT NOT NULL,
                status_code    INTEGER NOT NULL,
                detail         TEXT
            );
            CREATE INDEX idx_audit_log_time ON sdwan_audit_log(timestamp);
            CREATE TABLE sdwan_secrets (
                name       TEXT PRIMARY KEY,
                value      TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );
            """,
            Postgres: """
            CREATE TABLE sdwan_users (
                username      TEXT PRIMARY KEY,
                role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
                password_hash TEXT NOT NULL,
                disabled      INTEGER NOT NULL DEFAULT 0,
                token_version BIGINT NOT NULL DEFAULT 1,
                created_at    BIGINT NOT NULL,
                updated_at    BIGINT NOT NULL
            );
            CREATE TABLE sdwan_refresh_tokens (
                token_hash  TEXT PRIMARY KEY,
                family_id   TEXT NOT NULL,
                username    TEXT NOT NULL REFERENCES sdwan_users(username) ON DELETE CASCADE,
                issued_at   BIGINT NOT NULL,
                expires_at  BIGINT NOT NULL,
                consumed_at BIGINT,
                revoked_at  BIGINT
            );
            CREATE INDEX idx_refresh_tokens_family ON sdwan_refresh_tokens(family_id);
            CREATE INDEX idx_refresh_tokens_user ON sdwan_refresh_tokens(username);
            CREATE INDEX idx_refresh_tokens_expiry ON sdwan_refresh_tokens(expires_at);
            CREATE TABLE sdwan_audit_log (
                audit_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                timestamp      BIGINT NOT NULL,
                username       TEXT,
                action         TEXT NOT NULL,
                target         TEXT,
                client_address TEXT,
                result         TEXT NOT NULL,
                status_code    INTEGER NOT NULL,
                detail         TEXT
            );
            CREATE INDEX idx_audit_log_time ON sdwan_audit_log(timestamp);
            CREATE TABLE sdwan_secrets (
                name       TEXT PRIMARY KEY,
                value      TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            """),

        // One policy per prefix, held by the database: the prefix is the primary key, so of two
        // writers claiming one prefix at once (two API requests, two controllers) one gets a
        // conflict, which validation alone — read, then write — cannot promise. Existing rows are
        // kept as they are; a prefix that several policies already list (possible before this
        // version) is claimed by the oldest of them (lowest policy_id). The others keep it in their
        // list, so nothing is lost and no route changes at the upgrade, but none of them can be
        // saved again until the prefix is removed from it (docs/storage.md shows how to find them).
        new(7, "failover prefix claims: one policy per prefix",
            Sqlite: """
            CREATE TABLE sdwan_failover_prefixes (
                prefix    TEXT PRIMARY KEY,
                policy_id INTEGER NOT NULL REFERENCES sdwan_failover_policies(policy_id) ON DELETE CASCADE
            );
            CREATE INDEX idx_failover_prefixes_policy ON sdwan_failover_prefixes(policy_id);
            INSERT INTO sdwan_failover_prefixes (prefix, policy_id)
            SELECT j.value, MIN(p.policy_id) FROM sdwan_failover_policies p, json_each(p.prefixes) j GROUP BY j.value;
            """,
            Postgres: """
            CREATE TABLE sdwan_failover_prefixes (
                prefix    TEXT PRIMARY KEY,
                policy_id BIGINT NOT NULL REFERENCES sdwan_failover_policies(policy_id) ON DELETE CASCADE
            );
            CREATE INDEX idx_failover_prefixes_policy ON sdwan_failover_prefixes(policy_id);
            INSERT INTO sdwan_failover_prefixes (prefix, policy_id)
            SELECT j.value, MIN(p.policy_id) FROM sdwan_failover_policies p
            CROSS JOIN LATERAL jsonb_array_elements_text(p.prefixes::jsonb) AS j(value) GROUP BY j.value;
            """),

        // Retention of status events deletes by time across all paths: a time-first index, as the
        // samples got in version 3 (the failover events and the audit log have theirs since 5 and 6).
        new(8, "time index on path status events for retention",
            Sqlite: "CREATE INDEX idx_path_events_time ON sdwan_path_events(timestamp);",
            Postgres: "CREATE INDEX idx_path_events_time ON sdwan_path_events(timestamp);"),

        // Packed health history (docs/storage.md, History storage): one row per path per block of
        // buckets (10 s: 10 minutes; 1 min: 1 hour; 1 h: 1 day), the buckets a compact BLOB
        // (HealthBlockCodec). Rowid tables in SQLite, not WITHOUT ROWID: a block of 60 records
        // (~1 KB) would overflow a WITHOUT ROWID page's ~1 KB cell limit but fits a rowid row's ~4 KB.
        // The time index serves retention and the rollups, which read every path's blocks of one
        // time range. sdwan_path_health_rollups holds how far each rollup level has got. The old
        // row-per-bucket tables stay readable until their rows age out; raw samples are now opt-in.
        // PostgreSQL: every append or rollup write leaves a dead row version, so the two blocks that are
        // rewritten all day get vacuumed every 5,000 dead rows (each autovacuum wake-up, once a minute
        // at 10,000 paths) instead of at 20 % of the table (every ~5 min): measured 29.6 instead of
        // 142 octets per 10-second bucket (docs/storage.md).
        new(9, "packed 10-second, 1-minute and 1-hour health blocks",
            Sqlite: """
            CREATE TABLE sdwan_path_health_10s (
                path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                block_start INTEGER NOT NULL,
                data        BLOB NOT NULL,
                PRIMARY KEY (path_id, block_start)
            );
            CREATE INDEX idx_path_health_10s_time ON sdwan_path_health_10s(block_start);
            CREATE TABLE sdwan_path_health_1m_blocks (
                path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                block_start INTEGER NOT NULL,
                data        BLOB NOT NULL,
                PRIMARY KEY (path_id, block_start)
            );
            CREATE INDEX idx_path_health_1m_blocks_time ON sdwan_path_health_1m_blocks(block_start);
            CREATE TABLE sdwan_path_health_1h_blocks (
                path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                block_start INTEGER NOT NULL,
                data        BLOB NOT NULL,
                PRIMARY KEY (path_id, block_start)
            );
            CREATE INDEX idx_path_health_1h_blocks_time ON sdwan_path_health_1h_blocks(block_start);
            CREATE TABLE sdwan_path_health_rollups (
                resolution      TEXT PRIMARY KEY,
                rolled_up_until INTEGER NOT NULL
            );
            """,
            Postgres: """
            CREATE TABLE sdwan_path_health_10s (
                path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                block_start BIGINT NOT NULL,
                data        BYTEA NOT NULL,
                PRIMARY KEY (path_id, block_start)
            );
            CREATE INDEX idx_path_health_10s_time ON sdwan_path_health_10s(block_start);
            CREATE TABLE sdwan_path_health_1m_blocks (
                path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                block_start BIGINT NOT NULL,
                data        BYTEA NOT NULL,
                PRIMARY KEY (path_id, block_start)
            );
            CREATE INDEX idx_path_health_1m_blocks_time ON sdwan_path_health_1m_blocks(block_start);
            CREATE TABLE sdwan_path_health_1h_blocks (
                path_id     TEXT NOT NULL REFERENCES sdwan_paths(path_id) ON DELETE CASCADE,
                block_start BIGINT NOT NULL,
                data        BYTEA NOT NULL,
                PRIMARY KEY (path_id, block_start)
            );
            CREATE INDEX idx_path_health_1h_blocks_time ON sdwan_path_health_1h_blocks(block_start);
            CREATE TABLE sdwan_path_health_rollups (
                resolution      TEXT PRIMARY KEY,
                rolled_up_until BIGINT NOT NULL
            );
            ALTER TABLE sdwan_path_health_10s SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
            ALTER TABLE sdwan_path_health_1m_blocks SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
            """),

        // Controller high availability (docs/ha.md): one heartbeat row per instance and the one
        // leader lease row, both stamped with the database's clock (Unix ms, as every time here).
        // The lease row exists from the start (term 0, no holder), so acquiring it is always one
        // conditional UPDATE — never an INSERT race. Leader-only writes check it in their own
        // transaction (SqlStore.Cluster.cs). Unused on SQLite, where one instance is the leader.
        new(10, "cluster heartbeats and the leader lease",
            Sqlite: """
            CREATE TABLE cluster_nodes (
                node_id        TEXT PRIMARY KEY,
                url            TEXT NOT NULL,
                version        TEXT NOT NULL,
                leader         INTEGER NOT NULL,
                term           INTEGER NOT NULL,
                started_at     INTEGER NOT NULL,
                last_heartbeat INTEGER NOT NULL
            );
            CREATE TABLE cluster_lease (
                name        TEXT PRIMARY KEY,
                holder      TEXT,
                term        INTEGER NOT NULL,
                acquired_at INTEGER,
                expires_at  INTEGER NOT NULL
            );
            INSERT INTO cluster_lease (name, holder, term, acquired_at, expires_at) VALUES ('leader', NULL, 0, NULL, 0);
            """,
            Postgres: """
            CREATE TABLE cluster_nodes (
                node_id        TEXT PRIMARY KEY,
                url            TEXT NOT NULL,
                version        TEXT NOT NULL,
                leader         INTEGER NOT NULL,
                term           BIGINT NOT NULL,
                started_at     BIGINT NOT NULL,
                last_heartbeat BIGINT NOT NULL
            );
            CREATE TABLE cluster_lease (
                name        TEXT PRIMARY KEY,
                holder      TEXT,
                term        BIGINT NOT NULL,
                acquired_at BIGINT,
                expires_at  BIGINT NOT NULL
            );
            INSERT INTO cluster_lease (name, holder, term, acquired_at, expires_at) VALUES ('leader', NULL, 0, NULL, 0);
            """),

        // Safe retries (docs/ha.md): the REST API's writes sent with an Idempotency-Key, one row per
        // user + method + path + key, pending (status NULL, claimed until claimed_until) while the
        // first request runs, then its response for replay until expires_at. Shared by every node.
        new(11, "idempotency keys of REST writes",
            Sqlite: """
            CREATE TABLE idempotency_keys (
                user_name     TEXT NOT NULL,
                method        TEXT NOT NULL,
                path          TEXT NOT NULL,
                idem_key      TEXT NOT NULL,
                fingerprint   TEXT NOT NULL,
                status        INTEGER,
                content_type  TEXT,
                location      TEXT,
                body          BLOB,
                claimed_until INTEGER NOT NULL,
                expires_at    INTEGER NOT NULL,
                PRIMARY KEY (user_name, method, path, idem_key)
            );
            CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys(expires_at);
            """,
            Postgres: """
            CREATE TABLE idempotency_keys (
                user_name     TEXT NOT NULL,
                method        TEXT NOT NULL,
                path          TEXT NOT NULL,
                idem_key      TEXT NOT NULL,
                fingerprint   TEXT NOT NULL,
                status        INTEGER,
                content_type  TEXT,
                location      TEXT,
                body          BYTEA,
                claimed_until BIGINT NOT NULL,
                expires_at    BIGINT NOT NULL,
                PRIMARY KEY (user_name, method, path, idem_key)
            );
            CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys(expires_at);
            """),

        // Fencing, auditable (docs/ha.md): each row a leader-only write stores records the lease term
        // it was written under — raw samples, status events, failover events, and the health blocks
        // (the term of the write that last appended to or rewrote the block). NULL: written before
        // this migration, or by a tool without a leadership. A plain nullable column: adding it
        // rewrites nothing in either dialect.
        new(12, "lease term on rows written by the leader",
            Sqlite: """
            ALTER TABLE sdwan_path_health ADD COLUMN term INTEGER;
            ALTER TABLE sdwan_path_events ADD COLUMN term INTEGER;
            ALTER TABLE sdwan_failover_events ADD COLUMN term INTEGER;
            ALTER TABLE sdwan_path_health_10s ADD COLUMN term INTEGER;
            ALTER TABLE sdwan_path_health_1m_blocks ADD COLUMN term INTEGER;
            ALTER TABLE sdwan_path_health_1h_blocks ADD COLUMN term INTEGER;
            """,
            Postgres: """
            ALTER TABLE sdwan_path_health ADD COLUMN term BIGINT;
            ALTER TABLE sdwan_path_events ADD COLUMN term BIGINT;
            ALTER TABLE sdwan_failover_events ADD COLUMN term BIGINT;
            ALTER TABLE sdwan_path_health_10s ADD COLUMN term BIGINT;
            ALTER TABLE sdwan_path_health_1m_blocks ADD COLUMN term BIGINT;
            ALTER TABLE sdwan_path_health_1h_blocks ADD COLUMN term BIGINT;
            """),

        // Class policies (docs/tunnels.md, "Traffic classes"): a policy may name a traffic class,
        // and then steers only that class's packets, so one prefix may be held by one policy per
        // class and by one without ('' in the claims table, which has a primary key and so no
        // NULL). The claims' key becomes (prefix, traffic_class); existing claims are class-less.
        // SQLite cannot change a primary key in place: the table is rebuilt, rows copied.
        new(13, "failover policies per traffic class",
            Sqlite: """
            ALTER TABLE sdwan_failover_policies ADD COLUMN traffic_class TEXT;
            CREATE TABLE sdwan_failover_prefixes_v13 (
                prefix        TEXT NOT NULL,
                traffic_class TEXT NOT NULL DEFAULT '',
                policy_id     INTEGER NOT NULL REFERENCES sdwan_failover_policies(policy_id) ON DELETE CASCADE,
                PRIMARY KEY (prefix, traffic_class)
            );
            INSERT INTO sdwan_failover_prefixes_v13 (prefix, traffic_class, policy_id) SELECT prefix, '', policy_id FROM sdwan_failover_prefixes;
            DROP TABLE sdwan_failover_prefixes;
            ALTER TABLE sdwan_failover_prefixes_v13 RENAME TO sdwan_failover_prefixes;
            CREATE INDEX idx_failover_prefixes_policy ON sdwan_failover_prefixes(policy_id);
            """,
            Postgres: """
            ALTER TABLE sdwan_failover_policies ADD COLUMN traffic_class TEXT;
            ALTER TABLE sdwan_failover_prefixes ADD COLUMN traffic_class TEXT NOT NULL DEFAULT '';
            ALTER TABLE sdwan_failover_prefixes DROP CONSTRAINT sdwan_failover_prefixes_pkey;
            ALTER TABLE sdwan_failover_prefixes ADD PRIMARY KEY (prefix, traffic_class);
            """),
    ];
}
