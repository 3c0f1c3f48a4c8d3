-- Release the warehouse load lock (or break one left by a load that died).
DROP TABLE IF EXISTS {lock} SYNC;
