-- Rows waiting in a load's staging table.
SELECT count() AS n FROM {staging}
