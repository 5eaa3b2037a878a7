-- Known breaks in an agreement's indicator series (docs/forecast.md): from `month` on the series
-- stands at another level (refugees from Ukraine moving into the SGB II in June 2022, the
-- pandemic), and its forecasts take their level from there.
CREATE TABLE series_break (
    agreement_id TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    indicator    TEXT NOT NULL,
    month        TEXT NOT NULL,
    position     INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (agreement_id, indicator, month)
);
