-- Clicks and views (issue 18): how often people (not HEAD requests, not link-preview bots)
-- visited a notification's tracking link, and a shipment's tracking page by any link, with
-- the first and the last time. No foreign keys, like the hot tables they count. The
-- migrator splits this file at semicolons, so none appears inside a statement or a comment.
CREATE TABLE IF NOT EXISTS link_visits (
    tenant_id BIGINT NOT NULL,
    notification_id BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    last_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, notification_id)
);
CREATE TABLE IF NOT EXISTS page_views (
    tenant_id BIGINT NOT NULL,
    shipment_id BIGINT NOT NULL,
    views BIGINT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    last_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id)
)
