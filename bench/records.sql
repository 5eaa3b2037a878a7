-- The components and the 15 key figures of every Jobcenter and month from the record files of
-- bench/records.sh, as DuckDB SQL: the yardstick of issue 23. `:dir` is replaced by the
-- directory, months 0 … 47 are January 2019 … December 2022 (index -1 is December 2018).
-- It relies on what the generator guarantees and the engine does not need: a person's spells,
-- and their employment periods, do not overlap. The rules are those of docs/records.md.

CREATE TEMP TABLE s AS
SELECT person, jobcenter, von, coalesce(bis, DATE '9999-12-31') AS bis,
       erwerbsfaehig = 'ja' AS elb, alleinerziehend = 'ja' AS ae
FROM read_csv(':dir/leistungszeitraeume.csv', delim = ';', header = true, dateformat = '%d.%m.%Y',
              columns = {'person': 'UINTEGER', 'bg': 'UINTEGER', 'jobcenter': 'VARCHAR',
                         'von': 'DATE', 'bis': 'DATE', 'erwerbsfaehig': 'VARCHAR',
                         'alleinerziehend': 'VARCHAR'});

CREATE TEMP TABLE months AS
SELECT i, (DATE '2019-01-01' + to_months(i + 1) - INTERVAL 1 DAY)::DATE AS e
FROM range(-1, 54) t(i);

CREATE TEMP MACRO month_of(d) AS (year(d) - 2019) * 12 + month(d) - 1;

