-- Empty a load's staging table ({staging}) before and after use.
TRUNCATE TABLE IF EXISTS {staging};
