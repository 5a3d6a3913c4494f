-- Clicks and views (issue 18): how often people (not HEAD requests, not link-preview bots)
-- visited a notification's tracking link, and a shipment's tracking page by any link, with
-- the first and the last time. No foreign keys, like the hot tables they count.
CREATE TABLE IF NOT EXISTS link_visits (
    tenant_id INTEGER NOT NULL,
    notification_id INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, notification_id)
);
CREATE TABLE IF NOT EXISTS page_views (
    tenant_id INTEGER NOT NULL,
    shipment_id INTEGER NOT NULL,
    views INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id)
);