-- An ELB's status at every reporting date, with the days of need in the 730 days before.
CREATE TEMP TABLE st AS
SELECT s.person, m.i, m.e, s.jobcenter, s.ae, s.von, s.earlier
FROM (
    SELECT *, unnest(range(greatest(month_of(von), -1),
                           least(month_of(bis) - CASE WHEN bis = last_day(bis) THEN 0 ELSE 1 END, 47) + 1)) AS i
    FROM (
        SELECT *, list({'von': von, 'bis': bis}) OVER (PARTITION BY person ORDER BY von
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier
        FROM s
    ) WHERE elb
) s JOIN months m USING (i);

-- The days of need in the 730 days before: the spell of the day itself, and the person's
-- earlier spells as far as they reach into the window (a person's spells do not overlap).
CREATE TEMP TABLE status AS
SELECT person, i, e, jobcenter, ae,
       datediff('day', greatest(von, e - 729), e) + 1
         + coalesce(list_sum(list_transform(earlier, lambda p:
             greatest(0, datediff('day', greatest(p.von, e - 729), p.bis) + 1))), 0)
         >= 638 AS lzb
FROM st;

CREATE TEMP TABLE measures AS
SELECT person, von, coalesce(bis, DATE '9999-12-31') AS bis
FROM read_csv(':dir/massnahmen.csv', delim = ';', header = true, dateformat = '%d.%m.%Y',
              columns = {'person': 'UINTEGER', 'von': 'DATE', 'bis': 'DATE'});

CREATE TEMP TABLE active AS
SELECT DISTINCT st.person, st.i
FROM status st JOIN measures p ON p.person = st.person AND p.von <= st.e AND p.bis >= st.e
WHERE st.lzb;

CREATE TEMP TABLE stocks AS
SELECT st.jobcenter, st.i,
       count(*) AS elb,
       count(*) FILTER (WHERE st.ae) AS elb_ae,
       count(*) FILTER (WHERE st.lzb) AS lzb,
       count(a.person) AS lzb_aktiv
FROM status st LEFT JOIN active a USING (person, i)
WHERE st.i >= 0
GROUP BY ALL;

CREATE TEMP TABLE l AS SELECT person, i, jobcenter FROM status WHERE lzb;

CREATE TEMP TABLE lzb_flows AS
WITH x AS (
    SELECT person, i, jobcenter, lag(i) OVER w AS pi, lead(i) OVER w AS ni
    FROM l WINDOW w AS (PARTITION BY person ORDER BY i)
)
SELECT jobcenter, i, sum(zugang) AS lzb_zugang, sum(abgang) AS lzb_abgang FROM (
    SELECT jobcenter, i, 1 AS zugang, 0 AS abgang FROM x
    WHERE i >= 0 AND (pi IS NULL OR pi <> i - 1)
    UNION ALL
    SELECT jobcenter, i + 1, 0, 1 FROM x
    WHERE i + 1 <= 47 AND (ni IS NULL OR ni <> i + 1)
) GROUP BY ALL;

-- Inflows and outflows of ELB: the spells in order, a person's neighbours without a gap.
CREATE TEMP TABLE elb_flows AS
WITH seq AS (
    SELECT *, lag(bis) OVER w AS pbis, lag(elb) OVER w AS pelb,
           lead(von) OVER w AS nvon, lead(elb) OVER w AS nelb
    FROM s WINDOW w AS (PARTITION BY person ORDER BY von)
)
SELECT jobcenter, i, sum(zugang) AS elb_zugang, sum(abgang) AS elb_abgang FROM (
    SELECT jobcenter, month_of(von) AS i, 1 AS zugang, 0 AS abgang FROM seq
    WHERE elb AND (pbis IS NULL OR pbis + 1 < von OR NOT pelb)
    UNION ALL
    SELECT jobcenter, month_of(bis + 1), 0, 1 FROM seq
    WHERE elb AND bis < DATE '9999-12-31' AND (nvon IS NULL OR nvon > bis + 1 OR NOT nelb)
) WHERE i BETWEEN 0 AND 47 GROUP BY ALL;

-- Integrations: the status on the day before, or on the day itself; at most one per person,
-- month and kind of count, the first (by date, then in the engine's order of kinds).
CREATE TEMP TABLE ints AS
SELECT person, datum,
       CASE art WHEN 'sv_beschaeftigung' THEN 0 WHEN 'ausbildung' THEN 1
                WHEN 'selbststaendig' THEN 2 WHEN 'geringfuegig' THEN 3 ELSE 4 END AS k
FROM read_csv(':dir/integrationen.csv', delim = ';', header = true, dateformat = '%d.%m.%Y',
              columns = {'person': 'UINTEGER', 'datum': 'DATE', 'art': 'VARCHAR'});

CREATE TEMP TABLE counted AS
WITH located AS (
    SELECT i.person, i.datum, i.k, month_of(i.datum) AS m,
           CASE WHEN s1.person IS NOT NULL THEN i.datum - 1 ELSE i.datum END AS sd,
           coalesce(s1.jobcenter, s2.jobcenter) AS jobcenter,
           coalesce(s1.ae, s2.ae) AS ae
    FROM ints i
    LEFT JOIN s s1 ON s1.person = i.person AND s1.elb AND s1.von <= i.datum - 1 AND s1.bis >= i.datum - 1
    LEFT JOIN s s2 ON s2.person = i.person AND s2.elb AND s2.von <= i.datum AND s2.bis >= i.datum
    WHERE month_of(i.datum) BETWEEN 0 AND 47
), ranked AS (
    SELECT *, CASE WHEN k <= 2 THEN 0 ELSE k - 2 END AS slot,
           row_number() OVER (PARTITION BY person, m, CASE WHEN k <= 2 THEN 0 ELSE k - 2 END
                              ORDER BY datum, k) AS rn
    FROM located WHERE jobcenter IS NOT NULL
)
SELECT * FROM ranked WHERE rn = 1;

CREATE TEMP TABLE int_lzb AS
SELECT c.person, c.m
FROM counted c JOIN s ON s.person = c.person AND s.von <= c.sd AND s.bis >= c.sd - 729
WHERE c.slot = 0
GROUP BY c.person, c.m, c.sd
HAVING sum(datediff('day', greatest(s.von, c.sd - 729), least(s.bis, c.sd)) + 1) >= 638;

CREATE TEMP TABLE employment AS
SELECT person, von, coalesce(bis, DATE '9999-12-31') AS bis
FROM read_csv(':dir/beschaeftigung.csv', delim = ';', header = true, dateformat = '%d.%m.%Y',
              columns = {'person': 'UINTEGER', 'von': 'DATE', 'bis': 'DATE'});

CREATE TEMP TABLE continuous AS
SELECT c.person, c.m
FROM counted c
JOIN months f ON f.i BETWEEN c.m + 1 AND c.m + 6
JOIN employment e ON e.person = c.person AND e.von <= f.e AND e.bis >= f.e
WHERE c.slot = 0 AND c.k = 0
GROUP BY c.person, c.m
HAVING count(DISTINCT f.i) = 6;

CREATE TEMP TABLE integrations AS
SELECT c.jobcenter, c.m AS i,
       count(*) FILTER (WHERE c.slot = 0) AS integrationen,
       count(*) FILTER (WHERE c.slot = 1) AS zugang_minijob,
       count(*) FILTER (WHERE c.slot = 2) AS zugang_oeff_besch,
       count(*) FILTER (WHERE c.slot = 0 AND c.k = 0) AS integrationen_svb,
       count(k.person) AS integrationen_svb_kontinuierlich,
       count(*) FILTER (WHERE c.slot = 0 AND c.ae) AS integrationen_ae,
       count(z.person) AS integrationen_lzb
FROM counted c
LEFT JOIN continuous k ON k.person = c.person AND k.m = c.m AND c.slot = 0 AND c.k = 0
LEFT JOIN int_lzb z ON z.person = c.person AND z.m = c.m AND c.slot = 0
GROUP BY ALL;

CREATE TEMP TABLE payments AS
SELECT jobcenter, month_of(strptime('01.' || monat, '%d.%m.%Y')::DATE) AS i,
       sum(lebensunterhalt) AS llu_summe, sum(unterkunft) AS kdu_summe
FROM read_csv(':dir/zahlungen.csv', delim = ';', header = true, decimal_separator = ',',
              columns = {'bg': 'UINTEGER', 'jobcenter': 'VARCHAR', 'monat': 'VARCHAR',
                         'lebensunterhalt': 'DECIMAL(18,2)', 'unterkunft': 'DECIMAL(18,2)'})
GROUP BY ALL;

-- Every Jobcenter of the spells or the payments, every month, zeros where nothing happened.
CREATE TEMP TABLE components AS
WITH grid AS (
    SELECT j.jobcenter, m.i
    FROM (SELECT jobcenter FROM s UNION SELECT jobcenter FROM payments) j
    CROSS JOIN (SELECT i FROM months WHERE i BETWEEN 0 AND 47) m
)
SELECT g.jobcenter, g.i,
       coalesce(p.llu_summe, 0) AS llu_summe, coalesce(p.kdu_summe, 0) AS kdu_summe,
       coalesce(st.elb, 0) AS elb, coalesce(f.elb_zugang, 0) AS elb_zugang,
       coalesce(f.elb_abgang, 0) AS elb_abgang,
       coalesce(n.integrationen, 0) AS integrationen,
       coalesce(n.zugang_minijob, 0) AS zugang_minijob,
       coalesce(n.zugang_oeff_besch, 0) AS zugang_oeff_besch,
       coalesce(n.integrationen_svb, 0) AS integrationen_svb,
       coalesce(n.integrationen_svb_kontinuierlich, 0) AS integrationen_svb_kontinuierlich,
       coalesce(st.elb_ae, 0) AS elb_ae, coalesce(n.integrationen_ae, 0) AS integrationen_ae,
       coalesce(st.lzb, 0) AS lzb, coalesce(n.integrationen_lzb, 0) AS integrationen_lzb,
       coalesce(st.lzb_aktiv, 0) AS lzb_aktiv, coalesce(lf.lzb_zugang, 0) AS lzb_zugang,
       coalesce(lf.lzb_abgang, 0) AS lzb_abgang
FROM grid g
LEFT JOIN stocks st USING (jobcenter, i)
LEFT JOIN elb_flows f USING (jobcenter, i)
LEFT JOIN lzb_flows lf USING (jobcenter, i)
LEFT JOIN integrations n USING (jobcenter, i)
LEFT JOIN payments p USING (jobcenter, i);

-- The figures: changes against the month a year before, 12-month rates (sums over twelve
-- months, the denominator a month earlier for outflows), quotas over the mean stock.
CREATE TEMP TABLE figures AS
WITH w AS (
    SELECT *,
        lag(llu_summe, 12) OVER j AS llu_12, lag(kdu_summe, 12) OVER j AS kdu_12,
        lag(elb, 12) OVER j AS elb_12, lag(lzb, 12) OVER j AS lzb_12,
        count(*) OVER r12 AS n12, count(*) OVER r12l AS n12l,
        sum(elb_zugang) OVER r12 AS s_elb_zugang, sum(elb) OVER r12 AS s_elb,
        sum(elb_abgang) OVER r12 AS s_elb_abgang, sum(elb) OVER r12l AS s_elb_l,
        sum(integrationen) OVER r12 AS s_int, sum(zugang_minijob) OVER r12 AS s_mini,
        sum(zugang_oeff_besch) OVER r12 AS s_oeff,
        sum(integrationen_svb_kontinuierlich) OVER r12 AS s_kont,
        sum(integrationen_svb) OVER r12 AS s_svb,
        sum(integrationen_ae) OVER r12 AS s_int_ae, sum(elb_ae) OVER r12 AS s_elb_ae,
        sum(integrationen_lzb) OVER r12 AS s_int_lzb, sum(lzb) OVER r12 AS s_lzb,
        sum(lzb_zugang) OVER r12 AS s_lzb_zugang, sum(lzb_abgang) OVER r12 AS s_lzb_abgang,
        sum(lzb) OVER r12l AS s_lzb_l
    FROM components
    WINDOW j AS (PARTITION BY jobcenter ORDER BY i),
           r12 AS (PARTITION BY jobcenter ORDER BY i ROWS BETWEEN 11 PRECEDING AND CURRENT ROW),
           r12l AS (PARTITION BY jobcenter ORDER BY i ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING)
)
SELECT jobcenter, i,
    (llu_summe::DOUBLE / nullif(llu_12, 0) - 1) * 100 AS k1,
    (kdu_summe::DOUBLE / nullif(kdu_12, 0) - 1) * 100 AS k1e1,
    (elb / nullif(elb_12, 0) - 1) * 100 AS k1e2,
    CASE WHEN n12 = 12 THEN s_elb_zugang / nullif(s_elb, 0) * 100 END AS k1e3,
    CASE WHEN n12l = 12 THEN s_elb_abgang / nullif(s_elb_l, 0) * 100 END AS k1e4,
    CASE WHEN n12 = 12 THEN s_int / nullif(s_elb / 12, 0) * 100 END AS k2,
    CASE WHEN n12 = 12 THEN s_mini / nullif(s_elb / 12, 0) * 100 END AS k2e1,
    CASE WHEN n12 = 12 THEN s_oeff / nullif(s_elb / 12, 0) * 100 END AS k2e2,
    CASE WHEN n12 = 12 THEN s_kont / nullif(s_svb, 0) * 100 END AS k2e3,
    CASE WHEN n12 = 12 THEN s_int_ae / nullif(s_elb_ae / 12, 0) * 100 END AS k2e4,
    (lzb / nullif(lzb_12, 0) - 1) * 100 AS k3,
    CASE WHEN n12 = 12 THEN s_int_lzb / nullif(s_lzb / 12, 0) * 100 END AS k3e1,
    lzb_aktiv / nullif(lzb, 0) * 100 AS k3e2,
    CASE WHEN n12 = 12 THEN s_lzb_zugang / nullif(s_lzb, 0) * 100 END AS k3e3,
    CASE WHEN n12l = 12 THEN s_lzb_abgang / nullif(s_lzb_l, 0) * 100 END AS k3e4
FROM w;
