-- Scores per profile. id is local to this service and never leaves it.
CREATE TABLE scores (
    id          INTEGER PRIMARY KEY,
    profile_id  TEXT    NOT NULL UNIQUE,
    score       BIGINT  NOT NULL,
    events      BIGINT  NOT NULL,
    last_dtid   TEXT    NOT NULL DEFAULT '',
    updated_at  TEXT    NOT NULL
);
CREATE INDEX scores_by_score ON scores (score DESC);

-- The last stream sequence applied per partition, written in the same
-- transaction as the scores: after a crash, anything at or below it was
-- already counted and is skipped.
CREATE TABLE scoring_offsets (
    partition_id INTEGER PRIMARY KEY,
    stream_seq   BIGINT  NOT NULL,
    updated_at   TEXT    NOT NULL
);
