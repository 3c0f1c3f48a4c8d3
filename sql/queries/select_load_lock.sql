-- Who holds the warehouse load lock, and for how many seconds (by the warehouse's clock).
SELECT comment AS holder,
       toInt64(toUnixTimestamp(now())) - toInt64OrZero(extract(comment, 'started (\\d+)')) AS age_s
FROM system.tables
WHERE database = currentDatabase() AND name = '{lock}';
