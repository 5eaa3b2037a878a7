-- Handlungsansätze of the planning document are edited in the application like goals: a revision
-- guards each edit (optimistic locking).
ALTER TABLE measure ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
