-- inventory_snapshot marks a store x day with no sales events while the store usually trades that weekday
-- and the rest of the chain traded (spark/jobs/inventory.py): its zero sales are missing data, not demand.
ALTER TABLE fact_inventory ADD COLUMN IF NOT EXISTS store_silent Bool DEFAULT false AFTER stock_out_hours;
