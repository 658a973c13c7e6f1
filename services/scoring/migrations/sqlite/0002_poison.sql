-- Rows the database refused for good (a score out of range, say), kept
-- with the reason instead of stalling the partition: by the time a batch is
-- written its events are folded per profile, so the aggregate and the
-- stream sequences it spans are what can be kept.
CREATE TABLE scoring_poison (
    id           INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL,
    first_seq    BIGINT  NOT NULL,
    last_seq     BIGINT  NOT NULL,
    profile_id   TEXT    NOT NULL,
    score        BIGINT  NOT NULL,
    events       BIGINT  NOT NULL,
    reason       TEXT    NOT NULL,
    error        TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);

-- SQLite turns an integer overflow into a float without an error; these
-- make it an error, as PostgreSQL's BIGINT arithmetic does, so that a score
-- never silently stops being exact.
CREATE TRIGGER scores_stay_integers_on_insert BEFORE INSERT ON scores
WHEN typeof(NEW.score) <> 'integer' OR typeof(NEW.events) <> 'integer'
BEGIN SELECT RAISE(ABORT, 'score out of the 64-bit integer range'); END;
CREATE TRIGGER scores_stay_integers_on_update BEFORE UPDATE ON scores
WHEN typeof(NEW.score) <> 'integer' OR typeof(NEW.events) <> 'integer'
BEGIN SELECT RAISE(ABORT, 'score out of the 64-bit integer range'); END;
