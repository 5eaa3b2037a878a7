-- Goal areas and indicators of an agreement's own are edited in the application like goals and
-- Handlungsansätze: a revision guards each edit (optimistic locking).
ALTER TABLE goal_area ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE indicator ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
