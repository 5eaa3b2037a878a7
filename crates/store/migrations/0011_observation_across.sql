-- Comparisons across regions read one indicator's current totals of every region for one kind
-- of period (a Land view: 400 Kreise × 16 years). An index by indicator and period, holding the
-- region and the value, serves them with one range scan. Partial: only totals of years and
-- 12-month means, so that the monthly values (the bulk of every import) pay nothing for it.
-- Queries repeat the condition `LENGTH(period) <> 7` so that the planner knows it applies.
CREATE INDEX observation_across
    ON observation (indicator_code, period, region_id, value)
    WHERE is_current = 1 AND breakdown = '' AND LENGTH(period) <> 7;
