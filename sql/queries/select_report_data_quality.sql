-- Data-quality panel: pass rate and failures per asset and severity over the last gate runs.
SELECT asset, severity, count() AS evaluated, countIf(success) AS passed,
       groupUniqArrayIf(expectation, NOT success) AS failing
FROM dq_results
GROUP BY asset, severity
ORDER BY asset, severity
