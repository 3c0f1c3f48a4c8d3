-- Drop a load's staging copy: after publishing it holds the replaced data, after a failure the unpublished.
DROP TABLE IF EXISTS {staging} SYNC;
